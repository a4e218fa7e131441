//! STUB — API fixed, bodies to be written (helper: command).
#![allow(missing_docs)] // stub: remove when the module is written
use std::fmt;
use std::net::{SocketAddr, SocketAddrV4};

/// A file name or path argument. FTP names are bytes on the wire; a name that is
/// not valid UTF-8 must survive unchanged, so paths are kept as bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PathArg(pub Vec<u8>);

/// The text format of TYPE A and TYPE E (RFC 959 §3.1.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat { NonPrint, Telnet, Asa }

/// The representation type of TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferType { Ascii(Option<TextFormat>), Ebcdic(Option<TextFormat>), Image, Local(u8) }

/// STRU argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structure { File, Record, Page }

/// MODE argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferMode { Stream, Block, Compressed }

/// EPSV argument (RFC 2428 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpsvArg { All, Protocol(u16) }

/// One FTP command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    User(String), Pass(String), Acct(String), Cwd(PathArg), Cdup, Smnt(PathArg), Rein, Quit,
    Port(SocketAddrV4), Pasv, Type(TransferType), Stru(Structure), Mode(TransferMode),
    Retr(PathArg), Stor(PathArg), Stou, Appe(PathArg), Allo { size: u64, record: Option<u64> },
    Rest(u64), Rnfr(PathArg), Rnto(PathArg), Abor, Dele(PathArg), Rmd(PathArg), Mkd(PathArg),
    Pwd, List(Option<PathArg>), Nlst(Option<PathArg>), Site(String), Syst, Stat(Option<PathArg>),
    Help(Option<String>), Noop, Feat, Opts(String), Eprt(SocketAddr), Epsv(Option<EpsvArg>),
    Size(PathArg), Mdtm(PathArg), Mlst(Option<PathArg>), Mlsd(Option<PathArg>), Host(String),
    Mfmt { time: String, path: PathArg },
    Unknown { verb: String, arg: Option<Vec<u8>> },
}

/// Why a command line could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandError {
    Empty,
    MissingArgument { verb: &'static str },
    UnexpectedArgument { verb: &'static str },
    InvalidArgument { verb: &'static str, reason: String },
}
impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "{self:?}") }
}
impl std::error::Error for CommandError {}

impl Command {
    /// Parses one control line (no CRLF).
    pub fn parse(line: &[u8]) -> Result<Command, CommandError> { let _ = line; Err(CommandError::Empty) }
    /// The wire form, without CRLF.
    pub fn to_bytes(&self) -> Vec<u8> { Vec::new() }
    /// The upper-case verb.
    pub fn verb(&self) -> &str { "" }
}
impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&String::from_utf8_lossy(&self.to_bytes())) }
}
