//! A session with the library: log in, list, download a file into memory
//! and upload it back under a new name, in binary mode.
//!
//! ```text
//! cargo run -p ftp-client --example session -- HOST PORT USER PASSWORD
//! ```
//!
//! It downloads the first file of the login directory whose name is UTF-8
//! and uploads it as `copy-of-NAME`, so the user needs write access there.
//! The example uses the library only: it builds with
//! `default-features = false` too.

use std::error::Error;
use std::process::ExitCode;

use ftp_client::terminal::escape;
use ftp_client::{Client, EntryKind, Options, Representation};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, port, user, password] = args.as_slice() else {
        eprintln!("usage: session HOST PORT USER PASSWORD");
        return ExitCode::from(2);
    };
    match session(host, port, user, password) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("session: {err}");
            ExitCode::FAILURE
        }
    }
}

fn session(host: &str, port: &str, user: &str, password: &str) -> Result<(), Box<dyn Error>> {
    let mut client = Client::connect(host, port.parse()?, None, Options::default())?;
    client.login(user, password)?;
    // A new session transfers in ASCII, the FTP default (RFC 959), which
    // rewrites line ends; binary moves the bytes as they are.
    client.set_type(Representation::Binary)?;

    // Names are bytes as the server sent them: escape them before they
    // reach a terminal (a hostile name can carry escape sequences).
    let entries = client.entries(None)?;
    for entry in &entries {
        let kind = if entry.kind == EntryKind::Dir {
            "d"
        } else {
            "-"
        };
        let size = entry
            .size
            .map_or(String::from("?"), |size| size.to_string());
        println!("{kind} {size:>10} {}", escape(&entry.name));
    }

    // A name to send back to the server must be its exact text: take the
    // first file whose name is UTF-8.
    let Some(name) = entries
        .iter()
        .filter(|entry| entry.kind == EntryKind::File)
        .find_map(|entry| std::str::from_utf8(&entry.name).ok())
    else {
        println!("no file to download");
        return Ok(client.quit()?);
    };

    let mut data = Vec::new();
    let received = client.retr(name, &mut data, 0, None)?;
    println!("downloaded {}: {received} bytes", escape(name.as_bytes()));

    let copy = format!("copy-of-{name}");
    let sent = client.stor(&copy, &mut data.as_slice(), 0, None)?;
    println!("uploaded {}: {sent} bytes", escape(copy.as_bytes()));

    client.quit()?;
    Ok(())
}
