//! [`AllOf`] over [`KeyedStore`]s: one key checked in several stores at once, all or nothing.
//!
//! A plan limit shared by several endpoint groups is one store of per-key plan states; each
//! endpoint group is another store. A request to an endpoint group checks the caller's key in
//! the plan store and in the group's store as one: both admit and record, or neither changes.
//! Each member keeps its own store, so the plan store stays shared by every combination it is
//! part of, and can still be checked on its own.
//!
//! # Atomicity
//!
//! The shard holding the key is locked in every member store, always in the same global
//! order (by address), so combinations sharing stores never deadlock with each other or with
//! single-store operations, which hold one shard lock at a time. Under those locks every
//! member decides purely ([`Algorithm::decide`]); only when all admit are the new states
//! stored. Other threads see either none of the effects or all of them.
//!
//! # Full stores
//!
//! Storing a key that a member store does not hold yet can find that store full of keys that
//! are not fresh. Under [`WhenFull::FailClosed`](super::WhenFull) the request is then refused:
//! the members already written are restored (an absent key is removed again), `full` names the
//! member, and its standing is the exact wait until its store frees a slot. Under
//! [`WhenFull::Evict`](super::WhenFull) the store evicts as it would for a single check; an
//! eviction is not undone.
//!
//! # Members listed twice
//!
//! A store listed twice decides both times from the same stored state, and the later member's
//! new state is the one stored: list each store once.

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};
use std::borrow::ToOwned;
use std::sync::atomic::Ordering;
use std::vec::Vec;

use super::raw::{Rules, Upsert};
use super::store::{Borrowed, KeyedStore, Locking, Shard, Table};
use super::{Keyed, full_decision};
use crate::Algorithm;
use crate::all_of::{AllOf, AllOfDecision};
use crate::decision::Decision;
use crate::error::Error;
use crate::time::Nanos;

/// The outcome of [`AllOf::check_keyed`]: the combined decision, and whether a member store
/// had no room for the key.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[must_use = "a KeyedAllOf says whether the request may proceed"]
pub struct KeyedAllOf {
    /// The combined decision, as [`AllOf`] combines its members' (see its module).
    pub decision: AllOfDecision,
    /// The member store that had no room for the key and failed closed: the request was
    /// refused, nothing was recorded, and that member's standing is a [`Keyed::Full`]
    /// denial. `None` otherwise.
    pub full: Option<usize>,
}

impl KeyedAllOf {
    /// The combined decision as a [`Keyed`] outcome: [`Keyed::Full`] when a store had no room.
    pub const fn keyed(&self) -> Keyed {
        match self.full {
            Some(_) => Keyed::Full(self.decision.decision),
            None => Keyed::Decided(self.decision.decision),
        }
    }
}

type Guard<'a, K, S, L> = (&'a Shard<K, S, L>, <L as Locking>::Guard<'a, Table<K, S>>);

/// The shard locks of one key in every member store, each taken once, in address order.
struct Locked<'a, K, S, L: Locking> {
    /// The distinct shards, with their guards, sorted by address.
    guards: Vec<Guard<'a, K, S, L>>,
    /// For each member, its key's hash and the index of its shard in `guards`.
    members: Vec<(u64, usize)>,
}

impl<'a, K, S, L: Locking> Locked<'a, K, S, L> {
    fn lock<A, H, St, Q>(stores: &'a [St], key: &Q) -> Option<Locked<'a, K, S, L>>
    where
        A: Algorithm<State = S> + 'a,
        H: BuildHasher + 'a,
        K: Hash + Eq + 'a,
        S: 'a,
        St: Borrow<KeyedStore<K, A, H, L>>,
        Q: ?Sized + Hash,
    {
        let mut shards = Vec::with_capacity(stores.len());
        let mut hashes = Vec::with_capacity(stores.len());
        for store in stores {
            let store = store.borrow();
            let hash = store.hasher.hash_one(key);
            shards.push(store.shard(hash)?);
            hashes.push(hash);
        }
        let mut order: Vec<&Shard<K, S, L>> = shards.clone();
        order.sort_by_key(|s| core::ptr::from_ref(*s).addr());
        order.dedup_by_key(|s| core::ptr::from_ref(*s).addr());
        let guards: Vec<_> = order.into_iter().map(|s| (s, s.lock())).collect();
        let members = shards
            .iter()
            .zip(hashes)
            .map(|(shard, hash)| {
                let at = guards
                    .iter()
                    .position(|(s, _)| core::ptr::eq(*s, *shard))
                    .unwrap_or(0);
                (hash, at)
            })
            .collect();
        Some(Locked { guards, members })
    }

    /// Member `i`'s hash and locked table.
    fn table(&mut self, i: usize) -> Option<(u64, &mut Table<K, S>)> {
        let (hash, at) = *self.members.get(i)?;
        let (_, guard) = self.guards.get_mut(at)?;
        Some((hash, &mut **guard))
    }

    /// Publishes every table's length and releases the locks.
    fn publish(self) {
        for (shard, table) in &self.guards {
            shard.publish(table);
        }
    }
}

fn mismatch(members: usize, given: usize) -> Result<(), Error> {
    if members == given {
        Ok(())
    } else {
        Err(Error::LengthMismatch { members, given })
    }
}

/// The dynamic form over keyed stores: a slice of stores (or of anything that borrows as one,
/// such as `Arc<KeyedStore<..>>`), each holding its members' per-key states.
///
/// ```
/// use std::sync::Arc;
/// use ratecell::{AllOf, Decision, Gcra, KeyedStore, Limiter, Nanos, Quota, WhenFull};
///
/// // Starter plan: 120/minute overall, shared by the analysis (30/minute) and sessions
/// // (120/minute) endpoint groups.
/// let store = |q| Arc::new(KeyedStore::<Box<str>, Limiter>::new(
///     Limiter::from(Gcra::new(Quota::parse(q).unwrap())), 10_000, WhenFull::FailClosed));
/// let (plan, analysis, sessions) = (store("120/minute"), store("30/minute"), store("120/minute"));
/// let analysis_group = [plan.clone(), analysis];
/// let sessions_group = [plan.clone(), sessions];
///
/// let mut standings = [Decision::default(); 2];
/// for _ in 0..30 {
///     let d = AllOf::new(&analysis_group[..]).check_keyed("key", Nanos::ZERO, &[1, 1], &mut standings)?;
///     assert!(d.decision.decision.allowed);
/// }
/// let d = AllOf::new(&analysis_group[..]).check_keyed("key", Nanos::ZERO, &[1, 1], &mut standings)?;
/// assert_eq!(d.decision.refused_by, Some(1));
/// assert_eq!(standings[0].remaining, 90); // the refused request charged nobody
///
/// let d = AllOf::new(&sessions_group[..]).check_keyed("key", Nanos::ZERO, &[1, 1], &mut standings)?;
/// assert_eq!(d.decision.decision.remaining, 89); // the plan is shared
/// assert_eq!(plan.peek("key", Nanos::ZERO).remaining, 89);
/// # Ok::<(), ratecell::Error>(())
/// ```
impl<St> AllOf<&[St]> {
    /// Decides a request for `key` at `now` charging member `i` `costs[i]`, and records it in
    /// every member store when all admit it (see the [`keyed` module documentation](crate::keyed)).
    ///
    /// `standings[i]` receives member `i`'s standing: its decision, or its unchanged standing
    /// when the combination refused a request it would have admitted. A cost above a member's
    /// capacity is that member's [`Error::InsufficientCapacity`] (the first such member's);
    /// `costs` or `standings` of another length than the members is
    /// [`Error::LengthMismatch`]. Neither changes anything.
    pub fn check_keyed<K, A, H, L, Q>(
        &self,
        key: &Q,
        now: Nanos,
        costs: &[u64],
        standings: &mut [Decision],
    ) -> Result<KeyedAllOf, Error>
    where
        St: Borrow<KeyedStore<K, A, H, L>>,
        K: Hash + Eq + Borrow<Q>,
        A: Algorithm,
        A::State: Clone,
        H: BuildHasher,
        L: Locking,
        Q: ?Sized + Hash + Eq + ToOwned,
        Q::Owned: Into<K>,
    {
        let stores = *self.members();
        mismatch(stores.len(), costs.len())?;
        mismatch(stores.len(), standings.len())?;
        let Some(mut locked) = Locked::lock(stores, key) else {
            return Err(Error::LengthMismatch {
                members: stores.len(),
                given: 0,
            });
        };
        let result = decide_and_store(stores, &mut locked, key, now, costs, standings);
        locked.publish();
        result
    }

    /// Every member's standing for `key` at `now` in `standings` (read under the same locks,
    /// so it is one consistent instant), and the combined decision. Records nothing.
    /// `standings` of another length than the members is [`Error::LengthMismatch`].
    pub fn peek_keyed<K, A, H, L, Q>(
        &self,
        key: &Q,
        now: Nanos,
        standings: &mut [Decision],
    ) -> Result<AllOfDecision, Error>
    where
        St: Borrow<KeyedStore<K, A, H, L>>,
        K: Hash + Eq + Borrow<Q>,
        A: Algorithm,
        H: BuildHasher,
        L: Locking,
        Q: ?Sized + Hash + Eq,
    {
        let stores = *self.members();
        mismatch(stores.len(), standings.len())?;
        let Some(mut locked) = Locked::lock(stores, key) else {
            return Err(Error::LengthMismatch {
                members: stores.len(),
                given: 0,
            });
        };
        for (i, (store, standing)) in stores.iter().zip(standings.iter_mut()).enumerate() {
            let policy = &store.borrow().policy;
            *standing = match locked.table(i) {
                Some((hash, table)) => match table.get(hash, key) {
                    Some(state) => policy.peek(state, now),
                    None => policy.peek(&A::State::default(), now),
                },
                None => policy.peek(&A::State::default(), now),
            };
        }
        drop(locked);
        Ok(AllOfDecision::combine(standings))
    }
}

/// The body of [`AllOf::check_keyed`], under the locks.
fn decide_and_store<K, A, H, L, Q, St>(
    stores: &[St],
    locked: &mut Locked<'_, K, A::State, L>,
    key: &Q,
    now: Nanos,
    costs: &[u64],
    standings: &mut [Decision],
) -> Result<KeyedAllOf, Error>
where
    St: Borrow<KeyedStore<K, A, H, L>>,
    K: Hash + Eq + Borrow<Q>,
    A: Algorithm,
    A::State: Clone,
    H: BuildHasher,
    L: Locking,
    Q: ?Sized + Hash + Eq + ToOwned,
    Q::Owned: Into<K>,
{
    // Decide every member purely; remember what each store held.
    let mut pending = Vec::with_capacity(stores.len());
    let mut all_admit = true;
    for (i, ((store, cost), standing)) in stores
        .iter()
        .zip(costs)
        .zip(standings.iter_mut())
        .enumerate()
    {
        let policy = &store.borrow().policy;
        let held = locked
            .table(i)
            .and_then(|(hash, table)| table.get(hash, key).cloned());
        let state = held.clone().unwrap_or_default();
        let (decision, next) = policy.decide(&state, now, *cost)?;
        all_admit &= decision.allowed;
        *standing = decision;
        pending.push((held, state, next));
    }
    if !all_admit {
        for ((store, standing), (_, state, _)) in
            stores.iter().zip(standings.iter_mut()).zip(&pending)
        {
            if standing.allowed {
                *standing = store.borrow().policy.peek(state, now);
            }
        }
        return Ok(KeyedAllOf {
            decision: AllOfDecision::combine(standings),
            full: None,
        });
    }
    // Store every member's next state; undo on a full store.
    for (i, store) in stores.iter().enumerate() {
        let store = store.borrow();
        let (Some((_, _, next)), Some(standing)) = (pending.get(i), standings.get(i)) else {
            break;
        };
        let (next, reset_after) = (next.clone(), standing.reset_after);
        let Some(outcome) = store_state(store, locked, i, key, now, next, reset_after) else {
            continue;
        };
        let Upsert::Full(retry_after) = outcome else {
            continue;
        };
        for (j, undo) in stores.iter().enumerate().take(i) {
            let undo = undo.borrow();
            if let Some((held, state, _)) = pending.get(j) {
                restore(undo, locked, j, key, now, held.clone(), state);
            }
        }
        for (j, (store, standing)) in stores.iter().zip(standings.iter_mut()).enumerate() {
            let policy = &store.borrow().policy;
            *standing = if j == i {
                full_decision(policy.capacity(), retry_after).decision()
            } else {
                pending
                    .get(j)
                    .map_or(*standing, |(_, state, _)| policy.peek(state, now))
            };
        }
        return Ok(KeyedAllOf {
            decision: AllOfDecision::combine(standings),
            full: Some(i),
        });
    }
    Ok(KeyedAllOf {
        decision: AllOfDecision::combine(standings),
        full: None,
    })
}

/// Stores `next` for `key` in member `i`'s table, counting an eviction in the store.
fn store_state<K, A, H, L, Q>(
    store: &KeyedStore<K, A, H, L>,
    locked: &mut Locked<'_, K, A::State, L>,
    i: usize,
    key: &Q,
    now: Nanos,
    next: A::State,
    reset_after: Nanos,
) -> Option<Upsert<()>>
where
    K: Hash + Eq + Borrow<Q>,
    A: Algorithm,
    H: BuildHasher,
    L: Locking,
    Q: ?Sized + Hash + Eq + ToOwned,
    Q::Owned: Into<K>,
{
    let (hash, table) = locked.table(i)?;
    let rules = Rules {
        policy: &store.policy,
        hasher: &store.hasher,
        when_full: store.when_full,
    };
    let evictions = table.evictions();
    let outcome = table
        .upsert(&rules, hash, Borrowed(key), now, |_, state| {
            *state = next;
            Ok(((), reset_after))
        })
        .ok()?;
    if table.evictions() != evictions {
        store.evictions.fetch_add(1, Ordering::Relaxed);
    }
    Some(outcome)
}

/// Puts back what member `i`'s table held for `key` before: the old state, or no entry.
fn restore<K, A, H, L, Q>(
    store: &KeyedStore<K, A, H, L>,
    locked: &mut Locked<'_, K, A::State, L>,
    i: usize,
    key: &Q,
    now: Nanos,
    held: Option<A::State>,
    state: &A::State,
) where
    K: Hash + Eq + Borrow<Q>,
    A: Algorithm,
    H: BuildHasher,
    L: Locking,
    Q: ?Sized + Hash + Eq + ToOwned,
    Q::Owned: Into<K>,
{
    match held {
        Some(old) => {
            let reset_after = store.policy.peek(state, now).reset_after;
            store_state(store, locked, i, key, now, old, reset_after);
        }
        None => {
            if let Some((hash, table)) = locked.table(i) {
                table.remove(&store.hasher, hash, key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyed::WhenFull;
    use crate::{Gcra, Limiter, Quota};
    use std::boxed::Box;
    use std::sync::Arc;

    type Store = KeyedStore<Box<str>, Limiter>;

    fn store(quota: &str, max_keys: usize) -> Arc<Store> {
        let gcra = Gcra::new(Quota::parse(quota).unwrap());
        Arc::new(KeyedStore::new(
            Limiter::from(gcra),
            max_keys,
            WhenFull::FailClosed,
        ))
    }

    #[test]
    fn a_full_member_store_undoes_the_others_and_fails_closed() {
        let plan = store("10/second", 10);
        let endpoint = store("1/second", 1);
        let members = [plan.clone(), endpoint.clone()];
        let all = AllOf::new(&members[..]);
        let mut standings = [Decision::default(); 2];
        let d = all
            .check_keyed("a", Nanos::ZERO, &[1, 1], &mut standings)
            .unwrap();
        assert!(d.decision.decision.allowed && d.full.is_none());
        // Key "b" has no room in the endpoint store until "a" is fresh, 1 s later.
        let d = all
            .check_keyed("b", Nanos::from_millis(250), &[1, 1], &mut standings)
            .unwrap();
        assert_eq!(d.full, Some(1));
        assert!(d.keyed().is_full());
        assert_eq!(d.decision.refused_by, Some(1));
        assert_eq!(d.decision.decision.retry_after, Nanos::from_millis(750));
        assert_eq!(standings[0].remaining, 10);
        assert!(!plan.contains_key("b"));
        let d = all
            .check_keyed("b", Nanos::from_secs(1), &[1, 1], &mut standings)
            .unwrap();
        assert!(d.decision.decision.allowed);
        assert_eq!(endpoint.len(), 1);
    }

    #[test]
    fn a_restored_member_keeps_its_old_state() {
        let plan = store("10/second", 10);
        let endpoint = store("1/second", 1);
        let members = [plan.clone(), endpoint.clone()];
        let all = AllOf::new(&members[..]);
        let mut standings = [Decision::default(); 2];
        assert!(plan.check("b", Nanos::ZERO, 3).unwrap().allowed());
        assert!(endpoint.check("a", Nanos::ZERO, 1).unwrap().allowed());
        let d = all
            .check_keyed("b", Nanos::ZERO, &[1, 1], &mut standings)
            .unwrap();
        assert_eq!(d.full, Some(1));
        assert_eq!(plan.peek("b", Nanos::ZERO).remaining, 7);
    }

    #[test]
    fn lengths_and_capacities_are_checked_before_anything_changes() {
        let plan = store("10/second", 10);
        let members = [plan.clone()];
        let all = AllOf::new(&members[..]);
        let mut one = [Decision::default()];
        assert_eq!(
            all.check_keyed("k", Nanos::ZERO, &[1, 1], &mut one),
            Err(Error::LengthMismatch {
                members: 1,
                given: 2
            })
        );
        assert_eq!(
            all.check_keyed("k", Nanos::ZERO, &[11], &mut one),
            Err(Error::InsufficientCapacity { capacity: 10 })
        );
        assert!(plan.is_empty());
        let peek = all.peek_keyed("k", Nanos::ZERO, &mut one).unwrap();
        assert_eq!(peek.decision.remaining, 10);
    }

    #[test]
    fn threads_sharing_a_plan_store_never_exceed_it() {
        let plan = store("100/minute", 100);
        let a = [plan.clone(), store("80/minute", 100)];
        let b = [plan.clone(), store("80/minute", 100)];
        let admitted = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|s| {
            for t in 0..8 {
                let group = if t % 2 == 0 { &a } else { &b };
                let admitted = &admitted;
                s.spawn(move || {
                    let mut standings = [Decision::default(); 2];
                    for _ in 0..50 {
                        let d = AllOf::new(&group[..])
                            .check_keyed("k", Nanos::ZERO, &[1, 1], &mut standings)
                            .unwrap();
                        if d.decision.decision.allowed {
                            admitted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(admitted.load(Ordering::Relaxed), 100);
        assert_eq!(plan.peek("k", Nanos::ZERO).remaining, 0);
    }
}
