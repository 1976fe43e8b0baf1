//! The fixed window as a log of every admission, in epoch-aligned windows.
//!
//! Window `k` is `[k·period, (k+1)·period)`. The model remembers every admitted request and
//! counts, at any instant, the cost logged in that instant's window. Decisions are made at
//! `now`, or at the start of the newest admission's window when the clock stepped back before
//! it; admissions are logged at that instant. Everything is `u128`, so no value saturates;
//! an instant beyond `u64::MAX` cannot be waited for and is reported as `u64::MAX`.

/// What the model decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Admitted and logged.
    pub allowed: bool,
    /// The limit per window.
    pub limit: u64,
    /// How many unit requests, one after the other at the same instant, would be admitted.
    pub remaining: u64,
    /// Nanoseconds until the same request is admitted; 0 when admitted; `u64::MAX` never.
    pub retry_after: u64,
    /// Nanoseconds until nothing is counted any more; `u64::MAX` never.
    pub reset_after: u64,
}

/// A fixed-window key under one quota.
#[derive(Debug, Clone)]
pub struct FixedWindow {
    limit: u128,
    period: u128,
    /// Every admission: `(instant, cost)`.
    log: Vec<(u128, u128)>,
}

impl FixedWindow {
    /// A fresh key: `limit` per window of `period_ns`.
    pub fn new(limit: u64, period_ns: u64) -> Self {
        assert!(limit > 0 && period_ns > 0);
        FixedWindow {
            limit: u128::from(limit),
            period: u128::from(period_ns),
            log: Vec::new(),
        }
    }

    /// The start of the window containing `t`.
    fn window_start(&self, t: u128) -> u128 {
        t - t % self.period
    }

    /// The cost logged in the window containing `t`.
    fn count(&self, t: u128) -> u128 {
        let start = self.window_start(t);
        self.log
            .iter()
            .filter(|&&(at, _)| self.window_start(at) == start)
            .map(|&(_, cost)| cost)
            .sum()
    }

    /// The instant a request at `now` is decided at.
    fn effective(&self, now: u64) -> u128 {
        let newest = self.log.iter().map(|&(at, _)| at).max();
        let now = u128::from(now);
        newest.map_or(now, |at| now.max(self.window_start(at)))
    }

    fn fits(&self, t: u128, cost: u128) -> bool {
        self.count(t) + cost <= self.limit
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

        // Nothing is logged after `t`'s window, so the next window starts empty.
        let next_window = self.window_start(t) + self.period;
        assert_eq!(self.count(next_window), 0);
        let retry = if allowed {
            0
        } else {
            let at = [t, next_window]
                .into_iter()
                .find(|&at| self.fits(at, cost))
                .expect("an empty window fits any cost up to the limit");
            wait(at, now)
        };
        let reset = if self.count(t) == 0 {
            0
        } else {
            wait(next_window, now)
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
