//! Unit tests of the session state machine: commands in, replies and actions
//! out, no sockets. File-system commands run in scratch directories.

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ftp_core::protocol::data_setup::DataCommand;
use ftp_core::{Command, Error, Phase};

use super::{Action, DataFailure, DataSetup, Job, Outcome, Session};
use crate::config::{parse_args, Config, Parsed};
use crate::storage::tests::Scratch;

/// A server root with a few files, and a config built from options.
struct Fixture {
    dir: Scratch,
    config: Arc<Config>,
}

impl Fixture {
    fn new(options: &[&str]) -> Fixture {
        let dir = Scratch::new("session");
        std::fs::create_dir(dir.0.join("pub")).expect("mkdir");
        std::fs::write(dir.0.join("pub/hello.txt"), b"hello, world\n").expect("write");
        let root = dir.0.to_str().expect("utf-8 temp dir").to_string();
        let mut args = vec!["--root".to_string(), root];
        args.extend(options.iter().map(|s| s.to_string()));
        let config = match parse_args(&args).expect("valid options") {
            Parsed::Run(config) => Arc::new(*config),
            other => panic!("not a config: {other:?}"),
        };
        Fixture { dir, config }
    }

    fn session(&self) -> Session {
        self.session_between("127.0.0.1", "127.0.0.1")
    }

    fn session_between(&self, peer: &str, local: &str) -> Session {
        Session::new(Arc::clone(&self.config), ip(peer), ip(local))
    }

    /// A session logged in as `user` with password `pw`.
    fn logged_in(&self, user: &str, pw: &str) -> Session {
        let mut session = self.session();
        assert_eq!(code(&send(&mut session, &format!("USER {user}"))), 331);
        assert_eq!(code(&send(&mut session, &format!("PASS {pw}"))), 230);
        session
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn send(session: &mut Session, line: &str) -> Outcome {
    send_bytes(session, line.as_bytes())
}

fn send_bytes(session: &mut Session, line: &[u8]) -> Outcome {
    session.handle(Command::parse(line).expect("a valid command"))
}

fn code(outcome: &Outcome) -> u16 {
    outcome.reply.as_ref().expect("a reply").code.0
}

fn text(outcome: &Outcome) -> String {
    outcome.reply.as_ref().expect("a reply").text()
}

/// Sets up an active data connection so that transfer commands go ahead.
fn port(session: &mut Session) {
    assert_eq!(code(&send(session, "EPRT |1|127.0.0.1|40000|")), 200);
}

fn transfer(outcome: Outcome) -> super::Transfer {
    assert_eq!(code(&outcome), 150, "{}", text(&outcome));
    match outcome.action {
        Action::Transfer(transfer) => *transfer,
        other => panic!("expected a transfer, got {other:?}"),
    }
}

#[test]
fn before_login_only_a_few_commands_are_answered() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.session();
    for line in [
        "CWD /", "PWD", "LIST", "PASV", "EPSV", "STAT", "ABOR", "RETR x", "SIZE x", "MKD x",
    ] {
        assert_eq!(code(&send(&mut session, line)), 530, "{line}");
    }
    assert_eq!(text(&send(&mut session, "SYST")), "UNIX Type: L8");
    assert_eq!(code(&send(&mut session, "SYST")), 215);
    assert_eq!(code(&send(&mut session, "NOOP")), 200);
    assert_eq!(code(&send(&mut session, "FEAT")), 211);
    assert_eq!(code(&send(&mut session, "HELP")), 214);
    assert_eq!(code(&send(&mut session, "XYZZY")), 500);
    assert_eq!(code(&send(&mut session, "HOST ftp.example.com")), 220);
}

#[test]
fn login_succeeds_with_the_right_password_and_is_delayed_when_wrong() {
    let fixture = Fixture::new(&["--user", "alice:secret"]);
    let mut session = fixture.session();
    assert_eq!(
        code(&send(&mut session, "PASS secret")),
        503,
        "PASS before USER"
    );
    for attempt in 1..=3 {
        assert_eq!(code(&send(&mut session, "USER alice")), 331);
        let failed = send(&mut session, "PASS wrong");
        assert_eq!(code(&failed), 530);
        let close = matches!(failed.action, Action::FailedLogin { close: true });
        assert!(matches!(failed.action, Action::FailedLogin { .. }));
        assert_eq!(close, attempt == 3, "closed after the third failure only");
    }
    let mut session = fixture.session();
    assert_eq!(code(&send(&mut session, "USER alice")), 331);
    assert_eq!(code(&send(&mut session, "PASS secret")), 230);
    assert_eq!(session.user(), Some("alice"));
    assert_eq!(code(&send(&mut session, "USER bob")), 503);
}

#[test]
fn unknown_users_get_the_same_331_and_anonymous_is_off_with_users() {
    let fixture = Fixture::new(&["--user", "alice:secret"]);
    let mut session = fixture.session();
    assert_eq!(code(&send(&mut session, "USER nobody")), 331);
    assert_eq!(code(&send(&mut session, "PASS secret")), 530);
    assert_eq!(code(&send(&mut session, "USER anonymous")), 331);
    assert_eq!(code(&send(&mut session, "PASS me@example.com")), 530);
}

#[test]
fn anonymous_is_read_only_by_default() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.logged_in("anonymous", "me@example.com");
    for line in [
        "MKD new",
        "RMD pub",
        "DELE pub/hello.txt",
        "RNFR pub/hello.txt",
        "SITE CHMOD 600 pub/hello.txt",
        "MFMT 20200101000000 pub/hello.txt",
    ] {
        assert_eq!(code(&send(&mut session, line)), 550, "{line}");
    }
    for line in ["STOR x", "APPE x", "STOU"] {
        port(&mut session);
        assert_eq!(code(&send(&mut session, line)), 550, "{line}");
    }
    assert!(fixture.dir.0.join("pub/hello.txt").exists());
    assert!(!fixture.dir.0.join("new").exists());
}

#[test]
fn rein_logs_out_and_host_must_come_first() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.logged_in("ftp", "");
    assert_eq!(code(&send(&mut session, "HOST example.com")), 503);
    assert_eq!(code(&send(&mut session, "REIN")), 220);
    assert_eq!(code(&send(&mut session, "PWD")), 530);
    assert_eq!(code(&send(&mut session, "USER ftp")), 331);
    assert_eq!(
        code(&send(&mut session, "HOST example.com")),
        503,
        "after USER"
    );
}

#[test]
fn port_and_eprt_only_to_the_client_and_not_below_1024() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.logged_in("ftp", "");
    let ok = send(&mut session, "PORT 127,0,0,1,156,64");
    assert_eq!(code(&ok), 200);
    let expected: SocketAddr = "127.0.0.1:40000".parse().expect("addr");
    assert_eq!(
        session.data,
        Some(DataSetup::Active {
            command: DataCommand::Port,
            addr: expected,
        })
    );
    for line in [
        "PORT 10,0,0,1,156,64",
        "PORT 127,0,0,2,156,64",
        "PORT 127,0,0,1,0,21",
        "EPRT |1|192.0.2.1|40000|",
        "EPRT |2|::1|40000|",
        "EPRT |1|127.0.0.1|1023|",
    ] {
        assert_eq!(code(&send(&mut session, line)), 501, "{line}");
        assert_eq!(session.data, None, "{line}: no data setup after a refusal");
    }
    // The unspecified address stands for the client's own.
    assert_eq!(code(&send(&mut session, "EPRT |1|0.0.0.0|40000|")), 200);
    assert_eq!(
        session.data,
        Some(DataSetup::Active {
            command: DataCommand::Eprt,
            addr: expected,
        })
    );
}

#[test]
fn a_session_on_a_pipe_refuses_active_mode_also_after_rein() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.session().with_unknown_peer();
    for _ in 0..2 {
        assert_eq!(code(&send(&mut session, "USER anonymous")), 331);
        assert_eq!(code(&send(&mut session, "PASS x")), 230);
        for line in ["PORT 127,0,0,1,156,64", "EPRT |1|127.0.0.1|40000|"] {
            let refused = send(&mut session, line);
            assert_eq!(code(&refused), 502, "{line}");
            assert!(
                text(&refused).contains("PASV or EPSV"),
                "{}",
                text(&refused)
            );
        }
        assert!(matches!(
            send(&mut session, "EPSV").action,
            Action::OpenPassive { .. }
        ));
        assert_eq!(code(&send(&mut session, "REIN")), 220);
    }
}

#[test]
fn an_ipv4_client_on_a_dual_stack_socket_may_use_port() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.session_between("::ffff:127.0.0.1", "::ffff:127.0.0.1");
    assert_eq!(code(&send(&mut session, "USER ftp")), 331);
    assert_eq!(code(&send(&mut session, "PASS x")), 230);
    assert_eq!(code(&send(&mut session, "PORT 127,0,0,1,156,64")), 200);
    let pasv = send(&mut session, "PASV");
    assert!(matches!(pasv.action, Action::OpenPassive { ip, .. } if ip == self::ip("127.0.0.1")));
}

#[test]
fn passive_replies_have_the_exact_formats() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.logged_in("ftp", "");
    let outcome = send(&mut session, "PASV");
    assert!(outcome.reply.is_none());
    let Action::OpenPassive { ip, command } = outcome.action else {
        panic!("no OpenPassive")
    };
    assert_eq!((ip, command), (self::ip("127.0.0.1"), DataCommand::Pasv));
    let reply = session.passive_opened(command, "127.0.0.1:30017".parse().expect("addr"));
    assert_eq!(
        reply.to_wire(),
        b"227 Entering Passive Mode (127,0,0,1,117,65).\r\n"
    );
    assert!(session.passive_pending());
    let reply = session.passive_opened(DataCommand::Epsv, "127.0.0.1:30017".parse().expect("addr"));
    assert_eq!(
        reply.to_wire(),
        b"229 Entering Extended Passive Mode (|||30017|)\r\n"
    );
}

#[test]
fn pasv_advertises_the_nat_address() {
    let fixture = Fixture::new(&["--pasv-address", "203.0.113.7"]);
    let mut session = fixture.logged_in("ftp", "");
    let reply = session.passive_opened(DataCommand::Pasv, "127.0.0.1:30017".parse().expect("addr"));
    assert_eq!(reply.text(), "Entering Passive Mode (203,0,113,7,117,65).");
}

#[test]
fn a_data_connection_that_cannot_be_made_gets_a_425_naming_the_likely_cause() {
    let fixture = Fixture::new(&["--data-timeout", "5"]);
    let mut session = fixture.logged_in("ftp", "");
    let to: SocketAddr = "127.0.0.1:40000".parse().expect("addr");
    let mut reply = |failure| {
        let reply = session.data_failed(&failure);
        assert_eq!(reply.code.0, 425, "{failure:?}");
        reply.text()
    };
    assert_eq!(
        reply(DataFailure::Connect {
            to,
            error: Error::Timeout(Phase::Connect)
        }),
        "Cannot open data connection to 127.0.0.1:40000: no answer within 5 s \
         (a firewall or NAT in front of the client blocks active mode; try passive)"
    );
    let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    let text = reply(DataFailure::Connect {
        to,
        error: Error::Io(refused),
    });
    assert!(
        text.starts_with("Cannot open data connection to 127.0.0.1:40000: ")
            && !text.contains("firewall"),
        "a refusal is no firewall's silence: {text}"
    );
    assert_eq!(
        reply(DataFailure::Accept {
            listening: Some("[::1]:30000".parse().expect("addr")),
            error: Error::Timeout(Phase::Accept)
        }),
        "Cannot open data connection: nobody connected to [::1]:30000 within 5 s \
         (a firewall or NAT in front of the server blocks passive mode; \
         see --pasv-address and --pasv-ports)"
    );
    assert_eq!(reply(DataFailure::NoListener), "Use PASV or EPSV first");
}

#[test]
fn a_passive_listener_that_cannot_be_opened_forgets_the_data_setup() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.logged_in("ftp", "");
    let listening = "127.0.0.1:30017".parse().expect("addr");
    for failure in [
        DataFailure::PassiveShareUsed,
        DataFailure::Listen(Error::Io(std::io::ErrorKind::AddrInUse.into())),
    ] {
        session.passive_opened(DataCommand::Epsv, listening);
        assert!(session.passive_pending());
        let reply = session.data_failed(&failure);
        assert_eq!(reply.code.0, 425);
        assert!(
            reply.text().starts_with("Cannot open passive connection: "),
            "{}",
            reply.text()
        );
        assert!(!session.passive_pending(), "{failure:?}");
    }
    assert!(session
        .data_failed(&DataFailure::PassiveShareUsed)
        .text()
        .contains("127.0.0.1 already holds its share of the passive ports"));
}

#[test]
fn epsv_all_refuses_the_other_data_commands() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.logged_in("ftp", "");
    assert_eq!(code(&send(&mut session, "EPSV ALL")), 200);
    for line in ["PORT 127,0,0,1,156,64", "EPRT |1|127.0.0.1|40000|", "PASV"] {
        assert_eq!(code(&send(&mut session, line)), 503, "{line}");
    }
    assert!(matches!(
        send(&mut session, "EPSV").action,
        Action::OpenPassive { .. }
    ));
}

#[test]
fn epsv_protocols_must_match_the_connection() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.logged_in("ftp", "");
    assert!(matches!(
        send(&mut session, "EPSV 1").action,
        Action::OpenPassive { .. }
    ));
    let refused = send(&mut session, "EPSV 2");
    assert_eq!(
        (code(&refused), text(&refused).as_str()),
        (522, "Network protocol not supported, use (1)")
    );

    let mut session = fixture.session_between("::1", "::1");
    send(&mut session, "USER ftp");
    send(&mut session, "PASS x");
    assert_eq!(code(&send(&mut session, "PASV")), 425, "PASV is IPv4 only");
    assert_eq!(
        text(&send(&mut session, "EPSV 1")),
        "Network protocol not supported, use (2)"
    );
    let epsv = send(&mut session, "EPSV 2");
    assert!(matches!(epsv.action, Action::OpenPassive { ip, .. } if ip == self::ip("::1")));
}

#[test]
fn active_and_passive_can_be_turned_off() {
    let fixture = Fixture::new(&["--no-active"]);
    let mut session = fixture.logged_in("ftp", "");
    assert_eq!(code(&send(&mut session, "PORT 127,0,0,1,156,64")), 502);
    assert_eq!(code(&send(&mut session, "EPRT |1|127.0.0.1|40000|")), 502);
    let fixture = Fixture::new(&["--no-passive"]);
    let mut session = fixture.logged_in("ftp", "");
    assert_eq!(code(&send(&mut session, "PASV")), 502);
    assert_eq!(code(&send(&mut session, "EPSV")), 502);
}

#[test]
fn transfer_parameters() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.logged_in("ftp", "");
    for (line, expected) in [
        ("TYPE A", 200),
        ("TYPE A N", 200),
        ("TYPE I", 200),
        ("TYPE L 8", 200),
        ("TYPE E", 504),
        ("TYPE A T", 504),
        ("TYPE L 7", 504),
        ("MODE S", 200),
        ("MODE B", 504),
        ("STRU F", 200),
        ("STRU R", 504),
        ("ALLO 100", 202),
        ("ACCT x", 202),
        ("SMNT /", 502),
        ("ABOR", 225),
    ] {
        assert_eq!(code(&send(&mut session, line)), expected, "{line}");
    }
}

#[test]
fn transfers_need_a_data_setup_which_they_use_up() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.logged_in("ftp", "");
    assert_eq!(code(&send(&mut session, "RETR pub/hello.txt")), 425);
    port(&mut session);
    assert_eq!(code(&send(&mut session, "RETR pub/missing")), 550);
    assert_eq!(
        code(&send(&mut session, "RETR pub/hello.txt")),
        425,
        "used up by the failed RETR"
    );
    port(&mut session);
    assert_eq!(code(&send(&mut session, "RETR pub")), 550, "a directory");
}

#[test]
fn rest_then_retr_starts_at_the_offset() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.logged_in("ftp", "");
    port(&mut session);
    assert_eq!(code(&send(&mut session, "REST 7")), 350);
    let transfer = transfer(send(&mut session, "RETR /pub/hello.txt"));
    let Job::SendFile { mut file, len } = transfer.job else {
        panic!("not a file")
    };
    let mut rest = String::new();
    file.read_to_string(&mut rest).expect("read");
    assert_eq!((rest.as_str(), len), ("world\n", 6));
    let record = transfer.record.expect("a record");
    assert_eq!(
        (record.verb, record.path.as_bytes()),
        ("RETR", &b"/pub/hello.txt"[..])
    );
    // The offset is used once.
    port(&mut session);
    let Job::SendFile { mut file, len } = transfer_job(send(&mut session, "RETR /pub/hello.txt"))
    else {
        panic!("not a file")
    };
    let mut all = String::new();
    file.read_to_string(&mut all).expect("read");
    assert_eq!((all.as_str(), len), ("hello, world\n", 13));
    port(&mut session);
    send(&mut session, "REST 100");
    assert_eq!(code(&send(&mut session, "RETR /pub/hello.txt")), 554);
}

fn transfer_job(outcome: Outcome) -> Job {
    transfer(outcome).job
}

#[test]
fn stor_writes_through_an_upload_that_commits() {
    let fixture = Fixture::new(&["--anonymous=rw"]);
    let mut session = fixture.logged_in("anonymous", "x");
    port(&mut session);
    let Job::Receive(mut upload) = transfer_job(send(&mut session, "STOR pub/hello.txt")) else {
        panic!("not an upload")
    };
    std::io::Write::write_all(&mut upload, b"new").expect("write");
    assert_eq!(
        std::fs::read(fixture.dir.0.join("pub/hello.txt")).expect("read"),
        b"hello, world\n"
    );
    upload.commit().expect("commit");
    assert_eq!(
        std::fs::read(fixture.dir.0.join("pub/hello.txt")).expect("read"),
        b"new"
    );
    port(&mut session);
    let outcome = send(&mut session, "STOU");
    assert!(
        text(&outcome).starts_with("FILE: ftp-upload-"),
        "{}",
        text(&outcome)
    );
}

#[test]
fn file_commands_stay_in_the_jail() {
    let outside = Scratch::new("session-outside");
    let fixture = Fixture::new(&["--anonymous=rw"]);
    std::os::unix::fs::symlink(&outside.0, fixture.dir.0.join("escape")).expect("symlink");
    let mut session = fixture.logged_in("anonymous", "x");
    assert_eq!(code(&send(&mut session, "CWD ../../../..")), 250);
    assert_eq!(
        text(&send(&mut session, "PWD")),
        "\"/\" is the current directory"
    );
    assert_eq!(code(&send(&mut session, "CWD escape")), 550);
    assert_eq!(code(&send(&mut session, "MKD escape/x")), 550);
    assert_eq!(code(&send(&mut session, "SIZE /etc/passwd")), 550);
    port(&mut session);
    assert_eq!(code(&send(&mut session, "STOR escape/planted")), 550);
    assert_eq!(std::fs::read_dir(&outside.0).expect("ls").count(), 0);
    let reply = text(&send(&mut session, "CWD escape"));
    assert!(
        !reply.contains(&*fixture.dir.0.to_string_lossy()),
        "real path leaked: {reply}"
    );
}

#[test]
fn directories_are_made_changed_and_quoted() {
    let fixture = Fixture::new(&["--anonymous=rw"]);
    let mut session = fixture.logged_in("anonymous", "x");
    let made = send(&mut session, "MKD say \"hi\"");
    assert_eq!(
        (code(&made), text(&made)),
        (257, "\"/say \"\"hi\"\"\" created".to_string())
    );
    assert_eq!(code(&send(&mut session, "CWD say \"hi\"")), 250);
    assert_eq!(
        text(&send(&mut session, "PWD")),
        "\"/say \"\"hi\"\"\" is the current directory"
    );
    assert_eq!(code(&send(&mut session, "CDUP")), 250);
    assert_eq!(code(&send(&mut session, "MKD say \"hi\"")), 550, "exists");
    assert_eq!(code(&send(&mut session, "RMD say \"hi\"")), 250);
    assert_eq!(code(&send(&mut session, "RMD pub")), 550, "not empty");
    assert_eq!(
        code(&send(&mut session, "CWD pub/hello.txt")),
        550,
        "not a directory"
    );
}

#[test]
fn rename_needs_rnfr_directly_before_rnto() {
    let fixture = Fixture::new(&["--anonymous=rw"]);
    let mut session = fixture.logged_in("anonymous", "x");
    assert_eq!(code(&send(&mut session, "RNTO b")), 503);
    assert_eq!(code(&send(&mut session, "RNFR pub/missing")), 550);
    assert_eq!(code(&send(&mut session, "RNFR pub/hello.txt")), 350);
    assert_eq!(code(&send(&mut session, "NOOP")), 200);
    assert_eq!(
        code(&send(&mut session, "RNTO b")),
        503,
        "forgotten after NOOP"
    );
    assert_eq!(code(&send(&mut session, "RNFR pub/hello.txt")), 350);
    assert_eq!(code(&send(&mut session, "RNTO /renamed.txt")), 250);
    assert!(fixture.dir.0.join("renamed.txt").exists());
    assert_eq!(code(&send(&mut session, "DELE renamed.txt")), 250);
    assert_eq!(code(&send(&mut session, "DELE pub")), 550, "a directory");
}

#[test]
fn size_mdtm_and_mfmt() {
    let fixture = Fixture::new(&["--anonymous=rw"]);
    let mut session = fixture.logged_in("anonymous", "x");
    assert_eq!(text(&send(&mut session, "SIZE pub/hello.txt")), "13");
    assert_eq!(code(&send(&mut session, "SIZE pub")), 550);
    let set = send(&mut session, "MFMT 20200102030405 pub/hello.txt");
    assert_eq!(
        (code(&set), text(&set)),
        (213, "Modify=20200102030405; /pub/hello.txt".to_string())
    );
    assert_eq!(
        text(&send(&mut session, "MDTM pub/hello.txt")),
        "20200102030405"
    );
    // A time that is no date is refused by the parser, saying which field is wrong.
    let bad_month = Command::parse(b"MFMT 20201301000000 pub/hello.txt").expect_err("month 13");
    let refused = session.unparsable(&bad_month);
    assert_eq!(
        (refused.code.0, refused.text()),
        (
            501,
            "MFMT: time must be YYYYMMDDHHMMSS[.sss] in UTC: month outside 01-12 in \"20201301000000\""
                .to_string()
        )
    );
    // A fraction is kept to the nanosecond; the reply and MDTM give whole seconds.
    let precise = send(&mut session, "MFMT 20210304050607.25 pub/hello.txt");
    assert_eq!(
        (code(&precise), text(&precise)),
        (213, "Modify=20210304050607; /pub/hello.txt".to_string())
    );
    assert_eq!(
        text(&send(&mut session, "MDTM pub/hello.txt")),
        "20210304050607"
    );
    assert_eq!(
        code(&send(&mut session, "SITE CHMOD 600 pub/hello.txt")),
        200
    );
    assert_eq!(
        code(&send(&mut session, "SITE CHMOD 9999 pub/hello.txt")),
        501
    );
    assert_eq!(code(&send(&mut session, "SITE HELP")), 214);
    assert_eq!(code(&send(&mut session, "SITE EXEC ls")), 500);
}

#[test]
fn listings_go_over_the_data_connection_and_mlst_over_control() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.logged_in("ftp", "");
    port(&mut session);
    let listed = |session: &mut Session, line: &str| {
        let Job::SendListing(mut lines) = transfer_job(send(session, line)) else {
            panic!("not a listing")
        };
        let mut bytes = Vec::new();
        lines.read_to_end(&mut bytes).expect("rendered");
        bytes
    };
    assert_eq!(listed(&mut session, "NLST pub"), b"pub/hello.txt\r\n");
    port(&mut session);
    assert_eq!(code(&send(&mut session, "MLSD pub/hello.txt")), 501);
    port(&mut session);
    let bytes = listed(&mut session, "MLSD pub");
    assert!(bytes.starts_with(b"type=file;size=13;") && bytes.ends_with(b" hello.txt\r\n"));
    let mlst = send(&mut session, "MLST pub/hello.txt");
    let wire = String::from_utf8(mlst.reply.expect("reply").to_wire()).expect("utf-8");
    assert!(
        wire.starts_with("250-Listing /pub/hello.txt\r\n type=file;size=13;"),
        "{wire}"
    );
    assert!(wire.ends_with(" /pub/hello.txt\r\n250 End\r\n"), "{wire}");
    let Action::StatusListing(status) = send(&mut session, "STAT pub").action else {
        panic!("STAT with a path sends a listing on the control connection");
    };
    assert_eq!(status.first, "Status of pub:");
    let mut lines = String::new();
    std::io::Read::read_to_string(&mut { status.lines }, &mut lines).expect("render");
    assert!(lines.contains(" hello.txt\r\n"), "{lines}");
    assert_eq!(status.last, "End of status");
}

#[test]
fn opts_select_mlst_facts_and_feat_shows_them() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.logged_in("ftp", "");
    assert_eq!(code(&send(&mut session, "OPTS UTF8 ON")), 200);
    assert_eq!(code(&send(&mut session, "OPTS FOO")), 501);
    assert_eq!(
        text(&send(&mut session, "OPTS MLST type;size;")),
        "MLST OPTS type;size;"
    );
    let feat = text(&send(&mut session, "FEAT"));
    assert!(feat.contains("\n MLST type*;size*;modify;"), "{feat}");
    for feature in [
        "EPRT",
        "EPSV",
        "MDTM",
        "PASV",
        "REST STREAM",
        "SIZE",
        "TVFS",
        "UTF8",
        "HOST",
    ] {
        assert!(
            feat.contains(&format!("\n {feature}\n")),
            "{feature} missing from {feat}"
        );
    }
}

#[test]
fn quit_closes() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.session();
    let quit = send(&mut session, "QUIT");
    assert_eq!(code(&quit), 221);
    assert!(matches!(quit.action, Action::Close));
}

#[test]
fn non_utf8_names_reach_the_file_system_as_bytes() {
    let fixture = Fixture::new(&["--anonymous=rw"]);
    let mut session = fixture.logged_in("anonymous", "x");
    assert_eq!(code(&send_bytes(&mut session, b"MKD caf\xe9")), 257);
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9");
    assert!(fixture.dir.0.join(name).is_dir());
    assert_eq!(code(&send_bytes(&mut session, b"CWD caf\xe9")), 250);
}

#[test]
fn status_names_the_client_the_host_and_the_data_setup() {
    let fixture = Fixture::new(&[]);
    let mut session = fixture.session();
    assert_eq!(code(&send(&mut session, "HOST files.example.com")), 220);
    send(&mut session, "USER ftp");
    send(&mut session, "PASS x");
    port(&mut session);
    let status = send(&mut session, "STAT");
    assert_eq!(code(&status), 211);
    let text = text(&status);
    assert!(
        text.contains("Connected from 127.0.0.1 to host files.example.com"),
        "{text}"
    );
    assert!(text.contains("Logged in as anonymous (ro)"), "{text}");
    assert!(
        text.contains("Active (EPRT): will connect to 127.0.0.1:40000"),
        "{text}"
    );
}

#[test]
fn users_with_a_home_are_jailed_in_it() {
    let fixture = Fixture::new(&[]);
    let home = fixture.dir.0.join("alice-home");
    std::fs::create_dir(&home).expect("mkdir");
    std::fs::write(home.join("mine.txt"), b"mine").expect("write");
    let users = fixture.dir.0.join("users");
    std::fs::write(&users, "alice:pw:rw:alice-home\n").expect("users file");
    std::fs::set_permissions(&users, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let root = fixture.dir.0.to_str().expect("utf-8").to_string();
    let args: Vec<String> = ["--root", &root, "--users", users.to_str().expect("utf-8")]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let Ok(Parsed::Run(config)) = parse_args(&args) else {
        panic!("bad options")
    };
    let mut session = Session::new(Arc::new(*config), ip("127.0.0.1"), ip("127.0.0.1"));
    send(&mut session, "USER alice");
    assert_eq!(code(&send(&mut session, "PASS pw")), 230);
    assert_eq!(text(&send(&mut session, "SIZE /mine.txt")), "4");
    assert_eq!(
        code(&send(&mut session, "SIZE /pub/hello.txt")),
        550,
        "the server root is out of reach"
    );
    assert_eq!(code(&send(&mut session, "CWD ..")), 250);
    assert_eq!(
        text(&send(&mut session, "PWD")),
        "\"/\" is the current directory"
    );
}

#[test]
fn file_system_errors_map_to_reply_codes() {
    use super::files::fs_error;
    use std::io::{Error, ErrorKind};
    for (err, expected) in [
        (Error::from(ErrorKind::NotFound), 550),
        (Error::from(ErrorKind::PermissionDenied), 550),
        (Error::from(ErrorKind::DirectoryNotEmpty), 550),
        (Error::from(ErrorKind::InvalidInput), 553),
        (Error::from_raw_os_error(36), 553),
        (Error::from_raw_os_error(40), 550),
        (Error::from(ErrorKind::StorageFull), 452),
        (Error::from(ErrorKind::QuotaExceeded), 552),
        (Error::from_raw_os_error(27), 552),
        (Error::from(ErrorKind::Other), 451),
    ] {
        assert_eq!(fs_error(&err).code.0, expected, "{err:?}");
    }
}

#[test]
fn quirks_change_which_reply_is_sent() {
    let plain = Fixture::new(&[]);
    let quirky = Fixture::new(&[
        "--quirk",
        "no-epsv,no-eprt,no-mlsd,no-feat,125-always,size-in-ascii,empty-list-missing",
    ]);
    let mut ours = plain.logged_in("anonymous", "x");
    let mut odd = quirky.logged_in("anonymous", "x");
    assert_eq!(ours.greeting().lines, ["ftp-server ready"]);
    let greeting = odd.greeting();
    assert_eq!(greeting.code.0, 220);
    assert!(
        greeting.lines[0].contains("no-epsv,no-eprt"),
        "{greeting:?}"
    );
    for line in ["EPSV", "EPRT |1|127.0.0.1|40000|", "MLSD", "MLST", "FEAT"] {
        let reply = send(&mut ours, line).reply.map(|reply| reply.code.0);
        assert_ne!(reply, Some(500), "{line}");
        assert_eq!(code(&send(&mut odd, line)), 500, "{line}");
    }
    let features = odd.features().text();
    assert!(
        !features.contains("EPSV") && !features.contains("MLST"),
        "{features}"
    );
    assert!(features.contains("PASV"), "{features}");
    // hello.txt: 13 bytes, one LF.
    for (session, ascii) in [(&mut ours, "13"), (&mut odd, "14")] {
        assert_eq!(text(&send(session, "SIZE pub/hello.txt")), "13");
        send(session, "TYPE A");
        assert_eq!(text(&send(session, "SIZE pub/hello.txt")), ascii);
    }
    for session in [&mut ours, &mut odd] {
        assert_eq!(code(&send(session, "PORT 127,0,0,1,156,64")), 200);
    }
    assert_eq!(code(&send(&mut ours, "LIST missing")), 550);
    let outcome = send(&mut odd, "LIST missing");
    assert_eq!(code(&outcome), 125, "vsftpd's empty listing, with 125");
    let Action::Transfer(transfer) = outcome.action else {
        panic!("a transfer")
    };
    let super::Job::SendListing(mut lines) = transfer.job else {
        panic!("a listing")
    };
    let mut listed = Vec::new();
    lines.read_to_end(&mut listed).expect("rendered");
    assert!(listed.is_empty());
}

#[test]
fn pasv_bad_ip_and_227_text_quirks() {
    let fixture = Fixture::new(&["--quirk", "pasv-bad-ip,lowercase-227,227-no-parens"]);
    let mut session = fixture.logged_in("anonymous", "x");
    let listening: SocketAddr = "127.0.0.1:1025".parse().expect("addr");
    let reply = session.passive_opened(DataCommand::Pasv, listening);
    assert_eq!(reply.code.0, 227);
    assert_eq!(reply.text(), "entering passive mode 192,0,2,1,4,1.");
}

#[test]
fn final_replies_as_the_quirks_want_them() {
    use super::TransferEnd;
    use crate::quirks::Quirks;
    let quirks = |spec: &str| Quirks::parse(&[spec.to_string()]).expect("valid");
    let done = TransferEnd {
        result: Ok(5),
        aborted: false,
    };
    let aborted = TransferEnd {
        result: Err(ftp_core::Error::ConnectionClosed),
        aborted: true,
    };
    let none = Quirks::default();
    let code = |end: &TransferEnd, quirks: &Quirks| {
        Session::quirky_transfer_reply(end, quirks).map(|reply| reply.code.0)
    };
    assert_eq!(code(&done, &none), Some(226));
    assert_eq!(code(&aborted, &none), Some(426));
    assert_eq!(code(&done, &quirks("no-226")), None);
    assert_eq!(code(&aborted, &quirks("no-226")), Some(426));
    assert_eq!(code(&aborted, &quirks("abor-226-only")), None);
    assert_eq!(code(&done, &quirks("abor-226-only")), Some(226));
}
