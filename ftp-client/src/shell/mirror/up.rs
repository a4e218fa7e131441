//! `mirror -R LOCAL [REMOTE]`: the walk up to the server.
//!
//! Reads each local directory without following symlinks (a symlink is
//! noted and skipped), makes the remote directory, uploads or skips each
//! file, and with `--delete` removes remote entries the local tree does not
//! have (a remote directory with its contents). Remote names are checked
//! before they are used, deletions included.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, Metadata};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;

use super::plan::Stamp;
use super::{names, shown, sorted, Mirror};
use crate::client::{Entry, EntryKind};
use crate::shell::ShellError;

impl<S: Read + Write> Mirror<'_, S> {
    /// Mirrors the local root into the remote root, making it if needed.
    pub(super) fn upload(&mut self) -> Result<(), ShellError> {
        let root = self.args.local.clone();
        if !root.is_dir() {
            self.fail(b"", &format!("{} is not a local directory", root.display()));
            return Ok(());
        }
        let exists = self.remote_root_exists()?;
        if !exists && !self.make_remote_dir(b"")? {
            return Ok(());
        }
        self.upload_dir(&[], exists, 0)
    }

    /// Mirrors the local directory `rel` into the remote one, which
    /// `exists` or has just been made (so is empty).
    fn upload_dir(&mut self, rel: &[u8], exists: bool, depth: usize) -> Result<(), ShellError> {
        if !self.depth_ok(rel, depth) {
            return Ok(());
        }
        let remote = if exists {
            match self.remote_entries(rel)? {
                Some(entries) => entries,
                None => return Ok(()),
            }
        } else {
            HashMap::new()
        };
        let read = read_local_dir(&self.local_path(rel));
        let Some(local) = self.check(rel, read)? else {
            return Ok(());
        };
        self.report.directories += 1;
        let mut seen = HashSet::new();
        for (name, meta) in sorted(local) {
            let child = names::join(rel, &name);
            let there = remote.get(&name);
            seen.insert(name);
            if meta.is_symlink() {
                self.skip(&child, "local symlink (not followed)");
            } else if meta.is_dir() {
                self.upload_subdir(&child, there, depth)?;
            } else if meta.is_file() {
                self.upload_file(&child, &meta, there)?;
            } else {
                self.skip(&child, "not a file or directory");
            }
        }
        if self.args.delete {
            for (name, entry) in sorted(remote) {
                if !seen.contains(&name) {
                    self.delete_remote(&names::join(rel, &name), entry.kind, depth)?;
                }
            }
        }
        Ok(())
    }

    /// Recurses into the local directory `rel`, making its remote twin first
    /// when the server does not list one.
    fn upload_subdir(
        &mut self,
        rel: &[u8],
        there: Option<&Entry>,
        depth: usize,
    ) -> Result<(), ShellError> {
        match there.map(|entry| entry.kind) {
            Some(EntryKind::Dir) => self.upload_dir(rel, true, depth + 1),
            Some(_) => {
                self.fail(
                    rel,
                    &"something other than a directory is in the way on the server",
                );
                Ok(())
            }
            None if self.make_remote_dir(rel)? => self.upload_dir(rel, false, depth + 1),
            None => Ok(()),
        }
    }

    /// `MKD` of the remote directory `rel`; false if it failed (reported).
    fn make_remote_dir(&mut self, rel: &[u8]) -> Result<bool, ShellError> {
        let path = self.remote_path(rel);
        self.change("Making remote directory", rel, |client| client.mkdir(&path))
    }

    /// Uploads, resumes or skips the local file `rel`.
    fn upload_file(
        &mut self,
        rel: &[u8],
        meta: &Metadata,
        there: Option<&Entry>,
    ) -> Result<(), ShellError> {
        let remote = self.remote_path(rel);
        let target = match there {
            None => None,
            Some(entry) if entry.kind == EntryKind::File => Some(Stamp {
                size: entry.size,
                modified: self.remote_time(&remote, entry)?,
            }),
            Some(_) => {
                self.fail(
                    rel,
                    &"something other than a file is in the way on the server",
                );
                return Ok(());
            }
        };
        let source = Stamp {
            size: Some(meta.len()),
            modified: meta.modified().ok(),
        };
        let offset = match self.plan_file(rel, source, target) {
            None => return Ok(()),
            Some(0) => 0,
            Some(offset) => self.confirm_upload_resume(rel, &remote, offset)?,
        };
        let opened = File::open(self.local_path(rel))
            .and_then(|mut file| file.seek(SeekFrom::Start(offset)).map(|_| file));
        let Some(mut file) = self.check(rel, opened)? else {
            return Ok(());
        };
        let sent = self.client.stor(&remote, &mut file, offset, None);
        let Some(bytes) = self.check(rel, sent)? else {
            return Ok(());
        };
        self.transferred(bytes);
        if let Some(time) = source.modified {
            self.set_remote_time(rel, &remote, time)?;
        }
        Ok(())
    }

    /// Where an upload of `rel` resumes: at `offset` if the server's last
    /// [`OVERLAP`](super::overlap::OVERLAP) bytes are the local file's bytes
    /// before it, else at 0.
    fn confirm_upload_resume(
        &mut self,
        rel: &[u8],
        remote: &[u8],
        offset: u64,
    ) -> Result<u64, ShellError> {
        let Some(resumed) = self.retr_overlapping(rel, remote, offset, io::sink())? else {
            return Ok(0);
        };
        if resumed.received.is_ok() && resumed.confirmed {
            return Ok(offset);
        }
        if let Err(err) = resumed.received {
            let err = ShellError::from(err);
            if err.ends_session() {
                return Err(err);
            }
        }
        println!("Not resuming `{}': the remote bytes differ", shown(rel));
        Ok(0)
    }

    /// `MFMT` where the server has it; elsewhere the upload keeps the
    /// server's time.
    fn set_remote_time(
        &mut self,
        rel: &[u8],
        remote: &[u8],
        time: std::time::SystemTime,
    ) -> Result<(), ShellError> {
        let supported = self.client.has_feature("MFMT");
        if self.check(rel, supported)? != Some(true) {
            return Ok(());
        }
        let set = self.client.mfmt(remote, time);
        self.check(rel, set).map(drop)
    }

    /// `--delete`: removes the remote entry `rel` (a directory with what it
    /// holds, its names checked too).
    fn delete_remote(
        &mut self,
        rel: &[u8],
        kind: EntryKind,
        depth: usize,
    ) -> Result<(), ShellError> {
        let path = self.remote_path(rel);
        if kind != EntryKind::Dir {
            return self.delete("Removing old remote file", rel, |client| {
                client.delete(&path)
            });
        }
        if !self.depth_ok(rel, depth + 1) {
            return Ok(());
        }
        let Some(inside) = self.remote_entries(rel)? else {
            return Ok(());
        };
        for (name, entry) in sorted(inside) {
            self.delete_remote(&names::join(rel, &name), entry.kind, depth + 1)?;
        }
        self.delete("Removing old remote directory", rel, |client| {
            client.rmdir(&path)
        })
    }
}

/// The entries of a local directory with their own metadata (a symlink's,
/// not its target's), keyed by name.
fn read_local_dir(dir: &std::path::Path) -> io::Result<HashMap<Vec<u8>, Metadata>> {
    let mut entries = HashMap::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let meta = fs::symlink_metadata(entry.path())?;
        entries.insert(entry.file_name().as_bytes().to_vec(), meta);
    }
    Ok(entries)
}
