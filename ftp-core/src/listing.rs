//! STUB — API fixed, bodies to be written (helper: listing).
#![allow(missing_docs)] // stub: remove when the module is written
use std::time::SystemTime;
use crate::Error;

/// What kind of directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind { File, Dir, Symlink, Other }

/// One directory entry, from metadata (server) or a parsed line (client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry { pub name: Vec<u8>, pub kind: EntryKind, pub size: Option<u64>, pub modified: Option<SystemTime>, pub mode: Option<u32>, pub unique: Option<String> }

/// Which MLSx facts are reported (OPTS MLST selects them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts { pub kind: bool, pub size: bool, pub modify: bool, pub perm: bool, pub unix_mode: bool, pub unique: bool }

impl Entry {
    /// An entry from file-system metadata (`symlink_metadata` for links).
    pub fn from_metadata(name: Vec<u8>, meta: &std::fs::Metadata) -> Entry { let _ = meta; Entry { name, kind: EntryKind::Other, size: None, modified: None, mode: None, unique: None } }
}
impl Facts {
    /// Parses the OPTS MLST argument (`type;size;`), ignoring unknown facts.
    pub fn from_opts(arg: &str) -> Facts { let _ = arg; Facts::default() }
    /// The FEAT line: `MLST type*;size*;modify*;perm*;unix.mode*;unique;`.
    pub fn feat_line(&self) -> String { String::new() }
}
impl Default for Facts { fn default() -> Self { Facts { kind: true, size: true, modify: true, perm: true, unix_mode: true, unique: false } } }

/// An `ls -l` line (no CRLF); dates older than six months show the year.
pub fn format_list_line(entry: &Entry, now: SystemTime) -> Vec<u8> { let _ = (entry, now); Vec::new() }
/// An MLSx line `fact=value;... name` (no CRLF, no leading space); `writable` sets the perm fact.
pub fn format_mlsx_line(entry: &Entry, facts: &Facts, writable: bool) -> Vec<u8> { let _ = (entry, facts, writable); Vec::new() }
/// Parses one LIST line (Unix or DOS) or MLSx fact line.
pub fn parse_line(line: &[u8]) -> Result<Entry, Error> { let _ = line; Err(Error::syntax("listing line", "stub")) }
/// `YYYYMMDDHHMMSS` (UTC) for MDTM and the modify fact.
pub fn format_timestamp(t: SystemTime) -> String { let _ = t; String::new() }
/// Parses `YYYYMMDDHHMMSS[.sss]` (UTC).
pub fn parse_timestamp(s: &str) -> Result<SystemTime, Error> { let _ = s; Err(Error::syntax("timestamp", "stub")) }
