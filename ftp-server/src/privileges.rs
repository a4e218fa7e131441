//! Who the sessions run as: `--run-as USER`, and no session as root.
//!
//! [`plan`] decides, before anything is bound, from the process's effective
//! ids (read from `/proc/self/status`, without libc) and `--run-as`:
//!
//! | running as | `--run-as` | [`Plan`] |
//! |---|---|---|
//! | root | none | refused: a one-line error naming `--run-as` |
//! | root | `root`, or a user whose uid is 0 | [`Plan::Stay`], with a warning: root on purpose |
//! | root | another user | [`Plan::Switch`]: bind as root, then become that user |
//! | not root | none, or the current user | [`Plan::Stay`] |
//! | not root | another user | refused: switching users takes root |
//!
//! The switch ([`switch`]) makes no `setuid` call of its own (the crate
//! forbids unsafe code). The process re-executes itself through std's
//! `CommandExt::{uid, gid, exec}`, which, run as root, drops every
//! supplementary group (`setgroups(0)`), then sets the gid and the uid, then
//! `exec`s: the PID stays, no root process is left behind, and as the new
//! uid is not 0 the new program starts without capabilities.
//!
//! The new process gets the same arguments and the environment variable
//! [`SWITCHED`] holding USER. It is internal, not an option: it says that the
//! switch is done ([`Plan::Switched`]). In standalone mode its stdin is then
//! the listening socket root bound (std hands over stdin, stdout and stderr
//! only, hence one `--listen` address with a switch) and its stdout the
//! `--xferlog` file root opened for appending, or `/dev/null` — or, with
//! an `--implicit-tls-listen` address (one), that listener, and the new
//! process opens the xferlog itself, as USER; stderr stays the log. In inetd mode the three streams stay the connection, and the
//! xferlog is opened by the new process, as USER. Either way the new process
//! parses and checks its options again, as USER, so an unreadable root, home
//! or users file is found with the sessions' own permissions.
//!
//! What it does not do: bind sockets or open the xferlog
//! ([`crate::server`] does, and passes them to [`switch`]).

use std::fmt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// The environment variable that tells the re-executed server that it
/// already runs as the `--run-as` user (its value), and what its standard
/// streams are; see the module documentation.
pub const SWITCHED: &str = "FTP_SERVER_SWITCHED_TO";

/// The user database read by [`Identity::resolve`].
const PASSWD: &str = "/etc/passwd";

/// The user sessions run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The name given to `--run-as`.
    pub name: String,
    /// Its user id.
    pub uid: u32,
    /// Its group id (the primary group, from the passwd entry).
    pub gid: u32,
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (uid {}, gid {})", self.name, self.uid, self.gid)
    }
}

impl Identity {
    /// `--run-as SPEC`: a user name from `/etc/passwd`, a numeric `UID`
    /// listed there, or `UID:GID` (for boxes without a passwd entry).
    pub fn resolve(spec: &str) -> Result<Identity, String> {
        let passwd = std::fs::read_to_string(PASSWD).unwrap_or_default();
        lookup(spec, &passwd)
    }
}

/// [`Identity::resolve`] on the text of a passwd file.
fn lookup(spec: &str, passwd: &str) -> Result<Identity, String> {
    let entries: Vec<Identity> = passwd.lines().filter_map(passwd_entry).collect();
    if let Some(entry) = entries.iter().find(|entry| entry.name == spec) {
        return Ok(entry.clone());
    }
    let number = |s: &str| s.parse::<u32>().ok();
    let found = match spec.split_once(':') {
        Some((uid, gid)) => number(uid).zip(number(gid)).map(|(uid, gid)| Identity {
            name: spec.to_string(),
            uid,
            gid,
        }),
        None => number(spec).and_then(|uid| entries.into_iter().find(|entry| entry.uid == uid)),
    };
    found.ok_or_else(|| {
        format!("--run-as {spec}: no such user in {PASSWD} (give a user name, UID or UID:GID)")
    })
}

/// `name:x:uid:gid:gecos:home:shell`, or `None` for a line that is not one.
fn passwd_entry(line: &str) -> Option<Identity> {
    let mut fields = line.split(':');
    let name = fields.next().filter(|name| !name.is_empty())?;
    let _password = fields.next()?;
    Some(Identity {
        name: name.to_string(),
        uid: fields.next()?.parse().ok()?,
        gid: fields.next()?.parse().ok()?,
    })
}

/// The process's effective ids and supplementary groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    /// Effective user id.
    pub uid: u32,
    /// Effective group id.
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

impl Ids {
    /// This process's, from `/proc/self/status`.
    pub fn current() -> Result<Ids, String> {
        let status = std::fs::read_to_string("/proc/self/status")
            .map_err(|err| format!("cannot tell which user this is: /proc/self/status: {err}"))?;
        Ids::from_status(&status)
            .ok_or_else(|| "cannot tell which user this is: no Uid/Gid in /proc/self/status".into())
    }

    /// Parses the `Uid:`, `Gid:` (real, effective, saved, file system) and
    /// `Groups:` lines of a `/proc/PID/status` text.
    pub fn from_status(status: &str) -> Option<Ids> {
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        };
        let effective = |name: &str| field(name)?.split_whitespace().nth(1)?.parse().ok();
        let groups = field("Groups")?
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        Some(Ids {
            uid: effective("Uid")?,
            gid: effective("Gid")?,
            groups,
        })
    }
}

/// What to do about privileges before serving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Serve as this process is.
    Stay,
    /// Bind (standalone) as root, then [`switch`] to this user.
    Switch(Identity),
    /// This process is the re-executed one, already the `--run-as` user.
    Switched,
}

/// Decides from this process's ids, `--run-as` and [`SWITCHED`]; see the
/// module documentation. `listeners` is the number of sockets to hand
/// over in a switch (the `--listen` addresses; 0 in inetd mode). Logs a
/// warning when sessions will run as root on purpose.
pub fn plan(run_as: Option<&Identity>, listeners: usize) -> Result<Plan, String> {
    let ids = Ids::current()?;
    let plan = decide(&ids, run_as, switched_to().is_some(), listeners)?;
    if plan == Plan::Stay && ids.uid == 0 {
        log::warn!("serving sessions as root, with every privilege, as --run-as asks");
    }
    Ok(plan)
}

/// The `--run-as` user this process switched to, if it is the re-executed
/// server ([`SWITCHED`] is set).
pub fn switched_to() -> Option<String> {
    std::env::var(SWITCHED).ok()
}

/// [`plan`]'s decision, without reading the process's state.
fn decide(
    ids: &Ids,
    run_as: Option<&Identity>,
    switched: bool,
    listeners: usize,
) -> Result<Plan, String> {
    let is_current = |user: &Identity| user.uid == ids.uid && user.gid == ids.gid;
    if switched {
        return match run_as {
            // Root on purpose never switches: uid 0 here is not a switch.
            Some(user) if user.uid != 0 && is_current(user) && ids.groups.is_empty() => {
                Ok(Plan::Switched)
            }
            _ => Err(format!(
                "{SWITCHED} is set, but this process is not the --run-as user \
                 without supplementary groups (uid {}, gid {}, groups {:?})",
                ids.uid, ids.gid, ids.groups
            )),
        };
    }
    match run_as {
        None if ids.uid == 0 => Err("refusing to serve sessions as root: add --run-as USER \
             (an unprivileged user such as ftp or nobody), or --run-as root to insist"
            .into()),
        None => Ok(Plan::Stay),
        Some(user) if user.uid == 0 && ids.uid == 0 => Ok(Plan::Stay),
        Some(user) if ids.uid == 0 => match listeners {
            0 | 1 => Ok(Plan::Switch(user.clone())),
            _ => Err(format!(
                "--run-as {}: only one --listen address can be handed to the sessions' \
                 user (on Linux `--listen [::]:21` serves IPv4 and IPv6 on one socket)",
                user.name
            )),
        },
        Some(user) if is_current(user) => Ok(Plan::Stay),
        Some(user) => Err(format!(
            "--run-as {user}: cannot switch users without root (this is uid {}, gid {})",
            ids.uid, ids.gid
        )),
    }
}

/// Re-executes this program as `user`, with the same arguments, [`SWITCHED`]
/// set, `stdin` and `stdout` as given and stderr inherited. Returns only if
/// that fails, with the message to print.
pub fn switch(user: &Identity, stdin: Stdio, stdout: Stdio) -> String {
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(err) => return format!("cannot find this program to run it as {user}: {err}"),
    };
    let err = Command::new(&program)
        .args(std::env::args_os().skip(1))
        .env(SWITCHED, &user.name)
        .uid(user.uid)
        .gid(user.gid)
        .stdin(stdin)
        .stdout(stdout)
        .exec();
    format!(
        "cannot run {} as {user}: {err} (it must be executable by that user)",
        program.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
        # a comment\n\
        \n\
        ftp:x:102:105:ftp daemon,,,:/srv/ftp:/usr/sbin/nologin\n\
        broken:x:notanumber:1::/:/bin/sh\n\
        nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

    fn user(name: &str, uid: u32, gid: u32) -> Identity {
        Identity {
            name: name.to_string(),
            uid,
            gid,
        }
    }

    fn ids(uid: u32, gid: u32, groups: &[u32]) -> Ids {
        Ids {
            uid,
            gid,
            groups: groups.to_vec(),
        }
    }

    #[test]
    fn users_are_found_by_name_uid_or_given_as_uid_gid() {
        assert_eq!(lookup("ftp", PASSWD), Ok(user("ftp", 102, 105)));
        assert_eq!(lookup("65534", PASSWD), Ok(user("nobody", 65534, 65534)));
        assert_eq!(lookup("root", PASSWD), Ok(user("root", 0, 0)));
        assert_eq!(
            lookup("1000:1001", PASSWD),
            Ok(user("1000:1001", 1000, 1001))
        );
        assert_eq!(lookup("1000:1001", ""), Ok(user("1000:1001", 1000, 1001)));
    }

    #[test]
    fn unknown_users_and_broken_lines_are_one_line_errors() {
        for spec in ["alice", "1000", "broken", "1:x", "", ":"] {
            let err = lookup(spec, PASSWD).expect_err(spec);
            assert!(
                err.starts_with(&format!("--run-as {spec}: no such user")) && !err.contains('\n'),
                "{err}"
            );
        }
    }

    #[test]
    fn status_gives_effective_ids_and_groups() {
        let status = "Name:\tftp-server\nUmask:\t0022\nState:\tS (sleeping)\n\
            Uid:\t0\t65534\t65534\t65534\nGid:\t4\t65533\t65533\t65533\n\
            FDSize:\t64\nGroups:\t\nCapEff:\t0000000000000000\n";
        assert_eq!(Ids::from_status(status), Some(ids(65534, 65533, &[])));
        let status = "Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n\
            Groups:\t4 24 27 1000 \n";
        assert_eq!(
            Ids::from_status(status),
            Some(ids(1000, 1000, &[4, 24, 27, 1000]))
        );
        assert_eq!(Ids::from_status("Uid:\t0\t0\t0\t0\nGroups:\t\n"), None);
        assert_eq!(Ids::from_status("Uid:\t0\nGid:\t0\nGroups:\t\n"), None);
    }

    #[test]
    fn this_process_has_ids() {
        Ids::current().expect("/proc/self/status is readable");
    }

    #[test]
    fn root_without_run_as_is_refused_with_the_option_named() {
        let err = decide(&ids(0, 0, &[]), None, false, 1).expect_err("refused");
        assert!(
            err.contains("--run-as USER") && err.contains("--run-as root"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn root_switches_to_the_run_as_user_or_stays_on_purpose() {
        let ftp = user("ftp", 102, 105);
        assert_eq!(
            decide(&ids(0, 0, &[0]), Some(&ftp), false, 1),
            Ok(Plan::Switch(ftp.clone()))
        );
        assert_eq!(
            decide(&ids(0, 0, &[]), Some(&ftp), false, 0),
            Ok(Plan::Switch(ftp.clone())),
            "inetd"
        );
        let err = decide(&ids(0, 0, &[]), Some(&ftp), false, 2).expect_err("two sockets");
        assert!(
            err.contains("--listen [::]:21") && !err.contains('\n'),
            "{err}"
        );
        let root = user("root", 0, 0);
        assert_eq!(
            decide(&ids(0, 0, &[]), Some(&root), false, 2),
            Ok(Plan::Stay)
        );
    }

    #[test]
    fn without_root_only_the_current_user_is_accepted() {
        let me = user("me", 1000, 1000);
        let current = ids(1000, 1000, &[27]);
        assert_eq!(decide(&current, None, false, 2), Ok(Plan::Stay));
        assert_eq!(decide(&current, Some(&me), false, 2), Ok(Plan::Stay));
        for other in [
            user("ftp", 102, 105),
            user("root", 0, 0),
            user("me", 1000, 1),
        ] {
            let err = decide(&current, Some(&other), false, 1).expect_err("other user");
            assert!(err.contains("cannot switch users without root"), "{err}");
        }
    }

    #[test]
    fn the_switched_process_checks_that_the_switch_happened() {
        let ftp = user("ftp", 102, 105);
        assert_eq!(
            decide(&ids(102, 105, &[]), Some(&ftp), true, 1),
            Ok(Plan::Switched)
        );
        for still in [ids(0, 0, &[]), ids(102, 105, &[0])] {
            assert!(decide(&still, Some(&ftp), true, 1).is_err(), "{still:?}");
        }
        assert!(decide(&ids(102, 105, &[]), None, true, 1).is_err());
        let root = user("root", 0, 0);
        assert!(decide(&ids(0, 0, &[]), Some(&root), true, 1).is_err());
    }
}
