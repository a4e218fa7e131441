//! The jail: virtual paths seen by the client, real paths under the session's root.
//!
//! A client names files with *virtual* paths: absolute (`/pub/a.txt`) or
//! relative to its working directory, as bytes (names that are not UTF-8 are
//! kept as they are). [`VirtualPath::join`] resolves `.`, `..`, repeated `/`
//! and absolute arguments lexically, and never climbs above `/`. [`Jail`] then
//! maps a virtual path to a real one under the root and checks, after
//! following symlinks, that the result is still inside the root; a path that
//! leads outside is reported as "not found", the same as a missing file, and
//! logged.
//!
//! [`Upload`] is the file an upload writes to: either a temporary file in the
//! target's directory that is renamed into place by [`Upload::commit`] and
//! removed if dropped uncommitted (STOR replacing a file), or the target
//! itself (APPE, REST + STOR). Its writes stop at the process's file-size
//! limit (`RLIMIT_FSIZE`, `ulimit -f`) with `FileTooLarge`: one byte past it
//! the kernel would send SIGXFSZ, which kills the whole server unless it is
//! ignored (and `std` cannot ignore a signal without `unsafe`).
//!
//! What it does not do: decide who may write (that is [`crate::auth`] and the
//! session), or speak FTP. Between the check and the use of a path there is a
//! window in which a local user with write access to the tree could swap a
//! directory for a symlink; FTP clients themselves cannot create symlinks.

use std::ffi::OsStr;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// An absolute, normalised path as the client sees it: starts with `/`, no
/// `.` or `..` components, no repeated or trailing `/` (except the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualPath(Vec<u8>);

impl VirtualPath {
    /// The root, `/`.
    pub fn root() -> VirtualPath {
        VirtualPath(b"/".to_vec())
    }

    /// Resolves `arg` (absolute, or relative to `self`) lexically. `..` at the
    /// root stays at the root, as in a chroot.
    pub fn join(&self, arg: &[u8]) -> VirtualPath {
        let mut parts: Vec<&[u8]> = if arg.starts_with(b"/") {
            Vec::new()
        } else {
            self.components().collect()
        };
        for part in arg.split(|&b| b == b'/') {
            match part {
                b"" | b"." => {}
                b".." => {
                    parts.pop();
                }
                name => parts.push(name),
            }
        }
        VirtualPath::from_components(&parts)
    }

    /// The parent directory; the root is its own parent.
    pub fn parent(&self) -> VirtualPath {
        self.join(b"..")
    }

    /// The last component, or `None` for the root.
    pub fn file_name(&self) -> Option<&[u8]> {
        self.components().last()
    }

    /// The path as bytes, e.g. `/pub/a.txt`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The non-empty components, from the root down.
    fn components(&self) -> impl Iterator<Item = &[u8]> {
        self.0.split(|&b| b == b'/').filter(|part| !part.is_empty())
    }

    fn from_components(parts: &[&[u8]]) -> VirtualPath {
        let mut path = Vec::new();
        for part in parts {
            path.push(b'/');
            path.extend_from_slice(part);
        }
        if path.is_empty() {
            path.push(b'/');
        }
        VirtualPath(path)
    }
}

/// The path, decoded lossily (for replies and logs).
impl fmt::Display for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

/// A session's root directory and the checks that keep paths inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jail {
    root: PathBuf,
}

impl Jail {
    /// A jail rooted at `root`, which is canonicalised (it must exist).
    pub fn new(root: &Path) -> io::Result<Jail> {
        let root = root.canonicalize()?;
        if !root.is_dir() {
            return Err(io::ErrorKind::NotADirectory.into());
        }
        Ok(Jail { root })
    }

    /// The real root directory (for logs only, never for replies).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The real path of an existing file or directory, with every symlink
    /// followed; "not found" if it does not exist or leads outside the root.
    pub fn existing(&self, path: &VirtualPath) -> io::Result<PathBuf> {
        let real = self.lexical(path).canonicalize()?;
        self.inside(real, path)
    }

    /// The real path of a directory entry itself, for operations on the
    /// name (create, delete, rename): the parent directory is resolved and
    /// checked, the last component is not followed. Fails for the root.
    pub fn entry(&self, path: &VirtualPath) -> io::Result<PathBuf> {
        let name = path.file_name().ok_or(io::ErrorKind::PermissionDenied)?;
        let parent = self.existing(&path.parent())?;
        Ok(parent.join(OsStr::from_bytes(name)))
    }

    /// Where to write `path` in place (APPE, REST + STOR): like [`Jail::entry`],
    /// but an existing symlink is followed, and must stay inside the root.
    pub fn write_target(&self, path: &VirtualPath) -> io::Result<PathBuf> {
        let entry = self.entry(path)?;
        match fs::symlink_metadata(&entry) {
            Ok(meta) if meta.file_type().is_symlink() => self.existing(path),
            _ => Ok(entry),
        }
    }

    /// Root + the virtual components, nothing followed or checked yet.
    fn lexical(&self, path: &VirtualPath) -> PathBuf {
        path.components().fold(self.root.clone(), |real, part| {
            real.join(OsStr::from_bytes(part))
        })
    }

    fn inside(&self, real: PathBuf, path: &VirtualPath) -> io::Result<PathBuf> {
        if real.starts_with(&self.root) {
            Ok(real)
        } else {
            log::warn!("refused {path}: it leads outside the root");
            Err(io::ErrorKind::NotFound.into())
        }
    }
}

/// The file an upload writes into; see the module documentation.
#[derive(Debug)]
pub struct Upload {
    file: File,
    /// `(temporary, final)` paths while a replacing upload is uncommitted.
    rename: Option<(PathBuf, PathBuf)>,
    /// Where the next write goes in the file.
    position: u64,
    /// The file-size limit, if any: no write starts at or beyond it.
    limit: Option<u64>,
}

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

impl Upload {
    /// Opens `target` (a real path from [`Jail::entry`] or
    /// [`Jail::write_target`]) for writing in `mode`.
    pub fn open(target: &Path, mode: WriteMode) -> io::Result<Upload> {
        match mode {
            WriteMode::Replace => Upload::replacing(target),
            WriteMode::Append => {
                refuse_special(target)?;
                let file = OpenOptions::new().append(true).create(true).open(target)?;
                let end = file.metadata()?.len();
                Ok(Upload::new(file, None, end))
            }
            WriteMode::At(offset) => Upload::at_offset(target, offset),
        }
    }

    /// Creates a new file with a fresh name in `dir` (STOU) and returns it
    /// with its name.
    pub fn unique(dir: &Path) -> io::Result<(Upload, Vec<u8>)> {
        for _ in 0..100 {
            let name = format!("ftp-upload-{}", fresh_suffix());
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(dir.join(&name))
            {
                Ok(file) => return Ok((Upload::new(file, None, 0), name.into_bytes())),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(err) => return Err(err),
            }
        }
        Err(io::ErrorKind::AlreadyExists.into())
    }

    /// The file to write to.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Whether committing now would replace a file that exists: the one case
    /// in which a partial upload must not be committed.
    pub fn would_replace(&self) -> bool {
        self.rename
            .as_ref()
            .is_some_and(|(_, target)| target.exists())
    }

    /// Finishes the upload: a replacing upload is renamed into place.
    pub fn commit(mut self) -> io::Result<()> {
        if let Some((temp, target)) = self.rename.take() {
            if let Err(err) = fs::rename(&temp, &target) {
                let _ = fs::remove_file(&temp);
                return Err(err);
            }
        }
        Ok(())
    }

    fn replacing(target: &Path) -> io::Result<Upload> {
        // A name the file system refuses (too long, a symlink loop) is
        // refused now, before any data is sent, not at the final rename.
        let replaced = match fs::metadata(target) {
            Ok(meta) if meta.is_dir() => return Err(io::ErrorKind::IsADirectory.into()),
            Ok(meta) => Some(meta.permissions()),
            Err(err) if err.kind() == io::ErrorKind::NotFound => None,
            Err(err) => return Err(err),
        };
        let dir = target.parent().ok_or(io::ErrorKind::InvalidInput)?;
        for _ in 0..100 {
            let temp = dir.join(format!(".ftp-tmp-{}", fresh_suffix()));
            match OpenOptions::new().write(true).create_new(true).open(&temp) {
                Ok(file) => {
                    // Keep the replaced file's permissions.
                    if let Some(permissions) = &replaced {
                        let _ = file.set_permissions(permissions.clone());
                    }
                    let rename = Some((temp, target.to_path_buf()));
                    return Ok(Upload::new(file, rename, 0));
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(err) => return Err(err),
            }
        }
        Err(io::ErrorKind::AlreadyExists.into())
    }

    fn at_offset(target: &Path, offset: u64) -> io::Result<Upload> {
        refuse_special(target)?;
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(target)?;
        if offset > file.metadata()?.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "restart offset beyond the end of the file",
            ));
        }
        file.set_len(offset)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(Upload::new(file, None, offset))
    }

    fn new(file: File, rename: Option<(PathBuf, PathBuf)>, position: u64) -> Upload {
        Upload {
            file,
            rename,
            position,
            limit: file_size_limit(),
        }
    }
}

/// Writes to the file, up to the file-size limit: a write that would start
/// at or beyond it fails with `FileTooLarge` instead of raising SIGXFSZ
/// (the kernel itself shortens a write that crosses it).
impl Write for Upload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !buf.is_empty() && self.limit.is_some_and(|limit| self.position >= limit) {
            return Err(io::ErrorKind::FileTooLarge.into());
        }
        let written = self.file.write(buf)?;
        self.position += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Refuses to write in place (APPE, REST + STOR) into an existing file that
/// is not a regular file or a directory (a FIFO, a device, a socket):
/// opening a FIFO for writing waits for a reader, forever. (STOR replaces
/// one by renaming over it, which does not open it.)
fn refuse_special(target: &Path) -> io::Result<()> {
    match fs::metadata(target) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a plain file",
        )),
        _ => Ok(()),
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
fn parse_file_size_limit(limits: &str) -> Option<u64> {
    const NAME: &str = "Max file size";
    let line = limits.lines().find(|line| line.starts_with(NAME))?;
    line[NAME.len()..].split_whitespace().next()?.parse().ok()
}

/// An uncommitted replacing upload leaves no temporary file behind.
impl Drop for Upload {
    fn drop(&mut self) {
        if let Some((temp, _)) = self.rename.take() {
            let _ = fs::remove_file(temp);
        }
    }
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::symlink;

    /// A scratch directory under the system's temporary directory, removed on drop.
    pub(crate) struct Scratch(pub PathBuf);

    impl Scratch {
        pub(crate) fn new(tag: &str) -> Scratch {
            static N: AtomicU64 = AtomicU64::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let path =
                std::env::temp_dir().join(format!("ftp-server-{tag}-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).expect("scratch dir");
            Scratch(path)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn v(path: &[u8]) -> VirtualPath {
        VirtualPath::root().join(path)
    }

    #[test]
    fn join_resolves_dots_slashes_and_absolute_paths() {
        let cwd = v(b"/pub/docs");
        assert_eq!(cwd.join(b"a.txt").as_bytes(), b"/pub/docs/a.txt");
        assert_eq!(cwd.join(b"../a.txt").as_bytes(), b"/pub/a.txt");
        assert_eq!(cwd.join(b"/etc/passwd").as_bytes(), b"/etc/passwd");
        assert_eq!(cwd.join(b"//x//y/./z/").as_bytes(), b"/x/y/z");
        assert_eq!(cwd.join(b"").as_bytes(), b"/pub/docs");
        assert_eq!(cwd.join(b".").as_bytes(), b"/pub/docs");
    }

    #[test]
    fn dot_dot_never_climbs_above_the_root() {
        let cwd = v(b"/pub");
        assert_eq!(cwd.join(b"../../../etc/passwd").as_bytes(), b"/etc/passwd");
        assert_eq!(VirtualPath::root().join(b"..").as_bytes(), b"/");
        assert_eq!(VirtualPath::root().parent(), VirtualPath::root());
        assert!(VirtualPath::root().file_name().is_none());
    }

    #[test]
    fn non_utf8_names_are_kept_as_bytes() {
        let path = VirtualPath::root().join(b"caf\xe9/\xff.txt");
        assert_eq!(path.as_bytes(), b"/caf\xe9/\xff.txt");
        assert_eq!(path.file_name(), Some(&b"\xff.txt"[..]));
    }

    #[test]
    fn existing_paths_map_under_the_root() {
        let dir = Scratch::new("jail-map");
        fs::create_dir(dir.0.join("pub")).expect("mkdir");
        fs::write(dir.0.join("pub/a.txt"), b"x").expect("write");
        let jail = Jail::new(&dir.0).expect("jail");
        let real = jail.existing(&v(b"/pub/../pub/a.txt")).expect("found");
        assert_eq!(real, jail.root().join("pub/a.txt"));
        let missing = jail.existing(&v(b"/nope")).expect_err("missing");
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn symlinks_out_of_the_root_are_not_found() {
        let outside = Scratch::new("jail-outside");
        fs::write(outside.0.join("secret"), b"secret").expect("write");
        let dir = Scratch::new("jail-root");
        symlink(&outside.0, dir.0.join("escape")).expect("symlink dir");
        symlink(outside.0.join("secret"), dir.0.join("secret")).expect("symlink file");
        symlink("inside.txt", dir.0.join("ok")).expect("symlink inside");
        fs::write(dir.0.join("inside.txt"), b"in").expect("write");
        let jail = Jail::new(&dir.0).expect("jail");
        for path in [&b"/escape"[..], b"/escape/secret", b"/secret"] {
            let err = jail.existing(&v(path)).expect_err("outside");
            assert_eq!(err.kind(), io::ErrorKind::NotFound, "{path:?}");
        }
        // Writing in place through a link that leads outside is refused too.
        assert!(jail.write_target(&v(b"/secret")).is_err());
        assert!(jail.entry(&v(b"/escape/new")).is_err());
        // A link that stays inside works, and the link itself can be named.
        assert_eq!(
            jail.existing(&v(b"/ok")).expect("in"),
            jail.root().join("inside.txt")
        );
        assert_eq!(
            jail.entry(&v(b"/secret")).expect("entry"),
            jail.root().join("secret")
        );
    }

    #[test]
    fn the_root_has_no_entry() {
        let dir = Scratch::new("jail-rootentry");
        let jail = Jail::new(&dir.0).expect("jail");
        assert!(jail.entry(&VirtualPath::root()).is_err());
    }

    #[test]
    fn a_replacing_upload_keeps_the_old_file_until_commit() {
        let dir = Scratch::new("upload-replace");
        let target = dir.0.join("f");
        fs::write(&target, b"old").expect("write");
        let mut upload = Upload::open(&target, WriteMode::Replace).expect("open");
        upload.file().write_all(b"new").expect("write");
        assert_eq!(fs::read(&target).expect("read"), b"old");
        upload.commit().expect("commit");
        assert_eq!(fs::read(&target).expect("read"), b"new");
        assert_eq!(
            fs::read_dir(&dir.0).expect("ls").count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn a_dropped_upload_leaves_the_old_file_and_no_temporary() {
        let dir = Scratch::new("upload-drop");
        let target = dir.0.join("f");
        fs::write(&target, b"old").expect("write");
        let mut upload = Upload::open(&target, WriteMode::Replace).expect("open");
        upload.file().write_all(b"partial").expect("write");
        drop(upload);
        assert_eq!(fs::read(&target).expect("read"), b"old");
        assert_eq!(fs::read_dir(&dir.0).expect("ls").count(), 1);
    }

    #[test]
    fn append_and_restart_write_in_place() {
        let dir = Scratch::new("upload-inplace");
        let target = dir.0.join("f");
        fs::write(&target, b"hello world").expect("write");
        let mut upload = Upload::open(&target, WriteMode::At(6)).expect("open");
        upload.file().write_all(b"there").expect("write");
        upload.commit().expect("commit");
        assert_eq!(fs::read(&target).expect("read"), b"hello there");
        let mut upload = Upload::open(&target, WriteMode::Append).expect("open");
        upload.file().write_all(b"!").expect("write");
        drop(upload);
        assert_eq!(fs::read(&target).expect("read"), b"hello there!");
        let err = Upload::open(&target, WriteMode::At(100)).expect_err("beyond end");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn unique_uploads_get_fresh_names() {
        let dir = Scratch::new("upload-unique");
        let (_a, name_a) = Upload::unique(&dir.0).expect("first");
        let (_b, name_b) = Upload::unique(&dir.0).expect("second");
        assert_ne!(name_a, name_b);
        assert!(dir.0.join(OsStr::from_bytes(&name_a)).exists());
    }

    #[test]
    fn file_size_limits_are_read_from_proc_limits() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max cpu time              unlimited            unlimited            seconds   \n\
                      Max file size             1048576              unlimited            bytes     \n";
        assert_eq!(parse_file_size_limit(limits), Some(1 << 20));
        let unlimited = limits.replace("1048576 ", "unlimited");
        assert_eq!(parse_file_size_limit(&unlimited), None);
        assert_eq!(parse_file_size_limit(""), None);
    }

    #[test]
    fn writes_stop_at_the_file_size_limit() {
        let dir = Scratch::new("upload-limit");
        let target = dir.0.join("f");
        fs::write(&target, b"0123").expect("write");
        let mut upload = Upload::open(&target, WriteMode::Append).expect("open");
        upload.limit = Some(10);
        upload.write_all(b"456789").expect("up to the limit");
        let err = upload.write_all(b"x").expect_err("past the limit");
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        drop(upload);
        assert_eq!(fs::read(&target).expect("read"), b"0123456789");
    }

    #[test]
    fn a_name_too_long_is_refused_before_any_temporary_is_made() {
        let dir = Scratch::new("upload-long");
        let target = dir.0.join("n".repeat(300));
        let err = Upload::open(&target, WriteMode::Replace).expect_err("too long");
        assert_eq!(err.raw_os_error(), Some(36), "{err}");
        assert_eq!(fs::read_dir(&dir.0).expect("ls").count(), 0);
    }

    #[test]
    fn special_files_are_not_written_in_place() {
        let dir = Scratch::new("upload-special");
        let socket = dir.0.join("socket");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("socket file");
        for mode in [WriteMode::Append, WriteMode::At(0)] {
            let err = Upload::open(&socket, mode).expect_err("a socket file");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{mode:?}");
        }
    }

    #[test]
    fn replacing_a_directory_is_refused() {
        let dir = Scratch::new("upload-dir");
        fs::create_dir(dir.0.join("d")).expect("mkdir");
        let err = Upload::open(&dir.0.join("d"), WriteMode::Replace).expect_err("dir");
        assert_eq!(err.kind(), io::ErrorKind::IsADirectory);
    }
}
