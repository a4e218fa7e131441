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

use super::{
    decimal, parse_timestamp, unix_seconds, CivilTime, Entry, EntryKind, MONTHS, NEAR_FUTURE,
    TRIPLETS,
};
use crate::Error;

/// What [`Error::Syntax`] names for every failure here.
const WHAT: &str = "listing line";

/// A syntax error in a listing line.
fn invalid(detail: impl Into<String>) -> Error {
    Error::syntax(WHAT, detail)
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
            Clock::Year(year) => CivilTime {
                year,
                month,
                day,
                hour: 0,
                minute: 0,
                second: 0,
            },
            Clock::Time { hour, minute } => infer_year(month, day, hour, minute, now)?,
        };
        date.check().map_err(invalid)?;
        date.to_system_time(0)
            .ok_or_else(|| invalid("a date this system cannot represent"))
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
) -> Result<CivilTime, Error> {
    let at_year = |year| CivilTime {
        year,
        month,
        day,
        hour,
        minute,
        second: 0,
    };
    // 2000 was a leap year: a date that is invalid then is invalid in every year.
    at_year(2000).check().map_err(invalid)?;
    let limit = unix_seconds(now).saturating_add(NEAR_FUTURE);
    let newest = CivilTime::from_unix_seconds(limit).year;
    (newest - 8..=newest)
        .rev()
        .map(at_year)
        .find(|date| date.check().is_ok() && date.unix_seconds() <= limit)
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
    let date = CivilTime {
        year,
        month,
        day,
        hour,
        minute,
        second: 0,
    };
    date.check().map_err(invalid)?;
    let modified = date
        .to_system_time(0)
        .ok_or_else(|| invalid("a date this system cannot represent"))?;
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
