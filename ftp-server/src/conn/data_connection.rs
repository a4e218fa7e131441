//! Opening data connections for a session: the passive listener (PASV,
//! EPSV), connecting out (PORT, EPRT) or accepting the client, the teaching
//! trace of who listens and who connects (in ftp-core's one wording,
//! [`ftp_core::protocol::data_setup`]), and handing the open connection to
//! the session's transfer thread.
//!
//! What it does not do: decide a reply. When a connection cannot be made it
//! reports what happened ([`DataFailure`]) and sends the 425 the session
//! decides ([`Session::data_failed`]), which names the likely cause.

use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Instant;

use ftp_core::io::data;
use ftp_core::protocol::data_setup::{DataCommand, DataConnection, Listening};
use ftp_core::Reply;

use super::{Conn, ControlRead, Flow, PassiveListener};
use crate::limits::Limits;
use crate::quirks::Quirk;
use crate::session::{DataFailure, DataSetup, Session, Transfer, TransferEnd};
use crate::xfer::{self, XferContext};

impl<R: ControlRead> Conn<R> {
    /// PASV/EPSV: listens on `ip` and answers 227/229, or 425.
    pub(super) fn open_passive(&mut self, ip: IpAddr, command: DataCommand) -> Flow {
        // The session's earlier listener, if any, is given back first.
        self.listener = None;
        let slot = match &self.shared.passive_limits {
            Some(limits) => match Limits::acquire(limits, self.peer.ip()) {
                Some(slot) => Some(slot),
                None => {
                    let reply = self.session.data_failed(&DataFailure::PassiveShareUsed);
                    log::warn!("{}: {command} refused: {}", self.peer, reply.text());
                    return self.reply(&reply);
                }
            },
            None => None,
        };
        let listened = data::listen(ip, self.shared.config.pasv_ports.clone())
            .and_then(|listener| Ok((listener.local_addr()?, listener)));
        let reply = match listened {
            Ok((addr, socket)) => {
                log::debug!("{}", Listening { command, addr });
                self.listener = Some(PassiveListener {
                    socket,
                    opened: Instant::now(),
                    _slot: slot,
                });
                self.session.passive_opened(command, addr)
            }
            Err(err) => {
                log::warn!("{}: cannot listen on {ip} for {command}: {err}", self.peer);
                self.session.data_failed(&DataFailure::Listen(err))
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
        let command = match transfer.data {
            DataSetup::Active { command, addr } => {
                let opened = self.connect_active(command, addr);
                return self.run_transfer(transfer, opened, preliminary);
            }
            DataSetup::Passive(command) => command,
        };
        let Some(held) = self.listener.take() else {
            return self.run_transfer(transfer, Err(DataFailure::NoListener), preliminary);
        };
        // The listener (and its place among the address's) is given back
        // before the transfer runs.
        let (opened, preliminary) = {
            let listener = &held.socket;
            let peer = self.peer.ip();
            let mut refused = |from: SocketAddr| {
                log::warn!(
                    "data: refused a connection to {} from {from}: not the client {peer}",
                    shown(listener.local_addr())
                );
            };
            match data::accept_ready(listener, Some(peer), &mut refused).transpose() {
                Some(ready) => (accepted(command, listener, ready), preliminary),
                None => {
                    // Nobody there yet: say so, then wait for the client
                    // (with the 150-after-data quirk, say so only once it
                    // is there).
                    let late = self.shared.config.quirks.has(Quirk::PreliminaryAfterData);
                    if !late {
                        if let Some(Flow::Stop(reason)) = preliminary.map(|reply| self.reply(reply))
                        {
                            return Flow::Stop(reason);
                        }
                    }
                    let timeout = self.shared.config.data_timeout;
                    let waited = data::accept_with(listener, Some(peer), timeout, &mut refused);
                    (
                        accepted(command, listener, waited),
                        preliminary.filter(|_| late),
                    )
                }
            }
        };
        drop(held);
        self.run_transfer(transfer, opened, preliminary)
    }

    /// Sends `preliminary` if not yet sent, then the transfer on `opened`,
    /// or the session's 425.
    fn run_transfer(
        &mut self,
        transfer: Transfer,
        opened: Result<TcpStream, DataFailure>,
        preliminary: Option<&Reply>,
    ) -> Flow {
        let opened = opened.and_then(|stream| {
            let timeout = Some(self.shared.config.data_timeout);
            stream
                .set_read_timeout(timeout)
                .and(stream.set_write_timeout(timeout))
                .map_err(DataFailure::Setup)?;
            Ok(stream)
        });
        if let Some(Flow::Stop(reason)) = preliminary.map(|reply| self.reply(reply)) {
            return Flow::Stop(reason);
        }
        let stream = match opened {
            Ok(stream) => stream,
            Err(failure) => {
                let command = transfer.data.command();
                // An upload's file is cleaned up before the client hears.
                drop(transfer);
                return self.data_failed(failure, command);
            }
        };
        #[cfg(feature = "tls")]
        let stream = match self.secure_data(stream) {
            Ok(stream) => stream,
            Err(reply) => {
                drop(transfer);
                return self.reply(&reply);
            }
        };
        #[cfg(not(feature = "tls"))]
        let stream = xfer::DataStream::from(stream);
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

    /// Sends the session's 425 for `failure` of a data connection set up
    /// by `command`.
    fn data_failed(&mut self, failure: DataFailure, command: DataCommand) -> Flow {
        let reply = self.session.data_failed(&failure);
        if let DataFailure::Connect { .. } | DataFailure::Accept { .. } = failure {
            log::warn!("data: {} failed: {}", command.label(), reply.text());
        }
        self.reply(&reply)
    }

    /// PORT/EPRT: connects to the client at `addr`.
    fn connect_active(
        &mut self,
        command: DataCommand,
        addr: SocketAddr,
    ) -> Result<TcpStream, DataFailure> {
        match data::connect(addr, self.shared.config.data_timeout) {
            Ok(stream) => {
                trace(command, || Ok((addr, stream.local_addr()?)));
                Ok(stream)
            }
            Err(error) => Err(DataFailure::Connect { to: addr, error }),
        }
    }
}

/// PASV/EPSV: what became of waiting for the client's connection to
/// `listener`.
fn accepted(
    command: DataCommand,
    listener: &TcpListener,
    result: Result<TcpStream, ftp_core::Error>,
) -> Result<TcpStream, DataFailure> {
    match result {
        Ok(stream) => {
            trace(command, || {
                Ok((listener.local_addr()?, stream.peer_addr()?))
            });
            Ok(stream)
        }
        Err(error) => Err(DataFailure::Accept {
            listening: listener.local_addr().ok(),
            error,
        }),
    }
}

/// The trace line of an open data connection, at debug level; `addrs` (the
/// listener's and the connector's) are looked up only when it is shown.
fn trace(command: DataCommand, addrs: impl FnOnce() -> std::io::Result<(SocketAddr, SocketAddr)>) {
    if !log::log_enabled!(log::Level::Debug) {
        return;
    }
    match addrs() {
        Ok((listener, connector)) => log::debug!(
            "{}",
            DataConnection {
                command,
                listener,
                connector
            }
        ),
        Err(err) => log::debug!("data: {} — addresses unknown: {err}", command.label()),
    }
}

/// A socket address for a log line, `?` if the socket cannot tell.
fn shown(addr: std::io::Result<SocketAddr>) -> String {
    addr.map_or("?".to_string(), |addr| addr.to_string())
}
