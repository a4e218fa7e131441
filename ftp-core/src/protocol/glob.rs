//! Wildcards in file names, as `mget *.txt` and `NLST *.txt` use them: `*`
//! stands for any run (also none), `?` for exactly one; nothing else is
//! special (no character classes, no `**`).
//!
//! [`matches_bytes`] works on raw names (a server's names need not be
//! UTF-8, and `?` is then one byte); [`matches()`] on text (`?` is one
//! character). Both take time proportional to the product of the lengths,
//! whatever the pattern: when a character does not match, only the last `*`
//! takes one more. (Trying every split for every `*` is exponential:
//! `*?*?*?*?*?*?*?*?Z` against a 40-byte name took seconds.)
//!
//! What it does not do: split paths or read directories.

/// Whether `name` matches `pattern`, byte by byte.
///
/// ```
/// use ftp_core::protocol::glob::matches_bytes;
///
/// assert!(matches_bytes(b"*.txt", b"a.txt"));
/// assert!(matches_bytes(b"\xff?", b"\xff\xfe"));
/// ```
pub fn matches_bytes(pattern: &[u8], name: &[u8]) -> bool {
    matches_in(pattern, name, b'*', b'?')
}

/// Whether `name` matches `pattern`, character by character.
///
/// ```
/// use ftp_core::protocol::glob::matches;
///
/// assert!(matches("file?.txt", "file1.txt"));
/// assert!(matches("caf?", "café"));
/// assert!(!matches("file?.txt", "file10.txt"));
/// ```
pub fn matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    matches_in(&pattern, &name, '*', '?')
}

fn matches_in<T: Copy + PartialEq>(pattern: &[T], name: &[T], any_run: T, any_one: T) -> bool {
    let (mut p, mut n) = (0, 0);
    // The last `*` seen, and where in the name what it swallows ends.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(&c) if c == any_run => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == any_one || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_at, swallowed)) => {
                    star = Some((star_at, swallowed + 1));
                    p = star_at + 1;
                    n = swallowed + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == any_run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_a_shell() {
        assert!(matches_bytes(b"*.txt", b"a.txt"));
        assert!(matches_bytes(b"*.txt", b".txt"));
        assert!(!matches_bytes(b"*.txt", b"a.txt.gz"));
        assert!(matches_bytes(b"a?c", b"abc"));
        assert!(!matches_bytes(b"a?c", b"ac"));
        assert!(matches_bytes(b"*", b""));
        assert!(matches_bytes(b"a*b*c", b"aXbYbZc"));
        assert!(!matches_bytes(b"a*b*c", b"aXbYbZ"));
        assert!(matches_bytes(b"*?", b"x"));
        assert!(!matches_bytes(b"*?", b""));
        assert!(matches_bytes(b"**a", b"ba"));
        assert!(!matches_bytes(b"", b"a"));
        assert!(matches("a.txt", "a.txt"));
        assert!(!matches("a.txt", "a.txT"));
    }

    #[test]
    fn literal_characters_must_match_exactly() {
        assert!(matches("a.txt", "a.txt"));
        assert!(!matches("a.txt", "a.txT"));
        assert!(!matches("a.txt", "a.txt2"));
        assert!(!matches("a.txt2", "a.txt"));
        assert!(matches("", ""));
        assert!(!matches("", "a"));
    }

    #[test]
    fn star_matches_any_run_including_none() {
        assert!(matches("*", ""));
        assert!(matches("*", "anything"));
        assert!(matches("a*", "a"));
        assert!(matches("*.txt", ".txt"));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(matches("a*b*c", "abc"));
        assert!(!matches("a*b*c", "aXXbYY"));
        assert!(matches("**x", "x"));
    }

    #[test]
    fn star_backtracks() {
        assert!(matches("*ab", "aab"));
        assert!(matches("*aab", "aaab"));
        assert!(matches("a*a*a", "aaaa"));
        assert!(!matches("a*a*a", "aa"));
        assert!(matches("*.tar.gz", "x.tar.tar.gz"));
    }

    #[test]
    fn question_mark_matches_exactly_one_character() {
        assert!(matches("?", "é"));
        assert!(!matches("?", ""));
        assert!(!matches("??", "a"));
        assert!(matches("?*", "a"));
    }

    #[test]
    fn a_question_mark_is_a_byte_or_a_character() {
        assert!(!matches_bytes(b"caf?", "café".as_bytes()), "é is two bytes");
        assert!(matches_bytes(b"caf??", "café".as_bytes()));
        assert!(matches("caf?", "café"));
    }

    #[test]
    fn patterns_take_linear_time_per_star() {
        let name = [b'a'; 255];
        let mut pattern = b"*?".repeat(1000);
        pattern.push(b'Z');
        let started = std::time::Instant::now();
        assert!(!matches_bytes(&pattern, &name));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
