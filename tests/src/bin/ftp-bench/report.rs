//! The samples of a whole run and their tables (Markdown, ready for
//! `docs/performance.md`).
//!
//! [`Results`] keeps every sample under its metric and column (a server's
//! name, or [`SOLE`] for rows that describe one thing). [`Tables`] shows the
//! per-server rows side by side with the ratio ours/peer, and the other rows
//! (ceiling, binary sizes, client programs) with their one figure each.
//!
//! It does not judge the figures against the targets (see `targets`).

use std::fmt;

use crate::metrics::Metric;
use crate::options::Sizes;
use crate::stats::Summary;

/// The column of rows that have only one (the raw copy, sizes, programs).
pub const SOLE: &str = "";

/// The server whose figures are divided by the others'.
pub const OURS: &str = "ftp-server";

/// Every sample taken, by metric and column, in the order first seen.
#[derive(Debug, Default)]
pub struct Results {
    rows: Vec<Row>,
}

/// The samples of one metric.
#[derive(Debug)]
struct Row {
    metric: Metric,
    columns: Vec<Column>,
}

/// The samples of one metric in one column, and the attempts that failed.
#[derive(Debug)]
struct Column {
    name: String,
    samples: Vec<f64>,
    failures: Vec<String>,
}

impl Column {
    /// The summary of the samples, if any was taken.
    fn summary(&self) -> Option<Summary> {
        Summary::of(&self.samples)
    }
}

impl Results {
    /// Records one sample.
    pub fn add(&mut self, metric: Metric, column: &str, sample: f64) {
        self.column_mut(metric, column).samples.push(sample);
    }

    /// Records an attempt that failed, with the reason.
    pub fn fail(&mut self, metric: Metric, column: &str, reason: String) {
        self.column_mut(metric, column).failures.push(reason);
    }

    /// The summary of one metric's samples in one column, if any were taken.
    pub fn summary(&self, metric: Metric, column: &str) -> Option<Summary> {
        self.column(metric, column)?.summary()
    }

    /// The reasons the attempts of one metric in one column failed.
    pub fn failures(&self, metric: Metric, column: &str) -> &[String] {
        self.column(metric, column)
            .map_or(&[], |column| column.failures.as_slice())
    }

    /// The metrics measured, in the order first seen.
    fn metrics(&self) -> impl Iterator<Item = Metric> + '_ {
        self.rows.iter().map(|row| row.metric)
    }

    /// One metric's column, if anything was recorded in it.
    fn column(&self, metric: Metric, name: &str) -> Option<&Column> {
        let row = self.rows.iter().find(|row| row.metric == metric)?;
        row.columns.iter().find(|column| column.name == name)
    }

    /// One metric's column, made empty if it is new.
    fn column_mut(&mut self, metric: Metric, name: &str) -> &mut Column {
        let row = match self.rows.iter().position(|row| row.metric == metric) {
            Some(index) => &mut self.rows[index],
            None => {
                self.rows.push(Row {
                    metric,
                    columns: Vec::new(),
                });
                let last = self.rows.len() - 1;
                &mut self.rows[last]
            }
        };
        match row.columns.iter().position(|column| column.name == name) {
            Some(index) => &mut row.columns[index],
            None => {
                row.columns.push(Column {
                    name: name.to_string(),
                    samples: Vec::new(),
                    failures: Vec::new(),
                });
                let last = row.columns.len() - 1;
                &mut row.columns[last]
            }
        }
    }
}

/// The two tables of a run: servers side by side, then everything else.
#[derive(Debug)]
pub struct Tables<'a> {
    /// The samples.
    pub results: &'a Results,
    /// The servers' names, ours first.
    pub servers: &'a [&'a str],
    /// The sizes the run used, for the labels.
    pub sizes: &'a Sizes,
}

impl Tables<'_> {
    /// The header and the rows comparing the servers.
    fn servers_table(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let peers = self.servers.iter().filter(|&&name| name != OURS);
        write!(f, "| measure | unit |")?;
        for server in self.servers {
            write!(f, " {server} |")?;
        }
        for peer in peers.clone() {
            write!(f, " ours / {peer} |")?;
        }
        writeln!(f)?;
        writeln!(f, "|---|---|{}", "---:|".repeat(self.servers.len() * 2 - 1))?;
        for metric in self.results.metrics().filter(|m| m.is_per_server()) {
            write!(f, "| {} | {} |", metric.label(self.sizes), metric.unit())?;
            for server in self.servers {
                write!(f, " {} |", Cell(self.results.column(metric, server)))?;
            }
            let ours = self.results.summary(metric, OURS);
            for peer in peers.clone() {
                let ratio = Ratio(ours, self.results.summary(metric, peer));
                write!(f, " {ratio} |")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }

    /// The first reason each failing column failed, if any did.
    fn failures(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for row in &self.results.rows {
            for column in &row.columns {
                if let Some(reason) = column.failures.first() {
                    let label = row.metric.label(self.sizes);
                    let who = if column.name.is_empty() { "" } else { " on " };
                    writeln!(f, "\nFailed: {label}{who}{}: {reason}", column.name)?;
                }
            }
        }
        Ok(())
    }

    /// The rows that describe one thing each.
    fn other_table(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.results.metrics().all(|metric| metric.is_per_server()) {
            return Ok(());
        }
        writeln!(f, "\n| measure | unit | median (min–max) |")?;
        writeln!(f, "|---|---|---:|")?;
        for metric in self.results.metrics().filter(|m| !m.is_per_server()) {
            let cell = Cell(self.results.column(metric, SOLE));
            let (label, unit) = (metric.label(self.sizes), metric.unit());
            writeln!(f, "| {label} | {unit} | {cell} |")?;
        }
        Ok(())
    }
}

impl fmt::Display for Tables<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.servers_table(f)?;
        self.other_table(f)?;
        self.failures(f)
    }
}

/// A table cell: median (min–max) and how many attempts failed, or a dash
/// when nothing was measured.
struct Cell<'a>(Option<&'a Column>);

impl fmt::Display for Cell<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(column) = self.0 else {
            return f.write_str("—");
        };
        let failed = column.failures.len();
        match (column.summary(), failed) {
            (Some(summary), 0) => write!(f, "{summary}"),
            (Some(summary), _) => write!(f, "{summary}, {failed} failed"),
            (None, _) => write!(f, "{failed} failed"),
        }
    }
}

/// The ratio of two medians, e.g. `1.23×`, or a dash.
struct Ratio(Option<Summary>, Option<Summary>);

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (Some(ours), Some(peer)) if peer.median != 0.0 => {
                write!(f, "{:.2}×", ours.median / peer.median)
            }
            _ => f.write_str("—"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftp_client::client::DataMode;

    fn sample_results() -> Results {
        let mut results = Results::default();
        let retr = Metric::Retr(DataMode::Passive);
        for (column, sample) in [
            (OURS, 300.0),
            ("vsftpd", 150.0),
            (OURS, 310.0),
            (OURS, 290.0),
        ] {
            results.add(retr, column, sample);
        }
        results.add(
            Metric::BinarySize("ftp-client", crate::metrics::Build::Default),
            SOLE,
            900.0,
        );
        results
    }

    #[test]
    fn samples_are_kept_by_metric_and_column() {
        let results = sample_results();
        let ours = results
            .summary(Metric::Retr(DataMode::Passive), OURS)
            .expect("measured");
        assert_eq!((ours.median, ours.min, ours.max), (300.0, 290.0, 310.0));
        assert_eq!(results.summary(Metric::Stor, OURS), None);
        assert_eq!(
            results.summary(Metric::Retr(DataMode::Passive), "pyftpdlib"),
            None
        );
    }

    #[test]
    fn failed_attempts_are_counted_and_their_first_reason_shown() {
        let mut results = sample_results();
        let stor = Metric::Stor;
        results.fail(stor, "vsftpd", "timed out".into());
        results.fail(stor, "vsftpd", "refused".into());
        results.add(stor, OURS, 100.0);
        results.fail(stor, OURS, "reset".into());
        assert_eq!(results.failures(stor, "vsftpd").len(), 2);
        assert_eq!(results.summary(stor, "vsftpd"), None);
        let tables = Tables {
            results: &results,
            servers: &[OURS, "vsftpd"],
            sizes: &Sizes::QUICK,
        };
        let text = tables.to_string();
        assert!(
            text.contains("| (c) STOR 64 MiB | MiB/s ↑ | 100, 1 failed | 2 failed | — |\n"),
            "{text}"
        );
        assert!(
            text.contains("\nFailed: (c) STOR 64 MiB on vsftpd: timed out\n"),
            "{text}"
        );
    }

    #[test]
    fn tables_show_medians_spreads_ratios_and_dashes() {
        let results = sample_results();
        let tables = Tables {
            results: &results,
            servers: &[OURS, "vsftpd", "pyftpdlib"],
            sizes: &Sizes::QUICK,
        };
        let expected = "\
| measure | unit | ftp-server | vsftpd | pyftpdlib | ours / vsftpd | ours / pyftpdlib |
|---|---|---:|---:|---:|---:|---:|
| (b) RETR 64 MiB, passive | MiB/s ↑ | 300 (290–310) | 150 | — | 2.00× | — |

| measure | unit | median (min–max) |
|---|---|---:|
| (h) ftp-client binary, stripped | KiB ↓ | 900 |
";
        assert_eq!(tables.to_string(), expected);
    }

    #[test]
    fn the_second_table_is_left_out_when_it_has_no_rows() {
        let mut results = Results::default();
        results.add(Metric::IdleSessions(50), OURS, 24.5);
        let tables = Tables {
            results: &results,
            servers: &[OURS],
            sizes: &Sizes::QUICK,
        };
        let expected = "\
| measure | unit | ftp-server |
|---|---|---:|
| (f) PSS, 50 idle sessions | KiB/session ↓ | 24.5 |
";
        assert_eq!(tables.to_string(), expected);
    }

    #[test]
    fn a_baseline_is_a_column_with_its_own_ratio() {
        let mut results = Results::default();
        let list = Metric::Listing(crate::workloads::Listing::List);
        for (column, sample) in [(OURS, 80.0), ("baseline", 100.0), ("vsftpd", 40.0)] {
            results.add(list, column, sample);
        }
        let tables = Tables {
            results: &results,
            servers: &[OURS, "baseline", "vsftpd", "pyftpdlib"],
            sizes: &Sizes::FULL,
        };
        let expected = "\
| measure | unit | ftp-server | baseline | vsftpd | pyftpdlib | ours / baseline | ours / vsftpd | ours / pyftpdlib |
|---|---|---:|---:|---:|---:|---:|---:|---:|
| (j) LIST of 2000 names in one session, passive | listings/s ↑ | 80.0 | 100 | 40.0 | — | 0.80× | 2.00× | — |
";
        assert_eq!(tables.to_string(), expected);
    }
}
