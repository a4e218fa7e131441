//! Which remote files a pattern names, for `mget`, `mreget`, `mdelete`,
//! `mls` and `mdir`, and the entries `mlsd` shows, with fallbacks for
//! servers that lack a listing command.
//!
//! Names come from `NLST` of the pattern's directory; a server without NLST
//! (one that answers `500` or `502`) is asked for entries instead (MLSD, or
//! parsed LIST lines, as [`Client::entries`] chooses). A pattern with
//! wildcards never matches a directory: the entries of the directory, where
//! the server gives them, tell which names to skip. With globbing off
//! (`-g`, `glob`) a pattern is a name.

use ftp_core::protocol::listing::EntryKind;

use super::secure::Control;
use super::{glob, Shell, ShellError};
use crate::client::{Client, Entry, Error};

/// Whether the server's refusal says it does not have the command.
fn unsupported(err: &Error) -> bool {
    matches!(err, Error::Reply(reply) if matches!(reply.code.0, 500 | 502))
}

/// The entries of `path` for `mlsd`: MLSD, or parsed LIST lines where the
/// server has no MLSD (vsftpd).
pub(super) fn machine_entries(
    client: &mut Client<Control>,
    path: Option<&str>,
) -> Result<Vec<Entry>, Error> {
    match client.mlsd(path) {
        Err(err) if unsupported(&err) => client.entries(path),
        result => result,
    }
}

/// An entry's name as text.
fn entry_name(entry: &Entry) -> String {
    String::from_utf8_lossy(&entry.name).into_owned()
}

impl Shell {
    /// The remote names the patterns stand for: a pattern with wildcards is
    /// matched against the names in its directory (directories left out);
    /// one without, or any with globbing off, stands for itself.
    pub(super) fn remote_matches(
        &mut self,
        patterns: &[String],
    ) -> Result<Vec<String>, ShellError> {
        let mut names = Vec::new();
        for pattern in patterns {
            if !self.config.settings.glob || !glob::has_wildcards(pattern) {
                names.push(pattern.clone());
                continue;
            }
            let (dir, _) = glob::split_dir(pattern);
            let client = self.client()?;
            let (listing, directories) = match client.nlst(dir) {
                Ok(listing) => {
                    // Only to tell directories apart; a server that cannot
                    // say leaves them in, and their RETR fails.
                    let directories = client
                        .entries(dir)
                        .map(|entries| directory_names(&entries))
                        .unwrap_or_default();
                    (listing, directories)
                }
                Err(err) if unsupported(&err) => {
                    let entries = client.entries(dir)?;
                    let listing = entries.iter().map(entry_name).collect();
                    (listing, directory_names(&entries))
                }
                Err(err) => return Err(err.into()),
            };
            let found: Vec<String> = glob::filter_remote(pattern, &listing)
                .into_iter()
                .filter(|path| !directories.iter().any(|dir| dir == glob::split_dir(path).1))
                .collect();
            if found.is_empty() {
                self.report(&ShellError::Local(format!(
                    "{pattern}: no remote file matches"
                )));
            }
            names.extend(found);
        }
        Ok(names)
    }
}

/// The names of the entries that are directories.
fn directory_names(entries: &[Entry]) -> Vec<String> {
    entries
        .iter()
        .filter(|entry| entry.kind == EntryKind::Dir)
        .map(entry_name)
        .collect()
}
