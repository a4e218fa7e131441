//! Directory listings: `ls -l` lines and MLSx fact lines (RFC 3659 §7).
//!
//! The server builds an [`Entry`] from file metadata ([`Entry::from_metadata`])
//! and formats it as a `LIST` line ([`format_list_line`], in vsftpd's layout) or
//! as an `MLSD`/`MLST` line ([`format_mlsx_line`]) carrying the facts chosen with
//! `OPTS MLST` ([`Facts`]). The client parses a line in any of the three common
//! formats back into an [`Entry`] ([`parse_line`]): MLSx facts, Unix `ls -l` and
//! Windows/DOS (IIS). [`format_timestamp`] and [`parse_timestamp`] convert the
//! RFC 3659 time-val `YYYYMMDDHHMMSS[.sss]` used by `MDTM` and the `modify` fact.
//!
//! ```
//! use ftp_core::protocol::listing::{format_mlsx_line, parse_line, Entry, EntryKind, Facts};
//!
//! let entry = parse_line(b"-rw-r--r--   1 ftp  ftp  1234 Jan 02  2024 my notes.txt")?;
//! assert_eq!(entry.name, b"my notes.txt");
//! assert_eq!((entry.kind, entry.size, entry.mode), (EntryKind::File, Some(1234), Some(0o644)));
//! assert_eq!(
//!     format_mlsx_line(&entry, &Facts::default(), false),
//!     b"type=file;size=1234;modify=20240102000000;perm=r;unix.mode=0644; my notes.txt"
//! );
//! # Ok::<(), ftp_core::Error>(())
//! ```
//!
//! Names are bytes, never text: a name that is not UTF-8, or that holds spaces,
//! comes out of a format-then-parse round trip unchanged. All times are UTC,
//! since `std` has no time zone database; the calendar arithmetic
//! (days-from-civil and back, proleptic Gregorian) is written out here.
//!
//! What this module does not do: read directories, decide permissions (the
//! caller says whether an entry is writable), reveal owners (every `ls -l` line
//! says `ftp`), or frame lines (no CRLF is added, and the leading space of an
//! `MLST` reply line is the caller's).

use std::fmt;
use std::fs::Metadata;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::Error;

mod parse;

pub use parse::{parse_line, parse_line_at};

/// What kind of directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file: `-` in `ls -l`, `type=file` in MLSx.
    File,
    /// A directory: `d` in `ls -l`, `type=dir` (also `cdir` and `pdir`) in MLSx.
    Dir,
    /// A symbolic link: `l` in `ls -l`, `type=OS.unix=symlink` or
    /// `type=OS.unix=slink:target` in MLSx.
    Symlink,
    /// Anything else: a device, FIFO or socket, or a kind the line did not give.
    Other,
}

/// One directory entry, from metadata (server) or a parsed line (client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name, as bytes exactly as they travel on the wire (not always UTF-8).
    pub name: Vec<u8>,
    /// What kind of entry this is.
    pub kind: EntryKind,
    /// The size in bytes, when known.
    pub size: Option<u64>,
    /// The last modification time, when known.
    pub modified: Option<SystemTime>,
    /// The Unix permission bits (at most `0o7777`), when known.
    pub mode: Option<u32>,
    /// An opaque token, equal for all names of one file (RFC 3659 §7.5.2).
    pub unique: Option<String>,
}

/// Which MLSx facts are reported (OPTS MLST selects them).
///
/// [`Facts::default`] is the set a session starts with: every supported fact
/// but `unique`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// The `type` fact: `file`, `dir`, `OS.unix=symlink`, `OS.unix=special`.
    pub kind: bool,
    /// The `size` fact, given for files only.
    pub size: bool,
    /// The `modify` fact, a time-val in UTC.
    pub modify: bool,
    /// The `perm` fact (RFC 3659 §7.5.5).
    pub perm: bool,
    /// The `unix.mode` fact, the permission bits in octal.
    pub unix_mode: bool,
    /// The `unique` fact: device and inode in hex.
    pub unique: bool,
}

/// The supported facts' names, in the order they are listed and written.
/// [`Facts::flags`] gives the matching switches.
const FACT_NAMES: [&str; 6] = ["type", "size", "modify", "perm", "unix.mode", "unique"];

impl Entry {
    /// An entry from file-system metadata (`symlink_metadata` for links).
    ///
    /// The kind comes from the file type, the size from the length, and on Unix
    /// the mode is the permission bits and `unique` is the device and inode
    /// number in hex, e.g. `801U2a3f`.
    pub fn from_metadata(name: Vec<u8>, meta: &Metadata) -> Entry {
        let file_type = meta.file_type();
        let kind = if file_type.is_symlink() {
            EntryKind::Symlink
        } else if file_type.is_dir() {
            EntryKind::Dir
        } else if file_type.is_file() {
            EntryKind::File
        } else {
            EntryKind::Other
        };
        let (mode, unique) = mode_and_unique(meta);
        Entry {
            name,
            kind,
            size: Some(meta.len()),
            modified: meta.modified().ok(),
            mode,
            unique,
        }
    }
}

/// The permission bits and the `unique` token (`<dev>U<inode>`, hex) of a file.
#[cfg(unix)]
fn mode_and_unique(meta: &Metadata) -> (Option<u32>, Option<String>) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mode = meta.permissions().mode() & 0o7777;
    (
        Some(mode),
        Some(format!("{:x}U{:x}", meta.dev(), meta.ino())),
    )
}

/// Without Unix metadata there are no mode bits and no inode numbers.
#[cfg(not(unix))]
fn mode_and_unique(_meta: &Metadata) -> (Option<u32>, Option<String>) {
    (None, None)
}

impl Facts {
    /// Parses the OPTS MLST argument (`type;size;`), ignoring unknown facts.
    ///
    /// Fact names are case-insensitive; an empty argument selects no fact at
    /// all (RFC 3659 §7.9). A name that is not supported, including one with a
    /// space in it, is ignored rather than refused.
    pub fn from_opts(arg: &str) -> Facts {
        let mut facts = Facts {
            kind: false,
            size: false,
            modify: false,
            perm: false,
            unix_mode: false,
            unique: false,
        };
        for requested in arg.split(';') {
            let known = FACT_NAMES
                .iter()
                .position(|name| name.eq_ignore_ascii_case(requested));
            if let Some(index) = known {
                *facts.flags_mut()[index] = true;
            }
        }
        facts
    }

    /// The FEAT line: `MLST type*;size*;modify*;perm*;unix.mode*;unique;`.
    ///
    /// Every supported fact is listed, with `*` after the selected ones
    /// (RFC 3659 §7.8). The line has no leading space: the one space that
    /// starts every feature line belongs to the server's FEAT reply, like the
    /// space before `SIZE` or `UTF8`.
    pub fn feat_line(&self) -> String {
        let listed: String = FACT_NAMES
            .iter()
            .zip(self.flags())
            .map(|(name, on)| format!("{name}{};", if on { "*" } else { "" }))
            .collect();
        format!("MLST {listed}")
    }

    /// The text of the `200` reply to OPTS MLST: `MLST OPTS type;size;`, or
    /// `MLST OPTS` alone when no fact is selected (RFC 3659 §7.9.1).
    pub fn opts_reply(&self) -> String {
        let selected: String = FACT_NAMES
            .iter()
            .zip(self.flags())
            .filter(|&(_, on)| on)
            .map(|(name, _)| format!("{name};"))
            .collect();
        if selected.is_empty() {
            "MLST OPTS".to_owned()
        } else {
            format!("MLST OPTS {selected}")
        }
    }

    /// The switches in [`FACT_NAMES`] order.
    fn flags(&self) -> [bool; 6] {
        [
            self.kind,
            self.size,
            self.modify,
            self.perm,
            self.unix_mode,
            self.unique,
        ]
    }

    /// The switches in [`FACT_NAMES`] order, to set them.
    fn flags_mut(&mut self) -> [&mut bool; 6] {
        [
            &mut self.kind,
            &mut self.size,
            &mut self.modify,
            &mut self.perm,
            &mut self.unix_mode,
            &mut self.unique,
        ]
    }
}

impl Default for Facts {
    fn default() -> Self {
        Facts {
            kind: true,
            size: true,
            modify: true,
            perm: true,
            unix_mode: true,
            unique: false,
        }
    }
}

/// The owner and group shown on every `ls -l` line: the server's real users
/// are none of the client's business.
const OWNER: &str = "ftp";

/// The link count shown on every `ls -l` line; clients do not rely on it.
const LINK_COUNT: u32 = 1;

/// English month abbreviations, as `ls -l` prints them.
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds in a day.
const SECONDS_PER_DAY: i64 = 86_400;

/// How old a time may be and still be shown as `HH:MM`: half a mean
/// Gregorian year, as GNU `ls` counts it.
const SIX_MONTHS: i64 = 15_778_476;

/// How far in the future a time may be and still count as recent, in
/// `ls -l` lines and when guessing the missing year of one.
const NEAR_FUTURE: i64 = SECONDS_PER_DAY;

/// An `ls -l` line (no CRLF); dates older than six months show the year.
///
/// The layout is vsftpd's:
/// `drwxr-xr-x    1 ftp      ftp          4096 Jan 02 10:00 name`. The link
/// count is always 1 and the owner and group always `ftp`. The date is
/// `Mon dd HH:MM` when it is less than six months before `now` or at most a
/// day after it, else `Mon dd  YYYY`, in UTC. An unknown mode shows as
/// `rw-r--r--` for files, `rwxr-xr-x` for directories and `rwxrwxrwx` for
/// links; an unknown size as 0; an unknown time as the Unix epoch. The name is
/// written as it is (a symlink's target is not known, so no `-> target`).
pub fn format_list_line(entry: &Entry, now: SystemTime) -> Vec<u8> {
    let mode = entry.mode.unwrap_or(match entry.kind {
        EntryKind::Dir => 0o755,
        EntryKind::Symlink => 0o777,
        EntryKind::File | EntryKind::Other => 0o644,
    });
    let type_char = match entry.kind {
        EntryKind::File => '-',
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::Other => '?',
    };
    let permissions: String = TRIPLETS
        .iter()
        .flat_map(|triplet| triplet.format(mode))
        .map(char::from)
        .collect();
    let date = list_date(entry.modified.unwrap_or(UNIX_EPOCH), now);
    let size = entry.size.unwrap_or(0);
    let head =
        format!("{type_char}{permissions} {LINK_COUNT:>4} {OWNER:<8} {OWNER:<8} {size:>8} {date} ");
    let mut line = head.into_bytes();
    line.extend_from_slice(&entry.name);
    line
}

/// The date columns of an `ls -l` line: `Jan 02 10:00` or `Jan 02  2023`.
fn list_date(time: SystemTime, now: SystemTime) -> String {
    let seconds = unix_seconds(time);
    let now = unix_seconds(now);
    let date = CivilTime::from_unix_seconds(seconds);
    let month = MONTHS[date.month as usize - 1];
    let recent =
        seconds > now.saturating_sub(SIX_MONTHS) && seconds <= now.saturating_add(NEAR_FUTURE);
    if recent {
        format!(
            "{month} {:02} {:02}:{:02}",
            date.day, date.hour, date.minute
        )
    } else {
        format!("{month} {:02}  {}", date.day, date.year)
    }
}

/// One `rwx` group of an `ls -l` mode: where its bits are, and how its special
/// bit (setuid, setgid, sticky) shows in the `x` column.
struct Triplet {
    /// How far the group's `rwx` bits are shifted in the mode.
    shift: u32,
    /// The special bit shown in this group's `x` column.
    special: u32,
    /// The letter for "special and executable"; upper case means special only.
    letter: u8,
}

/// The owner, group and other permission groups, in `ls -l` order.
const TRIPLETS: [Triplet; 3] = [
    Triplet {
        shift: 6,
        special: 0o4000,
        letter: b's',
    },
    Triplet {
        shift: 3,
        special: 0o2000,
        letter: b's',
    },
    Triplet {
        shift: 0,
        special: 0o1000,
        letter: b't',
    },
];

impl Triplet {
    /// This group of `mode` as `ls -l` shows it, e.g. `r-x` or `rws`.
    fn format(&self, mode: u32) -> [u8; 3] {
        let bits = mode >> self.shift;
        let shown = |mask: u32, letter: u8| if bits & mask != 0 { letter } else { b'-' };
        let exec = match (bits & 1 != 0, mode & self.special != 0) {
            (true, true) => self.letter,
            (false, true) => self.letter.to_ascii_uppercase(),
            (true, false) => b'x',
            (false, false) => b'-',
        };
        [shown(4, b'r'), shown(2, b'w'), exec]
    }

    /// The mode bits of one `ls -l` group such as `r-x`; `None` if it is not one.
    fn parse(&self, text: &[u8]) -> Option<u32> {
        let &[read, write, exec] = text else {
            return None;
        };
        let read = match read {
            b'r' => 4,
            b'-' => 0,
            _ => return None,
        };
        let write = match write {
            b'w' => 2,
            b'-' => 0,
            _ => return None,
        };
        let (exec, special) = match exec {
            b'-' => (0, 0),
            b'x' => (1, 0),
            c if c == self.letter => (1, self.special),
            c if c == self.letter.to_ascii_uppercase() => (0, self.special),
            _ => return None,
        };
        Some(((read | write | exec) << self.shift) | special)
    }
}

/// An MLSx line `fact=value;... name` (no CRLF, no leading space); `writable` sets the perm fact.
///
/// The selected facts come in the order `type;size;modify;perm;unix.mode;unique;`,
/// each only where it applies: `size` for files only, `modify`, `unix.mode` and
/// `unique` only when known. `perm` (RFC 3659 §7.5.5) is `r` for a file, plus
/// `adfw` when writable; `el` for a directory, plus `cdfmp` when writable; and
/// for links and other kinds, whose target the line cannot know, only `df` when
/// writable. Exactly one space separates the facts from the name, even when no
/// fact is selected (RFC 3659 §7.2). For `MLST` the caller adds the leading
/// space of the reply line.
pub fn format_mlsx_line(entry: &Entry, facts: &Facts, writable: bool) -> Vec<u8> {
    let values = [
        Some(mlsx_type(entry.kind).to_owned()),
        entry
            .size
            .filter(|_| entry.kind == EntryKind::File)
            .map(|size| size.to_string()),
        entry.modified.map(format_timestamp),
        Some(mlsx_perm(entry.kind, writable).to_owned()),
        entry.mode.map(|mode| format!("0{mode:o}")),
        entry.unique.clone(),
    ];
    let written: String = FACT_NAMES
        .iter()
        .zip(facts.flags())
        .zip(values)
        .filter_map(|((name, on), value)| Some(format!("{name}={};", value.filter(|_| on)?)))
        .collect();
    let mut line = written.into_bytes();
    line.push(b' ');
    line.extend_from_slice(&entry.name);
    line
}

/// The value of the `type` fact for a kind of entry.
fn mlsx_type(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::File => "file",
        EntryKind::Dir => "dir",
        EntryKind::Symlink => "OS.unix=symlink",
        EntryKind::Other => "OS.unix=special",
    }
}

/// The value of the `perm` fact (RFC 3659 §7.5.5), letters in alphabetical order.
fn mlsx_perm(kind: EntryKind, writable: bool) -> &'static str {
    match (kind, writable) {
        (EntryKind::File, false) => "r",
        (EntryKind::File, true) => "adfrw",
        (EntryKind::Dir, false) => "el",
        (EntryKind::Dir, true) => "cdeflmp",
        (EntryKind::Symlink | EntryKind::Other, false) => "",
        (EntryKind::Symlink | EntryKind::Other, true) => "df",
    }
}

/// `YYYYMMDDHHMMSS` (UTC) for MDTM and the modify fact.
///
/// Fractions of a second are dropped: RFC 3659 §2.3 makes them optional, and
/// many `MDTM` clients expect exactly 14 digits. A time outside the years 1000 to 9999, which a
/// time-val cannot express, is clamped to that range.
pub fn format_timestamp(t: SystemTime) -> String {
    let date = CivilTime::from_unix_seconds(unix_seconds(t));
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}",
        date.year, date.month, date.day, date.hour, date.minute, date.second
    )
}

/// Parses `YYYYMMDDHHMMSS[.sss]` (UTC).
///
/// Every field is range-checked (year 1000 to 9999, the day against its month,
/// second 60 only as a leap second, which counts as the next minute's 00). A
/// fraction needs at least one digit; up to nine are kept. Times before 1970
/// are accepted where the system can represent them.
pub fn parse_timestamp(s: &str) -> Result<SystemTime, Error> {
    let invalid = |detail: &str| Error::syntax("timestamp", format!("{detail} in {s:?}"));
    let (digits, fraction) = match s.split_once('.') {
        Some((digits, fraction)) => (digits.as_bytes(), Some(fraction)),
        None => (s.as_bytes(), None),
    };
    if digits.len() != 14 {
        return Err(invalid("expected 14 digits YYYYMMDDHHMMSS"));
    }
    let field = |from: usize, to: usize| {
        decimal(&digits[from..to])
            .and_then(|value| u32::try_from(value).ok())
            .ok_or_else(|| invalid("expected 14 digits YYYYMMDDHHMMSS"))
    };
    let date = CivilTime {
        year: i64::from(field(0, 4)?),
        month: field(4, 6)?,
        day: field(6, 8)?,
        hour: field(8, 10)?,
        minute: field(10, 12)?,
        second: field(12, 14)?,
    };
    let nanos = match fraction {
        Some(fraction) => {
            fraction_nanos(fraction).ok_or_else(|| invalid("expected digits after '.'"))?
        }
        None => 0,
    };
    date.check().map_err(&invalid)?;
    date.to_system_time(nanos)
        .ok_or_else(|| invalid("a time this system cannot represent"))
}

/// The nanoseconds of a decimal fraction `sss` (at least one digit, extra
/// precision beyond nanoseconds dropped).
fn fraction_nanos(fraction: &str) -> Option<u32> {
    let digits = fraction.as_bytes();
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let kept = &digits[..digits.len().min(9)];
    let value = u32::try_from(decimal(kept)?).ok()?;
    Some(value * 10u32.pow(9 - kept.len() as u32))
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

/// Whole seconds since the Unix epoch, rounded down, saturating at the ends
/// of `i64`.
fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            -whole - i64::from(before.subsec_nanos() > 0)
        }
    }
}

/// The first second of the year 1000, the earliest a time-val can express.
const MIN_SECONDS: i64 = days_from_civil(1000, 1, 1) * SECONDS_PER_DAY;

/// The last second of the year 9999, the latest a time-val can express.
const MAX_SECONDS: i64 = days_from_civil(10_000, 1, 1) * SECONDS_PER_DAY - 1;

/// A UTC date and time of day in the proleptic Gregorian calendar. Values
/// built from fields are not checked until [`CivilTime::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CivilTime {
    /// The year, e.g. 2024.
    year: i64,
    /// The month, 1 to 12.
    month: u32,
    /// The day of the month, from 1.
    day: u32,
    /// The hour, 0 to 23.
    hour: u32,
    /// The minute, 0 to 59.
    minute: u32,
    /// The second, 0 to 60 (60 only at a leap second).
    second: u32,
}

impl CivilTime {
    /// The date and time `seconds` after the Unix epoch, clamped to the years
    /// 1000 to 9999.
    fn from_unix_seconds(seconds: i64) -> CivilTime {
        let seconds = seconds.clamp(MIN_SECONDS, MAX_SECONDS);
        let (year, month, day) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
        let of_day = seconds.rem_euclid(SECONDS_PER_DAY) as u32;
        CivilTime {
            year,
            month,
            day,
            hour: of_day / 3600,
            minute: of_day / 60 % 60,
            second: of_day % 60,
        }
    }

    /// Seconds since the Unix epoch (a leap second counts as the next
    /// minute's first). Meaningful only for a value that passed [`check`](Self::check).
    fn unix_seconds(&self) -> i64 {
        let days = days_from_civil(self.year, self.month, self.day);
        let of_day = i64::from(self.hour * 3600 + self.minute * 60 + self.second);
        days * SECONDS_PER_DAY + of_day
    }

    /// Whether every field is in range, with the reason when one is not.
    fn check(&self) -> Result<(), &'static str> {
        if !(1000..=9999).contains(&self.year) {
            Err("year outside 1000-9999")
        } else if !(1..=12).contains(&self.month) {
            Err("month outside 01-12")
        } else if self.day < 1 || self.day > days_in_month(self.year, self.month) {
            Err("no such day in that month")
        } else if self.hour > 23 {
            Err("hour outside 00-23")
        } else if self.minute > 59 {
            Err("minute outside 00-59")
        } else if self.second > 60 {
            Err("second outside 00-60")
        } else {
            Ok(())
        }
    }

    /// This (checked) time plus `nanos`, or `None` if the system's clock type
    /// cannot hold it.
    fn to_system_time(self, nanos: u32) -> Option<SystemTime> {
        let seconds = self.unix_seconds();
        let whole = Duration::from_secs(seconds.unsigned_abs());
        let base = if seconds >= 0 {
            UNIX_EPOCH.checked_add(whole)
        } else {
            UNIX_EPOCH.checked_sub(whole)
        };
        base?.checked_add(Duration::from_nanos(u64::from(nanos)))
    }
}

impl fmt::Display for CivilTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Whether `year` has a 29 February.
fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The number of days in a month (1 to 12) of a year.
fn days_in_month(year: i64, month: u32) -> u32 {
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
const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month as i64 + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date (year, month, day) that is `days` after 1970-01-01; the inverse
/// of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::XorShift;

    /// A UTC time from its fields, for fixtures.
    fn utc(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> SystemTime {
        let date = CivilTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
        };
        assert_eq!(date.check(), Ok(()), "fixture date {date}");
        date.to_system_time(0).expect("fixture date representable")
    }

    /// An entry with every field set, for round trips.
    fn entry(
        name: &[u8],
        kind: EntryKind,
        size: Option<u64>,
        modified: SystemTime,
        mode: u32,
    ) -> Entry {
        Entry {
            name: name.to_vec(),
            kind,
            size,
            modified: Some(modified),
            mode: Some(mode),
            unique: None,
        }
    }

    /// Every fact selected.
    fn all_facts() -> Facts {
        Facts::from_opts("type;size;modify;perm;unix.mode;unique;")
    }

    #[test]
    fn list_lines_follow_the_vsftpd_layout() {
        let now = utc(2024, 3, 15, 12, 0, 0);
        let dir = entry(
            b"name",
            EntryKind::Dir,
            Some(4096),
            utc(2024, 1, 2, 10, 0, 0),
            0o755,
        );
        assert_eq!(
            format_list_line(&dir, now),
            b"drwxr-xr-x    1 ftp      ftp          4096 Jan 02 10:00 name"
        );
        let old = entry(
            b"old file",
            EntryKind::File,
            Some(123),
            utc(2023, 1, 2, 10, 0, 0),
            0o644,
        );
        assert_eq!(
            format_list_line(&old, now),
            b"-rw-r--r--    1 ftp      ftp           123 Jan 02  2023 old file"
        );
        let big = entry(
            b"big",
            EntryKind::File,
            Some(12_345_678_901),
            utc(2024, 3, 1, 0, 0, 0),
            0o600,
        );
        assert_eq!(
            format_list_line(&big, now),
            b"-rw-------    1 ftp      ftp      12345678901 Mar 01 00:00 big"
        );
    }

    #[test]
    fn list_dates_switch_to_the_year_outside_six_months_and_the_near_future() {
        let now = utc(2024, 7, 1, 0, 0, 0);
        let shown = |time| {
            let line = format_list_line(&entry(b"x", EntryKind::File, Some(0), time, 0o644), now);
            String::from_utf8(line[43..55].to_vec()).expect("ASCII date")
        };
        assert_eq!(shown(utc(2024, 1, 5, 8, 30, 0)), "Jan 05 08:30");
        assert_eq!(shown(utc(2023, 12, 30, 8, 30, 0)), "Dec 30  2023");
        assert_eq!(shown(utc(2024, 7, 1, 23, 59, 0)), "Jul 01 23:59");
        assert_eq!(shown(utc(2024, 7, 3, 0, 0, 0)), "Jul 03  2024");
    }

    #[test]
    fn list_modes_show_kind_and_special_bits() {
        let now = utc(2024, 3, 15, 12, 0, 0);
        let modes = |kind, mode| {
            let line = format_list_line(&entry(b"x", kind, Some(0), now, mode), now);
            String::from_utf8(line[..10].to_vec()).expect("ASCII mode")
        };
        assert_eq!(modes(EntryKind::File, 0o4755), "-rwsr-xr-x");
        assert_eq!(modes(EntryKind::File, 0o4644), "-rwSr--r--");
        assert_eq!(modes(EntryKind::Dir, 0o2775), "drwxrwsr-x");
        assert_eq!(modes(EntryKind::Dir, 0o2705), "drwx--Sr-x");
        assert_eq!(modes(EntryKind::Dir, 0o1777), "drwxrwxrwt");
        assert_eq!(modes(EntryKind::Dir, 0o1770), "drwxrwx--T");
        assert_eq!(modes(EntryKind::Symlink, 0o777), "lrwxrwxrwx");
        assert_eq!(modes(EntryKind::Other, 0o000), "?---------");
    }

    #[test]
    fn list_lines_fill_in_unknown_fields() {
        let unknown = Entry {
            name: b"dir".to_vec(),
            kind: EntryKind::Dir,
            size: None,
            modified: None,
            mode: None,
            unique: None,
        };
        assert_eq!(
            format_list_line(&unknown, utc(2024, 3, 15, 12, 0, 0)),
            b"drwxr-xr-x    1 ftp      ftp             0 Jan 01  1970 dir"
        );
    }

    #[test]
    fn mlsx_lines_carry_the_selected_facts_in_order() {
        let mut file = entry(
            b"notes.txt",
            EntryKind::File,
            Some(123),
            utc(2024, 1, 2, 10, 0, 0),
            0o644,
        );
        file.unique = Some("801U2a3f".to_owned());
        assert_eq!(
            format_mlsx_line(&file, &Facts::default(), true),
            b"type=file;size=123;modify=20240102100000;perm=adfrw;unix.mode=0644; notes.txt"
        );
        assert_eq!(
            format_mlsx_line(&file, &all_facts(), false),
            b"type=file;size=123;modify=20240102100000;perm=r;unix.mode=0644;unique=801U2a3f; notes.txt"
        );
        assert_eq!(
            format_mlsx_line(&file, &Facts::from_opts("unique;size;"), false),
            b"size=123;unique=801U2a3f; notes.txt"
        );
        // No fact selected: the one space before the name stays (RFC 3659 §7.2).
        assert_eq!(
            format_mlsx_line(&file, &Facts::from_opts(""), false),
            b" notes.txt"
        );
    }

    #[test]
    fn mlsx_lines_give_size_to_files_only_and_perm_by_kind() {
        let when = utc(1998, 11, 7, 8, 52, 15);
        let dir = entry(b"tmp", EntryKind::Dir, Some(4096), when, 0o4755);
        assert_eq!(
            format_mlsx_line(&dir, &Facts::default(), false),
            b"type=dir;modify=19981107085215;perm=el;unix.mode=04755; tmp"
        );
        assert_eq!(
            format_mlsx_line(&dir, &Facts::from_opts("type;perm;"), true),
            b"type=dir;perm=cdeflmp; tmp"
        );
        let link = entry(b"latest", EntryKind::Symlink, Some(11), when, 0o777);
        assert_eq!(
            format_mlsx_line(&link, &Facts::from_opts("type;size;perm;"), true),
            b"type=OS.unix=symlink;perm=df; latest"
        );
        let fifo = entry(b"pipe", EntryKind::Other, Some(0), when, 0o600);
        assert_eq!(
            format_mlsx_line(&fifo, &Facts::from_opts("type;size;perm;"), false),
            b"type=OS.unix=special;perm=; pipe"
        );
    }

    #[test]
    fn opts_selects_facts_case_insensitively_and_ignores_unknown_ones() {
        let facts = Facts::from_opts("Type;UNIX.mode;Perm;");
        assert_eq!(
            (
                facts.kind,
                facts.size,
                facts.modify,
                facts.perm,
                facts.unix_mode,
                facts.unique
            ),
            (true, false, false, true, true, false)
        );
        // RFC 3659 §7.9.2: unsupported facts are simply not selected.
        assert_eq!(
            Facts::from_opts("lang;type;charset;create;").opts_reply(),
            "MLST OPTS type;"
        );
        assert_eq!(
            Facts::from_opts("size;frogs;").opts_reply(),
            "MLST OPTS size;"
        );
        assert_eq!(Facts::from_opts("fish;cakes;").opts_reply(), "MLST OPTS");
        assert_eq!(Facts::from_opts("").opts_reply(), "MLST OPTS");
        assert_eq!(
            Facts::from_opts("size;unique").opts_reply(),
            "MLST OPTS size;unique;"
        );
    }

    #[test]
    fn feat_line_lists_every_fact_and_stars_the_selected() {
        assert_eq!(
            Facts::default().feat_line(),
            "MLST type*;size*;modify*;perm*;unix.mode*;unique;"
        );
        assert_eq!(
            Facts::from_opts("unique;modify;").feat_line(),
            "MLST type;size;modify*;perm;unix.mode;unique*;"
        );
        assert_eq!(
            Facts::from_opts("").feat_line(),
            "MLST type;size;modify;perm;unix.mode;unique;"
        );
    }

    #[test]
    fn list_lines_round_trip_through_the_parser() {
        let now = utc(2024, 3, 15, 12, 0, 0);
        let recent = utc(2024, 2, 29, 23, 59, 0);
        let old = utc(2019, 8, 1, 0, 0, 0);
        let entries = [
            entry(b"plain.txt", EntryKind::File, Some(1234), recent, 0o644),
            entry(b"  two  spaces ", EntryKind::File, Some(0), old, 0o600),
            entry(
                b"caf\xe9 \xff\xfe menu",
                EntryKind::File,
                Some(u64::MAX),
                recent,
                0o4755,
            ),
            entry(b"sub dir", EntryKind::Dir, Some(4096), old, 0o2775),
            entry(b"tmp", EntryKind::Dir, Some(4096), recent, 0o1777),
            entry(b"link name", EntryKind::Symlink, Some(11), recent, 0o777),
            entry(
                b"1234 Jan 02 10:00 tricky",
                EntryKind::File,
                Some(5),
                old,
                0o644,
            ),
        ];
        for entry in entries {
            let line = format_list_line(&entry, now);
            let parsed = parse_line_at(&line, now).expect("own list line parses");
            assert_eq!(parsed, entry, "{}", String::from_utf8_lossy(&line));
        }
    }

    #[test]
    fn mlsx_lines_round_trip_through_the_parser() {
        let when = utc(1999, 9, 29, 0, 33, 55);
        let mut entries = vec![
            entry(b"file1", EntryKind::File, Some(1_024_990), when, 0o644),
            entry(b"   ", EntryKind::File, Some(0), when, 0o600),
            entry(b" leading space", EntryKind::File, Some(7), when, 0o640),
            entry(
                b"\x80\x81 not utf-8 \xc3",
                EntryKind::File,
                Some(1),
                when,
                0o7777,
            ),
            entry(b"a;b=c d", EntryKind::Dir, None, when, 0o755),
            entry(b"link", EntryKind::Symlink, None, when, 0o777),
            entry(b"device", EntryKind::Other, None, when, 0o660),
        ];
        for (n, entry) in entries.iter_mut().enumerate() {
            entry.unique = Some(format!("801U{n:x}"));
        }
        for entry in entries {
            let line = format_mlsx_line(&entry, &all_facts(), true);
            let parsed = parse_line(&line).expect("own MLSx line parses");
            assert_eq!(parsed, entry, "{}", String::from_utf8_lossy(&line));
        }
    }

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
            "20240102100000 ",
            "09990101000000",
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
        }
        let message = parse_timestamp("20230229000000")
            .expect_err("no 29 Feb 2023")
            .to_string();
        assert_eq!(
            message,
            "invalid timestamp: no such day in that month in \"20230229000000\""
        );
    }

    #[test]
    fn times_beyond_a_time_val_are_clamped_when_formatted() {
        let far = UNIX_EPOCH + Duration::from_secs(1 << 40);
        assert_eq!(format_timestamp(far), "99991231235959");
        let max = UNIX_EPOCH + Duration::from_secs(u64::MAX / 4);
        assert_eq!(format_timestamp(max), "99991231235959");
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
        for year in 1000..=9999 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    assert_eq!(days_from_civil(year, month, day), days);
                    assert_eq!(civil_from_days(days), (year, month, day));
                    days += 1;
                }
            }
        }
        assert_eq!(days * SECONDS_PER_DAY, MAX_SECONDS + 1);
        assert!(
            is_leap_year(2000) && is_leap_year(2024) && !is_leap_year(1900) && !is_leap_year(2023)
        );
    }

    /// A scratch directory under the system's temporary directory, removed on drop.
    struct Scratch(std::path::PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[cfg(unix)]
    #[test]
    fn entries_from_metadata_carry_kind_size_mode_and_unique() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let scratch = Scratch(
            std::env::temp_dir().join(format!("listing-test-{}-{nanos}", std::process::id())),
        );
        let dir = &scratch.0;
        std::fs::create_dir(dir).expect("scratch dir");
        let file = dir.join("data.bin");
        std::fs::write(&file, b"0123456789").expect("write file");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o4640)).expect("chmod");
        std::os::unix::fs::symlink("data.bin", dir.join("link")).expect("symlink");

        let meta = std::fs::metadata(&file).expect("stat file");
        let entry = Entry::from_metadata(b"data.bin".to_vec(), &meta);
        assert_eq!(entry.kind, EntryKind::File);
        assert_eq!(entry.size, Some(10));
        assert_eq!(entry.mode, Some(0o4640));
        assert_eq!(entry.modified, meta.modified().ok());
        assert_eq!(
            entry.unique,
            Some(format!("{:x}U{:x}", meta.dev(), meta.ino()))
        );

        let link = Entry::from_metadata(
            b"link".to_vec(),
            &std::fs::symlink_metadata(dir.join("link")).expect("lstat"),
        );
        assert_eq!(link.kind, EntryKind::Symlink);
        assert_ne!(link.unique, entry.unique);
        let through_link = Entry::from_metadata(
            b"link".to_vec(),
            &std::fs::metadata(dir.join("link")).expect("stat"),
        );
        assert_eq!(through_link.unique, entry.unique);

        let dir_entry =
            Entry::from_metadata(b"d".to_vec(), &std::fs::metadata(dir).expect("stat dir"));
        assert_eq!(dir_entry.kind, EntryKind::Dir);
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
        let now = utc(2024, 2, 28, 12, 0, 0);
        for round in 0..30_000 {
            let line = if round % 2 == 0 {
                random_line(&mut rng)
            } else {
                let seed = rng.pick(&SEEDS);
                mutate(&mut rng, seed)
            };
            let _ = parse_line_at(&line, now);
            let text = String::from_utf8_lossy(&line);
            if let Ok(time) = parse_timestamp(&text) {
                // Whatever parses formats back to its first 14 digits, leap seconds aside.
                if &text[12..14] != "60" {
                    assert_eq!(format_timestamp(time), text[..14], "{text}");
                }
            }
        }
    }
}
