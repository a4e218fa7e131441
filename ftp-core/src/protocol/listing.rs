//! Directory listings: `ls -l` lines and MLSx fact lines (RFC 3659 §7).
//!
//! The server builds an [`Entry`] from file metadata ([`Entry::from_metadata`])
//! and formats it as a `LIST` line ([`format_list_line`], in vsftpd's layout) or
//! as an `MLSD`/`MLST` line ([`format_mlsx_line`]) carrying the facts chosen with
//! `OPTS MLST` ([`Facts`]). The client parses a line in any of the three common
//! formats back into an [`Entry`] ([`parse_line`]): MLSx facts, Unix `ls -l` and
//! Windows/DOS (IIS).
//!
//! ```
//! use ftp_core::protocol::listing::{format_mlsx_line, parse_line, Entry, EntryKind, Facts};
//!
//! let entry = parse_line(b"-rw-r--r--   1 ftp  ftp  1234 Jan 02  2024 my notes.txt")?;
//! assert_eq!(entry.name, b"my notes.txt");
//! assert_eq!((entry.kind, entry.size, entry.mode), (EntryKind::File, Some(1234), Some(0o644)));
//! assert_eq!(
//!     format_mlsx_line(&entry, &Facts::default(), false),
//!     b"type=file;size=1234;modify=20240102000000;perm=r;unix.mode=0644; my notes.txt"
//! );
//! # Ok::<(), ftp_core::Error>(())
//! ```
//!
//! Names are bytes, never text: a name that is not UTF-8, or that holds spaces,
//! comes out of a format-then-parse round trip unchanged. All times are UTC;
//! the calendar is [`crate::protocol::time`]'s.
//!
//! | module | job |
//! |---|---|
//! | `entry` | the [`Entry`] model, and an entry from file metadata |
//! | `facts` | which MLSx facts are selected ([`Facts`]: `OPTS MLST`, `FEAT`) |
//! | `columns` | what `ls -l` formatting and parsing share: `rwx` groups, the recent-date window |
//! | `format` | an entry as an `ls -l` line or an MLSx line (server) |
//! | `parse` | a line in any common format back into an entry (client) |
//!
//! The items are used from here (`ftp_core::protocol::listing::Entry`); the
//! submodules are private.
//!
//! What this module does not do: read directories, decide permissions, or
//! frame lines (no CRLF).

mod columns;
mod entry;
mod facts;
mod format;
mod parse;

pub use entry::{Entry, EntryKind};
pub use facts::Facts;
pub use format::{format_list_line, format_mlsx_line};
pub use parse::{parse_line, parse_line_at};
