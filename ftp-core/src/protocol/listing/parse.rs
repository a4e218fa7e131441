//! Parsing listing lines back into [`Entry`] values: the client's half of
//! [`listing`](super).
//!
//! Three formats are told apart by their shape, in this order:
//!
//! 1. **MLSx** (RFC 3659 §7.2): `fact=value;...; name`, the facts free of
//!    spaces and ending in `;`, or a line starting with the one space that
//!    precedes the name when no fact is given. The name is everything after
//!    the first space.
//! 2. **Windows/DOS**, as IIS sends it, for a line starting with a digit:
//!    `01-02-24  10:00AM       <DIR>          name`.
//! 3. **Unix `ls -l`** for anything else:
//!    `-rw-r--r-- 1 owner group 1234 Jan 02 10:00 name`.
//!
//! What it does not do: localized month names, `--full-time` or ISO dates,
//! VMS, MVS or NetWare listings, or time zones (every time is taken as UTC,
//! though `LIST` times are usually the server's local time).

use std::time::SystemTime;

use super::columns::{NEAR_FUTURE, TRIPLETS};
use super::{Entry, EntryKind};
use crate::error::Error;
use crate::protocol::time::{parse_timestamp, unix_seconds, DateTime, TimeError, MONTHS};

/// What [`Error::Syntax`] names for every failure here.
const WHAT: &str = "listing line";

/// A syntax error in a listing line.
fn invalid(detail: impl Into<String>) -> Error {
    Error::syntax(WHAT, detail)
}

/// A date whose fields are out of range, as a syntax error in the line.
fn date_error(err: TimeError) -> Error {
    invalid(err.to_string())
}

/// A date as a [`SystemTime`], or an error if this system cannot hold it.
fn system_time(date: DateTime) -> Result<SystemTime, Error> {
    date.to_system_time()
        .ok_or_else(|| invalid("a date this system cannot represent"))
}

/// The value of a run of ASCII digits; `None` if empty, not all digits, or
/// too large for a `u64`.
fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |value, &byte| {
        let digit = char::from(byte).to_digit(10)?;
        value.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// Parses one LIST line (Unix or DOS) or MLSx fact line.
///
/// A Unix date without a year is placed in the most recent year that puts it
/// no more than a day after the current time; [`parse_line_at`] takes that
/// time as an argument instead of reading the clock.
///
/// A trailing LF or CRLF is ignored. What comes back:
///
/// - the name exactly, spaces and non-UTF-8 bytes included; for a Unix
///   symlink only the part before ` -> ` (the target is dropped);
/// - for MLSx, the `type`, `size`, `modify`, `unix.mode` and `unique` facts
///   (names case-insensitive, other facts ignored, no `type` means
///   [`EntryKind::Other`]). A `type=cdir` line comes back as a directory named
///   `.` and a `type=pdir` line as one named `..`, so that a caller skipping
///   `.` and `..` never mistakes the listed directory for one of its entries;
/// - an error for anything else, including the `total 12` line that starts an
///   `ls -l` listing, which callers usually skip.
///
/// A line from an `MLST` reply must lose the one leading space the server puts
/// before the facts first: a line that starts with a space is an MLSx line
/// without facts, all of whose rest is the name.
pub fn parse_line(line: &[u8]) -> Result<Entry, Error> {
    parse_line_at(line, SystemTime::now())
}

/// [`parse_line`], with `now` as the current time for placing Unix dates
/// that have no year.
pub fn parse_line_at(line: &[u8], now: SystemTime) -> Result<Entry, Error> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if let Some((facts, name)) = split_mlsx(line) {
        return parse_mlsx(facts, name);
    }
    match line.first() {
        None => Err(invalid("empty line")),
        Some(first) if first.is_ascii_digit() => parse_dos(line),
        Some(_) => parse_unix(line, now),
    }
}

/// The facts and the name of a line shaped like an MLSx line, or `None`.
fn split_mlsx(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let space = line.iter().position(|&byte| byte == b' ')?;
    let (facts, name) = (&line[..space], &line[space + 1..]);
    let shaped = facts.is_empty()
        || (facts.ends_with(b";")
            && facts
                .split(|&byte| byte == b';')
                .all(|fact| fact.is_empty() || fact.contains(&b'=')));
    shaped.then_some((facts, name))
}

/// An entry from the facts and name of an MLSx line.
fn parse_mlsx(facts: &[u8], name: &[u8]) -> Result<Entry, Error> {
    if name.is_empty() {
        return Err(invalid("no name after the MLSx facts"));
    }
    let facts = std::str::from_utf8(facts).map_err(|_| invalid("MLSx facts are not UTF-8"))?;
    let mut entry = Entry {
        name: name.to_vec(),
        kind: EntryKind::Other,
        size: None,
        modified: None,
        mode: None,
        unique: None,
    };
    for fact in facts.split(';').filter(|fact| !fact.is_empty()) {
        let (key, value) = fact
            .split_once('=')
            .ok_or_else(|| invalid("MLSx fact without '='"))?;
        apply_fact(&mut entry, key, value)?;
    }
    Ok(entry)
}

/// Records one MLSx fact in `entry`; facts it has no field for are ignored.
fn apply_fact(entry: &mut Entry, key: &str, value: &str) -> Result<(), Error> {
    match key.to_ascii_lowercase().as_str() {
        "type" => {
            let (kind, name) = mlsx_kind(value);
            entry.kind = kind;
            if let Some(name) = name {
                entry.name = name.to_vec();
            }
        }
        "size" => {
            let size =
                decimal(value.as_bytes()).ok_or_else(|| invalid("size fact is not a number"))?;
            entry.size = Some(size);
        }
        "modify" => entry.modified = Some(parse_timestamp(value)?),
        "unix.mode" => {
            let mode =
                octal_mode(value).ok_or_else(|| invalid("unix.mode fact is not an octal mode"))?;
            entry.mode = Some(mode);
        }
        "unique" => entry.unique = Some(value.to_owned()),
        _ => {}
    }
    Ok(())
}

/// The kind a `type` fact value names (case-insensitive), and the name that
/// replaces the line's for `cdir` (`.`) and `pdir` (`..`).
fn mlsx_kind(value: &str) -> (EntryKind, Option<&'static [u8]>) {
    let value = value.to_ascii_lowercase();
    match value.as_str() {
        "file" => (EntryKind::File, None),
        "dir" => (EntryKind::Dir, None),
        "cdir" => (EntryKind::Dir, Some(b".")),
        "pdir" => (EntryKind::Dir, Some(b"..")),
        "os.unix=symlink" => (EntryKind::Symlink, None),
        slink if slink.starts_with("os.unix=slink") => (EntryKind::Symlink, None),
        _ => (EntryKind::Other, None),
    }
}

/// Permission bits written in octal (`0644`, `755`), at most `07777`.
fn octal_mode(value: &str) -> Option<u32> {
    if value.is_empty() || value.len() > 5 || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let mode = u32::from_str_radix(value, 8).ok()?;
    (mode <= 0o7777).then_some(mode)
}

/// A run of non-space bytes of a line, and where it is in the line.
#[derive(Debug, Clone, Copy)]
struct Field<'a> {
    /// The bytes of the field.
    text: &'a [u8],
    /// The offset of its first byte.
    start: usize,
    /// The offset just past it.
    end: usize,
}

/// The space-separated fields of a line.
fn fields(line: &[u8]) -> Vec<Field<'_>> {
    let mut fields = Vec::new();
    let mut pos = 0;
    while pos < line.len() {
        if line[pos] == b' ' {
            pos += 1;
            continue;
        }
        let end = line[pos..]
            .iter()
            .position(|&byte| byte == b' ')
            .map_or(line.len(), |length| pos + length);
        fields.push(Field {
            text: &line[pos..end],
            start: pos,
            end,
        });
        pos = end;
    }
    fields
}

/// An entry from a Unix `ls -l` line.
fn parse_unix(line: &[u8], now: SystemTime) -> Result<Entry, Error> {
    let fields = fields(line);
    let mode_field = fields.first().ok_or_else(|| invalid("blank line"))?;
    if mode_field.text == b"total" {
        return Err(invalid("a `total` line, not an entry"));
    }
    let (kind, mode) = unix_mode(mode_field.text).ok_or_else(|| {
        invalid("neither MLSx, DOS, nor an `ls -l` line starting with a mode such as -rw-r--r--")
    })?;
    let device = matches!(mode_field.text[0], b'c' | b'b');
    let (date_at, stamp) = (2..fields.len())
        .find_map(|at| unix_stamp(&fields, at, device).map(|stamp| (at, stamp)))
        .ok_or_else(|| {
            invalid("no size and date such as `1234 Jan 02 10:00` or `1234 Jan 02  2023`")
        })?;
    let modified = stamp.time(now)?;
    let after_date = fields[date_at + 2].end + 1;
    let name = line.get(after_date..).unwrap_or_default();
    let name = if kind == EntryKind::Symlink {
        link_name(name)
    } else {
        name
    };
    if name.is_empty() {
        return Err(invalid("no name after the date"));
    }
    Ok(Entry {
        name: name.to_vec(),
        kind,
        size: stamp.size,
        modified: Some(modified),
        mode: Some(mode),
        unique: None,
    })
}

/// The kind and permission bits of an `ls -l` mode field such as
/// `drwxr-sr-x`, optionally followed by an ACL or security-context mark
/// (`+`, `.`, `@`).
fn unix_mode(text: &[u8]) -> Option<(EntryKind, u32)> {
    let (modes, mark) = text.split_at_checked(10)?;
    if !matches!(mark, [] | [b'+' | b'.' | b'@']) {
        return None;
    }
    let kind = match modes[0] {
        b'-' => EntryKind::File,
        b'd' => EntryKind::Dir,
        b'l' => EntryKind::Symlink,
        b'c' | b'b' | b'p' | b's' | b'D' | b'?' => EntryKind::Other,
        _ => return None,
    };
    let mode = TRIPLETS
        .iter()
        .zip(modes[1..].chunks_exact(3))
        .try_fold(0, |mode, (triplet, text)| Some(mode | triplet.parse(text)?))?;
    Some((kind, mode))
}

/// A link's name: what comes before ` -> target`.
fn link_name(name: &[u8]) -> &[u8] {
    name.windows(4)
        .position(|window| window == b" -> ")
        .map_or(name, |arrow| &name[..arrow])
}

/// The size and date columns of an `ls -l` line.
#[derive(Debug)]
struct UnixStamp {
    /// The size, or `None` for a device (which shows `major, minor` instead).
    size: Option<u64>,
    /// The month, 1 to 12.
    month: u32,
    /// The day of the month as written (checked when the time is built).
    day: u32,
    /// The last date column.
    clock: Clock,
}

/// The last date column of `ls -l`: a time of day for recent dates, else a year.
#[derive(Debug)]
enum Clock {
    /// `HH:MM`: the year is left out.
    Time {
        /// The hour as written.
        hour: u32,
        /// The minute as written.
        minute: u32,
    },
    /// `YYYY`: the time of day is left out.
    Year(i64),
}

/// The size and date if `fields[at]` is a month name followed by a day and a
/// time or year, with the size (or `major, minor` for a device) before it.
fn unix_stamp(fields: &[Field<'_>], at: usize, device: bool) -> Option<UnixStamp> {
    let month_text = fields.get(at)?.text;
    let month = MONTHS
        .iter()
        .position(|name| name.as_bytes().eq_ignore_ascii_case(month_text))?;
    let day = short_number(fields.get(at + 1)?.text, 2)?;
    let last = fields.get(at + 2)?.text;
    let clock = match hour_minute(last) {
        Some((hour, minute)) => Clock::Time { hour, minute },
        None if last.len() == 4 => Clock::Year(i64::from(short_number(last, 4)?)),
        None => return None,
    };
    let before = &fields[..at];
    let size = if device {
        if !device_numbers(before) {
            return None;
        }
        None
    } else {
        Some(decimal(before.last()?.text)?)
    };
    Some(UnixStamp {
        size,
        month: month as u32 + 1,
        day,
        clock,
    })
}

impl UnixStamp {
    /// The time these columns give, placing a date without a year in the most
    /// recent year that is not more than a day after `now`.
    fn time(&self, now: SystemTime) -> Result<SystemTime, Error> {
        let (month, day) = (self.month, self.day);
        let date = match self.clock {
            Clock::Year(year) => DateTime::new(year, month, day, 0, 0, 0).map_err(date_error)?,
            Clock::Time { hour, minute } => infer_year(month, day, hour, minute, now)?,
        };
        system_time(date)
    }
}

/// The most recent date with this month, day and time that is not more than
/// a day after `now` (a 29 February may go back up to eight years).
fn infer_year(
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    now: SystemTime,
) -> Result<DateTime, Error> {
    let at_year = |year| DateTime::new(year, month, day, hour, minute, 0);
    // 2000 was a leap year: a date that is invalid then is invalid in every year.
    at_year(2000).map_err(date_error)?;
    let limit = unix_seconds(now).saturating_add(NEAR_FUTURE);
    let newest = i64::from(DateTime::from_unix_seconds(limit).year());
    (newest - 8..=newest)
        .rev()
        .filter_map(|year| at_year(year).ok())
        .find(|date| date.unix_seconds() <= limit)
        .ok_or_else(|| invalid("no year in range places the date in the past"))
}

/// Whether the fields before an `ls -l` date end with a device's
/// `major, minor` (or `major,minor`) instead of a size.
fn device_numbers(before: &[Field<'_>]) -> bool {
    let is_number = |text: &[u8]| decimal(text).is_some();
    match before {
        [.., major, minor] if major.text.ends_with(b",") => {
            is_number(&major.text[..major.text.len() - 1]) && is_number(minor.text)
        }
        [.., both] => match both.text.iter().position(|&byte| byte == b',') {
            Some(comma) => is_number(&both.text[..comma]) && is_number(&both.text[comma + 1..]),
            None => false,
        },
        [] => false,
    }
}

/// A number of one to `max_digits` ASCII digits.
fn short_number(text: &[u8], max_digits: usize) -> Option<u32> {
    if text.len() > max_digits {
        return None;
    }
    u32::try_from(decimal(text)?).ok()
}

/// `H:MM` or `HH:MM`, as written (ranges are checked later).
fn hour_minute(text: &[u8]) -> Option<(u32, u32)> {
    let colon = text.iter().position(|&byte| byte == b':')?;
    let (hour, minute) = (&text[..colon], &text[colon + 1..]);
    if minute.len() != 2 {
        return None;
    }
    Some((short_number(hour, 2)?, short_number(minute, 2)?))
}

/// An entry from a Windows/DOS (IIS) line:
/// `MM-DD-YY  HH:MMAM  <DIR> name` or `MM-DD-YYYY  HH:MMPM  1,234 name`.
fn parse_dos(line: &[u8]) -> Result<Entry, Error> {
    let fields = fields(line);
    let [date, time, size, ..] = fields.as_slice() else {
        return Err(invalid(
            "a DOS line needs a date, a time, a size or <DIR>, and a name",
        ));
    };
    let (year, month, day) =
        dos_date(date.text).ok_or_else(|| invalid("DOS date is not MM-DD-YY or MM-DD-YYYY"))?;
    let (hour, minute) =
        dos_time(time.text).ok_or_else(|| invalid("DOS time is not HH:MM, HH:MMAM or HH:MMPM"))?;
    let (kind, size) = if size.text.eq_ignore_ascii_case(b"<DIR>") {
        (EntryKind::Dir, None)
    } else {
        let size =
            dos_size(size.text).ok_or_else(|| invalid("DOS size is neither a number nor <DIR>"))?;
        (EntryKind::File, Some(size))
    };
    let name = fields.get(3).map_or(&[][..], |first| &line[first.start..]);
    if name.is_empty() {
        return Err(invalid("no name after the DOS size"));
    }
    let date = DateTime::new(year, month, day, hour, minute, 0).map_err(date_error)?;
    let modified = system_time(date)?;
    Ok(Entry {
        name: name.to_vec(),
        kind,
        size,
        modified: Some(modified),
        mode: None,
        unique: None,
    })
}

/// `MM-DD-YY` or `MM-DD-YYYY` as (year, month, day); two-digit years below 70
/// are 20xx, the others 19xx.
fn dos_date(text: &[u8]) -> Option<(i64, u32, u32)> {
    let mut parts = text.split(|&byte| byte == b'-');
    let month = short_number(parts.next()?, 2)?;
    let day = short_number(parts.next()?, 2)?;
    let year_text = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let year = i64::from(short_number(year_text, 4)?);
    let year = match year_text.len() {
        2 if year < 70 => 2000 + year,
        2 => 1900 + year,
        4 => year,
        _ => return None,
    };
    Some((year, month, day))
}

/// `HH:MM` (24-hour) or `HH:MMAM` / `HH:MMPM` (12-hour) as a 24-hour time.
fn dos_time(text: &[u8]) -> Option<(u32, u32)> {
    let (clock, suffix) = text.split_at(text.len().saturating_sub(2));
    let pm = if suffix.eq_ignore_ascii_case(b"PM") {
        true
    } else if suffix.eq_ignore_ascii_case(b"AM") {
        false
    } else {
        return hour_minute(text);
    };
    let (hour, minute) = hour_minute(clock)?;
    (1..=12)
        .contains(&hour)
        .then_some((hour % 12 + if pm { 12 } else { 0 }, minute))
}

/// A DOS size such as `1,234,567`: digits with optional thousands commas.
fn dos_size(text: &[u8]) -> Option<u64> {
    if !text.first()?.is_ascii_digit() || text.ends_with(b",") {
        return None;
    }
    let digits: Vec<u8> = text.iter().copied().filter(|&byte| byte != b',').collect();
    decimal(&digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::time;
    use crate::test_support::{self, XorShift};
    use std::time::{Duration, UNIX_EPOCH};

    /// A UTC time to the minute, for fixtures.
    fn utc(year: i64, month: u32, day: u32, hour: u32, minute: u32) -> SystemTime {
        test_support::utc(year, month, day, hour, minute, 0)
    }

    /// The time every fixture is parsed at: 2024-03-15 12:00 UTC.
    fn now() -> SystemTime {
        utc(2024, 3, 15, 12, 0)
    }

    /// Parses a fixture that must parse.
    fn parsed(line: &[u8]) -> Entry {
        parse_line_at(line, now())
            .unwrap_or_else(|err| panic!("{:?}: {err}", String::from_utf8_lossy(line)))
    }

    /// The parts of an entry most fixtures check.
    fn summary(entry: &Entry) -> (&[u8], EntryKind, Option<u64>, Option<u32>) {
        (&entry.name, entry.kind, entry.size, entry.mode)
    }

    #[test]
    fn vsftpd_lines() {
        let dir = parsed(b"drwxr-xr-x    2 ftp      ftp          4096 Jan 02 10:00 pub");
        assert_eq!(
            summary(&dir),
            (&b"pub"[..], EntryKind::Dir, Some(4096), Some(0o755))
        );
        assert_eq!(dir.modified, Some(utc(2024, 1, 2, 10, 0)));
        let old = parsed(b"-rw-r--r--    1 ftp      ftp       1048576 Mar 14  2019 big file.bin");
        assert_eq!(
            summary(&old),
            (
                &b"big file.bin"[..],
                EntryKind::File,
                Some(1_048_576),
                Some(0o644)
            )
        );
        assert_eq!(old.modified, Some(utc(2019, 3, 14, 0, 0)));
        let link = parsed(
            b"lrwxrwxrwx    1 ftp      ftp            11 Feb 29  2020 latest -> release-1.0",
        );
        assert_eq!(
            summary(&link),
            (&b"latest"[..], EntryKind::Symlink, Some(11), Some(0o777))
        );
        assert_eq!(link.modified, Some(utc(2020, 2, 29, 0, 0)));
    }

    #[test]
    fn proftpd_lines() {
        let file = parsed(b"-rw-r--r--   1 ftp      ftp          1234 Jan  2 10:00 readme.txt");
        assert_eq!(
            summary(&file),
            (&b"readme.txt"[..], EntryKind::File, Some(1234), Some(0o644))
        );
        assert_eq!(file.modified, Some(utc(2024, 1, 2, 10, 0)));
        let dir = parsed(b"drwxr-sr-x   3 1001     1001         4096 Dec 31  2023 incoming");
        assert_eq!(
            summary(&dir),
            (&b"incoming"[..], EntryKind::Dir, Some(4096), Some(0o2755))
        );
    }

    #[test]
    fn pure_ftpd_lines() {
        let file =
            parsed(b"-rw-r--r--    1 1000       1000             5043 Jul  4 09:05 notes.md");
        assert_eq!(
            summary(&file),
            (&b"notes.md"[..], EntryKind::File, Some(5043), Some(0o644))
        );
        // July is after March 2024, so it was July 2023.
        assert_eq!(file.modified, Some(utc(2023, 7, 4, 9, 5)));
        let device = parsed(b"crw-rw-rw-    1 0          0            1,   3 Jan  2 10:00 null");
        assert_eq!(
            summary(&device),
            (&b"null"[..], EntryKind::Other, None, Some(0o666))
        );
        let block = parsed(b"brw-rw----    1 0          6          8,0 Jan  2 10:00 sda");
        assert_eq!(
            summary(&block),
            (&b"sda"[..], EntryKind::Other, None, Some(0o660))
        );
    }

    #[test]
    fn pyftpdlib_and_other_unix_lines() {
        let file = parsed(b"-rw-rw-rw-   1 owner    group     7045120 Sep 02  2012 music.mp3");
        assert_eq!(
            summary(&file),
            (
                &b"music.mp3"[..],
                EntryKind::File,
                Some(7_045_120),
                Some(0o666)
            )
        );
        let no_group = parsed(b"-rw-r--r-- 1 ftp 1234 Jan 02 10:00 no group");
        assert_eq!(
            summary(&no_group),
            (&b"no group"[..], EntryKind::File, Some(1234), Some(0o644))
        );
        let no_links = parsed(b"-rw-r--r-- 77 Jan 02 10:00 bare");
        assert_eq!(
            summary(&no_links),
            (&b"bare"[..], EntryKind::File, Some(77), Some(0o644))
        );
        let sticky = parsed(b"drwxrwxrwt   10 root root 4096 Jan 02 10:00 tmp");
        assert_eq!(sticky.mode, Some(0o1777));
        let setuid = parsed(b"-rwsr-xr-x 1 root root 54256 Mar 26  2019 passwd");
        assert_eq!(setuid.mode, Some(0o4755));
        let setuid_only = parsed(b"-rwSr--r-T 1 root root 0 Mar 26  2019 odd");
        assert_eq!(setuid_only.mode, Some(0o5644));
        let acl = parsed(b"-rw-r--r--+ 1 ftp ftp 10 jan 02 10:00 acl");
        assert_eq!(
            summary(&acl),
            (&b"acl"[..], EntryKind::File, Some(10), Some(0o644))
        );
        let fifo = parsed(b"prw-------   1 ftp ftp 0 Jan 02 10:00 fifo");
        assert_eq!(fifo.kind, EntryKind::Other);
    }

    #[test]
    fn unix_names_keep_their_spaces_and_bytes() {
        let spaced = parsed(b"-rw-r--r-- 1 ftp ftp 10 Jan 02 10:00  two  spaces ");
        assert_eq!(spaced.name, b" two  spaces ");
        let raw = parsed(b"-rw-r--r-- 1 ftp ftp 10 Jan 02  2020 caf\xe9\xff");
        assert_eq!(raw.name, b"caf\xe9\xff");
        let date_like = parsed(b"-rw-r--r-- 1 ftp ftp 10 Jan 02  2020 5 Feb 03 11:00 x");
        assert_eq!(date_like.name, b"5 Feb 03 11:00 x");
        let arrow = parsed(b"-rw-r--r-- 1 ftp ftp 10 Jan 02  2020 a -> b");
        assert_eq!(arrow.name, b"a -> b", "only links lose their target");
        let crlf = parsed(b"-rw-r--r-- 1 ftp ftp 10 Jan 02  2020 name\r\n");
        assert_eq!(crlf.name, b"name");
    }

    #[test]
    fn dos_lines_from_iis() {
        let dir = parsed(b"01-02-24  10:00AM       <DIR>          name");
        assert_eq!(summary(&dir), (&b"name"[..], EntryKind::Dir, None, None));
        assert_eq!(dir.modified, Some(utc(2024, 1, 2, 10, 0)));
        let file = parsed(b"01-02-2024  10:00PM   1,234,567 name");
        assert_eq!(
            summary(&file),
            (&b"name"[..], EntryKind::File, Some(1_234_567), None)
        );
        assert_eq!(file.modified, Some(utc(2024, 1, 2, 22, 0)));
        let midnight = parsed(b"12-31-99  12:00AM                    0 y2k.txt");
        assert_eq!(midnight.modified, Some(utc(1999, 12, 31, 0, 0)));
        let noon = parsed(b"07-04-23  12:30PM                   42 a  b.txt ");
        assert_eq!(noon.modified, Some(utc(2023, 7, 4, 12, 30)));
        assert_eq!(noon.name, b"a  b.txt ");
        let day_clock = parsed(b"07-04-2023  23:15  <dir>  Program Files");
        assert_eq!(
            summary(&day_clock),
            (&b"Program Files"[..], EntryKind::Dir, None, None)
        );
        assert_eq!(day_clock.modified, Some(utc(2023, 7, 4, 23, 15)));
    }

    #[test]
    fn rfc_3659_mlsx_examples() {
        let file = parsed(b"Type=file;Size=1024990;Perm=r; /tmp/cap60.pl198.tar.gz");
        assert_eq!(
            summary(&file),
            (
                &b"/tmp/cap60.pl198.tar.gz"[..],
                EntryKind::File,
                Some(1_024_990),
                None
            )
        );
        let dir = parsed(b"Type=dir;Modify=19981107085215;Perm=el; /tmp");
        assert_eq!(summary(&dir), (&b"/tmp"[..], EntryKind::Dir, None, None));
        assert_eq!(
            dir.modified,
            Some(utc(1998, 11, 7, 8, 52) + Duration::from_secs(15))
        );
        let cdir = parsed(b"Type=cdir;Perm=el;Unique=keVO1+ZF4; test");
        assert_eq!((&cdir.name[..], cdir.kind), (&b"."[..], EntryKind::Dir));
        assert_eq!(cdir.unique.as_deref(), Some("keVO1+ZF4"));
        let pdir = parsed(b"type=pdir;unique=AQkAAAAAAAABCAAA; /");
        assert_eq!((&pdir.name[..], pdir.kind), (&b".."[..], EntryKind::Dir));
        let slink = parsed(b"Type=OS.unix=slink:/foobar;Perm=;Unique=keVO1+4G4; foobar");
        assert_eq!(
            (&slink.name[..], slink.kind),
            (&b"foobar"[..], EntryKind::Symlink)
        );
        let device = parsed(b"Type=OS.unix=chr-13/29;Perm=;Unique=keVO1+5G4; device");
        assert_eq!(device.kind, EntryKind::Other);
        let leading = parsed(b"Type=file;Perm=r;Unique=keVO1+IH4;  leading space");
        assert_eq!(leading.name, b" leading space");
        let spaces = parsed(b"Type=file;Perm=awdrf;Unique=keVO1+LH4;    ");
        assert_eq!(spaces.name, b"   ");
        let precise = parsed(b"Type=file;Modify=19990929003355.237; file1");
        let expected = utc(1999, 9, 29, 0, 33) + Duration::from_millis(55_237);
        assert_eq!(precise.modified, Some(expected));
        let unique_only = parsed(b"Unique=keVO1+YZ5; /tmp");
        assert_eq!(unique_only.kind, EntryKind::Other);
        assert_eq!(unique_only.unique.as_deref(), Some("keVO1+YZ5"));
        let no_facts = parsed(b" /tmp");
        assert_eq!(
            summary(&no_facts),
            (&b"/tmp"[..], EntryKind::Other, None, None)
        );
    }

    #[test]
    fn mlsx_lines_from_real_servers() {
        let pure = parsed(b"type=file;size=1234;modify=20240102100000;UNIX.mode=0644;UNIX.uid=1000;unique=803g2a1; notes.md");
        assert_eq!(
            summary(&pure),
            (&b"notes.md"[..], EntryKind::File, Some(1234), Some(0o644))
        );
        assert_eq!(pure.unique.as_deref(), Some("803g2a1"));
        let proftpd = parsed(b"modify=20240102100000;perm=adfrw;size=1234;type=file;unique=801U2A3F;UNIX.group=1000;UNIX.mode=04755;UNIX.owner=1000; a b");
        assert_eq!(
            summary(&proftpd),
            (&b"a b"[..], EntryKind::File, Some(1234), Some(0o4755))
        );
        assert_eq!(proftpd.modified, Some(utc(2024, 1, 2, 10, 0)));
        let symlink =
            parsed(b"modify=20240102100000;perm=adfr;type=OS.unix=symlink;unique=801U9; ln");
        assert_eq!(symlink.kind, EntryKind::Symlink);
        let pyftpdlib =
            parsed(b"type=dir;size=4096;perm=elcmdf;modify=20240102100000;unix.mode=755; sub\r\n");
        assert_eq!(
            summary(&pyftpdlib),
            (&b"sub"[..], EntryKind::Dir, Some(4096), Some(0o755))
        );
    }

    #[test]
    fn unix_years_are_inferred_up_to_a_day_ahead() {
        let when = |line: &[u8], now| parse_line_at(line, now).map(|entry| entry.modified);
        let march = utc(2024, 3, 15, 12, 0);
        assert_eq!(
            when(b"-rw-r--r-- 1 a a 1 Mar 16 11:00 x", march).ok(),
            Some(Some(utc(2024, 3, 16, 11, 0)))
        );
        assert_eq!(
            when(b"-rw-r--r-- 1 a a 1 Mar 16 12:01 x", march).ok(),
            Some(Some(utc(2023, 3, 16, 12, 1)))
        );
        assert_eq!(
            when(b"-rw-r--r-- 1 a a 1 Dec 31 23:59 x", march).ok(),
            Some(Some(utc(2023, 12, 31, 23, 59)))
        );
        let new_year = utc(2024, 12, 31, 12, 0);
        assert_eq!(
            when(b"-rw-r--r-- 1 a a 1 Jan 01 06:00 x", new_year).ok(),
            Some(Some(utc(2025, 1, 1, 6, 0)))
        );
        // 29 February goes back to the latest leap year that is not in the future.
        let feb_eve = utc(2024, 2, 28, 12, 0);
        assert_eq!(
            when(b"-rw-r--r-- 1 a a 1 Feb 29 10:00 x", feb_eve).ok(),
            Some(Some(utc(2024, 2, 29, 10, 0)))
        );
        let feb_early = utc(2024, 2, 27, 12, 0);
        assert_eq!(
            when(b"-rw-r--r-- 1 a a 1 Feb 29 10:00 x", feb_early).ok(),
            Some(Some(utc(2020, 2, 29, 10, 0)))
        );
        let after_1900 = utc(1903, 6, 1, 0, 0);
        assert_eq!(
            when(b"-rw-r--r-- 1 a a 1 Feb 29 10:00 x", after_1900).ok(),
            Some(Some(utc(1896, 2, 29, 10, 0)))
        );
        assert!(UNIX_EPOCH > utc(1896, 2, 29, 10, 0));
    }

    #[test]
    fn malformed_lines_are_syntax_errors() {
        let bad: [&[u8]; 23] = [
            b"",
            b"\r\n",
            b"total 12",
            b"garbage",
            b"-rw-r--r-- 1 ftp ftp 12 Foo 02 10:00 x",
            b"-rw-r--r-- 1 ftp ftp 12 Jan 02 10:00",
            b"-rw-r--r-- 1 ftp ftp 12 Jan 02 10:00 ",
            b"-rw-r--r-- 1 ftp ftp 12 Feb 30 10:00 x",
            b"-rw-r--r-- 1 ftp ftp 12 Jan 02 24:00 x",
            b"-rw-r--r-- 1 ftp ftp 12 Jan 32  2020 x",
            b"-rw-r--r-- 1 ftp ftp 12 Jan 02  0999 x",
            b"-rw-r--r-- 1 ftp ftp twelve Jan 02 10:00 x",
            b"-rwxrwxrwz 1 ftp ftp 12 Jan 02 10:00 x",
            b"crw-rw-rw- 1 0 0 12 Jan 02 10:00 not-a-device",
            b"lrwxrwxrwx 1 ftp ftp 1 Jan 02 10:00  -> target",
            b"type=file;size=abc; x",
            b"type=file;size=1; ",
            b"type=file;modify=2024; x",
            b"type=file;unix.mode=0999; x",
            b"type=\xff; x",
            b"01-32-24  10:00AM  1 x",
            b"01-02-24  13:00PM  1 x",
            b"01-02-24  10:00AM  <DIR>",
        ];
        for line in bad {
            let err = parse_line_at(line, now()).expect_err(&String::from_utf8_lossy(line));
            assert!(matches!(err, Error::Syntax { .. }), "{err}");
        }
        let total = parse_line_at(b"total 12", now()).expect_err("total line");
        assert_eq!(
            total.to_string(),
            "invalid listing line: a `total` line, not an entry"
        );
    }

    /// Random bytes drawn mostly from what listings are made of.
    fn random_line(rng: &mut XorShift) -> Vec<u8> {
        const PIECES: [&[u8]; 24] = [
            b" ", b"  ", b"-", b"d", b"l", b"c", b"rwx", b"r-s", b"1", b"42", b"1,", b"Jan",
            b"Feb", b"29", b"10:00", b"2023", b"<DIR>", b"AM", b"PM", b"type=", b"file;", b";",
            b"=", b"\xff",
        ];
        let pieces = rng.below(16);
        (0..pieces)
            .flat_map(|_| {
                if rng.below(4) == 0 {
                    vec![rng.next() as u8]
                } else {
                    rng.pick(&PIECES).to_vec()
                }
            })
            .collect()
    }

    /// `line` with a few random bytes changed, inserted or removed, then cut short.
    fn mutate(rng: &mut XorShift, line: &[u8]) -> Vec<u8> {
        let mut line = line.to_vec();
        for _ in 0..rng.below(4) {
            let at = rng.below(line.len() + 1);
            match rng.below(3) {
                0 => line.insert(at, rng.next() as u8),
                1 if at < line.len() => line[at] = rng.pick(b" 0:;=,-9"),
                _ if at < line.len() => {
                    line.remove(at);
                }
                _ => {}
            }
        }
        line.truncate(rng.below(line.len() + 1));
        line
    }

    #[test]
    fn random_and_damaged_input_never_panics() {
        const SEEDS: [&[u8]; 6] = [
            b"drwxr-xr-x    2 ftp      ftp          4096 Jan 02 10:00 pub",
            b"crw-rw-rw-    1 0          0            1,   3 Feb 29  2020 null",
            b"lrwxrwxrwx 1 ftp ftp 11 Feb 29 10:00 latest -> release",
            b"01-02-2024  10:00PM   1,234,567 name with spaces",
            b"Type=file;Size=1024990;Modify=19990929003355.237;Perm=r; /tmp/cap60.pl198.tar.gz",
            b"20240229235960.123",
        ];
        let mut rng = XorShift::new(0x9E37_79B9_7F4A_7C15);
        let now = utc(2024, 2, 28, 12, 0);
        for round in 0..30_000 {
            let line = if round % 2 == 0 {
                random_line(&mut rng)
            } else {
                let seed = rng.pick(&SEEDS);
                mutate(&mut rng, seed)
            };
            let _ = parse_line_at(&line, now);
            let text = String::from_utf8_lossy(&line);
            if let Ok(time) = time::parse_timestamp(&text) {
                // Whatever parses formats back to its first 14 digits, leap seconds aside.
                if &text[12..14] != "60" {
                    assert_eq!(time::format_timestamp(time), text[..14], "{text}");
                }
            }
        }
    }
}
