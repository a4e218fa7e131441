//! The interoperability matrix: our `ftp-server` against the FTP clients
//! people use, and our `ftp-client` against the FTP servers people run, in
//! every data-channel mode (PASV, EPSV, PORT, EPRT) on IPv4 and IPv6
//! loopback, every transfer checked byte for byte.
//!
//! Each cell is a real run of the programs. The test prints the matrix as
//! Markdown and fails on any red cell unless it is a third-party bug listed
//! in `KNOWN_BUGS` (in `interop/run.rs`) with its cause; the run's own
//! exchange is kept as evidence. It writes no file: `cargo run -p ftp-tests
//! --features tls --bin interop-report` runs the same matrix and the FTPS
//! tables and writes `docs/interop.md`.
//!
//! The FTPS tables are not run here: they need the programs built with TLS,
//! and `tests/ftps_interop.rs` runs them (with the `tls` feature, which
//! compiles them into this test too, unused).
//!
//! A missing peer is skipped with a `SKIPPED:` line on a machine without it
//! (the `peers` test lists them in the plain `cargo test` output), and fails
//! the test when `FTP_TESTS_REQUIRE_PEERS` is set (as in CI).

// With the `tls` feature the FTPS modules are compiled here too, and unused.
#![cfg_attr(feature = "tls", allow(dead_code))]

include!("interop/modules.rs");

#[test]
fn interop_matrix() {
    let matrix = run::matrix(None);
    run::print_and_check(&matrix.document, &matrix.missing, &matrix.red);
}
