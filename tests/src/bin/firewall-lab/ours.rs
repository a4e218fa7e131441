//! Our client in a cell: `firewall-lab client MODE HOST FILE SIZE [tls|tls-ccc
//! CAFILE]`, run by the lab inside the client's namespace. It downloads FILE
//! with the `ftp-client` library — the code the `ftp-client` program runs,
//! including the program's own session set-up (`shell::secure`: its
//! `--tls`, `--cacert` and `ccc`) — with a 3 s data timeout, and prints its
//! `--explain` lines (`explain: data: ...`, and under FTPS `explain: data
//! connection protected: ...`) or its error (`error: ...`).
//!
//! The library sends EPSV (passive) or EPRT (active) first; for PASV and
//! PORT the extended commands are switched off, as the program's `epsv4
//! off` does. With `tls` the session is explicit FTPS (`AUTH TLS`, then
//! `PBSZ 0` and `PROT P` after login); with `tls-ccc` the control
//! connection goes back to the clear after login and `TYPE I` (`CCC`),
//! data staying protected, so that the command after it sets up the data
//! connection. A build without the `tls` feature refuses both.

use std::path::PathBuf;
use std::time::Duration;

use ftp_client::client::{DataMode, Event, Options, Representation};
use ftp_client::shell::secure::{self, TlsFlags};

/// Runs the `client` subcommand; the exit status says whether the download
/// was complete.
pub fn main(args: &[String]) -> std::process::ExitCode {
    match run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            println!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// How the session is secured.
#[derive(Debug, PartialEq, Eq)]
enum Security {
    Clear,
    Tls { ccc: bool, ca: PathBuf },
}

fn parse(args: &[String]) -> Result<(DataMode, bool, Security), String> {
    const USAGE: &str = "usage: firewall-lab client MODE HOST FILE SIZE [tls|tls-ccc CAFILE]";
    let (mode, security) = match args {
        [mode, _, _, _] => (mode, Security::Clear),
        [mode, _, _, _, how, ca] if how == "tls" || how == "tls-ccc" => {
            if !cfg!(feature = "tls") {
                return Err(secure::NO_TLS.to_string());
            }
            let ccc = how == "tls-ccc";
            (mode, Security::Tls { ccc, ca: ca.into() })
        }
        _ => return Err(USAGE.into()),
    };
    let (data_mode, extended) = match mode.as_str() {
        "EPSV" => (DataMode::Passive, true),
        "PASV" => (DataMode::Passive, false),
        "EPRT" => (DataMode::Active, true),
        "PORT" => (DataMode::Active, false),
        other => return Err(format!("unknown mode {other}")),
    };
    Ok((data_mode, extended, security))
}

fn run(args: &[String]) -> Result<(), String> {
    let (mode, extended, security) = parse(args)?;
    let (host, file, size) = (&args[1], &args[2], &args[3]);
    let seconds = Duration::from_secs(3);
    let options = Options {
        mode,
        data_timeout: seconds,
        connect_timeout: seconds,
        reply_timeout: Duration::from_secs(8),
        ..Options::default()
    };
    let flags = match &security {
        Security::Clear => TlsFlags::default(),
        Security::Tls { ca, .. } => TlsFlags {
            explicit: true,
            cacert: Some(ca.clone()),
            ..TlsFlags::default()
        },
    };
    let text = |err: ftp_client::Error| err.to_string();
    let tls = secure::setup(&flags, false).map_err(text)?;
    let mut client = secure::connect(host, 21, None, options, &tls, false).map_err(text)?;
    client.set_extended(extended);
    client.set_observer(Box::new(|event| match event {
        Event::Data(connection) => println!("explain: {connection}"),
        Event::Protected(what) => println!("explain: {what}"),
        _ => {}
    }));
    secure::auth(&mut client, host, &tls).map_err(text)?;
    client.login("anonymous", "lab@").map_err(text)?;
    client.set_type(Representation::Binary).map_err(text)?;
    // CCC comes last: the next command is the data connection's, the
    // first a NAT's FTP helper may read after TLS.
    if let Security::Tls { ccc: true, .. } = security {
        secure::ccc(&mut client).map_err(text)?;
    }
    let mut got = Vec::new();
    client.retr(file, &mut got, 0, None).map_err(text)?;
    let _ = client.quit();
    if got.len().to_string() != *size {
        return Err(format!("got {} bytes, expected {size}", got.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn the_modes_and_the_security_are_read_from_the_arguments() {
        let parsed = parse(&args("PORT 203.0.113.10 f 1")).expect("valid");
        assert_eq!(parsed, (DataMode::Active, false, Security::Clear));
        let parsed = parse(&args("EPSV 203.0.113.10 f 1")).expect("valid");
        assert_eq!(parsed, (DataMode::Passive, true, Security::Clear));
        assert!(parse(&args("LPRT 203.0.113.10 f 1")).is_err());
        assert!(parse(&args("PASV 203.0.113.10 f 1 ssl ca.pem")).is_err());
        let tls = parse(&args("PASV 203.0.113.10 f 1 tls-ccc ca.pem"));
        if cfg!(feature = "tls") {
            let ca = PathBuf::from("ca.pem");
            let want = (DataMode::Passive, false, Security::Tls { ccc: true, ca });
            assert_eq!(tls.expect("valid"), want);
        } else {
            assert_eq!(tls.expect_err("no TLS"), secure::NO_TLS);
        }
    }
}
