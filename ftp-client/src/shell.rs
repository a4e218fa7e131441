//! The command interpreter of `ftp-client`, after BSD ftp / tnftp: `open`,
//! `user`, `ls`, `get`, `put`, `mget`, ... read one line at a time from a
//! terminal (with an `ftp> ` prompt) or from a script on stdin (batch).
//!
//! Conventions kept from BSD ftp: commands may be abbreviated; `verbose` (on
//! by default, in batch mode too) shows the server's replies on stdout as
//! they come; `-d` adds the commands sent (`---> `) on stderr, and shows
//! the replies there (`<--- `) only when verbose is off; a failing
//! command does not stop a script, but makes the exit status 1; `mget`,
//! `mput` and `mdelete` ask before each file only on a terminal; after login
//! the transfer type is binary. Downloads by `mget` are saved under the base
//! name of each remote name, so a server cannot make the client write outside
//! the current directory.
//!
//! The commands tnftp has beyond the classic ones (`mls`, `reput`, `macdef`,
//! `$`, `!`, ...) run in the `tnftp` and `remote` submodules.
//!
//! On a terminal, lines are read with a small editor and history
//! ([`editor`]), and Ctrl-C aborts a transfer ([`interrupt`]) or the line
//! being typed instead of ending the program.
//!
//! Not supported: proxy connections and completion.

pub mod command;
pub mod editor;
pub mod fetch;
pub mod glob;
pub mod interrupt;
pub mod keys;
pub mod macros;
mod matches;
pub mod mirror;
pub mod prompt;
pub mod rate;
mod remote;
pub mod secure;
pub mod settings;
pub mod stall;
pub mod status;
mod tnftp;
pub mod trace;
pub mod transfer;

use std::fmt;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::Path;
use std::rc::Rc;
use std::time::SystemTime;

use ftp_core::protocol::listing;
use ftp_core::protocol::time::DateTime;

use self::command::{ListKind, ShellCommand, Toggle, COMMANDS};
use self::editor::Edited;
use self::prompt::Confirm;
use self::secure::Control;
use self::trace::Trace;
use self::transfer::{Destination, Feedback, Store};
use crate::client::{Client, DataMode, Error, IpFamily, Options, Representation};
use crate::netrc::Netrc;
use crate::terminal::{self, Escaped};
use crate::url::DEFAULT_PORT;

/// Bytes per hash mark unless the user chooses (`hash SIZE`).
const DEFAULT_HASH_SIZE: u64 = 1024;

/// Why a shell command failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ShellError {
    /// The line is not a valid command.
    Parse(command::ParseError),
    /// The command needs a connection and there is none.
    NotConnected,
    /// `open` while connected.
    AlreadyConnected(String),
    /// The client library's error (the server's refusal, a timeout, ...).
    Client(Error),
    /// A local problem: a file that cannot be opened, no match for a pattern.
    Local(String),
    /// An error about the local file `name` (an upload's read that failed).
    About {
        /// The local file.
        name: String,
        /// What went wrong.
        error: Box<ShellError>,
    },
    /// The user interrupted a transfer with Ctrl-C (the message was shown then).
    Interrupted,
    /// The server refused, and its reply was shown already (`idle`, which
    /// shows the reply whatever the verbose setting).
    Shown,
}

impl ShellError {
    /// A local error about `what` (a path, `stdin`, ...).
    pub fn local(what: &str, err: io::Error) -> ShellError {
        ShellError::Local(format!("{what}: {err}"))
    }

    /// Whether the control connection is gone or unusable after this error.
    fn ends_session(&self) -> bool {
        let err = match self {
            ShellError::Client(err) => err,
            ShellError::About { error, .. } => return error.ends_session(),
            _ => return false,
        };
        match err {
            Error::Reply(reply) => reply.code.0 == 421,
            Error::Core(ftp_core::Error::ConnectionClosed)
            | Error::Core(ftp_core::Error::Timeout(ftp_core::Phase::Reply))
            | Error::Core(ftp_core::Error::ReplyTooLong { .. })
            | Error::Core(ftp_core::Error::LineTooLong { .. })
            | Error::ReplyDeadline { .. } => true,
            Error::Core(ftp_core::Error::Io(io)) => matches!(
                io.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::UnexpectedEof
            ),
            _ => false,
        }
    }
}

impl fmt::Display for ShellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShellError::Parse(err) => write!(f, "{err}"),
            ShellError::NotConnected => f.write_str("not connected (use open)"),
            ShellError::AlreadyConnected(host) => {
                write!(f, "already connected to {host}, use close first")
            }
            ShellError::Client(err) => write!(f, "{err}"),
            ShellError::Local(message) => f.write_str(message),
            ShellError::About { name, error } => write!(f, "{name}: {error}"),
            ShellError::Interrupted => f.write_str("interrupted"),
            ShellError::Shown => f.write_str("the server refused"),
        }
    }
}

impl std::error::Error for ShellError {}

impl From<Error> for ShellError {
    fn from(err: Error) -> ShellError {
        ShellError::Client(err)
    }
}

impl From<command::ParseError> for ShellError {
    fn from(err: command::ParseError) -> ShellError {
        ShellError::Parse(err)
    }
}

/// How the shell starts: the program's options.
#[derive(Debug)]
pub struct Config {
    /// `-4` / `-6`: the address family to connect with.
    pub family: Option<IpFamily>,
    /// Timeouts and the data mode (`-A` / `-p`).
    pub options: Options,
    /// Log in right after `open` (off with `-n`).
    pub auto_login: bool,
    /// Stdin is a terminal: show the `ftp> ` prompt and ask before each file.
    pub interactive: bool,
    /// Draw the progress meter (stderr is a terminal).
    pub meter: bool,
    /// Credentials for auto-login and `user` without a password.
    pub netrc: Option<Netrc>,
    /// The tnftp settings the flags start with.
    pub settings: settings::Settings,
    /// `--tls`, `--cacert`, `--insecure`: FTPS (with the `tls` feature).
    pub tls: secure::Tls,
    /// `-q`: the quit time, also in `options` as the per-read and per-write
    /// timeouts. A stall that long closes the connection and, when not
    /// interactive, ends the shell ([`stall`]).
    pub quit_time: Option<std::time::Duration>,
}

/// The open session: the client and the host name it was opened with.
struct Session {
    client: Client<Control>,
    host: String,
}

/// The command interpreter.
pub struct Shell {
    config: Config,
    trace: Rc<Trace>,
    input: Box<dyn BufRead>,
    session: Option<Session>,
    transfer_type: Representation,
    prompt: bool,
    hash: bool,
    hash_size: u64,
    failed: bool,
    /// A stall (`-q`) ended a script: no more commands are read.
    quit: bool,
    /// The last transfer was interrupted by Ctrl-C: `mget` and `mput` stop.
    interrupted: bool,
}

impl fmt::Debug for Shell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shell")
            .field("config", &self.config)
            .field("connected", &self.session.as_ref().map(|s| &s.host))
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Shell {
    /// A shell reading commands (and answers to its questions) from `input`,
    /// showing the protocol as `trace` says.
    /// On a terminal, with line editing on, every line of `input` is read
    /// through the line editor ([`editor::TerminalInput`]).
    pub fn new(config: Config, trace: Rc<Trace>, input: Box<dyn BufRead>) -> Shell {
        let prompt = config.settings.prompt;
        let input = if config.interactive && config.settings.editing {
            Box::new(editor::TerminalInput::new(input))
        } else {
            input
        };
        Shell {
            config,
            trace,
            input,
            session: None,
            transfer_type: Representation::Binary,
            prompt,
            hash: false,
            hash_size: DEFAULT_HASH_SIZE,
            failed: false,
            quit: false,
            interrupted: false,
        }
    }

    /// Runs `first` (the `open` of `ftp-client host`), then every command
    /// of the input until `bye` or its end. Returns whether any command failed.
    pub fn run(mut self, first: Option<ShellCommand>) -> bool {
        if let Some(command) = first {
            self.attempt(command);
        }
        while !self.quit {
            let line = match self.read_command() {
                Ok(Edited::Line(line)) => line,
                Ok(Edited::Interrupted) => continue,
                Ok(Edited::End) => break,
                Err(err) => {
                    self.report(&ShellError::local("stdin", err));
                    break;
                }
            };
            if line.contains('\x1b') {
                // Arrow keys typed where the editor could not run.
                self.report(&ShellError::Local(
                    "that line holds terminal escape sequences (arrow keys?); \
                     line editing is not available here, type the command again"
                        .into(),
                ));
                continue;
            }
            match ShellCommand::parse(&line) {
                Ok(None) => {}
                Ok(Some(ShellCommand::Bye)) => break,
                Ok(Some(command)) => self.attempt(command),
                Err(err) => self.report(&err.into()),
            }
        }
        if let Err(err) = self.close() {
            self.report(&err);
        }
        self.failed
    }

    /// The next command line: from the line editor on a terminal, else (with
    /// `-e`, or when the terminal cannot be switched) a plain line of the input.
    fn read_command(&mut self) -> io::Result<Edited> {
        if self.config.interactive {
            if self.config.settings.editing {
                if let Some(edited) = editor::with(|editor| editor.read_line("ftp> ", true))? {
                    return Ok(edited);
                }
            }
            print!("ftp> ");
            let _ = io::stdout().flush();
        }
        Ok(prompt::read_line(&mut self.input)?.map_or(Edited::End, Edited::Line))
    }

    /// Runs one command and reports its failure.
    fn attempt(&mut self, command: ShellCommand) {
        if let Err(err) = self.execute(command) {
            self.report(&err);
        }
    }

    /// Shows a failure on stderr (unless the server's refusal was just shown
    /// in verbose mode), remembers it for the exit status, and drops a
    /// connection the failure ended.
    fn report(&mut self, err: &ShellError) {
        self.failed = true;
        if let (Some(limit), Some(what)) = (self.config.quit_time, stall::stalled(err)) {
            let host = self.session.take().map(|session| session.host);
            let host = host.as_deref().unwrap_or("the server");
            eprintln!("ftp-client: {}", stall::message(what, limit, host));
            self.quit = !self.config.interactive;
            return;
        }
        let shown = matches!(err, ShellError::Client(Error::Reply(_))) && self.trace.verbose.get()
            || matches!(err, ShellError::Interrupted | ShellError::Shown);
        if !shown {
            eprintln!(
                "ftp-client: {}",
                terminal::escape(err.to_string().as_bytes())
            );
        }
        if err.ends_session() {
            if let Some(session) = self.session.take() {
                eprintln!(
                    "ftp-client: lost the connection to {host}; `open {host}` connects again",
                    host = session.host
                );
            }
        }
    }

    /// The open session's client.
    fn client(&mut self) -> Result<&mut Client<Control>, ShellError> {
        self.session
            .as_mut()
            .map(|session| &mut session.client)
            .ok_or(ShellError::NotConnected)
    }

    /// What transfers show: hash marks when on, else the meter on a terminal.
    fn feedback(&self) -> Feedback {
        Feedback {
            meter: self.config.meter && !self.hash,
            hash: self.hash.then_some(self.hash_size),
            rates: self.config.settings.rates,
        }
    }

    fn execute(&mut self, command: ShellCommand) -> Result<(), ShellError> {
        use ShellCommand as C;
        match command {
            C::Open { host, port } => self.open(&host, port.unwrap_or(DEFAULT_PORT)),
            C::User { name, password } => self.user(&name, password),
            C::Close | C::Bye => self.close(),
            C::Pwd => {
                let path = self.client()?.pwd()?;
                self.say(&format!("Remote directory: {path}"));
                Ok(())
            }
            C::Cd(dir) => Ok(self.client()?.cwd(&dir)?),
            C::Cdup => Ok(self.client()?.cdup()?),
            C::Lcd(dir) => lcd(dir.as_deref()),
            C::List { kind, path, output } => self.list(kind, path.as_deref(), output.as_deref()),
            C::Mkdir(dir) => {
                self.client()?.mkdir(&dir)?;
                Ok(())
            }
            C::Rmdir(dir) => Ok(self.client()?.rmdir(&dir)?),
            C::Delete(file) => Ok(self.client()?.delete(&file)?),
            C::Mdelete(patterns) => self.mdelete(&patterns),
            C::Rename(from, to) => Ok(self.client()?.rename(&from, &to)?),
            C::Get {
                remote,
                local,
                resume,
            } => {
                let local = match local {
                    Some(local) => local,
                    None => save_as(&remote)?.to_string(),
                };
                self.get(&remote, &Destination::from_name(&local, resume))
            }
            C::Put {
                local,
                remote,
                append,
            } => {
                let remote = remote.unwrap_or_else(|| base_name(&local).to_string());
                self.put(&local, &remote, append)
            }
            C::Mget(patterns) => self.mget(&patterns),
            C::Mirror(words) => mirror::run(self.client()?, &words),
            C::Mput(patterns) => self.mput(&patterns),
            C::Size(file) => {
                let size = self.client()?.size(&file)?;
                self.say(&format!("{file}\t{size}"));
                Ok(())
            }
            C::Modtime(file) => {
                let time = self.client()?.mdtm(&file)?;
                println!("{file}\t{}", readable_time(time));
                Ok(())
            }
            C::Type(transfer_type) => self.set_type(transfer_type),
            C::Passive(toggle) => {
                self.passive(toggle);
                Ok(())
            }
            C::Prompt(toggle) => {
                self.prompt = toggle.apply(self.prompt);
                println!("Interactive mode {}.", on_off(self.prompt));
                Ok(())
            }
            C::Hash(toggle, size) => {
                self.hash = toggle.apply(self.hash);
                self.hash_size = size.unwrap_or(self.hash_size);
                println!(
                    "Hash mark printing {} ({} bytes/hash mark).",
                    on_off(self.hash),
                    self.hash_size
                );
                Ok(())
            }
            C::Verbose(toggle) => {
                flip(&self.trace.verbose, toggle);
                println!("Verbose mode {}.", on_off(self.trace.verbose.get()));
                Ok(())
            }
            C::Debug(toggle) => {
                flip(&self.trace.debug, toggle);
                println!("Debugging {}.", on_off(self.trace.debug.get()));
                Ok(())
            }
            C::Explain(toggle) => {
                flip(&self.trace.explain, toggle);
                println!(
                    "Explaining data connections {}.",
                    on_off(self.trace.explain.get())
                );
                Ok(())
            }
            C::Status => {
                self.status();
                Ok(())
            }
            C::Ccc => {
                secure::ccc(self.client()?)?;
                self.trace.note("The control connection is clear again.");
                Ok(())
            }
            C::Features => {
                let features = self.client()?.feat()?;
                self.say(&features.lines().join("\n"));
                Ok(())
            }
            C::Quote(line) => {
                let reply = self.client()?.raw(&line)?;
                self.say(&reply.to_string());
                if reply.code.class() >= 4 {
                    return Err(Error::Reply(reply).into());
                }
                Ok(())
            }
            C::Site(args) => {
                let reply = self.client()?.site(&args)?;
                self.say(&reply.to_string());
                Ok(())
            }
            C::Help(name) => help(name.as_deref()),
            other => self.execute_tnftp(other),
        }
    }

    /// Prints `text` (the server's, so escaped) on stdout unless verbose mode
    /// has shown the reply that carries the same information.
    fn say(&self, text: &str) {
        if !self.trace.verbose.get() {
            println!("{}", terminal::escape(text.as_bytes()));
        }
    }

    /// `open`: connects, shows the greeting, and logs in unless `-n`.
    fn open(&mut self, host: &str, port: u16) -> Result<(), ShellError> {
        if let Some(session) = &self.session {
            return Err(ShellError::AlreadyConnected(session.host.clone()));
        }
        let connected = secure::connect(
            host,
            port,
            self.config.family,
            self.config.options.clone(),
            &self.config.tls,
            false,
        );
        let mut client = match connected {
            Ok(client) => client,
            // A refusing greeting (421, or anything but 220) is shown as a
            // reply is, before the failure is reported.
            Err(Error::Reply(reply)) => {
                self.trace.reply(&reply);
                return Err(Error::Reply(reply).into());
            }
            Err(err) => return Err(err.into()),
        };
        self.trace
            .note(&format!("Connected to {host} ({}).", client.peer_addr()));
        self.trace.reply(client.greeting());
        client.set_observer(self.trace.observer());
        secure::auth(&mut client, host, &self.config.tls)?;
        self.session = Some(Session {
            client,
            host: host.to_string(),
        });
        self.apply_epsv();
        if !self.config.auto_login {
            return Ok(());
        }
        if self.config.settings.anonymous {
            let password = self
                .config
                .settings
                .variable("anonpass")
                .map(str::to_string);
            self.user("anonymous", password)?;
        } else {
            let name = match self.netrc_entry(host).and_then(|entry| entry.login) {
                Some(login) => login,
                None => self.ask_name(host)?,
            };
            self.user(&name, None)?;
        }
        self.run_init_macro(host);
        Ok(())
    }

    /// The `.netrc` entry for `host`, if any.
    fn netrc_entry(&self, host: &str) -> Option<crate::netrc::Credentials> {
        self.config.netrc.as_ref()?.find(host).cloned()
    }

    /// Asks `Name (host:default): `; an empty answer takes the default.
    fn ask_name(&mut self, host: &str) -> Result<String, ShellError> {
        let default = local_user();
        let answer = prompt::ask(&mut self.input, &format!("Name ({host}:{default}): "))
            .map_err(|err| ShellError::local("stdin", err))?
            .ok_or_else(|| ShellError::Local("no user name given".to_string()))?;
        let answer = answer.trim();
        Ok(if answer.is_empty() {
            default
        } else {
            answer.to_string()
        })
    }

    /// `user`: logs in, asking for the password if neither the command nor
    /// `.netrc` gives it, then sets the transfer type.
    fn user(&mut self, name: &str, password: Option<String>) -> Result<(), ShellError> {
        let host = self
            .session
            .as_ref()
            .ok_or(ShellError::NotConnected)?
            .host
            .clone();
        let from_netrc = self
            .netrc_entry(&host)
            .filter(|entry| entry.login.as_deref() == Some(name))
            .and_then(|entry| entry.password);
        let known_password = password.or(from_netrc);
        let interactive = self.config.interactive;
        let input = &mut self.input;
        let session = self.session.as_mut().ok_or(ShellError::NotConnected)?;
        // Asked only if the server answers USER with 331, as BSD ftp does.
        let ask_password = || match known_password {
            Some(password) => Ok(password),
            None => Ok(prompt::ask_password(input, "Password:", interactive)?.unwrap_or_default()),
        };
        match session.client.login_with(name, ask_password) {
            Err(Error::Core(ftp_core::Error::Io(err)))
                if err.kind() == io::ErrorKind::Interrupted =>
            {
                // Ctrl-C at the password prompt ends the session, as in tnftp.
                let _ = self.close();
                return Err(ShellError::Local(format!(
                    "login to {host} interrupted; connection closed"
                )));
            }
            other => other?,
        }
        session.client.set_type(self.transfer_type)?;
        Ok(())
    }

    /// `close`: ends the session with QUIT, if there is one.
    fn close(&mut self) -> Result<(), ShellError> {
        match self.session.take() {
            Some(session) => Ok(session.client.quit()?),
            None => Ok(()),
        }
    }

    /// `ascii`, `binary`, `type`: sets the type (sent now if connected, else
    /// after the next login) or shows it.
    fn set_type(&mut self, transfer_type: Option<Representation>) -> Result<(), ShellError> {
        if let Some(transfer_type) = transfer_type {
            if let Some(session) = self.session.as_mut() {
                session.client.set_type(transfer_type)?;
            }
            self.transfer_type = transfer_type;
        }
        let message = format!("Using {} mode to transfer files.", self.transfer_type);
        match transfer_type {
            // Asked for: always answered.
            None => println!("{message}"),
            // Set: in verbose mode the server's 200 reply already said so.
            Some(_) => self.say(&message),
        }
        Ok(())
    }

    /// `passive`: switches between passive and active data connections.
    fn passive(&mut self, toggle: Toggle) {
        let passive = toggle.apply(self.config.options.mode == DataMode::Passive);
        let mode = if passive {
            DataMode::Passive
        } else {
            DataMode::Active
        };
        self.config.options.mode = mode;
        if let Some(session) = self.session.as_mut() {
            session.client.set_mode(mode);
        }
        println!("Passive mode {}.", on_off(passive));
    }

    /// `status`: the connection, what was negotiated with the server, and
    /// every setting.
    fn status(&self) {
        match &self.session {
            Some(session) => {
                let client = &session.client;
                println!("Connected to {} ({}).", session.host, client.peer_addr());
                #[cfg(feature = "tls")]
                println!("{}", secure::protection(client));
                println!("{}", status::negotiated(client));
            }
            None => println!("Not connected."),
        }
        let settings = &self.config.settings;
        let toggles = [
            ("Verbose", self.trace.verbose.get()),
            ("Debug", self.trace.debug.get()),
            ("Explain", self.trace.explain.get()),
            ("Prompt", self.prompt),
            ("Globbing", settings.glob),
            ("Hash", self.hash),
            ("Progress meter", self.config.meter),
            ("Packet trace", self.trace.packets.get()),
            ("EPSV/EPRT on IPv4", settings.epsv4),
            ("EPSV/EPRT on IPv6", settings.epsv6),
            ("Line editing", settings.editing && self.config.interactive),
        ];
        println!(
            "Mode: {}; Type: {}; Hash mark size: {} bytes",
            self.config.options.mode, self.transfer_type, self.hash_size
        );
        println!("{}", status::toggles(&toggles));
    }

    /// `ls`, `dir`, `nlist`, `mlsd`: the listing on stdout (between the
    /// transfer's replies) or in a local file.
    fn list(
        &mut self,
        kind: ListKind,
        path: Option<&str>,
        output: Option<&str>,
    ) -> Result<(), ShellError> {
        self.interruptible("receive", |client| {
            write_listing(client, kind, path, output)
        })
    }

    /// `get` and `reget`, from the `restart` point if one is set.
    fn get(&mut self, remote: &str, destination: &Destination) -> Result<(), ShellError> {
        let destination = self.restarted(destination);
        let (feedback, trace) = (self.feedback(), Rc::clone(&self.trace));
        self.interruptible("receive", |client| {
            transfer::download(client, remote, &destination, feedback, &trace).map(drop)
        })
    }

    /// `put` and `append`, from the `restart` point if one is set.
    fn put(&mut self, local: &str, remote: &str, append: bool) -> Result<(), ShellError> {
        let store = self.store(append);
        self.upload(local, remote, store)
    }

    /// Uploads `local` to `remote` as `store` says.
    fn upload(&mut self, local: &str, remote: &str, store: Store) -> Result<(), ShellError> {
        let (feedback, trace) = (self.feedback(), Rc::clone(&self.trace));
        if Path::new(local).is_dir() {
            // Caught before STOR, so that no empty file appears on the server.
            return Err(ShellError::Local(format!("{local}: not a plain file")));
        }
        let sent = self.interruptible("send", |client| {
            transfer::upload_file(client, Path::new(local), remote, store, feedback, &trace)
                .map(drop)
        });
        sent.map_err(|err| match err {
            // The server's refusal speaks for itself; a failed read of the
            // local file (a directory, an I/O error) names it.
            ShellError::Client(Error::Reply(_)) | ShellError::Local(_) => err,
            ShellError::Client(_) => ShellError::About {
                name: local.to_string(),
                error: Box::new(err),
            },
            other => other,
        })
    }

    /// Runs `transfer` with Ctrl-C watched when the shell reads a terminal
    /// (see [`interrupt`]): Ctrl-C aborts the transfer with `ABOR`, whose
    /// replies the client reads, and the shell goes on.
    fn interruptible(
        &mut self,
        verb: &'static str,
        transfer: impl FnOnce(&mut Client<Control>) -> Result<(), ShellError>,
    ) -> Result<(), ShellError> {
        let interactive = self.config.interactive;
        let client = self.client()?;
        let watch = interactive.then(|| interrupt::Watch::start(verb)).flatten();
        client.set_abort(watch.as_ref().map(interrupt::Watch::abort_handle));
        let result = transfer(client);
        client.set_abort(None);
        self.interrupted = watch.is_some_and(interrupt::Watch::finish);
        match result {
            // The replies to ABOR are what the user asked for.
            Err(ShellError::Client(Error::Aborted)) => Err(ShellError::Interrupted),
            other => other,
        }
    }

    /// `mget`: each remote file matching the patterns, saved under its base name.
    fn mget(&mut self, patterns: &[String]) -> Result<(), ShellError> {
        let names = self.remote_matches(patterns)?;
        self.for_each_confirmed("mget", &names, |shell, remote| {
            shell.get(remote, &Destination::File(save_as(remote)?.into()))
        });
        Ok(())
    }

    /// `mput`: each local file matching the patterns, stored under its base name.
    fn mput(&mut self, patterns: &[String]) -> Result<(), ShellError> {
        self.client()?;
        let mut names = Vec::new();
        for pattern in patterns {
            if !self.config.settings.glob {
                names.push(pattern.clone());
                continue;
            }
            match glob::expand_local(pattern) {
                Ok(found) => names.extend(found),
                Err(err) => self.report(&ShellError::Local(err.to_string())),
            }
        }
        self.for_each_confirmed("mput", &names, |shell, local| {
            shell.put(local, base_name(local), false)
        });
        Ok(())
    }

    /// `mdelete`: each remote file matching the patterns.
    fn mdelete(&mut self, patterns: &[String]) -> Result<(), ShellError> {
        let names = self.remote_matches(patterns)?;
        self.for_each_confirmed("mdelete", &names, |shell, remote| {
            Ok(shell.client()?.delete(remote)?)
        });
        Ok(())
    }

    /// Runs `action` on each name the user confirms (asking only on a
    /// terminal with `prompt` on); each failure is reported and the rest go
    /// on, until a transfer is interrupted with Ctrl-C.
    fn for_each_confirmed(
        &mut self,
        verb: &str,
        names: &[String],
        mut action: impl FnMut(&mut Shell, &str) -> Result<(), ShellError>,
    ) {
        self.interrupted = false;
        let mut ask = self.config.interactive && self.prompt;
        for name in names {
            if ask {
                match prompt::confirm(&mut self.input, verb, name) {
                    Ok(Confirm::Yes) => {}
                    Ok(Confirm::No) => continue,
                    Ok(Confirm::All) => ask = false,
                    Ok(Confirm::Quit) => break,
                    Err(err) => {
                        self.report(&ShellError::local("stdin", err));
                        break;
                    }
                }
            }
            if let Err(err) = action(self, name) {
                self.report(&err);
            }
            if self.session.is_none() || std::mem::take(&mut self.interrupted) {
                break;
            }
        }
    }
}

/// `lcd`: changes the local directory (to the home directory by default).
fn lcd(dir: Option<&str>) -> Result<(), ShellError> {
    let target = match dir {
        Some(dir) => dir.to_string(),
        None => std::env::var("HOME").map_err(|_| ShellError::Local("HOME is not set".into()))?,
    };
    std::env::set_current_dir(&target).map_err(|err| ShellError::local(&target, err))?;
    let now = std::env::current_dir().map_err(|err| ShellError::local(&target, err))?;
    println!("Local directory now: {}", now.display());
    Ok(())
}

/// `help`: every command, or one command's usage and description.
fn help(name: Option<&str>) -> Result<(), ShellError> {
    match name {
        Some(name) => println!("{}", help_line(command::lookup(name)?)),
        None => {
            println!("Commands may be abbreviated. Commands are:");
            for spec in COMMANDS {
                println!("  {}", help_line(spec));
            }
        }
    }
    Ok(())
}

/// A command's usage and description, and its aliases if it has any.
fn help_line(spec: &command::Spec) -> String {
    let line = format!("{:<40} {}", spec.usage(), spec.help);
    match &spec.names[1..] {
        [] => line,
        aliases => format!("{line} (also: {})", aliases.join(", ")),
    }
}

/// Sets a shared switch as `toggle` says.
fn flip(switch: &std::cell::Cell<bool>, toggle: Toggle) {
    switch.set(toggle.apply(switch.get()));
}

/// The last component of a path (`dir/file.txt` → `file.txt`).
fn base_name(path: &str) -> &str {
    glob::split_dir(path).1
}

/// The local name a download of `remote` is saved under by default: its
/// base name, which keeps it in the current directory.
fn save_as(remote: &str) -> Result<&str, ShellError> {
    match base_name(remote) {
        "" | "." | ".." => Err(ShellError::Local(format!(
            "{remote}: no file name to save it under"
        ))),
        name => Ok(name),
    }
}

/// The local user's name, the default for the `Name` question: `$USER`,
/// `$LOGNAME`, or the name of the process's user in `/etc/passwd`, as tnftp
/// offers; `anonymous` only when none is known.
fn local_user() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|name| !name.is_empty()))
        .or_else(|| {
            let uid = crate::netrc::own_uid().ok()?;
            passwd_name(&std::fs::read_to_string("/etc/passwd").ok()?, uid)
        })
        .unwrap_or_else(|| "anonymous".to_string())
}

/// The name of user `uid` in `/etc/passwd` text (`name:x:uid:...`).
fn passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let found = fields.nth(1)?.parse::<u32>().ok()? == uid;
        (found && !name.is_empty()).then(|| name.to_string())
    })
}

fn on_off(value: bool) -> &'static str {
    if value {
        "on"
    } else {
        "off"
    }
}

/// MLSD entries as `ls -l`-style lines.
fn long_lines(entries: &[crate::client::Entry]) -> Vec<String> {
    let now = SystemTime::now();
    entries
        .iter()
        .map(|entry| String::from_utf8_lossy(&listing::format_list_line(entry, now)).into_owned())
        .collect()
}

/// Streams a listing to `output` as it arrives: a file (`ls dir FILE`) gets
/// the server's bytes, stdout (`None` or `-`) too unless it is a terminal,
/// which sees them through [`terminal::escape`]. Line ends become LF.
fn write_listing(
    client: &mut Client<Control>,
    kind: ListKind,
    path: Option<&str>,
    output: Option<&str>,
) -> Result<(), ShellError> {
    let stdout = io::stdout();
    match output {
        None | Some("-") if stdout.is_terminal() => {
            let mut out = Escaped::new(stdout.lock());
            copy_listing(client, kind, path, &mut out)?;
            out.finish().map_err(|err| ShellError::local("stdout", err))
        }
        None | Some("-") => copy_listing(client, kind, path, &mut stdout.lock()),
        Some(file) => {
            let mut out =
                std::fs::File::create(file).map_err(|err| ShellError::local(file, err))?;
            copy_listing(client, kind, path, &mut out)
        }
    }
}

/// Copies a listing of `kind` into `out`; MLSD entries as `ls -l` lines.
fn copy_listing(
    client: &mut Client<Control>,
    kind: ListKind,
    path: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), ShellError> {
    match kind {
        ListKind::Long => client.list_to(path, out).map(drop)?,
        ListKind::Names => client.nlst_to(path, out).map(drop)?,
        ListKind::Machine => {
            let lines = long_lines(&matches::machine_entries(client, path)?);
            write_lines(out, &lines).map_err(|err| ShellError::local("output", err))?;
        }
    }
    Ok(())
}

fn write_lines(out: &mut dyn Write, lines: &[String]) -> io::Result<()> {
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()
}

/// A time as `YYYY-MM-DD HH:MM:SS UTC`.
fn readable_time(time: SystemTime) -> String {
    let date = DateTime::from_system_time(time);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        date.year(),
        date.month(),
        date.day(),
        date.hour(),
        date.minute(),
        date.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_read_as_dates() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(readable_time(time), "2023-11-14 22:13:20 UTC");
    }

    #[test]
    fn downloads_are_saved_under_the_base_name_only() {
        assert_eq!(save_as("pub/a.txt").expect("a name"), "a.txt");
        assert_eq!(save_as("../../etc/passwd").expect("a name"), "passwd");
        for remote in ["pub/", "..", "a/..", "."] {
            assert!(save_as(remote).is_err(), "{remote}");
        }
    }

    #[test]
    fn the_default_name_comes_from_the_passwd_line_of_the_uid() {
        let passwd =
            "root:x:0:0::/root:/bin/sh\n# comment\nalice:x:1000:1000::/home/alice:/bin/sh\n";
        assert_eq!(passwd_name(passwd, 1000).as_deref(), Some("alice"));
        assert_eq!(passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(passwd_name(passwd, 7), None);
    }

    #[test]
    fn base_names() {
        assert_eq!(base_name("a/b/c.txt"), "c.txt");
        assert_eq!(base_name("c.txt"), "c.txt");
        assert_eq!(base_name("dir/"), "");
    }

    #[test]
    fn an_upload_error_names_the_local_file_and_still_ends_the_session() {
        let closed = ShellError::Client(Error::Core(ftp_core::Error::ConnectionClosed));
        let about = ShellError::About {
            name: "report.pdf".into(),
            error: Box::new(closed),
        };
        assert!(about.to_string().starts_with("report.pdf: "), "{about}");
        assert!(about.ends_session());
    }

    #[test]
    fn errors_that_end_the_session() {
        let reply = |code| ShellError::Client(Error::Reply(ftp_core::Reply::new(code, "x")));
        assert!(reply(421).ends_session());
        assert!(!reply(550).ends_session());
        assert!(ShellError::Client(Error::Core(ftp_core::Error::ConnectionClosed)).ends_session());
        let too_long = ftp_core::Error::ReplyTooLong { limit: 1 };
        assert!(ShellError::Client(Error::Core(too_long)).ends_session());
        let deadline = Error::ReplyDeadline {
            limit: Duration::from_secs(1),
        };
        assert!(ShellError::Client(deadline).ends_session());
        assert!(!ShellError::NotConnected.ends_session());
        assert!(!ShellError::Local("x".into()).ends_session());
    }
}
