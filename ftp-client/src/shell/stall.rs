//! `-q SECONDS`, tnftp's quit time: a connection that makes no progress for
//! that long is given up.
//!
//! The program turns `-q` into the client's per-read and per-write
//! timeouts on the control and data connections (every byte that moves
//! restarts them, so they measure a stall, not a duration). This module
//! recognises the timeout that a stall ends in and says what stalled, in
//! one line; the shell then closes the connection and, when it is not
//! interactive, quits (see [`super::Shell`]). It sets no timeout itself.

use std::time::Duration;

use ftp_core::Phase;

use super::ShellError;
use crate::client::Error;

/// What a stall stopped, if `err` is one: the text of the one-line message
/// that [`message`] builds.
pub fn stalled(err: &ShellError) -> Option<&'static str> {
    match err {
        ShellError::About { error, .. } => stalled(error),
        ShellError::Client(Error::Core(ftp_core::Error::Timeout(phase))) => match phase {
            Phase::Reply => Some("no reply from the server"),
            Phase::SendCommand => Some("the server took no command"),
            Phase::Transfer => Some("transfer aborted: no data moved"),
            _ => None,
        },
        _ => None,
    }
}

/// The one line shown for a stall of `what` (from [`stalled`]) with the
/// quit time `limit`, on the connection to `host`.
pub fn message(what: &str, limit: Duration, host: &str) -> String {
    let seconds = limit.as_secs();
    format!("{what} for {seconds} s (-q {seconds}); the connection to {host} is closed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stalls_of_replies_commands_and_transfers_count() {
        let timeout = |phase| ShellError::Client(Error::Core(ftp_core::Error::Timeout(phase)));
        assert_eq!(
            stalled(&timeout(Phase::Reply)),
            Some("no reply from the server")
        );
        let upload = ShellError::About {
            name: "a.txt".into(),
            error: Box::new(timeout(Phase::Transfer)),
        };
        assert_eq!(stalled(&upload), Some("transfer aborted: no data moved"));
        assert_eq!(stalled(&timeout(Phase::Accept)), None);
        assert_eq!(stalled(&ShellError::NotConnected), None);
        assert_eq!(
            message("no reply from the server", Duration::from_secs(5), "h"),
            "no reply from the server for 5 s (-q 5); the connection to h is closed"
        );
    }
}
