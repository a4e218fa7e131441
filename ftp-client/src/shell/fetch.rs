//! The one-shot forms of the program: `ftp-client ftp://host/path` downloads
//! (tnftp's "autofetch") and `ftp-client -u ftp://host/dir/ FILE...` uploads.
//!
//! Each URL gets its own session: connect, log in, `TYPE I` (or `TYPE A` for
//! `;type=a`), one transfer or listing, `QUIT`. Credentials come from the
//! URL, else from `.netrc` (the host's `machine` entry, or `default`), else
//! anonymous login with the password `anonymous@`. A user given without a
//! password gets the password from `.netrc` when the entry's login is the
//! same user, otherwise it is asked for.
//!
//! The path is sent whole (`RETR pub/file.txt`), relative to the login
//! directory; see [`crate::url`]. This module does not parse options; the
//! program passes them in a [`OneShot`].

use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use super::command::ListKind;
use super::secure::{self, Control};
use super::trace::Trace;
use super::transfer::{self, Destination, Feedback};
use super::{base_name, prompt, write_listing, ShellError};
use crate::client::{Client, Error, IpFamily, Options, Representation};
use crate::netrc::Netrc;
use crate::url::{FtpUrl, TypeCode};

/// The user name and password of anonymous FTP (RFC 1635).
const ANONYMOUS: (&str, &str) = ("anonymous", "anonymous@");

/// Everything a one-shot download or upload needs from the program's options.
#[derive(Debug)]
pub struct OneShot {
    /// `-4` / `-6`.
    pub family: Option<IpFamily>,
    /// Timeouts and data mode.
    pub options: Options,
    /// What to show of the protocol (replies go to stderr here).
    pub trace: Rc<Trace>,
    /// The progress meter.
    pub feedback: Feedback,
    /// Credentials for URLs without a user.
    pub netrc: Option<Netrc>,
    /// Stdin is a terminal: a password is read without echo.
    pub interactive: bool,
    /// `-r`: when the connection cannot be opened, wait this long and try
    /// again (until it opens, as tnftp does).
    pub retry: Option<Duration>,
    /// `-R`: a download continues the bytes its local file already has.
    pub restart: bool,
    /// `--tls`, `ftps://`: FTPS (with the `tls` feature).
    pub tls: secure::Tls,
}

impl OneShot {
    /// Downloads the file `url` names to `output` (`-` for stdout, else a
    /// path), or to its base name in the current directory; a directory URL
    /// changes into the directory (`CWD`, an error if it does not exist) and
    /// prints its listing (LIST, or NLST for `;type=d`) to `output` or stdout.
    ///
    /// # Errors
    ///
    /// Connection, login, transfer or local file errors.
    pub fn download(&self, url: &FtpUrl, output: Option<&str>) -> Result<(), ShellError> {
        let mut client = self.connect(url)?;
        if url.is_directory() {
            let kind = match url.type_code {
                Some(TypeCode::Directory) => ListKind::Names,
                _ => ListKind::Long,
            };
            // Entered first, as curl does: a LIST of a missing path may
            // be an empty success (vsftpd), a failed CWD is not.
            if let Some(dir) = url.directory() {
                client.cwd(dir)?;
            }
            write_listing(&mut client, kind, None, output)?;
        } else {
            let destination = match (output, url.file_name()) {
                (Some(name), _) => Destination::from_name(name, self.restart),
                (None, Some(name)) => Destination::from_name(name, self.restart),
                (None, None) => {
                    return Err(ShellError::Local(format!(
                        "{}: no file name to save it under (use -o)",
                        url.path
                    )))
                }
            };
            transfer::download(
                &mut client,
                &url.path,
                &destination,
                self.feedback,
                &self.trace,
            )?;
        }
        Ok(client.quit()?)
    }

    /// Uploads `files` as [`upload_plan`] pairs them with remote paths.
    ///
    /// # Errors
    ///
    /// [`ShellError::Local`] when `files` do not fit the URL (see
    /// [`upload_plan`]), else connection, login, transfer or local file errors.
    pub fn upload(&self, url: &FtpUrl, files: &[String]) -> Result<(), ShellError> {
        let plan = upload_plan(url, files).ok_or_else(|| {
            ShellError::Local("several files need a URL that ends in /".to_string())
        })?;
        let mut client = self.connect(url)?;
        for (local, remote) in &plan {
            transfer::upload(
                &mut client,
                Path::new(local),
                remote,
                false,
                self.feedback,
                &self.trace,
            )?;
        }
        Ok(client.quit()?)
    }

    /// Connects to the URL's host, logs in and sets the transfer type.
    fn connect(&self, url: &FtpUrl) -> Result<Client<Control>, ShellError> {
        let (user, password) = self.credentials(url)?;
        let mut client = self.connect_retrying(url)?;
        self.trace.reply(client.greeting());
        client.set_observer(self.trace.observer());
        secure::auth(&mut client, &url.host, &self.tls)?;
        client.login(&user, &password)?;
        let transfer_type = match url.type_code {
            Some(TypeCode::Ascii) => Representation::Ascii,
            _ => Representation::Binary,
        };
        client.set_type(transfer_type)?;
        Ok(client)
    }

    /// Opens the control connection; with [`OneShot::retry`], a connection
    /// that cannot be opened is tried again after the pause, each failure
    /// reported on stderr.
    fn connect_retrying(&self, url: &FtpUrl) -> Result<Client<Control>, ShellError> {
        loop {
            let connected = secure::connect(
                &url.host,
                url.port,
                self.family,
                self.options.clone(),
                &self.tls,
                url.implicit_tls,
            );
            match (connected, self.retry) {
                (Err(err @ Error::Connect { .. }), Some(pause)) => {
                    eprintln!("ftp-client: {err}; retrying in {} s", pause.as_secs());
                    std::thread::sleep(pause);
                }
                (connected, _) => return Ok(connected?),
            }
        }
    }

    /// The user and password for `url`: its own, `.netrc`'s, or anonymous.
    pub fn credentials(&self, url: &FtpUrl) -> Result<(String, String), ShellError> {
        let entry = self
            .netrc
            .as_ref()
            .and_then(|netrc| netrc.find(&url.host))
            .cloned()
            .unwrap_or_default();
        let (user, password) = match (&url.user, &url.password) {
            (Some(user), Some(password)) => return Ok((user.clone(), password.clone())),
            (Some(user), None) => {
                let matching = entry.login.as_deref() == Some(user.as_str());
                (user.clone(), entry.password.filter(|_| matching))
            }
            (None, _) => match entry.login {
                Some(login) => (login, entry.password),
                None => return Ok((ANONYMOUS.0.to_string(), ANONYMOUS.1.to_string())),
            },
        };
        let password = match password {
            Some(password) => password,
            None => self.ask_password(&user, &url.host)?,
        };
        Ok((user, password))
    }

    /// Asks for `user`'s password on stdin.
    fn ask_password(&self, user: &str, host: &str) -> Result<String, ShellError> {
        let mut input = std::io::stdin().lock();
        let question = format!("Password for {user}@{host}: ");
        prompt::ask_password(&mut input, &question, self.interactive)
            .map_err(|err| ShellError::local("stdin", err))
            .map(Option::unwrap_or_default)
    }
}

/// Pairs each local file with its remote path: under a URL ending in `/`,
/// each file goes into that directory under its base name; under any other
/// URL, the one file goes to exactly the URL's path. `None` when there are no
/// files, or several for a URL that names one file.
///
/// ```
/// use ftp_client::shell::fetch::upload_plan;
/// use ftp_client::url::FtpUrl;
///
/// let dir = FtpUrl::parse("ftp://host/incoming/")?;
/// let files = ["build/a.tar".to_string(), "b.txt".to_string()];
/// let plan = upload_plan(&dir, &files).expect("a directory takes several files");
/// assert_eq!(plan[0], ("build/a.tar".to_string(), "incoming/a.tar".to_string()));
/// assert_eq!(plan[1], ("b.txt".to_string(), "incoming/b.txt".to_string()));
/// # Ok::<(), ftp_client::url::UrlError>(())
/// ```
pub fn upload_plan(url: &FtpUrl, files: &[String]) -> Option<Vec<(String, String)>> {
    match files {
        [] => None,
        [file] if !url.is_directory() => Some(vec![(file.clone(), url.path.clone())]),
        _ if !url.is_directory() => None,
        _ => Some(
            files
                .iter()
                .map(|file| (file.clone(), format!("{}{}", url.path, base_name(file))))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netrc::Netrc;

    fn url(text: &str) -> FtpUrl {
        FtpUrl::parse(text).expect("valid URL")
    }

    fn files(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    fn one_shot(netrc: &str) -> OneShot {
        OneShot {
            family: None,
            options: Options::default(),
            trace: Trace::new(false, false, false, true),
            feedback: Feedback::default(),
            netrc: Some(Netrc::parse(netrc).expect("valid netrc")),
            interactive: false,
            retry: None,
            restart: false,
            tls: secure::Tls::default(),
        }
    }

    fn pair(local: &str, remote: &str) -> (String, String) {
        (local.to_string(), remote.to_string())
    }

    #[test]
    fn a_file_url_takes_exactly_one_file() {
        let target = url("ftp://h/dir/name.bin");
        assert_eq!(
            upload_plan(&target, &files(&["x/local.bin"])),
            Some(vec![pair("x/local.bin", "dir/name.bin")])
        );
        assert_eq!(upload_plan(&target, &files(&["a", "b"])), None);
        assert_eq!(upload_plan(&target, &[]), None);
    }

    #[test]
    fn a_directory_url_takes_base_names() {
        assert_eq!(
            upload_plan(&url("ftp://h/"), &files(&["/tmp/a", "b"])),
            Some(vec![pair("/tmp/a", "a"), pair("b", "b")])
        );
        assert_eq!(
            upload_plan(&url("ftp://h/%2Fin/"), &files(&["a"])),
            Some(vec![pair("a", "/in/a")])
        );
    }

    #[test]
    fn credentials_come_from_the_url_first() {
        let shot = one_shot("machine h login netrc password fromnetrc");
        let creds = shot.credentials(&url("ftp://u:p@h/")).expect("given");
        assert_eq!(creds, ("u".to_string(), "p".to_string()));
    }

    #[test]
    fn credentials_come_from_netrc_without_a_user_in_the_url() {
        let shot = one_shot("machine h login alice password secret");
        let creds = shot.credentials(&url("ftp://H/x")).expect("from netrc");
        assert_eq!(creds, ("alice".to_string(), "secret".to_string()));
    }

    #[test]
    fn a_url_user_takes_the_netrc_password_only_for_the_same_login() {
        let shot = one_shot("machine h login alice password secret");
        let creds = shot
            .credentials(&url("ftp://alice@h/x"))
            .expect("from netrc");
        assert_eq!(creds.1, "secret");
    }

    #[test]
    fn without_any_credentials_the_login_is_anonymous() {
        let shot = one_shot("machine other login alice password secret");
        let creds = shot.credentials(&url("ftp://h/x")).expect("anonymous");
        assert_eq!(creds, ("anonymous".to_string(), "anonymous@".to_string()));
    }
}
