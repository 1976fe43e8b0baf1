//! [`FixedWindow`]: a counter per window of one `period`, windows aligned to the epoch.
//!
//! Time is cut into windows `[k·period, (k+1)·period)`, `k = 0, 1, 2, ...`, counted from
//! instant 0 of your time base. A key counts the cost admitted in its current window, and a
//! request of cost `n` is admitted iff `count + n <= limit`. When the window ends the count
//! starts again from zero, so `reset_after` is the time to the end of the current window: the
//! classic `X-RateLimit-Reset`. Every client of every key sees the same window edges, which is
//! what providers that publish `X-RateLimit-Reset` as a Unix time do (count from the Unix
//! epoch to get their edges).
//!
//! # Capacity: `limit` per window
//!
//! A window admits at most the quota's `limit`: that is the capacity ([`FixedWindow::capacity`],
//! [`Decision::limit`]) and the largest cost a single request may have. `Quota::burst` is not
//! used. A fresh key may already spend the whole `limit` at one instant (the meaning of
//! `burst` elsewhere), and a per-window count above `limit` would raise the rate itself. To
//! also bound instantaneous bursts, combine a window with a [`Gcra`](crate::Gcra).
//!
//! # The boundary burst
//!
//! Each aligned window holds at most `limit`, exactly. A window of length `period` that
//! straddles an edge can hold up to `2·limit`: `limit` at the last nanosecond of one window
//! and `limit` at the first nanosecond of the next. Use
//! [`SlidingWindow`](crate::SlidingWindow) (at most `2·limit - 1`, and usually far less) or
//! [`SlidingLog`](crate::SlidingLog) (exactly `limit`) when that matters.
//!
//! # Exactness and boundaries
//!
//! - Windows are half-open: the instant `(k+1)·period` belongs to the next window.
//! - `remaining` is `limit - count`; `retry_after` of a denial is the time to the start of
//!   the next window, where the count is zero and any cost up to `limit` fits: exact to the
//!   nanosecond. When that start lies beyond [`Nanos::MAX`], waiting cannot help and
//!   `retry_after` (and `reset_after`) is [`Nanos::MAX`].
//! - A clock that steps backwards never admits more: an instant earlier than the start of
//!   the key's current window counts as that start, so the key's count still applies.
//!
//! # Changing the quota
//!
//! The state is the start of the key's window in nanoseconds (not a window index) and the
//! cost admitted in it, so it stays meaningful under a new quota: the count applies while
//! `now` lies in the new period's window that contains the stored start, and a lower limit
//! applies at once (`remaining` is 0 until that window ends).

use core::num::NonZeroU64;

use crate::decision::Decision;
use crate::error::Error;
use crate::quota::Quota;
use crate::time::{Nanos, wait_until};

/// The fixed-window policy: at most `limit` per epoch-aligned window of `period`.
///
/// It is immutable and holds no per-key state; each key's state is a [`FixedWindowState`].
///
/// ```
/// use ratecell::{FixedWindow, FixedWindowState, Nanos, Quota};
///
/// // The Starter tier: 120 requests per minute, windows on whole minutes.
/// let window = FixedWindow::new(Quota::parse("120/minute")?);
/// let mut key = FixedWindowState::default();
///
/// let d = window.check(&mut key, Nanos::from_secs(45), 1)?;
/// assert!(d.allowed);
/// assert_eq!((d.limit, d.remaining), (120, 119));
/// assert_eq!(d.reset_after, Nanos::from_secs(15)); // the window ends at 60 s
///
/// // Spend the rest of the window: the next request waits for the next window.
/// window.check(&mut key, Nanos::from_secs(50), 119)?;
/// let d = window.check(&mut key, Nanos::from_secs(50), 1)?;
/// assert!(!d.allowed);
/// assert_eq!(d.retry_after, Nanos::from_secs(10));
/// assert!(window.check(&mut key, Nanos::from_secs(60), 120)?.allowed);
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct FixedWindow {
    quota: Quota,
    /// The window length in nanoseconds.
    period: NonZeroU64,
}

/// One key's fixed-window state: the start of its window and the cost admitted in it.
/// 16 bytes, `Copy`; the default value is a fresh key.
///
/// ```
/// use ratecell::{FixedWindowState, Nanos};
///
/// let state = FixedWindowState::from_parts(Nanos::from_secs(60), 3);
/// assert_eq!((state.window_start(), state.count()), (Nanos::from_secs(60), 3));
/// assert_eq!(FixedWindowState::default(), FixedWindowState::FRESH);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct FixedWindowState {
    /// The start of the window `count` belongs to (aligned by the policy that wrote it).
    start: u64,
    /// The cost admitted in that window. Zero means fresh, whatever `start` says.
    count: u64,
}

impl FixedWindowState {
    /// A key that has never been seen.
    pub const FRESH: FixedWindowState = FixedWindowState { start: 0, count: 0 };

    /// Rebuilds a state from [`FixedWindowState::window_start`] and
    /// [`FixedWindowState::count`], for state stored outside Rust.
    pub const fn from_parts(window_start: Nanos, count: u64) -> FixedWindowState {
        FixedWindowState {
            start: window_start.as_nanos(),
            count,
        }
    }

    /// The start of the window the count belongs to.
    pub const fn window_start(self) -> Nanos {
        Nanos::new(self.start)
    }

    /// The cost admitted in that window.
    pub const fn count(self) -> u64 {
        self.count
    }
}

/// Where a key stands at an instant: its effective window and the cost counted in it.
struct Standing {
    /// The start of the aligned window the decision is made in.
    start: u64,
    /// The cost already admitted in that window.
    count: u64,
}

impl FixedWindow {
    /// Compiles a quota. Every [`Quota`] is valid, so this cannot fail.
    pub const fn new(quota: Quota) -> FixedWindow {
        let period = match NonZeroU64::new(quota.period_nanos().as_nanos()) {
            Some(p) => p,
            // A quota's period is never zero.
            None => NonZeroU64::MIN,
        };
        FixedWindow { quota, period }
    }

    /// The quota this policy enforces.
    pub const fn quota(&self) -> &Quota {
        &self.quota
    }

    /// The policy as three plain integers (`limit`, `period` in nanoseconds, `burst`), for
    /// keeping it outside Rust (a C struct in static memory). [`FixedWindow::from_raw`] turns them
    /// back into the same policy.
    ///
    /// ```
    /// use ratecell::{FixedWindow, Quota};
    /// let policy = FixedWindow::new(Quota::parse("100/minute burst 120")?);
    /// assert_eq!(policy.to_raw(), [100, 60_000_000_000, 120]);
    /// assert_eq!(FixedWindow::from_raw(policy.to_raw()), Some(policy));
    /// assert_eq!(FixedWindow::from_raw([0; 3]), None);
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub const fn to_raw(&self) -> [u64; 3] {
        [
            self.quota.limit(),
            self.quota.period_nanos().as_nanos(),
            self.quota.burst(),
        ]
    }

    /// Rebuilds a policy from [`FixedWindow::to_raw`]: three comparisons, no arithmetic. Returns
    /// `None` when a number is zero. Numbers altered by hand give a different but still
    /// panic-free policy (the window arithmetic does not depend on the burst).
    pub const fn from_raw(raw: [u64; 3]) -> Option<FixedWindow> {
        let [limit, period_ns, burst] = raw;
        match (
            Quota::from_raw_parts(limit, period_ns, burst),
            NonZeroU64::new(period_ns),
        ) {
            (Some(quota), Some(period)) => Some(FixedWindow { quota, period }),
            _ => None,
        }
    }

    /// The capacity: the quota's `limit`, the most a window (and a single request) may hold.
    pub const fn capacity(&self) -> u64 {
        self.quota.limit()
    }

    /// Decides a request of `cost` at `now` and records it in `state` when admitted.
    ///
    /// `cost == 0` peeks: the decision reports the key's standing and stores nothing.
    /// A cost above the capacity is [`Error::InsufficientCapacity`]: no wait could admit it.
    pub fn check(
        &self,
        state: &mut FixedWindowState,
        now: Nanos,
        cost: u64,
    ) -> Result<Decision, Error> {
        let (decision, next) = self.decide(*state, now, cost)?;
        *state = next;
        Ok(decision)
    }

    /// The key's standing at `now` without recording anything (`check` with cost 0).
    pub fn peek(&self, state: &FixedWindowState, now: Nanos) -> Decision {
        let (decision, _) = self.decide_in_capacity(*state, now.as_nanos(), 0);
        decision
    }

    /// Resets a key to fresh.
    pub fn reset(&self, state: &mut FixedWindowState) {
        *state = FixedWindowState::FRESH;
    }

    /// True when the key at `now` is indistinguishable from one never seen, so its storage
    /// can be reclaimed.
    pub fn is_fresh(&self, state: &FixedWindowState, now: Nanos) -> bool {
        self.standing(*state, now.as_nanos()).count == 0
    }

    /// The pure transition: the decision for `cost` at `now` from `state`, and the state to
    /// store afterwards (unchanged when denied or peeking).
    pub fn decide(
        &self,
        state: FixedWindowState,
        now: Nanos,
        cost: u64,
    ) -> Result<(Decision, FixedWindowState), Error> {
        if cost > self.capacity() {
            return Err(Error::InsufficientCapacity {
                capacity: self.capacity(),
            });
        }
        Ok(self.decide_in_capacity(state, now.as_nanos(), cost))
    }

    /// The key's window at `now`: the window containing `max(now, stored start)`, with the
    /// stored count if that is the stored window.
    fn standing(&self, state: FixedWindowState, now: u64) -> Standing {
        let p = self.period;
        if state.count == 0 {
            return Standing {
                start: now - now % p,
                count: 0,
            };
        }
        let effective = now.max(state.start);
        let count = if effective / p == state.start / p {
            state.count
        } else {
            0
        };
        Standing {
            start: effective - effective % p,
            count,
        }
    }

    /// The transition for `cost <= limit`.
    fn decide_in_capacity(
        &self,
        state: FixedWindowState,
        now: u64,
        cost: u64,
    ) -> (Decision, FixedWindowState) {
        let limit = self.capacity();
        let Standing { start, count } = self.standing(state, now);
        // The instant the window ends (exclusive); beyond u64 when the window is the last.
        let end = u128::from(start) + u128::from(self.period.get());
        let until_end = wait_until(end, now);
        if u128::from(count) + u128::from(cost) <= u128::from(limit) {
            // Fits: `count + cost <= limit`, so no overflow.
            let after = count + cost;
            let stored = if cost == 0 {
                state
            } else {
                FixedWindowState {
                    start,
                    count: after,
                }
            };
            let decision = Decision {
                allowed: true,
                limit,
                remaining: limit - after,
                retry_after: Nanos::ZERO,
                reset_after: if after == 0 { Nanos::ZERO } else { until_end },
            };
            return (decision, stored);
        }
        // Denied: the next window starts at zero, where any cost up to `limit` fits.
        let decision = Decision {
            allowed: false,
            limit,
            remaining: limit.saturating_sub(count),
            retry_after: until_end,
            reset_after: until_end,
        };
        (decision, state)
    }
}

forward_algorithm!([] FixedWindow => FixedWindowState);

#[cfg(test)]
mod tests {
    use super::*;

    fn window(s: &str) -> FixedWindow {
        FixedWindow::new(Quota::parse(s).unwrap())
    }

    fn admitted(w: &FixedWindow, s: &mut FixedWindowState, now: u64, n: usize) -> usize {
        (0..n)
            .filter(|_| w.check(s, Nanos::new(now), 1).unwrap().allowed)
            .count()
    }

    #[test]
    fn state_is_sixteen_bytes() {
        assert_eq!(core::mem::size_of::<FixedWindowState>(), 16);
    }

    #[test]
    fn windows_are_aligned_to_the_epoch() {
        let w = window("3/10ns");
        let mut s = FixedWindowState::default();
        assert_eq!(admitted(&w, &mut s, 17, 10), 3);
        let d = w.peek(&s, Nanos::new(19));
        assert_eq!((d.remaining, d.reset_after), (0, Nanos::new(1)));
        assert_eq!(
            w.check(&mut s, Nanos::new(19), 1).unwrap().retry_after,
            Nanos::new(1)
        );
        assert_eq!(admitted(&w, &mut s, 20, 10), 3);
    }

    #[test]
    fn the_boundary_burst_is_twice_the_limit() {
        let w = window("5/second");
        let mut s = FixedWindowState::default();
        assert_eq!(admitted(&w, &mut s, 999_999_999, 10), 5);
        assert_eq!(admitted(&w, &mut s, 1_000_000_000, 10), 5);
    }

    #[test]
    fn burst_is_not_used() {
        let w = window("5/second burst 2");
        assert_eq!(w.capacity(), 5);
        let mut s = FixedWindowState::default();
        assert_eq!(admitted(&w, &mut s, 0, 10), 5);
    }

    #[test]
    fn cost_above_capacity_is_an_error_and_changes_nothing() {
        let w = window("5/second");
        let mut s = FixedWindowState::default();
        assert_eq!(
            w.check(&mut s, Nanos::ZERO, 6),
            Err(Error::InsufficientCapacity { capacity: 5 })
        );
        assert_eq!(s, FixedWindowState::FRESH);
    }

    #[test]
    fn peek_stores_nothing() {
        let w = window("5/second");
        let mut s = FixedWindowState::default();
        assert!(w.check(&mut s, Nanos::ZERO, 2).unwrap().allowed);
        let before = s;
        let d = w.check(&mut s, Nanos::ZERO, 0).unwrap();
        assert!(d.allowed);
        assert_eq!(d.remaining, 3);
        assert_eq!(s, before);
        assert_eq!(w.peek(&s, Nanos::ZERO), d);
    }

    #[test]
    fn a_clock_stepping_back_stays_in_the_current_window() {
        let w = window("2/10ns");
        let mut s = FixedWindowState::default();
        assert_eq!(admitted(&w, &mut s, 25, 2), 2);
        let d = w.check(&mut s, Nanos::new(5), 1).unwrap();
        assert!(!d.allowed);
        assert_eq!(d.retry_after, Nanos::new(25)); // the window [20, 30) still holds
        assert!(!w.is_fresh(&s, Nanos::new(5)));
        assert!(w.is_fresh(&s, Nanos::new(30)));
    }

    #[test]
    fn no_panic_at_the_end_of_time() {
        let w = FixedWindow::new(Quota::from_nanos(2, u64::MAX / 2 + 1).unwrap());
        let mut s = FixedWindowState::default();
        assert_eq!(admitted(&w, &mut s, u64::MAX, 5), 2);
        let d = w.check(&mut s, Nanos::MAX, 1).unwrap();
        assert_eq!((d.retry_after, d.reset_after), (Nanos::MAX, Nanos::MAX));
        for now in [0, 1, u64::MAX - 1, u64::MAX] {
            for cost in [0, 1, 2, 3, u64::MAX] {
                let _ = w.check(&mut s, Nanos::new(now), cost);
            }
        }
    }
}
