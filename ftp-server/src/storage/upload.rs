//! Uploads: the file an upload writes to, opened inside the jail.
//!
//! A replacing STOR writes a temporary file (`.ftp-tmp-*`) in the target's
//! directory and [`Upload::commit`] renames it into place, so a failed or
//! aborted upload never destroys the old file; an uncommitted upload removes
//! its temporary file when dropped. The new file gets the old one's
//! permission bits only (`& 0o777`: never setuid, setgid or sticky) and its
//! owner and group where the server may set them (as root, or its own group
//! for a file it owns); otherwise it belongs to the server's user. The rename
//! gives the name a new file: other hard links to the old file keep the old
//! contents. Replacing a file the session could not open for writing is
//! refused, as appending to it is.
//!
//! APPE and REST + STOR write the target in place, by definition. REST + STOR
//! cuts the file at the offset only when the first data arrives (or the
//! transfer ends), so a client that never sends anything changes nothing;
//! with an offset beyond 0 it never creates a file. A file they create is
//! removed again if the upload ends before any data arrived and without
//! succeeding (no data connection, say).
//!
//! Everything is opened relative to the handle of the directory the walk
//! ended in, never through a symlink the walk did not resolve. Writes stop
//! at the process's file-size limit (`RLIMIT_FSIZE`, `ulimit -f`) with
//! `FileTooLarge`: one byte past it the kernel would send SIGXFSZ, which
//! kills the whole server unless it is ignored (and `std` cannot ignore a
//! signal without `unsafe`).
//!
//! What it does not do: decide who may write, or move the data.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::{fchown, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use super::walk::{Dir, Entry, Root};
use super::{handle, not_plain_file, plain_file, VirtualPath};

/// How an upload writes its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Replace the file (STOR): write a temporary file, rename on success.
    Replace,
    /// Append to the file, creating it if needed (APPE).
    Append,
    /// Write in place from this offset, dropping what follows (REST + STOR).
    At(u64),
}

/// The file an upload writes into; see the module documentation.
#[derive(Debug)]
pub struct Upload {
    file: File,
    /// A replacing upload's names, until it is committed.
    rename: Option<Rename>,
    /// Where the next write goes in the file.
    position: u64,
    /// REST + STOR: the length to cut the file to before the first write.
    cut_at: Option<u64>,
    /// A file created for APPE or REST + STOR, until data arrives or the
    /// upload succeeds: removed if the upload is dropped before.
    created: Option<Entry>,
    /// The file-size limit, if any: no write starts at or beyond it.
    limit: Option<u64>,
}

/// The temporary and the final name of a replacing upload, in their directory.
#[derive(Debug)]
struct Rename {
    dir: Dir,
    temp: Vec<u8>,
    target: Vec<u8>,
}

/// Opens `path` for an upload in `mode`.
pub(super) fn open(root: &Root, path: &VirtualPath, mode: WriteMode) -> io::Result<Upload> {
    match mode {
        WriteMode::Replace => replacing(root, path),
        WriteMode::Append => {
            let (file, created) = in_place(root, path, OpenOptions::new().append(true), true)?;
            let end = file.metadata()?.len();
            let mut upload = Upload::new(file, None, end);
            upload.created = created;
            Ok(upload)
        }
        WriteMode::At(offset) => {
            let mut options = OpenOptions::new();
            let (file, created) = in_place(root, path, options.write(true), offset == 0)?;
            let mut upload = at_offset(file, offset)?;
            upload.created = created;
            Ok(upload)
        }
    }
}

/// Creates a new file with a fresh name in `dir` (STOU).
pub(super) fn unique(dir: Dir) -> io::Result<(Upload, Vec<u8>)> {
    for _ in 0..100 {
        let name = format!("ftp-upload-{}", fresh_suffix()).into_bytes();
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(handle::at(&dir.handle, &name))
        {
            Ok(file) => return Ok((Upload::new(file, None, 0), name)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
    Err(io::ErrorKind::AlreadyExists.into())
}

impl Upload {
    /// Flushes the written data to the disk.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// Finishes the upload: a restarted one is cut at its offset if no data
    /// came, a replacing one is renamed into place.
    pub fn commit(mut self) -> io::Result<()> {
        self.cut()?;
        self.created = None;
        if let Some(rename) = self.rename.take() {
            let temp = handle::at(&rename.dir.handle, &rename.temp);
            if let Err(err) = fs::rename(&temp, handle::at(&rename.dir.handle, &rename.target)) {
                let _ = fs::remove_file(&temp);
                return Err(err);
            }
        }
        Ok(())
    }

    fn new(file: File, rename: Option<Rename>, position: u64) -> Upload {
        Upload {
            file,
            rename,
            position,
            cut_at: None,
            created: None,
            limit: file_size_limit(),
        }
    }

    /// Sets the file-size limit, for tests.
    #[cfg(test)]
    pub(super) fn set_limit(&mut self, limit: u64) {
        self.limit = Some(limit);
    }

    /// Cuts the file at the restart offset, once.
    fn cut(&mut self) -> io::Result<()> {
        match self.cut_at.take() {
            Some(len) => self.file.set_len(len),
            None => Ok(()),
        }
    }
}

/// STOR without REST: a temporary file beside the target.
fn replacing(root: &Root, path: &VirtualPath) -> io::Result<Upload> {
    let entry = root.entry(path)?;
    let dir = entry.parent;
    // A name the file system refuses (too long, say) is refused now, before
    // any data is sent, not at the final rename.
    let replaced = match fs::symlink_metadata(handle::at(&dir.handle, &entry.name)) {
        // A symlink is replaced by the file, not followed.
        Ok(meta) if meta.file_type().is_symlink() => None,
        Ok(meta) if !meta.is_file() => return Err(not_plain_file(&meta)),
        Ok(_) => {
            // The session must be able to write the file it replaces.
            let probe = handle::open_entry_for_writing(
                &dir.handle,
                &entry.name,
                OpenOptions::new().write(true),
            )?;
            let meta = probe.metadata()?;
            plain_file(&meta)?;
            Some(meta)
        }
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => return Err(err),
    };
    for _ in 0..100 {
        let temp = format!(".ftp-tmp-{}", fresh_suffix()).into_bytes();
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        if replaced.is_some() {
            options.mode(0o600);
        }
        match options.open(handle::at(&dir.handle, &temp)) {
            Ok(file) => {
                if let Some(old) = &replaced {
                    take_over(&file, old)?;
                }
                let rename = Rename {
                    dir,
                    temp,
                    target: entry.name,
                };
                return Ok(Upload::new(file, Some(rename), 0));
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
    Err(io::ErrorKind::AlreadyExists.into())
}

/// Gives the new file the old one's owner and group where the server may,
/// and its permission bits only.
fn take_over(file: &File, old: &Metadata) -> io::Result<()> {
    if fchown(file, Some(old.uid()), Some(old.gid())).is_err() {
        // Not root: keep our own user, and the old group if we are in it.
        let _ = fchown(file, None, Some(old.gid()));
    }
    file.set_permissions(fs::Permissions::from_mode(old.mode() & 0o777))
}

/// APPE and REST + STOR: the target itself, opened with `options`; a final
/// symlink is followed inside the root; created if missing and `create`,
/// and then returned with its directory and name.
fn in_place(
    root: &Root,
    path: &VirtualPath,
    options: &mut OpenOptions,
    create: bool,
) -> io::Result<(File, Option<Entry>)> {
    let entry = root.entry(path)?;
    let file = match fs::symlink_metadata(handle::at(&entry.parent.handle, &entry.name)) {
        Err(err) if err.kind() == io::ErrorKind::NotFound && create => {
            let file = options
                .create_new(true)
                .open(handle::at(&entry.parent.handle, &entry.name))?;
            return Ok((file, Some(entry)));
        }
        Err(err) => return Err(err),
        Ok(meta) if meta.file_type().is_symlink() => {
            let object = root.object(path)?;
            plain_file(&object.meta)?;
            handle::reopen(&object.handle, options)?
        }
        Ok(meta) => {
            plain_file(&meta)?;
            handle::open_entry_for_writing(&entry.parent.handle, &entry.name, options)?
        }
    };
    // Whatever the name held a moment ago, this is what was opened.
    plain_file(&file.metadata()?)?;
    Ok((file, None))
}

/// REST + STOR: positioned at `offset`, cut there once data arrives.
fn at_offset(mut file: File, offset: u64) -> io::Result<Upload> {
    if offset > file.metadata()?.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "restart offset beyond the end of the file",
        ));
    }
    file.seek(SeekFrom::Start(offset))?;
    let mut upload = Upload::new(file, None, offset);
    upload.cut_at = Some(offset);
    Ok(upload)
}

/// Writes to the file, up to the file-size limit: a write that would start
/// at or beyond it fails with `FileTooLarge` instead of raising SIGXFSZ
/// (the kernel itself shortens a write that crosses it).
impl Write for Upload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.limit.is_some_and(|limit| self.position >= limit) {
            return Err(io::ErrorKind::FileTooLarge.into());
        }
        self.cut()?;
        self.created = None;
        let written = self.file.write(buf)?;
        self.position += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// An uncommitted replacing upload leaves no temporary file behind, and an
/// upload that created its file and got no data leaves no empty file.
impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(rename) = self.rename.take() {
            let _ = fs::remove_file(handle::at(&rename.dir.handle, &rename.temp));
        }
        if let Some(created) = self.created.take() {
            let at = handle::at(&created.parent.handle, &created.name);
            // Only if the name still is the file this upload created.
            let ours = self
                .file
                .metadata()
                .ok()
                .map(|meta| (meta.dev(), meta.ino()));
            let named = fs::symlink_metadata(&at)
                .ok()
                .map(|meta| (meta.dev(), meta.ino()));
            if ours.is_some() && ours == named {
                let _ = fs::remove_file(at);
            }
        }
    }
}

/// This process's file-size limit (`RLIMIT_FSIZE`), read once from
/// `/proc/self/limits`; `None` when there is none (or no `/proc`).
fn file_size_limit() -> Option<u64> {
    static LIMIT: OnceLock<Option<u64>> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        let limits = fs::read_to_string("/proc/self/limits").ok()?;
        parse_file_size_limit(&limits)
    })
}

/// The soft "Max file size" in the text of `/proc/PID/limits`, in bytes;
/// `None` when it is `unlimited` or missing.
pub(super) fn parse_file_size_limit(limits: &str) -> Option<u64> {
    const NAME: &str = "Max file size";
    let line = limits.lines().find(|line| line.starts_with(NAME))?;
    line[NAME.len()..].split_whitespace().next()?.parse().ok()
}

/// A suffix unique within this process and unlikely across processes.
fn fresh_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}-{count}-{nanos:08x}", std::process::id())
}
