//! [`SlidingWindow`]: the sliding window counter, an O(1) approximation of a sliding log.
//!
//! Windows are aligned to the epoch exactly as in [`FixedWindow`](crate::FixedWindow):
//! `[k·period, (k+1)·period)`. A key keeps two counts: `P`, the cost admitted in the previous
//! aligned window, and `C`, the cost admitted so far in the current one. At an instant `t`
//! that lies `e` nanoseconds into its window (`0 <= e < period`), the sliding window
//! `(t - period, t]` still overlaps the end of the previous window, and the counter weighs
//! that window's cost by `(period - e)/period`, as if it had been spread evenly:
//!
//! ```text
//! estimate(t) = P·(period - e)/period + C
//! ```
//!
//! A request of cost `n` is admitted iff `estimate(t) + n <= limit`.
//!
//! # Exactness
//!
//! The estimate is a rational number and is compared exactly, in `u128` integers:
//! admitted iff `P·(period - e) + (C + n)·period <= limit·period`. No floats, no rounding.
//!
//! - `remaining` is the largest `r` with `estimate(t) + r <= limit` (0 if there is none):
//!   exactly `r` unit requests are admitted at `t`, then one is refused.
//! - `retry_after` is the first instant at which `estimate + n <= limit` with no other
//!   traffic. The estimate never grows with time (it falls within a window and steps down at
//!   each edge), so that instant is found in closed form within the current window, the next,
//!   or at the start of the one after, where the estimate is zero. Exact to the nanosecond.
//! - `reset_after` is the time until both counts have left the sliding window: the start of
//!   the window after next while `C > 0`, the start of the next window while only `P > 0`.
//! - An instant beyond [`Nanos::MAX`] cannot be waited for: such waits are [`Nanos::MAX`].
//!
//! # The error bound
//!
//! The estimate's error decides everything. For an instant `t` with `e`, `P` as above, let
//! `X` be the part of `P` that was admitted inside `(t - period, t]` (the previous window's
//! tail of `period - e - 1` nanoseconds). A request is admitted exactly when an exact
//! sliding log of the admitted traffic would admit it under the limit
//! `limit + X - P·(period - e)/period`: the true share of the previous window minus the
//! estimated share corrects the limit. Hence, with a steady clock and an unchanged quota:
//!
//! - Over-admission: in every window `(t - period, t]` the admitted cost is at most
//!   `limit + X - ⌈P·(period - e)/period⌉ <= limit + ⌊P·e/period⌋ <= 2·limit - 1`. The worst
//!   case needs the whole previous window's cost in its last nanoseconds: `limit` at
//!   `period - 1`, then `limit - 1` more at `2·period - 2` when `period >= 2·limit`.
//! - Under-admission: a request of cost `n` is refused at `t` only if `P + C + n > limit`, that
//!   is only if the cost admitted since the start of the previous window (a span shorter than
//!   `2·period`) plus `n` exceeds `limit`. At the edge after a window whose whole `limit`
//!   came at its start, the counter still counts all of it and refuses, where an exact log
//!   (whose window no longer holds that traffic) would admit up to `limit`.
//!
//! With evenly spread traffic `X` is close to `P·(period - e)/period` and the counter is
//! close to exact; the bound is what adversarial timing can reach.
//!
//! # Backwards clocks and quota changes
//!
//! An instant earlier than the start of the key's current window counts as that start; within
//! the window an earlier instant gives the previous window more weight. Either way a clock
//! that steps back never admits more. The state holds the start of the current window in
//! nanoseconds and both counts, so under a new quota the counts apply to the new period's
//! window that contains the stored start (and the previous count to the one before it); a
//! lower limit applies at once.

use core::num::NonZeroU64;

use crate::decision::Decision;
use crate::error::Error;
use crate::quota::Quota;
use crate::time::{Nanos, wait_until};

/// The sliding window counter policy: at most `limit` per `period` as estimated from the
/// previous and current epoch-aligned windows.
///
/// It is immutable and holds no per-key state; each key's state is a [`SlidingWindowState`].
/// As for [`FixedWindow`](crate::FixedWindow), the capacity is the quota's `limit` and
/// `Quota::burst` is not used.
///
/// ```
/// use ratecell::{Nanos, Quota, SlidingWindow, SlidingWindowState};
///
/// let window = SlidingWindow::new(Quota::parse("100/minute")?);
/// let mut key = SlidingWindowState::default();
///
/// // 100 requests in the first minute.
/// assert!(window.check(&mut key, Nanos::from_secs(30), 100)?.allowed);
///
/// // 15 s into the next minute, 3/4 of the previous window is still inside the sliding
/// // window: the estimate is 75, so 25 more fit.
/// let d = window.peek(&key, Nanos::from_secs(75));
/// assert_eq!(d.remaining, 25);
///
/// // 30 more must wait until the estimate is 70: 18 s into the minute.
/// let d = window.check(&mut key, Nanos::from_secs(75), 30)?;
/// assert!(!d.allowed);
/// assert_eq!(d.retry_after, Nanos::from_secs(3));
/// assert!(window.check(&mut key, Nanos::from_secs(78), 30)?.allowed);
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SlidingWindow {
    quota: Quota,
    /// The window length in nanoseconds.
    period: NonZeroU64,
}

/// One key's sliding window state: the start of its current window, the cost admitted in the
/// window before it and the cost admitted in it. 24 bytes, `Copy`; the default value is a
/// fresh key.
///
/// ```
/// use ratecell::{Nanos, SlidingWindowState};
///
/// let state = SlidingWindowState::from_parts(Nanos::from_secs(60), 7, 2);
/// assert_eq!(state.window_start(), Nanos::from_secs(60));
/// assert_eq!((state.previous(), state.current()), (7, 2));
/// assert_eq!(SlidingWindowState::default(), SlidingWindowState::FRESH);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SlidingWindowState {
    /// The start of the current window (aligned by the policy that wrote it).
    start: u64,
    /// The cost admitted in the window before it.
    previous: u64,
    /// The cost admitted in it. Both counts zero means fresh, whatever `start` says.
    current: u64,
}

impl SlidingWindowState {
    /// A key that has never been seen.
    pub const FRESH: SlidingWindowState = SlidingWindowState {
        start: 0,
        previous: 0,
        current: 0,
    };

    /// Rebuilds a state from its parts, for state stored outside Rust.
    pub const fn from_parts(window_start: Nanos, previous: u64, current: u64) -> Self {
        SlidingWindowState {
            start: window_start.as_nanos(),
            previous,
            current,
        }
    }

    /// The start of the current window.
    pub const fn window_start(self) -> Nanos {
        Nanos::new(self.start)
    }

    /// The cost admitted in the window before the current one.
    pub const fn previous(self) -> u64 {
        self.previous
    }

    /// The cost admitted in the current window.
    pub const fn current(self) -> u64 {
        self.current
    }
}

/// Where a key stands at an instant.
#[derive(Copy, Clone)]
struct Standing {
    /// The start of the aligned window the decision is made in.
    start: u64,
    /// How far into that window the (effective) instant lies: `0 <= elapsed < period`.
    elapsed: u64,
    /// The cost admitted in the window before.
    previous: u64,
    /// The cost admitted in this window.
    current: u64,
}

impl SlidingWindow {
    /// Compiles a quota. Every [`Quota`] is valid, so this cannot fail.
    pub const fn new(quota: Quota) -> SlidingWindow {
        let period = match NonZeroU64::new(quota.period_nanos().as_nanos()) {
            Some(p) => p,
            // A quota's period is never zero.
            None => NonZeroU64::MIN,
        };
        SlidingWindow { quota, period }
    }

    /// The quota this policy enforces.
    pub const fn quota(&self) -> &Quota {
        &self.quota
    }

    /// The policy as three plain integers (`limit`, `period` in nanoseconds, `burst`), for
    /// keeping it outside Rust (a C struct in static memory). [`SlidingWindow::from_raw`] turns them
    /// back into the same policy.
    ///
    /// ```
    /// use ratecell::{SlidingWindow, Quota};
    /// let policy = SlidingWindow::new(Quota::parse("100/minute burst 120")?);
    /// assert_eq!(policy.to_raw(), [100, 60_000_000_000, 120]);
    /// assert_eq!(SlidingWindow::from_raw(policy.to_raw()), Some(policy));
    /// assert_eq!(SlidingWindow::from_raw([0; 3]), None);
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub const fn to_raw(&self) -> [u64; 3] {
        [
            self.quota.limit(),
            self.quota.period_nanos().as_nanos(),
            self.quota.burst(),
        ]
    }

    /// Rebuilds a policy from [`SlidingWindow::to_raw`]: three comparisons, no arithmetic. Returns
    /// `None` when a number is zero. Numbers altered by hand give a different but still
    /// panic-free policy (the window arithmetic does not depend on the burst).
    pub const fn from_raw(raw: [u64; 3]) -> Option<SlidingWindow> {
        let [limit, period_ns, burst] = raw;
        match (
            Quota::from_raw_parts(limit, period_ns, burst),
            NonZeroU64::new(period_ns),
        ) {
            (Some(quota), Some(period)) => Some(SlidingWindow { quota, period }),
            _ => None,
        }
    }

    /// The capacity: the quota's `limit`, the most a single request may cost.
    pub const fn capacity(&self) -> u64 {
        self.quota.limit()
    }

    /// Decides a request of `cost` at `now` and records it in `state` when admitted.
    ///
    /// `cost == 0` peeks: the decision reports the key's standing and stores nothing.
    /// A cost above the capacity is [`Error::InsufficientCapacity`]: no wait could admit it.
    pub fn check(
        &self,
        state: &mut SlidingWindowState,
        now: Nanos,
        cost: u64,
    ) -> Result<Decision, Error> {
        let (decision, next) = self.decide(*state, now, cost)?;
        *state = next;
        Ok(decision)
    }

    /// The key's standing at `now` without recording anything (`check` with cost 0).
    pub fn peek(&self, state: &SlidingWindowState, now: Nanos) -> Decision {
        let (decision, _) = self.decide_in_capacity(*state, now.as_nanos(), 0);
        decision
    }

    /// Resets a key to fresh.
    pub fn reset(&self, state: &mut SlidingWindowState) {
        *state = SlidingWindowState::FRESH;
    }

    /// True when the key at `now` is indistinguishable from one never seen, so its storage
    /// can be reclaimed.
    pub fn is_fresh(&self, state: &SlidingWindowState, now: Nanos) -> bool {
        let s = self.standing(*state, now.as_nanos());
        s.previous == 0 && s.current == 0
    }

    /// The pure transition: the decision for `cost` at `now` from `state`, and the state to
    /// store afterwards (unchanged when denied or peeking).
    pub fn decide(
        &self,
        state: SlidingWindowState,
        now: Nanos,
        cost: u64,
    ) -> Result<(Decision, SlidingWindowState), Error> {
        if cost > self.capacity() {
            return Err(Error::InsufficientCapacity {
                capacity: self.capacity(),
            });
        }
        Ok(self.decide_in_capacity(state, now.as_nanos(), cost))
    }

    /// The counts that apply at `max(now, stored start)`, rolled forward by whole windows.
    fn standing(&self, state: SlidingWindowState, now: u64) -> Standing {
        let p = self.period;
        let fresh = state.previous == 0 && state.current == 0;
        let effective = if fresh { now } else { now.max(state.start) };
        let elapsed = effective % p;
        let start = effective - elapsed;
        // How many windows `effective` lies after the stored one, compared rather than
        // divided: `⌊stored / p⌋ = ⌊effective / p⌋` exactly when `stored >= start`, and one
        // less exactly when `start - p <= stored < start` (`effective >= stored`, so the
        // window index does not go back).
        let (previous, current) = if fresh {
            (0, 0)
        } else if state.start >= start {
            (state.previous, state.current)
        } else if start >= p.get() && state.start >= start - p.get() {
            (state.current, 0)
        } else {
            (0, 0)
        };
        Standing {
            start,
            elapsed,
            previous,
            current,
        }
    }

    /// The transition for `cost <= limit`.
    fn decide_in_capacity(
        &self,
        state: SlidingWindowState,
        now: u64,
        cost: u64,
    ) -> (Decision, SlidingWindowState) {
        let limit = self.capacity();
        let s = self.standing(state, now);
        let p = u128::from(self.period.get());
        let start = u128::from(s.start);
        let fit = first_fit(limit, p, s.previous, s.current, cost, s.elapsed);
        let allowed = fit == Some(s.elapsed);

        // Both counts at most `limit` after an admission (`current + cost <= limit`).
        let (previous, current, stored) = if allowed && cost > 0 {
            let current = s.current.saturating_add(cost);
            let stored = SlidingWindowState {
                start: s.start,
                previous: s.previous,
                current,
            };
            (s.previous, current, stored)
        } else {
            (s.previous, s.current, state)
        };

        // remaining: the largest r with P·(p - e) + (C + r)·p <= L·p, that is
        // r = L - ⌈P·(p - e) / p⌉ - C (when not negative).
        let remaining = if previous == 0 {
            limit.saturating_sub(current)
        } else {
            let weighted = u128::from(previous) * (p - u128::from(s.elapsed));
            let faded = div_wide(weighted + p - 1, self.period.get());
            u64::try_from(u128::from(limit).saturating_sub(faded))
                .unwrap_or(0)
                .saturating_sub(current)
        };

        let retry_after = if allowed {
            Nanos::ZERO
        } else {
            // Within this window, the next (the current count becomes the previous), or at
            // the start of the one after, where nothing is counted and any cost fits.
            let at = match fit {
                Some(e) => start + u128::from(e),
                None => match first_fit(limit, p, s.current, 0, cost, 0) {
                    Some(e) => start + p + u128::from(e),
                    None => start + 2 * p,
                },
            };
            wait_until(at, now)
        };
        let reset_after = if current > 0 {
            wait_until(start + 2 * p, now)
        } else if previous > 0 {
            wait_until(start + p, now)
        } else {
            Nanos::ZERO
        };
        let decision = Decision {
            allowed,
            limit,
            remaining,
            retry_after,
            reset_after,
        };
        (decision, stored)
    }
}

/// The first offset `e` in `[from, period)` into a window whose counts are `previous` and
/// `current` at which `previous·(period - e) + (current + cost)·period <= limit·period`;
/// `None` when the cost does not fit anywhere in that window.
fn first_fit(
    limit: u64,
    period: u128,
    previous: u64,
    current: u64,
    cost: u64,
    from: u64,
) -> Option<u64> {
    let used = u128::from(current) + u128::from(cost);
    let spare = u128::from(limit).checked_sub(used)?;
    if previous == 0 {
        return Some(from);
    }
    // previous·(period - e) <= spare·period  <=>  period - e <= ⌊spare·period / previous⌋.
    let reach = div_wide(spare * period, previous);
    let earliest = period.saturating_sub(reach).max(u128::from(from));
    if earliest < period {
        u64::try_from(earliest).ok()
    } else {
        None
    }
}

/// `n / d` with the processor's 64-bit division when `n` fits in 64 bits, as it does for
/// every quota up to `u64::MAX` nanoseconds of `limit · period` (a 128-bit division is a
/// library call several times slower). `d` is not zero.
#[inline]
fn div_wide(n: u128, d: u64) -> u128 {
    match u64::try_from(n) {
        Ok(n) => u128::from(n / d),
        Err(_) => n / u128::from(d),
    }
}

forward_algorithm!([] SlidingWindow => SlidingWindowState);

#[cfg(test)]
mod tests {
    use super::*;

    fn window(s: &str) -> SlidingWindow {
        SlidingWindow::new(Quota::parse(s).unwrap())
    }

    fn admitted(w: &SlidingWindow, s: &mut SlidingWindowState, now: u64, n: usize) -> usize {
        (0..n)
            .filter(|_| w.check(s, Nanos::new(now), 1).unwrap().allowed)
            .count()
    }

    #[test]
    fn state_is_twenty_four_bytes() {
        assert_eq!(core::mem::size_of::<SlidingWindowState>(), 24);
    }

    #[test]
    fn the_previous_window_fades_linearly() {
        let w = window("10/100ns");
        let mut s = SlidingWindowState::default();
        assert_eq!(admitted(&w, &mut s, 0, 20), 10);
        // At 100 the whole previous window weighs in; at 150, half of it; at 200, none.
        assert_eq!(w.peek(&s, Nanos::new(100)).remaining, 0);
        assert_eq!(w.peek(&s, Nanos::new(150)).remaining, 5);
        assert_eq!(w.peek(&s, Nanos::new(191)).remaining, 9);
        assert_eq!(w.peek(&s, Nanos::new(199)).remaining, 9);
        assert_eq!(w.peek(&s, Nanos::new(200)).remaining, 10);
        assert_eq!(w.peek(&s, Nanos::new(150)).reset_after, Nanos::new(50));
    }

    #[test]
    fn retry_after_is_exact_across_windows() {
        let w = window("10/100ns");
        let mut s = SlidingWindowState::default();
        assert!(w.check(&mut s, Nanos::new(0), 10).unwrap().allowed);
        assert!(w.check(&mut s, Nanos::new(120), 2).unwrap().allowed);
        // At 120: estimate 10·80/100 + 2 = 10. Three more fit when 10·(100 - e) <= 500:
        // e = 50, at 150.
        let d = w.check(&mut s, Nanos::new(120), 3).unwrap();
        assert_eq!(d.retry_after, Nanos::new(30));
        // Nine more never fit in this window (2 + 9 > 10); in the next the previous count
        // is 2: 2·(100 - e) <= 100 at e = 50, so at 250.
        let d = w.check(&mut s, Nanos::new(120), 9).unwrap();
        assert_eq!(d.retry_after, Nanos::new(130));
        assert_eq!(d.reset_after, Nanos::new(180));
        // The full limit needs the next window to be empty: at 300.
        let d = w.check(&mut s, Nanos::new(120), 10).unwrap();
        assert_eq!(d.retry_after, Nanos::new(180));
    }

    #[test]
    fn the_worst_case_admits_twice_the_limit_less_one() {
        let w = window("10/100ns");
        let mut s = SlidingWindowState::default();
        assert_eq!(admitted(&w, &mut s, 99, 20), 10);
        // (98, 198] holds the ten at 99 and nine more at 198.
        assert_eq!(admitted(&w, &mut s, 198, 20), 9);
    }

    #[test]
    fn cost_above_capacity_is_an_error_and_changes_nothing() {
        let w = window("5/second");
        let mut s = SlidingWindowState::default();
        assert_eq!(
            w.check(&mut s, Nanos::ZERO, 6),
            Err(Error::InsufficientCapacity { capacity: 5 })
        );
        assert_eq!(s, SlidingWindowState::FRESH);
    }

    #[test]
    fn peek_stores_nothing() {
        let w = window("5/second");
        let mut s = SlidingWindowState::default();
        assert!(w.check(&mut s, Nanos::ZERO, 2).unwrap().allowed);
        let before = s;
        let d = w.check(&mut s, Nanos::ZERO, 0).unwrap();
        assert!(d.allowed);
        assert_eq!(d.remaining, 3);
        assert_eq!(s, before);
        assert_eq!(w.peek(&s, Nanos::ZERO), d);
    }

    #[test]
    fn no_panic_at_the_end_of_time() {
        let w = SlidingWindow::new(Quota::from_nanos(u64::MAX, u64::MAX).unwrap());
        let mut s = SlidingWindowState::default();
        for now in [u64::MAX, 0, 1, u64::MAX - 1, u64::MAX] {
            for cost in [0, 1, u64::MAX - 1, u64::MAX, 3] {
                let _ = w.check(&mut s, Nanos::new(now), cost);
            }
        }
        let d = w.check(&mut s, Nanos::MAX, u64::MAX).unwrap();
        assert!(!d.allowed);
        assert_eq!(d.retry_after, Nanos::MAX);
    }
}
