//! A session's transfer thread: started for the first job that needs it,
//! reused for the jobs after it, and ended once it has had nothing to do for
//! a while (or with the session).
//!
//! Reuse spares a session of many transfers a new thread (clone, stack
//! mapping, exit) per file; ending an idle thread gives its memory back
//! (more than an idle session's own: see `docs/performance.md`, section
//! "Transfers: what each optimisation saves"), so a client that fetched one
//! file and stays connected costs no more than one that never transferred.
//!
//! The job is handed over in a one-place mailbox under a mutex. The thread
//! decides to end under the same lock, only when the mailbox is empty, and
//! [`Worker::run`] starts a new thread under that lock when the last one has
//! ended: a job can never be left in the mailbox of a thread that is gone.
//!
//! What it does not do: know what a job is (the transfer is [`crate::xfer::run`]).

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Stack size of a transfer thread: the copy buffers are on the heap, and
/// the same measurement as the session threads' applies.
const STACK_SIZE: usize = 128 << 10;

/// How long a transfer thread waits for its next job before it ends.
pub const IDLE_END: Duration = Duration::from_secs(2);

/// A job for the thread.
pub type Job = Box<dyn FnOnce() + Send>;

/// A session's transfer thread, while it has one. Dropping it ends the
/// thread after the job it is on, if any, and waits for that.
pub struct Worker {
    mailbox: Arc<Mailbox>,
    thread: Option<JoinHandle<()>>,
    idle_end: Duration,
}

/// What the session and its thread share.
#[derive(Default)]
struct Mailbox {
    slot: Mutex<Slot>,
    /// Rung when a job is put in the slot, or the worker is dropped.
    bell: Condvar,
}

#[derive(Default)]
struct Slot {
    job: Option<Job>,
    /// Whether a thread is serving the slot (set and cleared under the lock).
    thread_alive: bool,
    /// The session is over: the thread ends once the slot is empty.
    closed: bool,
}

impl Default for Worker {
    fn default() -> Self {
        Worker::with_idle_end(IDLE_END)
    }
}

impl Worker {
    /// A worker whose thread ends after `idle_end` without a job.
    pub fn with_idle_end(idle_end: Duration) -> Worker {
        Worker {
            mailbox: Arc::default(),
            thread: None,
            idle_end,
        }
    }

    /// Runs `job` on the thread, starting one if there is none. The caller
    /// hands over one job at a time: it waits for a job's end (which the
    /// job reports itself) before it hands over the next.
    pub fn run(&mut self, job: Job) -> io::Result<()> {
        let mut slot = self.mailbox.lock();
        let ended = if slot.thread_alive {
            None
        } else {
            let mailbox = Arc::clone(&self.mailbox);
            let idle_end = self.idle_end;
            let thread = thread::Builder::new()
                .name("transfer".to_string())
                .stack_size(STACK_SIZE)
                .spawn(move || serve(&mailbox, idle_end))?;
            slot.thread_alive = true;
            self.thread.replace(thread)
        };
        debug_assert!(slot.job.is_none(), "one job at a time");
        slot.job = Some(job);
        drop(slot);
        self.mailbox.bell.notify_one();
        // A thread that ended has let go of the lock for good: no wait here.
        if let Some(ended) = ended {
            let _ = ended.join();
        }
        Ok(())
    }

    /// Whether the session has a transfer thread now.
    #[cfg(test)]
    pub fn has_thread(&self) -> bool {
        self.mailbox.lock().thread_alive
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.mailbox.lock().closed = true;
        self.mailbox.bell.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Mailbox {
    /// The slot; a job that panicked never holds the lock, so a poisoned
    /// lock only means a panic elsewhere, and the slot is still sound.
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The thread: runs each job put in the mailbox, until it has waited
/// `idle_end` for one or the session is closed. It marks itself gone under
/// the same lock in which it saw the mailbox empty.
fn serve(mailbox: &Mailbox, idle_end: Duration) {
    let mut slot = mailbox.lock();
    loop {
        if let Some(job) = slot.job.take() {
            drop(slot);
            // A job that panics has said so on stderr and dropped what it
            // held (its caller sees it end); the thread serves on.
            let _ = panic::catch_unwind(AssertUnwindSafe(job));
            slot = mailbox.lock();
            continue;
        }
        if slot.closed {
            break;
        }
        let (guard, wait) = mailbox
            .bell
            .wait_timeout(slot, idle_end)
            .unwrap_or_else(PoisonError::into_inner);
        slot = guard;
        if wait.timed_out() && slot.job.is_none() {
            break;
        }
    }
    slot.thread_alive = false;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::thread::ThreadId;
    use std::time::Instant;

    /// Runs a job that reports its thread, and waits for it.
    fn thread_of_a_job(worker: &mut Worker) -> ThreadId {
        let (done, ran) = mpsc::channel();
        worker
            .run(Box::new(move || {
                let _ = done.send(thread::current().id());
            }))
            .expect("run");
        ran.recv_timeout(Duration::from_secs(5))
            .expect("the job ran")
    }

    /// Waits up to 5 s for the worker's thread to end.
    fn await_end(worker: &Worker) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while worker.has_thread() {
            assert!(Instant::now() < deadline, "the idle thread did not end");
            thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn jobs_run_one_after_the_other_on_one_thread() {
        let mut worker = Worker::with_idle_end(Duration::from_secs(60));
        let first = thread_of_a_job(&mut worker);
        let second = thread_of_a_job(&mut worker);
        assert_eq!(first, second);
        assert_ne!(first, thread::current().id());
        assert!(worker.has_thread());
    }

    #[test]
    fn an_idle_thread_ends_and_the_next_job_starts_another() {
        let mut worker = Worker::with_idle_end(Duration::from_millis(20));
        assert!(!worker.has_thread(), "no thread before the first job");
        let first = thread_of_a_job(&mut worker);
        await_end(&worker);
        let second = thread_of_a_job(&mut worker);
        assert_ne!(first, second);
    }

    #[test]
    fn jobs_handed_over_while_the_thread_ends_are_never_lost() {
        // An idle time this short makes the thread end between most jobs,
        // often while the next one is being handed over.
        let mut worker = Worker::with_idle_end(Duration::from_micros(50));
        for round in 0..2_000 {
            let (done, ran) = mpsc::channel();
            worker
                .run(Box::new(move || {
                    let _ = done.send(());
                }))
                .expect("run");
            assert!(
                ran.recv_timeout(Duration::from_secs(5)).is_ok(),
                "job {round} was lost"
            );
            if round % 3 == 0 {
                thread::sleep(Duration::from_micros(round % 100));
            }
        }
    }

    #[test]
    fn a_job_that_panics_does_not_stop_the_next() {
        let mut worker = Worker::with_idle_end(Duration::from_secs(60));
        let (done, ended) = mpsc::channel::<()>();
        worker
            .run(Box::new(move || {
                let _held = done;
                panic!("a job that fails (this test's own panic)")
            }))
            .expect("run");
        let ended = ended.recv_timeout(Duration::from_secs(5));
        assert_eq!(
            ended,
            Err(mpsc::RecvTimeoutError::Disconnected),
            "what the job held was dropped"
        );
        thread_of_a_job(&mut worker);
    }

    #[test]
    fn dropping_the_worker_waits_for_the_job_it_is_on() {
        let mut worker = Worker::with_idle_end(Duration::from_secs(60));
        let (done, finished) = mpsc::channel();
        worker
            .run(Box::new(move || {
                thread::sleep(Duration::from_millis(50));
                let _ = done.send(());
            }))
            .expect("run");
        drop(worker);
        assert!(
            finished.try_recv().is_ok(),
            "the job ended before the drop returned"
        );
    }
}
