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
    columns: Vec<(String, Vec<f64>)>,
}

impl Results {
    /// Records one sample.
    pub fn add(&mut self, metric: Metric, column: &str, sample: f64) {
        let index = match self.rows.iter().position(|row| row.metric == metric) {
            Some(index) => index,
            None => {
                self.rows.push(Row {
                    metric,
                    columns: Vec::new(),
                });
                self.rows.len() - 1
            }
        };
        let columns = &mut self.rows[index].columns;
        match columns.iter_mut().find(|(name, _)| name == column) {
            Some((_, samples)) => samples.push(sample),
            None => columns.push((column.to_string(), vec![sample])),
        }
    }

    /// The summary of one metric's samples in one column, if any were taken.
    pub fn summary(&self, metric: Metric, column: &str) -> Option<Summary> {
        let row = self.rows.iter().find(|row| row.metric == metric)?;
        let (_, samples) = row.columns.iter().find(|(name, _)| name == column)?;
        Summary::of(samples)
    }

    /// The metrics measured, in the order first seen.
    fn metrics(&self) -> impl Iterator<Item = Metric> + '_ {
        self.rows.iter().map(|row| row.metric)
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
                write!(f, " {} |", Cell(self.results.summary(metric, server)))?;
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

    /// The rows that describe one thing each.
    fn other_table(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "| measure | unit | median (min–max) |")?;
        writeln!(f, "|---|---|---:|")?;
        for metric in self.results.metrics().filter(|m| !m.is_per_server()) {
            let cell = Cell(self.results.summary(metric, SOLE));
            let (label, unit) = (metric.label(self.sizes), metric.unit());
            writeln!(f, "| {label} | {unit} | {cell} |")?;
        }
        Ok(())
    }
}

impl fmt::Display for Tables<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.servers_table(f)?;
        writeln!(f)?;
        self.other_table(f)
    }
}

/// A table cell: median (min–max), or a dash when nothing was measured.
struct Cell(Option<Summary>);

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(summary) => write!(f, "{summary}"),
            None => f.write_str("—"),
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
        results.add(Metric::BinarySize("ftp-client"), SOLE, 900.0);
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
}
