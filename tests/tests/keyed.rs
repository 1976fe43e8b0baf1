//! Keyed tables against the reference model (`ratecell_reference::keyed`): every decision, the
//! reclamation of fresh keys, both full-table policies, and memory under a flood of keys.

use std::collections::VecDeque;

use proptest::prelude::*;
use ratecell::{
    Decision, Error, Gcra, GcraState, HashSeed, Keyed, KeyedStore, KeyedTable, Locking, Nanos,
    SingleThread, WhenFull,
};
use ratecell_reference::gcra::Gcra as ModelGcra;
use ratecell_reference::keyed::{Keyed as Model, KeyedOutcome};

mod support;
use support::{gcra, outcome, requests, when_full};

/// The table size of the model comparisons: small, so that it fills up constantly.
const CAP: usize = 4;

/// A keyed container as the tests drive it.
trait Table {
    fn check(&mut self, key: u64, now: u64, cost: u64) -> Result<Keyed, Error>;
    fn contains(&self, key: u64) -> bool;
    fn stored(&self) -> usize;
    fn evicted(&self) -> u64;
}

impl<const N: usize> Table for KeyedTable<u64, Gcra, N> {
    fn check(&mut self, key: u64, now: u64, cost: u64) -> Result<Keyed, Error> {
        KeyedTable::check(self, key, Nanos::new(now), cost)
    }
    fn contains(&self, key: u64) -> bool {
        self.contains_key(&key)
    }
    fn stored(&self) -> usize {
        self.len()
    }
    fn evicted(&self) -> u64 {
        self.evictions()
    }
}

impl<L: Locking> Table for KeyedStore<u64, Gcra, HashSeed, L> {
    fn check(&mut self, key: u64, now: u64, cost: u64) -> Result<Keyed, Error> {
        KeyedStore::check(self, &key, Nanos::new(now), cost)
    }
    fn contains(&self, key: u64) -> bool {
        self.contains_key(&key)
    }
    fn stored(&self) -> usize {
        self.len()
    }
    fn evicted(&self) -> u64 {
        self.evictions()
    }
}

/// Compares one request on the table and on the model.
fn step(
    table: &mut impl Table,
    model: &mut Model<ModelGcra>,
    capacity: usize,
    (key, now, cost): (u64, u64, u64),
) -> Result<(), TestCaseError> {
    let got = table.check(key, now, cost);
    let want = model.check(key, now, cost, |due| {
        *due.iter()
            .find(|&&k| !table.contains(k))
            .expect("the table evicted one of the keys due first")
    });
    match (got, want) {
        (Ok(Keyed::Decided(d)), Some(KeyedOutcome::Decided(o))) => {
            prop_assert_eq!(outcome(d), o, "key {} at {} cost {}", key, now, cost);
        }
        (Ok(Keyed::Full(d)), Some(KeyedOutcome::Full { retry_after })) => {
            prop_assert!(!d.allowed && d.remaining == 0 && d.reset_after == Nanos::ZERO);
            prop_assert_eq!(d.retry_after.as_nanos(), retry_after);
        }
        (Err(Error::InsufficientCapacity { .. }), None) => {}
        (got, want) => prop_assert!(false, "table {:?}, model {:?}", got, want),
    }
    prop_assert!(table.stored() <= capacity);
    for k in model.keys() {
        prop_assert!(table.contains(k), "key {} was forgotten while not fresh", k);
    }
    prop_assert_eq!(table.evicted(), model.evictions());
    Ok(())
}

/// Replays `steps` on `table` and on the model of the same GCRA policy, comparing each.
fn replay(
    table: &mut impl Table,
    (limit, period, burst): (u64, u64, u64),
    evict: bool,
    steps: Vec<(u64, u64, u64)>,
) -> Result<(), TestCaseError> {
    let mut model = Model::new(ModelGcra::new(limit, period, burst), CAP, evict);
    for s in steps {
        step(table, &mut model, CAP, s)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_table_decides_like_one_limiter_per_key_that_forgets_fresh_keys(
        (limit, period, burst) in (1..5_u64, 1..400_u64, 1..4_u64),
        evict in any::<bool>(),
        steps in (1..400_u64, 1..4_u64).prop_flat_map(|(p, b)| requests(8, p, b, 1..120)),
    ) {
        let mut table: KeyedTable<u64, Gcra, CAP> =
            KeyedTable::with_hasher(gcra(limit, period, burst), when_full(evict), HashSeed::new(limit));
        replay(&mut table, (limit, period, burst), evict, steps)?;
    }

    #[test]
    fn a_store_with_one_shard_decides_like_the_table(
        (limit, period, burst) in (1..5_u64, 1..400_u64, 1..4_u64),
        evict in any::<bool>(),
        steps in (1..400_u64, 1..4_u64).prop_flat_map(|(p, b)| requests(8, p, b, 1..120)),
    ) {
        let mut store = KeyedStore::new(gcra(limit, period, burst), CAP, when_full(evict)).with_shards(1);
        replay(&mut store, (limit, period, burst), evict, steps)?;
    }

    #[test]
    fn a_single_thread_store_decides_like_the_table(
        (limit, period, burst) in (1..5_u64, 1..400_u64, 1..4_u64),
        evict in any::<bool>(),
        steps in (1..400_u64, 1..4_u64).prop_flat_map(|(p, b)| requests(8, p, b, 1..120)),
    ) {
        let mut store: KeyedStore<u64, Gcra, HashSeed, SingleThread> =
            KeyedStore::single_thread(gcra(limit, period, burst), CAP, when_full(evict));
        replay(&mut store, (limit, period, burst), evict, steps)?;
    }

    #[test]
    fn a_full_tables_retry_after_is_exact(
        (limit, period, burst) in (1..5_u64, 1..400_u64, 1..4_u64),
        steps in requests(8, 400, 3, 1..120),
    ) {
        let mut table: KeyedTable<u64, Gcra, CAP> =
            KeyedTable::new(gcra(limit, period, burst), WhenFull::FailClosed);
        for (key, now, cost) in steps {
            let cost = cost.min(burst);
            let Ok(Keyed::Full(d)) = table.check(key, Nanos::new(now), cost) else { continue };
            let at = now + d.retry_after.as_nanos();
            let mut early = table.clone();
            prop_assert!(early.check(key, Nanos::new(at - 1), cost).unwrap().is_full());
            let mut on_time = table.clone();
            prop_assert!(on_time.check(key, Nanos::new(at), cost).unwrap().allowed());
        }
    }

    #[test]
    fn no_input_makes_a_table_panic_or_grow(
        evict in any::<bool>(),
        steps in prop::collection::vec((any::<u64>(), any::<u64>(), any::<u64>()), 1..100),
        small in prop::collection::vec((0..6_u64, 0..2_000_u64, 0..3_u64), 1..100),
    ) {
        let policy = if evict { WhenFull::Evict } else { WhenFull::FailClosed };
        let mut table: KeyedTable<u64, Gcra, CAP> = KeyedTable::new(gcra(3, 700, 2), policy);
        let store: KeyedStore<u64, Gcra> = KeyedStore::new(gcra(3, 700, 2), CAP, policy).with_shards(2);
        // Arbitrary keys, instants (backwards too) and costs, then small ones mixed in.
        let all = steps.into_iter().chain(small.into_iter().map(|(k, t, c)| (k, t * 100, c)));
        for (key, now, cost) in all {
            let _ = table.check(key, Nanos::new(now), cost);
            let _ = store.check(&key, Nanos::new(now), cost);
            let _ = table.peek(&key, Nanos::new(now));
            prop_assert!(table.len() <= CAP && store.len() <= CAP);
        }
    }
}

#[test]
fn reclaimed_keys_are_checked_without_allocation_by_borrowed_form() {
    let store: KeyedStore<Box<str>, Gcra> =
        KeyedStore::new(gcra(1, 1_000, 1), 10, WhenFull::FailClosed);
    assert!(store.check("a", Nanos::ZERO, 1).unwrap().allowed());
    assert!(!store.check("a", Nanos::new(999), 1).unwrap().allowed());
    assert!(store.contains_key("a"));
    // Fresh again at 1 µs: the next operation reclaims it.
    assert!(store.check("b", Nanos::new(1_000), 1).unwrap().allowed());
    assert!(!store.contains_key("a"));
    assert_eq!(store.len(), 1);
}

#[test]
fn a_gcra_key_with_a_u64_name_costs_thirty_two_bytes() {
    type Table = KeyedTable<u64, Gcra, 10_000>;
    type Twice = KeyedTable<u64, Gcra, 20_000>;
    assert_eq!(Table::BYTES_PER_KEY, 32);
    let per_key = (size_of::<Twice>() - size_of::<Table>()) / 10_000;
    assert_eq!(per_key, 32);
    // The rest is the policy and a few counters.
    assert!(size_of::<Table>() <= 32 * 10_000 + 128);
}

/// Simulates a flood of one million distinct keys, one per microsecond, against 10,000
/// slots, with one steady key checked every millisecond. Every key is fresh 100 ms after its
/// request, so 100,000 keys would be live at once: the table is full nearly all the time.
/// The flood keys become fresh in the order they came, which makes the expected outcome easy
/// to state exactly with a queue.
fn flood(table: &mut impl Table, when_full: WhenFull, capacity: usize) {
    const FLOOD: u64 = 1_000_000;
    const STEADY: u64 = u64::MAX;
    let steady_policy = gcra(10, 1_000_000_000, 10);
    let mut steady = GcraState::default();
    let interval = 100_000_000; // 10 per second
    // Flood keys stored, by the instant they become fresh (oldest first).
    let mut stored: VecDeque<u64> = VecDeque::new();
    let mut steady_admitted = 0;
    let mut evictions = 0;
    for i in 0..FLOOD {
        let now = i * 1_000;
        if i % 1_000 == 0 {
            let d = table.check(STEADY, now, 1).unwrap();
            let want = steady_policy
                .check(&mut steady, Nanos::new(now), 1)
                .unwrap();
            assert_eq!(
                d,
                Keyed::Decided(want),
                "the steady key keeps its own limit"
            );
            steady_admitted += u64::from(want.allowed);
        }
        while stored.front().is_some_and(|&at| at <= now) {
            stored.pop_front();
        }
        let d = table.check(i, now, 1).unwrap();
        // The steady key holds one slot.
        if stored.len() < capacity - 1 {
            assert!(d.allowed(), "room for key {i}");
            stored.push_back(now + interval);
        } else if when_full == WhenFull::Evict {
            assert!(d.allowed(), "key {i} evicts the oldest");
            stored.pop_front();
            stored.push_back(now + interval);
            evictions += 1;
        } else {
            let first = stored.front().copied().unwrap();
            let steady_fresh = now
                + steady_policy
                    .peek(&steady, Nanos::new(now))
                    .reset_after
                    .as_nanos();
            let retry_after = first.min(steady_fresh) - now;
            assert_eq!(
                d,
                Keyed::Full(Decision {
                    allowed: false,
                    limit: 10,
                    remaining: 0,
                    retry_after: Nanos::new(retry_after),
                    reset_after: Nanos::ZERO,
                })
            );
        }
        assert!(table.stored() <= capacity, "memory stays flat");
        if i % 10_007 == 0 {
            assert_eq!(table.evicted(), evictions);
        }
    }
    // Over one simulated second: the initial burst and one admission per interval.
    assert!(steady_admitted <= 10 + 10);
    assert_eq!(table.evicted(), evictions);
}

#[test]
fn a_million_new_keys_never_grow_a_table_of_ten_thousand_failing_closed() {
    let mut table: Box<KeyedTable<u64, Gcra, 10_000>> = Box::new(KeyedTable::new(
        gcra(10, 1_000_000_000, 10),
        WhenFull::FailClosed,
    ));
    flood(&mut *table, WhenFull::FailClosed, 10_000);
}

#[test]
fn a_million_new_keys_evict_the_oldest_from_a_table_of_ten_thousand() {
    let mut table: Box<KeyedTable<u64, Gcra, 10_000>> = Box::new(KeyedTable::new(
        gcra(10, 1_000_000_000, 10),
        WhenFull::Evict,
    ));
    flood(&mut *table, WhenFull::Evict, 10_000);
}

#[test]
fn a_million_new_keys_never_grow_a_store_of_ten_thousand() {
    for when_full in [WhenFull::FailClosed, WhenFull::Evict] {
        let mut store =
            KeyedStore::new(gcra(10, 1_000_000_000, 10), 10_000, when_full).with_shards(1);
        flood(&mut store, when_full, 10_000);
    }
}

#[test]
fn a_sharded_store_refuses_new_keys_only_when_their_shard_is_full() {
    let store: KeyedStore<u64, Gcra> =
        KeyedStore::new(gcra(1, 1_000_000_000, 1), 10_000, WhenFull::FailClosed)
            .with_shards(16)
            .with_hasher(HashSeed::new(9));
    let mut admitted = 0;
    for key in 0..1_000_000_u64 {
        if store.check(&key, Nanos::ZERO, 1).unwrap().allowed() {
            admitted += 1;
        }
        assert!(store.len() <= 10_000);
    }
    assert_eq!(admitted, store.len());
    assert_eq!(
        admitted, 10_000,
        "every shard eventually fills to its share"
    );
    // One second later every key is fresh, and new keys find room again.
    assert!(
        store
            .check(&u64::MAX, Nanos::from_secs(1), 1)
            .unwrap()
            .allowed()
    );
    assert!(Table::stored(&store) <= 10_000);
}
