//! `interop-report`: runs the interoperability matrix (the same runs as the
//! `interop` and `ftps_interop` tests) and writes `docs/interop.md`; with
//! `--peers`, only says which third-party peers are installed.
//!
//! `cargo build --workspace --bins --features ftp-tests/tls`, then
//! `cargo run -p ftp-tests --features tls --bin interop-report`, writes the
//! document only when every peer is there (a partial matrix would read as a
//! complete one) and exits with status 1 when a peer is missing or a cell is
//! red, so that a stale or failing matrix is never written silently. Built
//! without the `tls` feature it has no FTPS tables, and for the same reason
//! it refuses to run and write a document without them (it does not keep
//! the FTPS sections of the old document either: they would carry the new
//! date without having run); `--peers` works in both builds.

// Without the `tls` feature only `--peers` runs: the matrix is compiled,
// and unused.
#![cfg_attr(not(feature = "tls"), allow(dead_code))]

include!("../../tests/interop/modules.rs");

use std::process::ExitCode;

/// Where the document goes.
const DOCUMENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/interop.md");

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        None => write_report(),
        Some("--peers") => list_peers(),
        Some(other) => {
            eprintln!("usage: interop-report [--peers]   (unknown argument {other:?})");
            ExitCode::from(2)
        }
    }
}

/// Without the `tls` feature: refuses, as the document would lack its FTPS
/// tables.
#[cfg(not(feature = "tls"))]
fn write_report() -> ExitCode {
    eprintln!(
        "interop-report: built without the tls feature, it would write {DOCUMENT} without \
         its FTPS tables; run `cargo build --workspace --bins --features ftp-tests/tls` and \
         `cargo run -p ftp-tests --features tls --bin interop-report`"
    );
    ExitCode::from(2)
}

/// Runs the FTPS tables and the clear ones, prints the document, and writes
/// it when every peer was there.
#[cfg(feature = "tls")]
fn write_report() -> ExitCode {
    let ftps = ftps::matrix();
    let matrix = run::matrix(Some(ftps.sections()));
    println!("{}", matrix.document);
    let missing: Vec<&str> = matrix
        .missing
        .iter()
        .chain(&ftps.missing)
        .copied()
        .collect();
    if !missing.is_empty() {
        eprintln!("not writing {DOCUMENT}: missing peers {missing:?} (bash .ci/install-peers)");
        return ExitCode::FAILURE;
    }
    if let Err(err) = std::fs::write(DOCUMENT, &matrix.document) {
        eprintln!("{DOCUMENT}: {err}");
        return ExitCode::FAILURE;
    }
    eprintln!("wrote {DOCUMENT}");
    let red: Vec<&String> = matrix.red.iter().chain(&ftps.red).collect();
    if red.is_empty() {
        ExitCode::SUCCESS
    } else {
        let lines: Vec<&str> = red.iter().map(|line| line.as_str()).collect();
        eprintln!("{} red cells:\n{}", red.len(), lines.join("\n"));
        ExitCode::FAILURE
    }
}

/// One line per peer of the matrix, `present` or `MISSING`; exits with
/// status 1 when one is missing.
fn list_peers() -> ExitCode {
    let mut all_there = true;
    for (name, mut probe) in run::peers() {
        let present = ftp_tests::peer_present(&mut probe);
        all_there &= present;
        println!("{name}: {}", if present { "present" } else { "MISSING" });
    }
    if all_there {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
