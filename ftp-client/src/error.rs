//! The client's one error type.
//!
//! An [`Error`] says what went wrong in words a user can act on: the server's
//! reply (code and text) when the server said no, the [`Phase`] that ran out of
//! time when a timeout expired (inside [`Error::Core`]), and, for a data
//! connection that could not be made, the likely cause in that mode (a
//! firewall, NAT) and what to try instead.
//!
//! This module only describes errors; it does not decide which replies are
//! errors (that is [`crate::client`]'s job).
//!
//! [`Phase`]: ftp_core::Phase

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use ftp_core::Reply;

use ftp_core::protocol::data_setup::{Cause, DataCommand};

/// Everything that can go wrong in the client.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a reply the operation did not expect, e.g.
    /// `530 Login incorrect.` or `550 No such file.`
    Reply(Reply),
    /// A protocol, I/O or timeout error from `ftp-core` (a timeout names its phase).
    Core(ftp_core::Error),
    /// A data connection could not be made; `detail` explains the likely
    /// reason in this mode and what to try instead.
    DataChannel {
        /// The command that set the data connection up: `EPSV`, `PASV`,
        /// `EPRT` or `PORT` (its mode is the mode in use).
        command: DataCommand,
        /// The likely cause (a firewall, NAT), when one is known.
        likely: Option<Cause>,
        /// One sentence: what failed, the likely cause, and the remedy.
        detail: String,
    },
    /// A reply was not complete within the overall reply deadline, although
    /// the server kept sending (slower than any per-read timeout catches).
    ReplyDeadline {
        /// The deadline for one reply.
        limit: Duration,
    },
    /// A listing asked for as a whole was longer than the limit; the client
    /// stopped reading it.
    ListingTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// The host name did not resolve to any usable address.
    Resolve {
        /// The host name as given.
        host: String,
        /// Why: the resolver's message, or that no address of the requested family exists.
        detail: String,
    },
    /// Every address the host name resolved to refused or timed out.
    Connect {
        /// The host name as given.
        host: String,
        /// Each address tried, with the reason it failed.
        attempts: Vec<(SocketAddr, ftp_core::Error)>,
    },
    /// FTPS: a TLS handshake failed (an untrusted certificate, one for
    /// another name, a server that does not speak TLS) or TLS could not be
    /// set up; one sentence.
    Tls(String),
    /// The transfer was stopped by an [`AbortHandle`](crate::client::AbortHandle)
    /// and `ABOR` was answered; the session goes on.
    Aborted,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Reply(reply) => write!(f, "server replied: {}", one_line(reply)),
            Error::Core(err) => write!(f, "{err}"),
            Error::DataChannel {
                command, detail, ..
            } => write!(f, "{} mode: {detail}", command.mode()),
            Error::ReplyDeadline { limit } => write!(
                f,
                "timed out during read reply: no complete reply within the overall \
                 deadline of {} s",
                limit.as_secs_f64()
            ),
            Error::ListingTooLong { limit } => write!(
                f,
                "listing longer than the limit of {limit} bytes held in memory: the server \
                 sent more, the rest was not read"
            ),
            Error::Resolve { host, detail } => write!(f, "{host}: {detail}"),
            Error::Connect { host, attempts } => {
                write!(f, "could not connect to {host}")?;
                for (i, (addr, err)) in attempts.iter().enumerate() {
                    let sep = if i == 0 { ": " } else { "; " };
                    write!(f, "{sep}{addr}: {err}")?;
                }
                Ok(())
            }
            Error::Tls(detail) => write!(f, "{detail}"),
            Error::Aborted => f.write_str("transfer aborted"),
        }
    }
}

/// A reply on one line: `code text`, the lines of a multi-line reply joined by spaces.
fn one_line(reply: &Reply) -> String {
    let text: Vec<&str> = reply.lines.iter().map(|line| line.trim()).collect();
    format!("{} {}", reply.code, text.join(" "))
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Core(err) => Some(err),
            _ => None,
        }
    }
}

impl From<ftp_core::Error> for Error {
    fn from(err: ftp_core::Error) -> Error {
        Error::Core(err)
    }
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Error {
        Error::Core(ftp_core::Error::Io(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_line_reply_is_shown_on_one_line() {
        let reply = Reply::multiline(530, vec!["Login incorrect.".into(), "Bye.".into()]);
        assert_eq!(
            Error::Reply(reply).to_string(),
            "server replied: 530 Login incorrect. Bye."
        );
    }

    #[test]
    fn a_data_channel_error_names_the_mode() {
        let err = Error::DataChannel {
            command: DataCommand::Eprt,
            likely: None,
            detail: "the server did not connect back".into(),
        };
        assert_eq!(
            err.to_string(),
            "active mode: the server did not connect back"
        );
    }

    #[test]
    fn a_failed_connect_lists_every_address_tried() {
        let err = Error::Connect {
            host: "example".into(),
            attempts: vec![
                (
                    "127.0.0.1:21".parse().expect("address"),
                    ftp_core::Error::Timeout(ftp_core::Phase::Connect),
                ),
                (
                    "[::1]:21".parse().expect("address"),
                    ftp_core::Error::ConnectionClosed,
                ),
            ],
        };
        assert_eq!(
            err.to_string(),
            "could not connect to example: 127.0.0.1:21: timed out during connect; \
             [::1]:21: connection closed by peer"
        );
    }

    #[test]
    fn io_errors_become_core_errors() {
        let err = Error::from(io::Error::from(io::ErrorKind::ConnectionReset));
        assert!(matches!(err, Error::Core(ftp_core::Error::Io(_))));
    }
}
