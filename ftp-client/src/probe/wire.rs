//! The probe's control connection: raw command lines out, whole replies in,
//! every read bounded by a deadline.
//!
//! Unlike [`crate::client::Client`], which hides the dialog behind one method
//! per operation, this shows the probe every reply as it comes, preliminary
//! ones included, and lets it ask whether a reply arrives within a short
//! wait (to see when a `150` is sent) or send several commands in one write
//! (pipelining). It does not log in or open data connections; the sibling
//! modules do that with it.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use ftp_core::io::line::{LineReader, DEFAULT_LINE_LIMIT};
use ftp_core::protocol::reply::{ReplyParser, Status};
use ftp_core::{Error, Phase, Reply};

/// One control connection to the server being probed.
#[derive(Debug)]
pub struct Wire {
    reader: LineReader<TcpStream>,
    parser: ReplyParser,
    /// The limit for one reply, and for connecting.
    timeout: Duration,
    local: SocketAddr,
    peer: SocketAddr,
}

impl Wire {
    /// Connects to `addr` within `timeout` and reads the greeting (any
    /// preliminary `120` first); returns the connection and the greeting.
    ///
    /// # Errors
    ///
    /// A connect or read error, or a timeout.
    pub fn connect(addr: SocketAddr, timeout: Duration) -> Result<(Wire, Reply), Error> {
        let stream = ftp_core::io::data::connect(addr, timeout)?;
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(timeout))?;
        let (local, peer) = (stream.local_addr()?, stream.peer_addr()?);
        let mut wire = Wire {
            reader: LineReader::new(stream, DEFAULT_LINE_LIMIT, Phase::Reply),
            parser: ReplyParser::new(),
            timeout,
            local,
            peer,
        };
        let greeting = wire
            .final_reply()?
            .pop()
            .expect("final_reply returns one or more");
        Ok((wire, greeting))
    }

    /// The control connection's local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The server's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The limit for one step.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends one command line (CRLF added).
    ///
    /// # Errors
    ///
    /// A write error, or a line with CR or LF in it.
    pub fn send(&mut self, line: &str) -> Result<(), Error> {
        ftp_core::io::line::write_line(self.reader.get_mut(), line.as_bytes())
    }

    /// Sends bytes exactly as given, in one write.
    ///
    /// # Errors
    ///
    /// A write error.
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let stream = self.reader.get_mut();
        stream.write_all(bytes)?;
        stream.flush()?;
        Ok(())
    }

    /// Sends `line` and returns the first reply to it (which may be preliminary).
    ///
    /// # Errors
    ///
    /// As [`Wire::send`] and [`Wire::reply`].
    pub fn command(&mut self, line: &str) -> Result<Reply, Error> {
        self.send(line)?;
        self.reply()
    }

    /// Sends `line` and returns its replies up to the first that is not
    /// preliminary (`1xx`), which is last.
    ///
    /// # Errors
    ///
    /// As [`Wire::command`].
    pub fn exchange(&mut self, line: &str) -> Result<Vec<Reply>, Error> {
        self.send(line)?;
        self.final_reply()
    }

    /// The replies up to and including the first that is not preliminary.
    ///
    /// # Errors
    ///
    /// As [`Wire::reply`].
    pub fn final_reply(&mut self) -> Result<Vec<Reply>, Error> {
        let mut replies = Vec::new();
        loop {
            let reply = self.reply()?;
            let done = !reply.code.is_preliminary();
            replies.push(reply);
            if done {
                return Ok(replies);
            }
        }
    }

    /// The next reply, complete within the step's timeout.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when it is not complete in time,
    /// [`Error::ConnectionClosed`] when the server hung up, a syntax error.
    pub fn reply(&mut self) -> Result<Reply, Error> {
        self.reply_within(self.timeout)?
            .ok_or(Error::Timeout(Phase::Reply))
    }

    /// The next reply if its first byte comes within `wait`; `None` if
    /// nothing came. Once a reply has started, it must be complete within
    /// the step's timeout.
    ///
    /// # Errors
    ///
    /// As [`Wire::reply`].
    pub fn reply_within(&mut self, wait: Duration) -> Result<Option<Reply>, Error> {
        let mut deadline = Instant::now() + wait;
        // A reply has begun once one of its lines is complete; a line
        // still arriving when `wait` ends is read on by the next call.
        let mut begun = false;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return if begun {
                    Err(Error::Timeout(Phase::Reply))
                } else {
                    Ok(None)
                };
            }
            self.reader.get_mut().set_read_timeout(Some(left))?;
            let line = match self.reader.read_line() {
                Ok(Some(line)) => line,
                Ok(None) => return Err(Error::ConnectionClosed),
                Err(Error::Timeout(_)) if !begun => return Ok(None),
                Err(err) => return Err(err),
            };
            if !begun {
                begun = true;
                deadline = Instant::now() + self.timeout;
            }
            if let Status::Complete(reply) = self.parser.feed(&line)? {
                return Ok(Some(reply));
            }
        }
    }
}
