//! The crate's shared test helpers: the seeded generator behind the random
//! and no-panic tests, the readers that split or interrupt their input, and
//! UTC times from their fields for fixtures.
//!
//! Compiled for tests only. Nothing here checks anything itself; the
//! generator is not meant for anything but reproducible test cases.

use std::io::{self, Read};
use std::time::SystemTime;

use crate::protocol::time::DateTime;

/// A UTC time from its fields, for fixtures; panics on a date that is not one.
pub(crate) fn utc(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
) -> SystemTime {
    DateTime::new(year, month, day, hour, minute, second)
        .expect("fixture date")
        .to_system_time()
        .expect("fixture date representable")
}

/// A seeded xorshift64 generator: the same seed gives the same cases, with no crates.
pub(crate) struct XorShift(u64);

impl XorShift {
    /// A generator starting from `seed`, which must not be zero (xorshift
    /// would then give nothing but zeros).
    pub(crate) fn new(seed: u64) -> Self {
        assert_ne!(seed, 0, "a xorshift seed must not be zero");
        XorShift(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..bound` (`bound` must not be 0).
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    /// Heads or tails.
    pub(crate) fn chance(&mut self) -> bool {
        self.below(2) == 0
    }

    /// One element of `items`, which must not be empty.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// `count` elements of `items` picked one by one, collected into a
    /// `Vec<u8>`, a `String` or the like.
    pub(crate) fn pick_many<T: Copy, C: FromIterator<T>>(
        &mut self,
        items: &[T],
        count: usize,
    ) -> C {
        (0..count).map(|_| self.pick(items)).collect()
    }

    /// `len` random bytes, any of the 256 values.
    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    /// A port number other than 0.
    pub(crate) fn port(&mut self) -> u16 {
        1 + self.below(65535) as u16
    }
}

/// A reader that returns at most one byte per `read`, to exercise every split.
pub(crate) struct Trickle<'a>(pub(crate) &'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&byte, rest)), Some(slot)) => {
                *slot = byte;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// A reader that fails once with `kind` (if any), then serves `data`.
pub(crate) struct FailOnce<'a> {
    /// The error kind of the first `read`; `None` once it has been returned.
    pub(crate) kind: Option<io::ErrorKind>,
    /// What the reader serves after the failure.
    pub(crate) data: &'a [u8],
}

impl Read for FailOnce<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.kind.take() {
            Some(kind) => Err(kind.into()),
            None => self.data.read(buf),
        }
    }
}
