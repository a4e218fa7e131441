//! The `ftp-server` program's command line: help, version, and the one-line
//! errors with exit status 2. (Having an integration test also makes
//! `cargo test --workspace` build the `ftp-server` binary, which the
//! end-to-end tests in the `ftp-tests` crate run.)

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ftp-server"))
        .args(args)
        .output()
        .expect("ftp-server runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn help_lists_the_options_and_succeeds() {
    let output = run(&["--help"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for option in [
        "--listen",
        "--root",
        "--user",
        "--pasv-ports",
        "--inetd",
        "--xferlog",
        "--run-as",
    ] {
        assert!(text.contains(option), "{option} missing from --help");
    }
}

#[test]
fn version_names_the_program() {
    let output = run(&["--version"]);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("ftp-server "));
}

#[test]
fn bad_options_are_one_line_errors_with_status_2() {
    for args in [
        &["--listen", "nonsense"][..],
        &["--pasv-ports", "2000-1000"],
        &["--root", "/no/such/directory"],
        &["--max-sessions", "none"],
        &["--no-such-option"],
    ] {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let message = stderr(&output);
        assert!(message.starts_with("ftp-server: "), "{args:?}: {message}");
        assert_eq!(message.lines().count(), 1, "{args:?}: {message}");
    }
}

#[test]
fn a_busy_address_is_an_error_with_status_2() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();
    // As root (CI), the server must be told whom to serve sessions as.
    let as_root = ftp_server::privileges::Ids::current().is_ok_and(|ids| ids.uid == 0);
    let run_as: &[&str] = if as_root {
        &["--run-as", "nobody"]
    } else {
        &[]
    };
    let output = run(&[&["--listen", &addr], run_as].concat());
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("cannot listen on") && message.lines().count() == 1,
        "{message}"
    );
}
