//! The dialog's timing rules: `ABOR` with and without a transfer, whether
//! the `150` comes before the passive data connection is made, whether the
//! final reply comes after the data connection is closed, and whether the
//! server takes several commands sent at once (pipelining).
//!
//! `ABOR` is sent in-band, without the Telnet "Synch" (urgent data), which
//! the standard library cannot send; a server that looks for `ABOR` only
//! after an urgent signal reads it when the transfer has ended.

use std::time::Duration;

use ftp_core::{Error, Reply};

use super::data::{self, Pending};
use super::report::Verdict;
use super::wire::Wire;
use super::{one_line, Probe};
use ftp_core::protocol::data_setup::DataCommand;

/// The smallest file the `ABOR` check can interrupt: one bigger than what the
/// sockets between the two ends can hold.
const ABORTABLE: u64 = 16 << 20;

/// How soon after the final reply the end of the data connection must be
/// there for it to count as closed before the reply.
const CLOSED_WITHIN: Duration = Duration::from_millis(100);

/// `ABOR` with no transfer: `225` or `226`.
pub fn abort_idle(probe: &mut Probe) -> Result<(), Error> {
    let reply = probe.wire()?.command("ABOR")?;
    let verdict = if matches!(reply.code.0, 225 | 226) {
        Verdict::Ok
    } else {
        Verdict::Info
    };
    probe.add(
        "abort.idle",
        verdict,
        reply.code.to_string(),
        one_line(&reply),
    );
    Ok(())
}

/// `ABOR` during a `RETR` of the largest file, without reading the data: the
/// replies that follow (`426` then `226`, `226` alone, `225`...).
pub fn abort_transfer(probe: &mut Probe) -> Result<(), Error> {
    let (Some(mode), Some((path, size))) = (probe.mode, probe.files.largest.clone()) else {
        probe.add(
            "abort.transfer",
            Verdict::Unknown,
            "no file to download",
            "",
        );
        return Ok(());
    };
    let short = probe.settings.short_wait;
    let wire = probe.wire()?;
    wire.command("TYPE I")?;
    let Ok(pending) = data::setup(wire, mode)? else {
        return Ok(());
    };
    wire.send(&format!("RETR {path}"))?;
    let peer = wire.peer_addr().ip();
    let stream = pending.open(peer, wire.timeout())?;
    let first = wire.reply()?;
    if !first.code.is_preliminary() {
        probe.add(
            "abort.transfer",
            Verdict::Unknown,
            format!("RETR answered {}", first.code),
            one_line(&first),
        );
        return Ok(());
    }
    wire.send("ABOR")?;
    let mut codes = collect(wire, short)?;
    // A server that reads ABOR only between transfers is stuck writing:
    // closing the data connection ends its transfer.
    drop(stream);
    codes.extend(collect(wire, wire.timeout().min(Duration::from_secs(2)))?);
    let summary = describe(&codes);
    let verdict = if codes.is_empty() {
        Verdict::Warning
    } else {
        Verdict::Info
    };
    let mut detail: Vec<String> = codes.iter().map(one_line).collect();
    if size < ABORTABLE {
        detail.push(format!(
            "the file has {size} bytes: the transfer may have ended before ABOR"
        ));
    }
    probe.add("abort.transfer", verdict, summary, detail.join("\n"));
    probe.hang_up();
    Ok(())
}

/// The replies that arrive with no more than `wait` between them.
fn collect(wire: &mut Wire, wait: Duration) -> Result<Vec<Reply>, Error> {
    let mut replies = Vec::new();
    while let Some(reply) = wire.reply_within(wait)? {
        replies.push(reply);
    }
    Ok(replies)
}

/// `426 then 226`, `226 alone`, `none`, ...: the codes in order.
fn describe(replies: &[Reply]) -> String {
    let codes: Vec<String> = replies.iter().map(|reply| reply.code.to_string()).collect();
    match codes.as_slice() {
        [] => "no reply".to_string(),
        [one] => format!("{one} alone"),
        _ => codes.join(" then "),
    }
}

/// The start of the probes that watch a `LIST`'s replies and its data
/// connection: a passive setup, then `LIST`. `None` when no passive mode
/// works (the probe `name` is then reported unknown) or the server refused
/// the setup.
fn passive_list(probe: &mut Probe, name: &str) -> Result<Option<Pending>, Error> {
    let Some(mode @ (DataCommand::Epsv | DataCommand::Pasv)) = probe.mode else {
        probe.add(name, Verdict::Unknown, "no passive mode works", "");
        return Ok(None);
    };
    let wire = probe.wire()?;
    let Ok(pending @ Pending::Connect { .. }) = data::setup(wire, mode)? else {
        return Ok(None);
    };
    wire.send("LIST")?;
    Ok(Some(pending))
}

/// Passive mode: sends `LIST` without connecting and waits a moment for the
/// `150`; connects after it, or after the wait.
pub fn preliminary(probe: &mut Probe) -> Result<(), Error> {
    let Some(pending) = passive_list(probe, "preliminary")? else {
        return Ok(());
    };
    let short = probe.settings.short_wait;
    let wire = probe.wire()?;
    let early = wire.reply_within(short)?;
    let stream = pending.open(wire.peer_addr().ip(), wire.timeout())?;
    let (summary, first) = match early {
        Some(reply) => (format!("{} before the connection", reply.code), reply),
        None => {
            let reply = wire.reply()?;
            (format!("{} only after the connection", reply.code), reply)
        }
    };
    let mut stream = stream;
    data::receive(&mut stream)?;
    drop(stream);
    let last = wire.final_reply()?;
    let detail = format!(
        "{}; then {}",
        one_line(&first),
        last.iter().map(one_line).collect::<Vec<_>>().join("; ")
    );
    probe.add("preliminary", Verdict::Info, summary, detail);
    Ok(())
}

/// Passive mode: whether the final reply to a `LIST` comes once the data
/// connection is closed (RFC 959 §3.2 has the server close it, then reply)
/// or while it is still open, so that a client that stops at the reply may
/// miss data.
pub fn close_order(probe: &mut Probe) -> Result<(), Error> {
    let Some(pending) = passive_list(probe, "close-order")? else {
        return Ok(());
    };
    let short = probe.settings.short_wait;
    let wire = probe.wire()?;
    let mut stream = pending.open(wire.peer_addr().ip(), wire.timeout())?;
    let first = wire.reply()?;
    if !first.code.is_preliminary() {
        probe.add(
            "close-order",
            Verdict::Unknown,
            format!("LIST answered {}", first.code),
            one_line(&first),
        );
        return Ok(());
    }
    // The data is not read: a small listing is all sent by now.
    let Some(last) = wire.reply_within(short)? else {
        // Some servers (ProFTPD) wait for the client to close its end too.
        data::receive(&mut stream)?;
        drop(stream);
        let last = wire.final_reply()?;
        let detail = last.iter().map(one_line).collect::<Vec<_>>().join("; ");
        probe.add(
            "close-order",
            Verdict::Info,
            "final reply only once the client has read and closed",
            detail,
        );
        return Ok(());
    };
    // Closed before the reply: its end is here already.
    stream.set_read_timeout(Some(CLOSED_WITHIN))?;
    let closed = data::receive(&mut stream).is_ok();
    let (verdict, summary) = if closed {
        (
            Verdict::Ok,
            format!("{} after the data connection closed", last.code),
        )
    } else {
        (
            Verdict::Warning,
            format!("{} before the data connection closed", last.code),
        )
    };
    probe.add("close-order", verdict, summary, one_line(&last));
    Ok(())
}

/// `NOOP`, `SYST`, `PWD` in one write: three replies, in order.
pub fn pipelining(probe: &mut Probe) -> Result<(), Error> {
    let wire = probe.wire()?;
    wire.send_raw(b"NOOP\r\nSYST\r\nPWD\r\n")?;
    let mut replies = Vec::new();
    for _ in 0..3 {
        match wire.reply() {
            Ok(reply) => replies.push(reply),
            Err(Error::Timeout(_)) => break,
            Err(err) => return Err(err),
        }
    }
    let codes: Vec<u16> = replies.iter().map(|reply| reply.code.0).collect();
    let in_order = codes.len() == 3 && codes[0] == 200 && codes[1] == 215 && codes[2] == 257;
    let (verdict, summary) = if in_order {
        (Verdict::Ok, "three replies in order".to_string())
    } else {
        probe.hang_up();
        (
            Verdict::Warning,
            format!("{} replies: {codes:?}", codes.len()),
        )
    };
    probe.add(
        "pipelining",
        verdict,
        summary,
        replies.iter().map(one_line).collect::<Vec<_>>().join("\n"),
    );
    Ok(())
}
