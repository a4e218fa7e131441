//! Moving one file between a local path (or stdout) and the server, with the
//! user's feedback: the progress meter, hash marks and the summary line.
//!
//! Shared by the shell's `get`/`reget`/`mget`/`put`/`append`/`mput` and by the
//! one-shot download and upload. A download creates its local file only when
//! the first byte arrives (or, for an empty file, when the transfer has
//! succeeded), so a refused `RETR` leaves no empty file behind.
//!
//! This module does not choose file names or ask questions; the callers do.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::rate::{Rates, Throttle};
use super::secure::Control;
use super::trace::Trace;
use super::ShellError;
use crate::client::Client;
use crate::progress::{self, Progress};

/// What the user wants to see during transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Feedback {
    /// Draw the progress meter on stderr (only sensible on a terminal).
    pub meter: bool,
    /// Print a `#` per this many bytes (the `hash` command).
    pub hash: Option<u64>,
    /// The rate limits (`-T`, `rate`).
    pub rates: Rates,
}

impl Feedback {
    /// The progress display for one transfer of `total` bytes, if known.
    fn start(self, total: Option<u64>) -> Progress {
        Progress::new(total, self.meter, self.hash)
    }
}

/// Where a download goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Standard output (`-`).
    Stdout,
    /// A local file, replaced.
    File(PathBuf),
    /// A local file, continued after the bytes it has (`reget`).
    Resume(PathBuf),
    /// A local file written from this byte on, which is also where the
    /// remote file is read from (`restart`).
    At(PathBuf, u64),
    /// The standard input of a shell command (`get file |command`).
    Pipe(String),
}

impl Destination {
    /// `-` is stdout, `|command` a pipe to the command; anything else a
    /// file, replaced or (with `resume`) continued.
    pub fn from_name(name: &str, resume: bool) -> Destination {
        if let Some(command) = name.strip_prefix('|') {
            return Destination::Pipe(command.to_string());
        }
        match (name, resume) {
            ("-", _) => Destination::Stdout,
            (path, false) => Destination::File(PathBuf::from(path)),
            (path, true) => Destination::Resume(PathBuf::from(path)),
        }
    }
}

/// Downloads `remote` into `destination` and returns the bytes received. A
/// resumed download starts after the local file's current length (`REST`).
///
/// # Errors
///
/// The client's error, or the local file's (with its path in the message).
pub fn download(
    client: &mut Client<Control>,
    remote: &str,
    destination: &Destination,
    feedback: Feedback,
    trace: &Trace,
) -> Result<u64, ShellError> {
    let offset = match destination {
        Destination::Resume(path) => local_len(path)?,
        Destination::At(_, offset) => *offset,
        _ => 0,
    };
    let total = if feedback.meter {
        client
            .size(remote)
            .ok()
            .map(|size| size.saturating_sub(offset))
    } else {
        None
    };
    let mut progress = feedback.start(total);
    let throttle = Throttle::new(feedback.rates.get);
    let received = match destination {
        Destination::Stdout => {
            let mut out = io::stdout().lock();
            let received = retr(
                client,
                remote,
                &mut out,
                offset,
                &mut progress,
                &throttle,
                trace,
            );
            out.flush()
                .map_err(|err| ShellError::local("stdout", err))?;
            received?
        }
        Destination::File(path) | Destination::Resume(path) | Destination::At(path, _) => {
            let start = match destination {
                Destination::Resume(_) => Start::Append,
                Destination::At(_, offset) => Start::At(*offset),
                _ => Start::Replace,
            };
            let mut file = LazyFile::new(path, start);
            let received = retr(
                client,
                remote,
                &mut file,
                offset,
                &mut progress,
                &throttle,
                trace,
            )?;
            file.finish()?;
            received
        }
        Destination::Pipe(command) => {
            let mut child = spawn(command, Stdio::piped(), Stdio::inherit())?;
            let received = match child.stdin.as_mut() {
                Some(input) => retr(
                    client,
                    remote,
                    input,
                    offset,
                    &mut progress,
                    &throttle,
                    trace,
                ),
                None => Err(ShellError::Local(format!("|{command}: no pipe"))),
            };
            drop(child.stdin.take());
            finish_command(command, child)?;
            received?
        }
    };
    summarize(&progress, received, "received", trace);
    Ok(received)
}

/// How an upload writes the remote file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `STOR`: replace it.
    Replace,
    /// `APPE`: add to its end.
    Append,
    /// `REST` then `STOR`: write from this byte on, the local file read from
    /// the same byte (`reput`, `restart`).
    At(u64),
}

/// Uploads the local file `local` to `remote` (`STOR`, or `APPE` when
/// `append`) and returns the bytes sent.
///
/// # Errors
///
/// The local file cannot be opened, or the client's error.
pub fn upload(
    client: &mut Client<Control>,
    local: &Path,
    remote: &str,
    append: bool,
    feedback: Feedback,
    trace: &Trace,
) -> Result<u64, ShellError> {
    let store = if append {
        Store::Append
    } else {
        Store::Replace
    };
    upload_file(client, local, remote, store, feedback, trace)
}

/// Uploads the local file `local` to `remote` as `store` says; a name that
/// starts with `|` is a shell command whose output is sent.
///
/// # Errors
///
/// The local file cannot be opened or read, or the client's error.
pub fn upload_file(
    client: &mut Client<Control>,
    local: &Path,
    remote: &str,
    store: Store,
    feedback: Feedback,
    trace: &Trace,
) -> Result<u64, ShellError> {
    let name = local.display().to_string();
    if let Some(command) = name.strip_prefix('|') {
        let mut child = spawn(command, Stdio::null(), Stdio::piped())?;
        let sent = match child.stdout.as_mut() {
            Some(output) => upload_from(client, output, None, remote, store, feedback, trace),
            None => Err(ShellError::Local(format!("{name}: no pipe"))),
        };
        finish_command(command, child)?;
        return sent;
    }
    let local_error = |err| ShellError::local(&name, err);
    let mut file = File::open(local).map_err(local_error)?;
    let mut total = file.metadata().map_err(local_error)?.len();
    if let Store::At(offset) = store {
        file.seek(SeekFrom::Start(offset)).map_err(local_error)?;
        total = total.saturating_sub(offset);
    }
    upload_from(
        client,
        &mut file,
        Some(total),
        remote,
        store,
        feedback,
        trace,
    )
}

/// Uploads what `input` holds (`total` bytes, if known) to `remote`.
fn upload_from(
    client: &mut Client<Control>,
    input: &mut dyn Read,
    total: Option<u64>,
    remote: &str,
    store: Store,
    feedback: Feedback,
    trace: &Trace,
) -> Result<u64, ShellError> {
    let mut progress = feedback.start(total);
    let throttle = Throttle::new(feedback.rates.put);
    let sent = with_progress(&mut progress, &throttle, trace, |update| {
        Ok(match store {
            Store::Append => client.appe(remote, input, Some(update))?,
            Store::Replace => client.stor(remote, input, 0, Some(update))?,
            Store::At(offset) => client.stor(remote, input, offset, Some(update))?,
        })
    })?;
    summarize(&progress, sent, "sent", trace);
    Ok(sent)
}

/// Starts `sh -c command` with the given standard input and output.
fn spawn(command: &str, stdin: Stdio, stdout: Stdio) -> Result<Child, ShellError> {
    Command::new("sh")
        .args(["-c", command])
        .stdin(stdin)
        .stdout(stdout)
        .spawn()
        .map_err(|err| ShellError::local(&format!("|{command}"), err))
}

/// Waits for a pipe's command; a failure of the command is an error.
fn finish_command(command: &str, mut child: Child) -> Result<(), ShellError> {
    let status = child
        .wait()
        .map_err(|err| ShellError::local(&format!("|{command}"), err))?;
    if status.success() {
        Ok(())
    } else {
        Err(ShellError::Local(format!("|{command}: {status}")))
    }
}

/// `RETR` with the progress display fed as bytes arrive.
fn retr(
    client: &mut Client<Control>,
    remote: &str,
    out: &mut dyn Write,
    offset: u64,
    progress: &mut Progress,
    throttle: &Throttle,
    trace: &Trace,
) -> Result<u64, ShellError> {
    with_progress(progress, throttle, trace, |update| {
        Ok(client.retr(remote, out, offset, Some(update))?)
    })
}

/// Runs `transfer` with a progress callback. While the progress display is
/// visible, replies are held from its first update to its end, so that the
/// server's final reply comes on a line of its own after the meter or the
/// hash marks, and the preliminary replies before them.
fn with_progress(
    progress: &mut Progress,
    throttle: &Throttle,
    trace: &Trace,
    transfer: impl FnOnce(&mut dyn FnMut(u64)) -> Result<u64, ShellError>,
) -> Result<u64, ShellError> {
    let visible = progress.is_visible();
    if visible {
        trace.hold_replies();
    }
    let mut started = false;
    trace.transfer_started();
    let mut update = |bytes| {
        if !started {
            trace.print_held();
            started = true;
        }
        trace.transfer_moved(bytes);
        progress.update(bytes);
        throttle.wait(bytes);
    };
    let moved = transfer(&mut update);
    if visible {
        progress.finish();
        trace.release_replies(|| {});
    }
    moved
}

/// Shows the summary (in verbose mode).
fn summarize(progress: &Progress, bytes: u64, verb: &str, trace: &Trace) {
    trace.note(&progress::summary(bytes, verb, progress.elapsed()));
}

/// The length of a local file, 0 if there is none yet.
fn local_len(path: &Path) -> Result<u64, ShellError> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(meta.len()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(err) => Err(ShellError::local(&path.display().to_string(), err)),
    }
}

/// Where a download starts writing its local file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// At the start of an emptied file.
    Replace,
    /// At the end.
    Append,
    /// At this byte, the rest of the file kept.
    At(u64),
}

/// A local file that is opened (created or appended to) on the first write.
struct LazyFile<'a> {
    path: &'a Path,
    start: Start,
    file: Option<File>,
}

impl<'a> LazyFile<'a> {
    fn new(path: &'a Path, start: Start) -> LazyFile<'a> {
        LazyFile {
            path,
            start,
            file: None,
        }
    }

    /// The open file, opened now if it was not yet.
    fn file(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            let mut file = OpenOptions::new()
                .write(true)
                .create(true)
                .append(self.start == Start::Append)
                .truncate(self.start == Start::Replace)
                .open(self.path)
                .map_err(|err| with_path(self.path, err))?;
            if let Start::At(offset) = self.start {
                file.seek(SeekFrom::Start(offset))
                    .map_err(|err| with_path(self.path, err))?;
            }
            self.file = Some(file);
        }
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("file not open"))
    }

    /// After a successful transfer: creates the file if no byte arrived,
    /// and flushes it.
    fn finish(mut self) -> Result<(), ShellError> {
        let path = self.path;
        let flushed = match self.file() {
            Ok(file) => file.flush().map_err(|err| with_path(path, err)),
            Err(err) => Err(err),
        };
        flushed.map_err(|err| ShellError::Local(err.to_string()))
    }
}

/// `err` with `path` in front of its message.
fn with_path(path: &Path, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

impl Write for LazyFile<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_from_names() {
        assert_eq!(Destination::from_name("-", false), Destination::Stdout);
        assert_eq!(Destination::from_name("-", true), Destination::Stdout);
        assert_eq!(
            Destination::from_name("a.txt", false),
            Destination::File("a.txt".into())
        );
        assert_eq!(
            Destination::from_name("a.txt", true),
            Destination::Resume("a.txt".into())
        );
    }

    #[test]
    fn a_lazy_file_exists_only_after_a_write_or_finish() {
        let dir = std::env::temp_dir().join(format!("lazy-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("out");
        let mut file = LazyFile::new(&path, Start::Replace);
        assert!(!path.exists());
        file.write_all(b"abc").expect("write");
        assert!(path.exists());
        file.finish().expect("finish");
        let mut again = LazyFile::new(&path, Start::Append);
        again.write_all(b"def").expect("append");
        again.finish().expect("finish");
        assert_eq!(std::fs::read(&path).expect("read"), b"abcdef");
        let empty = dir.join("empty");
        LazyFile::new(&empty, Start::Replace)
            .finish()
            .expect("finish");
        assert_eq!(std::fs::read(&empty).expect("read"), b"");
        let refused = LazyFile::new(&dir.join("no/such/dir"), Start::Replace).finish();
        let message = refused.expect_err("no directory").to_string();
        assert!(message.contains("no/such/dir"), "{message}");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
