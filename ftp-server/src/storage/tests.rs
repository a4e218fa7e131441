//! Tests of the jail and of uploads, on scratch directories with real
//! symlinks.

use super::*;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{fchown, symlink, MetadataExt};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// A scratch directory under the system's temporary directory, removed on drop.
pub(crate) struct Scratch(pub PathBuf);

impl Scratch {
    pub(crate) fn new(tag: &str) -> Scratch {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("ftp-server-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("scratch dir");
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn v(path: &[u8]) -> VirtualPath {
    VirtualPath::root().join(path)
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).expect("stat").mode() & 0o7777
}

fn running_as_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// A root with `pub/a.txt`, `sub/`, and an outside directory with `secret`;
/// the root holds `escape` -> outside, `secret` -> outside/secret and
/// `ok` -> pub/a.txt.
struct Tree {
    root: Scratch,
    outside: Scratch,
    storage: Storage,
}

impl Tree {
    fn new(tag: &str) -> Tree {
        let root = Scratch::new(tag);
        let outside = Scratch::new(&format!("{tag}-outside"));
        fs::create_dir(root.0.join("pub")).expect("mkdir");
        fs::write(root.0.join("pub/a.txt"), b"inside").expect("write");
        fs::create_dir(root.0.join("sub")).expect("mkdir");
        fs::write(outside.0.join("secret"), b"SECRET").expect("write");
        symlink(&outside.0, root.0.join("escape")).expect("symlink");
        symlink(outside.0.join("secret"), root.0.join("secret")).expect("symlink");
        symlink("pub/a.txt", root.0.join("ok")).expect("symlink");
        let storage = Storage::open(&root.0, false).expect("storage");
        Tree {
            root,
            outside,
            storage,
        }
    }

    fn read(&self, path: &[u8]) -> io::Result<Vec<u8>> {
        let (mut file, _) = self.storage.open_file(&v(path))?;
        let mut out = Vec::new();
        io::Read::read_to_end(&mut file, &mut out)?;
        Ok(out)
    }
}

#[test]
fn files_inside_are_read_and_links_inside_are_followed() {
    let tree = Tree::new("jail-read");
    assert_eq!(tree.read(b"/pub/a.txt").expect("read"), b"inside");
    assert_eq!(tree.read(b"/ok").expect("link inside"), b"inside");
    assert_eq!(tree.storage.metadata(&v(b"/ok")).expect("stat").len(), 6);
    // An absolute link to a place inside the root is followed too.
    symlink(tree.root.0.join("pub"), tree.root.0.join("abs")).expect("symlink");
    assert_eq!(
        tree.read(b"/abs/a.txt").expect("absolute inside"),
        b"inside"
    );
    // A relative link that climbs and comes back down stays inside.
    symlink("../pub", tree.root.0.join("sub/up")).expect("symlink");
    assert_eq!(tree.read(b"/sub/up/a.txt").expect("up and down"), b"inside");
}

#[test]
fn links_that_lead_outside_are_not_found() {
    let tree = Tree::new("jail-outside");
    let secret_mode = mode(&tree.outside.0.join("secret"));
    symlink("../..", tree.root.0.join("sub/climb")).expect("symlink");
    for path in [
        &b"/escape"[..],
        b"/escape/secret",
        b"/secret",
        b"/sub/climb",
    ] {
        let err = tree.storage.metadata(&v(path)).expect_err("outside");
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{path:?}");
        assert!(tree.read(path).is_err(), "{path:?}");
    }
    assert!(tree.storage.open_dir(&v(b"/escape")).is_err());
    assert!(tree.storage.create_dir(&v(b"/escape/new")).is_err());
    assert!(tree.storage.set_mode(&v(b"/secret"), 0o777).is_err());
    assert!(tree
        .storage
        .upload(&v(b"/secret"), WriteMode::Append)
        .is_err());
    assert!(tree
        .storage
        .upload(&v(b"/escape/f"), WriteMode::Replace)
        .is_err());
    assert_eq!(mode(&tree.outside.0.join("secret")), secret_mode);
    assert_eq!(fs::read_dir(&tree.outside.0).expect("ls").count(), 1);
    // The links themselves can be named, removed and renamed.
    tree.storage.entry_exists(&v(b"/secret")).expect("the link");
    tree.storage
        .rename(&v(b"/secret"), &v(b"/sub/moved"))
        .expect("rename the link");
    tree.storage
        .remove_file(&v(b"/sub/moved"))
        .expect("remove the link");
    assert_eq!(
        fs::read(tree.outside.0.join("secret")).expect("kept"),
        b"SECRET"
    );
}

#[test]
fn a_directory_swapped_for_a_link_is_read_as_the_link() {
    let tree = Tree::new("jail-swap");
    fs::write(tree.root.0.join("sub/f"), b"sub").expect("write");
    assert_eq!(tree.read(b"/sub/f").expect("before"), b"sub");
    // What a racing local user does between two steps of a command.
    fs::rename(tree.root.0.join("sub"), tree.root.0.join("sub.real")).expect("rename");
    symlink(&tree.outside.0, tree.root.0.join("sub")).expect("symlink");
    let err = tree.read(b"/sub/secret").expect_err("outside");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(tree.storage.remove_file(&v(b"/sub/secret")).is_err());
    assert_eq!(
        fs::read(tree.outside.0.join("secret")).expect("kept"),
        b"SECRET"
    );
}

#[test]
fn an_open_directory_keeps_its_place_when_swapped() {
    let tree = Tree::new("jail-held");
    fs::write(tree.root.0.join("sub/f"), b"sub").expect("write");
    let dir = tree.storage.open_dir(&v(b"/sub")).expect("open");
    fs::rename(tree.root.0.join("sub"), tree.root.0.join("sub.real")).expect("rename");
    symlink(&tree.outside.0, tree.root.0.join("sub")).expect("symlink");
    let names: Vec<Vec<u8>> = tree
        .storage
        .entries(&dir)
        .expect("entries")
        .map(|entry| entry.map(|entry| entry.name()))
        .collect::<io::Result<_>>()
        .expect("read");
    assert_eq!(names, vec![b"f".to_vec()]);
}

#[test]
fn links_in_listings_show_their_target_only_inside() {
    let tree = Tree::new("jail-listing");
    let dir = tree.storage.open_dir(&VirtualPath::root()).expect("root");
    let metadata = |name: &[u8]| {
        let entry = tree
            .storage
            .entries(&dir)
            .expect("entries")
            .map(|entry| entry.expect("read"))
            .find(|entry| entry.name() == name)
            .expect("listed");
        tree.storage.metadata_of(&dir, &entry).expect("metadata")
    };
    let ok = metadata(b"ok");
    assert!(ok.is_file() && ok.len() == 6);
    let secret = metadata(b"secret");
    assert!(secret.file_type().is_symlink(), "shown as the link itself");
}

#[test]
fn link_loops_end() {
    let tree = Tree::new("jail-loop");
    symlink("b", tree.root.0.join("a")).expect("symlink");
    symlink("a", tree.root.0.join("b")).expect("symlink");
    let err = tree.storage.metadata(&v(b"/a")).expect_err("loop");
    assert_eq!(err.raw_os_error(), Some(40), "{err}");
}

#[test]
fn the_root_itself_is_never_changed() {
    let tree = Tree::new("jail-root");
    symlink(".", tree.root.0.join("self")).expect("symlink");
    let before = mode(&tree.root.0);
    for path in [&b"/"[..], b"/self", b"/pub/.."] {
        let path = v(path);
        let err = tree.storage.set_mode(&path, 0o777).expect_err("chmod root");
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{path}");
        assert!(tree
            .storage
            .set_modified(&path, SystemTime::UNIX_EPOCH)
            .is_err());
    }
    for refused in [
        tree.storage.remove_dir(&VirtualPath::root()),
        tree.storage.rename(&VirtualPath::root(), &v(b"/x")),
        tree.storage.entry_exists(&VirtualPath::root()),
    ] {
        assert_eq!(
            refused.expect_err("root").kind(),
            io::ErrorKind::PermissionDenied
        );
    }
    assert_eq!(mode(&tree.root.0), before);
    // Below the root, the same commands work.
    tree.storage
        .set_mode(&v(b"/pub"), 0o750)
        .expect("chmod pub");
    assert_eq!(mode(&tree.root.0.join("pub")), 0o750);
    tree.storage
        .set_modified(&v(b"/pub/a.txt"), SystemTime::UNIX_EPOCH)
        .expect("mfmt");
}

#[test]
fn special_files_are_refused_before_they_are_opened() {
    let tree = Tree::new("jail-special");
    let socket = tree.root.0.join("socket");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("socket file");
    let path = v(b"/socket");
    let unsupported = |result: io::Result<()>| {
        assert_eq!(
            result.expect_err("special").kind(),
            io::ErrorKind::Unsupported
        );
    };
    unsupported(tree.storage.open_file(&path).map(drop));
    unsupported(tree.storage.set_modified(&path, SystemTime::UNIX_EPOCH));
    unsupported(tree.storage.set_mode(&path, 0o600));
    for mode in [WriteMode::Replace, WriteMode::Append, WriteMode::At(0)] {
        unsupported(tree.storage.upload(&path, mode).map(drop));
    }
}

#[test]
fn anonymous_sees_only_what_everyone_may_see() {
    let tree = Tree::new("jail-world");
    fs::create_dir(tree.root.0.join("private")).expect("mkdir");
    fs::write(tree.root.0.join("private/f"), b"p").expect("write");
    fs::set_permissions(tree.root.0.join("private"), Permissions::from_mode(0o700)).expect("chmod");
    fs::write(tree.root.0.join("pub/mine"), b"m").expect("write");
    fs::set_permissions(tree.root.0.join("pub/mine"), Permissions::from_mode(0o640))
        .expect("chmod");
    fs::create_dir(tree.root.0.join("dropbox")).expect("mkdir");
    fs::set_permissions(tree.root.0.join("dropbox"), Permissions::from_mode(0o733)).expect("chmod");
    let anonymous = Storage::open(&tree.root.0, true).expect("storage");
    let denied = |result: io::Result<()>| {
        assert_eq!(
            result.expect_err("denied").kind(),
            io::ErrorKind::PermissionDenied
        );
    };
    denied(anonymous.enter(&v(b"/private")));
    denied(anonymous.metadata(&v(b"/private/f")).map(drop));
    denied(anonymous.open_file(&v(b"/pub/mine")).map(drop));
    denied(anonymous.open_dir(&v(b"/dropbox")).map(drop));
    // What everyone may see is served.
    anonymous.enter(&v(b"/dropbox")).expect("enter a drop box");
    anonymous
        .open_file(&v(b"/pub/a.txt"))
        .expect("world-readable");
    anonymous.open_dir(&v(b"/pub")).expect("world-readable dir");
    // The same tree, for a named user, is whatever the system allows.
    tree.storage
        .open_file(&v(b"/pub/mine"))
        .expect("named user");
}

#[test]
fn a_replacing_upload_keeps_the_old_file_until_commit() {
    let tree = Tree::new("upload-replace");
    let target = tree.root.0.join("pub/a.txt");
    let mut upload = tree
        .storage
        .upload(&v(b"/pub/a.txt"), WriteMode::Replace)
        .expect("open");
    upload.write_all(b"new").expect("write");
    assert_eq!(fs::read(&target).expect("read"), b"inside");
    upload.commit().expect("commit");
    assert_eq!(fs::read(&target).expect("read"), b"new");
    assert_eq!(
        fs::read_dir(tree.root.0.join("pub")).expect("ls").count(),
        1
    );
}

#[test]
fn a_dropped_upload_leaves_the_old_file_and_no_temporary() {
    let tree = Tree::new("upload-drop");
    let mut upload = tree
        .storage
        .upload(&v(b"/pub/a.txt"), WriteMode::Replace)
        .expect("open");
    upload.write_all(b"partial").expect("write");
    drop(upload);
    assert_eq!(
        fs::read(tree.root.0.join("pub/a.txt")).expect("read"),
        b"inside"
    );
    assert_eq!(
        fs::read_dir(tree.root.0.join("pub")).expect("ls").count(),
        1
    );
}

#[test]
fn a_replaced_file_keeps_its_permission_bits_only() {
    let tree = Tree::new("upload-mode");
    let target = tree.root.0.join("pub/a.txt");
    fs::set_permissions(&target, Permissions::from_mode(0o4755)).expect("setuid");
    let upload = tree
        .storage
        .upload(&v(b"/pub/a.txt"), WriteMode::Replace)
        .expect("open");
    upload.commit().expect("commit");
    assert_eq!(mode(&target), 0o755, "no setuid bit");
}

#[test]
fn a_replaced_file_keeps_its_owner_where_the_server_may_set_it() {
    if !running_as_root() {
        println!("SKIPPED: only root can give a file to another user");
        return;
    }
    let tree = Tree::new("upload-owner");
    let target = tree.root.0.join("pub/a.txt");
    fchown(
        fs::File::open(&target).expect("open"),
        Some(65534),
        Some(65534),
    )
    .expect("chown");
    let upload = tree
        .storage
        .upload(&v(b"/pub/a.txt"), WriteMode::Replace)
        .expect("open");
    upload.commit().expect("commit");
    let meta = fs::metadata(&target).expect("stat");
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
}

#[test]
fn a_symlink_is_replaced_not_followed() {
    let tree = Tree::new("upload-link");
    let mut upload = tree
        .storage
        .upload(&v(b"/secret"), WriteMode::Replace)
        .expect("open");
    upload.write_all(b"mine").expect("write");
    upload.commit().expect("commit");
    assert_eq!(fs::read(tree.root.0.join("secret")).expect("read"), b"mine");
    assert_eq!(
        fs::read(tree.outside.0.join("secret")).expect("kept"),
        b"SECRET"
    );
}

#[test]
fn append_and_restart_write_in_place() {
    let tree = Tree::new("upload-inplace");
    let target = tree.root.0.join("pub/f");
    fs::write(&target, b"hello world").expect("write");
    let path = v(b"/pub/f");
    let mut upload = tree.storage.upload(&path, WriteMode::At(6)).expect("open");
    upload.write_all(b"there").expect("write");
    upload.commit().expect("commit");
    assert_eq!(fs::read(&target).expect("read"), b"hello there");
    let mut upload = tree.storage.upload(&path, WriteMode::Append).expect("open");
    upload.write_all(b"!").expect("write");
    drop(upload);
    assert_eq!(fs::read(&target).expect("read"), b"hello there!");
    let err = tree
        .storage
        .upload(&path, WriteMode::At(100))
        .expect_err("beyond end");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    // Appending through a link inside the root writes its target.
    let mut upload = tree
        .storage
        .upload(&v(b"/ok"), WriteMode::Append)
        .expect("link inside");
    upload.write_all(b"+").expect("write");
    drop(upload);
    assert_eq!(
        fs::read(tree.root.0.join("pub/a.txt")).expect("read"),
        b"inside+"
    );
}

#[test]
fn a_restart_changes_nothing_until_data_arrives() {
    let tree = Tree::new("upload-rest");
    let target = tree.root.0.join("pub/a.txt");
    drop(
        tree.storage
            .upload(&v(b"/pub/a.txt"), WriteMode::At(0))
            .expect("open"),
    );
    assert_eq!(fs::read(&target).expect("read"), b"inside", "not cut");
    let err = tree
        .storage
        .upload(&v(b"/pub/new"), WriteMode::At(5))
        .expect_err("nothing to restart");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(!tree.root.0.join("pub/new").exists(), "no empty file left");
    let upload = tree
        .storage
        .upload(&v(b"/pub/a.txt"), WriteMode::At(2))
        .expect("open");
    upload
        .commit()
        .expect("an empty restart ends the file there");
    assert_eq!(fs::read(&target).expect("read"), b"in");
}

#[test]
fn a_file_created_for_an_upload_that_got_nothing_is_removed() {
    let tree = Tree::new("upload-created");
    let new = tree.root.0.join("pub/new");
    for mode in [WriteMode::Append, WriteMode::At(0)] {
        drop(tree.storage.upload(&v(b"/pub/new"), mode).expect("open"));
        assert!(!new.exists(), "{mode:?}: left behind");
        // Data arrived: what came is kept, as far as it came.
        let mut upload = tree.storage.upload(&v(b"/pub/new"), mode).expect("open");
        upload.write_all(b"part").expect("write");
        drop(upload);
        assert_eq!(fs::read(&new).expect("kept"), b"part");
        fs::remove_file(&new).expect("clean up");
        // An empty upload that succeeded is an empty file.
        let upload = tree.storage.upload(&v(b"/pub/new"), mode).expect("open");
        upload.commit().expect("commit");
        assert_eq!(fs::read(&new).expect("kept"), b"");
        fs::remove_file(&new).expect("clean up");
    }
}

#[test]
fn unique_uploads_get_fresh_names() {
    let tree = Tree::new("upload-unique");
    let (_a, name_a) = tree.storage.upload_unique(&v(b"/pub")).expect("first");
    let (_b, name_b) = tree.storage.upload_unique(&v(b"/pub")).expect("second");
    assert_ne!(name_a, name_b);
    assert!(tree
        .root
        .0
        .join("pub")
        .join(std::ffi::OsStr::from_bytes(&name_a))
        .exists());
}

#[test]
fn file_size_limits_are_read_from_proc_limits() {
    let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                  Max cpu time              unlimited            unlimited            seconds   \n\
                  Max file size             1048576              unlimited            bytes     \n";
    assert_eq!(upload::parse_file_size_limit(limits), Some(1 << 20));
    let unlimited = limits.replace("1048576 ", "unlimited");
    assert_eq!(upload::parse_file_size_limit(&unlimited), None);
    assert_eq!(upload::parse_file_size_limit(""), None);
}

#[test]
fn writes_stop_at_the_file_size_limit() {
    let tree = Tree::new("upload-limit");
    fs::write(tree.root.0.join("pub/f"), b"0123").expect("write");
    let mut upload = tree
        .storage
        .upload(&v(b"/pub/f"), WriteMode::Append)
        .expect("open");
    upload.set_limit(10);
    upload.write_all(b"456789").expect("up to the limit");
    let err = upload.write_all(b"x").expect_err("past the limit");
    assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
    drop(upload);
    assert_eq!(
        fs::read(tree.root.0.join("pub/f")).expect("read"),
        b"0123456789"
    );
}

#[test]
fn a_name_too_long_is_refused_before_any_temporary_is_made() {
    let tree = Tree::new("upload-long");
    let name = "n".repeat(300);
    let err = tree
        .storage
        .upload(&v(name.as_bytes()), WriteMode::Replace)
        .expect_err("too long");
    assert_eq!(err.raw_os_error(), Some(36), "{err}");
    assert_eq!(fs::read_dir(&tree.root.0).expect("ls").count(), 5);
}

#[test]
fn replacing_a_directory_is_refused() {
    let tree = Tree::new("upload-dir");
    let err = tree
        .storage
        .upload(&v(b"/sub"), WriteMode::Replace)
        .expect_err("dir");
    assert_eq!(err.kind(), io::ErrorKind::IsADirectory);
}
