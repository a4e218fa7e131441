//! The expected table, derived from how FTP and the rules work — not copied
//! from a run — the check that our own programs' messages name the cause of
//! each failure, and the check that a cell that worked worked for the
//! reason the table gives (the FTP helper rewrote PORT/EPRT; the data
//! connection was protected).
//!
//! The reasoning, per scenario:
//! - `open`: nothing is dropped; every mode works.
//! - `client-firewall`, `both-firewalled`: the client's side drops *new
//!   incoming* connections. Passive mode opens both connections from the
//!   client, so it works; in active mode the server connects in, and that
//!   SYN is dropped.
//! - `client-nat`: the client announces its private address in PORT/EPRT;
//!   the server sees the NAT's address as the control peer and refuses the
//!   other one (no FTP bounce, `501`); even if it tried, nothing enters the
//!   private network unasked. Passive works.
//! - `client-nat-helper`: the FTP helper rewrites PORT/EPRT to the NAT's
//!   address and lets the server's connection in as *related*: all work.
//! - `server-firewall`: only port 21 may be opened towards the server, so
//!   the client's passive data connection is dropped; the server's own
//!   outgoing active connection is not: active works, passive does not.
//! - `server-firewall-range`: the passive range is open too: all work.
//! - `server-nat`: the forwards of 21 and the range make EPSV work (it
//!   carries only a port) and PASV for clients that, like today's, ignore
//!   the 227 address; a client that trusts it connects to the private
//!   203.0.113.10, which the router does not route to. Active mode works
//!   (the server connects out through the NAT).
//! - `server-nat-pasv-address`: the 227 carries the public address: all work.
//! - `client-nat-helper-ftps` (built with the `tls` feature): the helper
//!   reads the control connection, and TLS makes it unreadable. In the
//!   clear, as in `client-nat-helper`, all work. With TLS (`ours-tls`) the
//!   PORT/EPRT reaches the server unrewritten, with the client's private
//!   address, which the server refuses (`501`) — and had it connected,
//!   nothing would have let it in: active fails. Passive works: the client
//!   opens the data connection, nothing needs rewriting. After `CCC`
//!   (`ours-tls-ccc`) the control connection is clear again, the helper
//!   rewrites PORT/EPRT, and all work — with data still protected.

use crate::cells::{Client, Outcome};
use ftp_core::protocol::data_setup::{DataCommand, DataMode};

/// What a cell should show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The download works.
    Pass,
    /// The download fails, for this reason.
    Fail(Cause),
}

/// Why a cell fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The server's connection to the client was dropped (active mode).
    ClientBlocksIncoming,
    /// The server refused the private address in PORT/EPRT.
    PrivateAddressRefused,
    /// The client's connection to the passive port was dropped.
    ServerBlocksPassive,
    /// The client trusted a 227 reply carrying the server's private address.
    PrivateAddressAdvertised,
    /// TLS hid PORT/EPRT from the NAT's FTP helper: the client's private
    /// address reached the server, which refused it.
    #[cfg(feature = "tls")]
    EncryptedPort,
}

impl Cause {
    /// The cause in a few words, for the report.
    pub fn words(self) -> &'static str {
        match self {
            Cause::ClientBlocksIncoming => "the server's connection to the client is dropped",
            Cause::PrivateAddressRefused => "the server refuses the client's private address",
            Cause::ServerBlocksPassive => "the client's connection to the passive port is dropped",
            Cause::PrivateAddressAdvertised => "the 227 reply names the server's private address",
            #[cfg(feature = "tls")]
            Cause::EncryptedPort => {
                "TLS hides PORT/EPRT from the NAT's FTP helper: the server refuses the private address"
            }
        }
    }
}

/// The expected outcome of `client` in `mode` in scenario `scenario`.
pub fn expected(scenario: &str, client: Client, mode: DataCommand) -> Expect {
    let fail = Expect::Fail;
    match scenario {
        "client-firewall" | "both-firewalled" if (mode.mode() == DataMode::Active) => {
            fail(Cause::ClientBlocksIncoming)
        }
        "client-nat" if (mode.mode() == DataMode::Active) => fail(Cause::PrivateAddressRefused),
        "server-firewall" if !(mode.mode() == DataMode::Active) => fail(Cause::ServerBlocksPassive),
        "server-nat" if client == Client::FtplibTrust && mode == DataCommand::Pasv => {
            fail(Cause::PrivateAddressAdvertised)
        }
        #[cfg(feature = "tls")]
        "client-nat-helper-ftps"
            if client == Client::OursTls && mode.mode() == DataMode::Active =>
        {
            fail(Cause::EncryptedPort)
        }
        _ => Expect::Pass,
    }
}

/// Whether our programs' messages in `outcome` name `cause`: `None` when
/// they do (or have nothing to say in this cell), else what is missing.
pub fn message_problem(cause: Cause, client: Client, outcome: &Outcome) -> Option<String> {
    let server = outcome.server.join("\n");
    let ours = &outcome.client_line;
    let need = |text: &str, what: &str, needle: &str| {
        (!text.contains(needle)).then(|| format!("{what} does not say \"{needle}\""))
    };
    match cause {
        Cause::ClientBlocksIncoming => need(&server, "the server's 425", "in front of the client")
            .or_else(|| {
                (client == Client::Ours)
                    .then(|| need(ours, "our client", "in front of this client"))
                    .flatten()
            }),
        Cause::PrivateAddressRefused => {
            need(&server, "the server's 501", "is not the client's address").or_else(|| {
                (client == Client::Ours)
                    .then(|| need(ours, "our client", "NAT"))
                    .flatten()
            })
        }
        Cause::ServerBlocksPassive => (client == Client::Ours)
            .then(|| {
                need(
                    ours,
                    "our client",
                    "a firewall blocks the server's passive ports",
                )
            })
            .flatten(),
        // Only a client that trusts the 227 fails; the server's trace shows
        // the private address it advertised.
        Cause::PrivateAddressAdvertised => need(&server, "the server's trace", "-> 227"),
        // The command came over TLS, with the private address in it, and
        // both programs say that TLS hid it from the helper.
        #[cfg(feature = "tls")]
        Cause::EncryptedPort => {
            use ftp_core::protocol::data_setup::{Cause as Told, Side};
            let over_tls = Told::ClientBehindNatOverTls;
            need(&server, "the server's trace", "control connection: TLS")
                .or_else(|| {
                    need(
                        &server,
                        "the server's 501",
                        "192.0.2.10 is not the client's address",
                    )
                })
                .or_else(|| {
                    need(
                        &server,
                        "the server's 501",
                        over_tls.explanation(Side::Server),
                    )
                })
                .or_else(|| need(ours, "our client", over_tls.explanation(Side::Client)))
                .or_else(|| need(ours, "our client", "ccc after login"))
        }
    }
}

/// Whether a cell that worked shows why: `None` when it does, else what is
/// missing. Behind the NAT's FTP helper, the server received PORT/EPRT
/// with the NAT's address (the helper rewrote it); under FTPS the data
/// connection was protected, and after `CCC` the control connection was
/// clear.
pub fn evidence_problem(
    scenario: &str,
    client: Client,
    mode: DataCommand,
    outcome: &Outcome,
) -> Option<String> {
    let server = outcome.server.join("\n");
    let need = |needle: &str, what: &str| {
        (!server.contains(needle))
            .then(|| format!("the server's trace does not say \"{needle}\" ({what})"))
    };
    let rewritten = match mode {
        DataCommand::Port => "<- PORT 203,0,113,1,",
        DataCommand::Eprt => "<- EPRT |1|203.0.113.1|",
        DataCommand::Pasv | DataCommand::Epsv => "",
    };
    let helper = scenario.starts_with("client-nat-helper") && !rewritten.is_empty();
    let ftps = client.security();
    helper
        .then(|| need(rewritten, "the FTP helper rewrote the address"))
        .flatten()
        .or_else(|| ftps.and_then(|_| need("data: protected by TLS", "the data was protected")))
        .or_else(|| {
            (ftps == Some("tls-ccc"))
                .then(|| need("control connection: in the clear (CCC)", "CCC"))
                .flatten()
        })
}
