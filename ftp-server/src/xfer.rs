//! A transfer on the session's transfer thread, its byte counter, and a way
//! to abort it.
//!
//! [`start`] hands a [`Transfer`] and its open data connection to the
//! session's [`Worker`] (the thread, in `worker.rs`), which copies through a
//! buffer borrowed from the pool all sessions share (`buffers.rs`). When the
//! copy ends, the thread closes the data connection, commits or discards an
//! upload, reports a [`TransferEnd`] — the connection's [`Report`] sends the
//! reply the session decides for it (226, 426, 451, 452) — and logs the
//! transfer. The control thread meanwhile
//! reads on: [`Running::bytes`] answers STAT, [`Running::abort`] shuts the
//! data socket down so the copy fails at once, and [`Running::wait`] lets
//! the next command wait its turn.
//!
//! A small download (at most [`INLINE_LIMIT`] bytes) is the exception: the
//! kernel's socket buffers take it whole, so its copy does not wait for the
//! client, and [`start`] runs it to its final reply on the calling
//! (control) thread, saving the hand-off to the transfer thread and back.
//!
//! What it does not do: open the data connection (that is [`crate::conn`]),
//! decide what to transfer or what to answer (the session), or touch the
//! control connection.

use std::io;
use std::net::{IpAddr, Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ftp_core::io::data::SendTimeout;
use ftp_core::io::transfer::{copy_with_buffer, Direction};
use ftp_core::Error;
use ftp_core::Representation;

use crate::session::{DataSetup, Job, Transfer, TransferEnd};
use crate::xferlog::{XferEntry, XferLog};

mod buffers;
mod worker;

use buffers::Borrowed;
pub use worker::Worker;

/// The largest download sent on the control thread rather than the
/// transfer thread (32 KiB at most once TYPE A has doubled its line ends).
/// A new TCP connection takes that much without the client reading: its
/// receive window starts at about 64 KiB, and its send buffer holds what a
/// smaller window leaves (tested: a client that shrank its receive buffer to
/// 2,304 bytes and read nothing got its 226 at once, `tests/tests/hardening`).
/// Should a write wait after all, it holds up only its own session, until
/// the data timeout, as a client that never opens the data connection does.
/// Measured with 2,000 files of 1 KiB in one session: 4-12 % more files per
/// second than through the transfer thread.
pub const INLINE_LIMIT: u64 = 16 << 10;

/// What the transfer thread needs to know besides the transfer itself.
pub struct XferContext {
    /// The client's address, for logs.
    pub peer: IpAddr,
    /// How the data connection was opened, for logs.
    pub data: DataSetup,
    /// How long a send may make no progress.
    pub data_timeout: Duration,
    /// Where to write the xferlog line, if anywhere.
    pub xferlog: Option<Arc<XferLog>>,
}

/// What the control thread and the transfer thread share about a transfer.
#[derive(Default)]
struct Progress {
    aborted: AtomicBool,
    bytes: AtomicU64,
}

/// What the connection does with a transfer's end: send the reply the
/// session decides for it. Called on the thread that ran the transfer.
pub type Report = Box<dyn FnOnce(&TransferEnd) + Send>;

/// Starts moving `transfer`'s data over `stream` on the session's transfer
/// thread (`worker`); its end goes to `report`. A small download is run
/// here instead, to its end: then there is nothing running (`None`).
pub fn start(
    worker: &mut Worker,
    mut transfer: Transfer,
    stream: TcpStream,
    report: Report,
    context: XferContext,
) -> io::Result<Option<Running>> {
    let progress = Arc::new(Progress::default());
    let run = Run {
        stream,
        progress: Arc::clone(&progress),
    };
    if is_small_download(&mut transfer.job) {
        run.finish(transfer, report, &context);
        return Ok(None);
    }
    let data = run.stream.try_clone()?;
    let (reply_sent, done) = mpsc::sync_channel(1);
    worker.run(Box::new(move || {
        let aborted = run.finish(transfer, report, &context);
        // Nothing of the transfer is held once it is reported done.
        drop(context);
        // The control thread may have stopped waiting (session end).
        let _ = reply_sent.send(aborted);
    }))?;
    Ok(Some(Running {
        done,
        data,
        progress,
    }))
}

/// Whether `job` is a download small enough to run on the control thread
/// (a listing is rendered up to that size to find out).
fn is_small_download(job: &mut Job) -> bool {
    match job {
        Job::SendFile { len, .. } => *len <= INLINE_LIMIT,
        Job::SendListing(lines) => lines.fits_in(INLINE_LIMIT as usize),
        Job::Receive(_) => false,
    }
}

/// A transfer running on the session's transfer thread.
pub struct Running {
    done: Receiver<bool>,
    data: TcpStream,
    progress: Arc<Progress>,
}

impl Running {
    /// Bytes moved so far.
    pub fn bytes(&self) -> u64 {
        self.progress.bytes.load(Ordering::Relaxed)
    }

    /// The transfer back if it is still running, `None` once it has ended
    /// (its reply is sent).
    pub fn unless_finished(self) -> Option<Running> {
        match self.done.try_recv() {
            Err(TryRecvError::Empty) => Some(self),
            Ok(_) | Err(TryRecvError::Disconnected) => None,
        }
    }

    /// Aborts the transfer and waits for its 426. Returns whether there was
    /// anything to abort (false when it had already completed).
    pub fn abort(self) -> bool {
        self.progress.aborted.store(true, Ordering::SeqCst);
        // Wakes a copy blocked on the socket: reads see the end, writes fail.
        let _ = self.data.shutdown(Shutdown::Both);
        self.done.recv().unwrap_or(false)
    }

    /// Waits for the transfer to end by itself.
    pub fn wait(self) {
        let _ = self.done.recv();
    }
}

/// The transfer thread's side.
struct Run {
    stream: TcpStream,
    progress: Arc<Progress>,
}

impl Run {
    /// Runs the transfer, reports its end, logs. Returns whether the
    /// transfer was ended by an abort.
    fn finish(mut self, transfer: Transfer, report: Report, context: &XferContext) -> bool {
        let started = Instant::now();
        let result = self.copy(transfer.job, transfer.repr, context.data_timeout);
        // The client reads to the end of the data before it reads the reply.
        let _ = self.stream.shutdown(Shutdown::Both);
        // An abort that came after the transfer completed aborted nothing.
        let aborted = self.progress.aborted.load(Ordering::SeqCst) && result.is_err();
        let end = TransferEnd { result, aborted };
        report(&end);
        let elapsed = started.elapsed();
        let moved = self.progress.bytes.load(Ordering::Relaxed);
        if let Some(record) = &transfer.record {
            let complete = end.result.is_ok();
            log::info!(
                "{}: {} {} {}: {moved} bytes in {:.3} s ({}, {}) {}",
                context.peer,
                record.user,
                record.verb,
                record.path.logged(),
                elapsed.as_secs_f64(),
                transfer.repr.name(),
                data_mode(context.data),
                if complete { "complete" } else { "incomplete" },
            );
            if let Some(xferlog) = &context.xferlog {
                xferlog.write(&XferEntry {
                    when: SystemTime::now(),
                    duration: elapsed,
                    host: context.peer,
                    bytes: moved,
                    record,
                    ascii: transfer.repr == Representation::Ascii,
                    complete,
                });
            }
        }
        aborted
    }

    /// Moves the data; an upload is committed only if all went well. A
    /// download ends once the client has taken nothing for `timeout`.
    fn copy(&mut self, job: Job, repr: Representation, timeout: Duration) -> Result<u64, Error> {
        let shared = Arc::clone(&self.progress);
        let mut progress = |n: u64| shared.bytes.store(n, Ordering::Relaxed);
        let mut buffer = Borrowed::take();
        match job {
            Job::SendFile { mut file, .. } => copy_with_buffer(
                &mut file,
                &mut SendTimeout::new(&self.stream, timeout),
                repr,
                Direction::Send,
                Some(&mut progress),
                buffer.bytes(),
            ),
            Job::SendListing(mut lines) => copy_with_buffer(
                &mut lines,
                &mut SendTimeout::new(&self.stream, timeout),
                Representation::Binary,
                Direction::Send,
                Some(&mut progress),
                buffer.bytes(),
            ),
            Job::Receive(mut upload) => {
                let moved = copy_with_buffer(
                    &mut self.stream,
                    &mut upload,
                    repr,
                    Direction::Receive,
                    Some(&mut progress),
                    buffer.bytes(),
                )?;
                // Free for other transfers during the sync.
                drop(buffer);
                // The end of the data after an ABOR is no end of file. Any
                // other clean end is (RFC 959 §3.4.1, stream mode), also when
                // the client sends QUIT and hangs up right after it.
                if self.progress.aborted.load(Ordering::SeqCst) {
                    return Err(Error::ConnectionClosed);
                }
                upload.sync()?;
                upload.commit()?;
                Ok(moved)
            }
        }
    }
}

/// `passive EPSV` or `active PORT`, for logs.
fn data_mode(data: DataSetup) -> String {
    match data {
        DataSetup::Active { verb, .. } => format!("active {verb}"),
        DataSetup::Passive(kind) => format!("passive {}", kind.verb()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;
    use std::thread;
    use std::time::Duration;

    /// A connected pair: (the server's end, the client's end).
    fn control_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        (server, client)
    }

    /// A control channel that records each reply and the thread that wrote it.
    #[derive(Clone, Default)]
    struct Recorder(Arc<std::sync::Mutex<Vec<(thread::ThreadId, String)>>>);

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let line = String::from_utf8_lossy(buf).into_owned();
            let mut replies = self.0.lock().expect("recorder");
            replies.push((thread::current().id(), line));
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Recorder {
        fn replies(&self) -> Vec<(thread::ThreadId, String)> {
            self.0.lock().expect("recorder").clone()
        }
    }

    /// Starts sending a file of `content` on `worker`: (the running
    /// transfer, if it runs on the transfer thread, the client's end of its
    /// data connection).
    fn start_sending(
        worker: &mut Worker,
        content: Vec<u8>,
        recorder: &Recorder,
    ) -> (Option<Running>, TcpStream) {
        let scratch = crate::storage::tests::Scratch::new("xfer");
        let path = scratch.0.join("sent.bin");
        std::fs::write(&path, &content).expect("write");
        let file = std::fs::File::open(&path).expect("open");
        let (server, client) = control_pair();
        let peer = client.local_addr().expect("addr");
        let transfer = Transfer {
            data: DataSetup::Passive(crate::session::PassiveKind::Epsv),
            job: Job::SendFile {
                file,
                len: content.len() as u64,
            },
            repr: Representation::Binary,
            record: None,
        };
        let context = XferContext {
            peer: peer.ip(),
            data: transfer.data,
            data_timeout: Duration::from_secs(5),
            xferlog: None,
        };
        let mut out = recorder.clone();
        let report: Report = Box::new(move |end: &TransferEnd| {
            let reply = crate::session::Session::transfer_reply(end);
            std::io::Write::write_all(&mut out, &reply.to_wire()).expect("record");
        });
        let running = start(worker, transfer, server, report, context).expect("start");
        (running, client)
    }

    /// A file one byte too large to be sent on the control thread.
    fn too_large_to_inline(byte: u8) -> Vec<u8> {
        vec![byte; INLINE_LIMIT as usize + 1]
    }

    #[test]
    fn one_thread_runs_the_transfers_of_a_session_one_after_the_other() {
        let mut worker = Worker::default();
        let recorder = Recorder::default();
        for content in [too_large_to_inline(b'a'), too_large_to_inline(b'b')] {
            let (running, mut client) = start_sending(&mut worker, content.clone(), &recorder);
            let mut got = Vec::new();
            std::io::Read::read_to_end(&mut client, &mut got).expect("data");
            assert!(got == content, "the file arrived whole");
            running.expect("on the transfer thread").wait();
        }
        let replies = recorder.replies();
        let texts: Vec<&str> = replies.iter().map(|(_, text)| text.as_str()).collect();
        let complete = "226 Transfer complete (16385 bytes)\r\n";
        assert_eq!(texts, [complete, complete]);
        assert_eq!(replies[0].0, replies[1].0, "the same thread");
        assert_ne!(replies[0].0, thread::current().id());
        drop(worker);
    }

    #[test]
    fn a_small_download_runs_to_its_reply_on_the_calling_thread() {
        let mut worker = Worker::default();
        let recorder = Recorder::default();
        let content = vec![b's'; INLINE_LIMIT as usize];
        let (running, mut client) = start_sending(&mut worker, content.clone(), &recorder);
        assert!(running.is_none(), "nothing left running");
        let replies = recorder.replies();
        assert_eq!(replies.len(), 1, "the final reply is sent");
        assert_eq!(replies[0].1, "226 Transfer complete (16384 bytes)\r\n");
        assert_eq!(replies[0].0, thread::current().id());
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut client, &mut got).expect("data");
        assert!(got == content, "the file arrived whole");
        assert!(!worker.has_thread(), "no transfer thread was started");
    }

    #[test]
    fn an_abort_ends_a_blocked_transfer_with_426_and_the_thread_serves_the_next() {
        let mut worker = Worker::default();
        let recorder = Recorder::default();
        // More than the socket buffers hold, and the client does not read.
        let (running, _client) = start_sending(&mut worker, vec![b'x'; 64 << 20], &recorder);
        let running = running.expect("on the transfer thread");
        assert!(running.abort(), "there was something to abort");
        let content = too_large_to_inline(b'c');
        let (running, mut client) = start_sending(&mut worker, content.clone(), &recorder);
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut client, &mut got).expect("data");
        running.expect("on the transfer thread").wait();
        let replies = recorder.replies();
        assert_eq!(replies.len(), 2);
        assert!(replies[0].1.starts_with("426 "), "{}", replies[0].1);
        assert_eq!(replies[1].1, "226 Transfer complete (16385 bytes)\r\n");
        assert!(got == content, "the file arrived whole");
    }

    /// Waits until `recorder` holds `count` replies, for at most 5 s.
    fn await_replies(recorder: &Recorder, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while recorder.replies().len() < count {
            assert!(Instant::now() < deadline, "no final reply");
            thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_transfer_that_ended_is_reaped_and_has_nothing_to_abort() {
        let mut worker = Worker::default();
        let recorder = Recorder::default();
        let (mut running, mut client) =
            start_sending(&mut worker, too_large_to_inline(b'd'), &recorder);
        std::io::Read::read_to_end(&mut client, &mut Vec::new()).expect("data");
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Some(still) = running.take().and_then(Running::unless_finished) {
            assert!(Instant::now() < deadline, "never finished");
            thread::sleep(Duration::from_millis(1));
            running = Some(still);
        }
        assert_eq!(recorder.replies().len(), 1, "the reply came first");

        let (running, mut client) =
            start_sending(&mut worker, too_large_to_inline(b'e'), &recorder);
        std::io::Read::read_to_end(&mut client, &mut Vec::new()).expect("data");
        await_replies(&recorder, 2);
        let running = running.expect("on the transfer thread");
        assert!(!running.abort(), "complete before the ABOR");
        assert_eq!(
            recorder.replies()[1].1,
            "226 Transfer complete (16385 bytes)\r\n"
        );
    }
}
