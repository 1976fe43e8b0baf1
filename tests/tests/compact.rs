//! `CompactTable` against the reference models.
//!
//! - With room for every key, every decision is the keyed model's, and no key that is not
//!   fresh is ever forgotten.
//! - Full, every decision is that of the key's own limiter (a key it no longer holds starts
//!   fresh), a key that is not fresh is forgotten only by a counted eviction (never when it
//!   fails closed), a refused key is admitted at its `retry_after`, and it never holds more
//!   than `max_keys` keys.
//! - Keys that no move can place go to the stash and are still found; a flood of new keys
//!   never grows the table.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use proptest::prelude::*;
use ratecell::{CompactTable, Error, Gcra, HashSeed, Keyed, Nanos, WhenFull};
use ratecell_reference::gcra::Gcra as ModelGcra;
use ratecell_reference::keyed::{Keyed as Model, KeyedOutcome};

mod support;
use support::{gcra, outcome, requests, when_full};

type Table = CompactTable<u64, Gcra>;

/// Whether a model key is fresh at `now`: a peek reports nothing left to wait for.
fn model_fresh(limiter: &ModelGcra, now: u64) -> bool {
    limiter
        .clone()
        .check(now, 0)
        .is_some_and(|o| o.reset_after == 0)
}

/// Checks one request on a table that may be full, against the key's own model limiter
/// (`shadow` holds one for every key the table holds). Returns the table's outcome.
fn step_full(
    table: &mut Table,
    shadow: &mut HashMap<u64, ModelGcra>,
    fresh: &ModelGcra,
    evictions: &mut u64,
    (key, now, cost): (u64, u64, u64),
) -> Result<Result<Keyed, Error>, TestCaseError> {
    let held = table.contains_key(&key);
    prop_assert_eq!(held, shadow.contains_key(&key));
    let mut own = shadow.get(&key).cloned().unwrap_or_else(|| fresh.clone());
    let got = table.check(key, Nanos::new(now), cost);
    let want = own.check(now, cost);
    match (&got, want) {
        (Ok(Keyed::Decided(d)), Some(o)) => {
            prop_assert_eq!(outcome(*d), o, "key {} at {} cost {}", key, now, cost);
            if table.contains_key(&key) {
                shadow.insert(key, own);
            } else {
                prop_assert_eq!(
                    d.reset_after,
                    Nanos::ZERO,
                    "key {} dropped while not fresh",
                    key
                );
                shadow.remove(&key);
            }
        }
        (Ok(Keyed::Full(d)), Some(_)) => {
            prop_assert!(!held, "a stored key is never refused for room");
            prop_assert!(!d.allowed && d.remaining == 0 && d.reset_after == Nanos::ZERO);
            prop_assert!(d.retry_after > Nanos::ZERO);
            prop_assert!(!table.contains_key(&key));
        }
        (Err(Error::InsufficientCapacity { .. }), None) => {}
        (got, want) => prop_assert!(false, "table {:?}, model {:?}", got, want),
    }
    // Keys the table no longer holds: fresh ones may go at any time, others only by a
    // counted eviction.
    let gone: Vec<u64> = shadow
        .keys()
        .copied()
        .filter(|k| !table.contains_key(k))
        .collect();
    for k in gone {
        if let Some(limiter) = shadow.remove(&k)
            && !model_fresh(&limiter, now)
        {
            *evictions += 1;
        }
    }
    prop_assert_eq!(
        *evictions,
        table.evictions(),
        "forgotten keys that were not fresh"
    );
    prop_assert!(table.len() <= table.capacity());
    Ok(got)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn with_room_for_every_key_a_compact_table_decides_like_the_model(
        (limit, period, burst) in (1..5_u64, 1..400_u64, 1..4_u64),
        evict in any::<bool>(),
        seed in any::<u64>(),
        steps in (1..400_u64, 1..4_u64).prop_flat_map(|(p, b)| requests(12, p, b, 1..150)),
    ) {
        let mut table: Table = CompactTable::with_hasher(
            gcra(limit, period, burst), 12, when_full(evict), HashSeed::new(seed));
        let mut model = Model::new(ModelGcra::new(limit, period, burst), 12, evict);
        for (key, now, cost) in steps {
            let got = table.check(key, Nanos::new(now), cost);
            let want = model.check(key, now, cost, |_| unreachable!("the model never fills"));
            match (got, want) {
                (Ok(Keyed::Decided(d)), Some(KeyedOutcome::Decided(o))) => {
                    prop_assert_eq!(outcome(d), o, "key {} at {} cost {}", key, now, cost);
                }
                (Err(Error::InsufficientCapacity { .. }), None) => {}
                (got, want) => prop_assert!(false, "table {:?}, model {:?}", got, want),
            }
            for k in model.keys() {
                prop_assert!(table.contains_key(&k), "key {} was forgotten while not fresh", k);
            }
            prop_assert_eq!(table.evictions(), 0);
        }
    }

    #[test]
    fn a_full_compact_table_decides_per_key_and_forgets_only_fresh_or_evicted_keys(
        (limit, period, burst) in (1..5_u64, 1..400_u64, 1..4_u64),
        (capacity, evict, seed) in (1..8_usize, any::<bool>(), any::<u64>()),
        steps in (1..400_u64, 1..4_u64).prop_flat_map(|(p, b)| requests(24, p, b, 1..150)),
    ) {
        let policy = gcra(limit, period, burst);
        let mut table: Table =
            CompactTable::with_hasher(policy, capacity, when_full(evict), HashSeed::new(seed));
        let fresh = ModelGcra::new(limit, period, burst);
        let mut shadow = HashMap::new();
        let mut evictions = 0;
        for (key, now, cost) in steps {
            let got = step_full(&mut table, &mut shadow, &fresh, &mut evictions, (key, now, cost))?;
            if evict {
                prop_assert!(!matches!(got, Ok(Keyed::Full(_))), "evicting, every key is decided");
            } else {
                prop_assert_eq!(table.evictions(), 0);
            }
        }
    }

    #[test]
    fn a_refused_key_is_admitted_at_its_retry_after(
        (limit, period, burst) in (1..5_u64, 1..400_u64, 1..4_u64),
        (capacity, seed) in (1..6_usize, any::<u64>()),
        steps in requests(24, 400, 3, 1..150),
    ) {
        let mut table: Table = CompactTable::with_hasher(
            gcra(limit, period, burst), capacity, WhenFull::FailClosed, HashSeed::new(seed));
        for (key, now, cost) in steps {
            let cost = cost.min(burst);
            let Ok(Keyed::Full(d)) = table.check(key, Nanos::new(now), cost) else { continue };
            let mut on_time = table.clone();
            let at = now + d.retry_after.as_nanos();
            prop_assert!(on_time.check(key, Nanos::new(at), cost).unwrap().allowed());
        }
    }

    #[test]
    fn a_refused_key_of_a_table_larger_than_one_sweep_is_admitted_at_its_retry_after(
        (period, burst, seed) in (1_000..100_000_u64, 1..3_u64, any::<u64>()),
        capacity in 60..100_usize,
        steps in prop::collection::vec((0..300_u64, 0..50_u64), 150..400),
    ) {
        // More buckets than a full table sweeps for room, and more live keys than room.
        let mut table: Table = CompactTable::with_hasher(
            gcra(1, period, burst), capacity, WhenFull::FailClosed, HashSeed::new(seed));
        let mut now = 0;
        for (key, dt) in steps {
            now += dt;
            let Ok(Keyed::Full(d)) = table.check(key, Nanos::new(now), 1) else { continue };
            let mut on_time = table.clone();
            let at = now + d.retry_after.as_nanos();
            prop_assert!(on_time.check(key, Nanos::new(at), 1).unwrap().allowed());
        }
    }

    #[test]
    fn admit_leaves_a_compact_table_as_check_does_and_its_decision_is_checks(
        (limit, period, burst) in (1..5_u64, 1..400_u64, 1..4_u64),
        (capacity, evict, seed) in (1..30_usize, any::<bool>(), any::<u64>()),
        steps in (1..400_u64, 1..4_u64).prop_flat_map(|(p, b)| requests(40, p, b, 1..300)),
        resets in prop::collection::vec(0..40_u64, 0..5),
    ) {
        // Full or not, with the same hash and the same requests the two tables stay equal.
        let table = || CompactTable::with_hasher(
            gcra(limit, period, burst), capacity, when_full(evict), HashSeed::new(seed));
        let (mut checked, mut admitted): (Table, Table) = (table(), table());
        for (i, (key, now, cost)) in steps.into_iter().enumerate() {
            let now = Nanos::new(now);
            let want = checked.check(key, now, cost);
            let got = admitted.admit(key, now, cost);
            prop_assert_eq!(got.map(|a| a.allowed()), want.map(|k| k.allowed()));
            prop_assert_eq!(got.map(|a| a.is_full()), want.map(|k| k.is_full()));
            prop_assert_eq!(got.map(|a| a.decision()), want.map(|k| k.decision()));
            if let Some(&k) = resets.get(i % 50) {
                prop_assert_eq!(admitted.reset(&k), checked.reset(&k));
            }
            prop_assert_eq!(admitted.len(), checked.len());
            prop_assert_eq!(admitted.evictions(), checked.evictions());
            for k in 0..40 {
                prop_assert_eq!(admitted.get(&k), checked.get(&k), "key {}", k);
            }
        }
        prop_assert!(admitted.admit(0, Nanos::ZERO, burst + 1).is_err());
    }

    #[test]
    fn no_input_makes_a_compact_table_panic_or_grow(
        evict in any::<bool>(),
        capacity in 0..6_usize,
        steps in prop::collection::vec((any::<u64>(), any::<u64>(), any::<u64>()), 1..100),
        small in prop::collection::vec((0..10_u64, 0..2_000_u64, 0..3_u64), 1..100),
    ) {
        let mut table: Table = CompactTable::new(gcra(3, 700, 2), capacity, when_full(evict));
        // Arbitrary keys, instants (backwards too) and costs, then small ones mixed in.
        let all = steps.into_iter().chain(small.into_iter().map(|(k, t, c)| (k, t * 100, c)));
        for (key, now, cost) in all {
            let _ = table.check(key, Nanos::new(now), cost);
            let _ = table.admit(key ^ 1, Nanos::new(now), cost);
            let _ = table.peek(&key, Nanos::new(now));
            if key % 5 == 0 {
                table.reset(&key);
            }
            prop_assert!(table.len() <= capacity);
        }
    }
}

/// A hash that sends every key to the same two buckets.
#[derive(Clone, Default)]
struct OneHome;

impl BuildHasher for OneHome {
    type Hasher = OneHomeHasher;
    fn build_hasher(&self) -> OneHomeHasher {
        OneHomeHasher
    }
}

struct OneHomeHasher;

impl Hasher for OneHomeHasher {
    fn write(&mut self, _: &[u8]) {}
    fn finish(&self) -> u64 {
        0x8000_0000_0000_0000
    }
}

#[test]
fn keys_that_no_move_can_place_are_stashed_and_still_found() {
    let policy = gcra(1, 1_000_000_000, 1);
    let mut table: CompactTable<u64, Gcra, OneHome> =
        CompactTable::with_hasher(policy, 1_000, WhenFull::FailClosed, OneHome);
    // Every key has the same two buckets: eight slots, then eight keys in the stash.
    for key in 0..16 {
        assert!(
            table.check(key, Nanos::ZERO, 1).unwrap().allowed(),
            "key {key}"
        );
    }
    for key in 0..16 {
        assert!(table.contains_key(&key), "key {key}");
        assert!(
            !table.check(key, Nanos::ZERO, 1).unwrap().allowed(),
            "key {key} is limited"
        );
    }
    // A seventeenth finds no room although the table is far from `max_keys`: it waits for
    // a key of its own buckets to be fresh, one second after instant 0.
    let full = table.check(16, Nanos::from_millis(250), 1).unwrap();
    assert!(full.is_full());
    assert_eq!(full.decision().retry_after, Nanos::from_millis(750));
    // Stashed keys are forgotten when fresh, and reset like any other.
    assert!(table.reset(&15));
    assert!(!table.contains_key(&15));
    assert_eq!(table.len(), 15);
    assert!(table.check(16, Nanos::from_secs(1), 1).unwrap().allowed());
    assert!(table.contains_key(&16));
}

#[test]
fn a_flood_of_new_keys_never_grows_a_compact_table_of_ten_thousand() {
    for when_full in [WhenFull::FailClosed, WhenFull::Evict] {
        let mut table: Table = CompactTable::new(gcra(10, 1_000_000_000, 10), 10_000, when_full);
        let steady = u64::MAX;
        let mut bytes = None;
        let mut admitted = 0;
        // One new key per microsecond, each fresh 100 ms later: 100,000 would be live at once.
        for i in 0..400_000_u64 {
            let now = Nanos::new(i * 1_000);
            if i % 1_000 == 0 {
                admitted += u64::from(table.check(steady, now, 1).unwrap().allowed());
            }
            let d = table.check(i, now, 1).unwrap();
            if when_full == WhenFull::Evict {
                assert!(d.allowed(), "evicting, key {i} is admitted");
            }
            assert!(table.len() <= 10_000);
            if i == 200_000 {
                bytes = Some(table.allocated_bytes());
            }
        }
        assert_eq!(Some(table.allocated_bytes()), bytes, "memory stays flat");
        assert!(table.allocated_bytes() <= 10_000 * 18);
        if when_full == WhenFull::FailClosed {
            // The steady key is never evicted: over one second, its burst and one admission
            // per 100 ms.
            assert!(admitted <= 10 + 10, "{admitted}");
            assert_eq!(table.evictions(), 0);
        } else {
            assert!(table.evictions() > 0);
        }
    }
}

#[test]
fn memory_grows_with_the_keys_up_to_seventeen_bytes_per_key() {
    let mut table: Table = CompactTable::new(gcra(1, 1_000_000_000, 1), 100_000, WhenFull::Evict);
    let empty = table.allocated_bytes();
    assert!(empty <= 16 * 64, "an empty table takes {empty} bytes");
    for key in 0..100_000 {
        assert!(table.check(key, Nanos::ZERO, 1).unwrap().allowed());
    }
    let per_key = table.allocated_bytes() as f64 / 100_000.0;
    assert!((16.0..17.1).contains(&per_key), "{per_key} bytes per key");
    // Growth kept every key, with its state.
    for key in 0..100_000 {
        assert!(
            !table.check(key, Nanos::ZERO, 1).unwrap().allowed(),
            "key {key}"
        );
    }
    assert_eq!(table.evictions(), 0);
    table.clear();
    assert!(table.is_empty() && !table.contains_key(&7));
}
