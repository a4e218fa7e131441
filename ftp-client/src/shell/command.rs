//! The shell's command lines: splitting a line into words and words into a
//! typed [`ShellCommand`].
//!
//! Words follow BSD ftp: whitespace separates them, `"..."` or `'...'` keep
//! spaces inside a word (`get "name with spaces"`), and `\` takes the next
//! character literally. A command may be abbreviated to any prefix that names
//! only one command (`bin` for `binary`), as in BSD ftp.
//!
//! This module only parses; running a command is [`crate::shell`]'s job. The
//! command table ([`COMMANDS`]) also provides the text of `help`.

use std::fmt;

use super::rate::{parse_bytes, Direction};
use crate::client::Representation;

/// One command of the shell's table: its names, argument synopsis and help.
#[derive(Debug, PartialEq, Eq)]
pub struct Spec {
    /// The command's name first, then its aliases.
    pub names: &'static [&'static str],
    /// The arguments, as shown in a usage message.
    pub args: &'static str,
    /// One line of help.
    pub help: &'static str,
}

impl Spec {
    /// The usage line: `get remote-file [local-file]`.
    pub fn usage(&self) -> String {
        match self.args {
            "" => self.names[0].to_string(),
            args => format!("{} {args}", self.names[0]),
        }
    }
}

/// Every shell command, in the order `help` lists them.
pub const COMMANDS: &[Spec] = &[
    spec(&["open", "ftp"], "host [port]", "connect to an FTP server"),
    spec(&["user"], "user-name [password]", "log in (USER, PASS)"),
    spec(&["close", "disconnect"], "", "end the FTP session"),
    spec(
        &["bye", "quit", "exit"],
        "",
        "end the session and the program",
    ),
    spec(&["pwd"], "", "print the remote working directory"),
    spec(
        &["cd"],
        "remote-directory",
        "change the remote working directory",
    ),
    spec(&["cdup"], "", "change to the remote parent directory"),
    spec(
        &["lcd"],
        "[local-directory]",
        "change the local working directory",
    ),
    spec(
        &["ls"],
        "[remote-path [local-file]]",
        "list a directory (LIST)",
    ),
    spec(
        &["dir"],
        "[remote-path [local-file]]",
        "list a directory (LIST)",
    ),
    spec(
        &["nlist"],
        "[remote-path [local-file]]",
        "list names only (NLST)",
    ),
    spec(
        &["mlsd"],
        "[remote-path [local-file]]",
        "list from MLSD facts",
    ),
    spec(&["mkdir"], "directory-name", "make a remote directory"),
    spec(&["rmdir"], "directory-name", "remove a remote directory"),
    spec(&["delete"], "remote-file", "delete a remote file"),
    spec(
        &["mdelete"],
        "remote-files...",
        "delete remote files (wildcards)",
    ),
    spec(&["rename"], "from-name to-name", "rename a remote file"),
    spec(
        &["get", "recv"],
        "remote-file [local-file]",
        "download a file (- for stdout)",
    ),
    spec(
        &["put", "send"],
        "local-file [remote-file]",
        "upload a file",
    ),
    spec(
        &["append"],
        "local-file [remote-file]",
        "append a local file to a remote file",
    ),
    spec(
        &["reget"],
        "remote-file [local-file]",
        "resume a download (REST)",
    ),
    spec(&["mget"], "remote-files...", "download files (wildcards)"),
    spec(
        &["mput", "msend"],
        "local-files...",
        "upload files (wildcards)",
    ),
    spec(
        &["mirror"],
        "[-R] [--delete] [--only-newer] [--dry-run] source [target]",
        "copy a directory tree down (up with -R)",
    ),
    spec(&["size"], "remote-file", "show the size of a remote file"),
    spec(
        &["modtime"],
        "remote-file",
        "show the modification time of a remote file",
    ),
    spec(&["ascii"], "", "transfer text: convert line ends (TYPE A)"),
    spec(
        &["binary", "image"],
        "",
        "transfer bytes unchanged (TYPE I)",
    ),
    spec(&["type"], "[ascii|binary]", "show or set the transfer type"),
    spec(
        &["passive"],
        "[on|off]",
        "toggle passive (or active) data connections",
    ),
    spec(
        &["prompt"],
        "[on|off]",
        "toggle asking before each file of mget/mput/mdelete",
    ),
    spec(
        &["hash"],
        "[on|off|bytes]",
        "toggle printing # per block transferred",
    ),
    spec(
        &["verbose"],
        "[on|off]",
        "toggle showing the server's replies",
    ),
    spec(
        &["debug", "ftp_debug"],
        "[on|off]",
        "toggle showing the commands sent (--->)",
    ),
    spec(&["status"], "", "show the connection and settings"),
    spec(
        &["ccc"],
        "",
        "end TLS on the control connection (FTPS; data stays protected)",
    ),
    spec(&["features"], "", "show what the server supports (FEAT)"),
    spec(&["quote"], "command [args...]", "send a raw command"),
    spec(&["site"], "command [args...]", "send a SITE command"),
    spec(
        &["account"],
        "[password]",
        "send an account password (ACCT)",
    ),
    spec(&["lpwd"], "", "print the local working directory"),
    spec(&["!"], "[command]", "run a local shell command"),
    spec(
        &["mls"],
        "remote-files... local-file",
        "list names (NLST) of several remote paths into a local file",
    ),
    spec(
        &["mdir"],
        "remote-files... local-file",
        "list (LIST) several remote paths into a local file",
    ),
    spec(
        &["mlst"],
        "[remote-path]",
        "show the facts of one path (MLST)",
    ),
    spec(
        &["mreget"],
        "remote-files...",
        "continue downloads of several files (wildcards)",
    ),
    spec(
        &["restart"],
        "[marker]",
        "start the next get or put at byte marker",
    ),
    spec(
        &["reput"],
        "local-file [remote-file]",
        "continue an upload after the bytes the server has",
    ),
    spec(
        &["newer"],
        "remote-file [local-file]",
        "download only if the remote file is newer",
    ),
    spec(
        &["fget"],
        "local-file",
        "download the remote files named in a local file, one per line",
    ),
    spec(
        &["chmod"],
        "mode remote-file",
        "change permissions (SITE CHMOD)",
    ),
    spec(
        &["mode"],
        "[stream]",
        "show the transfer mode (stream only)",
    ),
    spec(&["struct"], "[file]", "show the file structure (file only)"),
    spec(&["form"], "[non-print]", "show the format (non-print only)"),
    spec(&["epsv"], "[on|off]", "toggle EPSV/EPRT for IPv4 and IPv6"),
    spec(&["epsv4"], "[on|off]", "toggle EPSV/EPRT on IPv4"),
    spec(&["epsv6"], "[on|off]", "toggle EPSV/EPRT on IPv6"),
    spec(&["glob"], "[on|off]", "toggle wildcard expansion"),
    spec(&["progress"], "[on|off]", "toggle the progress meter"),
    spec(
        &["explain"],
        "[on|off]",
        "toggle describing each data connection",
    ),
    spec(
        &["rate", "throttle"],
        "[all|get|put [max-bytes-per-second]]",
        "show or set the transfer rate limit (0: none)",
    ),
    spec(
        &["trace"],
        "[on|off]",
        "toggle packet tracing (each read or write of a transfer)",
    ),
    spec(&["set"], "[option [value]]", "show or set an option"),
    spec(&["unset"], "option", "unset an option"),
    spec(&["rhelp"], "[command]", "ask the server for help (HELP)"),
    spec(
        &["rstatus"],
        "[remote-path]",
        "ask the server for its status (STAT)",
    ),
    spec(&["system"], "", "show the server's system type (SYST)"),
    spec(
        &["idle"],
        "[seconds]",
        "show or set the server's inactivity timer (SITE IDLE)",
    ),
    spec(
        &["macdef"],
        "[macro-name]",
        "define a macro: the lines up to an empty line",
    ),
    spec(&["$"], "macro-name [args...]", "run a macro"),
    spec(
        &["help", "?", "usage"],
        "[command]",
        "list commands or describe one",
    ),
];

/// A table entry (a function so the table stays one line per command).
const fn spec(names: &'static [&'static str], args: &'static str, help: &'static str) -> Spec {
    Spec { names, args, help }
}

/// An on/off setting's change: flip it, or set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toggle {
    /// No argument: turn it on if it was off and off if it was on.
    Flip,
    /// `on` or `off`.
    Set(bool),
}

impl Toggle {
    /// The setting's new value.
    pub fn apply(self, current: bool) -> bool {
        match self {
            Toggle::Flip => !current,
            Toggle::Set(value) => value,
        }
    }
}

/// The three ways to list a remote directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// `LIST`: the server's `ls -l`-like lines (`ls`, `dir`).
    Long,
    /// `NLST`: names only (`nlist`).
    Names,
    /// `MLSD`: facts, shown as `ls -l`-like lines (`mlsd`).
    Machine,
}

/// Which address family `epsv`, `epsv4` and `epsv6` set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpsvFamily {
    /// `epsv`: both.
    Both,
    /// `epsv4`.
    V4,
    /// `epsv6`.
    V6,
}

/// The three transfer parameters of RFC 959 that only have one useful value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parameter {
    /// `mode`: stream.
    Mode,
    /// `struct`: file.
    Struct,
    /// `form`: non-print.
    Form,
}

impl Parameter {
    /// The only value supported, as tnftp names it.
    pub fn only_value(self) -> &'static str {
        match self {
            Parameter::Mode => "stream",
            Parameter::Struct => "file",
            Parameter::Form => "non-print",
        }
    }
}

/// A parsed shell command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellCommand {
    /// `open host [port]`.
    Open {
        /// Host name or address.
        host: String,
        /// The port, if given.
        port: Option<u16>,
    },
    /// `user name [password]`.
    User {
        /// The user name.
        name: String,
        /// The password; asked for when missing.
        password: Option<String>,
    },
    /// `close`: end the session, stay in the shell.
    Close,
    /// `bye`: end the session and the shell.
    Bye,
    /// `pwd`.
    Pwd,
    /// `cd dir`.
    Cd(String),
    /// `cdup`.
    Cdup,
    /// `lcd [dir]`: the home directory when none is given.
    Lcd(Option<String>),
    /// `ls`, `dir`, `nlist`, `mlsd`.
    List {
        /// Which listing.
        kind: ListKind,
        /// The remote directory (or file), if given.
        path: Option<String>,
        /// A local file to write the listing to (`-` for stdout).
        output: Option<String>,
    },
    /// `mkdir dir`.
    Mkdir(String),
    /// `rmdir dir`.
    Rmdir(String),
    /// `delete file`.
    Delete(String),
    /// `mdelete patterns...`.
    Mdelete(Vec<String>),
    /// `rename from to`.
    Rename(String, String),
    /// `get remote [local]` and `reget remote [local]`.
    Get {
        /// The remote file.
        remote: String,
        /// The local file; the remote file's base name when missing, `-` for stdout.
        local: Option<String>,
        /// `reget`: continue after the bytes the local file already has.
        resume: bool,
    },
    /// `put local [remote]` and `append local [remote]`.
    Put {
        /// The local file.
        local: String,
        /// The remote file; the local file's base name when missing.
        remote: Option<String>,
        /// `append`: add to the remote file (APPE) instead of replacing it.
        append: bool,
    },
    /// `mget patterns...`.
    Mget(Vec<String>),
    /// `mput patterns...`.
    Mput(Vec<String>),
    /// `mirror [options] source [target]`: the words, parsed by [`crate::shell::mirror`].
    Mirror(Vec<String>),
    /// `size file`.
    Size(String),
    /// `modtime file`.
    Modtime(String),
    /// `ascii`, `binary`, `type [name]`: `None` shows the current type.
    Type(Option<Representation>),
    /// `passive [on|off]`.
    Passive(Toggle),
    /// `prompt [on|off]`.
    Prompt(Toggle),
    /// `hash [on|off|bytes]`: the toggle and, if given, the bytes per mark.
    Hash(Toggle, Option<u64>),
    /// `verbose [on|off]`.
    Verbose(Toggle),
    /// `debug [on|off]`.
    Debug(Toggle),
    /// `status`.
    Status,
    /// `ccc`: the control connection back to clear text (FTPS).
    Ccc,
    /// `features`.
    Features,
    /// `quote line...`: the words joined by spaces.
    Quote(String),
    /// `site args...`: the words joined by spaces.
    Site(String),
    /// `help [command]`.
    Help(Option<String>),
    /// `account [password]`: sent as `ACCT`, asked for when missing.
    Account(Option<String>),
    /// `lpwd`.
    Lpwd,
    /// `!command`: run in the local shell (an interactive shell when empty).
    Local(String),
    /// `mls`/`mdir remote... local`: several listings into one local file.
    MultiList {
        /// `Names` for mls, `Long` for mdir.
        kind: ListKind,
        /// The remote paths (wildcards expanded when globbing is on).
        remotes: Vec<String>,
        /// The local file (`-` for stdout).
        output: String,
    },
    /// `mlst [path]`.
    Mlst(Option<String>),
    /// `mreget patterns...`.
    Mreget(Vec<String>),
    /// `restart [marker]`: no marker shows the current one.
    Restart(Option<u64>),
    /// `reput local [remote]`.
    Reput {
        /// The local file.
        local: String,
        /// The remote file; the local file's base name when missing.
        remote: Option<String>,
    },
    /// `newer remote [local]`.
    Newer {
        /// The remote file.
        remote: String,
        /// The local file; the remote file's base name when missing.
        local: Option<String>,
    },
    /// `fget local-file`.
    Fget(String),
    /// `chmod mode file`.
    Chmod(String, String),
    /// `mode`, `struct`, `form`, with the value asked for.
    Parameter(Parameter, Option<String>),
    /// `epsv`, `epsv4`, `epsv6`.
    Epsv(EpsvFamily, Toggle),
    /// `glob [on|off]`.
    Glob(Toggle),
    /// `progress [on|off]`.
    Progress(Toggle),
    /// `explain [on|off]`: describe each data connection (`--explain`).
    Explain(Toggle),
    /// `rate [direction [limit]]`: the limit in bytes per second.
    Rate(Option<(Direction, Option<u64>)>),
    /// `trace [on|off]`.
    Trace(Toggle),
    /// `set [option [value]]`.
    Set(Option<(String, Option<String>)>),
    /// `unset option`.
    Unset(String),
    /// `rhelp [command]`.
    Rhelp(Option<String>),
    /// `rstatus [path]`.
    Rstatus(Option<String>),
    /// `system`.
    System,
    /// `idle [seconds]`.
    Idle(Option<u64>),
    /// `macdef [name]`: no name lists the macros.
    Macdef(Option<String>),
    /// `$ name args...`.
    RunMacro(String, Vec<String>),
}

/// Why a line is not a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// A quote is not closed.
    Unbalanced,
    /// No command has this name or prefix.
    Unknown(String),
    /// Several commands start with this prefix.
    Ambiguous(String),
    /// The arguments do not fit the command.
    Usage(&'static Spec),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Unbalanced => f.write_str("unbalanced quotes"),
            ParseError::Unknown(name) => write!(f, "{name}: unknown command (try help)"),
            ParseError::Ambiguous(name) => write!(f, "{name}: ambiguous command"),
            ParseError::Usage(spec) => write!(f, "usage: {}", spec.usage()),
        }
    }
}

impl std::error::Error for ParseError {}

impl ShellCommand {
    /// Parses one line; `Ok(None)` for an empty line.
    ///
    /// ```
    /// use ftp_client::shell::command::ShellCommand;
    ///
    /// let get = ShellCommand::parse(r#"get "my file.txt" copy.txt"#)?;
    /// assert_eq!(get, Some(ShellCommand::Get {
    ///     remote: "my file.txt".into(),
    ///     local: Some("copy.txt".into()),
    ///     resume: false,
    /// }));
    /// # Ok::<(), ftp_client::shell::command::ParseError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`ParseError`] for unbalanced quotes, an unknown or ambiguous
    /// command, or arguments that do not fit (with the command's usage).
    pub fn parse(line: &str) -> Result<Option<ShellCommand>, ParseError> {
        if let Some(command) = line.trim_start().strip_prefix('!') {
            return Ok(Some(ShellCommand::Local(command.trim().to_string())));
        }
        let mut words = split_words(line)?.into_iter();
        let Some(name) = words.next() else {
            return Ok(None);
        };
        let spec = lookup(&name)?;
        build(spec, words.collect()).map(Some)
    }
}

/// The command named `name`: an exact name or alias, else the only command
/// that starts with `name`.
///
/// # Errors
///
/// [`ParseError::Unknown`] or [`ParseError::Ambiguous`].
pub fn lookup(name: &str) -> Result<&'static Spec, ParseError> {
    let lower = name.to_ascii_lowercase();
    let exact = COMMANDS
        .iter()
        .find(|spec| spec.names.contains(&lower.as_str()));
    if let Some(spec) = exact {
        return Ok(spec);
    }
    let mut matches = COMMANDS
        .iter()
        .filter(|spec| spec.names.iter().any(|alias| alias.starts_with(&lower)));
    match (matches.next(), matches.next()) {
        (Some(spec), None) => Ok(spec),
        (Some(_), Some(_)) => Err(ParseError::Ambiguous(name.to_string())),
        (None, _) => Err(ParseError::Unknown(name.to_string())),
    }
}

/// Splits a line into words: whitespace separates, quotes group, `\` escapes.
///
/// # Errors
///
/// [`ParseError::Unbalanced`] when a quote is not closed.
pub fn split_words(line: &str) -> Result<Vec<String>, ParseError> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(open), c) if c == open => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, '\\') => word.get_or_insert_with(String::new).extend(chars.next()),
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    if quote.is_some() {
        return Err(ParseError::Unbalanced);
    }
    words.extend(word);
    Ok(words)
}

/// The arguments of one command, taken in order; any misfit is a usage error.
struct Args {
    spec: &'static Spec,
    words: std::vec::IntoIter<String>,
}

impl Args {
    fn usage(&self) -> ParseError {
        ParseError::Usage(self.spec)
    }

    fn required(&mut self) -> Result<String, ParseError> {
        self.words.next().ok_or_else(|| self.usage())
    }

    fn optional(&mut self) -> Option<String> {
        self.words.next()
    }

    /// All remaining words, at least one.
    fn some(&mut self) -> Result<Vec<String>, ParseError> {
        let rest: Vec<String> = self.words.by_ref().collect();
        if rest.is_empty() {
            return Err(self.usage());
        }
        Ok(rest)
    }

    /// An optional argument parsed by `parse`, a usage error if it does not parse.
    fn optional_with<T>(&mut self, parse: fn(&str) -> Option<T>) -> Result<Option<T>, ParseError> {
        match self.words.next() {
            None => Ok(None),
            Some(word) => parse(&word).map(Some).ok_or_else(|| self.usage()),
        }
    }

    fn toggle(&mut self) -> Result<Toggle, ParseError> {
        Ok(self
            .optional_with(on_off)?
            .map_or(Toggle::Flip, Toggle::Set))
    }

    /// Ends the arguments: more words than the command takes are a usage error.
    fn finish(mut self) -> Result<(), ParseError> {
        match self.words.next() {
            Some(_) => Err(self.usage()),
            None => Ok(()),
        }
    }
}

/// Builds the command `spec` from its argument words.
fn build(spec: &'static Spec, words: Vec<String>) -> Result<ShellCommand, ParseError> {
    use ShellCommand as C;
    let mut args = Args {
        spec,
        words: words.into_iter(),
    };
    let command = match spec.names[0] {
        "open" => C::Open {
            host: args.required()?,
            port: args.optional_with(port)?,
        },
        "user" => C::User {
            name: args.required()?,
            password: args.optional(),
        },
        "close" => C::Close,
        "bye" => C::Bye,
        "pwd" => C::Pwd,
        "cd" => C::Cd(args.required()?),
        "cdup" => C::Cdup,
        "lcd" => C::Lcd(args.optional()),
        "ls" | "dir" => list(ListKind::Long, &mut args),
        "nlist" => list(ListKind::Names, &mut args),
        "mlsd" => list(ListKind::Machine, &mut args),
        "mkdir" => C::Mkdir(args.required()?),
        "rmdir" => C::Rmdir(args.required()?),
        "delete" => C::Delete(args.required()?),
        "mdelete" => C::Mdelete(args.some()?),
        "rename" => C::Rename(args.required()?, args.required()?),
        "get" | "reget" => C::Get {
            remote: args.required()?,
            local: args.optional(),
            resume: spec.names[0] == "reget",
        },
        "put" | "append" => C::Put {
            local: args.required()?,
            remote: args.optional(),
            append: spec.names[0] == "append",
        },
        "mget" => C::Mget(args.some()?),
        "mput" => C::Mput(args.some()?),
        "mirror" => C::Mirror(args.some()?),
        "size" => C::Size(args.required()?),
        "modtime" => C::Modtime(args.required()?),
        "ascii" => C::Type(Some(Representation::Ascii)),
        "binary" => C::Type(Some(Representation::Binary)),
        "type" => C::Type(args.optional_with(transfer_type)?),
        "passive" => C::Passive(args.toggle()?),
        "prompt" => C::Prompt(args.toggle()?),
        "hash" => hash(&mut args)?,
        "verbose" => C::Verbose(args.toggle()?),
        "debug" => C::Debug(args.toggle()?),
        "status" => C::Status,
        "ccc" => C::Ccc,
        "features" => C::Features,
        "quote" => C::Quote(args.some()?.join(" ")),
        "site" => C::Site(args.some()?.join(" ")),
        "account" => C::Account(args.optional()),
        "lpwd" => C::Lpwd,
        "!" => C::Local(args.words.by_ref().collect::<Vec<_>>().join(" ")),
        "mls" | "mdir" => multi_list(spec.names[0], &mut args)?,
        "mlst" => C::Mlst(args.optional()),
        "mreget" => C::Mreget(args.some()?),
        "restart" => C::Restart(args.optional_with(|word| word.parse().ok())?),
        "reput" => C::Reput {
            local: args.required()?,
            remote: args.optional(),
        },
        "newer" => C::Newer {
            remote: args.required()?,
            local: args.optional(),
        },
        "fget" => C::Fget(args.required()?),
        "chmod" => C::Chmod(args.required()?, args.required()?),
        "mode" => C::Parameter(Parameter::Mode, args.optional()),
        "struct" => C::Parameter(Parameter::Struct, args.optional()),
        "form" => C::Parameter(Parameter::Form, args.optional()),
        "epsv" => C::Epsv(EpsvFamily::Both, args.toggle()?),
        "epsv4" => C::Epsv(EpsvFamily::V4, args.toggle()?),
        "epsv6" => C::Epsv(EpsvFamily::V6, args.toggle()?),
        "glob" => C::Glob(args.toggle()?),
        "progress" => C::Progress(args.toggle()?),
        "explain" => C::Explain(args.toggle()?),
        "rate" => rate(&mut args)?,
        "trace" => C::Trace(args.toggle()?),
        "set" => C::Set(args.optional().map(|name| (name, args.optional()))),
        "unset" => C::Unset(args.required()?),
        "rhelp" => C::Rhelp(args.optional()),
        "rstatus" => C::Rstatus(args.optional()),
        "system" => C::System,
        "idle" => C::Idle(args.optional_with(|word| word.parse().ok())?),
        "macdef" => C::Macdef(args.optional()),
        "$" => C::RunMacro(args.required()?, args.words.by_ref().collect()),
        // The table's last entry: help, ?.
        _ => C::Help(args.optional()),
    };
    args.finish()?;
    Ok(command)
}

/// `ls`/`dir`/`nlist`/`mlsd [path [local-file]]`.
fn list(kind: ListKind, args: &mut Args) -> ShellCommand {
    ShellCommand::List {
        kind,
        path: args.optional(),
        output: args.optional(),
    }
}

/// `mls`/`mdir remote-files... local-file`: the last word is the local file.
fn multi_list(name: &str, args: &mut Args) -> Result<ShellCommand, ParseError> {
    let mut remotes = args.some()?;
    if remotes.len() < 2 {
        return Err(args.usage());
    }
    let output = remotes.pop().unwrap_or_default();
    let kind = if name == "mls" {
        ListKind::Names
    } else {
        ListKind::Long
    };
    Ok(ShellCommand::MultiList {
        kind,
        remotes,
        output,
    })
}

/// `rate`, `rate all|get|put`, `rate all|get|put BYTES` (`k`, `m`, `g` allowed).
fn rate(args: &mut Args) -> Result<ShellCommand, ParseError> {
    let Some(direction) = args.optional_with(Direction::parse)? else {
        return Ok(ShellCommand::Rate(None));
    };
    let limit = args.optional_with(parse_bytes)?;
    Ok(ShellCommand::Rate(Some((direction, limit))))
}

/// `hash`, `hash on|off`, or `hash BYTES` (which also turns marks on).
fn hash(args: &mut Args) -> Result<ShellCommand, ParseError> {
    let Some(word) = args.optional() else {
        return Ok(ShellCommand::Hash(Toggle::Flip, None));
    };
    if let Some(on) = on_off(&word) {
        return Ok(ShellCommand::Hash(Toggle::Set(on), None));
    }
    match word.parse::<u64>() {
        Ok(size) if size > 0 => Ok(ShellCommand::Hash(Toggle::Set(true), Some(size))),
        _ => Err(args.usage()),
    }
}

/// `on` or `off`.
fn on_off(word: &str) -> Option<bool> {
    match word.to_ascii_lowercase().as_str() {
        "on" => Some(true),
        "off" => Some(false),
        _ => None,
    }
}

/// A port number from 1 to 65535.
fn port(word: &str) -> Option<u16> {
    word.parse().ok().filter(|&port| port != 0)
}

/// `ascii`/`a` or `binary`/`image`/`i`.
fn transfer_type(word: &str) -> Option<Representation> {
    match word.to_ascii_lowercase().as_str() {
        "ascii" | "a" => Some(Representation::Ascii),
        "binary" | "image" | "i" => Some(Representation::Binary),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ShellCommand as C;

    fn parse(line: &str) -> ShellCommand {
        ShellCommand::parse(line)
            .unwrap_or_else(|err| panic!("{line}: {err}"))
            .unwrap_or_else(|| panic!("{line}: empty"))
    }

    fn words(line: &str) -> Vec<String> {
        split_words(line).expect("balanced")
    }

    #[test]
    fn words_split_on_whitespace() {
        assert_eq!(words("  get   a\tb  "), ["get", "a", "b"]);
        assert!(words("   ").is_empty());
    }

    #[test]
    fn quotes_keep_spaces_and_may_be_empty() {
        assert_eq!(words(r#"put "a b.txt" 'c d'"#), ["put", "a b.txt", "c d"]);
        assert_eq!(words(r#"x "" y"#), ["x", "", "y"]);
        assert_eq!(words(r#"pre"fix mid"post"#), ["prefix midpost"]);
        assert_eq!(words(r#"say "it's""#), ["say", "it's"]);
    }

    #[test]
    fn backslash_escapes_the_next_character() {
        assert_eq!(words(r"get a\ b c\\d"), ["get", "a b", r"c\d"]);
        assert_eq!(words(r#"get \"q\""#), ["get", "\"q\""]);
    }

    #[test]
    fn an_open_quote_is_an_error() {
        assert_eq!(split_words("get \"open"), Err(ParseError::Unbalanced));
        assert_eq!(ShellCommand::parse("cd 'x"), Err(ParseError::Unbalanced));
    }

    #[test]
    fn empty_lines_are_no_command() {
        assert_eq!(ShellCommand::parse("   "), Ok(None));
    }

    #[test]
    fn aliases_and_unique_prefixes_name_commands() {
        assert_eq!(parse("recv f"), parse("get f"));
        assert_eq!(parse("send f"), parse("put f"));
        assert_eq!(parse("quit"), C::Bye);
        assert_eq!(parse("exit"), C::Bye);
        assert_eq!(parse("disconnect"), C::Close);
        assert_eq!(parse("bin"), C::Type(Some(Representation::Binary)));
        assert_eq!(parse("BINARY"), C::Type(Some(Representation::Binary)));
        assert_eq!(parse("? ls"), C::Help(Some("ls".into())));
        // "ls" is exact even though "lsd" does not exist; "mg" is mget only.
        assert_eq!(parse("mg a*"), C::Mget(vec!["a*".into()]));
    }

    #[test]
    fn unknown_and_ambiguous_names_are_refused() {
        assert_eq!(
            ShellCommand::parse("frobnicate"),
            Err(ParseError::Unknown("frobnicate".into()))
        );
        // "m" could be mkdir, mlsd, mdelete, mget, mput, modtime.
        assert_eq!(
            ShellCommand::parse("m"),
            Err(ParseError::Ambiguous("m".into()))
        );
        assert_eq!(
            ShellCommand::parse("re x"),
            Err(ParseError::Ambiguous("re".into()))
        );
    }

    #[test]
    fn wrong_argument_counts_show_the_usage() {
        let err = ShellCommand::parse("get").expect_err("needs a file");
        assert_eq!(err.to_string(), "usage: get remote-file [local-file]");
        let err = ShellCommand::parse("pwd extra").expect_err("takes nothing");
        assert_eq!(err.to_string(), "usage: pwd");
        assert!(ShellCommand::parse("rename a").is_err());
        assert!(ShellCommand::parse("rename a b c").is_err());
        assert!(ShellCommand::parse("mget").is_err());
        assert!(ShellCommand::parse("quote").is_err());
    }

    #[test]
    fn open_takes_an_optional_port() {
        assert_eq!(
            parse("open ::1 2121"),
            C::Open {
                host: "::1".into(),
                port: Some(2121)
            }
        );
        assert_eq!(
            parse("open h"),
            C::Open {
                host: "h".into(),
                port: None
            }
        );
        assert!(ShellCommand::parse("open h 0").is_err());
        assert!(ShellCommand::parse("open h 70000").is_err());
        assert!(ShellCommand::parse("open h ftp").is_err());
    }

    #[test]
    fn file_commands() {
        assert_eq!(
            parse("reget big.iso"),
            C::Get {
                remote: "big.iso".into(),
                local: None,
                resume: true
            }
        );
        assert_eq!(
            parse("append log.txt remote.log"),
            C::Put {
                local: "log.txt".into(),
                remote: Some("remote.log".into()),
                append: true
            }
        );
        assert_eq!(
            parse("rename \"old name\" new"),
            C::Rename("old name".into(), "new".into())
        );
        assert_eq!(
            parse("mput *.txt *.md"),
            C::Mput(vec!["*.txt".into(), "*.md".into()])
        );
    }

    #[test]
    fn listings() {
        assert_eq!(
            parse("dir pub out.txt"),
            C::List {
                kind: ListKind::Long,
                path: Some("pub".into()),
                output: Some("out.txt".into())
            }
        );
        assert_eq!(
            parse("nlist"),
            C::List {
                kind: ListKind::Names,
                path: None,
                output: None
            }
        );
        assert!(matches!(
            parse("mlsd /"),
            C::List {
                kind: ListKind::Machine,
                ..
            }
        ));
        assert!(ShellCommand::parse("ls a b c").is_err());
    }

    #[test]
    fn toggles() {
        assert_eq!(parse("passive"), C::Passive(Toggle::Flip));
        assert_eq!(parse("passive off"), C::Passive(Toggle::Set(false)));
        assert_eq!(parse("verbose ON"), C::Verbose(Toggle::Set(true)));
        assert!(ShellCommand::parse("prompt maybe").is_err());
        assert!(Toggle::Flip.apply(false));
        assert!(!Toggle::Flip.apply(true));
        assert!(!Toggle::Set(false).apply(true));
    }

    #[test]
    fn hash_takes_a_toggle_or_a_block_size() {
        assert_eq!(parse("hash"), C::Hash(Toggle::Flip, None));
        assert_eq!(parse("hash off"), C::Hash(Toggle::Set(false), None));
        assert_eq!(parse("hash 4096"), C::Hash(Toggle::Set(true), Some(4096)));
        assert!(ShellCommand::parse("hash 0").is_err());
        assert!(ShellCommand::parse("hash lots").is_err());
    }

    #[test]
    fn types() {
        assert_eq!(parse("type"), C::Type(None));
        assert_eq!(parse("type i"), C::Type(Some(Representation::Binary)));
        assert_eq!(parse("type image"), C::Type(Some(Representation::Binary)));
        assert_eq!(parse("type A"), C::Type(Some(Representation::Ascii)));
        assert!(ShellCommand::parse("type ebcdic").is_err());
    }

    #[test]
    fn quote_and_site_join_their_words() {
        assert_eq!(parse("quote  HELP   SITE"), C::Quote("HELP SITE".into()));
        assert_eq!(parse("site chmod 644 f"), C::Site("chmod 644 f".into()));
    }

    #[test]
    fn every_command_in_the_table_parses_by_each_of_its_names() {
        for spec in COMMANDS {
            for name in spec.names {
                // With its usage's required words filled in, each name parses.
                let required = spec
                    .args
                    .split_whitespace()
                    .filter(|word| !word.starts_with('['))
                    .map(|_| "x")
                    .collect::<Vec<_>>()
                    .join(" ");
                let line = format!("{name} {required}");
                let spec_found = lookup(name).expect("known");
                assert_eq!(spec_found, spec, "{name}");
                assert!(ShellCommand::parse(&line).is_ok(), "{line}");
            }
        }
    }
}
