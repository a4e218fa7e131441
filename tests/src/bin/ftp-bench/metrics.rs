//! What is measured: one [`Metric`] per row of the result tables, with its
//! label (letters as in the project's performance issue) and unit. The FTPS
//! rows ([`Ftps`], m to o) repeat clear rows over TLS, and exist only in a
//! build with the `tls` feature, as do the sizes of the tls builds in (h).
//!
//! It does not measure (see `workloads`) or keep samples (see `report`).

use std::fmt;

use ftp_client::client::DataMode;

use crate::ftps::BUILT_WITH_TLS;
use crate::options::Sizes;
use crate::stats::Unit;
use crate::workloads::{Listing, Source};

/// One measured quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// (a) A plain loopback TCP copy of the big file's size: the ceiling.
    RawCopy(Source),
    /// (b) RETR of the big file.
    Retr(DataMode),
    /// (c) STOR of the big file.
    Stor,
    /// (d) The small files, one after the other in one session.
    SmallFiles(DataMode),
    /// (e) Concurrent logins, until all are in.
    Logins,
    /// (f) PSS per idle logged-in session, with this many open.
    IdleSessions(usize),
    /// (f) PSS per session, with this many open, each idle after it
    /// downloaded the middle-sized file.
    IdleAfterDownload(usize),
    /// (g) Concurrent sessions each downloading the middle-sized file.
    Parallel,
    /// (h) A program's stripped release binary, of this build.
    BinarySize(&'static str, Build),
    /// (i) A download program fetching the big file from ftp-server.
    Download(&'static str),
    /// (j) Listings of the small files' directory, one after the other in
    /// one session, passive.
    Listing(Listing),
    /// (k) Open descriptors per idle logged-in session, with this many open.
    Descriptors(usize),
    /// (l) Idle sessions that logged in on an ftp-server started with a
    /// limit on open descriptors.
    SessionsHeld,
    /// (l) A new login and a small RETR while those sessions are held.
    LoginUnderLoad,
    /// (m to o) A clear row repeated over FTPS.
    Ftps(Ftps),
}

/// The rows measured over FTPS: explicit TLS (`AUTH TLS`, `PBSZ 0`,
/// `PROT P`), every data connection a TLS connection that resumes the
/// control connection's TLS session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ftps {
    /// (m) RETR of the big file, passive.
    Retr,
    /// (m) STOR of the big file.
    Stor,
    /// (n) The small files, one after the other in one session, passive:
    /// a TLS handshake (resumed) for each.
    SmallFiles,
    /// (o) PSS per idle logged-in FTPS session, with this many open.
    IdleSessions(usize),
}

impl Ftps {
    /// The clear row it repeats, whose workload it runs.
    pub fn clear(self) -> Metric {
        match self {
            Ftps::Retr => Metric::Retr(DataMode::Passive),
            Ftps::Stor => Metric::Stor,
            Ftps::SmallFiles => Metric::SmallFiles(DataMode::Passive),
            Ftps::IdleSessions(count) => Metric::IdleSessions(count),
        }
    }
}

/// Which build of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// The default features.
    Default,
    /// With the `tls` feature (FTPS).
    Tls,
}

impl Build {
    /// The builds measured: the tls builds too when ftp-bench has the feature.
    pub fn measured() -> &'static [Build] {
        if BUILT_WITH_TLS {
            &[Build::Default, Build::Tls]
        } else {
            &[Build::Default]
        }
    }
}

impl Metric {
    /// The measurements made on every server, in table order.
    pub fn per_server(sizes: &Sizes) -> Vec<Metric> {
        let mut metrics = vec![
            Metric::Retr(DataMode::Passive),
            Metric::Retr(DataMode::Active),
            Metric::Stor,
            Metric::SmallFiles(DataMode::Passive),
            Metric::SmallFiles(DataMode::Active),
            Metric::Logins,
        ];
        metrics.extend(sizes.idle.map(Metric::IdleSessions));
        metrics.push(Metric::IdleAfterDownload(sizes.idle[0]));
        metrics.push(Metric::Parallel);
        metrics.extend([Listing::List, Listing::Nlst].map(Metric::Listing));
        metrics.push(Metric::Descriptors(sizes.descriptors));
        metrics.push(Metric::SessionsHeld);
        if BUILT_WITH_TLS {
            metrics.extend([Ftps::Retr, Ftps::Stor, Ftps::SmallFiles].map(Metric::Ftps));
            metrics.extend(
                sizes
                    .idle
                    .map(|count| Metric::Ftps(Ftps::IdleSessions(count))),
            );
        }
        metrics
    }

    /// Whether it is measured over FTPS, on the servers started for it.
    pub fn is_ftps(self) -> bool {
        matches!(self, Metric::Ftps(_))
    }

    /// Whether it is measured on ftp-server builds only: the descriptor
    /// limit is per process, and vsftpd runs a process per session, while
    /// pyftpdlib refuses more than 512 sessions by default.
    pub fn only_ftp_server(self) -> bool {
        matches!(self, Metric::SessionsHeld | Metric::LoginUnderLoad)
    }

    /// The letter of its row, as in `docs/performance.md` (for `--only`).
    pub fn row(self) -> char {
        match self {
            Metric::RawCopy(_) => 'a',
            Metric::Retr(_) => 'b',
            Metric::Stor => 'c',
            Metric::SmallFiles(_) => 'd',
            Metric::Logins => 'e',
            Metric::IdleSessions(_) | Metric::IdleAfterDownload(_) => 'f',
            Metric::Parallel => 'g',
            Metric::BinarySize(..) => 'h',
            Metric::Download(_) => 'i',
            Metric::Listing(_) => 'j',
            Metric::Descriptors(_) => 'k',
            Metric::SessionsHeld | Metric::LoginUnderLoad => 'l',
            Metric::Ftps(Ftps::Retr | Ftps::Stor) => 'm',
            Metric::Ftps(Ftps::SmallFiles) => 'n',
            Metric::Ftps(Ftps::IdleSessions(_)) => 'o',
        }
    }

    /// Whether this row compares the servers (rather than describing one thing).
    pub fn is_per_server(self) -> bool {
        !matches!(
            self,
            Metric::RawCopy(_) | Metric::BinarySize(..) | Metric::Download(_)
        )
    }

    /// The unit of its samples.
    pub fn unit(self) -> Unit {
        match self {
            Metric::RawCopy(_)
            | Metric::Retr(_)
            | Metric::Stor
            | Metric::Parallel
            | Metric::Download(_) => Unit::MibPerSec,
            Metric::SmallFiles(_) => Unit::FilesPerSec,
            Metric::Listing(_) => Unit::ListingsPerSec,
            Metric::Logins | Metric::LoginUnderLoad => Unit::Millis,
            Metric::Descriptors(_) => Unit::DescriptorsPerSession,
            Metric::SessionsHeld => Unit::Sessions,
            Metric::IdleSessions(_) | Metric::IdleAfterDownload(_) => Unit::KibPerSession,
            Metric::BinarySize(..) => Unit::Kib,
            Metric::Ftps(ftps) => ftps.clear().unit(),
        }
    }

    /// Its label for `sizes`, e.g. `(b) RETR 1 GiB, passive`.
    pub fn label(self, sizes: &Sizes) -> String {
        format!("({}) {}", self.row(), self.text(sizes))
    }

    /// Its label without the row's letter.
    fn text(self, sizes: &Sizes) -> String {
        let big = Bytes(sizes.big);
        match self {
            Metric::RawCopy(Source::File) => format!("loopback TCP {big}, tmpfs file → socket"),
            Metric::RawCopy(Source::Memory) => format!("loopback TCP {big}, memory → socket"),
            Metric::Retr(mode) => format!("RETR {big}, {mode}"),
            Metric::Stor => format!("STOR {big}"),
            Metric::SmallFiles(mode) => format!(
                "{} files of {} in one session, {mode}",
                sizes.small_count,
                Bytes(sizes.small_size as u64)
            ),
            Metric::Logins => format!("{} concurrent logins", sizes.logins),
            Metric::IdleSessions(count) => format!("PSS, {count} idle sessions"),
            Metric::IdleAfterDownload(count) => format!(
                "PSS, {count} sessions idle after a {} download each",
                Bytes(sizes.parallel_size)
            ),
            Metric::Parallel => format!(
                "{} sessions × {} at once",
                sizes.parallel,
                Bytes(sizes.parallel_size)
            ),
            Metric::BinarySize(program, Build::Default) => format!("{program} binary, stripped"),
            Metric::BinarySize(program, Build::Tls) => {
                format!("{program} binary built with --features tls, stripped")
            }
            Metric::Download(program) => format!("{program}: RETR {big} from ftp-server"),
            Metric::Listing(command) => format!(
                "{command} of {} names in one session, passive",
                sizes.small_count
            ),
            Metric::Descriptors(count) => format!("descriptors, {count} idle sessions"),
            Metric::SessionsHeld => format!(
                "sessions logged in of {}, server limited to {} descriptors",
                sizes.held, sizes.held_limit
            ),
            Metric::LoginUnderLoad => {
                format!(
                    "login + RETR {} beside them",
                    Bytes(sizes.small_size as u64)
                )
            }
            Metric::Ftps(ftps) => format!("FTPS {}", ftps.clear().text(sizes)),
        }
    }
}

/// A byte count in the largest binary unit that divides it (`1 GiB`, `20 MiB`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = [(30, "GiB"), (20, "MiB"), (10, "KiB")];
        match units
            .iter()
            .find(|(shift, _)| self.0 != 0 && self.0 % (1 << shift) == 0)
        {
            Some((shift, unit)) => write!(f, "{} {unit}", self.0 >> shift),
            None => write!(f, "{} B", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_use_the_largest_exact_unit() {
        let shown: Vec<String> = [1 << 30, 64 << 20, 1536, 1 << 10, 1000, 0]
            .map(|n| Bytes(n).to_string())
            .into();
        assert_eq!(
            shown,
            ["1 GiB", "64 MiB", "1536 B", "1 KiB", "1000 B", "0 B"]
        );
    }

    #[test]
    fn labels_carry_the_sizes_and_the_mode() {
        let sizes = Sizes::FULL;
        assert_eq!(
            Metric::Retr(DataMode::Active).label(&sizes),
            "(b) RETR 1 GiB, active"
        );
        assert_eq!(
            Metric::SmallFiles(DataMode::Passive).label(&sizes),
            "(d) 2000 files of 1 KiB in one session, passive"
        );
        assert_eq!(
            Metric::Parallel.label(&sizes),
            "(g) 50 sessions × 20 MiB at once"
        );
        assert_eq!(
            Metric::Listing(Listing::Nlst).label(&sizes),
            "(j) NLST of 2000 names in one session, passive"
        );
        assert_eq!(
            Metric::SessionsHeld.label(&sizes),
            "(l) sessions logged in of 10000, server limited to 20000 descriptors"
        );
        assert_eq!(
            Metric::LoginUnderLoad.label(&sizes),
            "(l) login + RETR 1 KiB beside them"
        );
    }

    #[test]
    fn only_the_held_sessions_rows_are_for_ftp_server_alone() {
        let only: Vec<Metric> = Metric::per_server(&Sizes::FULL)
            .into_iter()
            .filter(|metric| metric.only_ftp_server())
            .collect();
        assert_eq!(only, [Metric::SessionsHeld]);
        assert!(Metric::LoginUnderLoad.only_ftp_server());
    }

    #[test]
    fn every_server_gets_both_idle_counts_and_no_program_rows() {
        let metrics = Metric::per_server(&Sizes::FULL);
        assert!(metrics.contains(&Metric::IdleSessions(50)));
        assert!(metrics.contains(&Metric::IdleSessions(500)));
        assert!(metrics.contains(&Metric::IdleAfterDownload(50)));
        assert!(metrics.contains(&Metric::Listing(Listing::List)));
        assert!(metrics.contains(&Metric::Descriptors(100)));
        assert!(metrics.contains(&Metric::SessionsHeld));
        assert!(
            !metrics.contains(&Metric::LoginUnderLoad),
            "measured with SessionsHeld"
        );
        assert!(metrics.iter().all(|metric| metric.is_per_server()));
        assert!(!Metric::Download("curl").is_per_server());
        assert!(!Metric::BinarySize("ftp-server", Build::Tls).is_per_server());
    }

    #[test]
    fn ftps_rows_repeat_clear_rows_in_their_units() {
        let sizes = Sizes::FULL;
        let rows = [
            (Ftps::Retr, "(m) FTPS RETR 1 GiB, passive"),
            (Ftps::Stor, "(m) FTPS STOR 1 GiB"),
            (
                Ftps::SmallFiles,
                "(n) FTPS 2000 files of 1 KiB in one session, passive",
            ),
            (Ftps::IdleSessions(500), "(o) FTPS PSS, 500 idle sessions"),
        ];
        for (ftps, label) in rows {
            let metric = Metric::Ftps(ftps);
            assert_eq!(metric.label(&sizes), label);
            assert_eq!(metric.unit(), ftps.clear().unit());
            assert!(metric.is_ftps() && metric.is_per_server());
            assert!(!ftps.clear().is_ftps());
        }
        assert_eq!(
            Metric::BinarySize("ftp-client", Build::Tls).label(&sizes),
            "(h) ftp-client binary built with --features tls, stripped"
        );
    }

    #[cfg(feature = "tls")]
    #[test]
    fn a_tls_build_measures_the_ftps_rows_on_every_server() {
        let metrics = Metric::per_server(&Sizes::QUICK);
        let ftps: Vec<Metric> = metrics.into_iter().filter(|m| m.is_ftps()).collect();
        assert_eq!(
            ftps,
            [
                Metric::Ftps(Ftps::Retr),
                Metric::Ftps(Ftps::Stor),
                Metric::Ftps(Ftps::SmallFiles),
                Metric::Ftps(Ftps::IdleSessions(10)),
                Metric::Ftps(Ftps::IdleSessions(50)),
            ]
        );
        assert_eq!(Build::measured(), [Build::Default, Build::Tls]);
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn a_build_without_tls_has_no_ftps_rows() {
        let metrics = Metric::per_server(&Sizes::FULL);
        assert!(!metrics.iter().any(|metric| metric.is_ftps()));
        assert_eq!(Build::measured(), [Build::Default]);
    }

    #[test]
    fn every_row_letter_is_one_of_the_documented_rows() {
        let mut metrics = Metric::per_server(&Sizes::FULL);
        metrics.extend([
            Metric::RawCopy(Source::File),
            Metric::BinarySize("ftp-server", Build::Default),
            Metric::BinarySize("ftp-client", Build::Tls),
            Metric::Download("curl"),
            Metric::LoginUnderLoad,
            Metric::Ftps(Ftps::Retr),
            Metric::Ftps(Ftps::IdleSessions(50)),
        ]);
        let letters: String = metrics.iter().map(|metric| metric.row()).collect();
        assert!(letters
            .chars()
            .all(|row| crate::options::ROWS.contains(row)));
        for (metric, letter) in metrics.iter().zip(letters.chars()) {
            assert!(metric
                .label(&Sizes::FULL)
                .starts_with(&format!("({letter}) ")));
        }
    }
}
