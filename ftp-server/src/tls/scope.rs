//! One control session's resumption scope: the TLS sessions its data
//! connections may resume, and nobody else's.
//!
//! Each control connection that starts TLS gets a [`Scope`]: a copy of the
//! server's rustls configuration with a session ticket key of its own
//! (stateless tickets, TLS 1.2 and 1.3) and a small session cache of its
//! own (TLS 1.2 session ids, for clients without tickets), plus a random
//! token set as the session's resumption data. The control connection's
//! handshake and every data connection of the session run on that copy, so
//! a data connection that resumed can only have resumed a session this
//! control connection's client established: a ticket or session id of
//! another session of the same server does not decrypt or is not found,
//! and the handshake is a full one, which [`super::secure_data`] refuses.
//! In TLS 1.3 the token is checked as well (rustls gives it back in
//! TLS 1.3 only).
//!
//! What it does not do: run handshakes or check them (`control.rs`,
//! `data.rs`).

use std::sync::Arc;

use rustls::crypto::ring;
use rustls::server::ServerSessionMemoryCache;
use rustls::ServerConfig;

/// The length of the token that ties a data connection's TLS session to
/// its control connection's.
pub const TOKEN_LEN: usize = 16;

/// TLS 1.2 sessions one control session keeps by id: its control
/// connection's, and room for data connections that did not resume (a
/// client with session tickets, as most have, uses none).
const CACHED_SESSIONS: usize = 8;

/// The configuration and token of one control session's TLS.
#[derive(Clone)]
pub struct Scope {
    /// The server's configuration with this session's ticket key and cache.
    pub config: Arc<ServerConfig>,
    /// The control connection's resumption data.
    pub token: [u8; TOKEN_LEN],
}

impl Scope {
    /// A new scope from the server's configuration `server`.
    pub fn new(server: &ServerConfig) -> Result<Scope, rustls::Error> {
        let mut config = server.clone();
        config.ticketer = ring::Ticketer::new()?;
        config.session_storage = ServerSessionMemoryCache::new(CACHED_SESSIONS);
        let mut token = [0u8; TOKEN_LEN];
        ring::default_provider()
            .secure_random
            .fill(&mut token)
            .map_err(|_| rustls::Error::FailedToGetRandomBytes)?;
        Ok(Scope {
            config: Arc::new(config),
            token,
        })
    }
}
