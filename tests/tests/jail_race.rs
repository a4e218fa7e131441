//! Race tests of the server's jail (DESIGN.md, "Security": no path resolves
//! outside the root, also while the tree changes under the server). A
//! directory `d` inside the root is swapped with a symlink to a directory
//! outside it while sessions work on paths under `d`; a server that checks a
//! path and then uses it by name again follows the symlink in between.
//!
//! - [`local_swapper_never_lets_a_session_out`]: a local user who can write
//!   in the served tree swaps `d` (plain renames, then atomic
//!   `RENAME_EXCHANGE`) while a read-write user, an anonymous user and a
//!   reader run every path command under `d`.
//! - [`ftp_renames_never_turn_an_admins_symlink_into_a_way_out`]: with FTP
//!   alone, a read-write user renames an admin's symlink to outside and a
//!   real directory back and forth, pipelined, while another session reads
//!   through the name.
//!
//! Outside the root lie canary files: every name and content holds
//! `OUTSIDE`, every file has its own five-digit size and the time
//! 2001-02-03 04:05:06, one is root's alone (0600). A test fails if any
//! reply or data shows one of those, if anything outside changed (names,
//! kinds, modes, owners, sizes, contents, times), or if an upload temporary
//! (`.ftp-tmp-*`) is left anywhere. It also fails if legitimate work stopped:
//! every operation on a stable directory beside `d` must succeed during the
//! race, and some on `d` itself, so refusing everything does not pass.
//!
//! The servers run on 127.0.0.1 with OS-chosen ports; every process and
//! thread is stopped and every scratch directory removed when a test ends.
//! The tests print their counts (`cargo test -p ftp-tests --test jail_race
//! -- --nocapture`).

use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use ftp_tests::pattern;

/// The hardening tests' server and raw control connection.
#[allow(dead_code, unused_imports)]
#[path = "hardening/harness.rs"]
mod harness;

/// The test modules, in `tests/tests/jail_race/`.
mod jail_race {
    pub mod probe;
    pub mod tree;
}

use harness::Server;
use jail_race::probe::{contains, until, Leak, Probe, Tally, MARK};
use jail_race::tree::{self, INSIDE_SECRET, INSIDE_TXT, VICTIMS};

/// How long the local swapper runs (half by renames, half by exchanges).
const LOCAL_RACE: Duration = Duration::from_secs(8);
/// How long the FTP swapper runs.
const FTP_RACE: Duration = Duration::from_secs(8);
/// Successes the stable directory's operations need during a race.
const STABLE_MINIMUM: usize = 20;

/// The server's options: anonymous read-only access besides alice. (The
/// harness adds `--run-as root` when the tests run as root.)
const OPTIONS: &[&str] = &["--anonymous=ro"];

/// Fails unless the swapper left `root/d` the real directory, and nothing
/// of its own behind.
fn assert_d_is_real(root: &Path) {
    let meta = fs::symlink_metadata(root.join("d")).expect("d exists after the race");
    assert!(meta.is_dir(), "d is not the real directory after the race");
    for leftover in ["d.real", "d.link"] {
        assert!(
            fs::symlink_metadata(root.join(leftover)).is_err(),
            "{leftover} left behind by the swapper"
        );
    }
}

/// Legitimate work under `d` while nothing races: must all succeed.
fn d_works(addr: SocketAddr, sizes: &[u64]) {
    let mut alice = Probe::user(addr, "alice", sizes);
    assert_eq!(
        alice.get("RETR d/inside.txt").as_deref(),
        Some(INSIDE_TXT),
        "RETR d/inside.txt"
    );
    let listing = alice.get("NLST d").expect("NLST d");
    assert!(contains(&listing, b"inside.txt"), "NLST d: {listing:?}");
    assert_eq!(alice.cmd("SIZE d/secret").code.0, 213);
    assert!(
        alice.put("STOR d/probe", b"probe\n").is_some(),
        "STOR d/probe"
    );
    assert_eq!(alice.cmd("DELE d/probe").code.0, 250);
    let mut anonymous = Probe::anonymous(addr, "anonymous", sizes);
    assert_eq!(
        anonymous.get("RETR d/secret").as_deref(),
        Some(INSIDE_SECRET),
        "anonymous RETR d/secret"
    );
    alice.tally.merge(anonymous.tally);
    assert!(
        alice.tally.leaks.is_empty(),
        "leaks without a race: {:?}",
        alice.tally.leaks
    );
}

/// Runs every path command that changes something under `d`, as alice.
fn mutate(addr: SocketAddr, sizes: &[u64], deadline: Instant) -> Tally {
    let mut rw = Probe::user(addr, "rw", sizes);
    until(deadline, |i| {
        let k = i % VICTIMS;
        if rw.put(&format!("STOR d/new-{i}"), b"new file\n").is_some() {
            rw.cmd(&format!("DELE d/new-{i}"));
        }
        rw.put(&format!("STOR d/victim-{k}"), b"replaced inside\n");
        rw.put("APPE d/appe.txt", b"+\n");
        if rw.cmd("CWD d").code.0 == 250 {
            let stored = rw.put("STOU", b"unique\n");
            rw.cmd("CWD /");
            // 150 FILE: NAME (RFC 1123): removed again, so that d stays small.
            let name = stored.as_deref().and_then(|text| {
                let rest = text.split("FILE: ").nth(1)?;
                rest.split_whitespace().next().map(str::to_string)
            });
            if let Some(name) = name {
                rw.cmd_as("DELE d/<STOU's name>", &format!("DELE d/{name}"));
            }
        }
        rw.cmd(&format!("DELE d/victim-{k}"));
        rw.put(&format!("STOR d/victim-{k}"), b"recreated inside\n");
        rw.cmd(&format!("MKD d/dir-{i}"));
        rw.cmd(&format!("RMD d/dir-{i}"));
        rw.cmd("RMD d/emptydir");
        rw.cmd("MKD d/emptydir");
        rw.cmd(&format!("RNFR d/victim-{k}"));
        rw.cmd(&format!("RNTO d/moved-{k}"));
        rw.cmd(&format!("RNFR d/moved-{k}"));
        rw.cmd(&format!("RNTO d/victim-{k}"));
        rw.cmd("MFMT 20200101000000 d/inside.txt");
        rw.cmd("SITE CHMOD 644 d/secret");
        rw.cmd(&format!("SITE CHMOD 644 d/victim-{k}"));
    });
    rw.tally
}

/// Runs every path command that reads under `d`.
fn read(mut session: Probe<'_>, deadline: Instant) -> Tally {
    until(deadline, |_| {
        session.get("RETR d/secret");
        session.get("RETR d/inside.txt");
        session.cmd("SIZE d/secret");
        session.cmd("SIZE d/inside.txt");
        session.cmd("MDTM d/secret");
        session.cmd("MLST d/secret");
        session.cmd("MLST d");
        session.get("LIST d");
        session.get("NLST d");
        session.get("MLSD d");
        session.get("LIST d/secret");
        session.cmd("STAT d");
        session.cmd("STAT d/secret");
        if session.cmd("CWD d").code.0 == 250 {
            session.get("LIST");
            session.get("RETR secret");
            session.cmd("CWD /");
        }
    });
    session.tally
}

/// Legitimate work on `stable/`, beside `d`: every step must succeed.
/// Returns the tally and the failures.
fn stable(addr: SocketAddr, sizes: &[u64], deadline: Instant) -> (Tally, Vec<String>) {
    let mut alice = Probe::user(addr, "stable", sizes);
    let mut failures = Vec::new();
    until(deadline, |i| {
        let upload = pattern(100 + i % 700, i as u64);
        if alice.put("STOR stable/upload", &upload).is_none() {
            failures.push(format!("STOR stable/upload (round {i})"));
        }
        match alice.get("RETR stable/upload") {
            Some(bytes) if bytes == upload => {}
            other => failures.push(format!("RETR stable/upload (round {i}): {other:?}")),
        }
        match alice.get("RETR stable/file.txt") {
            Some(bytes) if bytes == INSIDE_TXT => {}
            other => failures.push(format!("RETR stable/file.txt (round {i}): {other:?}")),
        }
        match alice.get("NLST stable") {
            Some(names) if contains(&names, b"file.txt") => {}
            other => failures.push(format!("NLST stable (round {i}): {other:?}")),
        }
        if alice.cmd("SIZE stable/file.txt").text() != INSIDE_TXT.len().to_string() {
            failures.push(format!("SIZE stable/file.txt (round {i})"));
        }
    });
    (alice.tally, failures)
}

/// The verdict of a race: every failed check, with its numbers.
fn verdict(
    tally: &Tally,
    outside_changes: &[String],
    temporaries: &[std::path::PathBuf],
) -> Vec<String> {
    let mut failures = Vec::new();
    let reads = tally.count(Leak::Read);
    if reads > 0 {
        failures.push(format!(
            "read outside the root: {reads} times ({})",
            tally.describe(Leak::Read)
        ));
    }
    let listings = tally.count(Leak::Listing);
    if listings > 0 {
        failures.push(format!(
            "listed outside the root: {listings} times ({})",
            tally.describe(Leak::Listing)
        ));
    }
    if !outside_changes.is_empty() {
        let gone = outside_changes
            .iter()
            .filter(|c| c.ends_with("is gone"))
            .count();
        let new = outside_changes
            .iter()
            .filter(|c| c.ends_with("appeared"))
            .count();
        failures.push(format!(
            "wrote outside the root: {} changes: {gone} entries gone, {new} appeared, {} \
             changed (first ones: {})",
            outside_changes.len(),
            outside_changes.len() - gone - new,
            first(outside_changes)
        ));
    }
    if !temporaries.is_empty() {
        let outside = temporaries
            .iter()
            .filter(|path| !path.starts_with("./root"))
            .count();
        failures.push(format!(
            "upload temporaries left behind: {} ({outside} of them outside the root): {}",
            temporaries.len(),
            first(temporaries.iter().map(|path| path.display()))
        ));
    }
    failures
}

/// The first few of `items`, and how many more there are.
fn first<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|item| item.to_string()).collect();
    let mut text = items.iter().take(8).cloned().collect::<Vec<_>>().join("; ");
    if items.len() > 8 {
        text.push_str(&format!("; ... {} more", items.len() - 8));
    }
    text
}

/// A local user who can write in the served tree swaps `d` with a symlink
/// to a directory outside the root, as fast as it can, while sessions run
/// every path command under `d`. Nothing outside may be read, listed or
/// changed; legitimate work must go on.
#[test]
fn local_swapper_never_lets_a_session_out() {
    let _alone = harness::exclusive();
    let server = Server::start(OPTIONS);
    let (root, outside) = (server.root(), server.outside().join("outside"));
    let sizes = tree::outside_dir(&outside);
    tree::inside_dir(&root.join("d"));
    fs::create_dir(root.join("stable")).expect("mkdir stable");
    tree::write(&root.join("stable/file.txt"), INSIDE_TXT, 0o644);
    let before = tree::snapshot(&outside);
    d_works(server.addr(), &sizes);

    let addr = server.addr();
    let started = Instant::now();
    let deadline = started + LOCAL_RACE;
    let halfway = started + LOCAL_RACE / 2;
    let (swaps, tally, stable_failures) = thread::scope(|s| {
        let swapper = s.spawn(|| {
            let renames = tree::swap_by_renames(&root, &outside, halfway);
            let exchanges = tree::swap_by_exchange(&root, &outside, deadline)
                .unwrap_or_else(|| tree::swap_by_renames(&root, &outside, deadline));
            (renames, exchanges)
        });
        let rw = s.spawn(|| mutate(addr, &sizes, deadline));
        let anonymous = s.spawn(|| read(Probe::anonymous(addr, "anonymous", &sizes), deadline));
        let reader = s.spawn(|| read(Probe::user(addr, "reader", &sizes), deadline));
        let stable = s.spawn(|| stable(addr, &sizes, deadline));
        let mut tally = Tally::default();
        for session in [rw, anonymous, reader] {
            tally.merge(session.join().expect("a session panicked"));
        }
        let (stable_tally, stable_failures) = stable.join().expect("the stable session panicked");
        tally.merge(stable_tally);
        let swaps = swapper.join().expect("the swapper panicked");
        (swaps, tally, stable_failures)
    });
    let elapsed = started.elapsed();
    assert_d_is_real(&root);

    let outside_changes = tree::changes(&before, &tree::snapshot(&outside));
    let temporaries = tree::temporaries(server.outside());
    tally.print("local swapper");
    println!(
        "local swapper: {} swaps by renames, {} exchanges in {elapsed:?}; \
         outside: {} changes; {} upload temporaries left",
        swaps.0,
        swaps.1,
        outside_changes.len(),
        temporaries.len()
    );
    let mut failures = verdict(&tally, &outside_changes, &temporaries);
    let stable_ok = tally.ok("stable: RETR stable/file.txt");
    if !stable_failures.is_empty() || stable_ok < STABLE_MINIMUM {
        failures.push(format!(
            "legitimate work beside d failed: {} failures ({:?}), {stable_ok} downloads of \
             stable/file.txt (need {STABLE_MINIMUM})",
            stable_failures.len(),
            stable_failures.iter().take(5).collect::<Vec<_>>()
        ));
    }
    let d_reads = tally.ok("RETR d/inside.txt");
    let d_writes = tally.ok("rw: STOR d/new-N");
    println!(
        "local swapper: legitimate work: {stable_ok} downloads of stable/file.txt, \
         {} stable failures; on d: {d_reads} downloads of d/inside.txt, {d_writes} new files",
        stable_failures.len()
    );
    if d_reads == 0 || d_writes == 0 {
        failures.push(format!(
            "nothing on d itself succeeded during the race: {d_reads} downloads of \
             d/inside.txt, {d_writes} new files stored"
        ));
    }
    if failures.is_empty() {
        // Legitimate work on d goes on after the race too.
        d_works(addr, &sizes);
    }
    assert!(
        failures.is_empty(),
        "the jail let sessions out while d was swapped:\n{}\n--- server log ---\n{}",
        failures.join("\n"),
        server.log_tail(20)
    );
}

/// The rename cycle that turns the admin's symlink `d` into the real
/// directory `docs` and back, pipelined in one write.
const FTP_SWAP: [&str; 8] = [
    "RNFR d",
    "RNTO d.real",
    "RNFR docs",
    "RNTO d",
    "RNFR d",
    "RNTO docs",
    "RNFR d.real",
    "RNTO d",
];

/// An admin's symlink `d` leads outside the root (refused when used
/// directly); a read-write user swaps it with the real directory `docs` by
/// pipelined renames while other sessions read through `d`. Nothing outside
/// may be read or listed; `docs`' own files must be readable through `d`.
#[test]
fn ftp_renames_never_turn_an_admins_symlink_into_a_way_out() {
    let _alone = harness::exclusive();
    let server = Server::start(OPTIONS);
    let (root, outside) = (server.root(), server.outside().join("outside"));
    let sizes = tree::outside_dir(&outside);
    tree::inside_dir(&root.join("docs"));
    std::os::unix::fs::symlink(&outside, root.join("d")).expect("the admin's symlink");
    let before = tree::snapshot(&outside);
    let addr = server.addr();

    // Without a race the symlink is refused, and docs is served.
    let mut check = Probe::anonymous(addr, "check", &sizes);
    let refused = check.cmd("SIZE d/secret");
    assert_eq!(
        refused.code.0, 550,
        "SIZE d/secret through the symlink: {refused}"
    );
    assert_eq!(
        check.get("RETR docs/secret").as_deref(),
        Some(INSIDE_SECRET)
    );
    assert!(check.tally.leaks.is_empty(), "{:?}", check.tally.leaks);
    drop(check);

    let started = Instant::now();
    let deadline = started + FTP_RACE;
    let (cycles, tally) = thread::scope(|s| {
        let swapper = s.spawn(|| {
            let mut rw = Probe::user(addr, "swapper", &sizes);
            let mut complete = 0;
            until(deadline, |_| {
                let replies = rw.pipeline(&FTP_SWAP);
                complete += usize::from(replies.iter().all(|r| (200..400).contains(&r.code.0)));
            });
            (complete, rw.tally)
        });
        let readers = [
            s.spawn(|| through_d(Probe::anonymous(addr, "anonymous", &sizes), deadline)),
            s.spawn(|| through_d(Probe::user(addr, "reader", &sizes), deadline)),
        ];
        let mut tally = Tally::default();
        for reader in readers {
            tally.merge(reader.join().expect("a reader panicked"));
        }
        let (complete, swapper_tally) = swapper.join().expect("the swapper panicked");
        tally.merge(swapper_tally);
        (complete, tally)
    });
    let elapsed = started.elapsed();
    let outside_changes = tree::changes(&before, &tree::snapshot(&outside));
    let temporaries = tree::temporaries(server.outside());
    tally.print("FTP swapper");
    let docs_reads = tally.ok("RETR d/secret");
    println!(
        "FTP swapper: {cycles} complete rename cycles in {elapsed:?}; \
         {docs_reads} downloads of docs' own secret through d; outside: {} changes",
        outside_changes.len()
    );
    let mut failures = verdict(&tally, &outside_changes, &temporaries);
    if cycles == 0 {
        failures.push("no rename cycle completed: the race never ran".to_string());
    } else if docs_reads == 0 {
        failures.push(format!(
            "docs' own files were never readable through d ({cycles} cycles made d the \
             real directory)"
        ));
    }
    assert!(
        failures.is_empty(),
        "the jail let sessions out through renamed symlinks:\n{}\n--- server log ---\n{}",
        failures.join("\n"),
        server.log_tail(20)
    );
}

/// Reads through `d` until `deadline`: what the admin's symlink must never
/// give, and what `docs` (when it is `d`) must.
fn through_d(mut session: Probe<'_>, deadline: Instant) -> Tally {
    until(deadline, |_| {
        session.cmd("SIZE d/secret");
        if let Some(bytes) = session.get("RETR d/secret") {
            assert!(
                bytes == INSIDE_SECRET || contains(&bytes, MARK.as_bytes()),
                "RETR d/secret gave neither file: {bytes:?}"
            );
        }
        session.get("LIST d");
        session.cmd("MLST d/secret");
    });
    session.tally
}
