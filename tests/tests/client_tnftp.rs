//! End-to-end tests of `ftp-client`'s tnftp commands and flags against our
//! own `ftp-server` and vsftpd (anonymous, read-write) on loopback: the
//! listing fallbacks (vsftpd has no MLSD), the commands that resume,
//! list into files, pipe and run macros, and the flags of the program; and
//! the library's ABOR, written by another thread or through an `AbortHandle`.
//!
//! A missing vsftpd prints `SKIPPED: ...` and the test returns, unless
//! `FTP_TESTS_REQUIRE_PEERS` is set.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ftp_tests::run::run_with_input;
use ftp_tests::{
    pattern, peers, program, root_with_hello, run_as_this_user, start_ftp_server, KillOnDrop,
    TempDir,
};

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// How long one run of the client may take before the test fails.
const CLIENT_LIMIT: Duration = Duration::from_secs(30);

/// What one run of `ftp-client` did.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "exit status; stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Runs `ftp-client args` in `cwd` with `stdin`, HOME at `cwd` (no `.netrc`).
fn run_client(args: &[&str], stdin: &str, cwd: &Path) -> Run {
    let mut command = Command::new(program("ftp-client"));
    command
        .args(args)
        .current_dir(cwd)
        .env("HOME", cwd)
        .env("USER", "tester")
        .env_remove("NETRC");
    let finished = run_with_input(command, stdin, CLIENT_LIMIT).expect("ftp-client starts");
    let status = finished
        .status
        .unwrap_or_else(|| panic!("ftp-client {args:?} ran longer than {CLIENT_LIMIT:?}"));
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&finished.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&finished.stderr).into_owned(),
    }
}

/// A server with an anonymous read-write root, and a local directory.
struct Setup {
    _server: Box<dyn std::any::Any>,
    addr: SocketAddr,
    root: TempDir,
    local: TempDir,
}

impl Setup {
    /// Our `ftp-server` on `listen` (`127.0.0.1:0` for any port).
    fn ours_on(listen: &str) -> Setup {
        Setup::ours_with(&["--listen", listen])
    }

    fn ours() -> Setup {
        Setup::ours_on("127.0.0.1:0")
    }

    /// Our `ftp-server` with extra options.
    fn ours_with(options: &[&str]) -> Setup {
        let root = TempDir::new("tnftp-root");
        root_with_hello(root.path());
        let mut command = Command::new(program("ftp-server"));
        command
            .args(run_as_this_user())
            .arg("--root")
            .arg(root.path())
            .args(["--anonymous=rw"])
            .args(if options.contains(&"--listen") {
                &[][..]
            } else {
                &["--listen", "127.0.0.1:0"][..]
            })
            .args(options)
            .stderr(std::process::Stdio::null());
        let (process, addr): (KillOnDrop, SocketAddr) = start_ftp_server(command);
        Setup {
            _server: Box::new(process),
            addr,
            root,
            local: TempDir::new("tnftp-local"),
        }
    }

    /// vsftpd, or `None` where it is missing (and that is allowed).
    fn vsftpd() -> Option<Setup> {
        let root = TempDir::new("tnftp-vsftpd-root");
        root_with_hello(root.path());
        let server = peers::vsftpd(root.path(), V4)?;
        Some(Setup {
            addr: server.addr,
            _server: Box::new(server),
            root,
            local: TempDir::new("tnftp-vsftpd-local"),
        })
    }

    /// Both servers: ours, and vsftpd where it is installed.
    fn both() -> Vec<Setup> {
        let mut setups = vec![Setup::ours()];
        setups.extend(Setup::vsftpd());
        setups
    }

    /// A batch session: `flags`, then the host and port, anonymous login.
    fn session(&self, flags: &[&str], script: &str) -> Run {
        let (host, port) = (self.addr.ip().to_string(), self.addr.port().to_string());
        let mut args = flags.to_vec();
        args.extend(["-n", &host, &port]);
        let script = format!("user anonymous guest@\n{script}");
        run_client(&args, &script, self.local.path())
    }

    fn local(&self, name: &str) -> Vec<u8> {
        let path = self.local.path().join(name);
        std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    fn remote(&self, name: &str) -> Vec<u8> {
        let path = self.root.path().join(name);
        std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }
}

#[test]
fn mlsd_falls_back_to_list_and_mget_skips_directories() {
    for setup in Setup::both() {
        std::fs::write(setup.root.path().join("pub/two.txt"), b"two\n").expect("write");
        std::fs::create_dir(setup.root.path().join("pub/sub.d")).expect("mkdir");
        let run = setup.session(&[], "mlsd pub\ncd pub\nmget *\n");
        run.expect_code(0);
        assert!(run.stdout.contains("two.txt"), "{}", run.stdout);
        assert_eq!(setup.local("two.txt"), b"two\n");
        assert_eq!(setup.local("hello.txt"), ftp_tests::HELLO);
        assert!(!setup.local.path().join("sub.d").exists());
    }
}

#[test]
fn mls_and_mdir_list_several_paths_into_one_file_and_mlst_shows_facts() {
    for setup in Setup::both() {
        std::fs::write(setup.root.path().join("top.txt"), b"x").expect("write");
        let run = setup.session(&[], "mls pub top.txt names.txt\nmdir pub long.txt\n");
        run.expect_code(0);
        let names = String::from_utf8_lossy(&setup.local("names.txt")).into_owned();
        assert!(
            names.contains("hello.txt") && names.contains("top.txt"),
            "{names}"
        );
        let long = String::from_utf8_lossy(&setup.local("long.txt")).into_owned();
        assert!(long.contains("hello.txt") && long.contains("r"), "{long}");
    }
    let setup = Setup::ours();
    let run = setup.session(&[], "mlst pub/hello.txt\n");
    run.expect_code(0);
    assert!(run.stdout.contains("size=13"), "{}", run.stdout);
}

#[test]
fn restart_reput_mreget_and_newer_resume_transfers() {
    for setup in Setup::both() {
        let bytes = pattern(50_000, 21);
        std::fs::write(setup.root.path().join("big.bin"), &bytes).expect("write");
        std::fs::write(setup.local.path().join("big.bin"), &bytes[..20_000]).expect("write");
        let local = pattern(40_000, 22);
        std::fs::write(setup.local.path().join("up.bin"), &local).expect("write");
        std::fs::write(setup.root.path().join("up.bin"), &local[..10_000]).expect("write");
        let run = setup.session(
            &["-d"],
            "mreget big.*\nreput up.bin\nrestart 13\nget big.bin tail.bin\nnewer big.bin\n",
        );
        run.expect_code(0);
        assert_eq!(setup.local("big.bin"), bytes);
        assert_eq!(setup.remote("up.bin"), local);
        assert!(run.stderr.contains("---> REST 20000"), "{}", run.stderr);
        assert!(run.stderr.contains("---> REST 10000"), "{}", run.stderr);
        assert!(run.stderr.contains("---> REST 13"), "{}", run.stderr);
        let tail = setup.local("tail.bin");
        assert_eq!(&tail[13..], &bytes[13..]);
        assert!(
            run.stdout.contains("is newer than remote file"),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn local_commands_pipes_and_macros() {
    for setup in Setup::both() {
        let run = setup.session(
            &[],
            "lpwd\n!echo local > bang.txt\nget pub/hello.txt \"|tr a-z A-Z > upper.txt\"\n\
             put \"|echo piped\" piped.txt\nmacdef two\nsize $1\nsize $2\n\n\
             $ two pub/hello.txt piped.txt\nsystem\nrstatus\nrhelp\n",
        );
        run.expect_code(0);
        assert!(run.stdout.contains("Local directory: "), "{}", run.stdout);
        assert_eq!(setup.local("bang.txt"), b"local\n");
        assert_eq!(setup.local("upper.txt"), b"HELLO, WORLD\n");
        assert_eq!(setup.remote("piped.txt"), b"piped\n");
        assert!(run.stdout.contains("213 13"), "{}", run.stdout);
        assert!(run.stdout.contains("213 6"), "{}", run.stdout);
        assert!(run.stdout.contains("215 "), "{}", run.stdout);
    }
}

#[test]
fn settings_commands_answer_and_epsv_off_uses_pasv() {
    for setup in Setup::both() {
        let run = setup.session(
            &["-d"],
            "epsv4 off\nls pub\nepsv4 on\nls pub\nimage\nmode\nstruct file\nform\nglob\n\
             rate get 1m\nset anonpass x@y\nset\nunset anonpass\ntrace\nprogress off\n",
        );
        run.expect_code(0);
        let pasv = run
            .stderr
            .find("---> PASV")
            .expect("PASV while epsv4 is off");
        let epsv = run.stderr.rfind("---> EPSV").expect("EPSV once it is on");
        assert!(pasv < epsv, "{}", run.stderr);
        assert!(run.stdout.contains("Globbing off."), "{}", run.stdout);
        assert!(
            run.stdout.contains("Get transfer rate throttle: 1048576"),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("anonpass\tx@y"), "{}", run.stdout);
        let run = setup.session(&[], "mode block\n");
        run.expect_code(1);
        assert!(run.stderr.contains("only support stream"), "{}", run.stderr);
    }
}

#[test]
fn dash_t_traces_each_read_of_a_download_until_trace_turns_it_off() {
    for setup in Setup::both() {
        let run = setup.session(
            &["-t"],
            "binary\nget pub/hello.txt one.txt\ntrace\nget pub/hello.txt two.txt\n",
        );
        run.expect_code(0);
        let traced: Vec<&str> = run
            .stderr
            .lines()
            .filter(|line| line.starts_with("trace: data "))
            .collect();
        // hello.txt is 13 bytes (one read on loopback, perhaps more), traced
        // for the first get only.
        let ends = traced
            .iter()
            .filter(|line| line.contains(", 13 in all, at "))
            .count();
        assert!(!traced.is_empty() && ends == 1, "stderr:\n{}", run.stderr);
        assert!(
            traced
                .last()
                .is_some_and(|line| line.contains(", 13 in all, at ")),
            "stderr:\n{}",
            run.stderr
        );
        assert!(run.stdout.contains("Packet tracing off."), "{}", run.stdout);
        assert_eq!(setup.local("two.txt"), ftp_tests::HELLO);
    }
}

#[test]
fn the_rate_limit_slows_a_download() {
    let setup = Setup::ours();
    std::fs::write(setup.root.path().join("r.bin"), pattern(300_000, 23)).expect("write");
    let started = std::time::Instant::now();
    setup
        .session(&["-T", "get,200k"], "get r.bin\n")
        .expect_code(0);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn flags_anonymous_no_glob_no_prompt_and_version() {
    for setup in Setup::both() {
        let (host, port) = (setup.addr.ip().to_string(), setup.addr.port().to_string());
        let run = run_client(&["-a", "-i", &host, &port], "pwd\n", setup.local.path());
        run.expect_code(0);
        assert!(run.stdout.contains("230"), "{}", run.stdout);
        // With -g, `*` is a name: no file is called that.
        let run = setup.session(&["-g"], "cd pub\nmget *\n");
        run.expect_code(1);
        assert!(!setup.local.path().join("hello.txt").exists());
    }
    let run = run_client(&["--version"], "", Path::new("."));
    run.expect_code(0);
    assert!(run.stdout.starts_with("ftp-client "), "{}", run.stdout);
    for args in [
        &["-n", "127.0.0.1:2121"][..],
        &["ftp:/bad"],
        &["-s", "127.0.0.1", "h"],
    ] {
        let run = run_client(args, "", Path::new("."));
        run.expect_code(2);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
}

#[test]
fn autofetch_retries_until_the_server_listens_and_restarts_with_r() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let local = TempDir::new("tnftp-retry");
    std::fs::write(local.path().join("hello.txt"), b"hello").expect("write");
    let url = format!("ftp://127.0.0.1:{port}/pub/hello.txt");
    let mut command = Command::new(program("ftp-client"));
    command
        .args(["-r", "1", "-R", "-d", &url])
        .current_dir(local.path())
        .env("HOME", local.path())
        .env_remove("NETRC");
    let client = std::thread::spawn(move || run_with_input(command, "", CLIENT_LIMIT));
    std::thread::sleep(Duration::from_millis(1500));
    let _setup = Setup::ours_on(&format!("127.0.0.1:{port}"));
    let finished = client.join().expect("thread").expect("ftp-client starts");
    let stderr = String::from_utf8_lossy(&finished.stderr).into_owned();
    assert!(
        finished.status.is_some_and(|status| status.success()),
        "{stderr}"
    );
    assert!(stderr.contains("retrying in 1 s"), "{stderr}");
    assert!(stderr.contains("---> REST 5"), "{stderr}");
    let got = std::fs::read(local.path().join("hello.txt")).expect("read");
    assert_eq!(got, ftp_tests::HELLO);
}

/// A server without NLST on a thread of its own: it answers `NLST` with
/// `502`, lists through MLSD (`a.txt` and the directory `sub`), serves
/// `a.txt` and closes after `QUIT` or when the client goes.
fn server_without_nlst() -> (SocketAddr, std::thread::JoinHandle<Vec<String>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let thread = std::thread::spawn(move || {
        let (control, _) = listener.accept().expect("accept");
        control
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut out = control.try_clone().expect("clone");
        let mut lines = BufReader::new(control);
        let mut seen = Vec::new();
        let mut data: Option<TcpListener> = None;
        out.write_all(b"220 no NLST here\r\n").expect("greeting");
        let mut line = String::new();
        while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
            let command = line.trim_end().to_string();
            line.clear();
            let verb = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
            seen.push(verb.clone());
            let payload: Option<&[u8]> = match verb.as_str() {
                "MLSD" => Some(b"type=file;size=3; a.txt\r\ntype=dir; sub\r\n"),
                "RETR" => Some(b"abc"),
                _ => None,
            };
            let reply = match (verb.as_str(), payload) {
                ("USER", _) => "331 Password\r\n".to_string(),
                ("PASS", _) => "230 In\r\n".to_string(),
                ("TYPE", _) => "200 OK\r\n".to_string(),
                ("FEAT", _) => "211-Features:\r\n MLST type*;size*;\r\n211 End\r\n".to_string(),
                ("EPSV", _) => {
                    let passive = TcpListener::bind("127.0.0.1:0").expect("bind data");
                    let port = passive.local_addr().expect("address").port();
                    data = Some(passive);
                    format!("229 Entering Extended Passive Mode (|||{port}|)\r\n")
                }
                (_, Some(payload)) => {
                    out.write_all(b"150 Here\r\n").expect("reply");
                    let passive = data.take().expect("EPSV first");
                    let (mut stream, _) = passive.accept().expect("data");
                    stream.write_all(payload).expect("data");
                    drop(stream);
                    "226 Done\r\n".to_string()
                }
                ("QUIT", _) => {
                    out.write_all(b"221 Bye\r\n").expect("reply");
                    break;
                }
                _ => "502 Not implemented\r\n".to_string(),
            };
            out.write_all(reply.as_bytes()).expect("reply");
        }
        seen
    });
    (addr, thread)
}

#[test]
fn mget_falls_back_to_mlsd_without_nlst_and_skips_directories() {
    let (addr, server) = server_without_nlst();
    let local = TempDir::new("tnftp-no-nlst");
    let (host, port) = (addr.ip().to_string(), addr.port().to_string());
    let run = run_client(&["-n", &host, &port], "user u p\nmget *\n", local.path());
    run.expect_code(0);
    let seen = server.join().expect("server thread");
    assert!(seen.contains(&"NLST".to_string()), "{seen:?}");
    assert!(seen.contains(&"MLSD".to_string()), "{seen:?}");
    assert_eq!(
        seen.iter().filter(|verb| *verb == "RETR").count(),
        1,
        "{seen:?}"
    );
    assert_eq!(
        std::fs::read(local.path().join("a.txt")).expect("a.txt"),
        b"abc"
    );
}

#[test]
fn idle_sends_site_idle_and_shows_the_reply_even_when_not_verbose() {
    for setup in Setup::both() {
        let run = setup.session(&["-V", "-d"], "idle\nidle 60\npwd\n");
        // Neither server grants SITE IDLE (ours: 500, unknown; vsftpd: 550 to
        // anonymous): each refusal is shown once, on stdout, and fails the
        // command; the other replies stay hidden (-V).
        run.expect_code(1);
        assert!(run.stderr.contains("---> SITE IDLE\n"), "{}", run.stderr);
        assert!(run.stderr.contains("---> SITE IDLE 60\n"), "{}", run.stderr);
        let refusals: Vec<&str> = run
            .stdout
            .lines()
            .filter(|line| line.starts_with("500 ") || line.starts_with("550 "))
            .collect();
        assert_eq!(refusals.len(), 2, "stdout:\n{}", run.stdout);
        assert!(!run.stdout.contains("257 "), "{}", run.stdout);
        assert!(!run.stderr.contains("server replied"), "{}", run.stderr);
    }
}

#[test]
fn a_netrc_from_dash_n_logs_in_and_runs_its_init_macro_and_fget_reads_names() {
    for setup in Setup::both() {
        let netrc = setup.local.path().join("my-netrc");
        std::fs::write(
            &netrc,
            "machine 127.0.0.1 login anonymous password guest@\nmacdef init\ncd pub\n\n",
        )
        .expect("write netrc");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&netrc, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        std::fs::write(setup.local.path().join("list.txt"), "hello.txt\n\n").expect("write");
        let (host, port) = (setup.addr.ip().to_string(), setup.addr.port().to_string());
        let netrc = netrc.to_string_lossy().into_owned();
        let run = run_client(
            &["-N", &netrc, &host, &port],
            "fget list.txt\n",
            setup.local.path(),
        );
        run.expect_code(0);
        assert_eq!(setup.local("hello.txt"), ftp_tests::HELLO);
    }
}

/// A download's destination that runs `action` when the first bytes arrive
/// (as the shell does on Ctrl-C), and counts what it receives.
struct AtFirstBytes {
    action: Option<Box<dyn FnOnce() -> std::io::Result<()>>>,
    received: usize,
}

impl AtFirstBytes {
    fn new(action: impl FnOnce() -> std::io::Result<()> + 'static) -> AtFirstBytes {
        AtFirstBytes {
            action: Some(Box::new(action)),
            received: 0,
        }
    }
}

impl std::io::Write for AtFirstBytes {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(action) = self.action.take() {
            action()?;
        }
        self.received += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A library session logged in to `setup` as anonymous, whose root now
/// holds `big.bin` of `size` bytes (no CR or LF in it: the session's ASCII
/// type changes nothing).
fn big_file_session(setup: &Setup, size: usize) -> ftp_client::Client<std::net::TcpStream> {
    std::fs::write(setup.root.path().join("big.bin"), vec![b'x'; size]).expect("write");
    let options = ftp_client::Options::default();
    let mut client = ftp_client::Client::connect("127.0.0.1", setup.addr.port(), None, options)
        .expect("connect");
    client.login("anonymous", "guest@").expect("login");
    client
}

#[test]
fn abor_in_band_stops_our_transfer_and_is_answered_by_vsftpd_after_its_end() {
    let size = 16 << 20;
    for setup in Setup::both() {
        let mut client = big_file_session(&setup, size);
        // IAC IP IAC DM ABOR on a clone of the control connection, as the
        // shell did before it had an AbortHandle.
        let mut control = client.get_ref().try_clone().expect("clone");
        let mut out = AtFirstBytes::new(move || {
            ftp_core::io::line::write_interrupting_line(&mut control, b"ABOR")
                .map_err(std::io::Error::other)
        });
        let transfer = client.retr("big.bin", &mut out, 0, None);
        let vsftpd = setup.root.path().to_string_lossy().contains("vsftpd");
        if vsftpd {
            // vsftpd reads the control connection during a transfer only
            // after urgent data: the file comes whole, `226`, then `225`.
            transfer.expect("vsftpd finishes the transfer");
            assert_eq!(out.received, size);
        } else {
            // Ours reads it at once: `426` ends the transfer early, `226` the ABOR.
            let err = transfer.expect_err("the transfer is aborted");
            assert!(err.to_string().contains("426"), "{err}");
            assert!(out.received < size, "{} of {size}", out.received);
        }
        client
            .finish_abort()
            .expect("the ABOR is answered with 2xx");
        client.pwd().expect("the session goes on");
    }
}

#[test]
fn an_abort_handle_stops_a_download_at_once_on_our_server_and_vsftpd() {
    let size = 64 << 20;
    for setup in Setup::both() {
        let mut client = big_file_session(&setup, size);
        let abort = ftp_client::AbortHandle::new();
        client.set_abort(Some(abort.clone()));
        let mut out = AtFirstBytes::new(move || {
            abort.abort();
            Ok(())
        });
        let transfer = client.retr("big.bin", &mut out, 0, None);
        // Also vsftpd, which would send the whole file if the client
        // waited for it: the client closes the data connection.
        assert!(
            matches!(transfer, Err(ftp_client::Error::Aborted)),
            "{transfer:?}"
        );
        assert!(out.received < size, "{} of {size}", out.received);
        client.set_abort(None);
        client.pwd().expect("the session goes on");
        let mut again = Vec::new();
        client
            .retr("pub/hello.txt", &mut again, 0, None)
            .expect("the next transfer");
        assert_eq!(again, ftp_tests::HELLO);
    }
}
