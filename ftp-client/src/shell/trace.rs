//! What the program shows of the protocol: the server's replies (verbose),
//! the dialog (`-d`: `---> USER alice` / `<--- 331 ...`) and the data
//! connections (`--explain`).
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

use ftp_core::Reply;

use crate::client::{Event, Observer};
use crate::terminal;

/// The switches for what is shown, shared by the shell and the observer.
#[derive(Default)]
pub struct Trace {
    /// Show the server's replies.
    pub verbose: Cell<bool>,
    /// Show the commands sent and the replies received, marked `--->` / `<---`.
    pub debug: Cell<bool>,
    /// Describe each data connection: who listens, who connects.
    pub explain: Cell<bool>,
    /// Print replies on stderr instead of stdout.
    replies_to_stderr: bool,
    /// Replies held back while a listing runs.
    held: RefCell<Option<Vec<String>>>,
    /// Called with every reply, e.g. by a transfer watched for Ctrl-C.
    hook: RefCell<Option<ReplyHook>>,
}

/// A function that sees every reply: see [`Trace::set_reply_hook`].
pub type ReplyHook = Box<dyn Fn(&Reply)>;

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trace")
            .field("verbose", &self.verbose)
            .field("debug", &self.debug)
            .field("explain", &self.explain)
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
            replies_to_stderr,
            held: RefCell::new(None),
            hook: RefCell::new(None),
        })
    }

    /// The observer to give the client: it prints each event as the
    /// switches say at that moment.
    pub fn observer(self: &Rc<Trace>) -> Observer {
        let trace = Rc::clone(self);
        Box::new(move |event: &Event| trace.show(event))
    }

    /// Calls `hook` with every reply received from now on (`None`: no more).
    pub fn set_reply_hook(&self, hook: Option<ReplyHook>) {
        self.hook.replace(hook);
    }

    /// From now on, keep replies instead of printing them.
    pub fn hold_replies(&self) {
        self.held.replace(Some(Vec::new()));
    }

    /// Prints the replies held so far and goes on holding the next ones.
    pub fn print_held(&self) {
        let held = self.held.borrow_mut().as_mut().map(std::mem::take);
        for reply in held.unwrap_or_default() {
            self.print_reply(&reply);
        }
    }

    /// Prints the replies held since [`Trace::hold_replies`] except the last,
    /// then calls `between`, then prints the last; printing goes on as usual.
    pub fn release_replies(&self, between: impl FnOnce()) {
        let mut held = self.held.take().unwrap_or_default();
        let last = held.pop();
        for reply in held {
            self.print_reply(&reply);
        }
        between();
        if let Some(reply) = last {
            self.print_reply(&reply);
        }
    }

    /// Prints an informational line, such as a transfer's summary, where
    /// replies go, when verbose.
    pub fn note(&self, text: &str) {
        if self.verbose.get() {
            self.print_reply(text);
        }
    }

    fn show(&self, event: &Event) {
        match event {
            Event::Sent(line) if self.debug.get() => {
                eprintln!("---> {}", terminal::escape(line.as_bytes()));
            }
            Event::Received(reply) => {
                self.reply(reply);
                if let Some(hook) = self.hook.borrow().as_ref() {
                    hook(reply);
                }
            }
            Event::Data(connection) if self.explain.get() => eprintln!("{connection}"),
            _ => {}
        }
    }

    /// Shows a reply as if it had been received now; the shell uses it for
    /// the greeting, which arrives before the observer is installed.
    pub fn reply(&self, reply: &Reply) {
        if self.debug.get() {
            for line in reply.to_string().lines() {
                eprintln!("<--- {}", terminal::escape(line.as_bytes()));
            }
        }
        if !self.verbose.get() {
            return;
        }
        let text = reply.to_string();
        match self.held.borrow_mut().as_mut() {
            Some(held) => held.push(text),
            None => self.print_reply(&text),
        }
    }

    fn print_reply(&self, text: &str) {
        let text = terminal::escape(text.as_bytes());
        if self.replies_to_stderr {
            eprintln!("{text}");
        } else {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        }
    }
}
