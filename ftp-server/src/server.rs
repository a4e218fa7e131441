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
//! ([`stderr_is_socket`]). With `--implicit-tls` (the `tls` feature) the
//! socket on stdin is served as implicit TLS; it must be a TCP socket.
//!
//! Started as root with `--run-as USER` ([`crate::privileges`]), [`run`]
//! binds its one address as root, prints where it listens, and re-executes
//! as USER with the listener as stdin and the xferlog (opened by root) as
//! stdout; the new process serves on them. With an implicit TLS address
//! (`--implicit-tls-listen`, one), stdout is that listener instead, and
//! the new process opens the xferlog itself, as USER. [`run_inetd`]
//! re-executes with its standard streams, the connection, as they are.
//!
//! What it does not do: parse options ([`crate::config`]), decide who the
//! sessions run as ([`crate::privileges`]), or speak FTP ([`crate::conn`]).

use std::fs::File;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::process::Stdio;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::conn::{self, Shared};
use crate::limits::Limits;
use crate::privileges::{self, switched_to, Identity, Plan, SWITCHED};
use crate::session::{Refusal, Session};
use crate::storage;
use crate::xferlog::XferLog;

/// Stack size of a session thread: a wide margin over what the deepest
/// session needs (an overflow would abort every session). Only the pages
/// touched count; what an idle session costs in all is measured by
/// `ftp-bench` and written up in docs/performance.md.
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
            let listeners: Vec<(TcpListener, Serve)> = listeners
                .into_iter()
                .map(|listener| (listener, conn::serve_tcp as Serve))
                .collect();
            describe(&shared.config);
            #[cfg(feature = "tls")]
            let listeners = with_implicit(listeners, &shared.config)?;
            serve(listeners, &shared)
        }
        Plan::Switch(user) => switch(&config, &user),
        Plan::Switched => {
            let listener = inherited_listener(io::stdin().as_fd())?;
            let listeners = vec![(listener, conn::serve_tcp as Serve)];
            #[cfg(feature = "tls")]
            let listeners = with_inherited_implicit(listeners, &config)?;
            let shared = shared(config, &plan)?;
            serve(listeners, &shared)
        }
    }
}

/// Binds the one `--listen` address (and the one `--implicit-tls-listen`
/// address), opens the xferlog, and re-executes as `user` with the
/// listener as stdin, and the implicit TLS listener or else the xferlog
/// as stdout. Returns only on failure.
fn switch(config: &Config, user: &Identity) -> Result<(), String> {
    let [listener] = <[TcpListener; 1]>::try_from(bind(&config.listen)?)
        .map_err(|_| "--run-as: one --listen address only".to_string())?;
    describe(config);
    #[cfg(feature = "tls")]
    let implicit = <[TcpListener; 1]>::try_from(bind_implicit(config)?);
    #[cfg(feature = "tls")]
    let stdout = match implicit {
        Ok([implicit]) => Some(Stdio::from(OwnedFd::from(implicit))),
        Err(none) if none.is_empty() => None,
        Err(_) => return Err("--run-as: one --implicit-tls-listen address only".to_string()),
    };
    #[cfg(not(feature = "tls"))]
    let stdout = None;
    let stdout = match (stdout, &config.xferlog) {
        (Some(implicit), _) => implicit,
        (None, Some(path)) => Stdio::from(
            XferLog::open_file(path).map_err(|err| format!("xferlog {}: {err}", path.display()))?,
        ),
        (None, None) => Stdio::null(),
    };
    log::info!("serving sessions as {user}");
    let _ = io::stdout().flush();
    Err(privileges::switch(
        user,
        Stdio::from(OwnedFd::from(listener)),
        stdout,
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

/// A listening socket bound by root and handed over as `fd`, stdin or
/// stdout ([`Plan::Switched`]).
fn inherited_listener(fd: BorrowedFd<'_>) -> Result<TcpListener, String> {
    let not_a_listener = || {
        format!(
            "{SWITCHED} is set but the standard streams are not the listening sockets \
             (it is internal; unset it)"
        )
    };
    if socket_of(fd).is_some() {
        return Err(not_a_listener());
    }
    let fd = fd
        .try_clone_to_owned()
        .map_err(|err| format!("inherited listener: {err}"))?;
    let listener = TcpListener::from(fd);
    let addr = listener.local_addr().map_err(|_| not_a_listener())?;
    let user = switched_to().unwrap_or_default();
    log::info!("serving sessions as {user} on {}", url(addr));
    Ok(listener)
}

/// Whether a server switched to the `--run-as` user has the implicit TLS
/// listener on stdout (and not the xferlog).
fn implicit_on_stdout(config: &Config) -> bool {
    #[cfg(feature = "tls")]
    let implicit = config
        .tls
        .as_ref()
        .is_some_and(|tls| !tls.implicit_listen.is_empty());
    #[cfg(not(feature = "tls"))]
    let implicit = false;
    implicit && !config.inetd
}

/// How a listener's connections are served: in the clear first, or with
/// implicit TLS.
type Serve = fn(TcpStream, &Shared) -> io::Result<()>;

/// `listeners` and the `--implicit-tls-listen` addresses, bound.
#[cfg(feature = "tls")]
fn with_implicit(
    mut listeners: Vec<(TcpListener, Serve)>,
    config: &Config,
) -> Result<Vec<(TcpListener, Serve)>, String> {
    let implicit = bind_implicit(config)?;
    listeners.extend(
        implicit
            .into_iter()
            .map(|listener| (listener, conn::serve_implicit as Serve)),
    );
    Ok(listeners)
}

/// `listeners` and the implicit TLS listener handed over on stdout, if
/// there is one ([`Plan::Switched`]).
#[cfg(feature = "tls")]
fn with_inherited_implicit(
    mut listeners: Vec<(TcpListener, Serve)>,
    config: &Config,
) -> Result<Vec<(TcpListener, Serve)>, String> {
    if implicit_on_stdout(config) {
        let listener = inherited_listener(io::stdout().as_fd())?;
        listeners.push((listener, conn::serve_implicit as Serve));
    }
    Ok(listeners)
}

/// The `--implicit-tls-listen` addresses, bound. Where they listen is said
/// last, and only if stdout still takes it: a program that started the
/// server may have read no further than the first line.
#[cfg(feature = "tls")]
fn bind_implicit(config: &Config) -> Result<Vec<TcpListener>, String> {
    let Some(tls) = &config.tls else {
        return Ok(Vec::new());
    };
    let mut listeners = Vec::new();
    for addr in &tls.implicit_listen {
        let listener =
            TcpListener::bind(addr).map_err(|err| format!("cannot listen on {addr}: {err}"))?;
        if let Ok(bound) = listener.local_addr() {
            let line = format!("ftp-server: listening on ftps://{bound}/ (implicit TLS)");
            let _ = writeln!(io::stdout(), "{line}");
        }
        listeners.push(listener);
    }
    Ok(listeners)
}

/// Accepts on every listener, each in its own thread, until stopped.
fn serve(listeners: Vec<(TcpListener, Serve)>, shared: &Shared) -> Result<(), String> {
    let limits = Arc::new(Limits::new(
        shared.config.max_sessions,
        shared.config.max_per_ip,
    ));
    let mut threads = Vec::new();
    for (listener, serve) in listeners {
        let (shared, limits) = (shared.clone(), Arc::clone(&limits));
        let thread = thread::Builder::new()
            .name("accept".to_string())
            .spawn(move || accept_loop(&listener, &shared, &limits, serve))
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
    let implicit = implicit_inetd(&shared.config);
    match socket_of(io::stdin().as_fd()) {
        Some(stream) => {
            #[cfg(feature = "tls")]
            let serve: Serve = if implicit {
                conn::serve_implicit
            } else {
                conn::serve_tcp
            };
            #[cfg(not(feature = "tls"))]
            let serve: Serve = conn::serve_tcp;
            serve(stream, &shared).map_err(|err| format!("inetd socket: {err}"))
        }
        None if implicit => Err("--implicit-tls: stdin is not a TCP socket".to_string()),
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

/// Whether the `--inetd` connection is implicit TLS (`--implicit-tls`).
fn implicit_inetd(config: &Config) -> bool {
    #[cfg(feature = "tls")]
    let implicit = config.tls.as_ref().is_some_and(|tls| tls.implicit_inetd);
    #[cfg(not(feature = "tls"))]
    let implicit = false;
    implicit && config.inetd
}

/// Answers the client the session's 421 before an inetd session could
/// start (the server refuses to run): stdout is the connection.
pub fn refuse_inetd(message: &str) {
    let mut stdout = io::stdout();
    let reply = Session::refusal(Refusal::CannotServe(message));
    let _ = stdout.write_all(&reply.to_wire());
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
        Some(_) if *plan == Plan::Switched && !config.inetd && !implicit_on_stdout(&config) => {
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
    // No one address may hold the whole passive range: half of it at most.
    let passive_limits = config.pasv_ports.as_ref().map(|ports| {
        let size = ports.clone().count();
        Arc::new(Limits::new(size, (size / 2).max(1)))
    });
    Ok(Shared {
        config: Arc::new(config),
        xferlog: xferlog.map(Arc::new),
        passive_limits,
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

fn accept_loop(listener: &TcpListener, shared: &Shared, limits: &Arc<Limits>, serve: Serve) {
    let mut spare = Spare::new();
    loop {
        match listener.accept() {
            Ok((stream, _)) => start_session(stream, shared, limits, serve),
            Err(err) if is_out_of_descriptors(&err) => spare.refuse_one(listener, &err),
            // A client that gave up before its connection was taken.
            Err(err) if is_transient(&err) => {}
            Err(err) => {
                log::warn!("accept failed: {err}");
                thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// What the accept loop does when the process is out of descriptors: it
/// keeps one in reserve (`/dev/null`, open), gives it up to take the
/// waiting connection, answers it `421` and closes it, and takes the reserve
/// back — so a client is told instead of left waiting, and the loop does not
/// spin on a connection it cannot take. The sessions already running go on.
/// The condition is logged once per [`Spare::SAY_EVERY`], with a count.
struct Spare {
    reserve: Option<File>,
    refused: u64,
    said: Option<Instant>,
}

impl Spare {
    const SAY_EVERY: Duration = Duration::from_secs(10);

    fn new() -> Spare {
        Spare {
            reserve: File::open("/dev/null").ok(),
            refused: 0,
            said: None,
        }
    }

    fn refuse_one(&mut self, listener: &TcpListener, err: &io::Error) {
        self.reserve = None;
        match listener.accept() {
            Ok((stream, _)) => {
                refuse(stream, Refusal::OutOfResources);
                self.refused += 1;
            }
            // Not even one: wait rather than spin.
            Err(_) => thread::sleep(Duration::from_millis(100)),
        }
        self.reserve = File::open("/dev/null").ok();
        if self
            .said
            .is_none_or(|said| said.elapsed() >= Spare::SAY_EVERY)
        {
            log::warn!(
                "accept failed: {err}; new connections are answered 421 \
                 ({} since this was last said)",
                self.refused
            );
            self.said = Some(Instant::now());
            self.refused = 0;
        }
    }
}

/// EMFILE or ENFILE: this process, or the system, has no descriptor left.
fn is_out_of_descriptors(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(23 | 24))
}

/// An accept error that concerns one connection only.
fn is_transient(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

fn start_session(stream: TcpStream, shared: &Shared, limits: &Arc<Limits>, serve: Serve) {
    let Ok(peer) = stream.peer_addr() else { return };
    let Some(slot) = Limits::acquire(limits, peer.ip()) else {
        log::warn!("{peer}: refused, too many sessions");
        refuse(stream, Refusal::TooManySessions);
        return;
    };
    let session_shared = shared.clone();
    let spawned = thread::Builder::new()
        .name("session".to_string())
        .stack_size(SESSION_STACK_SIZE)
        .spawn(move || {
            let _slot = slot;
            if let Err(err) = serve(stream, &session_shared) {
                log::warn!("{peer}: {err}");
            }
        });
    if let Err(err) = spawned {
        log::error!("{peer}: cannot start a session thread: {err}");
    }
}

/// Sends the session's 421 and closes; a client that does not read cannot
/// stall us.
fn refuse(mut stream: TcpStream, refusal: Refusal<'_>) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = stream.write_all(&Session::refusal(refusal).to_wire());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_bracket_ipv6() {
        assert_eq!(
            url("127.0.0.1:2121".parse().expect("addr")),
            "ftp://127.0.0.1:2121/"
        );
        assert_eq!(url("[::1]:21".parse().expect("addr")), "ftp://[::1]:21/");
    }
}
