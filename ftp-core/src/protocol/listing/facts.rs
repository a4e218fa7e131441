//! Which MLSx facts a session reports: the `OPTS MLST` selection (RFC 3659
//! §7.9) and the `MLST` line of `FEAT` (§7.8).
//!
//! What this module does not do: write the facts of an entry (that is
//! [`format_mlsx_line`](super::format_mlsx_line)) or read them back.

/// Which MLSx facts are reported (OPTS MLST selects them).
///
/// [`Facts::default`] is the set a session starts with: every supported fact
/// but `unique`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// The `type` fact: `file`, `dir`, `OS.unix=symlink`, `OS.unix=special`.
    pub kind: bool,
    /// The `size` fact, given for files only.
    pub size: bool,
    /// The `modify` fact, a time-val in UTC.
    pub modify: bool,
    /// The `perm` fact (RFC 3659 §7.5.5).
    pub perm: bool,
    /// The `unix.mode` fact, the permission bits in octal.
    pub unix_mode: bool,
    /// The `unique` fact: device and inode in hex.
    pub unique: bool,
}

/// The supported facts' names, in the order they are listed and written.
/// [`Facts::flags`] gives the matching switches.
pub(super) const FACT_NAMES: [&str; 6] = ["type", "size", "modify", "perm", "unix.mode", "unique"];

impl Facts {
    /// Parses the OPTS MLST argument (`type;size;`), ignoring unknown facts.
    ///
    /// Fact names are case-insensitive; an empty argument selects no fact at
    /// all (RFC 3659 §7.9). A name that is not supported, including one with a
    /// space in it, is ignored rather than refused.
    pub fn from_opts(arg: &str) -> Facts {
        let mut facts = Facts {
            kind: false,
            size: false,
            modify: false,
            perm: false,
            unix_mode: false,
            unique: false,
        };
        for requested in arg.split(';') {
            let known = FACT_NAMES
                .iter()
                .position(|name| name.eq_ignore_ascii_case(requested));
            if let Some(index) = known {
                *facts.flags_mut()[index] = true;
            }
        }
        facts
    }

    /// The FEAT line: `MLST type*;size*;modify*;perm*;unix.mode*;unique;`.
    ///
    /// Every supported fact is listed, with `*` after the selected ones
    /// (RFC 3659 §7.8). The line has no leading space: the one space that
    /// starts every feature line belongs to the server's FEAT reply, like the
    /// space before `SIZE` or `UTF8`.
    pub fn feat_line(&self) -> String {
        let listed: String = FACT_NAMES
            .iter()
            .zip(self.flags())
            .map(|(name, on)| format!("{name}{};", if on { "*" } else { "" }))
            .collect();
        format!("MLST {listed}")
    }

    /// The text of the `200` reply to OPTS MLST: `MLST OPTS type;size;`, or
    /// `MLST OPTS` alone when no fact is selected (RFC 3659 §7.9.1).
    pub fn opts_reply(&self) -> String {
        let selected: String = FACT_NAMES
            .iter()
            .zip(self.flags())
            .filter(|&(_, on)| on)
            .map(|(name, _)| format!("{name};"))
            .collect();
        if selected.is_empty() {
            "MLST OPTS".to_owned()
        } else {
            format!("MLST OPTS {selected}")
        }
    }

    /// The switches in [`FACT_NAMES`] order.
    pub(super) fn flags(&self) -> [bool; 6] {
        [
            self.kind,
            self.size,
            self.modify,
            self.perm,
            self.unix_mode,
            self.unique,
        ]
    }

    /// The switches in [`FACT_NAMES`] order, to set them.
    fn flags_mut(&mut self) -> [&mut bool; 6] {
        [
            &mut self.kind,
            &mut self.size,
            &mut self.modify,
            &mut self.perm,
            &mut self.unix_mode,
            &mut self.unique,
        ]
    }
}

impl Default for Facts {
    fn default() -> Self {
        Facts {
            kind: true,
            size: true,
            modify: true,
            perm: true,
            unix_mode: true,
            unique: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opts_selects_facts_case_insensitively_and_ignores_unknown_ones() {
        let facts = Facts::from_opts("Type;UNIX.mode;Perm;");
        assert_eq!(
            (
                facts.kind,
                facts.size,
                facts.modify,
                facts.perm,
                facts.unix_mode,
                facts.unique
            ),
            (true, false, false, true, true, false)
        );
        // RFC 3659 §7.9.2: unsupported facts are simply not selected.
        assert_eq!(
            Facts::from_opts("lang;type;charset;create;").opts_reply(),
            "MLST OPTS type;"
        );
        assert_eq!(
            Facts::from_opts("size;frogs;").opts_reply(),
            "MLST OPTS size;"
        );
        assert_eq!(Facts::from_opts("fish;cakes;").opts_reply(), "MLST OPTS");
        assert_eq!(Facts::from_opts("").opts_reply(), "MLST OPTS");
        assert_eq!(
            Facts::from_opts("size;unique").opts_reply(),
            "MLST OPTS size;unique;"
        );
    }

    #[test]
    fn feat_line_lists_every_fact_and_stars_the_selected() {
        assert_eq!(
            Facts::default().feat_line(),
            "MLST type*;size*;modify*;perm*;unix.mode*;unique;"
        );
        assert_eq!(
            Facts::from_opts("unique;modify;").feat_line(),
            "MLST type;size;modify*;perm;unix.mode;unique*;"
        );
        assert_eq!(
            Facts::from_opts("").feat_line(),
            "MLST type;size;modify;perm;unix.mode;unique;"
        );
    }
}
