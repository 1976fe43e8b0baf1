//! GCRA exactly as `shared/API.md` states it, in rational time.
//!
//! Time is kept in units of `1/limit` nanoseconds, where the emission interval
//! `T = period / limit` is exactly `period` units. Any instant `now` (whole nanoseconds) is
//! `now * limit` units. No gcd, no horizon, no saturation: the model is only asked about
//! instants where these products fit in `u128`.

/// What the model decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Admitted and recorded.
    pub allowed: bool,
    /// The capacity `B`.
    pub limit: u64,
    /// `floor((B*T - reset_after) / T)`, at least 0.
    pub remaining: u64,
    /// Nanoseconds until the same request is admitted, rounded up; 0 when admitted.
    pub retry_after: u64,
    /// Nanoseconds until the key is fresh, rounded up.
    pub reset_after: u64,
}

/// A GCRA key under one quota.
#[derive(Debug, Clone)]
pub struct Gcra {
    limit: u128,
    period: u128,
    burst: u128,
    /// The theoretical arrival time, in units of `1/limit` ns. Zero is fresh.
    tat: u128,
}

impl Gcra {
    /// A fresh key: `limit` per `period_ns`, capacity `burst`.
    pub fn new(limit: u64, period_ns: u64, burst: u64) -> Self {
        assert!(limit > 0 && period_ns > 0 && burst > 0);
        Gcra {
            limit: u128::from(limit),
            period: u128::from(period_ns),
            burst: u128::from(burst),
            tat: 0,
        }
    }

    /// Units (1/limit ns) to whole nanoseconds, rounded up.
    fn ceil_ns(&self, units: u128) -> u64 {
        u64::try_from(units.div_ceil(self.limit)).expect("fits")
    }

    /// The decision for `cost` at `now`; `None` when the cost exceeds the capacity.
    pub fn check(&mut self, now: u64, cost: u64) -> Option<Outcome> {
        let cost = u128::from(cost);
        if cost > self.burst {
            return None;
        }
        let now = u128::from(now) * self.limit;
        let t = self.period;
        let bt = self.burst * t;
        let new_tat = self.tat.max(now) + cost * t;
        let allowed = new_tat <= now + bt;
        if allowed && cost > 0 {
            self.tat = new_tat;
        }
        let reset = self.tat.saturating_sub(now);
        let remaining = u64::try_from(bt.saturating_sub(reset) / t).expect("fits");
        let retry = if allowed {
            0
        } else {
            self.ceil_ns(new_tat - bt - now)
        };
        Some(Outcome {
            allowed,
            limit: u64::try_from(self.burst).expect("fits"),
            remaining,
            retry_after: retry,
            reset_after: self.ceil_ns(reset),
        })
    }
}
