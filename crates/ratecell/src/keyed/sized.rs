//! Keyed stores whose per-key capacity is chosen at runtime: [`SlidingLogStore`] and
//! [`ConcurrencyStore`] (`std`).
//!
//! [`SlidingLog`] and [`Concurrency`] size each key's state with a const generic (log
//! entries, lease slots), which a binding or a configuration file only knows at runtime.
//! These stores pick the smallest of a few size classes that holds the limit and dispatch to a
//! [`KeyedStore`] of that size, so every binding shares one dispatch.
//!
//! | store | classes | bytes per key (state) |
//! |---|---|---|
//! | [`SlidingLogStore`] | 8, 64, 512, 4096 entries | `16 * N + 24` |
//! | [`ConcurrencyStore`] | 4, 16, 64, 256, 1024 slots | `16 * N + 8` |
//!
//! A limit above the largest class is [`QuotaError::LimitExceedsSlots`]: an exact log of more
//! than 4096 requests per period, or more than 1024 concurrent leases per key, is better
//! served by [`SlidingWindow`](crate::SlidingWindow) or [`Gcra`](crate::Gcra), and by a
//! counter.

use core::borrow::Borrow;
use core::hash::Hash;
use std::borrow::ToOwned;

use super::{Keyed, KeyedStore, WhenFull};
use crate::concurrency::{Concurrency, Lease};
use crate::decision::Decision;
use crate::error::{Error, QuotaError};
use crate::quota::Quota;
use crate::sliding_log::SlidingLog;
use crate::time::Nanos;

macro_rules! sized_store {
    (
        $(#[$doc:meta])*
        $name:ident, $policy:ident, [$($variant:ident = $n:literal),+]
    ) => {
        $(#[$doc])*
        #[non_exhaustive]
        pub enum $name<K> {
            $(
                #[doc = concat!("A store of `", stringify!($policy), "<", stringify!($n), ">` states.")]
                $variant(KeyedStore<K, $policy<$n>>),
            )+
        }

        impl<K> $name<K> {
            /// The size classes, smallest first.
            pub const CLASSES: &'static [usize] = &[$($n),+];

            /// The largest limit a store can hold.
            pub const MAX_LIMIT: u64 = {
                let mut max = 0;
                $(if $n > max { max = $n; })+
                max
            };

            /// The size of each key's state: log entries or lease slots.
            pub const fn slots(&self) -> usize {
                match self {
                    $($name::$variant(_) => $n,)+
                }
            }

            /// How many keys are stored (never more than `max_keys`).
            pub fn len(&self) -> usize {
                match self {
                    $($name::$variant(s) => s.len(),)+
                }
            }

            /// No key is stored.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// The bound on stored keys.
            pub fn max_keys(&self) -> usize {
                match self {
                    $($name::$variant(s) => s.max_keys(),)+
                }
            }

            /// Forgets every key.
            pub fn clear(&self) {
                match self {
                    $($name::$variant(s) => s.clear(),)+
                }
            }
        }

        impl<K: Hash + Eq> $name<K> {
            /// `key`'s standing at `now`, recording nothing.
            pub fn peek<Q>(&self, key: &Q, now: Nanos) -> Decision
            where
                K: Borrow<Q>,
                Q: ?Sized + Hash + Eq,
            {
                match self {
                    $($name::$variant(s) => s.peek(key, now),)+
                }
            }

            /// Resets `key` to fresh by forgetting it. Returns whether it was stored.
            pub fn reset<Q>(&self, key: &Q) -> bool
            where
                K: Borrow<Q>,
                Q: ?Sized + Hash + Eq,
            {
                match self {
                    $($name::$variant(s) => s.reset(key),)+
                }
            }

            /// Decides a request of `cost` for `key` at `now` (see [`KeyedStore::check`]).
            pub fn check<Q>(&self, key: &Q, now: Nanos, cost: u64) -> Result<Keyed, Error>
            where
                K: Borrow<Q>,
                Q: ?Sized + Hash + Eq + ToOwned,
                Q::Owned: Into<K>,
            {
                match self {
                    $($name::$variant(s) => s.check(key, now, cost),)+
                }
            }
        }
    };
}

sized_store! {
    /// A thread-safe keyed [`SlidingLog`] whose log size is chosen at runtime: the smallest
    /// class of 8, 64, 512 or 4096 entries that holds the quota's limit, so that requests of
    /// cost 1 can always reach the limit.
    ///
    /// ```
    /// use ratecell::{Nanos, Quota, SlidingLogStore, WhenFull};
    ///
    /// let store: SlidingLogStore<Box<str>> =
    ///     SlidingLogStore::new(Quota::parse("100/minute")?, 10_000, WhenFull::FailClosed)?;
    /// assert_eq!(store.slots(), 512);
    /// assert!(store.check("key", Nanos::ZERO, 100)?.allowed());
    /// let d = store.check("key", Nanos::from_secs(30), 1)?.decision();
    /// assert_eq!(d.retry_after, Nanos::from_secs(30));
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    SlidingLogStore, SlidingLog, [Log8 = 8, Log64 = 64, Log512 = 512, Log4096 = 4096]
}

sized_store! {
    /// A thread-safe keyed [`Concurrency`] cap whose lease slots are chosen at runtime: the
    /// smallest class of 4, 16, 64, 256 or 1024 slots that holds the limit.
    ///
    /// ```
    /// use core::time::Duration;
    /// use ratecell::{ConcurrencyStore, Nanos, WhenFull};
    ///
    /// let sessions: ConcurrencyStore<Box<str>> =
    ///     ConcurrencyStore::new(10, Duration::from_secs(60), 10_000, WhenFull::FailClosed)?;
    /// assert_eq!(sessions.slots(), 16);
    /// let (d, lease) = sessions.acquire("key", Nanos::ZERO);
    /// assert_eq!(d.decision().remaining, 9);
    /// assert!(sessions.release("key", lease.expect("granted"), Nanos::from_secs(1)));
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    ConcurrencyStore, Concurrency, [Slots4 = 4, Slots16 = 16, Slots64 = 64, Slots256 = 256, Slots1024 = 1024]
}

impl<K: Hash + Eq> SlidingLogStore<K> {
    /// An empty store enforcing `quota` exactly on every key, bounded by `max_keys` keys.
    /// A limit above [`SlidingLogStore::MAX_LIMIT`] is [`QuotaError::LimitExceedsSlots`].
    pub fn new(quota: Quota, max_keys: usize, when_full: WhenFull) -> Result<Self, QuotaError> {
        let limit = quota.limit();
        Ok(if limit <= 8 {
            SlidingLogStore::Log8(KeyedStore::new(SlidingLog::new(quota), max_keys, when_full))
        } else if limit <= 64 {
            SlidingLogStore::Log64(KeyedStore::new(SlidingLog::new(quota), max_keys, when_full))
        } else if limit <= 512 {
            SlidingLogStore::Log512(KeyedStore::new(SlidingLog::new(quota), max_keys, when_full))
        } else if limit <= 4096 {
            SlidingLogStore::Log4096(KeyedStore::new(SlidingLog::new(quota), max_keys, when_full))
        } else {
            return Err(QuotaError::LimitExceedsSlots);
        })
    }

    /// The quota every key follows.
    pub fn quota(&self) -> &Quota {
        match self {
            SlidingLogStore::Log8(s) => s.policy().quota(),
            SlidingLogStore::Log64(s) => s.policy().quota(),
            SlidingLogStore::Log512(s) => s.policy().quota(),
            SlidingLogStore::Log4096(s) => s.policy().quota(),
        }
    }
}

macro_rules! each_concurrency {
    ($store:expr, $s:ident => $body:expr) => {
        match $store {
            ConcurrencyStore::Slots4($s) => $body,
            ConcurrencyStore::Slots16($s) => $body,
            ConcurrencyStore::Slots64($s) => $body,
            ConcurrencyStore::Slots256($s) => $body,
            ConcurrencyStore::Slots1024($s) => $body,
        }
    };
}

impl<K: Hash + Eq> ConcurrencyStore<K> {
    /// An empty store allowing `limit` live leases per key, each for `ttl` unless renewed,
    /// bounded by `max_keys` keys. A limit above [`ConcurrencyStore::MAX_LIMIT`] is
    /// [`QuotaError::LimitExceedsSlots`]; the other errors are [`Concurrency::new`]'s.
    pub fn new(
        limit: u64,
        ttl: core::time::Duration,
        max_keys: usize,
        when_full: WhenFull,
    ) -> Result<Self, QuotaError> {
        Ok(if limit <= 4 {
            ConcurrencyStore::Slots4(KeyedStore::new(
                Concurrency::new(limit, ttl)?,
                max_keys,
                when_full,
            ))
        } else if limit <= 16 {
            ConcurrencyStore::Slots16(KeyedStore::new(
                Concurrency::new(limit, ttl)?,
                max_keys,
                when_full,
            ))
        } else if limit <= 64 {
            ConcurrencyStore::Slots64(KeyedStore::new(
                Concurrency::new(limit, ttl)?,
                max_keys,
                when_full,
            ))
        } else if limit <= 256 {
            ConcurrencyStore::Slots256(KeyedStore::new(
                Concurrency::new(limit, ttl)?,
                max_keys,
                when_full,
            ))
        } else if limit <= 1024 {
            ConcurrencyStore::Slots1024(KeyedStore::new(
                Concurrency::new(limit, ttl)?,
                max_keys,
                when_full,
            ))
        } else {
            return Err(QuotaError::LimitExceedsSlots);
        })
    }

    /// The most leases live at once per key.
    pub fn limit(&self) -> u64 {
        each_concurrency!(self, s => s.policy().limit())
    }

    /// How long a lease lives after its acquisition or last renewal.
    pub fn ttl(&self) -> Nanos {
        each_concurrency!(self, s => s.policy().ttl())
    }

    /// Acquires one lease for `key` at `now` (see [`Concurrency::acquire`]).
    pub fn acquire<Q>(&self, key: &Q, now: Nanos) -> (Keyed, Option<Lease>)
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned,
        Q::Owned: Into<K>,
    {
        each_concurrency!(self, s => s.acquire(key, now))
    }

    /// Renews `key`'s `lease` at `now` (see [`Concurrency::renew`]).
    pub fn renew<Q>(&self, key: &Q, lease: Lease, now: Nanos) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        each_concurrency!(self, s => s.renew(key, lease, now))
    }

    /// Releases `key`'s `lease` at `now` (see [`Concurrency::release`]); idempotent.
    pub fn release<Q>(&self, key: &Q, lease: Lease, now: Nanos) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        each_concurrency!(self, s => s.release(key, lease, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::time::Duration;
    use std::boxed::Box;

    #[test]
    fn the_smallest_class_that_holds_the_limit_is_chosen() {
        let log = |q: &str| {
            SlidingLogStore::<Box<str>>::new(Quota::parse(q).unwrap(), 10, WhenFull::Evict)
        };
        assert_eq!(log("8/second").unwrap().slots(), 8);
        assert_eq!(log("9/second").unwrap().slots(), 64);
        assert_eq!(log("4096/second").unwrap().slots(), 4096);
        assert_eq!(
            log("4097/second").err(),
            Some(QuotaError::LimitExceedsSlots)
        );
        let caps = |n| ConcurrencyStore::<u64>::new(n, Duration::from_secs(1), 10, WhenFull::Evict);
        assert_eq!(caps(2).unwrap().slots(), 4);
        assert_eq!(caps(50).unwrap().slots(), 64);
        assert_eq!(caps(1024).unwrap().slots(), 1024);
        assert_eq!(caps(1025).err(), Some(QuotaError::LimitExceedsSlots));
        assert_eq!(caps(0).err(), Some(QuotaError::ZeroLimit));
        assert_eq!(
            ConcurrencyStore::<u64>::new(1, Duration::ZERO, 10, WhenFull::Evict).err(),
            Some(QuotaError::ZeroPeriod)
        );
        assert_eq!(SlidingLogStore::<u64>::MAX_LIMIT, 4096);
        assert_eq!(ConcurrencyStore::<u64>::MAX_LIMIT, 1024);
    }

    #[test]
    fn a_log_store_is_exact_at_its_limit() {
        let store = SlidingLogStore::<Box<[u8]>>::new(
            Quota::parse("64/second").unwrap(),
            10,
            WhenFull::FailClosed,
        )
        .unwrap();
        let key: &[u8] = b"k";
        for _ in 0..64 {
            assert!(store.check(key, Nanos::ZERO, 1).unwrap().allowed());
        }
        let d = store.check(key, Nanos::ZERO, 1).unwrap().decision();
        assert!(!d.allowed);
        assert_eq!(d.retry_after, Nanos::from_secs(1));
        assert_eq!(store.peek(key, Nanos::from_secs(1)).remaining, 64);
        assert!(store.reset(key));
        assert!(store.is_empty());
    }
}
