//! Showing the server's text on a terminal without letting it drive the
//! terminal.
//!
//! A greeting, a reply, a path in a `257` reply or a listing line can carry
//! escape sequences: OSC 0 sets the window title, OSC 52 writes the
//! clipboard, `ESC [ 2 J` clears the screen. Before such text reaches a
//! terminal, [`escape`] (and [`Escaped`], its streaming form) shows every
//! control character visibly as `\xNN`, one per byte (the rules are
//! `ftp_core::protocol::printable`'s, shared with the server's logs):
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

pub use ftp_core::protocol::printable::escape;
use ftp_core::protocol::printable::escape_into;

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
