//! The five servers `ftp-client probe` is checked against and reported on:
//! vsftpd, pyftpdlib, ProFTPD, Pure-FTPd and our `ftp-server`, each started
//! on loopback over a root made by [`probe_root`], and a bounded run of the
//! probe against one of them.
//!
//! Used by `tests/tests/probe.rs` (which checks facts about each server
//! known independently of the probe) and by the `probe-report` program
//! (which writes `docs/probe.md`). A missing third-party server follows
//! [`crate::peer_available`].

use std::fs;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::peers::{self, Peer};
use crate::run::{run_with_input, Finished};
use crate::{root_with_hello, run_as_this_user, start_ftp_server, KillOnDrop, TempDir};

/// The servers, in the order reports show them.
pub const SERVERS: [&str; 5] = ["vsftpd", "pyftpdlib", "ProFTPD", "Pure-FTPd", "ftp-server"];

/// The directory the write tests may use, inside each root.
pub const WRITE_DIR: &str = "incoming";

/// The size of `big.bin`: more than loopback sockets hold, so that an `ABOR`
/// arrives while its download is still running.
pub const BIG: usize = 32 << 20;

/// How long one probe run may take before it is killed.
pub const PROBE_LIMIT: Duration = Duration::from_secs(120);

/// The user and password our server gets.
const OUR_LOGIN: (&str, &str) = ("probe", "probe-secret");

/// A running server and the URL that logs in to it.
#[derive(Debug)]
pub struct Target {
    /// One of [`SERVERS`].
    pub name: &'static str,
    /// `ftp://user:password@address/`.
    pub url: String,
    /// Its root directory.
    pub root: PathBuf,
    _server: Server,
    _scratch: TempDir,
}

/// What keeps a server running.
#[derive(Debug)]
enum Server {
    Peer(#[allow(dead_code)] Peer),
    Ours(#[allow(dead_code)] KillOnDrop),
}

/// Fills `root` with what the probe looks for: `pub/hello.txt` (text with
/// LF line ends), `big.bin` and an empty, writable [`WRITE_DIR`].
pub fn probe_root(root: &Path) {
    root_with_hello(root);
    fs::write(root.join("big.bin"), vec![0u8; BIG]).expect("big.bin");
    let incoming = root.join(WRITE_DIR);
    fs::create_dir(&incoming).expect("incoming");
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&incoming, fs::Permissions::from_mode(0o777)).expect("chmod");
}

/// Starts `name` on `ip`; `None` when it is a missing third-party server
/// and the tests may skip it. `programs` is the directory of our programs.
pub fn start(name: &'static str, ip: IpAddr, programs: &Path) -> Option<Target> {
    let scratch = TempDir::new("probe-peer");
    let root = scratch.path().join("root");
    fs::create_dir(&root).expect("scratch dir is writable");
    probe_root(&root);
    let (server, addr, user, password) = match name {
        "ftp-server" => {
            let listen = SocketAddr::new(ip, 0).to_string();
            let mut command = Command::new(programs.join("ftp-server"));
            command
                .args(run_as_this_user())
                .args(["--listen", &listen, "--root"])
                .arg(&root)
                .args(["--user", &format!("{}:{}:rw", OUR_LOGIN.0, OUR_LOGIN.1)])
                .stderr(Stdio::null());
            let (process, addr) = start_ftp_server(command);
            let (user, password) = (OUR_LOGIN.0.to_string(), OUR_LOGIN.1.to_string());
            (Server::Ours(process), addr, user, password)
        }
        _ => {
            let peer = match name {
                "vsftpd" => peers::vsftpd(&root, ip),
                "pyftpdlib" => peers::pyftpdlib(&root, ip, OUR_LOGIN.0, OUR_LOGIN.1),
                "ProFTPD" => peers::proftpd(&root, ip),
                "Pure-FTPd" => peers::pure_ftpd(&root, ip),
                other => panic!("unknown server {other}"),
            }?;
            let (addr, user, password) = (peer.addr, peer.user.clone(), peer.password.clone());
            (Server::Peer(peer), addr, user, password)
        }
    };
    Some(Target {
        name,
        url: format!("ftp://{user}:{password}@{addr}/"),
        root,
        _server: server,
        _scratch: scratch,
    })
}

/// Runs `ftp-client probe` with `options` against `target`, within
/// [`PROBE_LIMIT`].
pub fn probe(programs: &Path, target: &Target, options: &[&str]) -> Finished {
    let mut command = Command::new(programs.join("ftp-client"));
    command.arg("probe").args(options).arg(&target.url);
    run_with_input(command, "", PROBE_LIMIT).expect("ftp-client starts")
}

/// One finding of a `--json` report: its id, verdict and summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// `mlsd`, `data.ipv4.epsv`, ...
    pub id: String,
    /// `ok`, `unsupported`, `CONTRADICTION`, ...
    pub verdict: String,
    /// The short description.
    pub summary: String,
}

/// The findings of a `--json` report, which has one finding per line.
pub fn findings(json: &str) -> Vec<Found> {
    json.lines()
        .filter(|line| line.trim_start().starts_with("{\"id\""))
        .map(|line| {
            let strings = json_strings(line);
            let field = |index: usize| strings.get(index).cloned().unwrap_or_default();
            Found {
                id: field(1),
                verdict: field(3),
                summary: field(5),
            }
        })
        .collect()
}

/// The JSON strings in `line`, in order, unescaped.
fn json_strings(line: &str) -> Vec<String> {
    let mut strings = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut text = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => text.push('\n'),
                    Some('r') => text.push('\r'),
                    Some('t') => text.push('\t'),
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        let code = u32::from_str_radix(&hex, 16).unwrap_or(0xfffd);
                        text.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    }
                    Some(other) => text.push(other),
                    None => {}
                },
                c => text.push(c),
            }
        }
        strings.push(text);
    }
    strings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_are_read_from_the_json_lines() {
        let json =
            "{\"target\": \"x\",\n \"findings\": [\n  {\"id\": \"mlsd\", \"verdict\": \"ok\", \
                    \"summary\": \"a \\\"b\\\"\", \"detail\": \"\\u001b\"},\n ]\n}\n";
        let found = findings(json);
        assert_eq!(
            found,
            [Found {
                id: "mlsd".into(),
                verdict: "ok".into(),
                summary: "a \"b\"".into()
            }]
        );
    }
}
