//! The check before a resumed transfer: the target's last bytes must be the
//! source's bytes at the same place, or the target is not a cut-off copy of
//! the source (a file edited on its own, say) and is transferred whole.
//!
//! [`Verified`] is a writer that compares the first bytes it receives with
//! the expected ones and passes the rest on; a difference fails the write,
//! which ends the transfer. It does not decide what to do then.

use std::io::{self, Write};

/// How many bytes before the resume point are transferred again and compared.
pub const OVERLAP: u64 = 4096;

/// A writer that checks its first `expected.len()` bytes, then writes to `inner`.
#[derive(Debug)]
pub struct Verified<W> {
    expected: Vec<u8>,
    matched: usize,
    differs: bool,
    inner: W,
}

impl<W: Write> Verified<W> {
    /// Checks against `expected` before passing bytes to `inner`.
    pub fn new(expected: Vec<u8>, inner: W) -> Verified<W> {
        Verified {
            expected,
            matched: 0,
            differs: false,
            inner,
        }
    }

    /// Whether a byte differed (the write that met it failed).
    pub fn differs(&self) -> bool {
        self.differs
    }

    /// Whether every expected byte came and matched.
    pub fn confirmed(&self) -> bool {
        !self.differs && self.matched == self.expected.len()
    }
}

impl<W: Write> Write for Verified<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let wanted = &self.expected[self.matched..];
        let checked = wanted.len().min(buf.len());
        if buf[..checked] != wanted[..checked] {
            self.differs = true;
            return Err(io::Error::other(
                "the target's last bytes are not the source's",
            ));
        }
        self.matched += checked;
        if checked < buf.len() {
            self.inner.write_all(&buf[checked..])?;
        }
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
    fn matching_bytes_are_checked_then_the_rest_passes() {
        let mut out = Vec::new();
        let mut verified = Verified::new(b"abc".to_vec(), &mut out);
        verified.write_all(b"a").expect("a");
        verified.write_all(b"bcdef").expect("rest");
        assert!(verified.confirmed());
        assert_eq!(out, b"def");
    }

    #[test]
    fn a_difference_fails_the_write() {
        let mut out = Vec::new();
        let mut verified = Verified::new(b"abc".to_vec(), &mut out);
        assert!(verified.write_all(b"abX").is_err());
        assert!(!verified.confirmed());
        assert!(out.is_empty());
    }

    #[test]
    fn a_source_that_ends_early_is_not_confirmed() {
        let mut verified = Verified::new(b"abc".to_vec(), io::sink());
        verified.write_all(b"ab").expect("ab");
        assert!(!verified.confirmed());
    }
}
