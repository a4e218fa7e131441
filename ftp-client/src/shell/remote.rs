//! The commands tnftp has beyond the classic set that talk to the server:
//! `account`, `mls`, `mdir`, `mlst`, `mreget`, `reput`, `newer`, `fget`,
//! `chmod`, `rhelp`, `rstatus`, `system` and `idle`.

use super::command::{ListKind, ShellCommand};
use super::transfer::{Destination, Store};
use super::{base_name, copy_listing, prompt, save_as, write_listing, Shell, ShellError};
use crate::client::Error;

impl Shell {
    /// Runs a tnftp command that talks to the server.
    pub(super) fn execute_remote(&mut self, command: ShellCommand) -> Result<(), ShellError> {
        use ShellCommand as C;
        match command {
            C::Account(password) => {
                let password = match password {
                    Some(password) => password,
                    None => {
                        let interactive = self.config.interactive;
                        prompt::ask_password(&mut self.input, "Account:", interactive)
                            .map_err(|err| ShellError::local("stdin", err))?
                            .unwrap_or_default()
                    }
                };
                self.show_reply(&format!("ACCT {password}"))
            }
            C::MultiList {
                kind,
                remotes,
                output,
            } => self.multi_list(kind, &remotes, &output),
            C::Mlst(path) => self.show_reply(&with_arg("MLST", path)),
            C::Mreget(patterns) => {
                let names = self.remote_matches(&patterns)?;
                self.for_each_confirmed("mreget", &names, |shell, remote| {
                    shell.get(remote, &Destination::Resume(save_as(remote)?.into()))
                });
                Ok(())
            }
            C::Reput { local, remote } => {
                let remote = remote.unwrap_or_else(|| base_name(&local).to_string());
                let store = match self.client()?.size(&remote) {
                    Ok(0) => Store::Replace,
                    Ok(size) => Store::At(size),
                    Err(Error::Reply(reply)) if reply.code.0 == 550 => Store::Replace,
                    Err(err) => return Err(err.into()),
                };
                self.upload(&local, &remote, store)
            }
            C::Newer { remote, local } => {
                let local = match local {
                    Some(local) => local,
                    None => save_as(&remote)?.to_string(),
                };
                self.newer(&remote, &local)
            }
            C::Fget(list) => {
                let text =
                    std::fs::read_to_string(&list).map_err(|err| ShellError::local(&list, err))?;
                let names: Vec<String> = text
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(str::to_string)
                    .collect();
                self.for_each_confirmed("fget", &names, |shell, remote| {
                    shell.get(remote, &Destination::File(save_as(remote)?.into()))
                });
                Ok(())
            }
            C::Chmod(mode, file) => {
                let reply = self.client()?.site(&format!("CHMOD {mode} {file}"))?;
                self.say(&reply.to_string());
                Ok(())
            }
            C::Rhelp(topic) => self.show_reply(&with_arg("HELP", topic)),
            C::Rstatus(path) => self.show_reply(&with_arg("STAT", path)),
            C::System => self.show_reply("SYST"),
            C::Idle(seconds) => self.idle(seconds),
            other => Err(ShellError::Local(format!("{other:?}: not a tnftp command"))),
        }
    }

    /// Sends `line` and shows the reply (in verbose mode it already was);
    /// a refusal is a failed command.
    fn show_reply(&mut self, line: &str) -> Result<(), ShellError> {
        let reply = self.client()?.raw(line)?;
        self.say(&reply.to_string());
        if reply.code.class() >= 4 {
            return Err(Error::Reply(reply).into());
        }
        Ok(())
    }

    /// `mls`/`mdir`: the listings of every remote path into one local file.
    fn multi_list(
        &mut self,
        kind: ListKind,
        remotes: &[String],
        output: &str,
    ) -> Result<(), ShellError> {
        let paths = self.remote_matches(remotes)?;
        if output == "-" {
            for path in &paths {
                write_listing(self.client()?, kind, Some(path), None)?;
            }
            return Ok(());
        }
        let mut file =
            std::fs::File::create(output).map_err(|err| ShellError::local(output, err))?;
        for path in &paths {
            copy_listing(self.client()?, kind, Some(path), &mut file)?;
        }
        Ok(())
    }

    /// `newer`: downloads `remote` unless `local` is at least as new.
    fn newer(&mut self, remote: &str, local: &str) -> Result<(), ShellError> {
        let remote_time = self.client()?.mdtm(remote)?;
        let local_time = std::fs::metadata(local)
            .and_then(|meta| meta.modified())
            .ok();
        if local_time.is_some_and(|local_time| local_time >= remote_time) {
            println!("Local file \"{local}\" is newer than remote file \"{remote}\".");
            return Ok(());
        }
        self.get(remote, &Destination::File(local.into()))
    }

    /// `idle [seconds]`: tnftp's `SITE IDLE [seconds]`, which asks the server
    /// for its inactivity timer or sets it. As in tnftp the reply is shown
    /// whatever the verbose setting (a server without `SITE IDLE` answers
    /// `500`/`502`, which is shown and fails the command).
    fn idle(&mut self, seconds: Option<u64>) -> Result<(), ShellError> {
        let line = with_arg("SITE IDLE", seconds.map(|seconds| seconds.to_string()));
        let verbose = self.trace.verbose.replace(true);
        let reply = self.client().and_then(|client| Ok(client.raw(&line)?));
        self.trace.verbose.set(verbose);
        let reply = reply?;
        if reply.code.class() >= 4 {
            return Err(ShellError::Shown);
        }
        Ok(())
    }
}

/// `COMMAND` or `COMMAND arg`.
fn with_arg(command: &str, arg: Option<String>) -> String {
    match arg {
        Some(arg) => format!("{command} {arg}"),
        None => command.to_string(),
    }
}
