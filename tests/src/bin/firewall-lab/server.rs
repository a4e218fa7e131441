//! Our server in the server namespace: finding (and under `cargo run`,
//! building) the `ftp-server` program, the scratch directory it serves (and
//! the certificates of the FTPS scenario), the rule loader, and the running
//! server whose `-v` log the cells read.
//!
//! The server runs as root only to bind port 21: `--run-as nobody` serves
//! the sessions as `nobody`, from a directory `nobody` can read. A lab
//! built with the `tls` feature builds the server with it too.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ftp_tests::certs::TestPki;
use ftp_tests::run::run_with_input;
use ftp_tests::KillOnDrop;

use crate::cells::{FILE, SIZE};
use crate::scenarios::PASV_PORTS;
use crate::topology::{path, SERVER_V4};

/// The `ftp-server` next to this program; under `cargo run`, built there
/// first with the same cargo, profile and `tls` feature.
pub fn program() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = exe
        .parent()
        .ok_or("the lab has no directory")?
        .to_path_buf();
    if let Some(cargo) = std::env::var_os("CARGO") {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let mut command = Command::new(cargo);
        // Selecting ftp-tests too resolves the features as for the lab
        // itself, so the two builds do not rebuild each other's dependencies.
        command
            .args(["build", "-q", "-p", "ftp-server", "-p", "ftp-tests"])
            .args(["--bin", "ftp-server", "--manifest-path"])
            .arg(manifest);
        if cfg!(feature = "tls") {
            command.args(["--features", "ftp-tests/tls"]);
        }
        // What cargo set for this program is no build setting: a build
        // script that reads it (ring's reads CARGO_MANIFEST_DIR) would be
        // rebuilt by every other build.
        for (key, _) in std::env::vars_os() {
            let name = key.to_string_lossy();
            if name.starts_with("CARGO_PKG_")
                || [
                    "CARGO_MANIFEST_DIR",
                    "CARGO_MANIFEST_PATH",
                    "CARGO_CRATE_NAME",
                ]
                .contains(&name.as_ref())
            {
                command.env_remove(&key);
            }
        }
        if dir.ends_with("release") {
            command.arg("--release");
        }
        let status = command.status().map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("building ftp-server failed: {status}"));
        }
    }
    let program = dir.join("ftp-server");
    if !program.exists() {
        return Err(format!(
            "{} is missing; run `cargo build --workspace` or `cargo run -p ftp-tests --bin firewall-lab`",
            program.display()
        ));
    }
    Ok(program)
}

/// The served directory (with the lab's file), and the FTPS scenario's
/// certificates; removed when dropped.
pub struct Scratch {
    /// The directory served.
    pub root: PathBuf,
    dir: PathBuf,
    /// A test CA and the server's certificate for its address, when a
    /// scenario with FTPS runs.
    pki: Option<TestPki>,
}

impl Scratch {
    /// Makes `/tmp/ftplab-PID/root/lab.bin`, readable by everyone, and with
    /// `tls` the certificates (the key readable by `nobody`, who reads it
    /// again: a key made for this run only).
    pub fn new(tls: bool) -> Result<Scratch, String> {
        // A killed run's directory (its process gone) is removed first.
        if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix("ftplab-") {
                    if !Path::new("/proc").join(pid).exists() {
                        let _ = std::fs::remove_dir_all(entry.path());
                    }
                }
            }
        }
        let dir = std::env::temp_dir().join(format!("ftplab-{}", std::process::id()));
        let root = dir.join("root");
        std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        let bytes: Vec<u8> = (0..SIZE).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(root.join(FILE), bytes).map_err(|e| e.to_string())?;
        use std::os::unix::fs::PermissionsExt;
        for path in [&dir, &root] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| e.to_string())?;
        }
        let pki = tls.then(|| TestPki::with_addresses(&[SERVER_V4.parse().expect("an address")]));
        // The server reads the key again as `--run-as nobody`: the key goes
        // to nobody's group (nogroup, 65534), as the server's README advises.
        if let Some(pki) = &pki {
            std::os::unix::fs::chown(pki.key(), None, Some(65534)).map_err(|e| e.to_string())?;
            std::fs::set_permissions(pki.key(), std::fs::Permissions::from_mode(0o640))
                .map_err(|e| e.to_string())?;
        }
        Ok(Scratch { root, dir, pki })
    }

    /// The CA certificate FTPS clients trust, when there is one.
    pub fn ca(&self) -> Option<PathBuf> {
        self.pki.as_ref().map(TestPki::ca)
    }

    /// The server's FTPS options, `--tls-cert` and `--tls-key` with this
    /// run's files; none without certificates.
    pub fn tls_args(&self) -> Vec<String> {
        let Some(pki) = &self.pki else {
            return Vec::new();
        };
        let (cert, key) = (pki.cert(), pki.key());
        vec![
            "--tls-cert".into(),
            cert.display().to_string(),
            "--tls-key".into(),
            key.display().to_string(),
        ]
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Loads an nftables rule set in the namespace `ns`.
pub fn load_rules(ns: &str, rules: &str) -> Result<(), String> {
    let mut command = Command::new("ip");
    command
        .env("PATH", path())
        .args(["netns", "exec", ns, "nft", "-f", "-"]);
    let done =
        run_with_input(command, rules, Duration::from_secs(10)).map_err(|e| e.to_string())?;
    match done.status {
        Some(status) if status.success() => Ok(()),
        _ => Err(String::from_utf8_lossy(&done.stderr).trim().to_string()),
    }
}

/// The server's arguments (after the program).
pub fn args(root: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["--listen", "[::]:21", "--root"].map(String::from).to_vec();
    args.push(root.display().to_string());
    for arg in [
        "--pasv-ports",
        PASV_PORTS,
        "--data-timeout",
        "3",
        "-v",
        "--run-as",
        "nobody",
    ] {
        args.push(arg.to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// `ftp-server -v` running in a namespace; killed when dropped.
#[derive(Debug)]
pub struct Server {
    _child: KillOnDrop,
    /// Its log lines so far.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the server in `ns` with the options `extra` (and with `tls`,
    /// the certificates of `scratch`) and waits until it listens.
    pub fn start(
        ns: &str,
        program: &Path,
        scratch: &Scratch,
        extra: &[&str],
        tls: bool,
    ) -> Result<Server, String> {
        let mut command = Command::new("ip");
        command
            .env("PATH", path())
            .args(["netns", "exec", ns])
            .arg(program)
            .args(args(&scratch.root, extra));
        if tls {
            command.args(scratch.tls_args());
        }
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = KillOnDrop(command.spawn().map_err(|e| e.to_string())?);
        let log = Arc::new(Mutex::new(Vec::new()));
        let (ready, listening) = mpsc::channel();
        for stream in [
            child
                .0
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .0
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = Arc::clone(&log);
            let ready = ready.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if line.contains("listening on") {
                        let _ = ready.send(());
                    }
                    if let Ok(mut lines) = log.lock() {
                        lines.push(line);
                    }
                }
            });
        }
        if listening.recv_timeout(Duration::from_secs(10)).is_err() {
            let said = log.lock().map(|l| l.join("\n")).unwrap_or_default();
            return Err(format!("no \"listening on\" within 10 s: {said}"));
        }
        Ok(Server { _child: child, log })
    }
}
