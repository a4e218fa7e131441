//! The columns of an `ls -l` line that formatting and parsing share: the
//! `rwx` permission groups with their special bits, and the window in which
//! a date is recent enough to show the time of day instead of the year.
//!
//! What this module does not do: lay out or split a line (`format` and
//! `parse` beside it) or turn dates into text ([`crate::protocol::time`]).

use crate::protocol::time::SECONDS_PER_DAY;

/// How old a time may be and still be shown as `HH:MM`: half a mean
/// Gregorian year, as GNU `ls` counts it.
pub(super) const SIX_MONTHS: i64 = 15_778_476;

/// How far in the future a time may be and still count as recent, in
/// `ls -l` lines and when guessing the missing year of one.
pub(super) const NEAR_FUTURE: i64 = SECONDS_PER_DAY;

/// One `rwx` group of an `ls -l` mode: where its bits are, and how its special
/// bit (setuid, setgid, sticky) shows in the `x` column.
pub(super) struct Triplet {
    /// How far the group's `rwx` bits are shifted in the mode.
    shift: u32,
    /// The special bit shown in this group's `x` column.
    special: u32,
    /// The letter for "special and executable"; upper case means special only.
    letter: u8,
}

/// The owner, group and other permission groups, in `ls -l` order.
pub(super) const TRIPLETS: [Triplet; 3] = [
    Triplet {
        shift: 6,
        special: 0o4000,
        letter: b's',
    },
    Triplet {
        shift: 3,
        special: 0o2000,
        letter: b's',
    },
    Triplet {
        shift: 0,
        special: 0o1000,
        letter: b't',
    },
];

impl Triplet {
    /// This group of `mode` as `ls -l` shows it, e.g. `r-x` or `rws`.
    pub(super) fn format(&self, mode: u32) -> [u8; 3] {
        let bits = mode >> self.shift;
        let shown = |mask: u32, letter: u8| if bits & mask != 0 { letter } else { b'-' };
        let exec = match (bits & 1 != 0, mode & self.special != 0) {
            (true, true) => self.letter,
            (false, true) => self.letter.to_ascii_uppercase(),
            (true, false) => b'x',
            (false, false) => b'-',
        };
        [shown(4, b'r'), shown(2, b'w'), exec]
    }

    /// The mode bits of one `ls -l` group such as `r-x`; `None` if it is not one.
    pub(super) fn parse(&self, text: &[u8]) -> Option<u32> {
        let &[read, write, exec] = text else {
            return None;
        };
        let read = match read {
            b'r' => 4,
            b'-' => 0,
            _ => return None,
        };
        let write = match write {
            b'w' => 2,
            b'-' => 0,
            _ => return None,
        };
        let (exec, special) = match exec {
            b'-' => (0, 0),
            b'x' => (1, 0),
            c if c == self.letter => (1, self.special),
            c if c == self.letter.to_ascii_uppercase() => (0, self.special),
            _ => return None,
        };
        Some(((read | write | exec) << self.shift) | special)
    }
}
