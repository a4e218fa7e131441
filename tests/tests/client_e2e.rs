//! End-to-end tests of the `ftp-client` program against real third-party
//! servers on loopback: pyftpdlib (a user with a password) and vsftpd
//! (anonymous). Each test starts its own server, runs the built
//! `ftp-client` binary as a user would (a batch script on stdin, a URL, `-u`),
//! and checks the files on both sides byte for byte, the output and the exit
//! status.
//!
//! A missing server prints `SKIPPED: ...` and the test returns, unless
//! `FTP_TESTS_REQUIRE_PEERS` is set (as in CI), which makes it fail.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ftp_tests::run::run_with_input;
use ftp_tests::{pattern, peers, program, TempDir};

const USER: &str = "alice";
const PASSWORD: &str = "s3cret-pw";
const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);
/// How long one run of the client may take before the test fails.
const CLIENT_LIMIT: Duration = Duration::from_secs(30);

/// What one run of `ftp-client` did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Panics with the whole output unless the exit status is `code`.
    fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "exit status; stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr
        );
        self
    }
}

/// A server root and a client working directory, with a server in between.
struct Setup {
    server: peers::Peer,
    root: TempDir,
    local: TempDir,
    home: TempDir,
}

impl Setup {
    /// pyftpdlib on `ip` serving a fresh root for `alice`; `None` if it is
    /// not installed (and that is allowed).
    fn pyftpdlib(ip: IpAddr) -> Option<Setup> {
        let root = TempDir::new("client-e2e-root");
        let server = peers::pyftpdlib(root.path(), ip, USER, PASSWORD)?;
        Some(Setup {
            server,
            root,
            local: TempDir::new("client-e2e-local"),
            home: TempDir::new("client-e2e-home"),
        })
    }

    fn host(&self) -> String {
        self.server.addr.ip().to_string()
    }

    fn port(&self) -> String {
        self.server.addr.port().to_string()
    }

    /// `ftp://alice:s3cret-pw@host:port/` + `path`.
    fn url(&self, path: &str) -> String {
        // A SocketAddr shows an IPv6 address in brackets, as URLs want it.
        format!("ftp://{USER}:{PASSWORD}@{}/{path}", self.server.addr)
    }

    /// Runs `ftp-client args` in the local directory with `stdin` as input,
    /// with `HOME` pointing at an empty directory (no `.netrc`).
    fn client(&self, args: &[&str], stdin: &str) -> Run {
        run_client(args, stdin, self.local.path(), self.home.path(), &[])
    }

    /// Runs a batch session (`-n`, then `user`, then `script`) against the server.
    fn session(&self, options: &[&str], script: &str) -> Run {
        let mut args = options.to_vec();
        let (host, port) = (self.host(), self.port());
        args.extend(["-n", &host, &port]);
        self.client(&args, &format!("user {USER} {PASSWORD}\n{script}"))
    }

    fn put_remote(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.root.path().join(name), bytes).expect("server root is writable");
    }

    fn put_local(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.local.path().join(name), bytes).expect("local dir is writable");
    }

    fn remote(&self, name: &str) -> Vec<u8> {
        read(&self.root.path().join(name))
    }

    fn local(&self, name: &str) -> Vec<u8> {
        read(&self.local.path().join(name))
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// Runs the `ftp-client` binary and collects its output; kills it and fails
/// the test if it runs longer than [`CLIENT_LIMIT`].
fn run_client(args: &[&str], stdin: &str, cwd: &Path, home: &Path, env: &[(&str, &Path)]) -> Run {
    let mut command = Command::new(program("ftp-client"));
    command
        .args(args)
        .current_dir(cwd)
        .env("HOME", home)
        .env("USER", "tester")
        .env_remove("NETRC");
    for (name, value) in env {
        command.env(name, value);
    }
    let finished = run_with_input(command, stdin, CLIENT_LIMIT).expect("ftp-client starts");
    let status = finished
        .status
        .unwrap_or_else(|| panic!("ftp-client {args:?} ran longer than {CLIENT_LIMIT:?}"));
    Run {
        code: status.code(),
        stdout: finished.stdout,
        stderr: String::from_utf8_lossy(&finished.stderr).into_owned(),
    }
}

#[test]
fn a_batch_session_runs_every_file_command() {
    let Some(setup) = Setup::pyftpdlib(V4) else {
        return;
    };
    let remote = pattern(200_000, 1);
    let local = pattern(150_000, 2);
    setup.put_remote("remote.bin", &remote);
    setup.put_local("local.bin", &local);
    let run = setup.session(
        &[],
        "pwd\nls\nhash\nget remote.bin\nhash off\nput local.bin\nsize local.bin\n\
         mkdir newdir\nrename local.bin newdir/moved.bin\nnlist newdir\n\
         get newdir/moved.bin roundtrip.bin\ndelete newdir/moved.bin\nrmdir newdir\nbye\n",
    );
    run.expect_code(0);
    let stdout = run.stdout();
    assert_eq!(setup.local("remote.bin"), remote);
    assert_eq!(setup.local("roundtrip.bin"), local);
    assert!(!setup.root.path().join("newdir").exists());
    assert!(!setup.root.path().join("local.bin").exists());
    assert!(stdout.contains("257 \"/\""), "{stdout}");
    assert!(stdout.contains("213 150000"), "{stdout}");
    assert!(stdout.contains("257 \"/newdir\""), "{stdout}");
    // The listing comes between the transfer's replies, as the data arrived.
    let listed = stdout.find(" remote.bin").expect("ls shows the file");
    let complete = stdout.find("226 ").expect("the transfer completes");
    assert!(listed < complete, "{stdout}");
    assert!(stdout.lines().any(|line| line == "moved.bin"), "{stdout}");
    // `hash` prints one mark per full KiB of the 200 000 bytes.
    assert_eq!(stdout.matches('#').count(), 200_000 / 1024, "{stdout}");
}

#[test]
fn active_mode_moves_files_and_explains_who_connects() {
    let Some(setup) = Setup::pyftpdlib(V4) else {
        return;
    };
    let remote = pattern(100_000, 3);
    let local = pattern(70_000, 4);
    setup.put_remote("a.bin", &remote);
    setup.put_local("b.bin", &local);
    let run = setup.session(&["-A", "--explain"], "get a.bin\nput b.bin\nls\n");
    run.expect_code(0);
    assert_eq!(setup.local("a.bin"), remote);
    assert_eq!(setup.remote("b.bin"), local);
    assert_eq!(
        run.stderr
            .matches("data: active (EPRT) — client listens on 127.0.0.1:")
            .count(),
        3,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("server connects from 127.0.0.1:"));
}

#[test]
fn the_passive_command_switches_modes_within_a_session() {
    let Some(setup) = Setup::pyftpdlib(V4) else {
        return;
    };
    setup.put_remote("f.txt", b"one\n");
    let run = setup.session(&["--explain"], "ls\npassive\nls\npassive on\nls\n");
    run.expect_code(0);
    let modes: Vec<&str> = run
        .stderr
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .map(|line| line.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(modes, ["passive", "active", "passive"], "{}", run.stderr);
    assert!(run.stdout().contains("Passive mode off."));
}

#[test]
fn ipv6_works_in_both_modes() {
    let Some(setup) = Setup::pyftpdlib(V6) else {
        return;
    };
    let remote = pattern(80_000, 5);
    setup.put_remote("six.bin", &remote);
    for (mode, local_name, upload) in [("-p", "p.bin", 6), ("-A", "a.bin", 7)] {
        let local = pattern(50_000, upload);
        setup.put_local(local_name, &local);
        let run = setup.session(
            &["-6", mode, "--explain"],
            &format!("get six.bin six-{local_name}\nput {local_name}\n"),
        );
        run.expect_code(0);
        assert_eq!(setup.local(&format!("six-{local_name}")), remote);
        assert_eq!(setup.remote(local_name), local);
        let expected = if mode == "-A" {
            "data: active (EPRT) — client listens on [::1]:"
        } else {
            "data: passive (EPSV) — server listens on [::1]:"
        };
        assert!(run.stderr.contains(expected), "{}", run.stderr);
    }
}

#[test]
fn autofetch_saves_to_the_base_name_to_a_file_or_to_stdout() {
    let Some(setup) = Setup::pyftpdlib(V4) else {
        return;
    };
    let bytes = pattern(120_000, 8);
    std::fs::create_dir(setup.root.path().join("pub")).expect("mkdir");
    setup.put_remote("pub/data file.bin", &bytes);
    let url = setup.url("pub/data%20file.bin");

    setup.client(&[&url], "").expect_code(0);
    assert_eq!(setup.local("data file.bin"), bytes);

    setup.client(&["-o", "copy.bin", &url], "").expect_code(0);
    assert_eq!(setup.local("copy.bin"), bytes);

    let run = setup.client(&["-o", "-", &url], "");
    run.expect_code(0);
    assert_eq!(run.stdout, bytes);

    let run = setup.client(&["-A", &setup.url("pub/")], "");
    run.expect_code(0);
    assert!(run.stdout().contains("data file.bin"), "{}", run.stdout());

    let run = setup.client(&[&setup.url("pub;type=d")], "");
    run.expect_code(0);
    assert_eq!(run.stdout().trim_end(), "data file.bin");
}

#[test]
fn autofetch_of_a_missing_file_fails_and_leaves_no_file() {
    let Some(setup) = Setup::pyftpdlib(V4) else {
        return;
    };
    let run = setup.client(&[&setup.url("missing.bin")], "");
    run.expect_code(1);
    assert!(run.stderr.starts_with("ftp-client: "), "{}", run.stderr);
    assert!(run.stderr.contains("550"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(!setup.local.path().join("missing.bin").exists());
}

#[test]
fn upload_puts_files_into_a_directory_or_at_an_exact_path() {
    let Some(setup) = Setup::pyftpdlib(V4) else {
        return;
    };
    let (one, two) = (pattern(40_000, 9), pattern(3, 10));
    setup.put_local("one.bin", &one);
    setup.put_local("two.bin", &two);
    std::fs::create_dir(setup.root.path().join("in")).expect("mkdir");

    setup
        .client(&["-u", &setup.url("in/"), "one.bin", "two.bin"], "")
        .expect_code(0);
    assert_eq!(setup.remote("in/one.bin"), one);
    assert_eq!(setup.remote("in/two.bin"), two);

    setup
        .client(&["-A", "-u", &setup.url("renamed.bin"), "one.bin"], "")
        .expect_code(0);
    assert_eq!(setup.remote("renamed.bin"), one);

    let run = setup.client(&["-u", &setup.url("x.bin"), "one.bin", "two.bin"], "");
    run.expect_code(2);
    assert!(!setup.root.path().join("x.bin").exists());
}

#[test]
fn the_debug_trace_shows_the_dialog_with_the_password_masked() {
    let Some(setup) = Setup::pyftpdlib(V4) else {
        return;
    };
    let run = setup.session(&["-d"], "pwd\n");
    run.expect_code(0);
    assert!(
        run.stderr.contains(&format!("---> USER {USER}")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("---> PASS ****"), "{}", run.stderr);
    // Each reply once, as tnftp: verbose shows it, so no `<--- ` copy.
    assert!(run.stdout().contains("230 "), "{}", run.stdout());
    assert!(!run.stderr.contains("<--- 230 "), "{}", run.stderr);
    assert!(run.stderr.contains("---> PWD"), "{}", run.stderr);
    assert!(!run.stderr.contains(PASSWORD));
    assert!(!run.stdout().contains(PASSWORD));
}

#[test]
fn a_failed_command_makes_the_exit_status_1_and_the_script_goes_on() {
    let Some(setup) = Setup::pyftpdlib(V4) else {
        return;
    };
    let run = setup.session(&[], "get missing.bin\ncd nowhere\npwd\n");
    run.expect_code(1);
    let stdout = run.stdout();
    let refused = stdout.find("550 ").expect("the server refuses");
    let pwd = stdout.find("257 ").expect("pwd still runs");
    assert!(refused < pwd, "{stdout}");
    assert!(!setup.local.path().join("missing.bin").exists());

    let run = setup.client(
        &["-n", &setup.host(), &setup.port()],
        &format!("user {USER} wrong\n"),
    );
    run.expect_code(1);
    assert!(run.stdout().contains("530"), "{}", run.stdout());
}

#[test]
fn netrc_supplies_the_credentials() {
    let Some(setup) = Setup::pyftpdlib(V4) else {
        return;
    };
    let bytes = pattern(10_000, 11);
    setup.put_remote("n.bin", &bytes);
    let netrc = setup.home.path().join("my-netrc");
    std::fs::write(
        &netrc,
        format!(
            "machine {} login {USER} password {PASSWORD}\n",
            setup.host()
        ),
    )
    .expect("write netrc");
    set_private(&netrc);
    let url = format!("ftp://{}/n.bin", setup.server.addr);
    let env = [("NETRC", netrc.as_path())];
    let local = setup.local.path();
    run_client(&[&url], "", local, setup.home.path(), &env).expect_code(0);
    assert_eq!(setup.local("n.bin"), bytes);

    // The shell logs in from .netrc too, without asking.
    let (host, port) = (setup.host(), setup.port());
    let run = run_client(
        &[&host, &port],
        "get n.bin again.bin\n",
        local,
        setup.home.path(),
        &env,
    );
    run.expect_code(0);
    assert_eq!(setup.local("again.bin"), bytes);
    assert!(!run.stderr.contains("Name ("), "{}", run.stderr);
}

fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

#[test]
fn auto_login_reads_name_and_password_from_a_script() {
    let Some(setup) = Setup::pyftpdlib(V4) else {
        return;
    };
    setup.put_remote("x.txt", b"x\n");
    let run = setup.client(
        &[&setup.host(), &setup.port()],
        &format!("{USER}\n{PASSWORD}\nget x.txt\n"),
    );
    run.expect_code(0);
    assert_eq!(setup.local("x.txt"), b"x\n");
    assert!(
        run.stderr
            .contains(&format!("Name ({}:tester): ", setup.host())),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Password:"), "{}", run.stderr);
}

#[test]
fn mget_and_mput_expand_wildcards() {
    let Some(setup) = Setup::pyftpdlib(V4) else {
        return;
    };
    let (a1, a2) = (pattern(5_000, 12), pattern(6_000, 13));
    setup.put_local("a1.dat", &a1);
    setup.put_local("a2.dat", &a2);
    setup.put_local("b.txt", b"not matched\n");
    std::fs::create_dir(setup.local.path().join("back")).expect("mkdir");
    let run = setup.session(
        &[],
        "mput a*.dat\nlcd back\nmget a?.dat\nmdelete *.dat\nls\n",
    );
    run.expect_code(0);
    assert_eq!(setup.local("back/a1.dat"), a1);
    assert_eq!(setup.local("back/a2.dat"), a2);
    assert!(!setup.root.path().join("b.txt").exists());
    assert!(!setup.root.path().join("a1.dat").exists());
    assert!(!setup.root.path().join("a2.dat").exists());
}

#[test]
fn reget_continues_a_partial_download() {
    let Some(setup) = Setup::pyftpdlib(V4) else {
        return;
    };
    let bytes = pattern(90_000, 14);
    setup.put_remote("big.bin", &bytes);
    setup.put_local("big.bin", &bytes[..30_000]);
    let run = setup.session(&["-d"], "reget big.bin\n");
    run.expect_code(0);
    assert!(run.stderr.contains("---> REST 30000"), "{}", run.stderr);
    assert_eq!(setup.local("big.bin"), bytes);
}

#[test]
fn vsftpd_serves_anonymous_autofetch_and_a_session() {
    let root = TempDir::new("client-e2e-vsftpd");
    let Some(server) = peers::vsftpd(root.path(), V4) else {
        return;
    };
    let bytes = pattern(64_000, 15);
    std::fs::write(root.path().join("anon.bin"), &bytes).expect("write");
    let local = TempDir::new("client-e2e-vsftpd-local");
    let url = format!("ftp://{}/anon.bin", server.addr);
    let run = run_client(&["-o", "-", &url], "", local.path(), local.path(), &[]);
    run.expect_code(0);
    assert_eq!(run.stdout, bytes);

    let (host, port) = (server.addr.ip().to_string(), server.addr.port().to_string());
    for mode in ["-p", "-A"] {
        let run = run_client(
            &["-n", mode, &host, &port],
            "user anonymous guest@\nls\nget anon.bin\n",
            local.path(),
            local.path(),
            &[],
        );
        run.expect_code(0);
        assert!(run.stdout().contains("anon.bin"), "{}", run.stdout());
        assert_eq!(read(&local.path().join("anon.bin")), bytes);
    }
}
