//! Performance work: where a transfer runs and which buffer it copies
//! through. The plain way — a thread per transfer with a buffer of its own —
//! would behave the same; each piece here saves time or memory over it, and
//! every path calls [`super::run`] for the transfer itself. The figures are
//! in `docs/performance.md`, section "Transfers: what each optimisation
//! saves".
//!
//! - **Small downloads on the control thread** ([`INLINE_LIMIT`]): the
//!   kernel's socket buffers take a small download whole, so its copy does
//!   not wait for the client, and [`start`] runs it to its final reply on the
//!   calling (control) thread. Saves handing the transfer to another thread
//!   and its end back, twice a wake-up per file: it shows when a client
//!   fetches many small files.
//! - **One transfer thread per session** ([`Worker`], `worker.rs`): started
//!   for the first transfer that needs it, reused for the next ones, ended
//!   after a while without work. Saves creating a thread (clone, stack
//!   mapping, exit) per file; ending it gives its memory back, so a session
//!   idle after a transfer costs what one that never transferred does.
//! - **Copy buffers shared by all sessions** (`buffers.rs`): a transfer
//!   borrows a buffer and gives it back. Saves the memory glibc would
//!   otherwise keep, in each thread's arena, for every buffer freed.
//!
//! [`start`] hands the transfer to the session's [`Worker`] and returns a
//! [`Running`] for the control thread: [`Running::bytes`] answers STAT,
//! [`Running::abort`] aborts, and [`Running::wait`] lets the next command
//! wait its turn. When the transfer ends, its thread reports it (the
//! connection's [`Report`] sends the session's reply) and logs it.
//!
//! What it does not do: the transfer itself ([`super::run`]), open the data
//! connection, or decide replies.

use std::io;
use std::net::TcpStream;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;

use super::{run, DataStream, Progress, XferContext};
use crate::session::{Job, Transfer, TransferEnd};

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
/// What it saves: see `docs/performance.md`, section "Transfers: what each
/// optimisation saves".
pub const INLINE_LIMIT: u64 = 16 << 10;

/// What the connection does with a transfer's end: send the reply the
/// session decides for it. Called on the thread that ran the transfer.
pub type Report = Box<dyn FnOnce(&TransferEnd) + Send>;

/// Starts moving `transfer`'s data over `stream` on the session's transfer
/// thread (`worker`); its end goes to `report`. A small download is run
/// here instead, to its end: then there is nothing running (`None`).
pub fn start(
    worker: &mut Worker,
    mut transfer: Transfer,
    stream: DataStream,
    report: Report,
    context: XferContext,
) -> io::Result<Option<Running>> {
    if is_small_download(&mut transfer.job) {
        let progress = Progress::default();
        run(
            transfer,
            stream,
            &progress,
            Borrowed::take(),
            report,
            &context,
        );
        return Ok(None);
    }
    let progress = Arc::new(Progress::default());
    let shared = Arc::clone(&progress);
    let data = stream.try_clone_socket()?;
    let (reply_sent, done) = mpsc::sync_channel(1);
    worker.run(Box::new(move || {
        let end = run(
            transfer,
            stream,
            &shared,
            Borrowed::take(),
            report,
            &context,
        );
        // Nothing of the transfer is held once it is reported done.
        drop(context);
        // The control thread may have stopped waiting (session end).
        let _ = reply_sent.send(end.aborted);
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
        self.progress.bytes()
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
        self.progress.abort(&self.data);
        self.done.recv().unwrap_or(false)
    }

    /// Waits for the transfer to end by itself.
    pub fn wait(self) {
        let _ = self.done.recv();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::thread;
    use std::time::{Duration, Instant};

    use ftp_core::Representation;

    use crate::storage::VirtualPath;
    use crate::xfer::tests::{context, pair, stored, transfer};

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
        let (_scratch, storage) = stored(&content);
        let (file, _) = storage
            .open_file(&VirtualPath::root().join(b"sent.bin"))
            .expect("open");
        let (server, client) = pair();
        let job = Job::SendFile {
            file,
            len: content.len() as u64,
        };
        let mut out = recorder.clone();
        let report: Report = Box::new(move |end: &TransferEnd| {
            let reply = crate::session::Session::transfer_reply(end);
            out.write_all(&reply.to_wire()).expect("record");
        });
        let context = context(&client);
        let transfer = transfer(job, Representation::Binary);
        let running = start(worker, transfer, server.into(), report, context).expect("start");
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
