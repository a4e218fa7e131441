//! Replies: the server's answers on the control channel.
//!
//! A reply is a three-digit [`ReplyCode`] and one or more lines of text, a
//! [`Reply`]. This module parses replies one line at a time ([`ReplyParser`])
//! or from the start of a buffer ([`Reply::parse`]), and formats them for the
//! wire ([`Reply::to_wire`]) and for logs (`Display`).
//!
//! On the wire (RFC 959 §4.2) a one-line reply is `ddd text`. A multi-line
//! reply starts with `ddd-text`, may contain any lines, including ones that
//! begin with digits, and ends with a line `ddd text`:
//!
//! ```
//! use ftp_core::protocol::reply::{Reply, ReplyCode};
//!
//! let wire = b"123-First line\r\nSecond line\r\n  234 A line beginning with numbers\r\n\
//!              123 The last line\r\n";
//! let (reply, used) = Reply::parse(wire)?.expect("a complete reply");
//! assert_eq!(used, wire.len());
//! assert_eq!(reply.code, ReplyCode(123));
//! assert_eq!(reply.lines[2], "  234 A line beginning with numbers");
//! # Ok::<(), ftp_core::Error>(())
//! ```
//!
//! Real servers do not always repeat the first code on the last line. The
//! parser takes any line of the form `ddd text` (or exactly `ddd`) as the end
//! of a multi-line reply, and the reply gets the code of that last line, as
//! curl does.
//!
//! A [`ReplyParser`] keeps at most [`DEFAULT_REPLY_LIMIT`] bytes of one reply
//! (or the limit given to [`ReplyParser::with_limit`]): a multi-line reply
//! that never ends is an error, not a growing buffer.
//!
//! This module does not read sockets, strip CRLF or handle Telnet commands
//! (that is [`crate::io::line`]'s job), and it gives no meaning to a code beyond its
//! class (the first digit).

use std::fmt;
use std::mem;

use crate::error::Error;

/// The default limit for one reply, in bytes: the text of its lines plus, for
/// each line, the size of a `String` (so that many empty lines count too).
pub const DEFAULT_REPLY_LIMIT: usize = 256 << 10;

/// What one line costs against the limit besides its text.
const LINE_COST: usize = mem::size_of::<String>();

/// A three-digit reply code. Codes this crate has no name for are kept as
/// plain numbers. The parser only produces codes `000..=999`; a code built by
/// hand must also stay below 1000 to be formatted as three digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(pub u16);

impl ReplyCode {
    /// The class of the reply: its first digit (`2` for `226`).
    pub fn class(self) -> u16 {
        self.0 / 100
    }

    /// 1xx, positive preliminary: the action has started and another reply
    /// will follow (e.g. `150` before a transfer).
    pub fn is_preliminary(self) -> bool {
        self.class() == 1
    }

    /// 2xx, positive completion: the action is done.
    pub fn is_completion(self) -> bool {
        self.class() == 2
    }

    /// 3xx, positive intermediate: the command needs another one (e.g. `331`
    /// asks for PASS, `350` for RNTO or the transfer after REST).
    pub fn is_intermediate(self) -> bool {
        self.class() == 3
    }

    /// 4xx, transient negative: the command failed but may succeed if retried.
    pub fn is_transient_negative(self) -> bool {
        self.class() == 4
    }

    /// 5xx, permanent negative: the command failed and should not be repeated
    /// as it is.
    pub fn is_permanent_negative(self) -> bool {
        self.class() == 5
    }
}

impl fmt::Display for ReplyCode {
    /// The code as three digits, zero-padded (`005`, `226`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// A reply: a code and one or more lines of text.
///
/// `lines` hold the texts without the `ddd-` / `ddd ` prefixes of the first
/// and last lines; the middle lines of a multi-line reply are kept verbatim,
/// with any padding the server put in front of them. A reply made by
/// [`Reply::new`] or [`Reply::multiline`] has at least one line and no CR or
/// LF inside a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply code; for a parsed multi-line reply, the code of its last line.
    pub code: ReplyCode,
    /// The text lines, first to last.
    pub lines: Vec<String>,
}

/// Result of feeding a line to a [`ReplyParser`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The line completed a reply; the parser is ready for the next one.
    Complete(Reply),
    /// The reply is not complete yet: feed the next line.
    Partial,
}

/// Incremental reply parser: feed it one line at a time, without the CRLF.
///
/// It holds the lines of the reply being collected, at most its limit
/// ([`DEFAULT_REPLY_LIMIT`] unless made by [`ReplyParser::with_limit`]).
///
/// ```
/// use ftp_core::protocol::reply::{ReplyParser, Status};
///
/// let mut parser = ReplyParser::new();
/// assert_eq!(parser.feed(b"211-Features:")?, Status::Partial);
/// assert_eq!(parser.feed(b" MDTM")?, Status::Partial);
/// let Status::Complete(reply) = parser.feed(b"211 End")? else { panic!("incomplete") };
/// assert_eq!(reply.lines, ["Features:", " MDTM", "End"]);
/// # Ok::<(), ftp_core::Error>(())
/// ```
#[derive(Debug)]
pub struct ReplyParser {
    /// The first line's code while a multi-line reply is being collected.
    code: Option<u16>,
    /// The lines collected so far.
    lines: Vec<String>,
    /// What the collected lines cost against `limit`.
    size: usize,
    /// The most one reply may cost.
    limit: usize,
}

impl Default for ReplyParser {
    fn default() -> Self {
        ReplyParser::with_limit(DEFAULT_REPLY_LIMIT)
    }
}

/// What follows the three digits of a reply line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// `ddd text` or exactly `ddd`: the last (or only) line of a reply.
    Last,
    /// `ddd-text`: the first line of a multi-line reply.
    More,
}

impl ReplyParser {
    /// A parser waiting for the first line of a reply, with the default limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// A parser that refuses a reply costing more than `limit` bytes: the
    /// text of its lines plus the size of a `String` per line.
    ///
    /// ```
    /// use ftp_core::protocol::reply::{ReplyParser, Status};
    /// use ftp_core::Error;
    ///
    /// let mut parser = ReplyParser::with_limit(100);
    /// assert_eq!(parser.feed(b"220-Welcome")?, Status::Partial);
    /// let err = (0..10).find_map(|_| parser.feed(b"and more text").err());
    /// assert!(matches!(err, Some(Error::ReplyTooLong { limit: 100 })));
    /// # Ok::<(), ftp_core::Error>(())
    /// ```
    pub fn with_limit(limit: usize) -> Self {
        ReplyParser {
            code: None,
            lines: Vec::new(),
            size: 0,
            limit,
        }
    }

    /// Feeds one line (without CRLF); bytes that are not UTF-8 are decoded
    /// lossily.
    ///
    /// Returns [`Status::Partial`] while the reply is incomplete. The errors
    /// are a first line that does not start with three digits followed by a
    /// space, a hyphen or nothing ([`Error::Syntax`]), and a reply that grows
    /// past the limit ([`Error::ReplyTooLong`]; its lines are dropped). After
    /// either the parser is waiting for a first line again.
    pub fn feed(&mut self, line: &[u8]) -> Result<Status, Error> {
        self.size += line.len() + LINE_COST;
        if self.size > self.limit {
            self.code = None;
            self.lines = Vec::new();
            self.size = 0;
            return Err(Error::ReplyTooLong { limit: self.limit });
        }
        let line = String::from_utf8_lossy(line);
        let status = if self.code.is_some() {
            Ok(self.next_line(&line))
        } else {
            self.first_line(&line)
        };
        if !matches!(status, Ok(Status::Partial)) {
            self.size = 0;
        }
        status
    }

    /// Handles the first line of a reply.
    fn first_line(&mut self, line: &str) -> Result<Status, Error> {
        let Some((code, marker, text)) = split_code(line) else {
            return Err(Error::syntax(
                "reply",
                format!(
                    "expected three digits and a space or '-', got {}",
                    excerpt(line)
                ),
            ));
        };
        match marker {
            Marker::Last => Ok(Status::Complete(Reply {
                code: ReplyCode(code),
                lines: vec![text.to_string()],
            })),
            Marker::More => {
                self.code = Some(code);
                self.lines.push(text.to_string());
                Ok(Status::Partial)
            }
        }
    }

    /// Handles a line after `ddd-`: the end of the reply or a middle line.
    fn next_line(&mut self, line: &str) -> Status {
        match split_code(line) {
            Some((code, Marker::Last, text)) => {
                self.lines.push(text.to_string());
                self.code = None;
                Status::Complete(Reply {
                    code: ReplyCode(code),
                    lines: mem::take(&mut self.lines),
                })
            }
            _ => {
                self.lines.push(line.to_string());
                Status::Partial
            }
        }
    }
}

/// Splits a reply line into its code, its marker and the text after the
/// marker; `None` if it does not start with three digits and a marker.
fn split_code(line: &str) -> Option<(u16, Marker, &str)> {
    let bytes = line.as_bytes();
    let digits = bytes.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let code = digits
        .iter()
        .fold(0, |code, digit| code * 10 + u16::from(digit - b'0'));
    let marker = match bytes.get(3) {
        None | Some(b' ') => Marker::Last,
        Some(b'-') => Marker::More,
        Some(_) => return None,
    };
    // Byte 3, if present, is ASCII, so byte 4 is a character boundary.
    Some((code, marker, line.get(4..).unwrap_or("")))
}

/// The start of a line, quoted, for an error message.
fn excerpt(line: &str) -> String {
    const MAX_CHARS: usize = 40;
    match line.char_indices().nth(MAX_CHARS) {
        Some((end, _)) => format!("{:?}...", &line[..end]),
        None => format!("{line:?}"),
    }
}

/// A path as a `257` reply (and any reply naming a path) carries it: in
/// double quotes, each `"` inside doubled (RFC 959 Appendix II).
///
/// ```
/// use ftp_core::protocol::reply::{quote_path, unquote_path};
///
/// assert_eq!(quote_path("/a \"b\""), "\"/a \"\"b\"\"\"");
/// assert_eq!(unquote_path("257 \"/a \"\"b\"\"\" created").as_deref(), Some("/a \"b\""));
/// ```
pub fn quote_path(path: &str) -> String {
    format!("\"{}\"", path.replace('"', "\"\""))
}

/// The path in a `257` reply's text: what stands between the first `"` and
/// the next single `"`, with `""` inside read as one `"`; `None` when there
/// is no such pair.
pub fn unquote_path(text: &str) -> Option<String> {
    let (_, rest) = text.split_once('"')?;
    let mut path = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            path.push(c);
        } else if chars.next_if_eq(&'"').is_some() {
            path.push('"');
        } else {
            return Some(path);
        }
    }
    None
}

/// A middle line of a multi-line reply as it goes on the wire: one that
/// begins with a digit gets one space in front, so that no client can take
/// it for the last line (RFC 959 §4.2). For a reply sent a line at a time
/// (a long listing on the control connection), with the first and last
/// lines written as `NNN-text` and `NNN text`.
///
/// ```
/// use ftp_core::protocol::reply::middle_line;
///
/// assert_eq!(middle_line("213 bytes"), " 213 bytes");
/// assert_eq!(middle_line("drwxr-xr-x 2 ftp ftp 4096 pub"), "drwxr-xr-x 2 ftp ftp 4096 pub");
/// ```
pub fn middle_line(text: &str) -> String {
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        format!(" {text}")
    } else {
        text.to_string()
    }
}

/// Splits text at CRLF, LF and lone CR.
fn split_breaks(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .flat_map(|line| line.split('\r'))
}

impl Reply {
    /// A reply with the given text; a text with `\n` (or CRLF) in it becomes a
    /// multi-line reply, one line per piece.
    pub fn new(code: u16, text: impl Into<String>) -> Reply {
        Reply::multiline(code, vec![text.into()])
    }

    /// A reply with the given lines. A line containing `\n` (or CRLF, or CR)
    /// is split further; no lines at all gives one empty line.
    pub fn multiline(code: u16, lines: Vec<String>) -> Reply {
        let mut split: Vec<String> = lines
            .iter()
            .flat_map(|line| split_breaks(line))
            .map(str::to_string)
            .collect();
        if split.is_empty() {
            split.push(String::new());
        }
        Reply {
            code: ReplyCode(code),
            lines: split,
        }
    }

    /// All lines joined with `\n`, without codes.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// The wire form, CRLF after every line: `ddd text` for one line;
    /// `ddd-first`, the middle lines, `ddd last` for several.
    ///
    /// A middle line that begins with a digit gets one space in front, so
    /// that no client can take it for the last line. CR or LF inside a line
    /// (possible only when `lines` is filled by hand) ends that line, so the
    /// result is always exactly one reply.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut wire = Vec::new();
        for line in self.wire_lines() {
            wire.extend_from_slice(line.as_bytes());
            wire.extend_from_slice(b"\r\n");
        }
        wire
    }

    /// The lines as they go on the wire, with code prefixes and padding
    /// ([`middle_line`]).
    fn wire_lines(&self) -> Vec<String> {
        let texts: Vec<&str> = self
            .lines
            .iter()
            .flat_map(|line| split_breaks(line))
            .collect();
        if texts.len() <= 1 {
            let text = texts.first().copied().unwrap_or("");
            return vec![format!("{} {text}", self.code)];
        }
        let last = texts.len() - 1;
        texts
            .iter()
            .enumerate()
            .map(|(index, text)| match index {
                0 => format!("{}-{text}", self.code),
                _ if index == last => format!("{} {text}", self.code),
                _ => middle_line(text),
            })
            .collect()
    }

    /// Parses one complete reply from the start of `buf`, a sequence of lines
    /// each ending in CRLF or LF.
    ///
    /// Returns the reply and the number of bytes it used, or `None` if `buf`
    /// does not hold a complete reply yet (an unterminated last line counts as
    /// incomplete). Errors as [`ReplyParser::feed`].
    pub fn parse(buf: &[u8]) -> Result<Option<(Reply, usize)>, Error> {
        let mut parser = ReplyParser::new();
        let mut used = 0;
        for piece in buf.split_inclusive(|&byte| byte == b'\n') {
            let Some(line) = piece.strip_suffix(b"\n") else {
                break;
            };
            used += piece.len();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Status::Complete(reply) = parser.feed(line)? {
                return Ok(Some((reply, used)));
            }
        }
        Ok(None)
    }
}

impl fmt::Display for Reply {
    /// The wire form without CRLFs, lines joined by `\n`: for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.wire_lines().join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_paths_round_trip_and_odd_replies_are_read() {
        for path in ["/", "/a b", "/say \"hi\"", "\"\"", ""] {
            assert_eq!(unquote_path(&quote_path(path)).as_deref(), Some(path));
        }
        assert_eq!(unquote_path("\"/\" is cwd").as_deref(), Some("/"));
        assert_eq!(unquote_path("\"\"").as_deref(), Some(""));
        assert_eq!(unquote_path("\"unterminated"), None);
        assert_eq!(unquote_path("no quotes"), None);
    }
    use crate::test_support::XorShift;

    const RFC959_EXAMPLE: &[&[u8]] = &[
        b"123-First line",
        b"Second line",
        b"  234 A line beginning with numbers",
        b"123 The last line",
    ];

    /// Feeds all lines, expecting `Partial` for all but the last.
    fn feed_all(lines: &[&[u8]]) -> Reply {
        let mut parser = ReplyParser::new();
        let (last, init) = lines.split_last().expect("at least one line");
        for line in init {
            assert_eq!(parser.feed(line).expect("no error"), Status::Partial);
        }
        match parser.feed(last).expect("no error") {
            Status::Complete(reply) => reply,
            Status::Partial => panic!("reply not complete after {lines:?}"),
        }
    }

    fn lines(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|text| text.to_string()).collect()
    }

    #[test]
    fn rfc959_multiline_example_line_by_line() {
        let reply = feed_all(RFC959_EXAMPLE);
        assert_eq!(reply.code, ReplyCode(123));
        assert_eq!(
            reply.lines,
            lines(&[
                "First line",
                "Second line",
                "  234 A line beginning with numbers",
                "The last line"
            ])
        );
    }

    #[test]
    fn rfc959_multiline_example_from_a_buffer_with_crlf_or_lf() {
        for ending in [&b"\r\n"[..], b"\n"] {
            let wire: Vec<u8> = RFC959_EXAMPLE
                .join(ending)
                .into_iter()
                .chain(ending.to_vec())
                .collect();
            let (reply, used) = Reply::parse(&wire).unwrap().expect("complete");
            assert_eq!(used, wire.len());
            assert_eq!(reply, feed_all(RFC959_EXAMPLE));
        }
    }

    #[test]
    fn a_reply_that_never_ends_stops_at_the_limit() {
        let mut parser = ReplyParser::with_limit(1000);
        assert_eq!(parser.feed(b"220-Hello").unwrap(), Status::Partial);
        let mut fed = 0;
        let err = loop {
            fed += 1;
            assert!(fed < 1000, "no error after {fed} lines");
            match parser.feed(b"x") {
                Ok(Status::Partial) => {}
                Ok(complete) => panic!("{complete:?}"),
                Err(err) => break err,
            }
        };
        assert!(matches!(err, Error::ReplyTooLong { limit: 1000 }), "{err}");
        assert!(err.to_string().contains("1000 bytes: the server sent more"));
        // The parser starts over: the next line is a first line again.
        assert_eq!(
            parser.feed(b"200 OK").unwrap(),
            Status::Complete(Reply::new(200, "OK"))
        );
    }

    #[test]
    fn the_limit_applies_to_each_reply_alone() {
        let mut parser = ReplyParser::with_limit(200);
        for _ in 0..100 {
            assert_eq!(parser.feed(b"211-a").unwrap(), Status::Partial);
            assert!(matches!(
                parser.feed(b"211 b").unwrap(),
                Status::Complete(_)
            ));
            assert!(parser.feed(b"x y").is_err(), "a syntax error");
        }
    }

    #[test]
    fn one_line_replies() {
        let reply = feed_all(&[b"220 Service ready for new user."]);
        assert_eq!(reply, Reply::new(220, "Service ready for new user."));
        assert_eq!(feed_all(&[b"200"]).lines, [""]);
        assert_eq!(feed_all(&[b"200 "]).lines, [""]);
        assert_eq!(feed_all(&[b"200  two spaces"]).lines, [" two spaces"]);
        assert_eq!(feed_all(&[b"999 unknown"]).code, ReplyCode(999));
    }

    #[test]
    fn empty_texts_in_a_multiline_reply() {
        let reply = feed_all(&[b"211-", b"", b"211"]);
        assert_eq!(reply.lines, ["", "", ""]);
        assert_eq!(reply.to_wire(), b"211-\r\n\r\n211 \r\n");
    }

    #[test]
    fn different_last_code_ends_the_reply_and_gives_its_code() {
        let reply = feed_all(&[
            b"150-Opening data connection",
            b" for file.txt",
            b"226 Done",
        ]);
        assert_eq!(reply.code, ReplyCode(226));
        assert_eq!(
            reply.lines,
            ["Opening data connection", " for file.txt", "Done"]
        );
    }

    #[test]
    fn lines_beginning_with_digits_in_the_middle_are_text() {
        let middle: &[&[u8]] = &[
            b"1234 bytes",
            b"200-more",
            b"  200 x",
            b"20 x",
            b"2000",
            b"abc 200 x",
        ];
        let all: Vec<&[u8]> = [&b"213-Status"[..]]
            .into_iter()
            .chain(middle.iter().copied())
            .chain([&b"213 End"[..]])
            .collect();
        let reply = feed_all(&all);
        let expected: Vec<String> = middle
            .iter()
            .map(|line| String::from_utf8(line.to_vec()).unwrap())
            .collect();
        assert_eq!(reply.lines[1..=middle.len()], expected[..]);
        assert_eq!(reply.lines.len(), middle.len() + 2);
    }

    #[test]
    fn a_line_of_exactly_three_digits_ends_a_multiline_reply() {
        let reply = feed_all(&[b"211-Features:", b" UTF8", b"211"]);
        assert_eq!(reply.lines, ["Features:", " UTF8", ""]);
    }

    #[test]
    fn parser_is_ready_for_the_next_reply_after_complete() {
        let mut parser = ReplyParser::new();
        assert_eq!(parser.feed(b"150-a").unwrap(), Status::Partial);
        assert!(matches!(
            parser.feed(b"150 b").unwrap(),
            Status::Complete(_)
        ));
        // A line that would be a middle line inside a reply is now a first line.
        assert!(parser.feed(b"not a reply").is_err());
        assert_eq!(
            parser.feed(b"226 Transfer complete").unwrap(),
            Status::Complete(Reply::new(226, "Transfer complete"))
        );
    }

    #[test]
    fn garbage_first_lines_are_syntax_errors() {
        let garbage: &[&[u8]] = &[
            b"",
            b"2",
            b"20",
            b"20 ok",
            b"2000 ok",
            b"200x",
            b"200\tok",
            b" 200 ok",
            b"abc def",
            b"HTTP/1.1 200 OK",
            b"SSH-2.0-OpenSSH_9.6",
            "\u{ff12}00 ok".as_bytes(),
            b"\xff\xfe\xfd",
        ];
        let mut parser = ReplyParser::new();
        for line in garbage {
            match parser.feed(line) {
                Err(Error::Syntax { what: "reply", .. }) => {}
                other => panic!("{line:?} gave {other:?}"),
            }
        }
        // Still waiting for a first line after all those errors.
        assert!(matches!(parser.feed(b"200 OK"), Ok(Status::Complete(_))));
    }

    #[test]
    fn syntax_error_message_quotes_the_start_of_the_line() {
        let err = ReplyParser::new()
            .feed(b"HTTP/1.1 400 Bad Request")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid reply: expected three digits and a space or '-', got \"HTTP/1.1 400 Bad Request\""
        );
        let long = [b'x'; 100];
        let message = ReplyParser::new().feed(&long).unwrap_err().to_string();
        assert!(
            message.ends_with(&format!("\"{}\"...", "x".repeat(40))),
            "{message}"
        );
    }

    #[test]
    fn non_utf8_is_decoded_lossily() {
        let reply = feed_all(&[b"257-caf\xe9", b"\xff", b"257 ok"]);
        assert_eq!(reply.lines, ["caf\u{fffd}", "\u{fffd}", "ok"]);
    }

    #[test]
    fn parse_is_incremental_over_every_prefix() {
        let wire = b"230-Welcome\r\n 1 line\r\n230 Logged in\r\n220 next\r\n";
        let first_end = wire.len() - b"220 next\r\n".len();
        for end in 0..first_end {
            assert_eq!(Reply::parse(&wire[..end]).unwrap(), None, "prefix {end}");
        }
        let (reply, used) = Reply::parse(wire).unwrap().expect("complete");
        assert_eq!(used, first_end);
        assert_eq!(reply.lines, ["Welcome", " 1 line", "Logged in"]);
        let (next, used) = Reply::parse(&wire[first_end..]).unwrap().expect("complete");
        assert_eq!(
            (next, used),
            (Reply::new(220, "next"), b"220 next\r\n".len())
        );
    }

    #[test]
    fn parse_reports_garbage() {
        assert!(matches!(
            Reply::parse(b"hello\r\n"),
            Err(Error::Syntax { .. })
        ));
        // Not yet a full line: no verdict.
        assert_eq!(Reply::parse(b"hello").unwrap(), None);
    }

    #[test]
    fn classes() {
        let cases = [
            (110, 1, ReplyCode::is_preliminary as fn(ReplyCode) -> bool),
            (226, 2, ReplyCode::is_completion),
            (350, 3, ReplyCode::is_intermediate),
            (421, 4, ReplyCode::is_transient_negative),
            (530, 5, ReplyCode::is_permanent_negative),
        ];
        for (code, class, predicate) in cases {
            let code = ReplyCode(code);
            assert_eq!(code.class(), class);
            assert!(predicate(code), "{code}");
            let true_count = cases.iter().filter(|(_, _, p)| p(code)).count();
            assert_eq!(true_count, 1, "{code} is in exactly one class");
        }
        let unknown = ReplyCode(699);
        assert_eq!(unknown.class(), 6);
        assert!(cases.iter().all(|(_, _, p)| !p(unknown)));
    }

    #[test]
    fn codes_display_as_three_digits() {
        assert_eq!(ReplyCode(226).to_string(), "226");
        assert_eq!(ReplyCode(5).to_string(), "005");
        assert_eq!(feed_all(&[b"000 zero"]).code.to_string(), "000");
    }

    #[test]
    fn new_splits_text_into_lines() {
        let reply = Reply::new(211, "Features:\n UTF8\r\nEnd");
        assert_eq!(reply.lines, ["Features:", " UTF8", "End"]);
        assert_eq!(reply.text(), "Features:\n UTF8\nEnd");
        assert_eq!(Reply::new(200, "").lines, [""]);
        assert_eq!(Reply::multiline(200, Vec::new()).lines, [""]);
        assert_eq!(
            Reply::multiline(200, lines(&["a\nb", "c"])).lines,
            ["a", "b", "c"]
        );
    }

    #[test]
    fn wire_form_of_a_one_line_reply() {
        let reply = Reply::new(227, "Entering Passive Mode (127,0,0,1,4,1).");
        assert_eq!(
            reply.to_wire(),
            b"227 Entering Passive Mode (127,0,0,1,4,1).\r\n"
        );
        assert_eq!(
            reply.to_string(),
            "227 Entering Passive Mode (127,0,0,1,4,1)."
        );
    }

    #[test]
    fn wire_form_of_a_multiline_reply_pads_digit_leading_middle_lines() {
        let reply = Reply::multiline(
            211,
            lines(&["Status:", "123 would end it", "text", "9", "End"]),
        );
        assert_eq!(
            reply.to_wire(),
            b"211-Status:\r\n 123 would end it\r\ntext\r\n 9\r\n211 End\r\n"
        );
        assert_eq!(
            reply.to_string(),
            "211-Status:\n 123 would end it\ntext\n 9\n211 End"
        );
    }

    #[test]
    fn line_breaks_put_into_lines_by_hand_cannot_inject_a_reply() {
        let reply = Reply {
            code: ReplyCode(550),
            lines: vec!["no such file\r\n230 Logged in\rx\n".to_string()],
        };
        let wire = reply.to_wire();
        assert_eq!(wire, b"550-no such file\r\n 230 Logged in\r\nx\r\n550 \r\n");
        let (parsed, used) = Reply::parse(&wire).unwrap().expect("complete");
        assert_eq!((parsed.code, used), (ReplyCode(550), wire.len()));
    }

    /// A random line from characters that matter to the format.
    fn random_text(rng: &mut XorShift) -> String {
        const CHARS: &[char] = &[
            '1', '2', '0', '9', ' ', '-', 'a', 'Z', '(', ',', 'é', '\u{fffd}', '\r', '\n',
        ];
        let len = rng.below(8);
        rng.pick_many(CHARS, len)
    }

    fn random_reply(rng: &mut XorShift) -> Reply {
        let count = 1 + rng.below(5);
        Reply {
            code: ReplyCode(rng.below(1000) as u16),
            lines: (0..count).map(|_| random_text(rng)).collect(),
        }
    }

    /// Whether `to_wire` writes the lines unchanged: no line breaks inside a
    /// line and no middle line that needs padding.
    fn is_canonical(reply: &Reply) -> bool {
        let last = reply.lines.len() - 1;
        reply.lines.iter().enumerate().all(|(index, line)| {
            let middle = index != 0 && index != last;
            let has_break = line.contains(['\r', '\n']);
            let needs_padding = middle && line.starts_with(|c: char| c.is_ascii_digit());
            !(has_break || needs_padding)
        })
    }

    #[test]
    fn round_trip_through_the_wire() {
        let mut rng = XorShift::new(0x5eed_f7f0);
        let mut canonical = 0;
        for _ in 0..5000 {
            let reply = random_reply(&mut rng);
            let wire = reply.to_wire();
            let (parsed, used) = Reply::parse(&wire)
                .unwrap_or_else(|err| panic!("{reply:?}: {err}"))
                .unwrap_or_else(|| panic!("{reply:?} incomplete"));
            assert_eq!(used, wire.len(), "{reply:?}");
            assert_eq!(parsed.to_wire(), wire, "{reply:?}");
            if is_canonical(&reply) {
                assert_eq!(parsed, reply);
                canonical += 1;
            }
        }
        assert!(
            canonical > 1000,
            "only {canonical} canonical replies checked"
        );
    }

    /// Checks what must hold for any input: `parse` uses whole lines only.
    fn check_parse(buf: &[u8]) {
        if let Ok(Some((_, used))) = Reply::parse(buf) {
            assert!(used <= buf.len() && buf[used - 1] == b'\n', "{buf:?}");
        }
    }

    #[test]
    fn random_and_truncated_input_never_panics() {
        let mut rng = XorShift::new(0x0bad_5eed);
        for _ in 0..5000 {
            let len = rng.below(40);
            let mut input = rng.bytes(len);
            // Bias half the bytes towards the ones the format cares about.
            for byte in input.iter_mut() {
                if rng.chance() {
                    *byte = rng.pick(b"0123456789 -\r\n");
                }
            }
            check_parse(&input);
            let mut parser = ReplyParser::new();
            let mut inside = false;
            for line in input.split(|&byte| byte == b'\n') {
                match parser.feed(line) {
                    Ok(Status::Partial) => inside = true,
                    Ok(Status::Complete(_)) => inside = false,
                    Err(err) => assert!(!inside, "error inside a reply: {err}"),
                }
            }
            let wire = random_reply(&mut rng).to_wire();
            let cut = rng.below(wire.len());
            assert_eq!(
                Reply::parse(&wire[..cut]).unwrap(),
                None,
                "{wire:?} cut at {cut}"
            );
        }
    }
}
