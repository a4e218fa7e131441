//! Handles on directories and files, and acting on a name *inside* an open
//! directory — the `openat` family — with nothing but `std`.
//!
//! `std` has no `openat`, and this crate has no `unsafe` and no `libc`. Linux
//! offers the same thing through `/proc`: `/proc/self/fd/N` is a link to
//! whatever descriptor `N` has open, and the kernel follows it to that very
//! object, not to a path that could have changed since. So
//! `/proc/self/fd/N/name` names `name` inside the directory open on `N`,
//! whatever has been renamed or swapped above it ([`at`]), and
//! `/proc/self/fd/N` reopens the object of a handle ([`itself`]).
//!
//! Handles are opened with `O_PATH` (a handle that pins an object without
//! reading it: directories with `--x` permission only can be walked through)
//! and `O_NOFOLLOW` (a symlink gives a handle on the link itself, never on
//! its target): the kernel never follows a symlink on its own. The flag
//! values are per architecture, and [`check_support`] proves at start-up that
//! they mean what this file says on the running kernel and that `/proc` is
//! mounted; without `/proc` the server refuses to start rather than fall
//! back to a check-then-use by path, which is what this module exists to
//! avoid.
//!
//! What it does not do: decide which names may be followed (that is the walk
//! in `walk.rs`), or anything FTP.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

#[cfg(not(target_os = "linux"))]
compile_error!("ftp-server resolves paths through /proc/self/fd, which only Linux has");

/// The `open(2)` flags this module needs, as the Linux kernel defines them.
#[cfg(any(
    target_arch = "arm",
    target_arch = "aarch64",
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "m68k"
))]
mod flags {
    pub const O_DIRECTORY: i32 = 0o40000;
    pub const O_NOFOLLOW: i32 = 0o100000;
    pub const O_PATH: i32 = 0o10000000;
    pub const O_NONBLOCK: i32 = 0o4000;
}

/// The `open(2)` flags this module needs, as the Linux kernel defines them.
#[cfg(any(
    target_arch = "x86",
    target_arch = "x86_64",
    target_arch = "riscv32",
    target_arch = "riscv64",
    target_arch = "loongarch64",
    target_arch = "s390x"
))]
mod flags {
    pub const O_DIRECTORY: i32 = 0o200000;
    pub const O_NOFOLLOW: i32 = 0o400000;
    pub const O_PATH: i32 = 0o10000000;
    pub const O_NONBLOCK: i32 = 0o4000;
}

#[cfg(not(any(
    target_arch = "arm",
    target_arch = "aarch64",
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "m68k",
    target_arch = "x86",
    target_arch = "x86_64",
    target_arch = "riscv32",
    target_arch = "riscv64",
    target_arch = "loongarch64",
    target_arch = "s390x"
)))]
compile_error!(
    "add this architecture's O_DIRECTORY, O_NOFOLLOW, O_PATH and O_NONBLOCK to storage/handle.rs"
);

use flags::{O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_PATH};

/// The path that names `name` inside the directory open on `dir`.
pub fn at(dir: &File, name: &[u8]) -> PathBuf {
    itself(dir).join(std::ffi::OsStr::from_bytes(name))
}

/// The path that names the object open on `file` itself.
pub fn itself(file: &File) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()))
}

/// A handle on the directory at `path`, an absolute path the administrator
/// gave (the root): followed as the kernel does, for the root is trusted.
pub fn open_directory(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(O_PATH | O_DIRECTORY)
        .open(path)
}

/// A handle on the entry `name` in `dir`: the object itself, or the symlink
/// itself if it is one. Nothing is read or followed.
pub fn open_entry(dir: &File, name: &[u8]) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(O_PATH | O_NOFOLLOW)
        .open(at(dir, name))
}

/// Opens the entry `name` in `dir` for writing as `options` say, refusing to
/// follow a symlink there (`ELOOP`) and never waiting for a FIFO's reader.
pub fn open_entry_for_writing(
    dir: &File,
    name: &[u8],
    options: &mut OpenOptions,
) -> io::Result<File> {
    options
        .custom_flags(O_NOFOLLOW | O_NONBLOCK)
        .open(at(dir, name))
}

/// Opens the object of `handle` again, for reading or writing as `options`
/// say. Never waits for a FIFO's reader or writer.
pub fn reopen(handle: &File, options: &mut OpenOptions) -> io::Result<File> {
    options.custom_flags(O_NONBLOCK).open(itself(handle))
}

/// Proves that `/proc` is mounted and that the flags above mean, on this
/// kernel, what this module takes them to mean; a one-line reason if not.
pub fn check_support() -> Result<(), String> {
    let broken = |what: &str| {
        Err(format!(
            "cannot resolve paths safely: {what} (ftp-server needs Linux with /proc mounted)"
        ))
    };
    // A handle on a symlink itself: O_PATH and O_NOFOLLOW both work.
    let link = OpenOptions::new()
        .read(true)
        .custom_flags(O_PATH | O_NOFOLLOW)
        .open("/proc/self/exe");
    match link.and_then(|link| link.metadata()) {
        Ok(meta) if meta.file_type().is_symlink() => {}
        Ok(_) => return broken("O_PATH | O_NOFOLLOW followed /proc/self/exe"),
        Err(err) => return broken(&format!("/proc/self/exe: {err}")),
    }
    // O_DIRECTORY refuses a file.
    match open_directory(Path::new("/proc/self/status")) {
        Err(err) if err.kind() == io::ErrorKind::NotADirectory => {}
        _ => return broken("O_DIRECTORY opened /proc/self/status"),
    }
    // A name inside a handle's directory.
    match open_directory(Path::new("/proc/self")) {
        Ok(dir) if at(&dir, b"status").exists() => Ok(()),
        Ok(_) => broken("/proc/self/fd/N/name does not resolve"),
        Err(err) => broken(&format!("/proc/self: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::tests::Scratch;
    use std::fs;
    use std::os::unix::fs::symlink;

    #[test]
    fn this_kernel_supports_what_the_module_needs() {
        check_support().expect("supported");
    }

    #[test]
    fn names_resolve_inside_the_open_directory_even_after_it_moved() {
        let scratch = Scratch::new("handle-moved");
        fs::create_dir(scratch.0.join("a")).expect("mkdir");
        fs::write(scratch.0.join("a/f"), b"in a").expect("write");
        let dir = open_directory(&scratch.0.join("a")).expect("open");
        fs::rename(scratch.0.join("a"), scratch.0.join("b")).expect("rename");
        fs::create_dir(scratch.0.join("a")).expect("mkdir again");
        assert_eq!(fs::read(at(&dir, b"f")).expect("read"), b"in a");
    }

    #[test]
    fn a_symlink_entry_is_the_link_itself() {
        let scratch = Scratch::new("handle-link");
        symlink("/etc", scratch.0.join("l")).expect("symlink");
        let dir = open_directory(&scratch.0).expect("open");
        let handle = open_entry(&dir, b"l").expect("entry");
        assert!(handle.metadata().expect("stat").file_type().is_symlink());
        let err = open_entry_for_writing(&dir, b"l", OpenOptions::new().write(true))
            .expect_err("a symlink is not followed");
        assert_eq!(err.raw_os_error(), Some(40), "ELOOP: {err}");
    }

    #[test]
    fn a_handle_reopens_its_own_object() {
        let scratch = Scratch::new("handle-reopen");
        fs::write(scratch.0.join("f"), b"content").expect("write");
        let dir = open_directory(&scratch.0).expect("open");
        let handle = open_entry(&dir, b"f").expect("entry");
        fs::rename(scratch.0.join("f"), scratch.0.join("g")).expect("rename");
        fs::write(scratch.0.join("f"), b"other").expect("write");
        let mut file = reopen(&handle, OpenOptions::new().read(true)).expect("reopen");
        let mut text = String::new();
        io::Read::read_to_string(&mut file, &mut text).expect("read");
        assert_eq!(text, "content");
    }
}
