//! The firewall and NAT lab in CI: runs `firewall-lab --check --no-report`
//! (every scenario, every mode, every client; the expected table and the
//! message checks live in the lab's `expected` module) and checks that no
//! namespace of the lab is left behind.
//!
//! Skipped with a plain `SKIPPED:` line where the machine is not root or
//! lacks network namespaces or nft; a failure there when
//! `FTP_TESTS_REQUIRE_PEERS=1` (as in CI). The report, docs/firewall-lab.md,
//! is written only by the lab's own command, never by this test.

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

#[test]
fn every_cell_of_the_firewall_lab_is_as_expected_and_nothing_is_left_behind() {
    if let Some(why) = missing() {
        assert!(
            std::env::var("FTP_TESTS_REQUIRE_PEERS").as_deref() != Ok("1"),
            "FTP_TESTS_REQUIRE_PEERS=1 but {why}"
        );
        println!("SKIPPED: {why}");
        return;
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_firewall-lab"));
    command.args(["--check", "--no-report"]);
    let done = run_with_input(command, "", Duration::from_secs(300)).expect("the lab starts");
    let stdout = String::from_utf8_lossy(&done.stdout);
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
}
