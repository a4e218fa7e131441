//! The client library's FTPS example, `ftp-client/examples/ftps.rs`, run
//! against vsftpd with TLS required and data connections that must resume
//! the control connection's TLS session (`require_ssl_reuse=YES`): it
//! connects with `AUTH TLS`, trusts the test CA, lists and downloads a file
//! over protected data connections, every one a resumed session.
//!
//! `cargo test -p ftp-client --features tls` (which `.ci/run` runs first)
//! builds the example into `target/<profile>/examples/`, where the test runs
//! it as it runs the programs; alone:
//! `cargo build -p ftp-client --features tls --example ftps`.
#![cfg(feature = "tls")]

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;

use ftp_tests::certs::TestPki;
use ftp_tests::peers;
use ftp_tests::run::example_succeeds;
use ftp_tests::{pattern, program, TempDir};

#[test]
fn the_ftps_example_lists_and_downloads_over_resumed_tls_sessions() {
    let pki = TestPki::new();
    let root = TempDir::new("ftps-example-root");
    std::fs::write(root.path().join("data.bin"), pattern(100_000, 3)).expect("data.bin");
    let tls = peers::vsftpd_tls(&pki.cert(), &pki.key(), false);
    let Some(peer) = peers::vsftpd_with(root.path(), IpAddr::V4(Ipv4Addr::LOCALHOST), &tls) else {
        return;
    };
    let mut example = Command::new(program("examples/ftps"));
    example
        .args(["explicit", "localhost", &peer.addr.port().to_string()])
        .args([&peer.user, &peer.password])
        .arg(pki.ca())
        .arg("data.bin");
    let (stdout, stderr) = example_succeeds(example);
    assert!(
        stdout.contains("control protected: true, data protected: true\n"),
        "{stdout}"
    );
    assert!(stdout.contains("data.bin\n"), "{stdout}");
    assert!(stdout.contains("data.bin: 100000 bytes\n"), "{stdout}");
    let protected: Vec<&str> = stderr.lines().collect();
    assert_eq!(protected.len(), 2, "a listing and a download: {stderr}");
    assert!(
        protected
            .iter()
            .all(|line| line.ends_with("session resumed")),
        "{stderr}"
    );
}
