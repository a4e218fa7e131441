//! Bounded counts per client address: sessions (`--max-sessions`,
//! `--max-per-ip`) and passive listeners (one address may not hold the
//! whole `--pasv-ports` range).
//!
//! [`Limits::acquire`] hands out a [`Slot`] while both the total and the
//! address's count are below their bounds; dropping the slot gives it back.
//!
//! What it does not do: decide what to answer when a limit is reached (the
//! server answers `421`, a passive command `425`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Counts of something held, in all and per client address, each bounded.
#[derive(Debug)]
pub struct Limits {
    max_total: usize,
    max_per_ip: usize,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// A place in the limits, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    limits: Arc<Limits>,
    ip: IpAddr,
}

impl Limits {
    /// At most `max_total` in all and `max_per_ip` per client address.
    pub fn new(max_total: usize, max_per_ip: usize) -> Limits {
        Limits {
            max_total,
            max_per_ip,
            counts: Mutex::new(Counts::default()),
        }
    }

    /// A slot for `ip` (IPv4-mapped IPv6 counts as IPv4), or `None` when a
    /// limit is reached.
    pub fn acquire(limits: &Arc<Limits>, ip: IpAddr) -> Option<Slot> {
        let ip = ip.to_canonical();
        let mut counts = limits.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let from_ip = counts.per_ip.get(&ip).copied().unwrap_or(0);
        if counts.total >= limits.max_total || from_ip >= limits.max_per_ip {
            return None;
        }
        counts.total += 1;
        counts.per_ip.insert(ip, from_ip + 1);
        Some(Slot {
            limits: Arc::clone(limits),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self
            .limits
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.total -= 1;
        if let Some(count) = counts.per_ip.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn limits_count_in_all_and_per_address() {
        let limits = Arc::new(Limits::new(3, 2));
        let a1 = Limits::acquire(&limits, ip("10.0.0.1")).expect("first");
        let _a2 = Limits::acquire(&limits, ip("::ffff:10.0.0.1")).expect("mapped is the same ip");
        assert!(
            Limits::acquire(&limits, ip("10.0.0.1")).is_none(),
            "per-ip limit"
        );
        let _b1 = Limits::acquire(&limits, ip("10.0.0.2")).expect("other ip");
        assert!(
            Limits::acquire(&limits, ip("10.0.0.3")).is_none(),
            "global limit"
        );
        drop(a1);
        assert!(
            Limits::acquire(&limits, ip("10.0.0.3")).is_some(),
            "slot given back"
        );
    }
}
