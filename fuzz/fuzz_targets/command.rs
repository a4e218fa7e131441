//! Fuzzes [`Command::parse`] with arbitrary control lines.
//!
//! Properties: parsing never panics; a line that parses formats back, with
//! [`Command::to_bytes`], into a line that parses to the same command (the
//! round trip the `command` module documents); an error's reply code is 500
//! or 501 (522 only for an EPRT address family we do not know), and its
//! text, like the command's `Display` and log forms, is one line. What a server does with the command is the `session` target's job.
#![no_main]

use ftp_core::Command;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &[u8]| {
    match Command::parse(line) {
        Ok(command) => check_round_trip(line, &command),
        Err(err) => {
            let unsupported = matches!(err, ftp_core::CommandError::UnsupportedProtocol);
            assert_eq!(err.reply_code() == 522, unsupported, "{err:?}");
            assert!(matches!(err.reply_code(), 500 | 501 | 522), "{err:?}");
            assert_one_line(&err.to_string());
        }
    }
});

/// The canonical form parses back to `command`, and a line free of line
/// breaks gives a canonical form and a log form free of them too.
fn check_round_trip(line: &[u8], command: &Command) {
    let wire = command.to_bytes();
    let again = Command::parse(&wire);
    assert_eq!(again.as_ref(), Ok(command), "{line:?} formats as {wire:?}");
    if !line.iter().any(|b| matches!(b, b'\r' | b'\n')) {
        assert!(!wire.iter().any(|b| matches!(b, b'\r' | b'\n')), "{wire:?}");
        assert_one_line(&command.log_form());
    }
}

/// Asserts that `text` holds no CR or LF.
fn assert_one_line(text: &str) {
    assert!(!text.contains(['\r', '\n']), "{text:?} is not one line");
}
