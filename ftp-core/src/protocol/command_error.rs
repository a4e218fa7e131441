//! Why a control line is not a command: [`CommandError`], with the reply
//! code a server answers it with and a text fit for that reply.
//!
//! It lives apart from [`command`](super::command) so that the crate's
//! [`Error`](crate::Error) can carry it without depending on the parser.

use std::fmt;

use crate::protocol::printable::escape_field;

/// Why a command line could not be parsed. The `Display` text is fit for the
/// text of the reply; [`CommandError::reply_code`] gives its code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandError {
    /// The line was empty or only spaces.
    Empty,
    /// A command that needs an argument came without one.
    MissingArgument {
        /// The command's canonical verb.
        verb: &'static str,
    },
    /// A command that takes no argument came with one.
    UnexpectedArgument {
        /// The command's canonical verb.
        verb: &'static str,
    },
    /// The argument is there but malformed.
    InvalidArgument {
        /// The command's canonical verb.
        verb: &'static str,
        /// What is wrong with it, for people.
        reason: String,
    },
    /// An EPRT with an address family other than 1 or 2: RFC 2428's 522.
    UnsupportedProtocol,
    /// The verb is not made of ASCII letters, so it is no command at all.
    InvalidVerb {
        /// The verb as sent, decoded lossily.
        verb: String,
    },
}

impl CommandError {
    /// The reply code for this error (RFC 959 §4.2.1): `500` when the line is
    /// not a command at all, `501` when its argument is wrong.
    pub fn reply_code(&self) -> u16 {
        match self {
            CommandError::Empty | CommandError::InvalidVerb { .. } => 500,
            CommandError::MissingArgument { .. }
            | CommandError::UnexpectedArgument { .. }
            | CommandError::InvalidArgument { .. } => 501,
            CommandError::UnsupportedProtocol => 522,
        }
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Empty => f.write_str("empty command line"),
            CommandError::MissingArgument { verb } => {
                write!(f, "{verb} needs {}", needed_argument(verb))
            }
            CommandError::UnexpectedArgument { verb } => write!(f, "{verb} takes no argument"),
            CommandError::InvalidArgument { verb, reason } => {
                write!(f, "{verb}: {}", Printable(reason))
            }
            // The text RFC 2428 gives, which clients read the families from.
            CommandError::UnsupportedProtocol => {
                f.write_str("Network protocol not supported, use (1,2)")
            }
            CommandError::InvalidVerb { verb } => {
                write!(f, "\"{}\" is not a command verb", Printable(verb))
            }
        }
    }
}

impl std::error::Error for CommandError {}
/// What a command lacks when its argument is missing, for the error message.
fn needed_argument(verb: &str) -> &'static str {
    match verb {
        "RETR" | "STOR" | "APPE" | "DELE" | "RNFR" | "RNTO" | "SIZE" | "MDTM" => "a file name",
        "CWD" | "SMNT" | "MKD" | "RMD" => "a directory name",
        "USER" => "a user name",
        "ACCT" => "account information",
        "PORT" | "EPRT" => "an address",
        "TYPE" => "a type code",
        "STRU" => "a structure code",
        "MODE" => "a mode code",
        "ALLO" => "a size",
        "REST" => "a restart offset",
        "SITE" => "a command",
        "OPTS" => "a command name",
        "HOST" => "a host name",
        "MFMT" => "a time and a file name",
        _ => "an argument",
    }
}

/// Text with control characters escaped ([`crate::protocol::printable`]), so that an
/// error message built from client input stays one printable reply line.
struct Printable<'a>(&'a str);

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape_field(self.0.as_bytes()))
    }
}
