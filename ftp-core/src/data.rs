//! STUB — API fixed, bodies to be written (helper: data).
#![allow(missing_docs)] // stub: remove when the module is written
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::ops::RangeInclusive;
use std::time::Duration;
use crate::Error;

/// Listens on `ip`, on a port from `ports` (skipping busy ones) or an OS-chosen port.
pub fn listen(ip: IpAddr, ports: Option<RangeInclusive<u16>>) -> Result<TcpListener, Error> { let _ = (ip, ports); Err(Error::ConnectionClosed) }
/// Accepts one connection from `expected_peer` (others are closed; waiting goes on) within `timeout`.
pub fn accept(listener: &TcpListener, expected_peer: Option<IpAddr>, timeout: Duration) -> Result<TcpStream, Error> { let _ = (listener, expected_peer, timeout); Err(Error::ConnectionClosed) }
/// Connects to `addr` within `timeout`.
pub fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, Error> { let _ = (addr, timeout); Err(Error::ConnectionClosed) }
