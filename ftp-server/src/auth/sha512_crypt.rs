//! SHA-512-crypt, the `$6$` password hashes of glibc's `crypt(3)`, `openssl
//! passwd -6` and `mkpasswd -m sha-512`, as Ulrich Drepper's specification
//! "Unix crypt using SHA-256 and SHA-512" defines them.
//!
//! [`crypt`] is the specification's function: a setting
//! (`$6$[rounds=N$]salt`, anything after the salt ignored) and a password
//! give the full hash string. As specified, rounds below 1000 count as 1000,
//! above 999,999,999 as 999,999,999, and a salt longer than 16 bytes is cut
//! to 16; the result says what was used. [`check_hash`] tells whether a
//! stored string is a hash `crypt` could have made, so that one that could
//! never match (clamped rounds, a long salt, a damaged digest) is refused
//! when the users file is read rather than at every login.
//!
//! What it does not do: compare hashes (see [`super::password`]), limit the
//! rounds for a login (idem), or make salts (the administrator's tool does).

use super::sha512::{Sha512, DIGEST_LEN};

/// What starts every SHA-512-crypt setting and hash.
pub const PREFIX: &str = "$6$";

/// Rounds when the setting names none.
const DEFAULT_ROUNDS: u32 = 5000;

/// The fewest rounds the specification allows.
const MIN_ROUNDS: u32 = 1000;

/// The most rounds the specification allows.
const MAX_ROUNDS: u32 = 999_999_999;

/// The longest salt, in bytes.
const MAX_SALT: usize = 16;

/// The characters of crypt's base-64 encoding, for the values 0 to 63.
const ALPHABET: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The length of the encoded digest.
const ENCODED_LEN: usize = 86;

/// A parsed setting: the rounds used, whether the setting named them, and
/// the salt (at most [`MAX_SALT`] bytes).
struct Setting<'a> {
    rounds: u32,
    named_rounds: bool,
    salt: &'a [u8],
}

impl Setting<'_> {
    /// `$6$[rounds=N$]salt[$...]`, or `None` without the `$6$`.
    fn parse(setting: &[u8]) -> Option<Setting<'_>> {
        let rest = setting.strip_prefix(PREFIX.as_bytes())?;
        let (rounds, named_rounds, rest) = match rounds_field(rest) {
            Some((rounds, rest)) => (rounds.clamp(MIN_ROUNDS, MAX_ROUNDS), true, rest),
            None => (DEFAULT_ROUNDS, false, rest),
        };
        let salt_len = rest
            .iter()
            .position(|&b| b == b'$')
            .unwrap_or(rest.len())
            .min(MAX_SALT);
        Some(Setting {
            rounds,
            named_rounds,
            salt: &rest[..salt_len],
        })
    }

    /// `$6$[rounds=N$]salt`, as the hash starts.
    fn render(&self) -> Vec<u8> {
        let mut out = PREFIX.as_bytes().to_vec();
        if self.named_rounds {
            out.extend_from_slice(format!("rounds={}$", self.rounds).as_bytes());
        }
        out.extend_from_slice(self.salt);
        out
    }
}

/// `rounds=N$` at the start of `rest`: N (saturated, not yet clamped) and
/// what follows the `$`. Without the `$` right after the digits, the text is
/// part of the salt, as the specification says.
fn rounds_field(rest: &[u8]) -> Option<(u32, &[u8])> {
    let digits_and_rest = rest.strip_prefix(b"rounds=")?;
    let digits = digits_and_rest
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let after = digits_and_rest[digits..].strip_prefix(b"$")?;
    let rounds = digits_and_rest[..digits].iter().fold(0u32, |n, &d| {
        n.saturating_mul(10).saturating_add(u32::from(d - b'0'))
    });
    Some((rounds, after))
}

/// The hash of `password` under `setting`, or `None` if the setting is not
/// a SHA-512-crypt one.
pub fn crypt(password: &[u8], setting: &[u8]) -> Option<Vec<u8>> {
    let setting = Setting::parse(setting)?;
    let digest = digest(password, setting.salt, setting.rounds);
    let mut out = setting.render();
    out.push(b'$');
    out.extend_from_slice(&encode(&digest));
    Some(out)
}

/// Whether `text` is a hash [`crypt`] can produce: returns its rounds, or
/// says what is wrong with it.
pub fn check_hash(text: &str) -> Result<u32, String> {
    let bytes = text.as_bytes();
    let Some(setting) = Setting::parse(bytes) else {
        return Err(format!("a SHA-512-crypt hash starts with {PREFIX}"));
    };
    let rendered = setting.render();
    if !bytes.starts_with(&rendered) {
        return Err(format!("rounds must be from {MIN_ROUNDS} to {MAX_ROUNDS}"));
    }
    let encoded = match &bytes[rendered.len()..] {
        [] => return Err("the digest is missing after the salt".to_string()),
        [b'$', encoded @ ..] => encoded,
        _ => return Err(format!("the salt must be at most {MAX_SALT} characters")),
    };
    if encoded.len() != ENCODED_LEN || !encoded.iter().all(|b| ALPHABET.contains(b)) {
        return Err(format!(
            "the hash after the salt must be {ENCODED_LEN} characters of [./0-9A-Za-z]"
        ));
    }
    Ok(setting.rounds)
}

/// The specification's steps 1 to 21: the digest of `password` with `salt`
/// after `rounds` rounds.
fn digest(password: &[u8], salt: &[u8], rounds: u32) -> [u8; DIGEST_LEN] {
    let digest_b = {
        let mut b = Sha512::default();
        b.update(password);
        b.update(salt);
        b.update(password);
        b.finish()
    };
    let digest_a = {
        let mut a = Sha512::default();
        a.update(password);
        a.update(salt);
        a.update(&repeated(&digest_b, password.len()));
        let mut bits = password.len();
        while bits > 0 {
            if bits & 1 == 1 {
                a.update(&digest_b);
            } else {
                a.update(password);
            }
            bits >>= 1;
        }
        a.finish()
    };
    let p_bytes = {
        let mut dp = Sha512::default();
        for _ in 0..password.len() {
            dp.update(password);
        }
        repeated(&dp.finish(), password.len())
    };
    let s_bytes = {
        let mut ds = Sha512::default();
        for _ in 0..16 + usize::from(digest_a[0]) {
            ds.update(salt);
        }
        repeated(&ds.finish(), salt.len())
    };
    let mut c = digest_a;
    for round in 0..rounds {
        let mut next = Sha512::default();
        if round % 2 == 1 {
            next.update(&p_bytes);
        } else {
            next.update(&c);
        }
        if round % 3 != 0 {
            next.update(&s_bytes);
        }
        if round % 7 != 0 {
            next.update(&p_bytes);
        }
        if round % 2 == 1 {
            next.update(&c);
        } else {
            next.update(&p_bytes);
        }
        c = next.finish();
    }
    c
}

/// `len` bytes: `digest` over and over, the last copy cut short.
fn repeated(digest: &[u8; DIGEST_LEN], len: usize) -> Vec<u8> {
    digest.iter().copied().cycle().take(len).collect()
}

/// Step 22: the digest in crypt's base 64, its bytes in the specification's
/// order: groups of three taken from the thirds of the digest, rotated by
/// one more place each group, and the last byte alone.
fn encode(digest: &[u8; DIGEST_LEN]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ENCODED_LEN);
    let mut push = |value: u32, chars: usize| {
        for i in 0..chars {
            out.push(ALPHABET[(value >> (6 * i)) as usize & 63]);
        }
    };
    for i in 0..21 {
        let mut group = [i, i + 21, i + 42];
        group.rotate_left(i % 3);
        let [high, middle, low] = group.map(|index| u32::from(digest[index]));
        push(high << 16 | middle << 8 | low, 4);
    }
    push(u32::from(digest[63]), 2);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crypt_str(password: &str, setting: &str) -> String {
        String::from_utf8(crypt(password.as_bytes(), setting.as_bytes()).expect("a $6$ setting"))
            .expect("ASCII")
    }

    /// The specification's own `$6$` vectors, but for rounds=77777 and
    /// rounds=123456 (too slow for a debug build; the same code runs).
    #[test]
    fn the_specification_vectors() {
        let vectors = [
            (
                "$6$saltstring",
                "Hello world!",
                "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJu\
                 esI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
            ),
            (
                "$6$rounds=10000$saltstringsaltstring",
                "Hello world!",
                "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNS\
                 nCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
            ),
            (
                "$6$rounds=5000$toolongsaltstring",
                "This is just a test",
                "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhw\
                 llF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0",
            ),
            (
                "$6$rounds=1400$anotherlongsaltstring",
                "a very much longer text to encrypt.  This one even stretches over more\
                 than one line.",
                "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7\
                 I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1",
            ),
            (
                "$6$rounds=10$roundstoolow",
                "the minimum number is still observed",
                "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGs\
                 USklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.",
            ),
        ];
        for (setting, password, expected) in vectors {
            assert_eq!(crypt_str(password, setting), expected, "{setting}");
            assert!(check_hash(expected).is_ok(), "{expected}");
        }
    }

    #[test]
    fn a_full_hash_works_as_its_own_setting() {
        let hash = crypt_str("pw", "$6$rounds=1000$salt");
        assert_eq!(crypt_str("pw", &hash), hash);
        assert_ne!(crypt_str("pw2", &hash), hash);
    }

    #[test]
    fn other_schemes_are_not_settings() {
        assert!(crypt(b"pw", b"$5$salt").is_none());
        assert!(crypt(b"pw", b"salt").is_none());
    }

    #[test]
    fn rounds_without_a_dollar_are_part_of_the_salt() {
        assert!(crypt_str("pw", "$6$rounds=1000x").starts_with("$6$rounds=1000x$"));
    }

    #[test]
    fn hashes_that_could_never_match_are_refused() {
        let good = crypt_str("pw", "$6$rounds=1000$salt");
        let encoded = good.rsplit('$').next().expect("a digest");
        assert_eq!(check_hash(&good), Ok(1000));
        assert_eq!(
            check_hash(&format!("$6$salt${encoded}")),
            Ok(DEFAULT_ROUNDS)
        );
        for bad in [
            format!("$6$rounds=10$salt${encoded}"),
            format!("$6$rounds=1000000000$salt${encoded}"),
            format!("$6$saltsaltsaltsalt1${encoded}"),
            format!("$6$salt${}", &encoded[1..]),
            format!("$6$salt${}!", &encoded[1..]),
            "$6$salt".to_string(),
            "$5$salt$abc".to_string(),
        ] {
            assert!(check_hash(&bad).is_err(), "{bad}");
        }
    }
}
