//! Virtual paths: what the client names, before anything on disk is looked at.
//!
//! A client names files with *virtual* paths: absolute (`/pub/a.txt`) or
//! relative to its working directory, as bytes (names that are not UTF-8 are
//! kept as they are). [`VirtualPath::join`] resolves `.`, `..`, repeated `/`
//! and absolute arguments lexically, and never climbs above `/`.
//!
//! What it does not do: touch the file system. Symlinks are resolved by the
//! walk in `walk.rs`, physically, one component at a time.

use std::fmt;

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
    pub(super) fn components(&self) -> impl DoubleEndedIterator<Item = &[u8]> {
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

impl VirtualPath {
    /// The path for a log line: control characters (a line feed, an escape
    /// sequence from a file name) shown as `\xNN`, so a name cannot forge a
    /// log line or drive the terminal the log is read in.
    pub fn logged(&self) -> String {
        ftp_core::protocol::printable::escape_field(&self.0)
    }
}

/// The path, decoded lossily (for replies).
impl fmt::Display for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn logged_paths_show_control_characters() {
        let path = VirtualPath::root().join(b"a\x1b]0;x\x07\nINFO fake");
        assert_eq!(path.logged(), "/a\\x1b]0;x\\x07\\x0aINFO fake");
    }

    #[test]
    fn non_utf8_names_are_kept_as_bytes() {
        let path = VirtualPath::root().join(b"caf\xe9/\xff.txt");
        assert_eq!(path.as_bytes(), b"/caf\xe9/\xff.txt");
        assert_eq!(path.file_name(), Some(&b"\xff.txt"[..]));
    }
}
