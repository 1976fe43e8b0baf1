//! The circuit breaker: after repeated failures, stop asking Redis for a while, then probe.
//!
//! Without it, every request during an outage would wait for a timeout and add to the storm of
//! reconnections. With it, an open circuit answers at once (the failure policy decides), a
//! single probe tests Redis when the backoff has passed, and the first success closes it again.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::options::Breaker as Settings;

/// Where the circuit stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Health {
    /// Redis answers; `failures` consecutive calls failed since the last success.
    Closed {
        /// Consecutive failures so far (below the threshold).
        failures: u32,
    },
    /// Redis failed; it is not asked before `retry_in` has passed.
    Open {
        /// How long until the next probe.
        retry_in: Duration,
    },
    /// One call is probing Redis; the others are not sent until it succeeds.
    Probing,
}

#[derive(Copy, Clone, Debug)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
        backoff: Duration,
    },
    /// A probe is in flight; if it never reports (a cancelled future), another may go at
    /// `until`.
    Probing {
        backoff: Duration,
        until: Instant,
    },
}

/// Whether a call may go to Redis.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Yes.
    Go,
    /// No: the circuit is open for this long still.
    Skip(Duration),
}

#[derive(Debug)]
pub(crate) struct CircuitBreaker {
    settings: Settings,
    state: Mutex<State>,
}

impl CircuitBreaker {
    pub(crate) fn new(settings: Settings) -> CircuitBreaker {
        CircuitBreaker {
            settings,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks before a call. An open circuit whose backoff has passed lets exactly one call
    /// through as a probe.
    pub(crate) fn admit(&self) -> Admission {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Admission::Go,
            State::Open { until, backoff } | State::Probing { backoff, until } => {
                let now = Instant::now();
                if now >= until {
                    *state = State::Probing {
                        backoff,
                        until: now + self.settings.open_for,
                    };
                    Admission::Go
                } else {
                    Admission::Skip(until - now)
                }
            }
        }
    }

    /// Reports a call that Redis answered.
    pub(crate) fn success(&self) {
        *self.lock() = State::Closed { failures: 0 };
    }

    /// Reports a call that failed for lack of Redis (see `Error::is_unavailable`).
    pub(crate) fn failure(&self) {
        let mut state = self.lock();
        let open = |backoff: Duration| State::Open {
            until: Instant::now() + backoff,
            backoff,
        };
        *state = match *state {
            State::Closed { failures } if failures + 1 < self.settings.failures => State::Closed {
                failures: failures + 1,
            },
            State::Closed { .. } => open(self.settings.open_for),
            State::Probing { backoff, .. } => open(
                (backoff * 2)
                    .min(self.settings.max_open_for)
                    .max(self.settings.open_for),
            ),
            // A call admitted before the circuit opened failed too: the circuit stays as it is.
            open_already @ State::Open { .. } => open_already,
        };
    }

    pub(crate) fn health(&self) -> Health {
        match *self.lock() {
            State::Closed { failures } => Health::Closed { failures },
            State::Open { until, .. } => Health::Open {
                retry_in: until.saturating_duration_since(Instant::now()),
            },
            State::Probing { .. } => Health::Probing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            failures: 2,
            open_for: Duration::from_millis(20),
            max_open_for: Duration::from_millis(50),
        }
    }

    #[test]
    fn opens_after_consecutive_failures_and_a_success_resets_the_count() {
        let b = CircuitBreaker::new(settings());
        b.failure();
        b.success();
        b.failure();
        assert_eq!(b.health(), Health::Closed { failures: 1 });
        assert_eq!(b.admit(), Admission::Go);
        b.failure();
        assert!(matches!(b.admit(), Admission::Skip(_)));
        assert!(matches!(b.health(), Health::Open { .. }));
    }

    #[test]
    fn one_probe_at_a_time_and_backoff_doubles_up_to_the_maximum() {
        let b = CircuitBreaker::new(settings());
        b.failure();
        b.failure();
        std::thread::sleep(Duration::from_millis(25));
        assert_eq!(b.admit(), Admission::Go);
        assert_eq!(b.health(), Health::Probing);
        assert!(matches!(b.admit(), Admission::Skip(_)));
        b.failure();
        let Health::Open { retry_in } = b.health() else {
            panic!("open after a failed probe")
        };
        assert!(retry_in > Duration::from_millis(20) && retry_in <= Duration::from_millis(40));
        std::thread::sleep(Duration::from_millis(45));
        assert_eq!(b.admit(), Admission::Go);
        b.failure();
        let Health::Open { retry_in } = b.health() else {
            panic!("open after a failed probe")
        };
        assert!(retry_in > Duration::from_millis(40) && retry_in <= Duration::from_millis(50));
        std::thread::sleep(Duration::from_millis(55));
        assert_eq!(b.admit(), Admission::Go);
        b.success();
        assert_eq!(b.health(), Health::Closed { failures: 0 });
    }
}
