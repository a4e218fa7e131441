//! Opening data connections for a session: the passive listener (PASV,
//! EPSV), connecting out (PORT, EPRT) or accepting the client, the teaching
//! trace of who listens and who connects, the 425 texts that name the likely
//! cause of a failure, and handing the open connection to the session's
//! transfer thread.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

use ftp_core::io::data;
use ftp_core::{Error, Reply};

use super::{Conn, ControlRead, Flow, PassiveListener};
use crate::limits::Limits;
use crate::quirks::Quirk;
use crate::session::{DataSetup, PassiveKind, Session, Transfer, TransferEnd};
use crate::xfer::{self, XferContext};

impl<R: ControlRead> Conn<R> {
    /// PASV/EPSV: listens on `ip` and answers 227/229, or 425.
    pub(super) fn open_passive(&mut self, ip: IpAddr, kind: PassiveKind) -> Flow {
        // The session's earlier listener, if any, is given back first.
        self.listener = None;
        let slot = match &self.shared.passive_limits {
            Some(limits) => match Limits::acquire(limits, self.peer.ip()) {
                Some(slot) => Some(slot),
                None => {
                    let err = Error::Io(io::Error::other(format!(
                        "{} already holds its share of the passive ports; try again later",
                        self.peer.ip()
                    )));
                    log::warn!("{}: {} refused: {err}", self.peer, kind.verb());
                    let reply = self.session.passive_failed(&err);
                    return self.reply(&reply);
                }
            },
            None => None,
        };
        let listened = data::listen(ip, self.shared.config.pasv_ports.clone())
            .and_then(|listener| Ok((listener.local_addr()?, listener)));
        let reply = match listened {
            Ok((addr, socket)) => {
                log::debug!("data: passive ({}) — server listens on {addr}", kind.verb());
                self.listener = Some(PassiveListener {
                    socket,
                    opened: Instant::now(),
                    _slot: slot,
                });
                self.session.passive_opened(kind, addr)
            }
            Err(err) => {
                log::warn!(
                    "{}: cannot listen on {ip} for {}: {err}",
                    self.peer,
                    kind.verb()
                );
                self.session.passive_failed(&err)
            }
        };
        self.reply(&reply)
    }

    /// Opens the data connection for `transfer`, sends `preliminary` (its
    /// 150) and starts the transfer through the session's [`Worker`], or
    /// answers 425 after the 150 (RFC 959 has 425 follow a preliminary
    /// reply).
    ///
    /// When the data connection is there at once — the client connected
    /// right after PASV/EPSV, as most do, or the server's connect in active
    /// mode succeeded — the 150 follows it, as vsftpd's does, so the 150, the
    /// data and the 226 reach the client close together. When the client
    /// has not connected yet, the 150 goes out first and the server then
    /// waits (up to the data timeout) for it: a client that connects only
    /// once it has seen the 150 gets it, and the control connection never
    /// goes silent while the server waits on the client. A connection from
    /// another address is closed, and the wait goes on.
    ///
    /// [`Worker`]: crate::xfer::Worker
    pub(super) fn start_transfer(
        &mut self,
        transfer: Transfer,
        preliminary: Option<&Reply>,
    ) -> Flow {
        let kind = match transfer.data {
            DataSetup::Active { addr, verb } => {
                let opened = self.connect_active(addr, verb);
                return self.run_transfer(transfer, opened, preliminary);
            }
            DataSetup::Passive(kind) => kind,
        };
        if let Some(opened) = self.accept_passive(kind, false) {
            return self.run_transfer(transfer, opened, preliminary);
        }
        // Nobody there yet: say so, then wait for the client (with the
        // 150-after-data quirk, say so only once it is there).
        let late = self.shared.config.quirks.has(Quirk::PreliminaryAfterData);
        if !late {
            if let Some(Flow::Stop(reason)) = preliminary.map(|reply| self.reply(reply)) {
                return Flow::Stop(reason);
            }
        }
        let opened = self
            .accept_passive(kind, true)
            .unwrap_or_else(|| Err("No data connection".to_string()));
        self.run_transfer(transfer, opened, preliminary.filter(|_| late))
    }

    /// Sends `preliminary` if not yet sent, then the transfer on `opened`,
    /// or the 425.
    fn run_transfer(
        &mut self,
        transfer: Transfer,
        opened: Result<TcpStream, String>,
        preliminary: Option<&Reply>,
    ) -> Flow {
        let opened = opened.and_then(|stream| {
            let timeout = Some(self.shared.config.data_timeout);
            stream
                .set_read_timeout(timeout)
                .and(stream.set_write_timeout(timeout))
                .map_err(|err| format!("Cannot set up the data connection: {err}"))?;
            Ok(stream)
        });
        if let Some(Flow::Stop(reason)) = preliminary.map(|reply| self.reply(reply)) {
            return Flow::Stop(reason);
        }
        let stream = match opened {
            Ok(stream) => stream,
            Err(text) => {
                // An upload's file is cleaned up before the client hears.
                drop(transfer);
                return self.reply(&Reply::new(425, text));
            }
        };
        let context = XferContext {
            peer: self.peer.ip(),
            data: transfer.data,
            data_timeout: self.shared.config.data_timeout,
            xferlog: self.shared.xferlog.clone(),
            quirks: Arc::new(self.shared.config.quirks.clone()),
        };
        let writer = self.writer.clone();
        let config = Arc::clone(&self.shared.config);
        // The transfer's thread sends the reply the session decides for its end.
        let report: xfer::Report = Box::new(move |end: &TransferEnd| {
            if let Some(reply) = Session::quirky_transfer_reply(end, &config.quirks) {
                let _ = writer.send(&reply);
            }
        });
        match xfer::start(&mut self.worker, transfer, stream, report, context) {
            Ok(running) => {
                self.running = running;
                Flow::Continue
            }
            Err(err) => {
                log::error!("cannot start a transfer thread: {err}");
                let reply = self.session.transfer_not_started();
                self.reply(&reply)
            }
        }
    }

    /// PORT/EPRT: connects to the client; on failure, the 425 text.
    fn connect_active(&mut self, addr: SocketAddr, verb: &str) -> Result<TcpStream, String> {
        let timeout = self.shared.config.data_timeout;
        match data::connect(addr, timeout) {
            Ok(stream) => {
                log::debug!(
                    "data: active ({verb}) — client listens on {addr}; server connects from {}",
                    shown(stream.local_addr())
                );
                Ok(stream)
            }
            Err(err) => Err(active_failure(verb, addr, timeout, &err)),
        }
    }

    /// PASV/EPSV: the client's connection to our listener. With `wait`, up
    /// to the data timeout (never `None`); without, only one already there
    /// (`None` if none is, and the listener is kept for the wait). On
    /// failure, the 425 text.
    fn accept_passive(
        &mut self,
        kind: PassiveKind,
        wait: bool,
    ) -> Option<Result<TcpStream, String>> {
        let Some(held) = self.listener.take() else {
            return Some(Err("Use PASV or EPSV first".to_string()));
        };
        let listener = &held.socket;
        let timeout = self.shared.config.data_timeout;
        // Addresses only for logs are looked up only when logged.
        let addr = || shown(listener.local_addr());
        let peer = self.peer.ip();
        let mut refused = |from: SocketAddr| {
            log::warn!(
                "data: refused a connection to {} from {from}: not the client {peer}",
                addr()
            );
        };
        let accepted = if wait {
            data::accept_with(listener, Some(peer), timeout, &mut refused).map(Some)
        } else {
            data::accept_ready(listener, Some(peer), &mut refused)
        };
        match accepted {
            Ok(Some(stream)) => {
                log::debug!(
                    "data: passive ({}) — server listens on {}; client {} connected",
                    kind.verb(),
                    addr(),
                    shown(stream.peer_addr())
                );
                Some(Ok(stream))
            }
            Ok(None) => {
                self.listener = Some(held);
                None
            }
            Err(err) => Some(Err(passive_failure(kind, &addr(), timeout, &err))),
        }
    }
}

/// A socket address for a log line, `?` if the socket cannot tell.
fn shown(addr: std::io::Result<SocketAddr>) -> String {
    addr.map_or("?".to_string(), |addr| addr.to_string())
}

/// The 425 text for an active connection that failed; a timeout names the
/// likely cause.
fn active_failure(verb: &str, addr: SocketAddr, timeout: Duration, err: &Error) -> String {
    let text = match err {
        Error::Timeout(_) => format!(
            "Cannot open data connection to {addr}: no answer within {} s \
             (a firewall or NAT in front of the client blocks active mode; try passive)",
            timeout.as_secs()
        ),
        other => format!("Cannot open data connection to {addr}: {other}"),
    };
    log::warn!("data: active ({verb}) failed: {text}");
    text
}

/// The 425 text for a passive connection that never came.
fn passive_failure(kind: PassiveKind, addr: &str, timeout: Duration, err: &Error) -> String {
    let text = match err {
        Error::Timeout(_) => format!(
            "Cannot open data connection: nobody connected to {addr} within {} s \
             (a firewall or NAT in front of the server blocks passive mode; \
             see --pasv-address and --pasv-ports)",
            timeout.as_secs()
        ),
        other => format!("Cannot open data connection: {other}"),
    };
    log::warn!("data: passive ({}) failed: {text}", kind.verb());
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftp_core::Phase;

    #[test]
    fn data_failures_name_the_likely_cause() {
        let addr: SocketAddr = "127.0.0.1:40000".parse().expect("addr");
        let timeout = Duration::from_secs(5);
        let text = active_failure("PORT", addr, timeout, &Error::Timeout(Phase::Connect));
        assert!(
            text.contains("firewall or NAT in front of the client"),
            "{text}"
        );
        let text = passive_failure(
            PassiveKind::Epsv,
            "[::1]:3000",
            timeout,
            &Error::Timeout(Phase::Accept),
        );
        assert!(
            text.contains("in front of the server") && text.contains("--pasv-address"),
            "{text}"
        );
    }
}
