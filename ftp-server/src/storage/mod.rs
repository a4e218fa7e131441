//! Storage: the only code that touches files, and the jail that keeps every
//! session inside its root — also while the tree changes under it.
//!
//! A session names files with [`VirtualPath`]s. [`Storage`] answers each file
//! operation the session needs (enter a directory, read metadata, open a file,
//! create, remove, rename, change mode or time, upload, read a directory) by
//! walking the path from the root's handle one component at a time
//! (`walk.rs`), never letting the kernel follow a symlink on its own, and then
//! acting on the object or on the name *inside the directory handle* the walk
//! ended in (`handle.rs`). There is no window between a check and its use: a
//! directory swapped for a symlink to outside, between two commands or in the
//! middle of one, is read as a symlink and refused.
//!
//! The rules, for every session:
//! - A symlink is followed when its target is inside the root (as the client
//!   sees it, as if the root were `/`), never when it leads outside; a path
//!   through a symlink that leads outside is "not found", and logged.
//! - The root itself is never changed: no rename, removal, mode or time.
//! - Only plain files and directories are read, written or changed: FIFOs,
//!   sockets and devices are refused before they are opened, and no open
//!   waits for a FIFO's other end.
//! - Anonymous sessions (`world_only`) enter only directories others may
//!   enter, list only directories others may read, and read only files
//!   others may read (vsftpd's `anon_world_readable_only`).
//!
//! What it does not do: decide who may write (the session does, from the
//! account), or speak FTP. Uploads are in `upload.rs`.

mod handle;
mod path;
mod upload;
mod walk;

use std::ffi::OsString;
use std::fs::{self, File, Metadata, OpenOptions, Permissions};
use std::io;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

pub use handle::check_support;
pub use path::VirtualPath;
pub use upload::{Upload, WriteMode};
pub use walk::Dir;

use walk::{Object, Root};

/// A file [`Storage::open_file`] opened for reading: read it, or seek to a
/// restart offset. The session and the transfer hold it without touching
/// the file system themselves.
#[derive(Debug)]
pub struct OpenFile(File);

impl OpenFile {
    /// The open file's metadata: which file it is (device and inode), for
    /// a check that a session sent what it should.
    pub fn metadata(&self) -> io::Result<Metadata> {
        self.0.metadata()
    }
}

impl io::Read for OpenFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl io::Seek for OpenFile {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.0.seek(pos)
    }
}

/// One session's view of the file system: its root, and the rules above.
#[derive(Debug, Clone)]
pub struct Storage {
    root: Arc<Root>,
}

impl Storage {
    /// The storage rooted at `root` (an existing directory); `world_only`
    /// for anonymous sessions.
    pub fn open(root: &Path, world_only: bool) -> io::Result<Storage> {
        let real = root.canonicalize()?;
        let root = Root::open(real, world_only)?;
        Ok(Storage {
            root: Arc::new(root),
        })
    }

    /// The real root directory (for logs only, never for replies).
    pub fn root(&self) -> &Path {
        &self.root.real
    }

    /// Checks that `path` is a directory the session may enter (CWD).
    pub fn enter(&self, path: &VirtualPath) -> io::Result<()> {
        let object = self.root.object(path)?;
        if !object.meta.is_dir() {
            return Err(io::ErrorKind::NotADirectory.into());
        }
        Ok(())
    }

    /// The metadata of what `path` names, symlinks followed (SIZE, MDTM,
    /// MLST, LIST of one file).
    pub fn metadata(&self, path: &VirtualPath) -> io::Result<Metadata> {
        self.root.object(path).map(|object| object.meta)
    }

    /// Opens the plain file `path` for reading, with its metadata (RETR).
    pub fn open_file(&self, path: &VirtualPath) -> io::Result<(OpenFile, Metadata)> {
        let object = self.root.object(path)?;
        plain_file(&object.meta)?;
        self.may_read(&object.meta)?;
        let file = handle::reopen(&object.handle, OpenOptions::new().read(true))?;
        Ok((OpenFile(file), object.meta))
    }

    /// Opens the directory `path` for listing.
    pub fn open_dir(&self, path: &VirtualPath) -> io::Result<Dir> {
        let object = self.root.object(path)?;
        if !object.meta.is_dir() {
            return Err(io::ErrorKind::NotADirectory.into());
        }
        self.may_read(&object.meta)?;
        Ok(Dir {
            handle: object.handle,
            location: object.location,
        })
    }

    /// Looks `path` up: a directory to list, or the metadata of anything
    /// else (LIST and NLST of a path that may be either).
    pub fn lookup(&self, path: &VirtualPath) -> io::Result<Found> {
        let object = self.root.object(path)?;
        if object.meta.is_dir() {
            self.may_read(&object.meta)?;
            Ok(Found::Dir(Dir {
                handle: object.handle,
                location: object.location,
            }))
        } else {
            Ok(Found::Other(object.meta))
        }
    }

    /// The entries of `dir`, unsorted, `.` and `..` left out.
    pub fn entries(&self, dir: &Dir) -> io::Result<DirEntries> {
        fs::read_dir(handle::itself(&dir.handle)).map(DirEntries)
    }

    /// The metadata of `entry` of `dir` for a listing, read relative to the
    /// open directory (one `statx` of the name alone, no path walked): a
    /// symlink whose target is inside the root is described by its target,
    /// any other by itself.
    pub fn metadata_of(&self, dir: &Dir, entry: &DirEntry) -> io::Result<Metadata> {
        // std reads a directory entry's metadata with the directory's own
        // descriptor and without following a link (fstatat/statx with
        // AT_SYMLINK_NOFOLLOW): the name is one component of the directory
        // the walk reached, so nothing outside can be reached through it.
        let link = entry.0.metadata()?;
        if !link.file_type().is_symlink() {
            return Ok(link);
        }
        match self.root.object(&dir.location.join(&entry.name())) {
            Ok(target) => Ok(target.meta),
            Err(_) => Ok(link),
        }
    }

    /// Creates the directory `path` (MKD).
    pub fn create_dir(&self, path: &VirtualPath) -> io::Result<()> {
        let entry = self.root.entry(path)?;
        fs::create_dir(handle::at(&entry.parent.handle, &entry.name))
    }

    /// Removes the empty directory `path` (RMD); a symlink is not followed.
    pub fn remove_dir(&self, path: &VirtualPath) -> io::Result<()> {
        let entry = self.root.entry(path)?;
        fs::remove_dir(handle::at(&entry.parent.handle, &entry.name))
    }

    /// Removes the file, symlink or other non-directory `path` (DELE).
    pub fn remove_file(&self, path: &VirtualPath) -> io::Result<()> {
        let entry = self.root.entry(path)?;
        let at = handle::at(&entry.parent.handle, &entry.name);
        if fs::symlink_metadata(&at)?.is_dir() {
            return Err(io::ErrorKind::IsADirectory.into());
        }
        fs::remove_file(at)
    }

    /// Checks that the entry `path` exists, not following a final symlink
    /// (RNFR).
    pub fn entry_exists(&self, path: &VirtualPath) -> io::Result<()> {
        let entry = self.root.entry(path)?;
        fs::symlink_metadata(handle::at(&entry.parent.handle, &entry.name)).map(drop)
    }

    /// Renames the entry `from` to `to` (RNTO); neither is followed.
    pub fn rename(&self, from: &VirtualPath, to: &VirtualPath) -> io::Result<()> {
        let from = self.root.entry(from)?;
        let to = self.root.entry(to)?;
        fs::rename(
            handle::at(&from.parent.handle, &from.name),
            handle::at(&to.parent.handle, &to.name),
        )
    }

    /// Sets the modification time of the plain file or directory `path`
    /// (MFMT); never the root's.
    pub fn set_modified(&self, path: &VirtualPath, when: SystemTime) -> io::Result<()> {
        let object = self.changeable(path)?;
        handle::reopen(&object.handle, OpenOptions::new().read(true))?.set_modified(when)
    }

    /// Sets the permission bits (`mode` up to `0o777`) of the plain file or
    /// directory `path` (SITE CHMOD); never the root's.
    pub fn set_mode(&self, path: &VirtualPath, mode: u32) -> io::Result<()> {
        if mode > 0o777 {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        let object = self.changeable(path)?;
        fs::set_permissions(handle::itself(&object.handle), Permissions::from_mode(mode))
    }

    /// Opens `path` for an upload in `mode` (STOR, APPE, REST + STOR).
    pub fn upload(&self, path: &VirtualPath, mode: WriteMode) -> io::Result<Upload> {
        upload::open(&self.root, path, mode)
    }

    /// Creates a file with a fresh name in the directory `dir` (STOU), and
    /// returns it with its name.
    pub fn upload_unique(&self, dir: &VirtualPath) -> io::Result<(Upload, Vec<u8>)> {
        let object = self.root.object(dir)?;
        if !object.meta.is_dir() {
            return Err(io::ErrorKind::NotADirectory.into());
        }
        upload::unique(Dir {
            handle: object.handle,
            location: object.location,
        })
    }

    /// A plain file or directory that is not the root, for a change.
    fn changeable(&self, path: &VirtualPath) -> io::Result<Object> {
        let object = self.root.object(path)?;
        if self.root.is_root(&object.meta) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the root directory itself cannot be changed",
            ));
        }
        if !object.meta.is_dir() {
            plain_file(&object.meta)?;
        }
        Ok(object)
    }

    /// Refuses, for anonymous sessions, what others may not read.
    fn may_read(&self, meta: &Metadata) -> io::Result<()> {
        if self.root.world_only && meta.mode() & 0o004 == 0 {
            return Err(io::ErrorKind::PermissionDenied.into());
        }
        Ok(())
    }
}

/// The entries of a directory, as the file system gives them ([`Storage::entries`]).
#[derive(Debug)]
pub struct DirEntries(fs::ReadDir);

impl Iterator for DirEntries {
    type Item = io::Result<DirEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.0.next()?.map(DirEntry))
    }
}

/// One entry of a directory: its name, and what [`Storage::metadata_of`]
/// needs to describe it without walking a path again.
#[derive(Debug)]
pub struct DirEntry(fs::DirEntry);

impl DirEntry {
    /// The entry's name, as the file system gives it.
    pub fn name(&self) -> Vec<u8> {
        OsString::into_vec(self.0.file_name())
    }
}

/// What [`Storage::lookup`] found.
#[derive(Debug)]
pub enum Found {
    /// A directory, open for listing.
    Dir(Dir),
    /// Anything else, described by its metadata.
    Other(Metadata),
}

/// Refuses anything but a plain file: opening a FIFO would wait for its other
/// end, and devices and sockets are not files to transfer.
fn plain_file(meta: &Metadata) -> io::Result<()> {
    if meta.is_file() {
        Ok(())
    } else {
        Err(not_plain_file(meta))
    }
}

/// Why `meta`, which is not a plain file's, is refused.
fn not_plain_file(meta: &Metadata) -> io::Error {
    if meta.is_dir() {
        io::ErrorKind::IsADirectory.into()
    } else {
        io::Error::new(io::ErrorKind::Unsupported, "not a plain file")
    }
}

#[cfg(test)]
pub(crate) mod tests;
