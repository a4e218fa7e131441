//! The command line of `ftp-bench`: what to run (the comparison, or only the
//! memory check), how many runs, full or quick sizes, which rows, a second
//! ftp-server to compare with, and whether to build the programs first.
//!
//! It only reads the arguments; nothing is started here.

use std::fmt;
use std::path::PathBuf;

use crate::ftps::{BUILT_WITH_TLS, NEEDS_FEATURE};

/// The help text.
pub const USAGE: &str = "\
usage: ftp-bench [--runs N] [--quick] [--only ROWS] [--baseline PATH]
                 [--check-memory] [--no-build]

Starts ftp-server, vsftpd and pyftpdlib on loopback with files on /dev/shm and
measures them side by side (medians, min-max, ratio ours/peer). Built with
--features ftp-tests/tls, also over FTPS (rows m, n, o): ftp-server's tls
build and vsftpd with ssl_enable.

  --runs N         runs of each measurement (default 5, or 3 with --quick)
  --quick          small sizes, for a smoke run of well under a minute
  --only ROWS      only the rows of these letters, e.g. d,e,f,j (a to o; the
                   FTPS rows m, n, o and the tls builds' sizes in h need
                   ftp-bench built with --features ftp-tests/tls)
  --baseline PATH  another ftp-server binary (a build of an earlier commit),
                   started and measured like ours in every server row, as the
                   column `baseline` with a ratio `ours / baseline`
  --check-memory   only ftp-server: PSS per idle logged-in session against the
                   64 KiB target; exit status 1 when it is missed
  --no-build       do not run `cargo build --release` for ftp-server and ftp-client
  -h, --help       this text
";

/// The most runs `--runs` accepts, to keep a run bounded.
const MAX_RUNS: usize = 20;

/// The letters of the rows, as in `docs/performance.md`.
pub const ROWS: &str = "abcdefghijklmno";

/// The letters of the FTPS rows, measured only in a build with TLS.
const FTPS_ROWS: &str = "mno";

/// How much each measurement moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sizes {
    /// Bytes of the big file (raw copy, RETR, STOR, client vs curl).
    pub big: u64,
    /// Number of small files downloaded in one session.
    pub small_count: usize,
    /// Bytes of each small file.
    pub small_size: usize,
    /// Concurrent logins.
    pub logins: usize,
    /// Idle logged-in sessions, in the two counts measured.
    pub idle: [usize; 2],
    /// Concurrent downloading sessions.
    pub parallel: usize,
    /// Bytes each concurrent session downloads.
    pub parallel_size: u64,
    /// Listings of the small files' directory in one session.
    pub listings: usize,
    /// Idle logged-in sessions whose open descriptors are counted.
    pub descriptors: usize,
    /// Idle logged-in sessions opened on a server with a descriptor limit.
    pub held: usize,
    /// That server's limit on open descriptors (`RLIMIT_NOFILE`).
    pub held_limit: u64,
}

impl Sizes {
    /// The sizes the targets are stated for.
    pub const FULL: Sizes = Sizes {
        big: 1 << 30,
        small_count: 2000,
        small_size: 1 << 10,
        logins: 200,
        idle: [50, 500],
        parallel: 50,
        parallel_size: 20 << 20,
        listings: 50,
        descriptors: 100,
        held: 10_000,
        held_limit: 20_000,
    };

    /// A smoke run: every measurement, at a fraction of the size.
    pub const QUICK: Sizes = Sizes {
        big: 64 << 20,
        small_count: 200,
        small_size: 1 << 10,
        logins: 50,
        idle: [10, 50],
        parallel: 10,
        parallel_size: 4 << 20,
        listings: 10,
        descriptors: 20,
        held: 1000,
        held_limit: 2000,
    };
}

/// What the program does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every measurement, every server.
    Compare,
    /// Only ftp-server's memory per idle session, checked against the target.
    CheckMemory,
    /// Print [`USAGE`].
    Help,
}

/// The parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// What to do.
    pub mode: Mode,
    /// Runs of each measurement.
    pub runs: usize,
    /// Full or quick sizes.
    pub sizes: Sizes,
    /// Whether to build ftp-server and ftp-client first.
    pub build: bool,
    /// The letters of the rows to measure (`None`: all).
    pub only: Option<String>,
    /// Another ftp-server binary to measure beside ours.
    pub baseline: Option<PathBuf>,
}

/// A command line that makes no sense, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (try --help)", self.0)
    }
}

impl Options {
    /// Reads the arguments (without the program name).
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Options, UsageError> {
        let mut mode = Mode::Compare;
        let mut runs = None;
        let mut quick = false;
        let mut build = true;
        let (mut only, mut baseline) = (None, None);
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--runs" => runs = Some(parse_runs(args.next())?),
                "--quick" => quick = true,
                "--check-memory" => mode = Mode::CheckMemory,
                "--no-build" => build = false,
                "--only" => only = Some(parse_rows(args.next())?),
                "--baseline" => {
                    let path = args.next().filter(|path| !path.is_empty());
                    let path = path.ok_or_else(|| UsageError("--baseline needs a path".into()))?;
                    baseline = Some(PathBuf::from(path));
                }
                "-h" | "--help" => mode = Mode::Help,
                _ => return Err(UsageError(format!("unknown argument {arg:?}"))),
            }
        }
        Ok(Options {
            mode,
            runs: runs.unwrap_or(if quick { 3 } else { 5 }),
            sizes: if quick { Sizes::QUICK } else { Sizes::FULL },
            build,
            only,
            baseline,
        })
    }

    /// Whether the row of this letter is to be measured.
    pub fn wants(&self, row: char) -> bool {
        self.only.as_ref().is_none_or(|only| only.contains(row))
    }

    /// Whether any FTPS row is to be measured (never without TLS).
    pub fn wants_ftps(&self) -> bool {
        BUILT_WITH_TLS && FTPS_ROWS.chars().any(|row| self.wants(row))
    }

    /// Whether any row other than the FTPS rows is to be measured.
    pub fn wants_clear(&self) -> bool {
        ROWS.chars()
            .filter(|&row| !FTPS_ROWS.contains(row))
            .any(|row| self.wants(row))
    }
}

/// The value of `--only`: row letters, separated by commas or not; the
/// FTPS rows only in a build with TLS.
fn parse_rows(value: Option<String>) -> Result<String, UsageError> {
    let value = value.ok_or_else(|| UsageError("--only needs row letters".into()))?;
    let rows: String = value.chars().filter(|&c| c != ',').collect();
    match rows.chars().find(|&row| !ROWS.contains(row)) {
        None if !rows.is_empty() => {}
        _ => {
            return Err(UsageError(format!(
                "--only takes row letters from a to o, such as d,e,f, not {value:?}"
            )))
        }
    }
    if !BUILT_WITH_TLS && rows.chars().any(|row| FTPS_ROWS.contains(row)) {
        return Err(UsageError(NEEDS_FEATURE.into()));
    }
    Ok(rows)
}

/// The value of `--runs`: 1 to [`MAX_RUNS`].
fn parse_runs(value: Option<String>) -> Result<usize, UsageError> {
    let value = value.ok_or_else(|| UsageError("--runs needs a number".into()))?;
    match value.parse() {
        Ok(runs @ 1..=MAX_RUNS) => Ok(runs),
        _ => Err(UsageError(format!(
            "--runs takes 1 to {MAX_RUNS}, not {value:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, UsageError> {
        Options::parse(args.iter().map(|arg| arg.to_string()))
    }

    #[test]
    fn no_arguments_compare_five_full_runs_after_building() {
        let options = parse(&[]).expect("valid");
        assert_eq!(options.mode, Mode::Compare);
        assert_eq!((options.runs, options.build), (5, true));
        assert_eq!(options.sizes, Sizes::FULL);
        assert_eq!((&options.only, &options.baseline), (&None, &None));
        assert!(ROWS.chars().all(|row| options.wants(row)));
    }

    #[test]
    fn only_keeps_the_rows_named() {
        let options = parse(&["--only", "d,f,j"]).expect("valid");
        assert_eq!(options.only.as_deref(), Some("dfj"));
        let wanted: String = ROWS.chars().filter(|&row| options.wants(row)).collect();
        assert_eq!(wanted, "dfj");
        let options = parse(&["--only", "ae"]).expect("valid");
        assert_eq!(options.only.as_deref(), Some("ae"));
        for args in [
            &["--only"][..],
            &["--only", ""],
            &["--only", ","],
            &["--only", "d,p"],
        ] {
            assert!(parse(args).is_err(), "{args:?} accepted");
        }
    }

    #[cfg(feature = "tls")]
    #[test]
    fn a_tls_build_takes_the_ftps_rows() {
        let options = parse(&["--only", "h,m,n,o"]).expect("valid");
        assert_eq!(options.only.as_deref(), Some("hmno"));
        assert!(ROWS
            .chars()
            .all(|row| parse(&[]).expect("valid").wants(row)));
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn a_build_without_tls_refuses_the_ftps_rows_and_says_why() {
        for rows in ["m", "d,n", "o"] {
            let error = parse(&["--only", rows]).expect_err("refused");
            assert!(
                error.to_string().contains("--features ftp-tests/tls"),
                "{error}"
            );
        }
        assert!(parse(&["--only", "h"]).is_ok());
    }

    #[test]
    fn baseline_takes_a_path() {
        let options = parse(&["--baseline", "old/ftp-server", "--quick"]).expect("valid");
        assert_eq!(options.baseline, Some(PathBuf::from("old/ftp-server")));
        assert_eq!(options.sizes, Sizes::QUICK);
        for args in [&["--baseline"][..], &["--baseline", ""]] {
            let error = parse(args).expect_err("refused");
            assert_eq!(error.to_string(), "--baseline needs a path (try --help)");
        }
    }

    #[test]
    fn quick_means_three_small_runs_unless_runs_is_given() {
        let options = parse(&["--quick"]).expect("valid");
        assert_eq!((options.runs, options.sizes), (3, Sizes::QUICK));
        let options = parse(&["--runs", "7", "--quick"]).expect("valid");
        assert_eq!(options.runs, 7);
    }

    #[test]
    fn mode_and_build_flags() {
        let options = parse(&["--check-memory", "--no-build"]).expect("valid");
        assert_eq!((options.mode, options.build), (Mode::CheckMemory, false));
        assert_eq!(parse(&["-h"]).expect("valid").mode, Mode::Help);
    }

    #[test]
    fn runs_out_of_range_or_missing_are_refused() {
        for args in [
            &["--runs"][..],
            &["--runs", "0"],
            &["--runs", "21"],
            &["--runs", "x"],
        ] {
            assert!(parse(args).is_err(), "{args:?} accepted");
        }
    }

    #[test]
    fn unknown_arguments_are_named() {
        let error = parse(&["--fast"]).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "unknown argument \"--fast\" (try --help)"
        );
    }
}
