//! What a session may do to files beyond "inside the root": the root itself
//! stays as it is, replacing uploads carry no setuid bit, and anonymous
//! users see only what everyone may see. Each attack is followed by the
//! legitimate form of the same command, which must work.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::harness::{Raw, Server};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("stat").mode() & 0o7777
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Uploads `content` to `name` over EPSV; the transfer must succeed.
fn stor(raw: &mut Raw, name: &str, content: &[u8]) {
    let mut data = raw.epsv();
    raw.expect(&format!("STOR {name}"), 150);
    data.write_all(content).expect("upload");
    drop(data);
    let done = raw.reply();
    assert_eq!(done.code.0, 226, "{done}");
}

/// SITE CHMOD and MFMT of `/` — or of a symlink to it — are refused like
/// RMD `/`; the same commands on a file below the root work.
#[test]
fn the_root_directory_is_never_changed() {
    let server = Server::start(&[]);
    let root = server.root();
    std::os::unix::fs::symlink(".", root.join("self")).expect("symlink");
    let before = mode(&root);
    let mut raw = Raw::login(server.addr());
    for path in ["/", "self", "pub/.."] {
        raw.expect(&format!("SITE CHMOD 777 {path}"), 550);
        raw.expect(&format!("MFMT 20000101000000 {path}"), 550);
        raw.expect(&format!("RMD {path}"), 550);
    }
    raw.expect("RNFR /", 550);
    assert_eq!(mode(&root), before, "the root's mode");
    raw.expect("SITE CHMOD 750 pub", 200);
    assert_eq!(mode(&root.join("pub")), 0o750);
    raw.expect("MFMT 20000101000000 pub/hello.txt", 213);
    raw.expect("QUIT", 221);
}

/// A STOR that replaces a setuid file gives the new file the old one's
/// permission bits only.
#[test]
fn a_replacing_upload_never_carries_a_setuid_bit() {
    let server = Server::start(&[]);
    let target = server.root().join("pub/tool");
    fs::write(&target, b"#!/bin/sh\necho old\n").expect("write");
    chmod(&target, 0o4755);
    let mut raw = Raw::login(server.addr());
    stor(&mut raw, "pub/tool", b"#!/bin/sh\necho uploaded\n");
    assert_eq!(
        fs::read(&target).expect("read"),
        b"#!/bin/sh\necho uploaded\n"
    );
    assert_eq!(mode(&target), 0o755, "permission bits kept, setuid dropped");
    // SITE CHMOD cannot set it either.
    raw.expect("SITE CHMOD 4755 pub/tool", 501);
    assert_eq!(mode(&target), 0o755);
    raw.expect("QUIT", 221);
}

/// RETR of `name`: 0 when it was sent, else the refusal's code.
fn try_retr(raw: &mut Raw, name: &str) -> u16 {
    let mut data = raw.epsv();
    let reply = raw.command(&format!("RETR {name}"));
    if reply.code.0 != 150 {
        return reply.code.0;
    }
    let mut bytes = Vec::new();
    data.read_to_end(&mut bytes).expect("data");
    assert_eq!(raw.reply().code.0, 226);
    0
}

/// Anonymous users read only world-readable files, enter only
/// world-executable directories and list only world-readable ones, whatever
/// the server's own user may do; `--anonymous-reads-all` lifts that.
#[test]
fn anonymous_sees_only_what_everyone_may_see() {
    for (options, restricted) in [
        (&["--anonymous"][..], true),
        (&["--anonymous", "--anonymous-reads-all"][..], false),
    ] {
        let server = Server::start(options);
        let root = server.root();
        fs::write(root.join("pub/secret"), b"not for everyone").expect("write");
        chmod(&root.join("pub/secret"), 0o600);
        fs::create_dir(root.join("private")).expect("mkdir");
        fs::write(root.join("private/f"), b"private").expect("write");
        chmod(&root.join("private"), 0o700);
        fs::create_dir(root.join("unlisted")).expect("mkdir");
        chmod(&root.join("unlisted"), 0o711);
        let refused = if restricted { 550 } else { 0 };
        let mut raw = Raw::open(server.addr());
        raw.expect("USER anonymous", 331);
        raw.expect("PASS guest@", 230);
        // Everyone may read pub/hello.txt.
        assert_eq!(raw.retr("pub/hello.txt"), ftp_tests::HELLO);
        assert_eq!(try_retr(&mut raw, "pub/secret"), refused, "a 0600 file");
        assert_eq!(try_retr(&mut raw, "private/f"), refused, "in a 0700 dir");
        let cwd = raw.command("CWD private").code.0;
        assert_eq!(cwd == 550, restricted, "CWD into a 0700 directory: {cwd}");
        raw.expect("CWD /", 250);
        // A directory others may enter but not read: entered, not listed.
        raw.expect("CWD unlisted", 250);
        let _data = raw.epsv();
        let list = raw.command("LIST").code.0;
        assert_eq!(list == 550, restricted, "LIST of a 0711 directory: {list}");
        if list == 150 {
            assert_eq!(raw.reply().code.0, 226);
        }
        raw.expect("QUIT", 221);
    }
}
