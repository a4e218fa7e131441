//! Unit tests of the session state machine (filled in below).
