//! The sliding log exactly as stated: every admitted request with its instant and cost.
//!
//! At an instant `t` the requests logged in `(t - period, t]` count. A request of cost `n`
//! is admitted iff their cost plus `n` is at most `limit` and, when `n > 0`, fewer than
//! `entries` requests count (it needs an entry of its own). Decisions are made, and
//! admissions logged, at `now`, or at the newest logged instant when the clock stepped back
//! before it. Nothing is ever dropped from the model's log.

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
    /// Nanoseconds until nothing logged counts any more; `u64::MAX` never.
    pub reset_after: u64,
}

/// A sliding log key under one quota, with room for `entries` requests per window.
#[derive(Debug, Clone)]
pub struct SlidingLog {
    limit: u128,
    period: u128,
    entries: usize,
    /// Every admission: `(instant, cost)`.
    log: Vec<(u128, u128)>,
}

impl SlidingLog {
    /// A fresh key: `limit` per `period_ns`, at most `entries` requests per window.
    pub fn new(limit: u64, period_ns: u64, entries: usize) -> Self {
        assert!(limit > 0 && period_ns > 0 && entries > 0);
        SlidingLog {
            limit: u128::from(limit),
            period: u128::from(period_ns),
            entries,
            log: Vec::new(),
        }
    }

    /// The requests that count at `t`.
    fn inside(&self, t: u128) -> impl Iterator<Item = &(u128, u128)> {
        self.log
            .iter()
            .filter(move |&&(at, _)| t < at + self.period)
    }

    fn fits(&self, t: u128, cost: u128) -> bool {
        let logged: u128 = self.inside(t).map(|&(_, c)| c).sum();
        let room = cost == 0 || self.inside(t).count() < self.entries;
        logged + cost <= self.limit && room
    }

    /// The instant a request at `now` is decided at.
    fn effective(&self, now: u64) -> u128 {
        let newest = self.log.iter().map(|&(at, _)| at).max();
        newest.map_or(u128::from(now), |at| u128::from(now).max(at))
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

        // What counts only changes when a request leaves, at its instant + period.
        let mut instants: Vec<u128> = self.log.iter().map(|&(at, _)| at + self.period).collect();
        instants.push(t);
        instants.retain(|&at| at >= t);
        instants.sort_unstable();
        let retry = if allowed {
            0
        } else {
            let at = instants
                .iter()
                .copied()
                .find(|&at| self.fits(at, cost))
                .expect("once every request has left, any cost up to the limit fits");
            wait(at, now)
        };
        let reset = match self.inside(t).map(|&(at, _)| at + self.period).max() {
            Some(at) => wait(at, now),
            None => 0,
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
