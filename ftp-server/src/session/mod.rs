//! The per-session state machine: a [`Command`] in, an [`Outcome`] out.
//!
//! [`Session::handle`] decides the reply to each command and changes the
//! session's state (login, working directory, TYPE, REST offset, RNFR name,
//! the data connection set up by PORT/EPRT/PASV/EPSV). When the network has
//! to do something, the outcome carries an [`Action`] for [`crate::conn`]:
//! open a passive listener, run a transfer, close the connection.
//!
//! The session never touches a socket, so every rule here is unit-tested
//! with plain values. It asks [`crate::storage`] about files — commands
//! like CWD, MKD or RETR can only be answered by looking at them (those
//! tests use scratch directories) — and never calls `std::fs` itself. The file-system
//! commands live in `files.rs`, the transfer commands in `transfers.rs`;
//! `login.rs`, `data.rs` and `info.rs` hold access control, transfer
//! parameters and informational replies.
//!
//! What it does not do: read or write the control connection, open data
//! connections, sleep (a failed login asks `conn` for the delay), or know
//! whether a transfer is running (`conn` answers ABOR and STAT during one).

mod data;
mod events;
mod files;
mod info;
mod login;
#[cfg(feature = "tls")]
mod tls;
mod transfers;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ftp_core::protocol::command::{PathArg, Structure, TransferMode};
use ftp_core::protocol::data_setup::DataCommand;
use ftp_core::protocol::listing::Facts;
use ftp_core::Representation;
use ftp_core::{Command, Reply};

use crate::auth::{Access, Account};
use crate::config::Config;
use crate::list::Lines;
use crate::quirks::Quirk;

use crate::storage::{OpenFile, Storage, Upload, VirtualPath};
pub use events::{DataFailure, Refusal, TransferEnd};

/// What the session answers, and what the connection must do about it.
#[derive(Debug)]
pub struct Outcome {
    /// The reply to send now, if any (an [`Action::OpenPassive`] gets its
    /// reply from [`Session::passive_opened`] instead; an
    /// [`Action::Transfer`]'s, its 150, goes out once the data connection is
    /// open).
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
    /// [`Session::passive_opened`] or [`Session::data_failed`].
    OpenPassive {
        /// The local address to listen on (the control connection's).
        ip: IpAddr,
        /// PASV or EPSV.
        command: DataCommand,
    },
    /// Open the data connection and move data (the reply is the 150).
    Transfer(Box<Transfer>),
    /// Send a 213 listing on the control connection, a line at a time.
    StatusListing(Box<StatusListing>),
    /// Run the TLS handshake on the control connection (after the 234 to
    /// AUTH TLS); a failed one ends the session.
    #[cfg(feature = "tls")]
    StartTls,
    /// CCC: send close_notify, then go on in the clear (after the 200).
    #[cfg(feature = "tls")]
    ClearControl,
}

/// A `213` multi-line reply whose middle lines are a listing, rendered as
/// they are sent (STAT with a path).
#[derive(Debug)]
pub struct StatusListing {
    /// The first line's text (`213-...`).
    pub first: String,
    /// The middle lines, CRLF-terminated.
    pub lines: Lines,
    /// The last line's text (`213 ...`).
    pub last: String,
}

/// How the next data connection will be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSetup {
    /// The server connects to the client.
    Active {
        /// `PORT` or `EPRT`.
        command: DataCommand,
        /// The checked address to connect to.
        addr: SocketAddr,
    },
    /// The client connects to the listener the connection holds (`PASV` or
    /// `EPSV`).
    Passive(DataCommand),
}

impl DataSetup {
    /// The command that set it up.
    pub fn command(self) -> DataCommand {
        match self {
            DataSetup::Active { command, .. } | DataSetup::Passive(command) => command,
        }
    }
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
    SendFile {
        /// The open file.
        file: OpenFile,
        /// How many bytes are left to send from the offset (as of opening).
        len: u64,
    },
    /// A listing, rendered with CRLF line ends as it is sent.
    SendListing(Lines),
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
    In { account: Account, storage: Storage },
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
    /// False on a pipe: `peer` is a stand-in, and active mode is refused.
    peer_known: bool,
    /// AUTH, PBSZ, PROT.
    #[cfg(feature = "tls")]
    tls: tls::TlsState,
}

impl Session {
    /// A session for a client at `peer`, connected to our address `local`.
    /// IPv4-mapped IPv6 addresses are taken as the IPv4 addresses they are.
    pub fn new(config: Arc<Config>, peer: IpAddr, local: IpAddr) -> Session {
        Session {
            #[cfg(feature = "tls")]
            tls: tls::TlsState::new(config.tls.is_some()),
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
            peer_known: true,
        }
    }

    /// The same session for a client whose address cannot be known (a
    /// pipe): PORT and EPRT are refused, since no target can be checked
    /// against the client's address (no FTP bounce, even into localhost).
    pub fn with_unknown_peer(mut self) -> Session {
        self.peer_known = false;
        self
    }

    /// The 220 greeting; with quirks on, its first lines name them.
    pub fn greeting(&self) -> Reply {
        let mut lines = self.config.quirks.greeting_lines();
        lines.push("ftp-server ready".to_string());
        Reply::multiline(220, lines)
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
        if self.unknown_by_quirk(&command) {
            return Outcome::reply(500, format!("Unknown command {}", command.verb()));
        }
        #[cfg(feature = "tls")]
        if let Some(outcome) = self.tls_command(&command) {
            return outcome;
        }
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
            Command::Port(addr) => self.active(SocketAddr::V4(addr), DataCommand::Port),
            Command::Eprt(addr) => self.active(addr, DataCommand::Eprt),
            Command::Pasv => self.passive(DataCommand::Pasv),
            Command::Epsv(arg) => self.epsv(arg),
            Command::Rest(offset) => self.rest(offset),
            Command::Allo { .. } => Outcome::reply(202, "No storage allocation necessary"),
            // Information.
            Command::Syst => Outcome::reply(215, "UNIX Type: L8"),
            Command::Noop => Outcome::reply(200, "NOOP ok"),
            Command::Feat => Outcome::from(self.features()),
            Command::Opts(option) => self.opts(&option),
            Command::Help(topic) => Outcome::from(self.help(topic.as_deref())),
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

    /// The commands that need a login and a root.
    fn logged_in_command(&mut self, command: Command, rename_from: Option<VirtualPath>) -> Outcome {
        let Login::In { account, storage } = &self.login else {
            return Outcome::reply(530, "Please log in with USER and PASS");
        };
        let (account, storage) = (account.clone(), storage.clone());
        let writable = account.access == Access::ReadWrite;
        let ctx = Ctx {
            account: &account,
            storage: &storage,
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
            Command::Mfmt { time, path } => self.mfmt(&ctx, time, path.as_bytes()),
            Command::Site(arg) => self.site(&ctx, &arg),
            Command::Retr(path) => self.retr(&ctx, path.as_bytes()),
            Command::Stor(path) => self.stor(&ctx, path.as_bytes(), "STOR"),
            Command::Appe(path) => self.stor(&ctx, path.as_bytes(), "APPE"),
            Command::Stou => self.stou(&ctx),
            Command::List(arg) => self.list(&ctx, optional(&arg), ListCommand::List),
            Command::Nlst(arg) => self.list(&ctx, optional(&arg), ListCommand::Nlst),
            Command::Mlsd(arg) => self.list(&ctx, optional(&arg), ListCommand::Mlsd),
            Command::Mlst(arg) => self.mlst(&ctx, optional(&arg)),
            Command::Stat(Some(path)) => self.stat_path(&ctx, path.as_bytes()),
            other => Outcome::reply(502, format!("{} not implemented", other.verb())),
        }
    }

    /// Whether a `no-*` quirk makes `command` one the server does not know.
    fn unknown_by_quirk(&self, command: &Command) -> bool {
        let quirk = match command {
            Command::Epsv(_) => Quirk::NoEpsv,
            Command::Eprt(_) => Quirk::NoEprt,
            Command::Mlsd(_) | Command::Mlst(_) => Quirk::NoMlsd,
            Command::Feat => Quirk::NoFeat,
            _ => return false,
        };
        self.config.quirks.has(quirk)
    }

    fn logged_in(&self) -> bool {
        matches!(self.login, Login::In { .. })
    }
}

/// The logged-in account and its storage, for the commands that need them.
struct Ctx<'a> {
    account: &'a Account,
    storage: &'a Storage,
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

/// An optional path argument's bytes; empty when there is none (the
/// working directory).
fn optional(arg: &Option<PathArg>) -> &[u8] {
    arg.as_ref().map_or(&[], PathArg::as_bytes)
}

/// A path in double quotes, with any `"` in it doubled (RFC 959 appendix II).
fn quoted(path: &VirtualPath) -> String {
    ftp_core::protocol::reply::quote_path(&path.to_string())
}

#[cfg(test)]
pub(crate) mod tests;
