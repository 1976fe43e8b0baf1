//! [`DynKeyedStore`]: a [`KeyedStore`] whose algorithm is chosen at runtime (`std`).
//!
//! A binding or a configuration file picks the algorithm at runtime, as a [`Limiter`]. A
//! `KeyedStore<K, Limiter>` would work, but every key would then carry a [`LimiterState`]
//! (the largest state of any algorithm, plus a tag) and every decision would go through the
//! dispatch. `DynKeyedStore` dispatches once per call to a store of the chosen algorithm, so
//! each key keeps that algorithm's own state (8 bytes for GCRA) and the decision runs the
//! algorithm's code directly: the same per-key cost as a `KeyedStore` of that algorithm.
//!
//! ```
//! use ratecell::{DynKeyedStore, Gcra, Limiter, Nanos, Quota, WhenFull};
//!
//! let policy = Limiter::from(Gcra::new(Quota::parse("100/minute burst 120")?));
//! let store: DynKeyedStore<Box<[u8]>> = DynKeyedStore::new(policy, 10_000, WhenFull::FailClosed);
//! assert!(store.check(&b"sk_live_1"[..], Nanos::ZERO, 1)?.allowed());
//! assert_eq!(store.peek(&b"sk_live_1"[..], Nanos::ZERO).remaining, 119);
//! assert_eq!(store.policy().name(), "Gcra");
//! # Ok::<(), ratecell::Error>(())
//! ```
//!
//! [`LimiterState`]: crate::LimiterState

use core::borrow::Borrow;
use core::hash::Hash;
use std::borrow::ToOwned;

use super::{Keyed, KeyedStore, WhenFull};
use crate::burst::Burst;
use crate::credits::Credits;
use crate::decision::Decision;
use crate::error::Error;
use crate::fixed_window::FixedWindow;
use crate::gcra::Gcra;
use crate::limiter::Limiter;
use crate::sliding_window::SlidingWindow;
use crate::time::Nanos;
use crate::token_bucket::{Reservation, TokenBucket};

/// Declares the store of each algorithm and `with_store!`, which runs an expression with the
/// chosen store bound.
macro_rules! stores {
    ($($(#[$doc:meta])* $variant:ident($policy:ty, $state:ty),)+) => {
        enum Stores<K> {
            $($variant(KeyedStore<K, $policy>),)+
        }

        impl<K> Stores<K> {
            fn new(policy: Limiter, max_keys: usize, when_full: WhenFull) -> Stores<K> {
                match policy {
                    $(Limiter::$variant(p) => {
                        Stores::$variant(KeyedStore::new(p, max_keys, when_full))
                    })+
                }
            }

            fn policy(&self) -> Limiter {
                match self {
                    $(Stores::$variant(s) => Limiter::$variant(*s.policy()),)+
                }
            }
        }

        macro_rules! with_store {
            ($stores:expr, |$store:ident| $body:expr) => {
                match $stores {
                    $(Stores::$variant($store) => $body,)+
                }
            };
        }
    };
}

crate::limiter::for_each_algorithm!(stores);

/// A thread-safe keyed store of the algorithm a [`Limiter`] names, bounded by `max_keys`,
/// with each key in that algorithm's own state (see the [`keyed` module documentation](crate::keyed)).
/// Decisions and errors are those of [`KeyedStore`].
pub struct DynKeyedStore<K> {
    stores: Stores<K>,
}

impl<K> DynKeyedStore<K> {
    /// An empty store enforcing `policy` on every key (see [`KeyedStore::new`]).
    pub fn new(policy: Limiter, max_keys: usize, when_full: WhenFull) -> Self {
        DynKeyedStore {
            stores: Stores::new(policy, max_keys, when_full),
        }
    }

    /// The policy every key follows.
    pub fn policy(&self) -> Limiter {
        self.stores.policy()
    }

    /// The bound on stored keys.
    pub fn max_keys(&self) -> usize {
        with_store!(&self.stores, |s| s.max_keys())
    }

    /// What happens to a new key when its shard is full.
    pub fn when_full(&self) -> WhenFull {
        with_store!(&self.stores, |s| s.when_full())
    }

    /// How many keys are stored.
    pub fn len(&self) -> usize {
        with_store!(&self.stores, |s| s.len())
    }

    /// No key is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys evicted by [`WhenFull::Evict`] so far.
    pub fn evictions(&self) -> u64 {
        with_store!(&self.stores, |s| s.evictions())
    }

    /// Forgets every key.
    pub fn clear(&self) {
        with_store!(&self.stores, |s| s.clear());
    }
}

impl<K: Hash + Eq> DynKeyedStore<K> {
    /// [`KeyedStore::check`] on the chosen algorithm's store.
    // Always inlined: called, it returns its outcome through memory, which the caller then
    // reads back in wider loads than it was written with; the processor cannot forward those
    // stores, and the wait cost the C API's keyed check about 3 ns (an eighth of it).
    #[expect(clippy::inline_always, reason = "measured: see the comment above")]
    #[inline(always)]
    pub fn check<Q>(&self, key: &Q, now: Nanos, cost: u64) -> Result<Keyed, Error>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned,
        Q::Owned: Into<K>,
    {
        with_store!(&self.stores, |s| s.check(key, now, cost))
    }

    /// [`KeyedStore::peek`] on the chosen algorithm's store.
    pub fn peek<Q>(&self, key: &Q, now: Nanos) -> Decision
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        with_store!(&self.stores, |s| s.peek(key, now))
    }

    /// [`KeyedStore::contains_key`] on the chosen algorithm's store.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        with_store!(&self.stores, |s| s.contains_key(key))
    }

    /// [`KeyedStore::reset`] on the chosen algorithm's store.
    pub fn reset<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        with_store!(&self.stores, |s| s.reset(key))
    }
}

impl<K: Hash + Eq> DynKeyedStore<K> {
    /// Adds `amount` credits to `key` of a credits store (see [`Credits::top_up`]), storing
    /// the key if it is new, and returns the credits it has left. `None`, changing nothing,
    /// when the policy is not [`Limiter::Credits`] or when the key is new and the store is
    /// full of keys that still count.
    ///
    /// ```
    /// use ratecell::{Credits, DynKeyedStore, Limiter, Nanos, WhenFull};
    ///
    /// let store: DynKeyedStore<Box<str>> =
    ///     DynKeyedStore::new(Limiter::from(Credits::new(1_000)), 100, WhenFull::FailClosed);
    /// assert!(store.check("acct", Nanos::ZERO, 1_000)?.allowed());
    /// assert_eq!(store.top_up("acct", Nanos::ZERO, 400), Some(Ok(400)));
    /// assert!(store.check("acct", Nanos::ZERO, 400)?.allowed());
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub fn top_up<Q>(&self, key: &Q, now: Nanos, amount: u64) -> Option<Result<u64, Error>>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned,
        Q::Owned: Into<K>,
    {
        let Stores::Credits(store) = &self.stores else {
            return None;
        };
        store
            .upsert(key, now, |policy, state| {
                let left = policy.top_up(state, amount);
                (left, policy.peek(state, now).reset_after)
            })
            .ok()
    }

    /// Reserves `cost` tokens for `key` of a token bucket store (see [`TokenBucket::reserve`]),
    /// storing the key if it is new. `None`, changing nothing, when the policy is not
    /// [`Limiter::TokenBucket`] or when the key is new and the store is full of keys that
    /// still count.
    pub fn reserve<Q>(
        &self,
        key: &Q,
        now: Nanos,
        cost: u64,
        max_wait: Nanos,
    ) -> Option<Result<Reservation, Error>>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned,
        Q::Owned: Into<K>,
    {
        let Stores::TokenBucket(store) = &self.stores else {
            return None;
        };
        store
            .upsert(key, now, |policy, state| {
                let reserved = policy.reserve(state, now, cost, max_wait);
                (reserved, policy.peek(state, now).reset_after)
            })
            .ok()
    }

    /// Cancels `key`'s `reservation` at `now` (see [`TokenBucket::cancel`]) and returns the
    /// whole tokens given back. `None` when the policy is not [`Limiter::TokenBucket`] or the
    /// key is not stored (a key not stored holds no reservation).
    pub fn cancel<Q>(&self, key: &Q, reservation: &mut Reservation, now: Nanos) -> Option<u64>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let Stores::TokenBucket(store) = &self.stores else {
            return None;
        };
        store.modify(key, now, |policy, state| {
            let returned = policy.cancel(state, reservation, now);
            (returned, policy.peek(state, now).reset_after)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Quota;
    use std::boxed::Box;

    #[test]
    fn every_algorithm_decides_as_its_own_store_does() {
        let quota = Quota::parse("5/second burst 6").unwrap();
        let limiters = [
            Limiter::from(Gcra::new(quota)),
            Limiter::from(Burst::new(quota, core::time::Duration::from_secs(1)).unwrap()),
            Limiter::from(FixedWindow::new(quota)),
            Limiter::from(SlidingWindow::new(quota)),
            Limiter::from(TokenBucket::new(quota)),
            Limiter::from(Credits::new(9)),
        ];
        for limiter in limiters {
            let dynamic: DynKeyedStore<Box<str>> =
                DynKeyedStore::new(limiter, 4, WhenFull::FailClosed);
            let reference: KeyedStore<Box<str>, Limiter> =
                KeyedStore::new(limiter, 4, WhenFull::FailClosed);
            assert_eq!(dynamic.policy(), limiter);
            assert_eq!(
                (dynamic.max_keys(), dynamic.when_full()),
                (4, WhenFull::FailClosed)
            );
            for i in 0..40_u64 {
                let key = ["a", "b", "c", "d", "e"][(i % 5) as usize];
                let now = Nanos::from_millis(i * 50);
                assert_eq!(
                    dynamic.check(key, now, i % 3),
                    reference.check(key, now, i % 3)
                );
                assert_eq!(dynamic.peek(key, now), reference.peek(key, now));
                assert_eq!(dynamic.contains_key(key), reference.contains_key(key));
            }
            assert_eq!(dynamic.len(), reference.len());
            assert_eq!(dynamic.reset("a"), reference.reset("a"));
            dynamic.clear();
            assert!(dynamic.is_empty());
            assert_eq!(dynamic.evictions(), 0);
        }
    }

    #[test]
    fn top_ups_and_reservations_match_the_limiter_store_and_refuse_other_algorithms() {
        let quota = Quota::parse("5/second burst 6").unwrap();
        let credits = Limiter::from(Credits::new(3));
        let bucket = Limiter::from(TokenBucket::new(quota));
        let gcra = Limiter::from(Gcra::new(quota));
        for limiter in [credits, bucket, gcra] {
            let dynamic: DynKeyedStore<Box<str>> =
                DynKeyedStore::new(limiter, 1, WhenFull::FailClosed);
            let reference: KeyedStore<Box<str>, Limiter> =
                KeyedStore::new(limiter, 1, WhenFull::FailClosed);
            let now = Nanos::from_millis(10);
            assert_eq!(dynamic.top_up("a", now, 2), reference.top_up("a", now, 2));
            let (mine, theirs) = (
                dynamic.reserve("a", now, 6, Nanos::from_secs(1)),
                reference.reserve("a", now, 6, Nanos::from_secs(1)),
            );
            assert_eq!(mine, theirs);
            if let (Some(Ok(mut mine)), Some(Ok(mut theirs))) = (mine, theirs) {
                assert_eq!(
                    dynamic.cancel("a", &mut mine, now),
                    reference.cancel("a", &mut theirs, now)
                );
            }
            assert_eq!(dynamic.check("a", now, 1), reference.check("a", now, 1));
            // The one place is taken: a new key finds no room.
            assert_eq!(dynamic.top_up("b", now, 1), reference.top_up("b", now, 1));
            assert_eq!(
                dynamic.reserve("b", now, 1, Nanos::ZERO),
                reference.reserve("b", now, 1, Nanos::ZERO)
            );
        }
    }
}
