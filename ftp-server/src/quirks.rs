//! `--quirk NAME[,NAME...]`: the server misbehaves on purpose, for testing
//! clients against the odd servers they will meet.
//!
//! [`Quirks`] is the checked set of quirks the option names; [`Quirk`] one
//! of them. Each is off by default. The set is parsed here, once, and then
//! only asked: the session asks it which reply to send (`no-epsv`,
//! `size-in-ascii`, `pasv-bad-ip`...), the connection how to write a reply
//! ([`Quirks::write_reply`]: `multiline-*`, `slow-replies`, `split-replies`),
//! and the transfer how to run (`150-after-data`, `226-before-close`,
//! `drop-data`). The server announces the set at start-up (a warning) and in
//! its greeting ([`Quirks::greeting_lines`]).
//!
//! What it does not do: decide anything about a session itself, read any
//! other option, or change the one reply written as it is rendered (the
//! listing of `STAT` with a path). `ftp-server/README.md` has the table of quirks with
//! the real servers each imitates.

use std::fmt;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::time::Duration;

use ftp_core::Reply;

/// The address `pasv-bad-ip` puts in 227 replies: TEST-NET-1 (RFC 5737),
/// which is nobody's, standing for the private address a server behind NAT
/// advertises when it is not told its public one.
pub const BAD_PASV_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

/// How many bytes `split-replies` writes at a time.
const SPLIT_BYTES: usize = 3;

/// The pause between two pieces of a split reply, so that they reach the
/// client as separate segments.
const SPLIT_PAUSE: Duration = Duration::from_millis(2);

/// One way of misbehaving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quirk {
    /// `227` names an address that is not the server's ([`BAD_PASV_IP`]).
    PasvBadIp,
    /// `EPSV` is an unknown command (`500`), and not in `FEAT`.
    NoEpsv,
    /// `EPRT` is an unknown command (`500`), and not in `FEAT`.
    NoEprt,
    /// `MLSD` and `MLST` are unknown commands (`500`), and not in `FEAT`.
    NoMlsd,
    /// `FEAT` is an unknown command (`500`).
    NoFeat,
    /// The `227` text in lower case: `227 entering passive mode (...)`.
    Lowercase227,
    /// The `227` address without parentheses.
    Pasv227NoParens,
    /// The last line of a multi-line reply has another code than the first.
    MultilineMismatch,
    /// A multi-line reply has a middle line that starts with digits.
    MultilineDigits,
    /// Every reply waits this long before it is written.
    SlowReplies(Duration),
    /// Every reply is written a few bytes at a time.
    SplitReplies,
    /// The `150` is sent only once the data connection is open.
    PreliminaryAfterData,
    /// The final `226` is sent before the data connection is closed.
    FinalBeforeClose,
    /// No final reply after a transfer.
    NoFinal,
    /// A download's data connection is closed after this many bytes, and
    /// the transfer is answered as if complete.
    DropData(u64),
    /// `SIZE` in `TYPE A` counts the CR a transfer adds before each LF.
    SizeInAscii,
    /// `LIST` or `NLST` of a missing path: an empty listing and `226`.
    EmptyListMissing,
    /// `ABOR` during a transfer: `226` alone, without the transfer's `426`.
    Abor226Only,
    /// `125` instead of `150` before every transfer.
    Always125,
}

/// The quirks' names, each with the placeholder of its value if it takes one.
const NAMES: &[(&str, Option<&str>)] = &[
    ("pasv-bad-ip", None),
    ("no-epsv", None),
    ("no-eprt", None),
    ("no-mlsd", None),
    ("no-feat", None),
    ("lowercase-227", None),
    ("227-no-parens", None),
    ("multiline-mismatch", None),
    ("multiline-digits", None),
    ("slow-replies", Some("MS")),
    ("split-replies", None),
    ("150-after-data", None),
    ("226-before-close", None),
    ("no-226", None),
    ("drop-data", Some("BYTES")),
    ("size-in-ascii", None),
    ("empty-list-missing", None),
    ("abor-226-only", None),
    ("125-always", None),
];

impl Quirk {
    /// The quirk's name as the option spells it (without its value).
    pub fn name(self) -> &'static str {
        let index = match self {
            Quirk::PasvBadIp => 0,
            Quirk::NoEpsv => 1,
            Quirk::NoEprt => 2,
            Quirk::NoMlsd => 3,
            Quirk::NoFeat => 4,
            Quirk::Lowercase227 => 5,
            Quirk::Pasv227NoParens => 6,
            Quirk::MultilineMismatch => 7,
            Quirk::MultilineDigits => 8,
            Quirk::SlowReplies(_) => 9,
            Quirk::SplitReplies => 10,
            Quirk::PreliminaryAfterData => 11,
            Quirk::FinalBeforeClose => 12,
            Quirk::NoFinal => 13,
            Quirk::DropData(_) => 14,
            Quirk::SizeInAscii => 15,
            Quirk::EmptyListMissing => 16,
            Quirk::Abor226Only => 17,
            Quirk::Always125 => 18,
        };
        NAMES[index].0
    }

    /// Parses `NAME` or `NAME=VALUE`.
    fn parse(spec: &str) -> Result<Quirk, String> {
        let (name, value) = match spec.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (spec, None),
        };
        let Some(&(_, placeholder)) = NAMES.iter().find(|(known, _)| *known == name) else {
            return Err(format!("unknown quirk {name:?}"));
        };
        let number = |value: Option<&str>| {
            value.and_then(|v| v.parse::<u64>().ok()).ok_or_else(|| {
                format!(
                    "{name} needs a whole number: {name}={}",
                    placeholder.unwrap_or("N")
                )
            })
        };
        if placeholder.is_none() && value.is_some() {
            return Err(format!("{name} takes no value"));
        }
        Ok(match name {
            "pasv-bad-ip" => Quirk::PasvBadIp,
            "no-epsv" => Quirk::NoEpsv,
            "no-eprt" => Quirk::NoEprt,
            "no-mlsd" => Quirk::NoMlsd,
            "no-feat" => Quirk::NoFeat,
            "lowercase-227" => Quirk::Lowercase227,
            "227-no-parens" => Quirk::Pasv227NoParens,
            "multiline-mismatch" => Quirk::MultilineMismatch,
            "multiline-digits" => Quirk::MultilineDigits,
            "slow-replies" => Quirk::SlowReplies(Duration::from_millis(number(value)?)),
            "split-replies" => Quirk::SplitReplies,
            "150-after-data" => Quirk::PreliminaryAfterData,
            "226-before-close" => Quirk::FinalBeforeClose,
            "no-226" => Quirk::NoFinal,
            "drop-data" => Quirk::DropData(number(value)?),
            "size-in-ascii" => Quirk::SizeInAscii,
            "empty-list-missing" => Quirk::EmptyListMissing,
            "abor-226-only" => Quirk::Abor226Only,
            _ => Quirk::Always125,
        })
    }
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quirk::SlowReplies(wait) => write!(f, "{}={}", self.name(), wait.as_millis()),
            Quirk::DropData(bytes) => write!(f, "{}={bytes}", self.name()),
            other => f.write_str(other.name()),
        }
    }
}

/// The quirks the server was told to have; empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quirks(Vec<Quirk>);

impl Quirks {
    /// Parses the values of every `--quirk` option, each a comma-separated
    /// list; a quirk named twice counts once (the last value wins).
    ///
    /// # Errors
    ///
    /// A one-line message naming the bad quirk and the valid ones.
    pub fn parse(values: &[String]) -> Result<Quirks, String> {
        let mut quirks = Quirks::default();
        for spec in values.iter().flat_map(|value| value.split(',')) {
            let spec = spec.trim();
            if spec.is_empty() {
                continue;
            }
            let quirk = Quirk::parse(spec)
                .map_err(|err| format!("--quirk: {err}; valid quirks: {}", valid()))?;
            quirks.0.retain(|known| known.name() != quirk.name());
            quirks.0.push(quirk);
        }
        Ok(quirks)
    }

    /// Whether no quirk is on.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `quirk` is on (for a quirk with a value, with that value).
    pub fn has(&self, quirk: Quirk) -> bool {
        self.0.contains(&quirk)
    }

    /// The pause of `slow-replies`, if on.
    pub fn slow_replies(&self) -> Option<Duration> {
        self.0.iter().find_map(|quirk| match quirk {
            Quirk::SlowReplies(wait) => Some(*wait),
            _ => None,
        })
    }

    /// The byte count of `drop-data`, if on.
    pub fn drop_data(&self) -> Option<u64> {
        self.0.iter().find_map(|quirk| match quirk {
            Quirk::DropData(bytes) => Some(*bytes),
            _ => None,
        })
    }

    /// The greeting's first lines naming the quirks (none when there are none).
    pub fn greeting_lines(&self) -> Vec<String> {
        if self.is_empty() {
            return Vec::new();
        }
        vec![
            format!("Quirks on, for testing clients: {self}"),
            "This server misbehaves on purpose.".to_string(),
        ]
    }

    /// The text of a `227` reply, as the quirks change it.
    pub fn pasv_text(&self, text: String) -> String {
        let text = if self.has(Quirk::Pasv227NoParens) {
            text.replace(['(', ')'], "")
        } else {
            text
        };
        if self.has(Quirk::Lowercase227) {
            text.to_lowercase()
        } else {
            text
        }
    }

    /// Writes `reply` to `out` as the quirks want it written: after a pause
    /// (`slow-replies`), with an extra middle line that starts with the code
    /// (`multiline-digits`), with another code on its last line
    /// (`multiline-mismatch`), a few bytes at a time (`split-replies`).
    ///
    /// # Errors
    ///
    /// A write error.
    pub fn write_reply(&self, out: &mut dyn Write, reply: &Reply) -> io::Result<()> {
        if let Some(wait) = self.slow_replies() {
            std::thread::sleep(wait);
        }
        let wire = self.wire(reply);
        if self.has(Quirk::SplitReplies) {
            for piece in wire.chunks(SPLIT_BYTES) {
                out.write_all(piece)?;
                out.flush()?;
                std::thread::sleep(SPLIT_PAUSE);
            }
        } else {
            out.write_all(&wire)?;
        }
        out.flush()
    }

    /// The reply's bytes with the multi-line quirks applied.
    fn wire(&self, reply: &Reply) -> Vec<u8> {
        let mut wire = reply.to_wire();
        if reply.lines.len() < 2 {
            return wire;
        }
        let code = reply.code.0;
        if self.has(Quirk::MultilineDigits) {
            // After the first line: `211-...`, as Pure-FTPd repeats the
            // code on every line of its greeting (RFC 959 §4.2 allows it).
            let first_end = wire
                .windows(2)
                .position(|pair| pair == b"\r\n")
                .map_or(wire.len(), |at| at + 2);
            let extra = format!("{code}-this middle line starts with digits\r\n");
            wire.splice(first_end..first_end, extra.into_bytes());
        }
        if self.has(Quirk::MultilineMismatch) {
            // The last line is `ddd text\r\n`: its code becomes another one.
            let last_start = wire[..wire.len() - 2]
                .windows(2)
                .rposition(|pair| pair == b"\r\n")
                .map_or(0, |at| at + 2);
            let other = if code % 10 == 9 { code - 1 } else { code + 1 };
            wire[last_start..last_start + 3].copy_from_slice(other.to_string().as_bytes());
        }
        wire
    }
}

impl fmt::Display for Quirks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.0.iter().map(Quirk::to_string).collect();
        f.write_str(&names.join(","))
    }
}

/// The valid quirks, for error messages: `pasv-bad-ip, ..., slow-replies=MS, ...`.
fn valid() -> String {
    let names: Vec<String> = NAMES
        .iter()
        .map(|(name, value)| match value {
            Some(value) => format!("{name}={value}"),
            None => name.to_string(),
        })
        .collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(values: &[&str]) -> Result<Quirks, String> {
        let values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
        Quirks::parse(&values)
    }

    #[test]
    fn every_name_parses_to_its_quirk_and_back() {
        for (name, value) in NAMES {
            let spec = match value {
                Some(_) => format!("{name}=7"),
                None => name.to_string(),
            };
            let quirks = parse(&[&spec]).expect(name);
            assert_eq!(quirks.to_string(), spec);
        }
    }

    #[test]
    fn lists_and_repeated_options_add_up() {
        let quirks =
            parse(&["no-epsv,slow-replies=5", "pasv-bad-ip", "slow-replies=9"]).expect("valid");
        assert!(quirks.has(Quirk::NoEpsv) && quirks.has(Quirk::PasvBadIp));
        assert_eq!(quirks.slow_replies(), Some(Duration::from_millis(9)));
        assert_eq!(quirks.drop_data(), None);
        assert!(parse(&[]).expect("none").is_empty());
    }

    #[test]
    fn errors_are_one_line_and_name_the_valid_quirks() {
        for bad in [
            "no-such",
            "drop-data",
            "drop-data=x",
            "no-epsv=1",
            "slow-replies=-1",
        ] {
            let err = parse(&[bad]).expect_err(bad);
            assert!(
                err.starts_with("--quirk: ") && err.contains("valid quirks: pasv-bad-ip,"),
                "{err}"
            );
            assert!(
                err.contains("drop-data=BYTES") && !err.contains('\n'),
                "{err}"
            );
        }
    }

    fn written(quirks: &[&str], reply: &Reply) -> String {
        let mut out = Vec::new();
        parse(quirks)
            .expect("valid")
            .write_reply(&mut out, reply)
            .expect("written");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn multiline_quirks_change_only_multiline_replies() {
        let reply = Reply::multiline(211, vec!["Features:".into(), " EPSV".into(), "End".into()]);
        assert_eq!(
            written(&["multiline-digits"], &reply),
            "211-Features:\r\n211-this middle line starts with digits\r\n EPSV\r\n211 End\r\n"
        );
        assert_eq!(
            written(&["multiline-mismatch"], &reply),
            "211-Features:\r\n EPSV\r\n212 End\r\n"
        );
        let single = Reply::new(200, "OK");
        assert_eq!(
            written(&["multiline-mismatch", "multiline-digits"], &single),
            "200 OK\r\n"
        );
    }

    #[test]
    fn split_replies_write_the_same_bytes() {
        let reply = Reply::new(200, "NOOP ok");
        assert_eq!(written(&["split-replies"], &reply), "200 NOOP ok\r\n");
    }

    #[test]
    fn the_227_text_changes_as_asked() {
        let text = || "Entering Passive Mode (127,0,0,1,4,1).".to_string();
        let quirks = parse(&["lowercase-227,227-no-parens"]).expect("valid");
        assert_eq!(
            quirks.pasv_text(text()),
            "entering passive mode 127,0,0,1,4,1."
        );
        assert_eq!(Quirks::default().pasv_text(text()), text());
    }
}
