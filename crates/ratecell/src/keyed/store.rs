//! [`KeyedStore`]: the thread-safe, growable keyed limiter (`std`), and its single-thread
//! form ([`SingleThread`]).

use core::borrow::Borrow;
use core::cell::{RefCell, RefMut};
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::num::NonZeroUsize;
use core::ops::DerefMut;
use std::borrow::ToOwned;
use std::boxed::Box;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::vec;
use std::vec::Vec;

use super::raw::{Entry, KeySource, Parts, RawTable, Rules, Storage, Upsert};
use super::{HashSeed, Keyed, MAX_TABLE_KEYS, WhenFull, full_decision};
use crate::Algorithm;
use crate::decision::Decision;
use crate::error::Error;
use crate::time::Nanos;

/// Growable storage: vectors that double (up to a limit) as keys arrive.
pub(crate) struct Growable<K, S> {
    entries: Vec<Entry<K, S>>,
    /// Always `2 * room` slots.
    slots: Box<[u32]>,
    /// Entries the slots are sized for.
    room: usize,
    limit: usize,
}

impl<K, S> Growable<K, S> {
    fn new(limit: usize) -> Self {
        Growable {
            entries: Vec::new(),
            slots: Box::default(),
            room: 0,
            limit,
        }
    }
}

impl<K, S> Storage for Growable<K, S> {
    type Key = K;
    type State = S;

    fn limit(&self) -> usize {
        self.limit
    }

    fn entries(&self) -> &[Entry<K, S>] {
        &self.entries
    }

    fn slots(&self) -> &[u32] {
        &self.slots
    }

    fn parts_mut(&mut self) -> Parts<'_, K, S> {
        (&mut self.entries, &mut self.slots)
    }

    fn push(&mut self, entry: Entry<K, S>) -> Result<(), Entry<K, S>> {
        if self.entries.len() >= self.room {
            return Err(entry);
        }
        self.entries.push(entry);
        Ok(())
    }

    fn pop(&mut self) -> Option<Entry<K, S>> {
        self.entries.pop()
    }

    fn make_room(&mut self) -> bool {
        if self.entries.len() < self.room {
            return false;
        }
        let room = self.room.saturating_mul(2).max(8).min(self.limit);
        if room <= self.room {
            return false;
        }
        self.entries
            .reserve_exact(room.saturating_sub(self.entries.len()));
        self.slots = vec![0; room.saturating_mul(2)].into_boxed_slice();
        self.room = room;
        true
    }

    fn clear(&mut self) {
        self.entries = Vec::new();
        self.slots = Box::default();
        self.room = 0;
    }
}

/// A borrowed key, copied into an owned key only when it must be stored.
pub(super) struct Borrowed<'q, Q: ?Sized>(pub(super) &'q Q);

impl<K, Q> KeySource<K> for Borrowed<'_, Q>
where
    Q: ?Sized + Eq + ToOwned,
    Q::Owned: Into<K>,
{
    type Query = Q;

    fn query(&self) -> &Q {
        self.0
    }

    fn into_key(self) -> K {
        self.0.to_owned().into()
    }
}

/// How a [`KeyedStore`] guards its shards: what lets an operation through `&self` change a
/// table.
///
/// - [`ThreadSafe`] (the default): a mutex per shard. The store is `Sync` and may be shared
///   between threads.
/// - [`SingleThread`]: a `RefCell` per shard, no atomic instruction on the way. The store is
///   not `Sync`, so the compiler keeps it on one thread. For a store that one thread owns,
///   such as one per thread of a thread-per-core server or one per JavaScript isolate, where
///   the two locked instructions of an uncontended mutex are a noticeable share of a check.
///
/// This trait is sealed: the two above are its only implementations.
pub trait Locking: sealed::Sealed + 'static {
    /// What holds a shard's table.
    #[doc(hidden)]
    type Cell<T>;
    /// Access to a table, released when dropped.
    #[doc(hidden)]
    type Guard<'a, T: 'a>: DerefMut<Target = T>;
    #[doc(hidden)]
    fn cell<T>(value: T) -> Self::Cell<T>;
    #[doc(hidden)]
    fn lock<'a, T: 'a>(cell: &'a Self::Cell<T>) -> Self::Guard<'a, T>;
    #[doc(hidden)]
    fn get_mut<T>(cell: &mut Self::Cell<T>) -> &mut T;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::ThreadSafe {}
    impl Sealed for super::SingleThread {}
}

/// A [`KeyedStore`] that threads may share: a mutex per shard (see [`Locking`]).
#[derive(Debug)]
pub enum ThreadSafe {}

/// A [`KeyedStore`] for one thread: no locks, and not `Sync` (see [`Locking`]).
///
/// A key's `Hash` or `Eq` that calls back into the same store while it is working panics
/// (with [`ThreadSafe`] it would deadlock).
///
/// ```
/// use ratecell::{Gcra, KeyedStore, Nanos, Quota, SingleThread, WhenFull};
///
/// let store: KeyedStore<Box<str>, Gcra, _, SingleThread> =
///     KeyedStore::single_thread(Gcra::new(Quota::parse("2/second")?), 1_000, WhenFull::FailClosed);
/// assert!(store.check("api-key-1", Nanos::ZERO, 2)?.allowed());
/// assert!(!store.check("api-key-1", Nanos::ZERO, 1)?.allowed());
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Debug)]
pub enum SingleThread {}

impl Locking for ThreadSafe {
    type Cell<T> = Mutex<T>;
    type Guard<'a, T: 'a> = MutexGuard<'a, T>;

    fn cell<T>(value: T) -> Mutex<T> {
        Mutex::new(value)
    }

    #[inline]
    fn lock<'a, T: 'a>(cell: &'a Mutex<T>) -> MutexGuard<'a, T> {
        // A panic in a caller's `Hash` or `Eq` while the lock was held cannot break memory
        // safety, and the table never panics itself: keep serving.
        cell.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get_mut<T>(cell: &mut Mutex<T>) -> &mut T {
        cell.get_mut().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Locking for SingleThread {
    type Cell<T> = RefCell<T>;
    type Guard<'a, T: 'a> = RefMut<'a, T>;

    fn cell<T>(value: T) -> RefCell<T> {
        RefCell::new(value)
    }

    #[inline]
    fn lock<'a, T: 'a>(cell: &'a RefCell<T>) -> RefMut<'a, T> {
        cell.borrow_mut()
    }

    fn get_mut<T>(cell: &mut RefCell<T>) -> &mut T {
        cell.get_mut()
    }
}

/// A shard's table.
pub(super) type Table<K, S> = RawTable<Growable<K, S>>;

/// One lock and the table behind it, alone on its cache lines so that threads working on
/// different shards do not slow each other down.
#[repr(align(128))]
pub(super) struct Shard<K, S, L: Locking> {
    table: L::Cell<Table<K, S>>,
    /// The table's length, published after each operation so `len` needs no lock.
    len: AtomicUsize,
}

impl<K, S, L: Locking> Shard<K, S, L> {
    #[inline]
    pub(super) fn lock(&self) -> L::Guard<'_, Table<K, S>> {
        L::lock(&self.table)
    }

    pub(super) fn publish(&self, table: &Table<K, S>) {
        self.len.store(table.len(), Ordering::Relaxed);
    }
}

/// The largest shard count [`KeyedStore::with_shards`] accepts.
const MAX_SHARDS: usize = 1024;

/// A thread-safe keyed limiter holding at most `max_keys` keys (see the
/// [module documentation](super) for reclamation and [`WhenFull`]).
///
/// Keys are spread over shards, each a [`Mutex`] around its own table, so threads that check
/// different keys rarely wait for each other. Each shard holds an equal share of `max_keys`
/// (the remainder goes to the first shards), and the table-full rules apply per shard: a new
/// key is refused (or evicts) when *its* shard holds its share of keys that are not fresh.
/// With uniformly hashed keys shards fill evenly; use [`KeyedStore::with_shards`]`(1)` for one
/// table with exactly global rules.
///
/// Keys are looked up by their borrowed form: a `KeyedStore<Box<str>, _>` checks a `&str`, a
/// `KeyedStore<Box<[u8]>, _>` a `&[u8]`, and allocates only to store a new key. Shards grow
/// by doubling up to their share, so memory follows the number of live keys up to the bound
/// and never exceeds it.
///
/// ```
/// use ratecell::{Gcra, KeyedStore, Nanos, Quota, WhenFull};
///
/// let store: KeyedStore<Box<str>, Gcra> =
///     KeyedStore::new(Gcra::new(Quota::parse("60/minute")?), 10_000, WhenFull::FailClosed);
///
/// std::thread::scope(|s| {
///     for worker in 0..4 {
///         let store = &store;
///         s.spawn(move || {
///             let key = format!("api-key-{worker}");
///             assert!(store.check(key.as_str(), Nanos::ZERO, 1).unwrap().allowed());
///         });
///     }
/// });
/// assert_eq!(store.len(), 4);
/// assert_eq!(store.peek("api-key-0", Nanos::ZERO).remaining, 59);
/// # Ok::<(), ratecell::Error>(())
/// ```
pub struct KeyedStore<K, A: Algorithm, H = HashSeed, L: Locking = ThreadSafe> {
    pub(super) policy: A,
    pub(super) when_full: WhenFull,
    pub(super) hasher: H,
    max_keys: usize,
    shards: Box<[Shard<K, A::State, L>]>,
    pub(super) evictions: AtomicU64,
}

/// Shards for `max_keys` keys when none is asked for: four per hardware thread, at most 64,
/// and at least 64 keys each.
fn default_shards(max_keys: usize) -> usize {
    let threads = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let mut shards = threads.saturating_mul(4).next_power_of_two().min(64);
    while shards > 1 && max_keys / shards < 64 {
        shards /= 2;
    }
    shards
}

impl<K, A: Algorithm> KeyedStore<K, A> {
    /// An empty store enforcing `policy` on every key, bounded by `max_keys` keys, hashing with
    /// a random seed ([`HashSeed::random`]). The shard count depends on the machine's hardware
    /// threads (at most 64, with at least 64 keys each); a shard holds at most
    /// [`MAX_TABLE_KEYS`](super::MAX_TABLE_KEYS) keys.
    pub fn new(policy: A, max_keys: usize, when_full: WhenFull) -> Self {
        KeyedStore::build(
            policy,
            max_keys,
            when_full,
            HashSeed::random(),
            default_shards(max_keys),
        )
    }
}

impl<K, A: Algorithm> KeyedStore<K, A, HashSeed, SingleThread> {
    /// An empty store for one thread (see [`SingleThread`]), with one shard: otherwise as
    /// [`KeyedStore::new`]. `max_keys` is then one bound over every key.
    pub fn single_thread(policy: A, max_keys: usize, when_full: WhenFull) -> Self {
        KeyedStore::build(policy, max_keys, when_full, HashSeed::random(), 1)
    }
}

impl<K, A: Algorithm, H, L: Locking> KeyedStore<K, A, H, L> {
    fn build(policy: A, max_keys: usize, when_full: WhenFull, hasher: H, shards: usize) -> Self {
        let shards = shards.clamp(1, max_keys.clamp(1, MAX_SHARDS));
        let shards = (0..shards)
            .map(|i| {
                let share = max_keys / shards + usize::from(i < max_keys % shards);
                Shard {
                    table: L::cell(RawTable::new(Growable::new(share.min(MAX_TABLE_KEYS)))),
                    len: AtomicUsize::new(0),
                }
            })
            .collect();
        KeyedStore {
            policy,
            when_full,
            hasher,
            max_keys,
            shards,
            evictions: AtomicU64::new(0),
        }
    }

    /// The same store, empty, split into `shards` shards (1 to 1024, at most `max_keys`).
    #[must_use]
    pub fn with_shards(self, shards: usize) -> Self {
        KeyedStore::build(
            self.policy,
            self.max_keys,
            self.when_full,
            self.hasher,
            shards,
        )
    }

    /// The same store, empty, hashing keys with `hasher` (for example a fixed
    /// `HashSeed::new(seed)` for reproducible runs).
    #[must_use]
    pub fn with_hasher<H2>(self, hasher: H2) -> KeyedStore<K, A, H2, L> {
        let shards = self.shards.len();
        KeyedStore::build(self.policy, self.max_keys, self.when_full, hasher, shards)
    }

    /// The policy every key follows.
    pub const fn policy(&self) -> &A {
        &self.policy
    }

    /// The bound on stored keys.
    pub const fn max_keys(&self) -> usize {
        self.max_keys
    }

    /// What happens to a new key when its shard is full.
    pub const fn when_full(&self) -> WhenFull {
        self.when_full
    }

    /// How many shards the keys are spread over.
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// How many keys are stored (some may be fresh and about to be reclaimed). Never more than
    /// `max_keys`.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.len.load(Ordering::Relaxed))
            .sum()
    }

    /// No key is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys evicted by [`WhenFull::Evict`] so far.
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Forgets every key and frees the memory that held them.
    pub fn clear(&self) {
        for shard in &self.shards {
            let mut table = shard.lock();
            table.clear();
            shard.publish(&table);
        }
    }

    /// Replaces the policy, keeping every stored state (see the module documentation).
    pub fn set_policy(&mut self, policy: A) {
        self.policy = policy;
        for shard in &mut self.shards {
            L::get_mut(&mut shard.table).forget_bounds();
        }
    }
}

impl<K, A, H, L> KeyedStore<K, A, H, L>
where
    K: Hash + Eq,
    A: Algorithm,
    H: BuildHasher,
    L: Locking,
{
    /// The shard `hash` belongs to: its low 32 bits, scaled (slots use the high bits).
    pub(super) fn shard(&self, hash: u64) -> Option<&Shard<K, A::State, L>> {
        let n = self.shards.len() as u64;
        let i = (u64::from(hash as u32) * n) >> 32;
        self.shards.get(usize::try_from(i).ok()?)
    }

    /// Decides a request of `cost` for `key` at `now` with the key's own state, storing the key
    /// if it is new and the request is recorded. Same contract as
    /// [`KeyedTable::check`](crate::KeyedTable::check), with the key's shard's share of
    /// `max_keys` as the bound.
    pub fn check<Q>(&self, key: &Q, now: Nanos, cost: u64) -> Result<Keyed, Error>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned,
        Q::Owned: Into<K>,
    {
        let done = self.upsert_with(key, now, |policy, state| {
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
        if let Some(shard) = self.shard(hash)
            && let Some(state) = shard.lock().get(hash, key)
        {
            return self.policy.peek(state, now);
        }
        self.policy.peek(&A::State::default(), now)
    }

    /// Whether `key` is stored. A stored key may already be fresh, waiting to be reclaimed.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let hash = self.hasher.hash_one(key);
        self.shard(hash)
            .is_some_and(|shard| shard.lock().get(hash, key).is_some())
    }

    /// Resets `key` to fresh by forgetting it. Returns whether it was stored.
    pub fn reset<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let hash = self.hasher.hash_one(key);
        let Some(shard) = self.shard(hash) else {
            return false;
        };
        let mut table = shard.lock();
        let removed = table.remove(&self.hasher, hash, key);
        shard.publish(&table);
        removed
    }

    /// Runs `op` on `key`'s state, inserting the key when needed (see `RawTable::upsert`).
    fn upsert_with<Q, R>(
        &self,
        key: &Q,
        now: Nanos,
        op: impl FnOnce(&A, &mut A::State) -> Result<(R, Nanos), Error>,
    ) -> Result<Upsert<R>, Error>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned,
        Q::Owned: Into<K>,
    {
        let hash = self.hasher.hash_one(key);
        let Some(shard) = self.shard(hash) else {
            return Ok(Upsert::Full(Nanos::MAX));
        };
        let mut table = shard.lock();
        let evictions = table.evictions();
        let rules = Rules {
            policy: &self.policy,
            hasher: &self.hasher,
            when_full: self.when_full,
        };
        let done = table.upsert(&rules, hash, Borrowed(key), now, op);
        shard.publish(&table);
        if table.evictions() != evictions {
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
        done
    }

    /// Runs `op` on `key`'s state, inserting the key when the state is not fresh afterwards;
    /// `Err(retry_after)` when there is no room.
    pub(crate) fn upsert<Q, R>(
        &self,
        key: &Q,
        now: Nanos,
        op: impl FnOnce(&A, &mut A::State) -> (R, Nanos),
    ) -> Result<R, Nanos>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned,
        Q::Owned: Into<K>,
    {
        match self.upsert_with(key, now, |policy, state| Ok(op(policy, state))) {
            Ok(Upsert::Done(r)) => Ok(r),
            Ok(Upsert::Full(retry_after)) => Err(retry_after),
            Err(_) => Err(Nanos::MAX),
        }
    }

    /// Runs `op` on `key`'s state if the key is stored.
    pub(crate) fn modify<Q, R>(
        &self,
        key: &Q,
        now: Nanos,
        op: impl FnOnce(&A, &mut A::State) -> (R, Nanos),
    ) -> Option<R>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let hash = self.hasher.hash_one(key);
        let shard = self.shard(hash)?;
        let mut table = shard.lock();
        let done = table.modify(&self.policy, &self.hasher, hash, key, now, op);
        shard.publish(&table);
        done
    }
}

impl<K, A: Algorithm + fmt::Debug, H, L: Locking> fmt::Debug for KeyedStore<K, A, H, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyedStore")
            .field("policy", &self.policy)
            .field("when_full", &self.when_full)
            .field("len", &self.len())
            .field("max_keys", &self.max_keys)
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Gcra, Quota};

    #[test]
    fn byte_keys_are_found_by_slice() {
        let gcra = Gcra::new(Quota::per_second(2).unwrap());
        let store: KeyedStore<Box<[u8]>, Gcra> =
            KeyedStore::new(gcra, 100, WhenFull::FailClosed).with_shards(4);
        let key: &[u8] = b"10.0.0.1";
        assert!(store.check(key, Nanos::ZERO, 1).unwrap().allowed());
        assert!(store.check(key, Nanos::ZERO, 1).unwrap().allowed());
        assert!(!store.check(key, Nanos::ZERO, 1).unwrap().allowed());
        assert!(store.contains_key(key));
        assert!(store.reset(key));
        assert!(store.is_empty());
    }

    #[test]
    fn shares_add_up_to_max_keys() {
        let gcra = Gcra::new(Quota::per_second(1).unwrap());
        let store: KeyedStore<u64, Gcra> =
            KeyedStore::new(gcra, 10, WhenFull::FailClosed).with_shards(3);
        let total: usize = store.shards.iter().map(|s| s.lock().limit()).sum();
        assert_eq!(total, 10);
        assert_eq!(store.shards(), 3);
    }
}
