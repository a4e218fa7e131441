//! STUB — API fixed, bodies to be written (helper: addr).
#![allow(missing_docs)] // stub: remove when the module is written
use std::net::{SocketAddr, SocketAddrV4};
use crate::Error;

/// `h1,h2,h3,h4,p1,p2`.
pub fn format_host_port(addr: SocketAddrV4) -> String { let _ = addr; String::new() }
/// Parses `h1,h2,h3,h4,p1,p2` exactly (PORT argument).
pub fn parse_host_port(s: &str) -> Result<SocketAddrV4, Error> { let _ = s; Err(Error::syntax("PORT address", "stub")) }
/// Finds `h1,h2,h3,h4,p1,p2` anywhere in a 227 reply text.
pub fn parse_pasv_reply(text: &str) -> Result<SocketAddrV4, Error> { let _ = text; Err(Error::syntax("227 reply", "stub")) }
/// The full 227 text: `Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
pub fn format_pasv_reply(addr: SocketAddrV4) -> String { let _ = addr; String::new() }
/// EPRT argument `|1|ip|port|` / `|2|ip|port|`.
pub fn format_eprt(addr: SocketAddr) -> String { let _ = addr; String::new() }
/// Parses an EPRT argument with any delimiter in ASCII 33..=126.
pub fn parse_eprt(s: &str) -> Result<SocketAddr, Error> { let _ = s; Err(Error::syntax("EPRT address", "stub")) }
/// The full 229 text: `Entering Extended Passive Mode (|||port|)`.
pub fn format_epsv_reply(port: u16) -> String { let _ = port; String::new() }
/// Finds `(<d><d><d>port<d>)` in a 229 reply text and returns the port.
pub fn parse_epsv_reply(text: &str) -> Result<u16, Error> { let _ = text; Err(Error::syntax("229 reply", "stub")) }
