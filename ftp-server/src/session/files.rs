//! The session's file-system commands: CWD, MKD, RMD, DELE, RNFR/RNTO,
//! SIZE, MDTM, MFMT and SITE (HELP, CHMOD), and the mapping of I/O errors to
//! reply codes. Every operation is the storage's ([`crate::storage`]);
//! replies name virtual paths only.

use std::io;

use ftp_core::protocol::time::{format_timestamp, DateTime};
use ftp_core::Reply;
use ftp_core::Representation;

use super::{quoted, Ctx, Outcome, Session};
use crate::quirks::Quirk;
use crate::storage::VirtualPath;

/// ENAMETOOLONG on Linux.
const NAME_TOO_LONG: i32 = 36;
/// ELOOP on Linux: a symlink loop, which no retry resolves.
const SYMLINK_LOOP: i32 = 40;

/// The reply for a failed file operation. Texts are fixed: an OS error
/// message could carry a real path.
pub(crate) fn fs_error(err: &io::Error) -> Reply {
    use io::ErrorKind as Kind;
    let (code, text) = match err.kind() {
        Kind::NotFound => (550, "No such file or directory"),
        Kind::PermissionDenied => (550, "Permission denied"),
        Kind::AlreadyExists => (550, "File exists"),
        Kind::DirectoryNotEmpty => (550, "Directory not empty"),
        Kind::IsADirectory => (550, "Is a directory"),
        Kind::NotADirectory => (550, "Not a directory"),
        Kind::Unsupported => (550, "Not a plain file"),
        Kind::StorageFull => (452, "Insufficient storage space"),
        Kind::QuotaExceeded => (552, "Storage quota exceeded"),
        Kind::FileTooLarge => (552, "File too large"),
        Kind::InvalidInput => (553, "File name not allowed"),
        _ if err.raw_os_error() == Some(NAME_TOO_LONG) => (553, "File name too long"),
        _ if err.raw_os_error() == Some(SYMLINK_LOOP) => (550, "Too many levels of symbolic links"),
        _ => (451, "Local error in processing"),
    };
    Reply::new(code, text)
}

impl Session {
    /// The virtual path `arg` names from the working directory.
    pub(super) fn resolve(&self, arg: &[u8]) -> VirtualPath {
        self.cwd.join(arg)
    }

    /// CWD and CDUP.
    pub(super) fn cwd(&mut self, ctx: &Ctx<'_>, arg: &[u8]) -> Outcome {
        let path = self.resolve(arg);
        match ctx.storage.enter(&path) {
            Ok(()) => {
                let reply = Reply::new(250, format!("Directory changed to {}", quoted(&path)));
                self.cwd = path;
                Outcome::from(reply)
            }
            Err(err) => Outcome::from(fs_error(&err)),
        }
    }

    pub(super) fn mkd(&mut self, ctx: &Ctx<'_>, arg: &[u8]) -> Outcome {
        let path = self.resolve(arg);
        self.change(ctx, || ctx.storage.create_dir(&path))
            .unwrap_or_else(|| Outcome::reply(257, format!("{} created", quoted(&path))))
    }

    pub(super) fn rmd(&mut self, ctx: &Ctx<'_>, arg: &[u8]) -> Outcome {
        let path = self.resolve(arg);
        self.change(ctx, || ctx.storage.remove_dir(&path))
            .unwrap_or_else(|| Outcome::reply(250, "Directory removed"))
    }

    pub(super) fn dele(&mut self, ctx: &Ctx<'_>, arg: &[u8]) -> Outcome {
        let path = self.resolve(arg);
        let outcome = self.change(ctx, || ctx.storage.remove_file(&path));
        if outcome.is_none() {
            let path = path.logged();
            log::info!("{}: {} deleted {path}", self.peer, ctx.account.name);
        }
        outcome.unwrap_or_else(|| Outcome::reply(250, "File deleted"))
    }

    pub(super) fn rnfr(&mut self, ctx: &Ctx<'_>, arg: &[u8]) -> Outcome {
        let path = self.resolve(arg);
        if let Some(refused) = self.change(ctx, || ctx.storage.entry_exists(&path)) {
            return refused;
        }
        self.rename_from = Some(path);
        Outcome::reply(350, "Ready for RNTO")
    }

    pub(super) fn rnto(&mut self, ctx: &Ctx<'_>, from: Option<VirtualPath>, arg: &[u8]) -> Outcome {
        let Some(from) = from else {
            return Outcome::reply(503, "Send RNFR first");
        };
        let to = self.resolve(arg);
        self.change(ctx, || ctx.storage.rename(&from, &to))
            .unwrap_or_else(|| Outcome::reply(250, "Rename successful"))
    }

    pub(super) fn size(&mut self, ctx: &Ctx<'_>, arg: &[u8]) -> Outcome {
        let path = self.resolve(arg);
        let ascii = self.repr == Representation::Ascii;
        if ascii && self.config.quirks.has(Quirk::SizeInAscii) {
            return self.size_in_ascii(ctx, &path);
        }
        match ctx.storage.metadata(&path) {
            Ok(meta) if meta.is_file() => Outcome::reply(213, meta.len().to_string()),
            Ok(_) => Outcome::reply(550, "Not a regular file"),
            Err(err) => Outcome::from(fs_error(&err)),
        }
    }

    /// `size-in-ascii`: the size a TYPE A download sends, each bare LF
    /// counted as CRLF (RFC 3659 §4), found by converting the whole file.
    fn size_in_ascii(&self, ctx: &Ctx<'_>, path: &VirtualPath) -> Outcome {
        use ftp_core::io::transfer::{copy, Direction};
        let counted = ctx.storage.open_file(path).and_then(|(mut file, _)| {
            copy(
                &mut file,
                &mut io::sink(),
                Representation::Ascii,
                Direction::Send,
                None,
            )
            .map_err(io::Error::other)
        });
        match counted {
            Ok(size) => Outcome::reply(213, size.to_string()),
            Err(err) => Outcome::from(fs_error(&err)),
        }
    }

    pub(super) fn mdtm(&mut self, ctx: &Ctx<'_>, arg: &[u8]) -> Outcome {
        let path = self.resolve(arg);
        match ctx.storage.metadata(&path).and_then(|m| m.modified()) {
            Ok(time) => Outcome::reply(213, format_timestamp(time)),
            Err(err) => Outcome::from(fs_error(&err)),
        }
    }

    pub(super) fn mfmt(&mut self, ctx: &Ctx<'_>, time: DateTime, arg: &[u8]) -> Outcome {
        let Some(when) = time.to_system_time() else {
            return Outcome::reply(
                501,
                format!("MFMT: time {time} is out of this system's range"),
            );
        };
        let path = self.resolve(arg);
        self.change(ctx, || ctx.storage.set_modified(&path, when))
            .unwrap_or_else(|| {
                Outcome::reply(213, format!("Modify={}; {path}", format_timestamp(when)))
            })
    }

    /// SITE HELP and SITE CHMOD.
    pub(super) fn site(&mut self, ctx: &Ctx<'_>, arg: &str) -> Outcome {
        let (command, rest) = arg.trim().split_once(' ').unwrap_or((arg.trim(), ""));
        match command.to_ascii_uppercase().as_str() {
            "HELP" => Outcome::reply(214, "SITE commands: CHMOD HELP"),
            "CHMOD" => self.chmod(ctx, rest.trim()),
            _ => Outcome::reply(500, format!("Unknown SITE command {command}")),
        }
    }

    fn chmod(&mut self, ctx: &Ctx<'_>, arg: &str) -> Outcome {
        let parsed = arg
            .split_once(' ')
            .and_then(|(mode, path)| Some((u32::from_str_radix(mode, 8).ok()?, path)));
        let Some((mode, path)) = parsed.filter(|&(mode, _)| mode <= 0o777) else {
            return Outcome::reply(501, "Usage: SITE CHMOD <octal mode up to 777> <path>");
        };
        let path = self.resolve(path.as_bytes());
        self.change(ctx, || ctx.storage.set_mode(&path, mode))
            .unwrap_or_else(|| Outcome::reply(200, "SITE CHMOD command successful"))
    }

    /// Runs the change `op` if the account may write; `None` on success,
    /// the refusal otherwise.
    fn change(&self, ctx: &Ctx<'_>, op: impl FnOnce() -> io::Result<()>) -> Option<Outcome> {
        if !ctx.writable {
            return Some(Outcome::reply(550, "Permission denied: read-only account"));
        }
        op().err().map(|err| Outcome::from(fs_error(&err)))
    }
}
