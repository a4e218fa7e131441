//! `docs/interop.md`: everything one run of the matrix found, as Markdown.
//!
//! Each table of the matrix is a [`Section`]; the FTPS sections come from
//! `ftps.rs` (only in builds with the `tls` feature) and are placed after
//! the clear tables, so that the clear tables' notes keep their numbers.
//!
//! It only renders; the test runs the checks and decides what fails.

use std::fmt::Write as _;

use crate::anonymous::{self, AnonymousCell};
use crate::clients::{self, Client};
use crate::eprt::{self, Probe};
use crate::matrix::{Cell, Family, Op};
use crate::quirks::Quirk;
use crate::report::{self, Notes};
use crate::servers::{self, Server};

/// Everything one run found.
pub struct Results<'a> {
    /// The peers' names and versions.
    pub versions: Vec<(&'static str, String)>,
    /// The clients that ran.
    pub clients: Vec<&'static dyn Client>,
    /// The servers that ran.
    pub servers: Vec<Server>,
    /// The cells of both matrix tables.
    pub cells: &'a [Cell],
    /// The anonymous-access cells.
    pub anonymous: &'a [AnonymousCell],
    /// What each server does with `EPRT |2|::|port|`.
    pub probes: &'a [Probe],
    /// The third-party quirks.
    pub quirks: &'a [Quirk],
    /// The FTPS sections, or `None` when this run had none (a build without
    /// the `tls` feature).
    pub ftps: Option<Vec<Section<'a>>>,
}

/// One table of the matrix with its text.
pub struct Section<'a> {
    /// The heading.
    pub title: String,
    /// What the table shows and how, before it.
    pub intro: String,
    /// The cells (of this table and maybe others).
    pub cells: &'a [Cell],
    /// The rows' peers, in order.
    pub peers: Vec<&'a str>,
    /// The operations of each peer, in order.
    pub ops: &'static [Op],
    /// Text after the table, or nothing.
    pub after: String,
}

/// The sections as Markdown, their reasons numbered in `notes`.
pub fn sections(sections: &[Section], notes: &mut Notes) -> String {
    let mut out = String::new();
    for section in sections {
        let table = report::table(section.cells, &section.peers, section.ops, notes);
        let _ = write!(out, "## {}\n\n{}\n\n{table}", section.title, section.intro);
        if !section.after.is_empty() {
            let _ = write!(out, "\n{}", section.after);
        }
        out.push('\n');
    }
    out
}

/// The whole document.
pub fn render(results: &Results) -> String {
    let mut notes = Notes::default();
    let mut out = String::new();
    let _ = writeln!(out, "{}", introduction());
    let _ = writeln!(
        out,
        "## Versions\n\n{}",
        report::versions(&results.versions)
    );
    let client_names: Vec<&str> = results.clients.iter().map(|client| client.name()).collect();
    let server_names: Vec<&str> = results.servers.iter().map(|server| server.name()).collect();
    let clear = [
        Section {
            title: "Our server × clients".into(),
            intro: "`ftp-server -v` with one read-write user, a fresh server per client × family × mode. \
         Login: the right password logs in, a wrong one is refused. List: the listing names \
         the file. Download and upload: 300 kB and 200 kB of pseudo-random bytes, compared \
         byte for byte. Resume: a partial copy of 100,000 bytes is completed, and the \
         server's log must show `REST 100000` (or `APPE`). Our own client against our server \
         is the last row of the next table."
                .into(),
            cells: results.cells,
            peers: client_names.clone(),
            ops: clients::OPS,
            after: how_clients_are_driven(
                results.clients.iter().map(|client| (client.name(), client.driven())),
            ),
        },
        Section {
            title: "Our client × servers".into(),
            intro: "`ftp-client -d --explain -n` runs a batch session (`user`, the commands, `bye`) \
         against a fresh server per family × mode, and must exit with status 0 (1 for the \
         wrong login). Our client tries EPSV (passive) or EPRT (active) first and falls back \
         to PASV or PORT only when the server answers 500, 501, 502 or 522. Here the PASV and \
         PORT columns check that fallback (the client's `epsv4 off`, which skips the extended \
         commands, is what the FTPS table below uses), and no configuration setting of these \
         servers makes them refuse the extended commands that way (vsftpd's `cmds_denied` \
         answers `550`). So the PASV and PORT \
         columns run through a small relay in front of the server \
         (`tests/tests/interop/front.rs`) that answers EPSV and EPRT with `502` and \
         passes every other line unchanged; the data connections go straight to the server. \
         Our server needs no relay: it is told to refuse them itself \
         (`--quirk no-epsv,no-eprt`, which answers `500`). \
         The row *pyftpdlib without EPSV/EPRT* is pyftpdlib with those two commands removed \
         from its command table: it answers them `500` itself, so the fallback is also \
         checked against a real server's refusal, without the relay. \
         vsftpd is anonymous with write access (its wrong login is an unknown user); the \
         others have one user."
                .into(),
            cells: results.cells,
            peers: server_names,
            ops: servers::OPS,
            after: String::new(),
        },
    ];
    out.push_str(&sections(&clear, &mut notes));
    let _ = writeln!(
        out,
        "## Anonymous read-only access to our server\n\n\
         `ftp-server --anonymous=ro`, login `anonymous`; each client in its default passive \
         mode. An upload must be answered with `550` and leave no file.\n\n{}",
        anonymous_table(results.anonymous, &client_names, &mut notes)
    );
    match &results.ftps {
        Some(ftps) => out.push_str(&sections(ftps, &mut notes)),
        None => {
            let _ = writeln!(
                out,
                "## FTPS\n\nNot in this run: the FTPS sections need the programs built with \
                 their `tls` feature (the `ftps_interop` test, or `interop-report` built with \
                 `--features tls`).\n"
            );
        }
    }
    let _ = writeln!(out, "{}", unspecified_eprt(results.probes));
    let _ = writeln!(out, "{}", known_issues(results.quirks, results.probes));
    let _ = writeln!(out, "## Notes\n\n{}", notes.render());
    let _ = writeln!(out, "{}", not_covered(results.ftps.is_some()));
    out
}

/// The title and how to read the tables.
fn introduction() -> String {
    format!(
        "# Interoperability matrix\n\n\
         Generated on {} (UTC) by `cargo run -p ftp-tests --features tls --bin \
         interop-report`, after `cargo build --workspace --bins --features ftp-tests/tls` (the \
         FTPS sections need the programs built with TLS; without the feature the command \
         writes nothing); do not edit by hand. CI runs the same matrix with every peer \
         installed (`FTP_TESTS_REQUIRE_PEERS`): the `interop` test runs the clear tables, \
         the `ftps_interop` test the FTPS ones.\n\n\
         Every cell is a run of the real programs on loopback (127.0.0.1 and ::1). Every \
         transfer is compared byte for byte, and every data connection is checked to use the \
         column's mode, from `ftp-server -v`'s log or `ftp-client --explain` (`data: passive \
         (EPSV) — ...`): a client that quietly falls back to another mode fails the cell. \
         `n/a` means the combination cannot be made; the numbered notes say why. A red cell \
         fails the test unless it is a documented third-party bug. In the FTPS tables every \
         data connection must also show as protected by TLS (`data: protected by TLS` in the \
         server's log, `data connection protected` in the client's trace).\n",
        report::today()
    )
}

/// One line per client (name, how): how it is made to use each mode.
pub fn how_clients_are_driven<'a>(clients: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::from("How each client is driven:\n\n");
    for (name, driven) in clients {
        let _ = writeln!(out, "- **{name}**: {driven}");
    }
    out
}

/// The anonymous table: one row per client, one column per family × check.
fn anonymous_table(cells: &[AnonymousCell], clients: &[&str], notes: &mut Notes) -> String {
    let mut columns = vec!["client".to_string()];
    for family in Family::ALL {
        for check in anonymous::CHECKS {
            columns.push(format!("{family} {check}"));
        }
    }
    let rows: Vec<Vec<String>> = clients
        .iter()
        .map(|&client| {
            let mut row = vec![client.to_string()];
            for family in Family::ALL {
                for check in anonymous::CHECKS {
                    let place = format!("anonymous {client} × {family} × {check}");
                    let found = cells.iter().find(|cell| {
                        (cell.client, cell.family, cell.check) == (client, family, check)
                    });
                    row.push(found.map_or_else(
                        || "missing".into(),
                        |cell| report::mark(&cell.outcome, &place, notes),
                    ));
                }
            }
            row
        })
        .collect();
    report::grid(&columns, &rows)
}

/// The `EPRT |2|::|port|` decision and what every server does.
fn unspecified_eprt(probes: &[Probe]) -> String {
    let mut out = String::from(
        "## `EPRT |2|::|port|` (the unspecified address)\n\n\
         lftp 4.9 in active mode over IPv6 announces its data port as `EPRT |2|::|port|`, with \
         the unspecified address instead of its own (the server log of the lftp rows above \
         shows it). RFC 2428 expects a real address there. But the client \
         clearly means \"connect back to me\", and the only address a server may connect to \
         at all is the control connection's peer (RFC 2577: no FTP bounce). **Our server \
         therefore takes `::` (and `0.0.0.0`) as the control connection's peer address**; \
         every other address that is not the peer's is still refused, so bounce protection \
         is intact, and lftp works in active mode over IPv6 (see its row above).\n\n\
         What each server does, on a raw control connection (`EPRT |2|::|port|`, `NLST`, then \
         `EPRT` naming another host, `::2`), and whether lftp can list in active mode over \
         IPv6:\n\n",
    );
    let rows: Vec<Vec<String>> = probes
        .iter()
        .map(|probe| {
            vec![
                probe.server.to_string(),
                format!("`{}`", probe.reply),
                eprt::verdict(probe),
                format!("`{}`", probe.other_address),
                if probe.lftp_lists { "lists" } else { "fails" }.to_string(),
            ]
        })
        .collect();
    let columns = [
        "server",
        "reply to `EPRT |2|::|port|`",
        "result",
        "reply to `EPRT |2|::2|port|`",
        "lftp active IPv6",
    ]
    .map(String::from);
    out.push_str(&report::grid(&columns, &rows));
    for probe in probes {
        let _ = writeln!(
            out,
            "\n<details><summary>{}: exchange</summary>\n\n```text\n{}```\n</details>",
            probe.server, probe.evidence
        );
    }
    out
}

/// Third-party behaviour worth knowing, with this run's evidence.
fn known_issues(quirks: &[Quirk], probes: &[Probe]) -> String {
    let mut out = String::from(
        "## Known third-party issues\n\n\
         1. **lftp 4.9: `EPRT |2|::|port|` in active mode over IPv6** (previous section). \
         Against servers that refuse it, lftp's active mode over IPv6 fails; use passive mode \
         there. Our server accepts it.\n",
    );
    let scoped: Vec<String> = probes
        .iter()
        .filter(|probe| probe.reply.contains('%'))
        .map(|probe| format!("{}: `{}`", probe.server, probe.reply))
        .collect();
    if !scoped.is_empty() {
        let _ = writeln!(
            out,
            "2. **A refusal names the address with a scope id that was never sent** ({}). \
             Cosmetic: the refusal itself follows that server's policy.",
            scoped.join("; ")
        );
    }
    for (index, quirk) in quirks.iter().enumerate() {
        let seen = if quirk.seen {
            ""
        } else {
            " *(not seen in this run)*"
        };
        let _ = writeln!(
            out,
            "{}. **{}**{seen}. {}\n\n{}",
            index + 2 + usize::from(!scoped.is_empty()),
            quirk.title,
            quirk.explanation,
            report::evidence_block(&quirk.evidence)
        );
    }
    out
}

/// What the matrix does not cover, and why; `ftps`: whether this run had
/// the FTPS sections.
fn not_covered(ftps: bool) -> String {
    let mut out = String::from(
        "## Not covered\n\n\
         - PASV and PORT over IPv6: they carry only an IPv4 address (RFC 2428 §1). Clients that \
         fall back to RFC 1639's LPSV/LPRT there (tnftp with `epsv6 off`) get `500` from our \
         server, which does not implement RFC 1639.\n\
         - EPSV/EPRT over IPv4 for lftp (EPRT) and wget (both): they have no setting for it.\n\
         - Our client's PASV and PORT against the third-party servers go through the RFC 959 \
         relay described above, not a native server setting (in the clear; over FTPS the \
         client is told `epsv4 off`).\n\
         - Uploads with wget (it only downloads); resumed uploads with our client (its `reput` \
         is tested against our server and vsftpd in `tests/tests/client_tnftp.rs`).\n",
    );
    out.push_str(match ftps {
        true => {
            "- FTPS beyond the two FTPS tables: anonymous FTPS, `CCC`, `ABOR` of a protected \
             transfer, a data connection that does not resume the TLS session (refused with \
             `522`), hostile TLS peers, our client's `ftps://` URLs (implicit, against \
             vsftpd's `implicit_ssl`) and certificates it must refuse are tested in \
             `tests/tests/ftps_server.rs` and `tests/tests/ftps_client.rs`. Implicit FTPS \
             against our server is in the tables with curl only; the anonymous table and the \
             `EPRT |2|::|port|` probe are in the clear only; *pyftpdlib without EPSV/EPRT* \
             has no FTPS row.\n"
        }
        false => {
            "- FTPS: this run has no FTPS sections (see above); they are tested by \
             `tests/tests/ftps_interop.rs`, `ftps_server.rs` and `ftps_client.rs` with the \
             `tls` builds.\n"
        }
    });
    out
}
