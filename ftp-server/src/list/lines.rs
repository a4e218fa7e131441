//! A listing rendered as it is read: [`Lines`] looks each entry up when its
//! line is due and keeps only the lines not yet read, so sending a listing
//! of thousands of names needs its names and a buffer, not all its lines.
//!
//! What it does not do: read the directory (that is the listing's job) or
//! format a line (`ftp_core::protocol::listing`).

use std::io::{self, Read};
use std::time::SystemTime;

use ftp_core::protocol::listing::{format_list_line, format_mlsx_line, Entry};

use super::{Format, Listing};
use crate::storage::Storage;

/// A listing's lines, CRLF-terminated, rendered as they are read.
#[derive(Debug)]
pub struct Lines {
    listing: Listing,
    storage: Storage,
    writable: bool,
    now: SystemTime,
    /// The name being rendered (a buffer kept from line to line).
    name: Vec<u8>,
    /// Rendered bytes, read from `start` on.
    pending: Vec<u8>,
    start: usize,
}

impl Lines {
    /// The lines of `listing` in its format; entries are looked up through
    /// `storage`, ages shown relative to `now`, and MLSx `perm` facts follow
    /// `writable`.
    pub fn new(listing: Listing, storage: Storage, writable: bool, now: SystemTime) -> Lines {
        Lines {
            listing,
            storage,
            writable,
            now,
            name: Vec::new(),
            pending: Vec::new(),
            start: 0,
        }
    }

    /// Renders ahead until more than `limit` bytes wait or no line is left;
    /// whether the whole listing fits in `limit` bytes. What was rendered is
    /// read first.
    pub fn fits_in(&mut self, limit: usize) -> bool {
        while self.pending.len() - self.start <= limit {
            if !self.render_next() {
                return true;
            }
        }
        false
    }

    /// Appends the next entry's line to `pending`; false when none is left.
    /// A name whose entry is gone, or cannot be read, is left out.
    fn render_next(&mut self) -> bool {
        if let Some(entry) = self.listing.single.take() {
            self.render(&entry);
            return true;
        }
        let mut found = None;
        while self.listing.next_entry(&mut self.name, &mut found) {
            if !self.listing.format.needs_lookup() {
                name_line(&mut self.pending, &self.listing.prefix, &self.name);
                return true;
            }
            let looked_up = found
                .as_ref()
                .and_then(|found| self.listing.lookup(&self.storage, found, &self.name));
            if let Some(entry) = looked_up {
                self.render(&entry);
                return true;
            }
        }
        false
    }

    /// Appends `entry`'s line to `pending`.
    fn render(&mut self, entry: &Entry) {
        let line = match self.listing.format {
            Format::Long => format_list_line(entry, self.now),
            Format::Names => {
                return name_line(&mut self.pending, &self.listing.prefix, &entry.name)
            }
            Format::Facts(facts) => format_mlsx_line(entry, &facts, self.writable),
        };
        self.pending.extend(line);
        self.pending.extend_from_slice(b"\r\n");
    }
}

/// Appends an NLST line: `prefix`, `name`, CRLF.
fn name_line(out: &mut Vec<u8>, prefix: &[u8], name: &[u8]) {
    out.extend_from_slice(prefix);
    out.extend_from_slice(name);
    out.extend_from_slice(b"\r\n");
}

impl Read for Lines {
    /// Fills `buf` with lines, rendering more as needed; 0 at the end.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            if self.start == self.pending.len() {
                self.pending.clear();
                self.start = 0;
                if !self.render_next() {
                    break;
                }
            }
            let waiting = &self.pending[self.start..];
            let n = waiting.len().min(buf.len() - filled);
            buf[filled..filled + n].copy_from_slice(&waiting[..n]);
            self.start += n;
            filled += n;
        }
        Ok(filled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::list::{list, render, ListArg};
    use crate::storage::tests::Scratch;
    use crate::storage::VirtualPath;
    use std::fs;

    /// A directory of `count` files named `file-NNNN`, and its storage.
    fn directory(count: usize) -> (Scratch, Storage) {
        let dir = Scratch::new("lines");
        for n in 0..count {
            fs::write(dir.0.join(format!("file-{n:04}")), b"x").expect("write");
        }
        let jail = Storage::open(&dir.0, false).expect("storage");
        (dir, jail)
    }

    fn lines(jail: &Storage, format: Format) -> Lines {
        let root = VirtualPath::root();
        let listing = list(jail, &root, &ListArg::parse(b""), format).expect("list");
        Lines::new(listing, jail.clone(), false, SystemTime::now())
    }

    /// Reads everything, `chunk` bytes at a time.
    fn read_in_chunks(lines: &mut Lines, chunk: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = vec![0; chunk];
        loop {
            let n = lines.read(&mut buf).expect("read");
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn reads_of_any_size_give_the_whole_listing_once_and_fill_the_buffer() {
        let (_dir, jail) = directory(300);
        let whole = read_in_chunks(&mut lines(&jail, Format::Long), 1 << 20);
        assert_eq!(whole.split(|&b| b == b'\n').count(), 301, "300 lines");
        for chunk in [1, 7, 100, 4096] {
            assert!(read_in_chunks(&mut lines(&jail, Format::Long), chunk) == whole);
        }
        let mut buf = vec![0; 1000];
        let n = lines(&jail, Format::Long).read(&mut buf).expect("read");
        assert_eq!(n, 1000, "a read fills the buffer while lines are left");
    }

    #[test]
    fn fits_in_tells_whether_the_listing_is_small_and_loses_nothing() {
        let (_dir, jail) = directory(300);
        let names = 300 * "file-0000\r\n".len();
        let mut small = lines(&jail, Format::Names);
        assert!(small.fits_in(names));
        let mut large = lines(&jail, Format::Names);
        assert!(!large.fits_in(names - 1));
        let expected: Vec<u8> = (0..300)
            .flat_map(|n| format!("file-{n:04}\r\n").into_bytes())
            .collect();
        assert!(read_in_chunks(&mut small, 512) == expected);
        assert!(read_in_chunks(&mut large, 512) == expected);
    }

    #[test]
    fn an_entry_gone_since_the_listing_is_left_out_of_long_lines_only() {
        let (dir, jail) = directory(3);
        let listed = |format| {
            let root = VirtualPath::root();
            let listing = list(&jail, &root, &ListArg::parse(b""), format).expect("list");
            fs::remove_file(dir.0.join("file-0001")).ok();
            render(listing, &jail, false, SystemTime::now())
        };
        let long = listed(Format::Long);
        assert_eq!(long.split(|&b| b == b'\n').count(), 3, "two lines");
        fs::write(dir.0.join("file-0001"), b"x").expect("write");
        let names = listed(Format::Names);
        assert_eq!(names, b"file-0000\r\nfile-0001\r\nfile-0002\r\n");
    }
}
