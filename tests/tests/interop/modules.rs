// The modules of the interoperability matrix, included (`include!`) by the
// tests (`tests/interop.rs`, the clear tables; `tests/ftps_interop.rs`, the
// FTPS tables) and by the report command (`src/bin/interop-report.rs`,
// both), so that they share one list. The FTPS part (`ftps.rs`) needs the
// programs built with TLS and is compiled only with the `tls` feature.
// Paths are relative to this file.
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
#[cfg(feature = "tls")]
#[path = "ftps.rs"]
mod ftps;
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
