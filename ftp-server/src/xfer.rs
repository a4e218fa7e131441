//! One transfer, the plain way: [`run`] moves a [`Job`] over its data
//! connection and says how it ended.
//!
//! The session has prepared the [`Transfer`]: a file opened at the restart
//! offset (RETR), a listing rendered line by line as it is sent (LIST, NLST,
//! MLSD), or an upload into a file of the storage (STOR, APPE, STOU); the
//! connection has opened the data connection. [`run`] does the rest:
//!
//! 1. it copies, in the session's representation
//!    (`ftp_core::io::transfer::copy_with_buffer`: TYPE A turns line ends
//!    into CRLF on the way out and back on the way in, TYPE I moves the
//!    bytes as they are; a listing has its CRLFs already), counting the
//!    bytes in the transfer's [`Progress`];
//! 2. it closes the data connection: in stream mode its end is the end of
//!    the data (RFC 959 §3.4.1); a connection protected by TLS (a
//!    [`DataStream`] with the `tls` feature and PROT P) sends close_notify
//!    first;
//! 3. it syncs and commits an upload only if all of it came;
//! 4. it hands the [`TransferEnd`] — the bytes moved or why the copy
//!    stopped, and whether an ABOR stopped it — to `report`, which sends the
//!    reply the session decides for it
//!    ([`Session::transfer_reply`](crate::session::Session::transfer_reply):
//!    226, 426, 451, 452); then it logs the transfer (and its xferlog line).
//!
//! The control connection goes on reading while a transfer runs, so `run`
//! runs on a thread other than the control loop's and shares the
//! [`Progress`] with it: STAT reads the bytes so far, and ABOR
//! ([`Progress::abort`]) marks the transfer aborted and shuts the data
//! socket down, so that the copy fails at once.
//!
//! Which thread that is, and which buffer the copy goes through, is
//! performance work, in [`fast`]: [`start`] runs a small download on the
//! control thread and a larger transfer on the session's transfer thread,
//! and lends the copy a buffer from a pool all sessions share. The plain
//! way — a thread per transfer with a buffer of its own, `thread::spawn`
//! of `run(…, Vec::new(), …)` — would behave the same, only slower and
//! larger.
//!
//! What it does not do: open the data connection ([`crate::conn`]), decide
//! what to transfer or what to answer ([`crate::session`]), or write to the
//! control connection itself.

use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ftp_core::io::data::SendTimeout;
use ftp_core::io::transfer::{copy_with_buffer, Direction};
use ftp_core::{Error, Representation};

use crate::quirks::{Quirk, Quirks};
use crate::session::{DataSetup, Job, Record, Transfer, TransferEnd};
use crate::xferlog::{XferEntry, XferLog};

pub mod fast;

pub use fast::{start, Report, Running, Worker};

/// With the `226-before-close` quirk, how long the data connection stays
/// open after the final reply.
const CLOSE_LATE: Duration = Duration::from_millis(300);

/// What a transfer needs to know besides the transfer itself.
pub struct XferContext {
    /// The client's address, for logs.
    pub peer: IpAddr,
    /// How the data connection was opened, for logs.
    pub data: DataSetup,
    /// How long a send may make no progress.
    pub data_timeout: Duration,
    /// Where to write the xferlog line, if anywhere.
    pub xferlog: Option<Arc<XferLog>>,
    /// The transfer quirks: `226-before-close`, `drop-data`.
    pub quirks: Arc<Quirks>,
}

/// A data connection: its socket, with TLS on it when the session
/// protects data (PROT P).
pub struct DataStream {
    tcp: TcpStream,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::DataTls>,
}

impl From<TcpStream> for DataStream {
    fn from(tcp: TcpStream) -> DataStream {
        DataStream {
            tcp,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl DataStream {
    /// The socket with TLS on it.
    #[cfg(feature = "tls")]
    pub fn protected(tcp: TcpStream, tls: crate::tls::DataTls) -> DataStream {
        DataStream {
            tcp,
            tls: Some(tls),
        }
    }

    /// Whether the data is protected by TLS.
    pub fn is_protected(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// Another handle on the socket (for ABOR).
    pub fn try_clone_socket(&self) -> std::io::Result<TcpStream> {
        self.tcp.try_clone()
    }

    /// Ends the data connection: close_notify if it is protected, then the
    /// socket is shut down (its end is the end of the data).
    fn close(&mut self) {
        #[cfg(feature = "tls")]
        if let Some(tls) = &mut self.tls {
            tls.close(&self.tcp);
        }
        let _ = self.tcp.shutdown(Shutdown::Both);
    }

    /// Copies `from` to the data connection, in the clear or encrypted.
    fn send(
        &mut self,
        from: &mut dyn Read,
        repr: Representation,
        timeout: Duration,
        count: &mut dyn FnMut(u64),
        buffer: &mut Vec<u8>,
    ) -> Result<u64, Error> {
        let mut out = SendTimeout::new(&self.tcp, timeout);
        #[cfg(feature = "tls")]
        if let Some(tls) = &mut self.tls {
            let mut out = tls.writer(&mut out);
            return copy_with_buffer(from, &mut out, repr, Direction::Send, Some(count), buffer);
        }
        copy_with_buffer(from, &mut out, repr, Direction::Send, Some(count), buffer)
    }

    /// Copies the data connection to `to`, in the clear or decrypted.
    fn receive(
        &mut self,
        to: &mut dyn Write,
        repr: Representation,
        count: &mut dyn FnMut(u64),
        buffer: &mut Vec<u8>,
    ) -> Result<u64, Error> {
        #[cfg(feature = "tls")]
        if let Some(tls) = &mut self.tls {
            let mut from = tls.reader(&self.tcp);
            return copy_with_buffer(&mut from, to, repr, Direction::Receive, Some(count), buffer);
        }
        copy_with_buffer(
            &mut &self.tcp,
            to,
            repr,
            Direction::Receive,
            Some(count),
            buffer,
        )
    }
}

/// What the control thread and the thread that runs a transfer share about
/// it: the bytes moved so far, and whether it was aborted.
#[derive(Default)]
pub struct Progress {
    aborted: AtomicBool,
    bytes: AtomicU64,
}

impl Progress {
    /// Bytes moved so far (STAT).
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Aborts the transfer running on `data` (ABOR): marks it aborted, so
    /// that its end is not taken for the end of the data, and shuts the
    /// socket down, which wakes a copy blocked on it (reads see the end,
    /// writes fail).
    pub fn abort(&self, data: &TcpStream) {
        self.aborted.store(true, Ordering::SeqCst);
        let _ = data.shutdown(Shutdown::Both);
    }

    fn aborted(&self) -> bool {
        self.aborted.load(Ordering::SeqCst)
    }
}

/// Runs `transfer` over `stream` to its end: copies through `buffer`,
/// closes the data connection, gives the end to `report` (which sends the
/// final reply), logs the transfer, and returns its end.
pub fn run(
    transfer: Transfer,
    mut stream: DataStream,
    progress: &Progress,
    buffer: impl AsMut<Vec<u8>>,
    report: impl FnOnce(&TransferEnd),
    context: &XferContext,
) -> TransferEnd {
    let started = Instant::now();
    let Transfer {
        job, repr, record, ..
    } = transfer;
    let limit = context.quirks.drop_data().unwrap_or(u64::MAX);
    let protected = stream.is_protected();
    let result = copy(
        job,
        repr,
        &mut stream,
        context.data_timeout,
        progress,
        buffer,
        limit,
    );
    // The client reads to the end of the data before it reads the reply
    // (the 226-before-close quirk sends the reply first).
    let close_first = !context.quirks.has(Quirk::FinalBeforeClose);
    if close_first {
        stream.close();
    }
    // An abort that came after the transfer completed aborted nothing.
    let aborted = progress.aborted() && result.is_err();
    let end = TransferEnd { result, aborted };
    report(&end);
    if !close_first {
        std::thread::sleep(CLOSE_LATE);
        stream.close();
    }
    if let Some(record) = &record {
        log_end(
            record,
            repr,
            &end,
            started.elapsed(),
            progress.bytes(),
            protected,
            context,
        );
    }
    end
}

/// Moves the data; an upload is committed only if all of it came. A
/// download ends once the client has taken nothing for `timeout`. The
/// buffer is taken by value: an upload gives it back before its sync. A
/// download sends at most `limit` bytes (the drop-data quirk).
fn copy(
    job: Job,
    repr: Representation,
    stream: &mut DataStream,
    timeout: Duration,
    progress: &Progress,
    mut buffer: impl AsMut<Vec<u8>>,
    limit: u64,
) -> Result<u64, Error> {
    let mut count = |n: u64| progress.bytes.store(n, Ordering::Relaxed);
    match job {
        Job::SendFile { file, .. } => stream.send(
            &mut file.take(limit),
            repr,
            timeout,
            &mut count,
            buffer.as_mut(),
        ),
        Job::SendListing(mut lines) => stream.send(
            &mut lines,
            Representation::Binary,
            timeout,
            &mut count,
            buffer.as_mut(),
        ),
        Job::Receive(mut upload) => {
            let moved = stream.receive(&mut upload, repr, &mut count, buffer.as_mut())?;
            // Free for other transfers during the sync.
            drop(buffer);
            // The end of the data after an ABOR is no end of file. Any
            // other clean end is (RFC 959 §3.4.1, stream mode), also when
            // the client sends QUIT and hangs up right after it.
            if progress.aborted() {
                return Err(Error::ConnectionClosed);
            }
            upload.sync()?;
            upload.commit()?;
            Ok(moved)
        }
    }
}

/// Logs a file transfer's end, and writes its xferlog line if there is a
/// transfer log; both say whether the data was `protected` by TLS.
fn log_end(
    record: &Record,
    repr: Representation,
    end: &TransferEnd,
    elapsed: Duration,
    moved: u64,
    protected: bool,
    context: &XferContext,
) {
    let complete = end.result.is_ok();
    log::info!(
        "{}: {} {} {}: {moved} bytes in {:.3} s ({}, {}{}) {}",
        context.peer,
        record.user,
        record.verb,
        record.path.logged(),
        elapsed.as_secs_f64(),
        repr.name(),
        data_mode(context.data),
        if protected { ", TLS" } else { "" },
        if complete { "complete" } else { "incomplete" },
    );
    if let Some(xferlog) = &context.xferlog {
        xferlog.write(&XferEntry {
            when: SystemTime::now(),
            duration: elapsed,
            host: context.peer,
            bytes: moved,
            record,
            ascii: repr == Representation::Ascii,
            protected,
            complete,
        });
    }
}

/// `passive EPSV` or `active PORT`, for logs.
fn data_mode(data: DataSetup) -> String {
    let command = data.command();
    format!("{} {command}", command.mode())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use crate::storage::tests::Scratch;
    use crate::storage::{Storage, VirtualPath, WriteMode};
    use ftp_core::protocol::data_setup::DataCommand;

    /// A connected pair: (the server's end, the client's end).
    pub(in crate::xfer) fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        (server, client)
    }

    /// A scratch directory holding `sent.bin` with `content`, and its storage.
    pub(in crate::xfer) fn stored(content: &[u8]) -> (Scratch, Storage) {
        let scratch = Scratch::new("xfer");
        std::fs::write(scratch.0.join("sent.bin"), content).expect("write");
        let storage = Storage::open(&scratch.0, false).expect("storage");
        (scratch, storage)
    }

    /// A transfer of `job` in `repr` over a passive connection, not logged.
    pub(in crate::xfer) fn transfer(job: Job, repr: Representation) -> Transfer {
        Transfer {
            data: DataSetup::Passive(DataCommand::Epsv),
            job,
            repr,
            record: None,
        }
    }

    /// The context of a transfer to `client`.
    pub(in crate::xfer) fn context(client: &TcpStream) -> XferContext {
        XferContext {
            peer: client.local_addr().expect("addr").ip(),
            data: DataSetup::Passive(DataCommand::Epsv),
            data_timeout: Duration::from_secs(5),
            xferlog: None,
            quirks: Arc::default(),
        }
    }

    fn sent_file() -> VirtualPath {
        VirtualPath::root().join(b"sent.bin")
    }

    #[test]
    fn a_download_in_type_a_is_sent_with_crlf_and_reported_once() {
        let (_scratch, storage) = stored(b"one\ntwo\n");
        let (file, _) = storage.open_file(&sent_file()).expect("open");
        let job = Job::SendFile { file, len: 8 };
        let (server, mut client) = pair();
        let mut reports = Vec::new();
        let progress = Progress::default();
        let end = run(
            transfer(job, Representation::Ascii),
            server.into(),
            &progress,
            Vec::new(),
            |end: &TransferEnd| reports.push(format!("{:?}", end.result)),
            &context(&client),
        );
        let mut got = Vec::new();
        client.read_to_end(&mut got).expect("data to its end");
        assert_eq!(got, b"one\r\ntwo\r\n");
        assert!(matches!(end.result, Ok(10)) && !end.aborted, "{end:?}");
        assert_eq!(reports, ["Ok(10)"]);
        assert_eq!(progress.bytes(), 10);
    }

    /// Uploads `data` over a file that holds `old`: (what the file holds
    /// then, how the transfer ended). The client ends the data, or with
    /// `abort` the transfer is aborted before the end of the data came.
    fn upload_over_old(data: &[u8], abort: bool) -> (Vec<u8>, TransferEnd) {
        let (scratch, storage) = stored(b"old");
        let upload = storage
            .upload(&sent_file(), WriteMode::Replace)
            .expect("upload");
        let (server, mut client) = pair();
        client.write_all(data).expect("send");
        let progress = Progress::default();
        if abort {
            progress.abort(&server);
        } else {
            client.shutdown(Shutdown::Write).expect("end of data");
        }
        let end = run(
            transfer(Job::Receive(upload), Representation::Binary),
            server.into(),
            &progress,
            Vec::new(),
            |_: &TransferEnd| {},
            &context(&client),
        );
        let kept = std::fs::read(scratch.0.join("sent.bin")).expect("read");
        (kept, end)
    }

    #[test]
    fn an_upload_is_committed_once_all_its_data_came() {
        let (kept, end) = upload_over_old(b"new content", false);
        assert!(matches!(end.result, Ok(11)) && !end.aborted, "{end:?}");
        assert_eq!(kept, b"new content");
    }

    #[test]
    fn an_upload_aborted_before_its_data_ended_keeps_the_old_file() {
        let (kept, end) = upload_over_old(b"partial", true);
        assert!(end.aborted && end.result.is_err(), "{end:?}");
        assert_eq!(kept, b"old");
    }
}
