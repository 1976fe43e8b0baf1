//! Keyed tables ([`KeyedTable`], and [`KeyedStore`] with one shard) against the reference
//! model (`tests/src/keyed.rs`), over arbitrary quotas, keys, clocks, costs and both
//! full-table policies, in a table of [`CAP`] keys so that it fills up constantly.
//!
//! With GCRA the model decides every request, reclamation and eviction included, while the
//! clock does not step back (the model's precondition) and keys stay away from the end of
//! representable time. With any other algorithm (a [`Limiter`]) every key is compared with
//! its own limiter and state, until the first refusal for room or eviction (which the
//! per-key states do not describe). Forgetting a key, clearing the table and changing its
//! policy or full-table rule are exercised too; afterwards the comparison stops (clearing
//! starts it again). Everywhere: the table never holds more than `CAP` keys, a full table's
//! refusal is well formed, and decisions are the policy's.

use std::collections::HashMap;

use arbitrary::Arbitrary;
use ratecell::{
    Algorithm, Decision, Error, Gcra, GcraState, HashSeed, Keyed, KeyedStore, KeyedTable, Limiter,
    LimiterState, Nanos, WhenFull,
};
use ratecell_reference::gcra::Gcra as ModelGcra;
use ratecell_reference::keyed::{Keyed as Model, KeyedOutcome};

use super::common::{
    At, Clock, Cost, LimiterSpec, MAX_OPS, ModelOutcome, Rate, Start, Time, decode, gcra_in_range,
    numbers, step_unit,
};

/// Keys a table holds.
pub const CAP: usize = 4;

/// A key: one of a few, so that keys come back and tables fill, or any `u64`.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Key {
    /// One of a few keys (see [`Key::among`]).
    Few(u8),
    /// Any key.
    Any(u64),
}

impl Key {
    /// The key, `Few` keys taken among the first `few`.
    pub fn among(self, few: u8) -> u64 {
        match self {
            Key::Few(k) => u64::from(k % few.max(1)),
            Key::Any(k) => k,
        }
    }

    /// The key, among eight for `Few`.
    fn get(self) -> u64 {
        self.among(8)
    }
}

/// An operation on a keyed table.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Op {
    Check(Key, Time, Cost),
    Peek(Key, Time),
    Reset(Key),
    Clear,
    SetWhenFull(bool),
    /// The second policy from now on.
    SetPolicy,
}

#[derive(Arbitrary, Debug)]
enum Policies {
    /// GCRA, checked against the keyed model.
    Gcra(Rate, Rate),
    /// Any algorithm, checked key by key.
    Any(LimiterSpec, LimiterSpec),
}

#[derive(Arbitrary, Debug)]
struct Input {
    policies: Policies,
    evict: bool,
    seed: u64,
    start: Start,
    ops: Vec<Op>,
}

/// The full-table rule: evict, or fail closed.
pub fn when_full(evict: bool) -> WhenFull {
    if evict {
        WhenFull::Evict
    } else {
        WhenFull::FailClosed
    }
}

/// What holds of every outcome of a keyed table under `policy`.
pub fn well_formed<A: Algorithm>(
    what: &dyn core::fmt::Display,
    policy: &A,
    cost: u64,
    got: Result<Keyed, Error>,
) {
    let capacity = policy.capacity();
    match got {
        Err(e) => {
            assert!(cost > capacity, "{what}: {e:?}");
            assert_eq!(e, Error::InsufficientCapacity { capacity }, "{what}");
        }
        Ok(Keyed::Decided(d)) => {
            assert!(cost <= capacity, "{what}");
            assert_eq!(d.limit, capacity, "{what}");
            assert!(d.remaining <= capacity, "{what}");
            assert!(!d.allowed || d.retry_after == Nanos::ZERO, "{what}");
        }
        Ok(Keyed::Full(d)) => {
            assert!(cost <= capacity, "{what}");
            assert!(!d.allowed && d.remaining == 0, "{what}: {d:?}");
            assert_eq!(d.reset_after, Nanos::ZERO, "{what}");
            assert_eq!(d.limit, capacity, "{what}");
            assert!(d.retry_after > Nanos::ZERO, "{what}: full with no wait");
        }
    }
}

/// The table's outcome against the model's.
fn same(what: &dyn core::fmt::Display, got: Result<Keyed, Error>, want: Option<KeyedOutcome>) {
    match (got, want) {
        (Ok(Keyed::Decided(d)), Some(KeyedOutcome::Decided(o))) => {
            assert_eq!(numbers(&d), o.numbers(), "{what}");
        }
        (Ok(Keyed::Full(d)), Some(KeyedOutcome::Full { retry_after })) => {
            assert_eq!(d.retry_after.as_nanos(), retry_after, "{what}");
        }
        (Err(Error::InsufficientCapacity { .. }), None) => {}
        (got, want) => panic!("{what}: the table says {got:?}, the model {want:?}"),
    }
}

fn model_of(g: &Gcra, evict: bool) -> Model<ModelGcra> {
    let q = g.quota();
    let fresh = ModelGcra::new(q.limit(), q.period_nanos().as_nanos(), q.burst());
    Model::new(fresh, CAP, evict)
}

fn gcra(input: &Input, first: Rate, second: Rate) {
    let Ok(quota) = first.quota() else {
        return;
    };
    let policies = [
        Gcra::new(quota),
        second.quota().map_or(Gcra::new(quota), Gcra::new),
    ];
    let mut evict = input.evict;
    let seed = HashSeed::new(input.seed);
    let mut table: KeyedTable<u64, Gcra, CAP> =
        KeyedTable::with_hasher(policies[0], when_full(evict), seed);
    let new_store = |policy: Gcra, evict: bool| {
        KeyedStore::<u64, Gcra>::new(policy, CAP, when_full(evict))
            .with_shards(1)
            .with_hasher(seed)
    };
    let mut store = new_store(policies[0], evict);
    let exact = quota.is_exact();
    let mut models = exact.then(|| (model_of(&policies[0], evict), model_of(&policies[0], evict)));
    // The table counts evictions over its life, clearing included; the model since it began.
    let mut evictions_before_model = 0;
    let mut current = 0;
    let unit = quota.period_nanos().as_nanos() / quota.limit();
    let mut clock = Clock::new(input.start, unit);
    for (i, op) in input.ops.iter().take(MAX_OPS).enumerate() {
        let what = At(i, op);
        let policy = &policies[current];
        match *op {
            Op::Check(key, t, cost) => {
                let (key, now) = (key.get(), clock.advance(t));
                if !clock.monotone || !gcra_in_range(policy, clock.latest) {
                    models = None;
                }
                let cost = cost.get(policy.capacity());
                let got = table.check(key, Nanos::new(now), cost);
                let stored = store.check(&key, Nanos::new(now), cost);
                well_formed(&what, policy, cost, got);
                well_formed(&what, policy, cost, stored);
                assert!(
                    table.len() <= CAP && store.len() <= CAP,
                    "{what}: over capacity"
                );
                if let Some((for_table, for_store)) = models.as_mut() {
                    let want = for_table.check(key, now, cost, |due| {
                        evicted(due, |k| table.contains_key(&k))
                    });
                    same(&what, got, want);
                    let want = for_store.check(key, now, cost, |due| {
                        evicted(due, |k| store.contains_key(&k))
                    });
                    same(&what, stored, want);
                    for k in for_table.keys() {
                        assert!(table.contains_key(&k), "{what}: key {k} forgotten early");
                    }
                    for k in for_store.keys() {
                        assert!(store.contains_key(&k), "{what}: key {k} forgotten early");
                    }
                    let evicted = table.evictions() - evictions_before_model;
                    assert_eq!(evicted, for_table.evictions(), "{what}");
                    assert_eq!(store.evictions(), for_store.evictions(), "{what}");
                }
            }
            Op::Peek(key, t) => {
                let (key, now) = (key.get(), Nanos::new(clock.advance(t)));
                let d = table.peek(&key, now);
                assert_eq!(
                    d,
                    policy.peek(table.get(&key).unwrap_or(&GcraState::default()), now)
                );
                let _ = store.peek(&key, now);
            }
            Op::Reset(key) => {
                let key = key.get();
                let held = table.contains_key(&key);
                assert_eq!(table.reset(&key), held, "{what}");
                assert!(!table.contains_key(&key), "{what}");
                let _ = store.reset(&key);
                models = None;
            }
            Op::Clear => {
                table.clear();
                store.clear();
                assert!(table.is_empty() && store.is_empty(), "{what}");
                current = 0;
                table.set_policy(policies[0]);
                table.set_when_full(when_full(evict));
                store = new_store(policies[0], evict);
                clock.restart();
                evictions_before_model = table.evictions();
                models =
                    exact.then(|| (model_of(&policies[0], evict), model_of(&policies[0], evict)));
            }
            Op::SetWhenFull(e) => {
                evict = e;
                table.set_when_full(when_full(e));
                models = None;
            }
            Op::SetPolicy => {
                current = 1 - current;
                table.set_policy(policies[current]);
                store.set_policy(policies[current]);
                models = None;
            }
        }
    }
}

/// The key the table evicted among those the model found due first.
fn evicted(due: &[u64], contains: impl Fn(u64) -> bool) -> u64 {
    *due.iter()
        .find(|&&k| !contains(k))
        .expect("the table evicted one of the keys due first")
}

/// Each key's own state under a table's policy, while the table holds every key that needs
/// one: from the first refusal or eviction for room on, per-key states no longer describe it.
pub type OwnStates = Option<HashMap<u64, LimiterState>>;

/// Compares a table's check of `key` with the key's own state, after forgetting the states
/// when the check refused or evicted for room (`evicted`).
pub fn check_own(
    what: &dyn core::fmt::Display,
    own: &mut OwnStates,
    policy: &Limiter,
    (key, now, cost): (u64, Nanos, u64),
    got: Result<Keyed, Error>,
    evicted: bool,
) {
    if matches!(got, Ok(Keyed::Full(_))) || evicted {
        *own = None;
    }
    if let Some(states) = own.as_mut() {
        let state = states.entry(key).or_default();
        let want = policy.check(state, now, cost);
        assert_eq!(got.map(|k| k.decision()), want, "{what}");
    }
}

/// Compares a table's peek of `key` at `now` with the key's own state.
pub fn peek_own(
    what: &dyn core::fmt::Display,
    own: &OwnStates,
    policy: &Limiter,
    key: u64,
    now: Nanos,
    d: Decision,
) {
    if let Some(states) = own.as_ref() {
        let state = states.get(&key).copied().unwrap_or_default();
        assert_eq!(d, policy.peek(&state, now), "{what}");
    }
}

fn any(input: &Input, first: LimiterSpec, second: LimiterSpec) {
    let Some(limiter) = first.build() else {
        return;
    };
    let policies = [limiter, second.build().unwrap_or(limiter)];
    let mut table: KeyedTable<u64, Limiter, CAP> =
        KeyedTable::with_hasher(limiter, when_full(input.evict), HashSeed::new(input.seed));
    let mut own: OwnStates = Some(HashMap::new());
    let mut current = 0;
    let mut clock = Clock::new(input.start, step_unit(&limiter));
    for (i, op) in input.ops.iter().take(MAX_OPS).enumerate() {
        let what = At(i, op);
        let policy = &policies[current];
        match *op {
            Op::Check(key, t, cost) => {
                let (key, now) = (key.get(), clock.advance(t));
                if !clock.monotone {
                    own = None;
                }
                let cost = cost.get(policy.capacity());
                let evictions = table.evictions();
                let got = table.check(key, Nanos::new(now), cost);
                well_formed(&what, policy, cost, got);
                assert!(table.len() <= CAP, "{what}: over capacity");
                let evicted = table.evictions() != evictions;
                check_own(
                    &what,
                    &mut own,
                    policy,
                    (key, Nanos::new(now), cost),
                    got,
                    evicted,
                );
            }
            Op::Peek(key, t) => {
                let (key, now) = (key.get(), Nanos::new(clock.advance(t)));
                if !clock.monotone {
                    own = None;
                }
                peek_own(&what, &own, policy, key, now, table.peek(&key, now));
            }
            Op::Reset(key) => {
                let key = key.get();
                let _ = table.reset(&key);
                if let Some(states) = own.as_mut() {
                    states.remove(&key);
                }
            }
            Op::Clear => {
                table.clear();
                current = 0;
                table.set_policy(policies[0]);
                clock.restart();
                own = Some(HashMap::new());
            }
            Op::SetWhenFull(e) => table.set_when_full(when_full(e)),
            Op::SetPolicy => {
                current = 1 - current;
                table.set_policy(policies[current]);
                own = None;
            }
        }
    }
}

/// Runs one input.
///
/// # Panics
/// When a table disagrees with the model or breaks a property.
pub fn run(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    match input.policies {
        Policies::Gcra(first, second) => gcra(&input, first, second),
        Policies::Any(first, second) => any(&input, first, second),
    }
}
