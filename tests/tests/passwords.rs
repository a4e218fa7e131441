//! End-to-end tests of passwords at rest in the real `ftp-server` binary:
//! SHA-512-crypt hashes made by `openssl passwd -6` at test time log in (and
//! nothing else does), `--user NAME` takes its password from the
//! environment, the log never shows a password, and a users file that
//! cannot mean what it says stops the server with one line and status 2.
//!
//! Without openssl the hash tests say `SKIPPED: openssl is missing` and pass,
//! unless `FTP_TESTS_REQUIRE_PEERS` is set (see [`ftp_tests::peer_available`]).

use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use ftp_client::client::{Client, Options};
use ftp_client::error::Error;
use ftp_tests::{peer_available, program, root_with_hello, start_ftp_server, KillOnDrop, TempDir};

/// Passwords of every kind a hash must handle: short, longer than a SHA-512
/// digest, with spaces, not ASCII.
const PASSWORDS: [(&str, &str); 4] = [
    ("s3cret", "saltsalt"),
    ("correct horse battery staple", "a"),
    ("pässwörd-ünïcödé", "sixteen-chars-.."),
    (
        "a password longer than the sixty-four bytes of a SHA-512 digest, by quite a bit",
        "too-long-for-a-salt",
    ),
];

/// A scratch directory with a served root and a users file.
struct Setup {
    scratch: TempDir,
}

impl Setup {
    fn new() -> Setup {
        let scratch = TempDir::new("ftp-passwords");
        root_with_hello(&scratch.path().join("root"));
        Setup { scratch }
    }

    fn root(&self) -> PathBuf {
        self.scratch.path().join("root")
    }

    fn log_path(&self) -> PathBuf {
        self.scratch.path().join("server.log")
    }

    /// Writes the users file, mode 600, and returns its path.
    fn users_file(&self, text: &str) -> PathBuf {
        let path = self.scratch.path().join("users");
        fs::write(&path, text).expect("users file");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        path
    }

    /// `ftp-server -v --root ROOT --listen 127.0.0.1:0 OPTIONS`, stderr to
    /// the log file.
    fn command(&self, options: &[&str]) -> Command {
        let mut command = Command::new(program("ftp-server"));
        command
            .args(["-v", "--root"])
            .arg(self.root())
            .args(["--listen", "127.0.0.1:0"])
            .args(run_as_root())
            .args(options)
            .stderr(fs::File::create(self.log_path()).expect("log file"));
        command
    }

    fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }
}

/// `--run-as root` when the server refuses to serve as root without
/// `--run-as` and the tests run as root; nothing otherwise.
fn run_as_root() -> Vec<&'static str> {
    let help = Command::new(program("ftp-server"))
        .arg("--help")
        .output()
        .expect("ftp-server --help");
    // /proc/self belongs to the process's user.
    let as_root = fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0);
    if as_root && String::from_utf8_lossy(&help.stdout).contains("--run-as") {
        vec!["--run-as", "root"]
    } else {
        Vec::new()
    }
}

/// `openssl passwd -6 -salt SALT PASSWORD`, or `None` (the test then passes
/// with a SKIPPED line) when openssl is missing.
fn openssl_hash(salt: &str, password: &str) -> Option<String> {
    let mut version = Command::new("openssl");
    version.arg("version");
    if !peer_available("openssl", &mut version) {
        return None;
    }
    let output = Command::new("openssl")
        .args(["passwd", "-6", "-salt", salt, password])
        .output()
        .expect("openssl runs");
    assert!(output.status.success(), "openssl: {output:?}");
    Some(
        String::from_utf8(output.stdout)
            .expect("ASCII")
            .trim()
            .to_string(),
    )
}

/// Logs in as `user`; the reply code of a refusal, or 230.
fn login(port: u16, user: &str, password: &str) -> u16 {
    let mut client =
        Client::connect("127.0.0.1", port, None, Options::default()).expect("connects");
    match client.login(user, password) {
        Ok(()) => 230,
        Err(Error::Reply(reply)) => reply.code.0,
        Err(err) => panic!("login as {user}: {err}"),
    }
}

#[test]
fn openssl_hashes_log_in_with_their_password_only() {
    let mut lines = String::from("# made by openssl passwd -6\n");
    for (index, (password, salt)) in PASSWORDS.iter().enumerate() {
        let Some(hash) = openssl_hash(salt, password) else {
            return;
        };
        lines.push_str(&format!("user{index}:{hash}:ro\n"));
    }
    let setup = Setup::new();
    let users = setup.users_file(&lines);
    let (_server, addr) =
        start_ftp_server(setup.command(&["--users", users.to_str().expect("utf-8")]));
    for (index, (password, _)) in PASSWORDS.iter().enumerate() {
        let user = format!("user{index}");
        assert_eq!(
            login(addr.port(), &user, password),
            230,
            "{user}\n{}",
            setup.log()
        );
    }
    // A wrong password, another user's, and the hash itself are refused.
    assert_eq!(login(addr.port(), "user0", "s3cre"), 530);
    assert_eq!(login(addr.port(), "user1", PASSWORDS[0].0), 530);
    let hash = lines
        .lines()
        .nth(1)
        .and_then(|l| l.split(':').nth(1))
        .expect("hash");
    assert_eq!(login(addr.port(), "user0", hash), 530);
    let log = setup.log();
    assert!(log.contains("530"), "the log shows the dialog:\n{log}");
    for (password, _) in PASSWORDS {
        assert!(
            !log.contains(password),
            "the log shows {password:?}:\n{log}"
        );
    }
    assert!(
        !log.contains("s3cre"),
        "the log shows the wrong password:\n{log}"
    );
}

#[test]
fn a_user_without_a_password_on_the_command_line_takes_it_from_the_environment() {
    let Some(hash) = openssl_hash("envsalt", "from-the-environment") else {
        return;
    };
    let setup = Setup::new();
    let mut command = setup.command(&["--user", "web-admin::ro"]);
    command.env("FTP_SERVER_PASSWORD_WEB_ADMIN", &hash);
    let (_server, addr) = start_ftp_server(command);
    assert_eq!(login(addr.port(), "web-admin", "from-the-environment"), 230);
    assert_eq!(login(addr.port(), "web-admin", "wrong"), 530);
    assert!(
        !setup.log().contains("from-the-environment"),
        "{}",
        setup.log()
    );
}

/// A users file with passwords in the clear still works, and the server
/// says once at start-up how many, never which.
#[test]
fn passwords_in_the_clear_log_in_with_a_warning_at_start_up() {
    let setup = Setup::new();
    let users = setup.users_file("alice:clear-secret:ro\nbob:other-secret:ro\n");
    let (_server, addr) =
        start_ftp_server(setup.command(&["--users", users.to_str().expect("utf-8")]));
    assert_eq!(login(addr.port(), "alice", "clear-secret"), 230);
    let log = setup.log();
    let warnings = log
        .matches("2 of 2 users have passwords in the clear")
        .count();
    assert_eq!(warnings, 1, "one warning at start-up:\n{log}");
    assert!(
        !log.contains("clear-secret") && !log.contains("other-secret"),
        "{log}"
    );
}

/// Runs the server, which must exit (within a few seconds) rather than
/// serve; returns its exit code and stderr.
fn refused_start(setup: &Setup, options: &[&str]) -> (Option<i32>, String) {
    let mut command = setup.command(options);
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = KillOnDrop(command.spawn().expect("ftp-server starts"));
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the server started: {options:?}");
        thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .0
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr)
        .expect("stderr");
    (status.code(), stderr)
}

#[test]
fn a_users_file_that_cannot_mean_what_it_says_stops_the_server() {
    let setup = Setup::new();
    fs::create_dir(setup.root().join("alice")).expect("home");
    for (text, problem) in [
        (
            "alice:pw\nbob:\n",
            "line 2: user bob: the password is empty",
        ),
        (
            "alice:pw:rw\n# again, read-only\nalice:0ther-pass:ro\n",
            "line 3: user alice is already on line 1",
        ),
        (
            "alice:pw:rw:alice\nbob:pw:rw:../..\n",
            "line 2: home ../.. goes up",
        ),
    ] {
        let users = setup.users_file(text);
        let (code, stderr) = refused_start(&setup, &["--users", users.to_str().expect("utf-8")]);
        assert_eq!(code, Some(2), "{text:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains(&format!("users file {}: {problem}", users.display())),
            "{text:?}: {stderr}"
        );
        assert!(
            !stderr.contains("0ther-pass"),
            "a password in the message: {stderr}"
        );
    }
}
