//! The table behind both keyed containers: a hash index over a dense array of entries that
//! is at the same time a binary min-heap, ordered by when each entry may become fresh.
//!
//! - The index is an array of `u32` slots, twice as many as entries can exist (load at most
//!   1/2), with linear probing from `home = (hash * slots) >> 64` and backward-shift
//!   deletion (no tombstones). A slot holds `position + 1` of its entry, 0 when empty.
//! - Each entry keeps `fresh_at`, a lower bound on the instant its state becomes fresh. The
//!   entries array is a min-heap on it. A check that moves a key's freshness later (the usual
//!   case) leaves the bound alone, so checking a stored key never reorders the heap.
//! - The root's bound is kept exact whenever `root_exact` is set: then no entry can be fresh
//!   before it, which answers "is anything reclaimable?" and "which key is closest to fresh?"
//!   in `O(1)`, and gives a full table an exact `retry_after`.
//! - Moving an entry in the heap rewrites its index slot, found by rehashing its key.

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};

use crate::Algorithm;
use crate::error::Error;
use crate::time::Nanos;

use super::WhenFull;

/// How many steps of `settle` (reclaiming a fresh entry, or making the root's bound exact) an
/// ordinary operation takes on its way; a new key that finds the table full takes as many as
/// it needs.
const TIDY_BUDGET: usize = 2;

/// What [`RawTable::settle`] must achieve.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Settle {
    /// Reclaim what is fresh, within [`TIDY_BUDGET`] steps.
    Tidy,
    /// Reclaim what is fresh and make the root's bound exact, however many steps it takes.
    Exact,
}

/// One stored key.
#[derive(Clone)]
pub(crate) struct Entry<K, S> {
    pub(crate) key: K,
    pub(crate) state: S,
    /// Not fresh before this instant (a lower bound; exact at the root when `root_exact`).
    pub(crate) fresh_at: Nanos,
}

/// Entries and index slots, borrowed together.
pub(crate) type Parts<'a, K, S> = (&'a mut [Entry<K, S>], &'a mut [u32]);

/// Where entries and index slots live: inline arrays (no `std`) or growable vectors.
pub(crate) trait Storage {
    type Key;
    type State;

    /// The most entries this storage may ever hold.
    fn limit(&self) -> usize;
    fn entries(&self) -> &[Entry<Self::Key, Self::State>];
    fn slots(&self) -> &[u32];
    fn parts_mut(&mut self) -> Parts<'_, Self::Key, Self::State>;
    /// Appends an entry; hands it back when there is no room.
    fn push(
        &mut self,
        entry: Entry<Self::Key, Self::State>,
    ) -> Result<(), Entry<Self::Key, Self::State>>;
    fn pop(&mut self) -> Option<Entry<Self::Key, Self::State>>;
    /// Makes room for one more entry below `limit`. Returns `true` when the slots were
    /// replaced by a larger, empty array that the caller must refill.
    fn make_room(&mut self) -> bool;
    fn clear(&mut self);
}

/// Fixed-capacity storage: `N` entries and `2 N` slots, `const`-constructible.
#[derive(Clone)]
pub(crate) struct Inline<K, S, const N: usize> {
    entries: heapless::Vec<Entry<K, S>, N>,
    slots: [[u32; 2]; N],
}

impl<K, S, const N: usize> Inline<K, S, N> {
    pub(crate) const fn new() -> Self {
        Inline {
            entries: heapless::Vec::new(),
            slots: [[0; 2]; N],
        }
    }
}

impl<K, S, const N: usize> Storage for Inline<K, S, N> {
    type Key = K;
    type State = S;

    fn limit(&self) -> usize {
        N
    }

    fn entries(&self) -> &[Entry<K, S>] {
        &self.entries
    }

    fn slots(&self) -> &[u32] {
        self.slots.as_flattened()
    }

    fn parts_mut(&mut self) -> Parts<'_, K, S> {
        (&mut self.entries, self.slots.as_flattened_mut())
    }

    fn push(&mut self, entry: Entry<K, S>) -> Result<(), Entry<K, S>> {
        self.entries.push(entry)
    }

    fn pop(&mut self) -> Option<Entry<K, S>> {
        self.entries.pop()
    }

    fn make_room(&mut self) -> bool {
        false
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.slots.as_flattened_mut().fill(0);
    }
}

/// A key as an operation receives it: the form to look it up by, and how to own it when it
/// must be stored.
pub(crate) trait KeySource<K> {
    type Query: ?Sized + Eq;
    fn query(&self) -> &Self::Query;
    fn into_key(self) -> K;
}

/// An owned key, moved into the table if it is stored.
pub(crate) struct Owned<K>(pub(crate) K);

impl<K: Eq> KeySource<K> for Owned<K> {
    type Query = K;

    fn query(&self) -> &K {
        &self.0
    }

    fn into_key(self) -> K {
        self.0
    }
}

/// What an insert-or-update needs besides the key: the policy, the hasher, and what to do
/// when the table is full.
pub(crate) struct Rules<'a, A, H> {
    pub(crate) policy: &'a A,
    pub(crate) hasher: &'a H,
    pub(crate) when_full: WhenFull,
}

impl<A, H> Clone for Rules<'_, A, H> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A, H> Copy for Rules<'_, A, H> {}

/// What an insert-or-update operation did.
pub(crate) enum Upsert<R> {
    /// The operation ran (on the stored state, or on a fresh state).
    Done(R),
    /// The key was absent, the operation's result needed storing, and the table is full of
    /// keys that are not fresh: nothing ran. The instant the first of them becomes fresh is
    /// `retry_after` from now (`Nanos::MAX`: never).
    Full(Nanos),
}

/// The instant a state that is not fresh becomes fresh, from its `reset_after` at `now`.
/// Strictly after `now`, so a bound always moves forward (saturating at the end of time).
pub(super) fn fresh_instant(now: Nanos, reset_after: Nanos) -> Nanos {
    now.saturating_add(reset_after.max(Nanos::new(1)))
}

/// The home slot of `hash` among `n` slots: the high bits of the hash, scaled.
pub(super) fn home(hash: u64, n: usize) -> usize {
    // Below `n`: a 64-bit hash times `n`, shifted right by 64 bits (no overflow: both fit in
    // 64 bits, so `wrapping_mul` only skips the check).
    (u128::from(hash).wrapping_mul(n as u128) >> 64) as usize
}

/// The slot after `i`, wrapping at `n`.
fn next(i: usize, n: usize) -> usize {
    let j = i.saturating_add(1);
    if j >= n { 0 } else { j }
}

/// `position + 1`, the value a slot holds for the entry at `position`.
fn tag(position: usize) -> Option<u32> {
    u32::try_from(position.checked_add(1)?).ok()
}

/// The table logic over a storage.
#[derive(Clone)]
pub(crate) struct RawTable<St> {
    store: St,
    /// The root's `fresh_at` is exact, not only a lower bound.
    root_exact: bool,
    evictions: u64,
}

impl<St> RawTable<St> {
    pub(crate) const fn new(store: St) -> Self {
        RawTable {
            store,
            root_exact: true,
            evictions: 0,
        }
    }

    /// Keys evicted by [`WhenFull::Evict`] since the table was created.
    pub(crate) const fn evictions(&self) -> u64 {
        self.evictions
    }
}

impl<St: Storage> RawTable<St> {
    /// The most entries the table may hold.
    #[cfg(all(test, feature = "std"))]
    pub(crate) fn limit(&self) -> usize {
        self.store.limit()
    }

    pub(crate) fn len(&self) -> usize {
        self.store.entries().len()
    }

    pub(crate) fn clear(&mut self) {
        self.store.clear();
        self.root_exact = true;
    }

    /// Drops every bound to zero, which stays a valid lower bound under any policy; the heap
    /// order (all equal) holds and `settle` recomputes bounds as it goes.
    pub(crate) fn forget_bounds(&mut self) {
        let (entries, _) = self.store.parts_mut();
        for e in entries {
            e.fresh_at = Nanos::ZERO;
        }
        self.root_exact = false;
    }
}

impl<St> RawTable<St>
where
    St: Storage,
    St::Key: Hash + Eq,
{
    /// The position of `key`'s entry.
    fn find<Q>(&self, hash: u64, key: &Q) -> Option<usize>
    where
        St::Key: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        self.find_slot(hash, key).map(|(_, position)| position)
    }

    /// The index slot pointing at `key`'s entry and the entry's position, if stored.
    fn find_slot<Q>(&self, hash: u64, key: &Q) -> Option<(usize, usize)>
    where
        St::Key: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        let slots = self.store.slots();
        let entries = self.store.entries();
        let n = slots.len();
        let mut i = home(hash, n);
        for _ in 0..n {
            let position = usize::try_from(slots.get(i)?.checked_sub(1)?).ok()?;
            if entries.get(position)?.key.borrow() == key {
                return Some((i, position));
            }
            i = next(i, n);
        }
        None
    }

    /// The state stored for `key`, if any (it may be fresh and not yet reclaimed).
    pub(crate) fn get<Q>(&self, hash: u64, key: &Q) -> Option<&St::State>
    where
        St::Key: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        let position = self.find(hash, key)?;
        self.store.entries().get(position).map(|e| &e.state)
    }

    /// The slot that points at the entry at `position`.
    fn slot_of<H: BuildHasher>(&self, hasher: &H, position: usize) -> Option<usize> {
        let slots = self.store.slots();
        let entry = self.store.entries().get(position)?;
        let target = tag(position)?;
        let n = slots.len();
        let mut i = home(hasher.hash_one(&entry.key), n);
        for _ in 0..n {
            match *slots.get(i)? {
                0 => return None,
                t if t == target => return Some(i),
                _ => i = next(i, n),
            }
        }
        None
    }

    /// Points the first empty slot from `hash`'s home at `position`; returns that slot.
    fn place(&mut self, hash: u64, position: usize) -> Option<usize> {
        let value = tag(position)?;
        let (_, slots) = self.store.parts_mut();
        let n = slots.len();
        let mut i = home(hash, n);
        for _ in 0..n {
            let s = slots.get_mut(i)?;
            if *s == 0 {
                *s = value;
                return Some(i);
            }
            i = next(i, n);
        }
        None
    }

    /// Empties slot `hole` and shifts back the entries of its probe run that may move into
    /// it, so every entry stays reachable from its home without tombstones.
    fn delete_slot<H: BuildHasher>(&mut self, hasher: &H, mut hole: usize) {
        let (entries, slots) = self.store.parts_mut();
        let n = slots.len();
        if let Some(s) = slots.get_mut(hole) {
            *s = 0;
        }
        let mut j = hole;
        for _ in 0..n {
            j = next(j, n);
            let Some(&value) = slots.get(j) else { return };
            let Some(entry) = value
                .checked_sub(1)
                .and_then(|p| usize::try_from(p).ok())
                .and_then(|p| entries.get(p))
            else {
                return;
            };
            let h = home(hasher.hash_one(&entry.key), n);
            // The entry at `j` must stay when its home lies cyclically in `(hole, j]`.
            let stays = if hole <= j {
                hole < h && h <= j
            } else {
                hole < h || h <= j
            };
            if !stays {
                if let Some(s) = slots.get_mut(hole) {
                    *s = value;
                }
                if let Some(s) = slots.get_mut(j) {
                    *s = 0;
                }
                hole = j;
            }
        }
    }

    /// Refills every slot from the entries (after the slots array was replaced).
    fn rebuild_index<H: BuildHasher>(&mut self, hasher: &H) {
        for position in 0..self.len() {
            if let Some(entry) = self.store.entries().get(position) {
                let hash = hasher.hash_one(&entry.key);
                self.place(hash, position);
            }
        }
    }

    fn fresh_at(&self, position: usize) -> Option<Nanos> {
        self.store.entries().get(position).map(|e| e.fresh_at)
    }

    /// Swaps the entry at `from`, which is being sifted, with the entry at `to`, and points
    /// the latter's slot at `from`. The sifted entry's own slot is written once, when it stops
    /// (by `sift_up_from` or `sift_down_from`): until then it still holds the entry's first
    /// position, which no lookup of the sift asks for, so every other position stays named by
    /// exactly one slot.
    fn step<H: BuildHasher>(&mut self, hasher: &H, from: usize, to: usize) -> Option<()> {
        let other = self.slot_of(hasher, to)?;
        let value = tag(from)?;
        let (entries, slots) = self.store.parts_mut();
        if from >= entries.len() || to >= entries.len() {
            return None;
        }
        entries.swap(from, to);
        *slots.get_mut(other)? = value;
        Some(())
    }

    /// Points `slot` at `position`.
    fn point(&mut self, slot: usize, position: usize) {
        let (_, slots) = self.store.parts_mut();
        if let (Some(s), Some(value)) = (slots.get_mut(slot), tag(position)) {
            *s = value;
        }
    }

    /// Moves the entry at `position`, pointed at by `slot`, up while it is due before its
    /// parent; returns where it ends.
    fn sift_up_from<H: BuildHasher>(
        &mut self,
        hasher: &H,
        mut position: usize,
        slot: usize,
    ) -> usize {
        while position > 0 {
            let parent = (position - 1) / 2;
            match (self.fresh_at(position), self.fresh_at(parent)) {
                (Some(c), Some(p)) if c < p && self.step(hasher, position, parent).is_some() => {
                    position = parent;
                }
                _ => break,
            }
        }
        self.point(slot, position);
        position
    }

    /// Moves the entry at `position`, pointed at by `slot`, down while a child is due before
    /// it; returns where it ends.
    fn sift_down_from<H: BuildHasher>(
        &mut self,
        hasher: &H,
        mut position: usize,
        slot: usize,
    ) -> usize {
        loop {
            let entries = self.store.entries();
            let (Some(mine), Some(left)) = (
                entries.get(position),
                position.checked_mul(2).and_then(|l| l.checked_add(1)),
            ) else {
                break;
            };
            let mut smallest = (position, mine.fresh_at);
            if let Some(e) = entries.get(left)
                && e.fresh_at < smallest.1
            {
                smallest = (left, e.fresh_at);
            }
            let right = left.saturating_add(1);
            if let Some(e) = entries.get(right)
                && e.fresh_at < smallest.1
            {
                smallest = (right, e.fresh_at);
            }
            if smallest.0 == position || self.step(hasher, position, smallest.0).is_none() {
                break;
            }
            position = smallest.0;
        }
        self.point(slot, position);
        position
    }

    /// [`sift_down_from`](Self::sift_down_from), finding the entry's slot first.
    fn sift_down<H: BuildHasher>(&mut self, hasher: &H, position: usize) -> usize {
        match self.slot_of(hasher, position) {
            Some(slot) => self.sift_down_from(hasher, position, slot),
            None => position,
        }
    }

    /// Removes the entry at `position` from the index and the heap.
    fn remove_at<H: BuildHasher>(
        &mut self,
        hasher: &H,
        position: usize,
    ) -> Option<Entry<St::Key, St::State>> {
        let slot = self.slot_of(hasher, position)?;
        self.delete_slot(hasher, slot);
        let last = self.len().checked_sub(1)?;
        // The last entry fills the gap, then finds its place in the heap.
        let moved = if position == last {
            None
        } else {
            let moved = self.slot_of(hasher, last);
            let (entries, _) = self.store.parts_mut();
            if position < entries.len() {
                entries.swap(position, last);
            }
            moved
        };
        let removed = self.store.pop();
        if position == 0 {
            self.root_exact = false;
        }
        if let Some(moved) = moved {
            let up = self.sift_up_from(hasher, position, moved);
            if up == position {
                self.sift_down_from(hasher, position, moved);
            }
            if up == 0 {
                self.root_exact = false;
            }
        }
        removed
    }

    /// [`settle`](Self::settle) with [`Settle::Tidy`], whose usual outcome (the root is not
    /// fresh before a later instant, so there is nothing to do) is decided here, inline, and
    /// costs an ordinary operation a load and a comparison.
    #[inline]
    fn tidy<A, H>(&mut self, policy: &A, hasher: &H, now: Nanos)
    where
        A: Algorithm<State = St::State>,
        H: BuildHasher,
    {
        if let Some(root) = self.store.entries().first()
            && root.fresh_at > now
        {
            return;
        }
        self.settle(policy, hasher, now, Settle::Tidy);
    }

    /// Reclaims fresh entries from the root, doing at most `budget` steps, and with `Exact`,
    /// makes the root's bound exact (a full table's `retry_after` and eviction need it).
    /// `Tidy` stops as soon as the root's bound is in the future: no entry can be fresh then,
    /// and refining bounds that cannot reclaim anything would only cost time.
    ///
    /// Each step reclaims an entry or makes one bound exact, and an exact bound only becomes
    /// stale again through an operation on its key, so the work is amortised over the
    /// operations that created it.
    #[inline(never)]
    fn settle<A, H>(&mut self, policy: &A, hasher: &H, now: Nanos, goal: Settle)
    where
        A: Algorithm<State = St::State>,
        H: BuildHasher,
    {
        let mut budget = match goal {
            Settle::Tidy => TIDY_BUDGET,
            Settle::Exact => usize::MAX,
        };
        while budget > 0 {
            let Some(root) = self.store.entries().first() else {
                self.root_exact = true;
                break;
            };
            if root.fresh_at > now && (self.root_exact || goal == Settle::Tidy) {
                break;
            }
            budget -= 1;
            if policy.is_fresh(&root.state, now) {
                if self.remove_at(hasher, 0).is_none() {
                    break;
                }
                continue;
            }
            let exact = fresh_instant(now, policy.peek(&root.state, now).reset_after);
            if exact == root.fresh_at {
                self.root_exact = true;
                break;
            }
            let (entries, _) = self.store.parts_mut();
            if let Some(root) = entries.first_mut() {
                root.fresh_at = exact;
            }
            self.root_exact = self.sift_down(hasher, 0) == 0;
            if self.root_exact {
                break;
            }
        }
    }

    /// Updates the heap after the state at `position` (pointed at by index `slot`) changed,
    /// its `reset_after` at `now` being `reset_after`. Removes the entry when its state is
    /// fresh. Knowing the slot spares hashing the key again to move it.
    fn after_update<A, H>(
        &mut self,
        policy: &A,
        hasher: &H,
        (slot, position): (usize, usize),
        now: Nanos,
        reset_after: Nanos,
    ) where
        A: Algorithm<State = St::State>,
        H: BuildHasher,
    {
        let Some(entry) = self.store.entries().get(position) else {
            return;
        };
        if reset_after == Nanos::ZERO && policy.is_fresh(&entry.state, now) {
            self.remove_at(hasher, position);
            return;
        }
        let exact = fresh_instant(now, reset_after);
        if position == 0 {
            // The root moving later keeps its old instant as a lower bound, like every other
            // entry: it is made exact (and sifted down) only when that bound passes, or when a
            // full table needs the exact root. Checking the same keys in turn then costs no
            // heap work.
            let (entries, _) = self.store.parts_mut();
            if let Some(root) = entries.first_mut() {
                self.root_exact = exact <= root.fresh_at;
                root.fresh_at = root.fresh_at.min(exact);
            }
        } else if exact < entry.fresh_at {
            let (entries, _) = self.store.parts_mut();
            if let Some(e) = entries.get_mut(position) {
                e.fresh_at = exact;
            }
            if self.sift_up_from(hasher, position, slot) == 0 {
                self.root_exact = true;
            }
        }
    }

    /// Runs `op` on `key`'s state, inserting the key when it is absent and the result is not
    /// fresh. `op` returns its result and the state's `reset_after` at `now`.
    pub(crate) fn upsert<A, H, S, R>(
        &mut self,
        rules: &Rules<'_, A, H>,
        hash: u64,
        key: S,
        now: Nanos,
        op: impl FnOnce(&A, &mut St::State) -> Result<(R, Nanos), Error>,
    ) -> Result<Upsert<R>, Error>
    where
        A: Algorithm<State = St::State>,
        H: BuildHasher,
        S: KeySource<St::Key>,
        St::Key: Borrow<S::Query>,
        St::State: Default,
    {
        let Rules {
            policy,
            hasher,
            when_full,
        } = *rules;
        self.tidy(policy, hasher, now);
        if let Some(found) = self.find_slot(hash, key.query()) {
            let (entries, _) = self.store.parts_mut();
            let Some(entry) = entries.get_mut(found.1) else {
                return Ok(Upsert::Full(Nanos::MAX));
            };
            let (result, reset_after) = op(policy, &mut entry.state)?;
            self.after_update(policy, hasher, found, now, reset_after);
            return Ok(Upsert::Done(result));
        }
        let mut state = St::State::default();
        let (result, reset_after) = op(policy, &mut state)?;
        if reset_after == Nanos::ZERO && policy.is_fresh(&state, now) {
            // Nothing to remember: the key is as fresh as an absent one.
            return Ok(Upsert::Done(result));
        }
        if self.len() >= self.store.limit() {
            self.settle(policy, hasher, now, Settle::Exact);
        }
        if self.len() >= self.store.limit() {
            match when_full {
                WhenFull::FailClosed => {
                    let retry_after = match self.store.entries().first() {
                        Some(root) if root.fresh_at > now => root.fresh_at.saturating_sub(now),
                        _ => Nanos::MAX,
                    };
                    return Ok(Upsert::Full(retry_after));
                }
                WhenFull::Evict => {
                    if self.remove_at(hasher, 0).is_none() {
                        return Ok(Upsert::Full(Nanos::MAX));
                    }
                    self.evictions = self.evictions.saturating_add(1);
                }
            }
        }
        if self.store.make_room() {
            self.rebuild_index(hasher);
        }
        let position = self.len();
        let entry = Entry {
            key: key.into_key(),
            state,
            fresh_at: fresh_instant(now, reset_after),
        };
        if self.store.push(entry).is_err() {
            return Ok(Upsert::Full(Nanos::MAX));
        }
        let Some(slot) = self.place(hash, position) else {
            // Unreachable while slots outnumber entries; undo rather than keep an entry that
            // no slot points at.
            self.store.pop();
            return Ok(Upsert::Full(Nanos::MAX));
        };
        if self.sift_up_from(hasher, position, slot) == 0 {
            self.root_exact = true;
        }
        Ok(Upsert::Done(result))
    }

    /// Runs `op` on `key`'s state when the key is stored; `None` when it is not.
    pub(crate) fn modify<A, H, Q, R>(
        &mut self,
        policy: &A,
        hasher: &H,
        hash: u64,
        key: &Q,
        now: Nanos,
        op: impl FnOnce(&A, &mut St::State) -> (R, Nanos),
    ) -> Option<R>
    where
        A: Algorithm<State = St::State>,
        H: BuildHasher,
        St::Key: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        self.tidy(policy, hasher, now);
        let found = self.find_slot(hash, key)?;
        let (entries, _) = self.store.parts_mut();
        let entry = entries.get_mut(found.1)?;
        let (result, reset_after) = op(policy, &mut entry.state);
        self.after_update(policy, hasher, found, now, reset_after);
        Some(result)
    }

    /// Forgets `key`, returning whether it was stored.
    pub(crate) fn remove<H, Q>(&mut self, hasher: &H, hash: u64, key: &Q) -> bool
    where
        H: BuildHasher,
        St::Key: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        match self.find(hash, key) {
            Some(position) => self.remove_at(hasher, position).is_some(),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::keyed::HashSeed;
    use crate::{Gcra, GcraState, Quota};
    use std::vec::Vec;

    type Table = RawTable<Inline<u64, GcraState, 64>>;

    /// Checks every invariant: each entry is reachable through its slot, slots point at
    /// distinct entries, and the heap order holds.
    fn assert_consistent(t: &Table, h: &HashSeed) {
        let entries = t.store.entries();
        let used: Vec<_> = t.store.slots().iter().filter(|&&s| s != 0).collect();
        assert_eq!(used.len(), entries.len());
        for (p, e) in entries.iter().enumerate() {
            assert_eq!(t.find(h.hash_one(e.key), &e.key), Some(p));
            if p > 0 {
                let parent = entries.get((p - 1) / 2).unwrap();
                assert!(parent.fresh_at <= e.fresh_at, "heap order at {p}");
            }
        }
    }

    #[test]
    fn index_and_heap_stay_consistent_through_churn() {
        let gcra = Gcra::new(Quota::per_second(1).unwrap());
        let h = HashSeed::new(3);
        let mut t = Table::new(Inline::new());
        let mut x = 1_u64;
        // Fewer steps under Miri, which interprets every one of them.
        let steps = if cfg!(miri) { 300 } else { 5_000_u64 };
        for step in 0..steps {
            // A small xorshift picks keys from 0..100 and costs 0..=1.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = x % 100;
            let now = Nanos::from_millis(step * 3);
            let rules = Rules {
                policy: &gcra,
                hasher: &h,
                when_full: WhenFull::Evict,
            };
            let r = t.upsert(&rules, h.hash_one(key), Owned(key), now, |a, s| {
                let d = a.check(s, now, x % 2)?;
                Ok((d, d.reset_after))
            });
            assert!(r.is_ok());
            if step % 7 == 0 {
                t.remove(&h, h.hash_one(key / 2), &(key / 2));
            }
            assert!(t.len() <= 64);
            assert_consistent(&t, &h);
        }
    }
}
