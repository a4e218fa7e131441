//! `ftp://` URLs (RFC 1738 §3.2): `ftp://[user[:password]@]host[:port]/path[;type=X]`.
//!
//! `ftps://` URLs are the same with implicit TLS (port 990 unless given);
//! [`FtpUrl::implicit_tls`] says which, and the program decides what TLS it
//! can do.
//!
//! [`FtpUrl::parse`] is a pure function over a string: it splits the URL,
//! decodes percent-escapes (in the user, the password and the path), accepts
//! IPv6 literals in brackets (`ftp://[::1]:2121/`), and refuses anything it
//! cannot use with a message that says what is wrong. A percent-escape that
//! decodes to a control character (such as `%0D%0A`) is refused: it could
//! smuggle a second command onto the control connection.
//!
//! The path is kept whole: the client sends it as one argument (`RETR
//! pub/file.txt`) instead of changing into each directory first as RFC 1738
//! describes. As in RFC 1738 and curl, it is relative to the login directory;
//! `ftp://host/%2Fetc/motd` names the absolute path `/etc/motd`.
//!
//! [`FtpUrl::parse_host_path`] reads tnftp's shorter form `[user@]host:path`,
//! whose path is taken literally (no percent-escapes) and is absolute when
//! it starts with `/`.
//!
//! This module does not resolve host names, read `.netrc` or pick defaults for
//! missing credentials; that is the program's job.

use std::fmt;

/// The port an `ftp://` URL without one means (RFC 959).
pub const DEFAULT_PORT: u16 = 21;

/// The port an `ftps://` URL (implicit TLS) without one means, by convention.
pub const DEFAULT_FTPS_PORT: u16 = 990;

/// What a `;type=X` suffix asks for (RFC 1738 §3.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeCode {
    /// `;type=a`: a text transfer (`TYPE A`).
    Ascii,
    /// `;type=i`: a binary transfer (`TYPE I`).
    Image,
    /// `;type=d`: a list of the names in the directory (`NLST`).
    Directory,
}

/// A parsed `ftp://` URL, with every part decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpUrl {
    /// The user name, if the URL has one.
    pub user: Option<String>,
    /// The password, if the URL has one (`user:password@`).
    pub password: Option<String>,
    /// The host name or IP address, without the brackets of an IPv6 literal.
    pub host: String,
    /// The port, [`DEFAULT_PORT`] when the URL has none.
    pub port: u16,
    /// The path after the host's `/`, decoded: `pub/file.txt`, `pub/`, or
    /// empty for the login directory.
    pub path: String,
    /// The `;type=` suffix, if any.
    pub type_code: Option<TypeCode>,
    /// An `ftps://` URL: TLS from the first byte (implicit FTPS).
    pub implicit_tls: bool,
}

/// Why a string is not a usable `ftp://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// The URL does not start with `ftp://` or `ftps://`.
    Scheme,
    /// There is no host between `//` and the path.
    MissingHost,
    /// An IPv6 literal is not closed by `]`, or is not an IPv6 address.
    BadIpv6(String),
    /// The port is not a number from 1 to 65535.
    BadPort(String),
    /// A `%` is not followed by two hex digits.
    BadEscape(String),
    /// A part decodes to bytes that are not UTF-8.
    NotUtf8,
    /// A part contains a control character, literally or as a `%` escape.
    ControlCharacter,
    /// The URL contains a space.
    Space,
    /// A `;type=` suffix other than `a`, `i` or `d`.
    BadType(String),
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Scheme => f.write_str("not an ftp:// or ftps:// URL"),
            UrlError::MissingHost => f.write_str("the URL has no host"),
            UrlError::BadIpv6(host) => write!(f, "bad IPv6 address in brackets: {host:?}"),
            UrlError::BadPort(port) => write!(f, "bad port {port:?}: expected 1 to 65535"),
            UrlError::BadEscape(at) => write!(f, "bad percent-escape at {at:?}"),
            UrlError::NotUtf8 => f.write_str("the URL decodes to bytes that are not UTF-8"),
            UrlError::ControlCharacter => f.write_str("the URL contains a control character"),
            UrlError::Space => f.write_str("the URL contains a space (write it as %20)"),
            UrlError::BadType(code) => {
                write!(f, "unknown ;type={code} (expected a, i or d)")
            }
        }
    }
}

impl std::error::Error for UrlError {}

impl FtpUrl {
    /// Parses an `ftp://` URL, or an `ftps://` one (implicit TLS, port
    /// [`DEFAULT_FTPS_PORT`] by default). The scheme is matched without
    /// regard to case.
    ///
    /// ```
    /// use ftp_client::url::FtpUrl;
    ///
    /// let url = FtpUrl::parse("ftp://alice:p%40ss@[::1]:2121/pub/notes.txt")?;
    /// assert_eq!(url.user.as_deref(), Some("alice"));
    /// assert_eq!(url.password.as_deref(), Some("p@ss"));
    /// assert_eq!((url.host.as_str(), url.port), ("::1", 2121));
    /// assert_eq!(url.path, "pub/notes.txt");
    /// assert_eq!(url.file_name(), Some("notes.txt"));
    /// # Ok::<(), ftp_client::url::UrlError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`UrlError`] naming the part that is wrong.
    pub fn parse(text: &str) -> Result<FtpUrl, UrlError> {
        if text.contains(' ') {
            return Err(UrlError::Space);
        }
        if text.chars().any(char::is_control) {
            return Err(UrlError::ControlCharacter);
        }
        let (rest, implicit_tls) = strip_scheme(text).ok_or(UrlError::Scheme)?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(info) => split_userinfo(info)?,
            None => (None, None),
        };
        let default_port = if implicit_tls {
            DEFAULT_FTPS_PORT
        } else {
            DEFAULT_PORT
        };
        let (host, port) = split_host_port(hostport, default_port)?;
        let (path, type_code) = split_type(path)?;
        Ok(FtpUrl {
            user,
            password,
            host,
            port,
            path: decode(path)?,
            type_code,
            implicit_tls,
        })
    }

    /// Reads tnftp's `[user@]host:path` (or `[user@][v6]:path`) form, with
    /// the server on `port`. The path is literal: `host:pub/a b.txt` names
    /// `pub/a b.txt` relative to the login directory, `host:/etc/motd` the
    /// absolute `/etc/motd`, and `host:pub/` a directory.
    ///
    /// Returns `None` for text not of that form: an `ftp://` URL, an IP
    /// address (`::1`), a name without `:`, or one whose part before `:` is
    /// empty or holds a `/` (a local path such as `./a:b`).
    ///
    /// ```
    /// use ftp_client::url::FtpUrl;
    ///
    /// let url = FtpUrl::parse_host_path("alice@ftp.example.org:pub/", 21).expect("the form")?;
    /// assert_eq!((url.user.as_deref(), url.host.as_str()), (Some("alice"), "ftp.example.org"));
    /// assert!(url.is_directory());
    /// assert_eq!(FtpUrl::parse_host_path("[::1]:/etc/motd", 2121).expect("the form")?.path, "/etc/motd");
    /// assert!(FtpUrl::parse_host_path("::1", 21).is_none());
    /// # Ok::<(), ftp_client::url::UrlError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Within `Some`: [`UrlError::ControlCharacter`] for a control character
    /// anywhere, [`UrlError::BadIpv6`] for brackets around something else.
    pub fn parse_host_path(text: &str, port: u16) -> Option<Result<FtpUrl, UrlError>> {
        if text.contains("://") || text.parse::<std::net::IpAddr>().is_ok() {
            return None;
        }
        let colon = text.find(':')?;
        let (user, rest) = match text.find('@') {
            Some(at) if at < colon => (Some(&text[..at]), &text[at + 1..]),
            _ => (None, text),
        };
        let (host, path) = match rest.strip_prefix('[') {
            Some(bracketed) => bracketed.split_once("]:")?,
            None => rest.split_once(':')?,
        };
        if host.is_empty() || host.contains('/') || user == Some("") {
            return None;
        }
        if text.chars().any(char::is_control) {
            return Some(Err(UrlError::ControlCharacter));
        }
        if rest.starts_with('[') && host.parse::<std::net::Ipv6Addr>().is_err() {
            return Some(Err(UrlError::BadIpv6(host.to_string())));
        }
        Some(Ok(FtpUrl {
            user: user.map(str::to_string),
            password: None,
            host: host.to_string(),
            port,
            path: path.to_string(),
            type_code: None,
            implicit_tls: false,
        }))
    }

    /// Whether the URL names a directory: its path is empty or ends in `/`,
    /// or it has `;type=d`.
    pub fn is_directory(&self) -> bool {
        self.path.is_empty()
            || self.path.ends_with('/')
            || self.type_code == Some(TypeCode::Directory)
    }

    /// The last segment of the path, the name a download is saved under;
    /// `None` for a directory URL and for the names `.` and `..`.
    pub fn file_name(&self) -> Option<&str> {
        if self.is_directory() {
            return None;
        }
        let name = self.path.rsplit('/').next()?;
        (!matches!(name, "" | "." | "..")).then_some(name)
    }

    /// The path to list for a directory URL: `None` for the login directory,
    /// otherwise the path without its trailing `/` (but `/` stays `/`).
    pub fn directory(&self) -> Option<&str> {
        match self.path.as_str() {
            "" => None,
            "/" => Some("/"),
            path => Some(path.strip_suffix('/').unwrap_or(path)),
        }
    }
}

/// `text` with the password of its `user:password@` part replaced by
/// `***`, for messages: the URL as the user wrote it, without the secret. Text
/// that is not a URL, or has no password, is returned as it is.
///
/// ```
/// use ftp_client::url::mask_password;
///
/// assert_eq!(mask_password("ftp://alice:S3cret@host/f"), "ftp://alice:***@host/f");
/// assert_eq!(mask_password("ftp://a:p@ss@h:21/"), "ftp://a:***@h:21/");
/// assert_eq!(mask_password("ftp://alice@host/f"), "ftp://alice@host/f");
/// ```
pub fn mask_password(text: &str) -> String {
    let Some(scheme_end) = text.find("://").map(|at| at + 3) else {
        return text.to_string();
    };
    let rest = &text[scheme_end..];
    let authority = rest.split('/').next().unwrap_or(rest);
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return text.to_string();
    };
    let Some((user, _)) = userinfo.split_once(':') else {
        return text.to_string();
    };
    let after = &rest[userinfo.len()..];
    format!("{}{user}:***{after}", &text[..scheme_end])
}

/// What follows `ftp://` or `ftps://` (any case), and whether it was
/// `ftps://`; `None` for another scheme.
fn strip_scheme(text: &str) -> Option<(&str, bool)> {
    ["ftp://", "ftps://"].iter().find_map(|scheme| {
        let found = text.get(..scheme.len())?.eq_ignore_ascii_case(scheme);
        found.then(|| (&text[scheme.len()..], scheme.len() == 7))
    })
}

/// `user[:password]`, each decoded.
fn split_userinfo(info: &str) -> Result<(Option<String>, Option<String>), UrlError> {
    let (user, password) = match info.split_once(':') {
        Some((user, password)) => (user, Some(decode(password)?)),
        None => (info, None),
    };
    Ok((Some(decode(user)?), password))
}

/// `host[:port]` or `[v6]:port`: the host without brackets and the port.
fn split_host_port(hostport: &str, default_port: u16) -> Result<(String, u16), UrlError> {
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| UrlError::BadIpv6(hostport.to_string()))?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(UrlError::BadIpv6(host.to_string()));
        }
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| UrlError::BadPort(after.to_string()))?,
            ),
        };
        (host, port)
    } else {
        match hostport.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(UrlError::MissingHost);
    }
    let port = match port {
        None => default_port,
        Some(port) => parse_port(port)?,
    };
    Ok((host.to_string(), port))
}

/// A port number from 1 to 65535, digits only.
fn parse_port(port: &str) -> Result<u16, UrlError> {
    let bad = || UrlError::BadPort(port.to_string());
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(bad()),
        Ok(number) => Ok(number),
    }
}

/// Splits a `;type=X` suffix off the path.
fn split_type(path: &str) -> Result<(&str, Option<TypeCode>), UrlError> {
    let Some((path, code)) = path.rsplit_once(";type=") else {
        return Ok((path, None));
    };
    let type_code = match code {
        "a" | "A" => TypeCode::Ascii,
        "i" | "I" => TypeCode::Image,
        "d" | "D" => TypeCode::Directory,
        other => return Err(UrlError::BadType(other.to_string())),
    };
    Ok((path, Some(type_code)))
}

/// Decodes `%XX` escapes; the result must be UTF-8 without control characters.
fn decode(text: &str) -> Result<String, UrlError> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, after)) = rest.split_first() {
        if byte == b'%' {
            let escape = after.get(..2).and_then(hex_pair).ok_or_else(|| {
                let at = &text[text.len() - rest.len()..];
                UrlError::BadEscape(at.chars().take(3).collect())
            })?;
            bytes.push(escape);
            rest = &after[2..];
        } else {
            bytes.push(byte);
            rest = after;
        }
    }
    let decoded = String::from_utf8(bytes).map_err(|_| UrlError::NotUtf8)?;
    if decoded.chars().any(char::is_control) {
        return Err(UrlError::ControlCharacter);
    }
    Ok(decoded)
}

/// The byte two hex digits stand for.
fn hex_pair(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    let high = digit(*pair.first()?)?;
    let low = digit(*pair.get(1)?)?;
    u8::try_from(high * 16 + low).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> FtpUrl {
        FtpUrl::parse(text).unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    #[test]
    fn a_plain_url_has_the_default_port_and_no_credentials() {
        let url = parse("ftp://ftp.example.org/pub/file.tar.gz");
        assert_eq!(url.user, None);
        assert_eq!(url.password, None);
        assert_eq!(url.host, "ftp.example.org");
        assert_eq!(url.port, 21);
        assert_eq!(url.path, "pub/file.tar.gz");
        assert_eq!(url.file_name(), Some("file.tar.gz"));
        assert!(!url.is_directory());
    }

    #[test]
    fn the_scheme_is_case_insensitive() {
        assert_eq!(parse("FTP://host/x").host, "host");
    }

    #[test]
    fn user_password_and_port_are_split_and_decoded() {
        let url = parse("ftp://al%69ce:p%3Ass%40w@127.0.0.1:2121/a%20b.txt");
        assert_eq!(url.user.as_deref(), Some("alice"));
        assert_eq!(url.password.as_deref(), Some("p:ss@w"));
        assert_eq!(url.host, "127.0.0.1");
        assert_eq!(url.port, 2121);
        assert_eq!(url.path, "a b.txt");
    }

    #[test]
    fn a_literal_at_sign_in_the_password_belongs_to_the_password() {
        let url = parse("ftp://bob:a@b@host/");
        assert_eq!(url.user.as_deref(), Some("bob"));
        assert_eq!(url.password.as_deref(), Some("a@b"));
        assert_eq!(url.host, "host");
    }

    #[test]
    fn a_user_without_password_has_none() {
        let url = parse("ftp://bob@host/");
        assert_eq!(url.user.as_deref(), Some("bob"));
        assert_eq!(url.password, None);
    }

    #[test]
    fn an_empty_password_is_kept_as_empty() {
        assert_eq!(parse("ftp://bob:@host/").password.as_deref(), Some(""));
    }

    #[test]
    fn ipv6_literals_lose_their_brackets() {
        let url = parse("ftp://[::1]:2121/dir/");
        assert_eq!(url.host, "::1");
        assert_eq!(url.port, 2121);
        assert_eq!(parse("ftp://[fe80::1]/").port, 21);
    }

    #[test]
    fn bad_ipv6_literals_are_refused() {
        assert!(matches!(
            FtpUrl::parse("ftp://[::1/x"),
            Err(UrlError::BadIpv6(_))
        ));
        assert!(matches!(
            FtpUrl::parse("ftp://[nothex]/"),
            Err(UrlError::BadIpv6(_))
        ));
        assert!(matches!(
            FtpUrl::parse("ftp://[::1]2121/"),
            Err(UrlError::BadPort(_))
        ));
    }

    #[test]
    fn bad_ports_are_refused() {
        for url in [
            "ftp://h:0/",
            "ftp://h:65536/",
            "ftp://h:/",
            "ftp://h:+21/",
            "ftp://h:2a/",
        ] {
            assert!(
                matches!(FtpUrl::parse(url), Err(UrlError::BadPort(_))),
                "{url}"
            );
        }
        assert_eq!(parse("ftp://h:65535/").port, 65535);
    }

    #[test]
    fn ftps_urls_are_implicit_tls_on_port_990_by_default() {
        let url = parse("FTPS://h/x");
        assert!(url.implicit_tls);
        assert_eq!((url.host.as_str(), url.port), ("h", DEFAULT_FTPS_PORT));
        assert_eq!(parse("ftps://[::1]:2990/").port, 2990);
        assert!(!parse("ftp://h/x").implicit_tls);
    }

    #[test]
    fn other_schemes_and_missing_hosts_are_refused() {
        assert_eq!(FtpUrl::parse("http://h/x"), Err(UrlError::Scheme));
        assert_eq!(FtpUrl::parse("sftp://h/x"), Err(UrlError::Scheme));
        assert_eq!(FtpUrl::parse("ftp:/"), Err(UrlError::Scheme));
        assert_eq!(FtpUrl::parse("ftp:///x"), Err(UrlError::MissingHost));
        assert_eq!(FtpUrl::parse("ftp://user@:21/"), Err(UrlError::MissingHost));
    }

    #[test]
    fn bad_escapes_are_refused_with_their_position() {
        assert_eq!(
            FtpUrl::parse("ftp://h/a%zzb"),
            Err(UrlError::BadEscape("%zz".into()))
        );
        assert_eq!(
            FtpUrl::parse("ftp://h/a%4"),
            Err(UrlError::BadEscape("%4".into()))
        );
        assert_eq!(FtpUrl::parse("ftp://h/%ff"), Err(UrlError::NotUtf8));
    }

    #[test]
    fn escaped_line_breaks_cannot_inject_commands() {
        assert_eq!(
            FtpUrl::parse("ftp://h/x%0D%0ADELE%20y"),
            Err(UrlError::ControlCharacter)
        );
        assert_eq!(
            FtpUrl::parse("ftp://u%0a:p@h/"),
            Err(UrlError::ControlCharacter)
        );
        assert_eq!(
            FtpUrl::parse("ftp://h/a\tb"),
            Err(UrlError::ControlCharacter)
        );
        assert_eq!(FtpUrl::parse("ftp://h/a b"), Err(UrlError::Space));
    }

    #[test]
    fn utf8_escapes_decode() {
        assert_eq!(parse("ftp://h/caf%C3%A9").path, "café");
    }

    #[test]
    fn directory_urls() {
        let root = parse("ftp://h");
        assert!(root.is_directory());
        assert_eq!(root.directory(), None);
        assert_eq!(root.file_name(), None);
        let slash = parse("ftp://h/");
        assert_eq!(slash.path, "");
        assert_eq!(slash.directory(), None);
        let pub_dir = parse("ftp://h/pub/");
        assert!(pub_dir.is_directory());
        assert_eq!(pub_dir.directory(), Some("pub"));
        assert_eq!(parse("ftp://h/%2F").directory(), Some("/"));
        assert_eq!(parse("ftp://h/%2Fetc/").directory(), Some("/etc"));
    }

    #[test]
    fn an_escaped_leading_slash_makes_the_path_absolute() {
        assert_eq!(parse("ftp://h/%2Fetc/motd").path, "/etc/motd");
    }

    #[test]
    fn dot_names_are_no_file_names() {
        assert_eq!(parse("ftp://h/a/..").file_name(), None);
        assert_eq!(parse("ftp://h/.").file_name(), None);
    }

    #[test]
    fn type_suffixes() {
        let url = parse("ftp://h/readme.txt;type=a");
        assert_eq!(url.path, "readme.txt");
        assert_eq!(url.type_code, Some(TypeCode::Ascii));
        assert_eq!(
            parse("ftp://h/x.bin;type=I").type_code,
            Some(TypeCode::Image)
        );
        let listing = parse("ftp://h/pub;type=d");
        assert!(listing.is_directory());
        assert_eq!(listing.directory(), Some("pub"));
        assert_eq!(listing.file_name(), None);
        assert_eq!(
            FtpUrl::parse("ftp://h/x;type=e"),
            Err(UrlError::BadType("e".into()))
        );
    }

    #[test]
    fn the_host_path_form() {
        let form = |text| FtpUrl::parse_host_path(text, 2121);
        let url = form("h.example:pub/a b.txt")
            .expect("the form")
            .expect("valid");
        assert_eq!(
            (url.user, url.host.as_str(), url.port, url.path.as_str()),
            (None, "h.example", 2121, "pub/a b.txt")
        );
        assert_eq!(form("h:%2Fx").expect("form").expect("valid").path, "%2Fx");
        assert_eq!(form("h:").expect("form").expect("valid").path, "");
        assert_eq!(
            form("u@h:a@b")
                .expect("form")
                .expect("valid")
                .user
                .as_deref(),
            Some("u")
        );
        assert_eq!(
            form("h:x\r\nDELE y").expect("form"),
            Err(UrlError::ControlCharacter)
        );
        assert!(matches!(form("[h]:x"), Some(Err(UrlError::BadIpv6(_)))));
        for not_the_form in [
            "ftp://h/x",
            "::1",
            "127.0.0.1",
            "host",
            ":x",
            "./a:b",
            "@h:x",
        ] {
            assert!(form(not_the_form).is_none(), "{not_the_form}");
        }
    }

    #[test]
    fn passwords_are_masked_in_any_url() {
        for (text, masked) in [
            ("ftp://u:p@h/x", "ftp://u:***@h/x"),
            ("FTP://u:@h", "FTP://u:***@h"),
            ("ftp://u:p:q@[::1]:21/a@b", "ftp://u:***@[::1]:21/a@b"),
            ("http://u:p@h/", "http://u:***@h/"),
            ("ftp://h/a:b@c", "ftp://h/a:b@c"),
            ("ftp://h:21/", "ftp://h:21/"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(mask_password(text), masked, "{text}");
        }
    }

    #[test]
    fn errors_read_as_sentences() {
        assert_eq!(
            UrlError::BadPort("70000".into()).to_string(),
            "bad port \"70000\": expected 1 to 65535"
        );
        assert_eq!(UrlError::Scheme.to_string(), "not an ftp:// or ftps:// URL");
    }
}
