//! Commands: what a client sends on the control channel.
//!
//! A control line is a verb, optionally followed by one space and an argument
//! (RFC 959 §5.3). [`Command::parse`] turns one line into a typed [`Command`],
//! and [`Command::to_bytes`] formats a command back into its canonical wire
//! form, so the server and the client share one definition of every verb:
//!
//! ```
//! use ftp_core::protocol::command::{Command, PathArg};
//! use ftp_core::protocol::representation::TransferType;
//!
//! assert_eq!(Command::parse(b"type i")?, Command::Type(TransferType::Image));
//! let retr = Command::parse(b"RETR my file.txt")?;
//! assert_eq!(retr, Command::Retr(PathArg::from("my file.txt")));
//! assert_eq!(retr.to_bytes(), b"RETR my file.txt");
//! # Ok::<(), ftp_core::CommandError>(())
//! ```
//!
//! The rules, in order:
//!
//! - The verb is everything up to the first space. It must be ASCII letters and
//!   is case-insensitive. The X-forms of RFC 775 (`XPWD`, `XCWD`, `XCUP`,
//!   `XMKD`, `XRMD`) become the same commands as `PWD`, `CWD`, `CDUP`, `MKD`,
//!   `RMD`. A verb this module does not know is kept, upper-cased, with its
//!   argument untouched in [`Command::Unknown`].
//! - The argument is everything after the first space, exactly: file names may
//!   hold spaces (leading and trailing ones too) and bytes that are not UTF-8,
//!   so paths stay bytes in [`PathArg`]. Other text (user names, passwords,
//!   `SITE` commands, ...) is decoded to a `String`, lossily.
//! - An argument that is empty or only spaces counts as absent: `PASV ` is
//!   `PASV`, and `RETR ` lacks its file name. `PASS` with no argument is an
//!   empty password.
//! - A missing, extra or malformed argument is a [`CommandError`], whose text is
//!   written to be sent in a `501` reply; a line that is no command at all
//!   (empty, or a verb that is not letters) gets `500`
//!   ([`CommandError::reply_code`]).
//!
//! Formatting round-trips: `Command::parse(&c.to_bytes()) == Ok(c)` for every
//! command `c` whose arguments are not blank and whose unknown verb, if any, is
//! upper-case letters that do not name a known command.
//!
//! This module does not read lines (CRLF and Telnet bytes are the job of
//! [`crate::io::line`](mod@crate::io::line)), does not refuse CR or LF inside an
//! argument (the line writer does), and decides nothing about what a server
//! supports: `EPSV 7`, `TYPE L 36` and `MODE B` parse fine, and the server
//! answers `504` if it cannot do them.

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV4};
use std::str::FromStr;

use crate::protocol::addr;
use crate::protocol::command_error::CommandError;
use crate::protocol::printable::escape_field;
use crate::protocol::representation::TransferType;
use crate::protocol::time::DateTime;

/// A file name or path argument. FTP names are bytes on the wire; a name that is
/// not valid UTF-8 must survive unchanged, so paths are kept as bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PathArg(pub Vec<u8>);

impl PathArg {
    /// The name exactly as it was sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<&[u8]> for PathArg {
    fn from(bytes: &[u8]) -> PathArg {
        PathArg(bytes.to_vec())
    }
}

impl From<Vec<u8>> for PathArg {
    fn from(bytes: Vec<u8>) -> PathArg {
        PathArg(bytes)
    }
}

impl From<&str> for PathArg {
    fn from(name: &str) -> PathArg {
        PathArg(name.as_bytes().to_vec())
    }
}

/// Shows the name for people: bytes that are not UTF-8 become `U+FFFD`.
impl fmt::Display for PathArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

/// STRU argument (RFC 959 §3.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structure {
    /// `F`: a file is a continuous sequence of bytes (the default).
    File,
    /// `R`: a file is a sequence of records.
    Record,
    /// `P`: a file is a set of indexed pages.
    Page,
}

/// MODE argument (RFC 959 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferMode {
    /// `S`: stream mode, end of file is the end of the connection (the default).
    Stream,
    /// `B`: block mode.
    Block,
    /// `C`: compressed mode.
    Compressed,
}

/// EPSV argument (RFC 2428 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpsvArg {
    /// `EPSV ALL`: from now on the client uses only EPSV for data connections.
    All,
    /// `EPSV n`: listen on a network protocol, 1 for IPv4, 2 for IPv6.
    Protocol(u16),
}

/// One FTP command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `USER name`: the user to log in as.
    User(String),
    /// `PASS password`: the password; empty when none was given.
    Pass(String),
    /// `ACCT info`: account information.
    Acct(String),
    /// `CWD dir` (or `XCWD`): change the working directory.
    Cwd(PathArg),
    /// `CDUP` (or `XCUP`): change to the parent directory.
    Cdup,
    /// `SMNT dir`: mount a different file system structure.
    Smnt(PathArg),
    /// `REIN`: reinitialise the session, logging the user out.
    Rein,
    /// `QUIT`: end the session.
    Quit,
    /// `PORT h1,h2,h3,h4,p1,p2`: active mode, the server connects to this address.
    Port(SocketAddrV4),
    /// `PASV`: passive mode, the server listens and says where.
    Pasv,
    /// `TYPE t`: the representation type.
    Type(TransferType),
    /// `STRU s`: the file structure.
    Stru(Structure),
    /// `MODE m`: the transfer mode.
    Mode(TransferMode),
    /// `RETR file`: download a file.
    Retr(PathArg),
    /// `STOR file`: upload a file, replacing any file of that name.
    Stor(PathArg),
    /// `STOU`: upload a file under a name the server chooses.
    Stou,
    /// `APPE file`: upload and append to a file.
    Appe(PathArg),
    /// `ALLO size [R record]`: reserve space for an upload.
    Allo {
        /// The number of bytes to reserve.
        size: u64,
        /// The maximum record or page size, for record and page structure.
        record: Option<u64>,
    },
    /// `REST offset`: start the next transfer at this byte (RFC 3659 §5).
    Rest(u64),
    /// `RNFR name`: the file to rename.
    Rnfr(PathArg),
    /// `RNTO name`: its new name.
    Rnto(PathArg),
    /// `ABOR`: abort the transfer in progress.
    Abor,
    /// `DELE file`: delete a file.
    Dele(PathArg),
    /// `RMD dir` (or `XRMD`): remove a directory.
    Rmd(PathArg),
    /// `MKD dir` (or `XMKD`): make a directory.
    Mkd(PathArg),
    /// `PWD` (or `XPWD`): print the working directory.
    Pwd,
    /// `LIST [path]`: a listing for people; the argument may hold `ls` flags.
    List(Option<PathArg>),
    /// `NLST [path]`: a list of names; the argument may hold `ls` flags.
    Nlst(Option<PathArg>),
    /// `SITE command`: a server-specific command.
    Site(String),
    /// `SYST`: the server's operating system type.
    Syst,
    /// `STAT [path]`: the session status, or a listing over the control channel.
    Stat(Option<PathArg>),
    /// `HELP [topic]`: help text.
    Help(Option<String>),
    /// `NOOP`: do nothing, reply OK.
    Noop,
    /// `FEAT`: list the extensions the server supports (RFC 2389).
    Feat,
    /// `OPTS command options`: set options of a command (RFC 2389).
    Opts(String),
    /// `EPRT |af|addr|port|`: extended active mode, IPv4 or IPv6 (RFC 2428).
    Eprt(SocketAddr),
    /// `EPSV [ALL|n]`: extended passive mode (RFC 2428).
    Epsv(Option<EpsvArg>),
    /// `SIZE file`: the size of a file in the current TYPE (RFC 3659).
    Size(PathArg),
    /// `MDTM file`: the modification time of a file (RFC 3659).
    Mdtm(PathArg),
    /// `MLST [path]`: machine-readable facts about one file (RFC 3659).
    Mlst(Option<PathArg>),
    /// `MLSD [dir]`: a machine-readable directory listing (RFC 3659).
    Mlsd(Option<PathArg>),
    /// `HOST name`: the virtual host wanted, before login (RFC 7151).
    Host(String),
    /// `MFMT time file`: set the modification time of a file.
    Mfmt {
        /// The time to set: `YYYYMMDDHHMMSS[.fraction]` on the wire, UTC.
        time: DateTime,
        /// The file to change.
        path: PathArg,
    },
    /// A verb this module does not know, upper-cased, with its argument as sent.
    Unknown {
        /// The verb, upper-case ASCII letters.
        verb: String,
        /// Everything after the first space, or `None` if there was no space.
        arg: Option<Vec<u8>>,
    },
}

/// What a password command is logged as.
const MASKED_PASS: &str = "PASS ****";

/// A control line as it may be logged, whether it parses or not: a line
/// whose first word starts with `PASS` (`PASS\tx`, ` pass x`) shows
/// `PASS ****`, and control characters are escaped (`\x1b`), so that a
/// log read in a terminal shows what was sent and nothing a client slipped in.
pub fn loggable_line(line: &[u8]) -> String {
    if looks_like_pass(line) {
        return MASKED_PASS.to_string();
    }
    escape_field(line)
}

/// Whether the first letters of `line`, after anything that is not a
/// letter, are `PASS` in any case.
fn looks_like_pass(line: &[u8]) -> bool {
    let start = line
        .iter()
        .position(u8::is_ascii_alphabetic)
        .unwrap_or(line.len());
    line[start..]
        .get(..4)
        .is_some_and(|word| word.eq_ignore_ascii_case(b"PASS"))
}

impl Command {
    /// Parses one control line, without its CRLF. See the [module
    /// documentation](self) for the rules.
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
        if is_blank(line) {
            return Err(CommandError::Empty);
        }
        let (verb, raw_arg) = split_once(line, b' ');
        if verb.is_empty() || !verb.iter().all(u8::is_ascii_alphabetic) {
            // Whatever follows a password verb is never echoed.
            let verb = if looks_like_pass(line) {
                MASKED_PASS.to_string()
            } else {
                String::from_utf8_lossy(verb).into_owned()
            };
            return Err(CommandError::InvalidVerb { verb });
        }
        let verb = String::from_utf8_lossy(verb).to_ascii_uppercase();
        parse_verb(verb, Arg(raw_arg))
    }

    /// The canonical wire form, without CRLF: the upper-case verb, then a space
    /// and the argument if there is one.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut line = self.verb().as_bytes().to_vec();
        if let Some(arg) = self.argument() {
            line.push(b' ');
            line.extend_from_slice(&arg);
        }
        line
    }

    /// The upper-case verb; the X-forms give their RFC 959 name (`XPWD` is `PWD`).
    pub fn verb(&self) -> &str {
        match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Acct(_) => "ACCT",
            Command::Cwd(_) => "CWD",
            Command::Cdup => "CDUP",
            Command::Smnt(_) => "SMNT",
            Command::Rein => "REIN",
            Command::Quit => "QUIT",
            Command::Port(_) => "PORT",
            Command::Pasv => "PASV",
            Command::Type(_) => "TYPE",
            Command::Stru(_) => "STRU",
            Command::Mode(_) => "MODE",
            Command::Retr(_) => "RETR",
            Command::Stor(_) => "STOR",
            Command::Stou => "STOU",
            Command::Appe(_) => "APPE",
            Command::Allo { .. } => "ALLO",
            Command::Rest(_) => "REST",
            Command::Rnfr(_) => "RNFR",
            Command::Rnto(_) => "RNTO",
            Command::Abor => "ABOR",
            Command::Dele(_) => "DELE",
            Command::Rmd(_) => "RMD",
            Command::Mkd(_) => "MKD",
            Command::Pwd => "PWD",
            Command::List(_) => "LIST",
            Command::Nlst(_) => "NLST",
            Command::Site(_) => "SITE",
            Command::Syst => "SYST",
            Command::Stat(_) => "STAT",
            Command::Help(_) => "HELP",
            Command::Noop => "NOOP",
            Command::Feat => "FEAT",
            Command::Opts(_) => "OPTS",
            Command::Eprt(_) => "EPRT",
            Command::Epsv(_) => "EPSV",
            Command::Size(_) => "SIZE",
            Command::Mdtm(_) => "MDTM",
            Command::Mlst(_) => "MLST",
            Command::Mlsd(_) => "MLSD",
            Command::Host(_) => "HOST",
            Command::Mfmt { .. } => "MFMT",
            Command::Unknown { verb, .. } => verb,
        }
    }

    /// The command for logs and traces: like `Display`, but a password is
    /// shown as `PASS ****`.
    pub fn log_form(&self) -> String {
        match self {
            Command::Pass(_) => MASKED_PASS.to_string(),
            other => escape_field(&other.to_bytes()),
        }
    }

    /// The argument in its wire form, or `None` for a command sent without one.
    fn argument(&self) -> Option<Cow<'_, [u8]>> {
        fn text(s: &str) -> Cow<'_, [u8]> {
            Cow::Borrowed(s.as_bytes())
        }
        fn path(p: &PathArg) -> Cow<'_, [u8]> {
            Cow::Borrowed(p.as_bytes())
        }
        fn formatted(s: String) -> Cow<'static, [u8]> {
            Cow::Owned(s.into_bytes())
        }
        match self {
            Command::User(s)
            | Command::Acct(s)
            | Command::Site(s)
            | Command::Opts(s)
            | Command::Host(s) => Some(text(s)),
            Command::Pass(s) => (!s.is_empty()).then(|| text(s)),
            Command::Help(s) => s.as_deref().map(text),
            Command::Cwd(p)
            | Command::Smnt(p)
            | Command::Retr(p)
            | Command::Stor(p)
            | Command::Appe(p)
            | Command::Rnfr(p)
            | Command::Rnto(p)
            | Command::Dele(p)
            | Command::Rmd(p)
            | Command::Mkd(p)
            | Command::Size(p)
            | Command::Mdtm(p) => Some(path(p)),
            Command::List(p)
            | Command::Nlst(p)
            | Command::Stat(p)
            | Command::Mlst(p)
            | Command::Mlsd(p) => p.as_ref().map(path),
            Command::Port(a) => Some(formatted(addr::format_host_port(*a))),
            Command::Eprt(a) => Some(formatted(addr::format_eprt(*a))),
            Command::Type(t) => Some(formatted(t.to_string())),
            Command::Stru(s) => Some(formatted(s.to_string())),
            Command::Mode(m) => Some(formatted(m.to_string())),
            Command::Allo { size, record } => Some(formatted(match record {
                Some(record) => format!("{size} R {record}"),
                None => size.to_string(),
            })),
            Command::Rest(offset) => Some(formatted(offset.to_string())),
            Command::Epsv(arg) => arg.map(|a| formatted(a.to_string())),
            Command::Mfmt { time, path } => Some(Cow::Owned(
                [time.to_string().as_bytes(), b" ", path.as_bytes()].concat(),
            )),
            Command::Unknown { arg, .. } => arg.as_deref().map(Cow::Borrowed),
            Command::Cdup
            | Command::Rein
            | Command::Quit
            | Command::Pasv
            | Command::Stou
            | Command::Abor
            | Command::Pwd
            | Command::Syst
            | Command::Noop
            | Command::Feat => None,
        }
    }
}

/// The wire form, decoded lossily (no CRLF). Use [`Command::log_form`] for logs.
impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

/// Builds the command for an upper-case `verb` from its argument.
fn parse_verb(verb: String, arg: Arg<'_>) -> Result<Command, CommandError> {
    Ok(match verb.as_str() {
        // RFC 959 access control.
        "USER" => Command::User(arg.text("USER")?),
        "PASS" => Command::Pass(arg.optional_text().unwrap_or_default()),
        "ACCT" => Command::Acct(arg.text("ACCT")?),
        "CWD" | "XCWD" => Command::Cwd(arg.path("CWD")?),
        "CDUP" | "XCUP" => arg.none("CDUP", Command::Cdup)?,
        "SMNT" => Command::Smnt(arg.path("SMNT")?),
        "REIN" => arg.none("REIN", Command::Rein)?,
        "QUIT" => arg.none("QUIT", Command::Quit)?,
        // RFC 959 transfer parameters, RFC 2428 extended addresses.
        "PORT" => Command::Port(arg.parsed("PORT", |s| {
            addr::parse_host_port(s).map_err(|e| e.to_string())
        })?),
        "PASV" => arg.none("PASV", Command::Pasv)?,
        "EPRT" => {
            let text = arg.text("EPRT")?;
            match addr::parse_eprt(text.trim_matches(' ')) {
                Ok(addr) => Command::Eprt(addr),
                Err(crate::error::Error::UnsupportedFamily { .. }) => {
                    return Err(CommandError::UnsupportedProtocol)
                }
                Err(err) => {
                    return Err(CommandError::InvalidArgument {
                        verb: "EPRT",
                        reason: err.to_string(),
                    })
                }
            }
        }
        "EPSV" => Command::Epsv(arg.optional_parsed("EPSV", parse_epsv)?),
        "TYPE" => Command::Type(arg.parsed("TYPE", str::parse)?),
        "STRU" => Command::Stru(arg.parsed("STRU", |s| code(s, "structure", &STRUCTURES))?),
        "MODE" => Command::Mode(arg.parsed("MODE", |s| code(s, "mode", &MODES))?),
        // RFC 959 service commands.
        "RETR" => Command::Retr(arg.path("RETR")?),
        "STOR" => Command::Stor(arg.path("STOR")?),
        "STOU" => arg.none("STOU", Command::Stou)?,
        "APPE" => Command::Appe(arg.path("APPE")?),
        "ALLO" => {
            let (size, record) = arg.parsed("ALLO", parse_allo)?;
            Command::Allo { size, record }
        }
        "REST" => Command::Rest(arg.parsed("REST", |s| number(s, "restart offset"))?),
        "RNFR" => Command::Rnfr(arg.path("RNFR")?),
        "RNTO" => Command::Rnto(arg.path("RNTO")?),
        "ABOR" => arg.none("ABOR", Command::Abor)?,
        "DELE" => Command::Dele(arg.path("DELE")?),
        "RMD" | "XRMD" => Command::Rmd(arg.path("RMD")?),
        "MKD" | "XMKD" => Command::Mkd(arg.path("MKD")?),
        "PWD" | "XPWD" => arg.none("PWD", Command::Pwd)?,
        "LIST" => Command::List(arg.optional_path()),
        "NLST" => Command::Nlst(arg.optional_path()),
        "SITE" => Command::Site(arg.text("SITE")?),
        "SYST" => arg.none("SYST", Command::Syst)?,
        "STAT" => Command::Stat(arg.optional_path()),
        "HELP" => Command::Help(arg.optional_text()),
        "NOOP" => arg.none("NOOP", Command::Noop)?,
        // RFC 2389 feature negotiation.
        "FEAT" => arg.none("FEAT", Command::Feat)?,
        "OPTS" => Command::Opts(arg.text("OPTS")?),
        // RFC 3659 file facts, RFC 7151 virtual hosts, MFMT.
        "SIZE" => Command::Size(arg.path("SIZE")?),
        "MDTM" => Command::Mdtm(arg.path("MDTM")?),
        "MLST" => Command::Mlst(arg.optional_path()),
        "MLSD" => Command::Mlsd(arg.optional_path()),
        "HOST" => Command::Host(arg.parsed("HOST", parse_hostname)?),
        "MFMT" => parse_mfmt(arg.required("MFMT")?)?,
        // Anything else: the server answers 500, the client may send it raw.
        _ => Command::Unknown {
            verb,
            arg: arg.0.map(<[u8]>::to_vec),
        },
    })
}

/// The bytes before the first `separator`, and those after it if there is one.
fn split_once(bytes: &[u8], separator: u8) -> (&[u8], Option<&[u8]>) {
    match bytes.iter().position(|&b| b == separator) {
        Some(at) => (&bytes[..at], Some(&bytes[at + 1..])),
        None => (bytes, None),
    }
}

/// Whether an argument is empty or only spaces, which counts as no argument.
fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == b' ')
}

/// The raw argument of a line: everything after the first space, if any.
#[derive(Clone, Copy)]
struct Arg<'a>(Option<&'a [u8]>);

impl<'a> Arg<'a> {
    /// The argument, unless it is absent or blank.
    fn present(self) -> Option<&'a [u8]> {
        self.0.filter(|bytes| !is_blank(bytes))
    }

    /// `command` if there is no argument, for verbs that take none.
    fn none(self, verb: &'static str, command: Command) -> Result<Command, CommandError> {
        match self.present() {
            None => Ok(command),
            Some(_) => Err(CommandError::UnexpectedArgument { verb }),
        }
    }

    /// The argument bytes, which `verb` requires.
    fn required(self, verb: &'static str) -> Result<&'a [u8], CommandError> {
        self.present().ok_or(CommandError::MissingArgument { verb })
    }

    /// A required path, kept as bytes.
    fn path(self, verb: &'static str) -> Result<PathArg, CommandError> {
        self.required(verb).map(PathArg::from)
    }

    /// An optional path, kept as bytes.
    fn optional_path(self) -> Option<PathArg> {
        self.present().map(PathArg::from)
    }

    /// Required text, decoded lossily.
    fn text(self, verb: &'static str) -> Result<String, CommandError> {
        self.required(verb).map(lossy)
    }

    /// Optional text, decoded lossily.
    fn optional_text(self) -> Option<String> {
        self.present().map(lossy)
    }

    /// A required structured argument: decoded, trimmed of spaces and given to
    /// `parse`, whose error text becomes the reason of an invalid argument.
    fn parsed<T>(
        self,
        verb: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, CommandError> {
        let text = self.text(verb)?;
        parse(text.trim_matches(' '))
            .map_err(|reason| CommandError::InvalidArgument { verb, reason })
    }

    /// An optional structured argument, as [`Arg::parsed`] when present.
    fn optional_parsed<T>(
        self,
        verb: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, CommandError> {
        match self.present() {
            None => Ok(None),
            Some(_) => self.parsed(verb, parse).map(Some),
        }
    }
}

/// Bytes decoded as UTF-8, invalid sequences replaced by `U+FFFD`.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A decimal number of digits only (no sign, no spaces) that fits in `T`.
fn number<T: FromStr>(text: &str, what: &str) -> Result<T, String> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| text.parse().ok())
        .flatten()
        .ok_or_else(|| format!("{what} must be a decimal number, not \"{text}\""))
}

/// Every STRU code, for parsing.
const STRUCTURES: [Structure; 3] = [Structure::File, Structure::Record, Structure::Page];

/// Every MODE code, for parsing.
const MODES: [TransferMode; 3] = [
    TransferMode::Stream,
    TransferMode::Block,
    TransferMode::Compressed,
];

/// The value in `all` whose `Display` form is `text`, ignoring case; `what`
/// names the kind of code in the error.
fn code<T: Copy + fmt::Display>(text: &str, what: &str, all: &[T]) -> Result<T, String> {
    all.iter()
        .find(|value| value.to_string().eq_ignore_ascii_case(text))
        .copied()
        .ok_or_else(|| format!("unknown {what} \"{text}\""))
}

/// Parses an ALLO argument: `size` or `size R record`.
fn parse_allo(text: &str) -> Result<(u64, Option<u64>), String> {
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    match words[..] {
        [size] => Ok((number(size, "size")?, None)),
        [size, r, record] if r.eq_ignore_ascii_case("R") => {
            Ok((number(size, "size")?, Some(number(record, "record size")?)))
        }
        _ => Err(format!(
            "expected \"size\" or \"size R record\", not \"{text}\""
        )),
    }
}

/// Parses an EPSV argument: `ALL` or a network protocol number.
fn parse_epsv(text: &str) -> Result<EpsvArg, String> {
    if text.eq_ignore_ascii_case("ALL") {
        Ok(EpsvArg::All)
    } else {
        number(text, "protocol").map(EpsvArg::Protocol)
    }
}

/// Checks a HOST argument (RFC 7151 §3.1): a domain name, an IPv4 address or
/// an IPv6 address in brackets, and never a port.
fn parse_hostname(text: &str) -> Result<String, String> {
    let valid = match text.strip_prefix('[') {
        Some(rest) => rest
            .strip_suffix(']')
            .is_some_and(|ip| ip.parse::<Ipv6Addr>().is_ok()),
        None => text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'),
    };
    if valid {
        Ok(text.to_string())
    } else {
        Err(format!(
            "expected a host name or [IPv6 address] without a port, not \"{text}\""
        ))
    }
}

/// Parses an MFMT argument: `YYYYMMDDHHMMSS[.fraction] path`, the time checked
/// field by field (UTC), the path kept exactly as sent.
fn parse_mfmt(arg: &[u8]) -> Result<Command, CommandError> {
    let (time, path) = split_once(arg, b' ');
    let time = lossy(time);
    let time = time.parse().map_err(|err| CommandError::InvalidArgument {
        verb: "MFMT",
        reason: format!("time must be YYYYMMDDHHMMSS[.sss] in UTC: {err} in \"{time}\""),
    })?;
    let path = Arg(path).path("MFMT")?;
    Ok(Command::Mfmt { time, path })
}

/// The STRU argument as sent: `F`, `R` or `P`.
impl fmt::Display for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Structure::File => "F",
            Structure::Record => "R",
            Structure::Page => "P",
        })
    }
}

/// The MODE argument as sent: `S`, `B` or `C`.
impl fmt::Display for TransferMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransferMode::Stream => "S",
            TransferMode::Block => "B",
            TransferMode::Compressed => "C",
        })
    }
}

/// The EPSV argument as sent: `ALL` or the protocol number.
impl fmt::Display for EpsvArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EpsvArg::All => f.write_str("ALL"),
            EpsvArg::Protocol(n) => write!(f, "{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::representation::TextFormat;
    use crate::test_support::XorShift;
    use std::collections::BTreeSet;
    use std::net::{IpAddr, Ipv4Addr};

    /// Every verb this module knows, by its canonical name.
    const ALL_VERBS: [&str; 43] = [
        "USER", "PASS", "ACCT", "CWD", "CDUP", "SMNT", "REIN", "QUIT", "PORT", "PASV", "TYPE",
        "STRU", "MODE", "RETR", "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR", "RNTO", "ABOR",
        "DELE", "RMD", "MKD", "PWD", "LIST", "NLST", "SITE", "SYST", "STAT", "HELP", "NOOP",
        "FEAT", "OPTS", "EPRT", "EPSV", "SIZE", "MDTM", "MLST", "MLSD", "HOST", "MFMT",
    ];

    fn path(name: &str) -> PathArg {
        PathArg::from(name)
    }

    fn time(text: &str) -> DateTime {
        text.parse().expect("a valid time-val")
    }

    fn v4(a: u8, b: u8, c: u8, d: u8, port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), port)
    }

    /// Canonical lines and the commands they stand for, covering every verb.
    fn table() -> Vec<(&'static [u8], Command)> {
        use Command::*;
        vec![
            (b"USER anonymous", User("anonymous".into())),
            (b"PASS mumble", Pass("mumble".into())),
            (b"PASS", Pass(String::new())),
            (b"ACCT project 7", Acct("project 7".into())),
            (
                b"CWD /pub/dir with spaces",
                Cwd(path("/pub/dir with spaces")),
            ),
            (b"CDUP", Cdup),
            (b"SMNT /mnt", Smnt(path("/mnt"))),
            (b"REIN", Rein),
            (b"QUIT", Quit),
            (b"PORT 127,0,0,1,15,107", Port(v4(127, 0, 0, 1, 3947))),
            (b"PASV", Pasv),
            (b"TYPE A", Type(TransferType::Ascii(None))),
            (
                b"TYPE A N",
                Type(TransferType::Ascii(Some(TextFormat::NonPrint))),
            ),
            (
                b"TYPE A T",
                Type(TransferType::Ascii(Some(TextFormat::Telnet))),
            ),
            (
                b"TYPE A C",
                Type(TransferType::Ascii(Some(TextFormat::Asa))),
            ),
            (b"TYPE E", Type(TransferType::Ebcdic(None))),
            (
                b"TYPE E N",
                Type(TransferType::Ebcdic(Some(TextFormat::NonPrint))),
            ),
            (
                b"TYPE E T",
                Type(TransferType::Ebcdic(Some(TextFormat::Telnet))),
            ),
            (
                b"TYPE E C",
                Type(TransferType::Ebcdic(Some(TextFormat::Asa))),
            ),
            (b"TYPE I", Type(TransferType::Image)),
            (b"TYPE L 8", Type(TransferType::Local(8))),
            (b"TYPE L 36", Type(TransferType::Local(36))),
            (b"STRU F", Stru(Structure::File)),
            (b"STRU R", Stru(Structure::Record)),
            (b"STRU P", Stru(Structure::Page)),
            (b"MODE S", Mode(TransferMode::Stream)),
            (b"MODE B", Mode(TransferMode::Block)),
            (b"MODE C", Mode(TransferMode::Compressed)),
            (b"RETR test.pl1", Retr(path("test.pl1"))),
            (b"STOR >udd>cn>fd", Stor(path(">udd>cn>fd"))),
            (b"STOU", Stou),
            (b"APPE log.txt", Appe(path("log.txt"))),
            (
                b"ALLO 1024",
                Allo {
                    size: 1024,
                    record: None,
                },
            ),
            (
                b"ALLO 4096 R 512",
                Allo {
                    size: 4096,
                    record: Some(512),
                },
            ),
            (b"REST 802816", Rest(802816)),
            (b"RNFR mlst.c", Rnfr(path("mlst.c"))),
            (b"RNTO list.c", Rnto(path("list.c"))),
            (b"ABOR", Abor),
            (b"DELE old file", Dele(path("old file"))),
            (b"RMD tmp", Rmd(path("tmp"))),
            (b"MKD new dir", Mkd(path("new dir"))),
            (b"PWD", Pwd),
            (b"LIST", List(None)),
            (b"LIST -la", List(Some(path("-la")))),
            (b"NLST", Nlst(None)),
            (b"NLST *.txt", Nlst(Some(path("*.txt")))),
            (b"SITE CHMOD 644 file", Site("CHMOD 644 file".into())),
            (b"SYST", Syst),
            (b"STAT", Stat(None)),
            (b"STAT /pub", Stat(Some(path("/pub")))),
            (b"HELP", Help(None)),
            (b"HELP SITE", Help(Some("SITE".into()))),
            (b"NOOP", Noop),
            (b"FEAT", Feat),
            (b"OPTS MLST type;size;", Opts("MLST type;size;".into())),
            (
                b"EPRT |1|132.235.1.2|6275|",
                Eprt(v4(132, 235, 1, 2, 6275).into()),
            ),
            (
                b"EPRT |2|1080::8:800:200c:417a|5282|",
                Eprt(SocketAddr::new(
                    "1080::8:800:200C:417A".parse::<IpAddr>().unwrap(),
                    5282,
                )),
            ),
            (b"EPSV", Epsv(None)),
            (b"EPSV ALL", Epsv(Some(EpsvArg::All))),
            (b"EPSV 1", Epsv(Some(EpsvArg::Protocol(1)))),
            (b"EPSV 2", Epsv(Some(EpsvArg::Protocol(2)))),
            (b"SIZE Example", Size(path("Example"))),
            (b"MDTM file6", Mdtm(path("file6"))),
            (b"MLST", Mlst(None)),
            (b"MLST tmp", Mlst(Some(path("tmp")))),
            (b"MLSD", Mlsd(None)),
            (b"MLSD test/incoming", Mlsd(Some(path("test/incoming")))),
            (b"HOST ftp.example.com", Host("ftp.example.com".into())),
            (
                b"HOST [2001:db8::c000:201]",
                Host("[2001:db8::c000:201]".into()),
            ),
            (
                b"MFMT 20200102030405 a file",
                Mfmt {
                    time: time("20200102030405"),
                    path: path("a file"),
                },
            ),
            (
                b"MFMT 20200102030405.123 f",
                Mfmt {
                    time: time("20200102030405.123"),
                    path: path("f"),
                },
            ),
            (
                b"CLNT my client 1.0",
                Unknown {
                    verb: "CLNT".into(),
                    arg: Some(b"my client 1.0".to_vec()),
                },
            ),
            (
                b"AUTH",
                Unknown {
                    verb: "AUTH".into(),
                    arg: None,
                },
            ),
        ]
    }

    fn parse(line: &[u8]) -> Result<Command, CommandError> {
        Command::parse(line)
    }

    /// `line` with its verb in lower case.
    fn lower_verb(line: &[u8]) -> Vec<u8> {
        let verb_end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
        let mut lower = line.to_vec();
        lower[..verb_end].make_ascii_lowercase();
        lower
    }

    #[test]
    fn the_table_covers_every_verb() {
        let verbs: BTreeSet<String> = table().iter().map(|(_, c)| c.verb().to_string()).collect();
        for verb in ALL_VERBS {
            assert!(verbs.contains(verb), "{verb} missing from the table");
        }
    }

    #[test]
    fn table_lines_parse_to_their_commands() {
        for (line, command) in table() {
            assert_eq!(parse(line), Ok(command), "{}", line.escape_ascii());
        }
    }

    #[test]
    fn commands_format_to_their_canonical_lines() {
        for (line, command) in table() {
            assert_eq!(command.to_bytes(), line, "{command:?}");
            assert_eq!(command.to_string().as_bytes(), line);
            let verb = line.split(|&b| b == b' ').next().unwrap_or_default();
            assert_eq!(command.verb().as_bytes(), verb);
        }
    }

    #[test]
    fn table_commands_round_trip() {
        for (_, command) in table() {
            assert_eq!(parse(&command.to_bytes()), Ok(command));
        }
    }

    #[test]
    fn verbs_are_case_insensitive() {
        for (line, command) in table() {
            assert_eq!(parse(&lower_verb(line)), Ok(command.clone()));
            let mut mixed = lower_verb(line);
            mixed[0].make_ascii_uppercase();
            assert_eq!(parse(&mixed), Ok(command));
        }
    }

    #[test]
    fn codes_are_case_insensitive() {
        assert_eq!(parse(b"type a n"), parse(b"TYPE A N"));
        assert_eq!(parse(b"type e c"), parse(b"TYPE E C"));
        assert_eq!(parse(b"type l 8"), parse(b"TYPE L 8"));
        assert_eq!(parse(b"stru r"), Ok(Command::Stru(Structure::Record)));
        assert_eq!(parse(b"mode b"), Ok(Command::Mode(TransferMode::Block)));
        assert_eq!(parse(b"epsv all"), Ok(Command::Epsv(Some(EpsvArg::All))));
        assert_eq!(parse(b"EPSV aLl"), Ok(Command::Epsv(Some(EpsvArg::All))));
        assert_eq!(
            parse(b"allo 10 r 5"),
            Ok(Command::Allo {
                size: 10,
                record: Some(5)
            })
        );
    }

    #[test]
    fn x_forms_are_the_rfc_959_commands() {
        assert_eq!(parse(b"XPWD"), Ok(Command::Pwd));
        assert_eq!(parse(b"xpwd"), Ok(Command::Pwd));
        assert_eq!(parse(b"XCUP"), Ok(Command::Cdup));
        assert_eq!(parse(b"XCWD /a b"), Ok(Command::Cwd(path("/a b"))));
        assert_eq!(parse(b"XMKD new"), Ok(Command::Mkd(path("new"))));
        assert_eq!(parse(b"XRMD old"), Ok(Command::Rmd(path("old"))));
        assert_eq!(parse(b"XPWD").map(|c| c.to_bytes()), Ok(b"PWD".to_vec()));
        let missing = CommandError::MissingArgument { verb: "CWD" };
        assert_eq!(parse(b"XCWD"), Err(missing));
        let extra = CommandError::UnexpectedArgument { verb: "PWD" };
        assert_eq!(parse(b"XPWD /"), Err(extra));
    }

    #[test]
    fn a_required_argument_may_not_be_missing_or_blank() {
        let needing = [
            "USER", "ACCT", "CWD", "SMNT", "PORT", "TYPE", "STRU", "MODE", "RETR", "STOR", "APPE",
            "ALLO", "REST", "RNFR", "RNTO", "DELE", "RMD", "MKD", "SITE", "OPTS", "EPRT", "SIZE",
            "MDTM", "HOST", "MFMT",
        ];
        for verb in needing {
            for suffix in ["", " ", "   "] {
                let line = format!("{verb}{suffix}");
                let expected = CommandError::MissingArgument { verb };
                assert_eq!(parse(line.as_bytes()), Err(expected), "{line:?}");
            }
        }
    }

    #[test]
    fn commands_without_argument_refuse_one_but_allow_spaces() {
        let bare = [
            "CDUP", "REIN", "QUIT", "PASV", "STOU", "ABOR", "PWD", "SYST", "NOOP", "FEAT",
        ];
        for verb in bare {
            let expected = parse(verb.as_bytes());
            assert!(expected.is_ok(), "{verb}");
            assert_eq!(parse(format!("{verb} ").as_bytes()), expected);
            assert_eq!(parse(format!("{verb}    ").as_bytes()), expected);
            let extra = CommandError::UnexpectedArgument { verb };
            assert_eq!(parse(format!("{verb} x").as_bytes()), Err(extra));
        }
    }

    #[test]
    fn blank_optional_arguments_are_absent() {
        assert_eq!(parse(b"LIST "), Ok(Command::List(None)));
        assert_eq!(parse(b"NLST   "), Ok(Command::Nlst(None)));
        assert_eq!(parse(b"STAT "), Ok(Command::Stat(None)));
        assert_eq!(parse(b"MLSD "), Ok(Command::Mlsd(None)));
        assert_eq!(parse(b"MLST "), Ok(Command::Mlst(None)));
        assert_eq!(parse(b"HELP  "), Ok(Command::Help(None)));
        assert_eq!(parse(b"EPSV "), Ok(Command::Epsv(None)));
    }

    #[test]
    fn pass_without_argument_is_an_empty_password() {
        assert_eq!(parse(b"PASS"), Ok(Command::Pass(String::new())));
        assert_eq!(parse(b"PASS "), Ok(Command::Pass(String::new())));
        assert_eq!(Command::Pass(String::new()).to_bytes(), b"PASS");
        assert_eq!(
            parse(b"PASS  two words "),
            Ok(Command::Pass(" two words ".into()))
        );
    }

    #[test]
    fn names_keep_spaces_and_bytes_that_are_not_utf8() {
        let lines: [&[u8]; 6] = [
            b"RETR  leading and trailing  ",
            b"STOR caf\xe9 \xff\xfe.txt",
            b"DELE \xc3(",
            b"LIST -la my dir",
            b"CWD \tdir",
            b"RNFR a\\b",
        ];
        for line in lines {
            let command = parse(line).expect("a path command");
            assert_eq!(command.to_bytes(), line);
        }
        assert_eq!(
            parse(b"RETR  leading and trailing  "),
            Ok(Command::Retr(path(" leading and trailing  ")))
        );
        let name = PathArg(b"caf\xe9 \xff\xfe.txt".to_vec());
        assert_eq!(
            parse(b"STOR caf\xe9 \xff\xfe.txt"),
            Ok(Command::Stor(name.clone()))
        );
        assert_eq!(name.to_string(), "caf\u{FFFD} \u{FFFD}\u{FFFD}.txt");
    }

    #[test]
    fn other_text_is_decoded_lossily() {
        assert_eq!(
            parse(b"USER \xffbob"),
            Ok(Command::User("\u{FFFD}bob".into()))
        );
        assert_eq!(
            parse(b"SITE chmod 644 a"),
            Ok(Command::Site("chmod 644 a".into()))
        );
    }

    #[test]
    fn type_parameters() {
        assert_eq!(parse(b"TYPE L8"), Ok(Command::Type(TransferType::Local(8))));
        assert_eq!(
            parse(b"TYPE l255"),
            Ok(Command::Type(TransferType::Local(255)))
        );
        assert_eq!(
            parse(b"TYPE L 1"),
            Ok(Command::Type(TransferType::Local(1)))
        );
        assert_eq!(
            parse(b"TYPE  A  N "),
            Ok(Command::Type(TransferType::Ascii(Some(
                TextFormat::NonPrint
            ))))
        );
        let invalid = |arg: &str| match parse(format!("TYPE {arg}").as_bytes()) {
            Err(CommandError::InvalidArgument {
                verb: "TYPE",
                reason,
            }) => reason,
            other => panic!("TYPE {arg:?} gave {other:?}"),
        };
        assert_eq!(invalid("Z"), "unknown type \"Z\"");
        assert_eq!(invalid("A X"), "unknown format \"X\"");
        assert_eq!(invalid("L 0"), "byte size must be 1 to 255, not \"0\"");
        assert_eq!(invalid("L 256"), "byte size must be 1 to 255, not \"256\"");
        assert_eq!(invalid("Lx"), "byte size must be 1 to 255, not \"x\"");
        for arg in ["L", "I N", "A N T", "L 8 8", "AN", "IMAGE"] {
            assert_eq!(invalid(arg), format!("unknown type \"{arg}\""));
        }
    }

    #[test]
    fn structure_and_mode_codes() {
        let reason = |line: &[u8]| match parse(line) {
            Err(CommandError::InvalidArgument { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(b"STRU X"), "unknown structure \"X\"");
        assert_eq!(reason(b"STRU FF"), "unknown structure \"FF\"");
        assert_eq!(reason(b"MODE Z"), "unknown mode \"Z\"");
        assert_eq!(reason(b"MODE S B"), "unknown mode \"S B\"");
    }

    #[test]
    fn rest_takes_a_decimal_u64() {
        assert_eq!(parse(b"REST 0"), Ok(Command::Rest(0)));
        assert_eq!(
            parse(b"REST 18446744073709551615"),
            Ok(Command::Rest(u64::MAX))
        );
        assert_eq!(parse(b"REST  100 "), Ok(Command::Rest(100)));
        for bad in ["-1", "+5", "1.5", "abc", "1 2", "18446744073709551616"] {
            let line = format!("REST {bad}");
            let reason = format!("restart offset must be a decimal number, not \"{bad}\"");
            let expected = CommandError::InvalidArgument {
                verb: "REST",
                reason,
            };
            assert_eq!(parse(line.as_bytes()), Err(expected));
        }
    }

    #[test]
    fn allo_takes_a_size_and_an_optional_record_size() {
        assert_eq!(
            parse(b"ALLO 0"),
            Ok(Command::Allo {
                size: 0,
                record: None
            })
        );
        for bad in ["10 R", "10 X 5", "R 5", "1 R 2 3", "x", "1 R y"] {
            let line = format!("ALLO {bad}");
            assert!(
                matches!(
                    parse(line.as_bytes()),
                    Err(CommandError::InvalidArgument { verb: "ALLO", .. })
                ),
                "{line}"
            );
        }
    }

    #[test]
    fn epsv_takes_all_or_any_protocol_number() {
        assert_eq!(
            parse(b"EPSV 3"),
            Ok(Command::Epsv(Some(EpsvArg::Protocol(3))))
        );
        assert_eq!(
            parse(b"EPSV 65535"),
            Ok(Command::Epsv(Some(EpsvArg::Protocol(65535))))
        );
        for bad in ["65536", "x", "-1", "ALLX", "1 2"] {
            let line = format!("EPSV {bad}");
            assert!(
                matches!(
                    parse(line.as_bytes()),
                    Err(CommandError::InvalidArgument { verb: "EPSV", .. })
                ),
                "{line}"
            );
        }
    }

    #[test]
    fn mfmt_checks_its_time_and_keeps_the_path() {
        assert_eq!(
            parse(b"mfmt 20200102030405  spaced "),
            Ok(Command::Mfmt {
                time: time("20200102030405"),
                path: path(" spaced ")
            })
        );
        for bad in [
            "2020010203040 f",
            "2020010203040x f",
            "202001020304050 f",
            "20200102030405. f",
            "20201301000000 f",
            "20230229000000 f",
            "20200102240000 f",
            "09990101000000 f",
            "x",
        ] {
            let line = format!("MFMT {bad}");
            assert!(
                matches!(
                    parse(line.as_bytes()),
                    Err(CommandError::InvalidArgument { verb: "MFMT", .. })
                ),
                "{line}"
            );
        }
        for missing in [
            "MFMT 20200102030405",
            "MFMT 20200102030405 ",
            "MFMT 20200102030405   ",
        ] {
            let expected = CommandError::MissingArgument { verb: "MFMT" };
            assert_eq!(parse(missing.as_bytes()), Err(expected));
        }
    }

    #[test]
    fn unknown_verbs_keep_their_argument() {
        let unknown = |verb: &str, arg: Option<&[u8]>| Command::Unknown {
            verb: verb.into(),
            arg: arg.map(<[u8]>::to_vec),
        };
        assert_eq!(parse(b"auth TLS"), Ok(unknown("AUTH", Some(b"TLS"))));
        assert_eq!(parse(b"Lang"), Ok(unknown("LANG", None)));
        assert_eq!(parse(b"FOO "), Ok(unknown("FOO", Some(b""))));
        assert_eq!(parse(b"FOO  x\xff "), Ok(unknown("FOO", Some(b" x\xff "))));
        assert_eq!(unknown("FOO", Some(b" x\xff ")).to_bytes(), b"FOO  x\xff ");
        assert_eq!(unknown("FOO", None).to_bytes(), b"FOO");
    }

    #[test]
    fn lines_that_are_not_commands() {
        assert_eq!(parse(b""), Err(CommandError::Empty));
        assert_eq!(parse(b"   "), Err(CommandError::Empty));
        for line in [
            &b"US3R x"[..],
            b" USER x",
            b"USER\tx",
            b"\xff\xf4ABOR",
            b"RETR/x",
        ] {
            let err = parse(line).expect_err("not a verb");
            assert!(matches!(err, CommandError::InvalidVerb { .. }), "{err:?}");
            assert_eq!(err.reply_code(), 500);
        }
    }

    #[test]
    fn errors_read_as_reply_text() {
        let message = |line: &[u8]| parse(line).expect_err("an error").to_string();
        assert_eq!(message(b"RETR"), "RETR needs a file name");
        assert_eq!(message(b"MKD "), "MKD needs a directory name");
        assert_eq!(message(b"USER"), "USER needs a user name");
        assert_eq!(message(b"PORT"), "PORT needs an address");
        assert_eq!(
            message(b"MFMT 20200102030405"),
            "MFMT needs a time and a file name"
        );
        assert_eq!(message(b"PASV x"), "PASV takes no argument");
        assert_eq!(message(b"TYPE Z"), "TYPE: unknown type \"Z\"");
        assert_eq!(message(b"US3R x"), "\"US3R\" is not a command verb");
        assert_eq!(message(b""), "empty command line");
        assert_eq!(parse(b"RETR").map_err(|e| e.reply_code()), Err(501));
        assert_eq!(parse(b"TYPE Z").map_err(|e| e.reply_code()), Err(501));
        assert_eq!(parse(b"PASV x").map_err(|e| e.reply_code()), Err(501));
    }

    #[test]
    fn error_text_escapes_control_characters() {
        let text = parse(b"TYPE Z\rX").expect_err("bad type").to_string();
        assert_eq!(text, "TYPE: unknown type \"Z\\x0dX\"");
        let text = parse(b"U\x1bR x").expect_err("bad verb").to_string();
        assert_eq!(text, "\"U\\x1bR\" is not a command verb");
    }

    #[test]
    fn lines_that_look_like_pass_are_never_logged_or_echoed() {
        for line in [
            &b"PASS\tsecret"[..],
            b" PASS secret",
            b"pass\x01secret",
            b"\tPaSs:secret",
        ] {
            assert_eq!(loggable_line(line), "PASS ****", "{line:?}");
            let err = Command::parse(line).expect_err("not a command");
            assert!(!err.to_string().contains("secret"), "{err}");
        }
        assert_eq!(
            loggable_line(b"RETR a\x1b]0;title\x07"),
            "RETR a\\x1b]0;title\\x07"
        );
        assert_eq!(loggable_line(b"PASV"), "PASV");
    }

    #[test]
    fn log_form_hides_the_password() {
        let pass = Command::Pass("secret".into());
        assert_eq!(pass.log_form(), "PASS ****");
        assert_eq!(pass.to_string(), "PASS secret");
        assert_eq!(Command::Pass(String::new()).log_form(), "PASS ****");
        assert_eq!(Command::User("bob".into()).log_form(), "USER bob");
        assert_eq!(
            Command::Retr(PathArg(b"a\xff".to_vec())).log_form(),
            "RETR a\\xff"
        );
    }

    /// Lines from the examples of RFC 959, 2389, 2428, 3659 and 7151.
    #[test]
    fn rfc_examples() {
        use Command::*;
        let examples: Vec<(&[u8], Command)> = vec![
            // RFC 959 §7, the example session, and §A (TOPS-20 words).
            (b"PASS mumble", Pass("mumble".into())),
            (b"RETR test.pl1", Retr(path("test.pl1"))),
            (b"TYPE I", Type(TransferType::Image)),
            (b"STOR >udd>cn>fd", Stor(path(">udd>cn>fd"))),
            (b"QUIT ", Quit),
            (b"TYPE L 36", Type(TransferType::Local(36))),
            // RFC 2389 §3 and RFC 3659 §7.9.
            (b"feat", Feat),
            (
                b"OptS Mlst Type;UNIX.mode;Perm;",
                Opts("Mlst Type;UNIX.mode;Perm;".into()),
            ),
            (
                b"opts MLst lang;type;charset;create;",
                Opts("MLst lang;type;charset;create;".into()),
            ),
            // RFC 2428 §2.
            (
                b"EPRT |1|132.235.1.2|6275|",
                Eprt(v4(132, 235, 1, 2, 6275).into()),
            ),
            (
                b"EPRT |2|1080::8:800:200C:417A|5282|",
                Eprt(SocketAddr::new(
                    "1080::8:800:200C:417A".parse::<IpAddr>().unwrap(),
                    5282,
                )),
            ),
            // RFC 3659 §3.4, §4.4, §5.5, §7.7.
            (b"MDTM A", Mdtm(path("A"))),
            (b"mdtm file6", Mdtm(path("file6"))),
            (
                b"MdTm 19990929043300 File6",
                Mdtm(path("19990929043300 File6")),
            ),
            (b"size Example", Size(path("Example"))),
            (b"PORT 127,0,0,1,15,107", Port(v4(127, 0, 0, 1, 3947))),
            (b"REST 802816", Rest(802816)),
            (b"RETR cap60.pl198.tar", Retr(path("cap60.pl198.tar"))),
            (
                b"MLst cap60.pl198.tar.gz",
                Mlst(Some(path("cap60.pl198.tar.gz"))),
            ),
            (b"MLST", Mlst(None)),
            (b"MlsD", Mlsd(None)),
            (b"MLSD test/incoming", Mlsd(Some(path("test/incoming")))),
            (b"CWD dir/ect", Cwd(path("dir/ect"))),
            (b"RNFR mlst.c", Rnfr(path("mlst.c"))),
            (b"RNTO list.c", Rnto(path("list.c"))),
            // RFC 7151 §3.1.
            (b"HOST xn--e1afmkfd.com", Host("xn--e1afmkfd.com".into())),
            (b"HOST 192.0.2.1", Host("192.0.2.1".into())),
            (
                b"HOST [2001:db8::c000:201]",
                Host("[2001:db8::c000:201]".into()),
            ),
            (b"HOST [::192.0.2.1]", Host("[::192.0.2.1]".into())),
        ];
        for (line, command) in examples {
            assert_eq!(parse(line), Ok(command), "{}", line.escape_ascii());
        }
        // RFC 7151 §3.1: a port in HOST must get a 501.
        for line in [
            &b"HOST 192.0.2.1:2112"[..],
            b"HOST [2001:db8::c000:201]:2112",
        ] {
            let err = parse(line).expect_err("a port is not allowed");
            assert!(matches!(
                err,
                CommandError::InvalidArgument { verb: "HOST", .. }
            ));
            assert_eq!(err.reply_code(), 501);
        }
    }

    /// Up to `max_len` bytes, each drawn from `alphabet`.
    fn random_bytes(rng: &mut XorShift, alphabet: &[u8], max_len: usize) -> Vec<u8> {
        let len = rng.below(max_len + 1);
        rng.pick_many(alphabet, len)
    }

    /// A name that is not blank, with spaces and bytes that are not UTF-8.
    fn random_name(rng: &mut XorShift) -> Vec<u8> {
        let mut name = random_bytes(rng, b"aZ9 ./-*\t\\\xff\xe9\xc3", 12);
        name.push(rng.pick(b"xyz"));
        if rng.chance() {
            name.reverse();
        }
        name
    }

    fn random_path(rng: &mut XorShift) -> PathArg {
        PathArg(random_name(rng))
    }

    fn random_optional_path(rng: &mut XorShift) -> Option<PathArg> {
        rng.chance().then(|| random_path(rng))
    }

    fn random_text(rng: &mut XorShift) -> String {
        lossy(&random_name(rng))
    }

    fn random_digits(rng: &mut XorShift, len: usize) -> String {
        (0..len)
            .map(|_| char::from(rng.pick(b"0123456789")))
            .collect()
    }

    fn random_type(rng: &mut XorShift) -> TransferType {
        let format = |rng: &mut XorShift| {
            rng.chance()
                .then(|| rng.pick(&[TextFormat::NonPrint, TextFormat::Telnet, TextFormat::Asa]))
        };
        match rng.below(4) {
            0 => TransferType::Ascii(format(rng)),
            1 => TransferType::Ebcdic(format(rng)),
            2 => TransferType::Image,
            _ => TransferType::Local(1 + rng.below(255) as u8),
        }
    }

    fn random_host(rng: &mut XorShift) -> String {
        match rng.below(3) {
            0 => lossy(&random_bytes(rng, b"ab9-.", 10)) + "z",
            1 => Ipv4Addr::from(rng.next() as u32).to_string(),
            _ => format!(
                "[{}]",
                Ipv6Addr::from(u128::from(rng.next()) << 64 | u128::from(rng.next()))
            ),
        }
    }

    fn random_eprt(rng: &mut XorShift) -> SocketAddr {
        let ip = if rng.chance() {
            IpAddr::from(Ipv4Addr::from(rng.next() as u32))
        } else {
            IpAddr::from(Ipv6Addr::from(
                u128::from(rng.next()) << 64 | u128::from(rng.next()),
            ))
        };
        SocketAddr::new(ip, rng.port())
    }

    fn random_command(rng: &mut XorShift) -> Command {
        use Command::*;
        match rng.below(44) {
            0 => User(random_text(rng)),
            1 => Pass(if rng.chance() {
                random_text(rng)
            } else {
                String::new()
            }),
            2 => Acct(random_text(rng)),
            3 => Cwd(random_path(rng)),
            4 => Cdup,
            5 => Smnt(random_path(rng)),
            6 => Rein,
            7 => Quit,
            8 => Port(SocketAddrV4::new(
                Ipv4Addr::from(rng.next() as u32),
                rng.port(),
            )),
            9 => Pasv,
            10 => Type(random_type(rng)),
            11 => Stru(rng.pick(&STRUCTURES)),
            12 => Mode(rng.pick(&MODES)),
            13 => Retr(random_path(rng)),
            14 => Stor(random_path(rng)),
            15 => Stou,
            16 => Appe(random_path(rng)),
            17 => Allo {
                size: rng.next(),
                record: rng.chance().then(|| rng.next()),
            },
            18 => Rest(rng.next()),
            19 => Rnfr(random_path(rng)),
            20 => Rnto(random_path(rng)),
            21 => Abor,
            22 => Dele(random_path(rng)),
            23 => Rmd(random_path(rng)),
            24 => Mkd(random_path(rng)),
            25 => Pwd,
            26 => List(random_optional_path(rng)),
            27 => Nlst(random_optional_path(rng)),
            28 => Site(random_text(rng)),
            29 => Syst,
            30 => Stat(random_optional_path(rng)),
            31 => Help(rng.chance().then(|| random_text(rng))),
            32 => Noop,
            33 => Feat,
            34 => Opts(random_text(rng)),
            35 => Eprt(random_eprt(rng)),
            36 => Epsv(match rng.below(3) {
                0 => None,
                1 => Some(EpsvArg::All),
                _ => Some(EpsvArg::Protocol(rng.next() as u16)),
            }),
            37 => Size(random_path(rng)),
            38 => Mdtm(random_path(rng)),
            39 => Mlst(random_optional_path(rng)),
            40 => Mlsd(random_optional_path(rng)),
            41 => Host(random_host(rng)),
            42 => {
                let mut text = format!(
                    "{:04}{:02}{:02}{:02}{:02}{:02}",
                    1000 + rng.below(9000),
                    1 + rng.below(12),
                    1 + rng.below(28),
                    rng.below(24),
                    rng.below(60),
                    rng.below(61)
                );
                if rng.chance() {
                    let fraction_len = 1 + rng.below(3);
                    text = format!("{text}.{}", random_digits(rng, fraction_len));
                }
                Mfmt {
                    time: time(&text),
                    path: random_path(rng),
                }
            }
            _ => Unknown {
                verb: format!("ZZ{}", lossy(&random_bytes(rng, b"ABCXYZ", 4))),
                arg: rng.chance().then(|| random_bytes(rng, b"a \xff|,", 8)),
            },
        }
    }

    #[test]
    fn random_commands_round_trip() {
        let mut rng = XorShift::new(0x9E37_79B9_7F4A_7C15);
        let mut verbs = BTreeSet::new();
        for _ in 0..5000 {
            let command = random_command(&mut rng);
            assert_eq!(
                parse(&command.to_bytes()),
                Ok(command.clone()),
                "{command:?}"
            );
            verbs.insert(command.verb().to_string());
        }
        for verb in ALL_VERBS {
            assert!(verbs.contains(verb), "the generator never made {verb}");
        }
    }

    /// Random lines, lines made of a verb and random bytes, and truncated table
    /// lines never make `parse` panic; what it accepts formats to a line that
    /// parses to the same command, and its error text is one printable line.
    #[test]
    fn random_and_truncated_input_never_panics() {
        let mut rng = XorShift::new(0xDEAD_BEEF_CAFE_F00D);
        let lines: Vec<&[u8]> = table().into_iter().map(|(line, _)| line).collect();
        let noise = b"aAzZ019 ,|.:-[]\r\n\t\xff\xc3\x00LR";
        for _ in 0..20_000 {
            let line = match rng.below(3) {
                0 => random_bytes(&mut rng, noise, 40),
                1 => {
                    let mut line = rng.pick(&ALL_VERBS).as_bytes().to_vec();
                    line.push(b' ');
                    line.extend(random_bytes(&mut rng, noise, 30));
                    line
                }
                _ => {
                    let line = rng.pick(&lines);
                    line[..rng.below(line.len() + 1)].to_vec()
                }
            };
            match parse(&line) {
                Ok(command) => assert_eq!(parse(&command.to_bytes()), Ok(command)),
                Err(err) => {
                    let text = err.to_string();
                    assert!(!text.contains(['\r', '\n']), "{text:?}");
                }
            }
        }
    }
}
