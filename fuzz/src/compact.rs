//! [`CompactTable`] over arbitrary limiters, keys, clocks, costs, bounds and both full-table
//! policies, in tables small enough to fill up constantly.
//!
//! - Every key is compared with its own limiter and state while the clock does not step back,
//!   until the first refusal for room or eviction (which per-key states do not describe). A
//!   compact table forgets a key once it is fresh, which decides exactly like keeping it; a
//!   clock stepping back before that instant would start the key over, hence the condition.
//! - With GCRA, a second table receives every check as [`CompactTable::admit`] and must end
//!   every operation exactly like the first: the same admissions, refusals for room,
//!   evictions, keys and decisions, from the first operation to the last.
//! - Everywhere: a table never holds more keys than its bound, every outcome is well formed,
//!   a peek is the policy's peek of the stored state, and forgetting a key forgets it.

use std::collections::HashMap;

use arbitrary::Arbitrary;
use ratecell::{CompactTable, Gcra, HashSeed, Keyed, Limiter, Nanos};

use super::common::{At, Clock, LimiterSpec, MAX_OPS, Start, decode, step_unit};
use super::keyed::{Op, OwnStates, check_own, peek_own, well_formed, when_full};

/// `Few` keys are taken among sixteen, so that tables of up to 24 keys fill with them too.
const FEW: u8 = 16;

#[derive(Arbitrary, Debug)]
struct Input {
    first: LimiterSpec,
    second: LimiterSpec,
    /// The bound on keys: `1 + max_keys % 24`.
    max_keys: u8,
    evict: bool,
    seed: u64,
    start: Start,
    ops: Vec<Op>,
}

/// The GCRA twin of a table: the same policy, bound, rule and seed, checked through `admit`.
type Twin = CompactTable<u64, Gcra>;

fn gcra_of(limiter: &Limiter) -> Option<Gcra> {
    match limiter {
        Limiter::Gcra(g) => Some(*g),
        _ => None,
    }
}

/// Runs one input.
///
/// # Panics
/// When a table disagrees with its twin or with the per-key states, or breaks a property.
pub fn run(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    let Some(limiter) = input.first.build() else {
        return;
    };
    let policies = [limiter, input.second.build().unwrap_or(limiter)];
    let max_keys = 1 + usize::from(input.max_keys % 24);
    let seed = HashSeed::new(input.seed);
    let evict = input.evict;
    let mut table: CompactTable<u64, Limiter> =
        CompactTable::with_hasher(limiter, max_keys, when_full(evict), seed);
    // Only while both policies are GCRA (the twin follows `SetPolicy`).
    let twin_policies = [gcra_of(&policies[0]), gcra_of(&policies[1])];
    let mut twin: Option<Twin> = match twin_policies {
        [Some(first), Some(_)] => Some(CompactTable::with_hasher(
            first,
            max_keys,
            when_full(evict),
            seed,
        )),
        _ => None,
    };
    let mut own: OwnStates = Some(HashMap::new());
    let mut current = 0;
    let mut clock = Clock::new(input.start, step_unit(&limiter));
    for (i, op) in input.ops.iter().take(MAX_OPS).enumerate() {
        let what = At(i, op);
        let policy = &policies[current];
        match *op {
            Op::Check(key, t, cost) => {
                let (key, now) = (key.among(FEW), clock.advance(t));
                if !clock.monotone {
                    own = None;
                }
                let cost = cost.get(policy.capacity());
                let evictions = table.evictions();
                let got = table.check(key, Nanos::new(now), cost);
                well_formed(&what, policy, cost, got);
                assert!(table.len() <= max_keys, "{what}: over the bound");
                if let Some(twin) = twin.as_mut() {
                    let admitted = twin.admit(key, Nanos::new(now), cost);
                    let by_admit = admitted.map(|a| (a.allowed(), a.is_full(), a.decision()));
                    let by_check =
                        got.map(|k| (k.allowed(), matches!(k, Keyed::Full(_)), k.decision()));
                    assert_eq!(by_admit, by_check, "{what}: admit and check differ");
                    assert_eq!(twin.len(), table.len(), "{what}");
                    assert_eq!(twin.evictions(), table.evictions(), "{what}");
                    assert_eq!(twin.contains_key(&key), table.contains_key(&key), "{what}");
                }
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
                let (key, now) = (key.among(FEW), Nanos::new(clock.advance(t)));
                if !clock.monotone {
                    own = None;
                }
                let d = table.peek(&key, now);
                let stored = table.get(&key).copied().unwrap_or_default();
                assert_eq!(d, policy.peek(&stored, now), "{what}");
                peek_own(&what, &own, policy, key, now, d);
                if let Some(twin) = twin.as_ref() {
                    assert_eq!(twin.peek(&key, now), d, "{what}");
                }
            }
            Op::Reset(key) => {
                let key = key.among(FEW);
                let held = table.contains_key(&key);
                assert_eq!(table.reset(&key), held, "{what}");
                assert!(!table.contains_key(&key), "{what}");
                if let Some(twin) = twin.as_mut() {
                    assert_eq!(twin.reset(&key), held, "{what}");
                }
                if let Some(states) = own.as_mut() {
                    states.remove(&key);
                }
            }
            Op::Clear => {
                table.clear();
                assert!(table.is_empty(), "{what}");
                current = 0;
                table.set_policy(policies[0]);
                if let (Some(twin), Some(first)) = (twin.as_mut(), twin_policies[0]) {
                    twin.clear();
                    twin.set_policy(first);
                }
                clock.restart();
                own = Some(HashMap::new());
            }
            Op::SetWhenFull(e) => {
                table.set_when_full(when_full(e));
                if let Some(twin) = twin.as_mut() {
                    twin.set_when_full(when_full(e));
                }
            }
            Op::SetPolicy => {
                current = 1 - current;
                table.set_policy(policies[current]);
                if let (Some(twin), Some(next)) = (twin.as_mut(), twin_policies[current]) {
                    twin.set_policy(next);
                }
                own = None;
            }
        }
    }
}
