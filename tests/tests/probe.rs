//! `ftp-client probe` against the five servers, on IPv4 and IPv6: a few
//! facts per server that are known independently of the probe (from the
//! servers' documentation and the interop matrix), so that the test fails
//! when the probe misreports. A missing third-party server is SKIPPED, or a
//! failure with `FTP_TESTS_REQUIRE_PEERS`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use ftp_tests::probe_peers::{self, findings, Found, SERVERS, WRITE_DIR};

/// A fact: the finding `id` has `verdict`, and its summary starts with `summary`.
type Fact = (&'static str, &'static str, &'static str);

/// Facts every server shows on `family` (`ipv4` or `ipv6`).
fn common(family: &str) -> Vec<(String, &'static str, &'static str)> {
    let mut facts = vec![
        (format!("data.{family}.epsv"), "ok", "LIST works"),
        (format!("data.{family}.eprt"), "ok", "LIST works"),
        ("files".into(), "info", "text file found"),
        ("size".into(), "ok", "exact in TYPE I"),
        ("write.stor".into(), "ok", ""),
        ("write.cleanup".into(), "ok", ""),
    ];
    if family == "ipv4" {
        facts.push(("data.ipv4.pasv".into(), "ok", "LIST works"));
        facts.push(("data.ipv4.port".into(), "ok", "LIST works"));
        facts.push(("pasv-address.ipv4".into(), "ok", "matches the control peer"));
    } else {
        facts.push(("data.ipv6.pasv".into(), "info", "n/a"));
    }
    facts
}

/// Facts of one server.
fn specific(name: &str) -> &'static [Fact] {
    match name {
        // vsftpd has no MLSD/MLST, and its LIST of a missing path is an
        // empty success (docs/interop.md, the client README).
        "vsftpd" => &[
            ("mlsd", "unsupported", "refused: 500"),
            ("list-missing", "info", "empty 226"),
            // ascii_download_enable is off by default.
            ("type-a", "warning", "bytes unchanged"),
        ],
        "pyftpdlib" => &[
            ("mlsd", "ok", "works"),
            ("list-missing", "info", "550"),
            ("type-a", "ok", "LF sent as CRLF"),
        ],
        "ProFTPD" => &[("mlsd", "ok", "works")],
        // Pure-FTPd sends the name of MKD back with a lone `"` inside.
        "Pure-FTPd" => &[
            ("mlsd", "ok", "works"),
            (
                "write.mkd-quote",
                "warning",
                "257 does not double the quote",
            ),
            // Its greeting: `220-` at the start of every line.
            (
                "replies.middle-lines",
                "warning",
                "middle lines start with digits",
            ),
        ],
        // Ours: what its tests and the design's behaviour contract say.
        "ftp-server" => &[
            ("mlsd", "ok", "works"),
            ("list-missing", "info", "550"),
            ("type-a", "ok", "LF sent as CRLF"),
            ("abort.transfer", "info", "426 then 226"),
            ("abort.idle", "ok", "225"),
            ("host", "ok", ""),
            ("rest", "ok", "resumes at the offset"),
            ("pipelining", "ok", "three replies in order"),
            ("write.mkd-quote", "ok", ""),
            ("retr", "ok", "all the bytes listed"),
            ("close-order", "ok", "226 after the data connection closed"),
            ("replies.last-code", "ok", ""),
            ("replies.middle-lines", "ok", ""),
            ("replies.pieces", "ok", ""),
        ],
        other => panic!("no facts for {other}"),
    }
}

/// The directory of our programs (next to this test's `deps` directory).
fn programs() -> PathBuf {
    ftp_tests::program("ftp-client")
        .parent()
        .expect("a program has a directory")
        .to_path_buf()
}

fn check(found: &[Found], id: &str, verdict: &str, summary: &str, report: &str) {
    let finding = found
        .iter()
        .find(|finding| finding.id == id)
        .unwrap_or_else(|| panic!("no finding {id} in\n{report}"));
    assert!(
        finding.verdict == verdict && finding.summary.starts_with(summary),
        "{id}: expected {verdict} {summary:?}, the probe says {} {:?}\n{report}",
        finding.verdict,
        finding.summary
    );
}

fn probe_all_on(ip: IpAddr) {
    let family = if ip.is_ipv4() { "ipv4" } else { "ipv6" };
    for name in SERVERS {
        let Some(target) = probe_peers::start(name, ip, &programs()) else {
            continue;
        };
        let run = probe_peers::probe(
            &programs(),
            &target,
            &["--json", "--write-tests", WRITE_DIR],
        );
        let report = String::from_utf8_lossy(&run.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&run.stderr);
        let code = run.status.and_then(|status| status.code());
        assert!(
            matches!(code, Some(0 | 1)),
            "{name} {family}: exit {code:?}\n{report}\n{stderr}"
        );
        let found = findings(&report);
        for (id, verdict, summary) in common(family) {
            check(&found, &id, verdict, summary, &report);
        }
        for (id, verdict, summary) in specific(name) {
            check(&found, id, verdict, summary, &report);
        }
        // No contradiction is known on these servers: exit status 0.
        assert_eq!(code, Some(0), "{name} {family}: a contradiction?\n{report}");
        let left: Vec<_> = std::fs::read_dir(target.root.join(WRITE_DIR))
            .expect("the write directory is still there")
            .collect();
        assert!(
            left.is_empty(),
            "{name} {family}: the write tests left {left:?}"
        );
        println!("{name} {family}: {} findings checked", found.len());
    }
}

#[test]
fn probe_reports_what_each_server_does_over_ipv4() {
    probe_all_on(IpAddr::V4(Ipv4Addr::LOCALHOST));
}

#[test]
fn probe_reports_what_each_server_does_over_ipv6() {
    probe_all_on(IpAddr::V6(Ipv6Addr::LOCALHOST));
}
