//! The walk: from the root's handle to the object a virtual path names, one
//! component at a time, so that no check is ever separate from its use.
//!
//! Each component is opened as a handle relative to the handle of the
//! directory before it ([`handle::open_entry`]: `O_PATH | O_NOFOLLOW`), and
//! the next component is looked up in *that* handle. A symlink is never
//! followed by the kernel: the walk reads it and carries on with its target,
//! inside the root — a relative target from the directory that holds the
//! link, an absolute one from the root if it starts with the root's real
//! path. A target that leaves the root (an absolute path elsewhere, or `..`
//! above the root) ends the walk with "not found", as a missing file does,
//! and is logged. So whatever is renamed or swapped meanwhile, every object
//! the walk reaches was inside the root when it was reached, and an
//! operation on the result acts on that object, not on a path.
//!
//! The root itself is opened at the start of every walk (a session holds no
//! descriptor while idle) and checked to be the directory the session logged
//! in to.
//!
//! For an anonymous session ([`Root::world_only`]) every directory walked
//! through must be executable by others, as vsftpd's `anon_world_readable_only`.
//!
//! What it does not do: create, change or read anything (`mod.rs` does, on
//! what the walk returns).

use std::fs::{self, File, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;

use super::handle;
use super::path::VirtualPath;

/// Symlinks followed in one walk before it gives up with `ELOOP`, as the
/// kernel does.
const MAX_SYMLINKS: usize = 40;

/// ELOOP on Linux.
const SYMLINK_LOOP: i32 = 40;

/// A session's root directory.
#[derive(Debug)]
pub struct Root {
    /// The canonical real path (absolute symlink targets are read against it).
    pub real: PathBuf,
    /// The root directory's device and inode, to recognise it.
    pub id: (u64, u64),
    /// Anonymous: only world-executable directories may be walked through.
    pub world_only: bool,
}

/// A directory reached by a walk: its handle, and where it is inside the
/// root (its physical path, symlinks resolved).
#[derive(Debug, Clone)]
pub struct Dir {
    /// A path handle on the directory.
    pub handle: Arc<File>,
    /// Its location inside the root.
    pub location: VirtualPath,
}

/// What a walk that follows the last component found.
#[derive(Debug)]
pub struct Object {
    /// A path handle on the object.
    pub handle: Arc<File>,
    /// Its metadata, read from the handle.
    pub meta: Metadata,
    /// Its location inside the root.
    pub location: VirtualPath,
}

/// What a walk that stops before the last component found: the directory
/// that holds it, and its name there (not looked up).
#[derive(Debug)]
pub struct Entry {
    /// The directory holding the entry.
    pub parent: Dir,
    /// The entry's name in it.
    pub name: Vec<u8>,
}

impl Root {
    /// The root at `real` (canonical) for a session; `world_only` for
    /// anonymous sessions.
    pub fn open(real: PathBuf, world_only: bool) -> io::Result<Root> {
        let meta = handle::open_directory(&real)?.metadata()?;
        Ok(Root {
            real,
            id: (meta.dev(), meta.ino()),
            world_only,
        })
    }

    /// The object `path` names, every symlink followed inside the root.
    pub fn object(&self, path: &VirtualPath) -> io::Result<Object> {
        let mut walk = Walk::start(self, path)?;
        loop {
            match walk.next_component()? {
                Some(name) => walk.step(&name, path)?,
                None => return Ok(walk.finish_object()),
            }
        }
    }

    /// The entry `path` names, in the directory that holds it: everything
    /// but the last component followed. The root has no entry.
    pub fn entry(&self, path: &VirtualPath) -> io::Result<Entry> {
        let mut walk = Walk::start(self, path)?;
        loop {
            let Some(name) = walk.next_component()? else {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "the root directory itself cannot be changed",
                ));
            };
            if walk.todo.is_empty() {
                return Ok(Entry {
                    parent: walk.current(),
                    name,
                });
            }
            walk.step(&name, path)?;
        }
    }

    /// Whether `meta` is the root directory's.
    pub fn is_root(&self, meta: &Metadata) -> bool {
        (meta.dev(), meta.ino()) == self.id
    }

    /// Refuses, for anonymous sessions, a directory others may not enter.
    fn may_enter(&self, meta: &Metadata) -> io::Result<()> {
        if self.world_only && meta.mode() & 0o001 == 0 {
            return Err(io::ErrorKind::PermissionDenied.into());
        }
        Ok(())
    }
}

/// One walk in progress.
struct Walk<'a> {
    root: &'a Root,
    /// The root's handle and metadata, opened for this walk.
    root_dir: Arc<File>,
    root_meta: Metadata,
    /// The directories below the root reached so far, with their names.
    dirs: Vec<(Arc<File>, Metadata, Vec<u8>)>,
    /// Components still to walk, the next one last.
    todo: Vec<Vec<u8>>,
    /// Symlinks followed so far.
    links: usize,
    /// The object the last step reached if it was not a directory.
    leaf: Option<(Arc<File>, Metadata, Vec<u8>)>,
}

impl<'a> Walk<'a> {
    fn start(root: &'a Root, path: &VirtualPath) -> io::Result<Walk<'a>> {
        let root_dir = handle::open_directory(&root.real)?;
        let root_meta = root_dir.metadata()?;
        if !root.is_root(&root_meta) {
            log::error!("{}: the root directory was replaced", root.real.display());
            return Err(io::ErrorKind::NotFound.into());
        }
        root.may_enter(&root_meta)?;
        let todo = path.components().rev().map(<[u8]>::to_vec).collect();
        Ok(Walk {
            root,
            root_dir: Arc::new(root_dir),
            root_meta,
            dirs: Vec::new(),
            todo,
            links: 0,
            leaf: None,
        })
    }

    /// The next name to look up, after `.` and `..` are dealt with; `None`
    /// at the end of the path.
    fn next_component(&mut self) -> io::Result<Option<Vec<u8>>> {
        while let Some(name) = self.todo.pop() {
            if self.leaf.is_some() {
                // Only a symlink's target can continue after a file.
                return Err(io::ErrorKind::NotADirectory.into());
            }
            match &name[..] {
                b"" | b"." => {}
                b".." => {
                    if self.dirs.pop().is_none() {
                        return Err(self.outside());
                    }
                }
                _ => return Ok(Some(name)),
            }
        }
        Ok(None)
    }

    /// Looks `name` up in the current directory and moves there; a symlink
    /// is replaced by its target's components.
    fn step(&mut self, name: &[u8], path: &VirtualPath) -> io::Result<()> {
        if self.leaf.is_some() {
            return Err(io::ErrorKind::NotADirectory.into());
        }
        let dir = self.current_handle();
        let handle = handle::open_entry(&dir, name)?;
        let meta = handle.metadata()?;
        if meta.file_type().is_symlink() {
            return self.follow(&dir, name, path);
        }
        if meta.is_dir() {
            self.root.may_enter(&meta)?;
            self.dirs.push((Arc::new(handle), meta, name.to_vec()));
        } else {
            self.leaf = Some((Arc::new(handle), meta, name.to_vec()));
        }
        Ok(())
    }

    /// Carries on with the target of the symlink `name` in `dir`.
    fn follow(&mut self, dir: &File, name: &[u8], path: &VirtualPath) -> io::Result<()> {
        self.links += 1;
        if self.links > MAX_SYMLINKS {
            return Err(io::Error::from_raw_os_error(SYMLINK_LOOP));
        }
        let target = fs::read_link(handle::at(dir, name))?;
        let target = target.as_os_str().as_bytes();
        let relative = if target.starts_with(b"/") {
            let Some(rest) = self.strip_root(target) else {
                let path = path.logged();
                log::warn!("refused {path}: a symlink on the way leads outside the root");
                return Err(io::ErrorKind::NotFound.into());
            };
            self.dirs.clear();
            rest
        } else {
            target
        };
        self.todo
            .extend(relative.split(|&b| b == b'/').rev().map(<[u8]>::to_vec));
        Ok(())
    }

    /// `target` relative to the root, if it starts with the root's path.
    fn strip_root<'t>(&self, target: &'t [u8]) -> Option<&'t [u8]> {
        let root = self.root.real.as_os_str().as_bytes();
        let root = root.strip_suffix(b"/").unwrap_or(root);
        let rest = target.strip_prefix(root)?;
        (rest.is_empty() || rest.starts_with(b"/")).then_some(rest)
    }

    fn outside(&self) -> io::Error {
        log::warn!("refused a path: a symlink on the way climbs above the root");
        io::ErrorKind::NotFound.into()
    }

    fn current_handle(&self) -> Arc<File> {
        match self.dirs.last() {
            Some((handle, _, _)) => Arc::clone(handle),
            None => Arc::clone(&self.root_dir),
        }
    }

    fn location(&self) -> VirtualPath {
        let names: Vec<&[u8]> = self.dirs.iter().map(|(_, _, name)| &name[..]).collect();
        VirtualPath::root().join(&names.join(&b'/'))
    }

    fn current(&self) -> Dir {
        Dir {
            handle: self.current_handle(),
            location: self.location(),
        }
    }

    fn finish_object(mut self) -> Object {
        let location = self.location();
        match self.leaf.take() {
            Some((handle, meta, name)) => Object {
                handle,
                meta,
                location: location.join(&name),
            },
            None => {
                let (handle, meta) = match self.dirs.pop() {
                    Some((handle, meta, _)) => (handle, meta),
                    None => (self.root_dir, self.root_meta),
                };
                Object {
                    handle,
                    meta,
                    location,
                }
            }
        }
    }
}
