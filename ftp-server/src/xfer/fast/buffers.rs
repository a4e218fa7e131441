//! The copy buffers of all sessions' transfers, kept for the next transfer.
//!
//! A transfer borrows a buffer ([`Borrowed::take`]) for its copy and gives
//! it back when it is done; the server keeps up to [`KEPT`] of them between
//! transfers, for whichever session transfers next. Allocating a buffer
//! per transfer would leave each freed one (up to 256 KiB) in the malloc
//! arena of the thread that freed it, where glibc keeps it (up to 8 arenas
//! per core), so sessions idle after a transfer would hold far more memory
//! than sessions that never transferred: see `docs/performance.md`, section
//! "Transfers: what each optimisation saves".
//!
//! What it does not do: size the buffers (`ftp_core::io::transfer` grows them
//! while reads fill them).

use std::sync::{Mutex, PoisonError};

/// How many buffers wait between transfers. More transfers at once allocate
/// buffers of their own, which are freed at their end.
const KEPT: usize = 2;

/// The buffers all sessions share.
static SHARED: Pool = Pool::new(KEPT);

/// Buffers waiting for a transfer.
struct Pool {
    waiting: Mutex<Vec<Vec<u8>>>,
    limit: usize,
}

impl Pool {
    const fn new(limit: usize) -> Pool {
        Pool {
            waiting: Mutex::new(Vec::new()),
            limit,
        }
    }

    /// The waiting buffers; a poisoned lock only means a panic elsewhere.
    fn waiting(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take(&self) -> Borrowed<'_> {
        Borrowed {
            bytes: self.waiting().pop().unwrap_or_default(),
            pool: self,
        }
    }
}

/// A buffer borrowed for one transfer, given back when dropped.
pub struct Borrowed<'a> {
    bytes: Vec<u8>,
    pool: &'a Pool,
}

impl Borrowed<'static> {
    /// A buffer that waited for a transfer (the one given back last), or a
    /// new, empty one.
    pub fn take() -> Borrowed<'static> {
        SHARED.take()
    }
}

/// The buffer, for `ftp_core::io::transfer::copy_with_buffer`.
impl AsMut<Vec<u8>> for Borrowed<'_> {
    fn as_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }
}

impl Drop for Borrowed<'_> {
    fn drop(&mut self) {
        if self.bytes.is_empty() {
            return;
        }
        let mut waiting = self.pool.waiting();
        if waiting.len() < self.pool.limit {
            waiting.push(std::mem::take(&mut self.bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_the_next_one_taken() {
        let pool = Pool::new(2);
        let mut first = pool.take();
        assert!(first.as_mut().is_empty(), "a new pool has none waiting");
        first.as_mut().resize(1 << 10, 7);
        let address = first.as_mut().as_ptr();
        drop(first);
        let mut again = pool.take();
        assert_eq!(again.as_mut().as_ptr(), address, "the same allocation");
        assert_eq!(again.as_mut().len(), 1 << 10, "still grown");
    }

    #[test]
    fn no_more_than_the_limit_wait_and_unused_buffers_are_not_kept() {
        let pool = Pool::new(2);
        let mut borrowed: Vec<Borrowed<'_>> = (0..3).map(|_| pool.take()).collect();
        for buffer in &mut borrowed {
            buffer.as_mut().resize(64, 0);
        }
        drop(borrowed);
        assert_eq!(pool.waiting().len(), 2);
        let unused = (pool.take(), pool.take(), pool.take());
        drop(unused);
        assert_eq!(pool.waiting().len(), 2, "the two grown ones came back");
        assert!(pool.waiting().iter().all(|buffer| buffer.len() == 64));
    }
}
