//! The interoperability matrix: our `ftp-server` against the FTP clients
//! people use, and our `ftp-client` against the FTP servers people run, in
//! every data-channel mode (PASV, EPSV, PORT, EPRT) on IPv4 and IPv6
//! loopback, every transfer checked byte for byte.
//!
//! Each cell is a real run of the programs. The test prints the matrix as
//! Markdown and fails on any red cell unless it is a third-party bug listed
//! in `KNOWN_BUGS` (in `interop/run.rs`) with its cause; the run's own
//! exchange is kept as evidence. It writes no file: `cargo run -p ftp-tests
//! --bin interop-report` runs the same matrix and writes `docs/interop.md`.
//!
//! A missing peer is skipped with a `SKIPPED:` line on a machine without it
//! (the `peers` test lists them in the plain `cargo test` output), and fails
//! the test when `FTP_TESTS_REQUIRE_PEERS` is set (as in CI).

include!("interop/modules.rs");

#[test]
fn interop_matrix() {
    let matrix = run::matrix();
    println!("{}", matrix.document);
    if !matrix.missing.is_empty() {
        eprintln!("SKIPPED: the rows of {:?}", matrix.missing);
    }
    assert!(
        matrix.red.is_empty(),
        "{} red cells:\n{}",
        matrix.red.len(),
        matrix.red.join("\n")
    );
}
