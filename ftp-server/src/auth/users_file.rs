//! The users file: one `name:password[:ro|rw[:home]]` per line, `#`
//! comments and blank lines skipped, the password in the clear or a
//! SHA-512-crypt hash.
//!
//! A file that cannot mean what it says is refused with one line naming the
//! file, the line and the problem: a file group or others may read, a bad
//! line, an empty password, a user named twice, or a relative home that is
//! not under the root (`..`, or a symbolic link out of it). An absolute
//! home may be anywhere.
//!
//! What it does not do: merge these users with `--user` ones, or warn about
//! passwords in the clear (see [`super::named_users`]).

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path};

use super::User;

/// Reads a users file, refusing it when group or others may read it. `root`
/// is the server's canonical root; homes come back canonical.
pub fn read_users_file(path: &Path, root: &Path) -> Result<Vec<User>, String> {
    let shown = path.display();
    let meta = fs::metadata(path).map_err(|err| format!("users file {shown}: {err}"))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!(
            "users file {shown} is readable by others; run: chmod 600 {shown}"
        ));
    }
    let text = fs::read_to_string(path).map_err(|err| format!("users file {shown}: {err}"))?;
    let at_line = |number: usize, err: String| format!("users file {shown}: line {number}: {err}");
    parse_users(&text)
        .map_err(|(number, err)| at_line(number, err))?
        .into_iter()
        .map(|(number, user)| canonical_home(user, root).map_err(|err| at_line(number, err)))
        .collect()
}

/// The users of the file's `text`, each with its line number; or the number
/// of the first bad line and what is wrong with it.
fn parse_users(text: &str) -> Result<Vec<(usize, User)>, (usize, String)> {
    let mut users = Vec::new();
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let user = User::parse(line).map_err(|err| (number, err))?;
        if let Some(first) = first_line_of.insert(user.name.clone(), number) {
            return Err((
                number,
                format!("user {} is already on line {first}", user.name),
            ));
        }
        if let Some(home) = &user.home {
            if home.is_relative() && home.components().any(|c| c == Component::ParentDir) {
                return Err((
                    number,
                    format!(
                        "home {} goes up with `..`; a relative home must stay under --root",
                        home.display()
                    ),
                ));
            }
        }
        users.push((number, user));
    }
    Ok(users)
}

/// The user with a canonical home: a relative one is joined to `root` and
/// must stay under it (a symbolic link could lead out of it).
fn canonical_home(mut user: User, root: &Path) -> Result<User, String> {
    if let Some(home) = &user.home {
        let canonical = root
            .join(home)
            .canonicalize()
            .map_err(|err| format!("home {}: {err}", home.display()))?;
        if home.is_relative() && !canonical.starts_with(root) {
            return Err(format!(
                "home {} leads out of --root through a symbolic link",
                home.display()
            ));
        }
        user.home = Some(canonical);
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::tests::Scratch;
    use std::path::PathBuf;

    fn parse(text: &str) -> Result<Vec<User>, (usize, String)> {
        parse_users(text).map(|users| users.into_iter().map(|(_, user)| user).collect())
    }

    #[test]
    fn comments_and_blank_lines_are_skipped() {
        let users = parse("# users\n\nalice:pw\n  bob:pw2:ro:bob  \n").expect("valid");
        assert_eq!(users.len(), 2);
        assert_eq!(users[1].home, Some(PathBuf::from("bob")));
    }

    #[test]
    fn each_bad_line_is_refused_with_its_number() {
        for (text, line, problem) in [
            ("alice:pw\nbroken\n", 2, "expected NAME:PASSWORD"),
            ("alice:\n", 1, "the password is empty"),
            ("alice::ro\n", 1, "the password is empty"),
            (
                "alice:pw\n#\nbob:pw\nalice:other:ro\n",
                4,
                "user alice is already on line 1",
            ),
            ("alice:pw:rw:../..\n", 1, "home ../.. goes up with `..`"),
            ("alice:pw:rw:pub/../../etc\n", 1, "goes up with `..`"),
            (
                "alice:$6$salt$nodigest\n",
                1,
                "not a valid SHA-512-crypt hash",
            ),
        ] {
            let (number, err) = parse(text).expect_err(text);
            assert_eq!(number, line, "{text:?}: {err}");
            assert!(err.contains(problem), "{text:?}: {err}");
        }
    }

    #[test]
    fn a_symbolic_link_out_of_the_root_is_not_a_home() {
        let dir = Scratch::new("users-home-link");
        let root = dir.0.join("root");
        fs::create_dir_all(root.join("inside")).expect("mkdir");
        std::os::unix::fs::symlink(&dir.0, root.join("out")).expect("symlink");
        let root = root.canonicalize().expect("canonical");
        let path = dir.0.join("users");
        fs::write(&path, "alice:pw:rw:inside\nbob:pw:rw:out\n").expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        let err = read_users_file(&path, &root).expect_err("bob leaves the root");
        assert!(
            err.contains("line 2: home out leads out of --root"),
            "{err}"
        );
        fs::write(
            &path,
            format!("alice:pw:rw:inside\nbob:pw:ro:{}\n", dir.0.display()),
        )
        .expect("write");
        let users = read_users_file(&path, &root).expect("an absolute home may be anywhere");
        assert_eq!(users[0].home, Some(root.join("inside")));
    }

    #[test]
    fn a_users_file_readable_by_others_is_refused() {
        let dir = Scratch::new("users-file");
        let path = dir.0.join("users");
        fs::write(&path, "alice:pw\n").expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = read_users_file(&path, &dir.0).expect_err("too open");
        assert!(err.contains("chmod 600"), "{err}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(read_users_file(&path, &dir.0).expect("ok").len(), 1);
    }
}
