//! The I/O: the only part of ftp-core that reads or writes a stream.
//!
//! It moves bytes and leaves their meaning to [`crate::protocol`]: the
//! control channel's lines are framed here and parsed there. Only `std`'s
//! sockets and `Read`/`Write` are used, so a test can drive any of it with
//! an in-memory stream or a loopback socket.
//!
//! | module | job |
//! |---|---|
//! | [`line`](mod@line) | control-channel framing: a bounded line reader (Telnet-aware), a safe writer |
//! | [`data`] | the one place data connections are opened: listen, accept, connect |
//! | [`transfer`] | copying file data in TYPE I and TYPE A, with byte counts and progress |

pub mod data;
pub mod line;
pub mod transfer;
