//! A send timeout that bounds a stall as a whole.
//!
//! A socket's own send timeout (`SO_SNDTIMEO`) bounds one `send` call, and
//! a call that moved some bytes before it ran out returns a short count
//! instead of an error. When a peer stops reading, the kernel still takes a
//! little more now and then (its send buffer grows), so a copy that simply
//! retries waits the timeout two or three times over before a call fails.
//!
//! [`SendTimeout`] measures the stall from the last moment bytes moved:
//! each call waits at most a slice of the timeout, a call that moved bytes
//! counts as progress from its start, and once nothing has moved for the
//! whole timeout the next write fails with `TimedOut`. A slow peer that
//! keeps reading keeps the transfer alive, however slowly. While bytes
//! flow, no call waits and nothing is added to the path but a clock read.
//!
//! What it does not do: receive (a read returns as soon as any byte
//! arrives, so a read timeout already measures from the last byte), or
//! convert or count data ([`crate::io::transfer`] does).

use std::io::{self, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// How many slices the timeout is cut into, at most one second each.
const SLICES: u32 = 4;

/// Writes to a data connection, failing with `TimedOut` once nothing has
/// moved for `timeout`; see the module documentation.
#[derive(Debug)]
pub struct SendTimeout<'a> {
    stream: &'a TcpStream,
    timeout: Duration,
    /// The longest one call may wait.
    slice: Duration,
    /// When bytes last moved.
    progress: Instant,
    /// The send timeout the socket has now, to set it only when it changes.
    set: Option<Duration>,
}

impl<'a> SendTimeout<'a> {
    /// Bounds sending on `stream` by `timeout` without progress.
    pub fn new(stream: &'a TcpStream, timeout: Duration) -> SendTimeout<'a> {
        let slice = (timeout / SLICES).clamp(Duration::from_millis(1), Duration::from_secs(1));
        SendTimeout {
            stream,
            timeout,
            slice,
            progress: Instant::now(),
            set: None,
        }
    }
}

impl Write for SendTimeout<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            let started = Instant::now();
            let left = self.timeout.saturating_sub(started - self.progress);
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the peer has taken no data for the data timeout",
                ));
            }
            let wait = left.min(self.slice);
            if self.set != Some(wait) {
                self.stream.set_write_timeout(Some(wait))?;
                self.set = Some(wait);
            }
            match (&mut &*self.stream).write(buf) {
                Ok(written) => {
                    // A full write may have waited for the peer to read: it
                    // moved bytes until its end. A short one moved them by
                    // its start, then waited for nothing.
                    self.progress = if written == buf.len() {
                        Instant::now()
                    } else {
                        started
                    };
                    return Ok(written);
                }
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(err) => return Err(err),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;
    use std::thread;

    /// A connected pair whose reading end has a small receive buffer.
    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let reader = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (writer, _) = listener.accept().expect("accept");
        (writer, reader)
    }

    /// Writes until an error, returning it and how long after the last byte
    /// moved it came.
    fn write_until_error(out: &mut SendTimeout<'_>) -> (io::Error, Duration) {
        let chunk = vec![7u8; 256 << 10];
        let mut last_moved = Instant::now();
        loop {
            match out.write(&chunk) {
                Ok(n) if n > 0 => last_moved = Instant::now(),
                Ok(_) => {}
                Err(err) => return (err, last_moved.elapsed()),
            }
        }
    }

    #[test]
    fn a_peer_that_stops_reading_is_given_up_one_timeout_after_the_last_progress() {
        let (writer, _reader) = pair();
        let timeout = Duration::from_millis(800);
        let started = Instant::now();
        let (err, after_last) = write_until_error(&mut SendTimeout::new(&writer, timeout));
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        assert!(after_last <= timeout + timeout / 2, "{after_last:?}");
        // The kernel's short writes did not stretch it to two or three timeouts.
        assert!(started.elapsed() < timeout * 2 + Duration::from_millis(500));
    }

    #[test]
    fn a_slow_reader_keeps_the_transfer_alive() {
        let (writer, mut reader) = pair();
        let total = 2 << 20;
        let slow = thread::spawn(move || {
            let mut buf = [0u8; 64 << 10];
            let mut got = 0;
            while got < total {
                // 64 KiB per 50 ms: well below the writer's pace.
                thread::sleep(Duration::from_millis(50));
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got += n,
                }
            }
            got
        });
        let mut out = SendTimeout::new(&writer, Duration::from_millis(200));
        let data = vec![1u8; total];
        out.write_all(&data).expect("a slow reader is not a stall");
        drop(writer);
        assert_eq!(slow.join().expect("reader"), total);
    }
}
