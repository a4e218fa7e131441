//! Certificates for the FTPS tests, made afresh by the `openssl` program: a
//! test certificate authority and a server certificate it signed, valid for
//! `localhost`, `127.0.0.1` and `::1` (and any further addresses asked for:
//! the firewall lab's server address), in PEM files in a scratch directory
//! that is removed with the [`TestPki`].
//!
//! Pure-FTPd wants the certificate and its key in one file: [`TestPki::cert_and_key`].
//!
//! What it does not do: trust anything. The tests hand the CA file to the
//! client (`--cacert`) and the certificate and key to the server they start.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::TempDir;

/// A test CA and a server certificate and key, as PEM files.
pub struct TestPki {
    dir: TempDir,
}

impl TestPki {
    /// Makes the CA and the server certificate for `localhost`,
    /// `127.0.0.1` and `::1`; panics with openssl's message if it fails.
    pub fn new() -> TestPki {
        TestPki::with_addresses(&[])
    }

    /// Makes the CA and a server certificate valid for `addresses` too;
    /// panics with openssl's message if it fails.
    pub fn with_addresses(addresses: &[IpAddr]) -> TestPki {
        let dir = TempDir::new("pki");
        let pki = TestPki { dir };
        pki.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=ftp test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        pki.openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        let names: String = addresses.iter().map(|ip| format!(",IP:{ip}")).collect();
        std::fs::write(
            pki.dir.path().join("san.ext"),
            format!(
                "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1{names}\n\
                 basicConstraints=CA:FALSE\n\
                 keyUsage=digitalSignature,keyEncipherment\n\
                 extendedKeyUsage=serverAuth\n"
            ),
        )
        .expect("write the extensions");
        pki.openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        ]);
        let mut both = std::fs::read(pki.cert()).expect("read the certificate");
        both.extend(std::fs::read(pki.key()).expect("read the key"));
        std::fs::write(pki.cert_and_key(), both).expect("write the combined PEM");
        pki
    }

    /// The CA's certificate: what a client trusts.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The server's certificate.
    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("server.pem")
    }

    /// The server's private key (unencrypted PKCS#8).
    pub fn key(&self) -> PathBuf {
        self.dir.path().join("server.key")
    }

    /// The server's certificate followed by its key, in one PEM file.
    pub fn cert_and_key(&self) -> PathBuf {
        self.dir.path().join("server-and-key.pem")
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn openssl(&self, args: &[&str]) {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("run openssl");
        assert!(
            output.status.success(),
            "openssl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Default for TestPki {
    fn default() -> TestPki {
        TestPki::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of the server certificate, as `openssl x509` shows it.
    fn certificate_text(pki: &TestPki) -> String {
        let text = Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in"])
            .arg(pki.cert())
            .output()
            .expect("run openssl");
        String::from_utf8_lossy(&text.stdout).into_owned()
    }

    #[test]
    fn the_server_certificate_is_signed_by_the_ca_for_loopback() {
        let pki = TestPki::new();
        let verify = Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(pki.ca())
            .arg(pki.cert())
            .output()
            .expect("run openssl");
        assert!(verify.status.success(), "{verify:?}");
        let text = certificate_text(&pki);
        assert!(text.contains("IP Address:127.0.0.1"), "{text}");
        assert!(text.contains("IP Address:0:0:0:0:0:0:0:1"), "{text}");
        assert!(text.contains("DNS:localhost"), "{text}");
        std::fs::remove_file(pki.ca()).expect("the files exist");
    }

    #[test]
    fn a_server_certificate_can_name_further_addresses() {
        let pki = TestPki::with_addresses(&["203.0.113.10".parse().expect("an address")]);
        let text = certificate_text(&pki);
        assert!(text.contains("IP Address:127.0.0.1"), "{text}");
        assert!(text.contains("IP Address:203.0.113.10"), "{text}");
    }
}
