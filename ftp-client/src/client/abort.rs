//! Aborting a transfer from another thread ([`AbortHandle`]), e.g. when the
//! user presses Ctrl-C, on a clear or a TLS control connection alike.
//!
//! The other thread never touches the control connection, which a TLS
//! stream would not allow: [`AbortHandle::abort`] only raises a flag and
//! shuts down the reading side of the transfer's data socket (for TLS data
//! too, as TLS runs over it). That sends nothing to the server, but a read
//! waiting on the socket returns at once, and every read or write of the
//! transfer's data ([`Watched`]) fails from then on. (A write waiting for
//! a server that reads nothing is not cut short: shutting down the writing
//! side would send a FIN. It ends when the server reads again, or at the
//! data timeout.) The thread that runs
//! the transfer, which owns the control connection, then sends `ABOR`
//! while the data connection is open (so that the server takes the end of
//! an upload for an abort, not for the end of the file), gives the server
//! a moment to close it, closes it, and reads the replies; that sequence
//! is the client's (`Client::transfer`).
//!
//! An abort asked for before the data connection is open takes effect when
//! it opens: the transfer command has been answered with `1xx` by then, so
//! the `ABOR` can never be taken for the answer to another command. This
//! module does not send `ABOR` or read replies.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A handle that aborts the transfer a [`crate::Client`] runs (see
/// `Client::set_abort`), from any thread. Clones share one state.
#[derive(Debug, Clone, Default)]
pub struct AbortHandle {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    /// [`AbortHandle::abort`] was called.
    requested: bool,
    /// A clone of the data socket of the transfer under way, until it is
    /// woken.
    data: Option<TcpStream>,
}

impl AbortHandle {
    /// A handle with no abort asked for.
    pub fn new() -> AbortHandle {
        AbortHandle::default()
    }

    /// Asks for the transfer under way, or the next one, to be aborted: a
    /// read waiting on its data connection returns now. The client sends
    /// `ABOR` and returns `Error::Aborted`. The request stays: every later
    /// transfer of the client is aborted too, until it is given another
    /// handle (or none).
    pub fn abort(&self) {
        let mut state = self.lock();
        state.requested = true;
        // Not kept: the client's closing of the data connection must close it.
        if let Some(socket) = state.data.take() {
            wake(&socket);
        }
    }

    /// Whether [`AbortHandle::abort`] was called.
    pub fn requested(&self) -> bool {
        self.lock().requested
    }

    /// The transfer's data connection is `socket` from now on; an abort
    /// already asked for wakes it at once.
    pub(super) fn watch(&self, socket: &TcpStream) -> io::Result<()> {
        let mut state = self.lock();
        if state.requested {
            wake(socket);
        } else {
            state.data = Some(socket.try_clone()?);
        }
        Ok(())
    }

    /// The data connection is closed: nothing more to wake.
    pub(super) fn unwatch(&self) {
        self.lock().data = None;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Wakes a read waiting on `socket`, and sends the server nothing: the
/// reading side only (the writing side's shutdown would send a FIN, which
/// ends an upload like the end of the file). The error of a socket already
/// closed changes nothing.
fn wake(socket: &TcpStream) {
    let _ = socket.shutdown(Shutdown::Read);
}

/// A transfer's data stream whose reads and writes fail once an abort is
/// asked for, so that a copy loop stops at its next step.
pub(super) struct Watched<'a, T> {
    stream: &'a mut T,
    abort: Option<&'a AbortHandle>,
}

impl<'a, T> Watched<'a, T> {
    /// `stream`, watched by `abort` (not at all with `None`).
    pub(super) fn new(stream: &'a mut T, abort: Option<&'a AbortHandle>) -> Watched<'a, T> {
        Watched { stream, abort }
    }

    fn check(&self) -> io::Result<()> {
        match self.abort {
            Some(abort) if abort.requested() => Err(io::Error::other("transfer aborted")),
            _ => Ok(()),
        }
    }
}

impl<T: Read> Read for Watched<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.check()?;
        self.stream.read(buf)
    }
}

impl<T: Write> Write for Watched<'_, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.check()?;
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::{Duration, Instant};

    /// A client and a server socket on loopback; the client's reads wait
    /// up to 20 s.
    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        client
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        (client, server)
    }

    /// Asserts that a read on `client`, which the server sends nothing,
    /// sees the end at once instead of waiting for its timeout.
    fn assert_woken(client: &mut TcpStream) {
        let started = Instant::now();
        let mut buf = [0; 16];
        assert_eq!(client.read(&mut buf).expect("read"), 0);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn an_abort_wakes_a_waiting_read_and_fails_what_follows() {
        let (mut client, _server) = pair();
        let abort = AbortHandle::new();
        abort.watch(&client).expect("watch");
        let other = abort.clone();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            other.abort();
        });
        assert_woken(&mut client);
        thread.join().expect("thread");
        let mut watched = Watched::new(&mut client, Some(&abort));
        assert!(watched.read(&mut [0; 16]).is_err());
        assert!(watched.write(b"x").is_err());
    }

    #[test]
    fn an_abort_before_the_data_connection_wakes_it_when_it_opens() {
        let (mut client, _server) = pair();
        let abort = AbortHandle::new();
        abort.abort();
        abort.watch(&client).expect("watch");
        assert_woken(&mut client);
    }

    #[test]
    fn without_an_abort_the_stream_is_untouched() {
        let (mut client, mut server) = pair();
        let abort = AbortHandle::new();
        abort.watch(&client).expect("watch");
        server.write_all(b"data").expect("server writes");
        let mut watched = Watched::new(&mut client, Some(&abort));
        let mut buf = [0; 4];
        watched.read_exact(&mut buf).expect("read");
        assert_eq!(&buf, b"data");
        abort.unwatch();
        assert!(!abort.requested());
    }
}
