//! How a session is set up: who opens data connections ([`DataMode`]),
//! the address family ([`IpFamily`]) and the timeouts ([`Options`]). The
//! transfer type is ftp-core's [`Representation`](ftp_core::Representation).
//!
//! These are plain values, shared by [`crate::client`] and
//! [`crate::error`]; this module sends nothing.

use std::net::SocketAddr;
use std::time::Duration;

/// Who opens the data connection: ftp-core's, so that both programs name
/// the modes alike. [`DataMode::Passive`] (the default) works from behind a
/// client-side firewall or NAT.
pub use ftp_core::protocol::data_setup::DataMode;

/// Which address family [`Client::connect`] may use.
///
/// [`Client::connect`]: crate::Client::connect
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpFamily {
    /// IPv4 addresses only (`-4`).
    V4,
    /// IPv6 addresses only (`-6`).
    V6,
}

impl IpFamily {
    /// Whether `addr` belongs to this family.
    pub(crate) fn contains(self, addr: &SocketAddr) -> bool {
        match self {
            IpFamily::V4 => addr.is_ipv4(),
            IpFamily::V6 => addr.is_ipv6(),
        }
    }
}

/// How the client connects and opens data connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Passive (the default) or active data connections.
    pub mode: DataMode,
    /// Connect to the address in a `227` reply instead of the control
    /// connection's peer address (with the `227` port). Off by default, as in
    /// curl: a server behind NAT often advertises an address nobody can reach.
    pub trust_pasv_address: bool,
    /// Limit for opening the control connection, per address tried.
    pub connect_timeout: Duration,
    /// Limit for opening a data connection and for each read or write on it.
    pub data_timeout: Duration,
    /// Limit for each read while waiting for a reply on the control
    /// connection (set by [`Client::connect`] on its socket).
    ///
    /// [`Client::connect`]: crate::Client::connect
    pub reply_timeout: Duration,
    /// Limit for a whole reply, however the server spreads its bytes (see
    /// [`Error::ReplyDeadline`]). [`Client::connect`] shortens each read to
    /// it; over a stream given to [`Client::from_stream`] no read starts
    /// after it, so a reply may end up to one read timeout later.
    ///
    /// [`Error::ReplyDeadline`]: crate::Error::ReplyDeadline
    /// [`Client::connect`]: crate::Client::connect
    /// [`Client::from_stream`]: crate::Client::from_stream
    pub reply_deadline: Duration,
}

impl Default for Options {
    fn default() -> Options {
        let timeout = Duration::from_secs(30);
        Options {
            mode: DataMode::Passive,
            trust_pasv_address: false,
            connect_timeout: timeout,
            data_timeout: timeout,
            reply_timeout: timeout,
            reply_deadline: Duration::from_secs(120),
        }
    }
}
