//! Writing listing lines: an [`Entry`] as an `ls -l` line (`LIST`, in
//! vsftpd's layout) or as an MLSx fact line (`MLSD`, `MLST`; RFC 3659 §7).
//!
//! What this module does not do: read directories, decide permissions (the
//! caller says whether an entry is writable), reveal owners (every `ls -l`
//! line says `ftp`), or frame lines (no CRLF is added, and the leading space
//! of an `MLST` reply line is the caller's).

use std::time::{SystemTime, UNIX_EPOCH};

use super::columns::{NEAR_FUTURE, SIX_MONTHS, TRIPLETS};
use super::facts::FACT_NAMES;
use super::{Entry, EntryKind, Facts};
use crate::protocol::time::{format_timestamp, unix_seconds, DateTime};

/// The owner and group shown on every `ls -l` line: the server's real users
/// are none of the client's business.
const OWNER: &str = "ftp";

/// The link count shown on every `ls -l` line; clients do not rely on it.
const LINK_COUNT: u32 = 1;

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
    let date = DateTime::from_unix_seconds(seconds);
    let month = date.month_name();
    let recent =
        seconds > now.saturating_sub(SIX_MONTHS) && seconds <= now.saturating_add(NEAR_FUTURE);
    if recent {
        format!(
            "{month} {:02} {:02}:{:02}",
            date.day(),
            date.hour(),
            date.minute()
        )
    } else {
        format!("{month} {:02}  {}", date.day(), date.year())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::listing::{parse_line, parse_line_at};
    use crate::test_support::utc;

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
}
