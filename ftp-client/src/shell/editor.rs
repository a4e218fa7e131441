//! A small line editor for the shell on a terminal, with history, and the
//! password prompt.
//!
//! The terminal is put in [`tty::RAW_KEYS`] mode while a line is read (and
//! restored when it ends, whatever way), so the editor sees each key:
//! printable text is inserted at the cursor; Backspace, Delete, Left, Right,
//! Home, End (and Ctrl-B, Ctrl-F, Ctrl-A, Ctrl-E) edit; Up and Down (Ctrl-P,
//! Ctrl-N) walk the history of this session's command lines; Ctrl-U clears
//! the line; Ctrl-C abandons it, as tnftp does; Ctrl-D on an empty line ends
//! the input. Tab and other keys do nothing: there is no completion.
//!
//! The editor writes the prompt once the terminal is in raw mode (keys
//! typed as soon as the prompt shows are the editor's, never echoed by the
//! terminal), then works from the cursor: it writes the characters that
//! change and moves back with backspace (`\x08`), so it needs neither the
//! prompt's length nor escape sequences,
//! and the terminal only ever receives text, spaces, `\x08` and line ends.
//! This is enough for lines that fit the terminal's width.
//!
//! There is one editor per thread ([`with`]): the `ftp> ` prompt, the
//! answers to the shell's questions ([`TerminalInput`]) and the password
//! ([`Editor::read_secret`]) share its keys, so keys typed or pasted ahead
//! are read in order by whichever question comes next.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, Read, Write};

use super::keys::{Decoder, Key};
use crate::tty;

/// The most lines the history keeps.
const HISTORY_LIMIT: usize = 500;

/// Moving the cursor one column left.
const BACK: char = '\x08';

/// What reading a line ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edited {
    /// Enter: the line.
    Line(String),
    /// Ctrl-C: no line.
    Interrupted,
    /// Ctrl-D on an empty line, or the terminal closed.
    End,
}

thread_local! {
    static EDITOR: RefCell<Editor> = RefCell::new(Editor::default());
}

/// Runs `f` with this thread's editor.
pub fn with<T>(f: impl FnOnce(&mut Editor) -> T) -> T {
    EDITOR.with(|editor| f(&mut editor.borrow_mut()))
}

/// The line editor: the history and the keys typed ahead.
#[derive(Debug, Default)]
pub struct Editor {
    history: Vec<String>,
    keys: Keys,
    /// The terminal's mode could not be changed: no editing here.
    unavailable: bool,
}

/// The keys from the terminal.
#[derive(Debug, Default)]
struct Keys {
    decoder: Decoder,
    /// Keys read but not used yet (typed ahead, or pasted after an Enter).
    ahead: VecDeque<Key>,
}

impl Editor {
    /// Shows `prompt` and reads a line with editing after it, echoing on
    /// stdout; a command line (`command`) goes into the history. `None`
    /// when the terminal's mode cannot be changed (nothing is shown): the
    /// caller then prompts and reads plain lines.
    ///
    /// # Errors
    ///
    /// Reading the terminal failed.
    pub fn read_line(&mut self, prompt: &str, command: bool) -> io::Result<Option<Edited>> {
        let Some(_mode) = self.raw_mode() else {
            return Ok(None);
        };
        let mut input = tty::input()?;
        let history = if command { &self.history[..] } else { &[] };
        let mut line = Line::new(history);
        let mut out = io::stdout().lock();
        out.write_all(prompt.as_bytes())?;
        out.flush()?;
        let edited = loop {
            let Some(key) = self.keys.next(&mut input)? else {
                break Edited::End;
            };
            let (echo, done) = line.apply(key);
            out.write_all(echo.as_bytes())?;
            out.flush()?;
            if let Some(edited) = done {
                break edited;
            }
        };
        if let (Edited::Line(text), true) = (&edited, command) {
            self.remember(text);
        }
        Ok(Some(edited))
    }

    /// Shows `question` on stderr and reads a line without showing it: `None`
    /// when the terminal's mode cannot be changed, `Some(None)` at the end
    /// of input.
    ///
    /// # Errors
    ///
    /// Reading failed, or [`io::ErrorKind::Interrupted`] for Ctrl-C.
    pub fn read_secret(&mut self, question: &str) -> io::Result<Option<Option<String>>> {
        let Some(_mode) = self.raw_mode() else {
            return Ok(None);
        };
        let mut input = tty::input()?;
        eprint!("{question}");
        let mut secret = String::new();
        let result = loop {
            match self.keys.next(&mut input)? {
                None => break None,
                Some(Key::Enter) => break Some(secret),
                Some(Key::Interrupt) => {
                    eprintln!("^C");
                    return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
                }
                Some(Key::EndOfInput) if secret.is_empty() => break None,
                Some(Key::Char(c)) => secret.push(c),
                Some(Key::Backspace) => drop(secret.pop()),
                Some(Key::KillLine) => secret.clear(),
                Some(_) => {}
            }
        };
        eprintln!();
        Ok(Some(result))
    }

    /// Whether lines can be edited here, as far as is known.
    fn available(&self) -> bool {
        !self.unavailable
    }

    /// The terminal in raw mode, remembering when that is impossible.
    fn raw_mode(&mut self) -> Option<tty::Mode> {
        if self.unavailable {
            return None;
        }
        let mode = tty::Mode::set(tty::RAW_KEYS);
        self.unavailable = mode.is_none();
        mode
    }

    /// Adds `text` to the history unless it is empty or repeats the last line.
    fn remember(&mut self, text: &str) {
        if text.trim().is_empty() || self.history.last().is_some_and(|last| last == text) {
            return;
        }
        if self.history.len() == HISTORY_LIMIT {
            self.history.remove(0);
        }
        self.history.push(text.to_string());
    }
}

impl Keys {
    /// The next key: one typed ahead, or one read now; `None` when the
    /// terminal has closed.
    fn next(&mut self, input: &mut File) -> io::Result<Option<Key>> {
        let mut buf = [0u8; 256];
        while self.ahead.is_empty() {
            let read = input.read(&mut buf)?;
            if read == 0 {
                return Ok(None);
            }
            self.ahead.extend(self.decoder.feed(&buf[..read]));
        }
        Ok(self.ahead.pop_front())
    }
}

/// The shell's input on a terminal: each line through the editor (without
/// history), or from `fallback` where the editor cannot run. Ctrl-C is an
/// error (`interrupted`) for the question being answered.
pub struct TerminalInput {
    fallback: Box<dyn BufRead>,
    /// The edited line and its `\n`, and how much of it was read.
    line: Vec<u8>,
    read: usize,
}

impl TerminalInput {
    /// Lines from the editor, or from `fallback`.
    pub fn new(fallback: Box<dyn BufRead>) -> TerminalInput {
        TerminalInput {
            fallback,
            line: Vec::new(),
            read: 0,
        }
    }
}

impl Read for TerminalInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let len = available.len().min(buf.len());
        buf[..len].copy_from_slice(&available[..len]);
        self.consume(len);
        Ok(len)
    }
}

impl BufRead for TerminalInput {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.read < self.line.len() {
            return Ok(&self.line[self.read..]);
        }
        if !with(|editor| editor.available()) {
            return self.fallback.fill_buf();
        }
        match with(|editor| editor.read_line("", false))? {
            None => return self.fallback.fill_buf(),
            Some(Edited::Line(text)) => {
                self.line = format!("{text}\n").into_bytes();
                self.read = 0;
            }
            Some(Edited::End) => return Ok(&[]),
            // Not `ErrorKind::Interrupted`, which readers retry.
            Some(Edited::Interrupted) => return Err(io::Error::other("interrupted")),
        }
        Ok(&self.line[self.read..])
    }

    fn consume(&mut self, amount: usize) {
        if self.read < self.line.len() {
            self.read = (self.read + amount).min(self.line.len());
        } else {
            self.fallback.consume(amount);
        }
    }
}

/// The line being edited: its text, the cursor, and where in the history.
#[derive(Debug)]
struct Line<'a> {
    text: Vec<char>,
    cursor: usize,
    history: &'a [String],
    /// The history line shown, `history.len()` for the new line.
    shown: usize,
    /// The new line, kept while the history is shown.
    draft: Vec<char>,
}

impl<'a> Line<'a> {
    fn new(history: &'a [String]) -> Line<'a> {
        Line {
            text: Vec::new(),
            cursor: 0,
            history,
            shown: history.len(),
            draft: Vec::new(),
        }
    }

    /// Applies `key`: what to write to the terminal, and the result when the
    /// line is done.
    fn apply(&mut self, key: Key) -> (String, Option<Edited>) {
        let echo = match key {
            Key::Enter => return ("\n".into(), Some(Edited::Line(self.text()))),
            Key::Interrupt => return ("^C\n".into(), Some(Edited::Interrupted)),
            Key::EndOfInput if self.text.is_empty() => return ("\n".into(), Some(Edited::End)),
            Key::Char(c) if !c.is_control() => {
                self.text.insert(self.cursor, c);
                self.cursor += 1;
                format!("{c}{}", self.redraw_tail(0))
            }
            Key::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.text.remove(self.cursor);
                format!("{BACK}{}", self.redraw_tail(1))
            }
            Key::Delete | Key::EndOfInput if self.cursor < self.text.len() => {
                self.text.remove(self.cursor);
                self.redraw_tail(1)
            }
            Key::KillLine => self.replace(Vec::new()),
            Key::Left if self.cursor > 0 => {
                self.cursor -= 1;
                BACK.to_string()
            }
            Key::Right if self.cursor < self.text.len() => {
                self.cursor += 1;
                self.text[self.cursor - 1].to_string()
            }
            Key::Home => self.move_to(0),
            Key::End => self.move_to(self.text.len()),
            Key::Up if self.shown > 0 => self.show(self.shown - 1),
            Key::Down if self.shown < self.history.len() => self.show(self.shown + 1),
            _ => String::new(),
        };
        (echo, None)
    }

    fn text(&self) -> String {
        self.text.iter().collect()
    }

    /// The text from the cursor on, `cleared` spaces over what the line no
    /// longer holds, and the cursor moved back to where it was.
    fn redraw_tail(&self, cleared: usize) -> String {
        let tail: String = self.text[self.cursor..].iter().collect();
        let back = self.text.len() - self.cursor + cleared;
        format!("{tail}{:cleared$}{}", "", backs(back))
    }

    /// Moves the cursor to `to` by writing or backing over characters.
    fn move_to(&mut self, to: usize) -> String {
        let echo = if to < self.cursor {
            backs(self.cursor - to)
        } else {
            self.text[self.cursor..to].iter().collect()
        };
        self.cursor = to;
        echo
    }

    /// Replaces the whole line with `text`, the cursor at its end.
    fn replace(&mut self, text: Vec<char>) -> String {
        let cleared = self.text.len().saturating_sub(text.len());
        let mut echo = backs(self.cursor);
        echo.extend(text.iter());
        echo.push_str(&format!("{:cleared$}{}", "", backs(cleared)));
        self.cursor = text.len();
        self.text = text;
        echo
    }

    /// Shows history line `index` (the draft at the end).
    fn show(&mut self, index: usize) -> String {
        if self.shown == self.history.len() {
            self.draft = self.text.clone();
        }
        self.shown = index;
        let text = match self.history.get(index) {
            Some(line) => line.chars().collect(),
            None => std::mem::take(&mut self.draft),
        };
        self.replace(text)
    }
}

/// `count` backspaces.
fn backs(count: usize) -> String {
    std::iter::repeat_n(BACK, count).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-line terminal: what the echo leaves on the screen.
    #[derive(Default)]
    struct Screen {
        cells: Vec<char>,
        cursor: usize,
    }

    impl Screen {
        fn write(&mut self, echo: &str) {
            for c in echo.chars() {
                assert!(c == BACK || c == '\n' || !c.is_control(), "{c:?} sent");
                match c {
                    BACK => self.cursor = self.cursor.checked_sub(1).expect("left of the start"),
                    '\n' => {}
                    c if self.cursor == self.cells.len() => {
                        self.cells.push(c);
                        self.cursor += 1;
                    }
                    c => {
                        self.cells[self.cursor] = c;
                        self.cursor += 1;
                    }
                }
            }
        }

        fn shown(&self) -> String {
            self.cells.iter().collect::<String>().trim_end().to_string()
        }
    }

    /// Types `bytes`; the result and the screen, which must show the line
    /// with the cursor in place after every key.
    fn type_keys(line: &mut Line<'_>, bytes: &[u8]) -> (Option<Edited>, Screen) {
        let mut screen = Screen::default();
        for key in Decoder::new().feed(bytes) {
            let (echo, done) = line.apply(key);
            screen.write(&echo);
            if done.is_some() {
                return (done, screen);
            }
            assert_eq!(screen.shown(), line.text().trim_end());
            assert_eq!(screen.cursor, line.cursor);
        }
        (None, screen)
    }

    fn typed(history: &[String], bytes: &[u8]) -> Option<Edited> {
        type_keys(&mut Line::new(history), bytes).0
    }

    fn line(text: &str) -> Option<Edited> {
        Some(Edited::Line(text.into()))
    }

    #[test]
    fn an_arrow_is_never_part_of_the_line() {
        assert_eq!(typed(&[], b"pwd\x1b[A\x1b[D\x1b[C\t\r"), line("pwd"));
    }

    #[test]
    fn editing_in_the_middle_keeps_the_screen_right() {
        let keys = b"gt a\x1b[H\x1b[Ce\x1b[F\x7fb\x01\x1b[3~G\r";
        assert_eq!(typed(&[], keys), line("Get b"));
        let (_, screen) = type_keys(&mut Line::new(&[]), b"abcdef\x1b[D\x1b[D\x7f\x7f");
        assert_eq!(screen.shown(), "abef");
    }

    #[test]
    fn up_and_down_walk_the_history_and_keep_the_draft() {
        let history = ["ls".to_string(), "status all".to_string()];
        assert_eq!(typed(&history, b"ge\x1b[A\x1b[A\x1b[A\r"), line("ls"));
        assert_eq!(
            typed(&history, b"ge\x1b[A\x1b[A\x1b[B\x1b[Bt\r"),
            line("get")
        );
        let (_, screen) = type_keys(&mut Line::new(&history), b"\x1b[A\x1b[A");
        assert_eq!(screen.shown(), "ls");
    }

    #[test]
    fn ctrl_c_abandons_the_line_and_ctrl_d_ends_only_an_empty_one() {
        assert_eq!(typed(&[], b"get x\x03"), Some(Edited::Interrupted));
        assert_eq!(typed(&[], b"ab\x02\x04\r"), line("a"));
        assert_eq!(typed(&[], b"\x04"), Some(Edited::End));
        assert_eq!(typed(&[], b"abc\x15d\r"), line("d"));
    }

    #[test]
    fn control_characters_are_not_inserted() {
        assert_eq!(typed(&[], "a\u{9b}b\x07\r".as_bytes()), line("ab"));
    }

    #[test]
    fn the_history_skips_blank_and_repeated_lines() {
        let mut editor = Editor::default();
        for text in ["ls", "ls", " ", "pwd", "ls"] {
            editor.remember(text);
        }
        assert_eq!(editor.history, ["ls", "pwd", "ls"]);
    }
}
