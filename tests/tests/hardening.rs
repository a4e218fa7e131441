//! Hardening tests of the real `ftp-server` binary: hostile clients (floods
//! of connections, over-long lines, garbage, Telnet floods, pipelining,
//! bounce and theft attempts, path tricks, brute force, session limits,
//! stalled data connections) and load and faults (hundreds of concurrent
//! transfers checked byte for byte, clients killed mid-transfer, a full
//! disk, a server killed under a client).
//!
//! Every test starts its own server on a port chosen by the OS, on
//! loopback, with short timeouts where it waits for one; every loop is
//! bounded; every process is killed when the test ends. After each attack
//! a legitimate user must still be served, and where it matters the
//! server's threads and open descriptors must be back to their baseline
//! (`/proc/PID/task`, `/proc/PID/fd`).
//!
//! Numbers and findings are written up in `docs/robustness.md`. The tests
//! print what they measured (`cargo test -p ftp-tests --test hardening --
//! --nocapture` shows it).

/// The test modules, in `tests/tests/hardening/`.
mod hardening {
    mod harness;
    mod hostile;
    mod load;
    mod permissions;
}
