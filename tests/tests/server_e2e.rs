//! End-to-end tests of the real `ftp-server` binary. Every test starts its
//! own server (`ftp_tests::server`) on a port chosen by the OS, in a
//! scratch root, and kills it when done; the server's behaviour is checked
//! in Rust over raw control connections (`ftp_tests::raw`), byte for byte.
//! Third-party clients appear only where their own quirks are the subject
//! (`interop.rs`: curl, and the urgent ABOR of ftplib and BSD ftp).

/// The test modules, in `tests/tests/server_e2e/`.
mod server_e2e {
    mod commands;
    mod inetd;
    mod interop;
    mod security;
    mod transfers;
}

use std::io::{Read, Write};
use std::net::TcpStream;

use ftp_tests::raw::{accept, Raw};
use ftp_tests::server::Server;

/// Logs in to `server` as an anonymous user.
fn anonymous(server: &Server) -> Raw {
    Raw::login_as(server.addr(), "anonymous", "guest@example.com")
}

/// How a transfer's data connection is made: PASV (the server listens) or
/// PORT (the client listens), the two modes ftplib uses over IPv4.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Pasv,
    Port,
}

impl Mode {
    /// Sends `command` (RETR, LIST ...) and returns what came on the data
    /// connection; the transfer must end with `226`.
    fn download(self, raw: &mut Raw, command: &str) -> Vec<u8> {
        let mut data = self.transfer(raw, command);
        let mut bytes = Vec::new();
        data.read_to_end(&mut bytes).expect("the data");
        raw.expect_reply(226);
        bytes
    }

    /// Sends `command` (STOR, APPE) and `content` on the data connection;
    /// the transfer must end with `226`.
    fn upload(self, raw: &mut Raw, command: &str, content: &[u8]) {
        let mut data = self.transfer(raw, command);
        data.write_all(content).expect("upload");
        drop(data);
        raw.expect_reply(226);
    }

    /// Opens the data connection in this mode around `command`, which must
    /// get `150`.
    fn transfer(self, raw: &mut Raw, command: &str) -> TcpStream {
        match self {
            Mode::Pasv => {
                let data = raw.pasv();
                raw.expect(command, 150);
                data
            }
            Mode::Port => {
                let listener = raw.port();
                raw.expect(command, 150);
                accept(&listener)
            }
        }
    }
}
