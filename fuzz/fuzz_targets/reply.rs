//! Fuzzes reply parsing: [`ReplyParser`] fed the lines a client would read,
//! and [`Reply::parse`] on a raw buffer.
//!
//! Properties: nothing panics; [`Reply::parse`] reports a length that ends
//! at a line feed inside the buffer; every reply either parser completes goes
//! back on the wire, with [`Reply::to_wire`], as exactly one reply with the
//! same code and wire form; and a reply built with [`Reply::new`] from any
//! text (what a server sends) is exactly one reply on the wire as well.
#![no_main]

use ftp_core::io::line::{LineReader, DEFAULT_LINE_LIMIT};
use ftp_core::protocol::reply::{ReplyParser, Status};
use ftp_core::{Phase, Reply};
use ftp_fuzz::assert_one_reply_on_the_wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    feed_lines(data);
    parse_buffer(data);
    build_reply(data);
});

/// The client's path: lines from a [`LineReader`], one by one into a parser.
fn feed_lines(data: &[u8]) {
    let mut reader = LineReader::new(data, DEFAULT_LINE_LIMIT, Phase::Reply);
    let mut parser = ReplyParser::new();
    while let Ok(Some(line)) = reader.read_line() {
        if let Ok(Status::Complete(reply)) = parser.feed(&line) {
            assert_one_reply_on_the_wire(&reply);
        }
    }
}

/// [`Reply::parse`] on the whole buffer.
fn parse_buffer(data: &[u8]) {
    if let Ok(Some((reply, used))) = Reply::parse(data) {
        assert!(
            used <= data.len() && data[..used].ends_with(b"\n"),
            "used {used}"
        );
        assert_one_reply_on_the_wire(&reply);
    }
}

/// A reply made from arbitrary text, with a code from the first two bytes.
fn build_reply(data: &[u8]) {
    let Some((code, text)) = data.split_first_chunk::<2>() else {
        return;
    };
    let code = 100 + u16::from_be_bytes(*code) % 900;
    let reply = Reply::new(code, String::from_utf8_lossy(text));
    assert_one_reply_on_the_wire(&reply);
}
