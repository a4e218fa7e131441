//! An "RFC 959 front": a control-connection relay that makes a modern server
//! look like one without RFC 2428, so that our client's PASV and PORT paths
//! can be checked against every server.
//!
//! Our client, like tnftp, tries EPSV (passive) or EPRT (active) first and
//! falls back to PASV or PORT only when the server answers `500`, `501`,
//! `502` or `522`, and the clear matrix's PASV and PORT columns check that
//! fallback (rather than the client's `epsv4 off`, which skips EPSV and
//! EPRT and which the FTPS tables use, as this relay cannot read a control
//! connection under TLS). None of
//! the third-party servers here can be told to refuse EPSV and EPRT that way
//! (vsftpd's `cmds_denied` answers `550`; ours is told with `--quirk
//! no-epsv,no-eprt`), so the front answers those two commands itself with
//! `502` and relays every other line unchanged, both ways. The
//! data connections do not pass through it: they go straight between the
//! client and the server, to the address the server put in its `227` reply
//! or the one in the client's `PORT`, which is the same loopback address the
//! server sees the control connection come from.
//!
//! It does not relay anything but the control connection, and it does not
//! parse replies.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How long a relayed connection may stay silent.
const IDLE: Duration = Duration::from_secs(60);

/// The commands the front refuses, as an RFC 959 server would.
const REFUSED: [&str; 2] = ["EPSV", "EPRT"];

/// A running front; stops accepting when dropped.
pub struct Front {
    /// Where clients connect.
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Front {
    /// Starts a front for `server` on the same loopback address.
    pub fn start(server: SocketAddr) -> Front {
        let listener =
            TcpListener::bind(SocketAddr::new(server.ip(), 0)).expect("loopback can bind port 0");
        let addr = listener
            .local_addr()
            .expect("a bound socket has an address");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        thread::spawn(move || {
            for client in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(client) = client {
                    thread::spawn(move || relay(client, server));
                }
            }
        });
        Front { addr, stop }
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// Relays one control connection until either side closes it.
fn relay(client: TcpStream, server: SocketAddr) {
    let Ok(upstream) = TcpStream::connect_timeout(&server, Duration::from_secs(5)) else {
        return;
    };
    for stream in [&client, &upstream] {
        let _ = stream.set_read_timeout(Some(IDLE));
    }
    let (Ok(to_client), Ok(from_server), Ok(from_client)) =
        (client.try_clone(), upstream.try_clone(), client.try_clone())
    else {
        return;
    };
    let to_client = Arc::new(Mutex::new(to_client));
    let replies = thread::spawn({
        let to_client = Arc::clone(&to_client);
        move || copy_replies(from_server, &to_client)
    });
    relay_commands(from_client, upstream, &to_client);
    let _ = replies.join();
}

/// Server to client: every byte, unchanged.
fn copy_replies(mut from_server: TcpStream, to_client: &Mutex<TcpStream>) {
    let mut buffer = [0; 4096];
    while let Ok(count @ 1..) = from_server.read(&mut buffer) {
        let Ok(mut client) = to_client.lock() else {
            return;
        };
        if client.write_all(&buffer[..count]).is_err() {
            return;
        }
    }
    if let Ok(client) = to_client.lock() {
        let _ = client.shutdown(Shutdown::Both);
    }
}

/// Client to server: every line, except the refused commands, which get a
/// `502` from the front itself.
fn relay_commands(from_client: TcpStream, mut upstream: TcpStream, to_client: &Mutex<TcpStream>) {
    let mut lines = BufReader::new(from_client);
    let mut line = Vec::new();
    while matches!(lines.read_until(b'\n', &mut line), Ok(1..)) {
        let sent = match refused_verb(&line) {
            Some(verb) => to_client.lock().is_ok_and(|mut client| {
                let reply = format!("502 {verb} not implemented (the test's RFC 959 front)\r\n");
                client.write_all(reply.as_bytes()).is_ok()
            }),
            None => upstream.write_all(&line).is_ok(),
        };
        if !sent {
            break;
        }
        line.clear();
    }
    let _ = upstream.shutdown(Shutdown::Write);
}

/// The refused verb `line` starts with, if any (case-insensitive).
fn refused_verb(line: &[u8]) -> Option<&'static str> {
    let verb = line
        .split(|&byte| byte == b' ' || byte == b'\r' || byte == b'\n')
        .next()?;
    REFUSED
        .into_iter()
        .find(|refused| verb.eq_ignore_ascii_case(refused.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_epsv_and_eprt_are_refused() {
        assert_eq!(refused_verb(b"EPSV\r\n"), Some("EPSV"));
        assert_eq!(refused_verb(b"epsv 2\r\n"), Some("EPSV"));
        assert_eq!(refused_verb(b"EPRT |1|127.0.0.1|5000|\r\n"), Some("EPRT"));
        assert_eq!(refused_verb(b"PASV\r\n"), None);
        assert_eq!(refused_verb(b"EPSVX\r\n"), None);
        assert_eq!(refused_verb(b"RETR EPSV\r\n"), None);
    }

    #[test]
    fn relays_lines_and_answers_refused_ones_itself() {
        let server = TcpListener::bind("127.0.0.1:0").expect("bind");
        let front = Front::start(server.local_addr().expect("addr"));
        let mut client = TcpStream::connect(front.addr).expect("connect");
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let (mut upstream, _) = server.accept().expect("the front connects");
        upstream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        upstream.write_all(b"220 hi\r\n").expect("greet");
        let mut replies = BufReader::new(client.try_clone().expect("clone"));
        let mut greeting = String::new();
        replies.read_line(&mut greeting).expect("greeting");
        assert_eq!(greeting, "220 hi\r\n");
        client.write_all(b"EPSV\r\nPASV\r\n").expect("send");
        let mut refusal = String::new();
        replies.read_line(&mut refusal).expect("refusal");
        assert!(refusal.starts_with("502 EPSV"), "{refusal}");
        let mut relayed = String::new();
        BufReader::new(upstream)
            .read_line(&mut relayed)
            .expect("relayed");
        assert_eq!(relayed, "PASV\r\n");
    }
}
