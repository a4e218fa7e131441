//! A user's password as the configuration holds it, in the clear or as a
//! SHA-512-crypt hash, and the check of a login's password against it.
//!
//! The check takes a time that does not depend on where the two differ: a
//! hash is compared byte for byte without stopping at the first difference,
//! and a password in the clear is compared through the SHA-512 digests of
//! both, so that not even its length shows.
//!
//! Rounds: every login with a hash costs its rounds in SHA-512 work (the
//! default is 5000), on the session's thread, before the failed-login delay.
//! The specification allows up to 999,999,999 rounds, minutes of CPU time
//! per login attempt, so hashes with more than [`MAX_LOGIN_ROUNDS`] (twenty
//! times the default) are refused when the configuration is read. Other
//! `crypt(3)` schemes (`$1$`, `$5$`, `$2b$`, `$y$`, ...) are refused too,
//! rather than taken for passwords in the clear.
//!
//! What it does not do: read the users file, make hashes, or delay failed
//! logins (the session does).

use std::fmt;

use super::sha512::Sha512;
use super::sha512_crypt::{self, PREFIX};

/// The most rounds a hash may ask for; see the module documentation.
pub const MAX_LOGIN_ROUNDS: u32 = 100_000;

/// A password in the clear or a SHA-512-crypt hash. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub enum Password {
    /// In the clear.
    Plain(String),
    /// A checked `$6$...` hash.
    Sha512Crypt(String),
}

/// Never prints the password or hash.
impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Password::Plain(_) => "Plain(..)",
            Password::Sha512Crypt(_) => "Sha512Crypt(..)",
        })
    }
}

impl Password {
    /// A `$6$` hash, or a password in the clear. An empty password, a hash
    /// that could never match, one with too many rounds and other crypt
    /// schemes are refused; the message does not repeat the text.
    pub fn parse(text: &str) -> Result<Password, String> {
        if text.is_empty() {
            return Err("the password is empty".to_string());
        }
        if text.starts_with(PREFIX) {
            let rounds = sha512_crypt::check_hash(text)
                .map_err(|err| format!("not a valid SHA-512-crypt hash: {err}"))?;
            if rounds > MAX_LOGIN_ROUNDS {
                return Err(format!(
                    "the hash asks for {rounds} rounds, more than the {MAX_LOGIN_ROUNDS} \
                     a login may cost; make it with fewer"
                ));
            }
            return Ok(Password::Sha512Crypt(text.to_string()));
        }
        if let Some(scheme) = crypt_scheme(text) {
            return Err(format!(
                "${scheme}$ hashes are not supported, only SHA-512-crypt \
                 ({PREFIX}, as `openssl passwd -6` makes them)"
            ));
        }
        Ok(Password::Plain(text.to_string()))
    }

    /// Whether this is a password in the clear.
    pub fn is_plain(&self) -> bool {
        matches!(self, Password::Plain(_))
    }

    /// Whether `candidate` is this password, in constant time.
    pub fn matches(&self, candidate: &str) -> bool {
        match self {
            Password::Plain(plain) => same_bytes(
                &Sha512::digest(plain.as_bytes()),
                &Sha512::digest(candidate.as_bytes()),
            ),
            Password::Sha512Crypt(hash) => {
                sha512_crypt::crypt(candidate.as_bytes(), hash.as_bytes())
                    .is_some_and(|computed| same_bytes(&computed, hash.as_bytes()))
            }
        }
    }
}

/// The scheme of a `crypt(3)` hash (`$ID$...`, ID made of `a-z0-9`).
fn crypt_scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.strip_prefix('$')?.split_once('$')?;
    let plausible = !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    plausible.then_some(scheme)
}

/// Compares two byte strings in a time that depends only on their lengths:
/// no early exit at the first difference.
pub(super) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let differences = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    a.len() == b.len() && differences == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl passwd -6 -salt saltsalt s3cret`
    const HASH: &str = "$6$saltsalt$As4wrv0kZlfch1du9WeH7qhskyLriQWySXrZzynnvi46nF\
                        nNxjdpl6ksRegrrKexvhIa/Iny8S8uF3fVWTMuC1";

    #[test]
    fn a_hash_matches_its_password_only() {
        let password = Password::parse(HASH).expect("a valid hash");
        assert!(!password.is_plain());
        assert!(password.matches("s3cret"));
        for wrong in ["s3cre", "s3cret ", "S3cret", "", HASH] {
            assert!(!password.matches(wrong), "{wrong:?}");
        }
    }

    #[test]
    fn a_plain_password_matches_itself_only() {
        let password = Password::parse("s3cret").expect("valid");
        assert!(password.is_plain());
        assert!(password.matches("s3cret"));
        for wrong in ["s3cre", "s3crett", "", "S3CRET"] {
            assert!(!password.matches(wrong), "{wrong:?}");
        }
    }

    #[test]
    fn refused_passwords_are_not_repeated_in_the_message() {
        let too_many_rounds = format!("$6$rounds=100001$salt${}", &HASH[12..]);
        for (text, expected) in [
            ("", "empty"),
            ("$6$salt$short", "not a valid SHA-512-crypt hash"),
            (too_many_rounds.as_str(), "100001 rounds"),
            ("$1$salt$hash", "$1$ hashes are not supported"),
            ("$y$j9T$salt$hash", "$y$ hashes are not supported"),
        ] {
            let err = Password::parse(text).expect_err(text);
            assert!(err.contains(expected), "{text}: {err}");
            assert!(text.is_empty() || !err.contains(text), "{err}");
        }
        // Dollar signs alone do not make a hash.
        for plain in ["pa$$word", "$100", "$ 1 $"] {
            assert!(Password::parse(plain).expect("plain").is_plain(), "{plain}");
        }
    }

    #[test]
    fn same_bytes_compares_length_and_content() {
        assert!(same_bytes(b"abc", b"abc"));
        assert!(!same_bytes(b"abc", b"abd"));
        assert!(!same_bytes(b"xbc", b"abc"));
        assert!(!same_bytes(b"abc", b"ab"));
        assert!(same_bytes(b"", b""));
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let shown = format!(
            "{:?} {:?}",
            Password::parse(HASH),
            Password::parse("hunter2")
        );
        assert!(
            !shown.contains("hunter2") && !shown.contains("saltsalt"),
            "{shown}"
        );
    }
}
