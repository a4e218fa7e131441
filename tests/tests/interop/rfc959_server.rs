//! pyftpdlib with EPSV and EPRT removed: a real server that answers them
//! `500 Command "EPSV" not understood.` as a server without RFC 2428 does, so
//! that our client's fallback to PASV and PORT is also checked against a
//! server's own refusal, not only through the relay of `front.rs`.
//!
//! It does not replace `ftp_tests::peers::pyftpdlib`, which serves the
//! ordinary configuration.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use ftp_tests::KillOnDrop;

use crate::our_server::{PASSWORD, USER};
use crate::servers::Running;

/// The server: one user with full rights on the root; the handler's table of
/// commands lacks EPSV and EPRT. `argv`: address, root, user, password.
const SCRIPT: &str = r#"
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
ip, root, user, password = sys.argv[1:5]

class Rfc959Handler(FTPHandler):
    proto_cmds = {verb: spec for verb, spec in FTPHandler.proto_cmds.items()
                  if verb not in ('EPSV', 'EPRT')}

authorizer = DummyAuthorizer()
authorizer.add_user(user, password, root, perm="elradfmwMT")
Rfc959Handler.authorizer = authorizer
server = FTPServer((ip, 0), Rfc959Handler)
print("listening on port", server.address[1], flush=True)
server.serve_forever()
"#;

/// Starts it on `ip`, serving `root`; it is listening when this returns.
pub fn start(root: &Path, ip: IpAddr) -> Running {
    let mut command = Command::new("python3");
    command
        .args(["-c", SCRIPT, &ip.to_string()])
        .arg(root)
        .args([USER, PASSWORD])
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    let (process, line) =
        KillOnDrop::spawn_until(command, "listening on port", Duration::from_secs(10));
    let port = line
        .rsplit(' ')
        .next()
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    Running::new(SocketAddr::new(ip, port), USER, PASSWORD, root, process)
}
