//! One cell of the table: one client downloads the lab's file in one mode
//! over one address family, inside the client's namespace, with short
//! timeouts, and the evidence of what happened is collected: the client's
//! own line, the server's `-v` trace for that download, and the nft
//! counters of the drop rules that rose meanwhile.
//!
//! How a blocked connection is recognised within seconds: our client runs
//! with a 3 s data timeout, curl with `--connect-timeout 3` (the server's
//! `--data-timeout 3` ends an active wait with a 425 that curl reads), and
//! ftplib with `timeout=4`. Every run is killed after 25 s regardless.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ftp_core::protocol::data_setup::DataCommand;
use ftp_tests::run::run_with_input;

use crate::topology::{self, path};

/// The name of the file every cell downloads, and its size.
pub const FILE: &str = "lab.bin";
/// The file's size in bytes.
pub const SIZE: usize = 100_000;

/// The modes, in the table's order.
pub const MODES: [DataCommand; 4] = [
    DataCommand::Pasv,
    DataCommand::Epsv,
    DataCommand::Port,
    DataCommand::Eprt,
];

/// The clients the lab drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// Our ftp-client library.
    Ours,
    /// Our client with explicit FTPS: `AUTH TLS`, then `PBSZ 0` and
    /// `PROT P` after login (the program's `--tls`).
    #[cfg(feature = "tls")]
    OursTls,
    /// The same, and `CCC` after login: the control connection goes back
    /// to the clear, data stays protected (the program's `ccc`).
    #[cfg(feature = "tls")]
    OursTlsCcc,
    /// curl.
    Curl,
    /// Python's ftplib, as it comes.
    Ftplib,
    /// ftplib with `trust_server_pasv_ipv4_address = True`.
    FtplibTrust,
}

/// The clients of the clear scenarios, in the table's order.
pub const CLIENTS: [Client; 4] = [
    Client::Ours,
    Client::Curl,
    Client::Ftplib,
    Client::FtplibTrust,
];

impl Client {
    /// The client's name in the table.
    pub fn name(self) -> &'static str {
        match self {
            Client::Ours => "ours",
            #[cfg(feature = "tls")]
            Client::OursTls => "ours-tls",
            #[cfg(feature = "tls")]
            Client::OursTlsCcc => "ours-tls-ccc",
            Client::Curl => "curl",
            Client::Ftplib => "ftplib",
            Client::FtplibTrust => "ftplib-trust",
        }
    }

    /// How our lab client secures the session (`tls`, `tls-ccc`), for our
    /// FTPS clients.
    pub fn security(self) -> Option<&'static str> {
        #[cfg(feature = "tls")]
        match self {
            Client::OursTls => return Some("tls"),
            Client::OursTlsCcc => return Some("tls-ccc"),
            _ => {}
        }
        None
    }

    /// Whether the client is run in `mode` over `v6`: the trusting ftplib
    /// differs from ftplib only where a 227 address is used (PASV, IPv4).
    pub fn runs(self, mode: DataCommand, v6: bool) -> bool {
        (!v6 || mode.is_extended())
            && (self != Client::FtplibTrust || (mode == DataCommand::Pasv && !v6))
    }
}

/// What happened in one cell.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The file arrived whole.
    pub ok: bool,
    /// The client's explanation (ours) or last error line.
    pub client_line: String,
    /// The server's trace lines for this download.
    pub server: Vec<String>,
    /// Drop rules whose counters rose: `comment: N packets`.
    pub drops: Vec<String>,
    /// How long the cell took.
    pub seconds: f64,
}

/// The ftplib script after [`ftp_tests::ftplib::script`]'s class: host,
/// mode, trust (0/1), file, size.
const FTPLIB: &str = r#"
host, mode, trust, name, size = sys.argv[1:]

ftp = Client(timeout=4)
ftp.trust_server_pasv_ipv4_address = trust == '1'
try:
    ftp.connect(host, 21)
    ftp.login('anonymous', 'lab@')
    ftp.set_pasv(mode in ('PASV', 'EPSV'))
    got = bytearray()
    ftp.retrbinary('RETR ' + name, got.extend)
    ftp.quit()
except Exception as err:
    print('error: %s: %s' % (type(err).__name__, err))
    sys.exit(1)
if len(got) != int(size):
    print('error: got %d bytes' % len(got))
    sys.exit(1)
"#;

/// The command that runs `client` in the client namespace `ns`; `ca` is
/// the certificate our FTPS clients trust.
fn command(ns: &str, client: Client, mode: DataCommand, host: &str, ca: Option<&Path>) -> Command {
    let mut command = Command::new("ip");
    command.env("PATH", path()).args(["netns", "exec", ns]);
    let size = SIZE.to_string();
    let ours = |command: &mut Command| {
        let exe = std::env::current_exe().expect("the lab knows its own path");
        command
            .arg(exe)
            .args(["client", mode.verb(), host, FILE, &size]);
        if let Some(security) = client.security() {
            command
                .arg(security)
                .arg(ca.expect("an FTPS scenario has a CA"));
        }
    };
    match client {
        Client::Ours => ours(&mut command),
        #[cfg(feature = "tls")]
        Client::OursTls | Client::OursTlsCcc => ours(&mut command),
        Client::Curl => {
            let url = if host.contains(':') {
                format!("ftp://[{host}]/{FILE}")
            } else {
                format!("ftp://{host}/{FILE}")
            };
            command.args(["curl", "-sS", "-g", "--connect-timeout", "3", "-m", "20"]);
            command.args(match mode {
                DataCommand::Pasv => &["--ftp-pasv", "--disable-epsv"][..],
                DataCommand::Epsv => &["--ftp-pasv"][..],
                DataCommand::Port => &["--ftp-port", "-", "--disable-eprt"][..],
                DataCommand::Eprt => &["--ftp-port", "-"][..],
            });
            command.args(["-o", "/dev/null", "-w", "%{size_download}", &url]);
        }
        Client::Ftplib | Client::FtplibTrust => {
            let trust = if client == Client::FtplibTrust {
                "1"
            } else {
                "0"
            };
            command.args([
                "python3",
                "-c",
                &ftp_tests::ftplib::script(FTPLIB),
                host,
                mode.verb(),
                trust,
                FILE,
                &size,
            ]);
        }
    }
    command
}

/// The counters of the drop rules in `namespaces`: (comment, packets).
pub fn drop_counters(namespaces: &[&str]) -> Vec<(String, u64)> {
    let mut counters = Vec::new();
    for ns in namespaces {
        let Ok(text) = topology::sh(Some(ns), &["nft", "list", "ruleset"]) else {
            continue;
        };
        for line in text.lines().filter(|line| line.contains(" drop")) {
            let packets = line
                .split("counter packets ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok());
            let comment = line
                .split("comment \"")
                .nth(1)
                .map(|c| c.trim_end_matches('"'));
            if let (Some(packets), Some(comment)) = (packets, comment) {
                counters.push((format!("{} ({ns})", comment), packets));
            }
        }
    }
    counters
}

/// Whether a server log line belongs in a cell's evidence: the data
/// connection's trace, the replies and commands that set it up, and (FTPS)
/// when the control connection went into TLS and back to the clear.
fn traced(line: &str) -> bool {
    [
        "data:",
        "-> 425",
        "-> 501",
        "-> 227",
        "-> 229",
        "<- PORT",
        "<- EPRT",
        "control connection:",
    ]
    .iter()
    .any(|mark| line.contains(mark))
}

/// Runs one cell: `client` in `mode` against `host`, in the client
/// namespace `ns`; `log` is the server's log so far; `rules` the namespaces
/// whose drop counters count; `ca` the certificate FTPS clients trust.
pub fn run(
    ns: &str,
    rules: &[&str],
    log: &Arc<Mutex<Vec<String>>>,
    client: Client,
    mode: DataCommand,
    host: &str,
    ca: Option<&Path>,
) -> Outcome {
    let started = Instant::now();
    let before = drop_counters(rules);
    let seen = log.lock().map(|lines| lines.len()).unwrap_or(0);
    let done = run_with_input(
        command(ns, client, mode, host, ca),
        "",
        Duration::from_secs(25),
    );
    let (ok, client_line) = match done {
        Ok(done) => {
            let out = String::from_utf8_lossy(&done.stdout).into_owned();
            let err = String::from_utf8_lossy(&done.stderr).into_owned();
            let success = done.status.is_some_and(|status| status.success());
            let ok = success && (client != Client::Curl || out.trim() == SIZE.to_string());
            let line = match client {
                Client::Curl if ok => String::new(),
                Client::Curl => err
                    .lines()
                    .next_back()
                    .unwrap_or("killed at 25 s")
                    .to_string(),
                _ => out
                    .lines()
                    .chain(err.lines())
                    .rfind(|line| line.starts_with("error:") || line.starts_with("explain:"))
                    .unwrap_or(if success { "" } else { "killed at 25 s" })
                    .to_string(),
            };
            (ok, line)
        }
        Err(err) => (false, format!("could not start: {err}")),
    };
    // The server's log comes through a pipe and a thread that may lag
    // behind the client: a cell's lines are awaited until its session's
    // end. A failed active download ends on the server with a 425 after its
    // own 3 s data timeout, which may come after the client gave up.
    let ends: &[&str] = if ok {
        &["session end"]
    } else {
        &["failed", "-> 501", "-> 221", "closed"]
    };
    let until = Instant::now() + Duration::from_secs(4);
    while Instant::now() < until {
        let ended = log.lock().is_ok_and(|lines| {
            lines[seen.min(lines.len())..]
                .iter()
                .any(|line| ends.iter().any(|end| line.contains(end)))
        });
        if ended {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let server = log
        .lock()
        .map(|lines| {
            lines[seen.min(lines.len())..]
                .iter()
                .filter(|l| traced(l))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let after = drop_counters(rules);
    let drops = after
        .iter()
        .filter_map(|(comment, packets)| {
            let old = before
                .iter()
                .find(|(c, _)| c == comment)
                .map_or(0, |(_, p)| *p);
            (*packets > old).then(|| format!("{comment}: {} packet(s)", packets - old))
        })
        .collect();
    Outcome {
        ok,
        client_line,
        server,
        drops,
        seconds: started.elapsed().as_secs_f64(),
    }
}
