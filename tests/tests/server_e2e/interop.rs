//! Our server with the clients whose quirks it must meet: curl in every
//! data mode and with a large file, and the urgent-data forms of ABOR that
//! Python's ftplib and BSD ftp send (`MSG_OOB`, which `std` cannot send).
//! The wider matrix of clients is the `interop` test.

use std::fs;
use std::io::Write;
use std::process::Command;

use ftp_tests::server::Server;
use ftp_tests::{assert_same_file, have_curl, have_python, pattern, TempDir};

/// Runs curl with `args` (`-sS` added); it must succeed. Returns stderr.
fn curl(server: &Server, args: &[&str]) -> String {
    let output = Command::new("curl")
        .args(["-sS", "--max-time", "60"])
        .args(args)
        .output()
        .expect("curl runs");
    assert!(
        output.status.success(),
        "curl {args:?} failed:\n{}\n--- server log ---\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log_tail(40)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn curl_in_every_data_mode_over_ipv4_and_ipv6() {
    if !have_curl() {
        return;
    }
    let modes: [(&str, &[&str], bool); 4] = [
        ("EPSV", &[], true),
        ("PASV", &["--disable-epsv"], false),
        ("EPRT", &["--ftp-port", "-"], true),
        ("PORT", &["--ftp-port", "-", "--disable-eprt"], false),
    ];
    for host in ["127.0.0.1", "::1"] {
        let server = Server::start_on(host, &[]);
        let content = pattern(1 << 20, 7);
        fs::write(server.root().join("file.bin"), &content).expect("write");
        let scratch = TempDir::new("ftp-server-e2e-curl");
        for (verb, flags, works_on_ipv6) in modes {
            if host == "::1" && !works_on_ipv6 {
                continue;
            }
            let out = scratch.path().join(format!("{verb}.bin"));
            let url = format!("{}file.bin", server.url());
            let mut args = vec!["-g", "-v", "--user", "alice:secret", "-o"];
            let out_str = out.to_str().expect("utf-8 path");
            args.push(out_str);
            args.extend_from_slice(flags);
            args.push(&url);
            let trace = curl(&server, &args);
            assert!(
                trace.contains(&format!("> {verb}")),
                "curl did not use {verb}: {trace}"
            );
            let downloaded = fs::read(&out).expect("downloaded");
            assert!(downloaded == content, "{host} {verb} download differs");

            let upload_url = format!("{}up-{verb}.bin", server.url());
            let mut args = vec!["-g", "--user", "alice:secret", "-T", out_str];
            args.extend_from_slice(flags);
            args.push(&upload_url);
            curl(&server, &args);
            let uploaded =
                fs::read(server.root().join(format!("up-{verb}.bin"))).expect("uploaded");
            assert!(uploaded == content, "{host} {verb} upload differs");
        }
    }
}

/// A 256 MiB file down and up, compared byte for byte.
#[test]
fn a_large_file_survives_the_round_trip() {
    if !have_curl() {
        return;
    }
    const MIB: usize = 1 << 20;
    let server = Server::start(&["--anonymous=rw"]);
    // 256 blocks of one pseudo-random MiB, each with its number in front, so
    // that a lost, repeated or shifted block shows.
    let block = pattern(MIB, 11);
    let mut file = fs::File::create(server.root().join("large.bin")).expect("create");
    for index in 0..256u64 {
        file.write_all(&index.to_be_bytes()).expect("write");
        file.write_all(&block[8..]).expect("write");
    }
    drop(file);
    let scratch = TempDir::new("ftp-server-e2e-large");
    let down = scratch.path().join("large.bin");
    let url = format!("{}large.bin", server.url());
    curl(&server, &["-o", down.to_str().expect("utf-8"), &url]);
    assert_same_file(&server.root().join("large.bin"), &down);
    let up_url = format!("{}large-up.bin", server.url());
    curl(&server, &["-T", down.to_str().expect("utf-8"), &up_url]);
    assert_same_file(&down, &server.root().join("large-up.bin"));
}

/// ABOR as ftplib sends it (the line as urgent data, `MSG_OOB`) and as BSD
/// ftp does (Telnet IP, then Synch: IAC as the urgent byte, DM), during a
/// download: each is answered `426` then `226`, and the session goes on.
/// The plain in-band ABOR is tested in `transfers.rs`.
#[test]
fn ftplib_and_bsd_urgent_abor_forms_answer_426_then_226() {
    if !have_python() {
        return;
    }
    let server = Server::start(&[]);
    fs::write(server.root().join("big.bin"), pattern(64 << 20, 3)).expect("big file");
    let script = r#"
import ftplib, socket, sys
ftp = ftplib.FTP(timeout=10)
ftp.connect('127.0.0.1', int(sys.argv[1]))
ftp.login('alice', 'secret')
ftp.voidcmd('TYPE I')
conn = ftp.transfercmd('RETR big.bin')
assert len(conn.recv(65536)) > 0
resp = ftp.abort()
assert resp.startswith('426'), resp
conn.close()
assert ftp.voidresp().startswith('226')
conn = ftp.transfercmd('RETR big.bin')
assert len(conn.recv(65536)) > 0
ftp.sock.sendall(b'\xff\xf4')
ftp.sock.send(b'\xff', socket.MSG_OOB)
ftp.sock.sendall(b'\xf2ABOR\r\n')
first = ftp.getmultiline()
assert first.startswith('426'), first
conn.close()
assert ftp.getmultiline().startswith('226')
assert ftp.pwd() == '/'
ftp.quit()
"#;
    let output = Command::new("python3")
        .args(["-c", script, &server.addr().port().to_string()])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}\n--- server log ---\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log_tail(40)
    );
}
