//! Transfers: every data mode down and up with REST and APPE, TYPE A line
//! ends, STOU, ABOR and QUIT during a download, uploads that fail or whose
//! client vanishes, names that are not UTF-8, and the transfer log.

use std::fs;
use std::io::{Read, Write};
use std::net::{Ipv6Addr, TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::thread;
use std::time::{Duration, Instant};

use ftp_tests::raw::{accept, Raw};
use ftp_tests::server::Server;
use ftp_tests::sockets::Resetting;
use ftp_tests::{have_python, pattern, TempDir, HELLO};

use crate::{anonymous, Mode};

#[test]
fn transfers_in_passive_and_active_mode_with_rest_and_appe() {
    let server = Server::start(&["--anonymous=rw"]);
    let mut raw = anonymous(&server);
    raw.expect("TYPE I", 200);
    let data = pattern(300_000, 1);
    let file = server.root().join("up.bin");
    for mode in [Mode::Pasv, Mode::Port] {
        mode.upload(&mut raw, "STOR up.bin", &data);
        assert!(fs::read(&file).expect("up.bin") == data, "{mode:?}: STOR");
        assert!(
            mode.download(&mut raw, "RETR up.bin") == data,
            "{mode:?}: RETR"
        );
        assert_eq!(raw.expect("SIZE up.bin", 213).text(), "300000");
        // REST, then RETR from the offset.
        raw.expect("REST 1000", 350);
        assert!(
            mode.download(&mut raw, "RETR up.bin") == data[1000..],
            "{mode:?}: REST"
        );
        // APPE writes in place at the end.
        mode.upload(&mut raw, "APPE up.bin", b"tail");
        let appended = [&data[..], b"tail"].concat();
        assert!(
            fs::read(&file).expect("up.bin") == appended,
            "{mode:?}: APPE"
        );
        // REST + STOR writes in place from the offset.
        raw.expect("REST 10", 350);
        mode.upload(&mut raw, "STOR up.bin", b"XYZ");
        assert_eq!(
            fs::read(&file).expect("up.bin"),
            [&data[..10], b"XYZ"].concat()
        );
        raw.expect("DELE up.bin", 250);
        assert!(!file.exists());
    }
    assert_eq!(server.temporaries(), Vec::<String>::new());
    raw.expect("QUIT", 221);
    let log = server.wait_for_log("anonymous STOR /up.bin: 300000 bytes");
    for line in [
        "data: passive (PASV) — server listens on 127.0.0.1:",
        "; client connects from 127.0.0.1:",
        "data: active (PORT) — client listens on 127.0.0.1:",
        "; server connects from 127.0.0.1:",
        "anonymous STOR /up.bin: 300000 bytes",
    ] {
        assert!(log.contains(line), "{line}\n{log}");
    }
}

#[test]
fn type_a_converts_line_ends_and_stou_names_the_file() {
    let server = Server::start(&["--anonymous=rw"]);
    fs::write(server.root().join("unix.txt"), b"one\ntwo\n").expect("write");
    let mut raw = anonymous(&server);
    raw.expect("TYPE A", 200);
    assert_eq!(raw.retr("unix.txt"), b"one\r\ntwo\r\n");
    raw.stor("dos.txt", b"a\r\nb\r\n");
    assert_eq!(
        fs::read(server.root().join("dos.txt")).expect("dos"),
        b"a\nb\n"
    );
    // STOU: the 150 reply names the file chosen.
    raw.expect("TYPE I", 200);
    let mut data = raw.pasv();
    let reply = raw.expect("STOU", 150);
    let text = reply.to_string();
    let name = text
        .strip_prefix("150 FILE: ")
        .unwrap_or_else(|| panic!("{text}"));
    data.write_all(b"unique").expect("upload");
    drop(data);
    raw.expect_reply(226);
    assert_eq!(fs::read(server.root().join(name)).expect("stou"), b"unique");
    raw.expect("QUIT", 221);
}

#[test]
fn transfers_over_ipv6_use_epsv_and_eprt() {
    let server = Server::start_on("::1", &["--anonymous=rw"]);
    let mut raw = anonymous(&server);
    raw.expect("TYPE I", 200);
    let content = b"v6".repeat(1000);
    raw.stor("six.bin", &content);
    assert_eq!(raw.retr("six.bin"), content);
    let listener = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).expect("listen on ::1");
    let port = listener.local_addr().expect("addr").port();
    raw.expect(&format!("EPRT |2|::1|{port}|"), 200);
    raw.expect("RETR six.bin", 150);
    let mut bytes = Vec::new();
    accept(&listener).read_to_end(&mut bytes).expect("data");
    raw.expect_reply(226);
    assert_eq!(bytes, content);
    raw.expect("PASV", 425);
    raw.expect("EPSV 1", 522);
    raw.expect("QUIT", 221);
    let log = server.wait_for_log("client listens on [::1]:");
    assert!(
        log.contains("data: passive (EPSV) — server listens on [::1]:"),
        "{log}"
    );
    assert!(
        log.contains("data: active (EPRT) — client listens on [::1]:"),
        "{log}"
    );
}

/// ABOR on the control connection during a download (in band, as a line):
/// `426`, then `226`; STAT meanwhile reports the transfer; with no transfer,
/// ABOR is `225` and the session goes on. The urgent-data forms of ftplib
/// and BSD ftp are in `interop.rs`.
#[test]
fn abor_during_a_download_answers_426_then_226() {
    let server = Server::start(&[]);
    fs::write(server.root().join("big.bin"), pattern(64 << 20, 3)).expect("big file");
    let mut raw = Raw::login(server.addr());
    raw.expect("TYPE I", 200);
    let mut data = raw.epsv();
    raw.expect("RETR big.bin", 150);
    let mut some = [0; 65536];
    assert!(data.read(&mut some).expect("data") > 0);
    let stat = raw.expect("STAT", 213);
    assert!(
        stat.to_string().starts_with("213 Transfer in progress: "),
        "{stat}"
    );
    raw.expect("ABOR", 426);
    drop(data);
    raw.expect_reply(226);
    let pwd = raw.expect("PWD", 257);
    assert!(pwd.text().starts_with("\"/\""), "{pwd}");
    raw.expect("ABOR", 225);
    assert_eq!(raw.retr("pub/hello.txt"), HELLO);
    raw.expect("QUIT", 221);
}

#[test]
fn quit_during_a_download_lets_it_finish() {
    let server = Server::start(&[]);
    let content = pattern(8 << 20, 5);
    fs::write(server.root().join("big.bin"), &content).expect("big file");
    let mut raw = Raw::login(server.addr());
    raw.expect("TYPE I", 200);
    let mut data = raw.epsv();
    raw.expect("RETR big.bin", 150);
    raw.send(b"QUIT\r\n");
    let mut bytes = Vec::new();
    data.read_to_end(&mut bytes).expect("data");
    assert!(bytes == content, "{} bytes came", bytes.len());
    raw.expect_reply(226);
    raw.expect_reply(221);
}

/// An upload aborted by ABOR, one broken by a reset data connection, and
/// one whose client hangs up the control connection and then ends the data
/// connection normally (in stream mode the end of the file, so it is kept).
#[test]
fn failed_uploads_leave_the_old_file_and_no_temporary() {
    let server = Server::start(&["--anonymous=rw"]);
    let keep = server.root().join("keep.bin");
    fs::write(&keep, b"old contents").expect("old file");
    let mut raw = anonymous(&server);
    raw.expect("TYPE I", 200);
    // Aborted by ABOR; active mode, as ftplib's test had it.
    let listener = raw.port();
    raw.expect("STOR keep.bin", 150);
    let mut data = accept(&listener);
    data.write_all(&b"partial".repeat(10_000)).expect("upload");
    raw.expect("ABOR", 426);
    drop(data);
    raw.expect_reply(226);
    assert_eq!(fs::read(&keep).expect("keep"), b"old contents");
    // Broken by a reset data connection.
    if have_python() {
        let reply = raw.expect("EPSV", 229);
        let port = ftp_core::protocol::addr::parse_epsv_reply(&reply.text()).expect("229 port");
        let data = Resetting::connect(port).expect("python3");
        raw.expect("STOR keep.bin", 150);
        data.send_then_reset(&b"partial".repeat(10_000));
        raw.expect_reply(426);
        assert_eq!(fs::read(&keep).expect("keep"), b"old contents");
        assert_eq!(server.temporaries(), Vec::<String>::new());
    }
    // The client hangs up the control connection, then ends the data
    // connection normally.
    let listener = raw.port();
    raw.expect("STOR keep.bin", 150);
    let mut data = accept(&listener);
    let whole = b"whole".repeat(10_000);
    data.write_all(&whole).expect("upload");
    drop(raw);
    thread::sleep(Duration::from_millis(300));
    drop(data);
    let deadline = Instant::now() + Duration::from_secs(5);
    while fs::read(&keep).expect("keep") != whole && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
    assert!(
        fs::read(&keep).expect("keep") == whole,
        "the upload was thrown away"
    );
    assert_eq!(server.temporaries(), Vec::<String>::new());
}

/// The uploading client vanishes in the middle of the upload (both its
/// sockets closed at once, as when its process is killed). Its kernel may
/// end the data connection normally — in stream mode the end of the file,
/// so the upload is committed as far as it came — or reset it, which keeps
/// the old file. Either way the file is one or the other, never a mix, and
/// no temporary file is left.
#[test]
fn an_upload_cut_off_mid_transfer_is_never_mixed_with_the_old_file() {
    let server = Server::start(&["--anonymous=rw"]);
    fs::write(server.root().join("keep.bin"), b"old contents").expect("old file");
    let mut raw = anonymous(&server);
    raw.expect("TYPE I", 200);
    let mut data = raw.epsv();
    raw.expect("STOR keep.bin", 150);
    let chunk = vec![b'x'; 1 << 20];
    data.write_all(&chunk).expect("the first MiB");
    let cut = data.try_clone().expect("clone");
    let sender = thread::spawn(move || while data.write_all(&chunk).is_ok() {});
    thread::sleep(Duration::from_millis(200));
    let _ = cut.shutdown(std::net::Shutdown::Both);
    drop(raw);
    sender.join().expect("sender");
    let log = server.wait_for_log("anonymous STOR /keep.bin");
    let kept = fs::read(server.root().join("keep.bin")).expect("read");
    let committed = !kept.is_empty() && kept.iter().all(|&byte| byte == b'x');
    if log.contains("incomplete") {
        assert!(
            kept == b"old contents",
            "an incomplete upload replaced keep.bin with {} bytes\n{log}",
            kept.len()
        );
    } else {
        assert!(
            committed,
            "keep.bin is a mix of {} bytes\n{log}",
            kept.len()
        );
    }
    let names: Vec<_> = fs::read_dir(server.root())
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 2, "a temporary file was left: {names:?}");
}

#[test]
fn xferlog_records_each_file_transfer() {
    let scratch = TempDir::new("ftp-server-e2e-xferlog");
    let path = scratch.path().join("xferlog");
    let server = Server::start(&["--anonymous", "--xferlog", path.to_str().expect("utf-8")]);
    let mut raw = anonymous(&server);
    raw.expect("TYPE I", 200);
    assert_eq!(raw.retr("pub/hello.txt"), HELLO);
    raw.expect("QUIT", 221);
    let log = server.wait_for_log("RETR /pub/hello.txt");
    assert!(
        log.contains("anonymous RETR /pub/hello.txt: 13 bytes"),
        "{log}"
    );
    let xferlog = fs::read_to_string(&path).expect("xferlog");
    let fields: Vec<&str> = xferlog.split_whitespace().collect();
    assert_eq!(fields.len(), 18, "{xferlog}");
    assert_eq!(
        &fields[6..],
        [
            "127.0.0.1",
            "13",
            "/pub/hello.txt",
            "b",
            "_",
            "o",
            "a",
            "anonymous",
            "ftp",
            "0",
            "*",
            "c"
        ]
    );
}

/// A name in Latin-1 (not UTF-8) is stored, listed and read back as the
/// same bytes.
#[test]
fn non_utf8_names_round_trip() {
    let server = Server::start(&["--anonymous=rw"]);
    let mut raw = anonymous(&server);
    raw.expect("TYPE I", 200);
    let name: &[u8] = b"caf\xe9.txt";
    let mut data = raw.epsv();
    raw.send(&[b"STOR ", name, b"\r\n"].concat());
    raw.expect_reply(150);
    data.write_all(b"latin").expect("upload");
    drop(data);
    raw.expect_reply(226);
    let path = server.root().join(std::ffi::OsStr::from_bytes(name));
    assert_eq!(fs::read(&path).expect("the Latin-1 name"), b"latin");
    let listing = raw.read_data("NLST");
    assert_eq!(listing, [name, b"\r\npub\r\n"].concat());
    let mut data: TcpStream = raw.epsv();
    raw.send(&[b"RETR ", name, b"\r\n"].concat());
    raw.expect_reply(150);
    let mut bytes = Vec::new();
    data.read_to_end(&mut bytes).expect("data");
    raw.expect_reply(226);
    assert_eq!(bytes, b"latin");
}
