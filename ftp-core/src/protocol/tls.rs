//! Words for FTPS (RFC 4217) that both programs print: the name of a TLS
//! version as people write it.
//!
//! What it does not do: speak TLS. ftp-core has no TLS library; the
//! programs' `tls` feature brings one and asks here only for names.

/// The name of the TLS version whose number on the wire is `version`
/// (RFC 8446 §4.1.2: `0x0303` is TLS 1.2, `0x0304` TLS 1.3), as people
/// write it; plain `TLS` for any other.
///
/// ```
/// use ftp_core::protocol::tls::version_name;
///
/// assert_eq!(version_name(0x0304), "TLS 1.3");
/// assert_eq!(version_name(0x0303), "TLS 1.2");
/// ```
pub fn version_name(version: u16) -> &'static str {
    match version {
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        _ => "TLS",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_versions_are_plain_tls() {
        assert_eq!(version_name(0x0300), "TLS");
        assert_eq!(version_name(0x0305), "TLS");
        assert_eq!(version_name(0x0301), "TLS 1.0");
    }
}
