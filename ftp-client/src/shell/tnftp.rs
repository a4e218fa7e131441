//! The commands tnftp has beyond the classic set that change settings or
//! run locally: `lpwd`, `!`, `glob`, `progress`, `trace`, `epsv*`, `rate`,
//! `restart`, `set`/`unset`, `idle`, `mode`/`struct`/`form`, `macdef` and
//! `$`. Commands that talk to the server are in [`super::remote`]; this
//! module dispatches to them too.

use std::process::Command;

use super::command::{EpsvFamily, Parameter, ShellCommand, Toggle};
use super::transfer::{Destination, Store};
use super::{on_off, prompt, Shell, ShellError};

impl Shell {
    /// Runs a command of tnftp's larger set.
    pub(super) fn execute_tnftp(&mut self, command: ShellCommand) -> Result<(), ShellError> {
        use ShellCommand as C;
        match command {
            C::Lpwd => {
                let dir = std::env::current_dir().map_err(|err| ShellError::local(".", err))?;
                println!("Local directory: {}", dir.display());
                Ok(())
            }
            C::Local(line) => local_command(&line),
            C::Glob(toggle) => {
                let glob = &mut self.config.settings.glob;
                *glob = toggle.apply(*glob);
                println!("Globbing {}.", on_off(*glob));
                Ok(())
            }
            C::Progress(toggle) => {
                self.config.meter = toggle.apply(self.config.meter);
                println!("Progress bar {}.", on_off(self.config.meter));
                Ok(())
            }
            C::Trace(toggle) => {
                let packets = toggle.apply(self.trace.packets.get());
                self.trace.packets.set(packets);
                println!("Packet tracing {}.", on_off(packets));
                Ok(())
            }
            C::Epsv(family, toggle) => {
                self.epsv(family, toggle);
                Ok(())
            }
            C::Rate(change) => {
                if let Some((direction, Some(limit))) = change {
                    self.config.settings.rates.set(direction, limit);
                }
                println!("{}", self.config.settings.rates.describe());
                Ok(())
            }
            C::Restart(marker) => {
                if let Some(marker) = marker {
                    self.config.settings.restart = (marker > 0).then_some(marker);
                }
                match self.config.settings.restart {
                    Some(marker) => println!(
                        "Restarting at {marker}. Execute get, put or append to initiate transfer"
                    ),
                    None => println!("No restart point set."),
                }
                Ok(())
            }
            C::Set(None) => {
                for (name, value) in &self.config.settings.variables {
                    println!("{name}\t{value}");
                }
                Ok(())
            }
            C::Set(Some((name, Some(value)))) => {
                self.config.settings.set(&name, &value);
                Ok(())
            }
            C::Set(Some((name, None))) => {
                let value = self.config.settings.variable(&name).unwrap_or("");
                println!("{name}\t{value}");
                Ok(())
            }
            C::Unset(name) => match self.config.settings.unset(&name) {
                true => Ok(()),
                false => Err(ShellError::Local(format!("{name}: no such option"))),
            },
            C::Parameter(parameter, value) => self::parameter(parameter, value.as_deref()),
            C::Macdef(None) => {
                for name in self.config.settings.macros.names() {
                    println!("{name}");
                }
                Ok(())
            }
            C::Macdef(Some(name)) => self.macdef(&name),
            C::RunMacro(name, args) => self.run_macro(&name, &args),
            other => self.execute_remote(other),
        }
    }

    /// The `restart` point applied to a download into a file, then forgotten.
    pub(super) fn restarted(&mut self, destination: &Destination) -> Destination {
        match (self.config.settings.restart.take(), destination) {
            (Some(marker), Destination::File(path)) => Destination::At(path.clone(), marker),
            _ => destination.clone(),
        }
    }

    /// How `put` (or `append`) stores: from the `restart` point if one is
    /// set (then forgotten).
    pub(super) fn store(&mut self, append: bool) -> Store {
        match (self.config.settings.restart.take(), append) {
            (Some(marker), _) => Store::At(marker),
            (None, true) => Store::Append,
            (None, false) => Store::Replace,
        }
    }

    /// `epsv`, `epsv4`, `epsv6`: the setting, applied to the open session.
    fn epsv(&mut self, family: EpsvFamily, toggle: Toggle) {
        let settings = &mut self.config.settings;
        if family != EpsvFamily::V6 {
            settings.epsv4 = toggle.apply(settings.epsv4);
        }
        if family != EpsvFamily::V4 {
            settings.epsv6 = toggle.apply(settings.epsv6);
        }
        let (v4, v6) = (settings.epsv4, settings.epsv6);
        match family {
            EpsvFamily::Both => {
                println!("EPSV/EPRT on IPv4 {}, on IPv6 {}.", on_off(v4), on_off(v6))
            }
            EpsvFamily::V4 => println!("EPSV/EPRT on IPv4 {}.", on_off(v4)),
            EpsvFamily::V6 => println!("EPSV/EPRT on IPv6 {}.", on_off(v6)),
        }
        self.apply_epsv();
    }

    /// Tells the session's client whether to try EPSV/EPRT, as the setting
    /// for its address family says.
    pub(super) fn apply_epsv(&mut self) {
        let (v4, v6) = (self.config.settings.epsv4, self.config.settings.epsv6);
        if let Some(session) = self.session.as_mut() {
            let extended = if session.client.peer_addr().is_ipv4() {
                v4
            } else {
                v6
            };
            session.client.set_extended(extended);
        }
    }

    /// `macdef name`: the following lines, up to an empty one, are the macro.
    fn macdef(&mut self, name: &str) -> Result<(), ShellError> {
        if self.config.interactive {
            println!("Enter macro line by line, terminating it with a null line.");
        }
        let mut lines = Vec::new();
        while let Some(line) =
            prompt::read_line(&mut self.input).map_err(|err| ShellError::local("stdin", err))?
        {
            if line.trim().is_empty() {
                break;
            }
            lines.push(line);
        }
        self.config.settings.macros.define(name, lines);
        Ok(())
    }

    /// `$ name args`: runs each line of the macro as a command.
    fn run_macro(&mut self, name: &str, args: &[String]) -> Result<(), ShellError> {
        let lines = self
            .config
            .settings
            .macros
            .expand(name, args)
            .ok_or_else(|| ShellError::Local(format!("{name}: no such macro")))?;
        for line in lines {
            self.trace.note(&line);
            match ShellCommand::parse(&line) {
                Ok(Some(command)) => self.attempt(command),
                Ok(None) => {}
                Err(err) => self.report(&err.into()),
            }
        }
        Ok(())
    }

    /// After an auto-login: the host's `.netrc` macros become known, and the
    /// one called `init` runs.
    pub(super) fn run_init_macro(&mut self, host: &str) {
        let Some(entry) = self.netrc_entry(host) else {
            return;
        };
        for (name, lines) in entry.macros {
            self.config.settings.macros.define(&name, lines);
        }
        if self
            .config
            .settings
            .macros
            .names()
            .any(|name| name == "init")
        {
            if let Err(err) = self.run_macro("init", &[]) {
                self.report(&err);
            }
        }
    }
}

/// `!command`: runs it with `sh -c` (an interactive `$SHELL` when empty);
/// a command that fails is a failed shell command.
fn local_command(line: &str) -> Result<(), ShellError> {
    let mut command = if line.is_empty() {
        Command::new(std::env::var("SHELL").unwrap_or_else(|_| "sh".to_string()))
    } else {
        let mut command = Command::new("sh");
        command.args(["-c", line]);
        command
    };
    let status = command
        .status()
        .map_err(|err| ShellError::local(&format!("!{line}"), err))?;
    if status.success() {
        Ok(())
    } else {
        Err(ShellError::Local(format!("!{line}: {status}")))
    }
}

/// `mode`, `struct`, `form`: only stream mode, file structure and
/// non-print format exist here, as in tnftp.
fn parameter(parameter: Parameter, value: Option<&str>) -> Result<(), ShellError> {
    let only = parameter.only_value();
    let name = match parameter {
        Parameter::Mode => "mode",
        Parameter::Struct => "structure",
        Parameter::Form => "format",
    };
    match value {
        Some(value) if !value.eq_ignore_ascii_case(only) => Err(ShellError::Local(format!(
            "{value}: we only support {only} {name}, sorry"
        ))),
        _ => {
            println!("Using {only} {name} to transfer files.");
            Ok(())
        }
    }
}
