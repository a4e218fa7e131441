//! An FTPS session with the library (the `tls` feature): explicit TLS
//! (`AUTH TLS`) or implicit TLS, certificate checked against a CA file,
//! log in, list with protected data connections, download a file into memory.
//!
//! ```text
//! cargo run -p ftp-client --features tls --example ftps -- \
//!     explicit|implicit HOST PORT USER PASSWORD CA-FILE [FILE]
//! ```
//!
//! The data connections resume the control connection's TLS session, as
//! servers that demand it (vsftpd's `require_ssl_reuse`) want.

use std::error::Error;
use std::path::Path;
use std::process::ExitCode;

use ftp_client::client::tls::{Security, TlsConfig};
use ftp_client::{Client, Event, Options, Representation};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, host, port, user, password, ca, file) = match args.as_slice() {
        [mode, host, port, user, password, ca] => (mode, host, port, user, password, ca, None),
        [mode, host, port, user, password, ca, file] => {
            (mode, host, port, user, password, ca, Some(file))
        }
        _ => {
            eprintln!("usage: ftps explicit|implicit HOST PORT USER PASSWORD CA-FILE [FILE]");
            return ExitCode::from(2);
        }
    };
    let session = || -> Result<(), Box<dyn Error>> {
        let config = TlsConfig::with_ca_file(Path::new(ca))?;
        let security = match mode.as_str() {
            "implicit" => Security::Implicit(config),
            _ => Security::Explicit {
                config,
                required: true,
            },
        };
        let options = Options::default();
        let mut client = Client::connect_tls(host, port.parse()?, None, options, &security)?;
        // Each protected data connection is reported: version, cipher,
        // whether the TLS session was resumed.
        client.set_observer(Box::new(|event| {
            if let Event::Protected(how) = event {
                eprintln!("{how}");
            }
        }));
        client.login(user, password)?;
        println!(
            "control protected: {}, data protected: {}",
            client.control_protected(),
            client.data_protected()
        );
        for line in client.list(None)? {
            println!("{line}");
        }
        if let Some(file) = file {
            client.set_type(Representation::Binary)?;
            let mut content = Vec::new();
            client.retr(file.as_str(), &mut content, 0, None)?;
            println!("{file}: {} bytes", content.len());
        }
        client.quit()?;
        Ok(())
    };
    match session() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ftps: {err}");
            ExitCode::FAILURE
        }
    }
}
