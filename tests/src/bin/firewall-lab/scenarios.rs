//! The scenarios: for each, the nftables rule sets loaded on the router or
//! on the client and server hosts, the server's extra options (and whether
//! it speaks FTPS), the address the client dials, the clients run, and
//! whether the scenario means anything over IPv6.
//!
//! The FTPS scenario, `client-nat-helper-ftps`, exists only in a lab built
//! with the `tls` feature (`--features ftp-tests/tls`), whose programs
//! speak FTPS.
//!
//! Every drop rule has a counter and a comment, so the report can say which
//! rule dropped a cell's packets. What it does not do: load the rules
//! (`main`) or decide what should happen (`expected`).

use crate::cells::{Client, CLIENTS};
use crate::topology::Host;
#[cfg(feature = "tls")]
use crate::topology::SERVER_V4;

/// The passive port range the server is always given.
pub const PASV_PORTS: &str = "30000-30009";

/// One scenario of the lab.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Its name on the command line and in the table.
    pub name: &'static str,
    /// What it stands for, in a sentence.
    pub title: &'static str,
    /// Rule sets: where each is loaded and its text for `nft -f -`.
    pub rules: &'static [(Host, &'static str)],
    /// Extra server options.
    pub server_args: &'static [&'static str],
    /// The IPv4 address the client dials.
    pub target_v4: &'static str,
    /// Whether the scenario is run over IPv6 too (no NAT there).
    pub ipv6: bool,
    /// The clients run, in the table's order.
    pub clients: &'static [Client],
    /// Whether the server has a certificate (`--tls-cert`, `--tls-key`)
    /// and so speaks FTPS.
    pub tls: bool,
}

const CLIENT_FIREWALL: &str = r#"table inet ftplab {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state established,related accept
        iifname "r1" oifname "r0" ct state new counter drop comment "client firewall: new connection into the client network"
    }
}"#;

const CLIENT_NAT: &str = r#"table ip ftplab {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state established,related accept
        iifname "r1" oifname "r0" ct state new counter drop comment "client NAT: nothing enters the private client network unasked"
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "r1" ip saddr 192.0.2.0/24 counter masquerade comment "client NAT: the client network leaves as 203.0.113.1"
    }
}"#;

const CLIENT_NAT_HELPER: &str = r#"table ip ftplab {
    ct helper ftp-control {
        type "ftp" protocol tcp;
    }
    chain prerouting {
        type filter hook prerouting priority filter; policy accept;
        tcp dport 21 ct helper set "ftp-control" comment "the FTP helper reads (and, with NAT, rewrites) the control connection"
    }
    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state established,related accept
        iifname "r1" oifname "r0" ct state new counter drop comment "client NAT: nothing enters the private client network unasked"
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "r1" ip saddr 192.0.2.0/24 counter masquerade comment "client NAT: the client network leaves as 203.0.113.1"
    }
}"#;

const SERVER_FIREWALL: &str = r#"table inet ftplab {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state established,related accept
        iifname "r0" oifname "r1" tcp dport 21 accept
        iifname "r0" oifname "r1" ct state new counter drop comment "server firewall: new connection into the server network, not to port 21"
    }
}"#;

const SERVER_FIREWALL_RANGE: &str = r#"table inet ftplab {
    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state established,related accept
        iifname "r0" oifname "r1" tcp dport { 21, 30000-30009 } accept
        iifname "r0" oifname "r1" ct state new counter drop comment "server firewall: new connection into the server network, not to 21 or 30000-30009"
    }
}"#;

const SERVER_NAT: &str = r#"table ip ftplab {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        ip daddr 198.51.100.7 tcp dport { 21, 30000-30009 } counter dnat to 203.0.113.10 comment "server NAT: port forwards of 21 and 30000-30009"
    }
    chain forward {
        type filter hook forward priority filter; policy accept;
        ct state established,related accept
        ct status dnat accept
        iifname "r0" oifname "r1" counter drop comment "server NAT: the private server network is reachable only through port forwards"
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "r0" ip saddr 203.0.113.0/24 counter snat to 198.51.100.7 comment "server NAT: the server network leaves as 198.51.100.7"
    }
}"#;

const CLIENT_HOST_FIREWALL: &str = r#"table inet ftplab {
    chain input {
        type filter hook input priority filter; policy accept;
        ct state established,related accept
        iifname "lo" accept
        meta l4proto { icmp, ipv6-icmp } accept
        ct state new counter drop comment "client host firewall: no new incoming connection"
    }
}"#;

const SERVER_HOST_FIREWALL: &str = r#"table inet ftplab {
    chain input {
        type filter hook input priority filter; policy accept;
        ct state established,related accept
        iifname "lo" accept
        meta l4proto { icmp, ipv6-icmp } accept
        tcp dport { 21, 30000-30009 } accept
        ct state new counter drop comment "server host firewall: new connection, not to 21 or 30000-30009"
    }
}"#;

/// Every scenario, in the report's order.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "open",
        title: "An open network: the router forwards everything (the baseline).",
        rules: &[],
        server_args: &[],
        target_v4: "203.0.113.10",
        ipv6: true,
        clients: &CLIENTS,
        tls: false,
    },
    Scenario {
        name: "client-firewall",
        title: "A stateful firewall in front of the client: replies come in, new incoming connections are dropped.",
        rules: &[(Host::Router, CLIENT_FIREWALL)],
        server_args: &[],
        target_v4: "203.0.113.10",
        ipv6: true,
        clients: &CLIENTS,
        tls: false,
    },
    Scenario {
        name: "client-nat",
        title: "The client behind NAT: the router masquerades the client network as 203.0.113.1.",
        rules: &[(Host::Router, CLIENT_NAT)],
        server_args: &[],
        target_v4: "203.0.113.10",
        ipv6: false,
        clients: &CLIENTS,
        tls: false,
    },
    Scenario {
        name: "client-nat-helper",
        title: "The same NAT with the kernel's FTP connection-tracking helper (the ALG that rewrites PORT/EPRT and expects the server's connection).",
        rules: &[(Host::Router, CLIENT_NAT_HELPER)],
        server_args: &[],
        target_v4: "203.0.113.10",
        ipv6: false,
        clients: &CLIENTS,
        tls: false,
    },
    Scenario {
        name: "server-firewall",
        title: "A firewall in front of the server that opens only the control port 21.",
        rules: &[(Host::Router, SERVER_FIREWALL)],
        server_args: &[],
        target_v4: "203.0.113.10",
        ipv6: true,
        clients: &CLIENTS,
        tls: false,
    },
    Scenario {
        name: "server-firewall-range",
        title: "The same firewall with the passive port range (--pasv-ports 30000-30009) opened too.",
        rules: &[(Host::Router, SERVER_FIREWALL_RANGE)],
        server_args: &[],
        target_v4: "203.0.113.10",
        ipv6: true,
        clients: &CLIENTS,
        tls: false,
    },
    Scenario {
        name: "server-nat",
        title: "The server behind NAT: 198.51.100.7 forwards port 21 and 30000-30009 to 203.0.113.10; no --pasv-address.",
        rules: &[(Host::Router, SERVER_NAT)],
        server_args: &[],
        target_v4: "198.51.100.7",
        ipv6: false,
        clients: &CLIENTS,
        tls: false,
    },
    Scenario {
        name: "server-nat-pasv-address",
        title: "The same port forwards, and the server started with --pasv-address 198.51.100.7.",
        rules: &[(Host::Router, SERVER_NAT)],
        server_args: &["--pasv-address", "198.51.100.7"],
        target_v4: "198.51.100.7",
        ipv6: false,
        clients: &CLIENTS,
        tls: false,
    },
    Scenario {
        name: "both-firewalled",
        title: "Both hosts firewalled: the client takes no new incoming connection, the server only 21 and 30000-30009.",
        rules: &[
            (Host::Client, CLIENT_HOST_FIREWALL),
            (Host::Server, SERVER_HOST_FIREWALL),
        ],
        server_args: &[],
        target_v4: "203.0.113.10",
        ipv6: true,
        clients: &CLIENTS,
        tls: false,
    },
    #[cfg(feature = "tls")]
    Scenario {
        name: "client-nat-helper-ftps",
        title: "The client NAT with the FTP helper, and FTPS: our client in the clear, with explicit TLS (AUTH TLS, then PBSZ 0 and PROT P), and with TLS and CCC after login (the control connection back in the clear, data still PROT P).",
        rules: &[(Host::Router, CLIENT_NAT_HELPER)],
        server_args: &[],
        target_v4: SERVER_V4,
        ipv6: false,
        clients: &[Client::Ours, Client::OursTls, Client::OursTlsCcc],
        tls: true,
    },
];
