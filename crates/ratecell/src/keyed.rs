//! Keyed limiters: one policy, a state per key (per API key, per client address, per user),
//! in bounded memory.
//!
//! - [`KeyedTable`] is a fixed-capacity table without allocation: `N` keys, checked at compile
//!   time, `const`-constructible so it can live in a `static`.
//! - With `std`, [`KeyedStore`] is a thread-safe store split into locked shards, growing up to
//!   `max_keys` keys, with string and byte keys looked up by their borrowed form (no
//!   allocation to check a key that is already stored). [`KeyedStore::single_thread`] makes
//!   one for a single thread, without locks ([`SingleThread`]).
//! - With `std`, [`CompactTable`] holds millions of keys in half the memory (17 bytes per
//!   GCRA key) and finds a key in one step (its two buckets, read at once), trading the exact order of a full table's
//!   reclamation and eviction for it (see its module).
//!
//! All work with every [`Algorithm`] and make the same decisions for the keys they hold. The
//! rest of this page describes `KeyedTable` and `KeyedStore`.
//!
//! # Reclamation: a fresh key is an absent key
//!
//! A key whose state is fresh (see [`Algorithm::is_fresh`]) decides exactly like a key never
//! seen, so the tables never need to keep it: memory holds only keys that still constrain
//! something, and nobody sweeps.
//!
//! - An operation that leaves its key fresh removes it on the spot (a request that was not
//!   recorded on an absent key never inserts it).
//! - Every stored key is filed by the instant it becomes fresh, in a binary heap threaded
//!   through the table. Each operation reclaims up to two keys whose instant has passed, and a
//!   new key that finds the table full reclaims every fresh key it needs before any policy
//!   applies. So the table is only ever *full* when every stored key still constrains
//!   something.
//!
//! # A full table: [`WhenFull`]
//!
//! When a new key must be stored, the table holds its maximum of keys and none of them is
//! fresh, the configured policy decides. Nothing ever panics or grows past the bound:
//!
//! - [`WhenFull::FailClosed`] refuses the new key: the outcome is [`Keyed::Full`], a denial
//!   whose `retry_after` is exact: the time until the first stored key becomes fresh and frees
//!   its slot. With no other traffic the same request is refused 1 ns before that and admitted
//!   at it. Stored keys are never disturbed, so a flood of new keys cannot reset anyone's
//!   limit.
//! - [`WhenFull::Evict`] forgets the stored key that will be fresh soonest (forgetting it
//!   admits the least extra traffic of all choices) and stores the new key. Counted in
//!   `evictions()`.
//!
//! # Cost
//!
//! Lookups are `O(1)` on average: linear probing over an index with twice as many slots as
//! keys (load at most 1/2). Checking a stored key is `O(1)`: the heap is not reordered when a
//! key's freshness moves later, only a lower bound is kept. Reclaiming or evicting a key is
//! `O(log n)`, amortised over the checks that moved bounds.
//!
//! # Memory
//!
//! A key costs its key, its state, 8 bytes for the instant it may become fresh, and 8 bytes of
//! index: [`KeyedTable::BYTES_PER_KEY`]. For [`Gcra`](crate::Gcra) with `u64` keys that is 32
//! bytes, so a table of 10,000 keys takes 320 kB. [`KeyedStore`] adds the key's heap
//! allocation for boxed keys, and grows in steps up to `max_keys`.
//!
//! # Hashing
//!
//! Keys are hashed with [`HashSeed`], a fast seedable hash. [`KeyedTable::new`] uses a fixed
//! seed; when keys come from untrusted input, give a secret seed with
//! [`KeyedTable::with_hasher`] so that nobody can craft colliding keys. [`KeyedStore::new`]
//! draws a random seed. Keys must hash and compare consistently, as for any hash map.
//!
//! # Boundaries
//!
//! Decisions are the algorithm's own, and so are their exactness and boundary conventions.
//! A key is reclaimed once it is fresh at the `now` of some operation; if the clock later
//! steps back before that instant, the key starts over as fresh. Give every operation
//! instants from one monotonic clock.
//!
//! # Runtime reconfiguration
//!
//! `set_policy` swaps the policy and keeps every stored state, which stays meaningful under the
//! rules of the algorithm (see its module). The instants at which keys become fresh are then
//! recomputed as the table goes.
//!
//! ```
//! use ratecell::{Gcra, Keyed, KeyedTable, Nanos, Quota, WhenFull};
//!
//! // Room for 1,000 API keys (32 kB), refusing new keys when all of them are busy.
//! let mut per_key: KeyedTable<u64, Gcra, 1000> =
//!     KeyedTable::new(Gcra::new(Quota::parse("100/minute burst 120")?), WhenFull::FailClosed);
//!
//! let d = per_key.check(42, Nanos::ZERO, 1)?.decision();
//! assert!(d.allowed);
//! assert_eq!(d.remaining, 119);
//! assert_eq!(per_key.len(), 1);
//!
//! // A peek on an unknown key stores nothing.
//! assert_eq!(per_key.check(7, Nanos::ZERO, 0)?, Keyed::Decided(per_key.peek(&7, Nanos::ZERO)));
//! assert_eq!(per_key.len(), 1);
//!
//! // Key 42 is fresh again after 600 ms and its slot is reclaimed.
//! assert!(per_key.check(43, Nanos::from_millis(600), 1)?.allowed());
//! assert!(!per_key.contains_key(&42));
//! # Ok::<(), ratecell::Error>(())
//! ```

#[cfg(feature = "std")]
mod compact;
#[cfg(feature = "std")]
mod dynamic;
mod hash;
#[cfg(feature = "std")]
mod joint;
mod raw;
#[cfg(feature = "std")]
mod sized;
#[cfg(feature = "std")]
mod store;

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};

#[cfg(feature = "std")]
pub use compact::CompactTable;
#[cfg(feature = "std")]
pub use dynamic::DynKeyedStore;
pub use hash::{HashSeed, SeededHasher};
#[cfg(feature = "std")]
pub use joint::KeyedAllOf;
#[cfg(feature = "std")]
pub use sized::{ConcurrencyStore, SlidingLogStore};
#[cfg(feature = "std")]
pub use store::{KeyedStore, Locking, SingleThread, ThreadSafe};

use crate::Algorithm;
use crate::decision::Decision;
use crate::error::Error;
use crate::time::Nanos;
use raw::{Entry, Inline, Owned, RawTable, Rules, Upsert};

/// What a keyed table did with a request.
///
/// ```
/// use ratecell::{Gcra, Keyed, KeyedTable, Nanos, Quota, WhenFull};
///
/// let mut table: KeyedTable<u32, Gcra, 1> =
///     KeyedTable::new(Gcra::new(Quota::per_second(1)?), WhenFull::FailClosed);
/// assert!(table.check(1, Nanos::ZERO, 1)?.allowed());
///
/// // Key 1 holds the only slot until it is fresh again, one second later.
/// let full = table.check(2, Nanos::from_millis(400), 1)?;
/// assert!(full.is_full());
/// assert_eq!(full.decision().retry_after, Nanos::from_millis(600));
/// assert!(table.check(2, Nanos::from_secs(1), 1)?.allowed());
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[must_use = "a Keyed outcome says whether the request may proceed"]
pub enum Keyed {
    /// The key's own limiter decided (the key is stored, or needed no storage).
    Decided(Decision),
    /// The key is not stored, the table is full of keys that are not fresh, and it fails
    /// closed: the request was refused and nothing was recorded. The decision is a denial:
    /// `remaining` 0, `retry_after` the exact time until a stored key becomes fresh and frees
    /// its slot (`Nanos::MAX` for a table with no room at all), `reset_after` 0 (the key itself
    /// is fresh), `limit` the policy's capacity.
    Full(Decision),
}

impl Keyed {
    /// The decision, whichever way it was reached.
    pub const fn decision(&self) -> Decision {
        match self {
            Keyed::Decided(d) | Keyed::Full(d) => *d,
        }
    }

    /// The request was admitted and recorded.
    pub const fn allowed(&self) -> bool {
        self.decision().allowed
    }

    /// The table had no room for the key.
    pub const fn is_full(&self) -> bool {
        matches!(self, Keyed::Full(_))
    }
}

impl fmt::Display for Keyed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Keyed::Decided(d) => d.fmt(f),
            Keyed::Full(d) => write!(f, "{d} (key table full)"),
        }
    }
}

/// What a keyed table does with a new key when it is full and no stored key is fresh.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum WhenFull {
    /// Refuse the new key with [`Keyed::Full`]; stored keys are untouched. The safe default:
    /// a flood of new keys cannot make the table forget anyone's usage.
    #[default]
    FailClosed,
    /// Forget the stored key that will be fresh soonest and store the new one. Every request
    /// gets a decision, at the price of some extra admissions for the evicted key.
    Evict,
}

/// The decision reported for a key that found no room.
pub(crate) fn full_decision(limit: u64, retry_after: Nanos) -> Keyed {
    Keyed::Full(Decision {
        allowed: false,
        limit,
        remaining: 0,
        retry_after,
        reset_after: Nanos::ZERO,
    })
}

/// The largest `N` a [`KeyedTable`] accepts (index slots count positions in `u32`).
pub const MAX_TABLE_KEYS: usize = (u32::MAX / 2) as usize;

/// A fixed-capacity keyed limiter: at most `N` keys, each with its own `A::State`, without
/// allocation (see the [module documentation](self)).
///
/// `N` is checked at compile time (`1..=MAX_TABLE_KEYS`) and [`KeyedTable::new`] is `const`,
/// so a table can be a `static` (behind the lock or critical section of your platform):
///
/// ```
/// use std::sync::Mutex;
/// use ratecell::{Gcra, KeyedTable, Nanos, Quota, WhenFull};
///
/// const PER_DEVICE: Gcra = Gcra::new(match Quota::per_second(10) {
///     Ok(q) => q,
///     Err(_) => panic!("valid quota"),
/// });
/// static DEVICES: Mutex<KeyedTable<[u8; 6], Gcra, 256>> =
///     Mutex::new(KeyedTable::new(PER_DEVICE, WhenFull::Evict));
///
/// let mac = [0x02, 0, 0, 0, 0, 1];
/// let d = DEVICES.lock().unwrap().check(mac, Nanos::ZERO, 1)?;
/// assert!(d.allowed());
/// assert_eq!(KeyedTable::<[u8; 6], Gcra, 256>::BYTES_PER_KEY, 32);
/// # Ok::<(), ratecell::Error>(())
/// ```
pub struct KeyedTable<K, A: Algorithm, const N: usize, H = HashSeed> {
    policy: A,
    when_full: WhenFull,
    hasher: H,
    raw: RawTable<Inline<K, A::State, N>>,
}

impl<K, A: Algorithm, const N: usize> KeyedTable<K, A, N> {
    /// An empty table enforcing `policy` on every key, hashing with the fixed
    /// `HashSeed::new(0)`.
    pub const fn new(policy: A, when_full: WhenFull) -> Self {
        KeyedTable::with_hasher(policy, when_full, HashSeed::new(0))
    }
}

impl<K, A: Algorithm, const N: usize, H> KeyedTable<K, A, N, H> {
    /// Memory per key: key, state, 8 bytes for when it may be fresh, 8 bytes of index.
    pub const BYTES_PER_KEY: usize =
        core::mem::size_of::<Entry<K, A::State>>() + 2 * core::mem::size_of::<u32>();

    /// An empty table hashing keys with `hasher` (for example `HashSeed::new(secret)`).
    pub const fn with_hasher(policy: A, when_full: WhenFull, hasher: H) -> Self {
        const {
            assert!(N > 0, "a KeyedTable needs room for at least one key");
            assert!(
                N <= MAX_TABLE_KEYS,
                "a KeyedTable holds at most MAX_TABLE_KEYS keys"
            );
        }
        KeyedTable {
            policy,
            when_full,
            hasher,
            raw: RawTable::new(Inline::new()),
        }
    }

    /// The policy every key follows.
    pub const fn policy(&self) -> &A {
        &self.policy
    }

    /// What happens to a new key when the table is full.
    pub const fn when_full(&self) -> WhenFull {
        self.when_full
    }

    /// Changes what happens to new keys when the table is full.
    pub fn set_when_full(&mut self, when_full: WhenFull) {
        self.when_full = when_full;
    }

    /// The most keys the table holds: `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Keys evicted by [`WhenFull::Evict`] so far.
    pub const fn evictions(&self) -> u64 {
        self.raw.evictions()
    }

    /// How many keys are stored (some may be fresh and about to be reclaimed).
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// No key is stored.
    pub fn is_empty(&self) -> bool {
        self.raw.len() == 0
    }

    /// Forgets every key.
    pub fn clear(&mut self) {
        self.raw.clear();
    }

    /// Replaces the policy, keeping every stored state (see the module documentation).
    pub fn set_policy(&mut self, policy: A) {
        self.policy = policy;
        self.raw.forget_bounds();
    }
}

impl<K, A, const N: usize, H> KeyedTable<K, A, N, H>
where
    K: Hash + Eq,
    A: Algorithm,
    H: BuildHasher,
{
    /// Decides a request of `cost` for `key` at `now` with the key's own state, storing the key
    /// if it is new and the request is recorded.
    ///
    /// Same contract as [`Algorithm::check`] (`cost == 0` peeks and stores nothing; a cost
    /// above the capacity is [`Error::InsufficientCapacity`]), plus [`Keyed::Full`] when a new
    /// key finds no room and the table fails closed.
    pub fn check(&mut self, key: K, now: Nanos, cost: u64) -> Result<Keyed, Error> {
        let hash = self.hasher.hash_one(&key);
        let rules = Rules {
            policy: &self.policy,
            hasher: &self.hasher,
            when_full: self.when_full,
        };
        let done = self
            .raw
            .upsert(&rules, hash, Owned(key), now, |policy, state| {
                let d = policy.check(state, now, cost)?;
                Ok((d, d.reset_after))
            })?;
        Ok(match done {
            Upsert::Done(d) => Keyed::Decided(d),
            Upsert::Full(retry_after) => full_decision(self.policy.capacity(), retry_after),
        })
    }

    /// `key`'s standing at `now`, recording nothing (a key not stored is fresh).
    pub fn peek<Q>(&self, key: &Q, now: Nanos) -> Decision
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let hash = self.hasher.hash_one(key);
        match self.raw.get(hash, key) {
            Some(state) => self.policy.peek(state, now),
            None => self.policy.peek(&A::State::default(), now),
        }
    }

    /// Whether `key` is stored. A stored key may already be fresh, waiting to be reclaimed.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.raw.get(self.hasher.hash_one(key), key).is_some()
    }

    /// The state stored for `key`, if any.
    pub fn get<Q>(&self, key: &Q) -> Option<&A::State>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.raw.get(self.hasher.hash_one(key), key)
    }

    /// Resets `key` to fresh by forgetting it. Returns whether it was stored.
    pub fn reset<Q>(&mut self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let hash = self.hasher.hash_one(key);
        self.raw.remove(&self.hasher, hash, key)
    }

    /// Runs `op` on `key`'s state (a fresh one if absent) and stores the key when the state
    /// is not fresh afterwards; `Err(retry_after)` when the key is absent and there is no room.
    /// `op` returns its result and the state's `reset_after` at `now`.
    pub(crate) fn upsert<R>(
        &mut self,
        key: K,
        now: Nanos,
        op: impl FnOnce(&A, &mut A::State) -> (R, Nanos),
    ) -> Result<R, Nanos> {
        let hash = self.hasher.hash_one(&key);
        let rules = Rules {
            policy: &self.policy,
            hasher: &self.hasher,
            when_full: self.when_full,
        };
        let done = self
            .raw
            .upsert(&rules, hash, Owned(key), now, |policy, state| {
                Ok(op(policy, state))
            });
        match done {
            Ok(Upsert::Done(r)) => Ok(r),
            Ok(Upsert::Full(retry_after)) => Err(retry_after),
            Err(_) => Err(Nanos::MAX),
        }
    }

    /// Runs `op` on `key`'s state if the key is stored.
    pub(crate) fn modify<Q, R>(
        &mut self,
        key: &Q,
        now: Nanos,
        op: impl FnOnce(&A, &mut A::State) -> (R, Nanos),
    ) -> Option<R>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let hash = self.hasher.hash_one(key);
        self.raw
            .modify(&self.policy, &self.hasher, hash, key, now, op)
    }
}

impl<K, A, const N: usize, H> Clone for KeyedTable<K, A, N, H>
where
    K: Clone,
    A: Algorithm + Clone,
    A::State: Clone,
    H: Clone,
{
    fn clone(&self) -> Self {
        KeyedTable {
            policy: self.policy.clone(),
            when_full: self.when_full,
            hasher: self.hasher.clone(),
            raw: self.raw.clone(),
        }
    }
}

impl<K, A: Algorithm + fmt::Debug, const N: usize, H> fmt::Debug for KeyedTable<K, A, N, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedTable")
            .field("policy", &self.policy)
            .field("when_full", &self.when_full)
            .field("len", &self.raw.len())
            .field("capacity", &N)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Gcra, GcraState, Quota};

    #[test]
    fn a_gcra_key_costs_thirty_two_bytes() {
        type Small = KeyedTable<u64, Gcra, 1024>;
        type Large = KeyedTable<u64, Gcra, 2048>;
        let per_key = (core::mem::size_of::<Large>() - core::mem::size_of::<Small>()) / 1024;
        assert_eq!(per_key, 32);
        assert_eq!(Small::BYTES_PER_KEY, 32);
        assert_eq!(core::mem::size_of::<GcraState>(), 8);
    }

    #[test]
    fn a_full_table_fails_closed_with_the_exact_wait() {
        let gcra = Gcra::new(Quota::per_second(10).unwrap());
        let mut t: KeyedTable<u8, Gcra, 2> = KeyedTable::new(gcra, WhenFull::FailClosed);
        assert!(t.check(1, Nanos::ZERO, 1).unwrap().allowed());
        assert!(t.check(2, Nanos::new(10), 1).unwrap().allowed());
        // Key 1 is fresh at 100 ms, key 2 at 100 ms + 10 ns.
        let full = t.check(3, Nanos::new(20), 1).unwrap();
        assert!(full.is_full());
        assert_eq!(full.decision().retry_after, Nanos::new(100_000_000 - 20));
        assert!(t.check(3, Nanos::new(99_999_999), 1).unwrap().is_full());
        assert!(t.check(3, Nanos::new(100_000_000), 1).unwrap().allowed());
        assert!(!t.contains_key(&1));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn a_new_policy_keeps_states_and_reclaims_by_its_own_rules() {
        let slow = Gcra::new(Quota::per_second(1).unwrap());
        // 50 per nanosecond: ticks of 1/50 ns, so the same stored state means an instant
        // 50 times earlier.
        let fast = Gcra::new(Quota::from_nanos(50, 1).unwrap());
        let mut t: KeyedTable<u8, Gcra, 1> = KeyedTable::new(slow, WhenFull::FailClosed);
        assert!(t.check(1, Nanos::ZERO, 1).unwrap().allowed());
        let full = t.check(2, Nanos::ZERO, 1).unwrap();
        assert_eq!(full.decision().retry_after, Nanos::from_secs(1));
        // Key 1's state is kept; under the new policy it is fresh after 20 ms.
        t.set_policy(fast);
        let full = t.check(2, Nanos::ZERO, 1).unwrap();
        assert_eq!(full.decision().retry_after, Nanos::from_millis(20));
        assert!(t.check(2, Nanos::from_millis(20), 1).unwrap().allowed());
    }

    #[test]
    fn eviction_forgets_the_key_closest_to_fresh() {
        let gcra = Gcra::new(Quota::per_second(10).unwrap());
        let mut t: KeyedTable<u8, Gcra, 2> = KeyedTable::new(gcra, WhenFull::Evict);
        assert!(t.check(1, Nanos::ZERO, 3).unwrap().allowed());
        assert!(t.check(2, Nanos::ZERO, 2).unwrap().allowed());
        assert!(t.check(3, Nanos::ZERO, 1).unwrap().allowed());
        assert!(t.contains_key(&1) && !t.contains_key(&2) && t.contains_key(&3));
        assert_eq!(t.evictions(), 1);
    }
}
