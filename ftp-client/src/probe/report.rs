//! What the probe found: one [`Finding`] per check, and the two ways of
//! showing them, a table for people and JSON for scripts.
//!
//! A finding's `summary` is short and stable from run to run (no ports, no
//! times), so that reports on different servers can be compared side by
//! side; its `detail` holds the evidence (the replies, the addresses).
//! Timings are kept apart from the findings for the same reason.

use std::fmt::Write as _;
use std::time::Duration;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It works as advertised (or as the RFCs require).
    Ok,
    /// An observation, neither right nor wrong (a reply text, a choice the
    /// RFCs leave open).
    Info,
    /// The server does not offer it, and does not claim to.
    Unsupported,
    /// It works, but in a way that will trouble some clients.
    Warning,
    /// The probe could not tell (nothing to test it on, or not asked to).
    Unknown,
    /// The server advertised it (in `FEAT`, or by accepting the command), but
    /// it does not work: the probe's exit status is then 1.
    Contradiction,
    /// The server did not answer in time or hung up; the probe reconnected
    /// and went on.
    Failed,
}

impl Verdict {
    /// The word shown in the table and the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Info => "info",
            Verdict::Unsupported => "unsupported",
            Verdict::Warning => "warning",
            Verdict::Unknown => "unknown",
            Verdict::Contradiction => "CONTRADICTION",
            Verdict::Failed => "failed",
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// A stable identifier: `feat`, `data.ipv4.epsv`, `size.ascii`, ...
    pub id: String,
    /// How it came out.
    pub verdict: Verdict,
    /// A short, stable description: `426 then 226`, `empty 226`.
    pub summary: String,
    /// The evidence: replies, addresses, sizes.
    pub detail: String,
}

impl Finding {
    /// A finding with the given parts.
    pub fn new(
        id: impl Into<String>,
        verdict: Verdict,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Finding {
        Finding {
            id: id.into(),
            verdict,
            summary: summary.into(),
            detail: detail.into(),
        }
    }
}

/// Everything one probe run found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The server probed, as `host:port`.
    pub target: String,
    /// The findings, in the order the checks ran.
    pub findings: Vec<Finding>,
    /// How long each timed step took: `login`, `data.ipv4.pasv`, ...
    pub timings: Vec<(String, Duration)>,
}

impl Report {
    /// Adds a finding.
    pub fn add(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    /// Whether some feature was advertised but broken.
    pub fn has_contradiction(&self) -> bool {
        self.findings
            .iter()
            .any(|finding| finding.verdict == Verdict::Contradiction)
    }

    /// The finding with this identifier, if the probe made it.
    pub fn get(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|finding| finding.id == id)
    }

    /// The report as a table for people: one line per finding, the detail
    /// indented under it.
    pub fn to_table(&self) -> String {
        let width = self
            .findings
            .iter()
            .map(|finding| finding.id.len())
            .max()
            .unwrap_or(0);
        let mut out = format!("probe of {}\n\n", self.target);
        for finding in &self.findings {
            let _ = writeln!(
                out,
                "{:width$}  {:13}  {}",
                finding.id,
                finding.verdict.as_str(),
                finding.summary
            );
            for line in finding.detail.lines().filter(|line| !line.is_empty()) {
                let _ = writeln!(out, "{:width$}  {:13}    {line}", "", "");
            }
        }
        if !self.timings.is_empty() {
            out.push_str("\ntimings\n");
            for (what, took) in &self.timings {
                let _ = writeln!(out, "{what:width$}  {:>9.1} ms", millis(*took));
            }
        }
        let verdict = if self.has_contradiction() {
            "contradictions found: the server does not do what it advertises"
        } else {
            "no contradiction: every feature probed behaved as advertised"
        };
        let _ = writeln!(out, "\n{verdict}");
        out
    }

    /// The report as JSON: one object, each finding and timing on a line of
    /// its own so that line-oriented tools can pick them out.
    pub fn to_json(&self) -> String {
        let mut out = format!("{{\"target\": {},\n \"findings\": [\n", quote(&self.target));
        for (index, finding) in self.findings.iter().enumerate() {
            let comma = if index + 1 < self.findings.len() {
                ","
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {{\"id\": {}, \"verdict\": {}, \"summary\": {}, \"detail\": {}}}{comma}",
                quote(&finding.id),
                quote(finding.verdict.as_str()),
                quote(&finding.summary),
                quote(&finding.detail)
            );
        }
        out.push_str(" ],\n \"timings_ms\": {\n");
        for (index, (what, took)) in self.timings.iter().enumerate() {
            let comma = if index + 1 < self.timings.len() {
                ","
            } else {
                ""
            };
            let _ = writeln!(out, "  {}: {:.1}{comma}", quote(what), millis(*took));
        }
        let _ = writeln!(
            out,
            " }},\n \"contradiction\": {}\n}}",
            self.has_contradiction()
        );
        out
    }
}

/// A duration in milliseconds, with fractions.
fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// `text` as a JSON string: quotes, backslashes and control characters escaped.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        let mut report = Report {
            target: "127.0.0.1:21".into(),
            ..Report::default()
        };
        report.add(Finding::new(
            "mlsd",
            Verdict::Ok,
            "works",
            "facts: type;size",
        ));
        report.add(Finding::new(
            "size",
            Verdict::Contradiction,
            "advertised, refused",
            "550 \"x\"\n",
        ));
        report
            .timings
            .push(("login".into(), Duration::from_micros(1500)));
        report
    }

    #[test]
    fn json_escapes_and_keeps_one_finding_per_line() {
        let json = sample().to_json();
        assert!(json.contains(
            "  {\"id\": \"size\", \"verdict\": \"CONTRADICTION\", \"summary\": \
             \"advertised, refused\", \"detail\": \"550 \\\"x\\\"\\n\"}\n"
        ));
        assert!(json.contains("\"login\": 1.5\n"));
        assert!(json.contains("\"contradiction\": true"));
        assert_eq!(quote("a\u{1b}b"), "\"a\\u001bb\"");
    }

    #[test]
    fn the_table_names_each_check_and_the_verdict() {
        let table = sample().to_table();
        assert!(table.contains("mlsd  ok             works\n"));
        assert!(table.contains("                       facts: type;size\n"));
        assert!(
            table.ends_with("contradictions found: the server does not do what it advertises\n")
        );
        assert!(sample().has_contradiction());
    }
}
