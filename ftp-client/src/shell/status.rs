//! The text of `status`: what the session has negotiated with the server
//! (EPSV or PASV, EPRT or PORT, whether MLSD is offered) and the setting of
//! every toggle. Pure functions over plain values; the shell gathers them.

use std::io::{Read, Write};

use crate::client::{Client, DataMode, Features};

/// How many toggles one line of `status` shows.
const TOGGLES_PER_LINE: usize = 4;

/// What `client` has learnt about its server, in two lines.
pub fn negotiated<S: Read + Write>(client: &Client<S>) -> String {
    negotiated_text(
        client.mode(),
        client.epsv_refused(),
        client.eprt_refused(),
        client.features_known(),
    )
}

/// The data connections the next transfer uses, and what `FEAT` said.
///
/// ```
/// use ftp_client::client::DataMode;
/// use ftp_client::shell::status::negotiated_text;
///
/// let text = negotiated_text(DataMode::Passive, true, false, None);
/// assert!(text.starts_with("Data connections: passive, PASV (EPSV was refused or is off)"));
/// ```
pub fn negotiated_text(
    mode: DataMode,
    epsv_refused: bool,
    eprt_refused: bool,
    features: Option<&Features>,
) -> String {
    let data = match (mode, epsv_refused, eprt_refused) {
        (DataMode::Passive, false, _) => "passive, EPSV (PASV if the server refuses it)",
        (DataMode::Passive, true, _) => "passive, PASV (EPSV was refused or is off)",
        (DataMode::Active, _, false) => "active, EPRT (PORT if the server refuses it)",
        (DataMode::Active, _, true) => "active, PORT (EPRT was refused or is off)",
    };
    let features = match features {
        None => "not asked yet (see `features`)".to_string(),
        Some(features) => {
            let mlsd = if features.has("MLST") {
                "MLSD available"
            } else {
                "no MLSD (listings parsed from LIST)"
            };
            match features.lines() {
                [] => format!("{mlsd}; FEAT listed nothing"),
                lines => format!("{mlsd}; FEAT: {}", lines.join(", ")),
            }
        }
    };
    format!("Data connections: {data}\nServer features: {features}")
}

/// `Name: on; Name: off; ...`, a few to a line.
///
/// ```
/// let text = ftp_client::shell::status::toggles(&[("Verbose", true), ("Debug", false)]);
/// assert_eq!(text, "Verbose: on; Debug: off");
/// ```
pub fn toggles(toggles: &[(&str, bool)]) -> String {
    let lines: Vec<String> = toggles
        .chunks(TOGGLES_PER_LINE)
        .map(|chunk| {
            let items: Vec<String> = chunk
                .iter()
                .map(|(name, value)| format!("{name}: {}", if *value { "on" } else { "off" }))
                .collect();
            items.join("; ")
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftp_core::Reply;

    fn features(lines: &[&str]) -> Features {
        let mut all = vec!["Features:".to_string()];
        all.extend(lines.iter().map(|line| format!(" {line}")));
        all.push("End".to_string());
        Features::from_reply(&Reply::multiline(211, all))
    }

    #[test]
    fn the_data_connection_that_will_be_used() {
        for (mode, epsv, eprt, want) in [
            (DataMode::Passive, false, true, "passive, EPSV"),
            (DataMode::Passive, true, false, "passive, PASV"),
            (DataMode::Active, true, false, "active, EPRT"),
            (DataMode::Active, false, true, "active, PORT"),
        ] {
            let text = negotiated_text(mode, epsv, eprt, None);
            assert!(
                text.starts_with(&format!("Data connections: {want} ")),
                "{text}"
            );
            assert!(text.ends_with("Server features: not asked yet (see `features`)"));
        }
    }

    #[test]
    fn mlsd_is_reported_from_feat() {
        let with = features(&["MLST type*;size*;", "SIZE"]);
        let text = negotiated_text(DataMode::Passive, false, false, Some(&with));
        assert!(
            text.ends_with("MLSD available; FEAT: MLST type*;size*;, SIZE"),
            "{text}"
        );
        let without = features(&["SIZE"]);
        let text = negotiated_text(DataMode::Passive, false, false, Some(&without));
        assert!(text.contains("no MLSD"), "{text}");
    }

    #[test]
    fn toggles_four_to_a_line() {
        let all = [
            ("A", true),
            ("B", false),
            ("C", true),
            ("D", true),
            ("E", false),
        ];
        assert_eq!(toggles(&all), "A: on; B: off; C: on; D: on\nE: off");
    }
}
