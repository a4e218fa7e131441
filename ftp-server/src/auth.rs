//! Users, anonymous access and permissions.
//!
//! Accounts come from `--user NAME[:PASSWORD[:ro|rw]]` and from a users file
//! ([`read_users_file`]). A password is in the clear or a SHA-512-crypt
//! hash ([`Password`]); `--user` without a password takes it from the environment
//! variable [`password_variable`] names, so that it is not in the process
//! list. Anonymous logins (`anonymous` or `ftp`, any password) are allowed
//! when the configuration says so, read-only unless configured read-write.
//!
//! What it does not do: count failed logins or delay them (the session
//! does), or log: the warnings about passwords in the clear are kept in
//! [`Users::warnings`] for whoever sets up logging.

mod password;
mod sha512;
mod sha512_crypt;
mod users_file;

use std::fmt;
use std::path::{Path, PathBuf};

use password::same_bytes;
pub use password::{Password, MAX_LOGIN_ROUNDS};
pub use users_file::read_users_file;
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
    /// The password or its hash.
    pub password: Password,
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
    /// Parses a users file line, `name:password[:ro|rw[:home]]`. Error
    /// messages never repeat the password.
    pub fn parse(line: &str) -> Result<User, String> {
        let fields: Vec<&str> = line.splitn(4, ':').collect();
        match fields[..] {
            [name, password, ref rest @ ..] => {
                User::from_fields(name, password, rest.first().copied(), rest.get(1).copied())
            }
            _ => Err("expected NAME:PASSWORD[:ro|rw[:home]]".to_string()),
        }
    }

    /// Parses a `--user` value, `NAME[:PASSWORD[:ro|rw]]`: without a
    /// password (`alice`, `alice::ro`) it is the value of the variable
    /// [`password_variable`] names, looked up with `env`. Comes with a
    /// warning when a password in the clear is on the command line.
    pub fn from_arg(
        spec: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<(User, Option<String>), String> {
        let mut fields = spec.splitn(3, ':');
        let (name, password, access) = (
            fields.next().unwrap_or_default(),
            fields.next().unwrap_or_default(),
            fields.next(),
        );
        if name.is_empty() {
            return Err("expected NAME[:PASSWORD[:ro|rw]]".to_string());
        }
        let variable = password_variable(name);
        if !password.is_empty() {
            let user = User::from_fields(name, password, access, None)?;
            let warning = user.password.is_plain().then(|| {
                format!(
                    "--user {name}: the password is on the command line, where local users \
                     can see it; give a hash (openssl passwd -6) or set {variable} instead"
                )
            });
            return Ok((user, warning));
        }
        let password = env(&variable).ok_or_else(|| {
            format!("no password for {name:?}: give NAME:PASSWORD or set {variable}")
        })?;
        let user = User::from_fields(name, &password, access, None)
            .map_err(|err| format!("{variable}: {err}"))?;
        Ok((user, None))
    }

    /// A user from its fields, checked.
    fn from_fields(
        name: &str,
        password: &str,
        access: Option<&str>,
        home: Option<&str>,
    ) -> Result<User, String> {
        if name.is_empty() {
            return Err("the user name is empty".to_string());
        }
        if is_anonymous_name(name) {
            return Err(format!("{name:?} is the anonymous login; use --anonymous"));
        }
        let password = Password::parse(password).map_err(|err| format!("user {name}: {err}"))?;
        let access = match access {
            None => Access::ReadWrite,
            Some(access) => Access::parse(access).map_err(|_| {
                format!(
                    "user {name}: the field after the password must be ro or rw \
                     (a password cannot contain ':')"
                )
            })?,
        };
        Ok(User {
            name: name.to_string(),
            password,
            access,
            home: home.filter(|h| !h.is_empty()).map(PathBuf::from),
        })
    }
}

/// The environment variable that holds the password or hash of a `--user
/// NAME` given without one: `FTP_SERVER_PASSWORD_` and the name in capitals,
/// every character but letters and digits made `_` (`web-admin`:
/// `FTP_SERVER_PASSWORD_WEB_ADMIN`).
pub fn password_variable(name: &str) -> String {
    let suffix: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("FTP_SERVER_PASSWORD_{suffix}")
}

/// The named users of a configuration, and what the log should say about
/// them at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    /// The users, from `--user` then from the users file.
    pub users: Vec<User>,
    /// Warnings about passwords in the clear, never the passwords.
    pub warnings: Vec<String>,
}

/// The users of the `--user` values `args` and of the users `file`, if
/// any (homes under `root`), looking passwords up in `env` for `--user NAME`.
/// A name given twice is refused.
pub fn named_users(
    args: &[String],
    file: Option<&Path>,
    root: &Path,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Named, String> {
    let mut named = Named::default();
    for arg in args {
        let (user, warning) = User::from_arg(arg, &env).map_err(|err| format!("--user: {err}"))?;
        named.warnings.extend(warning);
        add(&mut named.users, user, "--user")?;
    }
    if let Some(file) = file {
        let shown = format!("users file {}", file.display());
        let users = read_users_file(file, root)?;
        let plain = users.iter().filter(|u| u.password.is_plain()).count();
        if plain > 0 {
            named.warnings.push(format!(
                "{shown}: {plain} of {} users have passwords in the clear; \
                 store SHA-512-crypt hashes instead (openssl passwd -6)",
                users.len()
            ));
        }
        for user in users {
            add(&mut named.users, user, &shown)?;
        }
    }
    Ok(named)
}

/// Adds `user` to `users` unless the name is already there.
fn add(users: &mut Vec<User>, user: User, source: &str) -> Result<(), String> {
    if users.iter().any(|other| other.name == user.name) {
        return Err(format!("{source}: user {} is given twice", user.name));
    }
    users.push(user);
    Ok(())
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
    warnings: Vec<String>,
}

impl Users {
    /// Named users, and anonymous access if `anonymous` is set.
    pub fn new(named: Named, anonymous: Option<Access>) -> Users {
        Users {
            users: named.users,
            anonymous,
            warnings: named.warnings,
        }
    }

    /// Whether anonymous logins are allowed, and how.
    pub fn anonymous(&self) -> Option<Access> {
        self.anonymous
    }

    /// The named users.
    pub fn named(&self) -> &[User] {
        &self.users
    }

    /// What to log, once, as warnings at start-up: passwords in the clear in
    /// the users file or on the command line (never the passwords).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
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
        // Every name is compared, and an unknown name costs a password check
        // too (against the first user's), so the time taken does not tell
        // which names exist.
        let found = self.users.iter().fold(None, |found, user| {
            let same = same_bytes(user.name.as_bytes(), name.as_bytes());
            found.or(same.then_some(user))
        });
        let checked = found.or(self.users.first())?;
        let password_matches = checked.password.matches(password);
        let user = found.filter(|_| password_matches)?;
        Some(Account {
            name: user.name.clone(),
            anonymous: false,
            access: user.access,
            home: user.home.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl passwd -6 -salt saltsalt s3cret`
    const HASH: &str = "$6$saltsalt$As4wrv0kZlfch1du9WeH7qhskyLriQWySXrZzynnvi46nF\
                        nNxjdpl6ksRegrrKexvhIa/Iny8S8uF3fVWTMuC1";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn arg(spec: &str) -> Result<User, String> {
        User::from_arg(spec, no_env).map(|(user, _)| user)
    }

    fn users(specs: &[&str]) -> Users {
        let args: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        let named = named_users(&args, None, Path::new("/"), no_env).expect("valid");
        Users::new(named, None)
    }

    #[test]
    fn user_specs_parse_with_rw_by_default() {
        let user = arg("alice:s3cret").expect("valid");
        assert_eq!(user.name, "alice");
        assert!(user.password.matches("s3cret"));
        assert_eq!(user.access, Access::ReadWrite);
        assert_eq!(arg("bob:pw:ro").expect("valid").access, Access::ReadOnly);
        let user = User::parse("carol:pw:rw:carol").expect("valid");
        assert_eq!(user.home, Some(PathBuf::from("carol")));
        // The third field is the access, so a password cannot contain ':'.
        let err = arg("dave:a:b").expect_err("not an access");
        assert!(
            err.contains("cannot contain ':'") && !err.contains("\"b\""),
            "{err}"
        );
    }

    #[test]
    fn bad_user_specs_are_refused() {
        for bad in [
            "",
            ":",
            ":pw",
            "alice:pw:admin",
            "anonymous:pw",
            "alice:$5$salt$x",
        ] {
            assert!(arg(bad).is_err(), "{bad}");
        }
        assert!(User::parse("alice").is_err());
        assert!(User::parse("alice:").is_err(), "empty password");
    }

    #[test]
    fn a_user_without_a_password_takes_it_from_the_environment() {
        let env = |variable: &str| {
            (variable == "FTP_SERVER_PASSWORD_WEB_ADMIN").then(|| HASH.to_string())
        };
        for spec in ["web-admin", "web-admin:", "web-admin::ro"] {
            let (user, warning) = User::from_arg(spec, env).expect(spec);
            assert!(
                user.password.matches("s3cret") && warning.is_none(),
                "{spec}"
            );
        }
        let (user, _) = User::from_arg("web-admin::ro", env).expect("valid");
        assert_eq!(user.access, Access::ReadOnly);
        let err = arg("alice").expect_err("no variable");
        assert!(err.contains("FTP_SERVER_PASSWORD_ALICE"), "{err}");
        let empty = |_: &str| Some(String::new());
        let err = User::from_arg("alice", empty).expect_err("empty");
        assert!(
            err.contains("FTP_SERVER_PASSWORD_ALICE: user alice: the password is empty"),
            "{err}"
        );
    }

    #[test]
    fn passwords_in_the_clear_are_warned_about_without_being_shown() {
        let (_, warning) = User::from_arg("alice:hunter2", no_env).expect("valid");
        let warning = warning.expect("a warning");
        assert!(
            warning.contains("--user alice") && !warning.contains("hunter2"),
            "{warning}"
        );
        let (_, warning) = User::from_arg(&format!("alice:{HASH}"), no_env).expect("valid");
        assert_eq!(warning, None);
    }

    #[test]
    fn a_name_given_twice_is_refused() {
        let args = ["alice:pw".to_string(), "alice:other:ro".to_string()];
        let err = named_users(&args, None, Path::new("/"), no_env).expect_err("twice");
        assert!(err.contains("user alice is given twice"), "{err}");
    }

    #[test]
    fn authentication_checks_name_and_password() {
        let users = users(&["alice:pw", &format!("bob:{HASH}:ro")]);
        let account = users.authenticate("alice", "pw").expect("match");
        assert_eq!(account.access, Access::ReadWrite);
        assert!(!account.anonymous);
        let account = users.authenticate("bob", "s3cret").expect("hash match");
        assert_eq!(
            (account.name.as_str(), account.access),
            ("bob", Access::ReadOnly)
        );
        assert!(users.authenticate("alice", "wrong").is_none());
        assert!(users.authenticate("alice", "pw2").is_none());
        assert!(users.authenticate("alice", "s3cret").is_none());
        assert!(users.authenticate("bob", "pw").is_none());
        assert!(users.authenticate("bob", HASH).is_none());
        assert!(users.authenticate("carol", "pw").is_none());
        assert!(users.authenticate("anonymous", "x@y").is_none());
    }

    #[test]
    fn anonymous_logins_take_any_password() {
        let users = Users::new(Named::default(), Some(Access::ReadOnly));
        for name in ["anonymous", "ftp", "FTP"] {
            let account = users.authenticate(name, "").expect("anonymous");
            assert!(account.anonymous);
            assert_eq!(account.access, Access::ReadOnly);
        }
    }

    #[test]
    fn the_password_is_not_in_debug_output() {
        let user = arg("alice:hunter2").expect("valid");
        assert!(!format!("{user:?}").contains("hunter2"));
    }
}
