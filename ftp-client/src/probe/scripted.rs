//! Test helper: a control server on loopback that answers each command line
//! with the next of its scripted replies, byte for byte, so that the
//! probe's wire handling and checks can be tested on exactly the bytes an
//! odd server sends. Tests only; it opens no data connections.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::{Probe, Settings};

/// Splits a scripted reply into pieces written apart (`split-replies`).
pub const PIECE: char = '\0';

/// How long the server waits for the probe, and between two pieces.
const WAIT: Duration = Duration::from_secs(5);
const PAUSE: Duration = Duration::from_millis(20);

/// The greeting and login replies every probe script starts with.
pub const LOGIN: [&str; 3] = ["220 Hello\r\n", "331 Password\r\n", "230 In\r\n"];

/// A scripted server serving one connection.
pub struct Scripted {
    /// Where it listens.
    pub addr: SocketAddr,
    thread: JoinHandle<Vec<String>>,
}

impl Scripted {
    /// Sends `replies[0]` on connecting, then `replies[n]` after the n-th
    /// command line; closes when they are used up.
    pub fn start(replies: &[&str]) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind on loopback");
        let addr = listener.local_addr().expect("address");
        let replies: Vec<String> = replies.iter().map(|r| r.to_string()).collect();
        let thread = thread::spawn(move || {
            let (stream, _) = listener.accept().expect("the probe connects");
            stream.set_read_timeout(Some(WAIT)).expect("timeout");
            let mut out = stream.try_clone().expect("clone");
            let mut lines = BufReader::new(stream);
            let mut received = Vec::new();
            for (index, reply) in replies.iter().enumerate() {
                if index > 0 {
                    let mut line = String::new();
                    if lines.read_line(&mut line).map_or(true, |n| n == 0) {
                        break;
                    }
                    received.push(line.trim_end().to_string());
                }
                for piece in reply.split(PIECE) {
                    if out.write_all(piece.as_bytes()).is_err() {
                        return received;
                    }
                    if reply.contains(PIECE) {
                        thread::sleep(PAUSE);
                    }
                }
            }
            received
        });
        Scripted { addr, thread }
    }

    /// The command lines it received while it had replies for them.
    pub fn received(self) -> Vec<String> {
        self.thread.join().expect("the scripted server ends")
    }
}

/// A probe of `server`, logging in as `u`/`p`, with short limits.
pub fn probe_of(server: &Scripted) -> Probe {
    let settings = Settings {
        host: "127.0.0.1".to_string(),
        port: server.addr.port(),
        user: "u".to_string(),
        password: "p".to_string(),
        path: String::new(),
        write_dir: None,
        timeout: Duration::from_secs(2),
        short_wait: Duration::from_millis(200),
    };
    Probe::new(settings, server.addr)
}

/// The finding `id`'s verdict and summary.
pub fn finding(probe: &Probe, id: &str) -> (&'static str, String) {
    let found = probe
        .report
        .findings
        .iter()
        .find(|finding| finding.id == id)
        .unwrap_or_else(|| panic!("no finding {id} in {:?}", probe.report.findings));
    (found.verdict.as_str(), found.summary.clone())
}
