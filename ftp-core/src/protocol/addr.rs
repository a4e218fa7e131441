//! Data-connection addresses in the three text forms FTP uses.
//!
//! | form | where | functions |
//! |---|---|---|
//! | `h1,h2,h3,h4,p1,p2` | PORT argument, 227 reply (RFC 959) | [`format_host_port`], [`parse_host_port`], [`format_pasv_reply`], [`parse_pasv_reply`] |
//! | `<d>af<d>address<d>port<d>` | EPRT argument (RFC 2428) | [`format_eprt`], [`parse_eprt`] |
//! | `(<d><d><d>port<d>)` | 229 reply to EPSV (RFC 2428) | [`format_epsv_reply`], [`parse_epsv_reply`] |
//!
//! Parsing is strict where the text comes from a command (octets up to 255, a
//! port from 1 to 65535, an address that matches its family) and searching
//! where it comes from a reply, because servers word their 227 and 229 texts
//! differently.
//!
//! ```
//! use std::net::SocketAddrV4;
//! use ftp_core::protocol::addr::{format_host_port, parse_pasv_reply};
//!
//! let addr = parse_pasv_reply("Entering Passive Mode (127,0,0,1,4,1).")?;
//! assert_eq!(addr, "127.0.0.1:1025".parse::<SocketAddrV4>().unwrap());
//! assert_eq!(format_host_port(addr), "127,0,0,1,4,1");
//! # Ok::<(), ftp_core::Error>(())
//! ```
//!
//! This module only converts text. Whether an address is acceptable (the
//! server refuses PORT to a third host and ports below 1024, and decides what
//! an unspecified EPRT address means) is the caller's decision; opening the
//! connection is [`crate::io::data`]'s job.

use std::fmt::Display;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::str::FromStr;

use crate::error::Error;

/// What a PORT argument is called in error messages.
const PORT_ARGUMENT: &str = "PORT address";
/// What a 227 reply text is called in error messages.
const PASV_REPLY: &str = "227 reply";
/// What an EPRT argument is called in error messages.
const EPRT_ARGUMENT: &str = "EPRT address";
/// What a 229 reply text is called in error messages.
const EPSV_REPLY: &str = "229 reply";

/// Formats an IPv4 address and port as `h1,h2,h3,h4,p1,p2`, where the port is
/// `p1 * 256 + p2`.
pub fn format_host_port(addr: SocketAddrV4) -> String {
    let [h1, h2, h3, h4] = addr.ip().octets();
    let [p1, p2] = addr.port().to_be_bytes();
    format!("{h1},{h2},{h3},{h4},{p1},{p2}")
}

/// Parses a PORT argument: exactly six comma-separated decimal numbers
/// `h1,h2,h3,h4,p1,p2`, spaces around the whole allowed, each number from 0
/// to 255 (leading zeros are decimal, not octal), and a port
/// `p1 * 256 + p2` that is not 0.
pub fn parse_host_port(s: &str) -> Result<SocketAddrV4, Error> {
    host_port(PORT_ARGUMENT, s.trim())
}

/// Finds `h1,h2,h3,h4,p1,p2` anywhere in the text of a 227 reply and checks
/// it as [`parse_host_port`] does.
///
/// Servers vary: `Entering Passive Mode (127,0,0,1,4,1).`, the same without
/// parentheses or the final dot, `Entering Passive Mode=127,0,0,1,4,1`. The
/// first run of exactly six comma-separated numbers is taken; runs of more
/// or fewer numbers are skipped.
pub fn parse_pasv_reply(text: &str) -> Result<SocketAddrV4, Error> {
    let found = text
        .split(|c: char| !c.is_ascii_digit() && c != ',')
        .map(|run| run.trim_matches(','))
        .find(|run| run.split(',').count() == 6 && !run.split(',').any(str::is_empty));
    match found {
        Some(run) => host_port(PASV_REPLY, run),
        None => Err(Error::syntax(
            PASV_REPLY,
            format!("no h1,h2,h3,h4,p1,p2 in {text:?}"),
        )),
    }
}

/// The text of a 227 reply, exactly as real clients expect it:
/// `Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
pub fn format_pasv_reply(addr: SocketAddrV4) -> String {
    format!("Entering Passive Mode ({}).", format_host_port(addr))
}

/// Formats an EPRT argument: `|1|127.0.0.1|2121|` or `|2|::1|2121|`. An IPv6
/// scope id has no place in the format and is left out.
pub fn format_eprt(addr: SocketAddr) -> String {
    let af = match addr {
        SocketAddr::V4(_) => 1,
        SocketAddr::V6(_) => 2,
    };
    format!("|{af}|{}|{}|", addr.ip(), addr.port())
}

/// Parses an EPRT argument `<d>af<d>address<d>port<d>` (RFC 2428).
///
/// The delimiter `d` is the first character, any ASCII character from 33 to
/// 126. `af` is 1 for IPv4 or 2 for IPv6 and must match the address; any
/// other `af` is [`Error::UnsupportedFamily`] (a server answers 522). The port must be 1 to 65535. The unspecified address
/// (`|2|::|port|`, sent by lftp) is accepted: what it means is up to the
/// server.
pub fn parse_eprt(s: &str) -> Result<SocketAddr, Error> {
    let s = s.trim();
    let delimiter = leading_delimiter(s)?;
    let fields: Vec<&str> = s[1..].split(char::from(delimiter)).collect();
    let [af, address, port, ""] = fields[..] else {
        let d = char::from(delimiter);
        return Err(Error::syntax(
            EPRT_ARGUMENT,
            format!("expected {d}af{d}address{d}port{d}, got {s:?}"),
        ));
    };
    let ip = eprt_ip(af, address)?;
    let port = nonzero_port(
        EPRT_ARGUMENT,
        decimal(EPRT_ARGUMENT, "port", port, u16::MAX)?,
    )?;
    Ok(SocketAddr::new(ip, port))
}

/// The text of a 229 reply, exactly as real clients expect it:
/// `Entering Extended Passive Mode (|||port|)`
pub fn format_epsv_reply(port: u16) -> String {
    format!("Entering Extended Passive Mode (|||{port}|)")
}

/// Finds `(<d><d><d>port<d>)` anywhere in the text of a 229 reply, with the
/// same delimiter `d` (any ASCII character from 33 to 126) four times, and
/// returns the port, which must be 1 to 65535.
pub fn parse_epsv_reply(text: &str) -> Result<u16, Error> {
    let port = text
        .match_indices('(')
        .find_map(|(open, _)| epsv_port_field(&text[open + 1..]))
        .ok_or_else(|| Error::syntax(EPSV_REPLY, format!("no (|||port|) in {text:?}")))?;
    nonzero_port(EPSV_REPLY, decimal(EPSV_REPLY, "port", port, u16::MAX)?)
}

/// Checks six comma-separated numbers and builds the address they describe.
fn host_port(what: &'static str, s: &str) -> Result<SocketAddrV4, Error> {
    let fields: Vec<&str> = s.split(',').collect();
    let [h1, h2, h3, h4, p1, p2] = fields[..] else {
        return Err(Error::syntax(
            what,
            format!(
                "expected six comma-separated numbers h1,h2,h3,h4,p1,p2, got {}",
                fields.len()
            ),
        ));
    };
    let octet = |field| decimal(what, "octet", field, u8::MAX);
    let ip = Ipv4Addr::new(octet(h1)?, octet(h2)?, octet(h3)?, octet(h4)?);
    let port_byte = |field| decimal(what, "port byte", field, u8::MAX);
    let port = u16::from_be_bytes([port_byte(p1)?, port_byte(p2)?]);
    Ok(SocketAddrV4::new(ip, nonzero_port(what, port)?))
}

/// Parses a field of decimal digits (no sign, no spaces) into a number no
/// larger than `max`, the largest value of its type; `name` names the field
/// in error messages.
fn decimal<T: FromStr + Display>(
    what: &'static str,
    name: &str,
    field: &str,
    max: T,
) -> Result<T, Error> {
    if field.is_empty() || !field.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(Error::syntax(
            what,
            format!("{name} {field:?} is not a decimal number"),
        ));
    }
    // Only digits, so the one way to fail is a value over the type's maximum.
    field
        .parse()
        .map_err(|_| Error::syntax(what, format!("{name} {field} is over {max}")))
}

/// Refuses port 0, which cannot be connected to.
fn nonzero_port(what: &'static str, port: u16) -> Result<u16, Error> {
    if port == 0 {
        return Err(Error::syntax(what, "port 0 is not allowed"));
    }
    Ok(port)
}

/// Whether `byte` may delimit EPRT and EPSV fields: ASCII 33 to 126.
fn is_delimiter(byte: u8) -> bool {
    (33..=126).contains(&byte)
}

/// The EPRT delimiter: the first character of `s`, which must be allowed.
fn leading_delimiter(s: &str) -> Result<u8, Error> {
    let first = s
        .chars()
        .next()
        .ok_or_else(|| Error::syntax(EPRT_ARGUMENT, "empty argument"))?;
    match u8::try_from(first) {
        Ok(byte) if is_delimiter(byte) => Ok(byte),
        _ => Err(Error::syntax(
            EPRT_ARGUMENT,
            format!("delimiter {first:?} is not a printable ASCII character"),
        )),
    }
}

/// Checks the EPRT address family and the address, which must match.
fn eprt_ip(af: &str, address: &str) -> Result<IpAddr, Error> {
    let want_ipv6 = match af {
        "1" => false,
        "2" => true,
        _ => {
            return Err(Error::UnsupportedFamily {
                family: af.to_string(),
            })
        }
    };
    let ip: IpAddr = address
        .parse()
        .map_err(|_| Error::syntax(EPRT_ARGUMENT, format!("{address:?} is not an IP address")))?;
    if ip.is_ipv6() != want_ipv6 {
        let family = if ip.is_ipv6() { "IPv6" } else { "IPv4" };
        return Err(Error::syntax(
            EPRT_ARGUMENT,
            format!("address family {af} with an {family} address"),
        ));
    }
    Ok(ip)
}

/// The port field of `<d><d><d>port<d>)` at the start of `text`, if it has
/// that shape.
fn epsv_port_field(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let delimiter = *bytes.first()?;
    if !is_delimiter(delimiter) || bytes.get(1..3)? != [delimiter, delimiter] {
        return None;
    }
    // The first three bytes are ASCII, so byte 3 starts a character.
    let rest = &text[3..];
    let end = rest.find(char::from(delimiter))?;
    rest[end + 1..].starts_with(')').then(|| &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::XorShift;
    use std::net::{Ipv6Addr, SocketAddrV6};

    fn v4(s: &str) -> SocketAddrV4 {
        s.parse().expect("test address")
    }

    fn sock(s: &str) -> SocketAddr {
        s.parse().expect("test address")
    }

    /// The Display text of the error `result` must be.
    fn error_text<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
        match result {
            Err(err @ Error::Syntax { .. }) => err.to_string(),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn host_port_formats() {
        assert_eq!(format_host_port(v4("127.0.0.1:1025")), "127,0,0,1,4,1");
        assert_eq!(
            format_host_port(v4("192.168.1.2:65535")),
            "192,168,1,2,255,255"
        );
        assert_eq!(format_host_port(v4("10.0.0.1:256")), "10,0,0,1,1,0");
        assert_eq!(format_host_port(v4("0.0.0.0:1")), "0,0,0,0,0,1");
    }

    #[test]
    fn port_arguments_parse() {
        assert_eq!(
            parse_host_port("127,0,0,1,4,1").unwrap(),
            v4("127.0.0.1:1025")
        );
        assert_eq!(
            parse_host_port("  10,0,0,5,0,21 ").unwrap(),
            v4("10.0.0.5:21")
        );
        assert_eq!(
            parse_host_port("255,255,255,255,255,255").unwrap(),
            v4("255.255.255.255:65535")
        );
        // Leading zeros are decimal.
        assert_eq!(
            parse_host_port("010,000,000,001,004,001").unwrap(),
            v4("10.0.0.1:1025")
        );
    }

    #[test]
    fn port_argument_errors_say_what_is_wrong() {
        let cases = [
            (
                "",
                "expected six comma-separated numbers h1,h2,h3,h4,p1,p2, got 1",
            ),
            (
                "1,2,3,4,5",
                "expected six comma-separated numbers h1,h2,h3,h4,p1,p2, got 5",
            ),
            (
                "1,2,3,4,5,6,7",
                "expected six comma-separated numbers h1,h2,h3,h4,p1,p2, got 7",
            ),
            ("300,0,0,1,4,1", "octet 300 is over 255"),
            (
                "1,2,3,99999999999999999999,4,1",
                "octet 99999999999999999999 is over 255",
            ),
            ("1,2,3,4,256,0", "port byte 256 is over 255"),
            ("1,2,3,4,0,0", "port 0 is not allowed"),
            ("1,2,3,4,5,", "port byte \"\" is not a decimal number"),
            ("1,2,3,4,a,1", "port byte \"a\" is not a decimal number"),
            ("+1,2,3,4,5,6", "octet \"+1\" is not a decimal number"),
            ("1 ,2,3,4,5,6", "octet \"1 \" is not a decimal number"),
            ("1,2,3,4,5,-6", "port byte \"-6\" is not a decimal number"),
        ];
        for (input, detail) in cases {
            let text = error_text(parse_host_port(input));
            assert_eq!(text, format!("invalid PORT address: {detail}"), "{input:?}");
        }
    }

    #[test]
    fn pasv_replies_seen_in_the_wild() {
        let expected = v4("127.0.0.1:1025");
        let texts = [
            "Entering Passive Mode (127,0,0,1,4,1).",
            "Entering Passive Mode (127,0,0,1,4,1)",
            "Entering Passive Mode 127,0,0,1,4,1",
            "Entering Passive Mode=127,0,0,1,4,1",
            "=127,0,0,1,4,1",
            "127,0,0,1,4,1",
            "Entering passive mode. 127,0,0,1,4,1",
            "Data transfer will passively listen to 127,0,0,1,4,1",
            "Entering Passive Mode (127,0,0,1,4,1). Version 1,2 of 3",
            "Passive 1,2,3 mode, (127,0,0,1,4,1),",
        ];
        for text in texts {
            assert_eq!(parse_pasv_reply(text).unwrap(), expected, "{text:?}");
        }
    }

    #[test]
    fn pasv_reply_errors() {
        let cases = [
            (
                "Entering Passive Mode",
                "no h1,h2,h3,h4,p1,p2 in \"Entering Passive Mode\"",
            ),
            (
                "(127,0,0,1,4,1,9)",
                "no h1,h2,h3,h4,p1,p2 in \"(127,0,0,1,4,1,9)\"",
            ),
            ("(127,0,0,1,4)", "no h1,h2,h3,h4,p1,p2 in \"(127,0,0,1,4)\""),
            (
                "(127,0,0,1,,4,1)",
                "no h1,h2,h3,h4,p1,p2 in \"(127,0,0,1,,4,1)\"",
            ),
            (
                "Entering Passive Mode (300,0,0,1,4,1).",
                "octet 300 is over 255",
            ),
            (
                "Entering Passive Mode (127,0,0,1,0,0).",
                "port 0 is not allowed",
            ),
        ];
        for (text, detail) in cases {
            let message = error_text(parse_pasv_reply(text));
            assert_eq!(message, format!("invalid 227 reply: {detail}"), "{text:?}");
        }
    }

    #[test]
    fn pasv_reply_text_is_exact() {
        assert_eq!(
            format_pasv_reply(v4("192.168.0.10:50000")),
            "Entering Passive Mode (192,168,0,10,195,80)."
        );
    }

    #[test]
    fn eprt_formats() {
        assert_eq!(format_eprt(sock("127.0.0.1:2121")), "|1|127.0.0.1|2121|");
        assert_eq!(format_eprt(sock("[::1]:2121")), "|2|::1|2121|");
        let scoped = SocketAddrV6::new(Ipv6Addr::LOCALHOST, 21, 0, 7);
        assert_eq!(format_eprt(scoped.into()), "|2|::1|21|");
    }

    #[test]
    fn rfc2428_eprt_examples() {
        assert_eq!(
            parse_eprt("|1|132.235.1.2|6275|").unwrap(),
            sock("132.235.1.2:6275")
        );
        assert_eq!(
            parse_eprt("|2|1080::8:800:200C:417A|5282|").unwrap(),
            sock("[1080::8:800:200c:417a]:5282")
        );
    }

    #[test]
    fn eprt_accepts_any_printable_delimiter_and_the_unspecified_address() {
        assert_eq!(parse_eprt("!1!10.0.0.1!21!").unwrap(), sock("10.0.0.1:21"));
        assert_eq!(parse_eprt("~2~::1~65535~").unwrap(), sock("[::1]:65535"));
        assert_eq!(parse_eprt("\"1\"1.2.3.4\"5\"").unwrap(), sock("1.2.3.4:5"));
        assert_eq!(parse_eprt(" |2|::|5000| ").unwrap(), sock("[::]:5000"));
    }

    #[test]
    fn eprt_errors_say_what_is_wrong() {
        let cases = [
            ("", "empty argument"),
            (
                "\u{7f}1\u{7f}1.2.3.4\u{7f}21\u{7f}",
                "delimiter '\\u{7f}' is not a printable ASCII character",
            ),
            (
                "é1é1.2.3.4é21é",
                "delimiter 'é' is not a printable ASCII character",
            ),
            (
                "|1|1.2.3.4|21",
                "expected |af|address|port|, got \"|1|1.2.3.4|21\"",
            ),
            (
                "|1|1.2.3.4|21|x",
                "expected |af|address|port|, got \"|1|1.2.3.4|21|x\"",
            ),
            (
                "|1|1.2.3.4|21||",
                "expected |af|address|port|, got \"|1|1.2.3.4|21||\"",
            ),
            ("|1|::1|21|", "address family 1 with an IPv6 address"),
            ("|2|127.0.0.1|21|", "address family 2 with an IPv4 address"),
            ("|1|1.2.3|21|", "\"1.2.3\" is not an IP address"),
            (
                "|2|fe80::1%eth0|21|",
                "\"fe80::1%eth0\" is not an IP address",
            ),
            ("|1|1.2.3.4|0|", "port 0 is not allowed"),
            ("|1|1.2.3.4|65536|", "port 65536 is over 65535"),
            ("|1|1.2.3.4||", "port \"\" is not a decimal number"),
            ("|1|1.2.3.4|+21|", "port \"+21\" is not a decimal number"),
        ];
        for (input, detail) in cases {
            let text = error_text(parse_eprt(input));
            assert_eq!(text, format!("invalid EPRT address: {detail}"), "{input:?}");
        }
    }

    #[test]
    fn an_unknown_family_says_which() {
        for (input, family) in [("|3|1.2.3.4|21|", "3"), ("||1.2.3.4|21|", "")] {
            let err = parse_eprt(input).expect_err("unknown family");
            assert!(matches!(&err, Error::UnsupportedFamily { family: f } if f == family));
            assert_eq!(
                err.to_string(),
                format!("unsupported network protocol {family:?} (1 is IPv4, 2 is IPv6)")
            );
        }
    }

    #[test]
    fn only_an_unknown_family_is_an_unsupported_protocol() {
        let unsupported = |input| matches!(parse_eprt(input), Err(Error::UnsupportedFamily { .. }));
        assert!(unsupported("|3|1.2.3.4|21|"));
        assert!(!unsupported("|1|::1|21|"));
        assert!(!unsupported("|1|1.2.3.4|0|"));
    }

    #[test]
    fn epsv_reply_text_is_exact() {
        assert_eq!(
            format_epsv_reply(6446),
            "Entering Extended Passive Mode (|||6446|)"
        );
    }

    #[test]
    fn epsv_replies_parse() {
        let cases = [
            ("Entering Extended Passive Mode (|||6446|)", 6446),
            ("Entering Extended Passive Mode (|||6446|).", 6446),
            ("(!!!21!)", 21),
            ("Extended (passive) mode (###65535#) ok", 65535),
            ("((((1()", 1),
        ];
        for (text, port) in cases {
            assert_eq!(parse_epsv_reply(text).unwrap(), port, "{text:?}");
        }
    }

    #[test]
    fn epsv_reply_errors() {
        let none = |text: &str| format!("no (|||port|) in {text:?}");
        let cases = [
            (
                "Entering Extended Passive Mode",
                none("Entering Extended Passive Mode"),
            ),
            ("(||6446|)", none("(||6446|)")),
            ("(|||6446!)", none("(|||6446!)")),
            ("(|!|6446|)", none("(|!|6446|)")),
            ("(|||6446|", none("(|||6446|")),
            ("(   6446 )", none("(   6446 )")),
            ("(|||0|)", "port 0 is not allowed".to_string()),
            ("(|||70000|)", "port 70000 is over 65535".to_string()),
            ("(|||x|)", "port \"x\" is not a decimal number".to_string()),
        ];
        for (text, detail) in cases {
            let message = error_text(parse_epsv_reply(text));
            assert_eq!(message, format!("invalid 229 reply: {detail}"), "{text:?}");
        }
    }

    fn random_v4(rng: &mut XorShift) -> SocketAddrV4 {
        let port = rng.port();
        SocketAddrV4::new(Ipv4Addr::from(rng.next() as u32), port)
    }

    fn random_v6(rng: &mut XorShift) -> SocketAddr {
        // Few distinct groups, so that `::` compression happens often.
        let groups: [u16; 8] = std::array::from_fn(|_| rng.pick(&[0, 0, 1, 0xffff, 0x200c]));
        SocketAddr::new(Ipv6Addr::from(groups).into(), rng.port())
    }

    #[test]
    fn round_trips() {
        let mut rng = XorShift::new(0xadd5_eed1);
        for _ in 0..2000 {
            let addr = random_v4(&mut rng);
            assert_eq!(parse_host_port(&format_host_port(addr)).unwrap(), addr);
            assert_eq!(parse_pasv_reply(&format_pasv_reply(addr)).unwrap(), addr);
            assert_eq!(parse_eprt(&format_eprt(addr.into())).unwrap(), addr.into());
            assert_eq!(
                parse_epsv_reply(&format_epsv_reply(addr.port())).unwrap(),
                addr.port()
            );
            let addr = random_v6(&mut rng);
            assert_eq!(parse_eprt(&format_eprt(addr)).unwrap(), addr);
        }
    }

    /// A random string from characters that matter to these formats.
    fn random_text(rng: &mut XorShift) -> String {
        const CHARS: &[char] = &[
            '0', '1', '2', '5', '9', ',', '.', ':', '|', '!', '(', ')', ' ', 'a', 'f', 'é',
            '\u{7f}',
        ];
        let len = rng.below(30);
        rng.pick_many(CHARS, len)
    }

    #[test]
    fn random_and_truncated_input_never_panics() {
        let mut rng = XorShift::new(0xfee1_900d);
        for _ in 0..5000 {
            let valid = [
                format_pasv_reply(random_v4(&mut rng)),
                format_eprt(random_v6(&mut rng)),
                format_epsv_reply(rng.below(65536) as u16),
            ];
            let cut_valid: Vec<String> = valid
                .iter()
                .map(|text| text.chars().take(rng.below(text.len())).collect())
                .collect();
            for text in cut_valid.iter().chain([&random_text(&mut rng)]) {
                // Whatever is accepted must survive formatting and parsing again.
                if let Ok(addr) = parse_host_port(text) {
                    assert_eq!(parse_host_port(&format_host_port(addr)).unwrap(), addr);
                }
                if let Ok(addr) = parse_pasv_reply(text) {
                    assert_ne!(addr.port(), 0, "{text:?}");
                }
                if let Ok(addr) = parse_eprt(text) {
                    assert_eq!(parse_eprt(&format_eprt(addr)).unwrap(), addr);
                }
                if let Ok(port) = parse_epsv_reply(text) {
                    assert_ne!(port, 0, "{text:?}");
                }
            }
        }
    }
}
