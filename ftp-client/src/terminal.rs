//! Showing the server's text on a terminal without letting it drive the
//! terminal.
//!
//! A greeting, a reply, a path in a `257` reply or a listing line can carry
//! escape sequences: OSC 0 sets the window title, OSC 52 writes the
//! clipboard, `ESC [ 2 J` clears the screen. Before such text reaches a
//! terminal, [`escape`] (and [`Escaped`], its streaming form) shows every
//! control character visibly as `\xNN`, one per byte:
//!
//! - C0 controls (`0x00`–`0x1f`) except tab and line feed, so `ESC` is
//!   `\x1b` and a bare CR is `\x0d`;
//! - DEL (`0x7f`);
//! - C1 controls (U+0080–U+009F), as the two bytes of their UTF-8 form,
//!   e.g. `\xc2\x9b`;
//! - bytes that are not UTF-8 (an 8-bit CSI `0x9b`, a Latin-1 name), as they are.
//!
//! Everything else, including UTF-8 text, is shown as it is. The escaping is
//! for reading, not reversible: a backslash stays a backslash.
//!
//! Which output is escaped is the program's choice, documented in its
//! README: replies and messages always (they are diagnostics), listings on
//! stdout only when stdout is a terminal (a pipe gets the server's bytes), and
//! downloaded files never. This module only escapes.

use std::io::{self, Write};

/// `text` with every control character and non-UTF-8 byte escaped as `\xNN`.
///
/// ```
/// use ftp_client::terminal::escape;
///
/// assert_eq!(escape(b"220 \x1b]0;pwned\x07 ready"), "220 \\x1b]0;pwned\\x07 ready");
/// assert_eq!(escape("caf\u{e9}\tok\n".as_bytes()), "caf\u{e9}\tok\n");
/// assert_eq!(escape(b"\xc2\x9b2J \x9b2J"), "\\xc2\\x9b2J \\x9b2J");
/// ```
pub fn escape(text: &[u8]) -> String {
    let mut out = Vec::with_capacity(text.len());
    escape_into(&mut out, text, true);
    String::from_utf8(out).expect("escaped text is UTF-8")
}

/// Escapes `bytes` into `out`; returns how many were used. Unless
/// `at_end`, an incomplete UTF-8 sequence at the end is left for the next call.
fn escape_into(out: &mut Vec<u8>, bytes: &[u8], at_end: bool) -> usize {
    let mut rest = bytes;
    loop {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(text) => (text, 0),
            Err(err) => {
                let valid =
                    std::str::from_utf8(&rest[..err.valid_up_to()]).expect("the prefix is valid");
                match err.error_len() {
                    Some(len) => (valid, len),
                    None if at_end => (valid, rest.len() - err.valid_up_to()),
                    None => {
                        push_text(out, valid);
                        return bytes.len() - (rest.len() - valid.len());
                    }
                }
            }
        };
        push_text(out, valid);
        let (invalid, after) = rest[valid.len()..].split_at(bad);
        invalid.iter().for_each(|&byte| push_byte(out, byte));
        if after.is_empty() {
            return bytes.len();
        }
        rest = after;
    }
}

/// Appends UTF-8 text, escaping its control characters.
fn push_text(out: &mut Vec<u8>, text: &str) {
    for c in text.chars() {
        let mut utf8 = [0; 4];
        let encoded = c.encode_utf8(&mut utf8).as_bytes();
        if is_control(c) {
            encoded.iter().for_each(|&byte| push_byte(out, byte));
        } else {
            out.extend_from_slice(encoded);
        }
    }
}

/// Whether `c` is shown escaped: C0 but tab and line feed, DEL, C1.
fn is_control(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

/// Appends `\xNN`.
fn push_byte(out: &mut Vec<u8>, byte: u8) {
    out.extend_from_slice(format!("\\x{byte:02x}").as_bytes());
}

/// A writer that passes what it is given through [`escape`] to `inner`,
/// for a listing streamed to a terminal. UTF-8 sequences split between two
/// writes are kept whole; [`Escaped::finish`] escapes an unfinished one.
#[derive(Debug)]
pub struct Escaped<W: Write> {
    inner: W,
    /// The start of a UTF-8 sequence whose other bytes have not come yet.
    pending: Vec<u8>,
}

impl<W: Write> Escaped<W> {
    /// Escapes into `inner`.
    pub fn new(inner: W) -> Escaped<W> {
        Escaped {
            inner,
            pending: Vec::new(),
        }
    }

    /// Writes out an unfinished UTF-8 sequence (escaped) and flushes.
    ///
    /// # Errors
    ///
    /// The inner writer's.
    pub fn finish(mut self) -> io::Result<()> {
        let mut out = Vec::new();
        escape_into(&mut out, &self.pending, true);
        self.inner.write_all(&out)?;
        self.inner.flush()
    }
}

impl<W: Write> Write for Escaped<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut input = std::mem::take(&mut self.pending);
        input.extend_from_slice(buf);
        let mut out = Vec::with_capacity(input.len());
        let used = escape_into(&mut out, &input, false);
        self.pending = input[used..].to_vec();
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_are_shown_not_sent() {
        let osc52 = b"\x1b]52;c;ZWNobyBwd25lZA==\x07";
        assert_eq!(escape(osc52), "\\x1b]52;c;ZWNobyBwd25lZA==\\x07");
        assert_eq!(escape(b"\x1b[2J\x1b[H"), "\\x1b[2J\\x1b[H");
        assert_eq!(escape(b"a\rb\x7f\x00"), "a\\x0db\\x7f\\x00");
    }

    #[test]
    fn text_tabs_and_line_feeds_pass() {
        let text = "drwxr-xr-x 2 ftp ftp 4096 Jan 1 00:00 \u{65e5}\u{672c}\tx\n";
        assert_eq!(escape(text.as_bytes()), text);
    }

    #[test]
    fn c1_controls_and_stray_bytes_are_escaped() {
        assert_eq!(escape("\u{9b}31m".as_bytes()), "\\xc2\\x9b31m");
        assert_eq!(escape(b"\x9b31m \xe9t\xe9"), "\\x9b31m \\xe9t\\xe9");
        assert_eq!(escape(b"cut \xe6\x97"), "cut \\xe6\\x97");
    }

    #[test]
    fn the_stream_escapes_as_the_whole_does_at_any_split() {
        let text = "x \u{65e5}\u{9b}\x1b]0;t\x07 \u{e9}\n".as_bytes();
        for split in 0..=text.len() {
            let mut out = Vec::new();
            let mut escaped = Escaped::new(&mut out);
            escaped.write_all(&text[..split]).unwrap();
            escaped.write_all(&text[split..]).unwrap();
            escaped.finish().unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                escape(text),
                "split {split}"
            );
        }
    }

    #[test]
    fn an_unfinished_sequence_is_escaped_at_the_end() {
        let mut out = Vec::new();
        let mut escaped = Escaped::new(&mut out);
        escaped.write_all(b"ab\xe6\x97").unwrap();
        escaped.finish().unwrap();
        assert_eq!(out, b"ab\\xe6\\x97");
    }
}
