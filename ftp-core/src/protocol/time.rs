//! Civil time in UTC: the calendar behind `MDTM`, `MFMT`, the MLSx `modify`
//! fact, `ls -l` dates and transfer logs.
//!
//! A [`DateTime`] is a checked date and time of day in the proleptic
//! Gregorian calendar, in UTC, between the years 1000 and 9999 (the range of
//! RFC 3659's four-digit year), with an optional fraction of a second. It
//! converts to and from [`SystemTime`] ([`DateTime::from_system_time`],
//! [`DateTime::to_system_time`]), and to and from the RFC 3659 §2.3
//! *time-val* `YYYYMMDDHHMMSS[.sss]` ([`FromStr`] and [`Display`](fmt::Display)).
//! [`parse_timestamp`] and [`format_timestamp`] do both steps at once.
//!
//! ```
//! use ftp_core::protocol::time::{format_timestamp, DateTime};
//! use std::time::{Duration, UNIX_EPOCH};
//!
//! let leap_day: DateTime = "20240229101010".parse()?;
//! assert_eq!((leap_day.year(), leap_day.month(), leap_day.day()), (2024, 2, 29));
//! assert_eq!(leap_day.weekday_name(), "Thu");
//! let time = leap_day.to_system_time().expect("representable");
//! assert_eq!(format_timestamp(time + Duration::from_millis(500)), "20240229101010");
//! assert_eq!(format_timestamp(UNIX_EPOCH), "19700101000000");
//! # Ok::<(), ftp_core::protocol::time::TimeError>(())
//! ```
//!
//! Parsing is strict: exactly 14 digits, every field in range (the day
//! checked against its month, second 60 only as a leap second, which counts
//! as the next minute's first second), and after a `.` at least one digit.
//! Formatting a [`SystemTime`] outside the years 1000 to 9999 clamps it to
//! that range.
//!
//! What this module does not do: time zones or local time (`std` has no time
//! zone database; every time here is UTC), leap-second tables, reading the
//! clock, or any format other than the time-val (callers build `ls -l` and
//! log dates from the fields).

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::Error;

/// Seconds in a day.
pub(crate) const SECONDS_PER_DAY: i64 = 86_400;

/// The earliest year a [`DateTime`] holds.
pub const MIN_YEAR: u16 = 1000;

/// The latest year a [`DateTime`] holds.
pub const MAX_YEAR: u16 = 9999;

/// English month abbreviations (`Jan` to `Dec`), as `ls -l` writes them.
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// English weekday abbreviations from Sunday, as `ctime(3)` writes them.
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// The first second of [`MIN_YEAR`].
const MIN_SECONDS: i64 = days_from_civil(MIN_YEAR as i64, 1, 1) * SECONDS_PER_DAY;

/// The last second of [`MAX_YEAR`].
const MAX_SECONDS: i64 = days_from_civil(MAX_YEAR as i64 + 1, 1, 1) * SECONDS_PER_DAY - 1;

/// A UTC date and time of day (proleptic Gregorian, years 1000 to 9999),
/// with nanoseconds. Every value is valid: the constructors check the fields.
///
/// Values order as times do, except that a leap second (`:60`) sorts after
/// the `:59` before it and before the next minute, which it equals as a
/// [`SystemTime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    nanos: u32,
}

/// Why a date, a time or a time-val was refused. Its `Display` text names the
/// field, e.g. `no such day in that month`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeError(&'static str);

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for TimeError {}

impl DateTime {
    /// The date and time from its fields, checked: year 1000 to 9999, month 1
    /// to 12, the day against its month, hour 0 to 23, minute 0 to 59, second
    /// 0 to 60 (60 for a leap second).
    ///
    /// # Errors
    ///
    /// A [`TimeError`] naming the first field out of range.
    pub fn new(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
    ) -> Result<DateTime, TimeError> {
        let year = u16::try_from(year)
            .ok()
            .filter(|year| (MIN_YEAR..=MAX_YEAR).contains(year))
            .ok_or(TimeError("year outside 1000-9999"))?;
        let month = u8::try_from(month)
            .ok()
            .filter(|month| (1..=12).contains(month))
            .ok_or(TimeError("month outside 01-12"))?;
        let day = u8::try_from(day)
            .ok()
            .filter(|&day| day >= 1 && day <= days_in_month(year, month))
            .ok_or(TimeError("no such day in that month"))?;
        let in_range = |value: u32, max: u8, error: &'static str| {
            u8::try_from(value)
                .ok()
                .filter(|&value| value <= max)
                .ok_or(TimeError(error))
        };
        Ok(DateTime {
            year,
            month,
            day,
            hour: in_range(hour, 23, "hour outside 00-23")?,
            minute: in_range(minute, 59, "minute outside 00-59")?,
            second: in_range(second, 60, "second outside 00-60")?,
            nanos: 0,
        })
    }

    /// The date and time of `time`, to the whole second (rounded down),
    /// clamped to the years 1000 to 9999.
    pub fn from_system_time(time: SystemTime) -> DateTime {
        DateTime::from_unix_seconds(unix_seconds(time))
    }

    /// The date and time `seconds` after the Unix epoch, clamped to the years
    /// 1000 to 9999.
    pub fn from_unix_seconds(seconds: i64) -> DateTime {
        let seconds = seconds.clamp(MIN_SECONDS, MAX_SECONDS);
        let (year, month, day) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
        let of_day = seconds.rem_euclid(SECONDS_PER_DAY) as u32;
        // In range by the clamp: the fields cannot overflow their types.
        DateTime {
            year: year as u16,
            month: month as u8,
            day: day as u8,
            hour: (of_day / 3600) as u8,
            minute: (of_day / 60 % 60) as u8,
            second: (of_day % 60) as u8,
            nanos: 0,
        }
    }

    /// Seconds since the Unix epoch, negative before it (a leap second counts
    /// as the next minute's first; the fraction is dropped).
    pub fn unix_seconds(&self) -> i64 {
        let days = days_from_civil(i64::from(self.year), self.month.into(), self.day.into());
        let of_day =
            i64::from(self.hour) * 3600 + i64::from(self.minute) * 60 + i64::from(self.second);
        days * SECONDS_PER_DAY + of_day
    }

    /// This time as a [`SystemTime`], fraction included; `None` if the
    /// system's clock type cannot hold it (years before 1970 on some systems).
    pub fn to_system_time(&self) -> Option<SystemTime> {
        let seconds = self.unix_seconds();
        let whole = Duration::from_secs(seconds.unsigned_abs());
        let base = if seconds >= 0 {
            UNIX_EPOCH.checked_add(whole)
        } else {
            UNIX_EPOCH.checked_sub(whole)
        };
        base?.checked_add(Duration::from_nanos(u64::from(self.nanos)))
    }

    /// The year, 1000 to 9999.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, from 1.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// The hour, 0 to 23.
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// The minute, 0 to 59.
    pub fn minute(&self) -> u8 {
        self.minute
    }

    /// The second, 0 to 60 (60 only at a leap second).
    pub fn second(&self) -> u8 {
        self.second
    }

    /// The fraction of the second, in nanoseconds.
    pub fn nanos(&self) -> u32 {
        self.nanos
    }

    /// The month's English abbreviation: `Jan` to `Dec`.
    pub fn month_name(&self) -> &'static str {
        MONTHS[usize::from(self.month) - 1]
    }

    /// The weekday's English abbreviation: `Sun` to `Sat`.
    pub fn weekday_name(&self) -> &'static str {
        let days = self.unix_seconds().div_euclid(SECONDS_PER_DAY);
        // 1 January 1970 was a Thursday.
        WEEKDAYS[(days + 4).rem_euclid(7) as usize]
    }
}

/// Parses an RFC 3659 time-val, `YYYYMMDDHHMMSS[.sss]`, strictly.
///
/// A fraction needs at least one digit; up to nine are kept (nanoseconds),
/// more are dropped.
impl FromStr for DateTime {
    type Err = TimeError;

    fn from_str(text: &str) -> Result<DateTime, TimeError> {
        const SHAPE: TimeError = TimeError("expected 14 digits YYYYMMDDHHMMSS");
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (text, None),
        };
        let digits = digits_of(whole).filter(|d| d.len() == 14).ok_or(SHAPE)?;
        let field = |from: usize, to: usize| {
            digits[from..to]
                .iter()
                .fold(0u32, |value, &digit| value * 10 + digit)
        };
        let date = DateTime::new(
            i64::from(field(0, 4)),
            field(4, 6),
            field(6, 8),
            field(8, 10),
            field(10, 12),
            field(12, 14),
        )?;
        let nanos = match fraction {
            Some(fraction) => {
                let digits = digits_of(fraction)
                    .filter(|d| !d.is_empty())
                    .ok_or(TimeError("expected digits after '.'"))?;
                (0..9).fold(0u32, |nanos, place| {
                    nanos * 10 + digits.get(place).copied().unwrap_or(0)
                })
            }
            None => 0,
        };
        Ok(DateTime { nanos, ..date })
    }
}

/// The RFC 3659 time-val: `YYYYMMDDHHMMSS`, then `.` and the fraction without
/// its trailing zeros if there is one.
impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if self.nanos == 0 {
            return Ok(());
        }
        let fraction = format!("{:09}", self.nanos);
        write!(f, ".{}", fraction.trim_end_matches('0'))
    }
}

/// `YYYYMMDDHHMMSS` (UTC) for `MDTM` and the `modify` fact.
///
/// Fractions of a second are dropped: RFC 3659 §2.3 makes them optional, and
/// many `MDTM` clients expect exactly 14 digits. A time outside the years 1000
/// to 9999, which a time-val cannot express, is clamped to that range.
pub fn format_timestamp(time: SystemTime) -> String {
    DateTime::from_system_time(time).to_string()
}

/// Parses `YYYYMMDDHHMMSS[.sss]` (UTC) into a [`SystemTime`], strictly (see
/// [`DateTime`]'s [`FromStr`]). Times before 1970 are accepted where the
/// system can represent them.
///
/// # Errors
///
/// [`Error::Syntax`] for `timestamp`, naming the bad field and the text.
pub fn parse_timestamp(text: &str) -> Result<SystemTime, Error> {
    let invalid =
        |detail: &dyn fmt::Display| Error::syntax("timestamp", format!("{detail} in {text:?}"));
    let date: DateTime = text.parse().map_err(|err| invalid(&err))?;
    date.to_system_time()
        .ok_or_else(|| invalid(&"a time this system cannot represent"))
}

/// Whole seconds since the Unix epoch, rounded down, saturating at the ends
/// of `i64`.
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            -whole - i64::from(before.subsec_nanos() > 0)
        }
    }
}

/// The values of `text`'s characters if all are ASCII digits.
fn digits_of(text: &str) -> Option<Vec<u32>> {
    text.bytes()
        .map(|byte| byte.is_ascii_digit().then(|| u32::from(byte - b'0')))
        .collect()
}

/// Whether `year` has a 29 February.
fn is_leap_year(year: u16) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in a month (1 to 12) of a year.
fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date (month 1 to 12, day from 1).
///
/// Howard Hinnant's algorithm: count in 400-year eras of 146097 days, with
/// years starting on 1 March so that the leap day falls at the end of one.
const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date (year, month, day) that is `days` after 1970-01-01; the inverse
/// of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::utc;

    #[test]
    fn timestamps_format_and_parse_in_utc() {
        assert_eq!(format_timestamp(UNIX_EPOCH), "19700101000000");
        assert_eq!(parse_timestamp("19700101000000").ok(), Some(UNIX_EPOCH));
        let second_before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(format_timestamp(second_before), "19691231235959");
        assert_eq!(parse_timestamp("19691231235959").ok(), Some(second_before));
        // Fractions are rounded down when formatting, kept when parsing.
        assert_eq!(
            format_timestamp(UNIX_EPOCH - Duration::from_millis(1)),
            "19691231235959"
        );
        let with_millis = parse_timestamp("19990929003355.237").expect("RFC 3659 §7.7.5");
        assert_eq!(
            with_millis,
            utc(1999, 9, 29, 0, 33, 55) + Duration::from_millis(237)
        );
        let with_nanos = parse_timestamp("20240102100000.1234567899").expect("long fraction");
        assert_eq!(
            with_nanos,
            utc(2024, 1, 2, 10, 0, 0) + Duration::from_nanos(123_456_789)
        );
        // A leap second counts as the next minute's first second.
        assert_eq!(
            parse_timestamp("19981231235960").ok(),
            Some(utc(1999, 1, 1, 0, 0, 0))
        );
    }

    #[test]
    fn time_vals_keep_their_fields_and_fraction_through_display() {
        for text in [
            "19700101000000",
            "20380119031408",
            "20380119031408.5",
            "19981231235960",
            "99991231235959.000000001",
            "10000101000000.123",
        ] {
            let date: DateTime = text.parse().expect(text);
            assert_eq!(date.to_string(), text);
        }
        let padded: DateTime = "20240102100000.500".parse().expect("trailing zeros");
        assert_eq!(
            (padded.nanos(), padded.to_string()),
            (500_000_000, "20240102100000.5".into())
        );
        let leap: DateTime = "19981231235960".parse().expect("leap second");
        assert_eq!((leap.minute(), leap.second()), (59, 60));
    }

    #[test]
    fn the_unix_epoch_and_2038_are_ordinary_days() {
        let epoch = DateTime::from_system_time(UNIX_EPOCH);
        assert_eq!(
            (
                epoch.year(),
                epoch.month(),
                epoch.day(),
                epoch.weekday_name()
            ),
            (1970, 1, 1, "Thu")
        );
        // One second past the largest signed 32-bit time_t, and the one before.
        let wrap = UNIX_EPOCH + Duration::from_secs(1 << 31);
        assert_eq!(format_timestamp(wrap), "20380119031408");
        assert_eq!(
            format_timestamp(wrap - Duration::from_secs(1)),
            "20380119031407"
        );
        assert_eq!(parse_timestamp("20380119031408").ok(), Some(wrap));
        let late = DateTime::from_system_time(wrap);
        assert_eq!((late.hour(), late.minute(), late.second()), (3, 14, 8));
        assert_eq!(late.weekday_name(), "Tue");
        assert_eq!(late.month_name(), "Jan");
        assert_eq!(DateTime::from_unix_seconds(-1).weekday_name(), "Wed");
        assert_eq!(late.unix_seconds(), 1 << 31);
    }

    #[test]
    fn timestamps_round_trip_across_leap_years() {
        let stamps = [
            "10000101000000",
            "16000229120000",
            "19000228235959",
            "19000301000000",
            "19960229000000",
            "20000229235959",
            "20000301000000",
            "20231231235959",
            "20240229101010",
            "21000228000000",
            "21000301000000",
            "24000229000000",
            "99991231235959",
        ];
        for stamp in stamps {
            let time = parse_timestamp(stamp).expect(stamp);
            assert_eq!(format_timestamp(time), stamp);
        }
        let day_apart = |a: &str, b: &str| {
            let (a, b) = (parse_timestamp(a).expect(a), parse_timestamp(b).expect(b));
            b.duration_since(a).expect("ordered") == Duration::from_secs(86_400)
        };
        assert!(day_apart("19000228000000", "19000301000000"));
        assert!(day_apart("20000229000000", "20000301000000"));
        assert!(day_apart("20231231000000", "20240101000000"));
        assert!(!day_apart("20240228000000", "20240301000000"));
    }

    #[test]
    fn timestamps_with_bad_fields_are_refused() {
        let bad = [
            "",
            "2024010210000",
            "202401021000000",
            "2024-1-02100000",
            "+0240102100000",
            "20240102100000.",
            "20240102100000.5x",
            "20240102100000.+5",
            "20240102100000..5",
            "20240102100000 ",
            " 20240102100000",
            "09990101000000",
            "00000101000000",
            "20241301000000",
            "20240001000000",
            "20240100000000",
            "20230229000000",
            "21000229000000",
            "20240431000000",
            "20240102240000",
            "20240102106000",
            "20240102100061",
            "２０24010210000",
        ];
        for stamp in bad {
            let err = parse_timestamp(stamp).expect_err(stamp);
            assert!(
                matches!(
                    err,
                    Error::Syntax {
                        what: "timestamp",
                        ..
                    }
                ),
                "{stamp}: {err}"
            );
            assert!(stamp.parse::<DateTime>().is_err(), "{stamp}");
        }
        let message = parse_timestamp("20230229000000")
            .expect_err("no 29 Feb 2023")
            .to_string();
        assert_eq!(
            message,
            "invalid timestamp: no such day in that month in \"20230229000000\""
        );
        assert_eq!(
            DateTime::new(2024, 1, 2, 10, 0, 0).map(|d| d.to_string()),
            Ok("20240102100000".to_string())
        );
        assert_eq!(
            DateTime::new(10_000, 1, 1, 0, 0, 0),
            Err(TimeError("year outside 1000-9999"))
        );
        assert_eq!(
            DateTime::new(2024, 256 + 1, 1, 0, 0, 0),
            Err(TimeError("month outside 01-12"))
        );
    }

    #[test]
    fn times_beyond_a_time_val_are_clamped_when_formatted() {
        let far = UNIX_EPOCH + Duration::from_secs(1 << 40);
        assert_eq!(format_timestamp(far), "99991231235959");
        let max = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        assert_eq!(format_timestamp(max), "99991231235959");
        assert_eq!(
            DateTime::from_unix_seconds(i64::MIN).to_string(),
            "10000101000000"
        );
    }

    #[test]
    fn calendar_conversions_agree_with_known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(2000, 1, 1), 10_957);
        assert_eq!(days_from_civil(2024, 2, 29), 19_782);
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
    }

    #[test]
    fn calendar_conversions_count_every_day_from_1000_to_9999() {
        let mut days = days_from_civil(1000, 1, 1);
        for year in MIN_YEAR..=MAX_YEAR {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    let (y, m, d) = (i64::from(year), i64::from(month), i64::from(day));
                    assert_eq!(days_from_civil(y, m, d), days);
                    assert_eq!(civil_from_days(days), (y, m, d));
                    days += 1;
                }
            }
        }
        assert_eq!(days * SECONDS_PER_DAY, MAX_SECONDS + 1);
        assert!(
            is_leap_year(2000) && is_leap_year(2024) && !is_leap_year(1900) && !is_leap_year(2023)
        );
    }

    #[test]
    fn weekdays_repeat_every_seven_days() {
        let first = DateTime::new(2024, 2, 25, 0, 0, 0).expect("a Sunday");
        let names: Vec<&str> = (0..8)
            .map(|n| DateTime::from_unix_seconds(first.unix_seconds() + n * SECONDS_PER_DAY))
            .map(|date| date.weekday_name())
            .collect();
        assert_eq!(
            names,
            ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        );
        // The ends of the range, as Python's proleptic Gregorian `date` has them.
        let weekday = |y, m, d| DateTime::new(y, m, d, 0, 0, 0).map(|d| d.weekday_name());
        assert_eq!(weekday(1000, 1, 1), Ok("Wed"));
        assert_eq!(weekday(9999, 12, 31), Ok("Fri"));
    }
}
