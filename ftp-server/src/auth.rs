//! Users, anonymous access and permissions.
//!
//! Accounts come from `--user NAME:PASSWORD[:ro|rw]` and from a users file
//! with one `name:password[:ro|rw[:home]]` per line (`#` comments and blank
//! lines are skipped). A users file readable by group or others is refused.
//! Anonymous logins (`anonymous` or `ftp`, any password) are allowed when the
//! configuration says so, read-only unless configured read-write.
//!
//! What it does not do: count failed logins or delay them (the session does),
//! or hash passwords (they are stored in the clear, like pyftpdlib's
//! `DummyAuthorizer`; protect the users file).

mod sha512;
mod sha512_crypt;

use std::fmt;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Whether an account may change files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read-only: every command that changes something gets 550.
    ReadOnly,
    /// Read-write.
    ReadWrite,
}

impl Access {
    /// Parses `ro` or `rw`.
    pub fn parse(s: &str) -> Result<Access, String> {
        match s {
            "ro" => Ok(Access::ReadOnly),
            "rw" => Ok(Access::ReadWrite),
            other => Err(format!("access must be ro or rw, not {other:?}")),
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Access::ReadOnly => "ro",
            Access::ReadWrite => "rw",
        })
    }
}

/// A configured user.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// The login name.
    pub name: String,
    /// The password, in the clear.
    pub password: String,
    /// What the user may do.
    pub access: Access,
    /// The user's own root, instead of the server's.
    pub home: Option<PathBuf>,
}

/// Never prints the password.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("access", &self.access)
            .field("home", &self.home)
            .finish_non_exhaustive()
    }
}

impl User {
    /// Parses `name:password[:ro|rw[:home]]`; `home` is allowed only when
    /// `allow_home` (the users file, not the command line).
    pub fn parse(spec: &str, allow_home: bool) -> Result<User, String> {
        let max_fields = if allow_home { 4 } else { 3 };
        let fields: Vec<&str> = spec.splitn(max_fields, ':').collect();
        let (name, password) = match fields[..] {
            [name, password, ..] if !name.is_empty() => (name, password),
            _ => return Err(format!("expected NAME:PASSWORD[:ro|rw], got {spec:?}")),
        };
        if is_anonymous_name(name) {
            return Err(format!("{name:?} is the anonymous login; use --anonymous"));
        }
        let access = fields
            .get(2)
            .map_or(Ok(Access::ReadWrite), |a| Access::parse(a))?;
        let home = fields.get(3).filter(|h| !h.is_empty()).map(PathBuf::from);
        Ok(User {
            name: name.to_string(),
            password: password.to_string(),
            access,
            home,
        })
    }
}

/// Reads a users file, refusing it when group or others may read it.
/// Relative home directories are taken relative to `root`.
pub fn read_users_file(path: &Path, root: &Path) -> Result<Vec<User>, String> {
    let shown = path.display();
    let meta = fs::metadata(path).map_err(|err| format!("users file {shown}: {err}"))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(format!(
            "users file {shown} is readable by others; run: chmod 600 {shown}"
        ));
    }
    let text = fs::read_to_string(path).map_err(|err| format!("users file {shown}: {err}"))?;
    parse_users(&text, root).map_err(|err| format!("users file {shown}: {err}"))
}

/// Parses the users file's text (see [`read_users_file`]).
fn parse_users(text: &str, root: &Path) -> Result<Vec<User>, String> {
    let mut users = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut user =
            User::parse(line, true).map_err(|err| format!("line {}: {err}", number + 1))?;
        user.home = user.home.map(|home| root.join(home));
        users.push(user);
    }
    Ok(users)
}

/// Whether `name` is one of the anonymous login names.
pub fn is_anonymous_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("anonymous") || name.eq_ignore_ascii_case("ftp")
}

/// Who logged in, as the session needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The login name (`anonymous` for anonymous logins).
    pub name: String,
    /// Whether this is an anonymous login.
    pub anonymous: bool,
    /// What the account may do.
    pub access: Access,
    /// The account's own root, if it has one.
    pub home: Option<PathBuf>,
}

/// The accounts a server accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Users {
    users: Vec<User>,
    anonymous: Option<Access>,
}

impl Users {
    /// Named users, and anonymous access if `anonymous` is set.
    pub fn new(users: Vec<User>, anonymous: Option<Access>) -> Users {
        Users { users, anonymous }
    }

    /// Whether anonymous logins are allowed, and how.
    pub fn anonymous(&self) -> Option<Access> {
        self.anonymous
    }

    /// The named users.
    pub fn named(&self) -> &[User] {
        &self.users
    }

    /// The account for `name` and `password`, or `None` if they do not match.
    pub fn authenticate(&self, name: &str, password: &str) -> Option<Account> {
        if is_anonymous_name(name) {
            return self.anonymous.map(|access| Account {
                name: "anonymous".to_string(),
                anonymous: true,
                access,
                home: None,
            });
        }
        // Every configured user is compared, so the time taken does not tell
        // which names exist.
        let mut found = None;
        for user in &self.users {
            let matches = same_bytes(user.name.as_bytes(), name.as_bytes())
                & same_bytes(user.password.as_bytes(), password.as_bytes());
            if matches && found.is_none() {
                found = Some(Account {
                    name: user.name.clone(),
                    anonymous: false,
                    access: user.access,
                    home: user.home.clone(),
                });
            }
        }
        found
    }
}

/// Compares two byte strings in a time that depends only on their lengths.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let differences = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    a.len() == b.len() && differences == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::tests::Scratch;

    #[test]
    fn user_specs_parse_with_rw_by_default() {
        let user = User::parse("alice:s3cret", false).expect("valid");
        assert_eq!(
            (user.name.as_str(), user.password.as_str()),
            ("alice", "s3cret")
        );
        assert_eq!(user.access, Access::ReadWrite);
        let user = User::parse("bob:pw:ro", false).expect("valid");
        assert_eq!(user.access, Access::ReadOnly);
        let user = User::parse("carol:pw:rw:carol", true).expect("valid");
        assert_eq!(user.home, Some(PathBuf::from("carol")));
        // The third field is the access, so a password cannot contain ':'.
        assert!(User::parse("dave:a:b", false).is_err());
    }

    #[test]
    fn bad_user_specs_are_refused() {
        assert!(User::parse("alice", false).is_err());
        assert!(User::parse(":pw", false).is_err());
        assert!(User::parse("alice:pw:admin", false).is_err());
        assert!(User::parse("anonymous:pw", false).is_err());
    }

    #[test]
    fn users_file_skips_comments_and_makes_homes_relative_to_the_root() {
        let text = "# users\n\nalice:pw\nbob:pw2:ro:bob\n";
        let users = parse_users(text, Path::new("/srv/ftp")).expect("valid");
        assert_eq!(users.len(), 2);
        assert_eq!(users[1].home, Some(PathBuf::from("/srv/ftp/bob")));
        let err = parse_users("alice:pw\nbroken\n", Path::new("/")).expect_err("bad line");
        assert!(err.starts_with("line 2:"), "{err}");
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

    #[test]
    fn authentication_checks_name_and_password() {
        let alice = User::parse("alice:pw", false).expect("valid");
        let users = Users::new(vec![alice], None);
        let account = users.authenticate("alice", "pw").expect("match");
        assert_eq!(account.access, Access::ReadWrite);
        assert!(!account.anonymous);
        assert!(users.authenticate("alice", "wrong").is_none());
        assert!(users.authenticate("alice", "pw2").is_none());
        assert!(users.authenticate("bob", "pw").is_none());
        assert!(users.authenticate("anonymous", "x@y").is_none());
    }

    #[test]
    fn anonymous_logins_take_any_password() {
        let users = Users::new(Vec::new(), Some(Access::ReadOnly));
        for name in ["anonymous", "ftp", "FTP"] {
            let account = users.authenticate(name, "").expect("anonymous");
            assert!(account.anonymous);
            assert_eq!(account.access, Access::ReadOnly);
        }
    }

    #[test]
    fn the_password_is_not_in_debug_output() {
        let user = User::parse("alice:hunter2", false).expect("valid");
        assert!(!format!("{user:?}").contains("hunter2"));
    }
}
