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
use std::io::{self, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

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
}

impl Destination {
    /// `-` is stdout; anything else a file, replaced or (with `resume`) continued.
    pub fn from_name(name: &str, resume: bool) -> Destination {
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
    client: &mut Client<TcpStream>,
    remote: &str,
    destination: &Destination,
    feedback: Feedback,
    trace: &Trace,
) -> Result<u64, ShellError> {
    let offset = match destination {
        Destination::Resume(path) => local_len(path)?,
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
    let received = match destination {
        Destination::Stdout => {
            let mut out = io::stdout().lock();
            let received = retr(client, remote, &mut out, offset, &mut progress, trace);
            out.flush()
                .map_err(|err| ShellError::local("stdout", err))?;
            received?
        }
        Destination::File(path) | Destination::Resume(path) => {
            let append = matches!(destination, Destination::Resume(_));
            let mut file = LazyFile::new(path, append);
            let received = retr(client, remote, &mut file, offset, &mut progress, trace)?;
            file.finish()?;
            received
        }
    };
    summarize(&progress, received, "received", trace);
    Ok(received)
}

/// Uploads the local file `local` to `remote` (`STOR`, or `APPE` when
/// `append`) and returns the bytes sent.
///
/// # Errors
///
/// The local file cannot be opened, or the client's error.
pub fn upload(
    client: &mut Client<TcpStream>,
    local: &Path,
    remote: &str,
    append: bool,
    feedback: Feedback,
    trace: &Trace,
) -> Result<u64, ShellError> {
    let local_error = |err| ShellError::local(&local.display().to_string(), err);
    let mut file = File::open(local).map_err(local_error)?;
    let total = file.metadata().map_err(local_error)?.len();
    let mut progress = feedback.start(Some(total));
    let sent = with_progress(&mut progress, trace, |update| {
        Ok(if append {
            client.appe(remote, &mut file, Some(update))?
        } else {
            client.stor(remote, &mut file, 0, Some(update))?
        })
    })?;
    summarize(&progress, sent, "sent", trace);
    Ok(sent)
}

/// `RETR` with the progress display fed as bytes arrive.
fn retr(
    client: &mut Client<TcpStream>,
    remote: &str,
    out: &mut dyn Write,
    offset: u64,
    progress: &mut Progress,
    trace: &Trace,
) -> Result<u64, ShellError> {
    with_progress(progress, trace, |update| {
        Ok(client.retr(remote, out, offset, Some(update))?)
    })
}

/// Runs `transfer` with a progress callback. While the progress display is
/// visible, replies are held from its first update to its end, so that the
/// server's final reply comes on a line of its own after the meter or the
/// hash marks, and the preliminary replies before them.
fn with_progress(
    progress: &mut Progress,
    trace: &Trace,
    transfer: impl FnOnce(&mut dyn FnMut(u64)) -> Result<u64, ShellError>,
) -> Result<u64, ShellError> {
    let visible = progress.is_visible();
    if visible {
        trace.hold_replies();
    }
    let mut started = false;
    let mut update = |bytes| {
        if !started {
            trace.print_held();
            started = true;
        }
        progress.update(bytes);
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

/// A local file that is opened (created or appended to) on the first write.
struct LazyFile<'a> {
    path: &'a Path,
    append: bool,
    file: Option<File>,
}

impl<'a> LazyFile<'a> {
    fn new(path: &'a Path, append: bool) -> LazyFile<'a> {
        LazyFile {
            path,
            append,
            file: None,
        }
    }

    /// The open file, opened now if it was not yet.
    fn file(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .append(self.append)
                .truncate(!self.append)
                .open(self.path)
                .map_err(|err| with_path(self.path, err))?;
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
        let mut file = LazyFile::new(&path, false);
        assert!(!path.exists());
        file.write_all(b"abc").expect("write");
        assert!(path.exists());
        file.finish().expect("finish");
        let mut again = LazyFile::new(&path, true);
        again.write_all(b"def").expect("append");
        again.finish().expect("finish");
        assert_eq!(std::fs::read(&path).expect("read"), b"abcdef");
        let empty = dir.join("empty");
        LazyFile::new(&empty, false).finish().expect("finish");
        assert_eq!(std::fs::read(&empty).expect("read"), b"");
        let refused = LazyFile::new(&dir.join("no/such/dir"), false).finish();
        let message = refused.expect_err("no directory").to_string();
        assert!(message.contains("no/such/dir"), "{message}");
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
