//! The measurements themselves, each returning one sample.
//!
//! The client side is the ftp-client library (`Client`), which copies with
//! the same 256 KiB buffer as the server and writes downloads to
//! [`io::sink`], so the client is not what is measured. Every transfer's
//! byte count is checked; a short transfer is an error, not a fast sample.
//! The raw TCP copy runs the same copy routine (`ftp_core::io::transfer::copy`)
//! on both ends of a plain loopback connection: FTP's ceiling on this machine.
//! A server's [`Login`] says whether its sessions are FTPS (`AUTH TLS`,
//! `PBSZ 0`, `PROT P`, see `ftps`): the same workloads measure both.
//!
//! It does not start servers (see `servers`) or summarise samples (see `stats`).

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use ftp_client::client::{Client, DataMode, Options, Representation};
use ftp_core::io::transfer::{copy, Direction};

use crate::ftps::{self, Control};
use crate::memory;
use crate::servers::{Login, Server};
use crate::Failure;

/// Bytes in a MiB, for rates.
const MIB: f64 = (1 << 20) as f64;
/// Stack of each concurrent client thread; the client's buffers are on the heap.
const CLIENT_STACK: usize = 256 << 10;
/// How long each of the concurrent logins may take: a server whose listen
/// queue overflows drops connections, and the kernel retries them after 1, 3,
/// 7, 15 s...
const LOGIN_LIMIT: Duration = Duration::from_secs(10);
/// How long concurrent sessions may take before the measurement fails.
const CONCURRENT_LIMIT: Duration = Duration::from_secs(120);
/// How long forked session processes get to settle before memory is read.
const SESSION_STARTUP: Duration = Duration::from_millis(300);
/// How long sessions idle after a download before memory is read: longer
/// than ftp-server keeps an idle transfer thread (2 s).
const IDLE_AFTER_DOWNLOAD: Duration = Duration::from_secs(3);
/// How long each login of (l) may take, the held ones and the timed ones: a
/// server out of descriptors leaves new connections in its listen queue
/// unanswered.
const HELD_LOGIN_LIMIT: Duration = Duration::from_secs(2);
/// How long (l) may spend opening its sessions.
const HOLDING_LIMIT: Duration = Duration::from_secs(60);
/// Logins timed while the sessions of (l) are held.
const LOGINS_UNDER_LOAD: usize = 5;

/// Where a raw TCP copy reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The big file on tmpfs, read as RETR reads it.
    File,
    /// A byte repeated in memory: TCP alone.
    Memory,
}

/// Which listing command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// `LIST`: a line like `ls -l` per entry.
    List,
    /// `NLST`: the names alone.
    Nlst,
}

impl fmt::Display for Listing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Listing::List => "LIST",
            Listing::Nlst => "NLST",
        })
    }
}

/// Lists the directory `dir` of `names` entries `times` times in one
/// passive session, checking the number of lines each time; listings/s.
pub fn listings(
    login: &Login,
    command: Listing,
    dir: &str,
    names: usize,
    times: usize,
) -> Result<f64, Failure> {
    let mut client = session(login, DataMode::Passive)?;
    let start = Instant::now();
    for _ in 0..times {
        let lines = match command {
            Listing::List => client.list(Some(dir))?,
            Listing::Nlst => client.nlst(Some(dir))?,
        };
        let what = format!("{command} {dir}");
        expect_count(&what, lines.len(), names, "lines")?;
    }
    let elapsed = start.elapsed();
    client.quit()?;
    Ok(times as f64 / elapsed.as_secs_f64())
}

/// Downloads `path` (`size` bytes) in `mode` into [`io::sink`]; MiB/s.
pub fn retr(login: &Login, mode: DataMode, path: &str, size: u64) -> Result<f64, Failure> {
    let mut client = session(login, mode)?;
    let start = Instant::now();
    let received = client.retr(path, &mut io::sink(), 0, None)?;
    let elapsed = start.elapsed();
    client.quit()?;
    expect_bytes(path, received, size)?;
    Ok(rate(size, elapsed))
}

/// Uploads the local file `from` (`size` bytes) as `to` (passive), checks the
/// stored file's size and removes it; MiB/s.
pub fn stor(login: &Login, from: &Path, to: &Path, size: u64) -> Result<f64, Failure> {
    let name = to
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| Failure(format!("{} has no file name", to.display())))?;
    let mut client = session(login, DataMode::Passive)?;
    let mut input = File::open(from)?;
    let start = Instant::now();
    let sent = client.stor(name, &mut input, 0, None)?;
    let elapsed = start.elapsed();
    client.quit()?;
    let stored = std::fs::metadata(to)?.len();
    std::fs::remove_file(to)?;
    expect_bytes(name, sent, size)?;
    expect_bytes(name, stored, size)?;
    Ok(rate(size, elapsed))
}

/// Downloads every file in `names` (`size` bytes each) in one session; files/s.
pub fn small_files(
    login: &Login,
    mode: DataMode,
    names: &[String],
    size: usize,
) -> Result<f64, Failure> {
    let mut client = session(login, mode)?;
    let mut contents = Vec::with_capacity(size);
    let start = Instant::now();
    for name in names {
        contents.clear();
        let received = client.retr(name, &mut contents, 0, None)?;
        expect_bytes(name, received, size as u64)?;
    }
    let elapsed = start.elapsed();
    client.quit()?;
    Ok(names.len() as f64 / elapsed.as_secs_f64())
}

/// Opens `count` sessions at once and times until every one is logged in; ms.
/// A session not logged in within [`LOGIN_LIMIT`] fails the attempt.
pub fn logins(login: &Login, count: usize) -> Result<f64, Failure> {
    let login = login.clone();
    let options = Options {
        connect_timeout: LOGIN_LIMIT,
        reply_timeout: LOGIN_LIMIT,
        ..Options::default()
    };
    let elapsed = concurrently(
        count,
        || Ok(None),
        move |client| {
            *client = Some(session_with(&login, options.clone())?);
            Ok(())
        },
    )?;
    Ok(elapsed.as_secs_f64() * 1000.0)
}

/// `count` sessions, logged in beforehand, download `path` (`size` bytes) at
/// once; aggregate MiB/s from the start signal until the last one is done.
pub fn parallel(login: &Login, count: usize, path: &str, size: u64) -> Result<f64, Failure> {
    let (setup, download) = (login.clone(), path.to_string());
    let elapsed = concurrently(
        count,
        move || session(&setup, DataMode::Passive),
        move |client| {
            let received = client.retr(&download, &mut io::sink(), 0, None)?;
            expect_bytes(&download, received, size)
        },
    )?;
    Ok(rate(size * count as u64, elapsed))
}

/// The server's memory per idle, logged-in session: its PSS (whole process
/// tree) with `count` such sessions open, minus its PSS before; KiB.
///
/// `server` should be freshly started: a server that already ran sessions
/// keeps some of their memory for the next ones (freed heap, glibc's cache of
/// thread stacks), which would hide the cost of a session.
///
/// With `download` (a path and its size), each session first downloads that
/// file, one after the other, and all then idle: what a server keeps of a
/// session's transfer (buffers, threads, freed heap it does not give back).
pub fn idle_memory(
    server: &Server,
    count: usize,
    download: Option<(&str, u64)>,
) -> Result<f64, Failure> {
    let before = memory::pss_kib(server.pid)?;
    let mut sessions = (0..count)
        .map(|_| session(&server.login, DataMode::Passive))
        .collect::<Result<Vec<_>, _>>()?;
    // Let forked session processes finish starting up.
    thread::sleep(SESSION_STARTUP);
    if let Some((path, size)) = download {
        for client in &mut sessions {
            let received = client.retr(path, &mut io::sink(), 0, None)?;
            expect_bytes(path, received, size)?;
        }
        thread::sleep(IDLE_AFTER_DOWNLOAD);
    }
    let during = memory::pss_kib(server.pid)?;
    drop(sessions);
    Ok((during as f64 - before as f64) / count as f64)
}

/// The server's open descriptors per idle, logged-in session: the count in
/// `/proc/PID/fd` (whole process tree) with `count` such sessions open,
/// minus the count before, divided by `count`.
pub fn idle_descriptors(server: &Server, count: usize) -> Result<f64, Failure> {
    // Let the server close what it used to say it was up (pyftpdlib).
    thread::sleep(SESSION_STARTUP);
    let before = memory::descriptors(server.pid)?;
    let sessions = (0..count)
        .map(|_| session(&server.login, DataMode::Passive))
        .collect::<Result<Vec<_>, _>>()?;
    // Let forked session processes finish starting up.
    thread::sleep(SESSION_STARTUP);
    let during = memory::descriptors(server.pid)?;
    drop(sessions);
    Ok((during as f64 - before as f64) / count as f64)
}

/// What (l) found: how many sessions logged in, why no more did, and the
/// logins timed beside them.
#[derive(Debug)]
pub struct Held {
    /// Sessions logged in and held idle.
    pub sessions: usize,
    /// Why fewer than asked for logged in, if so.
    pub stopped: Option<String>,
    /// Each timed login with its download, in ms, or why it failed.
    pub logins: Vec<Result<f64, Failure>>,
}

/// Opens up to `count` idle logged-in sessions on `server`, one after the
/// other, stopping at the first that fails (each may take
/// [`HELD_LOGIN_LIMIT`], all together [`HOLDING_LIMIT`]); then, with them
/// held, times [`LOGINS_UNDER_LOAD`] new sessions that log in and download
/// `path` (`size` bytes), stopping at the first failure, and checks that
/// the server still runs and the first and last held sessions still
/// answer a `NOOP`.
///
/// The server is stopped before the sessions are closed: the connections
/// then wait out TIME_WAIT on its side, all on its one port, instead of
/// taking thousands of the client's ephemeral ports for a minute.
pub fn hold(server: Server, count: usize, path: &str, size: u64) -> Held {
    let options = Options {
        connect_timeout: HELD_LOGIN_LIMIT,
        reply_timeout: HELD_LOGIN_LIMIT,
        ..Options::default()
    };
    let deadline = Instant::now() + HOLDING_LIMIT;
    let mut sessions = Vec::with_capacity(count);
    let mut stopped = Vec::new();
    while sessions.len() < count {
        if Instant::now() > deadline {
            stopped.push(format!("{HOLDING_LIMIT:?} were up"));
            break;
        }
        match session_with(&server.login, options.clone()) {
            Ok(client) => sessions.push(client),
            Err(err) => {
                stopped.push(format!("session {} failed: {err}", sessions.len() + 1));
                break;
            }
        }
    }
    let mut logins = Vec::with_capacity(LOGINS_UNDER_LOAD);
    for _ in 0..LOGINS_UNDER_LOAD {
        let login = timed_login(&server.login, options.clone(), path, size);
        let failed = login.is_err();
        logins.push(login);
        if failed {
            break;
        }
    }
    let held = sessions.len();
    for number in [1, held] {
        if let Some(Err(err)) = sessions.get_mut(number.wrapping_sub(1)).map(Client::noop) {
            stopped.push(format!("held session {number} no longer answers: {err}"));
        }
    }
    if !memory::running(server.pid) {
        stopped.push("the server exited".into());
    }
    drop(server);
    drop(sessions);
    Held {
        sessions: held,
        stopped: (!stopped.is_empty()).then(|| stopped.join("; ")),
        logins,
    }
}

/// One new session that logs in and downloads `path` (`size` bytes); ms
/// from the connection to the `226`.
fn timed_login(login: &Login, options: Options, path: &str, size: u64) -> Result<f64, Failure> {
    let start = Instant::now();
    let mut client = session_with(login, options)?;
    let mut contents = Vec::with_capacity(size as usize);
    let received = client.retr(path, &mut contents, 0, None)?;
    let elapsed = start.elapsed();
    client.quit()?;
    expect_bytes(path, received, size)?;
    Ok(elapsed.as_secs_f64() * 1000.0)
}

/// Copies `size` bytes from `source` over a plain loopback TCP connection with
/// the transfer code FTP uses on both ends; MiB/s.
pub fn raw_copy(source: Source, file: &Path, size: u64) -> Result<f64, Failure> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let addr = listener.local_addr()?;
    let file = file.to_path_buf();
    let sender = thread::spawn(move || send_raw(&listener, source, &file, size));
    let start = Instant::now();
    let mut stream = TcpStream::connect(addr)?;
    let received = copy(
        &mut stream,
        &mut io::sink(),
        Representation::Binary,
        Direction::Receive,
        None,
    )?;
    let elapsed = start.elapsed();
    let sent = sender
        .join()
        .map_err(|_| Failure("the raw sender panicked".into()))??;
    expect_bytes("raw copy", sent, size)?;
    expect_bytes("raw copy", received, size)?;
    Ok(rate(size, elapsed))
}

/// The sending end of [`raw_copy`].
fn send_raw(
    listener: &TcpListener,
    source: Source,
    file: &Path,
    size: u64,
) -> Result<u64, Failure> {
    let (mut stream, _) = listener.accept()?;
    let mut input: Box<dyn Read> = match source {
        Source::File => Box::new(File::open(file)?),
        Source::Memory => Box::new(io::repeat(0x5a).take(size)),
    };
    let binary = Representation::Binary;
    Ok(copy(
        &mut input,
        &mut stream,
        binary,
        Direction::Send,
        None,
    )?)
}

/// Runs a download program that writes `size` bytes to `output`, checks the
/// file and removes it; MiB/s including the program's start and login.
pub fn program_download(mut command: Command, output: &Path, size: u64) -> Result<f64, Failure> {
    command.stdin(Stdio::null()).stdout(Stdio::null());
    let start = Instant::now();
    let result = command.output()?;
    let elapsed = start.elapsed();
    if !result.status.success() {
        let stderr = String::from_utf8_lossy(&result.stderr);
        return Err(Failure(format!("{command:?} failed: {}", stderr.trim())));
    }
    let written = std::fs::metadata(output)?.len();
    std::fs::remove_file(output)?;
    expect_bytes(&output.display().to_string(), written, size)?;
    Ok(rate(size, elapsed))
}

/// A stripped binary's size in KiB.
pub fn binary_size(program: &Path) -> Result<f64, Failure> {
    Ok(std::fs::metadata(program)?.len() as f64 / 1024.0)
}

/// A logged-in session in binary mode.
fn session(login: &Login, mode: DataMode) -> Result<Client<Control>, Failure> {
    let options = Options {
        mode,
        ..Options::default()
    };
    session_with(login, options)
}

/// A logged-in session in binary mode, with these options; over TLS if the
/// login says so.
fn session_with(login: &Login, options: Options) -> Result<Client<Control>, Failure> {
    let host = login.addr.ip().to_string();
    let mut client = ftps::connect(&host, login.addr.port(), login.tls.as_ref(), options)?;
    client.login(&login.user, &login.password)?;
    client.set_type(Representation::Binary)?;
    Ok(client)
}

/// Runs `count` threads that each `prepare` a state, wait for one start
/// signal, run `measured` on it, and keep the state until all are done.
/// Returns the time from the first `measured` starting until the last one
/// ended, as the threads themselves saw it (the main thread may not run
/// again until much of the work is done).
fn concurrently<S, P, M>(count: usize, prepare: P, measured: M) -> Result<Duration, Failure>
where
    P: Fn() -> Result<S, Failure> + Send + Sync + 'static,
    M: Fn(&mut S) -> Result<(), Failure> + Send + Sync + 'static,
{
    let start = Arc::new(Barrier::new(count + 1));
    let release = Arc::new(Barrier::new(count + 1));
    let (prepare, measured) = (Arc::new(prepare), Arc::new(measured));
    let (done, results) = mpsc::channel();
    let mut threads = Vec::with_capacity(count);
    for _ in 0..count {
        let (start, release, done) = (Arc::clone(&start), Arc::clone(&release), done.clone());
        let (prepare, measured) = (Arc::clone(&prepare), Arc::clone(&measured));
        let thread = thread::Builder::new()
            .stack_size(CLIENT_STACK)
            .spawn(move || {
                let state = prepare();
                start.wait();
                let began = Instant::now();
                let state = state.and_then(|mut state| measured(&mut state).map(|()| state));
                let span = state.as_ref().map(|_| (began, Instant::now()));
                let _ = done.send(span.map_err(ToString::to_string));
                release.wait();
            })?;
        threads.push(thread);
    }
    start.wait();
    let spans = (0..count)
        .map(|_| results.recv_timeout(CONCURRENT_LIMIT))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| Failure(format!("{count} sessions took over {CONCURRENT_LIMIT:?}")))?;
    release.wait();
    for thread in threads {
        thread
            .join()
            .map_err(|_| Failure("a session thread panicked".into()))?;
    }
    let spans = spans
        .into_iter()
        .collect::<Result<Vec<_>, String>>()
        .map_err(Failure)?;
    let first = spans.iter().map(|&(began, _)| began).min();
    let last = spans.iter().map(|&(_, ended)| ended).max();
    match (first, last) {
        (Some(first), Some(last)) => Ok(last - first),
        _ => Err(Failure("no sessions to run".into())),
    }
}

/// An error unless `got` bytes are `want`.
fn expect_bytes(what: &str, got: u64, want: u64) -> Result<(), Failure> {
    expect_count(what, got, want, "bytes")
}

/// An error unless `got` of `things` are `want`.
fn expect_count<N: PartialEq + fmt::Display>(
    what: &str,
    got: N,
    want: N,
    things: &str,
) -> Result<(), Failure> {
    if got == want {
        Ok(())
    } else {
        Err(Failure(format!("{what}: {got} {things} instead of {want}")))
    }
}

/// `bytes` over `elapsed`, in MiB/s.
fn rate(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / MIB / elapsed.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_mib_per_second() {
        assert_eq!(rate(3 << 20, Duration::from_millis(500)), 6.0);
    }

    #[test]
    fn short_transfers_are_errors() {
        assert!(expect_bytes("f", 10, 10).is_ok());
        let error = expect_bytes("f", 9, 10).expect_err("short");
        assert_eq!(error.to_string(), "f: 9 bytes instead of 10");
    }

    #[test]
    fn raw_copy_moves_every_byte_from_both_sources() {
        let dir = ftp_tests::TempDir::new("ftp-bench-raw");
        let file = dir.path().join("f");
        std::fs::write(&file, vec![7u8; 300_000]).expect("written");
        for source in [Source::File, Source::Memory] {
            let rate = raw_copy(source, &file, 300_000).expect("copied");
            assert!(rate > 0.0);
        }
        assert!(raw_copy(Source::File, &file, 300_001).is_err());
    }

    #[test]
    fn concurrent_work_reports_the_first_failure_after_all_finish() {
        let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = Arc::clone(&counter);
        let result = concurrently(
            8,
            || Ok(()),
            move |_| match seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                3 => Err(Failure("the fourth failed".into())),
                _ => Ok(()),
            },
        );
        assert_eq!(counter.load(std::sync::atomic::Ordering::SeqCst), 8);
        let pause = Duration::from_millis(20);
        let elapsed = concurrently(
            4,
            || Ok(()),
            move |_| {
                thread::sleep(pause);
                Ok(())
            },
        )
        .expect("all succeed");
        assert!(elapsed >= pause, "{elapsed:?}");
        assert!(concurrently(0, || Ok(()), |_| Ok(())).is_err());
        assert_eq!(
            result.expect_err("one failed").to_string(),
            "the fourth failed"
        );
    }

    #[test]
    fn programs_that_fail_or_write_short_files_are_errors() {
        let dir = ftp_tests::TempDir::new("ftp-bench-program");
        let out = dir.path().join("out");
        let mut writes_four = Command::new("sh");
        writes_four.args(["-c", "printf abcd > \"$0\""]).arg(&out);
        assert!(program_download(writes_four, &out, 4).is_ok());
        assert!(!out.exists(), "the output is removed");
        let mut short = Command::new("sh");
        short.args(["-c", "printf abc > \"$0\""]).arg(&out);
        assert!(program_download(short, &out, 4).is_err());
        let mut failing = Command::new("sh");
        failing.args(["-c", "echo refused >&2; exit 3"]);
        let error = program_download(failing, &out, 4).expect_err("failed");
        assert!(error.to_string().ends_with("failed: refused"), "{error}");
    }
}
