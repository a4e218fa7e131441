//! Each data mode — `EPSV`, `PASV`, `EPRT`, `PORT` — tried for real with a
//! `LIST` on the probed address's family, and whether the address in a `227`
//! reply is the control connection's peer (the classic NAT mistake).
//!
//! A mode the server accepts but that then fails is a contradiction; a mode
//! the server refuses is unsupported, unless `FEAT` lists it (`EPSV`,
//! `EPRT`). `PASV` and `PORT` over IPv6 are not tried: they carry IPv4
//! addresses only (RFC 2428 §1).

use std::net::IpAddr;

use ftp_core::protocol::addr;
use ftp_core::Error;

use super::data::{self, Outcome};
use super::report::Verdict;
use super::{one_line, Probe};
use ftp_core::protocol::data_setup::DataCommand;

/// Every mode on the probed address; the first that works becomes the mode
/// of the later checks.
pub fn all_modes(probe: &mut Probe) -> Result<(), Error> {
    for mode in data::ALL_MODES {
        let id = format!(
            "data.{}.{}",
            probe.family(),
            mode.verb().to_ascii_lowercase()
        );
        if !mode.carries(probe.addr.ip()) {
            probe.add(
                id,
                Verdict::Info,
                "n/a: IPv4 only",
                "PASV and PORT carry IPv4 addresses only (RFC 2428)",
            );
            continue;
        }
        if let Err(err) = one_mode(probe, mode, &id) {
            probe.add(
                id,
                Verdict::Failed,
                "no answer in time",
                format!("{err}; the probe reconnected and went on"),
            );
            probe.hang_up();
        }
    }
    Ok(())
}

/// One mode: the setup command, where a `PASV` reply points, then `LIST`.
fn one_mode(probe: &mut Probe, mode: DataCommand, id: &str) -> Result<(), Error> {
    let advertised = match mode {
        DataCommand::Epsv | DataCommand::Eprt => probe.features.has(&mode.to_string()),
        DataCommand::Pasv | DataCommand::Port => true,
    };
    if mode == DataCommand::Pasv {
        pasv_address(probe)?;
    }
    let wire = probe.wire()?;
    let outcome = data::transfer(wire, mode, "LIST")?;
    let (verdict, summary, detail) = match outcome {
        Outcome::Refused(reply) if advertised && mode.carries(probe.addr.ip()) => (
            refusal_verdict(mode, &reply),
            format!("refused: {}", reply.code),
            one_line(&reply),
        ),
        Outcome::Refused(reply) => (
            Verdict::Unsupported,
            format!("refused: {}", reply.code),
            one_line(&reply),
        ),
        Outcome::Done(transfer) if transfer.code() / 100 == 2 => {
            probe.time(id.to_string(), transfer.opened_in);
            probe.mode.get_or_insert(mode);
            let lines = transfer
                .data
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .count();
            (
                Verdict::Ok,
                "LIST works".to_string(),
                format!(
                    "{lines} lines; {}",
                    one_line(transfer.replies.last().expect("one or more"))
                ),
            )
        }
        Outcome::Done(transfer) => (
            Verdict::Contradiction,
            format!("accepted, LIST ended {}", transfer.code()),
            one_line(transfer.replies.last().expect("one or more")),
        ),
    };
    probe.add(id, verdict, summary, detail);
    Ok(())
}

/// A refused mode the server claims: a contradiction for the extended
/// commands `FEAT` lists; for `PASV`/`PORT`, which are not advertised,
/// a policy (`500`/`502`) is only unsupported.
fn refusal_verdict(mode: DataCommand, reply: &ftp_core::Reply) -> Verdict {
    match (mode, reply.code.0) {
        (DataCommand::Epsv | DataCommand::Eprt, _) => Verdict::Contradiction,
        (_, 500 | 502) => Verdict::Unsupported,
        _ => Verdict::Warning,
    }
}

/// `PASV` alone: whether the `227` address is the control connection's
/// peer, and the form of the reply (RFC 1123 §4.1.2.6: a client cannot count
/// on the parentheses, nor on the words).
fn pasv_address(probe: &mut Probe) -> Result<(), Error> {
    let family = probe.family();
    let wire = probe.wire()?;
    let peer = wire.peer_addr().ip();
    let reply = wire.command("PASV")?;
    if reply.code.0 != 227 {
        return Ok(());
    }
    let advertised = addr::parse_pasv_reply(&reply.text())?;
    // The server now listens on that port; a new PASV or the next command
    // makes it give up, so nothing is left open.
    let (verdict, summary) = if IpAddr::V4(*advertised.ip()) == peer {
        (Verdict::Ok, "matches the control peer")
    } else {
        (Verdict::Warning, "differs from the control peer (NAT?)")
    };
    probe.add(
        format!("pasv-address.{family}"),
        verdict,
        summary,
        format!("227 names {advertised}, the control connection's peer is {peer}"),
    );
    let (verdict, summary) = pasv_form(&reply.text());
    probe.add(
        format!("pasv-reply.{family}"),
        verdict,
        summary,
        one_line(&reply),
    );
    Ok(())
}

/// How a `227` text differs from the usual `Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
pub fn pasv_form(text: &str) -> (Verdict, String) {
    let mut odd = Vec::new();
    if !text.contains('(') {
        odd.push("no parentheses");
    }
    if !text.contains(|c: char| c.is_ascii_uppercase()) {
        odd.push("all lower case");
    }
    if odd.is_empty() {
        (Verdict::Ok, "the usual form, in parentheses".to_string())
    } else {
        (Verdict::Warning, odd.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Features;
    use crate::probe::scripted::{finding, probe_of, Scripted, LOGIN};
    use ftp_core::Reply;

    fn pasv(reply: &str) -> Probe {
        let server = Scripted::start(&[LOGIN[0], LOGIN[1], LOGIN[2], reply]);
        let mut probe = probe_of(&server);
        pasv_address(&mut probe).expect("the check runs");
        probe.hang_up();
        assert_eq!(server.received(), ["USER u", "PASS p", "PASV"]);
        probe
    }

    #[test]
    fn a_227_with_a_foreign_address_is_flagged() {
        let probe = pasv("227 Entering Passive Mode (10,0,0,7,4,1).\r\n");
        let (verdict, summary) = finding(&probe, "pasv-address.ipv4");
        assert_eq!(
            (verdict, summary.as_str()),
            ("warning", "differs from the control peer (NAT?)")
        );
        assert_eq!(finding(&probe, "pasv-reply.ipv4").0, "ok");
        let probe = pasv("227 Entering Passive Mode (127,0,0,1,4,1).\r\n");
        assert_eq!(finding(&probe, "pasv-address.ipv4").0, "ok");
    }

    #[test]
    fn an_odd_227_text_is_flagged_and_still_understood() {
        let probe = pasv("227 entering passive mode 127,0,0,1,4,1\r\n");
        assert_eq!(finding(&probe, "pasv-address.ipv4").0, "ok");
        let (verdict, summary) = finding(&probe, "pasv-reply.ipv4");
        assert_eq!(
            (verdict, summary.as_str()),
            ("warning", "no parentheses, all lower case")
        );
    }

    fn epsv_refused(feat: &[&str]) -> (&'static str, String) {
        let server = Scripted::start(&[LOGIN[0], LOGIN[1], LOGIN[2], "500 Unknown command.\r\n"]);
        let mut probe = probe_of(&server);
        let lines = feat.iter().map(|line| line.to_string()).collect();
        probe.features = Features::from_reply(&Reply::multiline(211, lines));
        one_mode(&mut probe, DataCommand::Epsv, "data.ipv4.epsv").expect("the check runs");
        probe.hang_up();
        assert_eq!(server.received(), ["USER u", "PASS p", "EPSV"]);
        let (verdict, summary) = finding(&probe, "data.ipv4.epsv");
        (verdict, summary)
    }

    #[test]
    fn epsv_advertised_but_refused_is_a_contradiction() {
        let advertised = epsv_refused(&["Features:", " EPSV", "End"]);
        assert_eq!(advertised, ("CONTRADICTION", "refused: 500".to_string()));
        let not_advertised = epsv_refused(&["Features:", " PASV", "End"]);
        assert_eq!(not_advertised, ("unsupported", "refused: 500".to_string()));
    }
}
