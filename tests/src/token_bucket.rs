//! The token bucket as a simulation of tokens, in units where the refill rate is exactly 1.
//!
//! Time is counted in units of `1/limit` nanoseconds and tokens in units of `1/period` token,
//! so one unit of tokens flows in per unit of time, a token is `period` units and the bucket
//! holds `burst * period`. The model keeps the tokens `level` it had at instant `at` and lets
//! the level follow time in both directions (`level + (now - at)`, at most full), which is what
//! "the bucket is full at a fixed instant" means. No ticks, no gcd, no horizon, no saturation:
//! the model is only asked about instants where these products fit.
//!
//! Reservations take tokens, going into debt; `cancel` restates the core's documented rules in
//! these units: give back `cost - ceil((latest - ready) / T)` tokens, never above full, never
//! after the reservation's time, and roll `latest` back exactly for the most recent reservation
//! still held.

/// What the model decided for a check or a peek.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Admitted and recorded.
    pub allowed: bool,
    /// The capacity `B`.
    pub limit: u64,
    /// Whole tokens in the bucket after the decision, at least 0.
    pub remaining: u64,
    /// Nanoseconds until the same request is admitted, rounded up; 0 when admitted.
    pub retry_after: u64,
    /// Nanoseconds until the bucket is full, rounded up.
    pub reset_after: u64,
}

/// A reservation as the model made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserved {
    /// The tokens were taken and not given back.
    pub committed: bool,
    /// Tokens reserved.
    pub cost: u64,
    /// The exact instant the caller may proceed, in units of `1/limit` ns.
    pub ready: i128,
    /// `ready` in nanoseconds, rounded up.
    pub ready_at: u64,
    /// `ready_at` minus the instant of the reservation.
    pub delay: u64,
    /// The model's count of reservations held right after the reservation.
    serial: u64,
    /// The model's `latest` right before the reservation.
    latest_before: i128,
}

/// One key of a token bucket: `limit` tokens per `period_ns`, capacity `burst`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    limit: i128,
    period: i128,
    burst: i128,
    starts_empty: bool,
    /// Charged at least once (only matters when starting empty).
    seen: bool,
    /// Tokens (in units of `1/period` token) at instant `at`; negative is debt.
    level: i128,
    /// The instant of `level`, in units of `1/limit` ns.
    at: i128,
    /// The latest instant at which a reservation still held may proceed (an upper bound).
    latest: i128,
    /// Committed reservations not undone, counted like a stack.
    serial: u64,
}

impl TokenBucket {
    /// A fresh key: full, or with `starts_empty`, empty at its first charge.
    pub fn new(limit: u64, period_ns: u64, burst: u64, starts_empty: bool) -> Self {
        assert!(limit > 0 && period_ns > 0 && burst > 0);
        let (limit, period, burst) = (i128::from(limit), i128::from(period_ns), i128::from(burst));
        TokenBucket {
            limit,
            period,
            burst,
            starts_empty,
            seen: false,
            level: burst * period,
            at: 0,
            latest: 0,
            serial: 0,
        }
    }

    fn capacity(&self) -> i128 {
        self.burst * self.period
    }

    /// A nanosecond instant in units.
    fn units(&self, now: u64) -> i128 {
        i128::from(now) * self.limit
    }

    /// Units of time to whole nanoseconds, rounded up (for non-negative spans).
    fn ceil_ns(&self, units: i128) -> u64 {
        assert!(units >= 0);
        u64::try_from((units + self.limit - 1) / self.limit).expect("fits")
    }

    /// `(level, at, latest)` as the key stands: a never charged empty-starting key is empty now.
    fn standing(&self, now: i128) -> (i128, i128, i128) {
        if self.starts_empty && !self.seen {
            (0, now, 0)
        } else {
            (self.level, self.at, self.latest)
        }
    }

    /// Tokens at instant `now` (units), following time either way, at most full.
    fn tokens_at(&self, level: i128, at: i128, now: i128) -> i128 {
        (level + (now - at)).min(self.capacity())
    }

    fn outcome(&self, allowed: bool, tokens: i128, retry_after: u64) -> Outcome {
        Outcome {
            allowed,
            limit: u64::try_from(self.burst).expect("fits"),
            remaining: u64::try_from(tokens.max(0) / self.period).expect("fits"),
            retry_after,
            reset_after: self.ceil_ns(self.capacity() - tokens),
        }
    }

    /// Reserves `cost` tokens at `now`, committing iff the wait is at most `max_wait`.
    /// `None` when the cost exceeds the capacity.
    pub fn reserve(&mut self, now: u64, cost: u64, max_wait: u64) -> Option<(Reserved, Outcome)> {
        if i128::from(cost) > self.burst {
            return None;
        }
        let unseen = self.starts_empty && !self.seen;
        let u = self.units(now);
        let (level, at, latest) = self.standing(u);
        let available = self.tokens_at(level, at, u);
        let after = available - i128::from(cost) * self.period;
        // In debt, the caller proceeds once the refill has repaid it.
        let ready = if after >= 0 { u } else { u - after };
        let ready_at = self.ceil_ns(ready);
        let delay = ready_at - now;
        let committed = delay <= max_wait;
        let charged = committed && cost > 0;
        if charged {
            self.seen = true;
            self.level = after;
            self.at = u;
            self.latest = latest.max(ready);
            self.serial += 1;
        } else if unseen && cost > 0 {
            // The refill of a new key starts at its first charge, admitted or not.
            self.seen = true;
            self.level = 0;
            self.at = u;
            self.latest = 0;
        }
        let tokens = if charged { after } else { available };
        let outcome = self.outcome(committed, tokens, if committed { 0 } else { delay });
        let reserved = Reserved {
            committed,
            cost,
            ready,
            ready_at,
            delay,
            serial: self.serial,
            latest_before: latest,
        };
        Some((reserved, outcome))
    }

    /// A reservation that may not wait. `None` when the cost exceeds the capacity.
    pub fn check(&mut self, now: u64, cost: u64) -> Option<Outcome> {
        self.reserve(now, cost, 0).map(|(_, outcome)| outcome)
    }

    /// The standing at `now`, recording nothing.
    pub fn peek(&self, now: u64) -> Outcome {
        let mut copy = self.clone();
        copy.check(now, 0).expect("cost 0 fits")
    }

    /// True when forgetting the key changes no decision from `now` on: a full bucket, or when
    /// starting empty, a key never charged.
    pub fn is_fresh(&self, now: u64) -> bool {
        if self.starts_empty {
            !self.seen
        } else {
            self.tokens_at(self.level, self.at, self.units(now)) == self.capacity()
        }
    }

    /// Gives back what the rules allow of `r` at `now`; returns the whole tokens given back.
    pub fn cancel(&mut self, r: &mut Reserved, now: u64) -> u64 {
        let committed = std::mem::replace(&mut r.committed, false);
        if !committed || r.cost == 0 || now > r.ready_at || (self.starts_empty && !self.seen) {
            return 0;
        }
        let cost = i128::from(r.cost) * self.period;
        let full_at = self.at + self.capacity() - self.level;
        // Not a reservation this key still holds.
        if r.ready > self.latest || r.ready + cost > full_at {
            return 0;
        }
        // Whole tokens refilled between this reservation and the latest one still held.
        let claimed = (self.latest - r.ready + self.period - 1) / self.period;
        let back = (i128::from(r.cost) - claimed).max(0);
        let c = self.units(now);
        let current = self.tokens_at(self.level, self.at, c);
        let (level, at) = if current < self.capacity() {
            ((current + back * self.period).min(self.capacity()), c)
        } else {
            (self.level, self.at)
        };
        let new_full_at = at + self.capacity() - level;
        // The most recent reservation still held (a stack of commits) is an exact undo.
        let top = self.serial == r.serial;
        let held = if top {
            r.latest_before.min(self.latest)
        } else {
            self.latest
        };
        let latest = held.min(new_full_at - self.period).max(0);
        if new_full_at == full_at && latest == self.latest && !top {
            return 0;
        }
        let given = (full_at - new_full_at) / self.period;
        self.level = level;
        self.at = at;
        self.latest = latest;
        if top {
            self.serial -= 1;
        }
        u64::try_from(given).expect("fits")
    }
}
