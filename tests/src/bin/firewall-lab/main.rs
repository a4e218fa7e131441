//! `firewall-lab`: active and passive FTP behind real firewalls and NAT.
//!
//! ```text
//! sudo cargo run -p ftp-tests --bin firewall-lab [-- --scenario NAME] [--keep] [--check] [--no-report]
//! ```
//!
//! Builds, per scenario, a client, a router and a server network namespace
//! (documentation addresses only), loads the scenario's nftables rules,
//! starts `ftp-server -v` in the server namespace and downloads a file with
//! our client, curl and Python's ftplib in every mode (PASV, EPSV, PORT,
//! EPRT; IPv4, and IPv6 where the scenario means something there). It
//! prints the table and rewrites `docs/firewall-lab.md` with the topology,
//! the rules, the table, the evidence of every failed cell and what each
//! common claim about the modes comes to. `--check` compares every cell with
//! the expected table (module `expected`) and our programs' messages with
//! the cause, and exits 1 on any difference. `--keep` leaves the namespaces
//! up and prints how to enter and remove them.
//!
//! Needs root, `ip` (iproute2) and `nft` (nftables). Scenarios run in
//! parallel, each in namespaces of its own; every namespace is removed at
//! the end, on failure (drop guards) and when the lab is killed (a sweeper
//! process that outlives it). Leftovers of an earlier run (names starting
//! `ftplab-`) are removed at start.
#![forbid(unsafe_code)]

mod cells;
mod expected;
mod ours;
mod report;
mod scenarios;
mod server;
mod topology;

use std::process::ExitCode;
use std::time::Instant;

use cells::{Client, Outcome, MODES};
use ftp_core::protocol::data_setup::DataCommand;
use scenarios::{Scenario, SCENARIOS};
use topology::{sh, Sweeper, Topology};

/// One cell's key and result.
#[derive(Debug, Clone)]
pub struct Cell {
    /// IPv6 rather than IPv4.
    pub v6: bool,
    /// The client.
    pub client: Client,
    /// The mode.
    pub mode: DataCommand,
    /// What happened.
    pub outcome: Outcome,
}

/// One scenario's results.
#[derive(Debug)]
pub struct Result_ {
    /// The scenario.
    pub scenario: Scenario,
    /// `Err(why)` when the scenario could not run on this machine.
    pub available: Result<(), String>,
    /// Its cells.
    pub cells: Vec<Cell>,
}

struct Args {
    scenario: Option<String>,
    keep: bool,
    check: bool,
    report: bool,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        scenario: None,
        keep: false,
        check: false,
        report: true,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--scenario" => parsed.scenario = Some(args.next().ok_or("--scenario needs a NAME")?.clone()),
            "--keep" => parsed.keep = true,
            "--check" => parsed.check = true,
            "--no-report" => parsed.report = false,
            "-h" | "--help" => {
                return Err(format!(
                    "usage: firewall-lab [--scenario NAME] [--keep] [--check] [--no-report]\nscenarios: {}",
                    SCENARIOS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
                ))
            }
            other => return Err(format!("unknown argument {other}; see --help")),
        }
    }
    if let Some(name) = &parsed.scenario {
        if !SCENARIOS.iter().any(|s| s.name == name) {
            return Err(format!("no scenario {name}; see --help"));
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("client") {
        return ours::main(&args[1..]);
    }
    let args = match parse(&args) {
        Ok(args) => args,
        Err(text) => {
            eprintln!("{text}");
            return ExitCode::from(2);
        }
    };
    if let Err(why) = ready() {
        eprintln!("firewall-lab: {why}");
        return ExitCode::from(2);
    }
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(why) => {
            eprintln!("firewall-lab: {why}");
            ExitCode::FAILURE
        }
    }
}

/// Whether this machine can run the lab: root, `ip netns`, `nft`.
pub fn ready() -> Result<(), String> {
    if !ftp_tests::running_as_root() {
        return Err("needs root (network namespaces and nftables)".into());
    }
    sh(None, &["ip", "netns", "list"]).map_err(|e| format!("no network namespaces: {e}"))?;
    sh(None, &["nft", "--version"]).map_err(|e| format!("no nft (nftables): {e}"))?;
    Ok(())
}

fn run(args: &Args) -> Result<bool, String> {
    let started = Instant::now();
    let left = topology::remove_leftovers();
    if !left.is_empty() {
        println!("removed leftovers of an earlier run: {}", left.join(", "));
    }
    let sweeper = Sweeper::start().map_err(|e| format!("cannot start the sweeper: {e}"))?;
    // The FTP helper; built into some kernels, a module in others.
    for module in ["nf_conntrack_ftp", "nf_nat_ftp"] {
        let _ = sh(None, &["modprobe", module]);
    }
    let program = server::program()?;
    let chosen: Vec<(usize, Scenario)> = SCENARIOS
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, s)| args.scenario.as_deref().is_none_or(|name| name == s.name))
        .collect();
    let scratch = server::Scratch::new(chosen.iter().any(|(_, s)| s.tls))?;
    let keep = args.keep;
    let results: Vec<(Result_, Option<Topology>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = chosen
            .iter()
            .map(|&(index, scenario)| {
                let program = &program;
                let scratch = &scratch;
                scope.spawn(move || run_scenario(index, scenario, program, scratch, keep))
            })
            .collect();
        handles
            .into_iter()
            .zip(&chosen)
            .map(|(handle, &(_, scenario))| {
                handle.join().unwrap_or_else(|_| {
                    (
                        Result_ {
                            scenario,
                            available: Err("the scenario's thread panicked".into()),
                            cells: Vec::new(),
                        },
                        None,
                    )
                })
            })
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let (results, kept): (Vec<Result_>, Vec<Option<Topology>>) = results.into_iter().unzip();
    print!("{}", report::console(&results));
    println!("the lab took {elapsed:.0} s");
    let problems = report::problems(&results);
    if args.report && args.scenario.is_none() {
        let path = report::path();
        std::fs::write(&path, report::markdown(&results, elapsed))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    if keep {
        print!("{}", report::keep_help(&kept, &program, &scratch));
    }
    drop(kept);
    sweeper.finish(keep);
    if !keep {
        let left = topology::lab_namespaces();
        if !left.is_empty() {
            return Err(format!("namespaces left behind: {}", left.join(", ")));
        }
    }
    for problem in &problems {
        println!("DIFFERS: {problem}");
    }
    Ok(!args.check || problems.is_empty())
}

/// Builds one scenario's namespaces, loads its rules, starts the server and
/// runs its cells; with `keep`, returns the namespaces still up.
fn run_scenario(
    index: usize,
    scenario: Scenario,
    program: &std::path::Path,
    scratch: &server::Scratch,
    keep: bool,
) -> (Result_, Option<Topology>) {
    let mut result = Result_ {
        scenario,
        available: Ok(()),
        cells: Vec::new(),
    };
    let mut topology = match Topology::build(index) {
        Ok(topology) => topology,
        Err(why) => {
            result.available = Err(format!("the namespaces could not be built: {why}"));
            return (result, None);
        }
    };
    topology.keep = keep;
    for (host, rules) in scenario.rules {
        if let Err(why) = server::load_rules(topology.ns(*host), rules) {
            result.available = Err(if rules.contains("ct helper") {
                format!("not available on this kernel (the FTP conntrack helper: {why})")
            } else {
                format!("the rules could not be loaded: {why}")
            });
            return (result, Some(topology));
        }
    }
    let started = server::Server::start(
        &topology.server,
        program,
        scratch,
        scenario.server_args,
        scenario.tls,
    );
    let server = match started {
        Ok(server) => server,
        Err(why) => {
            result.available = Err(format!("the server did not start: {why}"));
            return (result, Some(topology));
        }
    };
    let ca = scratch.ca();
    let rule_namespaces: Vec<&str> = scenario
        .rules
        .iter()
        .map(|(host, _)| topology.ns(*host))
        .collect();
    for v6 in [false, true] {
        if v6 && !scenario.ipv6 {
            continue;
        }
        let host = if v6 {
            topology::SERVER_V6
        } else {
            scenario.target_v4
        };
        for &client in scenario.clients {
            for mode in MODES {
                if !client.runs(mode, v6) {
                    continue;
                }
                let outcome = cells::run(
                    &topology.client,
                    &rule_namespaces,
                    &server.log,
                    client,
                    mode,
                    host,
                    ca.as_deref(),
                );
                result.cells.push(Cell {
                    v6,
                    client,
                    mode,
                    outcome,
                });
            }
        }
    }
    drop(server);
    (result, Some(topology))
}
