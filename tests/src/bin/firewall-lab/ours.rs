//! Our client in a cell: `firewall-lab client MODE HOST FILE SIZE`, run by
//! the lab inside the client's namespace. It downloads FILE with the
//! `ftp-client` library — the code the `ftp-client` program runs — with a
//! 3 s data timeout, and prints its `--explain` line (`explain: data: ...`)
//! or its error (`error: ...`).
//!
//! The library sends EPSV (passive) or EPRT (active) first and falls back to
//! PASV or PORT when the server refuses them. To test PASV and PORT, this
//! module answers the client's EPSV or EPRT itself with a `502` that never
//! reaches the server — the same fallback the client takes against a server
//! without RFC 2428. Nothing else of the dialog is touched.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use ftp_client::client::{Client, DataMode, Event, Options, Representation};

/// The control stream, with EPSV or EPRT answered locally when `hide` says.
struct Shim {
    inner: TcpStream,
    /// The command word answered locally with 502, if any.
    hide: Option<&'static str>,
    /// A line being written, until its CRLF.
    line: Vec<u8>,
    /// Replies made up here, read before the server's.
    made_up: VecDeque<u8>,
}

impl Write for Shim {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(buf);
        while let Some(end) = self.line.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = self.line.drain(..end + 2).collect();
            let word = String::from_utf8_lossy(&line).to_ascii_uppercase();
            match self.hide {
                Some(hidden) if word.split_whitespace().next() == Some(hidden) => {
                    let reply =
                        format!("502 {hidden} not sent: the lab forces the RFC 959 command\r\n");
                    self.made_up.extend(reply.as_bytes());
                }
                _ => self.inner.write_all(&line)?,
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Read for Shim {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.made_up.is_empty() {
            return self.inner.read(buf);
        }
        let n = buf.len().min(self.made_up.len());
        for (slot, byte) in buf.iter_mut().zip(self.made_up.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }
}

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

fn run(args: &[String]) -> Result<(), String> {
    let [mode, host, file, size] = args else {
        return Err("usage: firewall-lab client MODE HOST FILE SIZE".into());
    };
    let (data_mode, hide) = match mode.as_str() {
        "EPSV" => (DataMode::Passive, None),
        "PASV" => (DataMode::Passive, Some("EPSV")),
        "EPRT" => (DataMode::Active, None),
        "PORT" => (DataMode::Active, Some("EPRT")),
        other => return Err(format!("unknown mode {other}")),
    };
    let ip: std::net::IpAddr = host.parse().map_err(|err| format!("{host}: {err}"))?;
    let peer = SocketAddr::new(ip, 21);
    let seconds = Duration::from_secs(3);
    let stream = TcpStream::connect_timeout(&peer, seconds).map_err(|err| err.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(8)))
        .map_err(|err| err.to_string())?;
    let local = stream.local_addr().map_err(|err| err.to_string())?;
    let options = Options {
        mode: data_mode,
        data_timeout: seconds,
        connect_timeout: seconds,
        reply_timeout: Duration::from_secs(8),
        ..Options::default()
    };
    let shim = Shim {
        inner: stream,
        hide,
        line: Vec::new(),
        made_up: VecDeque::new(),
    };
    let mut client = Client::from_stream(shim, local, peer, options).map_err(|e| e.to_string())?;
    client.set_observer(Box::new(|event| {
        if let Event::Data(connection) = event {
            println!("explain: {connection}");
        }
    }));
    client
        .login("anonymous", "lab@")
        .map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    client
        .set_type(Representation::Binary)
        .map_err(|e| e.to_string())?;
    client
        .retr(file, &mut got, 0, None)
        .map_err(|e| e.to_string())?;
    let _ = client.quit();
    if got.len().to_string() != *size {
        return Err(format!("got {} bytes, expected {size}", got.len()));
    }
    Ok(())
}
