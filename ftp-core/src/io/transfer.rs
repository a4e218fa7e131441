//! Copying file data over an open data connection, in TYPE I or TYPE A.
//!
//! [`copy`] moves everything from a reader to a writer, counting bytes and
//! reporting progress. In TYPE I ([`Representation::Binary`]) the bytes are moved
//! untouched; in TYPE A ([`Representation::Ascii`]) line ends are converted
//! between the local form (LF) and the network form (CRLF, RFC 959 §3.1.1.1).
//!
//! Memory stays bounded whatever the size of the data: one buffer of bounded size
//! (and, in TYPE A, one for the converted bytes), with conversion state carried
//! from one read to the next, so a CR and its LF may arrive in different reads.
//!
//! Binary data goes through one large buffer (256 KiB), not through
//! `std::io::copy`: see [`copy`] for why.
//!
//! This module does not open connections ([`crate::io::data`]), send replies, or
//! handle restart offsets (the caller seeks the file before copying).

use std::io::{self, Read, Write};

use crate::error::{Error, Phase};
use crate::protocol::representation::Representation;

/// Largest buffer for TYPE I, in either direction.
const BINARY_BUFFER_SIZE: usize = 256 << 10;

/// Largest buffer for TYPE A, in either direction (the converted bytes take up
/// to twice as much again).
const ASCII_BUFFER_SIZE: usize = 64 << 10;

/// The buffer a copy starts with. It doubles each time a read fills it, up to
/// the largest size, so a small file or a listing never allocates the large
/// buffer. That matters for memory more than for speed: glibc keeps a freed
/// large buffer in the thread's malloc arena (its mmap threshold rises after
/// the first free), so every session that had sent one small file would keep
/// 256 KiB (docs/performance.md, memory).
const FIRST_BUFFER_SIZE: usize = 16 << 10;

const CR: u8 = b'\r';
const LF: u8 = b'\n';

/// Which way the data goes, relative to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From a local file (the reader) to the network (the writer).
    Send,
    /// From the network (the reader) to a local file (the writer).
    Receive,
}

/// Copies all of `from` into `to`, converting line ends for ASCII, then flushes `to`.
///
/// Returns the number of bytes that crossed the network: written to `to` when
/// sending, read from `from` when receiving. In TYPE A this counts each line's
/// CR, so it is what the peer counts too. `progress`, if given, is called with
/// the running count after each chunk.
///
/// * **Binary**, either way: reads into one buffer (growing to 256 KiB while
///   reads fill it) and writes what was read, no per-byte work. This is deliberately not [`std::io::copy`]: std
///   uses `sendfile` only where later changes to the source cannot show up in
///   the sink, which rules out file to socket (rust-lang/rust#108283). Traced
///   on Linux, `io::copy` from a `File` to a `TcpStream` is a loop of 8 KiB
///   `read` and `sendto` calls, with no `sendfile`, even for the concrete
///   types; a 256 KiB buffer moves the same data in 32 times fewer system
///   calls, and faster (see docs/performance.md, section "What limits each
///   figure", (b) RETR).
/// * **ASCII send** writes every LF that is not already preceded by CR as CRLF.
/// * **ASCII receive** turns CRLF into LF and keeps a CR that is not followed by
///   LF, also when the stream ends with it.
///
/// ```
/// use ftp_core::io::transfer::{copy, Direction};
/// use ftp_core::Representation;
///
/// let ascii = Representation::Ascii;
/// let mut wire = Vec::new();
/// let sent = copy(&mut &b"one\ntwo\r\n"[..], &mut wire, ascii, Direction::Send, None)?;
/// assert_eq!((wire.as_slice(), sent), (&b"one\r\ntwo\r\n"[..], 10));
///
/// let mut file = Vec::new();
/// let received = copy(&mut &wire[..], &mut file, ascii, Direction::Receive, None)?;
/// assert_eq!((file.as_slice(), received), (&b"one\ntwo\n"[..], 10));
/// # Ok::<(), ftp_core::Error>(())
/// ```
///
/// # Errors
///
/// The first read or write error (`Interrupted` is retried); an expired socket
/// timeout is [`Error::Timeout`] for [`Phase::Transfer`].
pub fn copy<R: Read + ?Sized, W: Write + ?Sized>(
    from: &mut R,
    to: &mut W,
    repr: Representation,
    dir: Direction,
    progress: Option<&mut dyn FnMut(u64)>,
) -> Result<u64, Error> {
    copy_with_buffer(from, to, repr, dir, progress, &mut Vec::new())
}

/// [`copy`] through `buffer`, which the caller keeps for later copies: it
/// grows as [`copy`]'s own buffer does and stays grown, so the next copy
/// starts at that size. A server that keeps a few such buffers for all its
/// sessions allocates the large buffer once, not once per transfer (glibc
/// keeps each freed one in the arena of the thread that freed it).
///
/// # Errors
///
/// As [`copy`].
pub fn copy_with_buffer<R: Read + ?Sized, W: Write + ?Sized>(
    from: &mut R,
    to: &mut W,
    repr: Representation,
    dir: Direction,
    progress: Option<&mut dyn FnMut(u64)>,
    buffer: &mut Vec<u8>,
) -> Result<u64, Error> {
    let mut progress = Progress {
        count: 0,
        report: progress,
    };
    let (buffer_size, line_ends) = match repr {
        Representation::Binary => (BINARY_BUFFER_SIZE, None),
        Representation::Ascii => (ASCII_BUFFER_SIZE, Some(LineEnds::new(dir))),
    };
    copy_buffered(from, to, dir, buffer, buffer_size, line_ends, &mut progress)?;
    to.flush().map_err(transfer_error)?;
    Ok(progress.count)
}

/// The running byte count and the caller's callback.
struct Progress<'a> {
    count: u64,
    report: Option<&'a mut dyn FnMut(u64)>,
}

impl Progress<'_> {
    /// Adds `bytes` to the count and reports the new total.
    fn add(&mut self, bytes: u64) {
        self.count += bytes;
        if let Some(report) = self.report.as_deref_mut() {
            report(self.count);
        }
    }
}

/// Copies through `buffer`, using at most `buffer_size` bytes of it,
/// converting line ends when `line_ends` is given; counts the network side of
/// `dir`.
fn copy_buffered<R: Read + ?Sized, W: Write + ?Sized>(
    from: &mut R,
    to: &mut W,
    dir: Direction,
    buffer: &mut Vec<u8>,
    buffer_size: usize,
    mut line_ends: Option<LineEnds>,
    progress: &mut Progress<'_>,
) -> Result<(), Error> {
    let mut size = buffer
        .len()
        .clamp(FIRST_BUFFER_SIZE.min(buffer_size), buffer_size);
    let mut converted = Vec::new();
    loop {
        if buffer.len() < size {
            buffer.resize(size, 0);
        }
        let read = read_some(from, &mut buffer[..size])?;
        if read == 0 {
            break;
        }
        let input = &buffer[..read];
        let output = match line_ends.as_mut() {
            None => input,
            Some(line_ends) => {
                converted.clear();
                line_ends.convert(input, &mut converted);
                &converted
            }
        };
        to.write_all(output).map_err(transfer_error)?;
        let network_side = match dir {
            Direction::Send => output.len(),
            Direction::Receive => read,
        };
        progress.add(network_side as u64);
        if read == size {
            // A full read: more is coming, so read more at a time.
            size = (size * 2).min(buffer_size);
        }
    }
    if let Some(tail) = line_ends.and_then(LineEnds::finish) {
        to.write_all(&[tail]).map_err(transfer_error)?;
    }
    Ok(())
}

/// One `read`, retried when interrupted.
fn read_some<R: Read + ?Sized>(from: &mut R, buffer: &mut [u8]) -> Result<usize, Error> {
    loop {
        match from.read(buffer) {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            result => return result.map_err(transfer_error),
        }
    }
}

/// Maps an I/O error during a transfer (an expired timeout names the phase).
fn transfer_error(err: io::Error) -> Error {
    Error::from_io(err, Phase::Transfer)
}

/// TYPE A line-end conversion, streaming: the state carried between chunks is
/// whether the last byte seen was a CR.
struct LineEnds {
    dir: Direction,
    /// Sending: the last byte written was a CR (so an LF after it needs none).
    /// Receiving: a CR is held back until the next byte shows whether it ends a line.
    after_cr: bool,
}

impl LineEnds {
    fn new(dir: Direction) -> Self {
        LineEnds {
            dir,
            after_cr: false,
        }
    }

    /// Converts one chunk, appending the result to `out`.
    fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        match self.dir {
            Direction::Send => self.lf_to_crlf(input, out),
            Direction::Receive => self.crlf_to_lf(input, out),
        }
    }

    /// LF becomes CRLF unless it already follows a CR.
    fn lf_to_crlf(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() * 2);
        for &byte in input {
            if byte == LF && !self.after_cr {
                out.push(CR);
            }
            out.push(byte);
            self.after_cr = byte == CR;
        }
    }

    /// CRLF becomes LF; any other CR is kept.
    fn crlf_to_lf(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + 1);
        for &byte in input {
            if self.after_cr && byte != LF {
                out.push(CR);
            }
            self.after_cr = byte == CR;
            if !self.after_cr {
                out.push(byte);
            }
        }
    }

    /// The byte still held back at the end of the data: a CR that ended a received stream.
    fn finish(self) -> Option<u8> {
        (self.dir == Direction::Receive && self.after_cr).then_some(CR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{FailOnce, Trickle, XorShift};
    use std::fs::{self, File};
    use std::net::{IpAddr, Ipv4Addr};
    use std::thread;
    use std::time::Duration;

    /// A reader over `data` that records the size of every buffer it is given.
    struct BufferSizes<'a> {
        data: &'a [u8],
        sizes: Vec<usize>,
    }

    impl Read for BufferSizes<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.sizes.push(buf.len());
            self.data.read(buf)
        }
    }

    #[test]
    fn the_buffer_starts_small_and_grows_while_reads_fill_it() {
        let data = XorShift::new(7).bytes(2 << 20);
        for (repr, largest) in [
            (Representation::Binary, BINARY_BUFFER_SIZE),
            (Representation::Ascii, ASCII_BUFFER_SIZE),
        ] {
            let mut reader = BufferSizes {
                data: &data,
                sizes: Vec::new(),
            };
            let mut out = Vec::new();
            copy(&mut reader, &mut out, repr, Direction::Receive, None).unwrap();
            assert_eq!(reader.sizes[0], FIRST_BUFFER_SIZE);
            assert!(reader
                .sizes
                .windows(2)
                .all(|w| w[1] == w[0] || w[1] == (w[0] * 2).min(largest)));
            assert_eq!(reader.sizes.last(), Some(&largest));

            let mut small = BufferSizes {
                data: &data[..1000],
                sizes: Vec::new(),
            };
            copy(&mut small, &mut Vec::new(), repr, Direction::Send, None).unwrap();
            assert_eq!(small.sizes, [FIRST_BUFFER_SIZE, FIRST_BUFFER_SIZE]);
        }
    }

    /// Sends `data` through the kept `buffer`: (the output, the size of
    /// every read).
    fn send_through(
        buffer: &mut Vec<u8>,
        data: &[u8],
        repr: Representation,
    ) -> (Vec<u8>, Vec<usize>) {
        let mut reader = BufferSizes {
            data,
            sizes: Vec::new(),
        };
        let mut out = Vec::new();
        copy_with_buffer(&mut reader, &mut out, repr, Direction::Send, None, buffer).unwrap();
        (out, reader.sizes)
    }

    #[test]
    fn a_kept_buffer_stays_grown_for_the_next_copy_and_caps_ascii() {
        let data = XorShift::new(8).bytes(1 << 20);
        let mut buffer = Vec::new();
        let (out, _) = send_through(&mut buffer, &data, Representation::Binary);
        assert_eq!((out == data, buffer.len()), (true, BINARY_BUFFER_SIZE));

        let (out, sizes) = send_through(&mut buffer, &data, Representation::Binary);
        assert!(out == data, "a second copy through the kept buffer");
        assert!(sizes.iter().all(|&size| size == BINARY_BUFFER_SIZE));

        let (out, sizes) = send_through(&mut buffer, b"a\nb\n", Representation::Ascii);
        assert_eq!(out, b"a\r\nb\r\n");
        assert_eq!(sizes, [ASCII_BUFFER_SIZE, ASCII_BUFFER_SIZE]);
    }

    /// Copies `input` and returns the output, the count and every progress report.
    fn run<R: Read>(mut from: R, repr: Representation, dir: Direction) -> (Vec<u8>, u64, Vec<u64>) {
        let mut out = Vec::new();
        let mut reports = Vec::new();
        let count = copy(
            &mut from,
            &mut out,
            repr,
            dir,
            Some(&mut |n| reports.push(n)),
        )
        .unwrap();
        (out, count, reports)
    }

    /// Converts `input` in one piece, one byte per read, and split in two at
    /// every position; all must give the same bytes and count. Returns them.
    fn convert(input: &[u8], dir: Direction) -> (Vec<u8>, u64) {
        let (out, count, _) = run(input, Representation::Ascii, dir);
        let trickled = run(Trickle(input), Representation::Ascii, dir);
        assert_eq!(
            (&trickled.0, trickled.1),
            (&out, count),
            "one byte per read"
        );
        for split in 0..=input.len() {
            let (head, tail) = input.split_at(split);
            let (split_out, split_count, _) = run(head.chain(tail), Representation::Ascii, dir);
            assert_eq!((&split_out, split_count), (&out, count), "split at {split}");
        }
        (out, count)
    }

    #[test]
    fn ascii_send_turns_bare_lf_into_crlf_and_keeps_crlf() {
        let (wire, count) = convert(b"a\nb\r\nc\rd\n\n\r\r\n", Direction::Send);
        assert_eq!(wire, b"a\r\nb\r\nc\rd\r\n\r\n\r\r\n");
        assert_eq!(count, wire.len() as u64, "sending counts the network bytes");
    }

    #[test]
    fn ascii_receive_turns_crlf_into_lf_and_keeps_lone_cr() {
        let wire = b"a\r\nb\nc\rd\r\r\n\r\n\r";
        let (file, count) = convert(wire, Direction::Receive);
        assert_eq!(file, b"a\nb\nc\rd\r\n\n\r");
        assert_eq!(
            count,
            wire.len() as u64,
            "receiving counts the network bytes"
        );
    }

    #[test]
    fn ascii_edge_cases() {
        assert_eq!(convert(b"", Direction::Send).0, b"");
        assert_eq!(convert(b"", Direction::Receive).0, b"");
        assert_eq!(convert(b"\r", Direction::Receive).0, b"\r");
        assert_eq!(convert(b"\r\r", Direction::Receive).0, b"\r\r");
        assert_eq!(convert(b"\n", Direction::Send).0, b"\r\n");
        assert_eq!(convert(b"no line end", Direction::Send).0, b"no line end");
    }

    #[test]
    fn ascii_round_trip_of_large_random_data_without_cr() {
        let mut rng = XorShift::new(0x0123_4567_89AB_CDEF);
        let alphabet: Vec<u8> = (0..=255).filter(|&b| b != CR).chain([LF; 16]).collect();
        let file: Vec<u8> = rng.pick_many(&alphabet, 3 * ASCII_BUFFER_SIZE + 17);
        let (wire, sent, _) = run(&file[..], Representation::Ascii, Direction::Send);
        let lfs = file.iter().filter(|&&b| b == LF).count();
        assert_eq!(wire.len(), file.len() + lfs);
        assert_eq!(sent, wire.len() as u64);
        let (back, received, _) = run(&wire[..], Representation::Ascii, Direction::Receive);
        assert_eq!(received, sent);
        assert!(back == file, "round trip changed the data");
    }

    #[test]
    fn ascii_receive_of_large_random_data_matches_a_simple_model() {
        let mut rng = XorShift::new(0x5555_AAAA_1234_5678);
        let wire: Vec<u8> = rng.pick_many(b"ab\r\n", 2 * ASCII_BUFFER_SIZE + 5);
        let mut model = Vec::new();
        let mut rest = &wire[..];
        while let Some((&byte, tail)) = rest.split_first() {
            if !(byte == CR && tail.first() == Some(&LF)) {
                model.push(byte);
            }
            rest = tail;
        }
        let (file, _, _) = run(&wire[..], Representation::Ascii, Direction::Receive);
        assert!(file == model, "differs from the model");
    }

    #[test]
    fn binary_copies_are_exact_both_ways_with_progress() {
        let mut rng = XorShift::new(0xDEAD_BEEF_CAFE_F00D);
        let data = rng.bytes(BINARY_BUFFER_SIZE + 999);
        for dir in [Direction::Send, Direction::Receive] {
            let (out, count, reports) = run(&data[..], Representation::Binary, dir);
            assert!(out == data, "{dir:?} changed the data");
            assert_eq!(count, data.len() as u64);
            assert_eq!(reports.last(), Some(&count));
            assert!(reports.windows(2).all(|pair| pair[0] < pair[1]));
        }
    }

    #[test]
    fn binary_receive_reports_progress_per_read() {
        let (out, count, reports) =
            run(Trickle(b"abc"), Representation::Binary, Direction::Receive);
        assert_eq!((out.as_slice(), count), (&b"abc"[..], 3));
        assert_eq!(reports, [1, 2, 3]);
    }

    #[test]
    fn empty_input_copies_nothing_and_reports_nothing() {
        for repr in [Representation::Binary, Representation::Ascii] {
            for dir in [Direction::Send, Direction::Receive] {
                assert_eq!(run(&b""[..], repr, dir), (Vec::new(), 0, Vec::new()));
            }
        }
    }

    #[test]
    fn interrupted_reads_are_retried() {
        for repr in [Representation::Binary, Representation::Ascii] {
            for dir in [Direction::Send, Direction::Receive] {
                let failing = FailOnce {
                    kind: Some(io::ErrorKind::Interrupted),
                    data: b"x\r\n",
                };
                let (out, ..) = run(failing, repr, dir);
                assert!(out.starts_with(b"x"), "{repr:?} {dir:?}: {out:?}");
            }
        }
    }

    /// A writer whose socket timeout has expired.
    struct Stalled;

    impl Write for Stalled {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::WouldBlock.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_expired_timeout_is_a_transfer_timeout() {
        for repr in [Representation::Binary, Representation::Ascii] {
            for dir in [Direction::Send, Direction::Receive] {
                let err = copy(&mut &b"data"[..], &mut Stalled, repr, dir, None).unwrap_err();
                assert!(matches!(err, Error::Timeout(Phase::Transfer)), "{err}");
            }
        }
    }

    /// A file in the system's temporary directory, removed when dropped.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn new(role: &str) -> Self {
            let name = format!("ftp-core-transfer-{role}-{}", std::process::id());
            TempFile(std::env::temp_dir().join(name))
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = fs::remove_file(&self.0);
        }
    }

    #[test]
    fn file_to_tcp_stream_to_file_is_exact() {
        let mut rng = XorShift::new(0xF11E_5E4D_0000_0001);
        let data = rng.bytes((3 << 20) + 12345);
        let (source, target) = (TempFile::new("source"), TempFile::new("target"));
        fs::write(&source.0, &data).unwrap();

        let timeout = Duration::from_secs(10);
        let listener = crate::io::data::listen(IpAddr::V4(Ipv4Addr::LOCALHOST), None).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut file = File::create(&target.0).unwrap();
        let receiver = thread::spawn(move || {
            let mut stream = crate::io::data::accept(&listener, None, timeout)?;
            stream
                .set_read_timeout(Some(timeout))
                .map_err(Error::from)?;
            copy(
                &mut stream,
                &mut file,
                Representation::Binary,
                Direction::Receive,
                None,
            )
        });

        let mut file = File::open(&source.0).unwrap();
        let mut stream = crate::io::data::connect(addr, timeout).unwrap();
        let mut reports = Vec::new();
        let progress: &mut dyn FnMut(u64) = &mut |n| reports.push(n);
        let (binary, send) = (Representation::Binary, Direction::Send);
        let sent = copy(&mut file, &mut stream, binary, send, Some(progress)).unwrap();
        drop(stream);

        let received = receiver.join().unwrap().unwrap();
        assert_eq!((sent, received), (data.len() as u64, data.len() as u64));
        assert!(reports.len() > 1, "progress is reported as the data goes");
        assert_eq!(reports.last(), Some(&sent));
        assert!(
            fs::read(&target.0).unwrap() == data,
            "received file differs"
        );
    }
}
