//! TYPE: how file data is represented on the data connection (RFC 959
//! §3.1.1).
//!
//! Two types, one for the wire and one for the copy:
//!
//! - [`TransferType`] is every argument `TYPE` can carry (`A [N|T|C]`,
//!   `E [N|T|C]`, `I`, `L n`), parsed from and written back to the command
//!   line ([`FromStr`], [`Display`](fmt::Display));
//! - [`Representation`] is what the two programs actually move: TYPE I
//!   ([`Representation::Binary`]) or TYPE A ([`Representation::Ascii`]). A
//!   server maps a `TYPE` argument to one with
//!   [`TransferType::representation`] and refuses the others; a client sends
//!   [`TransferType::from`] a representation.
//!
//! ```
//! use ftp_core::protocol::representation::{Representation, TransferType};
//!
//! let asked: TransferType = "L 8".parse()?;
//! assert_eq!(asked.representation(), Some(Representation::Binary));
//! assert_eq!(TransferType::from(Representation::Ascii).to_string(), "A");
//! assert_eq!(Representation::Binary.to_string(), "binary");
//! # Ok::<(), String>(())
//! ```
//!
//! What this module does not do: convert line ends (that is the copy,
//! [`crate::io::transfer`]), or parse the rest of a command line
//! ([`crate::protocol::command`]).

use std::fmt;
use std::str::FromStr;

/// How file data is represented on the data connection: the two types both
/// programs support. A new FTP session is in ASCII (RFC 959 §3.1.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    /// TYPE I (image): the bytes as they are.
    Binary,
    /// TYPE A (ASCII, non-print): lines end in CRLF on the network, LF locally.
    Ascii,
}

impl Representation {
    /// The name people read, `ascii` or `binary` (upper-cased in a server's
    /// replies: `Opening BINARY mode data connection`).
    pub fn name(self) -> &'static str {
        match self {
            Representation::Ascii => "ascii",
            Representation::Binary => "binary",
        }
    }
}

/// The name: `ascii` or `binary`.
impl fmt::Display for Representation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The text format of TYPE A and TYPE E (RFC 959 §3.1.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    /// `N`: no vertical format control (the default).
    NonPrint,
    /// `T`: Telnet format controls (CR, LF, FF, ...).
    Telnet,
    /// `C`: ASA (Fortran) carriage control in the first character of a line.
    Asa,
}

/// The argument of TYPE (RFC 959 §3.1.1), as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferType {
    /// `A [N|T|C]`: ASCII text, lines end in CRLF on the wire.
    Ascii(Option<TextFormat>),
    /// `E [N|T|C]`: EBCDIC text.
    Ebcdic(Option<TextFormat>),
    /// `I`: image (binary), bytes sent as they are.
    Image,
    /// `L n`: local byte size of `n` bits, 1 to 255 (`L 8` is binary).
    Local(u8),
}

impl TransferType {
    /// The representation this argument asks for, if it is one of the two
    /// supported: `A` and `A N` are ASCII, `I` and `L 8` binary; the others
    /// (`A T`, `A C`, EBCDIC, other byte sizes) are `None`.
    pub fn representation(self) -> Option<Representation> {
        match self {
            TransferType::Ascii(None | Some(TextFormat::NonPrint)) => Some(Representation::Ascii),
            TransferType::Image | TransferType::Local(8) => Some(Representation::Binary),
            _ => None,
        }
    }
}

/// The argument a client sends for a representation: `A` or `I`.
impl From<Representation> for TransferType {
    fn from(repr: Representation) -> TransferType {
        match repr {
            Representation::Ascii => TransferType::Ascii(None),
            Representation::Binary => TransferType::Image,
        }
    }
}

/// Parses a TYPE argument: `A [f]`, `E [f]`, `I`, `L n` or `Ln`, letters in
/// any case, words separated by one or more spaces. The error is the text of
/// a `501` reply.
impl FromStr for TransferType {
    type Err = String;

    fn from_str(text: &str) -> Result<TransferType, String> {
        let mut words = text.split(' ').filter(|w| !w.is_empty());
        let (kind, param, extra) = (words.next().unwrap_or(""), words.next(), words.next());
        let format = |f: Option<&str>| f.map(text_format).transpose();
        match (kind.to_ascii_uppercase().as_str(), param, extra) {
            ("A", f, None) => Ok(TransferType::Ascii(format(f)?)),
            ("E", f, None) => Ok(TransferType::Ebcdic(format(f)?)),
            ("I", None, None) => Ok(TransferType::Image),
            ("L", Some(n), None) => byte_size(n).map(TransferType::Local),
            // `L8`: the byte size written without a space; `kind` starts with an ASCII letter.
            (l, None, None) if l.len() > 1 && l.starts_with('L') => {
                byte_size(&kind[1..]).map(TransferType::Local)
            }
            _ => Err(format!("unknown type \"{text}\"")),
        }
    }
}

/// A format code, `N`, `T` or `C` in any case.
fn text_format(code: &str) -> Result<TextFormat, String> {
    [TextFormat::NonPrint, TextFormat::Telnet, TextFormat::Asa]
        .into_iter()
        .find(|format| format.to_string().eq_ignore_ascii_case(code))
        .ok_or_else(|| format!("unknown format \"{code}\""))
}

/// A byte size of `L`: 1 to 255, digits only.
fn byte_size(text: &str) -> Result<u8, String> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<u8>() {
        Ok(size) if digits && size > 0 => Ok(size),
        _ => Err(format!("byte size must be 1 to 255, not \"{text}\"")),
    }
}

/// The TYPE argument as sent: `A`, `A N`, `I`, `L 8`, ...
impl fmt::Display for TransferType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, format) = match self {
            TransferType::Ascii(format) => ("A", format),
            TransferType::Ebcdic(format) => ("E", format),
            TransferType::Image => return f.write_str("I"),
            TransferType::Local(size) => return write!(f, "L {size}"),
        };
        match format {
            Some(format) => write!(f, "{kind} {format}"),
            None => f.write_str(kind),
        }
    }
}

/// The format code as sent: `N`, `T` or `C`.
impl fmt::Display for TextFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TextFormat::NonPrint => "N",
            TextFormat::Telnet => "T",
            TextFormat::Asa => "C",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ascii_non_print_image_and_eight_bit_local_are_supported() {
        let supported = |text: &str| text.parse::<TransferType>().expect(text).representation();
        assert_eq!(supported("A"), Some(Representation::Ascii));
        assert_eq!(supported("a n"), Some(Representation::Ascii));
        assert_eq!(supported("I"), Some(Representation::Binary));
        assert_eq!(supported("L 8"), Some(Representation::Binary));
        assert_eq!(supported("L8"), Some(Representation::Binary));
        for other in ["A T", "A C", "E", "E N", "L 7", "L 36"] {
            assert_eq!(supported(other), None, "{other}");
        }
    }

    #[test]
    fn a_representation_is_sent_as_a_or_i_and_read_as_its_name() {
        for (repr, letter, name) in [
            (Representation::Ascii, "A", "ascii"),
            (Representation::Binary, "I", "binary"),
        ] {
            let sent = TransferType::from(repr);
            assert_eq!(
                (sent.to_string().as_str(), repr.to_string().as_str()),
                (letter, name)
            );
            assert_eq!(sent.representation(), Some(repr));
        }
    }

    #[test]
    fn bad_type_arguments_say_what_is_wrong() {
        let error = |text: &str| text.parse::<TransferType>().expect_err(text);
        assert_eq!(error("X"), "unknown type \"X\"");
        assert_eq!(error("A X"), "unknown format \"X\"");
        assert_eq!(error("L 0"), "byte size must be 1 to 255, not \"0\"");
        assert_eq!(error("L +8"), "byte size must be 1 to 255, not \"+8\"");
        assert_eq!(error("L 256"), "byte size must be 1 to 255, not \"256\"");
        assert_eq!(error("I N"), "unknown type \"I N\"");
    }
}
