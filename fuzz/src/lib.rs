//! Checks shared by more than one fuzz target.
//!
//! Every target panics (which libFuzzer records as a crash) when a property
//! fails; the helpers here are the properties that two targets both need.
//! They hold no fuzzing logic of their own and are not used outside `fuzz/`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use ftp_core::Reply;

/// Asserts that `reply` goes on the wire as exactly one reply that parses
/// back to the same code and wire form: no text can end a reply early or
/// smuggle in a second one.
///
/// Middle lines that begin with a digit gain one space of padding on the
/// wire, so the comparison is between wire forms, not between line lists.
pub fn assert_one_reply_on_the_wire(reply: &Reply) {
    let wire = reply.to_wire();
    let parsed = Reply::parse(&wire).expect("a formatted reply parses");
    let Some((again, used)) = parsed else {
        panic!("{wire:?} is not one complete reply");
    };
    assert_eq!(used, wire.len(), "{wire:?} holds more than one reply");
    assert_eq!(again.code, reply.code, "code changed in {wire:?}");
    assert_eq!(again.to_wire(), wire, "wire form changed for {reply:?}");
}
