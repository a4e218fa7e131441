//! `mirror`: copies a directory tree from the server (`mirror REMOTE
//! [LOCAL]`) or to it (`mirror -R LOCAL [REMOTE]`), as lftp's `mirror` does.
//!
//! Directories are listed with [`Client::entries_in`] (MLSD where the server
//! has it, parsed LIST elsewhere). Each file is transferred whole, resumed
//! (`REST`, after `overlap` has checked that the target's last bytes
//! are the source's) or skipped as `plan` decides; a download gets the source's
//! time (`MDTM`, else the listing's) with `File::set_modified`, an upload
//! with `MFMT` where the server has it. `--delete` removes from the target
//! what the source no longer has, `--only-newer` skips targets that are not
//! older, `--dry-run` only says what would be done. Every transfer is binary.
//!
//! Every path is the root given by the user plus names checked by
//! `names::check`: a listed name such as `..`, `/etc/x` or `a/b` is
//! refused and reported, never used. Local symlinks are never followed
//! below the local root (a download refuses to write through one, an upload
//! skips it); remote symlinks are listed and skipped with a note, as lftp
//! does without `--dereference`. Listings nest at most [`MAX_DEPTH`] levels.
//!
//! Not done: dereferencing symlinks, permissions, parallel transfers,
//! include/exclude patterns, and guarding against a local process that
//! swaps a directory for a symlink while the mirror runs.

mod down;
mod names;
mod overlap;
mod plan;
mod up;

use std::collections::HashMap;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use overlap::{Verified, OVERLAP};
use plan::{Action, Stamp};

use super::ShellError;
use crate::client::{Client, Entry, Error, Representation};
use crate::terminal;

/// How deep a tree may nest before the mirror refuses to go further.
pub const MAX_DEPTH: usize = 64;

/// The usage line, shown for arguments that do not fit.
const USAGE: &str = "usage: mirror [--delete] [--only-newer] [--dry-run] REMOTE [LOCAL] \
                     | mirror -R [--delete] [--only-newer] [--dry-run] LOCAL [REMOTE]";

/// The command's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// `-R`: upload (the source is local).
    pub reverse: bool,
    /// `--delete`: remove what the source does not have.
    pub delete: bool,
    /// `--only-newer`: skip targets that are not older.
    pub only_newer: bool,
    /// `--dry-run`: only report.
    pub dry_run: bool,
    /// The local directory.
    pub local: PathBuf,
    /// The remote directory.
    pub remote: String,
}

impl Args {
    /// Parses the words after `mirror`. A missing target is the source's last
    /// component (or the current directory when it has none), as in lftp.
    ///
    /// # Errors
    ///
    /// The usage, for an unknown option or a wrong number of names.
    pub fn parse(words: &[String]) -> Result<Args, ShellError> {
        let mut options = getopts::Options::new();
        options
            .optflag("R", "reverse", "upload")
            .optflag("", "delete", "delete")
            .optflag("", "only-newer", "only newer")
            .optflag("", "dry-run", "dry run");
        let usage = |detail: &str| ShellError::Local(format!("{detail}\n{USAGE}"));
        let matches = options
            .parse(words)
            .map_err(|err| usage(&err.to_string()))?;
        let (source, target) = match matches.free.as_slice() {
            [source] => (source.clone(), None),
            [source, target] => (source.clone(), Some(target.clone())),
            _ => return Err(usage("mirror takes a source and an optional target")),
        };
        let target = target.unwrap_or_else(|| default_target(&source));
        let reverse = matches.opt_present("R");
        let (local, remote) = if reverse {
            (source, target)
        } else {
            (target, source)
        };
        Ok(Args {
            reverse,
            delete: matches.opt_present("delete"),
            only_newer: matches.opt_present("only-newer"),
            dry_run: matches.opt_present("dry-run"),
            local: PathBuf::from(local),
            remote,
        })
    }
}

/// The last component of `source`, or `.` when it has none that can be used.
fn default_target(source: &str) -> String {
    let last = source
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    match names::check(last.as_bytes()) {
        Ok(()) => last.to_string(),
        Err(_) => ".".to_string(),
    }
}

/// `mirror ...`: parses the words, runs the mirror and prints its summary.
///
/// # Errors
///
/// A usage error; an error that ended the session; or, when any entry
/// failed (each already reported), a summary error so the shell's exit
/// status says so.
pub fn run<S: Read + Write>(client: &mut Client<S>, words: &[String]) -> Result<(), ShellError> {
    let args = Args::parse(words)?;
    let previous = client.transfer_type();
    if previous != Representation::Binary && !args.dry_run {
        client.set_type(Representation::Binary)?;
    }
    let mut mirror = Mirror {
        client,
        args,
        report: Report::default(),
    };
    let result = if mirror.args.reverse {
        mirror.upload()
    } else {
        mirror.download()
    };
    println!("{}", mirror.report.summary(mirror.args.dry_run));
    if previous != Representation::Binary && !mirror.args.dry_run {
        mirror.client.set_type(previous)?;
    }
    result?;
    match mirror.report.errors {
        0 => Ok(()),
        errors => Err(ShellError::Local(format!(
            "mirror: {errors} error(s), see above"
        ))),
    }
}

/// What the mirror did, for the summary.
#[derive(Debug, Default)]
struct Report {
    directories: u64,
    files: u64,
    bytes: u64,
    deleted: u64,
    skipped: u64,
    errors: u64,
}

impl Report {
    /// The last line, after lftp's totals.
    fn summary(&self, dry_run: bool) -> String {
        let (files, deleted) = if dry_run {
            ("to transfer", "to delete")
        } else {
            ("transferred", "deleted")
        };
        format!(
            "{}Total: {} directories, {} files {files} ({} bytes), {} {deleted}, {} skipped, {} errors",
            if dry_run { "Dry run. " } else { "" },
            self.directories,
            self.files,
            self.bytes,
            self.deleted,
            self.skipped,
            self.errors,
        )
    }
}

/// One run of the mirror: the client, the arguments and the counts so far.
struct Mirror<'a, S: Read + Write> {
    client: &'a mut Client<S>,
    args: Args,
    report: Report,
}

impl<S: Read + Write> Mirror<'_, S> {
    /// Prints one action (`Transferring file a/b`), or what would be done.
    fn say(&self, verb: &str, rel: &[u8]) {
        let would = if self.args.dry_run { "Would: " } else { "" };
        println!("{would}{verb} `{}'", shown(rel));
    }

    /// Prints a skipped entry and counts it.
    fn skip(&mut self, rel: &[u8], why: &str) {
        self.report.skipped += 1;
        println!("Skipping `{}': {why}", shown(rel));
    }

    /// Reports a failed entry and counts it.
    fn fail(&mut self, rel: &[u8], why: &dyn fmt::Display) {
        self.report.errors += 1;
        eprintln!(
            "mirror: `{}': {}",
            shown(rel),
            terminal::escape(why.to_string().as_bytes())
        );
    }

    /// `result`'s value; a failure is reported against `rel` and gives `None`,
    /// unless it ended the session, which stops the whole mirror.
    fn check<T>(
        &mut self,
        rel: &[u8],
        result: Result<T, impl Failure>,
    ) -> Result<Option<T>, ShellError> {
        match result.map_err(Failure::into_shell) {
            Ok(value) => Ok(Some(value)),
            Err(err) if err.ends_session() => Err(err),
            Err(err) => {
                self.fail(rel, &err);
                Ok(None)
            }
        }
    }

    /// The remote path of `rel`.
    fn remote_path(&self, rel: &[u8]) -> Vec<u8> {
        match rel {
            [] => self.args.remote.as_bytes().to_vec(),
            _ => names::join(self.args.remote.as_bytes(), rel),
        }
    }

    /// The local path of `rel` (below the local root: `rel` is checked names).
    fn local_path(&self, rel: &[u8]) -> PathBuf {
        use std::os::unix::ffi::OsStrExt;
        match rel {
            [] => self.args.local.clone(),
            _ => self.args.local.join(std::ffi::OsStr::from_bytes(rel)),
        }
    }

    /// Whether the remote root is a directory: `CWD` into it and back, which
    /// also works where a listing of a missing directory is empty (vsftpd).
    fn remote_root_exists(&mut self) -> Result<bool, ShellError> {
        let home = self.client.pwd()?;
        let remote = self.args.remote.clone();
        match self.client.cwd(&remote) {
            Ok(()) => {
                self.client.cwd(&home)?;
                Ok(true)
            }
            Err(Error::Reply(_)) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    /// The entries of the remote directory `rel` whose names are usable,
    /// keyed by name; each refused name is reported. `None` if it could
    /// not be listed (reported).
    fn remote_entries(
        &mut self,
        rel: &[u8],
    ) -> Result<Option<HashMap<Vec<u8>, Entry>>, ShellError> {
        let path = self.remote_path(rel);
        let listed = self.client.entries_in(&path);
        let Some(entries) = self.check(rel, listed)? else {
            return Ok(None);
        };
        let mut usable = HashMap::new();
        for entry in entries {
            match names::check(&entry.name) {
                Ok(()) => {
                    usable.insert(entry.name.clone(), entry);
                }
                Err(why) => {
                    let listed = names::join(rel, &entry.name);
                    self.fail(&listed, &format!("refused a name from the server: {why}"));
                }
            }
        }
        Ok(Some(usable))
    }

    /// The remote file's time: `MDTM`, else the listing's (coarser) time.
    fn remote_time(
        &mut self,
        remote: &[u8],
        entry: &Entry,
    ) -> Result<Option<SystemTime>, ShellError> {
        match self.client.mdtm(remote) {
            Ok(time) => Ok(Some(time)),
            Err(Error::Reply(_)) => Ok(entry.modified),
            Err(err) => {
                let err = ShellError::from(err);
                if err.ends_session() {
                    return Err(err);
                }
                Ok(entry.modified)
            }
        }
    }

    /// One change to the target tree (making or removing a directory or a
    /// file): says it (`verb`), then, unless this is a dry run, makes it with
    /// `change`. Whether it was made (a dry run counts as made); a failure
    /// is reported.
    fn change<T, E: Failure>(
        &mut self,
        verb: &str,
        rel: &[u8],
        change: impl FnOnce(&mut Client<S>) -> Result<T, E>,
    ) -> Result<bool, ShellError> {
        self.say(verb, rel);
        if self.args.dry_run {
            return Ok(true);
        }
        let changed = change(self.client);
        Ok(self.check(rel, changed)?.is_some())
    }

    /// `--delete` of one entry of the target: [`Mirror::change`], counted.
    fn delete<T, E: Failure>(
        &mut self,
        verb: &str,
        rel: &[u8],
        remove: impl FnOnce(&mut Client<S>) -> Result<T, E>,
    ) -> Result<(), ShellError> {
        if self.change(verb, rel, remove)? {
            self.report.deleted += 1;
        }
        Ok(())
    }

    /// Decides about the file `rel` with [`plan::decide`], in either
    /// direction: a skip is reported, a transfer announced (and, in a dry
    /// run, counted as done). The byte a transfer starts at (0: whole,
    /// else a resume), or `None` when nothing is to be transferred now.
    fn plan_file(&mut self, rel: &[u8], source: Stamp, target: Option<Stamp>) -> Option<u64> {
        let action = plan::decide(source, target, self.args.only_newer);
        if let Action::Skip(why) = action {
            self.skip(rel, why);
            return None;
        }
        self.say("Transferring file", rel);
        if self.args.dry_run {
            self.transferred(source.size.unwrap_or(0));
            return None;
        }
        match action {
            Action::Resume(offset) => Some(offset),
            _ => Some(0),
        }
    }

    /// Counts a file transferred with `bytes` new bytes.
    fn transferred(&mut self, bytes: u64) {
        self.report.files += 1;
        self.report.bytes += bytes;
    }

    /// Resumes the file `rel` at `offset` in either direction: receives it
    /// again from [`OVERLAP`] bytes before `offset` into `out`, through a
    /// [`Verified`] that compares those bytes with the local file's (the
    /// target's on the way down, the source's on the way up). `None` if the
    /// local bytes could not be read (reported).
    fn retr_overlapping<W: Write>(
        &mut self,
        rel: &[u8],
        remote: &[u8],
        offset: u64,
        out: W,
    ) -> Result<Option<Overlapped>, ShellError> {
        let start = offset.saturating_sub(OVERLAP);
        let tail = read_range(&self.local_path(rel), start, offset - start);
        let Some(tail) = self.check(rel, tail)? else {
            return Ok(None);
        };
        let mut verified = Verified::new(tail, out);
        let received = self.client.retr(remote, &mut verified, start, None);
        Ok(Some(Overlapped {
            received: received.map(|bytes| bytes.saturating_sub(offset - start)),
            confirmed: verified.confirmed(),
            differs: verified.differs(),
        }))
    }

    /// A nesting deeper than [`MAX_DEPTH`] is reported; true if `depth` is fine.
    fn depth_ok(&mut self, rel: &[u8], depth: usize) -> bool {
        if depth <= MAX_DEPTH {
            return true;
        }
        self.fail(rel, &format!("nested deeper than {MAX_DEPTH} directories"));
        false
    }
}

/// What [`Mirror::retr_overlapping`] received.
struct Overlapped {
    /// What `retr` returned, less the overlap: the bytes after the resume point.
    received: Result<u64, Error>,
    /// Every byte of the overlap came and matched.
    confirmed: bool,
    /// A byte of the overlap differed (the write that met it failed, which
    /// ended the transfer).
    differs: bool,
}

/// An error the walkers meet: the client's, a local one, or the shell's.
trait Failure {
    fn into_shell(self) -> ShellError;
}

impl Failure for Error {
    fn into_shell(self) -> ShellError {
        self.into()
    }
}

impl Failure for ShellError {
    fn into_shell(self) -> ShellError {
        self
    }
}

impl Failure for std::io::Error {
    fn into_shell(self) -> ShellError {
        ShellError::Local(self.to_string())
    }
}

/// A relative path for the user: escaped, `.` for the root.
fn shown(rel: &[u8]) -> String {
    match rel {
        [] => ".".to_string(),
        _ => terminal::escape(rel),
    }
}

/// The local entry at `path` without following a symlink; `None` if there
/// is none.
fn local_entry(path: &Path) -> std::io::Result<Option<std::fs::Metadata>> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => Ok(Some(meta)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err),
    }
}

/// `len` bytes of the local file at `path` from byte `start` on.
fn read_range(path: &Path, start: u64, len: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(len).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Names in sorted order, so the report reads the same on every run.
fn sorted<T>(map: HashMap<Vec<u8>, T>) -> Vec<(Vec<u8>, T)> {
    let mut items: Vec<_> = map.into_iter().collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, ShellError> {
        let words: Vec<String> = line.split_whitespace().map(String::from).collect();
        Args::parse(&words)
    }

    #[test]
    fn the_source_comes_first() {
        let down = parse("--delete pub/tree here").expect("args");
        assert_eq!(
            (down.remote.as_str(), down.local.as_path()),
            ("pub/tree", Path::new("here"))
        );
        assert!(down.delete && !down.reverse && !down.only_newer && !down.dry_run);
        let up = parse("-R --only-newer --dry-run here pub/tree").expect("args");
        assert_eq!(
            (up.remote.as_str(), up.local.as_path()),
            ("pub/tree", Path::new("here"))
        );
        assert!(up.reverse && up.only_newer && up.dry_run && !up.delete);
    }

    #[test]
    fn a_missing_target_is_the_sources_last_component() {
        assert_eq!(parse("pub/tree/").expect("args").local, Path::new("tree"));
        assert_eq!(parse("/").expect("args").local, Path::new("."));
        assert_eq!(parse("..").expect("args").local, Path::new("."));
        assert_eq!(parse("-R /tmp/x").expect("args").remote, "x");
    }

    #[test]
    fn bad_arguments_show_the_usage() {
        for line in ["", "a b c", "--frobnicate a"] {
            let err = parse(line).expect_err(line).to_string();
            assert!(err.contains("usage: mirror"), "{err}");
        }
    }

    #[test]
    fn the_summary_counts_everything() {
        let report = Report {
            directories: 3,
            files: 2,
            bytes: 10,
            deleted: 1,
            skipped: 4,
            errors: 0,
        };
        assert_eq!(
            report.summary(false),
            "Total: 3 directories, 2 files transferred (10 bytes), 1 deleted, 4 skipped, 0 errors"
        );
        assert!(report.summary(true).starts_with("Dry run. "));
        assert!(report.summary(true).contains("2 files to transfer"));
    }
}
