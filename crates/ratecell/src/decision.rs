//! [`Decision`]: the one outcome type every algorithm returns.

use core::fmt;

use crate::time::Nanos;

/// What a limiter decided about one request, and where the key stands afterwards.
///
/// A denial is a value, not an error: `allowed` is `false` and `retry_after` says how long
/// the same request must wait. All durations are exact nanoseconds.
///
/// The default value is a placeholder (a denial with every number zero), for slices that
/// receive member standings (`AllOf::check_keyed` with `std`).
///
/// ```
/// use ratecell::{Gcra, GcraState, Nanos, Quota};
///
/// let gcra = Gcra::new(Quota::per_second(2)?);
/// let mut key = GcraState::default();
/// let first = gcra.check(&mut key, Nanos::ZERO, 1)?;
/// assert!(first.allowed);
/// assert_eq!((first.limit, first.remaining), (2, 1));
/// assert_eq!(first.reset_after, Nanos::from_millis(500));
///
/// gcra.check(&mut key, Nanos::ZERO, 1)?;
/// let third = gcra.check(&mut key, Nanos::ZERO, 1)?;
/// assert!(!third.allowed);
/// assert_eq!(third.retry_after, Nanos::from_millis(500));
/// assert_eq!(third.to_string(), "denied: 0 of 2 remaining, retry after 500ms, reset after 1s");
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[must_use = "a Decision says whether the request may proceed"]
pub struct Decision {
    /// The request was admitted and recorded.
    pub allowed: bool,
    /// The policy's capacity: unit requests a fresh key may make at one instant (the burst).
    pub limit: u64,
    /// Unit requests still admissible at this instant.
    pub remaining: u64,
    /// How long until this same request would be admitted; zero when it was.
    pub retry_after: Nanos,
    /// How long until the key is back to a fresh state (full capacity).
    pub reset_after: Nanos,
}

impl Decision {
    /// `Retry-After` in whole seconds, rounded up so a client that waits that long is admitted.
    pub const fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs_ceil()
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.allowed { "allowed" } else { "denied" };
        write!(
            f,
            "{verdict}: {} of {} remaining",
            self.remaining, self.limit
        )?;
        if !self.allowed {
            write!(f, ", retry after {}", self.retry_after)?;
        }
        write!(f, ", reset after {}", self.reset_after)
    }
}
