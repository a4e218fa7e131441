//! Transfer rate limits (tnftp's `-T` flag and `rate` command) and the
//! throttle that keeps a transfer under one.
//!
//! A limit is in bytes per second, for downloads (`get`), uploads (`put`) or
//! both (`all`). The throttle sleeps in the transfer's progress callback
//! whenever the bytes moved so far are ahead of the limit, so the data
//! connection is read or written no faster than allowed. tnftp's optional
//! increment (the step of its signal-driven rate changes) is accepted and
//! ignored.

use std::time::{Duration, Instant};

/// The limits, in bytes per second; `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rates {
    /// Downloads.
    pub get: Option<u64>,
    /// Uploads.
    pub put: Option<u64>,
}

/// Which transfers a limit is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `get`: downloads.
    Get,
    /// `put`: uploads.
    Put,
    /// `all`: both.
    All,
}

impl Direction {
    /// `all`, `get` or `put`.
    pub fn parse(word: &str) -> Option<Direction> {
        match word.to_ascii_lowercase().as_str() {
            "all" => Some(Direction::All),
            "get" => Some(Direction::Get),
            "put" => Some(Direction::Put),
            _ => None,
        }
    }
}

impl Rates {
    /// Sets the limit of `direction` (0 removes it).
    pub fn set(&mut self, direction: Direction, limit: u64) {
        let limit = (limit > 0).then_some(limit);
        if direction != Direction::Put {
            self.get = limit;
        }
        if direction != Direction::Get {
            self.put = limit;
        }
    }

    /// Applies `-T direction,maximum[,increment]`.
    ///
    /// ```
    /// use ftp_client::shell::rate::Rates;
    ///
    /// let mut rates = Rates::default();
    /// rates.apply_flag("get,100k")?;
    /// assert_eq!((rates.get, rates.put), (Some(102_400), None));
    /// # Ok::<(), String>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A message for a direction or number that does not parse.
    pub fn apply_flag(&mut self, text: &str) -> Result<(), String> {
        let mut parts = text.split(',');
        let direction = parts.next().and_then(Direction::parse);
        let limit = parts.next().and_then(parse_bytes);
        let increment_ok = parts.next().is_none_or(|inc| parse_bytes(inc).is_some());
        match (direction, limit, increment_ok, parts.next()) {
            (Some(direction), Some(limit), true, None) => {
                self.set(direction, limit);
                Ok(())
            }
            _ => Err(format!(
                "bad rate {text:?}: expected all|get|put,maximum[,increment]"
            )),
        }
    }

    /// `rate`'s answer: the limits as tnftp shows them.
    pub fn describe(&self) -> String {
        let show = |limit: Option<u64>| match limit {
            Some(limit) => format!("{limit} bytes/s"),
            None => "off".to_string(),
        };
        format!(
            "Get transfer rate throttle: {}\nPut transfer rate throttle: {}",
            show(self.get),
            show(self.put)
        )
    }
}

/// A number of bytes with an optional `k`, `m` or `g` suffix (powers of 1024).
pub fn parse_bytes(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let (digits, unit) = match lower.char_indices().last()? {
        (at, 'k') => (&lower[..at], 1 << 10),
        (at, 'm') => (&lower[..at], 1 << 20),
        (at, 'g') => (&lower[..at], 1 << 30),
        _ => (lower.as_str(), 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

/// Keeps one transfer at or under a rate.
#[derive(Debug)]
pub struct Throttle {
    limit: Option<u64>,
    start: Instant,
}

impl Throttle {
    /// A throttle starting now; `None` never waits.
    pub fn new(limit: Option<u64>) -> Throttle {
        Throttle {
            limit,
            start: Instant::now(),
        }
    }

    /// How long to wait, after `moved` bytes in all, to be back at the rate.
    pub fn delay(&self, moved: u64, now: Instant) -> Duration {
        let Some(limit) = self.limit else {
            return Duration::ZERO;
        };
        let due = Duration::from_secs_f64(moved as f64 / limit as f64);
        due.saturating_sub(now.duration_since(self.start))
    }

    /// Waits as [`Throttle::delay`] says.
    pub fn wait(&self, moved: u64) {
        let delay = self.delay(moved, Instant::now());
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_set_one_or_both_directions() {
        let mut rates = Rates::default();
        rates.apply_flag("all,1000").expect("valid");
        assert_eq!((rates.get, rates.put), (Some(1000), Some(1000)));
        rates.apply_flag("put,2m,1k").expect("valid");
        assert_eq!(rates.put, Some(2 << 20));
        rates.apply_flag("get,0").expect("valid");
        assert_eq!(rates.get, None);
        for bad in ["", "both,1", "get", "get,x", "get,1,2,3", "get,1,x"] {
            assert!(rates.apply_flag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_throttle_waits_until_the_bytes_are_due() {
        let throttle = Throttle::new(Some(1000));
        let start = throttle.start;
        assert_eq!(throttle.delay(500, start), Duration::from_millis(500));
        assert_eq!(
            throttle.delay(500, start + Duration::from_secs(1)),
            Duration::ZERO
        );
        assert_eq!(Throttle::new(None).delay(u64::MAX, start), Duration::ZERO);
    }
}
