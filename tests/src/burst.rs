//! A burst tier as its documentation states it: two GCRA keys, both or neither.
//!
//! The sustained key is `limit` per `period` holding `limit`; the peak key is `burst` per
//! `period` holding `floor(burst * window / period)`. Both are the GCRA model of
//! [`crate::gcra`], each simulated on its own. A request is tried on copies of both keys and
//! the copies are kept only when both admitted it. A refusal reports the keys as they were.

use crate::gcra::{Gcra, Outcome};

/// A burst-tier key.
#[derive(Debug, Clone)]
pub struct Burst {
    sustained: Gcra,
    peak: Gcra,
    capacity: u64,
}

impl Burst {
    /// The peak key's capacity: one window's worth at the burst rate, rounded down.
    pub fn peak_hold(period_ns: u64, burst: u64, window_ns: u64) -> u128 {
        u128::from(burst) * u128::from(window_ns) / u128::from(period_ns)
    }

    /// A fresh key; `None` when the window holds no whole request at the burst rate.
    pub fn new(limit: u64, period_ns: u64, burst: u64, window_ns: u64) -> Option<Self> {
        let hold = u64::try_from(Self::peak_hold(period_ns, burst, window_ns)).ok()?;
        if hold == 0 {
            return None;
        }
        Some(Burst {
            sustained: Gcra::new(limit, period_ns, limit),
            peak: Gcra::new(burst, period_ns, hold),
            capacity: limit.min(hold),
        })
    }

    /// The capacity: the smaller of the two holds.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// The decision for `cost` at `now`; `None` when the cost exceeds the capacity.
    pub fn check(&mut self, now: u64, cost: u64) -> Option<Outcome> {
        if cost > self.capacity {
            return None;
        }
        let mut sustained = self.sustained.clone();
        let mut peak = self.peak.clone();
        let s = sustained.check(now, cost)?;
        let p = peak.check(now, cost)?;
        let allowed = s.allowed && p.allowed;
        if allowed {
            self.sustained = sustained;
            self.peak = peak;
        }
        // The keys as they now are (a peek stores nothing).
        let s_now = self.sustained.clone().check(now, 0)?;
        let p_now = self.peak.clone().check(now, 0)?;
        Some(Outcome {
            allowed,
            limit: self.capacity,
            remaining: s_now.remaining.min(p_now.remaining),
            retry_after: if allowed {
                0
            } else {
                s.retry_after.max(p.retry_after)
            },
            reset_after: s_now.reset_after.max(p_now.reset_after),
        })
    }
}
