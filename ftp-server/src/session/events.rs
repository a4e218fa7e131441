//! The replies to what the connection reports besides commands: a line
//! that is no command, a line too long, a timeout, STAT and ABOR while a
//! transfer runs, a data connection that could not be made (the 425s, with
//! the likely firewall or NAT cause), and a transfer's end; and the 421 to
//! a connection no session will serve ([`Refusal`]).
//!
//! The connection ([`crate::conn`]) reads lines, runs timers and transfers;
//! it asks here what to answer and sends exactly that.
//!
//! What it does not do: touch a socket or a file.

use std::io;
use std::net::SocketAddr;

use ftp_core::protocol::data_setup::{Cause, Side};
use ftp_core::{CommandError, Error, Reply};

use super::Session;
use crate::quirks::{Quirk, Quirks};

/// Why a data connection could not be made, as the connection reports it.
#[derive(Debug)]
pub enum DataFailure {
    /// PASV/EPSV: the client's address already holds its share of the
    /// passive ports.
    PassiveShareUsed,
    /// PASV/EPSV: no listener could be opened.
    Listen(Error),
    /// A passive transfer found no listener (PASV or EPSV not given, or
    /// its listener given back).
    NoListener,
    /// PORT/EPRT: connecting to the client failed; a timeout means no
    /// answer within the data timeout.
    Connect {
        /// The client's address.
        to: SocketAddr,
        /// Why.
        error: Error,
    },
    /// PASV/EPSV: accepting the client's connection failed; a timeout means
    /// nobody connected from the client's address within the data timeout.
    Accept {
        /// Where the server listened, if the socket could tell.
        listening: Option<SocketAddr>,
        /// Why.
        error: Error,
    },
    /// The data connection was made but its timeouts could not be set.
    Setup(io::Error),
}

/// How a transfer ended, as the thread that ran it reports it.
#[derive(Debug)]
pub struct TransferEnd {
    /// The bytes moved, or why the transfer stopped.
    pub result: Result<u64, Error>,
    /// Whether an ABOR (or the end of the session) stopped it.
    pub aborted: bool,
}

/// Why the server does not serve a new connection, before any session
/// starts.
#[derive(Debug, Clone, Copy)]
pub enum Refusal<'a> {
    /// The limit of sessions (in all, or from the client's address) is reached.
    TooManySessions,
    /// The server has no descriptor left for another connection.
    OutOfResources,
    /// The server cannot serve at all (under inetd: it refused to start), and why.
    CannotServe(&'a str),
}

impl Session {
    /// The reply to a connection no session will serve: 421, RFC 959's
    /// "service not available, closing control connection".
    pub fn refusal(refusal: Refusal<'_>) -> Reply {
        match refusal {
            Refusal::TooManySessions => Reply::new(421, "Too many sessions; try again later"),
            Refusal::OutOfResources => Reply::new(421, "Server out of resources; try again later"),
            Refusal::CannotServe(why) => Reply::new(421, why),
        }
    }

    /// The reply to a line that is not a valid command: 500 or 501, or 522
    /// for an EPRT with an address family we do not know (RFC 2428).
    pub fn unparsable(&self, err: &CommandError) -> Reply {
        Reply::new(err.reply_code(), err.to_string())
    }

    /// The reply to a line longer than the limit.
    pub fn line_too_long(&self, limit: usize) -> Reply {
        Reply::new(500, format!("Line longer than {limit} bytes"))
    }

    /// The reply before the connection is closed for silence: the login
    /// timeout before login, the idle timeout after.
    pub fn timed_out(&self) -> Reply {
        let what = if self.logged_in() { "Idle" } else { "Login" };
        Reply::new(421, format!("{what} timeout: closing control connection"))
    }

    /// STAT while a transfer runs.
    pub fn transfer_status(&self, bytes: u64) -> Reply {
        Reply::new(213, format!("Transfer in progress: {bytes} bytes so far"))
    }

    /// ABOR while a transfer ran (its 426 is the transfer's own reply):
    /// 226 if it was stopped, 225 if it had completed already.
    pub fn abort_reply(&self, stopped: bool) -> Reply {
        if stopped {
            Reply::new(226, "ABOR successful")
        } else {
            Reply::new(225, "Transfer already complete; nothing to abort")
        }
    }

    /// The 425 for a data connection that could not be made, naming the
    /// likely cause when a wait timed out. A passive listener that could not
    /// be opened also forgets the data setup (the next transfer needs a new
    /// PASV or EPSV).
    pub fn data_failed(&mut self, failure: &DataFailure) -> Reply {
        let seconds = self.config.data_timeout.as_secs();
        let text = match failure {
            DataFailure::PassiveShareUsed => {
                self.data = None;
                format!(
                    "Cannot open passive connection: {} already holds its share of the \
                     passive ports; try again later",
                    self.peer
                )
            }
            DataFailure::Listen(err) => {
                self.data = None;
                format!("Cannot open passive connection: {err}")
            }
            DataFailure::NoListener => "Use PASV or EPSV first".to_string(),
            DataFailure::Connect {
                to,
                error: Error::Timeout(_),
            } => format!(
                "Cannot open data connection to {to}: no answer within {seconds} s ({}; try passive)",
                Cause::ClientBlocksIncoming.explanation(Side::Server)
            ),
            DataFailure::Connect { to, error } => {
                format!("Cannot open data connection to {to}: {error}")
            }
            DataFailure::Accept {
                listening,
                error: Error::Timeout(_),
            } => format!(
                "Cannot open data connection: nobody connected to {} within {seconds} s \
                 ({}; see --pasv-address and --pasv-ports)",
                listening.map_or("?".to_string(), |addr| addr.to_string()),
                Cause::ServerBlocksPassive.explanation(Side::Server)
            ),
            DataFailure::Accept { error, .. } => format!("Cannot open data connection: {error}"),
            DataFailure::Setup(err) => format!("Cannot set up the data connection: {err}"),
        };
        Reply::new(425, text)
    }

    /// The reply when the transfer thread cannot be started.
    pub fn transfer_not_started(&self) -> Reply {
        Reply::new(451, "Cannot start the transfer; try again later")
    }

    /// [`Session::transfer_reply`] as the quirks change it: none for an
    /// aborted transfer with `abor-226-only` (the ABOR's 226 is all), none
    /// instead of a 226 with `no-226`.
    pub fn quirky_transfer_reply(end: &TransferEnd, quirks: &Quirks) -> Option<Reply> {
        let reply = Session::transfer_reply(end);
        let dropped = (end.aborted && quirks.has(Quirk::Abor226Only))
            || (reply.code.0 == 226 && quirks.has(Quirk::NoFinal));
        (!dropped).then_some(reply)
    }

    /// The final reply of a transfer (RFC 959 §4.2: 226, or 426 when the
    /// data connection broke, timed out or was aborted, 451/452/552 for a
    /// local failure). An associated function: the transfer thread calls it
    /// when the transfer ends, while the session answers other commands.
    pub fn transfer_reply(end: &TransferEnd) -> Reply {
        use io::ErrorKind as Kind;
        let TransferEnd { result, aborted } = end;
        if *aborted {
            return Reply::new(426, "Connection closed; transfer aborted");
        }
        match result {
            Ok(bytes) => Reply::new(226, format!("Transfer complete ({bytes} bytes)")),
            Err(Error::Timeout(_)) => {
                Reply::new(426, "Data connection timed out; transfer aborted")
            }
            Err(Error::Io(err)) => match err.kind() {
                Kind::StorageFull => {
                    Reply::new(452, "Insufficient storage space; transfer aborted")
                }
                Kind::QuotaExceeded => Reply::new(552, "Storage quota exceeded; transfer aborted"),
                Kind::FileTooLarge => Reply::new(552, "File too large; transfer aborted"),
                Kind::BrokenPipe
                | Kind::ConnectionReset
                | Kind::ConnectionAborted
                | Kind::NotConnected
                | Kind::UnexpectedEof => {
                    Reply::new(426, "Data connection broken; transfer aborted")
                }
                _ => Reply::new(451, "Local error; transfer aborted"),
            },
            Err(Error::ConnectionClosed) => {
                Reply::new(426, "Data connection broken; transfer aborted")
            }
            Err(_) => Reply::new(451, "Local error; transfer aborted"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<u64, Error>, aborted: bool) -> u16 {
        Session::transfer_reply(&TransferEnd { result, aborted })
            .code
            .0
    }

    #[test]
    fn final_replies_follow_rfc_959() {
        assert_eq!(code(Ok(10), false), 226);
        assert_eq!(
            code(Ok(10), true),
            426,
            "an aborted upload's end is no end of file"
        );
        assert_eq!(
            code(Err(Error::Timeout(ftp_core::Phase::Transfer)), false),
            426
        );
        assert_eq!(
            code(
                Err(io::Error::from(io::ErrorKind::ConnectionReset).into()),
                false
            ),
            426
        );
        assert_eq!(
            code(
                Err(io::Error::from(io::ErrorKind::StorageFull).into()),
                false
            ),
            452
        );
        // EFBIG: the file-size limit (RLIMIT_FSIZE) with SIGXFSZ ignored.
        assert_eq!(
            code(Err(io::Error::from_raw_os_error(27).into()), false),
            552
        );
        assert_eq!(
            code(
                Err(io::Error::from(io::ErrorKind::PermissionDenied).into()),
                false
            ),
            451
        );
    }

    #[test]
    fn parse_errors_map_to_500_501_and_522() {
        let parsed = crate::config::parse_args(&["--root".to_string(), ".".to_string()]);
        let Ok(crate::config::Parsed::Run(config)) = parsed else {
            panic!("config")
        };
        let local = "127.0.0.1".parse().expect("ip");
        let session = Session::new(std::sync::Arc::new(*config), local, local);
        let reply_for = |line: &[u8]| {
            let err = ftp_core::Command::parse(line).expect_err("invalid line");
            session.unparsable(&err)
        };
        assert_eq!(reply_for(b"\x01\x02").code.0, 500);
        assert_eq!(reply_for(b"RETR").code.0, 501);
        assert_eq!(reply_for(b"PORT 1,2,3").code.0, 501);
        assert_eq!(reply_for(b"EPRT |3|x|1025|").code.0, 522);
        let unsupported = reply_for(b"eprt |9|1.2.3.4|1025|");
        assert_eq!(unsupported.code.0, 522);
        assert_eq!(
            unsupported.text(),
            "Network protocol not supported, use (1,2)"
        );
        assert_eq!(reply_for(b"EPRT |1|not-an-ip|1025|").code.0, 501);
    }
}
