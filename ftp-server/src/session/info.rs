//! The session's informational replies: FEAT, OPTS, STAT (session status)
//! and HELP.

use ftp_core::protocol::listing::Facts;
use ftp_core::Reply;

use super::{DataSetup, Login, Outcome, Session};
use crate::quirks::Quirk;

impl Session {
    pub(super) fn features(&self) -> Reply {
        let mut lines = vec!["Features:".to_string()];
        let quirks = &self.config.quirks;
        let features = [
            (!quirks.has(Quirk::NoEprt)).then(|| "EPRT".to_string()),
            (!quirks.has(Quirk::NoEpsv)).then(|| "EPSV".to_string()),
            Some("HOST".to_string()),
            Some("MDTM".to_string()),
            Some("MFMT".to_string()),
            (!quirks.has(Quirk::NoMlsd)).then(|| self.facts.feat_line()),
            Some("PASV".to_string()),
            Some("REST STREAM".to_string()),
            Some("SIZE".to_string()),
            Some("TVFS".to_string()),
            Some("UTF8".to_string()),
        ];
        #[cfg(feature = "tls")]
        lines.extend(
            self.tls_features()
                .iter()
                .map(|feature| format!(" {feature}")),
        );
        lines.extend(
            features
                .iter()
                .flatten()
                .map(|feature| format!(" {feature}")),
        );
        lines.push("End".to_string());
        Reply::multiline(211, lines)
    }

    pub(super) fn opts(&mut self, option: &str) -> Outcome {
        let (name, value) = option.split_once(' ').unwrap_or((option, ""));
        match name.to_ascii_uppercase().as_str() {
            "UTF8" if value.trim().eq_ignore_ascii_case("ON") => {
                Outcome::reply(200, "UTF8 on: names are passed as bytes")
            }
            "MLST" => {
                self.facts = Facts::from_opts(value.trim());
                Outcome::reply(200, self.facts.opts_reply())
            }
            _ => Outcome::reply(501, format!("OPTS {option} not understood")),
        }
    }

    pub(super) fn status(&self) -> Reply {
        let user = match &self.login {
            Login::In { account, .. } => {
                format!("Logged in as {} ({})", account.name, account.access)
            }
            _ => "Not logged in".to_string(),
        };
        let kind = self.repr.name().to_ascii_uppercase();
        let data = match self.data {
            None => "No data connection set up".to_string(),
            Some(DataSetup::Active { command, addr }) => {
                format!("Active ({command}): will connect to {addr}")
            }
            Some(DataSetup::Passive(command)) => format!("Passive ({command}): listening"),
        };
        let host = self
            .host
            .as_deref()
            .map_or(String::new(), |host| format!(" to host {host}"));
        let mut lines = vec![
            "FTP server status:".to_string(),
            format!(" Connected from {}{host}", self.peer),
            format!(" {user}"),
            format!(" TYPE: {kind}, STRU: File, MODE: Stream"),
            format!(" {data}"),
        ];
        #[cfg(feature = "tls")]
        lines.extend(self.tls_status());
        lines.push("End of status".to_string());
        Reply::multiline(211, lines)
    }
}

impl Session {
    /// The HELP reply: the command list (with the FTPS commands when TLS
    /// is offered), or whether one command is known.
    pub(super) fn help(&self, topic: Option<&str>) -> Reply {
        const VERBS: &str = "ABOR ACCT ALLO APPE CDUP CWD DELE EPRT EPSV FEAT HELP HOST LIST \
                             MDTM MFMT MKD MLSD MLST MODE NLST NOOP OPTS PASS PASV PORT PWD QUIT \
                             REIN REST RETR RMD RNFR RNTO SITE SIZE SMNT STAT STOR STOU STRU SYST \
                             TYPE USER XCUP XCWD XMKD XPWD XRMD";
        #[cfg_attr(not(feature = "tls"), allow(unused_mut))]
        let mut verbs: Vec<&str> = VERBS.split_whitespace().collect();
        #[cfg(feature = "tls")]
        verbs.extend(self.tls_verbs());
        verbs.sort_unstable();
        match topic {
            None => {
                let mut lines = vec!["The following commands are recognized:".to_string()];
                lines.extend(verbs.chunks(10).map(|row| format!(" {}", row.join(" "))));
                lines.push("Help OK".to_string());
                Reply::multiline(214, lines)
            }
            Some(topic) => {
                let verb = topic.trim().to_ascii_uppercase();
                if verbs.contains(&verb.as_str()) {
                    Reply::new(214, format!("{verb} is recognized"))
                } else {
                    Reply::new(502, format!("Unknown command {verb}"))
                }
            }
        }
    }
}
