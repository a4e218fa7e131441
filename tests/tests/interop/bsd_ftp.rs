//! The two descendants of BSD's `ftp` as clients of our server: tnftp
//! (NetBSD's, Debian package `tnftp`) and GNU inetutils `ftp`. Both read
//! their commands from standard input (`-n`: the script logs in with `user`;
//! `-v`: print the server's replies) and share the commands used here.
//!
//! Modes: `passive` chooses passive or active, `epsv4` chooses the RFC 2428
//! commands (EPSV, EPRT) or RFC 959's (PASV, PORT) over IPv4; tnftp takes
//! `on` or `off` after them, inetutils only toggles (both start off there).
//! Over IPv6 both use EPSV and EPRT (tnftp can be told `epsv6 off`, and then
//! sends RFC 1639's LPSV/LPRT, which are not part of this matrix). Resumed
//! transfers: `reget` (REST + RETR) and `restart N` before `put` (REST +
//! STOR). Neither sets its exit status from a failed command, so the cells
//! judge by the files and the printed replies.

use std::process::Command;

use crate::clients::{files, login_from_replies, Client, Target, RESUME_AT};
use crate::exec::{run, Run};
use crate::matrix::{Mode, Op};

/// A BSD-style `ftp` program.
pub struct BsdFtp {
    /// Its name in the tables.
    pub name: &'static str,
    /// The program to run.
    pub program: &'static str,
    /// Its Debian package, whose version is reported (tnftp has no version
    /// option).
    pub package: &'static str,
    /// The commands that choose a mode.
    pub mode_commands: fn(Mode) -> &'static str,
    /// How the matrix drives it, for the document.
    pub driven: &'static str,
}

/// tnftp, which has no version option.
pub const TNFTP: BsdFtp = BsdFtp {
    name: "tnftp",
    program: "tnftp",
    package: "tnftp",
    mode_commands: tnftp_mode,
    driven: "`passive on|off` with `epsv4 off` (PASV, PORT) or `epsv4 on` (EPSV, EPRT); \
             IPv6 always EPSV/EPRT; resume `reget` (REST + RETR), `restart N` + `put` \
             (REST + STOR)",
};

/// GNU inetutils `ftp`.
pub const INETUTILS: BsdFtp = BsdFtp {
    name: "inetutils ftp",
    program: "inetutils-ftp",
    package: "inetutils-ftp",
    mode_commands: inetutils_mode,
    driven: "the toggles `passive` and `epsv4` (both off at start: PORT); IPv6 always \
             EPSV/EPRT; resume `reget` (REST + RETR), `restart N` + `put` (REST + STOR)",
};

/// tnftp's commands that choose `mode`: both take `on` or `off`.
fn tnftp_mode(mode: Mode) -> &'static str {
    match mode {
        Mode::Pasv => "passive on\nepsv4 off\n",
        Mode::Epsv => "passive on\nepsv4 on\n",
        Mode::Port => "passive off\nepsv4 off\n",
        Mode::Eprt => "passive off\nepsv4 on\n",
    }
}

/// inetutils' commands that choose `mode`: both are toggles that ignore an
/// argument (`epsv4 off` turns it on when it was off), and both start off.
fn inetutils_mode(mode: Mode) -> &'static str {
    match mode {
        Mode::Pasv => "passive\n",
        Mode::Epsv => "passive\nepsv4\n",
        Mode::Port => "",
        Mode::Eprt => "epsv4\n",
    }
}

impl Client for BsdFtp {
    fn name(&self) -> &'static str {
        self.name
    }

    fn probe(&self) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", &format!("command -v {}", self.program)]);
        command
    }

    fn version(&self) -> String {
        let mut command = Command::new("dpkg-query");
        command.args(["-W", "-f", "${Version}\n", self.package]);
        format!(
            "{} (Debian package {})",
            self.program,
            crate::report::first_line(command)
        )
    }

    fn driven(&self) -> &'static str {
        self.driven
    }

    fn run(&self, op: Op, target: &Target) -> Run {
        let (remote, local) = files(op);
        let commands = match op {
            Op::Login => "pwd\n".to_string(),
            Op::List => "ls\n".to_string(),
            Op::Get => format!("get {remote} {local}\n"),
            Op::Reget => format!("reget {remote} {local}\n"),
            Op::Put => format!("put {local} {remote}\n"),
            Op::Reput => format!("restart {RESUME_AT}\nput {local} {remote}\n"),
            Op::Files => unreachable!("{} is not in the first table", op),
        };
        let script = format!(
            "user {} {}\nbinary\n{}{commands}bye\n",
            target.user,
            target.password,
            (self.mode_commands)(target.mode)
        );
        let mut command = Command::new(self.program);
        command.args(["-v", "-n", &target.host(), &target.port()]);
        run(command, target.dir, target.home, &script)
    }

    fn login_result(&self, run: &Run) -> Option<bool> {
        login_from_replies(&run.stdout)
    }
}
