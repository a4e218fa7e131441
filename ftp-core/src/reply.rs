//! STUB — API fixed, bodies to be written (helper: reply).
#![allow(missing_docs)] // stub: remove when the module is written
use std::fmt;
use crate::Error;

/// A three-digit reply code; unknown codes are kept as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(pub u16);

/// A reply: a code and one or more lines of text (without the code prefixes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply { pub code: ReplyCode, pub lines: Vec<String> }

/// Result of feeding input to the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status { Complete(Reply), Partial }

/// Incremental reply parser: feed it one line at a time (without CRLF).
#[derive(Debug, Default)]
pub struct ReplyParser { code: Option<u16>, lines: Vec<String> }

impl ReplyParser {
    /// A parser waiting for the first line of a reply.
    pub fn new() -> Self { Self::default() }
    /// Feeds one line (without CRLF).
    pub fn feed(&mut self, line: &[u8]) -> Result<Status, Error> { let _ = (line, &self.code, &self.lines); Ok(Status::Partial) }
}

impl Reply {
    /// A one-line reply.
    pub fn new(code: u16, text: impl Into<String>) -> Reply { Reply { code: ReplyCode(code), lines: vec![text.into()] } }
    /// A multi-line reply.
    pub fn multiline(code: u16, lines: Vec<String>) -> Reply { Reply { code: ReplyCode(code), lines } }
    /// All lines joined with '\n'.
    pub fn text(&self) -> String { self.lines.join("\n") }
    /// The wire form with CRLF after each line.
    pub fn to_wire(&self) -> Vec<u8> { Vec::new() }
    /// Parses one complete reply from the start of `buf`.
    pub fn parse(buf: &[u8]) -> Result<Option<(Reply, usize)>, Error> { let _ = buf; Ok(None) }
}
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{} {}", self.code.0, self.text()) }
}
