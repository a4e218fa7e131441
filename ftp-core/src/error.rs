//! The crate's one error type.
//!
//! [`Error`] covers I/O failures, timeouts (naming the [`Phase`] that ran out),
//! framing violations and malformed protocol text. Command parse errors have their
//! own detail type, [`CommandError`], because the server maps them to reply codes.
//!
//! Timeouts are mapped in exactly one place, [`Error::from_io`]: an expired
//! socket timeout surfaces from `std` as `WouldBlock` or `TimedOut`, and both
//! become [`Error::Timeout`] with the phase the caller names.

use std::fmt;
use std::io;

use crate::protocol::command_error::CommandError;

/// What was being waited for when a timeout ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Opening a TCP connection (control, or an active/passive data connection).
    Connect,
    /// Waiting for the peer to connect to a listening data socket.
    Accept,
    /// Waiting for a reply from the server (client side).
    Reply,
    /// Sending a command to the server (client side): the server is not
    /// reading.
    SendCommand,
    /// Waiting for a command from the client (server side: the idle timeout).
    Command,
    /// Moving file data over an open data connection.
    Transfer,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Connect => "connect",
            Phase::Accept => "accept",
            Phase::Reply => "read reply",
            Phase::SendCommand => "send command",
            Phase::Command => "read command",
            Phase::Transfer => "data transfer",
        })
    }
}

/// Everything that can go wrong in `ftp-core`.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error from a socket or a file.
    Io(io::Error),
    /// A blocking operation did not finish in time.
    Timeout(Phase),
    /// A control line was longer than the limit; it was consumed and dropped.
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// A multi-line reply grew past the reply parser's limit; the parser
    /// stopped collecting it (see [`crate::protocol::reply::ReplyParser`]).
    ReplyTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// A line to be sent contained CR or LF, which would split it on the wire.
    LineBreakInLine,
    /// The peer closed the connection where more was expected.
    ConnectionClosed,
    /// A command line could not be parsed.
    Command(CommandError),
    /// An EPRT address family other than 1 (IPv4) and 2 (IPv6): a server
    /// answers 522 (RFC 2428).
    UnsupportedFamily {
        /// The family as sent.
        family: String,
    },
    /// Malformed protocol text: a reply, an address, a listing line.
    Syntax {
        /// What was being parsed, e.g. `"EPRT address"`.
        what: &'static str,
        /// What was wrong with it.
        detail: String,
    },
}

impl Error {
    /// Wraps an I/O error, turning an expired socket timeout into
    /// [`Error::Timeout`] for `phase`. The one place this mapping is done.
    pub fn from_io(err: io::Error, phase: Phase) -> Error {
        match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout(phase),
            _ => Error::Io(err),
        }
    }

    /// Shorthand for [`Error::Syntax`].
    pub fn syntax(what: &'static str, detail: impl Into<String>) -> Error {
        Error::Syntax {
            what,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(err) => write!(f, "{err}"),
            Error::Timeout(phase) => write!(f, "timed out during {phase}"),
            Error::LineTooLong { limit } => write!(f, "line longer than {limit} bytes"),
            Error::ReplyTooLong { limit } => write!(
                f,
                "reply longer than the limit of {limit} bytes: the server sent more, \
                 the rest was not read"
            ),
            Error::LineBreakInLine => f.write_str("line contains CR or LF"),
            Error::ConnectionClosed => f.write_str("connection closed by peer"),
            Error::Command(err) => write!(f, "{err}"),
            Error::UnsupportedFamily { family } => write!(
                f,
                "unsupported network protocol {family:?} (1 is IPv4, 2 is IPv6)"
            ),
            Error::Syntax { what, detail } => write!(f, "invalid {what}: {detail}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(err) => Some(err),
            Error::Command(err) => Some(err),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Error {
        Error::Io(err)
    }
}

impl From<CommandError> for Error {
    fn from(err: CommandError) -> Error {
        Error::Command(err)
    }
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        match err {
            Error::Io(err) => err,
            Error::Timeout(_) => io::Error::new(io::ErrorKind::TimedOut, err),
            Error::ConnectionClosed => io::Error::new(io::ErrorKind::UnexpectedEof, err),
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_socket_timeouts_name_the_phase() {
        let err = Error::from_io(io::ErrorKind::WouldBlock.into(), Phase::Accept);
        assert!(matches!(err, Error::Timeout(Phase::Accept)));
        assert_eq!(err.to_string(), "timed out during accept");
        let err = Error::from_io(io::ErrorKind::TimedOut.into(), Phase::Reply);
        assert!(matches!(err, Error::Timeout(Phase::Reply)));
    }

    #[test]
    fn other_io_errors_stay_io_errors() {
        let err = Error::from_io(io::ErrorKind::ConnectionRefused.into(), Phase::Connect);
        assert!(matches!(err, Error::Io(_)));
    }
}
