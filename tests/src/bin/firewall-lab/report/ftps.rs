//! The report's FTPS section, written when a scenario with FTPS ran (a lab
//! built with the `tls` feature): why a NAT's FTP helper and TLS collide,
//! what `CCC` is for and what passive mode does, with this run's numbers,
//! then every cell of the scenario — those that worked too, since how they
//! worked is the point — with our client's line and the server's trace.
//!
//! What it does not do: decide what a cell should show (`expected`).

use std::fmt::Write;

use ftp_core::protocol::data_setup::DataMode;

use super::{code, trace_line};
use crate::{Cell, Result_};

/// "N of M" cells of `result` with our client secured as `security`
/// (`None`: in the clear) in `mode` that worked.
fn worked(result: &Result_, security: Option<&str>, mode: DataMode) -> String {
    let cells: Vec<&Cell> = result
        .cells
        .iter()
        .filter(|c| c.client.security() == security && c.mode.mode() == mode)
        .collect();
    let ok = cells.iter().filter(|c| c.outcome.ok).count();
    format!("{ok} of {} cells worked", cells.len())
}

/// The section, or nothing when no scenario with FTPS ran.
pub fn section(results: &[Result_]) -> String {
    let Some(result) = results
        .iter()
        .find(|r| r.scenario.tls && r.available.is_ok())
    else {
        return String::new();
    };
    let (active, passive) = (DataMode::Active, DataMode::Passive);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\n## FTPS through a client NAT: the FTP helper, TLS and CCC\n\n\
         The scenario {name} puts FTPS (RFC 4217) behind the client NAT with the kernel's FTP \
         helper. A NAT rewrites the addresses in the packets' headers, but in active mode the \
         client's address also travels *inside* the control connection, in `PORT`/`EPRT`. The \
         helper (`nf_conntrack_ftp` with `nf_nat_ftp`, attached by the `ct helper` rule) reads \
         the control connection, rewrites that address to the NAT's public one (192.0.2.10 \
         becomes 203.0.113.1) and expects the server's data connection, which it lets in as \
         *related*. In the clear that is why active mode works behind it: active, `ours`: {clear}.\n\n\
         **Why NAT helpers and TLS collide.** After `AUTH TLS` the control connection is TLS \
         records: the helper can neither read `PORT`/`EPRT` nor rewrite them (a changed record \
         would fail its integrity check, which is the point of TLS). The client's private \
         address reaches the server as it was sent; our server refuses an address that is not \
         the control connection's peer (`501`, no FTP bounce), and had it connected, the NAT \
         would have let nothing in, since no helper expected the connection. Active, \
         `ours-tls`: {tls}. The same holds for any ALG that reads FTP — a firewall's FTP \
         inspection too.\n\n\
         **What passive mode does.** In passive mode the client opens the data connection, \
         outwards through the NAT like the control connection: there is no address of the \
         client to rewrite and nothing to let in. EPSV's `229` carries only a port, and our \
         client ignores the address of a `227`: passive, `ours-tls`: {tls_passive}. That is why \
         FTPS clients default to passive mode. (Behind a server-side NAT the same blindness hits \
         the `227` a server sends with its private address; `--pasv-address` is then the \
         server's fix, since no helper can rewrite it.)\n\n\
         **Why CCC exists.** `CCC` (Clear Command Channel, RFC 4217 §6) is the way out for \
         active mode: after the login (the password went encrypted) and `PBSZ 0`/`PROT P`, the \
         client sends `CCC`; both sides end TLS on the control connection (close_notify) and go \
         on in the clear, while data connections stay protected as `PROT P` set them. The helper \
         reads and rewrites `PORT`/`EPRT` again: active, `ours-tls-ccc`: {ccc}, every data \
         connection protected (the server's `data: protected by TLS ...` line below). The price: \
         every command after `CCC` — file names, `PORT`/`EPRT`, `DELE` — travels in the clear and \
         can be read and altered on the way; only the data stays private and intact. Servers may \
         refuse `CCC` (vsftpd has none; ours refuses it with `--tls-required`).\n\n\
         **A detail the lab found.** The helper reads a command only in a packet that starts \
         right after a line end it has seen in that direction (it keeps the sequence numbers \
         that follow each `\\n`). The last thing it saw before `CCC` ended was a TLS record, so \
         the first clear command after `CCC` is passed unread: were that a `PORT`, its private \
         address would reach the server. Our client therefore sends a `NOOP` right after `CCC`; \
         the lab's `ours-tls-ccc` sends `CCC` after `TYPE I`, so that the next command is the \
         `PORT`/`EPRT` itself.\n\n\
         Every cell of the scenario, with our client's last line and what the server logged \
         (`-v`; the commands it received, so `PORT` shows whether the helper rewrote it):\n",
        name = code(result.scenario.name),
        clear = worked(result, None, active),
        tls = worked(result, Some("tls"), active),
        tls_passive = worked(result, Some("tls"), passive),
        ccc = worked(result, Some("tls-ccc"), active),
    );
    for cell in &result.cells {
        let _ = writeln!(
            md,
            "- **{} {}** — {}; {:.1} s",
            cell.client.name(),
            cell.mode.verb(),
            if cell.outcome.ok { "ok" } else { "FAIL" },
            cell.outcome.seconds
        );
        if !cell.outcome.client_line.is_empty() {
            let _ = writeln!(md, "  - client: {}", code(&cell.outcome.client_line));
        }
        for line in &cell.outcome.server {
            let _ = writeln!(md, "  - server: {}", code(trace_line(line)));
        }
    }
    md
}
