//! The command line of `ftp-client probe`: options, the URL and its
//! credentials, the output, and the exit status.
//!
//! Exit status: 0 when every probed feature behaved as advertised, 1 when a
//! contradiction was found or the server could not be reached at all, 2 on
//! a usage error.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use super::{probe, Settings};
use crate::client::Options;
use crate::netrc::Netrc;
use crate::shell::fetch::OneShot;
use crate::shell::rate::Rates;
use crate::shell::trace::Trace;
use crate::shell::transfer::Feedback;
use crate::url::{mask_password, FtpUrl};

/// The synopsis at the top of `ftp-client probe --help`.
const SYNOPSIS: &str = "\
usage: ftp-client probe [--json] [--timeout SECONDS] [--write-tests DIR] ftp://[user[:password]@]host[:port]/[path]

Reports what an FTP server really does, not only what FEAT claims: each data
mode tried with a real LIST, file facts, ABOR, pipelining, and (only with
--write-tests) uploads inside DIR. Logs in as the URL's user, the ~/.netrc
entry for the host, or anonymous. Exit status: 0 every probed feature works
as advertised, 1 a contradiction (advertised but broken) or no connection,
2 a usage error.";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    url: FtpUrl,
    json: bool,
    timeout: Duration,
    write_dir: Option<String>,
}

/// Runs `ftp-client probe` with `args` (after the word `probe`); `netrc`
/// loads the user's `.netrc` when the URL has no password.
pub fn main(args: &[String], netrc: fn() -> Option<Netrc>) -> ExitCode {
    let options = option_table();
    let request = match parse(&options, args) {
        Ok(Some(request)) => request,
        Ok(None) => {
            print!("{}", options.usage(SYNOPSIS));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("ftp-client probe: {message} (ftp-client probe --help shows the usage)");
            return ExitCode::from(2);
        }
    };
    let one_shot = OneShot {
        family: None,
        options: Options::default(),
        trace: Trace::new(false, false, false, true),
        feedback: Feedback {
            meter: false,
            hash: None,
            rates: Rates::default(),
        },
        netrc: netrc(),
        interactive: std::io::stdin().is_terminal(),
        retry: None,
        restart: false,
        tls: Default::default(),
    };
    let (user, password) = match one_shot.credentials(&request.url) {
        Ok(credentials) => credentials,
        Err(err) => {
            eprintln!("ftp-client probe: {err}");
            return ExitCode::from(2);
        }
    };
    let settings = Settings {
        host: request.url.host.clone(),
        port: request.url.port,
        user,
        password,
        path: request.url.path.trim_end_matches('/').to_string(),
        write_dir: request.write_dir,
        timeout: request.timeout,
        short_wait: request.timeout.min(Duration::from_secs(1)),
    };
    match probe(&settings) {
        Ok(report) => {
            if request.json {
                print!("{}", report.to_json());
            } else {
                print!("{}", crate::terminal::escape(report.to_table().as_bytes()));
            }
            if report.has_contradiction() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(err) => {
            eprintln!(
                "ftp-client probe: {}",
                crate::terminal::escape(err.as_bytes())
            );
            ExitCode::from(1)
        }
    }
}

/// The options of `ftp-client probe`.
fn option_table() -> getopts::Options {
    let mut options = getopts::Options::new();
    options
        .optflag("", "json", "print the report as JSON")
        .optopt("", "timeout", "the limit for each step (default 5)", "SECONDS")
        .optopt(
            "",
            "write-tests",
            "also test uploads, renames and directories, inside DIR only (removing what the probe made)",
            "DIR",
        )
        .optflag("h", "help", "print this help");
    options
}

/// The request, `None` for `--help`, or a usage error's message.
fn parse(options: &getopts::Options, args: &[String]) -> Result<Option<Request>, String> {
    let matches = options.parse(args).map_err(|err| err.to_string())?;
    if matches.opt_present("h") {
        return Ok(None);
    }
    let [url] = matches.free.as_slice() else {
        return Err("give one ftp:// URL".into());
    };
    let url = FtpUrl::parse(url).map_err(|err| format!("{}: {err}", mask_password(url)))?;
    if url.implicit_tls {
        return Err("the probe speaks clear FTP only: give an ftp:// URL".into());
    }
    let timeout = match matches.opt_str("timeout") {
        None => Duration::from_secs(5),
        Some(text) => match text.parse::<u32>() {
            Ok(seconds) if seconds > 0 => Duration::from_secs(seconds.into()),
            _ => {
                return Err(format!(
                    "bad --timeout {text:?}: expected 1 or more seconds"
                ))
            }
        },
    };
    let write_dir = matches.opt_str("write-tests");
    if write_dir
        .as_deref()
        .is_some_and(|dir| dir.is_empty() || dir.contains(['\r', '\n']))
    {
        return Err("--write-tests needs a directory name".into());
    }
    Ok(Some(Request {
        url,
        json: matches.opt_present("json"),
        timeout,
        write_dir,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_args(args: &[&str]) -> Result<Option<Request>, String> {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        parse(&option_table(), &args)
    }

    #[test]
    fn a_url_and_switches() {
        let request = parse_args(&[
            "--json",
            "--timeout",
            "3",
            "--write-tests",
            "in",
            "ftp://u:p@h:2121/pub/",
        ])
        .expect("valid")
        .expect("not help");
        assert!(request.json);
        assert_eq!(request.timeout, Duration::from_secs(3));
        assert_eq!(request.write_dir.as_deref(), Some("in"));
        assert_eq!((request.url.host.as_str(), request.url.port), ("h", 2121));
    }

    #[test]
    fn usage_errors_and_help() {
        assert_eq!(parse_args(&["--help"]), Ok(None));
        for args in [
            &[][..],
            &["ftp://h/", "ftp://i/"],
            &["--timeout", "0", "ftp://h/"],
            &["http://h/"],
            &["--bogus", "ftp://h/"],
        ] {
            assert!(parse_args(args).is_err(), "{args:?}");
        }
    }
}
