//! The `ftp-client` program's command line: help, and usage errors as one line
//! on stderr with exit status 2. (An integration test also makes
//! `cargo test --workspace` build the `ftp-client` binary, which the end-to-end
//! tests in the `ftp-tests` crate run.)

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ftp-client"))
        .args(args)
        .output()
        .expect("ftp-client runs")
}

#[test]
fn help_lists_the_options_and_succeeds() {
    let output = run(&["--help"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for option in ["-A", "-p", "-n", "-d", "--explain", "-o FILE", "-u URL"] {
        assert!(text.contains(option), "{option} missing from --help");
    }
}

#[test]
fn usage_errors_are_one_line_and_exit_2() {
    let cases: [&[&str]; 6] = [
        &["--bogus"],
        &["-4", "-6", "localhost"],
        &["localhost", "99999"],
        &["ftp://[::1/file"],
        &["-u", "ftp://127.0.0.1/one-name", "a", "b"],
        &["-P", "notaport", "localhost"],
    ];
    for args in cases {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("ftp-client: "), "{args:?}: {stderr}");
    }
}
