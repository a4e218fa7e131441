//! What a server costs in memory and descriptors, read from `/proc` (Linux).
//!
//! A server is a process and all its descendants: vsftpd forks one or two
//! processes per session, ftp-server runs one thread per session, pyftpdlib
//! serves every session from one thread. [`pss_kib`] sums the proportional
//! set size (PSS, `/proc/PID/smaps_rollup`: each shared page split between the
//! processes sharing it) over that whole tree, and [`descriptors`] the open
//! descriptors (`/proc/PID/fd`), so the three are measured the same way.
//!
//! It does not open sessions (see `workloads`); it only reads `/proc`.

use std::collections::HashMap;
use std::fs;
use std::io;

/// The PSS of process `root` and all its descendants, in KiB. `root` must be
/// readable; a descendant that cannot be read is ending (gone, a zombie, or
/// `ESRCH` while its memory is torn down) and has nothing left to count.
pub fn pss_kib(root: u32) -> io::Result<u64> {
    let mut total = process_pss_kib(root)?;
    for pid in tree(root)?.into_iter().skip(1) {
        total += process_pss_kib(pid).unwrap_or(0);
    }
    Ok(total)
}

/// The open descriptors of process `root` and all its descendants, counted
/// like [`pss_kib`]: a descendant that cannot be read is ending.
pub fn descriptors(root: u32) -> io::Result<u64> {
    let mut total = process_descriptors(root)?;
    for pid in tree(root)?.into_iter().skip(1) {
        total += process_descriptors(pid).unwrap_or(0);
    }
    Ok(total)
}

/// Whether process `pid` still runs: it exists and is not a zombie.
pub fn running(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| state(&stat))
        .is_some_and(|state| !matches!(state, 'Z' | 'X'))
}

/// The open descriptors of one process: the entries of `/proc/PID/fd`.
fn process_descriptors(pid: u32) -> io::Result<u64> {
    let mut count = 0;
    for entry in fs::read_dir(format!("/proc/{pid}/fd"))? {
        entry?;
        count += 1;
    }
    Ok(count)
}

/// The PSS of one process, in KiB.
fn process_pss_kib(pid: u32) -> io::Result<u64> {
    let rollup = fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))?;
    field_number(&rollup, "Pss:")
        .ok_or_else(|| io::Error::other(format!("no Pss for process {pid}")))
}

/// `root` and its descendants, `root` first.
fn tree(root: u32) -> io::Result<Vec<u32>> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in fs::read_dir("/proc")? {
        let Ok(pid) = entry?.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        // A process may end between the listing and this read.
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if let Some(parent) = parent_pid(&stat) {
            children.entry(parent).or_default().push(pid);
        }
    }
    Ok(descendants(root, &children))
}

/// `root` followed by everything below it in `children` (parent -> children).
fn descendants(root: u32, children: &HashMap<u32, Vec<u32>>) -> Vec<u32> {
    let mut found = vec![root];
    let mut next = 0;
    while let Some(&pid) = found.get(next) {
        found.extend(children.get(&pid).into_iter().flatten());
        next += 1;
    }
    found
}

/// The parent's pid from a `/proc/PID/stat` line: the fourth field, counted
/// after the command name, which is in parentheses and may hold spaces and
/// parentheses itself.
fn parent_pid(stat: &str) -> Option<u32> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// The state from a `/proc/PID/stat` line (`R`, `S`, `Z`...): the first field
/// after the command name.
fn state(stat: &str) -> Option<char> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().next()?.chars().next()
}

/// The number after `name` on the line that starts with it, as in
/// `Pss:                 1234 kB`.
fn field_number(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLLUP: &str = "\
55d0c2a5e000-7ffd4b1f2000 ---p 00000000 00:00 0                          [rollup]
Rss:                1920 kB
Pss:                 611 kB
Pss_Dirty:           280 kB
Pss_Anon:            280 kB
Shared_Clean:       1300 kB
";

    #[test]
    fn pss_is_read_from_its_own_line_not_pss_dirty() {
        assert_eq!(field_number(ROLLUP, "Pss:"), Some(611));
        assert_eq!(field_number(ROLLUP, "Swap:"), None);
    }

    #[test]
    fn parent_pid_survives_odd_command_names() {
        let plain = "1234 (vsftpd) S 1200 1234 1200 0 -1 4194560 107 0 0 0";
        assert_eq!(parent_pid(plain), Some(1200));
        let odd = "77 (a) b (c) R 5 77 5 0";
        assert_eq!(parent_pid(odd), Some(5));
        assert_eq!(parent_pid("77 (truncated"), None);
    }

    #[test]
    fn the_state_follows_the_command_name() {
        let zombie = "1234 (ftp-server) Z 1200 1234 1200 0 -1";
        assert_eq!(state(zombie), Some('Z'));
        assert_eq!(state("77 (a) b (c) S 5 77"), Some('S'));
        assert_eq!(state("77 (truncated"), None);
        assert_eq!(state("77 (a)"), None);
    }

    #[test]
    fn descriptors_count_what_a_process_and_its_children_hold() {
        // Other tests open and close files meanwhile: hence the margins.
        let own = std::process::id();
        assert!(running(own));
        let before = process_descriptors(own).expect("own /proc entry") as i64;
        let files: Vec<std::fs::File> = (0..200)
            .map(|_| std::fs::File::open("/proc/self/stat").expect("opened"))
            .collect();
        let during = process_descriptors(own).expect("again") as i64;
        drop(files);
        assert!(
            (180..=220).contains(&(during - before)),
            "{before} → {during}"
        );
        let mut child = std::process::Command::new("sleep")
            .arg("10")
            .stdin(std::process::Stdio::null())
            .spawn()
            .expect("sleep runs");
        let with_child = descriptors(own);
        let child_alone = process_descriptors(child.id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(!running(child.id()), "reaped");
        let child_alone = child_alone.expect("child's /proc entry");
        assert!(child_alone >= 3, "{child_alone}");
        assert!(with_child.expect("tree") >= child_alone + 3);
    }

    #[test]
    fn descendants_include_grandchildren_but_not_siblings() {
        let children = HashMap::from([
            (1, vec![10, 20]),
            (10, vec![11]),
            (11, vec![12]),
            (2, vec![30]),
        ]);
        let mut found = descendants(10, &children);
        found.sort();
        assert_eq!(found, [10, 11, 12]);
    }

    #[test]
    fn a_process_tree_includes_its_children() {
        let own = std::process::id();
        assert!(pss_kib(own).expect("own /proc entry") > 0);
        let mut child = std::process::Command::new("sleep")
            .arg("10")
            .spawn()
            .expect("sleep runs");
        let found = tree(own).expect("/proc");
        let child_pss = process_pss_kib(child.id());
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(found.first(), Some(&own));
        assert!(found.contains(&child.id()), "{found:?}");
        assert!(child_pss.expect("child's /proc entry") > 0);
    }
}
