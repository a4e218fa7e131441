//! The write tests, only with `--write-tests DIR`: uploads (`STOR`, `APPE`,
//! `REST`+`STOR`, `STOU`), `RNFR`/`RNTO`, `DELE`, `MKD`/`RMD` with a `"` in
//! the name, `SITE CHMOD`, `MFMT`, a non-ASCII name, and whether an aborted
//! upload keeps the old file.
//!
//! Everything happens in a scratch directory the probe makes inside `DIR`
//! ([`prepare`], which also uploads the text file the `SIZE` and `TYPE A`
//! checks use) and removes at the end ([`all`]); nothing outside it is
//! touched.

use ftp_core::{Error, Reply};

use super::data::{self, Outcome};
use super::facts::download;
use super::report::Verdict;
use super::{one_line, Probe};
use ftp_core::protocol::reply::unquote_path;

/// The text file uploaded: LF line ends, as a Unix server stores text.
const TEXT: &[u8] = b"one\ntwo\nthree\n";

/// The name of the scratch directory inside `DIR`.
fn scratch(probe: &Probe) -> Option<String> {
    let dir = probe.settings.write_dir.as_ref()?;
    Some(format!(
        "{}/ftp-client-probe-{}",
        dir.trim_end_matches('/'),
        std::process::id()
    ))
}

/// A step of the write tests: gets the scratch directory's path.
type Step = fn(&mut Probe, &str) -> Result<(), Error>;

/// The steps, in order; each adds a `write.*` finding.
const STEPS: &[(&str, Step)] = &[
    ("write.appe", appe),
    ("write.rest-stor", rest_stor),
    ("write.stou", stou),
    ("write.rename", rename),
    ("write.dele", dele),
    ("write.mkd-quote", mkd_quote),
    ("write.site-chmod", site_chmod),
    ("write.mfmt", mfmt),
    ("write.utf8", utf8_name),
    ("write.aborted-upload", aborted_upload),
];

/// Makes the scratch directory and uploads the text file, which the file
/// checks then use.
pub fn prepare(probe: &mut Probe) -> Result<(), Error> {
    let Some(scratch) = scratch(probe) else {
        return Ok(());
    };
    let reply = probe.wire()?.command(&format!("MKD {scratch}"))?;
    if reply.code.0 != 257 {
        probe.add(
            "write.mkd",
            Verdict::Warning,
            format!("MKD answered {}", reply.code),
            one_line(&reply),
        );
        return Ok(());
    }
    probe.add("write.mkd", Verdict::Ok, "257", one_line(&reply));
    let path = format!("{scratch}/probe.txt");
    let stored = put(probe, &path, TEXT)?;
    let back = download(probe, &path, 'I')?;
    let (verdict, summary) = match (stored, back) {
        (true, Some(bytes)) if bytes == TEXT => (Verdict::Ok, "stored and read back"),
        (true, _) => (Verdict::Contradiction, "accepted, read back differs"),
        (false, _) => (Verdict::Warning, "refused"),
    };
    probe.add("write.stor", verdict, summary, path.clone());
    if verdict == Verdict::Ok {
        probe.files.text = Some((path, TEXT.to_vec()));
    }
    Ok(())
}

/// Runs every step, then removes the scratch directory.
pub fn all(probe: &mut Probe) -> Result<(), Error> {
    let Some(scratch) = scratch(probe) else {
        probe.add("write", Verdict::Unknown, "not run (no --write-tests)", "");
        return Ok(());
    };
    if probe
        .report
        .get("write.mkd")
        .is_none_or(|found| found.verdict != Verdict::Ok)
    {
        return Ok(());
    }
    for (id, step) in STEPS {
        probe.run(id, |probe| step(probe, &scratch));
    }
    probe.run("write.cleanup", |probe| cleanup(probe, &scratch));
    Ok(())
}

/// Uploads `bytes` to `path` in `TYPE I`; whether the server took it (`2xx`).
fn put(probe: &mut Probe, path: &str, bytes: &[u8]) -> Result<bool, Error> {
    let Some(mode) = probe.mode else {
        return Ok(false);
    };
    let wire = probe.wire()?;
    wire.command("TYPE I")?;
    Ok(
        matches!(data::upload(wire, mode, &format!("STOR {path}"), bytes)?,
        Outcome::Done(transfer) if transfer.code() / 100 == 2),
    )
}

/// Adds the finding of a step whose result is `got` and should be `want`.
fn compare(
    probe: &mut Probe,
    id: &str,
    reply: &Reply,
    got: Option<Vec<u8>>,
    want: &[u8],
    works: &str,
) {
    let (verdict, summary) = match got {
        _ if !reply.code.is_completion() && !reply.code.is_preliminary() => {
            (Verdict::Unsupported, format!("refused: {}", reply.code))
        }
        Some(bytes) if bytes == want => (Verdict::Ok, works.to_string()),
        Some(_) => (
            Verdict::Contradiction,
            "accepted, the file is wrong".to_string(),
        ),
        None => (
            Verdict::Contradiction,
            "accepted, the file cannot be read".to_string(),
        ),
    };
    probe.add(id, verdict, summary, one_line(reply));
}

/// The final reply of an upload, or the refusal.
fn upload(
    probe: &mut Probe,
    preface: &[&str],
    command: &str,
    bytes: &[u8],
) -> Result<Reply, Error> {
    let Some(mode) = probe.mode else {
        return Ok(Reply::new(425, "no data mode works"));
    };
    let wire = probe.wire()?;
    Ok(
        match data::run(wire, mode, preface, command, |stream| {
            std::io::Write::write_all(stream, bytes)
                .map_err(|err| Error::from_io(err, ftp_core::Phase::Transfer))?;
            Ok((Vec::new(), bytes.len() as u64))
        })? {
            Outcome::Refused(reply) => reply,
            Outcome::Done(mut transfer) => transfer.replies.pop().expect("one or more"),
        },
    )
}

/// `APPE`: the bytes end up after the old ones.
fn appe(probe: &mut Probe, scratch: &str) -> Result<(), Error> {
    let path = format!("{scratch}/appe.txt");
    put(probe, &path, TEXT)?;
    let reply = upload(probe, &[], &format!("APPE {path}"), b"four\n")?;
    let got = download(probe, &path, 'I')?;
    compare(
        probe,
        "write.appe",
        &reply,
        got,
        b"one\ntwo\nthree\nfour\n",
        "appends",
    );
    Ok(())
}

/// `REST 4` + `STOR`: writes from byte 4 on; the rest of the old file is kept
/// or cut off (both are seen).
fn rest_stor(probe: &mut Probe, scratch: &str) -> Result<(), Error> {
    let path = format!("{scratch}/rest.txt");
    put(probe, &path, TEXT)?;
    let reply = upload(probe, &["REST 4"], &format!("STOR {path}"), b"TWO\n")?;
    let got = download(probe, &path, 'I')?;
    let (verdict, summary) = match got.as_deref() {
        _ if reply.code.class() != 2 => (Verdict::Unsupported, format!("refused: {}", reply.code)),
        Some(b"one\nTWO\nthree\n") => (
            Verdict::Ok,
            "writes at the offset, keeps the rest".to_string(),
        ),
        Some(b"one\nTWO\n") => (
            Verdict::Ok,
            "writes at the offset, cuts the rest".to_string(),
        ),
        _ => (
            Verdict::Contradiction,
            "accepted, the file is wrong".to_string(),
        ),
    };
    probe.add("write.rest-stor", verdict, summary, one_line(&reply));
    Ok(())
}

/// `STOU`: a file with a name the server picks, named in its reply.
fn stou(probe: &mut Probe, scratch: &str) -> Result<(), Error> {
    let wire = probe.wire()?;
    let pwd = wire.command("PWD")?;
    let Some(back) = unquote_path(&pwd.text()) else {
        probe.add(
            "write.stou",
            Verdict::Unknown,
            "PWD has no path",
            one_line(&pwd),
        );
        return Ok(());
    };
    wire.command(&format!("CWD {scratch}"))?;
    let reply = upload(probe, &[], "STOU", TEXT)?;
    let (verdict, summary) = if reply.code.class() == 2 {
        (Verdict::Ok, "stores under a new name")
    } else {
        (Verdict::Unsupported, "refused")
    };
    probe.add("write.stou", verdict, summary, one_line(&reply));
    probe.wire()?.command(&format!("CWD {back}"))?;
    Ok(())
}

/// `RNFR`/`RNTO`: the file is found under its new name.
fn rename(probe: &mut Probe, scratch: &str) -> Result<(), Error> {
    let (from, to) = (
        format!("{scratch}/rename.txt"),
        format!("{scratch}/renamed.txt"),
    );
    put(probe, &from, TEXT)?;
    let wire = probe.wire()?;
    let rnfr = wire.command(&format!("RNFR {from}"))?;
    let reply = if rnfr.code.0 == 350 {
        wire.command(&format!("RNTO {to}"))?
    } else {
        rnfr
    };
    let got = download(probe, &to, 'I')?;
    compare(probe, "write.rename", &reply, got, TEXT, "renames");
    Ok(())
}

/// `DELE`: the file is gone.
fn dele(probe: &mut Probe, scratch: &str) -> Result<(), Error> {
    let path = format!("{scratch}/dele.txt");
    put(probe, &path, TEXT)?;
    let reply = probe.wire()?.command(&format!("DELE {path}"))?;
    let gone = download(probe, &path, 'I')?.is_none();
    let (verdict, summary) = match (reply.code.class(), gone) {
        (2, true) => (Verdict::Ok, "deletes"),
        (2, false) => (Verdict::Contradiction, "accepted, the file is still there"),
        _ => (Verdict::Unsupported, "refused"),
    };
    probe.add("write.dele", verdict, summary, one_line(&reply));
    Ok(())
}

/// `MKD` of a name with a `"`: the `257` doubles it (RFC 959 appendix II); `RMD`.
fn mkd_quote(probe: &mut Probe, scratch: &str) -> Result<(), Error> {
    let path = format!("{scratch}/a\"b");
    let wire = probe.wire()?;
    let reply = wire.command(&format!("MKD {path}"))?;
    let rmd = wire.command(&format!("RMD {path}"))?;
    let quoted = unquote_path(&reply.text());
    let (verdict, summary) = match reply.code.0 {
        257 if quoted.is_some_and(|path| path.ends_with("a\"b")) => {
            (Verdict::Ok, "257 doubles the quote")
        }
        257 => (Verdict::Warning, "257 does not double the quote"),
        _ => (Verdict::Info, "MKD refused"),
    };
    probe.add(
        "write.mkd-quote",
        verdict,
        summary,
        format!("{}\n{}", one_line(&reply), one_line(&rmd)),
    );
    Ok(())
}

/// `SITE CHMOD 600`.
fn site_chmod(probe: &mut Probe, scratch: &str) -> Result<(), Error> {
    let reply = probe
        .wire()?
        .command(&format!("SITE CHMOD 600 {scratch}/probe.txt"))?;
    let verdict = if reply.code.class() == 2 {
        Verdict::Ok
    } else {
        Verdict::Unsupported
    };
    probe.add(
        "write.site-chmod",
        verdict,
        reply.code.to_string(),
        one_line(&reply),
    );
    Ok(())
}

/// `MFMT` sets the time `MDTM` then reports.
fn mfmt(probe: &mut Probe, scratch: &str) -> Result<(), Error> {
    let advertised = probe.features.has("MFMT");
    let path = format!("{scratch}/probe.txt");
    let stamp = "20200102030405";
    let wire = probe.wire()?;
    let reply = wire.command(&format!("MFMT {stamp} {path}"))?;
    let mdtm = wire.command(&format!("MDTM {path}"))?;
    let (verdict, summary) = match (reply.code.class(), mdtm.text().trim() == stamp) {
        (2, true) => (Verdict::Ok, "sets the time".to_string()),
        (2, false) => (Verdict::Contradiction, "accepted, MDTM differs".to_string()),
        _ if advertised => (
            Verdict::Contradiction,
            format!("advertised, answered {}", reply.code),
        ),
        _ => (Verdict::Unsupported, format!("refused: {}", reply.code)),
    };
    probe.add(
        "write.mfmt",
        verdict,
        summary,
        format!("{}\n{}", one_line(&reply), one_line(&mdtm)),
    );
    Ok(())
}

/// A non-ASCII (UTF-8) name: stored, then listed by `NLST` as sent.
fn utf8_name(probe: &mut Probe, scratch: &str) -> Result<(), Error> {
    let name = "probe-\u{e9}t\u{e9}.txt";
    let stored = put(probe, &format!("{scratch}/{name}"), TEXT)?;
    let listed = match super::facts::fetch(probe, &format!("NLST {scratch}"))? {
        Some(Outcome::Done(transfer)) => String::from_utf8_lossy(&transfer.data).contains(name),
        _ => false,
    };
    let (verdict, summary) = match (stored, listed) {
        (true, true) => (Verdict::Ok, "the name comes back as sent"),
        (true, false) => (
            if probe.features.has("UTF8") {
                Verdict::Contradiction
            } else {
                Verdict::Warning
            },
            "stored, NLST does not show the name",
        ),
        (false, _) => (Verdict::Info, "refused"),
    };
    probe.add("write.utf8", verdict, summary, name);
    Ok(())
}

/// A `STOR` over an existing file, aborted after a few bytes: is the old
/// file still there?
fn aborted_upload(probe: &mut Probe, scratch: &str) -> Result<(), Error> {
    let Some(mode) = probe.mode else {
        return Ok(());
    };
    let path = format!("{scratch}/keep.txt");
    put(probe, &path, TEXT)?;
    let short = probe.settings.short_wait;
    let wire = probe.wire()?;
    let Ok(pending) = data::setup(wire, mode)? else {
        return Ok(());
    };
    wire.send(&format!("STOR {path}"))?;
    let mut stream = pending.open(wire.peer_addr().ip(), wire.timeout())?;
    let first = wire.reply()?;
    std::io::Write::write_all(&mut stream, b"partial")
        .map_err(|err| Error::from_io(err, ftp_core::Phase::Transfer))?;
    wire.send("ABOR")?;
    let mut replies = vec![first];
    while let Some(reply) = wire.reply_within(short)? {
        replies.push(reply);
    }
    drop(stream);
    while let Some(reply) = wire.reply_within(short)? {
        replies.push(reply);
    }
    let got = download(probe, &path, 'I')?;
    let summary = match got.as_deref() {
        Some(TEXT) => "the old file is kept",
        Some(b"partial") => "replaced by the partial upload",
        Some(b"") => "the old file is emptied",
        Some(_) => "the file holds something else",
        None => "the file is gone",
    };
    let detail = replies.iter().map(one_line).collect::<Vec<_>>().join("\n");
    probe.add("write.aborted-upload", Verdict::Info, summary, detail);
    Ok(())
}

/// Removes the scratch directory and what is in it (files, then itself).
fn cleanup(probe: &mut Probe, scratch: &str) -> Result<(), Error> {
    let names = match super::facts::fetch(probe, &format!("NLST {scratch}"))? {
        Some(Outcome::Done(transfer)) => String::from_utf8_lossy(&transfer.data).into_owned(),
        _ => String::new(),
    };
    let wire = probe.wire()?;
    for name in names
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .filter(|name| !name.is_empty())
    {
        let base = name.rsplit('/').next().unwrap_or(name);
        wire.command(&format!("DELE {scratch}/{base}"))?;
    }
    let reply = wire.command(&format!("RMD {scratch}"))?;
    let verdict = if reply.code.class() == 2 {
        Verdict::Ok
    } else {
        Verdict::Warning
    };
    let summary = if verdict == Verdict::Ok {
        "removed what the probe made"
    } else {
        "could not remove the scratch directory"
    };
    probe.add("write.cleanup", verdict, summary, one_line(&reply));
    Ok(())
}
