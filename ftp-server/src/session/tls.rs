//! The session's FTPS commands (RFC 4217), built only with the `tls`
//! feature: AUTH TLS, PBSZ, PROT, CCC, the policy of `--tls-required` and
//! `--tls-anonymous`, the FEAT lines, and the reply to a protected data
//! connection that was refused.
//!
//! `AUTH TLS` (and `TLS-C`, its name in the drafts before RFC 4217) is
//! accepted; `AUTH SSL` and `TLS-P` are not (504): RFC 4217 names only
//! `TLS`, and in the drafts `SSL` also meant protected data without PROT,
//! which a client cannot count on here. Without `--tls-cert` these
//! commands are unknown, as without the feature.
//!
//! What it does not do: the handshake (`conn` does it on
//! [`Action::StartTls`]) or any I/O.

use ftp_core::{Command, Reply};

use super::{Action, Login, Outcome, Session};
use crate::auth::is_anonymous_name;
use crate::tls::DataRefusal;

/// Where a session stands with TLS.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct TlsState {
    /// Whether the control connection can take TLS (a TCP session of a
    /// server with a certificate).
    available: bool,
    /// The control connection is encrypted.
    control: bool,
    /// PBSZ was given (after AUTH).
    pbsz: bool,
    /// PROT P: data connections are encrypted.
    private_data: bool,
    /// Implicit TLS: the connection is TLS for good.
    implicit: bool,
}

impl TlsState {
    /// The state of a new session of a server with `available` TLS.
    pub(super) fn new(available: bool) -> TlsState {
        TlsState {
            available,
            ..TlsState::default()
        }
    }
}

impl Session {
    /// The same session on a channel that cannot take TLS (a pipe).
    pub fn without_tls(mut self) -> Session {
        self.tls.available = false;
        self
    }

    /// The same session on an implicit TLS connection: the control
    /// connection is encrypted from the start and data is protected (as if
    /// AUTH TLS, PBSZ 0 and PROT P had come).
    pub fn with_implicit_tls(mut self) -> Session {
        self.tls = TlsState {
            available: true,
            control: true,
            pbsz: true,
            private_data: true,
            implicit: true,
        };
        self
    }

    /// Whether the control connection is encrypted.
    pub(super) fn control_protected(&self) -> bool {
        self.tls.control
    }

    /// Whether the next data connection is to be encrypted (PROT P).
    pub fn data_protected(&self) -> bool {
        self.tls.private_data
    }

    /// The reply to a protected data connection that was refused.
    pub fn data_tls_refused(&self, refusal: &DataRefusal) -> Reply {
        match refusal {
            DataRefusal::Handshake(err) => Reply::new(
                522,
                format!("TLS handshake on the data connection failed: {err}"),
            ),
            DataRefusal::NotResumed => Reply::new(
                522,
                "Data connection refused: its TLS session must resume the control \
                 connection's (TLS session reuse is required)",
            ),
        }
    }

    /// The FTPS commands, for HELP, when TLS is offered.
    pub(super) fn tls_verbs(&self) -> &'static [&'static str] {
        if self.tls.available {
            &["AUTH", "CCC", "PBSZ", "PROT"]
        } else {
            &[]
        }
    }

    /// FEAT's lines for TLS, when it is offered: the FTPS commands, AUTH
    /// with its one mechanism.
    pub(super) fn tls_features(&self) -> Vec<String> {
        self.tls_verbs()
            .iter()
            .map(|&verb| match verb {
                "AUTH" => "AUTH TLS".to_string(),
                verb => verb.to_string(),
            })
            .collect()
    }

    /// STAT's line about TLS, when it is offered.
    pub(super) fn tls_status(&self) -> Option<String> {
        if !self.tls.available {
            return None;
        }
        let control = if self.tls.control {
            "TLS"
        } else {
            "in the clear"
        };
        let data = if self.tls.private_data {
            "protected (PROT P)"
        } else {
            "in the clear (PROT C)"
        };
        Some(format!(
            " Control connection: {control}; data connections: {data}"
        ))
    }

    /// Handles `command` if TLS has a say in it.
    pub(super) fn tls_command(&mut self, command: &Command) -> Option<Outcome> {
        if let Command::Rein = command {
            return Some(self.rein_tls());
        }
        if !self.tls.available {
            return None;
        }
        match command {
            Command::Unknown { verb, arg } => {
                let arg = String::from_utf8_lossy(arg.as_deref().unwrap_or_default());
                let arg = arg.trim();
                match verb.as_str() {
                    "AUTH" => Some(self.auth(arg)),
                    "PBSZ" => Some(self.pbsz(arg)),
                    "PROT" => Some(self.prot(arg)),
                    "CCC" => Some(self.ccc()),
                    _ => None,
                }
            }
            Command::User(name) if self.clear_login_refused(name) => Some(Outcome::reply(
                530,
                "TLS required: send AUTH TLS before USER",
            )),
            Command::Retr(_)
            | Command::Stor(_)
            | Command::Appe(_)
            | Command::Stou
            | Command::List(_)
            | Command::Nlst(_)
            | Command::Mlsd(_)
                if self.clear_data_refused() =>
            {
                Some(Outcome::reply(
                    521,
                    "Data connections must be protected: send PBSZ 0 and PROT P",
                ))
            }
            _ => None,
        }
    }

    /// REIN: the session is reset, and so is TLS (RFC 4217 §13: the reply
    /// goes out protected, then the control connection is in the clear) —
    /// but for implicit TLS, where the connection is TLS for good.
    fn rein_tls(&mut self) -> Outcome {
        let before = self.tls;
        let outcome = self.rein();
        if before.implicit {
            self.tls = before;
            return outcome;
        }
        self.tls = TlsState::new(before.available);
        if !before.control {
            return outcome;
        }
        Outcome {
            reply: outcome.reply,
            action: Action::ClearControl,
        }
    }

    fn tls_required(&self) -> bool {
        self.config.tls.as_ref().is_some_and(|tls| tls.required)
    }

    fn anonymous_exempt(&self) -> bool {
        self.config
            .tls
            .as_ref()
            .is_some_and(|tls| tls.anonymous_exempt)
    }

    /// `--tls-required` refuses a login in the clear, but for anonymous
    /// with `--tls-anonymous`.
    fn clear_login_refused(&self, name: &str) -> bool {
        self.tls_required()
            && !self.tls.control
            && !(self.anonymous_exempt() && is_anonymous_name(name))
    }

    /// `--tls-required` refuses data in the clear, but for anonymous
    /// sessions with `--tls-anonymous`.
    fn clear_data_refused(&self) -> bool {
        let anonymous = matches!(&self.login, Login::In { account, .. } if account.anonymous);
        self.tls_required() && !self.tls.private_data && !(anonymous && self.anonymous_exempt())
    }

    fn auth(&mut self, mechanism: &str) -> Outcome {
        if self.tls.control {
            return Outcome::reply(503, "TLS is already on");
        }
        if self.logged_in() || matches!(self.login, Login::User(_)) {
            return Outcome::reply(503, "AUTH only before login");
        }
        match mechanism.to_ascii_uppercase().as_str() {
            "TLS" | "TLS-C" => {
                self.tls.control = true;
                Outcome::then(
                    Reply::new(234, "AUTH TLS ok: start the TLS handshake"),
                    Action::StartTls,
                )
            }
            _ => Outcome::reply(504, format!("AUTH {mechanism} not supported; use AUTH TLS")),
        }
    }

    /// CCC (RFC 4217 §6): the control connection back in the clear; the
    /// data protection level stays as PROT set it.
    fn ccc(&mut self) -> Outcome {
        if !self.tls.control {
            return Outcome::reply(533, "CCC only on a protected control connection");
        }
        if self.tls_required() {
            return Outcome::reply(534, "CCC refused: TLS is required on this server");
        }
        if self.tls.implicit {
            return Outcome::reply(534, "CCC refused: this connection is implicit TLS");
        }
        self.tls.control = false;
        Outcome::then(
            Reply::new(200, "CCC ok: the control connection is in the clear"),
            Action::ClearControl,
        )
    }

    fn pbsz(&mut self, size: &str) -> Outcome {
        if !self.tls.control {
            return Outcome::reply(503, "PBSZ only after AUTH TLS");
        }
        if size.is_empty() || !size.bytes().all(|b| b.is_ascii_digit()) {
            return Outcome::reply(501, "PBSZ needs a decimal number (PBSZ 0)");
        }
        self.tls.pbsz = true;
        Outcome::reply(200, "PBSZ=0")
    }

    fn prot(&mut self, level: &str) -> Outcome {
        if !self.tls.pbsz {
            return Outcome::reply(503, "PROT only after PBSZ");
        }
        match level.to_ascii_uppercase().as_str() {
            "P" => {
                self.tls.private_data = true;
                Outcome::reply(200, "PROT P: data connections are encrypted")
            }
            "C" if self.tls_required() && !self.anonymous_exempt() => {
                Outcome::reply(534, "PROT C refused: data connections must be encrypted")
            }
            "C" => {
                self.tls.private_data = false;
                Outcome::reply(200, "PROT C: data connections are in the clear")
            }
            "S" | "E" => Outcome::reply(536, format!("PROT {level} not supported by TLS")),
            _ => Outcome::reply(504, format!("PROT {level} not understood; use P or C")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ftp_core::Command;

    use super::*;
    use crate::config::{parse_args, Parsed};
    use crate::storage::tests::Scratch;

    /// A session of a server with TLS (`required`, `anonymous_exempt`),
    /// alice and anonymous; the scratch root lives as long as it.
    fn new_session(required: bool, anonymous_exempt: bool) -> (Scratch, Session) {
        let dir = Scratch::new("session-tls");
        let root = dir.0.to_str().expect("utf-8 temp dir").to_string();
        let args = ["--root", &root, "--user", "alice:pw", "--anonymous"].map(String::from);
        let Ok(Parsed::Run(mut config)) = parse_args(&args) else {
            panic!("bad options")
        };
        config.tls = Some(crate::tls::without_certificate(required, anonymous_exempt));
        let ip = "127.0.0.1".parse().expect("ip");
        (dir, Session::new(Arc::new(*config), ip, ip))
    }

    fn send(session: &mut Session, line: &str) -> Outcome {
        session.handle(Command::parse(line.as_bytes()).expect("a valid command"))
    }

    fn code(session: &mut Session, line: &str) -> u16 {
        send(session, line).reply.expect("a reply").code.0
    }

    #[test]
    fn auth_pbsz_and_prot_come_in_rfc_4217_order() {
        let (_dir, mut session) = new_session(false, false);
        assert_eq!(code(&mut session, "PBSZ 0"), 503);
        assert_eq!(code(&mut session, "PROT P"), 503);
        assert_eq!(code(&mut session, "CCC"), 533);
        assert_eq!(code(&mut session, "AUTH SSL"), 504);
        let auth = send(&mut session, "AUTH TLS");
        assert!(matches!(auth.action, Action::StartTls), "{auth:?}");
        assert_eq!(auth.reply.expect("a reply").code.0, 234);
        assert_eq!(code(&mut session, "AUTH TLS"), 503, "TLS is on already");
        assert_eq!(code(&mut session, "PROT P"), 503, "before PBSZ");
        assert_eq!(code(&mut session, "PBSZ x"), 501);
        assert_eq!(code(&mut session, "PBSZ 0"), 200);
        assert_eq!(code(&mut session, "PROT S"), 536);
        assert_eq!(code(&mut session, "PROT E"), 536);
        assert_eq!(code(&mut session, "PROT Q"), 504);
        assert!(!session.data_protected());
        assert_eq!(code(&mut session, "PROT P"), 200);
        assert!(session.data_protected());
        assert_eq!(code(&mut session, "PROT C"), 200);
        assert!(!session.data_protected());
        let ccc = send(&mut session, "CCC");
        assert!(matches!(ccc.action, Action::ClearControl), "{ccc:?}");
        assert_eq!(code(&mut session, "CCC"), 533, "already in the clear");
    }

    #[test]
    fn auth_comes_before_login_only() {
        let (_dir, mut session) = new_session(false, false);
        assert_eq!(code(&mut session, "USER alice"), 331);
        assert_eq!(code(&mut session, "AUTH TLS"), 503);
        assert_eq!(code(&mut session, "PASS pw"), 230);
        assert_eq!(code(&mut session, "AUTH TLS"), 503);
    }

    #[test]
    fn feat_lists_the_tls_commands_and_a_pipe_offers_none() {
        let (_dir, mut session) = new_session(false, false);
        let feat = send(&mut session, "FEAT").reply.expect("a reply").text();
        for line in ["AUTH TLS", "CCC", "PBSZ", "PROT"] {
            assert!(feat.contains(line), "{feat}");
        }
        let (_dir, session) = new_session(false, false);
        let mut session = session.without_tls();
        let feat = send(&mut session, "FEAT").reply.expect("a reply").text();
        assert!(!feat.contains("AUTH"), "{feat}");
        assert_eq!(code(&mut session, "AUTH TLS"), 500);
    }

    #[test]
    fn help_lists_the_tls_commands_when_tls_is_offered() {
        let (_dir, mut session) = new_session(false, false);
        let help = send(&mut session, "HELP").reply.expect("a reply").text();
        let words: Vec<&str> = help.split_whitespace().collect();
        for verb in ["AUTH", "CCC", "PBSZ", "PROT", "RETR"] {
            assert!(words.contains(&verb), "{verb}: {help}");
        }
        assert_eq!(code(&mut session, "HELP pbsz"), 214);
        assert_eq!(code(&mut session, "HELP AUTH"), 214);

        let (_dir, session) = new_session(false, false);
        let mut session = session.without_tls();
        let help = send(&mut session, "HELP").reply.expect("a reply").text();
        let words: Vec<&str> = help.split_whitespace().collect();
        for verb in ["AUTH", "CCC", "PBSZ", "PROT"] {
            assert!(!words.contains(&verb), "{verb}: {help}");
        }
        assert!(words.contains(&"RETR"), "{help}");
        assert_eq!(code(&mut session, "HELP PBSZ"), 502);
    }

    #[test]
    fn tls_required_refuses_logins_prot_c_data_and_ccc_in_the_clear() {
        let (_dir, mut session) = new_session(true, false);
        assert_eq!(code(&mut session, "USER alice"), 530);
        assert_eq!(code(&mut session, "USER anonymous"), 530);
        assert_eq!(code(&mut session, "AUTH TLS"), 234);
        assert_eq!(code(&mut session, "USER alice"), 331);
        assert_eq!(code(&mut session, "PASS pw"), 230);
        assert_eq!(code(&mut session, "LIST"), 521, "no PROT P yet");
        assert_eq!(code(&mut session, "PBSZ 0"), 200);
        assert_eq!(code(&mut session, "PROT C"), 534);
        assert_eq!(code(&mut session, "CCC"), 534);
        assert_eq!(code(&mut session, "PROT P"), 200);
        let status = send(&mut session, "STAT").reply.expect("a reply").text();
        assert!(
            status.contains("Control connection: TLS; data connections: protected (PROT P)"),
            "{status}"
        );
        assert_ne!(code(&mut session, "LIST"), 521);
    }

    #[test]
    fn tls_anonymous_lets_anonymous_sessions_go_in_the_clear() {
        let (_dir, mut session) = new_session(true, true);
        assert_eq!(code(&mut session, "USER alice"), 530);
        assert_eq!(code(&mut session, "USER anonymous"), 331);
        assert_eq!(code(&mut session, "PASS guest@"), 230);
        assert_ne!(code(&mut session, "LIST"), 521);
    }

    #[test]
    fn rein_clears_tls_but_implicit_tls_stays() {
        let (_dir, mut session) = new_session(false, false);
        assert_eq!(code(&mut session, "AUTH TLS"), 234);
        assert_eq!(code(&mut session, "PBSZ 0"), 200);
        assert_eq!(code(&mut session, "PROT P"), 200);
        let rein = send(&mut session, "REIN");
        assert!(matches!(rein.action, Action::ClearControl), "{rein:?}");
        assert!(!session.data_protected());
        assert_eq!(code(&mut session, "PBSZ 0"), 503, "TLS is off");
        assert_eq!(code(&mut session, "AUTH TLS"), 234);

        let (_dir, session) = new_session(false, false);
        let mut session = session.without_tls();
        assert!(matches!(send(&mut session, "REIN").action, Action::None));
        assert_eq!(
            code(&mut session, "AUTH TLS"),
            500,
            "still no TLS on a pipe"
        );

        let (_dir, session) = new_session(false, false);
        let mut session = session.with_implicit_tls();
        assert!(matches!(send(&mut session, "REIN").action, Action::None));
        assert!(session.data_protected());
    }

    #[test]
    fn implicit_tls_protects_data_from_the_start() {
        let (_dir, session) = new_session(false, false);
        let mut session = session.with_implicit_tls();
        assert!(session.data_protected());
        assert_eq!(code(&mut session, "AUTH TLS"), 503);
        assert_eq!(code(&mut session, "PBSZ 0"), 200);
        assert_eq!(code(&mut session, "CCC"), 534);
    }
}
