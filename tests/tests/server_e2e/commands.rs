//! The command set on one session: directories, files, listings, facts,
//! the replies real clients depend on, and the rest of RFC 959's commands
//! with their X forms; and what the server does with no options at all.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use ftp_tests::raw::Raw;
use ftp_tests::server::{Server, PASSWORD, USER};
use ftp_tests::{program, run_as_this_user, KillOnDrop, TempDir, SERVER_STARTUP};

/// The names of a listing's lines (NLST), as text.
fn names(listing: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(listing)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn directory_and_file_commands() {
    let server = Server::start(&[]);
    let mut raw = Raw::login(server.addr());
    assert_eq!(
        raw.expect("PWD", 257).to_string(),
        "257 \"/\" is the current directory"
    );
    // A `"` in a path is doubled in the 257 reply.
    let mkd = raw.expect("MKD d \"q\" r", 257);
    assert!(mkd.text().starts_with("\"/d \"\"q\"\" r\""), "{mkd}");
    raw.expect("CWD d \"q\" r", 250);
    let pwd = raw.expect("PWD", 257);
    assert!(pwd.text().starts_with("\"/d \"\"q\"\" r\""), "{pwd}");
    raw.stor("f.txt", b"x");
    raw.expect("RNFR f.txt", 350);
    raw.expect("RNTO ../g.txt", 250);
    assert_eq!(fs::read(server.root().join("g.txt")).expect("g"), b"x");
    let cdup = raw.command("CDUP");
    assert!(matches!(cdup.code.0, 200 | 250), "{cdup}");
    raw.expect("RMD d \"q\" r", 250);
    raw.expect("RMD d \"q\" r", 550);
    raw.expect("CWD g.txt", 550);
    raw.expect("DELE pub", 550);
    raw.expect("RNTO x", 503);
    // Listings.
    assert_eq!(names(&raw.read_data("NLST")), ["g.txt", "pub"]);
    assert_eq!(names(&raw.read_data("NLST pub")), ["pub/hello.txt"]);
    let list = names(&raw.read_data("LIST -la pub"));
    assert!(
        list.len() == 1 && list[0].starts_with("-rw") && list[0].ends_with(" hello.txt"),
        "{list:?}"
    );
    let mlsd = names(&raw.read_data("MLSD pub"));
    let hello = mlsd
        .iter()
        .find(|line| line.ends_with(" hello.txt"))
        .unwrap_or_else(|| panic!("{mlsd:?}"));
    let facts: Vec<&str> = hello.split(' ').next().expect("facts").split(';').collect();
    assert!(
        facts.contains(&"type=file") && facts.contains(&"size=13"),
        "{hello}"
    );
    let mlst = raw.expect("MLST pub/hello.txt", 250).to_string();
    assert!(
        mlst.starts_with("250-") && mlst.contains("type=file;size=13;"),
        "{mlst}"
    );
    let stat = raw.expect("STAT pub", 213).to_string();
    assert!(
        stat.starts_with("213-")
            && stat.ends_with("213 End of status")
            && stat.contains("hello.txt"),
        "{stat}"
    );
    // Facts about files.
    let mfmt = raw.expect("MFMT 20200102030405 g.txt", 213);
    assert_eq!(mfmt.to_string(), "213 Modify=20200102030405; /g.txt");
    assert_eq!(
        raw.expect("MDTM g.txt", 213).to_string(),
        "213 20200102030405"
    );
    raw.expect("SITE CHMOD 600 g.txt", 200);
    let mode = fs::metadata(server.root().join("g.txt"))
        .expect("g")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(raw.expect("SYST", 215).to_string(), "215 UNIX Type: L8");
    let feat = raw.expect("FEAT", 211).to_string();
    for feature in [
        "EPRT",
        "EPSV",
        "MDTM",
        "MLST type*;",
        "PASV",
        "REST STREAM",
        "SIZE",
        "TVFS",
        "UTF8",
    ] {
        assert!(feat.contains(&format!("\n {feature}")), "{feature}: {feat}");
    }
    assert!(raw.expect("HELP", 214).to_string().starts_with("214-"));
    raw.expect("NOOP", 200);
    for (command, code) in [
        ("XYZZY", 500),
        ("SMNT /", 502),
        ("TYPE E", 504),
        ("MODE B", 504),
        ("PORT 1,2,3", 501),
    ] {
        raw.expect(command, code);
    }
    // The rest of the command set, and the X forms.
    let xpwd = raw.expect("XPWD", 257);
    assert_eq!(xpwd.to_string(), "257 \"/\" is the current directory");
    for (command, code) in [
        ("XMKD x", 257),
        ("XCWD x", 250),
        ("XCUP", 250),
        ("XRMD x", 250),
        ("ALLO 100", 202),
        ("ACCT x", 202),
        ("STRU F", 200),
        ("MODE S", 200),
        ("TYPE L 8", 200),
        ("OPTS UTF8 ON", 200),
        ("SITE HELP", 214),
        ("HOST example.com", 503),
        ("EPSV ALL", 200),
        ("PASV", 503),
        ("REIN", 220),
        ("PWD", 530),
    ] {
        raw.expect(command, code);
    }
    raw.log_in(USER, PASSWORD);
    raw.expect("QUIT", 221);
}

/// With nothing but `--listen`, the server serves its working directory
/// read-only to anonymous users.
#[test]
fn no_options_but_listen_serve_the_working_directory_read_only() {
    let scratch = TempDir::new("ftp-server-e2e-cwd");
    fs::write(scratch.path().join("here.txt"), b"here").expect("write");
    let mut command = Command::new(program("ftp-server"));
    command
        .args(run_as_this_user())
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(scratch.path())
        .stderr(Stdio::null());
    let (_process, line) = KillOnDrop::spawn_until(command, "listening on", SERVER_STARTUP);
    assert!(line.contains("ftp://127.0.0.1:"), "{line}");
    let addr = ftp_tests::listening_address(&line);
    let mut raw = Raw::login_as(addr, "anonymous", "guest@example.com");
    raw.expect("TYPE I", 200);
    assert_eq!(raw.retr("here.txt"), b"here");
    let _data = raw.epsv();
    raw.expect("STOR x", 550);
    assert!(!scratch.path().join("x").exists());
    raw.expect("QUIT", 221);
}

/// The address printed at startup answers with a 220 greeting.
#[test]
fn the_listening_line_names_a_reachable_address() {
    let server = Server::start(&[]);
    let mut raw = Raw::open(server.addr());
    raw.expect("QUIT", 221);
}
