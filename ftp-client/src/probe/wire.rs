//! The probe's control connection: raw command lines out, whole replies in,
//! every read bounded by a deadline.
//!
//! Unlike [`crate::client::Client`], which hides the dialog behind one method
//! per operation, this shows the probe every reply as it comes, preliminary
//! ones included, and lets it ask whether a reply arrives within a short
//! wait (to see when a `150` is sent) or send several commands in one write
//! (pipelining). It does not log in or open data connections; the sibling
//! modules do that with it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use ftp_core::io::line::{LineReader, DEFAULT_LINE_LIMIT};
use ftp_core::protocol::reply::{ReplyParser, Status};
use ftp_core::{Error, Phase, Reply};

/// One control connection to the server being probed.
#[derive(Debug)]
pub struct Wire {
    reader: LineReader<Counted>,
    parser: ReplyParser,
    /// The limit for one reply, and for connecting.
    timeout: Duration,
    local: SocketAddr,
    peer: SocketAddr,
    /// How the last complete reply came.
    form: Form,
}

/// How a reply came over the wire, beyond what [`Reply`] keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Form {
    /// The code on the reply's first line (a multi-line reply's last line
    /// should repeat it, RFC 959 §4.2; [`Reply::code`] is the last line's).
    pub first_code: u16,
    /// How many lines it had.
    pub lines: usize,
    /// How many reads of the socket it took: more than its lines when the
    /// server wrote it in pieces.
    pub reads: usize,
    /// From asking for it to its last line.
    pub took: Duration,
}

/// The control socket, counting its reads.
#[derive(Debug)]
struct Counted {
    stream: TcpStream,
    reads: usize,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.reads += 1;
        self.stream.read(buf)
    }
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.stream.flush()
    }
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
            reader: LineReader::new(
                Counted { stream, reads: 0 },
                DEFAULT_LINE_LIMIT,
                Phase::Reply,
            ),
            parser: ReplyParser::new(),
            timeout,
            local,
            peer,
            form: Form::default(),
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

    /// How the last complete reply came.
    pub fn form(&self) -> Form {
        self.form
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
        let asked = Instant::now();
        let mut deadline = asked + wait;
        // A reply has begun once one of its lines is complete; a line
        // still arriving when `wait` ends is read on by the next call.
        let mut begun = false;
        let mut form = Form::default();
        let reads_before = self.reader.get_ref().reads;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return if begun {
                    Err(Error::Timeout(Phase::Reply))
                } else {
                    Ok(None)
                };
            }
            self.reader.get_mut().stream.set_read_timeout(Some(left))?;
            let line = match self.reader.read_line() {
                Ok(Some(line)) => line,
                Ok(None) => return Err(Error::ConnectionClosed),
                Err(Error::Timeout(_)) if !begun => return Ok(None),
                Err(err) => return Err(err),
            };
            if !begun {
                begun = true;
                deadline = Instant::now() + self.timeout;
                form.first_code = code_of(&line);
            }
            form.lines += 1;
            if let Status::Complete(reply) = self.parser.feed(&line)? {
                form.reads = self.reader.get_ref().reads - reads_before;
                form.took = asked.elapsed();
                self.form = form;
                return Ok(Some(reply));
            }
        }
    }
}

/// The three digits a reply line starts with, 0 if it does not.
fn code_of(line: &[u8]) -> u16 {
    match line.get(..3) {
        Some(digits) if digits.iter().all(u8::is_ascii_digit) => digits
            .iter()
            .fold(0, |code, digit| code * 10 + u16::from(digit - b'0')),
        _ => 0,
    }
}
