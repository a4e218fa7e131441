// The modules of the interoperability matrix, included (`include!`) by the
// test (`tests/interop.rs`), by the report command
// (`src/bin/interop-report.rs`) and by the peer list (`tests/peers.rs`), so
// that the three share one list. Paths are relative to this file.
#[path = "anonymous.rs"]
mod anonymous;
#[path = "bsd_ftp.rs"]
mod bsd_ftp;
#[path = "clients.rs"]
mod clients;
#[path = "curl.rs"]
mod curl;
#[path = "document.rs"]
mod document;
#[path = "eprt.rs"]
mod eprt;
#[path = "exec.rs"]
mod exec;
#[path = "front.rs"]
mod front;
#[path = "ftplib.rs"]
mod ftplib;
#[path = "lftp.rs"]
mod lftp;
#[path = "matrix.rs"]
mod matrix;
#[path = "our_server.rs"]
mod our_server;
#[path = "quirks.rs"]
mod quirks;
#[path = "report.rs"]
mod report;
#[path = "rfc959_server.rs"]
mod rfc959_server;
#[path = "servers.rs"]
mod servers;
#[path = "wget.rs"]
mod wget;
#[path = "run.rs"]
mod run;
