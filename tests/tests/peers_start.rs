//! The third-party servers the other tests rely on start, greet and serve a file
//! on IPv4 and IPv6 loopback (checked with a plain socket, no FTP client of ours).

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, TcpStream};

use ftp_tests::{peers, TempDir};

/// Logs in over a raw control connection and returns the reply to `SIZE name`.
fn size_reply(addr: std::net::SocketAddr, user: &str, password: &str, name: &str) -> String {
    let stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout set");
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let mut read_reply = || {
        let mut line = String::new();
        reader.read_line(&mut line).expect("reply");
        line
    };
    assert!(read_reply().starts_with("220"));
    for command in [
        format!("USER {user}"),
        format!("PASS {password}"),
        "TYPE I".into(),
    ] {
        writer
            .write_all(format!("{command}\r\n").as_bytes())
            .expect("send");
        read_reply();
    }
    writer
        .write_all(format!("SIZE {name}\r\n").as_bytes())
        .expect("send");
    read_reply()
}

#[test]
fn vsftpd_and_pyftpdlib_serve_on_both_loopbacks() {
    let root = TempDir::new("peers-root");
    std::fs::write(root.path().join("hello.txt"), b"hello peer\n").expect("write");
    for ip in [
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ] {
        if let Some(vsftpd) = peers::vsftpd(root.path(), ip) {
            let reply = size_reply(vsftpd.addr, "anonymous", "x@", "hello.txt");
            assert_eq!(reply.trim_end(), "213 11", "vsftpd on {ip}");
        }
        if let Some(pyftpdlib) = peers::pyftpdlib(root.path(), ip, "alice", "secret") {
            let reply = size_reply(pyftpdlib.addr, "alice", "secret", "hello.txt");
            assert_eq!(reply.trim_end(), "213 11", "pyftpdlib on {ip}");
        }
    }
}
