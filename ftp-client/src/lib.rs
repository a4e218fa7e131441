//! The ftp-client library: a blocking FTP client and the parts of the
//! `ftp-client` program.
//!
//! - [`client`]: [`client::Client`], the blocking FTP client, generic over its
//!   control stream; [`error`]: its error type.
//! - [`url`]: `ftp://` URLs; [`netrc`]: credentials from `~/.netrc`.
//! - [`terminal`]: escaping the server's text before it reaches a terminal;
//!   [`tty`]: changing the terminal's modes (no echo, Ctrl-C as a byte) and
//!   restoring them.
//! - [`shell`]: the program's command interpreter (BSD ftp commands) and its
//!   one-shot download and upload; [`progress`]: the progress meter.
//!
//! The library has no async runtime and no dependencies besides `ftp-core`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
pub mod error;
pub mod netrc;
pub mod probe;
pub mod progress;
pub mod shell;
pub mod terminal;
pub mod tty;
pub mod url;
