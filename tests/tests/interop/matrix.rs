//! The matrix's vocabulary and its runner: address families, data-channel
//! modes, operations, the outcome of one cell, and a bounded pool of threads
//! that runs the jobs (one job = one peer × family × mode, all its operations
//! in a row against one server).
//!
//! It does not know any peer: the jobs come from `clients.rs` (our server ×
//! third-party clients) and `servers.rs` (our client × third-party servers).

use std::collections::VecDeque;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

/// The address family of the loopback address a cell runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// 127.0.0.1
    V4,
    /// ::1
    V6,
}

impl Family {
    /// Both families, in table order.
    pub const ALL: [Family; 2] = [Family::V4, Family::V6];

    /// The loopback address of this family.
    pub fn loopback(self) -> IpAddr {
        match self {
            Family::V4 => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Family::V6 => IpAddr::V6(Ipv6Addr::LOCALHOST),
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        })
    }
}

/// How the data connection is opened: the command that sets it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// RFC 959 passive: the server listens, `227 (h1,h2,h3,h4,p1,p2)`.
    Pasv,
    /// RFC 2428 extended passive: the server listens, `229 (|||port|)`.
    Epsv,
    /// RFC 959 active: the client listens, `PORT h1,h2,h3,h4,p1,p2`.
    Port,
    /// RFC 2428 extended active: the client listens, `EPRT |af|ip|port|`.
    Eprt,
}

impl Mode {
    /// The four modes, in table order.
    pub const ALL: [Mode; 4] = [Mode::Pasv, Mode::Epsv, Mode::Port, Mode::Eprt];

    /// The command's verb, as the programs' `data: passive (EPSV)` lines show it.
    pub fn verb(self) -> &'static str {
        match self {
            Mode::Pasv => "PASV",
            Mode::Epsv => "EPSV",
            Mode::Port => "PORT",
            Mode::Eprt => "EPRT",
        }
    }

    /// Whether the server listens (passive) rather than the client (active).
    pub fn is_passive(self) -> bool {
        matches!(self, Mode::Pasv | Mode::Epsv)
    }

    /// Whether this is one of RFC 959's modes, which carry only an IPv4
    /// address and so have no IPv6 form.
    pub fn is_ipv4_only(self) -> bool {
        matches!(self, Mode::Pasv | Mode::Port)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.verb())
    }
}

/// Why no IPv6 cell exists for PASV and PORT.
pub const NO_IPV6_FORM: &str = "PASV and PORT carry only an IPv4 address (RFC 2428 §1)";

/// One operation a cell checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// The right password logs in, a wrong one is refused.
    Login,
    /// A directory listing names the files that are there.
    List,
    /// A download arrives byte for byte.
    Get,
    /// An upload arrives byte for byte.
    Put,
    /// A download resumed after a partial local copy (`REST` + `RETR`).
    Reget,
    /// An upload resumed after a partial remote copy (`REST` + `STOR` or `APPE`).
    Reput,
    /// `MKD`, `RNFR`/`RNTO`, `DELE` and `RMD` change the server's tree.
    Files,
}

impl Op {
    /// Whether the operation opens a data connection, so the mode matters.
    pub fn uses_data(self) -> bool {
        !matches!(self, Op::Login | Op::Files)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Login => "login",
            Op::List => "list",
            Op::Get => "download",
            Op::Put => "upload",
            Op::Reget => "resume download",
            Op::Reput => "resume upload",
            Op::Files => "mkdir/rename/delete/rmdir",
        })
    }
}

/// What one cell found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The check passed.
    Pass,
    /// The check failed: a short reason and the exchange that shows it.
    Fail {
        /// One line for the table's notes.
        reason: String,
        /// The programs' output or the protocol dialog.
        evidence: String,
    },
    /// The check cannot be made: the peer has no way to do this.
    NotApplicable(String),
    /// The check failed because of a documented bug of the third party.
    ThirdParty {
        /// The documented bug.
        bug: &'static KnownBug,
        /// The exchange of this run that shows it.
        evidence: String,
    },
}

impl Outcome {
    /// A failure with its evidence.
    pub fn fail(reason: impl Into<String>, evidence: impl Into<String>) -> Outcome {
        Outcome::Fail {
            reason: reason.into(),
            evidence: evidence.into(),
        }
    }

    /// Whether the cell may stay as it is: passed, not applicable, or a
    /// documented third-party bug.
    pub fn is_acceptable(&self) -> bool {
        !matches!(self, Outcome::Fail { .. })
    }
}

/// One cell of the matrix.
#[derive(Clone, Debug)]
pub struct Cell {
    /// The third-party program (or our own) on the other side.
    pub peer: &'static str,
    /// The address family.
    pub family: Family,
    /// The data-channel mode.
    pub mode: Mode,
    /// The operation.
    pub op: Op,
    /// What happened.
    pub outcome: Outcome,
}

/// A bug of a third-party program that makes a cell fail, documented with
/// its cause; the run's own evidence is attached to the cell.
#[derive(Debug, PartialEq, Eq)]
pub struct KnownBug {
    /// The peer whose bug it is.
    pub peer: &'static str,
    /// The family it shows on.
    pub family: Family,
    /// The mode it shows in.
    pub mode: Mode,
    /// The operation that fails.
    pub op: Op,
    /// What the third party does wrong, and why it is not ours.
    pub cause: &'static str,
}

/// Marks the failed cells that `bugs` documents as third-party bugs, and the
/// documented cells that passed as failures, so that the list stays true.
pub fn apply_known_bugs(cells: &mut [Cell], bugs: &'static [KnownBug]) {
    for cell in cells.iter_mut() {
        let Some(bug) = bugs.iter().find(|bug| {
            (bug.peer, bug.family, bug.mode, bug.op) == (cell.peer, cell.family, cell.mode, cell.op)
        }) else {
            continue;
        };
        cell.outcome = match std::mem::replace(&mut cell.outcome, Outcome::Pass) {
            Outcome::Fail { evidence, .. } => Outcome::ThirdParty { bug, evidence },
            Outcome::Pass => Outcome::fail(
                "documented as a third-party bug but passed: update the list of known bugs",
                bug.cause,
            ),
            other => other,
        };
    }
}

/// The operations of one job, run one after the other against one server.
pub type JobRun = Box<dyn FnOnce() -> Vec<(Op, Outcome)> + Send>;

/// One peer × family × mode: every operation of it, against one server.
pub struct Job {
    /// The peer's name, as the tables show it.
    pub peer: &'static str,
    /// The address family.
    pub family: Family,
    /// The data-channel mode.
    pub mode: Mode,
    /// The operations the job reports on, in table order.
    pub ops: &'static [Op],
    /// Runs them.
    pub run: JobRun,
}

impl Job {
    /// A job whose every operation is not applicable, for `reason`.
    pub fn not_applicable(
        peer: &'static str,
        family: Family,
        mode: Mode,
        ops: &'static [Op],
        reason: &str,
    ) -> Job {
        let reason = reason.to_string();
        Job {
            peer,
            family,
            mode,
            ops,
            run: Box::new(move || {
                ops.iter()
                    .map(|&op| (op, Outcome::NotApplicable(reason.clone())))
                    .collect()
            }),
        }
    }

    /// Runs the job; a panic (a server that did not start, say) fails every
    /// operation of it with the panic's message.
    fn execute(self) -> Vec<Cell> {
        let Job {
            peer,
            family,
            mode,
            ops,
            run,
        } = self;
        let results = panic::catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "the job panicked".into());
            ops.iter()
                .map(|&op| (op, Outcome::fail("the job panicked", message.clone())))
                .collect()
        });
        results
            .into_iter()
            .map(|(op, outcome)| Cell {
                peer,
                family,
                mode,
                op,
                outcome,
            })
            .collect()
    }
}

/// Runs `jobs` on at most `workers` threads and returns every cell, in the
/// order of the jobs.
pub fn run_jobs(jobs: Vec<Job>, workers: usize) -> Vec<Cell> {
    let count = jobs.len();
    let queue = Mutex::new(jobs.into_iter().enumerate().collect::<VecDeque<_>>());
    let done = Mutex::new(Vec::with_capacity(count));
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            scope.spawn(|| loop {
                let next = queue.lock().map(|mut queue| queue.pop_front());
                let Ok(Some((index, job))) = next else {
                    break;
                };
                let cells = job.execute();
                if let Ok(mut done) = done.lock() {
                    done.push((index, cells));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_default();
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().flat_map(|(_, cells)| cells).collect()
}

/// Checks that every data connection in `trace` (the programs' `data:
/// passive (EPSV) — ...` lines) was opened with `mode`, and that there was one.
pub fn check_mode(trace: &str, mode: Mode) -> Result<(), String> {
    let used: Vec<&str> = trace
        .lines()
        .filter_map(|line| {
            let rest = line.split("data: ").nth(1)?;
            let verb = rest.split_once('(')?.1.split_once(')')?.0;
            let opened = rest.starts_with("passive") || rest.starts_with("active");
            (opened && !rest.contains("failed")).then_some(verb)
        })
        .collect();
    match used.iter().find(|&&verb| verb != mode.verb()) {
        _ if used.is_empty() => Err("no data connection was opened".into()),
        Some(other) => Err(format!("the data connection used {other}, not {mode}")),
        None => Ok(()),
    }
}

/// Checks that every data connection `trace` shows made (the programs'
/// `data: ... client connects from ...` or `... server connects from ...`
/// lines) was protected by TLS: as many lines hold `protected`.
pub fn check_protected(trace: &str, protected: &str) -> Result<(), String> {
    let count = trace
        .lines()
        .filter(|line| line.contains("data: ") && line.contains(" connects from "))
        .count();
    let secured = trace
        .lines()
        .filter(|line| line.contains(protected))
        .count();
    match secured == count {
        true => Ok(()),
        false => Err(format!(
            "{secured} of {count} data connections were protected by TLS"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_mode_wants_every_connection_in_the_mode() {
        let epsv = "x data: passive (EPSV) — server listens on 127.0.0.1:1\n";
        let pasv = "data: passive (PASV) — server listens on 127.0.0.1:2\n";
        assert_eq!(check_mode(epsv, Mode::Epsv), Ok(()));
        assert_eq!(
            check_mode(&format!("{epsv}{pasv}"), Mode::Epsv),
            Err("the data connection used PASV, not EPSV".into())
        );
        assert!(check_mode("no data here", Mode::Port).is_err());
        assert!(check_mode("data: active (PORT) failed: timeout", Mode::Port).is_err());
    }

    #[test]
    fn check_protected_wants_every_connection_protected() {
        let server = "[t DEBUG d] data: passive (EPSV) — server listens on [::1]:1\n\
                      [t DEBUG d] data: passive (EPSV) — server listens on [::1]:1; \
                      client connects from [::1]:3\n\
                      [t DEBUG d] data: protected by TLS 1.3 (session resumed)\n";
        assert_eq!(check_protected(server, "data: protected by TLS"), Ok(()));
        let twice =
            format!("{server}data: active (EPRT) — client listens on [::1]:2; server connects from [::1]:4\n");
        assert_eq!(
            check_protected(&twice, "data: protected by TLS"),
            Err("1 of 2 data connections were protected by TLS".into())
        );
        let client = "data: active (EPRT) — client listens on [::1]:2; server connects from [::1]:4\n\
                      data connection protected: TLS 1.3 (session resumed)\n";
        assert_eq!(check_protected(client, "data connection protected"), Ok(()));
    }

    #[test]
    fn a_panicking_job_fails_each_of_its_operations() {
        let job = Job {
            peer: "p",
            family: Family::V4,
            mode: Mode::Pasv,
            ops: &[Op::Login, Op::List],
            run: Box::new(|| panic!("no greeting")),
        };
        let cells = run_jobs(vec![job], 2);
        assert_eq!(cells.len(), 2);
        assert!(cells
            .iter()
            .all(|cell| cell.outcome == Outcome::fail("the job panicked", "no greeting")));
    }

    static BUGS: [KnownBug; 1] = [KnownBug {
        peer: "p",
        family: Family::V6,
        mode: Mode::Eprt,
        op: Op::List,
        cause: "sends the wrong address",
    }];

    #[test]
    fn known_bugs_excuse_failures_and_must_still_fail() {
        let cell = |op, outcome| Cell {
            peer: "p",
            family: Family::V6,
            mode: Mode::Eprt,
            op,
            outcome,
        };
        let mut cells = vec![
            cell(Op::List, Outcome::fail("425", "dialog")),
            cell(Op::Get, Outcome::fail("425", "dialog")),
        ];
        apply_known_bugs(&mut cells, &BUGS);
        assert_eq!(
            cells[0].outcome,
            Outcome::ThirdParty {
                bug: &BUGS[0],
                evidence: "dialog".into()
            }
        );
        assert!(!cells[1].outcome.is_acceptable());
        let mut passed = vec![cell(Op::List, Outcome::Pass)];
        apply_known_bugs(&mut passed, &BUGS);
        assert!(!passed[0].outcome.is_acceptable());
    }
}
