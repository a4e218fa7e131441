//! The ftp-client library: a blocking FTP client, [`Client`], and (with the
//! default `cli` feature) the parts of the `ftp-client` program.
//!
//! The library:
//!
//! - [`Client`]: the blocking FTP client, generic over its control stream
//!   (`S: Read + Write`), with [`Options`], [`DataMode`], [`Representation`]
//!   (ftp-core's, the transfer type) and [`IpFamily`] to set a session up,
//!   and [`Error`], its one error type. A new session transfers in ASCII, the
//!   FTP default (RFC 959): call [`Client::set_type`] with
//!   [`Representation::Binary`] to move files unchanged. The same names live in [`client`] and [`error`].
//! - [`url`]: `ftp://` URLs.
//! - [`terminal`]: escaping the server's text (replies, file names) before
//!   it reaches a terminal. A file name ([`Entry::name`]) is bytes, as it
//!   travels; [`terminal::escape`] makes it text that is safe to print, and
//!   `String::from_utf8_lossy` text to compare.
//!
//! `examples/session.rs` logs in, lists, downloads into memory and uploads:
//! `cargo run -p ftp-client --example session -- HOST PORT USER PASSWORD`.
//!
//! The library has no async runtime and no dependencies besides `ftp-core`
//! and std. It does not log: what it has to say is in its return values and
//! in the events an observer sees ([`Client::set_observer`]). Depend on it
//! with `default-features = false` to leave the program out:
//!
//! ```toml
//! ftp-client = { version = "0.1", default-features = false }
//! ```
//!
//! The `cli` feature (on by default) adds the program, its one dependency
//! (`getopts`; the program writes no log, so it has no logger) and the
//! modules only the program uses:
//! `shell`, its command interpreter (BSD ftp commands) and its one-shot
//! download and upload; `probe`, the checks of `ftp-client probe`;
//! `progress`, the progress meter; `netrc`, credentials from `~/.netrc`;
//! `tty`, changing the terminal's modes (no echo, Ctrl-C as a byte) and
//! restoring them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
pub mod error;
mod options;
pub mod terminal;
pub mod url;

#[cfg(feature = "cli")]
pub mod netrc;
#[cfg(feature = "cli")]
pub mod probe;
#[cfg(feature = "cli")]
pub mod progress;
#[cfg(feature = "cli")]
pub mod shell;
#[cfg(feature = "cli")]
pub mod tty;

pub use client::{AbortHandle, Client, DataConnection, Event, Features, Observer, LISTING_LIMIT};
pub use error::Error;
pub use ftp_core::protocol::listing::{Entry, EntryKind};
pub use ftp_core::Reply;
pub use ftp_core::Representation;
pub use options::{DataMode, IpFamily, Options};

/// The library's example in `README.md`, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
