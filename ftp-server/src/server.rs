//! Running the server: standalone accept loops, session limits, inetd mode.
//!
//! [`run`] binds every `--listen` address first (a busy address is an error
//! before anything is served), prints where it listens, and then accepts on
//! each address in its own thread. Every client gets a thread with a small
//! stack ([`SESSION_STACK_SIZE`]); when the server already has
//! `--max-sessions` sessions, or `--max-per-ip` from the client's address, the
//! client gets `421` and is closed.
//!
//! In inetd mode ([`run_inetd`]) one session runs on stdin/stdout. When stdin
//! is a socket (inetd, xinetd, systemd `Accept=yes`) it is used as one, so the
//! session knows both addresses (passive mode listens on the local one;
//! active mode checks the peer). When stdin is not a TCP socket (a pipe or a
//! socketpair: ssh, socat `EXEC:`, stunnel `exec=`, tests) the client's
//! address is unknown: PORT and EPRT are refused, passive mode listens on
//! loopback and takes data connections from loopback only, and the pipe is
//! read on a thread ([`conn::PipeReader`]) so that the timeouts hold. When
//! stderr is the connection too (classic inetd), `main` turns logging off
//! ([`stderr_is_socket`]).
//!
//! Started as root with `--run-as USER` ([`crate::privileges`]), [`run`]
//! binds its one address as root, prints where it listens, and re-executes
//! as USER with the listener as stdin and the xferlog (opened by root) as
//! stdout; the new process serves on them. [`run_inetd`] re-executes with
//! its standard streams, the connection, as they are.
//!
//! What it does not do: parse options ([`crate::config`]), decide who the
//! sessions run as ([`crate::privileges`]), or speak FTP ([`crate::conn`]).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

use crate::config::Config;
use crate::conn::{self, Shared};
use crate::privileges::{self, switched_to, Identity, Plan, SWITCHED};
use crate::storage;
use crate::xferlog::XferLog;

/// Stack size of a session thread. Measured: the end-to-end tests pass with
/// 40 KiB (debug build, `-v` logging) and overflow at 20 KiB, so 128 KiB
/// leaves a wide margin (an overflow would abort every session). Only the
/// pages touched count: an idle, logged-in session costs about 45 KiB of PSS
/// in all (release build, 200 sessions).
pub const SESSION_STACK_SIZE: usize = 128 << 10;

/// Serves on every configured address until the process is stopped, as
/// [`Plan`] says: with [`Plan::Switch`], binds and hands the socket over to
/// the server re-executed as the `--run-as` user instead
/// ([`privileges::switch`]); with [`Plan::Switched`], serves on the socket
/// handed over. Returns an error message if an address cannot be bound or
/// the switch fails.
pub fn run(config: Config, plan: Plan) -> Result<(), String> {
    match plan {
        Plan::Stay => {
            let shared = shared(config, &plan)?;
            let listeners = bind(&shared.config.listen)?;
            describe(&shared.config);
            serve(listeners, &shared)
        }
        Plan::Switch(user) => switch(&config, &user),
        Plan::Switched => {
            let listener = inherited_listener()?;
            let shared = shared(config, &plan)?;
            serve(vec![listener], &shared)
        }
    }
}

/// Binds the one `--listen` address, opens the xferlog, and re-executes
/// as `user` with them as stdin and stdout. Returns only on failure.
fn switch(config: &Config, user: &Identity) -> Result<(), String> {
    let [listener] = <[TcpListener; 1]>::try_from(bind(&config.listen)?)
        .map_err(|_| "--run-as: one --listen address only".to_string())?;
    describe(config);
    let xferlog = match &config.xferlog {
        Some(path) => Stdio::from(
            XferLog::open_file(path).map_err(|err| format!("xferlog {}: {err}", path.display()))?,
        ),
        None => Stdio::null(),
    };
    log::info!("serving sessions as {user}");
    let _ = io::stdout().flush();
    Err(privileges::switch(
        user,
        Stdio::from(OwnedFd::from(listener)),
        xferlog,
    ))
}

/// Binds every address, printing where it listens.
fn bind(addresses: &[SocketAddr]) -> Result<Vec<TcpListener>, String> {
    let mut listeners = Vec::new();
    for addr in addresses {
        let listener =
            TcpListener::bind(addr).map_err(|err| format!("cannot listen on {addr}: {err}"))?;
        let bound = listener
            .local_addr()
            .map_err(|err| format!("{addr}: {err}"))?;
        println!("ftp-server: listening on {}", url(bound));
        listeners.push(listener);
    }
    Ok(listeners)
}

/// The listening socket bound by root and handed over as stdin
/// ([`Plan::Switched`]).
fn inherited_listener() -> Result<TcpListener, String> {
    let stdin = io::stdin();
    let not_a_listener = || {
        format!("{SWITCHED} is set but stdin is not a listening socket (it is internal; unset it)")
    };
    if socket_of(stdin.as_fd()).is_some() {
        return Err(not_a_listener());
    }
    let fd = stdin
        .as_fd()
        .try_clone_to_owned()
        .map_err(|err| format!("stdin: {err}"))?;
    let listener = TcpListener::from(fd);
    let addr = listener.local_addr().map_err(|_| not_a_listener())?;
    let user = switched_to().unwrap_or_default();
    log::info!("serving sessions as {user} on {}", url(addr));
    Ok(listener)
}

/// Accepts on every listener, each in its own thread, until stopped.
fn serve(listeners: Vec<TcpListener>, shared: &Shared) -> Result<(), String> {
    let limits = Arc::new(Limits::new(
        shared.config.max_sessions,
        shared.config.max_per_ip,
    ));
    let mut threads = Vec::new();
    for listener in listeners {
        let (shared, limits) = (shared.clone(), Arc::clone(&limits));
        let thread = thread::Builder::new()
            .name("accept".to_string())
            .spawn(move || accept_loop(&listener, &shared, &limits))
            .map_err(|err| format!("cannot start the accept thread: {err}"))?;
        threads.push(thread);
    }
    for thread in threads {
        let _ = thread.join();
    }
    Ok(())
}

/// Serves one session on stdin/stdout; see the module documentation. With
/// [`Plan::Switch`], re-executes as the `--run-as` user first, the standard
/// streams (the connection) passed on as they are.
pub fn run_inetd(config: Config, plan: Plan) -> Result<(), String> {
    if let Plan::Switch(user) = plan {
        return Err(privileges::switch(
            &user,
            Stdio::inherit(),
            Stdio::inherit(),
        ));
    }
    let shared = shared(config, &plan)?;
    match socket_of(io::stdin().as_fd()) {
        Some(stream) => {
            conn::serve_tcp(stream, &shared).map_err(|err| format!("inetd socket: {err}"))
        }
        None => {
            let loopback = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
            let reader = conn::PipeReader::spawn(io::stdin())
                .map_err(|err| format!("cannot read the pipe: {err}"))?;
            let channel = conn::Channel {
                reader,
                writer: Box::new(io::stdout()),
                peer: loopback,
                local: loopback,
                peer_known: false,
            };
            conn::serve(channel, &shared);
            Ok(())
        }
    }
}

/// Answers the client `421 message` before an inetd session could start
/// (the server refuses to run): stdout is the connection.
pub fn refuse_inetd(message: &str) {
    let mut stdout = io::stdout();
    let _ = stdout.write_all(format!("421 {message}\r\n").as_bytes());
    let _ = stdout.flush();
}

/// Whether stderr is a socket, as under inetd, which passes the connection
/// as stdin, stdout and stderr: log lines there would go to the client.
pub fn stderr_is_socket() -> bool {
    socket_of(io::stderr().as_fd()).is_some()
}

/// `fd` as a TCP stream (a duplicate of it), if it is a connected socket.
fn socket_of(fd: BorrowedFd<'_>) -> Option<TcpStream> {
    let stream = TcpStream::from(fd.try_clone_to_owned().ok()?);
    (stream.peer_addr().is_ok() && stream.local_addr().is_ok()).then_some(stream)
}

/// The configuration and the opened xferlog (in a standalone server
/// switched to the `--run-as` user, the one root opened, on stdout), once
/// the file system has proved it supports the jail.
fn shared(config: Config, plan: &Plan) -> Result<Shared, String> {
    storage::check_support()?;
    let xferlog = match &config.xferlog {
        Some(_) if *plan == Plan::Switched && !config.inetd => {
            let fd = io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .map_err(|err| format!("xferlog on stdout: {err}"))?;
            Some(XferLog::from_file(File::from(fd)))
        }
        Some(path) => {
            Some(XferLog::open(path).map_err(|err| format!("xferlog {}: {err}", path.display()))?)
        }
        None => None,
    };
    Ok(Shared {
        config: Arc::new(config),
        xferlog: xferlog.map(Arc::new),
    })
}

/// `ftp://127.0.0.1:2121/` or `ftp://[::1]:2121/`.
fn url(addr: SocketAddr) -> String {
    format!("ftp://{addr}/")
}

/// Says what is served to whom, on stdout.
fn describe(config: &Config) {
    let users = config.users.named().len();
    let anonymous = match config.users.anonymous() {
        Some(access) => format!("anonymous ({access})"),
        None => "no anonymous".to_string(),
    };
    println!(
        "ftp-server: serving {} to {users} user(s) and {anonymous}",
        config.root.display()
    );
}

fn accept_loop(listener: &TcpListener, shared: &Shared, limits: &Arc<Limits>) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => start_session(stream, shared, limits),
            Err(err) => {
                // Out of file descriptors, typically: do not spin.
                log::warn!("accept failed: {err}");
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

fn start_session(stream: TcpStream, shared: &Shared, limits: &Arc<Limits>) {
    let Ok(peer) = stream.peer_addr() else { return };
    let Some(slot) = Limits::acquire(limits, peer.ip()) else {
        log::warn!("{peer}: refused, too many sessions");
        refuse(stream, "Too many sessions; try again later");
        return;
    };
    let session_shared = shared.clone();
    let spawned = thread::Builder::new()
        .name("session".to_string())
        .stack_size(SESSION_STACK_SIZE)
        .spawn(move || {
            let _slot = slot;
            if let Err(err) = conn::serve_tcp(stream, &session_shared) {
                log::warn!("{peer}: {err}");
            }
        });
    if let Err(err) = spawned {
        log::error!("{peer}: cannot start a session thread: {err}");
    }
}

/// Sends 421 and closes; a client that does not read cannot stall us.
fn refuse(mut stream: TcpStream, text: &str) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = stream.write_all(format!("421 {text}\r\n").as_bytes());
}

/// Session counts, in all and per client address.
#[derive(Debug)]
struct Limits {
    max_total: usize,
    max_per_ip: usize,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// A session's place in the limits, given back when dropped.
#[derive(Debug)]
struct Slot {
    limits: Arc<Limits>,
    ip: IpAddr,
}

impl Limits {
    fn new(max_total: usize, max_per_ip: usize) -> Limits {
        Limits {
            max_total,
            max_per_ip,
            counts: Mutex::new(Counts::default()),
        }
    }

    /// A slot for a session from `ip`, or `None` when a limit is reached.
    fn acquire(limits: &Arc<Limits>, ip: IpAddr) -> Option<Slot> {
        let ip = ip.to_canonical();
        let mut counts = limits.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let from_ip = counts.per_ip.get(&ip).copied().unwrap_or(0);
        if counts.total >= limits.max_total || from_ip >= limits.max_per_ip {
            return None;
        }
        counts.total += 1;
        counts.per_ip.insert(ip, from_ip + 1);
        Some(Slot {
            limits: Arc::clone(limits),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self
            .limits
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.total -= 1;
        if let Some(count) = counts.per_ip.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn limits_count_in_all_and_per_address() {
        let limits = Arc::new(Limits::new(3, 2));
        let a1 = Limits::acquire(&limits, ip("10.0.0.1")).expect("first");
        let _a2 = Limits::acquire(&limits, ip("::ffff:10.0.0.1")).expect("mapped is the same ip");
        assert!(
            Limits::acquire(&limits, ip("10.0.0.1")).is_none(),
            "per-ip limit"
        );
        let _b1 = Limits::acquire(&limits, ip("10.0.0.2")).expect("other ip");
        assert!(
            Limits::acquire(&limits, ip("10.0.0.3")).is_none(),
            "global limit"
        );
        drop(a1);
        assert!(
            Limits::acquire(&limits, ip("10.0.0.3")).is_some(),
            "slot given back"
        );
    }

    #[test]
    fn urls_bracket_ipv6() {
        assert_eq!(
            url("127.0.0.1:2121".parse().expect("addr")),
            "ftp://127.0.0.1:2121/"
        );
        assert_eq!(url("[::1]:21".parse().expect("addr")), "ftp://[::1]:21/");
    }
}
