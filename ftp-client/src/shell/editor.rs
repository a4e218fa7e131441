//! A small line editor for the `ftp> ` prompt, with history, and the
//! password prompt, on a terminal.
//!
//! The terminal is put in [`tty::RAW_KEYS`] mode while a line is read (and
//! restored when it ends, whatever way), so the editor sees each key:
//! printable text is inserted at the cursor; Backspace, Delete, Left, Right,
//! Home, End (and Ctrl-B, Ctrl-F, Ctrl-A, Ctrl-E) edit; Up and Down (Ctrl-P,
//! Ctrl-N) walk the history of this session's lines; Ctrl-U clears the line;
//! Ctrl-C abandons it and shows a new prompt, as tnftp does; Ctrl-D on an
//! empty line ends the input. Tab and other keys do nothing: there is no
//! completion. The line is redrawn whole after each key (`\r`, prompt, text,
//! clear to the end of the line, cursor moved back), which is enough for a
//! line that fits the terminal's width.
//!
//! [`Editor::read_secret`] reads a password the same way without showing it;
//! Ctrl-C there is an [`io::ErrorKind::Interrupted`] error.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Write};

use super::keys::{Decoder, Key};
use crate::tty;

/// The most lines the history keeps.
const HISTORY_LIMIT: usize = 500;

/// What reading a line ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edited {
    /// Enter: the line.
    Line(String),
    /// Ctrl-C: no line; prompt again.
    Interrupted,
    /// Ctrl-D on an empty line, or the terminal closed.
    End,
}

/// The line editor: the history and the keys typed ahead.
#[derive(Debug, Default)]
pub struct Editor {
    history: Vec<String>,
    keys: Keys,
}

/// The keys from the terminal.
#[derive(Debug, Default)]
struct Keys {
    decoder: Decoder,
    /// Keys read but not used yet (typed ahead, or pasted after an Enter).
    ahead: VecDeque<Key>,
}

impl Editor {
    /// An editor with an empty history.
    pub fn new() -> Editor {
        Editor::default()
    }

    /// Shows `prompt` on stdout and reads a line with editing; `None` when
    /// the terminal's mode cannot be changed (the caller then reads plain
    /// lines).
    ///
    /// # Errors
    ///
    /// Reading the terminal failed.
    pub fn read_line(&mut self, prompt: &str) -> io::Result<Option<Edited>> {
        let Some(_mode) = tty::Mode::set(tty::RAW_KEYS) else {
            return Ok(None);
        };
        let mut input = tty::input()?;
        let mut line = Line::new(&self.history);
        let mut out = io::stdout();
        out.write_all(line.render(prompt).as_bytes())?;
        out.flush()?;
        loop {
            let Some(key) = self.keys.next(&mut input)? else {
                out.write_all(b"\n")?;
                return Ok(Some(Edited::End));
            };
            if let Some(edited) = line.apply(key) {
                out.write_all(line.render(prompt).as_bytes())?;
                out.write_all(if edited == Edited::Interrupted {
                    b"^C\n"
                } else {
                    b"\n"
                })?;
                out.flush()?;
                if let Edited::Line(text) = &edited {
                    self.remember(text);
                }
                return Ok(Some(edited));
            }
            out.write_all(line.render(prompt).as_bytes())?;
            out.flush()?;
        }
    }

    /// Shows `question` on stderr and reads a line without showing it: `None`
    /// when the terminal's mode cannot be changed, `Some(None)` at the end
    /// of input.
    ///
    /// # Errors
    ///
    /// Reading failed, or [`io::ErrorKind::Interrupted`] for Ctrl-C.
    pub fn read_secret(&mut self, question: &str) -> io::Result<Option<Option<String>>> {
        let Some(_mode) = tty::Mode::set(tty::RAW_KEYS) else {
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

    /// Applies `key`; the result when the line is done.
    fn apply(&mut self, key: Key) -> Option<Edited> {
        match key {
            Key::Enter => return Some(Edited::Line(self.text.iter().collect())),
            Key::Interrupt => return Some(Edited::Interrupted),
            Key::EndOfInput if self.text.is_empty() => return Some(Edited::End),
            Key::EndOfInput | Key::Delete => {
                if self.cursor < self.text.len() {
                    self.text.remove(self.cursor);
                }
            }
            Key::Char(c) => {
                self.text.insert(self.cursor, c);
                self.cursor += 1;
            }
            Key::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.text.remove(self.cursor);
            }
            Key::KillLine => {
                self.text.clear();
                self.cursor = 0;
            }
            Key::Left => self.cursor = self.cursor.saturating_sub(1),
            Key::Right => self.cursor = (self.cursor + 1).min(self.text.len()),
            Key::Home => self.cursor = 0,
            Key::End => self.cursor = self.text.len(),
            Key::Up if self.shown > 0 => self.show(self.shown - 1),
            Key::Down if self.shown < self.history.len() => self.show(self.shown + 1),
            Key::Backspace | Key::Up | Key::Down | Key::Tab | Key::Other => {}
        }
        None
    }

    /// Shows history line `index` (the draft at the end), cursor at its end.
    fn show(&mut self, index: usize) {
        if self.shown == self.history.len() {
            self.draft = std::mem::take(&mut self.text);
        }
        self.shown = index;
        self.text = match self.history.get(index) {
            Some(line) => line.chars().collect(),
            None => std::mem::take(&mut self.draft),
        };
        self.cursor = self.text.len();
    }

    /// What redraws the line after `prompt`: back to the start, the prompt
    /// and the text, the rest cleared, the cursor moved back into place.
    fn render(&self, prompt: &str) -> String {
        let text: String = self.text.iter().collect();
        let back = self.text.len() - self.cursor;
        let mut out = format!(
            "\r{prompt}{}\x1b[K",
            crate::terminal::escape(text.as_bytes())
        );
        if back > 0 {
            out.push_str(&format!("\x1b[{back}D"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_keys(line: &mut Line<'_>, bytes: &[u8]) -> Option<Edited> {
        let mut decoder = Decoder::new();
        decoder
            .feed(bytes)
            .into_iter()
            .find_map(|key| line.apply(key))
    }

    #[test]
    fn an_arrow_is_never_part_of_the_line() {
        let mut line = Line::new(&[]);
        assert_eq!(
            type_keys(&mut line, b"pwd\x1b[A\x1b[D\x1b[C\t\r"),
            Some(Edited::Line("pwd".into()))
        );
    }

    #[test]
    fn editing_in_the_middle() {
        let mut line = Line::new(&[]);
        let typed = type_keys(&mut line, b"gt a\x1b[H\x1b[Ce\x1b[F\x7fb\x01\x1b[3~G\r");
        assert_eq!(typed, Some(Edited::Line("Get b".into())));
    }

    #[test]
    fn up_and_down_walk_the_history_and_keep_the_draft() {
        let history = ["ls".to_string(), "pwd".to_string()];
        let mut line = Line::new(&history);
        assert_eq!(
            type_keys(&mut line, b"ge\x1b[A\x1b[A\x1b[A\r"),
            Some(Edited::Line("ls".into()))
        );
        let mut line = Line::new(&history);
        let typed = type_keys(&mut line, b"ge\x1b[A\x1b[A\x1b[B\x1b[Bt\r");
        assert_eq!(typed, Some(Edited::Line("get".into())));
    }

    #[test]
    fn ctrl_c_abandons_the_line_and_ctrl_d_ends_only_an_empty_one() {
        let mut line = Line::new(&[]);
        assert_eq!(
            type_keys(&mut line, b"get x\x03"),
            Some(Edited::Interrupted)
        );
        let mut line = Line::new(&[]);
        assert_eq!(
            type_keys(&mut line, b"ab\x02\x04\r"),
            Some(Edited::Line("a".into()))
        );
        let mut line = Line::new(&[]);
        assert_eq!(type_keys(&mut line, b"\x04"), Some(Edited::End));
        let mut line = Line::new(&[]);
        assert_eq!(
            type_keys(&mut line, b"abc\x15d\r"),
            Some(Edited::Line("d".into()))
        );
    }

    #[test]
    fn the_redraw_clears_the_rest_and_puts_the_cursor_back() {
        let mut line = Line::new(&[]);
        type_keys(&mut line, b"get\x1b[D\x1b[D");
        assert_eq!(line.render("ftp> "), "\rftp> get\x1b[K\x1b[2D");
        type_keys(&mut line, b"\x1b[F\x1b");
        assert_eq!(line.render("ftp> "), "\rftp> get\x1b[K");
    }

    #[test]
    fn the_history_skips_blank_and_repeated_lines() {
        let mut editor = Editor::new();
        for text in ["ls", "ls", " ", "pwd", "ls"] {
            editor.remember(text);
        }
        assert_eq!(editor.history, ["ls", "pwd", "ls"]);
    }
}
