//! The directory entry both sides share: what a listing line says about one
//! name.
//!
//! The server builds an [`Entry`] from file metadata
//! ([`Entry::from_metadata`]); the client gets one from a parsed line
//! ([`parse_line`](super::parse_line)).
//!
//! What this module does not do: format or parse lines (`format` and `parse`
//! beside it), read directories, or decide permissions.

use std::fs::Metadata;
use std::time::SystemTime;

/// What kind of directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file: `-` in `ls -l`, `type=file` in MLSx.
    File,
    /// A directory: `d` in `ls -l`, `type=dir` (also `cdir` and `pdir`) in MLSx.
    Dir,
    /// A symbolic link: `l` in `ls -l`, `type=OS.unix=symlink` or
    /// `type=OS.unix=slink:target` in MLSx.
    Symlink,
    /// Anything else: a device, FIFO or socket, or a kind the line did not give.
    Other,
}

/// One directory entry, from metadata (server) or a parsed line (client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name, as bytes exactly as they travel on the wire (not always UTF-8).
    pub name: Vec<u8>,
    /// What kind of entry this is.
    pub kind: EntryKind,
    /// The size in bytes, when known.
    pub size: Option<u64>,
    /// The last modification time, when known.
    pub modified: Option<SystemTime>,
    /// The Unix permission bits (at most `0o7777`), when known.
    pub mode: Option<u32>,
    /// An opaque token, equal for all names of one file (RFC 3659 §7.5.2).
    pub unique: Option<String>,
}

impl Entry {
    /// An entry from file-system metadata (`symlink_metadata` for links).
    ///
    /// The kind comes from the file type, the size from the length, and on Unix
    /// the mode is the permission bits and `unique` is the device and inode
    /// number in hex, e.g. `801U2a3f`.
    pub fn from_metadata(name: Vec<u8>, meta: &Metadata) -> Entry {
        let file_type = meta.file_type();
        let kind = if file_type.is_symlink() {
            EntryKind::Symlink
        } else if file_type.is_dir() {
            EntryKind::Dir
        } else if file_type.is_file() {
            EntryKind::File
        } else {
            EntryKind::Other
        };
        let (mode, unique) = mode_and_unique(meta);
        Entry {
            name,
            kind,
            size: Some(meta.len()),
            modified: meta.modified().ok(),
            mode,
            unique,
        }
    }
}

/// The permission bits and the `unique` token (`<dev>U<inode>`, hex) of a file.
#[cfg(unix)]
fn mode_and_unique(meta: &Metadata) -> (Option<u32>, Option<String>) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mode = meta.permissions().mode() & 0o7777;
    (
        Some(mode),
        Some(format!("{:x}U{:x}", meta.dev(), meta.ino())),
    )
}

/// Without Unix metadata there are no mode bits and no inode numbers.
#[cfg(not(unix))]
fn mode_and_unique(_meta: &Metadata) -> (Option<u32>, Option<String>) {
    (None, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    /// A scratch directory under the system's temporary directory, removed on drop.
    struct Scratch(std::path::PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[cfg(unix)]
    #[test]
    fn entries_from_metadata_carry_kind_size_mode_and_unique() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let scratch = Scratch(
            std::env::temp_dir().join(format!("listing-test-{}-{nanos}", std::process::id())),
        );
        let dir = &scratch.0;
        std::fs::create_dir(dir).expect("scratch dir");
        let file = dir.join("data.bin");
        std::fs::write(&file, b"0123456789").expect("write file");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o4640)).expect("chmod");
        std::os::unix::fs::symlink("data.bin", dir.join("link")).expect("symlink");

        let meta = std::fs::metadata(&file).expect("stat file");
        let entry = Entry::from_metadata(b"data.bin".to_vec(), &meta);
        assert_eq!(entry.kind, EntryKind::File);
        assert_eq!(entry.size, Some(10));
        assert_eq!(entry.mode, Some(0o4640));
        assert_eq!(entry.modified, meta.modified().ok());
        assert_eq!(
            entry.unique,
            Some(format!("{:x}U{:x}", meta.dev(), meta.ino()))
        );

        let link = Entry::from_metadata(
            b"link".to_vec(),
            &std::fs::symlink_metadata(dir.join("link")).expect("lstat"),
        );
        assert_eq!(link.kind, EntryKind::Symlink);
        assert_ne!(link.unique, entry.unique);
        let through_link = Entry::from_metadata(
            b"link".to_vec(),
            &std::fs::metadata(dir.join("link")).expect("stat"),
        );
        assert_eq!(through_link.unique, entry.unique);

        let dir_entry =
            Entry::from_metadata(b"d".to_vec(), &std::fs::metadata(dir).expect("stat dir"));
        assert_eq!(dir_entry.kind, EntryKind::Dir);
    }
}
