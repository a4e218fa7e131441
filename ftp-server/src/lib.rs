//! The ftp-server library (stub).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
