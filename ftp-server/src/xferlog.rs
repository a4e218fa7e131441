//! The transfer log in the standard xferlog format (wu-ftpd, vsftpd,
//! ProFTPD), one line per file transfer:
//!
//! ```text
//! Thu Jan  1 00:00:00 1970 1 127.0.0.1 1234 /pub/a.txt b _ o a anonymous ftp 0 * c
//! ```
//!
//! current time, transfer seconds, remote host, bytes, file name, type
//! (`a`scii / `b`inary), special action (`_`), direction (`o`ut / `i`n),
//! access mode (`a`nonymous / `r`eal), user, service (`ftp`, or `ftps` when
//! the data connection was protected by TLS), authentication method
//! (`0`), authenticated user id (`*`), completion (`c`omplete / `i`ncomplete).
//!
//! Differences from wu-ftpd's: times are UTC (std has no time zones), the
//! file name is the virtual path (as the client sees it, with spaces shown
//! as `_` so the line stays split-able), and an anonymous user is logged as
//! `anonymous` rather than by the e-mail address given as password.
//!
//! What it does not do: rotate the file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use ftp_core::protocol::time::DateTime;

use crate::session::Record;

/// An open xferlog, shared by all sessions.
#[derive(Debug)]
pub struct XferLog {
    file: Mutex<File>,
}

/// One transfer, as the xferlog records it.
#[derive(Debug)]
pub struct XferEntry<'a> {
    /// When the transfer ended.
    pub when: SystemTime,
    /// How long it took.
    pub duration: Duration,
    /// The client's address.
    pub host: IpAddr,
    /// Bytes moved.
    pub bytes: u64,
    /// What, and by whom.
    pub record: &'a Record,
    /// TYPE A rather than TYPE I.
    pub ascii: bool,
    /// Whether the data connection was protected by TLS (PROT P): then
    /// the service is logged as `ftps`.
    pub protected: bool,
    /// Whether it completed.
    pub complete: bool,
}

impl XferLog {
    /// Opens `path` for appending, creating it if needed.
    pub fn open(path: &Path) -> std::io::Result<XferLog> {
        XferLog::open_file(path).map(XferLog::from_file)
    }

    /// Opens `path` as [`XferLog::open`] does, to be handed to another
    /// process (the server re-executed as `--run-as` USER).
    pub fn open_file(path: &Path) -> std::io::Result<File> {
        OpenOptions::new().append(true).create(true).open(path)
    }

    /// Writes to `file`, already open for appending (see
    /// [`XferLog::open_file`]).
    pub fn from_file(file: File) -> XferLog {
        XferLog {
            file: Mutex::new(file),
        }
    }

    /// Appends one line; a failure is logged, not fatal.
    pub fn write(&self, entry: &XferEntry<'_>) {
        let line = format_line(entry);
        let mut file = self
            .file
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Err(err) = file.write_all(line.as_bytes()) {
            log::error!("xferlog: {err}");
        }
    }
}

/// One xferlog line, with its newline.
fn format_line(entry: &XferEntry<'_>) -> String {
    let record = entry.record;
    let name: String = record
        .path
        .logged()
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .collect();
    let direction = if record.verb == "RETR" { 'o' } else { 'i' };
    format!(
        "{} {} {} {} {name} {} _ {direction} {} {} {} 0 * {}\n",
        ctime(entry.when),
        whole_seconds(entry.duration),
        entry.host,
        entry.bytes,
        if entry.ascii { 'a' } else { 'b' },
        if record.anonymous { 'a' } else { 'r' },
        record.user,
        if entry.protected { "ftps" } else { "ftp" },
        if entry.complete { 'c' } else { 'i' },
    )
}

/// Seconds, rounded up, at least 1 (as wu-ftpd writes them).
fn whole_seconds(elapsed: Duration) -> u64 {
    (elapsed.as_secs() + u64::from(elapsed.subsec_nanos() > 0)).max(1)
}

/// `Thu Jan  1 00:00:00 1970`, in UTC.
fn ctime(when: SystemTime) -> String {
    let date = DateTime::from_system_time(when);
    format!(
        "{} {} {:>2} {:02}:{:02}:{:02} {}",
        date.weekday_name(),
        date.month_name(),
        date.day(),
        date.hour(),
        date.minute(),
        date.second(),
        date.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::VirtualPath;
    use std::time::UNIX_EPOCH;

    #[test]
    fn ctime_matches_the_c_library_layout() {
        assert_eq!(ctime(UNIX_EPOCH), "Thu Jan  1 00:00:00 1970");
        // 2024-02-29 13:45:07 UTC, a Thursday.
        let leap = UNIX_EPOCH + Duration::from_secs(1_709_214_307);
        assert_eq!(ctime(leap), "Thu Feb 29 13:45:07 2024");
        // 2001-09-09 01:46:40 UTC, a Sunday.
        assert_eq!(
            ctime(UNIX_EPOCH + Duration::from_secs(1_000_000_000)),
            "Sun Sep  9 01:46:40 2001"
        );
    }

    #[test]
    fn lines_have_the_fourteen_xferlog_fields() {
        let record = Record {
            verb: "STOR",
            path: VirtualPath::root().join(b"in box/a b.txt"),
            user: "alice".to_string(),
            anonymous: false,
        };
        let entry = XferEntry {
            when: UNIX_EPOCH,
            duration: Duration::from_millis(1500),
            host: "127.0.0.1".parse().expect("ip"),
            bytes: 1234,
            record: &record,
            ascii: false,
            protected: false,
            complete: true,
        };
        assert_eq!(
            format_line(&entry),
            "Thu Jan  1 00:00:00 1970 2 127.0.0.1 1234 /in_box/a_b.txt b _ i r alice ftp 0 * c\n"
        );
    }

    #[test]
    fn a_file_name_cannot_break_a_line_or_send_escapes() {
        let record = Record {
            verb: "RETR",
            path: VirtualPath::root().join(b"x\x1b[2J\nfake line"),
            user: "alice".to_string(),
            anonymous: false,
        };
        let entry = XferEntry {
            when: UNIX_EPOCH,
            duration: Duration::from_millis(10),
            host: "127.0.0.1".parse().expect("ip"),
            bytes: 1,
            record: &record,
            ascii: false,
            protected: false,
            complete: true,
        };
        let line = format_line(&entry);
        assert_eq!(line.lines().count(), 1, "{line}");
        assert!(line.contains(" /x\\x1b[2J\\x0afake_line "), "{line}");
    }

    #[test]
    fn transfer_times_round_up_to_at_least_one_second() {
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_secs(2)), 2);
        assert_eq!(whole_seconds(Duration::from_millis(2001)), 3);
    }
}
