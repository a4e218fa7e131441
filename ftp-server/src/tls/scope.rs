//! One control session's resumption scope: the TLS sessions its data
//! connections may resume, and nobody else's.
//!
//! Each control connection that starts TLS gets a [`Scope`]: a copy of the
//! server's rustls configuration with a session ticket key of its own
//! (stateless tickets, TLS 1.2 and 1.3) and a session store of its own
//! that keeps one session by id, the control connection's (TLS 1.2, for
//! clients without tickets), plus a random token set as the session's
//! resumption data. The control connection's handshake and every data
//! connection of the session run on that copy, so a data connection that
//! resumed can only have resumed a session established in this scope: a
//! ticket or session id of another session of the same server does not
//! decrypt or is not found, and the handshake is a full one, which
//! [`super::secure_data`] refuses. In TLS 1.3 the token is checked as well
//! (rustls gives it back in TLS 1.3 only).
//!
//! A full handshake on a data connection must not leave its client with a
//! session it could resume here next time (a third party on a passive port
//! would be refused once, then let in): once the control connection's
//! handshake is done the scope is [sealed](Scope::seal) and stores no more
//! sessions by id, and `data.rs` sends the last flight of a TLS 1.2
//! handshake, which carries its ticket, and TLS 1.3's tickets only to a
//! data connection it accepted.
//!
//! What it does not do: run handshakes or check them (`control.rs`,
//! `data.rs`).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rustls::crypto::ring;
use rustls::server::StoresServerSessions;
use rustls::ServerConfig;

/// The length of the token that ties a data connection's TLS session to
/// its control connection's.
pub const TOKEN_LEN: usize = 16;

/// The configuration and token of one control session's TLS.
#[derive(Clone)]
pub struct Scope {
    /// The server's configuration with this session's ticket key and store.
    pub config: Arc<ServerConfig>,
    /// The control connection's resumption data.
    pub token: [u8; TOKEN_LEN],
    store: Arc<ControlSession>,
}

impl Scope {
    /// A new scope from the server's configuration `server`.
    pub fn new(server: &ServerConfig) -> Result<Scope, rustls::Error> {
        let store = Arc::new(ControlSession::default());
        let mut config = server.clone();
        config.ticketer = ring::Ticketer::new()?;
        config.session_storage = Arc::clone(&store) as Arc<dyn StoresServerSessions>;
        let mut token = [0u8; TOKEN_LEN];
        ring::default_provider()
            .secure_random
            .fill(&mut token)
            .map_err(|_| rustls::Error::FailedToGetRandomBytes)?;
        Ok(Scope {
            config: Arc::new(config),
            token,
            store,
        })
    }

    /// The control connection's handshake is done: no session is stored
    /// by id from now on.
    pub fn seal(&self) {
        self.store.lock().sealed = true;
    }
}

/// The one TLS 1.2 session a scope keeps by id, stored before the scope
/// is sealed.
#[derive(Debug, Default)]
struct ControlSession(Mutex<Slot>);

#[derive(Debug, Default)]
struct Slot {
    /// The session's id and rustls's encoding of it.
    session: Option<(Vec<u8>, Vec<u8>)>,
    sealed: bool,
}

impl ControlSession {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl StoresServerSessions for ControlSession {
    fn put(&self, id: Vec<u8>, value: Vec<u8>) -> bool {
        let mut slot = self.lock();
        if slot.sealed || slot.session.is_some() {
            return false;
        }
        slot.session = Some((id, value));
        true
    }

    fn get(&self, id: &[u8]) -> Option<Vec<u8>> {
        let slot = self.lock();
        let (stored, value) = slot.session.as_ref()?;
        (stored[..] == *id).then(|| value.clone())
    }

    /// Single-use resumption (stateful TLS 1.3 tickets, which a scope,
    /// having a ticket key, never issues).
    fn take(&self, id: &[u8]) -> Option<Vec<u8>> {
        let mut slot = self.lock();
        let found = slot
            .session
            .as_ref()
            .is_some_and(|(stored, _)| stored[..] == *id);
        slot.session.take_if(|_| found).map(|(_, value)| value)
    }

    fn can_cache(&self) -> bool {
        let slot = self.lock();
        !slot.sealed && slot.session.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_keeps_the_first_session_until_sealed_and_no_other() {
        let store = ControlSession::default();
        assert!(store.can_cache());
        assert!(store.put(b"id".to_vec(), b"control".to_vec()));
        assert!(!store.can_cache());
        assert!(!store.put(b"other".to_vec(), b"data".to_vec()));
        assert_eq!(store.get(b"id"), Some(b"control".to_vec()));
        assert_eq!(store.get(b"id"), Some(b"control".to_vec()), "again");
        assert_eq!(store.get(b"other"), None);

        let sealed = ControlSession::default();
        sealed.lock().sealed = true;
        assert!(!sealed.can_cache());
        assert!(!sealed.put(b"id".to_vec(), b"data".to_vec()));
        assert_eq!(sealed.get(b"id"), None);

        assert_eq!(store.take(b"other"), None);
        assert_eq!(store.take(b"id"), Some(b"control".to_vec()));
        assert_eq!(store.get(b"id"), None);
    }
}
