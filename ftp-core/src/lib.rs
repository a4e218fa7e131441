//! # ftp-core: the FTP protocol, without the programs
//!
//! The pieces of FTP that a client and a server share, in two layers, as
//! smoltcp keeps its `wire` apart from its sockets:
//!
//! | layer | modules | job |
//! |---|---|---|
//! | [`protocol`] | `command`, `reply`, `addr`, `data_setup`, `representation`, `time`, `glob`, `listing`, `printable`, `tls` | what the lines and listings mean: pure functions on `&str`/`&[u8]`, no I/O |
//! | [`io`] | `line`, `data`, `transfer` | moving bytes: control-line framing, opening data connections, copying file data |
//! | [`error`] | | the crate's one [`Error`] type |
//!
//! Parsing is pure: every parser works on `&str` or `&[u8]` and never touches a
//! socket, so it can be tested with byte strings. Only [`io`] does I/O, and
//! only through `std`.
//!
//! ## The one idea: who opens the data connection
//!
//! | mode | command | who listens | who connects |
//! |---|---|---|---|
//! | active | `PORT` / `EPRT` | client | server |
//! | passive | `PASV` / `EPSV` | server | client |
//!
//! Both sides therefore need the same two operations, *listen and accept* and
//! *connect*; [`io::data`] provides them once for both programs, and
//! [`protocol::data_setup`] the words for them: the modes, the trace line
//! and the likely cause of a failure.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod io;
pub mod protocol;

#[cfg(test)]
pub(crate) mod test_support;

pub use error::{Error, Phase};
pub use protocol::command::Command;
pub use protocol::command_error::CommandError;
pub use protocol::reply::{Reply, ReplyCode};
pub use protocol::representation::Representation;
