//! Running the firewall lab from a test: `firewall-lab --check --no-report`
//! with the test's arguments, failing on any difference from the expected
//! table (the lab's `expected` module) and on any namespace left behind.
//!
//! Skipped with a plain `SKIPPED:` line where the machine is not root or
//! lacks network namespaces or nft; a failure there when
//! `FTP_TESTS_REQUIRE_PEERS=1` (as in CI). The report, docs/firewall-lab.md,
//! is written only by the lab's own command, never by a test.

use std::process::Command;
use std::time::Duration;

use ftp_tests::run::run_with_input;

const PATH_EXTRA: &str = ":/usr/local/sbin:/usr/sbin:/sbin";

/// Why this machine cannot run the lab, if it cannot.
fn missing() -> Option<String> {
    if !ftp_tests::running_as_root() {
        return Some("the firewall lab needs root".into());
    }
    let path = std::env::var("PATH").unwrap_or_default() + PATH_EXTRA;
    for (program, args) in [("ip", &["netns", "list"][..]), ("nft", &["--version"][..])] {
        let ok = Command::new(program)
            .args(args)
            .env("PATH", &path)
            .output()
            .is_ok_and(|out| out.status.success());
        if !ok {
            return Some(format!("`{program} {}` does not work here", args.join(" ")));
        }
    }
    None
}

/// The lab's namespaces (`ftplab-PID-...`) of runs that have ended: what
/// a run left behind. (Another run going on at the same time has its own.)
fn lab_namespaces() -> Vec<String> {
    let path = std::env::var("PATH").unwrap_or_default() + PATH_EXTRA;
    let out = Command::new("ip")
        .args(["netns", "list"])
        .env("PATH", path)
        .output()
        .expect("ip netns list");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter_map(|name| Some((name, name.strip_prefix("ftplab-")?.split('-').next()?)))
        .filter(|(_, pid)| !std::path::Path::new(&format!("/proc/{pid}")).exists())
        .map(|(name, _)| name.to_string())
        .collect()
}

/// Runs the lab with `--check --no-report` and `args`, within `limit`;
/// returns its output, or `None` when skipped.
pub fn check(args: &[&str], limit: Duration) -> Option<String> {
    if let Some(why) = missing() {
        assert!(
            std::env::var("FTP_TESTS_REQUIRE_PEERS").as_deref() != Ok("1"),
            "FTP_TESTS_REQUIRE_PEERS=1 but {why}"
        );
        println!("SKIPPED: {why}");
        return None;
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_firewall-lab"));
    command.args(["--check", "--no-report"]).args(args);
    let done = run_with_input(command, "", limit).expect("the lab starts");
    let stdout = String::from_utf8_lossy(&done.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&done.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    let left = lab_namespaces();
    assert!(left.is_empty(), "namespaces left behind: {left:?}");
    assert!(
        done.status.is_some_and(|status| status.success()),
        "the lab differs from the expected table (see DIFFERS lines above): {:?}",
        done.status
    );
    Some(stdout)
}
