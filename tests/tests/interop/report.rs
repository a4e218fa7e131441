//! The matrix as text: the peers' versions, one table per direction (rows =
//! peer × operation, columns = family × mode), numbered notes for the reasons
//! behind `n/a`, `FAIL` and third-party cells, and the evidence of each
//! failure and known bug. The same Markdown is printed by the test and
//! written to `docs/interop.md`.
//!
//! It does not run anything but the peers' `--version`.

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::SystemTime;

use ftp_core::protocol::time::DateTime;

use crate::matrix::{Cell, Family, Mode, Op, Outcome};

/// How many lines of evidence a failure shows in the document.
const EVIDENCE_LINES: usize = 60;

/// The first non-empty line a version command prints (stdout, else
/// stderr), or `unknown`.
pub fn first_line(mut command: Command) -> String {
    let output = command.stdin(Stdio::null()).output();
    let Ok(output) = output else {
        return "unknown (not installed)".into();
    };
    [output.stdout, output.stderr]
        .iter()
        .flat_map(|bytes| {
            String::from_utf8_lossy(bytes)
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|line| line.trim().to_string())
        .find(|line| !line.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The numbered notes of a document: each distinct reason gets one number.
#[derive(Default)]
pub struct Notes {
    entries: Vec<Note>,
}

/// One numbered note.
struct Note {
    text: String,
    evidence: Option<String>,
}

impl Notes {
    /// The number of `text` (with `evidence`, shown once), adding it if new.
    fn number(&mut self, text: String, evidence: Option<&str>) -> usize {
        if let Some(index) = self.entries.iter().position(|note| note.text == text) {
            return index + 1;
        }
        self.entries.push(Note {
            text,
            evidence: evidence.map(str::to_owned),
        });
        self.entries.len()
    }

    /// The notes as a numbered list; evidence in collapsed blocks.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (index, note) in self.entries.iter().enumerate() {
            let _ = writeln!(out, "{}. {}", index + 1, note.text);
            if let Some(evidence) = &note.evidence {
                let _ = writeln!(out, "{}", evidence_block(evidence));
            }
        }
        out
    }
}

/// The last lines of `text` in a collapsed block, indented to sit inside a
/// numbered list item.
pub fn evidence_block(text: &str) -> String {
    format!(
        "   <details><summary>evidence</summary>\n\n   ```text\n{}   ```\n   </details>",
        indent(&tail(text, EVIDENCE_LINES))
    )
}

/// The last `count` lines of `text`.
fn tail(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(count);
    let mut out = String::new();
    if start > 0 {
        let _ = writeln!(out, "[{start} earlier lines left out]");
    }
    for line in &lines[start..] {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// `text` indented by three spaces (inside a list item).
fn indent(text: &str) -> String {
    text.lines().map(|line| format!("   {line}\n")).collect()
}

/// What one cell shows, numbering its reason in `notes`; `place` names the
/// cell in the note.
pub fn mark(outcome: &Outcome, place: &str, notes: &mut Notes) -> String {
    match outcome {
        Outcome::Pass => "pass".into(),
        Outcome::NotApplicable(reason) => {
            format!("n/a ({})", notes.number(format!("n/a: {reason}"), None))
        }
        Outcome::Fail { reason, evidence } => {
            let text = format!("**FAIL** {place}: {reason}");
            format!("**FAIL** ({})", notes.number(text, Some(evidence)))
        }
        Outcome::ThirdParty { bug, evidence } => {
            let text = format!("third-party bug, {place}: {}", bug.cause);
            format!("3rd-party bug ({})", notes.number(text, Some(evidence)))
        }
    }
}

/// A Markdown table: a header row of `columns`, then `rows` of cells.
pub fn grid(columns: &[String], rows: &[Vec<String>]) -> String {
    let mut out = format!("{}|", grid_row(columns));
    out.push_str(&"---|".repeat(columns.len()));
    out.push('\n');
    for row in rows {
        out.push_str(&grid_row(row));
    }
    out
}

/// One row of a Markdown table; a `|` inside a cell (even in code) is
/// escaped so that it does not split the cell.
fn grid_row(cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|cell| cell.replace('|', "\\|")).collect();
    format!("| {} |\n", cells.join(" | "))
}

/// A table of `cells`: one row per peer (in `peers` order) and operation (in
/// `ops` order), one column per family × mode.
pub fn table(cells: &[Cell], peers: &[&str], ops: &[Op], notes: &mut Notes) -> String {
    let mut columns = vec!["peer".to_string(), "operation".to_string()];
    for family in Family::ALL {
        for mode in Mode::ALL {
            columns.push(format!("{family} {mode}"));
        }
    }
    let mut rows = Vec::new();
    for &peer in peers {
        for &op in ops {
            let mut row = vec![peer.to_string(), op.to_string()];
            for family in Family::ALL {
                for mode in Mode::ALL {
                    let found = cells.iter().find(|cell| {
                        (cell.peer, cell.family, cell.mode, cell.op) == (peer, family, mode, op)
                    });
                    let place = format!("{peer} × {family} {mode} × {op}");
                    row.push(found.map_or_else(
                        || "missing".into(),
                        |cell| mark(&cell.outcome, &place, notes),
                    ));
                }
            }
            rows.push(row);
        }
    }
    grid(&columns, &rows)
}

/// A table of peer names and versions.
pub fn versions(rows: &[(&str, String)]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|(name, version)| vec![name.to_string(), version.clone()])
        .collect();
    grid(&["program".into(), "version".into()], &rows)
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let date = DateTime::from_system_time(SystemTime::now());
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_cells_escape_pipes() {
        let text = grid(
            &["a".into(), "b".into()],
            &[vec!["`EPRT |2|::|1|`".into(), "x".into()]],
        );
        assert_eq!(
            text,
            "| a | b |\n|---|---|\n| `EPRT \\|2\\|::\\|1\\|` | x |\n"
        );
    }

    #[test]
    fn notes_are_numbered_once_per_reason() {
        let mut notes = Notes::default();
        assert_eq!(notes.number("a".into(), None), 1);
        assert_eq!(notes.number("b".into(), Some("x\ny\n")), 2);
        assert_eq!(notes.number("a".into(), None), 1);
        let text = notes.render();
        assert!(text.starts_with("1. a\n2. b\n"), "{text}");
        assert!(text.contains("   x\n   y\n"), "{text}");
    }

    #[test]
    fn tables_show_each_cell_and_number_its_reason() {
        let cell = |mode, outcome| Cell {
            peer: "curl",
            family: Family::V6,
            mode,
            op: Op::Get,
            outcome,
        };
        let cells = [
            cell(Mode::Epsv, Outcome::Pass),
            cell(Mode::Pasv, Outcome::NotApplicable("no IPv6 form".into())),
        ];
        let mut notes = Notes::default();
        let text = table(&cells, &["curl"], &[Op::Get], &mut notes);
        let row = text.lines().nth(2).expect("a row");
        assert_eq!(
            row,
            "| curl | download | missing | missing | missing | missing | n/a (1) | pass | missing | missing |"
        );
        assert_eq!(notes.render(), "1. n/a: no IPv6 form\n");
    }
}
