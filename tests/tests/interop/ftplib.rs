//! Python's ftplib as a client of our server.
//!
//! ftplib chooses the data command by the control connection's family:
//! `set_pasv(True)` sends PASV on IPv4 and EPSV on IPv6, `set_pasv(False)`
//! sends PORT on IPv4 and EPRT on IPv6. EPSV and EPRT over IPv4 come from
//! the subclass in `ftp_tests::ftplib` (shared with the firewall lab),
//! which uses ftplib's own `parse229` and `sendcmd('EPRT ...')`; the
//! transfers themselves stay ftplib's (`retrbinary`, `storbinary`, `retrlines`). Resumed transfers use
//! the `rest=` argument of `retrbinary` and `storbinary`.
//!
//! FTPS: `TlsClient` of [`ftp_tests::ftplib::tls_script`], ftplib's
//! `FTP_TLS` (AUTH TLS at login, then `prot_p()`) trusting the test CA, whose
//! data connections resume the control connection's TLS session as our
//! server requires (`FTP_TLS` alone does not).

use std::process::Command;

use ftp_tests::version_command;

use crate::clients::{files, Client, Target};
use crate::exec::{run, Run};
use crate::matrix::Op;

/// The script after [`ftp_tests::ftplib::script`]'s class (or
/// [`ftp_tests::ftplib::tls_script`]'s classes): `argv` is host, port, user,
/// password, mode, operation, remote file, local file, and for FTPS the CA
/// file.
const SCRIPT: &str = r#"
host, port, user, password, mode, op, remote, local = sys.argv[1:9]
cafile = sys.argv[9] if len(sys.argv) > 9 else None

if cafile:
    reuse = True
    ftp = TlsClient(context=ssl.create_default_context(cafile=cafile), timeout=20)
else:
    ftp = Client(timeout=20)
ftp.connect(host, int(port))
ftp.login(user, password)
if cafile:
    ftp.prot_p()
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
        let script = match target.ca {
            Some(_) => ftp_tests::ftplib::tls_script(SCRIPT),
            None => ftp_tests::ftplib::script(SCRIPT),
        };
        let mut command = Command::new("python3");
        command
            .args(["-c", &script])
            .args([&target.host(), &target.port()])
            .args([target.user, target.password, target.mode.verb()])
            .args([op_name, remote, local])
            .args(target.ca);
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
