//! Fuzzes the address forms of `ftp_core::protocol::addr`: PORT's `h1,...,p2`, the 227
//! reply, EPRT's `|af|address|port|` and the 229 reply.
//!
//! Properties: no parser panics; whatever a parser accepts, the matching
//! format function writes in a form the parser reads back to the same
//! address; and any address made from the input's bytes survives format
//! then parse. Which addresses a server accepts is the session's business.
#![no_main]

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use ftp_core::protocol::addr::{
    format_eprt, format_epsv_reply, format_host_port, format_pasv_reply, parse_eprt,
    parse_epsv_reply, parse_host_port, parse_pasv_reply,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(addr) = parse_host_port(&text) {
        check_v4(addr);
    }
    if let Ok(addr) = parse_pasv_reply(&text) {
        check_v4(addr);
    }
    if let Ok(addr) = parse_eprt(&text) {
        check_eprt(addr);
    }
    if let Ok(port) = parse_epsv_reply(&text) {
        check_epsv(port);
    }
    built_from_bytes(data);
});

/// An IPv4 address with a port survives the PORT form and the 227 form.
fn check_v4(addr: SocketAddrV4) {
    let port_arg = format_host_port(addr);
    assert_eq!(parse_host_port(&port_arg).ok(), Some(addr), "{port_arg}");
    let pasv = format_pasv_reply(addr);
    assert_eq!(parse_pasv_reply(&pasv).ok(), Some(addr), "{pasv}");
}

/// An address survives the EPRT form.
fn check_eprt(addr: SocketAddr) {
    let eprt = format_eprt(addr);
    assert_eq!(parse_eprt(&eprt).ok(), Some(addr), "{eprt}");
}

/// A port survives the 229 form.
fn check_epsv(port: u16) {
    let epsv = format_epsv_reply(port);
    assert_eq!(parse_epsv_reply(&epsv).ok(), Some(port), "{epsv}");
}

/// Addresses made of the first bytes of the input, in every form that can
/// carry them. Port 0 is refused by every parser, so it is skipped.
fn built_from_bytes(data: &[u8]) {
    let Some((&[a, b, c, d, p1, p2], rest)) = data.split_first_chunk::<6>() else {
        return;
    };
    let port = u16::from_be_bytes([p1, p2]);
    if port == 0 {
        return;
    }
    let v4 = SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), port);
    check_v4(v4);
    check_eprt(SocketAddr::V4(v4));
    check_epsv(port);
    if let Some((v6, _)) = rest.split_first_chunk::<16>() {
        let ip = Ipv6Addr::from(*v6);
        check_eprt(SocketAddr::V6(SocketAddrV6::new(ip, port, 0, 0)));
    }
}
