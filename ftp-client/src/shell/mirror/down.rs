//! `mirror REMOTE [LOCAL]`: the walk down from the server.
//!
//! Lists each remote directory, makes the local directory, transfers or
//! skips each file, recurses into each directory, notes and skips symlinks
//! and special files, and with `--delete` removes local entries the server
//! no longer lists. Below the local root nothing is written through a
//! symlink: a local symlink where a file or directory should go is reported.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::SystemTime;

use super::plan::Stamp;
use super::{local_entry, names, shown, sorted, Mirror};
use crate::client::{Entry, EntryKind};
use crate::shell::ShellError;

/// How a resumed download ended.
enum Resumed {
    /// Done: the file and the bytes added.
    Done(File, u64),
    /// The local bytes before the resume point are not the server's.
    Differs,
    /// It failed (reported).
    Failed,
}

impl<S: Read + Write> Mirror<'_, S> {
    /// Mirrors the remote root into the local root.
    pub(super) fn download(&mut self) -> Result<(), ShellError> {
        if !self.remote_root_exists()? {
            let root = self.args.remote.clone();
            self.fail(root.as_bytes(), &"no such remote directory");
            return Ok(());
        }
        // The root is the user's choice: it may be a symlink to a directory.
        let root = self.args.local.clone();
        if !root.is_dir() {
            // Something that is not a directory, or a dangling symlink.
            if fs::symlink_metadata(&root).is_ok() {
                self.fail(b"", &format!("{} is not a directory", root.display()));
                return Ok(());
            }
            if !self.change("Making directory", b"", |_| fs::create_dir_all(&root))? {
                return Ok(());
            }
        }
        self.download_dir(&[], 0)
    }

    /// Mirrors the remote directory `rel` into the existing local one.
    fn download_dir(&mut self, rel: &[u8], depth: usize) -> Result<(), ShellError> {
        if !self.depth_ok(rel, depth) {
            return Ok(());
        }
        let Some(entries) = self.remote_entries(rel)? else {
            return Ok(());
        };
        self.report.directories += 1;
        let listed: Vec<Vec<u8>> = entries.keys().cloned().collect();
        for (name, entry) in sorted(entries) {
            let child = names::join(rel, &name);
            match entry.kind {
                EntryKind::Dir => {
                    if self.make_local_dir(&child)? {
                        self.download_dir(&child, depth + 1)?;
                    }
                }
                EntryKind::File => self.download_file(&child, &entry)?,
                EntryKind::Symlink => self.skip(&child, "remote symlink (not followed)"),
                EntryKind::Other => self.skip(&child, "not a file or directory"),
            }
        }
        if self.args.delete {
            self.delete_local_extras(rel, &listed)?;
        }
        Ok(())
    }

    /// Makes the local directory `rel` unless it is there; false (reported)
    /// if something else is in its place or it cannot be made. In a dry run
    /// a missing directory counts as made.
    fn make_local_dir(&mut self, rel: &[u8]) -> Result<bool, ShellError> {
        let path = self.local_path(rel);
        let found = local_entry(&path);
        match self.check(rel, found)? {
            None => Ok(false),
            Some(Some(meta)) if meta.is_dir() => Ok(true),
            Some(Some(meta)) if meta.is_symlink() => {
                self.fail(rel, &"a local symlink is in the way (not followed)");
                Ok(false)
            }
            Some(Some(_)) => {
                self.fail(rel, &"a local file is in the way of a directory");
                Ok(false)
            }
            Some(None) => self.change("Making directory", rel, |_| fs::create_dir(&path)),
        }
    }

    /// Downloads, resumes or skips the remote file `rel`.
    fn download_file(&mut self, rel: &[u8], entry: &Entry) -> Result<(), ShellError> {
        let path = self.local_path(rel);
        let found = local_entry(&path);
        let Some(found) = self.check(rel, found)? else {
            return Ok(());
        };
        let target = match found {
            Some(meta) if meta.is_symlink() => {
                self.fail(rel, &"a local symlink is in the way (not followed)");
                return Ok(());
            }
            Some(meta) if !meta.is_file() => {
                self.fail(rel, &"something other than a file is in the way");
                return Ok(());
            }
            Some(meta) => Some(Stamp {
                size: Some(meta.len()),
                modified: meta.modified().ok(),
            }),
            None => None,
        };
        let remote = self.remote_path(rel);
        let source = Stamp {
            size: entry.size,
            modified: self.remote_time(&remote, entry)?,
        };
        let Some(offset) = self.plan_file(rel, source, target) else {
            return Ok(());
        };
        if let Some((file, bytes)) = self.fetch(rel, &remote, &path, offset)? {
            self.transferred(bytes);
            self.set_local_time(rel, &file, source.modified);
        }
        Ok(())
    }

    /// Downloads `remote` into `path`, from `offset` on if the local bytes
    /// before it are the server's, else whole. The file and the new bytes;
    /// `None` if it failed (reported).
    fn fetch(
        &mut self,
        rel: &[u8],
        remote: &[u8],
        path: &Path,
        offset: u64,
    ) -> Result<Option<(File, u64)>, ShellError> {
        if offset > 0 {
            match self.fetch_rest(rel, remote, path, offset)? {
                Resumed::Done(file, bytes) => return Ok(Some((file, bytes))),
                Resumed::Failed => return Ok(None),
                Resumed::Differs => {
                    println!("Not resuming `{}': the local bytes differ", shown(rel));
                }
            }
        }
        let opened = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path);
        let Some(mut file) = self.check(rel, opened)? else {
            return Ok(None);
        };
        let received = self.client.retr(remote, &mut file, 0, None);
        if received.is_err() && file.metadata().is_ok_and(|meta| meta.len() == 0) {
            let _ = fs::remove_file(path);
        }
        Ok(self.check(rel, received)?.map(|bytes| (file, bytes)))
    }

    /// Resumes a download at `offset`, once the
    /// [`OVERLAP`](super::overlap::OVERLAP) bytes before it are found to be
    /// the local file's last ones.
    fn fetch_rest(
        &mut self,
        rel: &[u8],
        remote: &[u8],
        path: &Path,
        offset: u64,
    ) -> Result<Resumed, ShellError> {
        let opened = OpenOptions::new().append(true).open(path);
        let Some(mut file) = self.check(rel, opened)? else {
            return Ok(Resumed::Failed);
        };
        let Some(resumed) = self.retr_overlapping(rel, remote, offset, &mut file)? else {
            return Ok(Resumed::Failed);
        };
        match resumed.received {
            Ok(bytes) if resumed.confirmed => Ok(Resumed::Done(file, bytes)),
            Ok(_) => Ok(Resumed::Differs),
            // The write that met the difference failed, which ended the transfer.
            Err(_) if resumed.differs => Ok(Resumed::Differs),
            Err(err) => {
                self.check(rel, Err::<(), _>(err))?;
                Ok(Resumed::Failed)
            }
        }
    }

    /// Gives the downloaded file the remote file's time; a failure is reported.
    fn set_local_time(&mut self, rel: &[u8], file: &File, time: Option<SystemTime>) {
        if let Some(time) = time {
            if let Err(err) = file.set_modified(time) {
                self.fail(rel, &format!("cannot set the modification time: {err}"));
            }
        }
    }

    /// `--delete`: removes every entry of the local directory `rel` that the
    /// server did not list (a symlink itself, never what it points to).
    fn delete_local_extras(&mut self, rel: &[u8], listed: &[Vec<u8>]) -> Result<(), ShellError> {
        let dir = self.local_path(rel);
        if self.args.dry_run && !dir.is_dir() {
            return Ok(());
        }
        let read = fs::read_dir(&dir).and_then(|entries| entries.collect::<io::Result<Vec<_>>>());
        let Some(entries) = self.check(rel, read)? else {
            return Ok(());
        };
        let extras: HashMap<Vec<u8>, fs::DirEntry> = entries
            .into_iter()
            .map(|entry| (entry.file_name().as_bytes().to_vec(), entry))
            .filter(|(name, _)| !listed.contains(name))
            .collect();
        for (name, entry) in sorted(extras) {
            let child = names::join(rel, &name);
            let path = entry.path();
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                self.delete("Removing old directory", &child, |_| {
                    fs::remove_dir_all(&path)
                })?;
            } else {
                self.delete("Removing old file", &child, |_| fs::remove_file(&path))?;
            }
        }
        Ok(())
    }
}
