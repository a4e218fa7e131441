//! End-to-end tests of the shell's `mirror` command: the real `ftp-client`
//! against our `ftp-server`, vsftpd (LIST only) and pyftpdlib (MLSD), on
//! loopback, with a tree that has spaces, UTF-8 and non-UTF-8 names, an
//! empty directory and symlinks; then against the hostile server of
//! `ftp_tests::hostile`, whose listings name `..`, `../x`, an absolute path
//! and `a/b`, to check that nothing is written outside the local directory,
//! that `mirror -R --delete` deletes none of them on the server, and that
//! each such name is reported.
//!
//! A missing third-party server prints `SKIPPED: ...` and its test returns,
//! unless `FTP_TESTS_REQUIRE_PEERS` is set.

use std::ffi::OsStr;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use ftp_tests::hostile::{fixed, Hostile};
use ftp_tests::run::run_with_input;
use ftp_tests::{
    assert_same_file, pattern, peers, program, run_as_this_user, start_ftp_server, KillOnDrop,
    TempDir,
};

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// How long one run of the client may take before the test fails.
const CLIENT_LIMIT: Duration = Duration::from_secs(60);
/// The user our server lets in (the password comes from the environment).
const USER: &str = "mirror";
const PASSWORD: &str = "mirror-pw";
/// The modification time given to `a.txt`, far from the time of the test.
const OLD: Duration = Duration::from_secs(1_577_934_245);

/// A non-UTF-8 name (Latin-1 `é`).
fn latin1() -> &'static OsStr {
    OsStr::from_bytes(b"lat\xe9.txt")
}

/// What a server does with the tree, where servers differ.
#[derive(Debug, Clone, Copy)]
struct Traits {
    /// Its listings show symlinks as symlinks (ours resolves them).
    lists_symlinks: bool,
    /// It serves names that are not UTF-8 unchanged.
    raw_names: bool,
    /// It has `MFMT`, so uploads keep their times.
    mfmt: bool,
}

/// A running server, its root, and how to log in.
struct Served {
    addr: SocketAddr,
    user: String,
    password: String,
    root: TempDir,
    traits: Traits,
    /// Our server, kept running until the test ends.
    _ours: Option<KillOnDrop>,
    /// A third-party server, kept running until the test ends.
    _peer: Option<peers::Peer>,
}

fn ours() -> Served {
    let root = TempDir::new("mirror-ours-root");
    let mut command = Command::new(program("ftp-server"));
    command
        .args(["--listen", "127.0.0.1:0", "--root"])
        .arg(root.path())
        .args(["--user", &format!("{USER}::rw")])
        .args(run_as_this_user())
        .env(
            format!("FTP_SERVER_PASSWORD_{}", USER.to_uppercase()),
            PASSWORD,
        );
    let (process, addr) = start_ftp_server(command);
    Served {
        addr,
        user: USER.into(),
        password: PASSWORD.into(),
        root,
        traits: Traits {
            lists_symlinks: false,
            raw_names: true,
            mfmt: true,
        },
        _ours: Some(process),
        _peer: None,
    }
}

fn from_peer(root: TempDir, peer: peers::Peer, traits: Traits) -> Served {
    Served {
        addr: peer.addr,
        user: peer.user.clone(),
        password: peer.password.clone(),
        root,
        traits,
        _ours: None,
        _peer: Some(peer),
    }
}

fn vsftpd() -> Option<Served> {
    let root = TempDir::new("mirror-vsftpd-root");
    let peer = peers::vsftpd(root.path(), V4)?;
    let traits = Traits {
        lists_symlinks: true,
        raw_names: true,
        mfmt: false,
    };
    Some(from_peer(root, peer, traits))
}

fn pyftpdlib() -> Option<Served> {
    let root = TempDir::new("mirror-pyftpdlib-root");
    let peer = peers::pyftpdlib(root.path(), V4, USER, PASSWORD)?;
    // Its MLSD shows what a symlink points to (type=file, type=dir), and its
    // names are UTF-8 only.
    let traits = Traits {
        lists_symlinks: false,
        raw_names: false,
        mfmt: true,
    };
    Some(from_peer(root, peer, traits))
}

/// What one run of `ftp-client` did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Panics with the whole output unless the exit status is `code`.
    fn expect_code(self, code: i32) -> Run {
        assert_eq!(self.code, Some(code), "{self:#?}");
        self
    }

    fn says(&self, text: &str) -> bool {
        self.stdout.contains(text) || self.stderr.contains(text)
    }
}

/// Runs `ftp-client [options] -n HOST PORT` in `cwd` with `script` after a
/// `user` line.
fn session(
    addr: SocketAddr,
    login: (&str, &str),
    cwd: &Path,
    options: &[&str],
    script: &str,
) -> Run {
    let home = TempDir::new("mirror-home");
    let (host, port) = (addr.ip().to_string(), addr.port().to_string());
    let mut command = Command::new(program("ftp-client"));
    command
        .args(options)
        .args(["-n", &host, &port])
        .current_dir(cwd)
        .env("HOME", home.path())
        .env_remove("NETRC");
    let script = format!("user {} {}\n{script}", login.0, login.1);
    let finished = run_with_input(command, &script, CLIENT_LIMIT).expect("ftp-client starts");
    let status = finished
        .status
        .unwrap_or_else(|| panic!("ftp-client ran longer than {CLIENT_LIMIT:?}: {script}"));
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&finished.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&finished.stderr).into_owned(),
    }
}

impl Served {
    fn run(&self, cwd: &Path, options: &[&str], script: &str) -> Run {
        session(
            self.addr,
            (&self.user, &self.password),
            cwd,
            options,
            script,
        )
    }

    /// [`Served::run`] that must exit with status 0.
    fn ok(&self, cwd: &Path, options: &[&str], script: &str) -> Run {
        self.run(cwd, options, script).expect_code(0)
    }
}

/// Makes `path` look like a transfer that was cut off: its first 100,000
/// bytes, with the time of the cut (not the source's).
fn cut_off(path: &Path) {
    let file = fs::OpenOptions::new().write(true).open(path).expect("open");
    file.set_len(100_000).expect("truncate");
    file.set_modified(SystemTime::UNIX_EPOCH + OLD)
        .expect("mtime");
}

/// The tree both directions copy: spaces, UTF-8, (where the server keeps
/// them) non-UTF-8 names, an empty directory, a large file, and symlinks to
/// a file and to a directory.
fn make_tree(dir: &Path, traits: Traits) {
    fs::create_dir_all(dir.join("sub dir/empty")).expect("tree");
    fs::write(dir.join("a.txt"), b"alpha").expect("a.txt");
    set_mtime(&dir.join("a.txt"), SystemTime::UNIX_EPOCH + OLD);
    fs::write(dir.join("with space.txt"), b"spaced out\n").expect("spaces");
    fs::write(dir.join("caf\u{e9} \u{2603}.txt"), "unicode \u{2603}\n").expect("utf-8");
    if traits.raw_names {
        fs::write(dir.join(latin1()), b"latin-1 name\n").expect("latin-1");
    }
    fs::write(dir.join("sub dir/big.bin"), pattern(300_000, 7)).expect("big");
    symlink("a.txt", dir.join("link.txt")).expect("file symlink");
    symlink("sub dir", dir.join("dir link")).expect("dir symlink");
}

fn set_mtime(path: &Path, time: SystemTime) {
    let file = fs::OpenOptions::new().write(true).open(path).expect("open");
    file.set_modified(time).expect("set mtime");
}

fn mtime(path: &Path) -> SystemTime {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .expect("mtime")
}

/// Checks that `copy` holds what `source` holds, byte for byte; symlinks of
/// `source` are absent from `copy` when the server listed them as symlinks,
/// and never symlinks in `copy` either way.
fn assert_mirrored(source: &Path, copy: &Path, lists_symlinks: bool) {
    for entry in fs::read_dir(source).expect("source") {
        let entry = entry.expect("entry");
        let (from, to) = (entry.path(), copy.join(entry.file_name()));
        let kind = entry.file_type().expect("type");
        let there = fs::symlink_metadata(&to).ok();
        if kind.is_symlink() {
            assert!(
                !there.as_ref().is_some_and(|m| m.is_symlink()),
                "{}",
                to.display()
            );
            assert!(
                !lists_symlinks || there.is_none(),
                "{} was copied",
                to.display()
            );
        } else if kind.is_dir() {
            assert!(
                there.is_some_and(|m| m.is_dir()),
                "{} is no directory",
                to.display()
            );
            assert_mirrored(&from, &to, lists_symlinks);
        } else {
            assert_same_file(&from, &to);
        }
    }
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<PathBuf> {
    let mut names: Vec<PathBuf> = fs::read_dir(dir)
        .expect("dir")
        .map(|entry| PathBuf::from(entry.expect("entry").file_name()))
        .collect();
    names.sort();
    names
}

/// Down: a first copy, a second run with nothing to do, a resumed file,
/// `--only-newer`, `--dry-run` and `--delete`.
fn mirror_down(served: &Served) {
    let traits = served.traits;
    let source = served.root.path().join("tree");
    make_tree(&source, traits);
    let local = TempDir::new("mirror-local");
    let copy = local.path().join("tree");

    let run = served.ok(local.path(), &[], "mirror tree\n");
    assert_mirrored(&source, &copy, traits.lists_symlinks);
    assert_eq!(mtime(&copy.join("a.txt")), SystemTime::UNIX_EPOCH + OLD);
    assert!(copy.join("sub dir/empty").is_dir());
    if traits.lists_symlinks {
        assert!(run.says("Skipping `link.txt': remote symlink"), "{run:#?}");
    }
    assert!(run.says("errors"), "{run:#?}");

    let run = served.ok(local.path(), &[], "mirror tree\n");
    assert!(run.says(" 0 files transferred"), "{run:#?}");

    // A download cut off after its first bytes is resumed with REST, a few
    // bytes before the cut so that the client can check them.
    let big = copy.join("sub dir/big.bin");
    cut_off(&big);
    let run = served.ok(local.path(), &["-d"], "mirror tree\n");
    let rest = format!("REST {}", 100_000 - 4096);
    assert!(run.says(&rest), "{run:#?}");
    assert!(run.says("(200000 bytes)"), "{run:#?}");
    assert_same_file(&source.join("sub dir/big.bin"), &big);

    // --only-newer keeps a local file that is newer.
    fs::write(copy.join("a.txt"), b"mine").expect("local edit");
    let run = served.ok(local.path(), &[], "mirror --only-newer tree\n");
    assert!(
        run.says("Skipping `a.txt': target is not older"),
        "{run:#?}"
    );
    assert_eq!(fs::read(copy.join("a.txt")).expect("a.txt"), b"mine");

    // --dry-run changes nothing; --delete removes what the server lacks.
    fs::write(copy.join("extra.txt"), b"extra").expect("extra");
    fs::create_dir_all(copy.join("old dir/inner")).expect("old dir");
    let run = served.ok(local.path(), &[], "mirror --delete --dry-run tree\n");
    assert!(run.says("Would: Removing old file `extra.txt'"), "{run:#?}");
    assert!(run.says("Would: Transferring file `a.txt'"), "{run:#?}");
    assert!(copy.join("extra.txt").exists() && copy.join("old dir").exists());
    assert_eq!(fs::read(copy.join("a.txt")).expect("a.txt"), b"mine");
    let run = served.ok(local.path(), &[], "mirror --delete tree\n");
    assert!(run.says("2 deleted"), "{run:#?}");
    // The edited a.txt is shorter than the server's, but not a cut-off copy.
    assert!(
        run.says("Not resuming `a.txt': the local bytes differ"),
        "{run:#?}"
    );
    assert!(!copy.join("extra.txt").exists() && !copy.join("old dir").exists());
    assert_mirrored(&source, &copy, traits.lists_symlinks);
}

/// Up: a first copy (local symlinks skipped), then `--delete`.
fn mirror_up(served: &Served) {
    let traits = served.traits;
    let local = TempDir::new("mirror-up-local");
    let source = local.path().join("up");
    make_tree(&source, traits);
    let pushed = served.root.path().join("pushed");

    // A dry run makes nothing on the server.
    let run = served.ok(local.path(), &[], "mirror -R --dry-run up pushed\n");
    assert!(run.says("Would: Making remote directory `.'"), "{run:#?}");
    assert!(
        run.says("Would: Transferring file `sub dir/big.bin'"),
        "{run:#?}"
    );
    assert!(!pushed.exists());

    let run = served.ok(local.path(), &[], "mirror -R up pushed\n");
    assert_mirrored(&source, &pushed, true);
    assert!(run.says("Skipping `dir link': local symlink"), "{run:#?}");
    assert!(pushed.join("sub dir/empty").is_dir());
    if traits.mfmt {
        assert_eq!(mtime(&pushed.join("a.txt")), SystemTime::UNIX_EPOCH + OLD);
    }
    // Every file on the server is now as new as its source (MFMT) or newer.
    let run = served.ok(local.path(), &[], "mirror -R --only-newer up pushed\n");
    assert!(run.says(" 0 files transferred"), "{run:#?}");
    assert!(
        run.says("Skipping `a.txt': target is not older"),
        "{run:#?}"
    );

    // An upload cut off after its first bytes is resumed (REST, STOR) once
    // the server's last bytes have been checked.
    let big = pushed.join("sub dir/big.bin");
    cut_off(&big);
    // `-V`: with verbose off, `-d` shows the replies in the dialog (`<---`).
    let run = served.ok(local.path(), &["-d", "-V"], "mirror -R up pushed\n");
    let resumed = "---> REST 100000\n<--- 350";
    assert!(
        run.says(resumed) && run.says("---> STOR pushed/sub dir/big.bin"),
        "{run:#?}"
    );
    assert_same_file(&source.join("sub dir/big.bin"), &big);

    fs::write(pushed.join("stale.txt"), b"stale").expect("stale");
    fs::create_dir_all(pushed.join("stale dir")).expect("stale dir");
    fs::write(pushed.join("stale dir/y"), b"y").expect("stale y");
    let run = served.ok(local.path(), &[], "mirror -R --delete up pushed\n");
    assert!(run.says("Removing old remote file `stale.txt'"), "{run:#?}");
    assert!(!pushed.join("stale.txt").exists() && !pushed.join("stale dir").exists());
    assert_mirrored(&source, &pushed, true);
}

#[test]
fn mirror_with_our_server() {
    let served = ours();
    mirror_down(&served);
    mirror_up(&served);
}

#[test]
fn mirror_with_vsftpd_and_list() {
    let Some(served) = vsftpd() else { return };
    mirror_down(&served);
    mirror_up(&served);
}

#[test]
fn mirror_with_pyftpdlib_and_mlsd() {
    let Some(served) = pyftpdlib() else { return };
    mirror_down(&served);
    mirror_up(&served);
}

#[test]
fn a_missing_remote_directory_fails() {
    let served = ours();
    let local = TempDir::new("mirror-missing");
    let run = served
        .run(local.path(), &[], "mirror nowhere\n")
        .expect_code(1);
    assert!(run.says("no such remote directory"), "{run:#?}");
    assert!(names(local.path()).is_empty());
}

#[test]
fn a_local_symlink_inside_the_target_is_never_written_through() {
    let served = ours();
    let source = served.root.path().join("tree");
    make_tree(&source, served.traits);
    let scratch = TempDir::new("mirror-symlinked");
    let outside = scratch.path().join("outside");
    fs::create_dir(&outside).expect("outside");
    fs::write(outside.join("a.txt"), b"keep me").expect("outside file");
    let copy = scratch.path().join("copy");
    fs::create_dir(&copy).expect("copy");
    symlink(&outside, copy.join("sub dir")).expect("dir symlink");
    symlink(outside.join("a.txt"), copy.join("a.txt")).expect("file symlink");

    let run = served.run(scratch.path(), &[], "mirror tree copy\n");
    let outside_now = (
        names(&outside),
        fs::read(outside.join("a.txt")).expect("outside"),
    );
    let untouched = (vec![PathBuf::from("a.txt")], b"keep me".to_vec());
    assert_eq!(outside_now, untouched, "{run:#?}");
    let run = run.expect_code(1);
    assert!(
        run.says("`sub dir': a local symlink is in the way"),
        "{run:#?}"
    );
    assert!(
        run.says("`a.txt': a local symlink is in the way"),
        "{run:#?}"
    );
}

/// The hostile server's listing: names that point outside the target (one
/// of them absolute, into `outside`), a name with a slash, and one honest
/// file. The absolute name is in a scratch directory rather than `/etc`
/// so that a client without the checks cannot harm the machine.
fn hostile_names(outside: &Path) -> Vec<Vec<u8>> {
    let absolute = outside.join("x");
    vec![
        b"..".to_vec(),
        b"../x".to_vec(),
        absolute.as_os_str().as_bytes().to_vec(),
        b"a/b".to_vec(),
        b"ok.txt".to_vec(),
        b"evil".to_vec(),
    ]
}

/// Runs `mirror pub local` against a hostile server that lists `listing`
/// (after answering `FEAT` with `feat`) and checks that only `ok.txt` was
/// written, inside `local`, that every other name was reported, and that
/// the symlink `evil` was skipped with a note.
fn mirror_from_hostile(feat: &'static [u8], line: fn(&[u8]) -> Vec<u8>) {
    let scratch = TempDir::new("mirror-hostile");
    let outside = scratch.path().join("outside");
    fs::create_dir(&outside).expect("outside");
    let names_sent = hostile_names(&outside);
    let listing: Vec<u8> = names_sent.iter().flat_map(|name| line(name)).collect();
    let listing: &'static [u8] = Box::leak(listing.into_boxed_slice());
    let server = Hostile::start(move |control| {
        control.dialog_with_features(b"220 Hello\r\n", b"257 \"/\"\r\n", feat, fixed(listing))
    });
    let addr = server.addr().parse().expect("address");
    let run = session(addr, ("u", "p"), scratch.path(), &[], "mirror pub local\n");
    drop(server);
    let run = run.expect_code(1);

    // What is in the scratch directory, in LOCAL and in `outside`, at once,
    // so that a failure shows every escape.
    let found = (
        names(scratch.path()),
        names(&scratch.path().join("local")),
        names(&outside),
    );
    let expected = (
        vec![PathBuf::from("local"), PathBuf::from("outside")],
        vec![PathBuf::from("ok.txt")],
        vec![],
    );
    assert_eq!(found, expected, "{run:#?}");
    for name in &names_sent[..4] {
        let shown = String::from_utf8_lossy(name);
        assert!(
            run.stderr
                .contains(&format!("`{shown}': refused a name from the server")),
            "{shown} not reported: {run:#?}"
        );
    }
    assert!(run.says("Skipping `evil': remote symlink"), "{run:#?}");
    assert!(run.says("1 files transferred"), "{run:#?}");
}

#[test]
fn hostile_list_names_never_leave_the_target() {
    mirror_from_hostile(b"502 No FEAT\r\n", |name| {
        let (kind, target) = match name {
            b"a/b" => ('d', &b""[..]),
            b"evil" => ('l', &b" -> /etc/passwd"[..]),
            _ => ('-', &b""[..]),
        };
        [
            format!("{kind}rw-r--r-- 1 ftp ftp 8 Jan 01 2024 ").as_bytes(),
            name,
            target,
            b"\r\n",
        ]
        .concat()
    });
}

#[test]
fn hostile_mlsd_names_never_leave_the_target() {
    let feat = b"211-Features:\r\n MLST type*;size*;modify*;\r\n211 End\r\n";
    mirror_from_hostile(feat, |name| {
        let kind = match name {
            b"a/b" => "dir",
            b"evil" => "OS.unix=symlink",
            _ => "file",
        };
        [
            format!("type={kind};size=8;modify=20240101000000; ").as_bytes(),
            name,
            b"\r\n",
        ]
        .concat()
    });
}

#[test]
fn hostile_names_are_never_deleted_on_the_way_up() {
    let scratch = TempDir::new("mirror-hostile-up");
    let outside = scratch.path().join("outside");
    fs::create_dir(&outside).expect("outside");
    fs::create_dir(scratch.path().join("up")).expect("empty local tree");
    let listing: Vec<u8> = hostile_names(&outside)
        .iter()
        .flat_map(|name| [&b"type=file;size=8; "[..], name, b"\r\n"].concat())
        .collect();
    let listing: &'static [u8] = Box::leak(listing.into_boxed_slice());
    let feat = b"211-Features:\r\n MLST type*;size*;\r\n211 End\r\n";
    let server = Hostile::start(move |control| {
        control.dialog_with_features(b"220 Hello\r\n", b"257 \"/\"\r\n", feat, fixed(listing))
    });
    let addr = server.addr().parse().expect("address");
    let script = "mirror -R --delete up pub\n";
    let run = session(addr, ("u", "p"), scratch.path(), &[], script);
    let seen = server.shared.commands.lock().expect("lock").clone();
    drop(server);
    let deletions: Vec<&String> = seen.iter().filter(|c| c.starts_with("DELE")).collect();
    assert_eq!(deletions, ["DELE pub/evil", "DELE pub/ok.txt"], "{run:#?}");
    // The server refuses DELE (502), so the mirror fails, after reporting
    // each refused name.
    let run = run.expect_code(1);
    assert!(
        run.stderr
            .contains("`../x': refused a name from the server"),
        "{run:#?}"
    );
}
