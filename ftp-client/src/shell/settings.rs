//! The tnftp settings that the program's flags start and the shell's
//! commands change: globbing (`-g`, `glob`), prompting (`-i`, `prompt`),
//! anonymous login (`-a`), line editing (`-e`), rate limits (`-T`, `rate`),
//! EPSV/EPRT per address family (`epsv4`, `epsv6`), the restart point
//! (`restart`), the variables of `set`/`unset`, and the macros (`macdef`).
//! Packet tracing (`-t`, `trace`) is a switch of [`super::trace::Trace`].
//!
//! This module only holds values; the commands that use them live in the
//! shell's other modules.

use super::macros::Macros;
use super::rate::Rates;

/// The tnftp settings of one shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Expand wildcards in `mget`, `mput`, `mdelete`, `mls`, `mdir` (off with `-g`).
    pub glob: bool,
    /// Ask before each file of `mget`/`mput`/`mdelete` (off with `-i`).
    pub prompt: bool,
    /// `-a`: log in as `anonymous` without asking.
    pub anonymous: bool,
    /// Line editing on a terminal (off with `-e`).
    pub editing: bool,
    /// `-T`, `rate`: the transfer rate limits.
    pub rates: Rates,
    /// `epsv4`: try EPSV/EPRT on IPv4 connections.
    pub epsv4: bool,
    /// `epsv6`: try EPSV/EPRT on IPv6 connections.
    pub epsv6: bool,
    /// `restart`: the byte the next `get` or `put` starts at.
    pub restart: Option<u64>,
    /// The variables of `set`, by name, in the order they were set.
    pub variables: Vec<(String, String)>,
    /// The macros of `macdef` and of `.netrc`.
    pub macros: Macros,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            glob: true,
            prompt: true,
            anonymous: false,
            editing: true,
            rates: Rates::default(),
            epsv4: true,
            epsv6: true,
            restart: None,
            variables: vec![("anonpass".to_string(), "anonymous@".to_string())],
            macros: Macros::default(),
        }
    }
}

impl Settings {
    /// The value of the `set` variable `name`.
    pub fn variable(&self, name: &str) -> Option<&str> {
        self.variables
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.as_str())
    }

    /// `set name value`: replaces or adds the variable.
    pub fn set(&mut self, name: &str, value: &str) {
        match self.variables.iter_mut().find(|(known, _)| known == name) {
            Some((_, old)) => *old = value.to_string(),
            None => self.variables.push((name.to_string(), value.to_string())),
        }
    }

    /// `unset name`: whether there was such a variable.
    pub fn unset(&mut self, name: &str) -> bool {
        let before = self.variables.len();
        self.variables.retain(|(known, _)| known != name);
        self.variables.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_set_replaced_and_unset() {
        let mut settings = Settings::default();
        assert_eq!(settings.variable("anonpass"), Some("anonymous@"));
        settings.set("anonpass", "me@example.org");
        settings.set("pager", "less");
        assert_eq!(settings.variable("anonpass"), Some("me@example.org"));
        assert!(settings.unset("pager"));
        assert!(!settings.unset("pager"));
        assert_eq!(settings.variable("pager"), None);
    }
}
