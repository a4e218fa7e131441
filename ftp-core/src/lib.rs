//! # ftp-core: the FTP protocol, without the programs
//!
//! The pieces of FTP that a client and a server share, each a small module that
//! can be read on its own:
//!
//! | module | job |
//! |---|---|
//! | [`command`] | the typed [`Command`]: parse a control line, format it back |
//! | [`reply`] | the typed [`Reply`]: incremental multi-line parsing, formatting |
//! | [`addr`] | `h1,h2,h3,h4,p1,p2`, EPRT `\|1\|ip\|port\|` and EPSV `(\|\|\|port\|)` |
//! | [`line`](mod@line) | control-channel framing: a bounded line reader (Telnet-aware), a safe writer |
//! | [`data`] | the one place data connections are opened: listen, accept, connect |
//! | [`transfer`] | copying file data in TYPE I and TYPE A, with byte counts and progress |
//! | [`glob`] | `*` and `?` in file names |
//! | [`listing`] | `ls -l` and MLSx lines: formatting (server) and parsing (client) |
//! | [`printable`] | the other side's text shown with its control characters escaped |
//! | [`error`] | the crate's one [`Error`] type |
//!
//! Parsing is pure: every parser works on `&str` or `&[u8]` and never touches a
//! socket, so it can be tested with byte strings. Only [`data`], [`line`](mod@line) and
//! [`transfer`] do I/O, and only through `std`.
//!
//! ## The one idea: who opens the data connection
//!
//! | mode | command | who listens | who connects |
//! |---|---|---|---|
//! | active | `PORT` / `EPRT` | client | server |
//! | passive | `PASV` / `EPSV` | server | client |
//!
//! Both sides therefore need the same two operations, *listen and accept* and
//! *connect*; [`data`] provides them once for both programs.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod addr;
pub mod command;
pub mod data;
pub mod error;
pub mod glob;
pub mod line;
pub mod listing;
pub mod printable;
pub mod reply;
pub mod transfer;

#[cfg(test)]
pub(crate) mod test_support;

pub use command::{Command, CommandError};
pub use error::{Error, Phase};
pub use reply::{Reply, ReplyCode};
