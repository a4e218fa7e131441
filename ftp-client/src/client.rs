//! STUB: the blocking FTP client (helper clientlib writes it).
