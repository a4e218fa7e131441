//! The firewall lab's FTPS scenario, `client-nat-helper-ftps`, which exists
//! only in a lab built with the `tls` feature: behind a client NAT with the
//! FTP conntrack helper, our client downloads in every mode in the clear,
//! with explicit TLS (active mode fails: the helper cannot read the
//! encrypted PORT/EPRT, so the client's private address reaches the
//! server) and with TLS and `CCC` (the helper reads PORT/EPRT again; data
//! stays protected). The lab checks every cell against its expected table,
//! the messages of the failed ones and the evidence of the others (the
//! rewritten address, the protected data connection); this test runs it
//! with `--check` (`firewall_lab/run.rs`, which says when it is skipped)
//! and looks for the scenario's three rows, so that a kernel without the
//! FTP helper (which the lab reports as a scenario it cannot run, not as a
//! difference) fails here instead of passing with no cell run.
#![cfg(feature = "tls")]

use std::time::Duration;

#[path = "firewall_lab/run.rs"]
mod run;

#[test]
fn ftps_behind_a_client_nat_with_the_ftp_helper_needs_ccc_for_active_mode() {
    let Some(out) = run::check(
        &["--scenario", "client-nat-helper-ftps"],
        Duration::from_secs(120),
    ) else {
        return;
    };
    for row in [
        "ours          ok     ok     ok     ok",
        "ours-tls      ok     ok     FAIL   FAIL",
        "ours-tls-ccc  ok     ok     ok     ok",
    ] {
        assert!(out.contains(row), "no row \"{row}\" in:\n{out}");
    }
}
