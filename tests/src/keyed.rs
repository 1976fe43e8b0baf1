//! A keyed table exactly as the contract states it, with keys in a plain list.
//!
//! A key is remembered only while it is not fresh: it becomes fresh `reset_after` after its
//! last decision (exact for the algorithms modelled here), and a fresh key is the same as an
//! absent one. At most `capacity` keys are remembered. A new key that must be remembered when
//! `capacity` keys are, is refused with the time until the first of them becomes fresh
//! (failing closed), or replaces the key that becomes fresh first (evicting).
//!
//! The model is asked about non-decreasing instants only.

use crate::gcra::Outcome;

/// A per-key limiter as the keyed model drives it.
pub trait PerKey: Clone {
    /// The outcome of a request of `cost` at `now`; `None` when `cost` exceeds the capacity.
    fn check(&mut self, now: u64, cost: u64) -> Option<Outcome>;
}

impl PerKey for crate::gcra::Gcra {
    fn check(&mut self, now: u64, cost: u64) -> Option<Outcome> {
        crate::gcra::Gcra::check(self, now, cost)
    }
}

/// What the keyed model decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyedOutcome {
    /// The key's own limiter decided.
    Decided(Outcome),
    /// No room: refused, nothing recorded; retry after this many nanoseconds.
    Full {
        /// Nanoseconds until the first remembered key becomes fresh.
        retry_after: u64,
    },
}

/// A bounded keyed table over per-key limiters that start as `fresh`.
#[derive(Debug, Clone)]
pub struct Keyed<M> {
    capacity: usize,
    evict: bool,
    fresh: M,
    /// Remembered keys: `(key, limiter, instant it becomes fresh)`.
    keys: Vec<(u64, M, u64)>,
    evictions: u64,
}

impl<M: PerKey> Keyed<M> {
    /// An empty table of `capacity` keys; `evict` chooses eviction over failing closed.
    pub fn new(fresh: M, capacity: usize, evict: bool) -> Self {
        Keyed {
            capacity,
            evict,
            fresh,
            keys: Vec::new(),
            evictions: 0,
        }
    }

    /// The remembered keys.
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.keys.iter().map(|&(k, _, _)| k)
    }

    /// Keys evicted so far.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Forgets every key fresh at `now`.
    pub fn forget_fresh(&mut self, now: u64) {
        self.keys.retain(|&(_, _, fresh_at)| fresh_at > now);
    }

    /// The outcome of a request of `cost` for `key` at `now`, or `None` when `cost` exceeds
    /// the capacity. When a key must be evicted and several become fresh at the same instant,
    /// `chosen` names the one evicted among them.
    pub fn check(
        &mut self,
        key: u64,
        now: u64,
        cost: u64,
        chosen: impl FnOnce(&[u64]) -> u64,
    ) -> Option<KeyedOutcome> {
        self.forget_fresh(now);
        if let Some(i) = self.keys.iter().position(|&(k, _, _)| k == key) {
            let (_, limiter, fresh_at) = &mut self.keys[i];
            let outcome = limiter.check(now, cost)?;
            *fresh_at = now + outcome.reset_after;
            if outcome.reset_after == 0 {
                self.keys.remove(i);
            }
            return Some(KeyedOutcome::Decided(outcome));
        }
        let mut limiter = self.fresh.clone();
        let outcome = limiter.check(now, cost)?;
        if outcome.reset_after == 0 {
            return Some(KeyedOutcome::Decided(outcome));
        }
        if self.keys.len() >= self.capacity {
            let first = self.keys.iter().map(|&(_, _, at)| at).min();
            let Some(first) = first else {
                return Some(KeyedOutcome::Full {
                    retry_after: u64::MAX,
                });
            };
            if !self.evict {
                return Some(KeyedOutcome::Full {
                    retry_after: first - now,
                });
            }
            let candidates: Vec<u64> = self
                .keys
                .iter()
                .filter(|&&(_, _, at)| at == first)
                .map(|&(k, _, _)| k)
                .collect();
            let victim = if candidates.len() == 1 {
                candidates[0]
            } else {
                chosen(&candidates)
            };
            assert!(candidates.contains(&victim), "evicted a key not due first");
            self.keys.retain(|&(k, _, _)| k != victim);
            self.evictions += 1;
        }
        self.keys.push((key, limiter, now + outcome.reset_after));
        Some(KeyedOutcome::Decided(outcome))
    }
}
