//! The overall deadline for one reply.
//!
//! A read timeout alone does not bound a reply: a server that sends one byte
//! just before each read timeout expires keeps the client waiting for ever.
//! [`Deadline`] wraps the control stream and fails every read started after
//! the deadline with `TimedOut`, which [`ftp_core::Error::from_io`] turns into
//! a timeout like any other; the client then names the limit that ran out.
//!
//! A read already waiting when the deadline passes ends at the stream's own
//! read timeout, so a reply may take up to one read timeout longer than its
//! deadline. This module does not choose the deadline or report anything.

use std::io::{self, Read, Write};
use std::time::Instant;

/// A control stream whose reads fail once `until` has passed.
#[derive(Debug)]
pub(super) struct Deadline<S> {
    pub(super) inner: S,
    /// When the reply being read must be complete; `None`: no deadline.
    pub(super) until: Option<Instant>,
}

impl<S> Deadline<S> {
    /// Whether the deadline is set and has passed.
    pub(super) fn expired(&self) -> bool {
        self.until.is_some_and(|until| Instant::now() >= until)
    }
}

impl<S: Read> Read for Deadline<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.expired() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.inner.read(buf)
    }
}

impl<S: Write> Write for Deadline<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
