//! What the hardening tests share beyond the crate's server harness
//! (`ftp_tests::server`, `ftp_tests::raw`, `ftp_tests::sockets`): a lock
//! for the tests that load the machine.
//!
//! What it does not do: decide what is hostile. The tests in `hostile.rs` and
//! `load.rs` do that.

use std::sync::{Mutex, MutexGuard, PoisonError};

pub use ftp_tests::raw::Raw;
pub use ftp_tests::server::{soft_limit, Server, PASSWORD, USER};
pub use ftp_tests::{assert_same_file, HELLO};

/// Serialises the tests that load the machine (hundreds of sessions) with
/// the one whose outcome depends on the scheduler (a killed client's sockets
/// close a few microseconds apart, or a time slice apart on a busy machine;
/// see `GONE_GRACE` in the server's `xfer.rs`). The tests of one binary run
/// in parallel threads; this keeps those few from overlapping.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static HEAVY: Mutex<()> = Mutex::new(());
    HEAVY.lock().unwrap_or_else(PoisonError::into_inner)
}
