//! Who opens the data connection, in the words both programs use.
//!
//! FTP moves file data over a second TCP connection: one side listens, the
//! other connects, and the command that sets the connection up decides which:
//!
//! | [`DataCommand`] | [`DataMode`] | who listens | who connects | addresses |
//! |---|---|---|---|---|
//! | `PASV` (RFC 959) | passive | server | client | IPv4 only |
//! | `EPSV` (RFC 2428) | passive | server | client | either family |
//! | `PORT` (RFC 959) | active | client | server | IPv4 only |
//! | `EPRT` (RFC 2428) | active | client | server | either family |
//!
//! This module names those, writes the one trace line both programs print
//! for a data connection ([`Listening`] and [`DataConnection`]:
//! `data: passive (EPSV) — server listens on …; client connects from …`),
//! and names the likely [`Cause`] of a connection that could not be made,
//! with its explanation as each [`Side`] tells it (the server speaks of "the
//! client", the client of "this client"). `docs/firewall-lab.md` shows each
//! cause happen behind real firewalls and NAT.
//!
//! What it does not do: open sockets ([`crate::io::data`]), format addresses
//! ([`crate::protocol::addr`]), or write whole error messages — each program
//! builds its own around these words, with its own remedy (a server option,
//! a client flag), which this crate does not know.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// One end of an FTP session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The side that opened the control connection.
    Client,
    /// The side that accepted it.
    Server,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Client => "client",
            Side::Server => "server",
        })
    }
}

/// Who opens the data connection.
///
/// The default is passive, the mode that works from behind a client-side
/// firewall or NAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DataMode {
    /// The server listens and the client connects (`PASV`, `EPSV`).
    #[default]
    Passive,
    /// The client listens and the server connects back (`PORT`, `EPRT`).
    Active,
}

impl DataMode {
    /// The side that listens.
    pub fn listener(self) -> Side {
        match self {
            DataMode::Passive => Side::Server,
            DataMode::Active => Side::Client,
        }
    }

    /// The side that connects.
    pub fn connector(self) -> Side {
        match self {
            DataMode::Passive => Side::Client,
            DataMode::Active => Side::Server,
        }
    }
}

impl fmt::Display for DataMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DataMode::Passive => "passive",
            DataMode::Active => "active",
        })
    }
}

/// The four commands that set up a data connection: passive or active,
/// classic (RFC 959, IPv4 only) or extended (RFC 2428, either family).
/// Shown as its verb.
///
/// ```
/// use ftp_core::protocol::data_setup::{DataCommand, DataMode, Side};
///
/// let command = DataCommand::new(DataMode::Active, true);
/// assert_eq!((command, command.verb()), (DataCommand::Eprt, "EPRT"));
/// assert_eq!(command.mode().listener(), Side::Client);
/// assert_eq!(command.label(), "active (EPRT)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataCommand {
    /// `PASV`: the server listens and answers `227` with an IPv4 address and port.
    Pasv,
    /// `EPSV`: the server listens and answers `229` with the port only.
    Epsv,
    /// `PORT h1,h2,h3,h4,p1,p2`: the client listens on an IPv4 address.
    Port,
    /// `EPRT |af|addr|port|`: the client listens on an address of either family.
    Eprt,
}

impl DataCommand {
    /// The command of `mode`, extended (RFC 2428) or classic (RFC 959).
    pub fn new(mode: DataMode, extended: bool) -> DataCommand {
        match (mode, extended) {
            (DataMode::Passive, false) => DataCommand::Pasv,
            (DataMode::Passive, true) => DataCommand::Epsv,
            (DataMode::Active, false) => DataCommand::Port,
            (DataMode::Active, true) => DataCommand::Eprt,
        }
    }

    /// Passive or active.
    pub fn mode(self) -> DataMode {
        match self {
            DataCommand::Pasv | DataCommand::Epsv => DataMode::Passive,
            DataCommand::Port | DataCommand::Eprt => DataMode::Active,
        }
    }

    /// Whether it is RFC 2428's (`EPSV`, `EPRT`).
    pub fn is_extended(self) -> bool {
        matches!(self, DataCommand::Epsv | DataCommand::Eprt)
    }

    /// Whether its reply or argument can carry an address like `ip`: the
    /// classic commands carry IPv4 addresses only.
    pub fn carries(self, ip: IpAddr) -> bool {
        ip.is_ipv4() || self.is_extended()
    }

    /// The command's name: `PASV`, `EPSV`, `PORT` or `EPRT`.
    pub fn verb(self) -> &'static str {
        match self {
            DataCommand::Pasv => "PASV",
            DataCommand::Epsv => "EPSV",
            DataCommand::Port => "PORT",
            DataCommand::Eprt => "EPRT",
        }
    }

    /// How a trace names the setup: `passive (EPSV)`, `active (PORT)`.
    pub fn label(self) -> String {
        format!("{} ({})", self.mode(), self.verb())
    }
}

impl fmt::Display for DataCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb())
    }
}

/// The first half of the trace line: a side listens for a data connection.
///
/// ```
/// use ftp_core::protocol::data_setup::{DataCommand, Listening};
///
/// let listening = Listening { command: DataCommand::Epsv, addr: "[::1]:30000".parse()? };
/// assert_eq!(listening.to_string(), "data: passive (EPSV) — server listens on [::1]:30000");
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listening {
    /// The command that set it up.
    pub command: DataCommand,
    /// Where the listening side listens.
    pub addr: SocketAddr,
}

impl fmt::Display for Listening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "data: {} — {} listens on {}",
            self.command.label(),
            self.command.mode().listener(),
            self.addr
        )
    }
}

/// One data connection, described for a learner: who listened where, who
/// connected from where. Both programs print it (the server with `-v`, the
/// client with `--explain`).
///
/// ```
/// use ftp_core::protocol::data_setup::{DataCommand, DataConnection};
///
/// let connection = DataConnection {
///     command: DataCommand::Eprt,
///     listener: "127.0.0.1:40123".parse()?,
///     connector: "127.0.0.1:20".parse()?,
/// };
/// assert_eq!(
///     connection.to_string(),
///     "data: active (EPRT) — client listens on 127.0.0.1:40123; server connects from 127.0.0.1:20"
/// );
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataConnection {
    /// The command that set it up.
    pub command: DataCommand,
    /// The listening side's address: the server's in passive mode, the client's in active mode.
    pub listener: SocketAddr,
    /// The connecting side's address: the client's in passive mode, the server's in active mode.
    pub connector: SocketAddr,
}

impl DataConnection {
    /// Passive or active.
    pub fn mode(&self) -> DataMode {
        self.command.mode()
    }
}

impl fmt::Display for DataConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let listening = Listening {
            command: self.command,
            addr: self.listener,
        };
        write!(
            f,
            "{listening}; {} connects from {}",
            self.mode().connector(),
            self.connector
        )
    }
}

/// The likely cause of a data connection that could not be made: what a
/// firewall or NAT does to each mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// Active mode: the server's connection to the client is dropped on its
    /// way in (a firewall or NAT in front of the client).
    ClientBlocksIncoming,
    /// Active mode: the client is behind NAT, so the address it announces in
    /// `PORT`/`EPRT` is not the one the server sees, and the server refuses
    /// it (no FTP bounce, RFC 2577).
    ClientBehindNat,
    /// Active mode over a TLS control connection: the client is behind NAT,
    /// and the NAT's FTP helper, which would put the public address into
    /// `PORT`/`EPRT`, cannot read the encrypted command. `CCC` (RFC 4217
    /// §5) returns the control connection to clear text for that reason.
    ClientBehindNatOverTls,
    /// Passive mode: the client's connection to the server's passive port is
    /// dropped (a firewall or NAT in front of the server).
    ServerBlocksPassive,
    /// Passive mode: the `227` reply names the server's private address
    /// behind NAT, which the client cannot reach.
    PrivateAddressAdvertised,
}

impl Cause {
    /// The mode it breaks.
    pub fn mode(self) -> DataMode {
        match self {
            Cause::ClientBlocksIncoming
            | Cause::ClientBehindNat
            | Cause::ClientBehindNatOverTls => DataMode::Active,
            Cause::ServerBlocksPassive | Cause::PrivateAddressAdvertised => DataMode::Passive,
        }
    }

    /// The explanation as `told_by` gives it, without a remedy (the
    /// programs add theirs). The server cannot tell a private address it
    /// advertised from a blocked port: both are a connection that never comes.
    ///
    /// ```
    /// use ftp_core::protocol::data_setup::{Cause, Side};
    ///
    /// assert_eq!(
    ///     Cause::ClientBlocksIncoming.explanation(Side::Client),
    ///     "a firewall or NAT in front of this client blocks incoming connections"
    /// );
    /// ```
    pub fn explanation(self, told_by: Side) -> &'static str {
        match (self, told_by) {
            (Cause::ClientBlocksIncoming, Side::Server) => {
                "a firewall or NAT in front of the client blocks active mode"
            }
            (Cause::ClientBlocksIncoming, Side::Client) => {
                "a firewall or NAT in front of this client blocks incoming connections"
            }
            (Cause::ClientBehindNat, Side::Server) => {
                "a client behind NAT announces an address the server does not see"
            }
            (Cause::ClientBehindNat, Side::Client) => {
                "behind NAT the server sees another address, and a NAT without an FTP helper \
                 does not let the server connect in"
            }
            (Cause::ClientBehindNatOverTls, Side::Server) => {
                "a client behind NAT announces an address the server does not see, and its \
                 NAT's FTP helper cannot rewrite a command sent over TLS"
            }
            (Cause::ClientBehindNatOverTls, Side::Client) => {
                "behind NAT the server sees another address, and a NAT's FTP helper cannot \
                 rewrite PORT or EPRT sent over TLS"
            }
            (Cause::ServerBlocksPassive | Cause::PrivateAddressAdvertised, Side::Server) => {
                "a firewall or NAT in front of the server blocks passive mode"
            }
            (Cause::ServerBlocksPassive, Side::Client) => {
                "a firewall blocks the server's passive ports, or the server's NAT does not \
                 forward them"
            }
            (Cause::PrivateAddressAdvertised, Side::Client) => {
                "the server may be behind NAT and advertising a private address, or a firewall \
                 blocks its passive ports"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [DataCommand; 4] = [
        DataCommand::Pasv,
        DataCommand::Epsv,
        DataCommand::Port,
        DataCommand::Eprt,
    ];

    #[test]
    fn each_command_is_its_mode_and_family() {
        for command in ALL {
            assert_eq!(
                DataCommand::new(command.mode(), command.is_extended()),
                command
            );
        }
        let v6: IpAddr = "::1".parse().expect("ip");
        let v4: IpAddr = "10.0.0.1".parse().expect("ip");
        let carry_v6: Vec<_> = ALL.iter().filter(|c| c.carries(v6)).collect();
        assert_eq!(carry_v6, [&DataCommand::Epsv, &DataCommand::Eprt]);
        assert!(ALL.iter().all(|c| c.carries(v4)));
    }

    #[test]
    fn one_side_listens_and_the_other_connects() {
        for mode in [DataMode::Passive, DataMode::Active] {
            assert_ne!(mode.listener(), mode.connector());
        }
        assert_eq!(DataMode::Passive.listener(), Side::Server);
        assert_eq!(DataMode::default(), DataMode::Passive);
    }

    #[test]
    fn the_trace_line_names_both_sides_in_each_mode() {
        let listener: SocketAddr = "192.0.2.1:30000".parse().expect("addr");
        let connector: SocketAddr = "198.51.100.2:40000".parse().expect("addr");
        let line = |command| {
            DataConnection {
                command,
                listener,
                connector,
            }
            .to_string()
        };
        assert_eq!(
            line(DataCommand::Pasv),
            "data: passive (PASV) — server listens on 192.0.2.1:30000; \
             client connects from 198.51.100.2:40000"
        );
        assert_eq!(
            line(DataCommand::Port),
            "data: active (PORT) — client listens on 192.0.2.1:30000; \
             server connects from 198.51.100.2:40000"
        );
    }

    #[test]
    fn each_side_tells_the_cause_from_where_it_stands() {
        let causes = [
            Cause::ClientBlocksIncoming,
            Cause::ClientBehindNat,
            Cause::ClientBehindNatOverTls,
            Cause::ServerBlocksPassive,
            Cause::PrivateAddressAdvertised,
        ];
        for cause in causes {
            let client = cause.explanation(Side::Client);
            let server = cause.explanation(Side::Server);
            assert_ne!(client, server, "{cause:?}");
            // The server never speaks of "this client", the client always
            // does when the client is to blame.
            assert!(!server.contains("this client"), "{server}");
            if cause == Cause::ClientBlocksIncoming {
                assert!(client.contains("in front of this client"), "{client}");
                assert!(server.contains("in front of the client"), "{server}");
            }
        }
        assert_eq!(
            Cause::PrivateAddressAdvertised.explanation(Side::Server),
            Cause::ServerBlocksPassive.explanation(Side::Server),
            "the server cannot tell the two apart"
        );
        assert_eq!(Cause::ClientBehindNat.mode(), DataMode::Active);
    }
}
