//! The ftp-client library: a blocking FTP client (`Client`) and the pieces of the
//! `ftp-client` program (stub: being written).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
pub mod error;
