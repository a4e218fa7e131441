//! The file trees of the race tests, and what the local attacker does to
//! them: the directory outside the root with its canary files, a snapshot of
//! a tree (names, kinds, modes, sizes, contents, modification times) to
//! compare before and after, a search for upload leftovers, and the
//! swappers that turn `d` into a symlink to outside and back.
//!
//! What it does not do: speak FTP. `probe.rs` does.

use std::collections::BTreeMap;
use std::fs::{self, File, FileTimes};
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, UNIX_EPOCH};

use ftp_tests::run::run_with_input;

use super::probe::{MARK, OUTSIDE_EPOCH};

/// Files that exist both in `d` (inside) and outside, so that a command on
/// `d/NAME` that follows the symlink hits a real file.
pub const VICTIMS: usize = 24;

/// The content of `d/inside.txt` inside the root.
pub const INSIDE_TXT: &[u8] = b"inside d, the real one\n";

/// The content of `d/secret` inside the root (world-readable).
pub const INSIDE_SECRET: &[u8] = b"inside secret, anyone may read it\n";

/// Writes `content` to `path` with `mode`.
pub fn write(path: &Path, content: &[u8], mode: u32) {
    fs::write(path, content).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Creates `dir` holding `inside.txt`, `secret`, `victim-N`, `appe.txt` and
/// an empty `emptydir`: the real `d` (or `docs`) inside the root.
pub fn inside_dir(dir: &Path) {
    fs::create_dir_all(dir.join("emptydir")).expect("mkdir");
    write(&dir.join("inside.txt"), INSIDE_TXT, 0o644);
    write(&dir.join("secret"), INSIDE_SECRET, 0o644);
    write(&dir.join("appe.txt"), b"", 0o644);
    for n in 0..VICTIMS {
        write(
            &dir.join(format!("victim-{n}")),
            format!("inside victim {n}\n").as_bytes(),
            0o644,
        );
    }
}

/// Creates the directory `outside` with the same names as [`inside_dir`]
/// (plus names of its own), every file holding [`MARK`], having its own
/// size and the time [`OUTSIDE_EPOCH`]; `secret` is root's alone (0600),
/// the others 0640. Returns the files' sizes.
pub fn outside_dir(outside: &Path) -> Vec<u64> {
    fs::create_dir_all(outside.join("emptydir")).expect("mkdir");
    fs::create_dir_all(outside.join(format!("{MARK}-only-dir"))).expect("mkdir");
    let mut names = vec![
        ("secret".to_string(), 0o600),
        ("inside.txt".to_string(), 0o640),
        (format!("{MARK}-only-file"), 0o640),
    ];
    names.extend((0..VICTIMS).map(|n| (format!("victim-{n}"), 0o640)));
    let mut sizes = Vec::new();
    for (index, (name, mode)) in names.into_iter().enumerate() {
        // Odd five-digit sizes: no inside file has one, nor a directory
        // (their sizes are even on ext4, tmpfs and btrfs).
        let size = 77_777 + 2 * index;
        let mut content = format!("{MARK}-SECRET {name}\n").into_bytes();
        content.resize(size, b'#');
        let path = outside.join(&name);
        write(&path, &content, mode);
        let time = UNIX_EPOCH + Duration::from_secs(OUTSIDE_EPOCH);
        File::options()
            .write(true)
            .open(&path)
            .and_then(|file| file.set_times(FileTimes::new().set_modified(time)))
            .expect("set the time");
        sizes.push(size as u64);
    }
    sizes
}

/// One entry of a [`snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    kind: &'static str,
    mode: u32,
    uid: u32,
    size: u64,
    mtime: (i64, i64),
    content: Vec<u8>,
}

/// Everything under `dir` (and `dir` itself, as `.`), symlinks not followed.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut entries = BTreeMap::new();
    let mut todo = vec![PathBuf::from(".")];
    while let Some(relative) = todo.pop() {
        let path = dir.join(&relative);
        let meta = fs::symlink_metadata(&path).expect("metadata");
        let (kind, content) = if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).expect("readlink");
            ("symlink", target.into_os_string().into_encoded_bytes())
        } else if meta.is_dir() {
            for child in fs::read_dir(&path).expect("read_dir") {
                todo.push(relative.join(child.expect("entry").file_name()));
            }
            ("dir", Vec::new())
        } else {
            ("file", fs::read(&path).expect("read"))
        };
        let entry = Entry {
            kind,
            mode: meta.mode(),
            uid: meta.uid(),
            size: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            content,
        };
        entries.insert(relative, entry);
    }
    entries
}

/// How `after` differs from `before`, one line per entry.
pub fn changes(before: &BTreeMap<PathBuf, Entry>, after: &BTreeMap<PathBuf, Entry>) -> Vec<String> {
    let mut found = Vec::new();
    for (path, old) in before {
        match after.get(path) {
            None => found.push(format!("{} {} is gone", old.kind, path.display())),
            Some(new) if new != old => {
                let mut what = Vec::new();
                if new.kind != old.kind {
                    what.push(format!("is a {} now (was a {})", new.kind, old.kind));
                }
                if new.mode != old.mode {
                    what.push(format!("mode {:o} -> {:o}", old.mode, new.mode));
                }
                if new.uid != old.uid {
                    what.push(format!("owner {} -> {}", old.uid, new.uid));
                }
                if new.content != old.content || new.size != old.size {
                    what.push(format!(
                        "content changed ({} -> {} bytes)",
                        old.size, new.size
                    ));
                }
                if new.mtime != old.mtime {
                    what.push("modification time changed".to_string());
                }
                found.push(format!(
                    "{} {}: {}",
                    old.kind,
                    path.display(),
                    what.join(", ")
                ));
            }
            Some(_) => {}
        }
    }
    for (path, new) in after {
        if !before.contains_key(path) {
            found.push(format!("{} {} appeared", new.kind, path.display()));
        }
    }
    found
}

/// Upload temporaries (`.ftp-tmp-*`) anywhere under `dir`, symlinks not followed.
pub fn temporaries(dir: &Path) -> Vec<PathBuf> {
    snapshot(dir)
        .into_keys()
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with(".ftp-tmp-"))
        })
        .collect()
}

/// Swaps `root/d` with a symlink to `outside` by plain renames until
/// `deadline`: `d -> d.real`, symlink `d`, remove it, `d.real -> d`. `d` is
/// the real directory again when it returns. Returns the number of swaps.
pub fn swap_by_renames(root: &Path, outside: &Path, deadline: Instant) -> usize {
    let (d, real) = (root.join("d"), root.join("d.real"));
    let mut swaps = 0;
    while Instant::now() < deadline {
        fs::rename(&d, &real).expect("rename d d.real");
        symlink(outside, &d).expect("symlink d");
        fs::remove_file(&d).expect("remove the symlink d");
        fs::rename(&real, &d).expect("rename d.real d");
        swaps += 1;
    }
    swaps
}

/// Exchanges `d` and a symlink to outside atomically (`renameat2` with
/// `RENAME_EXCHANGE`, through Python's ctypes: `std` has no such call), as
/// often as it can for `seconds`, an even number of times; removes the
/// symlink and prints the number of exchanges. argv: root, outside, seconds.
const EXCHANGER: &str = r#"
import ctypes, os, platform, sys, time
root, outside, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
d = os.path.join(root, 'd').encode()
link = os.path.join(root, 'd.link').encode()
if hasattr(libc, 'renameat2'):
    call = lambda: libc.renameat2(AT_FDCWD, d, AT_FDCWD, link, RENAME_EXCHANGE)
else:
    number = {'x86_64': 316, 'aarch64': 276}[platform.machine()]
    call = lambda: libc.syscall(number, AT_FDCWD, d, AT_FDCWD, link, RENAME_EXCHANGE)
def exchange():
    if call() != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
os.symlink(outside, link)
end = time.monotonic() + seconds
n = 0
while time.monotonic() < end:
    exchange()
    exchange()
    n += 2
os.unlink(link)
print('exchanges', n)
"#;

/// Runs [`EXCHANGER`] until `deadline`; returns the number of exchanges,
/// or `None` when Python (or renameat2) is not there.
pub fn swap_by_exchange(root: &Path, outside: &Path, deadline: Instant) -> Option<usize> {
    let seconds = deadline.saturating_duration_since(Instant::now());
    let mut command = Command::new("python3");
    command
        .arg("-c")
        .arg(EXCHANGER)
        .arg(root)
        .arg(outside)
        .arg(seconds.as_secs_f64().to_string());
    let finished = match run_with_input(command, "", seconds + Duration::from_secs(10)) {
        Ok(finished) => finished,
        Err(err) => {
            println!("the exchanging swapper did not start (python3: {err}): renames only");
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&finished.stdout);
    let exchanges = stdout.trim().strip_prefix("exchanges ")?.parse().ok();
    if exchanges.is_none() {
        println!(
            "the exchanging swapper did not run: {}",
            String::from_utf8_lossy(&finished.stderr)
        );
    }
    exchanges
}
