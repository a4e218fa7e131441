//! Summaries of repeated measurements: median and spread (min–max), and the
//! units the figures are in.
//!
//! It does no measuring and no printing of tables (see `report`).

use std::fmt;

/// What a figure measures, and which way is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Throughput in MiB per second.
    MibPerSec,
    /// Files transferred per second.
    FilesPerSec,
    /// Directory listings per second.
    ListingsPerSec,
    /// Wall-clock milliseconds.
    Millis,
    /// KiB of proportional set size per session.
    KibPerSession,
    /// KiB of file size.
    Kib,
    /// Open descriptors per session.
    DescriptorsPerSession,
    /// Sessions logged in at once.
    Sessions,
}

impl Unit {
    /// Whether a larger figure is the better one.
    pub fn higher_is_better(self) -> bool {
        matches!(
            self,
            Unit::MibPerSec | Unit::FilesPerSec | Unit::ListingsPerSec | Unit::Sessions
        )
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unit::MibPerSec => "MiB/s ↑",
            Unit::FilesPerSec => "files/s ↑",
            Unit::ListingsPerSec => "listings/s ↑",
            Unit::Millis => "ms ↓",
            Unit::KibPerSession => "KiB/session ↓",
            Unit::Kib => "KiB ↓",
            Unit::DescriptorsPerSession => "descriptors/session ↓",
            Unit::Sessions => "sessions ↑",
        })
    }
}

/// The median and the range of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// The middle sample (the mean of the two middle ones for an even count).
    pub median: f64,
    /// The smallest sample.
    pub min: f64,
    /// The largest sample.
    pub max: f64,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let (&min, &max) = (sorted.first()?, sorted.last()?);
        let middle = sorted.len() / 2;
        let median = if sorted.len() % 2 == 0 {
            (sorted[middle - 1] + sorted[middle]) / 2.0
        } else {
            sorted[middle]
        };
        Some(Summary { median, min, max })
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Figure(self.median))?;
        if self.min != self.max {
            write!(f, " ({}–{})", Figure(self.min), Figure(self.max))?;
        }
        Ok(())
    }
}

/// A number shown with about three significant digits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure(pub f64);

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let magnitude = self.0.abs();
        let decimals = if magnitude >= 100.0 {
            0
        } else if magnitude >= 10.0 {
            1
        } else {
            2
        };
        write!(f, "{:.*}", decimals, self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_an_odd_count_is_the_middle_sample() {
        let summary = Summary::of(&[3.0, 1.0, 2.0]).expect("samples");
        assert_eq!(
            summary,
            Summary {
                median: 2.0,
                min: 1.0,
                max: 3.0
            }
        );
    }

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let summary = Summary::of(&[4.0, 1.0, 2.0, 10.0]).expect("samples");
        assert_eq!(summary.median, 3.0);
    }

    #[test]
    fn no_samples_no_summary() {
        assert_eq!(Summary::of(&[]), None);
    }

    #[test]
    fn summaries_show_the_spread_only_when_there_is_one() {
        let spread = Summary::of(&[2950.4, 2810.0, 3105.6]).expect("samples");
        assert_eq!(spread.to_string(), "2950 (2810–3106)");
        let single = Summary::of(&[45.26]).expect("samples");
        assert_eq!(single.to_string(), "45.3");
    }

    #[test]
    fn figures_keep_about_three_digits() {
        let shown: Vec<String> = [1234.4, 12.34, 1.234, 0.5]
            .iter()
            .map(|&x| Figure(x).to_string())
            .collect();
        assert_eq!(shown, ["1234", "12.3", "1.23", "0.50"]);
    }

    #[test]
    fn only_rates_are_better_higher() {
        assert!(Unit::MibPerSec.higher_is_better());
        assert!(Unit::FilesPerSec.higher_is_better());
        assert!(Unit::ListingsPerSec.higher_is_better());
        assert!(!Unit::Millis.higher_is_better());
        assert!(!Unit::KibPerSession.higher_is_better());
        assert!(!Unit::DescriptorsPerSession.higher_is_better());
        assert!(Unit::Sessions.higher_is_better());
    }
}
