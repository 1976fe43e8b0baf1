//! [`Pacer`]: proactive throttling from the rate-limit fields of the last response.
//!
//! A client that sends as fast as it can spends its quota at once and then collects 429s
//! until the reset. A pacer reads what the last response said (`remaining` units until
//! `reset`) and, once `remaining` runs low, spreads what is left evenly over the time to
//! the reset: the next request waits `reset / remaining` after that response. Each response
//! refreshes both numbers, so the spacing adapts; the last unit lands at the reset, never
//! before it.
//!
//! In order, the wait after a response received at `received_at` is the longest of:
//!
//! 1. its `Retry-After`, when present (it takes precedence over everything, as the drafts
//!    require of clients);
//! 2. when `remaining` is zero, the time to the reset (or the window, when no reset was
//!    sent);
//! 3. when `remaining` is at or below the low-water mark and a reset was sent,
//!    `reset / remaining`, rounded up.
//!
//! The low-water mark is the larger of an absolute number of units and a percentage of the
//! advertised limit (when the limit is known). Pacing is conservative: for servers that
//! refill continuously (GCRA, token buckets) and report the time to a *full* refill as the
//! reset, it is slower than necessary, never faster.

use crate::http::RateLimitInfo;
use crate::time::Nanos;

/// A proactive throttle: how long to wait before the next request.
///
/// ```
/// use ratecell::Nanos;
/// use ratecell::client::Pacer;
/// use ratecell::http::RateLimitInfo;
///
/// let pacer = Pacer::new(); // paces once 20% or less of the limit remains
/// let at = Nanos::from_secs(100); // when the response arrived
///
/// let plenty = RateLimitInfo::from_fields(
///     [("X-RateLimit-Limit", "100"), ("X-RateLimit-Remaining", "50"), ("X-RateLimit-Reset", "30")],
///     Nanos::ZERO);
/// assert_eq!(pacer.delay(&plenty, at, at), Nanos::ZERO);
///
/// let low = RateLimitInfo::from_fields(
///     [("X-RateLimit-Limit", "100"), ("X-RateLimit-Remaining", "10"), ("X-RateLimit-Reset", "30")],
///     Nanos::ZERO);
/// assert_eq!(pacer.delay(&low, at, at), Nanos::from_secs(3)); // 30 s spread over 10 requests
/// assert_eq!(pacer.delay(&low, at, at.saturating_add(Nanos::from_secs(1))), Nanos::from_secs(2));
///
/// let out = RateLimitInfo::from_fields(
///     [("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "30")], Nanos::ZERO);
/// assert_eq!(pacer.delay(&out, at, at), Nanos::from_secs(30));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pacer {
    low_water: u64,
    low_water_percent: u8,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new()
    }
}

impl Pacer {
    /// Paces once 20% or less of the advertised limit remains (when no limit is advertised:
    /// only when nothing remains).
    pub const fn new() -> Pacer {
        Pacer {
            low_water: 0,
            low_water_percent: 20,
        }
    }

    /// Paces every request: the quota is always spread evenly until the reset.
    pub const fn always() -> Pacer {
        Pacer {
            low_water: u64::MAX,
            low_water_percent: 100,
        }
    }

    /// Paces once `remaining` units or fewer remain, whatever the limit.
    #[must_use]
    pub const fn with_low_water(self, remaining: u64) -> Pacer {
        Pacer {
            low_water: remaining,
            ..self
        }
    }

    /// Paces once `percent` (at most 100) of the advertised limit or less remains.
    #[must_use]
    pub const fn with_low_water_percent(self, percent: u8) -> Pacer {
        Pacer {
            low_water_percent: if percent > 100 { 100 } else { percent },
            ..self
        }
    }

    /// The low-water mark for a limit: the larger of the absolute mark and the percentage
    /// of `limit`, rounded up.
    pub fn low_water(&self, limit: Option<u64>) -> u64 {
        let share = limit.map_or(0, |l| {
            let s = (u128::from(l) * u128::from(self.low_water_percent)).div_ceil(100);
            u64::try_from(s).unwrap_or(u64::MAX)
        });
        self.low_water.max(share)
    }

    /// How long to wait at `now` before sending the next request, given what the response
    /// received at `received_at` said (both on the caller's clock).
    pub fn delay(&self, info: &RateLimitInfo, received_at: Nanos, now: Nanos) -> Nanos {
        let mut wait = info.retry_after.unwrap_or(Nanos::ZERO);
        match (info.remaining, info.reset) {
            (Some(0), Some(reset)) => wait = wait.max(reset),
            (Some(0), None) => wait = wait.max(info.window.unwrap_or(Nanos::ZERO)),
            (Some(remaining), Some(reset)) if remaining <= self.low_water(info.limit) => {
                wait = wait.max(Nanos::new(reset.as_nanos().div_ceil(remaining)));
            }
            _ => {}
        }
        received_at.saturating_add(wait).saturating_sub(now)
    }
}
