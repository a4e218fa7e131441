//! Test helpers: a control stream that serves scripted reply bytes and records
//! what the client wrote, and loopback peers for data connections. Tests only.

use std::io::{self, Cursor, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::{Client, Options};

/// The control connection's (local, peer) addresses in IPv4 tests: loopback,
/// so that active mode listens where a test peer can connect and passive mode
/// connects to the peer's IP.
pub const V4: (&str, &str) = ("127.0.0.1:40000", "127.0.0.1:21");
/// The same for IPv6 tests.
pub const V6: (&str, &str) = ("[::1]:40000", "[::1]:21");
/// Limit for a test peer waiting for the client.
const PEER_TIMEOUT: Duration = Duration::from_secs(5);

/// What the canned stream does when its script is used up.
#[derive(Clone, Copy)]
pub enum End {
    /// End of stream: the server closed the connection.
    Close,
    /// A read timeout, as a socket with an expired read timeout reports it.
    Timeout,
}

/// The bytes the client wrote, shared with the test.
#[derive(Clone, Default)]
pub struct Sent(Arc<Mutex<Vec<u8>>>);

impl Sent {
    /// Everything written so far, as bytes (for names that are not UTF-8).
    pub fn bytes(&self) -> Vec<u8> {
        self.lock().clone()
    }

    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock()).into_owned()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A control stream serving a script and recording writes.
pub struct Canned {
    script: Cursor<Vec<u8>>,
    sent: Sent,
    end: End,
}

impl Read for Canned {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.script.read(buf)? {
            0 if matches!(self.end, End::Timeout) => Err(io::ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }
}

impl Write for Canned {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sent.lock().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A client whose server answers with `script` and then does `end`.
pub fn session_with(
    script: &[u8],
    end: End,
    options: Options,
) -> (Result<Client<Canned>, super::Error>, Sent) {
    open(script, end, options, V4)
}

/// A logged-in-looking client: the script starts after the greeting, the
/// stream closes after it, default options.
pub fn session(script: &[u8]) -> (Client<Canned>, Sent) {
    session_opts(script, Options::default())
}

/// [`session`] with `options`.
pub fn session_opts(script: &[u8], options: Options) -> (Client<Canned>, Sent) {
    session_at(V4, script, options)
}

/// [`session_opts`] on the control addresses `(local, peer)`.
pub fn session_at(
    addresses: (&str, &str),
    script: &[u8],
    options: Options,
) -> (Client<Canned>, Sent) {
    let full = [b"220 Ready\r\n".as_slice(), script].concat();
    match open(&full, End::Close, options, addresses) {
        (Ok(client), sent) => (client, sent),
        (Err(err), _) => panic!("greeting failed: {err}"),
    }
}

fn open(
    script: &[u8],
    end: End,
    options: Options,
    (local, peer): (&str, &str),
) -> (Result<Client<Canned>, super::Error>, Sent) {
    let sent = Sent::default();
    let stream = Canned {
        script: Cursor::new(script.to_vec()),
        sent: sent.clone(),
        end,
    };
    let (local, peer) = (address(local), address(peer));
    (Client::from_stream(stream, local, peer, options), sent)
}

fn address(text: &str) -> SocketAddr {
    text.parse().expect("test addresses parse")
}

/// A server's passive data socket on loopback: accepts one connection, sends
/// `payload`, and returns what the client sent. Returns the port and the thread.
pub fn passive_peer(payload: &[u8]) -> (u16, JoinHandle<Vec<u8>>) {
    passive_peer_on(address(V4.1).ip(), payload)
}

/// [`passive_peer`] listening on `ip`.
pub fn passive_peer_on(ip: IpAddr, payload: &[u8]) -> (u16, JoinHandle<Vec<u8>>) {
    let listener = ftp_core::io::data::listen(ip, None).expect("listen");
    let port = listener.local_addr().expect("local address").port();
    let payload = payload.to_vec();
    let peer = thread::spawn(move || {
        let stream = ftp_core::io::data::accept(&listener, None, PEER_TIMEOUT).expect("accept");
        exchange(stream, &payload)
    });
    (port, peer)
}

/// A server in active mode: waits until the client has sent its `nth` (from
/// 0) `EPRT` or `PORT` command, connects to that address, sends `payload`, and
/// returns what the client sent.
pub fn active_peer(sent: &Sent, nth: usize, payload: &[u8]) -> JoinHandle<Vec<u8>> {
    let (sent, payload) = (sent.clone(), payload.to_vec());
    thread::spawn(move || {
        let addr = wait_for_address(&sent, nth);
        let stream = TcpStream::connect_timeout(&addr, PEER_TIMEOUT).expect("connect back");
        exchange(stream, &payload)
    })
}

/// The address in the client's `nth` EPRT or PORT command, waiting for it.
pub fn wait_for_address(sent: &Sent, nth: usize) -> SocketAddr {
    let start = Instant::now();
    while start.elapsed() < PEER_TIMEOUT {
        if let Some(addr) = sent.text().lines().filter_map(announced).nth(nth) {
            return addr;
        }
        thread::sleep(Duration::from_millis(5));
    }
    panic!("the client sent no EPRT or PORT number {nth}");
}

/// The address an `EPRT` or `PORT` line announces.
fn announced(line: &str) -> Option<SocketAddr> {
    if let Some(arg) = line.strip_prefix("EPRT ") {
        return ftp_core::protocol::addr::parse_eprt(arg).ok();
    }
    let arg = line.strip_prefix("PORT ")?;
    ftp_core::protocol::addr::parse_host_port(arg)
        .ok()
        .map(SocketAddr::V4)
}

/// Sends `payload`, closes the sending side and reads the client's data to the end.
fn exchange(mut stream: TcpStream, payload: &[u8]) -> Vec<u8> {
    stream
        .set_read_timeout(Some(PEER_TIMEOUT))
        .expect("timeout");
    // The client may refuse the data (a failed local write closes the connection).
    let _ = stream.write_all(payload);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received);
    received
}
