//! Control-channel framing: reading and writing whole lines.
//!
//! [`LineReader`] turns the bytes of a control connection into lines, and
//! [`write_line`] sends one. Neither looks at what a line means: parsing commands
//! and replies is the job of [`crate::protocol::command`] and [`crate::protocol::reply`].
//!
//! # Reading
//!
//! * **Bounded.** The reader owns a fixed 4 KiB read buffer and the line being
//!   assembled, which never grows past the limit. A longer line is consumed up to
//!   its terminator, dropped, and reported as [`Error::LineTooLong`]; the next call
//!   returns the line after it. Memory stays bounded whatever the peer sends.
//! * **Terminators.** CRLF (RFC 959), a bare LF (common in practice), and a bare
//!   CR all end a line. After a CR has ended a line, one LF or NUL that follows it
//!   is skipped, even when it arrives in a later read. The bare CR matters for
//!   aborts: Python's `ftplib` sends `ABOR\r\n` with `MSG_OOB`, which makes the
//!   final LF the TCP urgent byte. Linux delivers the urgent byte out of band
//!   unless `SO_OOBINLINE` is set (which `std` cannot do without `unsafe`), so the
//!   server reads just `ABOR\r`. That must still be a complete line, and the LF,
//!   should it show up after all, must not become part of the next command.
//! * **Telnet** (RFC 854, as RFC 959 §4.1.2 uses it): `IAC IAC` is one `0xFF`
//!   data byte; option negotiation (`IAC WILL/WONT/DO/DONT <option>`),
//!   subnegotiation (`IAC SB ... IAC SE`) and every other `IAC <command>` (IP, DM,
//!   AO, AYT, NOP, ...) are removed. BSD `ftp`, tnftp and inetutils abort with
//!   `IAC IP`, then `IAC` as the urgent byte, then `DM ABOR\r\n`; without
//!   `SO_OOBINLINE` the urgent `IAC` vanishes and `IAC IP DM ABOR` arrives, so a
//!   DM byte (`0xF2`) directly after a removed `IAC IP` is dropped as well.
//! * All state (a held CR, a half-read Telnet sequence, an over-long line being
//!   skipped) survives a split between two reads at any byte.
//!
//! # Writing
//!
//! [`write_line`] refuses a line containing CR or LF, so no command or reply can
//! be split or smuggled in, doubles every `0xFF` byte so that binary file names
//! survive the reader on the other side, and sends line and CRLF in one write.
//! [`write_interrupting_line`] puts Telnet's `IAC IP IAC DM` in front (for
//! `ABOR`), in band.

use std::fmt;
use std::io::{self, Read, Write};

use crate::error::{Error, Phase};

/// Default limit for one control line, in bytes (without its terminator).
pub const DEFAULT_LINE_LIMIT: usize = 4096;

/// Size of the reader's fixed read buffer.
const READ_BUFFER_SIZE: usize = 4096;

const CR: u8 = b'\r';
const LF: u8 = b'\n';
const NUL: u8 = 0;

/// Telnet "interpret as command".
const IAC: u8 = 255;
/// Telnet "interrupt process".
const IP: u8 = 244;
/// Telnet "data mark", the end of a Synch.
const DM: u8 = 242;
/// Telnet "subnegotiation begin".
const SB: u8 = 250;
/// Telnet "subnegotiation end".
const SE: u8 = 240;
/// Telnet WILL (251), WONT (252), DO (253) and DONT (254): each takes an option byte.
const NEGOTIATION: std::ops::RangeInclusive<u8> = 251..=254;

/// Where the Telnet decoder is inside a command sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Telnet {
    /// Plain data.
    Data,
    /// Plain data, directly after a removed `IAC IP`: a DM byte here is dropped.
    AfterInterrupt,
    /// Saw IAC.
    Command,
    /// Saw `IAC WILL/WONT/DO/DONT`: the next byte is the option.
    Option,
    /// Inside `IAC SB ... IAC SE`.
    Subnegotiation,
    /// Saw IAC inside a subnegotiation.
    SubnegotiationCommand,
}

impl Telnet {
    /// Feeds one byte from the wire; returns the data byte it stands for, if any.
    fn decode(&mut self, byte: u8) -> Option<u8> {
        let (next, data) = match (*self, byte) {
            (Telnet::Data | Telnet::AfterInterrupt, IAC) => (Telnet::Command, None),
            (Telnet::AfterInterrupt, DM) => (Telnet::Data, None),
            (Telnet::Data | Telnet::AfterInterrupt, _) => (Telnet::Data, Some(byte)),
            (Telnet::Command, IAC) => (Telnet::Data, Some(IAC)),
            (Telnet::Command, IP) => (Telnet::AfterInterrupt, None),
            (Telnet::Command, SB) => (Telnet::Subnegotiation, None),
            (Telnet::Command, b) if NEGOTIATION.contains(&b) => (Telnet::Option, None),
            (Telnet::Command | Telnet::Option, _) => (Telnet::Data, None),
            (Telnet::Subnegotiation, IAC) => (Telnet::SubnegotiationCommand, None),
            (Telnet::Subnegotiation, _) => (Telnet::Subnegotiation, None),
            (Telnet::SubnegotiationCommand, SE) => (Telnet::Data, None),
            (Telnet::SubnegotiationCommand, _) => (Telnet::Subnegotiation, None),
        };
        *self = next;
        data
    }
}

/// Reads control lines: bounded, CRLF or LF (or bare CR), Telnet IAC handled.
///
/// See the [module documentation](self) for the exact rules.
///
/// ```
/// use ftp_core::io::line::{LineReader, DEFAULT_LINE_LIMIT};
/// use ftp_core::Phase;
///
/// let wire: &[u8] = b"USER anonymous\r\nPASS \xff\xff\r\n";
/// let mut reader = LineReader::new(wire, DEFAULT_LINE_LIMIT, Phase::Command);
/// assert_eq!(reader.read_line()?, Some(b"USER anonymous".to_vec()));
/// assert_eq!(reader.read_line()?, Some(b"PASS \xff".to_vec()));
/// assert_eq!(reader.read_line()?, None);
/// # Ok::<(), ftp_core::Error>(())
/// ```
pub struct LineReader<R> {
    inner: R,
    limit: usize,
    phase: Phase,
    /// Bytes read from `inner`; `buffer[start..end]` are not yet decoded.
    buffer: Box<[u8]>,
    start: usize,
    end: usize,
    telnet: Telnet,
    /// The data bytes of the line being assembled (at most `limit`).
    line: Vec<u8>,
    /// The current line went over the limit and is being skipped.
    overflowed: bool,
    /// The last line ended with a CR: one LF or NUL right after it is skipped.
    after_cr: bool,
}

impl<R: Read> LineReader<R> {
    /// A reader with the given line limit; timeouts are reported as `phase`.
    pub fn new(inner: R, limit: usize, phase: Phase) -> Self {
        LineReader {
            inner,
            limit,
            phase,
            buffer: vec![0; READ_BUFFER_SIZE].into_boxed_slice(),
            start: 0,
            end: 0,
            telnet: Telnet::Data,
            line: Vec::new(),
            overflowed: false,
            after_cr: false,
        }
    }

    /// The next line without its terminator; `Ok(None)` at a clean end of stream.
    ///
    /// # Errors
    ///
    /// * [`Error::LineTooLong`] for a line over the limit; it has been consumed,
    ///   and the next call returns the line after it.
    /// * [`Error::ConnectionClosed`] when the stream ends inside a line.
    /// * [`Error::Timeout`] with this reader's phase when a read timeout expires,
    ///   [`Error::Io`] for other read errors (`Interrupted` is retried).
    pub fn read_line(&mut self) -> Result<Option<Vec<u8>>, Error> {
        loop {
            while self.start < self.end {
                let byte = self.buffer[self.start];
                self.start += 1;
                if let Some(data) = self.telnet.decode(byte) {
                    if let Some(finished) = self.push(data) {
                        return finished.map(Some);
                    }
                }
            }
            if self.fill()? == 0 {
                return self.end_of_stream();
            }
        }
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The underlying reader, mutably (to set a timeout, or to write replies on a
    /// stream that is also read). Reading from it directly bypasses the buffer.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The bytes read from the stream after the last line (and its CRLF)
    /// but not yet decoded: empty when that line was all the peer had sent,
    /// which a client checks before it starts TLS on the stream, so nothing
    /// sent in clear is taken for protected.
    pub fn buffered(&self) -> &[u8] {
        let rest = &self.buffer[self.start..self.end];
        match rest {
            [LF, after @ ..] if self.after_cr => after,
            _ => rest,
        }
    }

    /// Adds one decoded data byte to the line; returns the outcome when it ends one.
    fn push(&mut self, data: u8) -> Option<Result<Vec<u8>, Error>> {
        let after_cr = std::mem::replace(&mut self.after_cr, false);
        match data {
            LF | NUL if after_cr => None,
            CR | LF => {
                self.after_cr = data == CR;
                Some(self.finish_line())
            }
            _ if self.overflowed => None,
            _ if self.line.len() < self.limit => {
                self.line.push(data);
                None
            }
            _ => {
                self.overflowed = true;
                self.line.clear();
                None
            }
        }
    }

    /// Hands out the line just terminated, or the error for an over-long one.
    fn finish_line(&mut self) -> Result<Vec<u8>, Error> {
        let line = std::mem::take(&mut self.line);
        if std::mem::replace(&mut self.overflowed, false) {
            Err(Error::LineTooLong { limit: self.limit })
        } else {
            Ok(line)
        }
    }

    /// What the end of the input means: a clean close, or one inside a line.
    fn end_of_stream(&self) -> Result<Option<Vec<u8>>, Error> {
        if self.line.is_empty() && !self.overflowed {
            Ok(None)
        } else {
            Err(Error::ConnectionClosed)
        }
    }

    /// Refills the (fully consumed) buffer; returns the number of bytes read.
    fn fill(&mut self) -> Result<usize, Error> {
        loop {
            match self.inner.read(&mut self.buffer) {
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                    return Ok(n);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(Error::from_io(err, self.phase)),
            }
        }
    }
}

impl<R: fmt::Debug> fmt::Debug for LineReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineReader")
            .field("inner", &self.inner)
            .field("limit", &self.limit)
            .field("phase", &self.phase)
            .field("undecoded", &(self.end - self.start))
            .field("partial_line", &self.line.len())
            .finish_non_exhaustive()
    }
}

/// Writes `line` followed by CRLF; refuses a line containing CR or LF.
///
/// Every `0xFF` byte is doubled (Telnet `IAC IAC`), and the whole line goes out
/// in one `write_all`, then `out` is flushed. A write timeout is reported as
/// [`Error::Timeout`] for [`Phase::SendCommand`].
///
/// ```
/// let mut wire = Vec::new();
/// ftp_core::io::line::write_line(&mut wire, b"RETR caf\xe9\xff")?;
/// assert_eq!(wire, b"RETR caf\xe9\xff\xff\r\n");
/// assert!(ftp_core::io::line::write_line(&mut wire, b"DELE a\r\nDELE b").is_err());
/// # Ok::<(), ftp_core::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::LineBreakInLine`] (nothing is written) or the write error.
pub fn write_line<W: Write + ?Sized>(out: &mut W, line: &[u8]) -> Result<(), Error> {
    let wire = encode_line(line)?;
    out.write_all(&wire)
        .and_then(|()| out.flush())
        .map_err(|err| Error::from_io(err, Phase::SendCommand))
}

/// Writes `line` as [`write_line`] does, after Telnet's "interrupt process"
/// and Synch, `IAC IP IAC DM`, all in one write: what RFC 959 §4.1.3 asks to
/// precede `ABOR`.
///
/// The Synch should be TCP urgent data, which std cannot send (no
/// `MSG_OOB`), so it goes in band. A server that reads the control
/// connection during a transfer removes the two Telnet commands
/// ([`LineReader`] does); one that waits for urgent data before it looks
/// (vsftpd) reads the line when the transfer is over.
///
/// ```
/// let mut wire = Vec::new();
/// ftp_core::io::line::write_interrupting_line(&mut wire, b"ABOR")?;
/// assert_eq!(wire, b"\xff\xf4\xff\xf2ABOR\r\n");
/// # Ok::<(), ftp_core::Error>(())
/// ```
///
/// # Errors
///
/// As [`write_line`].
pub fn write_interrupting_line<W: Write + ?Sized>(out: &mut W, line: &[u8]) -> Result<(), Error> {
    let mut wire = vec![IAC, IP, IAC, DM];
    wire.extend(encode_line(line)?);
    out.write_all(&wire)
        .and_then(|()| out.flush())
        .map_err(|err| Error::from_io(err, Phase::SendCommand))
}

/// The bytes that carry `line` on the wire: IAC doubled, CRLF appended.
fn encode_line(line: &[u8]) -> Result<Vec<u8>, Error> {
    if line.iter().any(|&b| b == CR || b == LF) {
        return Err(Error::LineBreakInLine);
    }
    let iacs = line.iter().filter(|&&b| b == IAC).count();
    let mut wire = Vec::with_capacity(line.len() + iacs + 2);
    for &byte in line {
        wire.push(byte);
        if byte == IAC {
            wire.push(IAC);
        }
    }
    wire.extend_from_slice(b"\r\n");
    Ok(wire)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{FailOnce, Trickle, XorShift};

    /// Every outcome of reading `reader` to its end (stopping at an I/O error).
    fn outcomes<R: Read>(mut reader: LineReader<R>) -> Vec<Result<Vec<u8>, String>> {
        let mut all = Vec::new();
        loop {
            match reader.read_line() {
                Ok(Some(line)) => all.push(Ok(line)),
                Ok(None) => return all,
                Err(err @ Error::LineTooLong { .. }) => all.push(Err(err.to_string())),
                Err(err) => {
                    all.push(Err(err.to_string()));
                    return all;
                }
            }
        }
    }

    /// Reads `wire` in one piece, and again one byte per read; both must agree.
    fn read_all(wire: &[u8], limit: usize) -> Vec<Result<Vec<u8>, String>> {
        let whole = outcomes(LineReader::new(wire, limit, Phase::Command));
        let trickled = outcomes(LineReader::new(Trickle(wire), limit, Phase::Command));
        assert_eq!(whole, trickled, "split reads changed the result");
        whole
    }

    fn lines(wire: &[u8]) -> Vec<Vec<u8>> {
        read_all(wire, DEFAULT_LINE_LIMIT)
            .into_iter()
            .map(|outcome| outcome.expect("no error expected"))
            .collect()
    }

    #[test]
    fn buffered_is_what_follows_the_last_line_and_its_crlf() {
        let mut reader = LineReader::new(&b"234 AUTH TLS ok\r\n"[..], 100, Phase::Reply);
        assert_eq!(
            reader.read_line().expect("a line"),
            Some(b"234 AUTH TLS ok".to_vec())
        );
        assert_eq!(reader.buffered(), b"");
        let mut reader = LineReader::new(&b"234 ok\r\n\x16\x03garbage"[..], 100, Phase::Reply);
        assert_eq!(
            reader.read_line().expect("a line"),
            Some(b"234 ok".to_vec())
        );
        assert_eq!(reader.buffered(), b"\x16\x03garbage");
    }

    #[test]
    fn crlf_lf_and_bare_cr_end_lines() {
        assert_eq!(
            lines(b"USER a\r\nPASS b\nQUIT\r"),
            [&b"USER a"[..], b"PASS b", b"QUIT"]
        );
    }

    #[test]
    fn empty_lines_are_lines() {
        assert_eq!(lines(b"\r\n\n\r\r\n"), [b"", b"", b"", b""]);
    }

    #[test]
    fn lf_or_nul_after_a_terminating_cr_is_skipped_once() {
        assert_eq!(
            lines(b"A\r\0B\r\n\nC\r\r"),
            [&b"A"[..], b"B", b"", b"C", b""]
        );
    }

    #[test]
    fn nul_elsewhere_is_data() {
        assert_eq!(lines(b"\0A\0\r\n"), [b"\0A\0"]);
    }

    #[test]
    fn late_lf_after_cr_is_skipped_across_reads() {
        let mut reader = LineReader::new(Trickle(b"ABOR\r\nNOOP\r\n"), 64, Phase::Command);
        assert_eq!(reader.read_line().unwrap(), Some(b"ABOR".to_vec()));
        assert_eq!(reader.get_ref().0, b"\nNOOP\r\n", "the LF is still unread");
        assert_eq!(reader.read_line().unwrap(), Some(b"NOOP".to_vec()));
        assert_eq!(reader.read_line().unwrap(), None);
    }

    #[test]
    fn python_ftplib_abort_without_its_urgent_lf() {
        // ftplib sends "ABOR\r\n" with MSG_OOB; the kernel withholds the final LF.
        assert_eq!(lines(b"ABOR\rPWD\r\n"), [&b"ABOR"[..], b"PWD"]);
        // With SO_OOBINLINE, or on a system that keeps it, the LF is in the stream.
        assert_eq!(lines(b"ABOR\r\nPWD\r\n"), [&b"ABOR"[..], b"PWD"]);
    }

    #[test]
    fn bsd_ftp_abort_with_and_without_its_urgent_iac() {
        // IAC IP, IAC (urgent), DM ABOR CRLF.
        assert_eq!(lines(b"\xff\xf4\xff\xf2ABOR\r\n"), [b"ABOR"]);
        // The urgent IAC removed by the kernel: IAC IP DM ABOR CRLF.
        assert_eq!(lines(b"\xff\xf4\xf2ABOR\r\n"), [b"ABOR"]);
    }

    #[test]
    fn an_interrupting_line_reads_back_as_the_line() {
        let mut wire = Vec::new();
        write_interrupting_line(&mut wire, b"ABOR").unwrap();
        write_line(&mut wire, b"PWD").unwrap();
        assert_eq!(lines(&wire), [&b"ABOR"[..], b"PWD"]);
    }

    #[test]
    fn dm_is_only_dropped_right_after_an_interrupt() {
        assert_eq!(
            lines(b"A\xf2\r\n\xff\xf4B\xf2\r\n"),
            [&b"A\xf2"[..], b"B\xf2"]
        );
    }

    #[test]
    fn iac_iac_is_one_data_byte() {
        assert_eq!(lines(b"RETR \xff\xff\xff\xffx\r\n"), [b"RETR \xff\xffx"]);
    }

    #[test]
    fn telnet_commands_and_negotiation_are_removed() {
        // NOP, AYT, AO, then WILL/WONT/DO/DONT with an option (one of them 0xFF).
        let wire =
            b"\xff\xf1N\xff\xf6O\xff\xf5O\xff\xfb\x01P\xff\xfc\x03\xff\xfd\xff\xff\xfe\x18\r\n";
        assert_eq!(lines(wire), [b"NOOP"]);
    }

    #[test]
    fn subnegotiation_is_removed_including_escaped_iac_and_line_breaks() {
        let wire = b"LI\xff\xfa\x18\x00\xff\xffvt\r\n100\xff\xf0ST\r\n";
        assert_eq!(lines(wire), [b"LIST"]);
    }

    #[test]
    fn line_breaks_inside_telnet_commands_are_not_terminators() {
        // IAC DO CR: the CR is the option byte, not the end of the line.
        assert_eq!(lines(b"A\xff\xfd\rB\r\n"), [b"AB"]);
    }

    #[test]
    fn a_line_at_the_limit_is_accepted() {
        assert_eq!(read_all(b"12345\r\n", 5), [Ok(b"12345".to_vec())]);
    }

    #[test]
    fn an_over_long_line_is_consumed_and_reported_then_reading_goes_on() {
        let outcomes = read_all(b"123456\r\nOK\r\n1234567890\rAGAIN\n", 5);
        let too_long = Err("line longer than 5 bytes".to_string());
        assert_eq!(
            outcomes,
            [
                too_long.clone(),
                Ok(b"OK".to_vec()),
                too_long,
                Ok(b"AGAIN".to_vec())
            ]
        );
    }

    #[test]
    fn memory_stays_bounded_by_the_limit() {
        let flood = vec![b'x'; 1 << 20];
        let mut reader = LineReader::new(&flood[..], 100, Phase::Command);
        assert!(matches!(reader.read_line(), Err(Error::ConnectionClosed)));
        assert!(reader.line.capacity() <= 2 * 100, "line buffer grew");
        assert_eq!(reader.buffer.len(), READ_BUFFER_SIZE);
    }

    #[test]
    fn the_limit_counts_data_bytes_not_telnet_bytes() {
        assert_eq!(
            read_all(b"\xff\xff\xff\xf1\xff\xff\r\n", 2),
            [Ok(b"\xff\xff".to_vec())]
        );
    }

    #[test]
    fn clean_end_and_end_inside_a_line() {
        assert_eq!(read_all(b"", 10), []);
        assert_eq!(read_all(b"A\r\n\xff\xf1", 10), [Ok(b"A".to_vec())]);
        let closed = Err("connection closed by peer".to_string());
        assert_eq!(
            read_all(b"A\r\nPAR", 10),
            [Ok(b"A".to_vec()), closed.clone()]
        );
        assert_eq!(read_all(b"123456789012", 10), [closed]);
    }

    #[test]
    fn interrupted_reads_are_retried() {
        let failing = FailOnce {
            kind: Some(io::ErrorKind::Interrupted),
            data: b"NOOP\r\n",
        };
        let mut reader = LineReader::new(failing, 10, Phase::Command);
        assert_eq!(reader.read_line().unwrap(), Some(b"NOOP".to_vec()));
    }

    #[test]
    fn an_expired_read_timeout_names_the_readers_phase() {
        let failing = FailOnce {
            kind: Some(io::ErrorKind::WouldBlock),
            data: b"",
        };
        let mut reader = LineReader::new(failing, 10, Phase::Reply);
        assert!(matches!(
            reader.read_line(),
            Err(Error::Timeout(Phase::Reply))
        ));
    }

    #[test]
    fn write_line_appends_crlf_and_doubles_iac() {
        let mut wire = Vec::new();
        write_line(&mut wire, b"257 \"/\xff\" created").unwrap();
        write_line(&mut wire, b"").unwrap();
        assert_eq!(wire, b"257 \"/\xff\xff\" created\r\n\r\n");
    }

    #[test]
    fn write_line_refuses_line_breaks_and_writes_nothing() {
        let mut wire = Vec::new();
        for bad in [&b"DELE x\r\nRMD /"[..], b"A\n", b"\rB"] {
            assert!(matches!(
                write_line(&mut wire, bad),
                Err(Error::LineBreakInLine)
            ));
        }
        assert!(wire.is_empty());
    }

    /// A writer that counts its `write` calls and fails with `fail` when set.
    #[derive(Default)]
    struct Recorder {
        writes: usize,
        flushes: usize,
        fail: Option<io::ErrorKind>,
    }

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes += 1;
            self.fail.map_or(Ok(buf.len()), |kind| Err(kind.into()))
        }
        fn flush(&mut self) -> io::Result<()> {
            self.flushes += 1;
            Ok(())
        }
    }

    #[test]
    fn write_line_makes_one_write_and_flushes() {
        let mut out = Recorder::default();
        write_line(&mut out, b"226 Transfer complete").unwrap();
        assert_eq!((out.writes, out.flushes), (1, 1));
    }

    #[test]
    fn write_timeouts_name_the_phase() {
        let mut out = Recorder {
            fail: Some(io::ErrorKind::WouldBlock),
            ..Recorder::default()
        };
        let err = write_line(&mut out, b"NOOP").unwrap_err();
        assert!(matches!(err, Error::Timeout(Phase::SendCommand)));
        assert_eq!(err.to_string(), "timed out during send command");
    }

    #[test]
    fn random_lines_round_trip_through_writer_and_reader() {
        let mut rng = XorShift::new(0x9E37_79B9_7F4A_7C15);
        let alphabet: Vec<u8> = (0..=255).filter(|&b| b != CR && b != LF).collect();
        for _ in 0..500 {
            let len = rng.below(40);
            let line: Vec<u8> = rng.pick_many(&alphabet, len);
            let mut wire = Vec::new();
            write_line(&mut wire, &line).unwrap();
            write_line(&mut wire, b"NEXT").unwrap();
            assert_eq!(lines(&wire), [line, b"NEXT".to_vec()]);
        }
    }

    #[test]
    fn random_input_never_panics_and_respects_the_limit() {
        let mut rng = XorShift::new(0x2545_F491_4F6C_DD1D);
        let alphabet = [b'a', b'b', CR, LF, NUL, IAC, IP, DM, SB, SE, 251, 253, 241];
        for _ in 0..2000 {
            let len = rng.below(64);
            let wire: Vec<u8> = rng.pick_many(&alphabet, len);
            for line in read_all(&wire, 8).into_iter().flatten() {
                assert!(line.len() <= 8);
                assert!(!line.contains(&CR) && !line.contains(&LF));
            }
        }
    }
}
