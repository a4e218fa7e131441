//! `probe-report`: runs `ftp-client probe --write-tests` against the five
//! servers on IPv4 and IPv6 and writes `docs/probe.md`, the reports side by
//! side with a line explaining each difference.
//!
//! ```text
//! cargo build --workspace && cargo run -p ftp-tests --bin probe-report [-- OUTPUT]
//! ```
//!
//! A row whose cells differ and that has no explanation below is listed as
//! unexplained, and the program exits with status 1, so that a new
//! difference is noticed. Third-party servers that are missing are left
//! out (`FTP_TESTS_REQUIRE_PEERS` makes that an error, as in the tests).
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ftp_tests::probe_peers::{self, findings, Found, SERVERS, WRITE_DIR};

/// Why the servers differ, by finding id (without its address family).
const EXPLAINED: &[(&str, &str)] = &[
    ("greeting", "Each server's own greeting text; all answer 220."),
    ("feat", "The extensions each implements: vsftpd has no MLST, MFMT or UTF8; ProFTPD and ours list HOST; Pure-FTPd also lists its TLS commands (AUTH, PBSZ, PROT) and its own (ESTA, ESTP, PRET)."),
    ("help", "HELP texts differ in length; every server answers 214."),
    ("commands", "Which harmless commands each server lacks (500) or knows but does not implement (502): vsftpd has no MLST or MFMT; ACCT and SMNT are 500 in some servers, 502 in others."),
    ("mlsd", "vsftpd has no MLSD (500, not advertised); the others advertise and serve it."),
    ("mlst", "vsftpd has no MLST; the others return different facts (unix.owner and unix.group from ProFTPD, unix.uid and unix.gid from Pure-FTPd, perm from pyftpdlib, ProFTPD and ours)."),
    ("size.ascii", "RFC 3659 §4 wants SIZE in TYPE A to count the CRLF a transfer would send; none does: vsftpd, Pure-FTPd and ours answer the stored size, pyftpdlib and ProFTPD refuse SIZE in TYPE A (550)."),
    ("type-a", "vsftpd sends TYPE A files unchanged unless ascii_download_enable is set (off by default)."),
    ("list-missing", "vsftpd and Pure-FTPd list nothing and end with 226 (`ls` semantics); ProFTPD opens the listing (150) and ends it with 450; pyftpdlib and ours answer 550 at once."),
    ("stat", "Status texts and line counts differ; all answer STAT and STAT with a path."),
    ("utf8", "Whether UTF8 is in FEAT and how OPTS UTF8 ON is answered (vsftpd always answers 200 without listing UTF8; Pure-FTPd lists UTF8 but answers 504 when built without its RFC 2640 support)."),
    ("host", "ProFTPD and ours implement HOST (RFC 7151); pyftpdlib answers 500, vsftpd and Pure-FTPd want a login first (530)."),
    ("abort.idle", "225 and 226 are both allowed for an ABOR with no transfer."),
    ("abort.transfer", "vsftpd notices ABOR only with the urgent signal, which std cannot send: it answers 426 when the probe closes the data connection, then 225 to the ABOR it reads afterwards; the others read ABOR during the transfer and answer 426 then 226."),
    ("preliminary", "Whether the server sends 150 before the passive data connection is made or waits for it (both are seen in practice; a client must not wait for the 150 before connecting)."),
    ("replies.middle-lines", "Pure-FTPd sends its greeting with `220-` at the start of every line; RFC 959 §4.2 allows it (only `220 ` ends the reply), but a client that takes any line starting with three digits for the last one misreads it. `ftp-server --quirk multiline-digits` does the same."),
    ("close-order", "ProFTPD sends its 226 only once the client has closed its end of the data connection too; the others close theirs and answer at once."),
    ("write.rest-stor", "After REST+STOR some servers keep the bytes past the end of the upload, others cut the file there; RFC 3659 leaves it open."),
    ("write.mkd-quote", "Pure-FTPd does not double a `\"` inside the 257 path (RFC 959 Appendix II); the others do."),
    ("write.site-chmod", "vsftpd allows SITE CHMOD only to local users (chmod_enable), not to anonymous ones; the others change the mode."),
    ("write.mfmt", "vsftpd has no MFMT (500); the others set the time MDTM then reports."),
    ("write.aborted-upload", "Ours writes an upload to a temporary file and renames it into place only on success, so the old file survives; pyftpdlib and ProFTPD truncate the file first (it is left empty), vsftpd and Pure-FTPd write in place (the partial bytes are left)."),
    ("rest", "REST STREAM works where advertised."),
    ("data.pasv", "PASV carries IPv4 only."),
    ("data.port", "PORT carries IPv4 only."),
    ("pasv-address", "Only probed over IPv4."),
];

/// The reports of one family: the server's name and its findings.
type Reports = Vec<(&'static str, Vec<Found>)>;

fn main() -> ExitCode {
    let output = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/probe.md"));
    let programs = std::env::current_exe()
        .expect("the program knows its path")
        .parent()
        .expect("in a directory")
        .to_path_buf();
    if !programs.join("ftp-client").exists() {
        eprintln!("probe-report: build the workspace first (cargo build --workspace)");
        return ExitCode::from(2);
    }
    let mut doc = String::from(HEADER);
    let mut unexplained = Vec::new();
    for ip in [
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ] {
        let reports = run_all(&programs, ip);
        table(&mut doc, ip, &reports, &mut unexplained);
    }
    doc.push_str(CROSS_CHECK);
    if !unexplained.is_empty() {
        let _ = writeln!(doc, "\n## Unexplained differences\n");
        for id in &unexplained {
            let _ = writeln!(doc, "- `{id}`");
        }
    }
    std::fs::write(&output, doc).expect("the report can be written");
    println!("probe-report: wrote {}", output.display());
    if unexplained.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("probe-report: unexplained differences: {unexplained:?}");
        ExitCode::from(1)
    }
}

/// Probes every server on `ip`.
fn run_all(programs: &Path, ip: IpAddr) -> Reports {
    let mut reports = Vec::new();
    for name in SERVERS {
        let Some(target) = probe_peers::start(name, ip, programs) else {
            continue;
        };
        let run = probe_peers::probe(programs, &target, &["--json", "--write-tests", WRITE_DIR]);
        reports.push((name, findings(&String::from_utf8_lossy(&run.stdout))));
    }
    reports
}

/// The id without its address family: `data.ipv4.epsv` → `data.epsv`.
fn generic(id: &str) -> String {
    id.replace(".ipv4", "").replace(".ipv6", "")
}

/// One family's table, and a line for each row whose cells differ.
fn table(doc: &mut String, ip: IpAddr, reports: &Reports, unexplained: &mut Vec<String>) {
    let family = if ip.is_ipv4() { "IPv4" } else { "IPv6" };
    let _ = writeln!(doc, "\n## {family} ({ip})\n");
    let mut ids: Vec<String> = Vec::new();
    for (_, found) in reports {
        for finding in found {
            if !ids.contains(&finding.id) {
                ids.push(finding.id.clone());
            }
        }
    }
    let names: Vec<&str> = reports.iter().map(|(name, _)| *name).collect();
    let _ = writeln!(doc, "| check | {} |", names.join(" | "));
    let _ = writeln!(doc, "|---|{}", "---|".repeat(names.len()));
    let mut differing = Vec::new();
    for id in &ids {
        let cells: Vec<String> = reports
            .iter()
            .map(|(_, found)| {
                found
                    .iter()
                    .find(|f| &f.id == id)
                    .map_or("—".to_string(), cell)
            })
            .collect();
        if cells.iter().any(|cell| cell != &cells[0]) {
            differing.push(id.clone());
        }
        let _ = writeln!(doc, "| `{id}` | {} |", cells.join(" | "));
    }
    let _ = writeln!(doc, "\nWhy the columns differ:\n");
    for id in differing {
        match EXPLAINED.iter().find(|(key, _)| *key == generic(&id)) {
            Some((_, why)) => {
                let _ = writeln!(doc, "- `{id}`: {why}");
            }
            None => {
                let _ = writeln!(doc, "- `{id}`: **unexplained**");
                unexplained.push(id);
            }
        }
    }
}

/// A table cell: the summary, with the verdict unless it is `ok` or `info`.
fn cell(finding: &Found) -> String {
    let summary = finding.summary.replace('|', "\\|");
    match finding.verdict.as_str() {
        "ok" | "info" => summary,
        verdict => format!("{summary} ({verdict})"),
    }
}

const HEADER: &str = "# What `ftp-client probe` finds on five servers

Generated by `cargo build --workspace && cargo run -p ftp-tests --bin probe-report`; do not edit by hand.

Each column is `ftp-client probe --json --write-tests incoming` against a server started on loopback by the tests crate (the same configurations as the interoperability matrix, `docs/interop.md`): vsftpd (anonymous, read-write), pyftpdlib, ProFTPD and Pure-FTPd (one user each) and our `ftp-server` (one read-write user). Each root holds `pub/hello.txt`, a 32 MiB `big.bin` (for `ABOR` during a download) and an empty `incoming/` for the write tests. A cell is the finding's summary; its verdict is added when it is neither `ok` nor `info` (`unsupported`, `warning`, `unknown`, `CONTRADICTION`, `failed`). `—` means the probe made no such finding on that server. Timings are left out: they change from run to run (`ftp-client probe` prints them).

`tests/tests/probe.rs` checks a few facts per server that are known independently of the probe, so that a probe that misreports fails the tests.

The probe also finds every quirk our server can be told to have (`ftp-server --quirk`, listed in `ftp-server/README.md`: a 227 with a foreign address, EPSV refused, a multi-line reply ending with another code, replies written in pieces, a 226 before the data connection closes, a download cut short...): `tests/tests/probe_quirks.rs` starts the server with each quirk and checks that the report shows it, and that the report on the server without quirks does not.
";

const CROSS_CHECK: &str = "
## Cross-check with the interoperability matrix

- **lftp's `HOST ::1`** (`docs/interop.md`, known issue 3): the probe sends `HOST [::1]`, the bracketed form RFC 7151 asks for, on a connection of its own before logging in. Our server and ProFTPD accept it (row `host` of the IPv6 table), which confirms that our `501` to lftp is about the missing brackets, not about HOST itself. pyftpdlib, vsftpd and Pure-FTPd do not take HOST before a login, so lftp's form makes no difference there.
- **`EPRT |2|::|port|`** (known issue 1): the probe announces its real address (`EPRT |2|::1|port|`), and every server accepts that and connects (rows `data.ipv6.eprt`). So the refusals in the matrix (pyftpdlib, ProFTPD, Pure-FTPd) are about the unspecified address `::`, not about EPRT over IPv6, as the matrix says.
- **Scope id in Pure-FTPd's refusal** (known issue 2): not reproduced by the probe, which never sends an address other than its own.
- **vsftpd's `LIST` of a missing path** (the client README): confirmed by `list-missing` (`empty 226`). Pure-FTPd does the same, which the README does not mention: a directory URL check has to use `CWD` against it too, as the client does.
- **The interop matrix's EPSV/EPRT fallback**: every server here accepts EPSV and EPRT on both families, so no fallback to PASV/PORT is ever needed against them; the matrix's PASV/PORT columns need its relay for that reason (our server instead refuses them itself with `--quirk no-epsv,no-eprt`, which the probe reports as `data.*.epsv` and `data.*.eprt` refused with `500`).
";
