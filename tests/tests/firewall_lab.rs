//! The firewall and NAT lab in CI: runs `firewall-lab --check --no-report`
//! (every scenario, every mode, every client; the expected table and the
//! message checks live in the lab's `expected` module) and checks that no
//! namespace of the lab is left behind (`firewall_lab/run.rs`, which says
//! when it is skipped). Built with the `tls` feature, the lab has its FTPS
//! scenario too, which `ftps_firewall_lab` runs alone.

use std::time::Duration;

mod firewall_lab {
    pub mod run;
}

#[test]
fn every_cell_of_the_firewall_lab_is_as_expected_and_nothing_is_left_behind() {
    firewall_lab::run::check(&[], Duration::from_secs(300));
}
