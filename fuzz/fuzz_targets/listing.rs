//! Fuzzes the client's listing parsers: `ftp_core::protocol::listing::parse_line_at`
//! (MLSx, DOS and Unix `ls -l` lines) and `ftp_core::protocol::time`'s
//! time-val parser.
//!
//! Properties: nothing panics; a parsed mode is at most `0o7777`; an entry
//! parsed from any line survives the server's two formats, MLSx (all facts
//! on, exactly, but for times cut to whole seconds and sizes kept for files
//! only) and `ls -l` (name, kind, size and mode); a parsed time-val formats
//! back to the same second, and as a `DateTime` to the same value. The clock is fixed so that a failure replays.
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ftp_core::protocol::listing::{
    format_list_line, format_mlsx_line, parse_line_at, Entry, EntryKind, Facts,
};
use ftp_core::protocol::time::{format_timestamp, parse_timestamp, DateTime};
use libfuzzer_sys::fuzz_target;

/// The fixed "now" for placing Unix dates without a year: 2024-07-01 12:00 UTC.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_719_835_200)
}

/// Every fact switched on.
const ALL_FACTS: Facts = Facts {
    kind: true,
    size: true,
    modify: true,
    perm: true,
    unix_mode: true,
    unique: true,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = parse_line_at(data, now()) {
        assert!(entry.mode.is_none_or(|mode| mode <= 0o7777), "{entry:?}");
        if writable_as_a_line(&entry) {
            check_mlsx_round_trip(&entry);
            check_list_round_trip(&entry);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        check_timestamp(text);
    }
});

/// Whether the formats can carry the entry's name at all: not empty, and no
/// CR or LF (which end a line).
fn writable_as_a_line(entry: &Entry) -> bool {
    !entry.name.is_empty() && !entry.name.iter().any(|b| matches!(b, b'\r' | b'\n'))
}

/// MLSx keeps everything the entry has, within the limits of the format.
fn check_mlsx_round_trip(entry: &Entry) {
    let line = format_mlsx_line(entry, &ALL_FACTS, false);
    let again = parse_line_at(&line, now());
    let expected = Entry {
        size: entry.size.filter(|_| entry.kind == EntryKind::File),
        modified: entry.modified.map(whole_second),
        ..entry.clone()
    };
    assert_eq!(again.ok(), Some(expected), "{entry:?} as {line:?}");
}

/// `ls -l` keeps the name, the kind, the size and the mode. A symlink's
/// name with ` -> ` in it reads as a link with a target, so it is skipped.
fn check_list_round_trip(entry: &Entry) {
    if entry.kind == EntryKind::Symlink && entry.name.windows(4).any(|w| w == b" -> ") {
        return;
    }
    let line = format_list_line(entry, now());
    let again =
        parse_line_at(&line, now()).unwrap_or_else(|err| panic!("{entry:?} as {line:?}: {err}"));
    assert_eq!(again.name, entry.name, "{line:?}");
    assert_eq!(again.kind, entry.kind, "{line:?}");
    assert_eq!(again.size, Some(entry.size.unwrap_or(0)), "{line:?}");
    if entry.mode.is_some() {
        assert_eq!(again.mode, entry.mode, "{line:?}");
    }
}

/// A time-val that parses formats back to the same whole second, and shows
/// as a `DateTime` that parses to the same value.
fn check_timestamp(text: &str) {
    if let Ok(date) = text.parse::<DateTime>() {
        let shown = date.to_string();
        assert_eq!(shown.parse::<DateTime>(), Ok(date), "{text:?} shows as {shown:?}");
    }
    let Ok(time) = parse_timestamp(text) else {
        return;
    };
    let formatted = format_timestamp(time);
    let again = parse_timestamp(&formatted)
        .unwrap_or_else(|err| panic!("{text:?} formats as {formatted:?}: {err}"));
    assert_eq!(
        again,
        whole_second(time),
        "{text:?} formats as {formatted:?}"
    );
}

/// `time` cut down to the whole second at or before it.
fn whole_second(time: SystemTime) -> SystemTime {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => UNIX_EPOCH + Duration::from_secs(after.as_secs()),
        Err(before) => {
            let before = before.duration();
            let seconds = before.as_secs() + u64::from(before.subsec_nanos() > 0);
            UNIX_EPOCH - Duration::from_secs(seconds)
        }
    }
}
