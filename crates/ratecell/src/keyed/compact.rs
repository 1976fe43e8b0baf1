//! [`CompactTable`]: a keyed limiter for the largest key counts, in about 17 bytes per GCRA
//! key, finding a key in one step.
//!
//! # Layout
//!
//! Keys and states sit side by side in buckets of four slots, each bucket aligned to a cache
//! line (a `u64` key and a [`GcraState`](crate::GcraState) fill one 64-byte line). There is
//! no index, no expiry order and no per-key bookkeeping: a slot is its key and its state,
//! nothing else.
//!
//! - **Two buckets per key** (bucketed cuckoo hashing). A key lives in one of two buckets
//!   picked from its hash, so a lookup reads two cache lines, both at once, and nothing
//!   else: no probe sequence, no index, no branch on where the key was found. A new
//!   key whose buckets are both taken moves a stored key to that key's other bucket, and so
//!   on along a short path, until one lands in an empty slot.
//! - **A fresh state is an absent key.** A slot whose state is the default is empty. A
//!   stored key whose state has become fresh ([`Algorithm::is_fresh`]) decides exactly like
//!   an absent one, so its slot is free for the taking: a new key reuses it in place, and
//!   the sweep below empties it.
//! - **Load at most 15/16.** The table grows (doubling, rehashing every stored key) until it
//!   has `16/15` slots per key of `max_keys`, and never more: at its full size, 1,000,000
//!   keys of 16 bytes take 17.07 bytes each. At most 15 of every 16 slots being taken keeps
//!   the paths short.
//!
//! # Sweeping and a full table
//!
//! Keys that became fresh are emptied by a *sweep*: a cursor that goes round the buckets,
//! one bucket per new key, emptying every fresh slot it passes. When a new key must be
//! stored and `max_keys` slots are taken, it first takes a slot of its own two buckets whose
//! key is fresh, then sweeps up to 16 more buckets for one. Every step is bounded: no
//! operation ever walks the whole table, however full it is and whoever fills it. If neither
//! finds a fresh key, [`WhenFull`] decides among the eight keys of the new key's own buckets:
//!
//! - [`WhenFull::FailClosed`] refuses the new key with [`Keyed::Full`]. Its `retry_after` is
//!   the time until the first of those eight keys becomes fresh: with no other traffic, the
//!   same request is admitted then, into that slot. It may find room sooner (the sweep goes
//!   on meanwhile); [`KeyedTable`](crate::KeyedTable) and [`KeyedStore`](crate::KeyedStore)
//!   answer the exact instant the first of all their keys becomes fresh. Stored keys are
//!   never disturbed.
//! - [`WhenFull::Evict`] forgets, of those eight keys, the one that becomes fresh soonest,
//!   and stores the new key in its slot: a constant-time choice where
//!   [`KeyedTable`](crate::KeyedTable) and [`KeyedStore`](crate::KeyedStore) choose among
//!   all their keys. Counted in [`CompactTable::evictions`].
//!
//! Below `max_keys`, a new key always finds room. When its two buckets are taken it takes a
//! slot of one of them and the key it displaces moves to its other bucket, and so on; when
//! 500 moves do not end in an empty slot (next to never at a load of 15/16), the last key
//! displaced goes to a *stash* of up to eight keys, which lookups search only when it is not
//! empty and the next growth places again. Only while the stash is full does a new key that
//! needs moves count as finding the table full, with `retry_after` the time until a key of
//! its own two buckets becomes fresh, when it can take that slot.
//!
//! # When to use it
//!
//! [`KeyedTable`](crate::KeyedTable) and [`KeyedStore`](crate::KeyedStore) keep every key in
//! order of when it becomes fresh: a full table reclaims and evicts exactly, in
//! `O(log n)`, and they cost 32 bytes per GCRA key. `CompactTable` trades that order for half
//! the memory and a shorter check: choose it for millions of keys on one thread (or behind
//! your own lock, or one per shard), sized so that it is rarely full. Decisions are the
//! algorithm's own in all of them.
//!
//! # Hashing
//!
//! As in [`KeyedTable`](crate::KeyedTable): [`CompactTable::new`] draws a random
//! [`HashSeed`], [`CompactTable::with_hasher`] takes yours. Keys must hash and compare
//! consistently.
//!
//! # Boundaries and reconfiguration
//!
//! A key may be forgotten once it is fresh at the `now` of some operation; if the clock
//! later steps back before that instant, the key starts over as fresh. Give every operation
//! instants from one monotonic clock. [`CompactTable::set_policy`] keeps every stored state,
//! which stays meaningful under the rules of the algorithm (see its module).
//!
//! ```
//! use ratecell::{CompactTable, Gcra, Keyed, Nanos, Quota, WhenFull};
//!
//! let policy = Gcra::new(Quota::parse("100/minute burst 120")?);
//! let mut per_key: CompactTable<u64, Gcra> = CompactTable::new(policy, 1_000_000, WhenFull::Evict);
//!
//! let d = per_key.check(42, Nanos::ZERO, 1)?.decision();
//! assert!(d.allowed);
//! assert_eq!(d.remaining, 119);
//! assert_eq!(per_key.len(), 1);
//!
//! // A peek on an unknown key stores nothing.
//! assert_eq!(per_key.check(7, Nanos::ZERO, 0)?, Keyed::Decided(per_key.peek(&7, Nanos::ZERO)));
//! assert_eq!(per_key.len(), 1);
//! # Ok::<(), ratecell::Error>(())
//! ```

use core::borrow::Borrow;
use core::fmt;
use core::hash::{BuildHasher, Hash};
use core::mem;
use std::vec::Vec;

use super::raw::{fresh_instant, home};
use super::{HashSeed, Keyed, WhenFull, full_decision};
use crate::Algorithm;
use crate::client::{Random, SplitMix64};
use crate::decision::Decision;
use crate::error::Error;
use crate::gcra::{Admission, Gcra, GcraState};
use crate::time::Nanos;

/// Slots per bucket.
const WAYS: usize = 4;

/// The most moves a new key makes room with before a displaced key goes to the stash.
const MAX_PATH: usize = 500;

/// Keys the stash takes from `check`; growing the table may leave more there, never losing
/// one.
const STASH: usize = 8;

/// Buckets a new key that finds the table full sweeps, at most, for a fresh key.
const FULL_SWEEP: usize = 16;

/// Buckets of a table before its first growth (fewer when `max_keys` needs fewer).
const FIRST_BUCKETS: usize = 16;

/// One key and its state; an empty slot holds the defaults.
#[derive(Clone, Default)]
struct Slot<K, S> {
    key: K,
    state: S,
}

/// Four slots on one cache line (for 16-byte slots).
#[derive(Clone, Default)]
#[repr(C, align(64))]
struct Bucket<K, S> {
    slots: [Slot<K, S>; WAYS],
}

/// Where a stored key is.
#[derive(Copy, Clone)]
enum At {
    /// Bucket, then slot within it.
    Bucket(usize, usize),
    /// Position in the stash.
    Stash(usize),
}

/// A keyed limiter in about 17 bytes per GCRA key, growing up to `max_keys` keys (see the
/// [module documentation](self)).
///
/// One thread's table: `check` takes `&mut self`. Share it behind a lock, or keep one per
/// thread or shard.
///
/// ```
/// use ratecell::{CompactTable, Gcra, Nanos, Quota, WhenFull};
///
/// let mut table: CompactTable<u32, Gcra> =
///     CompactTable::new(Gcra::new(Quota::per_second(1)?), 1, WhenFull::FailClosed);
/// assert!(table.check(1, Nanos::ZERO, 1)?.allowed());
///
/// // Key 1 holds the only slot until it is fresh again, one second later.
/// let full = table.check(2, Nanos::from_millis(400), 1)?;
/// assert!(full.is_full());
/// assert_eq!(full.decision().retry_after, Nanos::from_millis(600));
/// assert!(table.check(2, Nanos::from_secs(1), 1)?.allowed());
/// # Ok::<(), ratecell::Error>(())
/// ```
pub struct CompactTable<K, A: Algorithm, H = HashSeed> {
    policy: A,
    when_full: WhenFull,
    hasher: H,
    max_keys: usize,
    buckets: Vec<Bucket<K, A::State>>,
    /// Keys no path of moves could place; searched only when not empty.
    stash: Vec<Slot<K, A::State>>,
    /// Slots taken, in the buckets and the stash (by keys that may be fresh and not yet
    /// emptied).
    len: usize,
    /// The bucket the next sweep starts at.
    cursor: usize,
    evictions: u64,
    /// Chooses the moves that make room.
    dice: SplitMix64,
}

impl<K: Default, A: Algorithm> CompactTable<K, A> {
    /// An empty table for at most `max_keys` keys, enforcing `policy` on each, hashing with
    /// a random seed ([`HashSeed::random`]). Memory is allocated as keys arrive.
    pub fn new(policy: A, max_keys: usize, when_full: WhenFull) -> Self {
        CompactTable::with_hasher(policy, max_keys, when_full, HashSeed::random())
    }
}

impl<K: Default, A: Algorithm, H> CompactTable<K, A, H> {
    /// An empty table hashing keys with `hasher` (for example `HashSeed::new(secret)`).
    pub fn with_hasher(policy: A, max_keys: usize, when_full: WhenFull, hasher: H) -> Self {
        let buckets = empty_buckets(FIRST_BUCKETS.min(full_size(max_keys)));
        CompactTable {
            policy,
            when_full,
            hasher,
            max_keys,
            buckets,
            stash: Vec::new(),
            len: 0,
            cursor: 0,
            evictions: 0,
            dice: SplitMix64::new(0),
        }
    }

    /// Forgets every key (the memory stays allocated).
    pub fn clear(&mut self) {
        for bucket in &mut self.buckets {
            *bucket = Bucket::default();
        }
        self.stash.clear();
        self.len = 0;
    }
}

impl<K, A: Algorithm, H> CompactTable<K, A, H> {
    /// Bytes per slot: a key and its state, padded to a quarter of a cache-line-aligned
    /// bucket. At its full size a table has `16/15` slots per key of `max_keys`.
    pub const BYTES_PER_SLOT: usize = mem::size_of::<Bucket<K, A::State>>() / WAYS;

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

    /// The most keys the table holds.
    pub const fn capacity(&self) -> usize {
        self.max_keys
    }

    /// Keys evicted by [`WhenFull::Evict`] so far.
    pub const fn evictions(&self) -> u64 {
        self.evictions
    }

    /// How many keys are stored (some may be fresh and not yet emptied).
    pub const fn len(&self) -> usize {
        self.len
    }

    /// No key is stored.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes the table holds for its slots now: [`BYTES_PER_SLOT`](Self::BYTES_PER_SLOT)
    /// times the slots allocated (boxed keys add their own allocations).
    pub fn allocated_bytes(&self) -> usize {
        self.buckets.capacity() * mem::size_of::<Bucket<K, A::State>>()
            + self.stash.capacity() * mem::size_of::<Slot<K, A::State>>()
    }

    /// Replaces the policy, keeping every stored state (see the module documentation).
    pub fn set_policy(&mut self, policy: A) {
        self.policy = policy;
    }
}

/// Buckets at full size for `max_keys`: `16/15` slots per key, at least one bucket.
fn full_size(max_keys: usize) -> usize {
    (max_keys / 15)
        .saturating_mul(16)
        .saturating_add((max_keys % 15 * 16).div_ceil(15))
        .div_ceil(WAYS)
        .max(1)
}

/// `n` empty buckets.
fn empty_buckets<K: Default, S: Default>(n: usize) -> Vec<Bucket<K, S>> {
    let mut buckets = Vec::with_capacity(n);
    buckets.resize_with(n, Bucket::default);
    buckets
}

/// A slot holding no key: its state is the default one.
fn vacant<S: Default + PartialEq>(state: &S) -> bool {
    *state == S::default()
}

/// The two buckets of a key with `hash` among `n`: from its high half, and from its low half
/// moved up.
fn buckets_of(hash: u64, n: usize) -> (usize, usize) {
    (home(hash, n), home(hash.rotate_left(32), n))
}

/// A bit per slot of `bucket` whose key equals `key`, empty slots included (an empty slot
/// holds the default key): checking each slot's state as well would double the work of every
/// lookup for the sake of the one key equal to the default.
fn matches<K, S, Q>(bucket: &Bucket<K, S>, key: &Q) -> u32
where
    K: Borrow<Q>,
    Q: ?Sized + Eq,
{
    let mut m = 0;
    for (i, s) in bucket.slots.iter().enumerate() {
        m |= u32::from(s.key.borrow() == key) << i;
    }
    m
}

/// A bit per slot of `bucket` that holds a key (is not empty).
fn stored<K, S: Default + PartialEq>(bucket: &Bucket<K, S>) -> u32 {
    let mut m = 0;
    for (i, s) in bucket.slots.iter().enumerate() {
        m |= u32::from(!vacant(&s.state)) << i;
    }
    m
}

/// An empty slot of bucket `b`.
fn empty_in<K, S: Default + PartialEq>(buckets: &[Bucket<K, S>], b: usize) -> Option<usize> {
    buckets.get(b)?.slots.iter().position(|s| vacant(&s.state))
}

/// The slot at `at`.
fn slot_in<'a, K, S>(
    buckets: &'a mut [Bucket<K, S>],
    stash: &'a mut [Slot<K, S>],
    at: At,
) -> Option<&'a mut Slot<K, S>> {
    match at {
        At::Bucket(b, i) => buckets.get_mut(b)?.slots.get_mut(i),
        At::Stash(i) => stash.get_mut(i),
    }
}

/// Puts `new` (whose hash is `hash`) in an empty slot of one of its two buckets, moving
/// nothing; hands it back when both are full.
fn place_direct<K, S: Default + PartialEq>(
    buckets: &mut [Bucket<K, S>],
    hash: u64,
    new: Slot<K, S>,
) -> Result<(), Slot<K, S>> {
    let (b1, b2) = buckets_of(hash, buckets.len());
    for b in [b1, b2] {
        if let Some(i) = empty_in(buckets, b)
            && let Some(s) = buckets.get_mut(b).and_then(|x| x.slots.get_mut(i))
        {
            *s = new;
            return Ok(());
        }
    }
    Err(new)
}

/// Puts `new` (whose hash is `hash`) in an empty slot of one of its two buckets. When both
/// are taken, it takes a slot of one of them, and the key it displaces moves to its own other
/// bucket, and so on, for at most [`MAX_PATH`] moves. Every stored key stays in one of its
/// two buckets throughout; when the moves run out, the last displaced key (perhaps `new`
/// itself) is handed back, for the stash.
fn place<K: Hash + Default, S: Default + PartialEq, H: BuildHasher>(
    buckets: &mut [Bucket<K, S>],
    hasher: &H,
    dice: &mut SplitMix64,
    hash: u64,
    new: Slot<K, S>,
) -> Result<(), Slot<K, S>> {
    let n = buckets.len();
    let (b1, b2) = buckets_of(hash, n);
    let mut carried = match place_direct(buckets, hash, new) {
        Ok(()) => return Ok(()),
        Err(new) => new,
    };
    let mut b = if dice.next_u64() & 1 == 0 { b1 } else { b2 };
    // The slot filled by the last move: never the next one to empty.
    let mut filled = None;
    for _ in 0..MAX_PATH {
        let mut i = dice.next_u64() as usize % WAYS;
        if filled == Some((b, i)) {
            i = (i + 1) % WAYS;
        }
        let Some(s) = buckets.get_mut(b).and_then(|x| x.slots.get_mut(i)) else {
            break;
        };
        mem::swap(s, &mut carried);
        filled = Some((b, i));
        let (c1, c2) = buckets_of(hasher.hash_one(&carried.key), n);
        b = if c1 == b { c2 } else { c1 };
        if let Some(j) = empty_in(buckets, b)
            && let Some(s) = buckets.get_mut(b).and_then(|x| x.slots.get_mut(j))
        {
            *s = carried;
            return Ok(());
        }
    }
    Err(carried)
}

impl<K, A, H> CompactTable<K, A, H>
where
    K: Hash + Eq + Default,
    A: Algorithm,
    A::State: PartialEq,
    H: BuildHasher,
{
    /// Where `key` is stored.
    ///
    /// Both buckets are read before either is looked at: the two cache lines load in
    /// parallel, and which bucket holds the key is a choice of values, not a branch that the
    /// processor must guess (it would guess wrong half the time at full load).
    // Inlined into each check even where the compiler would not: 20 fewer instructions per
    // check, measured, with nothing returned through memory.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn locate<Q>(&self, hash: u64, key: &Q) -> Option<At>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        let (b1, b2) = buckets_of(hash, self.buckets.len());
        let m1 = self.buckets.get(b1).map_or(0, |b| matches(b, key));
        let m2 = self.buckets.get(b2).map_or(0, |b| matches(b, key));
        // Kept as a choice of values tested once: the same logic as a `match` on an
        // `Option<At>` with guards measured about 4 ns slower per check at 10,000 keys.
        let (b, m) = if m1 == 0 { (b2, m2) } else { (b1, m1) };
        if m != 0 {
            let at = At::Bucket(b, m.trailing_zeros() as usize);
            if self.slot(at).is_some_and(|s| !vacant(&s.state)) {
                return Some(at);
            }
        } else if self.stash.is_empty() {
            return None;
        }
        self.locate_elsewhere(b1, b2, key)
    }

    /// [`locate`](Self::locate) for the two cases it leaves: the default key (which every
    /// empty slot holds, so only slots that store a key count), and a key in the stash.
    #[inline(never)]
    fn locate_elsewhere<Q>(&self, b1: usize, b2: usize, key: &Q) -> Option<At>
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        let m1 = self
            .buckets
            .get(b1)
            .map_or(0, |b| matches(b, key) & stored(b));
        let m2 = self
            .buckets
            .get(b2)
            .map_or(0, |b| matches(b, key) & stored(b));
        let (b, m) = if m1 == 0 { (b2, m2) } else { (b1, m1) };
        if m != 0 {
            return Some(At::Bucket(b, m.trailing_zeros() as usize));
        }
        self.stash
            .iter()
            .position(|s| s.key.borrow() == key)
            .map(At::Stash)
    }

    fn slot(&self, at: At) -> Option<&Slot<K, A::State>> {
        match at {
            At::Bucket(b, i) => self.buckets.get(b)?.slots.get(i),
            At::Stash(i) => self.stash.get(i),
        }
    }

    fn slot_mut(&mut self, at: At) -> Option<&mut Slot<K, A::State>> {
        slot_in(&mut self.buckets, &mut self.stash, at)
    }

    /// Forgets the key at `at`.
    fn remove(&mut self, at: At) {
        match at {
            At::Bucket(..) => {
                if let Some(s) = self.slot_mut(at) {
                    *s = Slot::default();
                }
            }
            At::Stash(i) => {
                if i < self.stash.len() {
                    self.stash.swap_remove(i);
                }
            }
        }
        self.len = self.len.saturating_sub(1);
    }

    /// Decides a request of `cost` for `key` at `now` with the key's own state, storing the key
    /// if it is new and the request is recorded.
    ///
    /// Same contract as [`Algorithm::check`] (`cost == 0` peeks and stores nothing; a cost
    /// above the capacity is [`Error::InsufficientCapacity`]), plus [`Keyed::Full`] when a new
    /// key finds no room and the table fails closed.
    pub fn check(&mut self, key: K, now: Nanos, cost: u64) -> Result<Keyed, Error> {
        let hash = self.hasher.hash_one(&key);
        if let Some(at) = self.locate(hash, &key) {
            let policy = &self.policy;
            let (d, fresh) = match slot_in(&mut self.buckets, &mut self.stash, at) {
                Some(s) => {
                    let d = policy.check(&mut s.state, now, cost)?;
                    (
                        d,
                        d.reset_after == Nanos::ZERO && policy.is_fresh(&s.state, now),
                    )
                }
                None => return Ok(full_decision(policy.capacity(), Nanos::MAX)),
            };
            if fresh {
                self.remove(at);
            }
            return Ok(Keyed::Decided(d));
        }
        let mut state = A::State::default();
        let d = self.policy.check(&mut state, now, cost)?;
        if d.reset_after == Nanos::ZERO && self.policy.is_fresh(&state, now) {
            // Nothing to remember: the key is as fresh as an absent one.
            return Ok(Keyed::Decided(d));
        }
        Ok(match self.insert(hash, Slot { key, state }, now) {
            Ok(()) => Keyed::Decided(d),
            Err(retry_after) => full_decision(self.policy.capacity(), retry_after),
        })
    }

    /// `key`'s standing at `now`, recording nothing (a key not stored is fresh).
    pub fn peek<Q>(&self, key: &Q, now: Nanos) -> Decision
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        match self.get(key) {
            Some(state) => self.policy.peek(state, now),
            None => self.policy.peek(&A::State::default(), now),
        }
    }

    /// Whether `key` is stored. A stored key may already be fresh, waiting to be emptied.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.get(key).is_some()
    }

    /// The state stored for `key`, if any.
    pub fn get<Q>(&self, key: &Q) -> Option<&A::State>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let at = self.locate(self.hasher.hash_one(key), key)?;
        self.slot(at).map(|s| &s.state)
    }

    /// Resets `key` to fresh by forgetting it. Returns whether it was stored.
    pub fn reset<Q>(&mut self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        match self.locate(self.hasher.hash_one(key), key) {
            Some(at) => {
                self.remove(at);
                true
            }
            None => false,
        }
    }

    /// Stores a new key (hashing to `hash`); `Err(retry_after)` when there is no room for it.
    fn insert(&mut self, hash: u64, new: Slot<K, A::State>, now: Nanos) -> Result<(), Nanos> {
        let (b1, b2) = buckets_of(hash, self.buckets.len());
        // A fresh key in one of the new key's buckets gives up its slot in place.
        if let Some(at) = self.fresh_in(b1, b2, now)
            && let Some(s) = self.slot_mut(at)
        {
            *s = new;
            return Ok(());
        }
        // Every new key moves the sweep on by a bucket, so keys that became fresh do not
        // linger; a full table sweeps further before it gives up.
        self.sweep(now, 1);
        let mut window = None;
        if self.len >= self.max_keys {
            window = self.sweep_for_room(now);
        }
        let new = if self.len < self.max_keys {
            self.grow(now);
            match self.store(hash, new, STASH) {
                Ok(()) => return Ok(()),
                // Next to never: the stash is full and so are the key's own buckets.
                Err(new) => new,
            }
        } else {
            new
        };
        // No room. The candidates are the keys of the new key's own buckets and of the
        // buckets just swept, which a retry sweeps again.
        let own = self.soonest_in(b1, b2, now);
        let first = match (own, window) {
            (Some(a), Some(b)) => Some(if b.1 < a.1 { b } else { a }),
            (a, b) => a.or(b),
        };
        match (self.when_full, first) {
            (WhenFull::Evict, Some((at, _))) => {
                self.remove(at);
                self.evictions = self.evictions.saturating_add(1);
                self.store(hash, new, usize::MAX).map_err(|_| Nanos::MAX)
            }
            // A key that is not fresh yet is fresh one nanosecond later at the soonest;
            // only at the end of representable time, where the clock stands still, does
            // that instant fail to come after `now`: then no wait helps.
            (_, Some((_, instant))) if instant > now => Err(instant.saturating_sub(now)),
            _ => Err(Nanos::MAX),
        }
    }

    /// Places a new key, there being room for one more: in an empty slot, moving keys if
    /// needed, a homeless key going to the stash while it holds fewer than `stash_limit`.
    /// Hands the key back when the stash is full and the key's own buckets are too.
    fn store(
        &mut self,
        hash: u64,
        new: Slot<K, A::State>,
        stash_limit: usize,
    ) -> Result<(), Slot<K, A::State>> {
        if self.stash.len() < stash_limit {
            // The new key is stored either way; a key that no move could place is stashed.
            if let Err(homeless) = place(&mut self.buckets, &self.hasher, &mut self.dice, hash, new)
            {
                self.stash.push(homeless);
            }
        } else {
            place_direct(&mut self.buckets, hash, new)?;
        }
        self.len = self.len.saturating_add(1);
        Ok(())
    }

    /// A slot of bucket `b1` or `b2` whose key is fresh at `now`.
    fn fresh_in(&self, b1: usize, b2: usize, now: Nanos) -> Option<At> {
        for b in [b1, b2] {
            let bucket = self.buckets.get(b)?;
            for (i, s) in bucket.slots.iter().enumerate() {
                if !vacant(&s.state) && self.policy.is_fresh(&s.state, now) {
                    return Some(At::Bucket(b, i));
                }
            }
        }
        None
    }

    /// Of the keys in buckets `b1` and `b2`, the one that becomes fresh soonest, and when.
    fn soonest_in(&self, b1: usize, b2: usize, now: Nanos) -> Option<(At, Nanos)> {
        let mut soonest: Option<(At, Nanos)> = None;
        for b in if b1 == b2 { [b1, usize::MAX] } else { [b1, b2] } {
            let Some(bucket) = self.buckets.get(b) else {
                continue;
            };
            for (i, s) in bucket.slots.iter().enumerate() {
                if vacant(&s.state) {
                    continue;
                }
                // As in the other tables: a stored key is not fresh before the next
                // nanosecond, whatever its `reset_after` says.
                let at = fresh_instant(now, self.policy.peek(&s.state, now).reset_after);
                if soonest.is_none_or(|(_, t)| at < t) {
                    soonest = Some((At::Bucket(b, i), at));
                }
            }
        }
        soonest
    }

    /// Visits up to `budget` buckets from the cursor on, emptying every slot whose key is
    /// fresh at `now`, and stops after the first bucket where it emptied one.
    fn sweep(&mut self, now: Nanos, budget: usize) {
        let mut emptied = self.sweep_stash(now);
        let n = self.buckets.len();
        let mut visited = 0;
        while emptied == 0 && visited < budget.min(n) {
            visited += 1;
            let b = self.cursor;
            self.cursor = if b + 1 >= n { 0 } else { b + 1 };
            emptied += self.empty_fresh(b, now);
        }
        self.after_sweep(emptied);
    }

    /// The sweep of a full table: visits up to [`FULL_SWEEP`] buckets from the cursor on
    /// like [`sweep`](Self::sweep). When it empties none, the cursor stays, so that a retry
    /// visits the same buckets again, and the result is the key among them that becomes
    /// fresh soonest, and when.
    fn sweep_for_room(&mut self, now: Nanos) -> Option<(At, Nanos)> {
        let mut emptied = self.sweep_stash(now);
        let n = self.buckets.len();
        let mut b = self.cursor;
        let mut soonest: Option<(At, Nanos)> = None;
        for _ in 0..FULL_SWEEP.min(n) {
            if emptied > 0 {
                break;
            }
            emptied += self.empty_fresh(b, now);
            if let Some(found) = self.soonest_in(b, b, now)
                && soonest.is_none_or(|(_, t)| found.1 < t)
            {
                soonest = Some(found);
            }
            b = if b + 1 >= n { 0 } else { b + 1 };
        }
        if emptied > 0 {
            self.cursor = b;
            self.after_sweep(emptied);
            return None;
        }
        soonest
    }

    /// Empties the stash's fresh keys; returns how many.
    fn sweep_stash(&mut self, now: Nanos) -> usize {
        if self.stash.is_empty() {
            return 0;
        }
        let policy = &self.policy;
        let before = self.stash.len();
        self.stash.retain(|s| !policy.is_fresh(&s.state, now));
        before - self.stash.len()
    }

    /// Empties the slots of bucket `b` whose key is fresh at `now`; returns how many.
    fn empty_fresh(&mut self, b: usize, now: Nanos) -> usize {
        let Some(bucket) = self.buckets.get_mut(b) else {
            return 0;
        };
        let mut emptied = 0;
        for s in &mut bucket.slots {
            if !vacant(&s.state) && self.policy.is_fresh(&s.state, now) {
                *s = Slot::default();
                emptied += 1;
            }
        }
        emptied
    }

    /// Counts `emptied` slots out, and lets stashed keys take emptied slots.
    fn after_sweep(&mut self, emptied: usize) {
        self.len = self.len.saturating_sub(emptied);
        if emptied > 0 && !self.stash.is_empty() {
            for s in mem::take(&mut self.stash) {
                let hash = self.hasher.hash_one(&s.key);
                if let Err(s) = place_direct(&mut self.buckets, hash, s) {
                    self.stash.push(s);
                }
            }
        }
    }

    /// Doubles the table, up to its full size, when one more key would take it past 15/16
    /// of its slots, placing every stored key again (keys fresh at `now` are left behind,
    /// and the stash is emptied into the larger table where possible).
    fn grow(&mut self, now: Nanos) {
        let n = self.buckets.len();
        let full = full_size(self.max_keys);
        let slots = n.saturating_mul(WAYS);
        let one_more = self.len.saturating_add(1).saturating_mul(16);
        if n >= full || one_more <= slots.saturating_mul(15) {
            return;
        }
        let old = mem::replace(
            &mut self.buckets,
            empty_buckets(n.saturating_mul(2).min(full)),
        );
        let stash = mem::take(&mut self.stash);
        self.len = 0;
        let keys = old.into_iter().flat_map(|bucket| bucket.slots).chain(stash);
        for s in keys {
            if vacant(&s.state) || self.policy.is_fresh(&s.state, now) {
                continue;
            }
            self.len += 1;
            let hash = self.hasher.hash_one(&s.key);
            if let Err(s) = place(&mut self.buckets, &self.hasher, &mut self.dice, hash, s) {
                self.stash.push(s);
            }
        }
        self.cursor = 0;
    }
}

impl<K, H> CompactTable<K, Gcra, H>
where
    K: Hash + Eq + Default,
    H: BuildHasher,
{
    /// Decides and records like [`check`](Self::check), and leaves the rest of the
    /// [`Decision`] (`remaining`, `retry_after`, `reset_after`) to be worked out on demand,
    /// as [`Gcra::admit`] does for one cell: a caller that only needs to know whether the
    /// request was admitted skips that work. The table ends up exactly as `check` leaves it,
    /// and [`Admission::decision`] is exactly the decision `check` returns
    /// ([`Admission::is_full`] for [`Keyed::Full`]).
    ///
    /// ```
    /// use ratecell::{CompactTable, Gcra, Nanos, Quota, WhenFull};
    ///
    /// let mut table: CompactTable<u64, Gcra> =
    ///     CompactTable::new(Gcra::new(Quota::per_second(2)?), 1_000, WhenFull::Evict);
    /// assert!(table.admit(7, Nanos::ZERO, 2)?.allowed());
    /// let refused = table.admit(7, Nanos::ZERO, 1)?;
    /// assert!(!refused.allowed());
    /// assert_eq!(refused.decision().retry_after, Nanos::from_millis(500));
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    #[inline]
    pub fn admit(&mut self, key: K, now: Nanos, cost: u64) -> Result<Admission<'_>, Error> {
        self.policy.within_capacity(cost)?;
        let ticks = self.policy.now_ticks(now);
        let hash = self.hasher.hash_one(&key);
        if let Some(at) = self.locate(hash, &key) {
            let Some(s) = slot_in(&mut self.buckets, &mut self.stash, at) else {
                return Ok(Admission::full(&self.policy, Nanos::MAX));
            };
            let seen = s.state.to_bits();
            let stored = self.policy.admit_tat(seen, ticks, cost);
            let tat = stored.unwrap_or(seen);
            s.state = GcraState::from_bits(tat);
            if tat <= ticks {
                // Fresh (a peek of a key that has caught up): as good as absent.
                self.remove(at);
            }
            return Ok(Admission::decided(
                &self.policy,
                seen,
                ticks,
                cost,
                stored.is_some(),
            ));
        }
        let seen = GcraState::FRESH.to_bits();
        let stored = self.policy.admit_tat(seen, ticks, cost);
        if let Some(tat) = stored
            && tat > ticks
            && let Err(retry_after) = self.insert(
                hash,
                Slot {
                    key,
                    state: GcraState::from_bits(tat),
                },
                now,
            )
        {
            return Ok(Admission::full(&self.policy, retry_after));
        }
        Ok(Admission::decided(
            &self.policy,
            seen,
            ticks,
            cost,
            stored.is_some(),
        ))
    }
}

impl<K: Clone, A: Algorithm + Clone, H: Clone> Clone for CompactTable<K, A, H>
where
    A::State: Clone,
{
    fn clone(&self) -> Self {
        CompactTable {
            policy: self.policy.clone(),
            when_full: self.when_full,
            hasher: self.hasher.clone(),
            max_keys: self.max_keys,
            buckets: self.buckets.clone(),
            stash: self.stash.clone(),
            len: self.len,
            cursor: self.cursor,
            evictions: self.evictions,
            dice: self.dice,
        }
    }
}

impl<K, A: Algorithm + fmt::Debug, H> fmt::Debug for CompactTable<K, A, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompactTable")
            .field("policy", &self.policy)
            .field("when_full", &self.when_full)
            .field("len", &self.len)
            .field("capacity", &self.max_keys)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Gcra, GcraState, Quota};

    #[test]
    fn a_gcra_key_takes_sixteen_bytes_of_a_cache_line() {
        assert_eq!(CompactTable::<u64, Gcra>::BYTES_PER_SLOT, 16);
        assert_eq!(mem::size_of::<Bucket<u64, GcraState>>(), 64);
        assert_eq!(mem::align_of::<Bucket<u64, GcraState>>(), 64);
    }

    #[test]
    fn a_full_size_table_has_sixteen_slots_per_fifteen_keys() {
        assert_eq!(full_size(0), 1);
        assert_eq!(full_size(1), 1);
        assert_eq!(full_size(15), 4);
        assert_eq!(full_size(1_000_000), 266_667);
        assert!(full_size(usize::MAX) > 0);
    }

    #[test]
    fn a_full_table_takes_seventeen_bytes_per_key() {
        let gcra = Gcra::new(Quota::per_minute(100).unwrap());
        let n = if cfg!(miri) { 1_000 } else { 100_000 };
        let mut t: CompactTable<u64, Gcra> =
            CompactTable::with_hasher(gcra, n, WhenFull::FailClosed, HashSeed::new(5));
        for key in 0..n as u64 {
            let ok = t.check(key, Nanos::ZERO, 1).unwrap().allowed();
            assert!(
                ok,
                "key {key}: len {} buckets {} stash {}",
                t.len,
                t.buckets.len(),
                t.stash.len()
            );
        }
        assert_eq!(t.len(), n);
        assert!(t.stash.len() <= STASH, "stash: {}", t.stash.len());
        for key in 0..n as u64 {
            assert!(t.contains_key(&key));
        }
        let per_key = t.allocated_bytes() as f64 / n as f64;
        assert!(per_key < 17.1, "{per_key} bytes per key");
        // Full: the next key waits for the first one to be fresh (600 ms after instant 0).
        let full = t.check(u64::MAX, Nanos::from_millis(100), 1).unwrap();
        assert!(full.is_full());
        assert_eq!(full.decision().retry_after, Nanos::from_millis(500));
    }
}
