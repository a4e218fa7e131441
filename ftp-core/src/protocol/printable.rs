//! Showing text from the other side — a server's reply, a client's file
//! name — without letting it drive a terminal or forge a log line.
//!
//! A greeting, a reply, a path in a `257` reply, a listing line or a file
//! name can carry escape sequences: OSC 0 sets the window title, OSC 52
//! writes the clipboard, `ESC [ 2 J` clears the screen. [`escape`] shows
//! every control character visibly as `\xNN`, one per byte:
//!
//! - C0 controls (`0x00`–`0x1f`) except tab and line feed, so `ESC` is
//!   `\x1b` and a bare CR is `\x0d`;
//! - DEL (`0x7f`);
//! - C1 controls (U+0080–U+009F), as the two bytes of their UTF-8 form,
//!   e.g. `\xc2\x9b`;
//! - bytes that are not UTF-8 (an 8-bit CSI `0x9b`, a Latin-1 name), as they are.
//!
//! Everything else, including UTF-8 text, is shown as it is; [`escape_field`]
//! escapes line feeds too, for a value inside one line of a log. The
//! escaping is for reading, not reversible: a backslash stays a backslash.
//!
//! What it does not do: decide which output is escaped (the programs do,
//! and say so in their READMEs), or write anything.

/// `text` with every control character and non-UTF-8 byte escaped as `\xNN`.
///
/// ```
/// use ftp_core::protocol::printable::escape;
///
/// assert_eq!(escape(b"220 \x1b]0;pwned\x07 ready"), "220 \\x1b]0;pwned\\x07 ready");
/// assert_eq!(escape("caf\u{e9}\tok\n".as_bytes()), "caf\u{e9}\tok\n");
/// assert_eq!(escape(b"\xc2\x9b2J \x9b2J"), "\\xc2\\x9b2J \\x9b2J");
/// ```
pub fn escape(text: &[u8]) -> String {
    escaped(text, Lines::Kept)
}

/// [`escape`] for one field of a line, such as a file name in a log line:
/// a line feed is escaped too (`\x0a`), so the field cannot start a line.
///
/// ```
/// use ftp_core::protocol::printable::escape_field;
///
/// assert_eq!(escape_field(b"a\nfake log line"), "a\\x0afake log line");
/// ```
pub fn escape_field(text: &[u8]) -> String {
    escaped(text, Lines::Escaped)
}

fn escaped(text: &[u8], lines: Lines) -> String {
    let mut out = Vec::with_capacity(text.len());
    escape_bytes(&mut out, text, true, lines);
    String::from_utf8(out).expect("escaped text is UTF-8")
}

/// Whether line feeds pass or are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    Kept,
    Escaped,
}

/// Escapes `bytes` into `out` as [`escape`] does; returns how many were
/// used. Unless `at_end`, an incomplete UTF-8 sequence at the end is left
/// for the next call (for text that arrives in pieces).
pub fn escape_into(out: &mut Vec<u8>, bytes: &[u8], at_end: bool) -> usize {
    escape_bytes(out, bytes, at_end, Lines::Kept)
}

fn escape_bytes(out: &mut Vec<u8>, bytes: &[u8], at_end: bool, lines: Lines) -> usize {
    let mut rest = bytes;
    loop {
        let (valid, bad) = match std::str::from_utf8(rest) {
            Ok(text) => (text, 0),
            Err(err) => {
                let valid =
                    std::str::from_utf8(&rest[..err.valid_up_to()]).expect("the prefix is valid");
                match err.error_len() {
                    Some(len) => (valid, len),
                    None if at_end => (valid, rest.len() - err.valid_up_to()),
                    None => {
                        push_text(out, valid, lines);
                        return bytes.len() - (rest.len() - valid.len());
                    }
                }
            }
        };
        push_text(out, valid, lines);
        let (invalid, after) = rest[valid.len()..].split_at(bad);
        invalid.iter().for_each(|&byte| push_byte(out, byte));
        if after.is_empty() {
            return bytes.len();
        }
        rest = after;
    }
}

/// Appends UTF-8 text, escaping its control characters.
fn push_text(out: &mut Vec<u8>, text: &str, lines: Lines) {
    for c in text.chars() {
        let mut utf8 = [0; 4];
        let encoded = c.encode_utf8(&mut utf8).as_bytes();
        if is_control(c) || (c == '\n' && lines == Lines::Escaped) {
            encoded.iter().for_each(|&byte| push_byte(out, byte));
        } else {
            out.extend_from_slice(encoded);
        }
    }
}

/// Whether `c` is shown escaped: C0 but tab and line feed, DEL, C1.
fn is_control(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

/// Appends `\xNN`.
fn push_byte(out: &mut Vec<u8>, byte: u8) {
    out.extend_from_slice(format!("\\x{byte:02x}").as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_are_shown_not_sent() {
        let osc52 = b"\x1b]52;c;ZWNobyBwd25lZA==\x07";
        assert_eq!(escape(osc52), "\\x1b]52;c;ZWNobyBwd25lZA==\\x07");
        assert_eq!(escape(b"\x1b[2J\x1b[H"), "\\x1b[2J\\x1b[H");
        assert_eq!(escape(b"a\rb\x7f\x00"), "a\\x0db\\x7f\\x00");
    }

    #[test]
    fn text_tabs_and_line_feeds_pass() {
        let text = "drwxr-xr-x 2 ftp ftp 4096 Jan 1 00:00 \u{65e5}\u{672c}\tx\n";
        assert_eq!(escape(text.as_bytes()), text);
    }

    #[test]
    fn c1_controls_and_stray_bytes_are_escaped() {
        assert_eq!(escape("\u{9b}31m".as_bytes()), "\\xc2\\x9b31m");
        assert_eq!(escape(b"\x9b31m \xe9t\xe9"), "\\x9b31m \\xe9t\\xe9");
        assert_eq!(escape(b"cut \xe6\x97"), "cut \\xe6\\x97");
    }

    #[test]
    fn a_field_cannot_start_a_line() {
        assert_eq!(
            escape_field(b"name\r\nINFO fake"),
            "name\\x0d\\x0aINFO fake"
        );
        assert_eq!(escape(b"two\nlines"), "two\nlines");
    }
}
