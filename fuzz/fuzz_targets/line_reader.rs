//! Fuzzes the control-line reader, `ftp_core::io::line::LineReader`.
//!
//! The first input byte picks the line limit (1 to 64, small so that
//! over-long lines are common), the second seeds the sizes of the reads: the
//! rest of the input is served in chunks of 1 to 16 bytes, with an
//! `Interrupted` error now and then, as a slow or signalled socket would.
//!
//! Properties: nothing panics; the reader ends (every call consumes input);
//! no line is longer than the limit, holds a CR or LF, or keeps more than
//! twice the limit in memory; and the lines and errors are exactly those
//! read from the same bytes in one piece, so no state is lost at a split.
#![no_main]

use std::io::{self, Read};

use ftp_core::io::line::LineReader;
use ftp_core::Phase;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&[limit, seed], wire)) = data.split_first_chunk::<2>() else {
        return;
    };
    let limit = 1 + usize::from(limit % 64);
    let whole = read_all(
        LineReader::new(wire, limit, Phase::Command),
        limit,
        wire.len(),
    );
    let chunks = Chunked::new(wire, seed);
    let split = read_all(
        LineReader::new(chunks, limit, Phase::Command),
        limit,
        wire.len(),
    );
    assert_eq!(split, whole, "limit {limit}, seed {seed}");
});

/// Reads lines until the end, checking each; returns what every call gave,
/// errors in their `Debug` form. `wire_len` bounds the number of calls.
fn read_all<R: Read>(
    mut reader: LineReader<R>,
    limit: usize,
    wire_len: usize,
) -> Vec<Result<Vec<u8>, String>> {
    let mut results = Vec::new();
    for _ in 0..=wire_len + 1 {
        match reader.read_line() {
            Ok(Some(line)) => results.push(Ok(checked(line, limit))),
            Ok(None) => return results,
            Err(err) => {
                let end = matches!(err, ftp_core::Error::ConnectionClosed);
                results.push(Err(format!("{err:?}")));
                if end {
                    return results;
                }
            }
        }
    }
    panic!("no end after {} calls for {wire_len} bytes", wire_len + 2);
}

/// A line is within the limit, has no line break, and holds no more memory
/// than a vector grown byte by byte up to the limit.
fn checked(line: Vec<u8>, limit: usize) -> Vec<u8> {
    assert!(
        line.len() <= limit,
        "{} bytes over a limit of {limit}",
        line.len()
    );
    assert!(!line.iter().any(|b| matches!(b, b'\r' | b'\n')), "{line:?}");
    assert!(
        line.capacity() <= (2 * limit).max(8),
        "capacity {}",
        line.capacity()
    );
    line
}

/// A reader that serves its bytes in small pseudo-random pieces, with an
/// `Interrupted` error before some of them.
struct Chunked<'a> {
    rest: &'a [u8],
    state: u32,
}

impl<'a> Chunked<'a> {
    fn new(bytes: &'a [u8], seed: u8) -> Self {
        Chunked {
            rest: bytes,
            state: 0x9e37_79b9 ^ u32::from(seed),
        }
    }

    /// The next pseudo-random number (xorshift32; the state is never 0).
    fn next(&mut self) -> u32 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 17;
        self.state ^= self.state << 5;
        self.state
    }
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let roll = self.next();
        if roll.is_multiple_of(8) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let size = (1 + (roll >> 3) as usize % 16)
            .min(buf.len())
            .min(self.rest.len());
        let (chunk, rest) = self.rest.split_at(size);
        buf[..size].copy_from_slice(chunk);
        self.rest = rest;
        Ok(size)
    }
}
