//! Which names from a listing may become a local or remote file name.
//!
//! A mirror builds every path from the root it was given plus names the
//! other side listed. A name is accepted only if it is one plain path
//! component: not empty, not `.` or `..`, without `/` (so neither absolute
//! nor nested) and without NUL. Each refused name is reported by the caller.
//!
//! This module only judges names; it does not look at the file system
//! (local symlinks are the walkers' concern).

/// Why a name cannot be used, or `Ok` if it is one plain path component.
///
/// # Errors
///
/// A short reason for the report.
pub fn check(name: &[u8]) -> Result<(), &'static str> {
    match name {
        [] => Err("empty name"),
        b"." => Err("names the directory itself"),
        b".." => Err("names the parent directory"),
        _ if name.contains(&b'/') => Err("contains a slash"),
        _ if name.contains(&0) => Err("contains a NUL byte"),
        _ => Ok(()),
    }
}

/// `dir/name`: a relative path of checked names joined by `/` (just `name`
/// when `dir` is empty).
pub fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    match dir {
        [] => name.to_vec(),
        [.., b'/'] => [dir, name].concat(),
        _ => [dir, b"/", name].concat(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass() {
        for name in [
            &b"a.txt"[..],
            b"with space",
            b"caf\xc3\xa9",
            b"latin\xe9",
            b"...",
            b".hidden",
            b"a\\b",
        ] {
            assert_eq!(check(name), Ok(()), "{name:?}");
        }
    }

    #[test]
    fn names_that_leave_the_directory_are_refused() {
        for name in [
            &b""[..],
            b".",
            b"..",
            b"../x",
            b"/etc/x",
            b"a/b",
            b"a/",
            b"/",
            b"a\0b",
        ] {
            assert!(check(name).is_err(), "{name:?}");
        }
    }

    #[test]
    fn joins() {
        assert_eq!(join(b"", b"a"), b"a");
        assert_eq!(join(b"d", b"a"), b"d/a");
        assert_eq!(join(b"/", b"a"), b"/a");
        assert_eq!(join(b"d/", b"a"), b"d/a");
    }
}
