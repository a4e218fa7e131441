//! What the user sees while a file moves: a progress meter, hash marks, and
//! the summary line after the transfer.
//!
//! The meter (percentage, bar, bytes, rate, time left) is redrawn on stderr
//! with `\r` and padded with spaces to the width of the line before it, so a
//! shorter line leaves nothing of a longer one (no escape sequence is
//! needed, which keeps the terminal free of them), at most five times a
//! second; the program shows it only when stderr is a terminal (and the
//! shell's `progress` toggle is on). A transfer that fails before its first
//! byte draws no meter at all. Hash marks are BSD ftp's `hash` command: one `#` on
//! stdout per block of bytes (1024 unless the user chose another size).
//!
//! The texts are made by pure functions ([`meter_line`], [`summary`],
//! [`human_bytes`]) so they can be tested; [`Progress`] only decides when to
//! print them. This module does not move data: the client library calls
//! [`Progress::update`] with the running byte count.

use std::io::Write;
use std::time::{Duration, Instant};

/// How often the meter may be redrawn.
const REDRAW_INTERVAL: Duration = Duration::from_millis(200);

/// Width of the meter's bar, in characters.
const BAR_WIDTH: usize = 30;

/// Feedback for one transfer: a meter, hash marks, both or neither.
#[derive(Debug)]
pub struct Progress {
    start: Instant,
    /// The transfer's size, when known (from SIZE or the local file).
    total: Option<u64>,
    /// Whether to draw the meter on stderr.
    meter: bool,
    /// When the meter was last drawn.
    last_draw: Option<Instant>,
    /// The width of the meter's line as last drawn.
    drawn_width: usize,
    /// Bytes per hash mark, when hash marks are on.
    hash_size: Option<u64>,
    /// The byte count at the last update.
    bytes: u64,
}

impl Progress {
    /// Feedback for a transfer of `total` bytes (if known): the meter when
    /// `meter` is true, a `#` per `hash_size` bytes when that is given.
    pub fn new(total: Option<u64>, meter: bool, hash_size: Option<u64>) -> Progress {
        Progress {
            start: Instant::now(),
            total,
            meter,
            last_draw: None,
            drawn_width: 0,
            hash_size: hash_size.filter(|&size| size > 0),
            bytes: 0,
        }
    }

    /// Whether there is anything to show; if not, the caller need not pass
    /// a progress callback at all.
    pub fn is_visible(&self) -> bool {
        self.meter || self.hash_size.is_some()
    }

    /// Records that `bytes` have moved so far: prints any hash marks now due
    /// and redraws the meter if it was not drawn in the last 200 ms.
    pub fn update(&mut self, bytes: u64) {
        if let Some(size) = self.hash_size {
            let marks = marks_due(self.bytes, bytes, size);
            let mut out = std::io::stdout().lock();
            let _ = out.write_all("#".repeat(marks).as_bytes());
            let _ = out.flush();
        }
        self.bytes = bytes;
        let now = Instant::now();
        let due = self
            .last_draw
            .is_none_or(|last| now.duration_since(last) >= REDRAW_INTERVAL);
        if self.meter && due {
            self.draw();
            self.last_draw = Some(now);
        }
    }

    /// Ends the feedback: the meter, if it was drawn, is drawn a last time
    /// and the line ended; hash marks are ended with a newline.
    pub fn finish(&mut self) {
        if let Some(line) = self.last_meter() {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "{}", redraw(&line, self.drawn_width));
        }
        if self.hash_size.is_some() && self.bytes > 0 {
            println!();
        }
    }

    /// The time since the transfer started.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// The meter's last line, if the meter was drawn at all.
    fn last_meter(&self) -> Option<String> {
        let drawn = self.meter && self.last_draw.is_some();
        drawn.then(|| meter_line(self.bytes, self.total, self.elapsed()))
    }

    fn draw(&mut self) {
        let line = meter_line(self.bytes, self.total, self.elapsed());
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(redraw(&line, self.drawn_width).as_bytes());
        let _ = err.flush();
        self.drawn_width = line.chars().count();
    }
}

/// What replaces the meter's line, `previous` characters wide, with `line`:
/// back to its start, the new text, and spaces over what is left of the old.
///
/// ```
/// assert_eq!(ftp_client::progress::redraw("1 B  1 B/s", 12), "\r1 B  1 B/s  ");
/// ```
pub fn redraw(line: &str, previous: usize) -> String {
    let pad = previous.saturating_sub(line.chars().count());
    format!("\r{line}{:pad$}", "")
}

/// How many hash marks to print when the count goes from `before` to `now`
/// bytes, one per full block of `size` bytes.
pub fn marks_due(before: u64, now: u64, size: u64) -> usize {
    let marks = (now / size).saturating_sub(before / size);
    usize::try_from(marks).unwrap_or(usize::MAX)
}

/// One line of the meter: with a known total, the percentage, a bar, the
/// bytes, the rate and the time left; without, the bytes and the rate.
///
/// ```
/// use std::time::Duration;
/// use ftp_client::progress::meter_line;
///
/// let line = meter_line(512 * 1024, Some(1024 * 1024), Duration::from_secs(2));
/// assert!(line.starts_with(" 50% |***************               |"));
/// assert!(line.ends_with("512.00 KiB  256.00 KiB/s  00:02 ETA"));
/// ```
pub fn meter_line(bytes: u64, total: Option<u64>, elapsed: Duration) -> String {
    let rate = rate(bytes, elapsed);
    let moved = format!("{}  {}/s", human_bytes(bytes), human_bytes(rate));
    let Some(total) = total.filter(|&total| total > 0) else {
        return moved;
    };
    let done = bytes.min(total);
    let percent = done * 100 / total;
    let stars = usize::try_from(done * BAR_WIDTH as u64 / total).unwrap_or(BAR_WIDTH);
    let eta = match rate {
        0 => "--:--".to_string(),
        rate => clock((total - done) / rate),
    };
    format!(
        "{percent:>3}% |{:<BAR_WIDTH$}| {moved}  {eta} ETA",
        "*".repeat(stars)
    )
}

/// The line after a transfer, as BSD ftp prints it in verbose mode:
/// `1234 bytes received in 0.50 s (2.41 KiB/s)`. `verb` is `received` or `sent`.
pub fn summary(bytes: u64, verb: &str, elapsed: Duration) -> String {
    format!(
        "{bytes} bytes {verb} in {:.2} s ({}/s)",
        elapsed.as_secs_f64(),
        human_bytes(rate(bytes, elapsed))
    )
}

/// A byte count for people: `999 B`, `1.50 KiB`, `2.00 MiB`, ...
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS[unit])
}

/// Bytes per second over `elapsed` (all of `bytes` if no time has passed).
fn rate(bytes: u64, elapsed: Duration) -> u64 {
    let seconds = elapsed.as_secs_f64();
    if seconds <= 0.0 {
        return bytes;
    }
    (bytes as f64 / seconds) as u64
}

/// `mm:ss`, or `h:mm:ss` from an hour on.
fn clock(seconds: u64) -> String {
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes:02}:{seconds:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_marks_count_full_blocks_only() {
        assert_eq!(marks_due(0, 1023, 1024), 0);
        assert_eq!(marks_due(0, 1024, 1024), 1);
        assert_eq!(marks_due(1023, 1025, 1024), 1);
        assert_eq!(marks_due(1024, 10 * 1024, 1024), 9);
        assert_eq!(marks_due(0, 100, 10), 10);
    }

    #[test]
    fn bytes_for_people() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024), "1.00 KiB");
        assert_eq!(human_bytes(1536), "1.50 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.00 MiB");
        assert_eq!(human_bytes(3 << 30), "3.00 GiB");
        assert_eq!(human_bytes(2048 << 40), "2048.00 TiB");
    }

    #[test]
    fn a_meter_with_a_total_shows_percentage_bar_and_time_left() {
        let line = meter_line(1024, Some(4096), Duration::from_secs(1));
        assert_eq!(
            line,
            " 25% |*******                       | 1.00 KiB  1.00 KiB/s  00:03 ETA"
        );
    }

    #[test]
    fn a_finished_meter_is_full() {
        let line = meter_line(4096, Some(4096), Duration::from_secs(4));
        assert!(line.starts_with(&format!("100% |{}|", "*".repeat(BAR_WIDTH))));
        assert!(line.ends_with("00:00 ETA"));
    }

    #[test]
    fn a_meter_without_total_shows_bytes_and_rate() {
        assert_eq!(
            meter_line(2048, None, Duration::from_secs(2)),
            "2.00 KiB  1.00 KiB/s"
        );
        assert_eq!(
            meter_line(10, Some(0), Duration::from_secs(1)),
            "10 B  10 B/s"
        );
    }

    #[test]
    fn a_stalled_transfer_has_no_eta() {
        assert!(meter_line(0, Some(100), Duration::from_secs(5)).ends_with("--:-- ETA"));
    }

    #[test]
    fn more_bytes_than_announced_do_not_overflow_the_bar() {
        let line = meter_line(200, Some(100), Duration::from_secs(1));
        assert!(line.starts_with("100% |"));
    }

    #[test]
    fn summaries_read_like_bsd_ftp() {
        assert_eq!(
            summary(2048, "received", Duration::from_millis(500)),
            "2048 bytes received in 0.50 s (4.00 KiB/s)"
        );
        assert_eq!(
            summary(10, "sent", Duration::ZERO),
            "10 bytes sent in 0.00 s (10 B/s)"
        );
    }

    #[test]
    fn a_redraw_clears_what_a_longer_line_left() {
        let longer = meter_line(1536, None, Duration::from_secs(1));
        let shorter = meter_line(1023, None, Duration::from_secs(1));
        assert_eq!(longer, "1.50 KiB  1.50 KiB/s");
        let redrawn = redraw(&shorter, longer.len());
        assert_eq!(redrawn, "\r1023 B  1023 B/s    ");
        assert_eq!(redrawn.len(), 1 + longer.len());
        assert_eq!(redraw(&longer, shorter.len()), format!("\r{longer}"));
    }

    #[test]
    fn a_transfer_that_moved_nothing_draws_no_meter() {
        let mut progress = Progress::new(Some(100), true, None);
        assert_eq!(progress.last_meter(), None);
        progress.update(10);
        assert!(progress
            .last_meter()
            .is_some_and(|line| line.starts_with(" 10% ")));
        assert_eq!(Progress::new(None, false, Some(1024)).last_meter(), None);
    }

    #[test]
    fn clocks() {
        assert_eq!(clock(0), "00:00");
        assert_eq!(clock(61), "01:01");
        assert_eq!(clock(3600 + 2 * 60 + 3), "1:02:03");
    }
}
