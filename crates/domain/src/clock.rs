//! The `Clock` port: every use case reads the time from here, never from the system directly, so
//! that tests can fix and move time.

use chrono::{DateTime, Duration, Utc};
use std::sync::Mutex;

/// Where the current time comes from.
pub trait Clock: Send + Sync + 'static {
    /// The current instant in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock of the machine.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until it is moved: for tests and benchmarks. Told to tick, every
/// reading moves it on by a step, as time passes between two readings of a real clock (which is
/// what races between requests depend on).
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
    tick: Mutex<Duration>,
}

impl FixedClock {
    /// A clock fixed at `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(now),
            tick: Mutex::new(Duration::zero()),
        }
    }

    /// Makes every later reading move the clock on by `step` (zero: stand still again).
    pub fn tick(&self, step: Duration) {
        *self
            .tick
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = step;
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: DateTime<Utc>) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now = to;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        let step = *self
            .tick
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let read = *now;
        *now += step;
        read
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap();
        let clock = FixedClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::hours(2));
        assert_eq!(clock.now(), start + Duration::hours(2));
        clock.set(start);
        assert_eq!(clock.now(), start);
        clock.tick(Duration::milliseconds(1));
        assert_eq!(clock.now(), start);
        assert_eq!(clock.now(), start + Duration::milliseconds(1));
        clock.tick(Duration::zero());
        assert_eq!(clock.now(), start + Duration::milliseconds(2));
        assert_eq!(clock.now(), start + Duration::milliseconds(2));
    }
}
