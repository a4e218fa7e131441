//! Asking the user: a line of input, a password, a yes/no/all/quit answer.
//!
//! Questions for credentials (`Name (host:user): `, `Password:`) go to
//! stderr, so that stdout carries only what the user asked for (a listing, a
//! file with `-o -`). On a terminal the password is read key by key without
//! echo (see [`super::editor::Editor::read_secret`]); the terminal's settings
//! are restored when the read ends, on every path, and Ctrl-C there is an
//! [`io::ErrorKind::Interrupted`] error rather than a signal that would leave
//! echo off.
//!
//! When stdin is not a terminal, answers are read from it as lines, like
//! every other command of a batch script.

use std::io::{self, BufRead, Write};

/// Reads one line without its line end (`\n` or `\r\n`); `None` at the end of
/// input. Bytes that are not UTF-8 are replaced.
///
/// # Errors
///
/// The read failed.
pub fn read_line(input: &mut dyn BufRead) -> io::Result<Option<String>> {
    let mut bytes = Vec::new();
    if input.read_until(b'\n', &mut bytes)? == 0 {
        return Ok(None);
    }
    let line = String::from_utf8_lossy(&bytes);
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(Some(line.strip_suffix('\r').unwrap_or(line).to_string()))
}

/// Shows `question` on stderr and reads the answer.
///
/// # Errors
///
/// The read failed.
pub fn ask(input: &mut dyn BufRead, question: &str) -> io::Result<Option<String>> {
    let mut err = io::stderr().lock();
    let _ = write!(err, "{question}");
    let _ = err.flush();
    read_line(input)
}

/// Shows `question` on stderr and reads a password: with echo off when
/// `terminal` is true (stdin is the terminal), as a plain line otherwise.
///
/// # Errors
///
/// The read failed.
pub fn ask_password(
    input: &mut dyn BufRead,
    question: &str,
    terminal: bool,
) -> io::Result<Option<String>> {
    if !terminal {
        return ask(input, question);
    }
    match super::editor::with(|editor| editor.read_secret(question))? {
        Some(answer) => Ok(answer),
        // The terminal cannot be switched: a plain line is all there is.
        None => ask(input, question),
    }
}

/// The answer to "mget file?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// Do this one (`y`, or just Enter).
    Yes,
    /// Skip this one (`n`).
    No,
    /// Do this one and the rest without asking (`a`).
    All,
    /// Stop the command (`q`).
    Quit,
}

impl Confirm {
    /// Reads an answer as BSD ftp does: the first letter counts; anything
    /// unknown means yes, as Enter does.
    pub fn from_answer(answer: &str) -> Confirm {
        match answer
            .trim_start()
            .chars()
            .next()
            .map(|c| c.to_ascii_lowercase())
        {
            Some('n') => Confirm::No,
            Some('a') => Confirm::All,
            Some('q') => Confirm::Quit,
            _ => Confirm::Yes,
        }
    }
}

/// Asks on stdout whether to `verb` `name`, e.g. `mget a.txt [anqy]? `; the
/// end of input means quit. `name` may come from the server, so it is shown
/// through [`crate::terminal::escape`].
///
/// # Errors
///
/// The read failed.
pub fn confirm(input: &mut dyn BufRead, verb: &str, name: &str) -> io::Result<Confirm> {
    let mut out = io::stdout().lock();
    let name = crate::terminal::escape(name.as_bytes());
    let _ = write!(out, "{verb} {name} [anqy]? ");
    let _ = out.flush();
    drop(out);
    Ok(read_line(input)?.map_or(Confirm::Quit, |answer| Confirm::from_answer(&answer)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_lose_their_line_ends() {
        let mut input: &[u8] = b"one\r\ntwo\nthree";
        assert_eq!(read_line(&mut input).expect("read").as_deref(), Some("one"));
        assert_eq!(read_line(&mut input).expect("read").as_deref(), Some("two"));
        assert_eq!(
            read_line(&mut input).expect("read").as_deref(),
            Some("three")
        );
        assert_eq!(read_line(&mut input).expect("read"), None);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_replaced() {
        let mut input: &[u8] = b"caf\xe9\n";
        assert_eq!(
            read_line(&mut input).expect("read").as_deref(),
            Some("caf\u{fffd}")
        );
    }

    #[test]
    fn batch_passwords_are_plain_lines() {
        let mut input: &[u8] = b"s3cret\nnext\n";
        let password = ask_password(&mut input, "Password:", false).expect("read");
        assert_eq!(password.as_deref(), Some("s3cret"));
        assert_eq!(
            read_line(&mut input).expect("read").as_deref(),
            Some("next")
        );
    }

    #[test]
    fn confirmations_read_the_first_letter() {
        assert_eq!(Confirm::from_answer(""), Confirm::Yes);
        assert_eq!(Confirm::from_answer("yes"), Confirm::Yes);
        assert_eq!(Confirm::from_answer("No"), Confirm::No);
        assert_eq!(Confirm::from_answer(" a"), Confirm::All);
        assert_eq!(Confirm::from_answer("quit"), Confirm::Quit);
        let mut input: &[u8] = b"n\n";
        assert_eq!(confirm(&mut input, "mget", "f").expect("read"), Confirm::No);
        let mut empty: &[u8] = b"";
        assert_eq!(
            confirm(&mut empty, "mget", "f").expect("read"),
            Confirm::Quit
        );
    }
}
