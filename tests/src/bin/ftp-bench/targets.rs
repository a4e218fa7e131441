//! The project's performance targets, judged on the medians of a run.
//!
//! Each target compares one of ftp-server's medians either with another
//! median times a factor (RETR against the raw copy and pyftpdlib, STOR and
//! small files against vsftpd, logins against pyftpdlib, the client program
//! against curl) or with a fixed limit (memory per idle session, binary
//! sizes). A target whose figures were not measured (a peer is missing) says
//! so instead of passing.
//!
//! It reads the results; it does not measure or print tables.

use std::fmt;

use ftp_client::client::DataMode;

use crate::metrics::{Build, Metric};
use crate::options::Sizes;
use crate::report::{Results, OURS, SOLE};
use crate::stats::{Figure, Summary, Unit};

/// The most PSS an idle logged-in session may cost, in KiB.
pub const IDLE_SESSION_KIB: f64 = 64.0;

/// The largest a stripped binary may be, in KiB.
const BINARY_KIB: f64 = 1024.0;

/// One figure of a run: a metric in a column.
type Figured = (Metric, &'static str);

/// A target and how the run fared.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The target, e.g. `STOR ≥ 1.1× vsftpd`.
    pub target: String,
    /// Met, missed or not measured, with the figures.
    pub outcome: Outcome,
}

/// Whether a target was met.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Met; the figures that show it.
    Met(String),
    /// Missed; the figures that show it.
    Missed(String),
    /// A figure it needs was not measured.
    Unmeasured,
}

impl Verdict {
    /// Whether the target was missed (an unmeasured one is not).
    pub fn missed(&self) -> bool {
        matches!(self.outcome, Outcome::Missed(_))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::Met(detail) => write!(f, "- met: {} — {detail}", self.target),
            Outcome::Missed(detail) => write!(f, "- MISSED: {} — {detail}", self.target),
            Outcome::Unmeasured => write!(f, "- not measured: {}", self.target),
        }
    }
}

/// Every target that `results` has figures for, or says what is missing.
pub fn evaluate(results: &Results, sizes: &Sizes) -> Vec<Verdict> {
    let (passive, active) = (DataMode::Passive, DataMode::Active);
    let raw = (Metric::RawCopy(crate::workloads::Source::File), SOLE);
    let mut verdicts = Vec::new();
    for mode in [passive, active] {
        let retr = (Metric::Retr(mode), OURS);
        verdicts.push(relative(results, retr, raw, 0.9, "the raw TCP copy"));
        let python = (Metric::Retr(mode), "pyftpdlib");
        verdicts.push(relative(results, retr, python, 1.0, "pyftpdlib"));
    }
    let stor = Metric::Stor;
    verdicts.push(relative(
        results,
        (stor, OURS),
        (stor, "vsftpd"),
        1.1,
        "vsftpd",
    ));
    for mode in [passive, active] {
        let small = Metric::SmallFiles(mode);
        verdicts.push(relative(
            results,
            (small, OURS),
            (small, "vsftpd"),
            1.5,
            "vsftpd",
        ));
    }
    let logins = Metric::Logins;
    verdicts.push(relative(
        results,
        (logins, OURS),
        (logins, "pyftpdlib"),
        1.0,
        "pyftpdlib",
    ));
    verdicts.extend(memory(results, sizes));
    let client = (Metric::Download("ftp-client"), SOLE);
    verdicts.push(relative(
        results,
        client,
        (Metric::Download("curl"), SOLE),
        1.0,
        "curl",
    ));
    for program in ["ftp-server", "ftp-client"] {
        verdicts.push(at_most(
            results,
            (Metric::BinarySize(program, Build::Default), SOLE),
            BINARY_KIB,
        ));
    }
    verdicts
}

/// The memory targets alone: ftp-server's PSS per idle session, at each count.
pub fn memory(results: &Results, sizes: &Sizes) -> Vec<Verdict> {
    sizes
        .idle
        .iter()
        .map(|&count| {
            at_most(
                results,
                (Metric::IdleSessions(count), OURS),
                IDLE_SESSION_KIB,
            )
        })
        .collect()
}

/// Ours compared with `factor` times a reference figure, in the direction the
/// unit calls better.
fn relative(
    results: &Results,
    ours: Figured,
    reference: Figured,
    factor: f64,
    name: &str,
) -> Verdict {
    let (metric, unit) = (ours.0, ours.0.unit());
    let relation = if unit.higher_is_better() {
        "≥"
    } else {
        "≤"
    };
    let target = format!("{} {relation} {factor}× {name}", short_name(metric));
    if let Some(verdict) = failed(results, ours, &target) {
        return verdict;
    }
    let figures = (
        results.summary(ours.0, ours.1),
        results.summary(reference.0, reference.1),
    );
    let (Some(mine), Some(theirs)) = figures else {
        return unmeasured(target);
    };
    let ratio = mine.median / theirs.median;
    let detail = format!(
        "{:.2}× ({} vs {} {})",
        ratio,
        Figure(mine.median),
        Figure(theirs.median),
        unit_name(unit)
    );
    let met = if unit.higher_is_better() {
        ratio >= factor
    } else {
        ratio <= factor
    };
    judged(target, met, detail)
}

/// Ours no larger than `limit`.
fn at_most(results: &Results, ours: Figured, limit: f64) -> Verdict {
    let unit = unit_name(ours.0.unit());
    let target = format!("{} ≤ {} {unit}", short_name(ours.0), Figure(limit));
    if let Some(verdict) = failed(results, ours, &target) {
        return verdict;
    }
    match results.summary(ours.0, ours.1) {
        Some(Summary { median, max, .. }) => {
            let detail = format!("median {} {unit}, worst {}", Figure(median), Figure(max));
            judged(target, median <= limit, detail)
        }
        None => unmeasured(target),
    }
}

/// A missed verdict when some attempt at our figure failed.
fn failed(results: &Results, ours: Figured, target: &str) -> Option<Verdict> {
    let failures = results.failures(ours.0, ours.1);
    let first = failures.first()?;
    let detail = format!("{} attempt(s) failed, first: {first}", failures.len());
    Some(judged(target.to_string(), false, detail))
}

/// A verdict with its figures.
fn judged(target: String, met: bool, detail: String) -> Verdict {
    let outcome = if met {
        Outcome::Met(detail)
    } else {
        Outcome::Missed(detail)
    };
    Verdict { target, outcome }
}

/// A verdict for a target whose figures are missing.
fn unmeasured(target: String) -> Verdict {
    Verdict {
        target,
        outcome: Outcome::Unmeasured,
    }
}

/// How a target names a metric: short, without sizes.
fn short_name(metric: Metric) -> String {
    match metric {
        Metric::RawCopy(_) => "raw TCP copy".into(),
        Metric::Retr(mode) => format!("RETR {mode}"),
        Metric::Stor => "STOR".into(),
        Metric::SmallFiles(mode) => format!("small files {mode}"),
        Metric::Logins => "concurrent logins (time)".into(),
        Metric::IdleSessions(count) => format!("PSS per idle session ({count} open)"),
        Metric::IdleAfterDownload(count) => {
            format!("PSS per session idle after a download ({count} open)")
        }
        Metric::Parallel => "concurrent downloads".into(),
        Metric::BinarySize(program, Build::Default) => format!("{program} stripped size"),
        Metric::BinarySize(program, Build::Tls) => format!("{program} (tls) stripped size"),
        Metric::Download(program) => format!("{program} download"),
        Metric::Listing(command) => format!("{command} listings"),
        Metric::Descriptors(count) => format!("descriptors per idle session ({count} open)"),
        Metric::SessionsHeld => "sessions under the descriptor limit".into(),
        Metric::LoginUnderLoad => "login under load (time)".into(),
        Metric::Ftps(ftps) => format!("FTPS {}", short_name(ftps.clear())),
    }
}

/// A unit without its better-direction arrow.
fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::MibPerSec => "MiB/s",
        Unit::FilesPerSec => "files/s",
        Unit::ListingsPerSec => "listings/s",
        Unit::Millis => "ms",
        Unit::KibPerSession => "KiB",
        Unit::Kib => "KiB",
        Unit::DescriptorsPerSession => "descriptors",
        Unit::Sessions => "sessions",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_must_reach_the_factor() {
        let mut results = Results::default();
        results.add(Metric::Stor, OURS, 1000.0);
        results.add(Metric::Stor, "vsftpd", 950.0);
        let verdict = relative(
            &results,
            (Metric::Stor, OURS),
            (Metric::Stor, "vsftpd"),
            1.1,
            "vsftpd",
        );
        assert_eq!(
            verdict.to_string(),
            "- MISSED: STOR ≥ 1.1× vsftpd — 1.05× (1000 vs 950 MiB/s)"
        );
        results.add(Metric::Stor, OURS, 1100.0);
        results.add(Metric::Stor, OURS, 1100.0);
        let verdict = relative(
            &results,
            (Metric::Stor, OURS),
            (Metric::Stor, "vsftpd"),
            1.1,
            "vsftpd",
        );
        assert!(!verdict.missed(), "{verdict}");
    }

    #[test]
    fn times_must_stay_below_the_factor() {
        let mut results = Results::default();
        results.add(Metric::Logins, OURS, 40.0);
        results.add(Metric::Logins, "pyftpdlib", 50.0);
        let verdict = relative(
            &results,
            (Metric::Logins, OURS),
            (Metric::Logins, "pyftpdlib"),
            1.0,
            "pyftpdlib",
        );
        assert_eq!(
            verdict.to_string(),
            "- met: concurrent logins (time) ≤ 1× pyftpdlib — 0.80× (40.0 vs 50.0 ms)"
        );
    }

    #[test]
    fn limits_are_judged_on_the_median() {
        let mut results = Results::default();
        for sample in [60.0, 63.0, 90.0] {
            results.add(Metric::IdleSessions(50), OURS, sample);
        }
        let sizes = Sizes {
            idle: [50, 500],
            ..Sizes::FULL
        };
        let verdicts = memory(&results, &sizes);
        assert_eq!(
            verdicts[0].to_string(),
            "- met: PSS per idle session (50 open) ≤ 64.0 KiB — median 63.0 KiB, worst 90.0"
        );
        assert_eq!(verdicts[1].outcome, Outcome::Unmeasured);
        assert!(!verdicts[1].missed());
    }

    #[test]
    fn a_failed_attempt_of_ours_misses_the_target() {
        let mut results = Results::default();
        results.add(Metric::Logins, OURS, 4.0);
        results.fail(Metric::Logins, OURS, "timed out".into());
        results.add(Metric::Logins, "pyftpdlib", 50.0);
        let verdict = relative(
            &results,
            (Metric::Logins, OURS),
            (Metric::Logins, "pyftpdlib"),
            1.0,
            "pyftpdlib",
        );
        assert_eq!(
            verdict.to_string(),
            "- MISSED: concurrent logins (time) ≤ 1× pyftpdlib — 1 attempt(s) failed, first: timed out"
        );
    }

    #[test]
    fn a_missing_peer_leaves_its_targets_unmeasured() {
        let mut results = Results::default();
        results.add(Metric::Retr(DataMode::Passive), OURS, 3000.0);
        let verdicts = evaluate(&results, &Sizes::FULL);
        assert!(verdicts.iter().all(|verdict| !verdict.missed()));
        let measured = verdicts
            .iter()
            .filter(|verdict| verdict.outcome != Outcome::Unmeasured)
            .count();
        assert_eq!(measured, 0);
    }
}
