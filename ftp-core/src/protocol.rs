//! The pure protocol: what FTP's lines and listings mean, with no I/O.
//!
//! Every function here works on `&str`, `&[u8]` or plain values and never
//! touches a socket or a file, so each can be tested with byte strings and
//! fuzzed on its own. What moves bytes is in [`crate::io`].
//!
//! | module | job |
//! |---|---|
//! | [`command`] | the typed [`Command`](command::Command): parse a control line, format it back |
//! | [`command_error`] | why a line is not a command, and the reply code for it |
//! | [`reply`] | the typed [`Reply`](reply::Reply): incremental multi-line parsing, formatting |
//! | [`addr`] | `h1,h2,h3,h4,p1,p2`, EPRT `\|1\|ip\|port\|` and EPSV `(\|\|\|port\|)` |
//! | [`data_setup`] | who listens and who connects (PASV, EPSV, PORT, EPRT), the trace line, the likely cause of a failure |
//! | [`representation`] | TYPE: its arguments, and the two representations both programs move (ASCII, binary) |
//! | [`time`] | the UTC calendar: `SystemTime` to a date and back, the `YYYYMMDDHHMMSS` of MDTM, MFMT and MLSx |
//! | [`glob`] | `*` and `?` in file names |
//! | [`listing`] | `ls -l` and MLSx lines: the entry model, formatting (server) and parsing (client) |
//! | [`printable`] | the other side's text shown with its control characters escaped |
//! | [`tls`] | FTPS words both programs print: a TLS version's name |

pub mod addr;
pub mod command;
pub mod command_error;
pub mod data_setup;
pub mod glob;
pub mod listing;
pub mod printable;
pub mod reply;
pub mod representation;
pub mod time;
pub mod tls;
