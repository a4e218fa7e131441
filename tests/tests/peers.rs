//! Which third-party peers this machine has, in the plain `cargo test`
//! output: the tests that need a missing peer print `SKIPPED:` and pass, and
//! libtest shows such lines only with `--nocapture`. This target has no
//! libtest harness (`harness = false` in `Cargo.toml`), so what it prints is
//! shown as it is, one line per peer:
//!
//! ```text
//! peer vsftpd ... present
//! peer lftp ... MISSING: its tests were skipped
//! ```
//!
//! It passes either way, unless `FTP_TESTS_REQUIRE_PEERS` is set (as in
//! CI): then a missing peer fails it, as it fails the tests that need it.

use std::process::{Command, ExitCode};

use ftp_tests::{peer_present, running_as_root};

fn main() -> ExitCode {
    let mut missing = Vec::new();
    let mut report = |name: &str, present: bool, without: &str| {
        let status = match present {
            true => "present".to_string(),
            false => format!("MISSING: {without}"),
        };
        println!("peer {name} ... {status}");
        if !present {
            missing.push(name.to_string());
        }
    };
    // The matrix's peers, as the report command sees them.
    let listed = Command::new(env!("CARGO_BIN_EXE_interop-report"))
        .arg("--peers")
        .output()
        .expect("interop-report runs");
    for line in String::from_utf8_lossy(&listed.stdout).lines() {
        if let Some((name, status)) = line.split_once(": ") {
            report(name, status == "present", "its interop rows were skipped");
        }
    }
    let mut openssl = Command::new("openssl");
    openssl.arg("version");
    report(
        "openssl",
        peer_present(&mut openssl),
        "the password-hash tests were skipped",
    );
    report(
        "root",
        running_as_root(),
        "the privilege and tmpfs tests were skipped",
    );
    println!();
    if missing.is_empty() {
        return ExitCode::SUCCESS;
    }
    println!("skipped for want of: {}", missing.join(", "));
    if std::env::var_os("FTP_TESTS_REQUIRE_PEERS").is_some() {
        println!("FTP_TESTS_REQUIRE_PEERS is set: a missing peer is a failure");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
