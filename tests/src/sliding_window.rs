//! The sliding window counter as a log of every admission, in exact rationals.
//!
//! At an instant `t`, `e` nanoseconds into its epoch-aligned window, the counter's estimate
//! is `P·(period - e)/period + C`, with `P` the cost logged in the previous window and `C`
//! the cost logged in `t`'s window. The model keeps every admission and recomputes both sums
//! from the log at each instant it is asked about; the comparison `estimate + cost <= limit`
//! is made after multiplying by `period`. Decisions are made at `now`, or at the start of the
//! newest admission's window when the clock stepped back before it.
//!
//! The estimate never grows with time (with no new admissions), so `retry_after` and
//! `reset_after` are found by bisection on "does it fit at this instant".

/// What the model decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Admitted and logged.
    pub allowed: bool,
    /// The limit.
    pub limit: u64,
    /// How many unit requests, one after the other at the same instant, would be admitted.
    pub remaining: u64,
    /// Nanoseconds until the same request is admitted; 0 when admitted; `u64::MAX` never.
    pub retry_after: u64,
    /// Nanoseconds until both counts are zero; `u64::MAX` never.
    pub reset_after: u64,
}

/// A sliding window key under one quota.
#[derive(Debug, Clone)]
pub struct SlidingWindow {
    limit: u128,
    period: u128,
    /// Every admission: `(instant, cost)`.
    log: Vec<(u128, u128)>,
}

impl SlidingWindow {
    /// A fresh key: `limit` per `period_ns`.
    pub fn new(limit: u64, period_ns: u64) -> Self {
        assert!(limit > 0 && period_ns > 0);
        SlidingWindow {
            limit: u128::from(limit),
            period: u128::from(period_ns),
            log: Vec::new(),
        }
    }

    /// The cost logged in window number `k`.
    fn logged_in(&self, k: u128) -> u128 {
        self.log
            .iter()
            .filter(|&&(at, _)| at / self.period == k)
            .map(|&(_, cost)| cost)
            .sum()
    }

    /// `(P, C, e)` at instant `t`.
    fn counts(&self, t: u128) -> (u128, u128, u128) {
        let k = t / self.period;
        let previous = if k == 0 { 0 } else { self.logged_in(k - 1) };
        (previous, self.logged_in(k), t % self.period)
    }

    /// `estimate(t) + cost <= limit`, times `period`.
    fn fits(&self, t: u128, cost: u128) -> bool {
        let (previous, current, e) = self.counts(t);
        previous * (self.period - e) + (current + cost) * self.period <= self.limit * self.period
    }

    fn is_fresh(&self, t: u128) -> bool {
        let (previous, current, _) = self.counts(t);
        previous == 0 && current == 0
    }

    /// The instant a request at `now` is decided at.
    fn effective(&self, now: u64) -> u128 {
        let newest = self.log.iter().map(|&(at, _)| at).max();
        let now = u128::from(now);
        newest.map_or(now, |at| now.max(at - at % self.period))
    }

    /// Decides and logs; nothing else.
    fn admit(&mut self, now: u64, cost: u128) -> bool {
        let t = self.effective(now);
        let allowed = self.fits(t, cost);
        if allowed && cost > 0 {
            self.log.push((t, cost));
        }
        allowed
    }

    /// The first instant in `[from, to]` where `holds` is true, given that it is true at
    /// `to` and stays true once it is.
    fn first(from: u128, to: u128, holds: impl Fn(u128) -> bool) -> u128 {
        assert!(holds(to));
        let (mut lo, mut hi) = (from, to);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if holds(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// The decision for `cost` at `now`; `None` when the cost exceeds the limit.
    pub fn check(&mut self, now: u64, cost: u64) -> Option<Outcome> {
        let cost = u128::from(cost);
        if cost > self.limit {
            return None;
        }
        let allowed = self.admit(now, cost);
        let t = self.effective(now);

        let mut probe = self.clone();
        let mut remaining = 0;
        while remaining <= self.limit && probe.admit(now, 1) {
            remaining += 1;
        }

        // Two windows after `t`'s, nothing logged is counted: everything fits.
        let horizon = t + 3 * self.period;
        let retry = if allowed {
            0
        } else {
            wait(Self::first(t, horizon, |at| self.fits(at, cost)), now)
        };
        let reset = if self.is_fresh(t) {
            0
        } else {
            wait(Self::first(t, horizon, |at| self.is_fresh(at)), now)
        };
        Some(Outcome {
            allowed,
            limit: u64::try_from(self.limit).expect("fits"),
            remaining: u64::try_from(remaining).expect("fits"),
            retry_after: retry,
            reset_after: reset,
        })
    }
}

/// Nanoseconds from `now` until `at`, or `u64::MAX` when `at` is not a `u64` instant.
fn wait(at: u128, now: u64) -> u64 {
    match u64::try_from(at) {
        Ok(at) => at - now.min(at),
        Err(_) => u64::MAX,
    }
}
