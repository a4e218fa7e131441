//! What the program shows of the protocol: the server's replies (verbose),
//! the dialog (`-d`: `---> USER alice` / `<--- 331 ...`), the data
//! connections (`--explain`), and the packets of file transfers (`-t`,
//! `trace`: one line per read or write on the data connection).
//!
//! A [`Trace`] holds the switches; [`Trace::observer`] makes the observer the
//! client library calls for every [`Event`]. Replies go to stdout in the shell
//! (as in BSD ftp) and to stderr in the one-shot forms, whose stdout may carry
//! a file (`-o -`); the dialog and the data connections always go to stderr.
//! The library masks passwords before the observer sees them. Everything
//! shown here goes through [`terminal::escape`]: a reply is the server's text.
//!
//! [`Trace::hold_replies`] and [`Trace::release_replies`] keep a transfer's
//! final reply off the line of the progress meter or hash marks.

use std::cell::{Cell, RefCell};
use std::io::Write;
use std::rc::Rc;
use std::time::Instant;

use ftp_core::Reply;

use crate::client::{Event, Observer};
use crate::terminal;

/// The switches for what is shown, shared by the shell and the observer.
pub struct Trace {
    /// Show the server's replies.
    pub verbose: Cell<bool>,
    /// Show the commands sent and the replies received, marked `--->` / `<---`.
    pub debug: Cell<bool>,
    /// Describe each data connection: who listens, who connects.
    pub explain: Cell<bool>,
    /// Show each read or write of a file transfer's data connection (`-t`,
    /// `trace`: tnftp's "packet tracing").
    pub packets: Cell<bool>,
    /// The current transfer: when it started and its byte count at the last
    /// packet.
    transfer: Cell<(Instant, u64)>,
    /// Print replies on stderr instead of stdout.
    replies_to_stderr: bool,
    /// Replies held back while a transfer shows its progress: the text as
    /// it will be printed, and whether it goes to stderr.
    held: RefCell<Option<Vec<(String, bool)>>>,
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trace")
            .field("verbose", &self.verbose)
            .field("debug", &self.debug)
            .field("explain", &self.explain)
            .field("packets", &self.packets)
            .finish_non_exhaustive()
    }
}

impl Trace {
    /// Switches for the shell (`replies_to_stderr` false) or a one-shot
    /// download or upload (true).
    pub fn new(verbose: bool, debug: bool, explain: bool, replies_to_stderr: bool) -> Rc<Trace> {
        Rc::new(Trace {
            verbose: Cell::new(verbose),
            debug: Cell::new(debug),
            explain: Cell::new(explain),
            packets: Cell::new(false),
            transfer: Cell::new((Instant::now(), 0)),
            replies_to_stderr,
            held: RefCell::new(None),
        })
    }

    /// The observer to give the client: it prints each event as the
    /// switches say at that moment.
    pub fn observer(self: &Rc<Trace>) -> Observer {
        let trace = Rc::clone(self);
        Box::new(move |event: &Event| trace.show(event))
    }

    /// From now on, keep replies instead of printing them.
    pub fn hold_replies(&self) {
        self.held.replace(Some(Vec::new()));
    }

    /// Prints the replies held so far and goes on holding the next ones.
    pub fn print_held(&self) {
        let held = self.held.borrow_mut().as_mut().map(std::mem::take);
        for (reply, to_stderr) in held.unwrap_or_default() {
            print(&reply, to_stderr);
        }
    }

    /// Prints the replies held since [`Trace::hold_replies`] except the last,
    /// then calls `between`, then prints the last; printing goes on as usual.
    pub fn release_replies(&self, between: impl FnOnce()) {
        let mut held = self.held.take().unwrap_or_default();
        let last = held.pop();
        for (reply, to_stderr) in held {
            print(&reply, to_stderr);
        }
        between();
        if let Some((reply, to_stderr)) = last {
            print(&reply, to_stderr);
        }
    }

    /// A file transfer starts: its packets are counted from here.
    pub fn transfer_started(&self) {
        self.transfer.set((Instant::now(), 0));
    }

    /// A read or write of the transfer's data connection brought its count
    /// to `total` bytes: with [`Trace::packets`] on, a line on stderr says
    /// how many bytes it moved and when (`trace: data 16384 bytes, 49152 in
    /// all, at 0.004 s`).
    pub fn transfer_moved(&self, total: u64) {
        let (started, last) = self.transfer.get();
        self.transfer.set((started, total));
        if self.packets.get() {
            eprintln!(
                "trace: data {} bytes, {total} in all, at {:.3} s",
                total.saturating_sub(last),
                started.elapsed().as_secs_f64()
            );
        }
    }

    /// Prints an informational line, such as a transfer's summary, where
    /// replies go, when verbose.
    pub fn note(&self, text: &str) {
        if self.verbose.get() {
            print(text, self.replies_to_stderr);
        }
    }

    fn show(&self, event: &Event) {
        match event {
            Event::Sent(line) if self.debug.get() => {
                eprintln!("---> {}", terminal::escape(line.as_bytes()));
            }
            Event::Received(reply) => self.reply(reply),
            Event::Data(connection) if self.explain.get() => eprintln!("{connection}"),
            // FTPS: with --explain beside the connection it protects, else
            // where replies go when verbose.
            Event::Protected(text) if self.explain.get() => eprintln!("{text}"),
            Event::Protected(text) => self.note(text),
            _ => {}
        }
    }

    /// Shows a reply as if it had been received now; the shell uses it for
    /// the greeting, which arrives before the observer is installed.
    pub fn reply(&self, reply: &Reply) {
        let Some((text, to_stderr)) = self.reply_text(reply) else {
            return;
        };
        match self.held.borrow_mut().as_mut() {
            Some(held) => held.push((text, to_stderr)),
            None => print(&text, to_stderr),
        }
    }

    /// How a reply is shown, once, as tnftp does: in verbose mode as it
    /// came, where replies go (with `-d` the `---> ` commands on stderr come
    /// between them); with `-d` alone as `<--- ` lines on stderr; `None`:
    /// not shown.
    fn reply_text(&self, reply: &Reply) -> Option<(String, bool)> {
        if self.verbose.get() {
            return Some((reply.to_string(), self.replies_to_stderr));
        }
        self.debug.get().then(|| {
            let lines: Vec<String> = reply
                .to_string()
                .lines()
                .map(|line| format!("<--- {line}"))
                .collect();
            (lines.join("\n"), true)
        })
    }
}

/// Prints `text` (the server's, so escaped) on stderr or stdout.
fn print(text: &str, to_stderr: bool) {
    let text = terminal::escape(text.as_bytes());
    if to_stderr {
        eprintln!("{text}");
    } else {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_debug_each_reply_is_shown_once() {
        let trace = Trace::new(true, true, false, false);
        let reply = Reply::multiline(211, vec!["Features:".into(), "End".into()]);
        let shown = trace.reply_text(&reply);
        assert_eq!(shown, Some(("211-Features:\n211 End".to_string(), false)));
        trace.verbose.set(false);
        let dialog = trace.reply_text(&reply);
        assert_eq!(
            dialog,
            Some(("<--- 211-Features:\n<--- 211 End".to_string(), true))
        );
        trace.debug.set(false);
        assert_eq!(trace.reply_text(&Reply::new(226, "Done")), None);
    }
}
