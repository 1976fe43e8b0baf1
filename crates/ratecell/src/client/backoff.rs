//! [`Backoff`]: capped exponential backoff, with jitter.
//!
//! The ceiling of attempt `n` (counting from 0) is `min(cap, base * 2^n)`. The jitter
//! strategies, as described in "Exponential Backoff And Jitter" (Marc Brooker, AWS
//! Architecture Blog, 2015), draw the actual wait from it:
//!
//! | [`Jitter`] | wait for attempt `n` | bounds |
//! |---|---|---|
//! | `None` | the ceiling | exactly `ceil_n` |
//! | `Full` | uniform in `[0, ceil_n]` | `0 ..= ceil_n` |
//! | `Equal` | `ceil_n / 2` plus uniform in `[0, ceil_n / 2]` | `ceil_n / 2 ..= ceil_n` (rounded up) |
//! | `Decorrelated` | uniform in `[base, 3 * previous]`, capped | `base ..= min(cap, 3 * previous)` |
//!
//! Bounds are inclusive and every value is whole nanoseconds. `previous` is the last wait
//! returned (the base before the first), kept in a small [`BackoffState`] next to the
//! attempt counter, in the same shape as the rate limiters' policy and state. Arithmetic
//! saturates: any attempt number and any base and cap are safe.

use core::fmt;

use super::rng::{Random, uniform};
use crate::time::Nanos;

/// How the wait is drawn from the exponential ceiling.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Jitter {
    /// No randomness: exactly the ceiling. Synchronised clients stay synchronised.
    None,
    /// Uniform between zero and the ceiling: the least total load on the server.
    #[default]
    Full,
    /// Half the ceiling plus a uniform draw up to the other half: never much shorter than
    /// the ceiling.
    Equal,
    /// Uniform between the base and three times the previous wait, capped: grows from the
    /// last wait instead of the attempt number.
    Decorrelated,
}

/// A capped exponential backoff schedule. Immutable; the attempt count lives in a
/// [`BackoffState`].
///
/// ```
/// use ratecell::Nanos;
/// use ratecell::client::{Backoff, BackoffState, Jitter, SplitMix64};
///
/// let backoff = Backoff::new(Nanos::from_millis(100), Nanos::from_secs(1), Jitter::None)?;
/// let mut state = BackoffState::default();
/// let mut rng = SplitMix64::new(1);
/// let waits: Vec<_> = (0..6).map(|_| backoff.next(&mut state, &mut rng).as_nanos() / 1_000_000).collect();
/// assert_eq!(waits, [100, 200, 400, 800, 1000, 1000]);
/// # Ok::<(), ratecell::client::BackoffError>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Backoff {
    base: Nanos,
    cap: Nanos,
    jitter: Jitter,
}

/// Where a retry sequence stands: attempts so far and the last wait. `Default` is a new
/// sequence.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct BackoffState {
    attempt: u32,
    previous: Nanos,
}

impl BackoffState {
    /// A new sequence (the same as `Default`).
    pub const fn new() -> BackoffState {
        BackoffState {
            attempt: 0,
            previous: Nanos::ZERO,
        }
    }

    /// Waits handed out so far.
    pub const fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The last wait handed out (zero before the first).
    pub const fn previous(&self) -> Nanos {
        self.previous
    }

    /// Rebuilds a state from [`BackoffState::attempt`] and [`BackoffState::previous`], for
    /// keeping it outside Rust (a C struct).
    ///
    /// ```
    /// use ratecell::Nanos;
    /// use ratecell::client::BackoffState;
    /// let s = BackoffState::from_parts(3, Nanos::from_millis(800));
    /// assert_eq!((s.attempt(), s.previous()), (3, Nanos::from_millis(800)));
    /// assert_eq!(BackoffState::from_parts(0, Nanos::ZERO), BackoffState::new());
    /// ```
    pub const fn from_parts(attempt: u32, previous: Nanos) -> BackoffState {
        BackoffState { attempt, previous }
    }
}

/// Why backoff parameters were rejected.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BackoffError {
    /// The base is zero: the schedule would never grow.
    ZeroBase,
    /// The cap is below the base.
    CapBelowBase,
}

impl fmt::Display for BackoffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackoffError::ZeroBase => "the backoff base must be longer than zero",
            BackoffError::CapBelowBase => "the backoff cap must be at least the base",
        })
    }
}

impl core::error::Error for BackoffError {}

impl Backoff {
    /// Waits starting at `base`, doubling per attempt, never above `cap`.
    pub const fn new(base: Nanos, cap: Nanos, jitter: Jitter) -> Result<Backoff, BackoffError> {
        if base.as_nanos() == 0 {
            return Err(BackoffError::ZeroBase);
        }
        if cap.as_nanos() < base.as_nanos() {
            return Err(BackoffError::CapBelowBase);
        }
        Ok(Backoff { base, cap, jitter })
    }

    /// The first wait's ceiling.
    pub const fn base(&self) -> Nanos {
        self.base
    }

    /// The longest wait.
    pub const fn cap(&self) -> Nanos {
        self.cap
    }

    /// The jitter strategy.
    pub const fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// `min(cap, base * 2^attempt)`.
    pub const fn ceiling(&self, attempt: u32) -> Nanos {
        let grown = match 1_u64.checked_shl(attempt) {
            Some(factor) => self.base.as_nanos().saturating_mul(factor),
            None => u64::MAX,
        };
        let cap = self.cap.as_nanos();
        Nanos::new(if grown < cap { grown } else { cap })
    }

    /// The next wait, drawing from `rng` when jittered, and advances `state`.
    pub fn next<R: Random + ?Sized>(&self, state: &mut BackoffState, rng: &mut R) -> Nanos {
        let ceiling = self.ceiling(state.attempt).as_nanos();
        let wait = match self.jitter {
            Jitter::None => ceiling,
            Jitter::Full => uniform(rng, 0, ceiling),
            Jitter::Equal => {
                let half = ceiling.div_ceil(2);
                uniform(rng, half, ceiling)
            }
            Jitter::Decorrelated => {
                let previous = state.previous.max(self.base).as_nanos();
                let hi = previous.saturating_mul(3).min(self.cap.as_nanos());
                uniform(rng, self.base.as_nanos(), hi)
            }
        };
        let wait = Nanos::new(wait);
        state.attempt = state.attempt.saturating_add(1);
        state.previous = wait;
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::SplitMix64;

    #[test]
    fn rejects_unusable_parameters() {
        let s = Nanos::from_secs(1);
        assert_eq!(
            Backoff::new(Nanos::ZERO, s, Jitter::Full),
            Err(BackoffError::ZeroBase)
        );
        assert_eq!(
            Backoff::new(s, Nanos::from_millis(1), Jitter::Full),
            Err(BackoffError::CapBelowBase)
        );
    }

    #[test]
    fn ceiling_saturates_at_any_attempt() {
        let b = Backoff::new(Nanos::new(3), Nanos::MAX, Jitter::None).unwrap();
        assert_eq!(b.ceiling(0), Nanos::new(3));
        assert_eq!(b.ceiling(63), Nanos::MAX);
        assert_eq!(b.ceiling(u32::MAX), Nanos::MAX);
        let mut state = BackoffState {
            attempt: u32::MAX,
            previous: Nanos::MAX,
        };
        let mut rng = SplitMix64::new(0);
        for jitter in [
            Jitter::None,
            Jitter::Full,
            Jitter::Equal,
            Jitter::Decorrelated,
        ] {
            let b = Backoff::new(Nanos::new(1), Nanos::MAX, jitter).unwrap();
            let _ = b.next(&mut state, &mut rng);
        }
    }
}
