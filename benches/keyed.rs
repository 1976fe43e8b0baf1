//! The cost of one keyed decision: finding the key's state among 10,000 or 1,000,000, in the
//! fixed table and in the thread-safe store; of one key checked in turn, each check waiting
//! for the one before, as a binding's calls do; and of a new key arriving at a full table.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ratecell::{
    Gcra, HashSeed, KeyedStore, KeyedTable, Limiter, Nanos, Quota, SingleThread, WhenFull,
};

mod support;
use support::Keys;

const SMALL: usize = 10_000;
const LARGE: usize = 1_000_000;

fn policy() -> Gcra {
    Gcra::new(Quota::parse("100/minute burst 120").expect("valid quota"))
}

/// A full table of `N` keys, built on a thread with a stack large enough for it.
// Boxed on purpose: a million keys take 32 MB, more than a stack should carry around.
#[allow(clippy::unnecessary_box_returns)]
fn table<const N: usize>(when_full: WhenFull) -> Box<KeyedTable<u64, Gcra, N>> {
    std::thread::Builder::new()
        .stack_size(2 * N * KeyedTable::<u64, Gcra, N>::BYTES_PER_KEY + (1 << 20))
        .spawn(move || {
            let mut table = Box::new(KeyedTable::new(policy(), when_full));
            for key in 0..N as u64 {
                let d = table
                    .check(key, Nanos::ZERO, 1)
                    .expect("cost within capacity");
                assert!(d.allowed());
            }
            table
        })
        .expect("spawn")
        .join()
        .expect("built")
}

/// A store holding `keys` keys. Each shard holds an equal share of `max_keys`, and random keys
/// do not spread exactly evenly, so it gets twice the room.
fn store(keys: usize) -> KeyedStore<u64, Gcra> {
    let store = KeyedStore::new(policy(), 2 * keys, WhenFull::FailClosed);
    for key in 0..keys as u64 {
        assert!(store.check(&key, Nanos::ZERO, 1).expect("ok").allowed());
    }
    store
}

fn stored_keys(c: &mut Criterion) {
    let mut group = c.benchmark_group("keyed/check_stored_key");
    group.throughput(Throughput::Elements(1));

    let mut small = table::<SMALL>(WhenFull::FailClosed);
    group.bench_function(BenchmarkId::new("table", SMALL), |b| {
        let mut keys = Keys(1);
        b.iter(|| black_box(small.check(keys.next_below(SMALL), Nanos::new(1), 1)));
    });
    drop(small);

    let mut large = table::<LARGE>(WhenFull::FailClosed);
    group.bench_function(BenchmarkId::new("table", LARGE), |b| {
        let mut keys = Keys(1);
        b.iter(|| black_box(large.check(keys.next_below(LARGE), Nanos::new(1), 1)));
    });
    drop(large);

    for n in [SMALL, LARGE] {
        let store = store(n);
        group.bench_function(BenchmarkId::new("store", n), |b| {
            let mut keys = Keys(1);
            b.iter(|| black_box(store.check(&keys.next_below(n), Nanos::new(1), 1)));
        });
    }

    // String keys looked up by `&str`: no allocation per check.
    let names: Vec<String> = (0..SMALL).map(|i| format!("api-key-{i:08}")).collect();
    let strings: KeyedStore<Box<str>, Gcra> =
        KeyedStore::new(policy(), 2 * SMALL, WhenFull::FailClosed);
    for name in &names {
        assert!(
            strings
                .check(name.as_str(), Nanos::ZERO, 1)
                .expect("ok")
                .allowed()
        );
    }
    group.bench_function(BenchmarkId::new("store_str", SMALL), |b| {
        let mut keys = Keys(1);
        b.iter(|| {
            let name = names[keys.next_below(SMALL) as usize].as_str();
            black_box(strings.check(name, Nanos::new(1), 1))
        });
    });
    group.finish();
}

/// One string key checked over and over through the core's `Limiter` (as the Python and
/// Node bindings do), each check's instant depending on the decision before it, so that no
/// two checks overlap in the processor: the time of one check from start to end, which is
/// what a binding's call waits for, rather than how many checks fit in a second.
fn one_key_in_turn(c: &mut Criterion) {
    let mut group = c.benchmark_group("keyed/one_key_in_turn");
    group.throughput(Throughput::Elements(1));
    let limiter = || Limiter::from(policy());
    let shared: KeyedStore<Box<str>, Limiter> = KeyedStore::new(limiter(), 16, WhenFull::Evict);
    let single: KeyedStore<Box<str>, Limiter, HashSeed, SingleThread> =
        KeyedStore::single_thread(limiter(), 16, WhenFull::Evict);
    // Each check one emission interval after the one before, so each is admitted and
    // recorded, plus 1 ns if the one before was refused (never, but the processor cannot know).
    let interval = 60_000_000_000 / 100;
    let mut in_turn = |name: &str, check: &dyn Fn(Nanos) -> bool| {
        // Criterion calls the routine more than once: the clock carries on between calls.
        let mut at = 0_u64;
        group.bench_function(name, |b| {
            let mut refused = 0_u64;
            b.iter(|| {
                at += interval;
                refused = u64::from(!check(Nanos::new(at + refused)));
            });
            assert_eq!(refused, 0, "every check is admitted");
        });
    };
    in_turn("store_thread_safe", &|now| {
        shared.check("api-key-0", now, 1).is_ok_and(|d| d.allowed())
    });
    in_turn("store_single_thread", &|now| {
        single.check("api-key-0", now, 1).is_ok_and(|d| d.allowed())
    });
    group.finish();
}

fn new_keys(c: &mut Criterion) {
    let mut group = c.benchmark_group("keyed/new_key_at_full_table");
    group.throughput(Throughput::Elements(1));
    for when_full in [WhenFull::FailClosed, WhenFull::Evict] {
        let mut full = table::<SMALL>(when_full);
        group.bench_function(format!("{when_full:?}"), |b| {
            // Every key is new; time stands still, so nothing becomes fresh.
            let mut key = SMALL as u64;
            b.iter(|| {
                key += 1;
                black_box(full.check(key, Nanos::new(1), 1))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, stored_keys, one_key_in_turn, new_keys);
criterion_main!(benches);
