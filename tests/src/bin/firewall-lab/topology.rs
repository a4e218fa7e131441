//! The lab's network: three network namespaces per scenario — a client, a
//! router and a server — joined by two veth pairs, with documentation
//! addresses only, and the guard that removes them again.
//!
//! Every name starts with [`PREFIX`]; the veth pairs are created inside the
//! router's namespace and moved straight into the client's or server's, so
//! nothing is ever attached to the host's own interfaces and nothing routes
//! out. nftables rules live inside the namespaces and go away with them.
//!
//! What it does not do: choose rules or run FTP (see `scenarios` and
//! `cells`).

use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use ftp_tests::run::run_with_input;

/// The prefix of every namespace the lab creates.
pub const PREFIX: &str = "ftplab-";

/// The server's IPv4 address (server network 203.0.113.0/24).
pub const SERVER_V4: &str = "203.0.113.10";

/// The server's IPv6 address (server network 2001:db8:2::/64).
pub const SERVER_V6: &str = "2001:db8:2::10";

/// A command run as root in the namespace `ns` (or on the host for `None`),
/// bounded to 10 s; its combined output, or why it failed.
pub fn sh(ns: Option<&str>, args: &[&str]) -> Result<String, String> {
    let mut command = match ns {
        Some(ns) => {
            let mut command = Command::new("ip");
            command.args(["netns", "exec", ns]).args(args);
            command
        }
        None => {
            let mut command = Command::new(args[0]);
            command.args(&args[1..]);
            command
        }
    };
    command.env("PATH", path());
    let done = run_with_input(command, "", Duration::from_secs(10))
        .map_err(|err| format!("{}: {err}", args.join(" ")))?;
    let out =
        String::from_utf8_lossy(&done.stdout).into_owned() + &String::from_utf8_lossy(&done.stderr);
    match done.status {
        Some(status) if status.success() => Ok(out),
        _ => Err(format!("`{}` failed: {}", args.join(" "), out.trim())),
    }
}

/// `PATH` with the sbin directories, where `ip` and `nft` live.
pub fn path() -> String {
    let old = std::env::var("PATH").unwrap_or_default();
    format!("{old}:/usr/local/sbin:/usr/sbin:/sbin")
}

/// The prefix of this run's namespaces, `ftplab-PID-`: runs at the same
/// time (two test suites on one machine) never touch each other's.
pub fn run_prefix() -> String {
    format!("{PREFIX}{}-", std::process::id())
}

/// This run's namespaces that exist now.
pub fn lab_namespaces() -> Vec<String> {
    let mine = run_prefix();
    namespaces(|name| name.starts_with(&mine))
}

/// The lab's namespaces whose run has ended (killed before it cleaned up).
fn leftovers() -> Vec<String> {
    namespaces(|name| {
        let pid = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('-').next())
            .unwrap_or_default();
        pid.is_empty() || !std::path::Path::new(&format!("/proc/{pid}")).exists()
    })
}

/// The names of the lab's namespaces (`ftplab-...`) that `keep` keeps.
fn namespaces(keep: impl Fn(&str) -> bool) -> Vec<String> {
    sh(None, &["ip", "netns", "list"])
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| name.starts_with(PREFIX) && keep(name))
        .map(str::to_string)
        .collect()
}

/// Removes the namespaces of runs that have ended (their veths and rules go
/// with them).
pub fn remove_leftovers() -> Vec<String> {
    let names = leftovers();
    for name in &names {
        // Processes still inside (a server of a killed run) go first.
        if let Ok(pids) = sh(None, &["ip", "netns", "pids", name]) {
            for pid in pids.split_whitespace() {
                let _ = sh(None, &["kill", pid]);
            }
        }
        let _ = sh(None, &["ip", "netns", "del", name]);
    }
    names
}

/// One scenario's three namespaces; removed when dropped.
#[derive(Debug)]
pub struct Topology {
    /// The client's namespace.
    pub client: String,
    /// The router's namespace.
    pub router: String,
    /// The server's namespace.
    pub server: String,
    /// Leave the namespaces up when dropped (`--keep`).
    pub keep: bool,
}

impl Topology {
    /// Builds scenario `index`'s namespaces, links and addresses.
    pub fn build(index: usize) -> Result<Topology, String> {
        let topology = Topology {
            client: format!("{}{index}-client", run_prefix()),
            router: format!("{}{index}-router", run_prefix()),
            server: format!("{}{index}-server", run_prefix()),
            keep: false,
        };
        for ns in [&topology.client, &topology.router, &topology.server] {
            sh(None, &["ip", "netns", "add", ns])?;
            sh(Some(ns), &["ip", "link", "set", "lo", "up"])?;
        }
        let (c, r, s) = (
            topology.client.as_str(),
            topology.router.as_str(),
            topology.server.as_str(),
        );
        // Both pairs are made inside the router and one end moved on.
        sh(
            Some(r),
            &[
                "ip", "link", "add", "r0", "type", "veth", "peer", "name", "c0", "netns", c,
            ],
        )?;
        sh(
            Some(r),
            &[
                "ip", "link", "add", "r1", "type", "veth", "peer", "name", "s0", "netns", s,
            ],
        )?;
        let addrs: [(&str, &str, &str); 7] = [
            (c, "c0", "192.0.2.10/24"),
            (c, "c0", "2001:db8:1::10/64"),
            (r, "r0", "192.0.2.1/24"),
            (r, "r0", "2001:db8:1::1/64"),
            (r, "r1", "203.0.113.1/24"),
            (r, "r1", "2001:db8:2::1/64"),
            (s, "s0", "203.0.113.10/24"),
        ];
        for (ns, dev, addr) in addrs {
            sh(Some(ns), &["ip", "addr", "add", addr, "dev", dev, "nodad"])?;
        }
        sh(
            Some(s),
            &[
                "ip",
                "addr",
                "add",
                "2001:db8:2::10/64",
                "dev",
                "s0",
                "nodad",
            ],
        )?;
        sh(
            Some(r),
            &["ip", "addr", "add", "198.51.100.7/32", "dev", "r0"],
        )?;
        for (ns, dev) in [(c, "c0"), (r, "r0"), (r, "r1"), (s, "s0")] {
            sh(Some(ns), &["ip", "link", "set", dev, "up"])?;
        }
        for (ns, v4, v6) in [
            (c, "192.0.2.1", "2001:db8:1::1"),
            (s, "203.0.113.1", "2001:db8:2::1"),
        ] {
            sh(Some(ns), &["ip", "route", "add", "default", "via", v4])?;
            sh(
                Some(ns),
                &["ip", "-6", "route", "add", "default", "via", v6],
            )?;
        }
        sh(
            Some(r),
            &[
                "sh",
                "-c",
                "echo 1 > /proc/sys/net/ipv4/ip_forward && \
                 echo 1 > /proc/sys/net/ipv6/conf/all/forwarding",
            ],
        )?;
        Ok(topology)
    }

    /// The namespace called `host` (`client`, `router` or `server`).
    pub fn ns(&self, host: Host) -> &str {
        match host {
            Host::Client => &self.client,
            Host::Router => &self.router,
            Host::Server => &self.server,
        }
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        for ns in [&self.client, &self.router, &self.server] {
            let _ = sh(None, &["ip", "netns", "del", ns]);
        }
    }
}

/// Where a rule set is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// The client host's own firewall.
    Client,
    /// The router between the two networks.
    Router,
    /// The server host's own firewall.
    Server,
}

impl Host {
    /// The host's name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Host::Client => "client",
            Host::Router => "router",
            Host::Server => "server",
        }
    }
}

/// A separate process that removes the lab's namespaces (and stops what
/// still runs in them) when this one ends
/// in any way — also killed by Ctrl-C or a signal, which no drop guard
/// sees: it waits for its standard input to close, ignoring SIGINT, SIGTERM
/// and SIGHUP itself.
#[derive(Debug)]
pub struct Sweeper {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Sweeper {
    /// Starts the sweeper.
    pub fn start() -> std::io::Result<Sweeper> {
        let script = format!(
            "trap '' INT TERM HUP; read line; [ \"$line\" = keep ] && exit 0; \
             for ns in $(ip netns list | cut -d' ' -f1 | grep '^{}'); do ip netns pids \"$ns\" | xargs -r kill; ip netns del \"$ns\"; done",
            run_prefix()
        );
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .env("PATH", path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take();
        Ok(Sweeper { child, stdin })
    }

    /// Ends the sweeper: with `keep`, without removing anything.
    pub fn finish(mut self, keep: bool) {
        use std::io::Write;
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(if keep { b"keep\n" } else { b"done\n" });
        }
        let _ = self.child.wait();
    }
}
