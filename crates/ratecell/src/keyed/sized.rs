//! Keyed stores whose per-key capacity is chosen at runtime: [`SlidingLogStore`] and
//! [`ConcurrencyStore`] (`std`), the [`KeyedStore`]s of [`SizedSlidingLog`] and
//! [`SizedConcurrency`].
//!
//! [`SlidingLog`](crate::SlidingLog) and [`Concurrency`](crate::Concurrency) size each key's
//! state with a const generic (log entries, lease slots), which a binding or a configuration
//! file only knows at runtime. The [`sized`](crate::sized) policies choose the size from one
//! ladder and box each key's state, so a store of them needs nothing more than the leases'
//! operations below. A fresh key is not stored (see [reclamation](super)), so the stored keys
//! are exactly those holding an allocated state: `16 * N + 24` bytes (logs) or `16 * N + 8`
//! bytes (leases) each.
//!
//! ```
//! use core::time::Duration;
//! use ratecell::{ConcurrencyStore, KeyedStore, Nanos, Quota, SizedConcurrency, SizedSlidingLog};
//! use ratecell::{SlidingLogStore, WhenFull};
//!
//! let log = SizedSlidingLog::exact(Quota::parse("100/minute")?)?;
//! let store: SlidingLogStore<Box<str>> = KeyedStore::new(log, 10_000, WhenFull::FailClosed);
//! assert!(store.check("key", Nanos::ZERO, 100)?.allowed());
//! let d = store.check("key", Nanos::from_secs(30), 1)?.decision();
//! assert_eq!(d.retry_after, Nanos::from_secs(30));
//!
//! let sessions: ConcurrencyStore<Box<str>> = KeyedStore::new(
//!     SizedConcurrency::new(10, Nanos::from_secs(60))?,
//!     10_000,
//!     WhenFull::FailClosed,
//! );
//! let (d, lease) = sessions.acquire("key", Nanos::ZERO);
//! assert_eq!(d.decision().remaining, 9);
//! assert!(sessions.release("key", lease.expect("granted"), Nanos::from_secs(1)));
//! # Ok::<(), ratecell::Error>(())
//! ```

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};
use std::borrow::ToOwned;

use super::{Keyed, KeyedStore, Locking, full_decision};
use crate::concurrency::Lease;
use crate::sized::{SizedConcurrency, SizedSlidingLog};
use crate::time::Nanos;

/// A thread-safe keyed [`SlidingLog`](crate::SlidingLog) whose log size is chosen at runtime.
/// With [`SingleThread`](super::SingleThread) as `L`, for one thread without locks.
pub type SlidingLogStore<K, H = super::HashSeed, L = super::ThreadSafe> =
    KeyedStore<K, SizedSlidingLog, H, L>;

/// A thread-safe keyed [`Concurrency`](crate::Concurrency) cap whose lease slots are chosen
/// at runtime. With [`SingleThread`](super::SingleThread) as `L`, for one thread without locks.
pub type ConcurrencyStore<K, H = super::HashSeed, L = super::ThreadSafe> =
    KeyedStore<K, SizedConcurrency, H, L>;

impl<K, H, L> KeyedStore<K, SizedConcurrency, H, L>
where
    K: Hash + Eq,
    H: BuildHasher,
    L: Locking,
{
    /// Acquires one lease for `key` at `now` (see [`SizedConcurrency::acquire`]).
    pub fn acquire<Q>(&self, key: &Q, now: Nanos) -> (Keyed, Option<Lease>)
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned,
        Q::Owned: Into<K>,
    {
        let done = self.upsert(key, now, |policy, state| {
            let (d, lease) = policy.acquire(state, now);
            ((d, lease), d.reset_after)
        });
        match done {
            Ok((d, lease)) => (Keyed::Decided(d), lease),
            Err(retry_after) => (full_decision(self.policy().limit(), retry_after), None),
        }
    }

    /// Renews `key`'s `lease` at `now` (see [`SizedConcurrency::renew`]).
    pub fn renew<Q>(&self, key: &Q, lease: Lease, now: Nanos) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.modify(key, now, |policy, state| {
            let renewed = policy.renew(state, lease, now);
            (renewed, policy.peek(state, now).reset_after)
        })
        .unwrap_or(false)
    }

    /// Releases `key`'s `lease` at `now` (see [`SizedConcurrency::release`]); idempotent.
    pub fn release<Q>(&self, key: &Q, lease: Lease, now: Nanos) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.modify(key, now, |policy, state| {
            let released = policy.release(state, lease, now);
            (released, policy.peek(state, now).reset_after)
        })
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyed::WhenFull;
    use crate::quota::Quota;
    use std::boxed::Box;

    #[test]
    fn a_log_store_is_exact_at_its_limit() {
        let log = SizedSlidingLog::exact(Quota::parse("64/second").unwrap()).unwrap();
        let store: SlidingLogStore<Box<[u8]>> = KeyedStore::new(log, 10, WhenFull::FailClosed);
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

    #[test]
    fn a_lease_store_frees_a_slot_only_for_its_holder() {
        let caps = SizedConcurrency::new(2, Nanos::from_secs(10)).unwrap();
        let store: ConcurrencyStore<u64> = KeyedStore::new(caps, 10, WhenFull::FailClosed);
        let (_, a) = store.acquire(&1, Nanos::ZERO);
        let (_, b) = store.acquire(&1, Nanos::ZERO);
        assert!(!store.acquire(&1, Nanos::ZERO).0.allowed());
        let a = a.unwrap();
        assert!(store.renew(&1, a, Nanos::from_secs(5)));
        assert!(store.release(&1, a, Nanos::from_secs(6)));
        assert!(!store.release(&1, a, Nanos::from_secs(6)));
        assert!(!store.release(&2, b.unwrap(), Nanos::from_secs(6)));
        assert!(store.acquire(&1, Nanos::from_secs(6)).0.allowed());
        assert_eq!(store.len(), 1);
    }
}
