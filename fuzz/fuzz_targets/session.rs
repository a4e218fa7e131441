//! Fuzzes the server's session state machine, `ftp_server::session::Session`,
//! with arbitrary command sequences against a scratch root. No sockets: the
//! target plays the connection's part, as `ftp_server::conn` would.
//!
//! The input is split into lines at LF (a CR before it is dropped); each line
//! that parses as a command is handled, up to [`MAX_COMMANDS`]. Users:
//! `alice` with password `secret`, and anonymous with write access. The root
//! holds `pub/hello.txt` and `escape`, a symlink to a sibling directory
//! outside the root that holds `secret.txt`.
//!
//! Properties: nothing panics; every reply is one reply on the wire; no file
//! sent is the one outside the root, and no listing shows its name unless a
//! file of that name exists inside the root; an upload, committed or
//! dropped, leaves no temporary file; and nothing outside the root has
//! changed after the sequence.
#![no_main]

use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ftp_core::Command;
use ftp_fuzz::assert_one_reply_on_the_wire;
use ftp_server::config::{parse_args, Config, Parsed};
use ftp_server::storage::VirtualPath;
use ftp_server::list::Lines;
use ftp_server::session::{Action, Job, Outcome, Session};
use libfuzzer_sys::fuzz_target;

/// Commands handled per input at most.
const MAX_COMMANDS: usize = 64;

/// The name of the file outside the root.
const SECRET_NAME: &str = "secret.txt";

/// The content of the file outside the root.
const SECRET: &[u8] = b"outside the root";

/// The client's and the server's address.
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fuzz_target!(|data: &[u8]| {
    let scratch = Scratch::new();
    let mut session = Session::new(scratch.config(), LOOPBACK, LOOPBACK);
    for (index, line) in data.split(|&b| b == b'\n').take(MAX_COMMANDS).enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(command) = Command::parse(line) else {
            continue;
        };
        let upload = matches!(command, Command::Stor(_) | Command::Appe(_) | Command::Stou);
        let temporaries = if upload {
            scratch.temporaries()
        } else {
            Vec::new()
        };
        let outcome = session.handle(command);
        match scratch.play_connection(&mut session, outcome, index.is_multiple_of(2)) {
            Played::Closed => break,
            Played::Uploaded(target) => scratch.check_no_temporary_left(&temporaries, &target),
            Played::Other => {}
        }
    }
    drop(session);
    scratch.check_outside_untouched();
});

/// What the connection did with an outcome.
enum Played {
    /// The session ended (QUIT).
    Closed,
    /// An upload ran into this file, given by its path under the root.
    Uploaded(VirtualPath),
    /// Anything else.
    Other,
}

/// A scratch directory for one input: `root/` served, `outside/` next to it.
struct Scratch {
    base: PathBuf,
}

impl Scratch {
    /// Creates the tree afresh (one per process, reused input after input).
    fn new() -> Scratch {
        let base = std::env::temp_dir().join(format!("ftp-fuzz-session-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(base.join("root/pub")).expect("mkdir root/pub");
        fs::create_dir(base.join("outside")).expect("mkdir outside");
        fs::write(base.join("root/pub/hello.txt"), b"hello, world\n").expect("write hello");
        fs::write(base.join("outside").join(SECRET_NAME), SECRET).expect("write secret");
        std::os::unix::fs::symlink("../outside", base.join("root/escape")).expect("symlink");
        Scratch { base }
    }

    /// Does what the connection would with `outcome`; `commit` decides whether
    /// an upload is finished or abandoned.
    fn play_connection(&self, session: &mut Session, outcome: Outcome, commit: bool) -> Played {
        if let Some(reply) = &outcome.reply {
            assert_one_reply_on_the_wire(reply);
        }
        match outcome.action {
            Action::Close => return Played::Closed,
            Action::OpenPassive { ip, command } => {
                let reply = session.passive_opened(command, SocketAddr::new(ip, 50_000));
                assert_one_reply_on_the_wire(&reply);
            }
            Action::Transfer(transfer) => {
                let upload = matches!(transfer.job, Job::Receive(_));
                self.run_job(transfer.job, commit);
                if let (true, Some(record)) = (upload, transfer.record) {
                    return Played::Uploaded(record.path);
                }
            }
            Action::StatusListing(status) => self.check_listing(status.lines),
            Action::None | Action::FailedLogin { .. } => {}
        }
        Played::Other
    }

    /// Stands in for the data connection: checks a file to send and a
    /// listing, writes a few bytes into an upload.
    fn run_job(&self, job: Job, commit: bool) {
        match job {
            Job::SendFile { file, .. } => {
                let sent = file.metadata().expect("metadata of a file to send");
                let secret = fs::metadata(self.secret()).expect("metadata of the secret");
                let same = (sent.dev(), sent.ino()) == (secret.dev(), secret.ino());
                assert!(!same, "the file outside the root was sent");
            }
            Job::SendListing(lines) => self.check_listing(lines),
            Job::Receive(mut upload) => {
                upload.write_all(b"uploaded").expect("upload writable");
                if commit {
                    // A failed rename is the server's to report, not a jail escape.
                    let _ = upload.commit();
                }
            }
        }
    }

    /// Renders a listing and checks it shows nothing from outside the root.
    fn check_listing(&self, mut lines: Lines) {
        let mut listing = Vec::new();
        lines.read_to_end(&mut listing).expect("a listing renders");
        let name = SECRET_NAME.as_bytes();
        if listing.windows(name.len()).any(|w| w == name) {
            assert!(
                has_name_inside(&self.base.join("root"), SECRET_NAME),
                "a listing shows the directory outside the root"
            );
        }
    }

    /// The file outside the root.
    fn secret(&self) -> PathBuf {
        self.base.join("outside").join(SECRET_NAME)
    }

    /// The server's configuration for this root.
    fn config(&self) -> Arc<Config> {
        let root = self.base.join("root").to_string_lossy().into_owned();
        let args = ["--root", &root, "--user", "alice:secret", "--anonymous=rw"];
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match parse_args(&args) {
            Ok(Parsed::Run(config)) => Arc::new(*config),
            other => panic!("fuzz configuration refused: {other:?}"),
        }
    }

    /// The server's temporary upload files (`.ftp-tmp-...`) under the root.
    fn temporaries(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        collect_names(&self.base.join("root"), ".ftp-tmp-", &mut found);
        found
    }

    /// Asserts that an upload into `target` has left no temporary file: any
    /// `.ftp-tmp-` file not there before it is the target itself (a client
    /// may choose such a name).
    fn check_no_temporary_left(&self, before: &[PathBuf], target: &VirtualPath) {
        let relative = target.as_bytes().strip_prefix(b"/").unwrap_or_default();
        let target = self.base.join("root").join(OsStr::from_bytes(relative));
        let left: Vec<PathBuf> = self
            .temporaries()
            .into_iter()
            .filter(|path| *path != target && !before.contains(path))
            .collect();
        assert!(left.is_empty(), "left behind by an upload: {left:?}");
    }

    /// Asserts that nothing next to `root/` has changed.
    fn check_outside_untouched(&self) {
        assert_eq!(
            names(&self.base),
            ["outside", "root"],
            "entries next to the root"
        );
        let outside = self.base.join("outside");
        assert_eq!(names(&outside), [SECRET_NAME], "outside/");
        let secret = fs::read(self.secret()).expect("read secret");
        assert_eq!(secret, SECRET, "the file outside the root changed");
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.base);
    }
}

/// The sorted names in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|entry| {
            entry
                .expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Adds to `found` the paths under `dir` (not following symlinks) whose
/// file name starts with `prefix`.
fn collect_names(dir: &Path, prefix: &str, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read_dir") {
        let entry = entry.expect("dir entry");
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            found.push(entry.path());
        }
        if entry.file_type().expect("file type").is_dir() {
            collect_names(&entry.path(), prefix, found);
        }
    }
}

/// Whether a file or directory named exactly `name` exists under `dir`.
fn has_name_inside(dir: &Path, name: &str) -> bool {
    let mut found = Vec::new();
    collect_names(dir, name, &mut found);
    found
        .iter()
        .any(|path| path.file_name() == Some(OsStr::new(name)))
}
