//! Sessions that work on paths while a race runs under them, and what they
//! saw: per command line, how often it was tried and succeeded, and every
//! reply or data connection that showed something from outside the root.
//!
//! What counts as outside: the text [`MARK`] (in every outside file's name
//! and content, never inside), the modification time [`OUTSIDE_MTIME`]
//! (every outside file has it, no inside file), and the outside files'
//! sizes (no inside file queried by SIZE, MLST or STAT has one of them).
//!
//! What it does not do: decide whether a run passed. The tests do that from
//! the tallies.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::Instant;

use ftp_core::protocol::reply::Reply;

use crate::harness::{Raw, PASSWORD, USER};

/// In the name and the content of every file outside the root, nowhere inside.
pub const MARK: &str = "OUTSIDE";

/// The modification time of every file outside the root, as MDTM and MLST
/// give it (2001-02-03 04:05:06 UTC).
pub const OUTSIDE_MTIME: &str = "20010203040506";

/// [`OUTSIDE_MTIME`] in seconds since the epoch.
pub const OUTSIDE_EPOCH: u64 = 981_173_106;

/// What a leak showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Leak {
    /// A file's content, size or time from outside the root.
    Read,
    /// Names from a directory outside the root, in a listing.
    Listing,
}

/// How one command line (numbers replaced by `N`) fared.
#[derive(Debug, Default, Clone, Copy)]
pub struct Row {
    /// How often it was sent.
    pub attempts: usize,
    /// How often it succeeded (and showed nothing from outside).
    pub ok: usize,
    /// How often its reply or data showed something from outside.
    pub leaks: usize,
}

/// What one or more sessions saw.
#[derive(Debug, Default)]
pub struct Tally {
    /// Per session and command line.
    pub rows: BTreeMap<String, Row>,
    /// Per kind of leak and command (numbers as `N`, all sessions): how
    /// often it leaked, and what the replies and data showed.
    pub leaks: BTreeMap<(Leak, String), (usize, BTreeSet<String>)>,
}

impl Tally {
    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: Tally) {
        for (key, row) in other.rows {
            let mine = self.rows.entry(key).or_default();
            mine.attempts += row.attempts;
            mine.ok += row.ok;
            mine.leaks += row.leaks;
        }
        for (key, (count, what)) in other.leaks {
            let mine = self.leaks.entry(key).or_default();
            mine.0 += count;
            mine.1.extend(what);
        }
    }

    /// The successes of rows whose key ends with `command` (e.g.
    /// `RETR d/inside.txt`), over all sessions.
    pub fn ok(&self, command: &str) -> usize {
        self.rows
            .iter()
            .filter(|(key, _)| key.ends_with(command))
            .map(|(_, row)| row.ok)
            .sum()
    }

    /// How many leaks of `kind` were seen.
    pub fn count(&self, kind: Leak) -> usize {
        self.leaks
            .iter()
            .filter(|((leak, _), _)| *leak == kind)
            .map(|(_, (n, _))| n)
            .sum()
    }

    /// `RETR d/secret x3 (data holds "OUTSIDE"); ...` for the leaks of `kind`.
    pub fn describe(&self, kind: Leak) -> String {
        self.leaks
            .iter()
            .filter(|((leak, _), _)| *leak == kind)
            .map(|((_, command), (n, what))| {
                let what: Vec<&str> = what.iter().map(String::as_str).collect();
                format!("{command} x{n} ({})", what.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Prints the table of attempts, successes and leaks.
    pub fn print(&self, title: &str) {
        println!("{title}: attempts / ok / leaks per session and command");
        for (key, row) in &self.rows {
            println!(
                "  {key:<40} {:>6} {:>6} {:>6}",
                row.attempts, row.ok, row.leaks
            );
        }
    }
}

/// A logged-in control connection that counts and inspects everything.
pub struct Probe<'a> {
    raw: Raw,
    who: &'static str,
    outside_sizes: &'a [u64],
    /// What this session saw.
    pub tally: Tally,
}

impl<'a> Probe<'a> {
    /// Logs in as alice (read-write), known in the tallies as `who`.
    pub fn user(addr: SocketAddr, who: &'static str, outside_sizes: &'a [u64]) -> Probe<'a> {
        Probe::login(addr, who, USER, PASSWORD, outside_sizes)
    }

    /// Logs in anonymously (read-only), known in the tallies as `who`.
    pub fn anonymous(addr: SocketAddr, who: &'static str, outside_sizes: &'a [u64]) -> Probe<'a> {
        Probe::login(addr, who, "anonymous", "race@example.org", outside_sizes)
    }

    fn login(
        addr: SocketAddr,
        who: &'static str,
        user: &str,
        password: &str,
        outside_sizes: &'a [u64],
    ) -> Probe<'a> {
        let mut raw = Raw::open(addr);
        raw.expect(&format!("USER {user}"), 331);
        raw.expect(&format!("PASS {password}"), 230);
        raw.expect("TYPE I", 200);
        Probe {
            raw,
            who,
            outside_sizes,
            tally: Tally::default(),
        }
    }

    /// Sends a command without data; returns its reply (counted and
    /// inspected). Success: 2xx, or 3xx (RNFR).
    pub fn cmd(&mut self, line: &str) -> Reply {
        self.cmd_as(&numbers_as_n(line), line)
    }

    /// As [`Probe::cmd`], counted in the tallies as `label`.
    pub fn cmd_as(&mut self, label: &str, line: &str) -> Reply {
        let reply = self.raw.command(line);
        let ok = (200..400).contains(&reply.code.0);
        let text = reply.to_string();
        self.record_as(label, line, ok, &text, b"");
        reply
    }

    /// Sends several commands in one write (pipelined) and reads as many
    /// replies; returns them (each counted and inspected).
    pub fn pipeline(&mut self, lines: &[&str]) -> Vec<Reply> {
        let bytes: String = lines.iter().map(|line| format!("{line}\r\n")).collect();
        self.raw.send(bytes.as_bytes());
        lines
            .iter()
            .map(|line| {
                let reply = self.raw.reply();
                let text = reply.to_string();
                self.record(line, (200..400).contains(&reply.code.0), &text, b"");
                reply
            })
            .collect()
    }

    /// A download or listing over EPSV: the data if the server says it
    /// sent all of it (`226`/`250`), `None` otherwise.
    pub fn get(&mut self, line: &str) -> Option<Vec<u8>> {
        let mut data = self.raw.epsv();
        let first = self.raw.command(line);
        let mut text = first.to_string();
        let mut bytes = Vec::new();
        let mut ok = false;
        if first.code.0 / 100 == 1 {
            let _ = data.read_to_end(&mut bytes);
            let done = self.raw.reply();
            ok = matches!(done.code.0, 226 | 250);
            text.push('\n');
            text.push_str(&done.to_string());
        }
        drop(data);
        self.record(line, ok, &text, &bytes);
        ok.then_some(bytes)
    }

    /// An upload (STOR, APPE, STOU) of `content` over EPSV; the final reply
    /// text if the server stored it, `None` otherwise.
    pub fn put(&mut self, line: &str, content: &[u8]) -> Option<String> {
        let mut data = self.raw.epsv();
        let first = self.raw.command(line);
        let mut text = first.to_string();
        let mut ok = false;
        if first.code.0 / 100 == 1 {
            let _ = data.write_all(content);
            let _ = data.shutdown(Shutdown::Write);
            let done = self.raw.reply();
            ok = matches!(done.code.0, 226 | 250);
            text.push('\n');
            text.push_str(&done.to_string());
        }
        drop(data);
        self.record(line, ok, &text, b"");
        ok.then_some(text)
    }

    /// Counts `line` and looks for anything from outside in its replies
    /// (`text`) and data (`data`).
    fn record(&mut self, line: &str, ok: bool, text: &str, data: &[u8]) {
        self.record_as(&numbers_as_n(line), line, ok, text, data);
    }

    /// As [`Probe::record`], counted as `command`.
    fn record_as(&mut self, command: &str, line: &str, ok: bool, text: &str, data: &[u8]) {
        let leaks = self.inspect(line, text, data);
        let row = self
            .tally
            .rows
            .entry(format!("{}: {command}", self.who))
            .or_default();
        row.attempts += 1;
        if leaks.is_empty() {
            row.ok += usize::from(ok);
        } else {
            row.leaks += 1;
        }
        let mut kinds = BTreeSet::new();
        for (kind, what) in leaks {
            let entry = self
                .tally
                .leaks
                .entry((kind, command.to_string()))
                .or_default();
            entry.0 += usize::from(kinds.insert(kind));
            entry.1.insert(what);
        }
    }

    /// What in a command's replies and data came from outside the root.
    fn inspect(&self, line: &str, text: &str, data: &[u8]) -> Vec<(Leak, String)> {
        let verb = line.split(' ').next().unwrap_or_default();
        let listing = matches!(verb, "LIST" | "NLST" | "MLSD" | "STAT");
        let kind = if listing { Leak::Listing } else { Leak::Read };
        let mut found = Vec::new();
        if text.contains(MARK) {
            found.push((kind, format!("reply holds {MARK:?}")));
        }
        if contains(data, MARK.as_bytes()) {
            found.push((kind, format!("data holds {MARK:?}")));
        }
        if text.contains(OUTSIDE_MTIME) || contains(data, OUTSIDE_MTIME.as_bytes()) {
            found.push((Leak::Read, "an outside file's time".to_string()));
        }
        // Sizes and times in the replies and listings.
        let long_lines = match verb {
            "STAT" => text.to_string(),
            "LIST" => String::from_utf8_lossy(data).into_owned(),
            _ => String::new(),
        };
        let mut sizes: Vec<u64> = long_lines.lines().filter_map(long_size).collect();
        match verb {
            "SIZE" if text.starts_with("213") => {
                sizes.extend(text.trim_start_matches("213").trim().parse::<u64>());
            }
            "MLST" | "MLSD" => {
                sizes.extend(facts(text).chain(facts(&String::from_utf8_lossy(data))));
            }
            _ => {}
        }
        if sizes.iter().any(|s| self.outside_sizes.contains(s)) {
            found.push((Leak::Read, "an outside file's size".to_string()));
        }
        if long_lines.lines().any(outside_date) {
            found.push((Leak::Read, "an outside file's date".to_string()));
        }
        found
    }
}

/// Whether `haystack` holds `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// `STOR d/new-17` -> `STOR d/new-N`, so that a loop's lines share a row.
fn numbers_as_n(line: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for c in line.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            out.push(c);
            in_number = false;
        }
    }
    out
}

/// The values of the `size=` facts in MLST/MLSD text.
fn facts(text: &str) -> impl Iterator<Item = u64> + '_ {
    text.split([';', ' ', '\n', '\r']).filter_map(|fact| {
        fact.to_ascii_lowercase()
            .strip_prefix("size=")?
            .parse()
            .ok()
    })
}

/// The size in an `ls -l` line (`-rw-r--r-- 1 ftp ftp SIZE Mon DD HH:MM name`).
fn long_size(line: &str) -> Option<u64> {
    line.split_whitespace().nth(4)?.parse().ok()
}

/// Whether an `ls -l` line has the date of the files outside (Feb 03 2001).
fn outside_date(line: &str) -> bool {
    let fields: Vec<&str> = line.split_whitespace().collect();
    fields.get(5..8) == Some(&["Feb", "03", "2001"][..])
}

/// Calls `step` until `deadline`; returns how many times it ran.
pub fn until(deadline: Instant, mut step: impl FnMut(usize)) -> usize {
    let mut round = 0;
    while Instant::now() < deadline {
        step(round);
        round += 1;
    }
    round
}
