//! The ftp-client library (stub).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
