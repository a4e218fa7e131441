//! The session's transfer parameters: TYPE, REST, and the data connection
//! set up by PORT, EPRT, PASV and EPSV (RFC 959 §4.1.2, RFC 2428), with the
//! rules of RFC 2577 for active mode.

use std::net::{IpAddr, SocketAddr, SocketAddrV4};

use ftp_core::protocol::addr::{format_epsv_reply, format_pasv_reply};
use ftp_core::protocol::command::EpsvArg;
use ftp_core::protocol::data_setup::{Cause, DataCommand, Side};
use ftp_core::protocol::representation::TransferType;
use ftp_core::Reply;

use super::{Action, DataSetup, Outcome, Session};
use crate::quirks::{Quirk, BAD_PASV_IP};

impl Session {
    pub(super) fn set_type(&mut self, kind: TransferType) -> Outcome {
        let Some(repr) = kind.representation() else {
            return Outcome::reply(504, format!("TYPE {kind} not supported; use A or I"));
        };
        self.repr = repr;
        Outcome::reply(200, format!("Type set to {kind}"))
    }

    pub(super) fn rest(&mut self, offset: u64) -> Outcome {
        self.rest = Some(offset);
        Outcome::reply(
            350,
            format!("Restarting at {offset}; send RETR, STOR or APPE"),
        )
    }

    /// PORT and EPRT.
    pub(super) fn active(&mut self, addr: SocketAddr, command: DataCommand) -> Outcome {
        if !self.config.active {
            return Outcome::reply(
                502,
                "Active mode is turned off on this server; use PASV or EPSV",
            );
        }
        if self.epsv_all {
            return Outcome::reply(503, format!("{command} not allowed after EPSV ALL"));
        }
        if !self.peer_known {
            return Outcome::reply(
                502,
                format!(
                    "{command} refused: this session runs on a pipe, so the client's address \
                     is unknown and no target can be checked; use PASV or EPSV"
                ),
            );
        }
        match check_active_target(addr, self.peer, self.behind_nat()) {
            Ok(addr) => {
                self.data = Some(DataSetup::Active { command, addr });
                Outcome::reply(200, format!("{command} command successful"))
            }
            Err(reason) => {
                log::warn!("{}: {command} refused: {reason}", self.peer);
                self.data = None;
                Outcome::reply(501, format!("{command} refused: {reason}"))
            }
        }
    }

    /// Why a client's `PORT`/`EPRT` may name an address this server does
    /// not see: it is behind NAT, and over TLS its NAT's FTP helper cannot
    /// rewrite the command either.
    fn behind_nat(&self) -> Cause {
        #[cfg(feature = "tls")]
        if self.control_protected() {
            return Cause::ClientBehindNatOverTls;
        }
        Cause::ClientBehindNat
    }

    /// PASV and EPSV.
    pub(super) fn passive(&mut self, command: DataCommand) -> Outcome {
        if !self.config.passive {
            return Outcome::reply(
                502,
                "Passive mode is turned off on this server; use PORT or EPRT",
            );
        }
        if command == DataCommand::Pasv && self.epsv_all {
            return Outcome::reply(503, "PASV not allowed after EPSV ALL");
        }
        if !command.carries(self.local) {
            return Outcome::reply(
                425,
                "PASV is IPv4 only; use EPSV on an IPv6 connection (RFC 2428)",
            );
        }
        self.data = None;
        Outcome {
            reply: None,
            action: Action::OpenPassive {
                ip: self.local,
                command,
            },
        }
    }

    pub(super) fn epsv(&mut self, arg: Option<EpsvArg>) -> Outcome {
        let family = if self.local.is_ipv6() { 2 } else { 1 };
        match arg {
            Some(EpsvArg::All) => {
                self.epsv_all = true;
                Outcome::reply(200, "EPSV ALL ok: only EPSV from now on")
            }
            Some(EpsvArg::Protocol(protocol)) if protocol != family => Outcome::reply(
                522,
                format!("Network protocol not supported, use ({family})"),
            ),
            _ => self.passive(DataCommand::Epsv),
        }
    }

    /// The reply once the connection listens on `listening` for `command`
    /// (PASV or EPSV).
    pub fn passive_opened(&mut self, command: DataCommand, listening: SocketAddr) -> Reply {
        self.data = Some(DataSetup::Passive(command));
        match command {
            DataCommand::Pasv => {
                let quirks = &self.config.quirks;
                let ip = match (self.config.pasv_address, listening) {
                    _ if quirks.has(Quirk::PasvBadIp) => BAD_PASV_IP,
                    (Some(ip), _) => ip,
                    (None, SocketAddr::V4(addr)) => *addr.ip(),
                    (None, SocketAddr::V6(_)) => {
                        self.data = None;
                        return Reply::new(425, "PASV is IPv4 only; use EPSV");
                    }
                };
                let text = format_pasv_reply(SocketAddrV4::new(ip, listening.port()));
                Reply::new(227, quirks.pasv_text(text))
            }
            _ => Reply::new(229, format_epsv_reply(listening.port())),
        }
    }

    /// The passive listener was given back unused after the data timeout:
    /// the next transfer needs a new PASV or EPSV.
    pub fn passive_expired(&mut self) {
        if matches!(self.data, Some(DataSetup::Passive(_))) {
            self.data = None;
        }
    }

    /// The data setup for a transfer, used up; 425 when there is none.
    pub(super) fn take_data(&mut self) -> Result<DataSetup, Outcome> {
        self.data
            .take()
            .ok_or_else(|| Outcome::reply(425, "Use PORT, EPRT, PASV or EPSV first"))
    }
}

/// Checks a PORT/EPRT address against the rules of RFC 2577: only the control
/// connection's peer, only ports from 1024. Returns the address to connect to;
/// a refusal of another address is explained as `behind_nat`.
///
/// An unspecified address (`EPRT |2|::|port|` or `|1|0.0.0.0|port|`, which
/// some clients behind NAT send) is taken to mean "my address", the control
/// peer's: connecting there is exactly what the bounce rule allows, so it
/// costs nothing in safety and lets those clients work.
pub(super) fn check_active_target(
    addr: SocketAddr,
    peer: IpAddr,
    behind_nat: Cause,
) -> Result<SocketAddr, String> {
    let ip = addr.ip().to_canonical();
    let ip = if ip.is_unspecified() { peer } else { ip };
    if ip != peer {
        return Err(format!(
            "{ip} is not the client's address {peer} (no FTP bounce; {}: use passive mode)",
            behind_nat.explanation(Side::Server)
        ));
    }
    if addr.port() < 1024 {
        return Err(format!("port {} is below 1024", addr.port()));
    }
    Ok(SocketAddr::new(ip, addr.port()))
}
