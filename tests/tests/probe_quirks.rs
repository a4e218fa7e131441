//! `ftp-client probe` finds every quirk `ftp-server --quirk` can be told to
//! have: for each quirk, the probe's `--json` report on a server with it has
//! a finding that the report on a server without quirks does not have (so
//! the check cannot pass by always reporting), and the table below names
//! every quirk the server knows (so a new quirk needs a check here).

use std::path::PathBuf;

use ftp_tests::probe_peers::{findings, Found, BIG, PROBE_LIMIT};
use ftp_tests::run::run_with_input;
use ftp_tests::server::{Server, PASSWORD, USER};

/// A quirk, and the finding that shows it: id, verdict, start of the summary.
type Expected = (&'static str, &'static str, &'static str, &'static str);

/// Every quirk with the finding the probe shows for it.
const QUIRKS: &[Expected] = &[
    (
        "pasv-bad-ip",
        "pasv-address.ipv4",
        "warning",
        "differs from the control peer",
    ),
    ("no-epsv", "data.ipv4.epsv", "unsupported", "refused: 500"),
    ("no-eprt", "data.ipv4.eprt", "unsupported", "refused: 500"),
    ("no-mlsd", "mlsd", "unsupported", "refused: 500"),
    ("no-feat", "feat", "unsupported", "500"),
    (
        "lowercase-227",
        "pasv-reply.ipv4",
        "warning",
        "all lower case",
    ),
    (
        "227-no-parens",
        "pasv-reply.ipv4",
        "warning",
        "no parentheses",
    ),
    (
        "multiline-mismatch",
        "replies.last-code",
        "warning",
        "the last line's code differs",
    ),
    (
        "multiline-digits",
        "replies.middle-lines",
        "warning",
        "middle lines start with digits",
    ),
    (
        "slow-replies=150",
        "replies.speed",
        "warning",
        "NOOP answered in over",
    ),
    (
        "split-replies",
        "replies.pieces",
        "warning",
        "replies come in pieces",
    ),
    (
        "150-after-data",
        "preliminary",
        "info",
        "150 only after the connection",
    ),
    (
        "226-before-close",
        "close-order",
        "warning",
        "226 before the data connection closed",
    ),
    ("no-226", "data.ipv4.epsv", "failed", "no answer in time"),
    (
        "drop-data=1000",
        "retr",
        "CONTRADICTION",
        "226 after a short download",
    ),
    (
        "size-in-ascii",
        "size.ascii",
        "info",
        "TYPE A: the transferred size",
    ),
    ("empty-list-missing", "list-missing", "info", "empty 226"),
    ("abor-226-only", "abort.transfer", "info", "226 alone"),
    ("125-always", "preliminary", "info", "125 "),
];

/// The directory of our programs.
fn programs() -> PathBuf {
    ftp_tests::program("ftp-client")
        .parent()
        .expect("a program has a directory")
        .to_path_buf()
}

/// Probes our server started with `options`: the report and the findings.
fn probe(options: &[&str]) -> (String, Vec<Found>) {
    let server = Server::start(options);
    // Big enough that ABOR comes while the download runs.
    std::fs::write(server.root().join("big.bin"), vec![0u8; BIG]).expect("big.bin");
    let url = format!("ftp://{USER}:{PASSWORD}@{}/", server.addr());
    let mut command = std::process::Command::new(programs().join("ftp-client"));
    command.args(["probe", "--json", "--timeout", "3", &url]);
    let run = run_with_input(command, "", PROBE_LIMIT).expect("ftp-client starts");
    let report = String::from_utf8_lossy(&run.stdout).into_owned();
    let code = run.status.and_then(|status| status.code());
    assert!(
        matches!(code, Some(0 | 1)),
        "{options:?}: exit {code:?}\n{report}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let found = findings(&report);
    (report, found)
}

/// Whether `found` has the finding `id` with `verdict` and a summary
/// starting with `summary`.
fn shows(found: &[Found], id: &str, verdict: &str, summary: &str) -> bool {
    found
        .iter()
        .any(|f| f.id == id && f.verdict == verdict && f.summary.starts_with(summary))
}

#[test]
fn the_table_names_every_quirk_the_server_knows() {
    let output = std::process::Command::new(ftp_tests::program("ftp-server"))
        .args(["--quirk", "no-such-quirk"])
        .output()
        .expect("ftp-server runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let valid = stderr
        .split("valid quirks: ")
        .nth(1)
        .unwrap_or_else(|| panic!("no list of quirks in {stderr:?}"));
    let valid: Vec<&str> = valid
        .split(" (see --help)")
        .next()
        .unwrap_or(valid)
        .trim()
        .split(", ")
        .map(|quirk| quirk.split('=').next().unwrap_or(quirk))
        .collect();
    let tested: Vec<&str> = QUIRKS
        .iter()
        .map(|(quirk, ..)| quirk.split('=').next().unwrap_or(quirk))
        .collect();
    assert_eq!(valid, tested, "{stderr}");
}

#[test]
fn probe_reports_each_quirk_and_none_on_the_plain_server() {
    let (plain_report, plain) = probe(&[]);
    let mut missed = Vec::new();
    for &(quirk, id, verdict, summary) in QUIRKS {
        assert!(
            !shows(&plain, id, verdict, summary),
            "the plain server shows {id} {verdict} {summary:?}:\n{plain_report}"
        );
        let (report, found) = probe(&["--quirk", quirk]);
        if shows(&found, id, verdict, summary) {
            println!("{quirk}: {id} {verdict} {summary:?}");
        } else {
            missed.push(format!(
                "{quirk}: expected {id} {verdict} {summary:?}\n{report}"
            ));
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n\n"));
}
