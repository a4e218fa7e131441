//! What to do with one file: transfer it whole, resume it, or skip it.
//!
//! Pure: compares the source's size and modification time with the
//! target's, if there is one. Times are compared to the second, as `MDTM`
//! and `MFMT` carry them.
//!
//! - No target: transfer it.
//! - `--only-newer` and a target that is not older than the source: skip.
//! - Same size and same time: skip, it is up to date.
//! - A target shorter than the source whose time differs (a transfer that
//!   was cut off leaves the time of the cut): resume after its bytes (`REST`).
//! - Anything else: transfer it whole.

use std::time::SystemTime;

use ftp_core::protocol::time::DateTime;

/// What is known of one file on either side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    /// The size in bytes, if known.
    pub size: Option<u64>,
    /// The modification time, if known.
    pub modified: Option<SystemTime>,
}

/// The decision for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Transfer the whole file, replacing the target.
    Whole,
    /// Transfer from this byte on, appending to the target.
    Resume(u64),
    /// Leave the target as it is, for this reason.
    Skip(&'static str),
}

/// Decides what to do with a file whose source is `source` and whose target,
/// if it exists, is `target`.
pub fn decide(source: Stamp, target: Option<Stamp>, only_newer: bool) -> Action {
    let Some(target) = target else {
        return Action::Whole;
    };
    let (source_time, target_time) = (seconds(source.modified), seconds(target.modified));
    let same_time = source_time.is_some() && source_time == target_time;
    if only_newer {
        if let (Some(source_time), Some(target_time)) = (source_time, target_time) {
            if target_time >= source_time {
                return Action::Skip("target is not older");
            }
        }
    }
    match (source.size, target.size) {
        (Some(source_size), Some(target_size)) if source_size == target_size && same_time => {
            Action::Skip("up to date")
        }
        (Some(source_size), Some(target_size))
            if target_size > 0 && target_size < source_size && !same_time =>
        {
            Action::Resume(target_size)
        }
        _ => Action::Whole,
    }
}

/// A time to the whole second, as `MDTM` gives it (before 1970 too).
fn seconds(time: Option<SystemTime>) -> Option<i64> {
    time.map(|time| DateTime::from_system_time(time).unix_seconds())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn stamp(size: u64, secs: u64) -> Stamp {
        Stamp {
            size: Some(size),
            modified: Some(UNIX_EPOCH + Duration::from_secs(secs)),
        }
    }

    #[test]
    fn a_missing_target_is_transferred() {
        assert_eq!(decide(stamp(5, 100), None, false), Action::Whole);
        assert_eq!(decide(stamp(5, 100), None, true), Action::Whole);
    }

    #[test]
    fn an_identical_target_is_skipped_to_the_second() {
        let mut target = stamp(5, 100);
        target.modified = target.modified.map(|t| t + Duration::from_millis(300));
        assert_eq!(
            decide(stamp(5, 100), Some(target), false),
            Action::Skip("up to date")
        );
    }

    #[test]
    fn a_shorter_target_with_another_time_is_resumed() {
        assert_eq!(
            decide(stamp(10, 100), Some(stamp(4, 200)), false),
            Action::Resume(4)
        );
        // An empty target is simply transferred.
        assert_eq!(
            decide(stamp(10, 100), Some(stamp(0, 200)), false),
            Action::Whole
        );
    }

    #[test]
    fn a_changed_target_is_replaced() {
        assert_eq!(
            decide(stamp(10, 100), Some(stamp(12, 50)), false),
            Action::Whole
        );
        assert_eq!(
            decide(stamp(10, 100), Some(stamp(10, 50)), false),
            Action::Whole
        );
        let unknown = Stamp::default();
        assert_eq!(decide(unknown, Some(stamp(10, 50)), false), Action::Whole);
    }

    #[test]
    fn times_before_1970_are_compared_to_the_second_too() {
        let before = |size, millis| Stamp {
            size: Some(size),
            modified: Some(UNIX_EPOCH - Duration::from_millis(millis)),
        };
        // 1969-12-31 23:59:58.9 and .2: the same second, as MDTM shows them.
        assert_eq!(
            decide(before(5, 1_100), Some(before(5, 1_800)), false),
            Action::Skip("up to date")
        );
        assert_eq!(
            decide(before(5, 1_000), Some(before(5, 90_000)), true),
            Action::Whole
        );
        assert_eq!(
            decide(before(5, 90_000), Some(before(5, 1_000)), true),
            Action::Skip("target is not older")
        );
    }

    #[test]
    fn only_newer_skips_a_target_that_is_not_older() {
        assert_eq!(
            decide(stamp(10, 100), Some(stamp(3, 100)), true),
            Action::Skip("target is not older")
        );
        assert_eq!(
            decide(stamp(10, 100), Some(stamp(3, 200)), true),
            Action::Skip("target is not older")
        );
        assert_eq!(
            decide(stamp(10, 100), Some(stamp(10, 50)), true),
            Action::Whole
        );
    }
}
