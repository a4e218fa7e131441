//! Credentials from a `.netrc` file, as BSD ftp, curl and lftp read it.
//!
//! The file is a sequence of whitespace-separated tokens: `machine NAME`
//! starts an entry for one host and `default` an entry for every other host;
//! inside an entry `login NAME` and `password SECRET` give the credentials and
//! `account` is read and ignored. `macdef NAME` defines a macro that runs to
//! the next empty line; macros are skipped. A token may be written in double
//! quotes, with `\"` and `\\` inside, to hold spaces.
//!
//! [`Netrc::parse`] is a pure function over the text. [`Netrc::load`] reads
//! the file and, like BSD ftp, refuses one that holds a password but can be
//! read by other users. This module does not decide when to use the
//! credentials; the program asks [`Netrc::find`] when a URL or `open` command
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
    /// The file holds a password but other users may read it.
    Exposed(PathBuf),
}

impl fmt::Display for NetrcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetrcError::Syntax { line, message } => write!(f, "line {line}: {message}"),
            NetrcError::Read { path, reason } => write!(f, "{}: {reason}", path.display()),
            NetrcError::Exposed(path) => write!(
                f,
                "{} holds a password but other users can read it (chmod 600 it)",
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
        while let Some((line, keyword)) = tokens.next_token()? {
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
                        "password" => entry.password = Some(value),
                        _ => {}
                    }
                }
                "macdef" => {
                    tokens.value_of("macdef")?;
                    tokens.skip_macro();
                }
                other => {
                    return Err(NetrcError::Syntax {
                        line,
                        message: format!("unknown keyword {other:?}"),
                    })
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
    /// [`Netrc::parse`], and [`NetrcError::Exposed`] if it holds a password
    /// and its permissions let others read it.
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
        if netrc.has_password() && readable_by_others(path).map_err(read_error)? {
            return Err(NetrcError::Exposed(path.to_path_buf()));
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

/// Whether the group or others may read the file (Unix permission bits).
#[cfg(unix)]
fn readable_by_others(path: &Path) -> std::io::Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o044 != 0)
}

/// Without Unix permission bits there is nothing to check.
#[cfg(not(unix))]
fn readable_by_others(_path: &Path) -> std::io::Result<bool> {
    Ok(false)
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
    fn skip_macro(&mut self) {
        let end = self.rest.find("\n\n").map_or(self.rest.len(), |at| at + 2);
        self.line += self.rest[..end].matches('\n').count();
        self.rest = &self.rest[end..];
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
    fn macros_are_skipped_up_to_the_empty_line() {
        let netrc = Netrc::parse(
            "machine h login alice\nmacdef init\ncd /pub\nlogin ignored\n\nmachine i login ivan\n",
        )
        .expect("valid");
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
        set_mode(0o644);
        assert_eq!(Netrc::load(&path), Err(NetrcError::Exposed(path.clone())));
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
