//! `ftp-client probe`: what a server really does, not only what `FEAT` claims.
//!
//! The probe logs in and runs a list of small checks, each a named function
//! that sends a few commands and adds one or more [`report::Finding`]s: the
//! greeting and `FEAT` ([`basics`]), how replies come over the wire
//! ([`form`]), each data mode tried with a real `LIST`
//! on each address family ([`modes`]), listings and file facts ([`facts`]),
//! the dialog's timing rules — `ABOR`, when the `150` comes, pipelining
//! ([`dialog`]) — and, only when asked, uploads and renames inside one
//! directory ([`mod@write`]).
//!
//! Every step is bounded by the timeout of [`Settings`]. A check that fails
//! with a timeout or a closed connection is reported as failed; the next
//! check starts on a new connection, so one hanging command does not stop
//! the others.
//!
//! This module does not print: [`report::Report`] renders the results.

pub mod basics;
pub mod cli;
pub mod data;
pub mod dialog;
pub mod facts;
pub mod form;
pub mod modes;
pub mod report;
#[cfg(test)]
mod scripted;
pub mod wire;
pub mod write;

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use ftp_core::{Error, Reply};

use self::report::{Finding, Report, Verdict};
use self::wire::Wire;
use crate::client::Features;
use ftp_core::protocol::data_setup::DataCommand;

/// Who to probe and how.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The host name or address, as in the URL.
    pub host: String,
    /// The control port.
    pub port: u16,
    /// The user name to log in with.
    pub user: String,
    /// Its password.
    pub password: String,
    /// The directory to probe (the URL's path), or the login directory when empty.
    pub path: String,
    /// `--write-tests DIR`: the directory the write tests may use.
    pub write_dir: Option<String>,
    /// The limit for each step: a connection, a reply, a data connection.
    pub timeout: Duration,
    /// How long to wait for something that may legitimately never come
    /// (a `150` before the data connection, a reply to `ABOR`).
    pub short_wait: Duration,
}

/// A check: sends commands over the probe's session and adds findings.
pub type Check = fn(&mut Probe) -> Result<(), Error>;

/// The state of a probe run on one address.
#[derive(Debug)]
pub struct Probe {
    /// The settings.
    pub settings: Settings,
    /// The server's address being probed.
    pub addr: SocketAddr,
    /// The logged-in control connection, if one is open.
    session: Option<Wire>,
    /// What was found so far.
    pub report: Report,
    /// The `FEAT` reply's features (empty until [`basics::feat`] ran).
    pub features: Features,
    /// A data mode that worked, for the checks that need a data connection.
    pub mode: Option<DataCommand>,
    /// Files found or made to test on.
    pub files: facts::Files,
}

impl Probe {
    /// A probe of `addr`; nothing is sent until a check runs.
    pub fn new(settings: Settings, addr: SocketAddr) -> Probe {
        Probe {
            settings,
            addr,
            session: None,
            report: Report {
                target: addr.to_string(),
                ..Report::default()
            },
            features: Features::default(),
            mode: None,
            files: facts::Files::default(),
        }
    }

    /// `ipv4` or `ipv6`: the family of the probed address.
    pub fn family(&self) -> &'static str {
        family(self.addr.ip())
    }

    /// The logged-in session, opened (and the probe's directory entered) if
    /// there is none.
    ///
    /// # Errors
    ///
    /// A connection or login failure.
    pub fn wire(&mut self) -> Result<&mut Wire, Error> {
        if self.session.is_none() {
            let (wire, _, _) = self.login()?;
            self.session = Some(wire);
        }
        Ok(self.session.as_mut().expect("opened above"))
    }

    /// Drops the session; the next [`Probe::wire`] opens a new one.
    pub fn hang_up(&mut self) {
        if let Some(mut wire) = self.session.take() {
            let _ = wire.send("QUIT");
        }
    }

    /// A new connection, logged in and in the probe's directory: the
    /// connection, the greeting, and how long the login took.
    ///
    /// # Errors
    ///
    /// A connection error, or the server's refusal as a syntax error
    /// naming the reply.
    pub fn login(&self) -> Result<(Wire, Reply, Duration), Error> {
        let (mut wire, greeting) = Wire::connect(self.addr, self.settings.timeout)?;
        expect(&greeting, 220, "greeting")?;
        let started = Instant::now();
        let mut reply = wire.command(&format!("USER {}", self.settings.user))?;
        if reply.code.0 == 331 {
            reply = wire.command(&format!("PASS {}", self.settings.password))?;
        }
        expect(&reply, 230, "login")?;
        let took = started.elapsed();
        if !self.settings.path.is_empty() {
            let reply = wire.command(&format!("CWD {}", self.settings.path))?;
            expect(&reply, 250, "CWD to the URL's path")?;
        }
        Ok((wire, greeting, took))
    }

    /// Runs `check`; a failure becomes a `failed` finding named `id` and ends
    /// the session.
    pub fn run(&mut self, id: &str, check: impl FnOnce(&mut Probe) -> Result<(), Error>) {
        if let Err(err) = check(self) {
            let summary = match err {
                Error::Timeout(_) => "no answer in time",
                Error::ConnectionClosed => "the server hung up",
                _ => "error",
            };
            self.report.add(Finding::new(
                id,
                Verdict::Failed,
                summary,
                format!("{err}; the probe reconnected and went on"),
            ));
            self.session = None;
        }
    }

    /// Adds a finding.
    pub fn add(
        &mut self,
        id: impl Into<String>,
        verdict: Verdict,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.report.add(Finding::new(id, verdict, summary, detail));
    }

    /// Records how long a step took.
    pub fn time(&mut self, what: impl Into<String>, took: Duration) {
        self.report.timings.push((what.into(), took));
    }
}

/// A syntax error naming `what` unless `reply` is in the class of `code`.
fn expect(reply: &Reply, code: u16, what: &'static str) -> Result<(), Error> {
    if reply.code.class() == code / 100 {
        Ok(())
    } else {
        Err(Error::syntax(
            what,
            format!("the server answered {}", one_line(reply)),
        ))
    }
}

/// A reply on one line: `550 No such file` (lines joined with ` | `).
pub fn one_line(reply: &Reply) -> String {
    let text = format!("{} {}", reply.code, reply.lines.join(" | "));
    ftp_core::protocol::printable::escape(text.as_bytes())
}

/// `ipv4` or `ipv6`.
pub fn family(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() {
        "ipv4"
    } else {
        "ipv6"
    }
}

/// The checks run on the URL's address, in order.
const CHECKS: &[(&str, Check)] = &[
    ("syst", basics::syst),
    ("feat", basics::feat),
    ("help", basics::help),
    ("commands", basics::commands),
    ("replies", form::replies),
    ("data", modes::all_modes),
    ("write.prepare", write::prepare),
    ("files", facts::find_files),
    ("retr", facts::retr),
    ("mlsd", facts::mlsd),
    ("mlst", facts::mlst),
    ("size", facts::size),
    ("mdtm", facts::mdtm),
    ("rest", facts::rest),
    ("type-a", facts::type_a),
    ("list-missing", facts::list_missing),
    ("stat", facts::stat),
    ("utf8", basics::utf8),
    ("host", basics::host),
    ("abort.idle", dialog::abort_idle),
    ("abort.transfer", dialog::abort_transfer),
    ("preliminary", dialog::preliminary),
    ("close-order", dialog::close_order),
    ("pipelining", dialog::pipelining),
    ("write", write::all),
];

/// Probes the server: the URL's address with every check, and the other
/// address family's data modes when the host name resolves to both.
///
/// # Errors
///
/// The host name does not resolve, or the first connection or login fails
/// (nothing can be probed then).
pub fn probe(settings: &Settings) -> Result<Report, String> {
    let addrs: Vec<SocketAddr> = (settings.host.as_str(), settings.port)
        .to_socket_addrs()
        .map_err(|err| format!("{}: {err}", settings.host))?
        .collect();
    let first = *addrs
        .first()
        .ok_or_else(|| format!("{}: no address", settings.host))?;
    let mut probe = Probe::new(settings.clone(), first);
    let (wire, greeting, took) = probe.login().map_err(|err| format!("{first}: {err}"))?;
    probe.add(
        "greeting",
        Verdict::Info,
        format!("{}", greeting.code),
        one_line(&greeting),
    );
    probe.time("login", took);
    probe.session = Some(wire);
    for (id, check) in CHECKS {
        probe.run(id, *check);
    }
    probe.hang_up();
    let mut report = probe.report;
    if let Some(other) = addrs.iter().find(|addr| addr.is_ipv4() != first.is_ipv4()) {
        let mut second = Probe::new(settings.clone(), *other);
        second.run("data", modes::all_modes);
        second.hang_up();
        report.target = format!("{} and {}", report.target, other);
        report.findings.extend(second.report.findings);
        report.timings.extend(second.report.timings);
    }
    Ok(report)
}
