//! The control connection alone: `SYST`, `FEAT`, `HELP`, which commands the
//! server does not know (`500`) or does not implement (`502`), `OPTS UTF8`
//! and `HOST`.

use ftp_core::Error;

use super::report::Verdict;
use super::{one_line, Probe, Wire};
use crate::client::Features;

/// Commands asked about, each harmless: it changes nothing on the server
/// and leaves the session as it was. `XYZZY` is a command no server knows.
const HARMLESS: &[&str] = &[
    "ALLO 0",
    "MODE S",
    "STRU F",
    "ACCT probe",
    "SMNT /",
    "NOOP",
    "XPWD",
    "SITE HELP",
    "MLST",
    "MDTM",
    "SIZE",
    "MFMT",
    "AVBL",
    "CLNT ftp-client-probe",
    "LANG",
    "XYZZY",
];

/// `SYST`.
pub fn syst(probe: &mut Probe) -> Result<(), Error> {
    let reply = probe.wire()?.command("SYST")?;
    let verdict = if reply.code.0 == 215 {
        Verdict::Info
    } else {
        Verdict::Unsupported
    };
    probe.add("syst", verdict, reply.code.to_string(), one_line(&reply));
    Ok(())
}

/// `FEAT`: the features as the server lists them.
pub fn feat(probe: &mut Probe) -> Result<(), Error> {
    let reply = probe.wire()?.command("FEAT")?;
    if reply.code.0 != 211 {
        probe.add(
            "feat",
            Verdict::Unsupported,
            reply.code.to_string(),
            one_line(&reply),
        );
        return Ok(());
    }
    let features = Features::from_reply(&reply);
    let names: Vec<&str> = features
        .lines()
        .iter()
        .map(|line| line.split(' ').next().unwrap_or(line))
        .collect();
    probe.add(
        "feat",
        Verdict::Info,
        names.join(" "),
        features.lines().join("\n"),
    );
    probe.features = features;
    Ok(())
}

/// `HELP`: whether it answers, and how many lines.
pub fn help(probe: &mut Probe) -> Result<(), Error> {
    let reply = probe.wire()?.command("HELP")?;
    let verdict = if reply.code.is_completion() {
        Verdict::Info
    } else {
        Verdict::Unsupported
    };
    let summary = format!("{} ({} lines)", reply.code, reply.lines.len());
    probe.add("help", verdict, summary, reply.lines.join("\n"));
    Ok(())
}

/// Which of a list of harmless commands the server answers with `500` or `502`.
pub fn commands(probe: &mut Probe) -> Result<(), Error> {
    let wire = probe.wire()?;
    let (mut unknown, mut unimplemented, mut detail) = (Vec::new(), Vec::new(), Vec::new());
    for line in HARMLESS {
        let replies = wire.exchange(line)?;
        let reply = replies.last().expect("exchange returns one or more");
        let verb = line.split(' ').next().unwrap_or(line);
        match reply.code.0 {
            500 => unknown.push(verb),
            502 => unimplemented.push(verb),
            _ => {}
        }
        detail.push(format!("{line} -> {}", one_line(reply)));
    }
    let list = |verbs: &[&str]| {
        if verbs.is_empty() {
            "-".to_string()
        } else {
            verbs.join(" ")
        }
    };
    let summary = format!("500: {}; 502: {}", list(&unknown), list(&unimplemented));
    probe.add("commands", Verdict::Info, summary, detail.join("\n"));
    Ok(())
}

/// `OPTS UTF8 ON`: `UTF8` in `FEAT` (RFC 2640) and the answer to the
/// command many clients send. RFC 2640 does not define the command, so a
/// refusal is a warning; the write tests try a UTF-8 name for real.
pub fn utf8(probe: &mut Probe) -> Result<(), Error> {
    let advertised = probe.features.has("UTF8");
    let reply = probe.wire()?.command("OPTS UTF8 ON")?;
    let accepted = reply.code.is_completion();
    let verdict = match (advertised, accepted) {
        (true, false) => Verdict::Warning,
        (_, true) => Verdict::Ok,
        (false, false) => Verdict::Unsupported,
    };
    let summary = format!(
        "{}, OPTS UTF8 ON: {}",
        if advertised {
            "advertised"
        } else {
            "not advertised"
        },
        reply.code
    );
    probe.add("utf8", verdict, summary, one_line(&reply));
    Ok(())
}

/// `HOST` (RFC 7151) on a connection of its own, before logging in, naming
/// the host as the URL does (an IPv6 address in brackets).
pub fn host(probe: &mut Probe) -> Result<(), Error> {
    let advertised = probe.features.has("HOST");
    let (mut wire, _) = Wire::connect(probe.addr, probe.settings.timeout)?;
    let name = match probe.settings.host.parse::<std::net::Ipv6Addr>() {
        Ok(v6) => format!("[{v6}]"),
        Err(_) => probe.settings.host.clone(),
    };
    let reply = wire.command(&format!("HOST {name}"))?;
    let _ = wire.send("QUIT");
    let verdict = match (advertised, reply.code.class()) {
        (_, 2) => Verdict::Ok,
        (true, _) => Verdict::Contradiction,
        (false, _) => Verdict::Unsupported,
    };
    let summary = format!(
        "{}, HOST {}: {}",
        if advertised {
            "advertised"
        } else {
            "not advertised"
        },
        if name.starts_with('[') {
            "[v6]"
        } else {
            "name"
        },
        reply.code
    );
    probe.add("host", verdict, summary, one_line(&reply));
    Ok(())
}
