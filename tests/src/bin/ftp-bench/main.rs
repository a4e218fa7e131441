//! `ftp-bench`: ftp-server measured side by side with vsftpd, pyftpdlib and
//! a raw loopback TCP copy, several runs each; prints Markdown tables
//! (median, min–max, ratio ours/peer) and the project's targets met or missed.
//!
//! ```sh
//! cargo run --release -p ftp-tests --bin ftp-bench [-- --quick | --runs N | --check-memory]
//! cargo run --release -p ftp-tests --bin ftp-bench -- --baseline OLD/ftp-server --only d,e,f,j
//! ```
//!
//! `--baseline` measures a second ftp-server binary (a build of an earlier
//! commit) beside ours in the same runs, interleaved, and `--only` keeps the
//! rows of the letters given.
//!
//! Built with `--features ftp-tests/tls`, it also measures FTPS (rows m to
//! o: RETR, STOR, small files and idle sessions over explicit TLS) on
//! ftp-server built with its `tls` feature and on vsftpd with `ssl_enable`,
//! and the sizes of the tls builds; without the feature those rows are not
//! measured, and the output says so.
//!
//! Run through cargo, it first builds the release `ftp-server` and
//! `ftp-client` next to itself (the same cargo, the same target directory),
//! and with the `tls` feature their tls builds, copied to
//! [`TLS_PROGRAMS`] there.
//! Everything runs on 127.0.0.1 with the served files on tmpfs; every process
//! it starts is stopped and every file it writes is removed when it ends. A
//! missing peer (vsftpd, pyftpdlib, curl) is skipped with a message, and its
//! columns and targets show as not measured.
//!
//! It asserts nothing about speed: the targets are read from its output.
//! `--check-memory` is the exception, since memory does not depend on how
//! busy the machine is: it measures only ftp-server's memory per idle session
//! and fails when the target is missed.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ftps;
mod machine;
mod memory;
mod metrics;
mod options;
mod report;
mod servers;
mod stats;
mod targets;
mod workloads;

use std::fmt;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use ftps::{Certificates, BUILT_WITH_TLS, NEEDS_FEATURE};
use machine::Machine;
use metrics::{Build, Metric};
use options::{Mode, Options, USAGE};
use report::{Results, Tables, OURS, SOLE};
use servers::{Fixture, Kind, Limits, Programs, Server, BIG, MIDDLE, SMALL_DIR};
use targets::Verdict;
use workloads::Source;

/// Open files the run needs: hundreds of sessions, each a socket on both ends;
/// (l) needs one more per session it holds.
const OPEN_FILES: u64 = 4096;

/// Set in the environment of the re-executed bench whose limit was raised.
const RAISED_MARKER: &str = "FTP_BENCH_OPEN_FILES_RAISED";

/// The directory, beside the release programs, of their builds with the
/// `tls` feature (which cargo would write over the default builds).
pub const TLS_PROGRAMS: &str = "ftp-bench-tls";

/// The programs measured, each built by cargo.
const PROGRAMS: [&str; 2] = ["ftp-server", "ftp-client"];

/// Why the run stopped: one line for the user.
#[derive(Debug)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Failure {
        Failure(err.to_string())
    }
}

impl From<ftp_client::error::Error> for Failure {
    fn from(err: ftp_client::error::Error) -> Failure {
        Failure(err.to_string())
    }
}

impl From<ftp_core::Error> for Failure {
    fn from(err: ftp_core::Error) -> Failure {
        Failure(err.to_string())
    }
}

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("ftp-bench: {err}");
            return ExitCode::from(2);
        }
    };
    if options.mode == Mode::Help {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match run(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("ftp-bench: {err}");
            ExitCode::from(1)
        }
    }
}

/// Prepares and runs the chosen mode; `false` when `--check-memory` failed.
fn run(options: &Options) -> Result<bool, Failure> {
    raise_open_files(open_files_needed(options))?;
    let dir = programs(options.build)?;
    let programs = Programs {
        tls: BUILT_WITH_TLS.then(|| dir.join(TLS_PROGRAMS)),
        dir,
        baseline: baseline(options)?,
    };
    let fixture = Fixture::create(&options.sizes)?;
    let certificates = if options.mode == Mode::Compare && options.wants_ftps() {
        let ips = [Kind::Ours, Kind::Vsftpd].map(Kind::address);
        Some(Certificates::new(&ips)?)
    } else {
        None
    };
    let mut bench = Bench {
        options,
        programs,
        fixture,
        certificates,
        results: Results::default(),
    };
    match options.mode {
        Mode::CheckMemory => bench.check_memory(),
        Mode::Compare | Mode::Help => bench.compare().map(|()| true),
    }
}

/// The open files this run needs: [`OPEN_FILES`], and one more for each
/// session (l) holds if it is measured.
fn open_files_needed(options: &Options) -> u64 {
    let holds = options.mode == Mode::Compare && options.wants(Metric::SessionsHeld.row());
    OPEN_FILES + if holds { options.sizes.held as u64 } else { 0 }
}

/// Makes sure the soft limit on open files is at least `wanted`, or as near
/// as the hard limit lets a user other than root come (but at least
/// [`OPEN_FILES`]): if it is lower, runs this program again through
/// `sh -c 'ulimit -n ...'` (std cannot call setrlimit without unsafe code).
/// The servers inherit the limit.
fn raise_open_files(wanted: u64) -> Result<(), Failure> {
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    let hard = open_files_limit(&limits, Limit::Hard);
    let needed = open_files_target(wanted, hard, ftp_tests::running_as_root());
    let enough = open_files_limit(&limits, Limit::Soft).is_none_or(|limit| limit >= needed);
    if enough || std::env::var_os(RAISED_MARKER).is_some() {
        return Ok(());
    }
    let script = format!(
        "ulimit -n {needed} 2>/dev/null || {{ echo \"ftp-bench: cannot raise the \
         open-file limit to {needed} (hard limit $(ulimit -Hn))\" >&2; exit 1; }}; \
         exec \"$0\" \"$@\""
    );
    let err = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(std::env::current_exe()?)
        .args(std::env::args_os().skip(1))
        .env(RAISED_MARKER, "1")
        .exec();
    Err(Failure(format!(
        "cannot raise the open-file limit to {needed}: {err}"
    )))
}

/// The open-file limit to ask for: `wanted`, or the `hard` limit when that
/// is lower and this is not root, but never less than [`OPEN_FILES`] (the
/// raise then fails and says why). (l) checks what it got.
fn open_files_target(wanted: u64, hard: Option<u64>, root: bool) -> u64 {
    match hard {
        Some(hard) if !root && hard < wanted => hard.max(OPEN_FILES),
        _ => wanted,
    }
}

/// This process's soft limit on open files (`None` if unlimited).
fn own_open_files() -> Result<Option<u64>, Failure> {
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    Ok(open_files_limit(&limits, Limit::Soft))
}

/// Which of the two limits of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// The one in force, which a process may raise up to the hard one.
    Soft,
    /// The most that the soft one may be raised to without root.
    Hard,
}

/// A limit on open files from `/proc/self/limits` (`None` if unlimited or
/// unreadable).
fn open_files_limit(limits: &str, which: Limit) -> Option<u64> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .nth(which as usize)?
        .parse()
        .ok()
}

/// The directory of the release `ftp-server` and `ftp-client`: this program's
/// own. Under `cargo run`, builds them there first with the same cargo; when
/// this program has the `tls` feature, their tls builds first, copied to
/// [`TLS_PROGRAMS`] in it before the default builds take their place.
fn programs(build: bool) -> Result<PathBuf, Failure> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .ok_or_else(|| Failure(format!("{} has no directory", exe.display())))?
        .to_path_buf();
    let tls = dir.join(TLS_PROGRAMS);
    if let (true, Some(cargo)) = (build, std::env::var_os("CARGO")) {
        if BUILT_WITH_TLS {
            cargo_build(&cargo, &["--features", "ftp-server/tls,ftp-client/tls"])?;
            std::fs::create_dir_all(&tls)?;
            for program in PROGRAMS {
                std::fs::copy(dir.join(program), tls.join(program))?;
            }
        }
        cargo_build(&cargo, &[])?;
    }
    for program in PROGRAMS {
        if !dir.join(program).exists() {
            return Err(Failure(format!(
                "{program} is not built next to ftp-bench; run `cargo build --release --workspace`"
            )));
        }
        if BUILT_WITH_TLS && !tls.join(program).exists() {
            return Err(Failure(format!(
                "no tls build of {program} in {}; run ftp-bench through cargo, without --no-build",
                tls.display()
            )));
        }
    }
    Ok(dir)
}

/// `cargo build --release` of ftp-server and ftp-client with these extra
/// arguments, without the variables `cargo run` set for this program: build
/// scripts that watch them (ring's watches `CARGO_PKG_NAME`) would otherwise
/// be run again, and their crates rebuilt, here and in the next `cargo run`.
fn cargo_build(cargo: &std::ffi::OsStr, extra: &[&str]) -> Result<(), Failure> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let mut command = Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_by_cargo_run) {
            command.env_remove(name);
        }
    }
    let status = command
        .args(["build", "--release", "-p", "ftp-server", "-p", "ftp-client"])
        .args(extra)
        .arg("--manifest-path")
        .arg(manifest)
        .status()?;
    if !status.success() {
        return Err(Failure(format!(
            "building the programs {} failed: {status}",
            extra.join(" ")
        )));
    }
    Ok(())
}

/// Whether `cargo run` sets the environment variable `name` for the program
/// it runs (as it does for build scripts), rather than the user.
fn set_by_cargo_run(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || [
            "CARGO_MANIFEST_DIR",
            "CARGO_MANIFEST_PATH",
            "CARGO_MANIFEST_LINKS",
            "CARGO_CRATE_NAME",
            "CARGO_BIN_NAME",
            "CARGO_PRIMARY_PACKAGE",
        ]
        .contains(&name)
}

/// The `--baseline` program, checked to exist; none with `--check-memory`,
/// which measures ours alone.
fn baseline(options: &Options) -> Result<Option<PathBuf>, Failure> {
    match &options.baseline {
        Some(path) if options.mode != Mode::CheckMemory => {
            if !path.is_file() {
                return Err(Failure(format!("no baseline program {}", path.display())));
            }
            Ok(Some(path.clone()))
        }
        _ => Ok(None),
    }
}

/// One run of the benchmark: options, programs, files, the certificates of
/// the FTPS servers (if FTPS is measured) and the samples so far.
struct Bench<'a> {
    options: &'a Options,
    programs: Programs,
    fixture: Fixture,
    certificates: Option<Certificates>,
    results: Results,
}

impl Bench<'_> {
    /// Every measurement on every server, then the tables and the targets.
    fn compare(&mut self) -> Result<(), Failure> {
        let servers = self.start_servers()?;
        let names: Vec<&str> = Kind::ALL
            .iter()
            .filter(|&&kind| servers.iter().any(|server| server.kind == kind))
            .map(|kind| kind.name())
            .collect();
        let curl = ftp_tests::peer_available("curl", Command::new("curl").arg("--version"));
        let downloaders: &[&'static str] = if curl {
            &["ftp-client", "curl"]
        } else {
            &["ftp-client"]
        };
        let runs = self.options.runs;
        for run in 1..=runs {
            let waiting = machine::time_wait_sockets();
            eprintln!("ftp-bench: run {run} of {runs} ({waiting} TCP sockets in TIME_WAIT)");
            self.run_once(run, &servers, downloaders);
        }
        for &build in Build::measured() {
            for program in PROGRAMS {
                let metric = Metric::BinarySize(program, build);
                if self.options.wants(metric.row()) {
                    let sample = self
                        .programs
                        .binary(program, build)
                        .ok_or_else(|| Failure(NEEDS_FEATURE.into()))
                        .and_then(|path| workloads::binary_size(&path));
                    self.record(metric, SOLE, sample);
                }
            }
        }
        println!("{}", Machine::describe(&self.programs.join("ftp-server")));
        let verdicts = targets::evaluate(&self.results, &self.options.sizes);
        self.print_results(&names, verdicts);
        if !BUILT_WITH_TLS {
            println!("\nNot measured: {NEEDS_FEATURE}.");
        }
        Ok(())
    }

    /// One sample of everything: the raw copies, every server (starting with
    /// another one each run, so that none is always first or always right
    /// after a given other), and the download programs (likewise).
    fn run_once(&mut self, run: usize, servers: &[Server], downloaders: &[&'static str]) {
        for source in [Source::File, Source::Memory] {
            if self.options.wants(Metric::RawCopy(source).row()) {
                let sample = self.raw_copy(source);
                self.record(Metric::RawCopy(source), SOLE, sample);
            }
        }
        let mut metrics = Metric::per_server(&self.options.sizes);
        metrics.retain(|metric| self.options.wants(metric.row()));
        for server in rotated(servers, run) {
            for &metric in &metrics {
                if metric.only_ftp_server() && !server.kind.is_ftp_server()
                    || metric.is_ftps() != server.protected()
                {
                    continue;
                }
                if metric == Metric::SessionsHeld {
                    self.hold(server.kind);
                    continue;
                }
                let sample = self.measure(metric, server);
                self.record(metric, server.name(), sample);
            }
        }
        // ftp-server is started in clear unless only FTPS rows are measured.
        let clear_ours = |server: &&Server| server.kind == Kind::Ours && !server.protected();
        let Some(ours) = servers.iter().find(clear_ours) else {
            return;
        };
        if !self.options.wants(Metric::Download("ftp-client").row()) {
            return;
        }
        for &program in rotated(downloaders, run) {
            let sample = self.download(program, ours);
            self.record(Metric::Download(program), SOLE, sample);
        }
    }

    /// ftp-server's memory per idle session, judged against the target.
    fn check_memory(&mut self) -> Result<bool, Failure> {
        for _ in 0..self.options.runs {
            for count in self.options.sizes.idle {
                let sample = self.idle_memory(Kind::Ours, false, count, None);
                self.record(Metric::IdleSessions(count), OURS, sample);
            }
        }
        let verdicts = targets::memory(&self.results, &self.options.sizes);
        let passed = !verdicts.iter().any(Verdict::missed);
        self.print_results(&[OURS], verdicts);
        Ok(passed)
    }

    /// ftp-server, the baseline if given and every installed peer, serving
    /// the fixture, in the order a run measures them (unless only FTPS rows
    /// are measured); then, when FTPS is measured, ftp-server and vsftpd
    /// started for it.
    fn start_servers(&self) -> Result<Vec<Server>, Failure> {
        let mut servers = Vec::new();
        let root = self.fixture.root();
        if self.options.wants_clear() {
            for kind in Kind::RUN_ORDER {
                servers.extend(Server::start(kind, &self.programs, root, None)?);
            }
        }
        if let Some(tls) = &self.certificates {
            for kind in Kind::RUN_ORDER {
                servers.extend(Server::start(kind, &self.programs, root, Some(tls))?);
            }
        }
        Ok(servers)
    }

    /// A freshly started server of `kind`, for FTPS if `protected`.
    fn fresh(&self, kind: Kind, protected: bool) -> Result<Server, Failure> {
        let tls = match (protected, &self.certificates) {
            (false, _) => None,
            (true, Some(certificates)) => Some(certificates),
            (true, None) => return Err(Failure(NEEDS_FEATURE.into())),
        };
        Server::start(kind, &self.programs, self.fixture.root(), tls)?
            .ok_or_else(|| Failure(format!("{} is no longer installed", kind.name())))
    }

    /// Memory per idle session of a freshly started server of `kind` (for
    /// FTPS if `protected`), after a `download` in each if given (see
    /// [`workloads::idle_memory`] for why fresh).
    fn idle_memory(
        &self,
        kind: Kind,
        protected: bool,
        count: usize,
        download: Option<(&str, u64)>,
    ) -> Result<f64, Failure> {
        let server = self.fresh(kind, protected)?;
        workloads::idle_memory(&server, count, download)
    }

    /// (l): a fresh ftp-server of `kind` started with the descriptor limit,
    /// as many of the idle sessions as log in, and logins timed beside
    /// them; records how many logged in (and, as a failure, why no more did
    /// or what else went wrong) and each login's time.
    fn hold(&mut self, kind: Kind) {
        let sizes = &self.options.sizes;
        let needed = open_files_needed(self.options);
        match own_open_files() {
            Ok(Some(own)) if own < needed => {
                let short = format!("the bench may open {own} files, (l) needs {needed}");
                return self.record(Metric::SessionsHeld, kind.name(), Err(Failure(short)));
            }
            Err(err) => return self.record(Metric::SessionsHeld, kind.name(), Err(err)),
            _ => {}
        }
        let limits = Limits {
            sessions: sizes.held + 100,
            open_files: Some(sizes.held_limit),
        };
        let started = Server::limited(kind, &self.programs, self.fixture.root(), limits, None);
        let server = match started {
            Ok(Some(server)) => server,
            Ok(None) => return,
            Err(err) => return self.record(Metric::SessionsHeld, kind.name(), Err(err)),
        };
        let small = &self.fixture.small()[0];
        let held = workloads::hold(server, sizes.held, small, sizes.small_size as u64);
        let column = kind.name();
        self.record(Metric::SessionsHeld, column, Ok(held.sessions as f64));
        if let Some(why) = held.stopped {
            eprintln!("  {column:<10} stopped: {why}");
            self.results.fail(Metric::SessionsHeld, column, why);
        }
        for login in held.logins {
            self.record(Metric::LoginUnderLoad, column, login);
        }
    }

    /// Takes one sample of a per-server `metric` on `server`; an FTPS row
    /// runs the workload of the clear row it repeats, on a server started
    /// for FTPS.
    fn measure(&self, metric: Metric, server: &Server) -> Result<f64, Failure> {
        let (sizes, fixture, login) = (&self.options.sizes, &self.fixture, &server.login);
        match metric {
            Metric::Retr(mode) => workloads::retr(login, mode, BIG, sizes.big),
            Metric::Stor => {
                fixture.warm_up(sizes.big)?;
                let stored = fixture.local(&format!("stored-by-{}.bin", server.name()));
                workloads::stor(login, &fixture.local(BIG), &stored, sizes.big)
            }
            Metric::SmallFiles(mode) => {
                workloads::small_files(login, mode, fixture.small(), sizes.small_size)
            }
            Metric::Logins => workloads::logins(login, sizes.logins),
            Metric::IdleSessions(count) => {
                self.idle_memory(server.kind, server.protected(), count, None)
            }
            Metric::IdleAfterDownload(count) => {
                let download = Some((MIDDLE, sizes.parallel_size));
                self.idle_memory(server.kind, server.protected(), count, download)
            }
            Metric::Parallel => {
                workloads::parallel(login, sizes.parallel, MIDDLE, sizes.parallel_size)
            }
            Metric::Listing(command) => {
                let (names, times) = (sizes.small_count, sizes.listings);
                workloads::listings(login, command, SMALL_DIR, names, times)
            }
            Metric::Descriptors(count) => {
                let server = self.fresh(server.kind, server.protected())?;
                workloads::idle_descriptors(&server, count)
            }
            Metric::Ftps(ftps) => self.measure(ftps.clear(), server),
            Metric::RawCopy(_)
            | Metric::BinarySize(..)
            | Metric::Download(_)
            | Metric::SessionsHeld
            | Metric::LoginUnderLoad => Err(Failure(format!(
                "{} is not measured per server",
                metric.label(sizes)
            ))),
        }
    }

    /// One raw loopback copy of the big file's size.
    fn raw_copy(&self, source: Source) -> Result<f64, Failure> {
        let big = self.fixture.local(BIG);
        workloads::raw_copy(source, &big, self.options.sizes.big)
    }

    /// `program` (ftp-client or curl) downloading the big file from `server`
    /// (passive, the default of both) to a file on tmpfs.
    fn download(&self, program: &str, server: &Server) -> Result<f64, Failure> {
        let login = &server.login;
        let url = format!(
            "ftp://{}:{}@{}/{BIG}",
            login.user, login.password, login.addr
        );
        let output = self.fixture.local(&format!("downloaded-by-{program}.bin"));
        self.fixture.warm_up(self.options.sizes.big)?;
        let mut command = match program {
            "curl" => {
                let mut curl = Command::new("curl");
                curl.args(["--silent", "--show-error"]);
                curl
            }
            _ => Command::new(self.programs.join(program)),
        };
        command.arg("-o").arg(&output).arg(url);
        workloads::program_download(command, &output, self.options.sizes.big)
    }

    /// Keeps a sample, or the reason it could not be taken, and shows it on
    /// stderr as it comes. A failed attempt does not stop the run: it is
    /// counted in the tables and misses its targets.
    fn record(&mut self, metric: Metric, column: &str, sample: Result<f64, Failure>) {
        let label = metric.label(&self.options.sizes);
        match sample {
            Ok(sample) => {
                let unit = metric.unit();
                eprintln!("  {column:<10} {label}: {} {unit}", stats::Figure(sample));
                self.results.add(metric, column, sample);
            }
            Err(err) => {
                eprintln!("  {column:<10} {label}: FAILED: {err}");
                self.results.fail(metric, column, err.to_string());
            }
        }
    }

    /// The command, the tables and the verdicts, in Markdown.
    fn print_results(&self, servers: &[&str], verdicts: Vec<Verdict>) {
        let sizes = &self.options.sizes;
        let runs = self.options.runs;
        println!("{runs} runs each; median (min–max); ↑ higher is better, ↓ lower is better.\n");
        let tables = Tables {
            results: &self.results,
            servers,
            sizes,
        };
        println!("{tables}");
        println!("Targets:\n");
        for verdict in verdicts {
            println!("{verdict}");
        }
    }
}

/// Every item of `items` once, starting `by` places in and wrapping around.
fn rotated<T>(items: &[T], by: usize) -> impl Iterator<Item = &T> {
    items.iter().cycle().skip(by).take(items.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_visits_every_item_once() {
        let items = ["a", "b", "c"];
        let order: Vec<&str> = rotated(&items, 4).copied().collect();
        assert_eq!(order, ["b", "c", "a"]);
        assert_eq!(rotated(&[] as &[u8], 2).count(), 0);
    }

    #[test]
    fn open_file_limits_are_read_soft_and_hard() {
        let limits = "\
Limit                     Soft Limit           Hard Limit           Units
Max processes             95884                95884                processes
Max open files            1024                 524288               files
";
        assert_eq!(open_files_limit(limits, Limit::Soft), Some(1024));
        assert_eq!(open_files_limit(limits, Limit::Hard), Some(524_288));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(open_files_limit(unlimited, Limit::Soft), None);
        assert_eq!(open_files_limit(unlimited, Limit::Hard), None);
        assert_eq!(open_files_limit("Max processes 10 10\n", Limit::Soft), None);
    }

    #[test]
    fn the_limit_asked_for_is_the_hard_one_at_most_unless_root() {
        let wanted = OPEN_FILES + 10_000;
        assert_eq!(open_files_target(wanted, Some(20_000), false), wanted);
        assert_eq!(open_files_target(wanted, Some(8192), false), 8192);
        assert_eq!(open_files_target(wanted, Some(1024), false), OPEN_FILES);
        assert_eq!(open_files_target(wanted, Some(1024), true), wanted);
        assert_eq!(open_files_target(wanted, None, false), wanted);
        let options = Options::parse(["--only".to_string(), "k".to_string()]).expect("valid");
        assert_eq!(open_files_needed(&options), OPEN_FILES);
        let options = Options::parse(["--quick".to_string()]).expect("valid");
        assert_eq!(open_files_needed(&options), OPEN_FILES + 1000);
    }

    /// Every FTPS row, measured as a run measures it on the servers started
    /// for FTPS (ours from target/debug, which must be the tls build, and
    /// vsftpd), at tiny sizes; those servers refuse a clear login, so a row
    /// that measured in clear would fail.
    #[cfg(feature = "tls")]
    #[test]
    fn every_ftps_row_measures_ours_and_vsftpd_over_tls_only() {
        use ftp_client::client::DataMode;
        let mut options = Options::parse(["--only".to_string(), "mno".to_string()]).expect("valid");
        options.sizes = options::Sizes {
            big: 1 << 20,
            small_count: 20,
            idle: [3, 6],
            ..options::Sizes::QUICK
        };
        let debug = ftp_tests::program("ftp-server");
        let dir = debug.parent().expect("target/debug").to_path_buf();
        let programs = Programs {
            dir: dir.clone(),
            baseline: None,
            tls: Some(dir),
        };
        let ips = [Kind::Ours, Kind::Vsftpd].map(Kind::address);
        let bench = Bench {
            options: &options,
            programs,
            fixture: Fixture::create(&options.sizes).expect("fixture written"),
            certificates: Some(Certificates::new(&ips).expect("certificates made")),
            results: Results::default(),
        };
        let servers = bench.start_servers().expect("servers started");
        assert_eq!(servers.first().map(|server| server.kind), Some(Kind::Ours));
        assert!(servers.iter().all(Server::protected));
        assert!(servers.len() <= 2, "only ours and vsftpd: {servers:?}");
        let mut metrics = Metric::per_server(&options.sizes);
        metrics.retain(|metric| options.wants(metric.row()));
        assert_eq!(metrics.len(), 5, "{metrics:?}");
        for server in &servers {
            for &metric in &metrics {
                let label = metric.label(&options.sizes);
                let sample = bench
                    .measure(metric, server)
                    .unwrap_or_else(|err| panic!("{label} on {}: {err}", server.name()));
                assert!(sample.is_finite(), "{label}: {sample}");
                if metric.unit().higher_is_better() {
                    assert!(sample > 0.0, "{label}: {sample}");
                }
            }
            let clear = servers::Login {
                tls: None,
                ..server.login.clone()
            };
            let refused = workloads::retr(&clear, DataMode::Passive, BIG, options.sizes.big);
            assert!(refused.is_err(), "{} let a clear session in", server.name());
        }
    }

    #[test]
    fn the_inner_build_drops_what_cargo_run_set_but_keeps_the_users_settings() {
        for name in [
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_PRE",
            "CARGO_MANIFEST_DIR",
        ] {
            assert!(set_by_cargo_run(name), "{name}");
        }
        for name in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_PROFILE_RELEASE_LTO",
        ] {
            assert!(!set_by_cargo_run(name), "{name}");
        }
    }

    #[test]
    fn failures_read_as_their_cause() {
        let failure = Failure::from(io::Error::other("disk full"));
        assert_eq!(failure.to_string(), "disk full");
    }
}
