//! The one place data connections are opened, for the client and the server alike.
//!
//! FTP moves file data over a second TCP connection, opened anew for each
//! transfer. The control connection decides who opens it:
//!
//! | mode | command | who listens ([`listen`] + [`accept`]) | who connects ([`connect`]) |
//! |---|---|---|---|
//! | active | `PORT` / `EPRT` | the client | the server |
//! | passive | `PASV` / `EPSV` | the server | the client |
//!
//! In **active** mode the client listens and tells the server where (`PORT
//! h1,h2,h3,h4,p1,p2`); the server connects back to it. This fails when the client
//! sits behind a firewall or NAT, because the server's connection cannot come in.
//! In **passive** mode the server listens and answers with its address (`227` or
//! `229`); the client connects. This fails behind a server-side NAT unless the
//! server advertises its public address and a port range the firewall lets in,
//! which is why [`listen`] takes a port range.
//!
//! Whoever listens must check who connects: [`accept`] closes connections from
//! any address but the expected peer's and goes on waiting (no connection theft,
//! RFC 2577). Every wait is bounded: a timeout is [`Error::Timeout`] naming
//! [`Phase::Accept`] or [`Phase::Connect`].
//!
//! This module neither sends the `PORT`/`PASV` commands nor formats addresses
//! ([`crate::addr`] does that), and it does not move any data ([`crate::transfer`]).

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::ops::RangeInclusive;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::{Error, Phase};

/// The first pause between two polls of a listener: a transfer whose peer is
/// quick waits at most this long.
const FIRST_POLL_PAUSE: Duration = Duration::from_millis(1);

/// The longest pause between two polls of a listener.
const LONGEST_POLL_PAUSE: Duration = Duration::from_millis(50);

/// Listens on `ip`, on a port from `ports` (skipping busy ones) or an OS-chosen port.
///
/// With a range, every port in it is tried once, starting at a point that
/// varies from call to call (so that concurrent sessions do not all race for
/// the first port) and wrapping around. Ports that are in use or not permitted
/// (below 1024 without privileges) are skipped; port 0 is never used, as it
/// would let the OS pick a port outside the range. Without a range the OS
/// chooses the port.
///
/// # Errors
///
/// An [`Error::Io`] of kind `AddrInUse` saying `no free port in 50000-50010`
/// when every port is taken (or the range is empty); any other bind error, such
/// as an `ip` that is not an address of this machine, at once.
pub fn listen(ip: IpAddr, ports: Option<RangeInclusive<u16>>) -> Result<TcpListener, Error> {
    let Some(ports) = ports else {
        return TcpListener::bind((ip, 0)).map_err(|err| Error::from_io(err, Phase::Accept));
    };
    // std sets SO_REUSEADDR on Unix: a port in TIME_WAIT after an earlier
    // transfer is free again at once.
    for port in rotated(&ports, start_offset()) {
        match TcpListener::bind((ip, port)) {
            Ok(listener) => return Ok(listener),
            Err(err) if is_unavailable_port(&err) => continue,
            Err(err) => return Err(Error::from_io(err, Phase::Accept)),
        }
    }
    let message = format!("no free port in {}-{}", ports.start(), ports.end());
    Err(Error::Io(io::Error::new(io::ErrorKind::AddrInUse, message)))
}

/// Whether a bind failed because of the port itself, so another one may work.
fn is_unavailable_port(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::AddrInUse | io::ErrorKind::PermissionDenied
    )
}

/// The ports of `range`, each once, beginning `offset` places in and wrapping;
/// port 0 left out.
fn rotated(range: &RangeInclusive<u16>, offset: u32) -> impl Iterator<Item = u16> {
    let first = u32::from(*range.start());
    let len = if range.is_empty() {
        0
    } else {
        u32::from(*range.end()) - first + 1
    };
    (0..len)
        .filter_map(move |i| u16::try_from(first + (offset + i) % len).ok())
        .filter(|&port| port != 0)
}

/// A starting point that differs from call to call: the clock's nanoseconds.
fn start_offset() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.subsec_nanos())
}

/// Accepts one connection from `expected_peer` within `timeout`; connections
/// from other addresses are closed and waiting goes on.
///
/// `None` accepts a connection from anywhere. Addresses are compared with an
/// IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) equal to its IPv4 address, as a
/// dual-stack listener reports IPv4 peers that way. The returned stream is in
/// blocking mode.
///
/// `std` has no accept timeout, so the listener is polled in non-blocking mode
/// (the first retry after 1 ms, then doubling up to 50 ms) and put back into
/// blocking mode before returning.
///
/// # Errors
///
/// [`Error::Timeout`] for [`Phase::Accept`] when no acceptable connection came
/// in time; [`Error::Io`] when the listener fails.
pub fn accept(
    listener: &TcpListener,
    expected_peer: Option<IpAddr>,
    timeout: Duration,
) -> Result<TcpStream, Error> {
    accept_with(listener, expected_peer, timeout, &mut |_| {})
}

/// [`accept`], calling `on_refused` with the address of each connection it
/// closed because it came from the wrong peer (for the server's log).
///
/// # Errors
///
/// As [`accept`].
pub fn accept_with(
    listener: &TcpListener,
    expected_peer: Option<IpAddr>,
    timeout: Duration,
    on_refused: &mut dyn FnMut(SocketAddr),
) -> Result<TcpStream, Error> {
    let to_error = |err: io::Error| Error::from_io(err, Phase::Accept);
    listener.set_nonblocking(true).map_err(to_error)?;
    let accepted = poll_accept(listener, expected_peer, timeout, on_refused);
    let restored = listener.set_nonblocking(false).map_err(to_error);
    let stream = accepted?;
    restored?;
    stream.set_nonblocking(false).map_err(to_error)?;
    Ok(stream)
}

/// Polls a non-blocking `listener` until the expected peer connects or time runs out.
fn poll_accept(
    listener: &TcpListener,
    expected_peer: Option<IpAddr>,
    timeout: Duration,
    on_refused: &mut dyn FnMut(SocketAddr),
) -> Result<TcpStream, Error> {
    // A timeout too large to add to the clock means no deadline.
    let deadline = Instant::now().checked_add(timeout);
    let mut pause = FIRST_POLL_PAUSE;
    loop {
        match listener.accept() {
            Ok((stream, peer)) if is_expected(peer.ip(), expected_peer) => return Ok(stream),
            Ok((stream, peer)) => {
                drop(stream);
                on_refused(peer);
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                let left = deadline.map_or(pause, |deadline| {
                    deadline.saturating_duration_since(Instant::now())
                });
                if left.is_zero() {
                    return Err(Error::from_io(err, Phase::Accept));
                }
                thread::sleep(pause.min(left));
                pause = (pause * 2).min(LONGEST_POLL_PAUSE);
            }
            // A signal, or a peer that gave up before we took its connection.
            Err(err) if is_transient_accept_error(&err) => continue,
            Err(err) => return Err(Error::from_io(err, Phase::Accept)),
        }
    }
}

/// Whether a connection from `ip` may be taken.
fn is_expected(ip: IpAddr, expected_peer: Option<IpAddr>) -> bool {
    expected_peer.is_none_or(|expected| expected.to_canonical() == ip.to_canonical())
}

/// Whether an accept error concerns only one connection, not the listener.
fn is_transient_accept_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::Interrupted
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Connects to `addr` within `timeout`.
///
/// # Errors
///
/// [`Error::Timeout`] for [`Phase::Connect`] when the peer did not answer in
/// time; [`Error::Io`] otherwise (e.g. connection refused).
pub fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, Error> {
    TcpStream::connect_timeout(&addr, timeout).map_err(|err| Error::from_io(err, Phase::Connect))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{Ipv4Addr, Ipv6Addr};

    const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const SHORT: Duration = Duration::from_millis(100);
    const LONG: Duration = Duration::from_secs(5);

    /// Binds `count` consecutive ports on 127.0.0.1, starting at one the OS
    /// picked; retries a few times in case a neighbour is taken.
    fn hold_consecutive_ports(count: u16) -> Vec<TcpListener> {
        for _ in 0..20 {
            let first = TcpListener::bind((LOCALHOST, 0)).unwrap();
            let base = first.local_addr().unwrap().port();
            let Some(last) = base.checked_add(count - 1) else {
                continue;
            };
            let rest: Result<Vec<_>, _> = (base + 1..=last)
                .map(|port| TcpListener::bind((LOCALHOST, port)))
                .collect();
            if let Ok(rest) = rest {
                return std::iter::once(first).chain(rest).collect();
            }
        }
        panic!("could not find {count} consecutive free ports");
    }

    fn port_of(listener: &TcpListener) -> u16 {
        listener.local_addr().unwrap().port()
    }

    #[test]
    fn rotation_visits_every_port_once_from_the_offset() {
        let ports: Vec<u16> = rotated(&(10..=14), 7).collect();
        assert_eq!(ports, [12, 13, 14, 10, 11]);
        assert_eq!(rotated(&(0..=2), 0).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(
            rotated(&(65534..=65535), 1).collect::<Vec<_>>(),
            [65535, 65534]
        );
        assert_eq!(rotated(&(0..=65535), 0).count(), 65535);
        #[allow(clippy::reversed_empty_ranges)]
        let empty = 5..=4;
        assert_eq!(rotated(&empty, 3).count(), 0);
    }

    #[test]
    fn listen_without_a_range_lets_the_os_choose() {
        let listener = listen(LOCALHOST, None).unwrap();
        assert_ne!(port_of(&listener), 0);
    }

    #[test]
    fn listen_in_a_range_skips_busy_ports() {
        let mut held = hold_consecutive_ports(5);
        let range = port_of(&held[0])..=port_of(&held[4]);
        let free = port_of(&held.remove(2));
        for _ in 0..3 {
            let listener = listen(LOCALHOST, Some(range.clone())).unwrap();
            assert_eq!(port_of(&listener), free);
        }
    }

    #[test]
    fn listen_in_a_full_range_says_so() {
        let held = hold_consecutive_ports(3);
        let (first, last) = (port_of(&held[0]), port_of(&held[2]));
        let err = listen(LOCALHOST, Some(first..=last)).unwrap_err();
        assert_eq!(err.to_string(), format!("no free port in {first}-{last}"));
    }

    #[test]
    fn listen_on_a_foreign_address_fails_at_once() {
        let not_ours = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let err = listen(not_ours, Some(50000..=50010)).unwrap_err();
        assert!(matches!(&err, Error::Io(e) if e.kind() == io::ErrorKind::AddrNotAvailable));
    }

    #[test]
    fn accept_times_out_naming_the_phase() {
        let listener = listen(LOCALHOST, None).unwrap();
        let started = Instant::now();
        let err = accept(&listener, Some(LOCALHOST), SHORT).unwrap_err();
        let waited = started.elapsed();
        assert!(matches!(err, Error::Timeout(Phase::Accept)), "{err}");
        assert!(waited >= SHORT && waited < SHORT * 10, "waited {waited:?}");
    }

    #[test]
    fn accept_takes_the_expected_peer_and_returns_a_blocking_stream() {
        let listener = listen(LOCALHOST, None).unwrap();
        let mut client = connect(listener.local_addr().unwrap(), LONG).unwrap();
        let mut server = accept(&listener, Some(LOCALHOST), LONG).unwrap();
        client.write_all(b"hello").unwrap();
        let mut got = [0; 5];
        server.read_exact(&mut got).unwrap(); // WouldBlock here if non-blocking
        assert_eq!(&got, b"hello");
        // The listener is blocking again: accept waits for a late peer.
        let addr = listener.local_addr().unwrap();
        let late = thread::spawn(move || {
            thread::sleep(SHORT);
            connect(addr, LONG).map(drop)
        });
        assert!(listener.accept().is_ok());
        late.join().unwrap().unwrap();
    }

    #[test]
    fn accept_is_quick_when_the_peer_is() {
        let listener = listen(LOCALHOST, None).unwrap();
        let addr = listener.local_addr().unwrap();
        let connector = thread::spawn(move || connect(addr, LONG).map(drop));
        let started = Instant::now();
        accept(&listener, None, LONG).unwrap();
        assert!(started.elapsed() < Duration::from_millis(500));
        connector.join().unwrap().unwrap();
    }

    #[test]
    fn accept_refuses_a_foreign_peer_and_goes_on_waiting() {
        let listener = listen(LOCALHOST, None).unwrap();
        let mut thief = connect(listener.local_addr().unwrap(), LONG).unwrap();
        let expected = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
        let mut refused = Vec::new();
        let err = accept_with(&listener, Some(expected), SHORT, &mut |peer| {
            refused.push(peer)
        })
        .unwrap_err();
        assert!(matches!(err, Error::Timeout(Phase::Accept)), "{err}");
        assert_eq!(refused, [thief.local_addr().unwrap()]);
        thief.set_read_timeout(Some(LONG)).unwrap();
        let closed = thief.read(&mut [0; 1]);
        assert!(matches!(closed, Ok(0)) || closed.is_err(), "{closed:?}");
    }

    #[test]
    fn ipv4_mapped_addresses_equal_their_ipv4_form() {
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped());
        let plain = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        assert!(is_expected(mapped, Some(plain)));
        assert!(is_expected(plain, Some(mapped)));
        assert!(!is_expected(plain, Some(LOCALHOST)));
        assert!(is_expected(plain, None));
    }

    #[test]
    fn connect_to_a_closed_port_is_refused() {
        let addr = listen(LOCALHOST, None).unwrap().local_addr().unwrap();
        let err = connect(addr, LONG).unwrap_err();
        assert!(matches!(&err, Error::Io(e) if e.kind() == io::ErrorKind::ConnectionRefused));
    }

    #[test]
    fn connect_times_out_naming_the_phase() {
        // Once a listener's accept queue is full, Linux drops further SYNs, so
        // the next connect waits for an answer that does not come in time.
        let listener = listen(LOCALHOST, None).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut queued = Vec::new();
        let outcome = loop {
            assert!(queued.len() < 5000, "the accept queue never filled");
            match connect(addr, Duration::from_millis(200)) {
                Ok(stream) => queued.push(stream),
                Err(err) => break err,
            }
        };
        assert!(
            matches!(outcome, Error::Timeout(Phase::Connect)),
            "{outcome}"
        );
    }

    /// Binds `[::1]`, or says why the IPv6 tests cannot run here.
    fn ipv6_loopback() -> Option<TcpListener> {
        let bound = listen(IpAddr::V6(Ipv6Addr::LOCALHOST), None);
        if let Err(err) = &bound {
            println!("skipped: no IPv6 loopback on this machine ({err})");
        }
        bound.ok()
    }

    #[test]
    fn ipv6_loopback_listen_accept_connect() {
        let Some(listener) = ipv6_loopback() else {
            return;
        };
        let addr = listener.local_addr().unwrap();
        let _client = connect(addr, LONG).unwrap();
        let server = accept(&listener, Some(IpAddr::V6(Ipv6Addr::LOCALHOST)), LONG).unwrap();
        assert_eq!(server.peer_addr().unwrap().ip(), Ipv6Addr::LOCALHOST);
    }

    #[test]
    fn dual_stack_listener_refuses_ipv6_thief_then_takes_mapped_ipv4_peer() {
        if ipv6_loopback().is_none() {
            return;
        }
        let Ok(listener) = listen(IpAddr::V6(Ipv6Addr::UNSPECIFIED), None) else {
            println!("skipped: no dual-stack listener on this machine");
            return;
        };
        let port = port_of(&listener);
        let thief = connect((Ipv6Addr::LOCALHOST, port).into(), LONG).unwrap();
        let Ok(peer) = connect((Ipv4Addr::LOCALHOST, port).into(), LONG) else {
            println!("skipped: the IPv6 listener does not take IPv4 connections here");
            return;
        };
        let mut refused = Vec::new();
        let server = accept_with(&listener, Some(LOCALHOST), LONG, &mut |addr| {
            refused.push(addr)
        })
        .unwrap();
        assert_eq!(refused, [thief.local_addr().unwrap()]);
        assert_eq!(
            server.peer_addr().unwrap().port(),
            peer.local_addr().unwrap().port()
        );
    }
}
