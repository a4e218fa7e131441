//! The client library's example, `ftp-client/examples/session.rs`, run
//! against our `ftp-server` on loopback: it logs in, lists, downloads a file
//! into memory and uploads it back in binary mode, and the copy must be the
//! original byte for byte.
//!
//! `cargo test --workspace` builds the example with the other targets (cargo
//! builds examples to check they compile) into `target/<profile>/examples/`,
//! where the test runs it as it runs the programs.

use std::fs;
use std::process::Command;

use ftp_tests::run::example_succeeds;
use ftp_tests::{assert_same_file, pattern, program, run_as_this_user, start_ftp_server, TempDir};

#[test]
fn the_session_example_copies_a_file_unchanged() {
    let scratch = TempDir::new("client-example");
    let root = scratch.path().join("root");
    fs::create_dir(&root).expect("root");
    // Random bytes hold CR, LF and CRLF, which an ASCII transfer would change.
    fs::write(root.join("data.bin"), pattern(100_000, 7)).expect("data.bin");
    let log = fs::File::create(scratch.path().join("server.log")).expect("log file");

    let mut server = Command::new(program("ftp-server"));
    server
        .args(run_as_this_user())
        .arg("--root")
        .arg(&root)
        .args(["--listen", "127.0.0.1:0", "--user", "alice:s3cret-pw:rw"])
        .stderr(log);
    let (_server, addr) = start_ftp_server(server);

    let mut example = Command::new(program("examples/session"));
    example.args([
        &addr.ip().to_string(),
        &addr.port().to_string(),
        "alice",
        "s3cret-pw",
    ]);
    let (stdout, _) = example_succeeds(example);
    assert!(stdout.contains("-     100000 data.bin\n"), "{stdout}");
    assert!(
        stdout.contains(
            "downloaded data.bin: 100000 bytes\nuploaded copy-of-data.bin: 100000 bytes\n"
        ),
        "{stdout}"
    );
    assert_same_file(&root.join("data.bin"), &root.join("copy-of-data.bin"));
}
