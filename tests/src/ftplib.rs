//! Python's ftplib, in every data mode: the subclass the interop tests and
//! the firewall lab both drive.
//!
//! ftplib chooses the data command by the control connection's family:
//! `set_pasv(True)` sends PASV on IPv4 and EPSV on IPv6, `set_pasv(False)`
//! sends PORT on IPv4 and EPRT on IPv6. [`script`] puts a small subclass
//! before a test's own Python, so that a script that reads `mode` (`PASV`,
//! `EPSV`, `PORT` or `EPRT`) gets EPSV and EPRT over IPv4 too, with
//! ftplib's own `parse229` and `sendcmd`; the transfers stay ftplib's.
//!
//! For FTPS, [`tls_script`] adds `TlsClient`: ftplib's `FTP_TLS` in those
//! same modes, whose data connections resume the control connection's TLS
//! session, as servers that require it (ours by default, vsftpd's
//! `require_ssl_reuse`, ProFTPD's mod_tls) want; `FTP_TLS` alone never does.
//!
//! What it does not do: run Python (the caller runs `python3 -c`), or
//! decide what a transfer must give.

/// The subclass `Client`, which reads the global `mode`.
const CLIENT_CLASS: &str = r#"
import ftplib, os, socket, sys

class Client(ftplib.FTP):
    """ftplib, with EPSV and EPRT on IPv4 too when `mode` asks for them."""

    def makepasv(self):
        if mode == 'EPSV' and self.af == socket.AF_INET:
            return ftplib.parse229(self.sendcmd('EPSV'), self.sock.getpeername())
        return super().makepasv()

    def makeport(self):
        if mode == 'EPRT' and self.af == socket.AF_INET:
            ip = self.sock.getsockname()[0]
            sock = socket.create_server((ip, 0), family=self.af, backlog=1)
            sock.settimeout(self.timeout)
            self.sendcmd('EPRT |1|%s|%d|' % (ip, sock.getsockname()[1]))
            return sock
        return super().makeport()
"#;

/// A Python program: the `Client` subclass, then `body`, which must set the
/// global `mode` before it makes a connection.
pub fn script(body: &str) -> String {
    format!("{CLIENT_CLASS}\n{body}")
}

/// `TlsClient`, `Client` over FTPS: it reads the global `reuse` (resume the
/// control connection's TLS session on data connections) besides `mode`.
const TLS_CLIENT_CLASS: &str = r#"
import ssl

class TlsClient(Client, ftplib.FTP_TLS):
    """FTP_TLS in every mode of Client; data connections resume the control
    connection's TLS session when `reuse` is true (FTP_TLS alone never does)."""
    session = None

    def prot_p(self):
        reply = super().prot_p()
        self.session = self.sock.session
        return reply

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            session = self.session if reuse else None
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=session)
        return conn, size
"#;

/// A Python program: the `Client` and `TlsClient` subclasses, then `body`,
/// which must set the globals `mode` and `reuse` before it makes a
/// connection.
pub fn tls_script(body: &str) -> String {
    format!("{CLIENT_CLASS}{TLS_CLIENT_CLASS}\n{body}")
}
