//! Python's ftplib as a client of our server.
//!
//! ftplib chooses the data command by the control connection's family:
//! `set_pasv(True)` sends PASV on IPv4 and EPSV on IPv6, `set_pasv(False)`
//! sends PORT on IPv4 and EPRT on IPv6. EPSV and EPRT over IPv4 need a
//! small subclass that overrides `makepasv`/`makeport` with ftplib's own
//! `parse229` and `sendcmd('EPRT ...')`; the transfers themselves stay
//! ftplib's (`retrbinary`, `storbinary`, `retrlines`). Resumed transfers use
//! the `rest=` argument of `retrbinary` and `storbinary`.

use std::process::Command;

use ftp_tests::version_command;

use crate::clients::{files, Client, Target};
use crate::exec::{run, Run};
use crate::matrix::Op;

/// The script: `argv` is host, port, user, password, mode, operation, remote
/// file, local file.
const SCRIPT: &str = r#"
import ftplib, os, socket, sys
host, port, user, password, mode, op, remote, local = sys.argv[1:]

class Client(ftplib.FTP):
    """ftplib, with EPSV and EPRT on IPv4 too when the test asks for them."""

    def makepasv(self):
        if mode == 'EPSV' and self.af == socket.AF_INET:
            return ftplib.parse229(self.sendcmd('EPSV'), self.sock.getpeername())
        return super().makepasv()

    def makeport(self):
        if mode == 'EPRT' and self.af == socket.AF_INET:
            ip = self.sock.getsockname()[0]
            sock = socket.create_server((ip, 0), family=self.af, backlog=1)
            sock.settimeout(self.timeout)
            self.sendcmd('EPRT |1|%s|%d|' % (ip, sock.getsockname()[1]))
            return sock
        return super().makeport()

ftp = Client(timeout=20)
ftp.connect(host, int(port))
ftp.login(user, password)
ftp.set_pasv(mode in ('PASV', 'EPSV'))
if op == 'login':
    print(ftp.pwd())
elif op == 'list':
    ftp.retrlines('LIST')
elif op == 'get':
    with open(local, 'wb') as f:
        ftp.retrbinary('RETR ' + remote, f.write)
elif op == 'reget':
    offset = os.path.getsize(local)
    with open(local, 'ab') as f:
        ftp.retrbinary('RETR ' + remote, f.write, rest=offset)
elif op == 'put':
    with open(local, 'rb') as f:
        ftp.storbinary('STOR ' + remote, f)
elif op == 'reput':
    offset = ftp.size(remote)
    with open(local, 'rb') as f:
        f.seek(offset)
        ftp.storbinary('STOR ' + remote, f, rest=offset)
ftp.quit()
"#;

/// Python's standard ftplib, driven by a script.
pub struct Ftplib;

impl Client for Ftplib {
    fn name(&self) -> &'static str {
        "Python ftplib"
    }

    fn probe(&self) -> Command {
        let mut command = Command::new("python3");
        command.args(["-c", "import ftplib"]);
        command
    }

    fn version(&self) -> String {
        let command = version_command("python3");
        format!("{} (standard library)", crate::report::first_line(command))
    }

    fn driven(&self) -> &'static str {
        "`set_pasv(True)`: PASV on IPv4, EPSV on IPv6; `set_pasv(False)`: PORT on IPv4, EPRT \
         on IPv6; EPSV/EPRT on IPv4 through a subclass overriding `makepasv`/`makeport`; \
         resume with `rest=` (REST + RETR/STOR)"
    }

    fn run(&self, op: Op, target: &Target) -> Run {
        let (remote, local) = files(op);
        let op_name = match op {
            Op::Login => "login",
            Op::List => "list",
            Op::Get => "get",
            Op::Reget => "reget",
            Op::Put => "put",
            Op::Reput => "reput",
            Op::Files => unreachable!("{} is not in the first table", op),
        };
        let mut command = Command::new("python3");
        command
            .args(["-c", SCRIPT, &target.host(), &target.port()])
            .args([target.user, target.password, target.mode.verb()])
            .args([op_name, remote, local]);
        run(command, target.dir, target.home, "")
    }

    fn login_result(&self, run: &Run) -> Option<bool> {
        if run.success() {
            Some(true)
        } else if run.stderr.contains("error_perm: 530") {
            Some(false)
        } else {
            None
        }
    }
}
