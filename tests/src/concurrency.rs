//! Concurrency leases exactly as the contract states them, with leases in a plain list.
//!
//! A lease acquired or renewed at `t` is live on `[t, t + ttl)`. At most `limit` leases are
//! live at once. No slots and no serial numbers: the model names each lease with its own
//! counter, so the tests pair the core's leases with the model's names.

use crate::gcra::Outcome;

/// A concurrency cap for one key.
#[derive(Debug, Clone)]
pub struct Concurrency {
    limit: u64,
    ttl: u64,
    /// Every lease not released yet, live or expired: `(name, expires_at)`.
    leases: Vec<(u64, u64)>,
    next_name: u64,
}

impl Concurrency {
    /// No lease yet: at most `limit` at once, each live for `ttl_ns`.
    pub fn new(limit: u64, ttl_ns: u64) -> Self {
        assert!(limit > 0 && ttl_ns > 0);
        Concurrency {
            limit,
            ttl: ttl_ns,
            leases: Vec::new(),
            next_name: 0,
        }
    }

    /// The expiry instants of the live leases at `now`, earliest first.
    fn live_expiries(&self, now: u64) -> Vec<u64> {
        let mut live: Vec<u64> = self
            .leases
            .iter()
            .map(|&(_, expires_at)| expires_at)
            .filter(|&expires_at| now < expires_at)
            .collect();
        live.sort_unstable();
        live
    }

    /// How many leases are live at `now`.
    pub fn live(&self, now: u64) -> u64 {
        self.live_expiries(now).len() as u64
    }

    fn outcome(&self, allowed: bool, now: u64, retry_after: u64) -> Outcome {
        let live = self.live_expiries(now);
        Outcome {
            allowed,
            limit: self.limit,
            remaining: self.limit.saturating_sub(live.len() as u64),
            retry_after,
            reset_after: live.last().map_or(0, |&last| last - now),
        }
    }

    /// Grants `cost` leases at `now` if they fit, returning their names.
    fn grant(&mut self, now: u64, cost: u64) -> (Outcome, Vec<u64>) {
        let live = self.live_expiries(now);
        let count = live.len() as u64;
        if count + cost > self.limit {
            // The `need`-th earliest expiry frees enough slots.
            let need = count + cost - self.limit;
            let at = live[usize::try_from(need - 1).expect("small")];
            return (self.outcome(false, now, at - now), Vec::new());
        }
        let mut names = Vec::new();
        for _ in 0..cost {
            self.next_name += 1;
            self.leases
                .push((self.next_name, now.saturating_add(self.ttl)));
            names.push(self.next_name);
        }
        (self.outcome(true, now, 0), names)
    }

    /// Acquires one lease at `now`: the outcome and the new lease's name when admitted.
    pub fn acquire(&mut self, now: u64) -> (Outcome, Option<u64>) {
        let (outcome, names) = self.grant(now, 1);
        (outcome, names.first().copied())
    }

    /// Acquires `cost` leases nobody can release; `None` when `cost > limit`.
    pub fn check(&mut self, now: u64, cost: u64) -> Option<Outcome> {
        if cost > self.limit {
            return None;
        }
        Some(self.grant(now, cost).0)
    }

    /// The standing at `now`.
    pub fn peek(&self, now: u64) -> Outcome {
        self.outcome(true, now, 0)
    }

    /// Extends lease `name` to `now + ttl` if it is live; whether it was.
    pub fn renew(&mut self, name: u64, now: u64) -> bool {
        let ttl = self.ttl;
        match self.leases.iter_mut().find(|(n, _)| *n == name) {
            Some((_, expires_at)) if now < *expires_at => {
                *expires_at = now.saturating_add(ttl);
                true
            }
            _ => false,
        }
    }

    /// Ends lease `name`; whether it was live.
    pub fn release(&mut self, name: u64, now: u64) -> bool {
        match self.leases.iter().position(|(n, _)| *n == name) {
            Some(i) => {
                let (_, expires_at) = self.leases.remove(i);
                now < expires_at
            }
            None => false,
        }
    }
}
