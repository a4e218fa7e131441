//! A description of the machine and the programs a run measured, printed
//! above the tables so that figures are never read without their context.
//!
//! [`time_wait_sockets`] counts the machine's TCP connections in TIME_WAIT,
//! which the progress lines show: thousands of short data connections leave
//! their ports waiting, and finding a free port for the next one gets slower.
//!
//! It only reads `/proc` and asks programs for their versions; a program that
//! is missing shows as such.

use std::fmt;
use std::path::Path;
use std::process::{Command, Stdio};

/// The machine and the versions of everything measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    lines: Vec<(&'static str, String)>,
}

impl Machine {
    /// Describes this machine; `server` is the ftp-server binary measured.
    pub fn describe(server: &Path) -> Machine {
        let cpus = std::thread::available_parallelism().map_or(0, usize::from);
        let cpuinfo = read("/proc/cpuinfo");
        let meminfo = read("/proc/meminfo");
        let version = |program: &str, args: &[&str]| {
            first_line(Command::new(program).args(args)).unwrap_or_else(|| "not installed".into())
        };
        let lines = vec![
            ("CPU", format!("{} × {cpus}", value(&cpuinfo, "model name"))),
            ("memory", value(&meminfo, "MemTotal")),
            ("kernel", read("/proc/sys/kernel/osrelease").trim().to_string()),
            (
                "ftp-server",
                first_line(Command::new(server).arg("--version"))
                    .unwrap_or_else(|| "unknown".into()),
            ),
            ("vsftpd", version("sh", &["-c", "vsftpd -v 0>&1"])),
            // vsftpd's TLS library (the FTPS rows).
            ("openssl", version("openssl", &["version"])),
            (
                "pyftpdlib",
                version(
                    "python3",
                    &[
                        "-c",
                        "import pyftpdlib, sys; print(pyftpdlib.__ver__, 'on Python', sys.version.split()[0])",
                    ],
                ),
            ),
            ("curl", version("curl", &["--version"])),
        ];
        Machine { lines }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, value) in &self.lines {
            writeln!(f, "- {name}: {value}")?;
        }
        Ok(())
    }
}

/// TCP sockets (IPv4 and IPv6) in TIME_WAIT on this machine, from
/// `/proc/net/tcp` and `/proc/net/tcp6`.
pub fn time_wait_sockets() -> usize {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .map(|path| count_time_wait(&read(path)))
        .sum()
}

/// The lines of a `/proc/net/tcp` table whose state (fourth column) is
/// TIME_WAIT (`06`).
fn count_time_wait(table: &str) -> usize {
    table
        .lines()
        .skip(1)
        .filter(|line| line.split_whitespace().nth(3) == Some("06"))
        .count()
}

/// A file's text, or nothing when it cannot be read.
fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The value of the first `name : value` line in `text` (cpuinfo, meminfo).
fn value(text: &str, name: &str) -> String {
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.trim() == name)
        .map_or_else(|| "unknown".into(), |(_, value)| value.trim().to_string())
}

/// The first line a successful command prints on stdout.
fn first_line(command: &mut Command) -> Option<String> {
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    Some(text.lines().next()?.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_from_colon_separated_lines() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu\n";
        assert_eq!(value(cpuinfo, "model name"), "AMD EPYC");
        let meminfo = "MemTotal:       24684032 kB\nMemFree: 1 kB\n";
        assert_eq!(value(meminfo, "MemTotal"), "24684032 kB");
        assert_eq!(value(meminfo, "SwapTotal"), "unknown");
    }

    #[test]
    fn time_wait_is_state_06() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0BB9 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A1B2 0100007F:0BB9 06 00000000:00000000 03:00000A1C 00000000     0        0 0 3 0000000000000000
   2: 0100007F:A1B4 0100007F:0BB9 06 00000000:00000000 03:00000A1C 00000000     0        0 0 3 0000000000000000
";
        assert_eq!(count_time_wait(table), 2);
        assert_eq!(count_time_wait(""), 0);
    }

    #[test]
    fn first_line_of_a_failing_or_missing_program_is_none() {
        assert_eq!(
            first_line(Command::new("sh").args(["-c", "echo a; echo b"])),
            Some("a".into())
        );
        assert_eq!(
            first_line(Command::new("sh").args(["-c", "echo a; exit 1"])),
            None
        );
        assert_eq!(first_line(&mut Command::new("/nonexistent/program")), None);
    }
}
