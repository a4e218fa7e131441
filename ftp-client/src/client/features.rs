//! What a server supports, from its `FEAT` reply (RFC 2389).
//!
//! A `211` multi-line reply lists one feature per line between the first and
//! the last line, each starting with a space: a name, then optional
//! parameters (`MLST type*;size*;`). Names are matched without regard to case.
//! This module only reads the reply; it does not send `FEAT` or `OPTS`.

use ftp_core::Reply;

/// The features a server listed in its `FEAT` reply.
///
/// ```
/// use ftp_client::Features;
/// use ftp_core::Reply;
///
/// let lines = ["Extensions supported:", " MLST type*;size*;", " UTF8", "End"];
/// let reply = Reply::multiline(211, lines.map(String::from).to_vec());
/// let features = Features::from_reply(&reply);
/// assert!(features.has("mlst") && !features.has("EPSV"));
/// assert_eq!(features.params("MLST"), Some("type*;size*;"));
/// assert_eq!(features.lines(), ["MLST type*;size*;", "UTF8"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Features {
    lines: Vec<String>,
}

impl Features {
    /// The features of a `FEAT` reply: the lines between the first and the
    /// last, trimmed. A one-line reply lists none.
    pub fn from_reply(reply: &Reply) -> Features {
        let inner = match reply.lines.as_slice() {
            [_, inner @ .., _] => inner,
            _ => &[],
        };
        let lines = inner
            .iter()
            .map(|line| line.trim())
            .filter(|line| !line.is_empty())
            .map(str::to_string)
            .collect();
        Features { lines }
    }

    /// Whether the server listed the feature `name` (any case), e.g. `"MLST"`.
    pub fn has(&self, name: &str) -> bool {
        self.params(name).is_some()
    }

    /// The parameters after the feature `name`, `""` when it has none, or
    /// `None` when the server did not list it: `"type*;size*;"` for `MLST`.
    pub fn params(&self, name: &str) -> Option<&str> {
        self.lines.iter().find_map(|line| {
            let (feature, params) = line.split_once(' ').unwrap_or((line, ""));
            feature.eq_ignore_ascii_case(name).then(|| params.trim())
        })
    }

    /// The feature lines as the server sent them, without the leading space.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }
}
