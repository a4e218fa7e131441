//! The session's access control: USER, PASS (with the count of failures),
//! REIN and HOST (RFC 959 §4.1.1, RFC 7151).

use std::sync::Arc;

use super::{Action, Login, Outcome, Session};
use crate::auth::{is_anonymous_name, Access};
use crate::storage::{Storage, VirtualPath};
use ftp_core::Reply;

/// Failed logins after which the connection is closed.
const MAX_LOGIN_FAILURES: u32 = 3;

impl Session {
    pub(super) fn user_command(&mut self, name: String) -> Outcome {
        if self.logged_in() {
            return Outcome::reply(503, "Already logged in; use REIN to change user");
        }
        // The same 331 whether or not the user exists: names cannot be probed.
        let text = if is_anonymous_name(&name) {
            "Anonymous login: send your e-mail address as password".to_string()
        } else {
            format!("Password required for {name}")
        };
        self.login = Login::User(name);
        Outcome::reply(331, text)
    }

    pub(super) fn pass(&mut self, password: &str) -> Outcome {
        let name = match &self.login {
            Login::User(name) => name.clone(),
            Login::In { .. } => return Outcome::reply(503, "Already logged in"),
            Login::Waiting => return Outcome::reply(503, "Send USER first"),
        };
        self.login = Login::Waiting;
        let Some(account) = self.config.users.authenticate(&name, password) else {
            return self.failed_login(&name);
        };
        let root = account
            .home
            .clone()
            .unwrap_or_else(|| self.config.root.clone());
        let world_only = account.anonymous && self.config.anonymous_world_readable_only;
        match Storage::open(&root, world_only) {
            Ok(storage) => {
                log::info!(
                    "{}: login as {} ({})",
                    self.peer,
                    account.name,
                    account.access
                );
                let text = match account.access {
                    Access::ReadOnly => format!("User {} logged in, read-only", account.name),
                    Access::ReadWrite => format!("User {} logged in", account.name),
                };
                self.login = Login::In { account, storage };
                self.cwd = VirtualPath::root();
                Outcome::reply(230, text)
            }
            // Out of descriptors: the server is full, not the home broken.
            Err(err) if matches!(err.raw_os_error(), Some(23 | 24)) => {
                log::warn!("{}: login refused: {err}", self.peer);
                Outcome::then(
                    Reply::new(421, "Server out of resources; try again later"),
                    Action::Close,
                )
            }
            Err(err) => {
                log::error!(
                    "home of {} ({}) unusable: {err}",
                    account.name,
                    root.display()
                );
                Outcome::reply(530, "Login refused: home directory unavailable")
            }
        }
    }

    fn failed_login(&mut self, name: &str) -> Outcome {
        self.failures += 1;
        log::warn!(
            "{}: failed login as {name:?} ({} of {MAX_LOGIN_FAILURES})",
            self.peer,
            self.failures
        );
        let close = self.failures >= MAX_LOGIN_FAILURES;
        Outcome::then(
            Reply::new(530, "Login incorrect"),
            Action::FailedLogin { close },
        )
    }

    pub(super) fn rein(&mut self) -> Outcome {
        let config = Arc::clone(&self.config);
        let (failures, peer_known) = (self.failures, self.peer_known);
        *self = Session::new(config, self.peer, self.local);
        self.failures = failures;
        self.peer_known = peer_known;
        Outcome::reply(220, "Session reset; log in again")
    }

    pub(super) fn host(&mut self, name: String) -> Outcome {
        if !matches!(self.login, Login::Waiting) {
            return Outcome::reply(503, "HOST must come before USER");
        }
        let reply = Reply::new(220, format!("Host {name} accepted"));
        self.host = Some(name);
        Outcome::from(reply)
    }
}
