//! # ftp-server: a blocking, thread-per-session FTP server
//!
//! Standalone (one or more listen addresses) or under inetd, active and
//! passive, IPv4 and IPv6, jailed in a root directory. One thread per control
//! connection, with a small stack; a transfer runs on a second thread of the
//! session's (ended when idle) so the control connection answers ABOR and
//! STAT meanwhile, unless it is a download small enough to be sent at once.
//!
//! | module | job |
//! |---|---|
//! | [`config`] | command-line options to a checked configuration |
//! | [`server`] | accept loops, inetd mode |
//! | [`limits`] | bounded counts per client address: sessions, passive listeners |
//! | [`privileges`] | no session as root: `--run-as USER` |
//! | [`quirks`] | `--quirk`: misbehaving on purpose, for testing clients |
//! | [`conn`] | one control connection's I/O loop, data connections |
//! | [`session`] | the state machine: command in, reply and action out |
//! | [`xfer`] | one transfer: copy, end, log ([`xfer::run`]); where it runs and its buffer, for speed ([`xfer::fast`]) |
//! | [`storage`] | the only code that touches files: the jail, safe uploads |
//! | [`list`] | directory listings for LIST, NLST, MLSD, MLST, STAT |
//! | [`auth`] | users, anonymous access, permissions |
//! | [`xferlog`] | the transfer log in xferlog format |
//! | `tls` | FTPS, with the `tls` feature: certificates, TLS on the control and data connections |
//!
//! The protocol itself (commands, replies, addresses, line framing, data
//! connections, copying) is `ftp-core`'s, shared with the client.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod config;
pub mod conn;
pub mod limits;
pub mod list;
pub mod privileges;
pub mod quirks;
pub mod server;
pub mod session;
pub mod storage;
#[cfg(feature = "tls")]
pub mod tls;
pub mod xfer;
pub mod xferlog;
