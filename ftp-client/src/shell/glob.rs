//! Wildcards for `mget`, `mput` and `mdelete`: `*` (any run of characters)
//! and `?` (any one character), in the last component of a path only; the
//! matching itself is `ftp_core::protocol::glob`'s, shared with the server.
//!
//! Local patterns are expanded against the directory's entries (regular files
//! only; names starting with `.` only when the pattern does too, as in a Unix
//! shell). Remote patterns filter the names an `NLST` of the directory
//! returned; listing the directory is the caller's job. There are no
//! character classes (`[abc]`) and no recursive `**`.

use std::io;
use std::path::Path;

use ftp_core::protocol::glob::matches;

/// Whether `text` contains `*` or `?`.
pub fn has_wildcards(text: &str) -> bool {
    text.contains(['*', '?'])
}

/// Splits a pattern into its directory (if any) and its last component:
/// `pub/*.txt` → (`Some("pub")`, `*.txt`), `/*.txt` → (`Some("/")`, `*.txt`).
pub fn split_dir(pattern: &str) -> (Option<&str>, &str) {
    match pattern.rsplit_once('/') {
        Some(("", file)) => (Some("/"), file),
        Some((dir, file)) => (Some(dir), file),
        None => (None, pattern),
    }
}

/// `dir` joined with `name` by a `/`.
fn join(dir: Option<&str>, name: &str) -> String {
    match dir {
        None => name.to_string(),
        Some("/") => format!("/{name}"),
        Some(dir) => format!("{dir}/{name}"),
    }
}

/// The local files `pattern` names, sorted: itself when it has no
/// wildcards, else the matching regular files of its directory.
///
/// # Errors
///
/// The directory cannot be read, or nothing matches (`NotFound`).
pub fn expand_local(pattern: &str) -> io::Result<Vec<String>> {
    if !has_wildcards(pattern) {
        return Ok(vec![pattern.to_string()]);
    }
    let (dir, file_pattern) = split_dir(pattern);
    let mut found = Vec::new();
    for entry in std::fs::read_dir(Path::new(dir.unwrap_or(".")))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if visible(file_pattern, &name) && matches(file_pattern, &name) && entry.path().is_file() {
            found.push(join(dir, &name));
        }
    }
    if found.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{pattern}: no local file matches"),
        ));
    }
    found.sort();
    Ok(found)
}

/// The remote paths in `listing` (the names an `NLST` of the pattern's
/// directory returned, with or without that directory in front) whose last
/// component matches the last component of `pattern`.
pub fn filter_remote(pattern: &str, listing: &[String]) -> Vec<String> {
    let (dir, file_pattern) = split_dir(pattern);
    listing
        .iter()
        .filter_map(|listed| {
            let (_, name) = split_dir(listed);
            let wanted = visible(file_pattern, name) && matches(file_pattern, name);
            let path = if listed.contains('/') {
                listed.clone()
            } else {
                join(dir, listed)
            };
            wanted.then_some(path)
        })
        .collect()
}

/// Names starting with `.` match only a pattern that starts with `.`; `.`
/// and `..` never match.
fn visible(pattern: &str, name: &str) -> bool {
    !matches!(name, "." | "..") && (!name.starts_with('.') || pattern.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_detected() {
        assert!(has_wildcards("*.txt"));
        assert!(has_wildcards("a?"));
        assert!(!has_wildcards("plain.txt"));
    }

    #[test]
    fn patterns_split_at_the_last_slash() {
        assert_eq!(split_dir("*.txt"), (None, "*.txt"));
        assert_eq!(split_dir("pub/doc/*.txt"), (Some("pub/doc"), "*.txt"));
        assert_eq!(split_dir("/*.txt"), (Some("/"), "*.txt"));
    }

    #[test]
    fn remote_names_are_filtered_by_their_last_component() {
        let listing: Vec<String> = ["a.txt", "b.txt", "c.bin", ".hidden.txt", ".", ".."]
            .map(String::from)
            .to_vec();
        assert_eq!(filter_remote("*.txt", &listing), ["a.txt", "b.txt"]);
        assert_eq!(filter_remote(".*.txt", &listing), [".hidden.txt"]);
        assert_eq!(
            filter_remote("pub/?.txt", &listing),
            ["pub/a.txt", "pub/b.txt"]
        );
        // Servers that answer NLST with the directory in front keep it.
        let prefixed = vec!["pub/a.txt".to_string(), "pub/c.bin".to_string()];
        assert_eq!(filter_remote("pub/*.txt", &prefixed), ["pub/a.txt"]);
        assert_eq!(filter_remote("/*", &["etc".to_string()]), ["/etc"]);
    }

    #[test]
    fn local_patterns_expand_to_sorted_regular_files() {
        let dir = std::env::temp_dir().join(format!("glob-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub.txt")).expect("dirs");
        for name in ["b.txt", "a.txt", "c.bin", ".h.txt"] {
            std::fs::write(dir.join(name), name).expect("write");
        }
        let base = dir.to_string_lossy().into_owned();
        let found = expand_local(&format!("{base}/*.txt")).expect("matches");
        assert_eq!(found, [format!("{base}/a.txt"), format!("{base}/b.txt")]);
        let none = expand_local(&format!("{base}/*.none")).expect_err("no match");
        assert_eq!(none.kind(), io::ErrorKind::NotFound);
        assert_eq!(expand_local("plain").expect("literal"), ["plain"]);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
