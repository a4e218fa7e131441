//! The FTPS tables of the interoperability matrix (`interop/ftps.rs`): our
//! `ftp-server` with TLS required × curl (AUTH TLS and implicit `ftps://`),
//! Python's `FTP_TLS` and lftp; our `ftp-client --tls` × vsftpd, pyftpdlib,
//! ProFTPD, Pure-FTPd and our server; every family × mode × operation of
//! the clear tables (the `interop` test), every data connection checked to
//! be protected.
//!
//! The test prints the two tables and their notes and fails on any red
//! cell unless it is a documented third-party bug. It writes no file:
//! `cargo run -p ftp-tests --features tls --bin interop-report` writes them
//! into `docs/interop.md` with the clear tables.
//!
//! Run with `cargo build --workspace --bins --features ftp-tests/tls` first,
//! then `cargo test -p ftp-tests --features tls --test ftps_interop`.
#![cfg(feature = "tls")]
// It includes every module of the matrix and uses only the FTPS part and
// what that part needs.
#![allow(dead_code)]

include!("interop/modules.rs");

#[test]
fn ftps_interop_matrix() {
    let matrix = ftps::matrix();
    let mut notes = report::Notes::default();
    let tables = document::sections(&matrix.sections(), &mut notes);
    let document = format!("{tables}\n## Notes\n\n{}", notes.render());
    run::print_and_check(&document, &matrix.missing, &matrix.red);
}
