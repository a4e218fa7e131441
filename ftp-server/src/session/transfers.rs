//! The session's data commands: RETR, STOR, APPE, STOU, LIST, NLST, MLSD,
//! and the listings sent on the control connection (MLST, STAT with a path).
//!
//! Each transfer command checks permissions and the data setup, opens the
//! file (or renders the listing) and hands the connection a [`Transfer`]
//! with the 150 reply. Errors found here are answered at once, before any
//! data connection is opened.

use std::io::{Seek, SeekFrom};
use std::time::SystemTime;

use ftp_core::protocol::listing::{format_mlsx_line, Entry};
use ftp_core::Reply;

use super::files::fs_error;
use super::{Action, Ctx, Job, ListCommand, Outcome, Record, Session, StatusListing, Transfer};
use crate::list::{self, Format, Lines, ListArg, Listing};
use crate::quirks::Quirk;
use crate::storage::{VirtualPath, WriteMode};

impl Session {
    pub(super) fn retr(&mut self, ctx: &Ctx<'_>, arg: &[u8]) -> Outcome {
        let offset = self.rest.take().unwrap_or(0);
        let data = match self.take_data() {
            Ok(data) => data,
            Err(refused) => return refused,
        };
        let path = self.resolve(arg);
        let (mut file, meta) = match ctx.storage.open_file(&path) {
            Ok(opened) => opened,
            Err(err) => return Outcome::from(fs_error(&err)),
        };
        if offset > meta.len() {
            return Outcome::reply(
                554,
                format!("Restart offset {offset} is beyond the end of the file"),
            );
        }
        if offset > 0 {
            if let Err(err) = file.seek(SeekFrom::Start(offset)) {
                return Outcome::from(fs_error(&err));
            }
        }
        let len = meta.len() - offset;
        let text = format!(
            "Opening {} mode data connection for {path} ({len} bytes)",
            self.mode_name(),
        );
        let record = self.record(ctx, "RETR", path);
        self.start(data, Job::SendFile { file, len }, Some(record), text)
    }

    /// STOR and APPE.
    pub(super) fn stor(&mut self, ctx: &Ctx<'_>, arg: &[u8], verb: &'static str) -> Outcome {
        let offset = self.rest.take();
        let data = match self.take_data() {
            Ok(data) => data,
            Err(refused) => return refused,
        };
        if !ctx.writable {
            return Outcome::reply(550, "Permission denied: read-only account");
        }
        let path = self.resolve(arg);
        let mode = match (verb, offset) {
            ("APPE", _) => WriteMode::Append,
            (_, Some(offset)) => WriteMode::At(offset),
            (_, None) => WriteMode::Replace,
        };
        let upload = match ctx.storage.upload(&path, mode) {
            Ok(upload) => upload,
            Err(err) => return Outcome::from(fs_error(&err)),
        };
        let text = format!(
            "Opening {} mode data connection for {path}",
            self.mode_name()
        );
        let record = self.record(ctx, verb, path);
        self.start(data, Job::Receive(upload), Some(record), text)
    }

    pub(super) fn stou(&mut self, ctx: &Ctx<'_>) -> Outcome {
        self.rest = None;
        let data = match self.take_data() {
            Ok(data) => data,
            Err(refused) => return refused,
        };
        if !ctx.writable {
            return Outcome::reply(550, "Permission denied: read-only account");
        }
        let (upload, name) = match ctx.storage.upload_unique(&self.cwd) {
            Ok(created) => created,
            Err(err) => return Outcome::from(fs_error(&err)),
        };
        let path = self.resolve(&name);
        // RFC 1123 §4.1.2.9: the reply carries the name chosen.
        let text = format!("FILE: {}", String::from_utf8_lossy(&name));
        let record = self.record(ctx, "STOU", path);
        self.start(data, Job::Receive(upload), Some(record), text)
    }

    /// LIST, NLST and MLSD.
    pub(super) fn list(&mut self, ctx: &Ctx<'_>, arg: &[u8], command: ListCommand) -> Outcome {
        self.rest = None;
        let data = match self.take_data() {
            Ok(data) => data,
            Err(refused) => return refused,
        };
        let (arg, format) = match command {
            ListCommand::List => (ListArg::parse(arg), Format::Long),
            ListCommand::Nlst => (ListArg::parse(arg), Format::Names),
            // MLSD takes a directory name, never flags (RFC 3659 §7.1).
            ListCommand::Mlsd => (
                ListArg {
                    all: true,
                    path: arg,
                },
                Format::Facts(self.facts),
            ),
        };
        if command == ListCommand::Mlsd {
            match ctx.storage.metadata(&self.resolve(arg.path)) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Outcome::reply(501, "MLSD needs a directory; use MLST for a file"),
                Err(err) => return Outcome::from(fs_error(&err)),
            }
        }
        let listing = match list::list(ctx.storage, &self.cwd, &arg, format) {
            Ok(listing) => listing,
            // vsftpd's way: a missing path lists nothing.
            Err(err)
                if err.kind() == std::io::ErrorKind::NotFound
                    && command != ListCommand::Mlsd
                    && self.config.quirks.has(Quirk::EmptyListMissing) =>
            {
                Listing::empty(format)
            }
            Err(err) => return Outcome::from(fs_error(&err)),
        };
        let lines = Lines::new(
            listing,
            ctx.storage.clone(),
            ctx.writable,
            SystemTime::now(),
        );
        let text = "Opening ASCII mode data connection for file list".to_string();
        self.start(data, Job::SendListing(lines), None, text)
    }

    /// MLST: the facts of one entry on the control connection.
    pub(super) fn mlst(&mut self, ctx: &Ctx<'_>, arg: &[u8]) -> Outcome {
        let path = self.resolve(arg);
        let name = path.as_bytes().to_vec();
        match ctx.storage.metadata(&path) {
            Ok(meta) => {
                let entry = Entry::from_metadata(name, &meta);
                let line = format_mlsx_line(&entry, &self.facts, ctx.writable);
                let lines = vec![
                    format!("Listing {path}"),
                    format!(" {}", String::from_utf8_lossy(&line)),
                    "End".to_string(),
                ];
                Outcome::from(Reply::multiline(250, lines))
            }
            Err(err) => Outcome::from(fs_error(&err)),
        }
    }

    /// STAT with a path: an `ls -l` listing on the control connection, sent
    /// as it is rendered (a directory of any size costs its names, not its
    /// lines; a client that does not read holds up only its own session).
    pub(super) fn stat_path(&mut self, ctx: &Ctx<'_>, arg: &[u8]) -> Outcome {
        let arg = ListArg::parse(arg);
        match list::list(ctx.storage, &self.cwd, &arg, Format::Long) {
            Ok(listing) => {
                let lines = Lines::new(
                    listing,
                    ctx.storage.clone(),
                    ctx.writable,
                    SystemTime::now(),
                );
                Outcome {
                    reply: None,
                    action: Action::StatusListing(Box::new(StatusListing {
                        first: format!("Status of {}:", String::from_utf8_lossy(arg.path)),
                        lines,
                        last: "End of status".to_string(),
                    })),
                }
            }
            Err(err) => Outcome::from(fs_error(&err)),
        }
    }

    fn start(
        &self,
        data: super::DataSetup,
        job: Job,
        record: Option<Record>,
        text: String,
    ) -> Outcome {
        let transfer = Transfer {
            data,
            job,
            repr: self.repr,
            record,
        };
        let code = if self.config.quirks.has(Quirk::Always125) {
            125
        } else {
            150
        };
        Outcome::then(Reply::new(code, text), Action::Transfer(Box::new(transfer)))
    }

    fn record(&self, ctx: &Ctx<'_>, verb: &'static str, path: VirtualPath) -> Record {
        Record {
            verb,
            path,
            user: ctx.account.name.clone(),
            anonymous: ctx.account.anonymous,
        }
    }

    fn mode_name(&self) -> String {
        self.repr.name().to_ascii_uppercase()
    }
}
