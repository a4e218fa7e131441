//! `ftp-server`: parses the options, sets up logging, decides who the
//! sessions run as ([`ftp_server::privileges`]), runs the server.
//! Exit status 2 for a bad option, an unreadable root, a busy address, or
//! when started as root without `--run-as`.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use ftp_server::config::{self, Config, Parsed};
use ftp_server::{privileges, server};

fn main() -> ExitCode {
    let args: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect()
    {
        Ok(args) => args,
        Err(arg) => return fail(&format!("argument {arg:?} is not valid UTF-8")),
    };
    match config::parse_args(&args) {
        Ok(Parsed::Help(text)) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Ok(Parsed::Version) => {
            println!("ftp-server {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Ok(Parsed::Run(config)) => run(*config),
        // Checked again after the switch: say why root could read it.
        Err(err) => match privileges::switched_to() {
            Some(user) => fail(&format!("{err} (sessions run as {user})")),
            None => fail(&format!("{err} (see --help)")),
        },
    }
}

fn run(config: Config) -> ExitCode {
    // Under inetd stderr may be the client's connection: no log lines there.
    let stderr_is_the_client = config.inetd && server::stderr_is_socket();
    if !stderr_is_the_client {
        init_logging(config.verbosity);
    }
    let listeners = if config.inetd { 0 } else { config.listen.len() };
    let plan = match privileges::plan(config.run_as.as_ref(), listeners) {
        Ok(plan) => plan,
        Err(message) => {
            if config.inetd {
                server::refuse_inetd(&message);
            }
            return if stderr_is_the_client {
                ExitCode::from(2)
            } else {
                fail(&message)
            };
        }
    };
    // Said once, by the process that serves (a switch runs this again).
    if !matches!(plan, privileges::Plan::Switch(_)) {
        for warning in config.users.warnings() {
            log::warn!("{warning}");
        }
        #[cfg(feature = "tls")]
        if let Some(warning) = config.tls.as_ref().and_then(|tls| tls.key_warning.as_ref()) {
            log::warn!("{warning}");
        }
        if !config.quirks.is_empty() {
            log::warn!(
                "quirks on: {} (this server misbehaves on purpose, for testing clients)",
                config.quirks
            );
        }
    }
    let result = if config.inetd {
        server::run_inetd(config, plan)
    } else {
        server::run(config, plan)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

/// `-q` warnings only, default info, `-v` the dialog and data trace, `-vv`
/// everything; `RUST_LOG` overrides.
fn init_logging(verbosity: i32) {
    let level = match verbosity {
        ..=-1 => "warn",
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    // rustls's own debug lines (cipher suites, alerts) are not the dialog.
    #[cfg(feature = "tls")]
    let level = if verbosity == 1 {
        "debug,rustls=info"
    } else {
        level
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level)).init();
}

fn fail(message: &str) -> ExitCode {
    eprintln!("ftp-server: {message}");
    ExitCode::from(2)
}
