//! Listings and file facts: a whole download (`RETR`), `MLSD`/`MLST` and their facts, `SIZE` (in
//! `TYPE I` and `TYPE A`), `MDTM`, `REST STREAM`, `TYPE A` conversion, a
//! `LIST` of a missing path, and `STAT` over the control connection.
//!
//! The file checks need a file: [`find_files`] looks for a text file with
//! LF line ends and for the largest file in the probed directory and its
//! first subdirectories (the write tests upload one of their own instead).
//! When there is none, the checks say they could not tell.

use ftp_core::protocol::listing::{parse_line, EntryKind};
use ftp_core::Error;

use super::data::{self, Outcome};
use super::report::Verdict;
use super::{one_line, Probe};

/// How many subdirectories [`find_files`] looks into.
const SUBDIRECTORIES: usize = 4;

/// The largest text file [`find_files`] downloads to look at.
const TEXT_LIMIT: u64 = 1 << 20;

/// Files to test on.
#[derive(Debug, Clone, Default)]
pub struct Files {
    /// A file with LF line ends and no CR: its path and bytes.
    pub text: Option<(String, Vec<u8>)>,
    /// The largest file seen: its path and size.
    pub largest: Option<(String, u64)>,
}

/// Runs `command` over a data connection in the mode that worked; `None`
/// when no mode worked.
///
/// # Errors
///
/// A control or data connection error.
pub fn fetch(probe: &mut Probe, command: &str) -> Result<Option<Outcome>, Error> {
    let Some(mode) = probe.mode else {
        return Ok(None);
    };
    data::transfer(probe.wire()?, mode, command).map(Some)
}

/// The bytes of `path` in `TYPE I` or `TYPE A` (`type_code`), `None` when
/// refused; the type is `I` afterwards.
///
/// # Errors
///
/// As [`fetch`].
pub fn download(probe: &mut Probe, path: &str, type_code: char) -> Result<Option<Vec<u8>>, Error> {
    probe.wire()?.command(&format!("TYPE {type_code}"))?;
    let outcome = fetch(probe, &format!("RETR {path}"))?;
    probe.wire()?.command("TYPE I")?;
    Ok(match outcome {
        Some(Outcome::Done(transfer)) if transfer.code() / 100 == 2 => Some(transfer.data),
        _ => None,
    })
}

/// Finds a text file with LF line ends and the largest file.
pub fn find_files(probe: &mut Probe) -> Result<(), Error> {
    let mut files = Vec::new();
    let mut directories = vec![String::new()];
    let mut looked = 0;
    while let Some(directory) = directories.pop() {
        if looked > SUBDIRECTORIES {
            break;
        }
        looked += 1;
        let command = if directory.is_empty() {
            "LIST".to_string()
        } else {
            format!("LIST {directory}")
        };
        let Some(Outcome::Done(transfer)) = fetch(probe, &command)? else {
            break;
        };
        for line in transfer.data.split(|&b| b == b'\n') {
            let Ok(entry) = parse_line(line) else {
                continue;
            };
            let name = String::from_utf8_lossy(&entry.name).into_owned();
            if name == "." || name == ".." || name.contains('/') {
                continue;
            }
            let path = if directory.is_empty() {
                name.clone()
            } else {
                format!("{directory}/{name}")
            };
            match entry.kind {
                EntryKind::Dir if directory.is_empty() => directories.push(path),
                EntryKind::File => files.push((path, entry.size.unwrap_or(0))),
                _ => {}
            }
        }
    }
    probe.files.largest = files.iter().max_by_key(|(_, size)| *size).cloned();
    let candidates: Vec<String> = files
        .iter()
        .filter(|(path, size)| *size > 0 && *size <= TEXT_LIMIT && looks_like_text(path))
        .map(|(path, _)| path.clone())
        .collect();
    for path in candidates {
        if probe.files.text.is_some() {
            break;
        }
        if let Some(bytes) = download(probe, &path, 'I')? {
            if bytes.contains(&b'\n') && !bytes.contains(&b'\r') {
                probe.files.text = Some((path, bytes));
                break;
            }
        }
    }
    let text = probe
        .files
        .text
        .as_ref()
        .map_or("none".to_string(), |(path, _)| path.clone());
    let largest = probe
        .files
        .largest
        .as_ref()
        .map_or("none".to_string(), |(path, size)| {
            format!("{path} ({size} bytes)")
        });
    probe.add(
        "files",
        Verdict::Info,
        if probe.files.text.is_some() {
            "text file found"
        } else {
            "no text file"
        },
        format!("text file with LF line ends: {text}; largest file: {largest}"),
    );
    Ok(())
}

/// Whether a name suggests text: a usual text extension or a README.
fn looks_like_text(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    name.starts_with("readme")
        || [".txt", ".md", ".text", ".csv", ".conf", ".log", ".html"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// `RETR` of the largest file in `TYPE I`: as many bytes as its listing
/// says, and a `2xx` only then.
pub fn retr(probe: &mut Probe) -> Result<(), Error> {
    let Some((path, size)) = probe.files.largest.clone() else {
        probe.add("retr", Verdict::Unknown, "no file to download", "");
        return Ok(());
    };
    probe.wire()?.command("TYPE I")?;
    let (verdict, summary, detail) = match fetch(probe, &format!("RETR {path}"))? {
        None => (
            Verdict::Unknown,
            "no data mode works".to_string(),
            String::new(),
        ),
        Some(Outcome::Refused(reply)) => (
            Verdict::Warning,
            format!("refused: {}", reply.code),
            one_line(&reply),
        ),
        Some(Outcome::Done(transfer)) => {
            let last = one_line(transfer.replies.last().expect("one or more"));
            let detail = format!(
                "{path}: {size} bytes listed, {} received; {last}",
                transfer.count
            );
            let (verdict, summary) = match (transfer.code() / 100, transfer.count == size) {
                (2, true) => (Verdict::Ok, "all the bytes listed".to_string()),
                (2, false) => (
                    Verdict::Contradiction,
                    format!("{} after a short download", transfer.code()),
                ),
                _ => (Verdict::Warning, format!("ended {}", transfer.code())),
            };
            (verdict, summary, detail)
        }
    };
    probe.add("retr", verdict, summary, detail);
    Ok(())
}

/// `MLSD`: works or not, against `MLST` in `FEAT`; the facts offered.
pub fn mlsd(probe: &mut Probe) -> Result<(), Error> {
    let offered = probe.features.params("MLST").map(str::to_string);
    let outcome = fetch(probe, "MLSD")?;
    let (verdict, summary, detail) = match (outcome, &offered) {
        (None, _) => (
            Verdict::Unknown,
            "no data mode works".to_string(),
            String::new(),
        ),
        (Some(Outcome::Done(transfer)), _) if transfer.code() / 100 == 2 => {
            let parsed = transfer
                .data
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .all(|line| parse_line(line).is_ok());
            let verdict = match (&offered, parsed) {
                (_, false) => Verdict::Contradiction,
                (Some(_), true) => Verdict::Ok,
                (None, true) => Verdict::Warning,
            };
            let summary = match (&offered, parsed) {
                (_, false) => "lines that are not MLSx facts",
                (Some(_), true) => "works",
                (None, true) => "works, not in FEAT",
            };
            (
                verdict,
                summary.to_string(),
                format!("facts offered: {}", offered.as_deref().unwrap_or("-")),
            )
        }
        (Some(Outcome::Done(transfer)), Some(_)) => (
            Verdict::Contradiction,
            format!("advertised, ended {}", transfer.code()),
            one_line(transfer.replies.last().expect("one or more")),
        ),
        (Some(Outcome::Refused(reply)), Some(_)) => (
            Verdict::Contradiction,
            format!("advertised, refused: {}", reply.code),
            one_line(&reply),
        ),
        (Some(Outcome::Done(transfer)), None) => (
            Verdict::Unsupported,
            format!("refused: {}", transfer.code()),
            one_line(transfer.replies.last().expect("one or more")),
        ),
        (Some(Outcome::Refused(reply)), None) => (
            Verdict::Unsupported,
            format!("refused: {}", reply.code),
            one_line(&reply),
        ),
    };
    probe.add("mlsd", verdict, summary, detail);
    Ok(())
}

/// `MLST` of the text file (or of the directory): the facts it returns.
pub fn mlst(probe: &mut Probe) -> Result<(), Error> {
    let offered = probe.features.has("MLST");
    let target = probe.files.text.as_ref().map(|(path, _)| path.clone());
    let line = target.map_or("MLST".to_string(), |path| format!("MLST {path}"));
    let reply = probe.wire()?.command(&line)?;
    let facts: Vec<String> = reply
        .lines
        .iter()
        .skip(1)
        .filter(|line| line.starts_with(' '))
        .flat_map(|line| {
            line.trim_start()
                .split(' ')
                .next()
                .unwrap_or("")
                .split(';')
                .filter_map(|fact| {
                    fact.split_once('=')
                        .map(|(name, _)| name.to_ascii_lowercase())
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let (verdict, summary) = match (offered, reply.code.0) {
        (_, 250) if !facts.is_empty() => (Verdict::Ok, format!("facts: {}", facts.join(";"))),
        (true, _) => (
            Verdict::Contradiction,
            format!("advertised, answered {}", reply.code),
        ),
        (false, _) => (Verdict::Unsupported, format!("refused: {}", reply.code)),
    };
    probe.add("mlst", verdict, summary, reply.lines.join("\n"));
    Ok(())
}

/// `SIZE` of the text file in `TYPE I`, and in `TYPE A`: the stored size
/// or the size a `TYPE A` transfer would send (each LF sent as CRLF).
pub fn size(probe: &mut Probe) -> Result<(), Error> {
    let advertised = probe.features.has("SIZE");
    let Some((path, bytes)) = probe.files.text.clone() else {
        probe.add(
            "size",
            Verdict::Unknown,
            "no file to ask about",
            "no text file with LF line ends was found; --write-tests uploads one",
        );
        probe.add(
            "size.ascii",
            Verdict::Unknown,
            "could not tell",
            "needs a file with LF line ends",
        );
        return Ok(());
    };
    let wire = probe.wire()?;
    wire.command("TYPE I")?;
    let binary = wire.command(&format!("SIZE {path}"))?;
    wire.command("TYPE A")?;
    let ascii = wire.command(&format!("SIZE {path}"))?;
    wire.command("TYPE I")?;
    let stored = bytes.len() as u64;
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    let number = |reply: &ftp_core::Reply| {
        (reply.code.0 == 213)
            .then(|| reply.text().trim().parse::<u64>().ok())
            .flatten()
    };
    let (verdict, summary) = match (advertised, number(&binary)) {
        (_, Some(n)) if n == stored => (Verdict::Ok, "exact in TYPE I".to_string()),
        (_, Some(_)) => (Verdict::Contradiction, "wrong in TYPE I".to_string()),
        (true, None) => (
            Verdict::Contradiction,
            format!("advertised, answered {}", binary.code),
        ),
        (false, None) => (Verdict::Unsupported, format!("refused: {}", binary.code)),
    };
    probe.add(
        "size",
        verdict,
        summary,
        format!("{path}: {stored} bytes stored; {}", one_line(&binary)),
    );
    let summary = match number(&ascii) {
        Some(n) if n == stored + lines => "TYPE A: the transferred size".to_string(),
        Some(n) if n == stored => "TYPE A: the stored size".to_string(),
        Some(_) => "TYPE A: neither size".to_string(),
        None => format!("TYPE A: refused ({})", ascii.code),
    };
    probe.add(
        "size.ascii",
        Verdict::Info,
        summary,
        format!(
            "{stored} bytes stored, {} with CRLF; {}",
            stored + lines,
            one_line(&ascii)
        ),
    );
    Ok(())
}

/// `MDTM` of the text file.
pub fn mdtm(probe: &mut Probe) -> Result<(), Error> {
    let advertised = probe.features.has("MDTM");
    let Some((path, _)) = probe.files.text.clone() else {
        probe.add("mdtm", Verdict::Unknown, "no file to ask about", "");
        return Ok(());
    };
    let reply = probe.wire()?.command(&format!("MDTM {path}"))?;
    let parsed = reply.code.0 == 213
        && ftp_core::protocol::time::parse_timestamp(reply.text().trim()).is_ok();
    let (verdict, summary) = match (advertised, parsed) {
        (_, true) => (Verdict::Ok, "a timestamp".to_string()),
        (true, false) => (
            Verdict::Contradiction,
            format!("advertised, answered {}", reply.code),
        ),
        (false, false) => (Verdict::Unsupported, format!("refused: {}", reply.code)),
    };
    probe.add("mdtm", verdict, summary, one_line(&reply));
    Ok(())
}

/// `REST STREAM`: `REST 5` then `RETR` of the text file sends its bytes from 5 on.
pub fn rest(probe: &mut Probe) -> Result<(), Error> {
    let advertised = probe.features.has("REST");
    let Some((path, bytes)) = probe.files.text.clone() else {
        probe.add("rest", Verdict::Unknown, "no file to resume", "");
        return Ok(());
    };
    let Some(mode) = probe.mode else {
        return Ok(());
    };
    let offset = 5.min(bytes.len());
    let rest = format!("REST {offset}");
    let outcome = data::run(
        probe.wire()?,
        mode,
        &[&rest],
        &format!("RETR {path}"),
        data::receive,
    )?;
    let (verdict, summary, detail) = match outcome {
        Outcome::Done(transfer)
            if transfer.code() / 100 == 2 && transfer.data == bytes[offset..] =>
        {
            (
                Verdict::Ok,
                "resumes at the offset".to_string(),
                one_line(transfer.replies.last().expect("one or more")),
            )
        }
        Outcome::Done(transfer) => (
            Verdict::Contradiction,
            "REST accepted, RETR wrong".to_string(),
            format!(
                "got {} bytes, expected {}",
                transfer.data.len(),
                bytes.len() - offset
            ),
        ),
        Outcome::Refused(reply) if advertised => (
            Verdict::Contradiction,
            format!("advertised, answered {}", reply.code),
            one_line(&reply),
        ),
        Outcome::Refused(reply) => (
            Verdict::Unsupported,
            format!("refused: {}", reply.code),
            one_line(&reply),
        ),
    };
    probe.add("rest", verdict, summary, detail);
    Ok(())
}

/// `TYPE A` conversion: the text file in `TYPE A` should come with CRLF.
pub fn type_a(probe: &mut Probe) -> Result<(), Error> {
    let Some((path, bytes)) = probe.files.text.clone() else {
        probe.add(
            "type-a",
            Verdict::Unknown,
            "could not tell",
            "needs a file with LF line ends",
        );
        return Ok(());
    };
    let Some(ascii) = download(probe, &path, 'A')? else {
        probe.add("type-a", Verdict::Warning, "RETR refused in TYPE A", "");
        return Ok(());
    };
    let expected: Vec<u8> = bytes
        .iter()
        .flat_map(|&b| {
            if b == b'\n' {
                vec![b'\r', b'\n']
            } else {
                vec![b]
            }
        })
        .collect();
    let (verdict, summary) = if ascii == expected {
        (Verdict::Ok, "LF sent as CRLF")
    } else if ascii == bytes {
        (Verdict::Warning, "bytes unchanged (no conversion)")
    } else {
        (Verdict::Contradiction, "neither converted nor unchanged")
    };
    probe.add(
        "type-a",
        verdict,
        summary,
        format!(
            "{path}: {} bytes stored, {} received in TYPE A",
            bytes.len(),
            ascii.len()
        ),
    );
    Ok(())
}

/// `LIST` of a path that does not exist: `550` (or `450`), or an empty `226`.
pub fn list_missing(probe: &mut Probe) -> Result<(), Error> {
    let name = format!("ftp-client-probe-missing-{}", std::process::id());
    let (verdict, summary, detail) = match fetch(probe, &format!("LIST {name}"))? {
        None => (
            Verdict::Unknown,
            "no data mode works".to_string(),
            String::new(),
        ),
        Some(Outcome::Refused(reply)) => {
            (Verdict::Info, format!("{}", reply.code), one_line(&reply))
        }
        Some(Outcome::Done(transfer)) => {
            let last = one_line(transfer.replies.last().expect("one or more"));
            let summary = match (transfer.code(), transfer.count) {
                (226, 0) => "empty 226".to_string(),
                (code, 0) => format!("empty {code}"),
                (code, n) => format!("{code} with {n} bytes"),
            };
            (Verdict::Info, summary, last)
        }
    };
    probe.add("list-missing", verdict, summary, detail);
    Ok(())
}

/// `STAT` (the server's status) and `STAT .` (a listing over the control
/// connection, RFC 959 §4.1.3).
pub fn stat(probe: &mut Probe) -> Result<(), Error> {
    let wire = probe.wire()?;
    let status = wire.command("STAT")?;
    let listing = wire.command("STAT .")?;
    let (verdict, summary) = match (status.code.class(), listing.code.class()) {
        (2, 2) => (
            Verdict::Ok,
            format!(
                "STAT {}, STAT . {} ({} lines)",
                status.code,
                listing.code,
                listing.lines.len()
            ),
        ),
        _ => (
            Verdict::Info,
            format!("STAT {}, STAT . {}", status.code, listing.code),
        ),
    };
    probe.add(
        "stat",
        verdict,
        summary,
        format!("{}\n{}", one_line(&status), one_line(&listing)),
    );
    Ok(())
}
