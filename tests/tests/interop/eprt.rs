//! `EPRT |2|::|port|`: what each server does with the unspecified address.
//!
//! lftp 4.9 in active mode over IPv6 announces its data port with the
//! unspecified address `::` instead of its own address. RFC 2428 wants a
//! real address there, so a server may refuse it; but the client means
//! "connect back to me", and the only address a server may connect to anyway (no FTP
//! bounce, RFC 2577) is the control connection's peer. Our server takes `::`
//! (and `0.0.0.0` in `EPRT |1|...|`) as that address, which keeps bounce
//! protection whole: any other address is still refused.
//!
//! This module shows what every server of the second table does, on a raw
//! control connection (the exchange is kept as evidence), and runs lftp in
//! active mode over IPv6 against each of them. It asserts only our server's
//! behaviour; the third parties' is documented.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use ftp_tests::TempDir;

use crate::clients::{Client, Target, DOWNLOAD};
use crate::lftp::Lftp;
use crate::matrix::{Family, Mode, Op};
use crate::servers::{start_with_retries, Running, Server, Setup};

/// How long each read of a reply, and the wait for a data connection, may take.
const WAIT: Duration = Duration::from_secs(5);

/// What one server did.
pub struct Probe {
    /// The server's name.
    pub server: &'static str,
    /// Its reply to `EPRT |2|::|port|`.
    pub reply: String,
    /// Where its data connection came from, if it connected.
    pub connected: Option<SocketAddr>,
    /// Its reply to `EPRT` with another host's address (`::2`).
    pub other_address: String,
    /// Whether lftp listed a directory in active mode over IPv6.
    pub lftp_lists: bool,
    /// The control exchange, then lftp's output.
    pub evidence: String,
}

/// Probes `server` on `::1`.
pub fn probe(server: Server) -> Probe {
    let root = TempDir::new("interop-eprt");
    std::fs::write(root.path().join(DOWNLOAD), b"listed\n").expect("root is writable");
    let running = start_with_retries(server, Family::V6, root.path(), Setup::Clear { rfc959: false });
    let mut evidence = String::new();
    let (reply, connected, other_address) = match exchange(&running, &mut evidence) {
        Ok(found) => found,
        Err(err) => {
            let _ = writeln!(evidence, "!! {err}");
            (format!("no reply: {err}"), None, String::new())
        }
    };
    let lftp = lftp_active(&running);
    let _ = write!(
        evidence,
        "=== lftp, active mode, IPv6: ls ===\n{}",
        lftp.transcript()
    );
    Probe {
        server: server.name(),
        reply,
        connected,
        other_address,
        lftp_lists: lftp.success() && lftp.stdout.contains(DOWNLOAD),
        evidence,
    }
}

/// Logs in, sends `EPRT |2|::|port|` and `NLST`, waits for the server's
/// connection, then sends `EPRT` with the address `::2`; returns the first
/// two replies' lines and where the connection came from.
fn exchange(
    running: &Running,
    evidence: &mut String,
) -> std::io::Result<(String, Option<SocketAddr>, String)> {
    let mut control = Control::connect(running.addr, evidence)?;
    control.login(running)?;
    let listener = TcpListener::bind("[::1]:0")?;
    let port = listener.local_addr()?.port();
    let reply = control.command(&format!("EPRT |2|::|{port}|"))?;
    let mut connected = None;
    if reply.starts_with('2') {
        let preliminary = control.command("NLST")?;
        if preliminary.starts_with('1') {
            connected = accept_and_drain(&listener)?;
            control.reply()?;
        }
    }
    let other_address = control.command(&format!("EPRT |2|::2|{port}|"))?;
    control.command("QUIT")?;
    Ok((reply, connected, other_address))
}

/// Waits up to [`WAIT`] for a connection, reads it to its end, and says
/// where it came from.
fn accept_and_drain(listener: &TcpListener) -> std::io::Result<Option<SocketAddr>> {
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((mut stream, from)) => {
                stream.set_nonblocking(false)?;
                stream.set_read_timeout(Some(WAIT))?;
                let mut data = Vec::new();
                stream.read_to_end(&mut data)?;
                return Ok(Some(from));
            }
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(err) => return Err(err),
        }
    }
    Ok(None)
}

/// lftp, active mode over IPv6, lists the root of `running`.
fn lftp_active(running: &Running) -> crate::exec::Run {
    let dir = TempDir::new("interop-eprt-lftp");
    let home = TempDir::new("interop-home");
    let target = Target {
        addr: running.addr,
        user: &running.user,
        password: &running.password,
        mode: Mode::Eprt,
        dir: dir.path(),
        home: &home,
        ca: None,
        implicit: false,
    };
    Lftp.run(Op::List, &target)
}

/// A raw control connection that writes its exchange into the evidence.
struct Control<'a> {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    evidence: &'a mut String,
}

impl<'a> Control<'a> {
    /// Connects and reads the greeting.
    fn connect(addr: SocketAddr, evidence: &'a mut String) -> std::io::Result<Control<'a>> {
        let stream = TcpStream::connect_timeout(&addr, WAIT)?;
        stream.set_read_timeout(Some(WAIT))?;
        let mut control = Control {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            evidence,
        };
        control.reply()?;
        Ok(control)
    }

    /// Logs in as the server's user.
    fn login(&mut self, running: &Running) -> std::io::Result<()> {
        let user = self.command(&format!("USER {}", running.user))?;
        if user.starts_with("331") {
            self.send("PASS ****", &format!("PASS {}", running.password))?;
        }
        Ok(())
    }

    /// Sends `line` and returns the last line of the reply.
    fn command(&mut self, line: &str) -> std::io::Result<String> {
        self.send(line, line)
    }

    /// Sends `line`, showing `shown` in the evidence; returns the reply.
    fn send(&mut self, shown: &str, line: &str) -> std::io::Result<String> {
        let _ = writeln!(self.evidence, "C: {shown}");
        self.writer.write_all(format!("{line}\r\n").as_bytes())?;
        self.reply()
    }

    /// Reads one reply (RFC 959 multi-line form too); returns its last line.
    fn reply(&mut self) -> std::io::Result<String> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                let _ = self.writer.shutdown(Shutdown::Both);
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let _ = writeln!(self.evidence, "S: {}", line.trim_end());
            let bytes = line.as_bytes();
            let last =
                bytes.len() >= 4 && bytes[..3].iter().all(u8::is_ascii_digit) && bytes[3] == b' ';
            if last {
                return Ok(line.trim_end().to_string());
            }
        }
    }
}

/// The verdict on one probe, for the table.
pub fn verdict(probe: &Probe) -> String {
    match (probe.reply.starts_with('2'), probe.connected) {
        (true, Some(from)) => format!("accepted; connected from {from}"),
        (true, None) => "accepted, but no data connection came".into(),
        (false, _) => "refused".into(),
    }
}
