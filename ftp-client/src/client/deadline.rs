//! The overall deadline for one reply.
//!
//! A read timeout alone does not bound a reply: a server that sends one byte
//! just before each read timeout expires keeps the client waiting for ever.
//! [`Deadline`] wraps the control stream and fails every read started after
//! the deadline with `TimedOut`, which [`ftp_core::Error::from_io`] turns into
//! a timeout like any other; the client then names the limit that ran out.
//!
//! A stream that can change its read timeout (a `TcpStream`, through
//! [`Deadline::with_wait`]) gets each read shortened to what is left until
//! the deadline. Any other stream keeps its own read timeout, so a read
//! already waiting when the deadline passes may end up to one read timeout
//! later. This module does not choose the deadline or report anything.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

/// Sets how long the next read of the stream may wait.
pub(super) type SetWait<S> = fn(&S, Duration) -> io::Result<()>;

/// A control stream whose reads fail once `until` has passed.
#[derive(Debug)]
pub(super) struct Deadline<S> {
    pub(super) inner: S,
    /// When the reply being read must be complete; `None`: no deadline.
    pub(super) until: Option<Instant>,
    /// The stream's own limit for one read, and how to set a shorter one.
    wait: Option<(Duration, SetWait<S>)>,
}

impl<S> Deadline<S> {
    /// `inner`, whose read timeout is its own business.
    pub(super) fn new(inner: S) -> Deadline<S> {
        Deadline {
            inner,
            until: None,
            wait: None,
        }
    }

    /// `inner`, whose reads wait at most `per_read`, or less when the
    /// deadline is nearer: `set_wait` sets that before each read.
    pub(super) fn with_wait(inner: S, per_read: Duration, set_wait: SetWait<S>) -> Deadline<S> {
        Deadline {
            inner,
            until: None,
            wait: Some((per_read, set_wait)),
        }
    }

    /// Whether the deadline is set and has passed.
    pub(super) fn expired(&self) -> bool {
        self.until.is_some_and(|until| Instant::now() >= until)
    }
}

impl<S: Read> Read for Deadline<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(until) = self.until {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::ErrorKind::TimedOut.into());
            }
            if let Some((per_read, set_wait)) = self.wait {
                // A zero timeout means "none" to a socket: keep a millisecond.
                set_wait(
                    &self.inner,
                    per_read.min(left).max(Duration::from_millis(1)),
                )?;
            }
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
