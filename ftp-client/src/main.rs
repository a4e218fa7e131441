//! `ftp-client`: a BSD/tnftp-style FTP client.
//!
//! ```text
//! ftp-client [-46adegintvV] [-A|-p] [--explain] [--reply-deadline s] [-N netrc] [-P port]
//!            [-q secs] [-r secs] [-R] [-T dir,max[,inc]] [host [port]]
//! ftp-client [options] [-o output] ftp://[user[:password]@]host[:port]/path ...
//! ftp-client [options] [-P port] [-o output] [user@]host:path ...
//! ftp-client [options] -u ftp://[user[:password]@]host[:port]/[path] file ...
//! ```
//!
//! With the `tls` feature, `--tls`, `--tls-optional`, `--cacert FILE`,
//! `--insecure` and `ftps://` URLs add FTPS (the library's `shell::secure`);
//! without it they are refused in one line (exit status 2).
//!
//! The first form opens the shell (commands from stdin when it is not a
//! terminal), the second and third download (autofetch), the last uploads. This file
//! only turns the command line into a [`Cli`] and runs the chosen form; the
//! work is in the library's `shell` module.
//!
//! `ftp-client probe URL` reports what a server really does (see the
//! library's `probe` module).
//!
//! Exit status: 0 success, 1 an operation failed, 2 a usage error.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::io::{BufReader, IsTerminal};
use std::process::ExitCode;
use std::time::Duration;

use ftp_client::client::{DataMode, IpFamily, Options};
use ftp_client::netrc::Netrc;
use ftp_client::shell::command::ShellCommand;
use ftp_client::shell::fetch::OneShot;
use ftp_client::shell::secure::{self, TlsFlags};
use ftp_client::shell::settings::Settings;
use ftp_client::shell::trace::Trace;
use ftp_client::shell::transfer::Feedback;
use ftp_client::shell::{stall, Config, Shell, ShellError};
use ftp_client::terminal;
use ftp_client::url::{mask_password, FtpUrl, DEFAULT_PORT};

/// The synopsis at the top of `--help`.
const SYNOPSIS: &str = "\
usage: ftp-client [-46adegintvV] [-A|-p] [--explain] [-N netrc] [-P port] [-q secs]
                  [-r secs] [-R] [-T dir,max[,inc]] [host [port]]
       ftp-client [options] [-o output] ftp://[user[:password]@]host[:port]/path ...
       ftp-client [options] [-P port] [-o output] [user@]host:path ...
       ftp-client [options] -u ftp://[user[:password]@]host[:port]/[path] file ...
FTPS (a build with the tls feature): --tls [--cacert FILE | --insecure], or ftps:// URLs";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
enum Form {
    /// `-h`: print the help.
    Help,
    /// `--version`: print the version.
    Version,
    /// The shell, connecting first to `host` if given.
    Shell {
        /// The host and port to open.
        open: Option<(String, u16)>,
    },
    /// Download each URL (to `output` when given).
    Fetch {
        /// The URLs.
        urls: Vec<(String, FtpUrl)>,
        /// `-o`: a file, or `-` for stdout.
        output: Option<String>,
    },
    /// Upload the files to the URL.
    Upload {
        /// Where to.
        url: FtpUrl,
        /// The local files.
        files: Vec<String>,
    },
}

impl Form {
    /// Whether a URL of the form is `ftps://`.
    fn implicit_tls(&self) -> bool {
        match self {
            Form::Fetch { urls, .. } => urls.iter().any(|(_, url)| url.implicit_tls),
            Form::Upload { url, .. } => url.implicit_tls,
            _ => false,
        }
    }
}

/// The parsed command line.
#[derive(Debug)]
struct Cli {
    form: Form,
    family: Option<IpFamily>,
    mode: DataMode,
    auto_login: bool,
    /// `-v` (Some(true)), `-V` (Some(false)), or the form's default.
    verbose: Option<bool>,
    debug: bool,
    explain: bool,
    /// `--reply-deadline`: the overall limit for one reply.
    reply_deadline: Option<Duration>,
    /// `-q`: the limit for a stalled connection (each read or write).
    stall: Option<Duration>,
    /// `-r`: wait this long and connect again when connecting fails (autofetch).
    retry: Option<Duration>,
    /// `-R`: autofetch continues a partial local file.
    restart: bool,
    /// `-N`: the `.netrc` file to read instead of `~/.netrc`.
    netrc: Option<String>,
    /// `-t`: packet tracing.
    packets: bool,
    /// `-a`, `-e`, `-g`, `-i`, `-T`.
    settings: Settings,
    /// `--tls`, `--tls-optional`, `--cacert`, `--insecure`.
    tls: TlsFlags,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|first| first == "probe") {
        return ftp_client::probe::cli::main(&args[1..], || load_netrc(None));
    }
    let options = option_table();
    match parse_args(&options, &args) {
        Ok(cli) => run(cli, &options),
        Err(message) => {
            eprintln!("ftp-client: {message} (ftp-client -h shows the usage)");
            ExitCode::from(2)
        }
    }
}

/// The program's options, for parsing and for `--help`.
fn option_table() -> getopts::Options {
    let mut options = getopts::Options::new();
    options
        .optflag("4", "", "connect with IPv4 only")
        .optflag("6", "", "connect with IPv6 only")
        .optflag(
            "A",
            "",
            "active mode: the server connects to the client (EPRT/PORT)",
        )
        .optflag(
            "p",
            "",
            "passive mode: the client connects to the server (EPSV/PASV; default)",
        )
        .optflag("n", "", "no auto-login: the script logs in with `user`")
        .optflag(
            "v",
            "",
            "verbose: show the server's replies (default in the shell)",
        )
        .optflag("V", "", "not verbose")
        .optflag("d", "", "debug: show the dialog on stderr (---> / <---)")
        .optflag(
            "",
            "explain",
            "describe each data connection: who listens, who connects",
        )
        .optopt("o", "", "save the download as FILE (- for stdout)", "FILE")
        .optopt("P", "", "the server's port (default 21)", "PORT")
        .optopt(
            "",
            "reply-deadline",
            "give up on a reply not complete after SECONDS (default 120), \
             however slowly the server sends it",
            "SECONDS",
        )
        .optopt("u", "", "upload the files to URL", "URL")
        .optflag("a", "", "log in as anonymous, whatever .netrc says")
        .optflag("e", "", "no command line editing")
        .optflag("g", "", "no wildcard expansion (globbing)")
        .optflag("i", "", "no questions during mget, mput and mdelete")
        .optflag(
            "t",
            "",
            "packet tracing: each read or write of a transfer, on stderr",
        )
        .optopt("N", "", "read FILE instead of ~/.netrc", "FILE")
        .optopt(
            "q",
            "",
            "give up when the connection stalls for SECONDS",
            "SECONDS",
        )
        .optopt(
            "r",
            "",
            "when connecting fails, try again after SECONDS (autofetch)",
            "SECONDS",
        )
        .optflag("R", "", "continue partial downloads (autofetch)")
        .optmulti(
            "T",
            "",
            "limit the transfer rate (bytes/s; suffix k, m, g)",
            "all|get|put,MAX[,INC]",
        )
        .optopt(
            "s",
            "",
            "not supported: std cannot bind a source address before connecting",
            "SRCADDR",
        )
        .optflag(
            "",
            "tls",
            "FTPS: AUTH TLS, then protected control and data (ftps:// URLs: TLS from the start)",
        )
        .optflag(
            "",
            "tls-optional",
            "as --tls, but go on in clear when the server refuses AUTH TLS",
        )
        .optopt(
            "",
            "cacert",
            "trust the CA certificates in FILE (PEM) instead of the system's",
            "FILE",
        )
        .optflag(
            "",
            "insecure",
            "do not verify the server's certificate (anyone on the path can read and change the session)",
        )
        .optflag("", "version", "print the version")
        .optflag("h", "help", "print this help");
    options
}

/// Parses the command line into a [`Cli`]; `Err` is a usage error's message.
fn parse_args(options: &getopts::Options, args: &[String]) -> Result<Cli, String> {
    let matches = options.parse(args).map_err(|err| err.to_string())?;
    let exclusive = |a: &str, b: &str| {
        if matches.opt_present(a) && matches.opt_present(b) {
            Err(format!("-{a} and -{b} exclude each other"))
        } else {
            Ok(())
        }
    };
    exclusive("4", "6")?;
    exclusive("A", "p")?;
    exclusive("v", "V")?;
    let form = if matches.opt_present("h") {
        Form::Help
    } else if matches.opt_present("version") {
        Form::Version
    } else {
        parse_form(&matches)?
    };
    let tls = TlsFlags {
        explicit: matches.opt_present("tls"),
        optional: matches.opt_present("tls-optional"),
        cacert: matches.opt_str("cacert").map(Into::into),
        insecure: matches.opt_present("insecure"),
    };
    if !cfg!(feature = "tls") && (tls.any() || form.implicit_tls()) {
        return Err(secure::NO_TLS.into());
    }
    Ok(Cli {
        form,
        family: match (matches.opt_present("4"), matches.opt_present("6")) {
            (true, _) => Some(IpFamily::V4),
            (_, true) => Some(IpFamily::V6),
            _ => None,
        },
        mode: if matches.opt_present("A") {
            DataMode::Active
        } else {
            DataMode::Passive
        },
        auto_login: !matches.opt_present("n"),
        verbose: match (matches.opt_present("v"), matches.opt_present("V")) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        debug: matches.opt_present("d"),
        explain: matches.opt_present("explain"),
        reply_deadline: matches
            .opt_str("reply-deadline")
            .map(|text| parse_seconds(&text))
            .transpose()?,
        stall: seconds_option(&matches, "q")?,
        retry: seconds_option(&matches, "r")?,
        restart: matches.opt_present("R"),
        netrc: matches.opt_str("N"),
        packets: matches.opt_present("t"),
        settings: settings(&matches)?,
        tls,
    })
}

/// The shell settings that flags start: `-a`, `-e`, `-g`, `-i`, `-T`.
fn settings(matches: &getopts::Matches) -> Result<Settings, String> {
    let mut settings = Settings {
        anonymous: matches.opt_present("a"),
        editing: !matches.opt_present("e"),
        glob: !matches.opt_present("g"),
        prompt: !matches.opt_present("i"),
        ..Settings::default()
    };
    for rate in matches.opt_strs("T") {
        settings.rates.apply_flag(&rate)?;
    }
    Ok(settings)
}

/// The seconds of option `name`, if given.
fn seconds_option(matches: &getopts::Matches, name: &str) -> Result<Option<Duration>, String> {
    matches
        .opt_str(name)
        .map(|text| parse_seconds(&text).map_err(|err| format!("-{name}: {err}")))
        .transpose()
}

/// Which form the arguments ask for: `-u` uploads, URLs download, else the shell.
fn parse_form(matches: &getopts::Matches) -> Result<Form, String> {
    if let Some(source) = matches.opt_str("s") {
        return Err(format!(
            "-s {source}: not supported: binding a source address needs a socket that is \
             bound before it connects, and Rust's std only offers TcpStream::connect, \
             which does both in one call"
        ));
    }
    let free = &matches.free;
    if let Some(first) = free.first() {
        check_host_argument(first)?;
    }
    let output = matches.opt_str("o");
    if let Some(url) = matches.opt_str("u") {
        if output.is_some() {
            return Err("-o and -u exclude each other".into());
        }
        if free.is_empty() {
            return Err("-u needs at least one file to upload".into());
        }
        let url = parse_url(&url)?;
        if free.len() > 1 && !url.is_directory() {
            return Err("several files need an upload URL that ends in /".into());
        }
        return Ok(Form::Upload {
            url,
            files: free.clone(),
        });
    }
    let default_port = match matches.opt_str("P") {
        Some(port) => parse_port(&port)?,
        None => DEFAULT_PORT,
    };
    if free
        .first()
        .is_some_and(|arg| fetch_target(arg, default_port).is_some())
    {
        if free.len() > 1 && output.as_deref().is_some_and(|output| output != "-") {
            return Err("-o FILE takes one URL (use -o - for several)".into());
        }
        let urls = free
            .iter()
            .map(|text| {
                let url = fetch_target(text, default_port)
                    .unwrap_or_else(|| Err(format!("{text}: not an ftp:// URL or host:path")))?;
                Ok((text.clone(), url))
            })
            .collect::<Result<_, String>>()?;
        return Ok(Form::Fetch { urls, output });
    }
    if output.is_some() {
        return Err("-o is for downloads: give an ftp:// URL".into());
    }
    let open = match free.as_slice() {
        [] => None,
        [host] => Some((host.clone(), default_port)),
        [host, port] => Some((host.clone(), parse_port(port)?)),
        _ => return Err("too many arguments".into()),
    };
    Ok(Form::Shell { open })
}

/// Refuses two likely mistakes with a hint: a port glued to the host
/// (`127.0.0.1:2121`), which would otherwise download a file called `2121`,
/// and a URL with a scheme but no `//` (`ftp:/x`), which would otherwise
/// name the host `ftp`.
fn check_host_argument(text: &str) -> Result<(), String> {
    if text.contains("://") || text.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    let Some((host, rest)) = text.rsplit_once(':') else {
        return Ok(());
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let (scheme, after) = text.split_once(':').unwrap_or_default();
    let known =
        ["ftp", "ftps", "http", "https", "file"].contains(&scheme.to_ascii_lowercase().as_str());
    if known && after.starts_with('/') {
        return Err(format!(
            "{}: bad URL: expected {scheme}://host/path",
            mask_password(text)
        ));
    }
    if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) && !host.contains('/') {
        return Err(format!(
            "{text}: give the port as its own argument (ftp-client {host} {rest}) or with \
             -P {rest}; to download a file named {rest}, write ftp://{host}/{rest}"
        ));
    }
    Ok(())
}

/// What a download argument names: an `ftp://` URL, or tnftp's
/// `[user@]host:path` on `port`; `None` for anything else (a host name).
fn fetch_target(text: &str, port: u16) -> Option<Result<FtpUrl, String>> {
    if text.contains("://") {
        return Some(parse_url(text));
    }
    FtpUrl::parse_host_path(text, port).map(|url| url.map_err(|err| format!("{text}: {err}")))
}

fn parse_url(text: &str) -> Result<FtpUrl, String> {
    FtpUrl::parse(text).map_err(|err| format!("{}: {err}", mask_password(text)))
}

fn parse_port(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("bad port {text:?}: expected 1 to 65535")),
    }
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<u32>() {
        Ok(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds.into())),
        _ => Err(format!(
            "bad number of seconds {text:?}: expected 1 or more"
        )),
    }
}

/// Runs the chosen form and returns the exit status.
fn run(cli: Cli, options: &getopts::Options) -> ExitCode {
    let interactive = std::io::stdin().is_terminal();
    let defaults = Options::default();
    let client_options = Options {
        mode: cli.mode,
        reply_deadline: cli.reply_deadline.unwrap_or(defaults.reply_deadline),
        reply_timeout: cli.stall.unwrap_or(defaults.reply_timeout),
        data_timeout: cli.stall.unwrap_or(defaults.data_timeout),
        ..defaults
    };
    let tls = match secure::setup(&cli.tls, cli.form.implicit_tls()) {
        Ok(tls) => tls,
        Err(err) => {
            report(&err.to_string());
            return ExitCode::from(1);
        }
    };
    if cli.tls.insecure {
        eprintln!(
            "ftp-client: WARNING: --insecure: the server's certificate is NOT verified; \
             anyone on the path can read and change this session"
        );
    }
    let feedback = Feedback {
        meter: std::io::stderr().is_terminal(),
        hash: None,
        rates: cli.settings.rates,
    };
    let failed = match &cli.form {
        Form::Help => {
            print!("{}", options.usage(SYNOPSIS));
            false
        }
        Form::Version => {
            println!("ftp-client {}", env!("CARGO_PKG_VERSION"));
            false
        }
        Form::Shell { open } => {
            let config = Config {
                family: cli.family,
                options: client_options,
                auto_login: cli.auto_login,
                interactive,
                meter: feedback.meter,
                netrc: load_netrc(cli.netrc.as_deref()),
                settings: cli.settings.clone(),
                tls,
                quit_time: cli.stall,
            };
            let verbose = cli.verbose.unwrap_or(true);
            let trace = Trace::new(verbose, cli.debug, cli.explain, false);
            trace.packets.set(cli.packets);
            let input = Box::new(BufReader::new(std::io::stdin()));
            let first = open.as_ref().map(|(host, port)| ShellCommand::Open {
                host: host.clone(),
                port: Some(*port),
            });
            // Interactive sessions end with 0 as in BSD ftp; scripts report failures.
            Shell::new(config, trace, input).run(first) && !interactive
        }
        Form::Fetch { urls, output } => {
            let one_shot = one_shot(&cli, client_options, feedback, interactive, tls);
            let mut failed = false;
            for (text, url) in urls {
                if let Err(err) = one_shot.download(url, output.as_deref()) {
                    let err = stall_or(&err, cli.stall, &url.host);
                    report(&format!("{}: {err}", mask_password(text)));
                    failed = true;
                }
            }
            failed
        }
        Form::Upload { url, files } => {
            let one_shot = one_shot(&cli, client_options, feedback, interactive, tls);
            match one_shot.upload(url, files) {
                Ok(()) => false,
                Err(err) => {
                    report(&stall_or(&err, cli.stall, &url.host));
                    true
                }
            }
        }
    };
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// What to say about `err`: the `-q` line when it is a stall, else the error.
fn stall_or(err: &ShellError, quit_time: Option<Duration>, host: &str) -> String {
    match (quit_time, stall::stalled(err)) {
        (Some(limit), Some(what)) => stall::message(what, limit, host),
        _ => err.to_string(),
    }
}

/// Shows a failure on stderr; it may quote the server, so it is escaped.
fn report(message: &str) {
    eprintln!("ftp-client: {}", terminal::escape(message.as_bytes()));
}

/// The settings of a download or upload; replies (with `-v`) go to stderr.
fn one_shot(
    cli: &Cli,
    options: Options,
    feedback: Feedback,
    interactive: bool,
    tls: secure::Tls,
) -> OneShot {
    OneShot {
        family: cli.family,
        options,
        trace: {
            let trace = Trace::new(cli.verbose.unwrap_or(false), cli.debug, cli.explain, true);
            trace.packets.set(cli.packets);
            trace
        },
        feedback,
        netrc: load_netrc(cli.netrc.as_deref()),
        interactive,
        retry: cli.retry,
        restart: cli.restart,
        tls,
    }
}

/// `-N FILE`, else `~/.netrc` (or `$NETRC`); a file that cannot be used is
/// reported and ignored.
fn load_netrc(chosen: Option<&str>) -> Option<Netrc> {
    let path = match chosen {
        Some(path) => path.into(),
        None => Netrc::default_path()?,
    };
    match Netrc::load(&path) {
        Ok(netrc) => netrc,
        Err(err) => {
            eprintln!("ftp-client: ignoring {}: {err}", path.display());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, String> {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        parse_args(&option_table(), &args)
    }

    fn form(args: &[&str]) -> Form {
        parse(args)
            .unwrap_or_else(|err| panic!("{args:?}: {err}"))
            .form
    }

    #[test]
    fn a_host_and_port_open_the_shell() {
        assert_eq!(form(&[]), Form::Shell { open: None });
        assert_eq!(
            form(&["-n", "::1", "2121"]),
            Form::Shell {
                open: Some(("::1".into(), 2121))
            }
        );
        assert_eq!(
            form(&["-P", "2121", "host"]),
            Form::Shell {
                open: Some(("host".into(), 2121))
            }
        );
        assert_eq!(
            form(&["host"]),
            Form::Shell {
                open: Some(("host".into(), 21))
            }
        );
    }

    #[test]
    fn tls_options_are_read_or_refused_by_a_build_without_tls() {
        let parsed = parse(&["--tls", "--cacert", "ca.pem", "h"]);
        let implicit = parse(&["ftps://h/file"]);
        if cfg!(feature = "tls") {
            let tls = parsed.expect("valid").tls;
            assert!(tls.explicit && !tls.optional && !tls.insecure);
            assert_eq!(tls.cacert.as_deref(), Some(std::path::Path::new("ca.pem")));
            assert!(implicit.expect("valid").form.implicit_tls());
        } else {
            assert_eq!(parsed.expect_err("no TLS"), secure::NO_TLS);
            assert_eq!(implicit.expect_err("no TLS"), secure::NO_TLS);
        }
    }

    #[test]
    fn switches_are_read() {
        let cli = parse(&["-6", "-A", "-n", "-d", "--explain", "-V", "h"]).expect("valid");
        assert_eq!(cli.reply_deadline, None);
        let cli = parse(&["--reply-deadline", "5", "h"]).expect("valid");
        assert_eq!(cli.reply_deadline, Some(Duration::from_secs(5)));
        assert!(parse(&["--reply-deadline", "0", "h"]).is_err());
        let cli = parse(&["-6", "-A", "-n", "-d", "--explain", "-V", "h"]).expect("valid");
        assert_eq!(cli.family, Some(IpFamily::V6));
        assert_eq!(cli.mode, DataMode::Active);
        assert!(!cli.auto_login);
        assert!(cli.debug && cli.explain);
        assert_eq!(cli.verbose, Some(false));
        let plain = parse(&[]).expect("valid");
        assert_eq!(
            (plain.family, plain.mode, plain.auto_login, plain.verbose),
            (None, DataMode::Passive, true, None)
        );
    }

    #[test]
    fn urls_download() {
        let Form::Fetch { urls, output } = form(&["-o", "-", "ftp://h/a", "ftp://h/b"]) else {
            panic!("not a download");
        };
        assert_eq!(output.as_deref(), Some("-"));
        assert_eq!(urls.len(), 2);
        assert_eq!(urls[1].1.path, "b");
    }

    #[test]
    fn host_path_arguments_download() {
        let Form::Fetch { urls, .. } = form(&["-P", "2121", "h:pub/", "ftp://h/a"]) else {
            panic!("not a download");
        };
        assert_eq!((urls[0].1.port, urls[0].1.path.as_str()), (2121, "pub/"));
        assert_eq!(urls[1].1.path, "a");
        assert!(matches!(form(&["::1", "21"]), Form::Shell { .. }));
        assert!(parse(&["h:a", "plainhost"]).is_err());
    }

    #[test]
    fn upload_takes_files() {
        let Form::Upload { url, files } = form(&["-u", "ftp://h/in/", "a", "b"]) else {
            panic!("not an upload");
        };
        assert_eq!(url.path, "in/");
        assert_eq!(files, ["a", "b"]);
    }

    #[test]
    fn usage_errors() {
        for args in [
            &["-4", "-6", "h"][..],
            &["-A", "-p"],
            &["-x"],
            &["h", "0"],
            &["h", "21", "extra"],
            &["-P", "port", "h"],
            &["-o", "out", "host"],
            &["-o", "out", "ftp://h/a", "ftp://h/b"],
            &["ftp://h:99999/a"],
            &["-u", "ftp://h/file"],
            &["-u", "ftp://h/file", "a", "b"],
            &["-u", "http://h/", "a"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn tnftp_flags_are_read() {
        let cli = parse(&[
            "-a", "-e", "-g", "-i", "-t", "-R", "-N", "n", "-q", "5", "h",
        ])
        .expect("valid");
        let settings = &cli.settings;
        assert!(settings.anonymous && !settings.editing && !settings.glob && !settings.prompt);
        assert!(cli.packets && cli.restart);
        assert_eq!(cli.netrc.as_deref(), Some("n"));
        assert_eq!(cli.stall, Some(Duration::from_secs(5)));
        let cli = parse(&["-r", "2", "-T", "get,1k", "-T", "put,2", "ftp://h/f"]).expect("valid");
        assert_eq!(cli.retry, Some(Duration::from_secs(2)));
        assert_eq!(
            (cli.settings.rates.get, cli.settings.rates.put),
            (Some(1024), Some(2))
        );
        assert_eq!(form(&["--version"]), Form::Version);
        for args in [
            &["-q", "0", "h"][..],
            &["-r", "x", "h"],
            &["-T", "up,1", "h"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn mistakes_get_a_hint_instead_of_a_lookup() {
        let err = parse(&["-n", "127.0.0.1:2121"]).expect_err("a hint");
        assert!(err.contains("ftp-client 127.0.0.1 2121"), "{err}");
        let err = parse(&["ftp:/bad"]).expect_err("a bad URL");
        assert!(err.contains("bad URL"), "{err}");
        let err = parse(&["-s", "10.0.0.1", "h"]).expect_err("not supported");
        assert!(err.contains("std"), "{err}");
        assert!(matches!(form(&["ftp:pub/a"]), Form::Fetch { .. }));
    }

    #[test]
    fn help_wins() {
        assert_eq!(form(&["-h", "ftp://h:99999/"]), Form::Help);
        assert_eq!(form(&["--help"]), Form::Help);
    }
}
