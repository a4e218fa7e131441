//! How replies come over the wire, beyond their codes and texts: whether a
//! multi-line reply ends with the code it began with (RFC 959 §4.2),
//! whether its middle lines start with digits, whether a reply comes whole
//! or a few bytes at a time, and how long a `NOOP` takes to be answered.
//!
//! [`replies`] looks at the greeting, `FEAT`, `HELP` and three `NOOP`s on a
//! connection of its own, before logging in; [`judge`] turns what it saw
//! into findings, and is tested on canned replies. It does not look at the
//! replies of the other checks.

use std::time::Duration;

use ftp_core::{Error, Reply};

use super::report::{Finding, Verdict};
use super::wire::{Form, Wire};
use super::Probe;

/// A `NOOP` answered later than this is slow: on any network a person
/// would probe, a server answers sooner.
pub const SLOW: Duration = Duration::from_millis(100);

/// The commands sent, each answered without a login.
const COMMANDS: &[&str] = &["FEAT", "HELP", "NOOP", "NOOP", "NOOP"];

/// A reply as it came: what was sent for it, the reply, its form.
pub type Seen = (String, Reply, Form);

/// The greeting and the replies to `FEAT`, `HELP` and three `NOOP`s, judged.
pub fn replies(probe: &mut Probe) -> Result<(), Error> {
    let (mut wire, greeting) = Wire::connect(probe.addr, probe.settings.timeout)?;
    let mut seen = vec![("greeting".to_string(), greeting, wire.form())];
    for line in COMMANDS {
        let reply = wire.command(line)?;
        seen.push((line.to_string(), reply, wire.form()));
    }
    let _ = wire.send("QUIT");
    for finding in judge(&seen) {
        probe.report.add(finding);
    }
    Ok(())
}

/// The findings `replies.last-code`, `replies.middle-lines`,
/// `replies.pieces` and `replies.speed` for the replies `seen`.
pub fn judge(seen: &[Seen]) -> Vec<Finding> {
    let mismatched: Vec<String> = seen
        .iter()
        .filter(|(_, reply, form)| form.lines > 1 && form.first_code != reply.code.0)
        .map(|(what, reply, form)| format!("{what}: {}- ... {}", form.first_code, reply.code))
        .collect();
    let digits: Vec<String> = seen
        .iter()
        .flat_map(|(what, reply, _)| {
            let middle = match reply.lines.as_slice() {
                [_, middle @ .., _] => middle,
                _ => &[],
            };
            middle
                .iter()
                .filter(|line| line.starts_with(|c: char| c.is_ascii_digit()))
                .map(move |line| format!("{what}: {line}"))
        })
        .collect();
    let lines: usize = seen.iter().map(|(_, _, form)| form.lines).sum();
    let reads: usize = seen.iter().map(|(_, _, form)| form.reads).sum();
    let noop = seen
        .iter()
        .filter(|(what, _, _)| what == "NOOP")
        .map(|(_, _, form)| form.took)
        .min()
        .unwrap_or_default();
    let pick = |id: &str, problems: &[String], bad: &str, good: &str| {
        if problems.is_empty() {
            Finding::new(id, Verdict::Ok, good, "")
        } else {
            Finding::new(id, Verdict::Warning, bad, problems.join("\n"))
        }
    };
    let last = pick(
        "replies.last-code",
        &mismatched,
        "the last line's code differs from the first's",
        "multi-line replies end with their code",
    );
    let middle = pick(
        "replies.middle-lines",
        &digits,
        "middle lines start with digits",
        "no middle line starts with a digit",
    );
    let (verdict, summary) = if reads > lines {
        (Verdict::Warning, "replies come in pieces")
    } else {
        (Verdict::Ok, "each reply comes whole")
    };
    let pieces = Finding::new(
        "replies.pieces",
        verdict,
        summary,
        format!("{lines} lines in {reads} reads"),
    );
    let (verdict, summary) = if noop > SLOW {
        (
            Verdict::Warning,
            format!("NOOP answered in over {} ms", SLOW.as_millis()),
        )
    } else {
        (
            Verdict::Ok,
            format!("NOOP answered within {} ms", SLOW.as_millis()),
        )
    };
    let speed = Finding::new(
        "replies.speed",
        verdict,
        summary,
        format!("the fastest of three NOOPs: {} ms", noop.as_millis()),
    );
    vec![last, middle, pieces, speed]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::scripted::{Scripted, PIECE};

    /// Connects to a server sending `greeting`, then `replies` to FEAT, HELP
    /// and three NOOPs: the findings.
    fn judged(greeting: &str, answers: [&str; 5]) -> Vec<(String, &'static str, String)> {
        let mut script = vec![greeting];
        script.extend(answers);
        let server = Scripted::start(&script);
        let mut probe = crate::probe::scripted::probe_of(&server);
        replies(&mut probe).expect("the check runs");
        assert_eq!(server.received(), ["FEAT", "HELP", "NOOP", "NOOP", "NOOP"]);
        probe
            .report
            .findings
            .iter()
            .map(|f| (f.id.clone(), f.verdict.as_str(), f.summary.clone()))
            .collect()
    }

    const FEAT: &str = "211-Features:\r\n EPSV\r\n211 End\r\n";
    const HELP: &str = "214-Commands:\r\n USER PASS\r\n214 OK\r\n";
    const NOOP: &str = "200 OK\r\n";

    #[test]
    fn well_formed_replies_are_ok() {
        let found = judged("220 Hello\r\n", [FEAT, HELP, NOOP, NOOP, NOOP]);
        assert!(
            found.iter().all(|(_, verdict, _)| *verdict == "ok"),
            "{found:?}"
        );
    }

    #[test]
    fn a_last_line_with_another_code_is_flagged() {
        let found = judged("220-Hello\r\n221 there\r\n", [FEAT, HELP, NOOP, NOOP, NOOP]);
        assert_eq!(
            found[0],
            (
                "replies.last-code".to_string(),
                "warning",
                "the last line's code differs from the first's".to_string()
            )
        );
        assert_eq!(found[1].1, "ok", "{found:?}");
    }

    #[test]
    fn middle_lines_with_digits_are_flagged() {
        let feat = "211-Features:\r\n211-more\r\n EPSV\r\n211 End\r\n";
        let found = judged("220 Hello\r\n", [feat, HELP, NOOP, NOOP, NOOP]);
        assert_eq!(found[0].1, "ok", "{found:?}");
        assert_eq!(found[1].1, "warning", "{found:?}");
    }

    #[test]
    fn replies_in_pieces_are_flagged() {
        // A byte at a time.
        let split: String = "200 OK\r\n".chars().flat_map(|c| [c, PIECE]).collect();
        let found = judged("220 Hello\r\n", [FEAT, HELP, &split, &split, &split]);
        assert_eq!(found[2].1, "warning", "{found:?}");
        assert_eq!(found[2].2, "replies come in pieces");
    }

    #[test]
    fn a_slow_noop_is_flagged() {
        let reply = |took_ms: u64| {
            let form = Form {
                first_code: 200,
                lines: 1,
                reads: 1,
                took: Duration::from_millis(took_ms),
            };
            ("NOOP".to_string(), Reply::new(200, "OK"), form)
        };
        let speed = |seen: &[Seen]| judge(seen)[3].summary.clone();
        assert_eq!(
            speed(&[reply(5), reply(300)]),
            "NOOP answered within 100 ms"
        );
        assert_eq!(
            speed(&[reply(150), reply(300)]),
            "NOOP answered in over 100 ms"
        );
    }
}
