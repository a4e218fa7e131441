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
//! Sending on a data connection is bounded as a whole, not per write:
//! [`SendTimeout`] (in `data/stall.rs`) ends a send that has moved nothing for
//! the timeout, however the kernel splits the waiting into short writes.
//!
//! This module neither sends the `PORT`/`PASV` commands nor formats addresses
//! ([`crate::protocol::addr`] does that), and it does not move any data ([`crate::io::transfer`]).

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::ops::RangeInclusive;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Phase};

mod stall;

pub use stall::SendTimeout;

/// Listens on `ip`, on a port from `ports` (skipping busy ones) or an OS-chosen port.
///
/// With a range, every port in it is tried once, starting at a point that
/// varies from call to call (so that concurrent sessions do not all race for
/// the first port) and wrapping around. Ports that are in use or not permitted
/// (below 1024 without privileges) are skipped; port 0 is never used, as it
/// would let the OS pick a port outside the range. Without a range, a port of
/// the usual ephemeral range (32768-60999) is picked the same way, and the OS
/// chooses only if all of those are taken.
///
/// # Errors
///
/// An [`Error::Io`] of kind `AddrInUse` saying `no free port in 50000-50010`
/// when every port is taken (or the range is empty); any other bind error, such
/// as an `ip` that is not an address of this machine, at once.
pub fn listen(ip: IpAddr, ports: Option<RangeInclusive<u16>>) -> Result<TcpListener, Error> {
    let Some(ports) = ports else {
        return listen_in(ip, ANY_PORT).or_else(|_| {
            TcpListener::bind((ip, 0)).map_err(|err| Error::from_io(err, Phase::Accept))
        });
    };
    listen_in(ip, ports)
}

/// Where a listener goes when no range is given: Linux's default ephemeral
/// range, probed from a varying point. Binding a chosen port costs one lookup;
/// asking the OS for port 0 makes it search, and with `SO_REUSEADDR` (which
/// std sets) it skips every port that has a socket in TIME_WAIT: after
/// thousands of transfers, milliseconds per listener (docs/performance.md).
/// Port 0 remains the fallback if every port here is taken.
const ANY_PORT: RangeInclusive<u16> = 32768..=60999;

/// [`listen`] on a port of `ports`, each tried once from a varying start.
fn listen_in(ip: IpAddr, ports: RangeInclusive<u16>) -> Result<TcpListener, Error> {
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
/// The wait is a blocking `accept` bounded by the listener's receive timeout
/// (see `set_accept_timeout`), so a connection is taken as soon as it arrives.
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
    let accepted = accept_until(listener, expected_peer, timeout, on_refused);
    // Leave the listener as it was: no timeout on a later accept.
    let restored = set_accept_timeout(listener, None);
    let stream = accepted?;
    restored.map_err(|err| Error::from_io(err, Phase::Accept))?;
    Ok(stream)
}

/// The waiting of [`accept_with`]: blocking accepts, each bounded by the time
/// left, until the expected peer connects.
fn accept_until(
    listener: &TcpListener,
    expected_peer: Option<IpAddr>,
    timeout: Duration,
    on_refused: &mut dyn FnMut(SocketAddr),
) -> Result<TcpStream, Error> {
    let to_error = |err: io::Error| Error::from_io(err, Phase::Accept);
    // A timeout too large to add to the clock means no deadline.
    let deadline = Instant::now().checked_add(timeout);
    loop {
        let left = match deadline {
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => return Err(Error::Timeout(Phase::Accept)),
            },
            None => None,
        };
        set_accept_timeout(listener, left).map_err(to_error)?;
        match listener.accept() {
            Ok((stream, peer)) if is_expected(peer.ip(), expected_peer) => {
                // Some systems let an accepted socket inherit the listener's
                // timeout (Linux does not); the caller sets its own.
                stream.set_read_timeout(None).map_err(to_error)?;
                return Ok(stream);
            }
            Ok((stream, peer)) => {
                drop(stream);
                on_refused(peer);
            }
            // A signal, or a peer that gave up before we took its connection.
            Err(err) if is_transient_accept_error(&err) => continue,
            // An expired timeout comes back as WouldBlock: Timeout(Accept).
            Err(err) => return Err(to_error(err)),
        }
    }
}

/// The connection from `expected_peer` that is already waiting on
/// `listener`, if there is one, without waiting; connections from other
/// addresses are closed on the way (`on_refused` is told).
///
/// A server uses this to tell a client that has connected already (send the
/// `150` with the data) from one that will connect once it has seen the
/// `150` (send it first).
///
/// # Errors
///
/// [`Error::Io`] when the listener fails.
pub fn accept_ready(
    listener: &TcpListener,
    expected_peer: Option<IpAddr>,
    on_refused: &mut dyn FnMut(SocketAddr),
) -> Result<Option<TcpStream>, Error> {
    let to_error = |err: io::Error| Error::from_io(err, Phase::Accept);
    listener.set_nonblocking(true).map_err(to_error)?;
    let found = loop {
        match listener.accept() {
            Ok((stream, peer)) if is_expected(peer.ip(), expected_peer) => break Ok(Some(stream)),
            Ok((stream, peer)) => {
                drop(stream);
                on_refused(peer);
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => break Ok(None),
            Err(err) if is_transient_accept_error(&err) => {}
            Err(err) => break Err(to_error(err)),
        }
    };
    listener.set_nonblocking(false).map_err(to_error)?;
    // An accepted socket does not inherit the listener's mode on Linux; be sure.
    if let Ok(Some(stream)) = &found {
        stream.set_nonblocking(false).map_err(to_error)?;
    }
    found
}

/// Bounds how long `accept` on `listener` blocks (`None`: no bound).
///
/// `std` has no accept timeout, but on Linux (and the BSDs) a listening
/// socket's receive timeout (`SO_RCVTIMEO`) bounds `accept`. `std` sets that
/// option only through a `TcpStream`, so it is set on a duplicate of the
/// listener's descriptor viewed as one — same socket, and no `unsafe`. The
/// wait is then a plain blocking `accept`: the connection is taken the moment
/// it arrives, with no polling delay.
fn set_accept_timeout(listener: &TcpListener, timeout: Option<Duration>) -> io::Result<()> {
    let duplicate = OwnedFd::from(listener.try_clone()?);
    TcpStream::from(duplicate).set_read_timeout(timeout)
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
    use std::thread;

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
    fn listen_without_a_range_picks_a_port_of_the_ephemeral_range() {
        let ports: Vec<u16> = (0..20)
            .map(|_| port_of(&listen(LOCALHOST, None).unwrap()))
            .collect();
        assert!(
            ports.iter().all(|port| ANY_PORT.contains(port)),
            "{ports:?}"
        );
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
    fn accept_ready_takes_a_waiting_peer_and_never_waits() {
        let listener = listen(LOCALHOST, None).expect("listen");
        let addr = listener.local_addr().expect("addr");
        let started = Instant::now();
        let none = accept_ready(&listener, Some(LOCALHOST), &mut |_| panic!("refused"));
        assert!(none.expect("no error").is_none());
        assert!(started.elapsed() < SHORT, "it did not wait");
        let foreign = TcpStream::connect(addr).expect("connect");
        let client = TcpStream::connect(addr).expect("connect");
        let other: IpAddr = "127.0.0.2".parse().expect("ip");
        // Seen from 127.0.0.2's point of view, both come from a foreign peer.
        let mut refused = 0;
        let got = accept_ready(&listener, Some(other), &mut |_| refused += 1).expect("accept");
        assert!(got.is_none() && refused == 2, "{refused}");
        drop((foreign, client));
        let client = TcpStream::connect(addr).expect("connect");
        let mut stream = accept_ready(&listener, Some(LOCALHOST), &mut |_| panic!("refused"))
            .expect("accept")
            .expect("the waiting client");
        (&client).write_all(b"x").expect("write");
        let mut byte = [0u8];
        stream
            .read_exact(&mut byte)
            .expect("a blocking stream reads");
        // The listener is blocking again for later accepts.
        let later = accept(&listener, None, SHORT);
        assert!(
            matches!(later, Err(Error::Timeout(Phase::Accept))),
            "{later:?}"
        );
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
        // Nor does it keep the timeout the wait used.
        assert_eq!(server.read_timeout().unwrap(), None);
        // The listener is as it was: accept waits for a late peer, unbounded.
        assert_eq!(
            TcpStream::from(OwnedFd::from(listener.try_clone().unwrap()))
                .read_timeout()
                .unwrap(),
            None
        );
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
