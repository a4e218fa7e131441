//! Command-line options to a checked [`Config`].
//!
//! [`parse_args`] turns the arguments into either a [`Config`] whose every
//! value has been checked (addresses parse, the root is a readable directory,
//! the users file is private, ranges are ordered, the `--run-as` user
//! exists), or a one-line error message for `main` to print before exiting
//! with status 2.
//!
//! What it does not do: bind sockets (a busy address is found by
//! [`crate::server`]) or set up logging.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use getopts::{Matches, Options};

use crate::auth::{self, Access, Users};
use crate::privileges::Identity;
use crate::quirks::Quirks;

/// The address served when no `--listen` is given.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), DEFAULT_PORT);

/// The port used when `--listen` names only an address.
const DEFAULT_PORT: u16 = 2121;

/// Everything the server needs to run, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// Addresses to listen on (standalone mode).
    pub listen: Vec<SocketAddr>,
    /// The served directory, canonical.
    pub root: PathBuf,
    /// Accounts and anonymous access.
    pub users: Users,
    /// Ports for passive listeners; `None` lets the OS choose.
    pub pasv_ports: Option<RangeInclusive<u16>>,
    /// The address advertised in 227 replies instead of the local one (NAT).
    pub pasv_address: Option<Ipv4Addr>,
    /// Whether anonymous sessions see only what everyone may see.
    pub anonymous_world_readable_only: bool,
    /// Whether PORT and EPRT are allowed.
    pub active: bool,
    /// Whether PASV and EPSV are allowed.
    pub passive: bool,
    /// Sessions at once, in all.
    pub max_sessions: usize,
    /// Sessions at once from one client address.
    pub max_per_ip: usize,
    /// A session that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// A session that has not logged in after this long is closed.
    pub login_timeout: Duration,
    /// Limit for opening a data connection and for a stalled transfer.
    pub data_timeout: Duration,
    /// Delay before answering a failed login.
    pub login_fail_delay: Duration,
    /// Serve one session on stdin/stdout.
    pub inetd: bool,
    /// Where to write the xferlog, if anywhere.
    pub xferlog: Option<PathBuf>,
    /// The user sessions run as (`--run-as`); see [`crate::privileges`].
    pub run_as: Option<Identity>,
    /// Log level: 0 normal, negative quieter, positive more verbose.
    pub verbosity: i32,
    /// Misbehaviour on purpose (`--quirk`), for testing clients; none by default.
    pub quirks: Quirks,
    /// FTPS, if `--tls-cert` is given.
    #[cfg(feature = "tls")]
    pub tls: Option<crate::tls::Tls>,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Parsed {
    /// Run the server.
    Run(Box<Config>),
    /// Print this usage text and exit successfully.
    Help(String),
    /// Print the version and exit successfully.
    Version,
}

/// A bad option, with a one-line explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl From<String> for ConfigError {
    fn from(message: String) -> ConfigError {
        ConfigError(message)
    }
}

/// The option table, shared by parsing and `--help`.
fn options() -> Options {
    let mut opts = Options::new();
    opts.optmulti(
        "l",
        "listen",
        "address to listen on, repeatable (default 127.0.0.1:2121)",
        "ADDR:PORT",
    )
    .optopt(
        "r",
        "root",
        "directory to serve (default: the current directory)",
        "DIR",
    )
    .optmulti(
        "",
        "user",
        "a user, repeatable; rw by default. PASSWORD may be a hash from \
         `openssl passwd -6` (quote it); without it (NAME or NAME::ro) it is \
         read from FTP_SERVER_PASSWORD_NAME, out of sight of ps",
        "NAME[:PASSWORD[:ro|rw]]",
    )
    .optopt(
        "",
        "users",
        "users file: name:password[:ro|rw[:home]] per line, mode 600; \
         the password may be a hash from `openssl passwd -6`",
        "FILE",
    )
    .optflagopt(
        "",
        "anonymous",
        "allow anonymous logins, read-only or (--anonymous=rw) read-write; default: ro when no user is configured",
        "ro|rw",
    )
    .optflag("", "no-anonymous", "refuse anonymous logins")
    .optflag(
        "",
        "anonymous-reads-all",
        "let anonymous users read what the server's user may read; default: only \
         world-readable files and directories, only world-executable directories entered",
    )
    .optopt(
        "",
        "pasv-ports",
        "port range for passive data connections",
        "LO-HI",
    )
    .optopt(
        "",
        "pasv-address",
        "IPv4 address to advertise in 227 replies (server behind NAT)",
        "IP",
    )
    .optflag("", "no-active", "refuse PORT and EPRT")
    .optflag("", "no-passive", "refuse PASV and EPSV")
    .optopt("", "max-sessions", "sessions at once (default 200)", "N")
    .optopt(
        "",
        "max-per-ip",
        "sessions at once from one address (default 50)",
        "N",
    )
    .optopt(
        "",
        "idle-timeout",
        "close sessions idle this long (default 300)",
        "SECS",
    )
    .optopt(
        "",
        "login-timeout",
        "close sessions not logged in after this long (default 60)",
        "SECS",
    )
    .optopt(
        "",
        "data-timeout",
        "limit for data connections and stalled transfers (default 60)",
        "SECS",
    )
    .optflag(
        "",
        "inetd",
        "serve one session on stdin/stdout (inetd, systemd Accept=yes)",
    )
    .optopt(
        "",
        "xferlog",
        "append a line per transfer to FILE in xferlog format",
        "FILE",
    )
    .optopt(
        "",
        "run-as",
        "serve sessions as USER (name, UID or UID:GID), without its groups or \
         capabilities, after binding as root; required when started as root \
         (--run-as root to insist)",
        "USER",
    )
    .optmulti(
        "",
        "quirk",
        "misbehave on purpose, for testing clients (repeatable): pasv-bad-ip, \
         no-epsv, no-eprt, no-mlsd, no-feat, lowercase-227, 227-no-parens, \
         multiline-mismatch, multiline-digits, slow-replies=MS, split-replies, \
         150-after-data, 226-before-close, no-226, drop-data=BYTES, \
         size-in-ascii, empty-list-missing, abor-226-only, 125-always \
         (see README)",
        "NAME[,NAME...]",
    )
    .optflagmulti(
        "v",
        "verbose",
        "log the protocol dialog and data connections",
    )
    .optflagmulti("q", "quiet", "log only warnings and errors")
    .optflag("h", "help", "print this help")
    .optflag("V", "version", "print the version");
    #[cfg(feature = "tls")]
    crate::tls::options(&mut opts);
    opts
}

/// The `--help` text.
pub fn usage() -> String {
    options().usage(
        "Usage: ftp-server [options]\n\n\
         With no options, serves the current directory read-only to anonymous\n\
         users on 127.0.0.1:2121.",
    )
}

/// Parses the arguments (without the program name).
pub fn parse_args(args: &[String]) -> Result<Parsed, ConfigError> {
    let matches = options()
        .parse(args)
        .map_err(|err| ConfigError(err.to_string()))?;
    if matches.opt_present("help") {
        return Ok(Parsed::Help(usage()));
    }
    if matches.opt_present("version") {
        return Ok(Parsed::Version);
    }
    if let Some(extra) = matches.free.first() {
        return Err(ConfigError(format!(
            "unexpected argument {extra:?} (see --help)"
        )));
    }
    build(&matches).map(|config| Parsed::Run(Box::new(config)))
}

fn build(m: &Matches) -> Result<Config, ConfigError> {
    let root = checked_root(m.opt_str("root").as_deref().unwrap_or("."))?;
    let (active, passive) = (!m.opt_present("no-active"), !m.opt_present("no-passive"));
    if !active && !passive {
        return Err(ConfigError(
            "--no-active and --no-passive leave no way to transfer data".into(),
        ));
    }
    Ok(Config {
        listen: listen_addresses(&m.opt_strs("listen"))?,
        users: users(m, &root)?,
        root,
        pasv_ports: m
            .opt_str("pasv-ports")
            .map(|s| port_range(&s))
            .transpose()?,
        pasv_address: m
            .opt_str("pasv-address")
            .map(|s| pasv_address(&s))
            .transpose()?,
        anonymous_world_readable_only: !m.opt_present("anonymous-reads-all"),
        active,
        passive,
        max_sessions: number(m, "max-sessions", 200)?,
        max_per_ip: number(m, "max-per-ip", 50)?,
        idle_timeout: seconds(m, "idle-timeout", 300)?,
        login_timeout: seconds(m, "login-timeout", 60)?,
        data_timeout: seconds(m, "data-timeout", 60)?,
        login_fail_delay: Duration::from_secs(1),
        inetd: m.opt_present("inetd"),
        xferlog: m.opt_str("xferlog").map(PathBuf::from),
        run_as: m
            .opt_str("run-as")
            .map(|spec| Identity::resolve(&spec))
            .transpose()?,
        verbosity: m.opt_count("verbose") as i32 - m.opt_count("quiet") as i32,
        quirks: Quirks::parse(&m.opt_strs("quirk"))?,
        #[cfg(feature = "tls")]
        tls: crate::tls::from_matches(m)?,
    })
}

/// The root must be a directory we can list.
fn checked_root(dir: &str) -> Result<PathBuf, ConfigError> {
    let path = Path::new(dir);
    let fail = |err: std::io::Error| ConfigError(format!("root {dir}: {err}"));
    let root = path.canonicalize().map_err(fail)?;
    std::fs::read_dir(&root).map_err(fail)?;
    Ok(root)
}

/// `ADDR:PORT`, `[V6]:PORT` or a bare address (port 2121); default 127.0.0.1:2121.
fn listen_addresses(specs: &[String]) -> Result<Vec<SocketAddr>, ConfigError> {
    if specs.is_empty() {
        return Ok(vec![DEFAULT_LISTEN]);
    }
    specs.iter().map(|spec| listen_address(spec)).collect()
}

fn listen_address(spec: &str) -> Result<SocketAddr, ConfigError> {
    if let Ok(addr) = spec.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bare = spec.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, DEFAULT_PORT))
        .map_err(|_| {
            ConfigError(format!(
                "--listen {spec:?}: expected ADDR:PORT or [IPV6]:PORT"
            ))
        })
}

fn users(m: &Matches, root: &Path) -> Result<Users, ConfigError> {
    let file = m.opt_str("users").map(PathBuf::from);
    let named = auth::named_users(&m.opt_strs("user"), file.as_deref(), root, |variable| {
        std::env::var(variable).ok()
    })?;
    let anonymous = anonymous_access(m, named.users.is_empty())?;
    if named.users.is_empty() && anonymous.is_none() {
        return Err(ConfigError(
            "--no-anonymous and no --user: nobody could log in".into(),
        ));
    }
    Ok(Users::new(named, anonymous))
}

/// `--anonymous[=ro|rw]`, `--no-anonymous`, or the default: read-only
/// anonymous access when no user is configured.
fn anonymous_access(m: &Matches, no_users: bool) -> Result<Option<Access>, ConfigError> {
    if m.opt_present("no-anonymous") {
        return Ok(None);
    }
    match m.opt_default("anonymous", "ro") {
        Some(access) => Access::parse(&access)
            .map(Some)
            .map_err(|err| ConfigError(format!("--anonymous: {err}"))),
        None => Ok(no_users.then_some(Access::ReadOnly)),
    }
}

/// `LO-HI`, both from 1024 to 65535.
fn port_range(spec: &str) -> Result<RangeInclusive<u16>, ConfigError> {
    let bad = || {
        ConfigError(format!(
            "--pasv-ports {spec:?}: expected LO-HI, 1024 <= LO <= HI <= 65535"
        ))
    };
    let (lo, hi) = spec.split_once('-').ok_or_else(bad)?;
    let lo: u16 = lo.trim().parse().map_err(|_| bad())?;
    let hi: u16 = hi.trim().parse().map_err(|_| bad())?;
    if lo < 1024 || lo > hi {
        return Err(bad());
    }
    Ok(lo..=hi)
}

fn pasv_address(spec: &str) -> Result<Ipv4Addr, ConfigError> {
    spec.parse().map_err(|_| {
        ConfigError(format!(
            "--pasv-address {spec:?}: expected an IPv4 address (227 replies carry IPv4 only)"
        ))
    })
}

fn number(m: &Matches, name: &str, default: usize) -> Result<usize, ConfigError> {
    match m.opt_str(name) {
        None => Ok(default),
        Some(s) => s.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
            ConfigError(format!("--{name} {s:?}: expected a positive whole number"))
        }),
    }
}

fn seconds(m: &Matches, name: &str, default: u64) -> Result<Duration, ConfigError> {
    number(m, name, default as usize).map(|n| Duration::from_secs(n as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::tests::Scratch;

    fn run(args: &[&str]) -> Result<Config, ConfigError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match parse_args(&args)? {
            Parsed::Run(config) => Ok(*config),
            other => panic!("expected a config, got {other:?}"),
        }
    }

    #[test]
    fn no_arguments_serve_the_current_directory_read_only_to_anonymous() {
        let config = run(&[]).expect("defaults");
        assert_eq!(config.listen, vec![DEFAULT_LISTEN]);
        assert_eq!(
            config.root,
            std::env::current_dir()
                .expect("cwd")
                .canonicalize()
                .expect("canonical")
        );
        assert_eq!(config.users.anonymous(), Some(Access::ReadOnly));
        assert!(config.users.named().is_empty());
        assert!(config.active && config.passive && !config.inetd);
        assert_eq!((config.max_sessions, config.max_per_ip), (200, 50));
        assert_eq!(config.idle_timeout, Duration::from_secs(300));
        assert_eq!(config.data_timeout, Duration::from_secs(60));
    }

    #[test]
    fn listen_addresses_accept_v4_v6_and_bare_ips() {
        let config =
            run(&["--listen", "127.0.0.1:21", "-l", "[::1]:2121", "-l", "::1"]).expect("valid");
        let expected: Vec<SocketAddr> = ["127.0.0.1:21", "[::1]:2121", "[::1]:2121"]
            .iter()
            .map(|s| s.parse().expect("addr"))
            .collect();
        assert_eq!(config.listen, expected);
        assert!(run(&["--listen", "localhost:x"]).is_err());
    }

    #[test]
    fn users_turn_anonymous_off_unless_asked_for() {
        let config = run(&["--user", "alice:pw"]).expect("valid");
        assert_eq!(config.users.anonymous(), None);
        let config = run(&["--user", "alice:pw", "--anonymous"]).expect("valid");
        assert_eq!(config.users.anonymous(), Some(Access::ReadOnly));
        let config = run(&["--anonymous=rw"]).expect("valid");
        assert_eq!(config.users.anonymous(), Some(Access::ReadWrite));
        assert!(run(&["--anonymous=admin"]).is_err());
        assert!(run(&["--no-anonymous"]).is_err(), "nobody could log in");
    }

    #[test]
    fn passive_options_are_checked() {
        let config = run(&[
            "--pasv-ports",
            "30000-30010",
            "--pasv-address",
            "203.0.113.5",
        ])
        .expect("valid");
        assert_eq!(config.pasv_ports, Some(30000..=30010));
        assert_eq!(config.pasv_address, Some(Ipv4Addr::new(203, 0, 113, 5)));
        for bad in ["30010-30000", "80-90", "30000", "a-b"] {
            assert!(run(&["--pasv-ports", bad]).is_err(), "{bad}");
        }
        assert!(run(&["--pasv-address", "::1"]).is_err());
        assert!(run(&["--no-active", "--no-passive"]).is_err());
    }

    #[test]
    fn errors_are_one_line_and_name_the_option() {
        let err = run(&["--max-sessions", "0"]).expect_err("zero");
        assert!(
            err.0.contains("--max-sessions") && !err.0.contains('\n'),
            "{err}"
        );
        let err = run(&["--idle-timeout", "soon"]).expect_err("not a number");
        assert!(err.0.contains("--idle-timeout"), "{err}");
        assert!(run(&["--bogus"]).is_err());
        assert!(run(&["extra"]).is_err());
    }

    #[test]
    fn the_root_must_be_a_readable_directory() {
        let dir = Scratch::new("config-root");
        let file = dir.0.join("file");
        std::fs::write(&file, b"x").expect("write");
        let root = dir.0.to_str().expect("utf-8 temp dir");
        assert_eq!(
            run(&["--root", root]).expect("dir").root,
            dir.0.canonicalize().expect("canonical")
        );
        let err = run(&["--root", file.to_str().expect("utf-8")]).expect_err("a file");
        assert!(err.0.starts_with("root "), "{err}");
        assert!(run(&["--root", "/no/such/dir"]).is_err());
    }

    #[test]
    fn passwords_in_the_clear_give_start_up_warnings_without_the_passwords() {
        let dir = Scratch::new("config-users");
        let path = dir.0.join("users");
        // bob's hash: `openssl passwd -6 -salt saltsalt s3cret`.
        std::fs::write(
            &path,
            "alice:hunter2\nbob:$6$saltsalt$As4wrv0kZlfch1du9WeH7qhskyLriQWySXrZzynnvi46nF\
             nNxjdpl6ksRegrrKexvhIa/Iny8S8uF3fVWTMuC1:ro\n",
        )
        .expect("write");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("chmod");
        let file = path.to_str().expect("utf-8 temp dir");
        let config = run(&["--users", file, "--user", "carol:pw2"]).expect("valid");
        let warnings = config.users.warnings();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("--user carol: the password is on the command line"));
        let expected = format!("users file {file}: 1 of 2 users have passwords in the clear");
        assert!(warnings[1].starts_with(&expected), "{warnings:?}");
        assert!(!warnings.concat().contains("hunter2") && !warnings.concat().contains("pw2"));
        let err = run(&["--users", file, "--user", "alice:other"]).expect_err("twice");
        assert!(err.0.contains("user alice is given twice"), "{err}");
    }

    #[test]
    fn quirks_are_off_by_default_and_checked() {
        assert!(run(&[]).expect("defaults").quirks.is_empty());
        let config =
            run(&["--quirk", "no-epsv,drop-data=10", "--quirk", "no-feat"]).expect("valid");
        assert_eq!(config.quirks.to_string(), "no-epsv,drop-data=10,no-feat");
        let err = run(&["--quirk", "no-ftp"]).expect_err("unknown");
        assert!(err.0.contains("valid quirks: pasv-bad-ip"), "{err}");
    }

    #[test]
    fn verbosity_counts_v_and_q() {
        assert_eq!(run(&["-v", "-v"]).expect("valid").verbosity, 2);
        assert_eq!(run(&["-q"]).expect("valid").verbosity, -1);
    }

    #[test]
    fn help_and_version_are_not_errors() {
        assert!(
            matches!(parse_args(&["--help".to_string()]), Ok(Parsed::Help(text)) if text.contains("--pasv-ports"))
        );
        assert!(matches!(
            parse_args(&["-V".to_string()]),
            Ok(Parsed::Version)
        ));
    }
}
