//! Credentials from a `.netrc` file, as BSD ftp, curl and lftp read it.
//!
//! The file is a sequence of whitespace-separated tokens: `machine NAME`
//! starts an entry for one host and `default` an entry for every other host;
//! inside an entry `login NAME` and `password SECRET` give the credentials and
//! `account` is read and ignored. `macdef NAME` defines a macro that runs to
//! the next empty line; the entry keeps it for the shell, which runs the one
//! called `init` after login. A token may be written in double
//! quotes, with `\"` and `\\` inside, to hold spaces.
//!
//! [`Netrc::parse`] is a pure function over the text; its errors never quote
//! a password. [`Netrc::load`] reads the file and, like BSD ftp, refuses one
//! that holds a password unless it is the user's own and private: owned by
//! the process's user (its real uid, read from `/proc/self/status`, or else
//! the owner of a file it has just created) with no permission bit for the
//! group or others (mode `0600` or `0400`). This module does not decide when
//! to use the credentials; the program asks [`Netrc::find`] when a URL or `open` command
//! gives no user.

use std::fmt;
use std::path::{Path, PathBuf};

/// The login and password of one `.netrc` entry; either may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The `login` token's value.
    pub login: Option<String>,
    /// The `password` token's value.
    pub password: Option<String>,
    /// The entry's `macdef` macros: name and lines (`init` runs at login).
    pub macros: Vec<(String, Vec<String>)>,
}

/// The entries of a `.netrc` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Netrc {
    /// `machine` entries in file order: host name and credentials.
    machines: Vec<(String, Credentials)>,
    /// The `default` entry, if any.
    default: Option<Credentials>,
}

/// Why a `.netrc` file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetrcError {
    /// A syntax error on a line (counted from 1).
    Syntax {
        /// The line the error was found on.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// The file holds a password and grants the group or others a
    /// permission.
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file holds a password and belongs to another user.
    NotOwned {
        /// The file.
        path: PathBuf,
        /// The file's owner.
        owner: u32,
        /// This process's user.
        uid: u32,
    },
}

impl fmt::Display for NetrcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetrcError::Syntax { line, message } => write!(f, "line {line}: {message}"),
            NetrcError::Read { path, reason } => write!(f, "{}: {reason}", path.display()),
            NetrcError::Exposed { path, mode } => write!(
                f,
                "{} holds a password but its mode {mode:04o} gives the group or others \
                 access (chmod 600 it)",
                path.display()
            ),
            NetrcError::NotOwned { path, owner, uid } => write!(
                f,
                "{} holds a password but belongs to uid {owner}, not to this user (uid {uid})",
                path.display()
            ),
        }
    }
}

impl std::error::Error for NetrcError {}

/// Which entry the tokens being read belong to.
enum Current {
    /// Before the first `machine` or `default`.
    Nothing,
    /// The last `machine` entry.
    Machine,
    /// The `default` entry.
    Default,
}

impl Netrc {
    /// Parses the text of a `.netrc` file.
    ///
    /// ```
    /// use ftp_client::netrc::Netrc;
    ///
    /// let netrc = Netrc::parse("machine ftp.example.org login alice password s3cret\n\
    ///                           default login anonymous password guest@\n")?;
    /// let alice = netrc.find("FTP.example.org").expect("an entry");
    /// assert_eq!(alice.password.as_deref(), Some("s3cret"));
    /// assert_eq!(netrc.find("elsewhere").and_then(|c| c.login.as_deref()), Some("anonymous"));
    /// # Ok::<(), ftp_client::netrc::NetrcError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`NetrcError::Syntax`] for an unknown keyword, a keyword without its
    /// value, an unterminated quote, or credentials outside an entry.
    pub fn parse(text: &str) -> Result<Netrc, NetrcError> {
        let mut netrc = Netrc::default();
        let mut current = Current::Nothing;
        let mut tokens = Tokens::new(text);
        // The keyword whose secret value came last: an unknown token after it
        // may be the rest of that secret, and is not quoted in the error.
        let mut after_secret = None;
        while let Some((line, keyword)) = tokens.next_token()? {
            let secret = after_secret.take();
            match keyword.as_str() {
                "machine" => {
                    let host = tokens.value_of("machine")?;
                    netrc.machines.push((host, Credentials::default()));
                    current = Current::Machine;
                }
                "default" => {
                    netrc.default = Some(Credentials::default());
                    current = Current::Default;
                }
                "login" | "password" | "account" => {
                    let value = tokens.value_of(&keyword)?;
                    let entry = netrc.entry(&current).ok_or_else(|| NetrcError::Syntax {
                        line,
                        message: format!("{keyword} outside a machine or default entry"),
                    })?;
                    match keyword.as_str() {
                        "login" => entry.login = Some(value),
                        "password" => {
                            entry.password = Some(value);
                            after_secret = Some("password");
                        }
                        _ => after_secret = Some("account"),
                    }
                }
                "macdef" => {
                    let name = tokens.value_of("macdef")?;
                    let lines = tokens.take_macro();
                    if let Some(entry) = netrc.entry(&current) {
                        entry.macros.push((name, lines));
                    }
                }
                other => {
                    let message = match secret {
                        Some(keyword) => format!(
                            "unexpected text after the {keyword} (write a value with \
                             spaces in double quotes)"
                        ),
                        None => format!("unknown keyword {other:?}"),
                    };
                    return Err(NetrcError::Syntax { line, message });
                }
            }
        }
        Ok(netrc)
    }

    /// The credentials for `host`: the first `machine` entry with that name
    /// (any case), else the `default` entry.
    pub fn find(&self, host: &str) -> Option<&Credentials> {
        self.machines
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(host))
            .map(|(_, credentials)| credentials)
            .or(self.default.as_ref())
    }

    /// Reads and parses the file at `path`; `Ok(None)` if there is none.
    ///
    /// # Errors
    ///
    /// [`NetrcError::Read`] if it cannot be read, [`NetrcError::Syntax`] as
    /// [`Netrc::parse`], and, for a file that holds a password,
    /// [`NetrcError::Exposed`] if the group or others have any permission
    /// and [`NetrcError::NotOwned`] if another user owns it.
    pub fn load(path: &Path) -> Result<Option<Netrc>, NetrcError> {
        let read_error = |err: std::io::Error| NetrcError::Read {
            path: path.to_path_buf(),
            reason: err.to_string(),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(read_error(err)),
        };
        let netrc = Netrc::parse(&text)?;
        if netrc.has_password() {
            check_private(path).map_err(|err| match err {
                Private::Io(err) => read_error(err),
                Private::Refused(refusal) => refusal,
            })?;
        }
        Ok(Some(netrc))
    }

    /// The file to read: `$NETRC` if set, else `.netrc` in `$HOME`.
    pub fn default_path() -> Option<PathBuf> {
        std::env::var_os("NETRC")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".netrc")))
    }

    /// The entry that `login`, `password` and `account` tokens fill.
    fn entry(&mut self, current: &Current) -> Option<&mut Credentials> {
        match current {
            Current::Nothing => None,
            Current::Machine => self.machines.last_mut().map(|(_, entry)| entry),
            Current::Default => self.default.as_mut(),
        }
    }

    /// Whether any entry has a password.
    fn has_password(&self) -> bool {
        self.machines
            .iter()
            .map(|(_, entry)| entry)
            .chain(&self.default)
            .any(|entry| entry.password.is_some())
    }
}

/// Why [`check_private`] refused a file, or could not tell.
enum Private {
    /// Reading the file's or the process's identity failed.
    Io(std::io::Error),
    /// The file is not private.
    Refused(NetrcError),
}

impl From<std::io::Error> for Private {
    fn from(err: std::io::Error) -> Private {
        Private::Io(err)
    }
}

/// `Ok` if the file belongs to this process's user and grants the group and
/// others nothing.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), Private> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path)?;
    let uid = own_uid()?;
    judge(path, metadata.mode() & 0o7777, metadata.uid(), uid).map_err(Private::Refused)
}

/// The rule: no permission bit for the group or others, and owned by `uid`.
fn judge(path: &Path, mode: u32, owner: u32, uid: u32) -> Result<(), NetrcError> {
    let path = path.to_path_buf();
    if mode & 0o077 != 0 {
        Err(NetrcError::Exposed { path, mode })
    } else if owner != uid {
        Err(NetrcError::NotOwned { path, owner, uid })
    } else {
        Ok(())
    }
}

/// Without Unix permission bits and owners there is nothing to check.
#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), Private> {
    Ok(())
}

/// The process's real user id: from `/proc/self/status` (Linux), else the
/// owner of a file the process creates for the purpose (its effective user).
#[cfg(unix)]
pub(crate) fn own_uid() -> std::io::Result<u32> {
    if let Some(uid) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .as_deref()
        .and_then(status_uid)
    {
        return Ok(uid);
    }
    uid_of_a_new_file()
}

/// The owner of a file this process creates (and removes): its effective uid.
#[cfg(unix)]
fn uid_of_a_new_file() -> std::io::Result<u32> {
    use std::os::unix::fs::MetadataExt;
    let probe = std::env::temp_dir().join(format!(".ftp-client-uid-{}", std::process::id()));
    // A new file only (O_EXCL): never one, or a symlink, someone put there.
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|file| file.metadata());
    if created.is_ok() {
        let _ = std::fs::remove_file(&probe);
    }
    Ok(created?.uid())
}

/// The real uid on the `Uid:` line of `/proc/self/status` text.
#[cfg(unix)]
fn status_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A tokenizer over `.netrc` text that knows the line of each token.
struct Tokens<'a> {
    rest: &'a str,
    line: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Tokens<'a> {
        Tokens {
            rest: text,
            line: 1,
        }
    }

    /// The next token and its line, or `None` at the end of the text.
    fn next_token(&mut self) -> Result<Option<(usize, String)>, NetrcError> {
        self.skip_whitespace();
        if self.rest.is_empty() {
            return Ok(None);
        }
        let line = self.line;
        let token = match self.rest.strip_prefix('"') {
            Some(quoted) => self.quoted(quoted)?,
            None => {
                let end = self
                    .rest
                    .find(char::is_whitespace)
                    .unwrap_or(self.rest.len());
                let (token, rest) = self.rest.split_at(end);
                self.rest = rest;
                token.to_string()
            }
        };
        Ok(Some((line, token)))
    }

    /// The value that must follow `keyword`.
    fn value_of(&mut self, keyword: &str) -> Result<String, NetrcError> {
        let line = self.line;
        self.next_token()?
            .map(|(_, value)| value)
            .ok_or_else(|| NetrcError::Syntax {
                line,
                message: format!("{keyword} without a value"),
            })
    }

    /// Reads a quoted token whose text starts at `quoted` (after the `"`).
    fn quoted(&mut self, quoted: &'a str) -> Result<String, NetrcError> {
        let mut token = String::new();
        let mut chars = quoted.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &quoted[at + 1..];
                    return Ok(token);
                }
                '\\' => token.extend(chars.next().map(|(_, escaped)| escaped)),
                '\n' => {
                    self.line += 1;
                    token.push(c);
                }
                _ => token.push(c),
            }
        }
        Err(NetrcError::Syntax {
            line: self.line,
            message: "unterminated quoted string".to_string(),
        })
    }

    /// Skips a macro body: everything up to and including the next empty line.
    /// The lines of a macro: from the line after `macdef NAME` up to an
    /// empty line or the end of the file.
    fn take_macro(&mut self) -> Vec<String> {
        let end = self.rest.find("\n\n").map_or(self.rest.len(), |at| at + 2);
        self.line += self.rest[..end].matches('\n').count();
        let body = &self.rest[..end];
        self.rest = &self.rest[end..];
        let body = body.split_once('\n').map_or("", |(_, after)| after);
        body.lines()
            .filter(|line| !line.trim().is_empty())
            .map(str::to_string)
            .collect()
    }

    fn skip_whitespace(&mut self) {
        let trimmed = self.rest.trim_start();
        let skipped = &self.rest[..self.rest.len() - trimmed.len()];
        self.line += skipped.matches('\n').count();
        self.rest = trimmed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(login: &str, password: &str) -> Credentials {
        Credentials {
            login: Some(login.to_string()),
            password: Some(password.to_string()),
            macros: Vec::new(),
        }
    }

    #[test]
    fn machines_are_found_by_name_and_default_catches_the_rest() {
        let netrc = Netrc::parse(
            "machine a.example login alice password one\n\
             machine b.example\n  login bob\n  password two\n\
             default login anonymous password me@\n",
        )
        .expect("valid");
        assert_eq!(netrc.find("a.example"), Some(&credentials("alice", "one")));
        assert_eq!(netrc.find("B.EXAMPLE"), Some(&credentials("bob", "two")));
        assert_eq!(
            netrc.find("c.example"),
            Some(&credentials("anonymous", "me@"))
        );
    }

    #[test]
    fn without_default_an_unknown_host_has_no_entry() {
        let netrc = Netrc::parse("machine a login x password y").expect("valid");
        assert_eq!(netrc.find("b"), None);
        assert_eq!(Netrc::parse("").expect("valid").find("a"), None);
    }

    #[test]
    fn the_first_matching_machine_wins() {
        let netrc = Netrc::parse("machine h login first\nmachine h login second\n").expect("valid");
        assert_eq!(
            netrc.find("h").and_then(|c| c.login.as_deref()),
            Some("first")
        );
    }

    #[test]
    fn an_entry_may_lack_the_password() {
        let netrc = Netrc::parse("machine h login alice").expect("valid");
        let entry = netrc.find("h").expect("entry");
        assert_eq!(entry.login.as_deref(), Some("alice"));
        assert_eq!(entry.password, None);
    }

    #[test]
    fn macros_are_kept_up_to_the_empty_line() {
        let netrc = Netrc::parse(
            "machine h login alice\nmacdef init\ncd /pub\nlogin ignored\n\nmachine i login ivan\n",
        )
        .expect("valid");
        let macros = &netrc.find("h").expect("entry").macros;
        let lines = vec!["cd /pub".to_string(), "login ignored".to_string()];
        assert_eq!(macros, &[("init".to_string(), lines)]);
        assert!(netrc.find("i").expect("entry").macros.is_empty());
        assert_eq!(
            netrc.find("h").and_then(|c| c.login.as_deref()),
            Some("alice")
        );
        assert_eq!(
            netrc.find("i").and_then(|c| c.login.as_deref()),
            Some("ivan")
        );
    }

    #[test]
    fn account_is_read_and_ignored() {
        let netrc = Netrc::parse("machine h login a account acct password p").expect("valid");
        assert_eq!(netrc.find("h"), Some(&credentials("a", "p")));
    }

    #[test]
    fn quoted_tokens_hold_spaces_and_escapes() {
        let netrc =
            Netrc::parse("machine h login \"John Doe\" password \"a \\\"b\\\\\"").expect("valid");
        assert_eq!(netrc.find("h"), Some(&credentials("John Doe", "a \"b\\")));
    }

    #[test]
    fn syntax_errors_name_their_line() {
        assert_eq!(
            Netrc::parse("machine h\nlogin"),
            Err(NetrcError::Syntax {
                line: 2,
                message: "login without a value".into()
            })
        );
        assert_eq!(
            Netrc::parse("machine h\n\nport 21"),
            Err(NetrcError::Syntax {
                line: 3,
                message: "unknown keyword \"port\"".into()
            })
        );
        assert_eq!(
            Netrc::parse("login alice"),
            Err(NetrcError::Syntax {
                line: 1,
                message: "login outside a machine or default entry".into()
            })
        );
        assert_eq!(
            Netrc::parse("machine h password \"open"),
            Err(NetrcError::Syntax {
                line: 1,
                message: "unterminated quoted string".into()
            })
        );
    }

    #[test]
    fn an_unquoted_password_with_spaces_is_not_quoted_in_the_error() {
        let err = Netrc::parse("machine h login a password my secret pw\n").expect_err("bad");
        let text = err.to_string();
        assert!(!text.contains("secret") && !text.contains("pw"), "{text}");
        assert_eq!(
            text,
            "line 1: unexpected text after the password (write a value with spaces in \
             double quotes)"
        );
        let err = Netrc::parse("machine h account my acct login a").expect_err("bad");
        assert!(!err.to_string().contains("acct"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn the_own_uid_is_the_real_uid_of_the_status_file() {
        let status = "Name:\tftp-client\nUid:\t1000\t1001\t1000\t1000\nGid:\t5\n";
        assert_eq!(status_uid(status), Some(1000));
        assert_eq!(status_uid("Name: x\n"), None);
        // This process owns the files it creates.
        use std::os::unix::fs::MetadataExt;
        let mine = std::env::temp_dir().join(format!("netrc-uid-{}", std::process::id()));
        std::fs::write(&mine, "").expect("write");
        let owner = std::fs::metadata(&mine).expect("metadata").uid();
        std::fs::remove_file(&mine).expect("cleanup");
        assert_eq!(own_uid().expect("uid"), owner);
        assert_eq!(uid_of_a_new_file().expect("uid"), owner);
    }

    #[test]
    fn only_an_own_file_without_group_or_other_bits_is_private() {
        let path = Path::new("n");
        assert_eq!(judge(path, 0o600, 7, 7), Ok(()));
        assert_eq!(judge(path, 0o400, 7, 7), Ok(()));
        assert!(matches!(
            judge(path, 0o602, 7, 7),
            Err(NetrcError::Exposed { mode: 0o602, .. })
        ));
        let err = judge(path, 0o600, 0, 7).expect_err("another user's");
        assert_eq!(
            err.to_string(),
            "n holds a password but belongs to uid 0, not to this user (uid 7)"
        );
    }

    #[cfg(unix)]
    #[test]
    fn load_refuses_an_exposed_password_and_accepts_a_private_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("netrc-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("netrc");
        std::fs::write(&path, "machine h login a password p\n").expect("write");
        let set_mode = |mode| {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod")
        };
        for mode in [0o644, 0o640, 0o604, 0o622, 0o602, 0o620, 0o601, 0o610] {
            set_mode(mode);
            let err = Netrc::load(&path).expect_err("exposed");
            assert_eq!(
                err,
                NetrcError::Exposed {
                    path: path.clone(),
                    mode
                }
            );
            assert!(
                err.to_string().contains(&format!("mode {mode:04o}")),
                "{err}"
            );
        }
        set_mode(0o400);
        assert!(
            Netrc::load(&path).is_ok(),
            "read-only for the owner is private"
        );
        set_mode(0o600);
        let loaded = Netrc::load(&path).expect("private file loads");
        assert_eq!(
            loaded.and_then(|netrc| netrc.find("h").cloned()),
            Some(credentials("a", "p"))
        );
        assert_eq!(Netrc::load(&dir.join("missing")), Ok(None));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
