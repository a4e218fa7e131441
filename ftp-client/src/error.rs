//! STUB: the client error type (helper clientlib writes it).
