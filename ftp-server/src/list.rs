//! Directory listings for LIST, NLST, MLSD and STAT: reading entries
//! through the storage and rendering them.
//!
//! A listing holds a directory's entries as the file system gave them
//! (`storage::DirEntry`: a name and the directory's handle), sorted by name,
//! with their names packed in one buffer;
//! each entry is looked up when its line is rendered, with one `statx` of
//! the name relative to the open directory (NLST needs no lookup), and
//! [`Lines`] renders them as they are read (in `lines.rs`). So a directory
//! of thousands of names costs its entries while it is listed, not its
//! whole listing. A directory of more than [`SORTED_LIMIT`] names is
//! listed in the file system's order instead, read as it is sent, so that a
//! listing's memory is bounded however large the directory (see
//! docs/performance.md for what glibc does with larger blocks). An entry
//! gone between the listing and its line is left out.
//!
//! A name with a line break (CR or LF; a local user can make one, FTP
//! cannot) is left out of every listing and logged: in a listing it would
//! read as two entries, one of them made up.
//!
//! LIST and NLST arguments may start with `ls` flags (`-a`, `-l`, `-la`, as
//! clients send them); only `a` changes anything (names starting with `.` are
//! hidden without it). The last component of the path may be a pattern with
//! `*` and `?` (BSD `mget *.txt` sends `NLST *.txt`). Symlinks whose target is
//! inside the root are listed as their target, so clients can fetch them;
//! others are listed as links ([`Storage::metadata_of`]).
//!
//! What it does not do: touch files itself (the storage does), open data
//! connections or decide who may list (the session does), or format a single
//! line (that is `ftp_core::protocol::listing`).

use std::io;
use std::ops::Range;
use std::vec;

use ftp_core::protocol::glob::matches_bytes;
use ftp_core::protocol::listing::{Entry, Facts};

use crate::storage::{Dir, DirEntries, DirEntry, Found, Storage, VirtualPath};

mod lines;

pub use lines::Lines;

/// How entries are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `ls -l` lines (LIST, STAT with a path).
    Long,
    /// Names only (NLST).
    Names,
    /// MLSx fact lines (MLSD).
    Facts(Facts),
}

impl Format {
    /// Whether a line needs its entry's metadata (all but NLST's).
    fn needs_lookup(self) -> bool {
        self != Format::Names
    }
}

/// A LIST or NLST argument split into `ls` flags and a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListArg<'a> {
    /// Whether hidden (dot) names are shown (`-a`).
    pub all: bool,
    /// The path or pattern, empty for the working directory.
    pub path: &'a [u8],
}

impl ListArg<'_> {
    /// Splits leading `-flags` words off `arg`. A lone `-` or a word that does
    /// not look like flags is taken as the path.
    pub fn parse(arg: &[u8]) -> ListArg<'_> {
        let mut all = false;
        let mut rest = arg;
        while let Some(word) = rest.strip_prefix(b"-") {
            let end = word.iter().position(|&b| b == b' ').unwrap_or(word.len());
            let flags = &word[..end];
            if flags.is_empty() || !flags.iter().all(u8::is_ascii_alphanumeric) {
                break;
            }
            all |= flags.contains(&b'a');
            rest = word[end..].trim_ascii_start();
        }
        ListArg { all, path: rest }
    }
}

/// What a listing shows: the names in a directory, or one file; and the
/// prefix NLST puts before each name.
#[derive(Debug)]
pub struct Listing {
    /// The directory the names are in (`None` for a single file).
    dir: Option<Dir>,
    /// How its lines are rendered.
    format: Format,
    /// Where the names come from.
    source: Source,
    /// A single file, listed under the name the client gave.
    single: Option<Entry>,
    /// `dir/` when a directory other than the working one was named, so that
    /// NLST names can be given back to RETR as they are.
    pub prefix: Vec<u8>,
}

/// The most names a listing sorts. A larger directory is listed in the
/// order the file system gives, read as it is sent, so that no listing
/// holds more than this many names, however large the directory.
pub const SORTED_LIMIT: usize = 10_000;

/// Where a listing's entries come from.
#[derive(Debug)]
enum Source {
    /// Up to [`SORTED_LIMIT`] entries: their names packed in one buffer,
    /// each a span of it, the entries themselves when the format looks
    /// them up ([`Format::needs_lookup`]; NLST keeps names only), and the
    /// order in which they are listed (sorted by name).
    Sorted {
        names: Vec<u8>,
        spans: Vec<Range<usize>>,
        entries: Vec<Option<DirEntry>>,
        order: vec::IntoIter<usize>,
    },
    /// A larger directory, read as it is listed.
    Streamed { entries: DirEntries, filter: Filter },
}

impl Listing {
    /// A listing with nothing in it, in `format`.
    pub fn empty(format: Format) -> Listing {
        Listing {
            dir: None,
            format,
            source: Source::Sorted {
                names: Vec::new(),
                spans: Vec::new(),
                entries: Vec::new(),
                order: Vec::new().into_iter(),
            },
            single: None,
            prefix: Vec::new(),
        }
    }

    /// Puts the next name in `name`, with its entry when the format looks
    /// entries up; false when none is left.
    fn next_entry(&mut self, name: &mut Vec<u8>, entry: &mut Option<DirEntry>) -> bool {
        name.clear();
        match &mut self.source {
            Source::Sorted {
                names,
                spans,
                entries,
                order,
            } => {
                let Some(next) = order.next() else {
                    return false;
                };
                name.extend_from_slice(&names[spans[next].clone()]);
                *entry = entries.get_mut(next).and_then(Option::take);
                true
            }
            // An entry that cannot be read is left out, as one gone.
            Source::Streamed { entries, filter } => {
                *entry = entries.by_ref().flatten().find(|read| {
                    *name = read.name();
                    filter.keeps(name)
                });
                entry.is_some()
            }
        }
    }

    /// The listing entry for `entry`, looked up now; `None` if it is gone or
    /// cannot be read.
    fn lookup(&self, storage: &Storage, entry: &DirEntry, name: &[u8]) -> Option<Entry> {
        let meta = storage.metadata_of(self.dir.as_ref()?, entry).ok()?;
        Some(Entry::from_metadata(name.to_vec(), &meta))
    }
}

/// Which names of a directory a listing shows.
#[derive(Debug, Clone)]
struct Filter {
    /// Names starting with `.` too (`-a`).
    all: bool,
    /// Only names matching this pattern.
    pattern: Option<Vec<u8>>,
}

impl Filter {
    fn keeps(&self, name: &[u8]) -> bool {
        if name.contains(&b'\r') || name.contains(&b'\n') {
            // A line break in a name would add lines to the listing.
            let shown = ftp_core::protocol::printable::escape_field(name);
            log::warn!("left out of a listing: the name {shown} holds a line break");
            return false;
        }
        (self.all || !name.starts_with(b"."))
            && self
                .pattern
                .as_ref()
                .is_none_or(|pattern| matches_bytes(pattern, name))
    }
}

/// Lists `arg` relative to `cwd`, to be rendered in `format`: a directory's
/// entries, a single file, or the entries of a directory matching a pattern
/// in the last component.
pub fn list(
    storage: &Storage,
    cwd: &VirtualPath,
    arg: &ListArg<'_>,
    format: Format,
) -> io::Result<Listing> {
    let target = cwd.join(arg.path);
    let prefix = if target == *cwd {
        None
    } else {
        display_prefix(arg.path)
    };
    let (dir, filter, prefix) = match target.file_name().filter(|name| is_pattern(name)) {
        Some(pattern) => {
            let dir = storage.open_dir(&target.parent())?;
            let filter = Filter {
                all: arg.all,
                pattern: Some(pattern.to_vec()),
            };
            let prefix = prefix.map(|p| parent_prefix(&p)).unwrap_or_default();
            (dir, filter, prefix)
        }
        None => match storage.lookup(&target)? {
            Found::Dir(dir) => {
                let filter = Filter {
                    all: arg.all,
                    pattern: None,
                };
                (dir, filter, prefix.unwrap_or_default())
            }
            // A single file is listed under the name the client gave.
            Found::Other(meta) => {
                return Ok(Listing {
                    single: Some(Entry::from_metadata(arg.path.to_vec(), &meta)),
                    ..Listing::empty(format)
                })
            }
        },
    };
    Ok(Listing {
        source: read_entries(storage, &dir, filter, format)?,
        format,
        dir: Some(dir),
        single: None,
        prefix,
    })
}

/// Renders the whole listing as lines with CRLF, for tests (the data and
/// control connections read [`Lines`] as they are rendered).
#[cfg(test)]
pub(crate) fn render(
    listing: Listing,
    storage: &Storage,
    writable: bool,
    now: std::time::SystemTime,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut lines = Lines::new(listing, storage.clone(), writable, now);
    // Rendering into memory cannot fail.
    let _ = std::io::Read::read_to_end(&mut lines, &mut out);
    out
}

fn is_pattern(name: &[u8]) -> bool {
    name.iter().any(|&b| b == b'*' || b == b'?')
}

/// The entries of `dir` that `filter` keeps: sorted when there are at most
/// [`SORTED_LIMIT`], else to be read again as the listing is sent.
fn read_entries(
    storage: &Storage,
    dir: &Dir,
    filter: Filter,
    format: Format,
) -> io::Result<Source> {
    let mut names = Vec::new();
    let mut spans = Vec::new();
    let mut entries = Vec::new();
    for entry in storage.entries(dir)? {
        let entry = entry?;
        let name = entry.name();
        if filter.keeps(&name) {
            if spans.len() == SORTED_LIMIT {
                let entries = storage.entries(dir)?;
                return Ok(Source::Streamed { entries, filter });
            }
            let start = names.len();
            names.extend_from_slice(&name);
            spans.push(start..names.len());
            if format.needs_lookup() {
                entries.push(Some(entry));
            }
        }
    }
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by(|&a, &b| names[spans[a].clone()].cmp(&names[spans[b].clone()]));
    Ok(Source::Sorted {
        names,
        spans,
        entries,
        order: order.into_iter(),
    })
}

/// `path/` for a path the client named (without trailing slashes), if any.
fn display_prefix(path: &[u8]) -> Option<Vec<u8>> {
    let trimmed = match path.iter().rposition(|&b| b != b'/') {
        Some(last) => &path[..=last],
        None if path.is_empty() => return None,
        None => b"/",
    };
    let mut prefix = trimmed.to_vec();
    if !prefix.ends_with(b"/") {
        prefix.push(b'/');
    }
    Some(prefix)
}

/// The directory part of a prefix built from a pattern: `dir/*.txt/` → `dir/`.
fn parent_prefix(prefix: &[u8]) -> Vec<u8> {
    let without_slash = &prefix[..prefix.len().saturating_sub(1)];
    match without_slash.iter().rposition(|&b| b == b'/') {
        Some(slash) => without_slash[..=slash].to_vec(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::tests::Scratch;
    use ftp_core::protocol::listing::EntryKind;
    use std::fs;
    use std::time::SystemTime;

    /// The names a listing gives (a single file's, or the directory's).
    fn names(mut listing: Listing) -> Vec<Vec<u8>> {
        let mut names: Vec<Vec<u8>> = listing.single.iter().map(|e| e.name.clone()).collect();
        let mut name = Vec::new();
        while listing.next_entry(&mut name, &mut None) {
            names.push(name.clone());
        }
        names
    }

    /// The entries a directory listing gives, each looked up.
    fn entries(jail: &Storage, mut listing: Listing) -> Vec<Entry> {
        let mut entries = Vec::new();
        let mut name = Vec::new();
        let mut found = None;
        while listing.next_entry(&mut name, &mut found) {
            let found = found.as_ref().expect("a long listing keeps its entries");
            entries.extend(listing.lookup(jail, found, &name));
        }
        entries
    }

    /// `arg` listed from the root and rendered in `format`.
    fn rendered(jail: &Storage, arg: &[u8], format: Format) -> Vec<u8> {
        let root = VirtualPath::root();
        let listing = list(jail, &root, &ListArg::parse(arg), format).expect("list");
        render(listing, jail, false, SystemTime::now())
    }

    #[test]
    fn ls_flags_are_split_from_the_path() {
        assert_eq!(
            ListArg::parse(b"-la"),
            ListArg {
                all: true,
                path: b""
            }
        );
        assert_eq!(
            ListArg::parse(b"-l pub"),
            ListArg {
                all: false,
                path: b"pub"
            }
        );
        assert_eq!(
            ListArg::parse(b"-a -l x y"),
            ListArg {
                all: true,
                path: b"x y"
            }
        );
        assert_eq!(
            ListArg::parse(b"pub"),
            ListArg {
                all: false,
                path: b"pub"
            }
        );
        assert_eq!(
            ListArg::parse(b"-"),
            ListArg {
                all: false,
                path: b"-"
            }
        );
        assert_eq!(
            ListArg::parse(b"-my-file"),
            ListArg {
                all: false,
                path: b"-my-file"
            }
        );
    }

    fn tree() -> (Scratch, Storage) {
        let dir = Scratch::new("list");
        fs::create_dir(dir.0.join("sub")).expect("mkdir");
        fs::write(dir.0.join("b.txt"), b"bb").expect("write");
        fs::write(dir.0.join("a.txt"), b"a").expect("write");
        fs::write(dir.0.join(".hidden"), b"h").expect("write");
        fs::write(dir.0.join("sub/c.bin"), b"ccc").expect("write");
        let jail = Storage::open(&dir.0, false).expect("storage");
        (dir, jail)
    }

    #[test]
    fn directories_are_listed_sorted_without_hidden_names_unless_asked() {
        let (_dir, jail) = tree();
        let root = VirtualPath::root();
        let listing = list(&jail, &root, &ListArg::parse(b""), Format::Long).expect("list");
        assert_eq!(listing.prefix, b"");
        assert_eq!(names(listing), [&b"a.txt"[..], b"b.txt", b"sub"]);
        let listing = list(&jail, &root, &ListArg::parse(b"-a"), Format::Long).expect("list");
        assert_eq!(names(listing)[0], b".hidden");
        let listing = list(&jail, &root, &ListArg::parse(b"sub/"), Format::Long).expect("list");
        assert_eq!(listing.prefix, b"sub/");
        let first = &entries(&jail, listing)[0];
        assert_eq!(first.name, b"c.bin");
        assert_eq!((first.kind, first.size), (EntryKind::File, Some(3)));
    }

    #[test]
    fn a_file_is_listed_under_the_name_given_and_patterns_filter() {
        let (_dir, jail) = tree();
        let sub = VirtualPath::root().join(b"sub");
        let listing = list(&jail, &sub, &ListArg::parse(b"../a.txt"), Format::Long).expect("list");
        assert_eq!(names(listing), [&b"../a.txt"[..]]);
        let root = VirtualPath::root();
        let listing = list(&jail, &root, &ListArg::parse(b"*.txt"), Format::Long).expect("list");
        assert_eq!(names(listing), [&b"a.txt"[..], b"b.txt"]);
        assert_eq!(
            rendered(&jail, b"sub/*.bin", Format::Names),
            b"sub/c.bin\r\n"
        );
        assert!(list(&jail, &root, &ListArg::parse(b"missing"), Format::Long).is_err());
    }

    #[test]
    fn rendering_ends_lines_with_crlf_in_every_format() {
        let (_dir, jail) = tree();
        assert_eq!(rendered(&jail, b"sub", Format::Names), b"sub/c.bin\r\n");
        let long = rendered(&jail, b"sub", Format::Long);
        assert!(
            long.starts_with(b"-rw") && long.ends_with(b" c.bin\r\n"),
            "{long:?}"
        );
        let facts = rendered(&jail, b"sub", Format::Facts(Facts::default()));
        assert!(facts.starts_with(b"type=file;size=3;") && facts.ends_with(b" c.bin\r\n"));
    }

    #[test]
    fn names_with_line_breaks_are_left_out() {
        let (dir, storage) = tree();
        fs::write(
            dir.0
                .join("evil\r\n-rw-r--r-- 1 root root 0 Jan 1 00:00 fake"),
            b"x",
        )
        .expect("write");
        fs::write(dir.0.join("lf\nonly"), b"x").expect("write");
        for format in [Format::Names, Format::Long] {
            let listing = rendered(&storage, b"", format);
            let text = String::from_utf8_lossy(&listing);
            assert!(!text.contains("fake") && !text.contains("only"), "{text}");
            assert_eq!(text.lines().count(), 3, "{text}");
        }
    }

    #[test]
    fn a_directory_beyond_the_sorted_limit_is_streamed_whole() {
        let (dir, jail) = tree();
        for n in 0..SORTED_LIMIT + 5 {
            fs::File::create(dir.0.join(format!("sub/n{n:05}"))).expect("create");
        }
        let listing = list(
            &jail,
            &VirtualPath::root(),
            &ListArg::parse(b"sub"),
            Format::Long,
        )
        .expect("list");
        assert!(matches!(listing.source, Source::Streamed { .. }));
        let mut got = names(listing);
        assert_eq!(got.len(), SORTED_LIMIT + 6, "every name, once");
        got.sort();
        got.dedup();
        assert_eq!(got.len(), SORTED_LIMIT + 6);
        // A pattern that keeps few of them sorts them as before.
        let listing = list(
            &jail,
            &VirtualPath::root(),
            &ListArg::parse(b"sub/n0000?"),
            Format::Long,
        )
        .expect("list");
        assert!(matches!(listing.source, Source::Sorted { .. }));
        assert_eq!(names(listing).len(), 10);
    }

    #[test]
    fn symlinks_inside_are_followed_and_outside_are_not() {
        let outside = Scratch::new("list-outside");
        fs::write(outside.0.join("secret"), b"12345").expect("write");
        let (dir, jail) = tree();
        std::os::unix::fs::symlink(outside.0.join("secret"), dir.0.join("out")).expect("link");
        std::os::unix::fs::symlink("a.txt", dir.0.join("in")).expect("link");
        let listing = list(
            &jail,
            &VirtualPath::root(),
            &ListArg::parse(b""),
            Format::Long,
        )
        .expect("list");
        let entries = entries(&jail, listing);
        let find = |name: &[u8]| entries.iter().find(|entry| entry.name == name);
        assert_eq!(
            find(b"in").map(|e| (e.kind, e.size)),
            Some((EntryKind::File, Some(1)))
        );
        assert_eq!(find(b"out").map(|e| e.kind), Some(EntryKind::Symlink));
    }
}
