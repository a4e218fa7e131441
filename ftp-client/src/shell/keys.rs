//! Keys from the bytes a terminal sends: the recogniser of escape sequences.
//!
//! A terminal sends most keys as one byte, but the arrows, Home, End and
//! Delete as escape sequences (`ESC [ A` for up, `ESC O A` in application
//! mode, `ESC [ 3 ~` for Delete), and text as UTF-8. [`Decoder`] turns a
//! stream of such bytes, split anywhere, into [`Key`]s. It does not read the
//! terminal and knows nothing of lines; the line editor does.

/// One key press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A character to insert.
    Char(char),
    /// Enter (CR or LF).
    Enter,
    /// Backspace (DEL or Ctrl-H): the character before the cursor.
    Backspace,
    /// Delete: the character under the cursor.
    Delete,
    /// Tab (no completion: it does nothing).
    Tab,
    /// Ctrl-C.
    Interrupt,
    /// Ctrl-D: the end of input on an empty line.
    EndOfInput,
    /// Ctrl-U: clear the line.
    KillLine,
    /// The up arrow or Ctrl-P: the previous line of the history.
    Up,
    /// The down arrow or Ctrl-N: the next line of the history.
    Down,
    /// The left arrow or Ctrl-B.
    Left,
    /// The right arrow or Ctrl-F.
    Right,
    /// Home or Ctrl-A.
    Home,
    /// End or Ctrl-E.
    End,
    /// Any other control key or escape sequence: ignored.
    Other,
}

/// Turns bytes into keys, keeping an unfinished sequence for the next bytes.
#[derive(Debug, Default)]
pub struct Decoder {
    pending: Vec<u8>,
}

impl Decoder {
    /// A decoder with nothing pending.
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// The keys `bytes` complete, in order.
    ///
    /// ```
    /// use ftp_client::shell::keys::{Decoder, Key};
    ///
    /// let mut keys = Decoder::new();
    /// assert_eq!(keys.feed(b"l\x1b["), [Key::Char('l')]);
    /// assert_eq!(keys.feed(b"A"), [Key::Up]);
    /// ```
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Key> {
        self.pending.extend_from_slice(bytes);
        let mut keys = Vec::new();
        let mut used = 0;
        while let Some((key, len)) = decode(&self.pending[used..]) {
            keys.push(key);
            used += len;
        }
        self.pending.drain(..used);
        keys
    }
}

/// The first key of `bytes` and how many bytes it took; `None` when they are
/// empty or only the start of a key.
fn decode(bytes: &[u8]) -> Option<(Key, usize)> {
    let first = *bytes.first()?;
    let key = match first {
        b'\r' | b'\n' => Key::Enter,
        0x7f | 0x08 => Key::Backspace,
        b'\t' => Key::Tab,
        0x03 => Key::Interrupt,
        0x04 => Key::EndOfInput,
        0x15 => Key::KillLine,
        0x10 => Key::Up,
        0x0e => Key::Down,
        0x02 => Key::Left,
        0x06 => Key::Right,
        0x01 => Key::Home,
        0x05 => Key::End,
        0x1b => return escape_sequence(bytes),
        0x00..=0x1f => Key::Other,
        _ => return character(bytes),
    };
    Some((key, 1))
}

/// `ESC [ ...` (CSI) or `ESC O x` (SS3); a lone `ESC` followed by another
/// key is dropped.
fn escape_sequence(bytes: &[u8]) -> Option<(Key, usize)> {
    match *bytes.get(1)? {
        b'[' => {
            // Parameters and intermediates, then a final byte in 0x40..=0x7e.
            let end = bytes[2..]
                .iter()
                .position(|byte| (0x40..=0x7e).contains(byte))?;
            let len = 2 + end + 1;
            Some((csi_key(&bytes[2..len - 1], bytes[len - 1]), len))
        }
        b'O' => Some((csi_key(b"", *bytes.get(2)?), 3)),
        _ => Some((Key::Other, 1)),
    }
}

/// The key of a CSI or SS3 sequence with `params` and `last`.
fn csi_key(params: &[u8], last: u8) -> Key {
    match (params, last) {
        (_, b'A') => Key::Up,
        (_, b'B') => Key::Down,
        (_, b'C') => Key::Right,
        (_, b'D') => Key::Left,
        (_, b'H') | (b"1" | b"7", b'~') => Key::Home,
        (_, b'F') | (b"4" | b"8", b'~') => Key::End,
        (b"3", b'~') => Key::Delete,
        _ => Key::Other,
    }
}

/// A UTF-8 character; a byte that starts none is dropped.
fn character(bytes: &[u8]) -> Option<(Key, usize)> {
    let len = match bytes[0] {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Some((Key::Other, 1)),
    };
    let sequence = bytes.get(..len)?;
    match std::str::from_utf8(sequence)
        .ok()
        .and_then(|s| s.chars().next())
    {
        Some(c) => Some((Key::Char(c), len)),
        None => Some((Key::Other, 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(bytes: &[u8]) -> Vec<Key> {
        Decoder::new().feed(bytes)
    }

    #[test]
    fn arrows_in_both_modes_are_keys_not_text() {
        assert_eq!(
            keys(b"\x1b[A\x1b[B\x1b[C\x1b[D"),
            [Key::Up, Key::Down, Key::Right, Key::Left]
        );
        assert_eq!(keys(b"\x1bOA\x1bOD"), [Key::Up, Key::Left]);
        assert_eq!(keys(b"\x1b[1;5C"), [Key::Right]);
    }

    #[test]
    fn home_end_and_delete_in_their_several_forms() {
        assert_eq!(
            keys(b"\x1b[H\x1b[F\x1b[1~\x1b[4~\x1bOH\x1b[3~"),
            [
                Key::Home,
                Key::End,
                Key::Home,
                Key::End,
                Key::Home,
                Key::Delete
            ]
        );
    }

    #[test]
    fn unknown_sequences_are_swallowed_whole() {
        assert_eq!(keys(b"\x1b[15~x"), [Key::Other, Key::Char('x')]);
        assert_eq!(keys(b"\x1bx"), [Key::Other, Key::Char('x')]);
    }

    #[test]
    fn control_keys() {
        assert_eq!(
            keys(b"\t\x03\x04\x15\x7f\x08\r\n\x07"),
            [
                Key::Tab,
                Key::Interrupt,
                Key::EndOfInput,
                Key::KillLine,
                Key::Backspace,
                Key::Backspace,
                Key::Enter,
                Key::Enter,
                Key::Other
            ]
        );
    }

    #[test]
    fn sequences_and_characters_split_across_reads() {
        let text = "\u{e9}\x1b[A\u{65e5}".as_bytes();
        for split in 0..=text.len() {
            let mut decoder = Decoder::new();
            let mut got = decoder.feed(&text[..split]);
            got.extend(decoder.feed(&text[split..]));
            assert_eq!(
                got,
                [Key::Char('\u{e9}'), Key::Up, Key::Char('\u{65e5}')],
                "split at {split}"
            );
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_dropped() {
        assert_eq!(
            keys(b"\xffa\xc3("),
            [Key::Other, Key::Char('a'), Key::Other, Key::Char('(')]
        );
    }
}
