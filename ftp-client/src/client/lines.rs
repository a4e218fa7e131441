//! Collecting a listing's lines in memory, up to a limit.
//!
//! [`Lines`] is the writer a listing is copied into when the caller wants
//! the lines back ([`super::Client::list`], `nlst`, `mlsd`, `entries`, and so
//! the names `mget` and `mdelete` match). It splits at LF, drops a CR before
//! it and empty lines, and stops with an error once the lines cost more than
//! the limit: their bytes plus the size of a `Vec` per line, so a listing of
//! many empty or one-byte lines is bounded as well. A listing of any size can
//! be streamed instead ([`super::Client::list_to`]).

use std::io::{self, Write};
use std::mem;

/// What one line costs against the limit besides its bytes.
const LINE_COST: usize = mem::size_of::<Vec<u8>>();

/// Listing lines collected so far; see the module documentation.
#[derive(Debug)]
pub(super) struct Lines {
    lines: Vec<Vec<u8>>,
    /// The line still waiting for its LF.
    partial: Vec<u8>,
    size: usize,
    limit: usize,
    overflowed: bool,
}

impl Lines {
    /// An empty collection that takes up to `limit` bytes.
    pub(super) fn new(limit: usize) -> Lines {
        Lines {
            lines: Vec::new(),
            partial: Vec::new(),
            size: 0,
            limit,
            overflowed: false,
        }
    }

    /// Whether the listing went over the limit (and writing stopped).
    pub(super) fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// The lines, the last one even without its LF.
    pub(super) fn finish(mut self) -> Vec<Vec<u8>> {
        self.end_line();
        self.lines
    }

    /// Moves the partial line to the lines, without its CR; drops it if empty.
    fn end_line(&mut self) {
        let mut line = mem::take(&mut self.partial);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if !line.is_empty() {
            self.size += LINE_COST;
            self.lines.push(line);
        }
    }
}

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.size += buf.len();
        if self.overflowed || self.size > self.limit {
            self.overflowed = true;
            return Err(io::Error::other("the listing is over the limit"));
        }
        let mut pieces = buf.split(|&byte| byte == b'\n');
        let first = pieces.next().unwrap_or_default();
        self.partial.extend_from_slice(first);
        for piece in pieces {
            self.end_line();
            self.partial.extend_from_slice(piece);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_at_any_write_boundary() {
        let data = b"a\r\nbb\n\r\nc";
        for split in 0..=data.len() {
            let mut lines = Lines::new(1000);
            lines.write_all(&data[..split]).unwrap();
            lines.write_all(&data[split..]).unwrap();
            assert!(!lines.overflowed());
            assert_eq!(lines.finish(), [&b"a"[..], b"bb", b"c"], "split {split}");
        }
    }

    #[test]
    fn a_listing_over_the_limit_stops() {
        let mut lines = Lines::new(100);
        let err = (0..1000)
            .find_map(|_| lines.write_all(b"\n\n\n\n").err())
            .expect("an error");
        assert_eq!(err.kind(), io::ErrorKind::Other);
        assert!(lines.overflowed());
        assert!(lines.write(b"x").is_err(), "stays stopped");
    }

    #[test]
    fn one_endless_line_is_bounded_too() {
        let mut lines = Lines::new(100);
        assert!((0..1000).any(|_| lines.write_all(b"0123456789").is_err()));
    }
}
