//! STUB — API fixed, bodies to be written (helper: line).
#![allow(missing_docs)] // stub: remove when the module is written
use std::io::{Read, Write};
use crate::{Error, Phase};

/// Default limit for one control line, in bytes.
pub const DEFAULT_LINE_LIMIT: usize = 4096;

/// Reads control lines: bounded, CRLF or LF (or bare CR), Telnet IAC handled.
#[derive(Debug)]
pub struct LineReader<R> { inner: R, limit: usize, phase: Phase }

impl<R: Read> LineReader<R> {
    /// A reader with the given line limit; timeouts are reported as `phase`.
    pub fn new(inner: R, limit: usize, phase: Phase) -> Self { LineReader { inner, limit, phase } }
    /// The next line without its terminator; `Ok(None)` at a clean end of stream.
    pub fn read_line(&mut self) -> Result<Option<Vec<u8>>, Error> { let _ = (&mut self.inner, self.limit, self.phase); Ok(None) }
    /// Whether bytes are buffered that have not been returned yet.
    pub fn has_buffered(&self) -> bool { false }
    /// The underlying reader.
    pub fn get_ref(&self) -> &R { &self.inner }
    /// The underlying reader, mutably.
    pub fn get_mut(&mut self) -> &mut R { &mut self.inner }
}

/// Writes `line` followed by CRLF; refuses a line containing CR or LF.
pub fn write_line<W: Write + ?Sized>(out: &mut W, line: &[u8]) -> Result<(), Error> { let _ = (out, line); Ok(()) }
