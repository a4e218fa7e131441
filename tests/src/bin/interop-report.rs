//! `interop-report`: runs the interoperability matrix (the same run as the
//! `interop` test) and writes `docs/interop.md`; with `--peers`, only says
//! which third-party peers are installed.
//!
//! `cargo run -p ftp-tests --bin interop-report` writes the document only
//! when every peer is there (a partial matrix would read as a complete one)
//! and exits with status 1 when a peer is missing or a cell is red, so that
//! a stale or failing matrix is never written silently.

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

/// Runs the matrix, prints it, and writes it when every peer was there.
fn write_report() -> ExitCode {
    let matrix = run::matrix();
    println!("{}", matrix.document);
    if !matrix.missing.is_empty() {
        eprintln!(
            "not writing {DOCUMENT}: missing peers {:?} (bash .ci/install-peers)",
            matrix.missing
        );
        return ExitCode::FAILURE;
    }
    if let Err(err) = std::fs::write(DOCUMENT, &matrix.document) {
        eprintln!("{DOCUMENT}: {err}");
        return ExitCode::FAILURE;
    }
    eprintln!("wrote {DOCUMENT}");
    if matrix.red.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("{} red cells:\n{}", matrix.red.len(), matrix.red.join("\n"));
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
