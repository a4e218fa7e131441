//! The lab's output: the table on the terminal, the differences from the
//! expected table, and `docs/firewall-lab.md` — the topology, every rule
//! set, the table, the evidence of each failed cell, the FTPS scenario
//! (module `ftps`) and what each common claim about the modes comes to.

mod ftps;

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::cells::{Client, MODES};
use crate::expected::{evidence_problem, expected, message_problem, Cause, Expect};
use crate::scenarios::SCENARIOS;
use crate::server::{self, Scratch};
use crate::topology::Topology;
use crate::{Cell, Result_};
use ftp_core::protocol::data_setup::DataCommand;

/// Where the report goes.
pub fn path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/firewall-lab.md")
}

/// `text` as inline code (a backtick in it becomes `'`).
fn code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'"))
}

/// A server log line without env_logger's `[time LEVEL target] `.
fn trace_line(line: &str) -> &str {
    match line.split_once("] ") {
        Some((prefix, rest)) if prefix.starts_with("[20") && prefix.contains(" ftp_server") => rest,
        _ => line,
    }
}

/// A cell's mark: `ok`, `FAIL`, and `!` when it differs from the expected.
fn mark(scenario: &str, cell: &Cell) -> String {
    let want = expected(scenario, cell.client, cell.mode);
    let got = if cell.outcome.ok { "ok" } else { "FAIL" };
    let same = (want == Expect::Pass) == cell.outcome.ok;
    if same {
        got.to_string()
    } else {
        format!("{got}!")
    }
}

/// The rows of the table: (scenario, family, client, marks per mode).
fn rows(results: &[Result_]) -> Vec<[String; 7]> {
    let mut rows = Vec::new();
    for result in results {
        let name = result.scenario.name;
        if let Err(why) = &result.available {
            let mut row: [String; 7] = Default::default();
            row[0] = name.to_string();
            row[3] = why.clone();
            rows.push(row);
            continue;
        }
        for v6 in [false, true] {
            for &client in result.scenario.clients {
                let cells: Vec<&Cell> = result
                    .cells
                    .iter()
                    .filter(|c| c.v6 == v6 && c.client == client)
                    .collect();
                if cells.is_empty() {
                    continue;
                }
                let mut row: [String; 7] = Default::default();
                row[0] = name.to_string();
                row[1] = if v6 { "IPv6" } else { "IPv4" }.to_string();
                row[2] = client.name().to_string();
                for (i, mode) in MODES.iter().enumerate() {
                    row[3 + i] = cells
                        .iter()
                        .find(|c| c.mode == *mode)
                        .map_or("—".to_string(), |c| mark(name, c));
                }
                rows.push(row);
            }
        }
    }
    rows
}

const HEADER: [&str; 7] = ["scenario", "IP", "client", "PASV", "EPSV", "PORT", "EPRT"];

/// The table for the terminal.
pub fn console(results: &[Result_]) -> String {
    let mut out = String::new();
    let mut line = |row: &[&str]| {
        let _ = writeln!(
            out,
            "{:<24} {:<5} {:<13} {:<6} {:<6} {:<6} {}",
            row[0], row[1], row[2], row[3], row[4], row[5], row[6]
        );
    };
    line(&HEADER);
    for row in rows(results) {
        line(&row.each_ref().map(String::as_str));
    }
    out
}

/// Every difference from the expected table, and every failing cell whose
/// messages do not name the cause.
pub fn problems(results: &[Result_]) -> Vec<String> {
    let mut problems = Vec::new();
    for result in results {
        let name = result.scenario.name;
        if let Err(why) = &result.available {
            if !why.starts_with("not available on this kernel") {
                problems.push(format!("{name}: {why}"));
            }
            continue;
        }
        for cell in &result.cells {
            let family = if cell.v6 { "IPv6" } else { "IPv4" };
            let what = format!(
                "{name} {family} {} {}",
                cell.client.name(),
                cell.mode.verb()
            );
            match expected(name, cell.client, cell.mode) {
                Expect::Pass if !cell.outcome.ok => problems.push(format!(
                    "{what}: failed, expected to work: {}",
                    cell.outcome.client_line
                )),
                Expect::Fail(_) if cell.outcome.ok => {
                    problems.push(format!("{what}: worked, expected to fail"))
                }
                Expect::Fail(cause) => {
                    if let Some(problem) = message_problem(cause, cell.client, &cell.outcome) {
                        problems.push(format!("{what}: {problem}"));
                    }
                }
                Expect::Pass => {
                    if let Some(problem) =
                        evidence_problem(name, cell.client, cell.mode, &cell.outcome)
                    {
                        problems.push(format!("{what}: {problem}"));
                    }
                }
            }
        }
    }
    problems
}

const TOPOLOGY: &str = r#"```text
  client namespace            router namespace                   server namespace
 ┌──────────────────┐      ┌──────────────────────────────┐      ┌──────────────────┐
 │ c0 192.0.2.10    ├──────┤ r0 192.0.2.1    r1 203.0.113.1├──────┤ s0 203.0.113.10  │
 │ 2001:db8:1::10   │ veth │ 2001:db8:1::1   2001:db8:2::1 │ veth │ 2001:db8:2::10   │
 │ our client, curl,│      │ + 198.51.100.7 on r0: the     │      │ ftp-server -v    │
 │ Python's ftplib  │      │ server's public address when  │      │ [::]:21, passive │
 └──────────────────┘      │ it forwards ports (server NAT)│      │ 30000-30009      │
   client network          └──────────────────────────────┘      └──────────────────┘
   192.0.2.0/24             masquerades the client network          server network
   2001:db8:1::/64          as 203.0.113.1 (client NAT)             203.0.113.0/24
                                                                    2001:db8:2::/64
```"#;

/// The markdown report.
pub fn markdown(results: &[Result_], seconds: f64) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# The firewall and NAT lab: active and passive FTP behind real firewalls\n"
    );
    let _ = writeln!(
        md,
        "Written by `sudo cargo run -p ftp-tests{} --bin firewall-lab` (this run took {seconds:.0} s). \
         Every cell below is a real download of a {} byte file through the Linux kernel's own \
         firewall and NAT (nftables), in network namespaces the lab builds and removes again. \
         Nothing is attached to the host's interfaces; every address is from the documentation \
         ranges.\n",
        if cfg!(feature = "tls") {
            " --features tls"
        } else {
            ""
        },
        crate::cells::SIZE
    );
    md.push_str("## Who opens the data connection\n\n");
    md.push_str(
        "| mode | commands | who listens | who connects |\n|---|---|---|---|\n\
         | passive | `PASV` → `227 (h1,h2,h3,h4,p1,p2)`, `EPSV` → `229 (\\|\\|\\|port\\|)` | server | client |\n\
         | active | `PORT h1,h2,h3,h4,p1,p2`, `EPRT \\|1\\|ip\\|port\\|` | client | server |\n\n\
         A firewall that drops *new incoming* connections therefore breaks active mode when it \
         stands in front of the client, and passive mode when it stands in front of the server.\n\n",
    );
    md.push_str("## The topology\n\n");
    md.push_str(TOPOLOGY);
    md.push_str(
        "\n\nEach scenario gets its own three namespaces (`ftplab-PID-N-client`, `ftplab-PID-N-router`, \
         `ftplab-PID-N-server`), so the scenarios run in parallel. The server runs \
         `ftp-server ",
    );
    md.push_str(&server::args(Path::new("ROOT"), &[]).join(" "));
    md.push_str(
        "` inside the server namespace (as root only to bind port 21; sessions run as `nobody`).\n\n\
         The clients, run inside the client namespace:\n\n\
         - **ours**: the `ftp-client` library (the code of the `ftp-client` program) with a 3 s \
         data timeout; it prints the program's `--explain` line. It sends EPSV/EPRT first; for the \
         PASV and PORT columns they are switched off, as the program's `epsv4 off` does.\n\
         - **curl**: `--ftp-pasv --disable-epsv` (PASV), `--ftp-pasv` (EPSV), \
         `--ftp-port - --disable-eprt` (PORT), `--ftp-port -` (EPRT); `--connect-timeout 3`.\n\
         - **ftplib**: Python's ftplib, `timeout=4`, `set_pasv(True/False)` (EPSV and EPRT over \
         IPv4 through a small subclass); it ignores the address in a 227 reply, as curl and our \
         client do.\n\
         - **ftplib-trust**: the same with `trust_server_pasv_ipv4_address = True`, the old \
         behaviour: it connects to the address the 227 reply names. Run only for PASV over IPv4, \
         the one place that differs.\n",
    );
    if results.iter().any(|r| r.scenario.tls) {
        md.push_str(
            "- **ours-tls**: our client with explicit FTPS, as the program's `--tls --cacert \
             CA`: `AUTH TLS`, then `PBSZ 0` and `PROT P` after login; control and data connections \
             in TLS.\n\
             - **ours-tls-ccc**: the same, and then the program's `ccc`: `CCC` after login and \
             `TYPE I`, the control connection back in the clear, data still protected.\n",
        );
    }
    md.push_str(
        "\nA blocked connection is recognised within seconds: the server's `--data-timeout 3`, our \
         client's 3 s data timeout, curl's `--connect-timeout 3`, ftplib's `timeout=4`.\n\n",
    );
    md.push_str("## The scenarios and their rules\n\n");
    for (i, scenario) in SCENARIOS.iter().enumerate() {
        let _ = writeln!(
            md,
            "### {}. `{}`\n\n{}\n",
            i + 1,
            scenario.name,
            scenario.title
        );
        if !scenario.server_args.is_empty() {
            let _ = writeln!(
                md,
                "Server options added: `{}`.\n",
                scenario.server_args.join(" ")
            );
        }
        if scenario.tls {
            md.push_str(
                "Server options added: `--tls-cert server.pem --tls-key server.key`, a \
                 certificate for 203.0.113.10 signed by a test CA made for the run (openssl); \
                 our client trusts that CA (the program's `--cacert`).\n\n",
            );
        }
        if scenario.rules.is_empty() {
            md.push_str("No rules: the router forwards everything.\n\n");
        }
        for (host, rules) in scenario.rules {
            let _ = writeln!(
                md,
                "On the {} (`nft -f`):\n\n```text\n{rules}\n```\n",
                host.name()
            );
        }
        let _ = writeln!(
            md,
            "Run over {}.\n",
            if scenario.ipv6 {
                "IPv4 and IPv6"
            } else {
                "IPv4 only (NAT is an IPv4 affair)"
            }
        );
    }
    md.push_str(
        "## The table\n\n`ok`: the file arrived whole; `FAIL`: it did not; `—`: not run \
                 (PASV and PORT cannot carry IPv6 addresses; ftplib-trust differs only for PASV); \
                 a `!` marks a cell that differs from the expected table.\n\n",
    );
    let _ = writeln!(md, "| {} |", HEADER.join(" | "));
    let _ = writeln!(md, "|{}", "---|".repeat(7));
    for row in rows(results) {
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    md.push_str(
        "\n## Why each failed cell failed\n\nFor each failed cell: the drop rule whose \
                 counter rose, our client's line, and the server's `-v` trace of that download \
                 (the FTPS scenario's cells have a section of their own below).\n\n",
    );
    for result in results.iter().filter(|r| !r.scenario.tls) {
        for cell in result.cells.iter().filter(|c| !c.outcome.ok) {
            let family = if cell.v6 { "IPv6" } else { "IPv4" };
            let cause = match expected(result.scenario.name, cell.client, cell.mode) {
                Expect::Fail(cause) => cause.words(),
                Expect::Pass => "not expected to fail",
            };
            let _ = writeln!(
                md,
                "- **{} {family} {} {}** — {cause}; {:.1} s",
                result.scenario.name,
                cell.client.name(),
                cell.mode.verb(),
                cell.outcome.seconds
            );
            let drops = if cell.outcome.drops.is_empty() {
                "none (nothing was dropped)".to_string()
            } else {
                cell.outcome.drops.join("; ")
            };
            let _ = writeln!(md, "  - dropped: {drops}");
            if !cell.outcome.client_line.is_empty() {
                let _ = writeln!(md, "  - client: {}", code(&cell.outcome.client_line));
            }
            for line in &cell.outcome.server {
                let _ = writeln!(md, "  - server: {}", code(trace_line(line)));
            }
        }
    }
    md.push_str(&ftps::section(results));
    md.push_str(&claims(results));
    md
}

/// "N of M" cells of `scenario` in `modes` that worked.
fn worked(
    results: &[Result_],
    scenario: &str,
    modes: &[DataCommand],
    client: Option<Client>,
) -> String {
    let cells: Vec<&Cell> = results
        .iter()
        .filter(|r| r.scenario.name == scenario)
        .flat_map(|r| &r.cells)
        .filter(|c| modes.contains(&c.mode) && client.is_none_or(|k| c.client == k))
        .collect();
    if cells.is_empty() {
        return format!("`{scenario}` was not run");
    }
    let ok = cells.iter().filter(|c| c.outcome.ok).count();
    format!("{ok} of {} cells worked in `{scenario}`", cells.len())
}

fn claims(results: &[Result_]) -> String {
    let active = [DataCommand::Port, DataCommand::Eprt];
    let passive = [DataCommand::Pasv, DataCommand::Epsv];
    let w = |s, m: &[DataCommand]| worked(results, s, m, None);
    let mut md = String::from("\n## The common claims, tested\n\n");
    let _ = writeln!(
        md,
        "**\"Active mode may cause problems because of firewalls.\"** True — on the client's \
         side. In active mode the server opens the data connection *to* the client, and a firewall \
         or NAT in front of the client drops it: active: {}; {}; {}. A NAT with the FTP helper \
         (an ALG that rewrites PORT/EPRT and lets the server's connection in as *related*) repairs \
         it: active: {}. The same firewall in front of the server does not hurt active mode: \
         active: {}.\n",
        w("client-firewall", &active),
        w("client-nat", &active),
        w("both-firewalled", &active),
        w("client-nat-helper", &active),
        w("server-firewall", &active),
    );
    let _ =
        writeln!(
        md,
        "**\"Passive mode does not have connection issues from firewalls.\"** Half true. Passive \
         mode survives a firewall or NAT in front of the client (passive: {}; {}), but a firewall \
         in front of the server that opens only port 21 breaks it: passive: {}. Opening the \
         passive range (`--pasv-ports` 30000-30009) fixes it: passive: {}. Behind a server-side \
         NAT, EPSV and clients that ignore the 227 address work; a client that trusts the 227 \
         address is sent to the server's private address: {} (PASV, ftplib-trust). \
         `--pasv-address` fixes that too: {}.\n",
        w("client-firewall", &passive),
        w("client-nat", &passive),
        w("server-firewall", &passive),
        w("server-firewall-range", &passive),
        worked(results, "server-nat", &[DataCommand::Pasv], Some(Client::FtplibTrust)),
        worked(results, "server-nat-pasv-address", &[DataCommand::Pasv], Some(Client::FtplibTrust)),
    );
    let _ = writeln!(
        md,
        "**\"Active mode provides security to the FTP server, passive does not.\"** Mostly false. \
         What is true: in active mode the server's firewall needs only port 21 open for new \
         incoming connections (active: {}), while passive mode needs a range of ports open or an \
         FTP helper. But those ports are opened only to the FTP server, which listens on one of \
         them only for the moment after a PASV/EPSV and (ours) accepts only the control \
         connection's address. Active mode instead has the server connect out to an address the \
         client names — the FTP bounce attack, which servers must refuse (ours answers `501 ... \
         is not the client's address` — seen in `client-nat`) — and it opens the *client* to \
         incoming connections. Neither mode encrypts anything.\n",
        w("server-firewall", &active),
    );
    let _ = writeln!(
        md,
        "**\"Browsers default to passive.\"** True (while they still spoke FTP; Chrome and Firefox \
         dropped it in 2021), and so do curl, ftplib and our client — because the client is the \
         side that usually sits behind a firewall or NAT: passive: {}; {}. The lab also shows why \
         today's clients ignore the address in the 227 reply: {} for ftplib, which ignores it, \
         against {} for the trusting one.\n",
        w("client-firewall", &passive),
        w("client-nat", &passive),
        worked(results, "server-nat", &[DataCommand::Pasv], Some(Client::Ftplib)),
        worked(results, "server-nat", &[DataCommand::Pasv], Some(Client::FtplibTrust)),
    );
    let _ = writeln!(
        md,
        "What our programs say when a cell fails: the server's `425` names a firewall or NAT \
         \"in front of the client\" (active) or \"in front of the server\" with `--pasv-address` and \
         `--pasv-ports` (passive); our client says the server \"did not connect back\" and that \"a \
         firewall or NAT in front of this client blocks incoming connections\" (active), or that \
         \"a firewall blocks the server's passive ports\" (passive), each with the other mode to \
         try. The lab checks these texts in every failed cell (causes: {}).",
        [
            Cause::ClientBlocksIncoming,
            Cause::PrivateAddressRefused,
            Cause::ServerBlocksPassive,
            Cause::PrivateAddressAdvertised
        ]
        .map(Cause::words)
        .join("; ")
    );
    md.push_str("\n## Explore by hand\n\n`sudo cargo run -p ftp-tests --bin firewall-lab -- --scenario client-firewall --keep` \
                 leaves that scenario's namespaces up and prints the commands to enter them, to \
                 start the server and to remove everything.\n");
    md
}

/// With `--keep`: how to enter the namespaces, start the server, remove them.
pub fn keep_help(kept: &[Option<Topology>], program: &Path, scratch: &Scratch) -> String {
    let mut out = String::from("\nThe namespaces are still up (--keep):\n");
    for topology in kept.iter().flatten() {
        let _ = writeln!(
            out,
            "  sudo ip netns exec {} bash     # the client",
            topology.client
        );
        let _ = writeln!(
            out,
            "  sudo ip netns exec {} nft list ruleset",
            topology.router
        );
        let _ = writeln!(
            out,
            "  sudo ip netns exec {} {} {}",
            topology.server,
            program.display(),
            server::args(&scratch.root, &[]).join(" ")
        );
    }
    let _ = writeln!(
        out,
        "  (the served directory {} is removed now: give --root a directory of yours)",
        scratch.root.display()
    );
    let _ = writeln!(
        out,
        "remove them: for ns in $(ip netns list | cut -d' ' -f1 | grep '^{}'); do sudo ip netns del $ns; done",
        crate::topology::run_prefix()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_lines_lose_the_log_prefix_only() {
        let line = "[2026-12-03T07:26:26Z DEBUG ftp_server::conn] [::ffff:203.0.113.1]:51626 <- PORT 192,0,2,10,150,211";
        assert_eq!(
            trace_line(line),
            "[::ffff:203.0.113.1]:51626 <- PORT 192,0,2,10,150,211"
        );
        let line = "[2026-12-03T07:26:26Z DEBUG ftp_server::conn::tls] data: protected by TLS 1.3 (session resumed)";
        assert_eq!(
            trace_line(line),
            "data: protected by TLS 1.3 (session resumed)"
        );
        let plain = "[::1]:21 <- PORT 1,2,3,4,5,6";
        assert_eq!(trace_line(plain), plain);
        assert_eq!(code("a `b`"), "`a 'b'`");
    }
}
