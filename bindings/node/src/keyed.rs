//! Keyed limiters: one core [`KeyedStore`](ratecell::KeyedStore) per JavaScript limiter,
//! bounded by `maxKeys`, and the per-request callbacks every limiter shares (`check`, `peek`,
//! `reset`, `size`, `clear`).
//!
//! Keys are JavaScript strings stored as their UTF-16 code units (see [`crate::key`]).
//! A store has one shard: a JavaScript limiter is used from one thread, so `maxKeys` is one
//! exact global bound.

use std::rc::Rc;

use ratecell::{
    AllOf, AllOfDecision, Decision, Error, HashSeed, Keyed, KeyedAllOf, Limiter, Nanos,
    SingleThread, WhenFull,
};

use crate::call::{boolean, callback, number};
use crate::decision;
use crate::error::JsError;
use crate::key::{Key, KeyUnits};
use crate::time::Clock;

/// The core store, keyed by [`Key`], for one thread: Node calls every function of a
/// JavaScript environment on that environment's one thread, so its stores need no locks.
pub(crate) type KeyedStore<A> = ratecell::KeyedStore<Key, A, HashSeed, SingleThread>;

/// Most members an `AllOf` combines.
pub(crate) const ALL_OF_MEMBERS: usize = 8;

/// A keyed store of any algorithm.
pub(crate) enum Store {
    /// Every algorithm of the core's [`Limiter`]: GCRA, token bucket, windows, burst, credits.
    /// Shared, so that `AllOf`s can hold it as a member.
    Rate(Rc<KeyedStore<Limiter>>),
    /// An exact sliding log, sized at runtime.
    Log(ratecell::SlidingLogStore<Key, HashSeed, SingleThread>),
    /// Concurrency leases, sized at runtime.
    Leases(ratecell::ConcurrencyStore<Key, HashSeed, SingleThread>),
    /// Several limiters checked as one: the members' own stores.
    AllOf(Box<[Rc<KeyedStore<Limiter>>]>),
}

/// Runs `$e` with `$s` bound to the store, whatever its algorithm (`AllOf` apart).
macro_rules! each_store {
    ($store:expr, $s:ident => $e:expr, $all:ident => $a:expr) => {
        match $store {
            Store::Rate($s) => $e,
            Store::Log($s) => $e,
            Store::Leases($s) => $e,
            Store::AllOf($all) => $a,
        }
    };
}

/// A new store: `max_keys` keys at most, a random hash seed, one shard, no locks.
pub(crate) fn store<A: ratecell::Algorithm>(
    policy: A,
    max_keys: usize,
    when_full: WhenFull,
) -> KeyedStore<A> {
    KeyedStore::single_thread(policy, max_keys, when_full)
}

/// What a JavaScript limiter holds: its clock and its keys.
pub(crate) struct Entry {
    pub(crate) clock: Clock,
    pub(crate) store: Store,
}

impl Store {
    /// Decides a request and writes the decision to the buffer. Writing it here, rather than
    /// returning it, keeps the decision from being copied through every caller on the way out.
    fn check(&self, key: &KeyUnits, now: Nanos, cost: u64) -> Result<(), Error> {
        each_store!(self, s => s.check(key, now, cost).map(|k: Keyed| decision::write(&k.decision())),
        all => {
            let costs = [cost; ALL_OF_MEMBERS];
            let d = check_all(all, key, now, costs.get(..all.len()).unwrap_or(&[]))?;
            decision::write(&d.decision.decision);
            Ok(())
        })
    }

    fn peek(&self, key: &KeyUnits, now: Nanos) -> Decision {
        each_store!(self, s => s.peek(key, now), all => {
            let mut standings = [Decision::default(); ALL_OF_MEMBERS];
            let standings = standings.get_mut(..all.len()).unwrap_or(&mut []);
            // The lengths match by construction.
            AllOf::new(&all[..]).peek_keyed(key, now, standings).map_or_else(
                |_| Decision::default(),
                |d| {
                    decision::write_members(standings);
                    d.decision
                },
            )
        })
    }

    fn reset(&self, key: &KeyUnits) -> bool {
        each_store!(self, s => s.reset(key), all => all.iter().fold(false, |any, s| s.reset(key) | any))
    }

    fn clear(&self) {
        each_store!(self, s => s.clear(), all => all.iter().for_each(|s| s.clear()));
    }

    pub(crate) fn len(&self) -> usize {
        each_store!(self, s => s.len(), all => all.iter().map(|s| s.len()).sum())
    }

    pub(crate) fn max_keys(&self) -> usize {
        each_store!(self, s => s.max_keys(), all => all.iter().map(|s| s.max_keys()).sum())
    }
}

/// Checks `key` in every member store, charging member `i` `costs[i]`; writes `refusedBy`
/// (-1: none) and `tightest` in slots 5 and 6.
pub(crate) fn check_all(
    all: &[Rc<KeyedStore<Limiter>>],
    key: &KeyUnits,
    now: Nanos,
    costs: &[u64],
) -> Result<KeyedAllOf, Error> {
    let mut standings = [Decision::default(); ALL_OF_MEMBERS];
    let standings = standings.get_mut(..all.len()).unwrap_or(&mut []);
    let d = AllOf::new(all).check_keyed(key, now, costs, standings)?;
    write_all_of(&d.decision, standings);
    Ok(d)
}

/// Writes what an `AllOf` decision adds: `refusedBy` (-1: none) and `tightest` in slots 5 and
/// 6, and every member's own decision.
fn write_all_of(d: &AllOfDecision, standings: &[Decision]) {
    decision::write_at(
        5,
        &[d.refused_by.map_or(-1.0, |i| i as f64), d.tightest as f64],
    );
    decision::write_members(standings);
}

callback!(
    /// `check(key?, cost = 1)`: decides a request, writing the decision to the buffer.
    check,
    |call| {
        // SAFETY: limiter callbacks are created with an `Rc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        let cost = call.cost(1)?;
        call.with_key_at(0, &entry.clock, |key, now| entry.store.check(key, now, cost))?
            .map_err(JsError::core)?;
        Ok(std::ptr::null_mut())
    }
);

callback!(
    /// `peek(key?)`: the key's standing, recording nothing.
    peek,
    |call| {
        // SAFETY: limiter callbacks are created with an `Rc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        let d = call.with_key_at(0, &entry.clock, |key, now| entry.store.peek(key, now))?;
        decision::write(&d);
        if matches!(entry.store, Store::AllOf(_)) {
            // A peek does not say which member would refuse.
            decision::write_at(5, &[-1.0, -1.0]);
        }
        Ok(std::ptr::null_mut())
    }
);

callback!(
    /// `reset(key?)`: forgets the key; whether it was stored.
    reset,
    |call| {
        // SAFETY: limiter callbacks are created with an `Rc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        let removed = call.with_key(0, |key| entry.store.reset(key))?;
        Ok(boolean(call.env, removed))
    }
);

callback!(
    /// `size()`: how many keys are stored.
    size,
    |call| {
        // SAFETY: limiter callbacks are created with an `Rc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        let len = entry.store.len();
        Ok(number(call.env, len as f64))
    }
);

callback!(
    /// `clear()`: forgets every key.
    clear,
    |call| {
        // SAFETY: limiter callbacks are created with an `Rc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        entry.store.clear();
        Ok(std::ptr::null_mut())
    }
);
