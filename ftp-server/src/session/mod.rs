//! The per-session state machine: a [`Command`] in, an [`Outcome`] out.
//!
//! [`Session::handle`] decides the reply to each command and changes the
//! session's state (login, working directory, TYPE, REST offset, RNFR name,
//! the data connection set up by PORT/EPRT/PASV/EPSV). When the network has
//! to do something, the outcome carries an [`Action`] for [`crate::conn`]:
//! open a passive listener, run a transfer, close the connection.
//!
//! The session never touches a socket, so every rule here is unit-tested
//! with plain values. It does touch the file system, through the jail in
//! [`crate::fs`]: commands like CWD, MKD or RETR can only be answered by
//! looking at files (those tests use scratch directories). The file-system
//! commands live in `files.rs`, the transfer commands in `transfers.rs`.
//!
//! What it does not do: read or write the control connection, open data
//! connections, sleep (a failed login asks `conn` for the delay), or know
//! whether a transfer is running (`conn` answers ABOR and STAT during one).

mod files;
mod transfers;

use std::fs::File;
use std::net::{IpAddr, SocketAddr, SocketAddrV4};
use std::sync::Arc;

use ftp_core::addr::{format_epsv_reply, format_pasv_reply};
use ftp_core::command::{EpsvArg, Structure, TransferMode, TransferType};
use ftp_core::listing::Facts;
use ftp_core::transfer::Representation;
use ftp_core::{Command, Reply};

use crate::auth::{Access, Account};
use crate::config::Config;
use crate::fs::{Jail, Upload, VirtualPath};

/// What the session answers, and what the connection must do about it.
#[derive(Debug)]
pub struct Outcome {
    /// The reply to send now, if any (an [`Action::OpenPassive`] gets its
    /// reply from [`Session::passive_opened`] instead).
    pub reply: Option<Reply>,
    /// What to do after sending it.
    pub action: Action,
}

impl Outcome {
    fn reply(code: u16, text: impl Into<String>) -> Outcome {
        Outcome::from(Reply::new(code, text))
    }

    fn then(reply: Reply, action: Action) -> Outcome {
        Outcome {
            reply: Some(reply),
            action,
        }
    }
}

impl From<Reply> for Outcome {
    fn from(reply: Reply) -> Outcome {
        Outcome {
            reply: Some(reply),
            action: Action::None,
        }
    }
}

/// Work for the connection after the reply.
#[derive(Debug)]
pub enum Action {
    /// Nothing: read the next command.
    None,
    /// Close the control connection (QUIT).
    Close,
    /// A login failed: wait before sending the 530, then close if `close`.
    FailedLogin {
        /// Too many failures: close the connection after the reply.
        close: bool,
    },
    /// Listen for a passive data connection on `ip`, then report back with
    /// [`Session::passive_opened`] or [`Session::passive_failed`].
    OpenPassive {
        /// The local address to listen on (the control connection's).
        ip: IpAddr,
        /// PASV or EPSV.
        kind: PassiveKind,
    },
    /// Open the data connection and move data (the reply is the 150).
    Transfer(Box<Transfer>),
}

/// Which passive command asked for the listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassiveKind {
    /// PASV: IPv4 address and port in a 227 reply.
    Pasv,
    /// EPSV: the port only, in a 229 reply.
    Epsv,
}

impl PassiveKind {
    /// The command's name.
    pub fn verb(self) -> &'static str {
        match self {
            PassiveKind::Pasv => "PASV",
            PassiveKind::Epsv => "EPSV",
        }
    }
}

/// How the next data connection will be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSetup {
    /// The server connects to the client (PORT or EPRT).
    Active {
        /// The checked address to connect to.
        addr: SocketAddr,
        /// `PORT` or `EPRT`.
        verb: &'static str,
    },
    /// The client connects to the listener the connection holds.
    Passive(PassiveKind),
}

/// A transfer for the connection to run.
#[derive(Debug)]
pub struct Transfer {
    /// How to open the data connection.
    pub data: DataSetup,
    /// What to move.
    pub job: Job,
    /// TYPE I or TYPE A.
    pub repr: Representation,
    /// What to log about a file transfer (`None` for listings).
    pub record: Option<Record>,
}

/// What a transfer moves.
#[derive(Debug)]
pub enum Job {
    /// A file, already opened and positioned at the restart offset.
    SendFile(File),
    /// A listing, rendered with CRLF line ends.
    SendListing(Vec<u8>),
    /// An upload into this file.
    Receive(Upload),
}

/// The facts about a file transfer for the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The command: RETR, STOR, APPE or STOU.
    pub verb: &'static str,
    /// The file, as the client sees it.
    pub path: VirtualPath,
    /// Who transferred it.
    pub user: String,
    /// Whether the user is anonymous.
    pub anonymous: bool,
}

/// Where the session stands with logging in.
#[derive(Debug)]
enum Login {
    /// No USER yet (or after REIN or a failed PASS).
    Waiting,
    /// USER given, PASS expected.
    User(String),
    /// Logged in, jailed in the account's root.
    In { account: Account, jail: Jail },
}

/// One control connection's state; see the module documentation.
#[derive(Debug)]
pub struct Session {
    config: Arc<Config>,
    peer: IpAddr,
    local: IpAddr,
    login: Login,
    failures: u32,
    host: Option<String>,
    cwd: VirtualPath,
    repr: Representation,
    rest: Option<u64>,
    rename_from: Option<VirtualPath>,
    data: Option<DataSetup>,
    epsv_all: bool,
    facts: Facts,
}

/// Failed logins after which the connection is closed.
const MAX_LOGIN_FAILURES: u32 = 3;

impl Session {
    /// A session for a client at `peer`, connected to our address `local`.
    /// IPv4-mapped IPv6 addresses are taken as the IPv4 addresses they are.
    pub fn new(config: Arc<Config>, peer: IpAddr, local: IpAddr) -> Session {
        Session {
            config,
            peer: peer.to_canonical(),
            local: local.to_canonical(),
            login: Login::Waiting,
            failures: 0,
            host: None,
            cwd: VirtualPath::root(),
            repr: Representation::Binary,
            rest: None,
            rename_from: None,
            data: None,
            epsv_all: false,
            facts: Facts::default(),
        }
    }

    /// The 220 greeting.
    pub fn greeting() -> Reply {
        Reply::new(220, "ftp-server ready")
    }

    /// The logged-in account's name, if any (for logs).
    pub fn user(&self) -> Option<&str> {
        match &self.login {
            Login::In { account, .. } => Some(&account.name),
            _ => None,
        }
    }

    /// Whether a PASV/EPSV listener is waiting for the next transfer; when
    /// not, the connection drops any listener it holds.
    pub fn passive_pending(&self) -> bool {
        matches!(self.data, Some(DataSetup::Passive(_)))
    }

    /// Handles one command.
    pub fn handle(&mut self, command: Command) -> Outcome {
        if !self.logged_in() && !allowed_before_login(&command) {
            return Outcome::reply(530, "Please log in with USER and PASS");
        }
        // RNFR must be followed directly by RNTO; anything else forgets it.
        let rename_from = self.rename_from.take();
        match command {
            // Access control (RFC 959 §4.1.1).
            Command::User(name) => self.user_command(name),
            Command::Pass(password) => self.pass(&password),
            Command::Acct(_) => Outcome::reply(202, "No account needed"),
            Command::Rein => self.rein(),
            Command::Quit => Outcome::then(Reply::new(221, "Goodbye"), Action::Close),
            Command::Host(name) => self.host(name),
            Command::Smnt(_) => Outcome::reply(502, "SMNT not implemented"),
            // Transfer parameters (RFC 959 §4.1.2, RFC 2428).
            Command::Type(kind) => self.set_type(kind),
            Command::Mode(TransferMode::Stream) => Outcome::reply(200, "Mode set to S"),
            Command::Mode(_) => Outcome::reply(504, "Only MODE S is supported"),
            Command::Stru(Structure::File) => Outcome::reply(200, "Structure set to F"),
            Command::Stru(_) => Outcome::reply(504, "Only STRU F is supported"),
            Command::Port(addr) => self.active(SocketAddr::V4(addr), "PORT"),
            Command::Eprt(addr) => self.active(addr, "EPRT"),
            Command::Pasv => self.passive(PassiveKind::Pasv),
            Command::Epsv(arg) => self.epsv(arg),
            Command::Rest(offset) => self.rest(offset),
            Command::Allo { .. } => Outcome::reply(202, "No storage allocation necessary"),
            // Information.
            Command::Syst => Outcome::reply(215, "UNIX Type: L8"),
            Command::Noop => Outcome::reply(200, "NOOP ok"),
            Command::Feat => Outcome::from(self.features()),
            Command::Opts(option) => self.opts(&option),
            Command::Help(topic) => Outcome::from(help(topic.as_deref())),
            Command::Stat(None) => Outcome::from(self.status()),
            // Without a transfer running, ABOR only forgets the data setup.
            Command::Abor => {
                self.data = None;
                Outcome::reply(225, "No transfer to abort")
            }
            Command::Unknown { verb, .. } => Outcome::reply(500, format!("Unknown command {verb}")),
            other => self.logged_in_command(other, rename_from),
        }
    }

    /// The commands that need a login and a jail.
    fn logged_in_command(&mut self, command: Command, rename_from: Option<VirtualPath>) -> Outcome {
        let Login::In { account, jail } = &self.login else {
            return Outcome::reply(530, "Please log in with USER and PASS");
        };
        let (account, jail) = (account.clone(), jail.clone());
        let writable = account.access == Access::ReadWrite;
        let ctx = Ctx {
            account: &account,
            jail: &jail,
            writable,
        };
        match command {
            Command::Cwd(path) => self.cwd(&ctx, path.as_bytes()),
            Command::Cdup => self.cwd(&ctx, b".."),
            Command::Pwd => Outcome::reply(
                257,
                format!("{} is the current directory", quoted(&self.cwd)),
            ),
            Command::Mkd(path) => self.mkd(&ctx, path.as_bytes()),
            Command::Rmd(path) => self.rmd(&ctx, path.as_bytes()),
            Command::Dele(path) => self.dele(&ctx, path.as_bytes()),
            Command::Rnfr(path) => self.rnfr(&ctx, path.as_bytes()),
            Command::Rnto(path) => self.rnto(&ctx, rename_from, path.as_bytes()),
            Command::Size(path) => self.size(&ctx, path.as_bytes()),
            Command::Mdtm(path) => self.mdtm(&ctx, path.as_bytes()),
            Command::Mfmt { time, path } => self.mfmt(&ctx, &time, path.as_bytes()),
            Command::Site(arg) => self.site(&ctx, &arg),
            Command::Retr(path) => self.retr(&ctx, path.as_bytes()),
            Command::Stor(path) => self.stor(&ctx, path.as_bytes(), "STOR"),
            Command::Appe(path) => self.stor(&ctx, path.as_bytes(), "APPE"),
            Command::Stou => self.stou(&ctx),
            Command::List(arg) => self.list(
                &ctx,
                arg.as_ref().map_or(&[][..], |a| a.as_bytes()),
                ListCommand::List,
            ),
            Command::Nlst(arg) => self.list(
                &ctx,
                arg.as_ref().map_or(&[][..], |a| a.as_bytes()),
                ListCommand::Nlst,
            ),
            Command::Mlsd(arg) => self.list(
                &ctx,
                arg.as_ref().map_or(&[][..], |a| a.as_bytes()),
                ListCommand::Mlsd,
            ),
            Command::Mlst(arg) => self.mlst(&ctx, arg.as_ref().map_or(&[][..], |a| a.as_bytes())),
            Command::Stat(Some(path)) => self.stat_path(&ctx, path.as_bytes()),
            other => Outcome::reply(502, format!("{} not implemented", other.verb())),
        }
    }

    fn logged_in(&self) -> bool {
        matches!(self.login, Login::In { .. })
    }

    // ---- access control ----

    fn user_command(&mut self, name: String) -> Outcome {
        if self.logged_in() {
            return Outcome::reply(503, "Already logged in; use REIN to change user");
        }
        // The same 331 whether or not the user exists: names cannot be probed.
        let text = if crate::auth::is_anonymous_name(&name) {
            "Anonymous login: send your e-mail address as password".to_string()
        } else {
            format!("Password required for {name}")
        };
        self.login = Login::User(name);
        Outcome::reply(331, text)
    }

    fn pass(&mut self, password: &str) -> Outcome {
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
        match Jail::new(&root) {
            Ok(jail) => {
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
                self.login = Login::In { account, jail };
                self.cwd = VirtualPath::root();
                Outcome::reply(230, text)
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

    fn rein(&mut self) -> Outcome {
        let config = Arc::clone(&self.config);
        let failures = self.failures;
        *self = Session::new(config, self.peer, self.local);
        self.failures = failures;
        Outcome::reply(220, "Session reset; log in again")
    }

    fn host(&mut self, name: String) -> Outcome {
        if !matches!(self.login, Login::Waiting) {
            return Outcome::reply(503, "HOST must come before USER");
        }
        let reply = Reply::new(220, format!("Host {name} accepted"));
        self.host = Some(name);
        Outcome::from(reply)
    }

    // ---- transfer parameters ----

    fn set_type(&mut self, kind: TransferType) -> Outcome {
        use ftp_core::command::TextFormat::NonPrint;
        self.repr = match kind {
            TransferType::Ascii(None | Some(NonPrint)) => Representation::Ascii,
            TransferType::Image | TransferType::Local(8) => Representation::Binary,
            other => return Outcome::reply(504, format!("TYPE {other} not supported; use A or I")),
        };
        Outcome::reply(200, format!("Type set to {kind}"))
    }

    fn rest(&mut self, offset: u64) -> Outcome {
        self.rest = Some(offset);
        Outcome::reply(
            350,
            format!("Restarting at {offset}; send RETR, STOR or APPE"),
        )
    }

    fn active(&mut self, addr: SocketAddr, verb: &'static str) -> Outcome {
        if !self.config.active {
            return Outcome::reply(
                502,
                "Active mode is turned off on this server; use PASV or EPSV",
            );
        }
        if self.epsv_all {
            return Outcome::reply(503, format!("{verb} not allowed after EPSV ALL"));
        }
        match check_active_target(addr, self.peer) {
            Ok(addr) => {
                self.data = Some(DataSetup::Active { addr, verb });
                Outcome::reply(200, format!("{verb} command successful"))
            }
            Err(reason) => {
                log::warn!("{}: {verb} refused: {reason}", self.peer);
                self.data = None;
                Outcome::reply(501, format!("{verb} refused: {reason}"))
            }
        }
    }

    fn passive(&mut self, kind: PassiveKind) -> Outcome {
        if !self.config.passive {
            return Outcome::reply(
                502,
                "Passive mode is turned off on this server; use PORT or EPRT",
            );
        }
        if kind == PassiveKind::Pasv && self.epsv_all {
            return Outcome::reply(503, "PASV not allowed after EPSV ALL");
        }
        if kind == PassiveKind::Pasv && self.local.is_ipv6() {
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
                kind,
            },
        }
    }

    fn epsv(&mut self, arg: Option<EpsvArg>) -> Outcome {
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
            _ => self.passive(PassiveKind::Epsv),
        }
    }

    /// The reply once the connection listens on `listening` for `kind`.
    pub fn passive_opened(&mut self, kind: PassiveKind, listening: SocketAddr) -> Reply {
        self.data = Some(DataSetup::Passive(kind));
        match kind {
            PassiveKind::Epsv => Reply::new(229, format_epsv_reply(listening.port())),
            PassiveKind::Pasv => {
                let ip = match (self.config.pasv_address, listening) {
                    (Some(ip), _) => ip,
                    (None, SocketAddr::V4(addr)) => *addr.ip(),
                    (None, SocketAddr::V6(_)) => {
                        self.data = None;
                        return Reply::new(425, "PASV is IPv4 only; use EPSV");
                    }
                };
                Reply::new(
                    227,
                    format_pasv_reply(SocketAddrV4::new(ip, listening.port())),
                )
            }
        }
    }

    /// The reply when listening failed.
    pub fn passive_failed(&mut self, err: &ftp_core::Error) -> Reply {
        self.data = None;
        Reply::new(425, format!("Cannot open passive connection: {err}"))
    }

    // ---- information ----

    fn features(&self) -> Reply {
        let mut lines = vec!["Features:".to_string()];
        let features = [
            "EPRT".to_string(),
            "EPSV".to_string(),
            "HOST".to_string(),
            "MDTM".to_string(),
            "MFMT".to_string(),
            self.facts.feat_line(),
            "PASV".to_string(),
            "REST STREAM".to_string(),
            "SIZE".to_string(),
            "TVFS".to_string(),
            "UTF8".to_string(),
        ];
        lines.extend(features.iter().map(|feature| format!(" {feature}")));
        lines.push("End".to_string());
        Reply::multiline(211, lines)
    }

    fn opts(&mut self, option: &str) -> Outcome {
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

    fn status(&self) -> Reply {
        let user = match &self.login {
            Login::In { account, .. } => {
                format!("Logged in as {} ({})", account.name, account.access)
            }
            _ => "Not logged in".to_string(),
        };
        let kind = match self.repr {
            Representation::Ascii => "ASCII",
            Representation::Binary => "BINARY",
        };
        let data = match self.data {
            None => "No data connection set up".to_string(),
            Some(DataSetup::Active { addr, verb }) => {
                format!("Active ({verb}): will connect to {addr}")
            }
            Some(DataSetup::Passive(kind)) => format!("Passive ({}): listening", kind.verb()),
        };
        let host = self
            .host
            .as_deref()
            .map_or(String::new(), |host| format!(" to host {host}"));
        let lines = vec![
            "FTP server status:".to_string(),
            format!(" Connected from {}{host}", self.peer),
            format!(" {user}"),
            format!(" TYPE: {kind}, STRU: File, MODE: Stream"),
            format!(" {data}"),
            "End of status".to_string(),
        ];
        Reply::multiline(211, lines)
    }

    /// The data setup for a transfer, used up; 425 when there is none.
    fn take_data(&mut self) -> Result<DataSetup, Outcome> {
        self.data
            .take()
            .ok_or_else(|| Outcome::reply(425, "Use PORT, EPRT, PASV or EPSV first"))
    }
}

/// The logged-in account and its jail, for the commands that need them.
struct Ctx<'a> {
    account: &'a Account,
    jail: &'a Jail,
    writable: bool,
}

/// LIST, NLST or MLSD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListCommand {
    List,
    Nlst,
    Mlsd,
}

/// Which commands are answered before login (RFC 959, RFC 7151 for HOST).
fn allowed_before_login(command: &Command) -> bool {
    matches!(
        command,
        Command::User(_)
            | Command::Pass(_)
            | Command::Quit
            | Command::Feat
            | Command::Help(_)
            | Command::Syst
            | Command::Host(_)
            | Command::Noop
            | Command::Unknown { .. }
    )
}

/// Checks a PORT/EPRT address against the rules of RFC 2577: only the control
/// connection's peer, only ports from 1024. Returns the address to connect to.
///
/// An unspecified address (`EPRT |2|::|port|` or `|1|0.0.0.0|port|`, which
/// some clients behind NAT send) is taken to mean "my address", the control
/// peer's: connecting there is exactly what the bounce rule allows, so it
/// costs nothing in safety and lets those clients work.
pub fn check_active_target(addr: SocketAddr, peer: IpAddr) -> Result<SocketAddr, String> {
    let ip = addr.ip().to_canonical();
    let ip = if ip.is_unspecified() { peer } else { ip };
    if ip != peer {
        return Err(format!(
            "{ip} is not the client's address {peer} (no FTP bounce)"
        ));
    }
    if addr.port() < 1024 {
        return Err(format!("port {} is below 1024", addr.port()));
    }
    Ok(SocketAddr::new(ip, addr.port()))
}

/// A path in double quotes, with any `"` in it doubled (RFC 959 appendix II).
fn quoted(path: &VirtualPath) -> String {
    format!("\"{}\"", path.to_string().replace('"', "\"\""))
}

/// The HELP reply: the command list, or whether one command is known.
fn help(topic: Option<&str>) -> Reply {
    const VERBS: &str = "ABOR ACCT ALLO APPE CDUP CWD DELE EPRT EPSV FEAT HELP HOST LIST MDTM \
                         MFMT MKD MLSD MLST MODE NLST NOOP OPTS PASS PASV PORT PWD QUIT REIN \
                         REST RETR RMD RNFR RNTO SITE SIZE SMNT STAT STOR STOU STRU SYST TYPE \
                         USER XCUP XCWD XMKD XPWD XRMD";
    match topic {
        None => {
            let mut lines = vec!["The following commands are recognized:".to_string()];
            let words: Vec<&str> = VERBS.split_whitespace().collect();
            lines.extend(words.chunks(10).map(|row| format!(" {}", row.join(" "))));
            lines.push("Help OK".to_string());
            Reply::multiline(214, lines)
        }
        Some(topic) => {
            let verb = topic.trim().to_ascii_uppercase();
            if VERBS.split_whitespace().any(|known| known == verb) {
                Reply::new(214, format!("{verb} is recognized"))
            } else {
                Reply::new(502, format!("Unknown command {verb}"))
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
