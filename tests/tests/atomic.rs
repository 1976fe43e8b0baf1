//! Limiters shared between threads: threads hammer one [`AtomicGcra`] (and one [`KeyedStore`])
//! while another thread advances a shared [`ManualClock`], and the admissions never exceed the
//! quota's exact bound `burst + elapsed / T` over the run.

use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use proptest::prelude::*;
use ratecell::{AtomicGcra, Clock, Gcra, KeyedStore, ManualClock, Nanos, Quota, WhenFull};
use ratecell_reference::gcra::Gcra as ModelGcra;

mod support;
use support::outcome;

const THREADS: usize = 4;
/// Not a divisor of any interval below, so admissions fall between clock steps too.
const STEP: Nanos = Nanos::new(37_000);

/// The most a fresh cell may admit over `[0, elapsed]`: `burst + floor(elapsed / T)`, with
/// `T = period / limit` kept exact.
fn bound(quota: &Quota, elapsed: Nanos) -> u64 {
    let refills = u128::from(elapsed.as_nanos()) * u128::from(quota.limit())
        / u128::from(quota.period_nanos().as_nanos());
    quota.burst() + u64::try_from(refills).unwrap()
}

#[test]
fn threads_hammering_one_atomic_cell_never_exceed_the_quota() {
    // 3000 per second: T = 333,333.3 ns, not a whole number of nanoseconds.
    for spec in ["1000/second burst 50", "3000/second burst 20"] {
        let quota = Quota::parse(spec).unwrap();
        let cell = AtomicGcra::new(Gcra::new(quota));
        let clock = ManualClock::new();
        let stop = AtomicBool::new(false);
        let admitted = AtomicU64::new(0);
        thread::scope(|s| {
            for _ in 0..THREADS {
                s.spawn(|| {
                    let mut mine = 0;
                    while !stop.load(Ordering::Relaxed) {
                        if cell.check(clock.now(), 1).unwrap().allowed {
                            mine += 1;
                        }
                    }
                    admitted.fetch_add(mine, Ordering::Relaxed);
                });
            }
            s.spawn(|| {
                for _ in 0..5_000 {
                    clock.advance(STEP);
                    // Let the other threads decide a few times at this instant.
                    for _ in 0..500 {
                        std::hint::spin_loop();
                    }
                }
                stop.store(true, Ordering::Relaxed);
            });
        });
        let elapsed = clock.now();
        let admitted = admitted.into_inner();
        let limit = bound(&quota, elapsed);
        assert!(
            admitted <= limit,
            "{spec}: {admitted} admitted, bound {limit}"
        );
        // What is still admissible at the end adds up to no more than the bound either.
        let remaining = cell.peek(elapsed).remaining;
        assert!(
            admitted + remaining <= limit,
            "{spec}: {admitted} + {remaining} > {limit}"
        );
        assert!(admitted >= quota.burst(), "{spec}: the threads did run");
    }
}

#[test]
fn threads_hammering_a_keyed_store_never_exceed_any_keys_quota() {
    let quota = Quota::parse("1000/second burst 20").unwrap();
    // Three keys of room for four keys: the fourth is refused now and then.
    let store: KeyedStore<u64, Gcra> =
        KeyedStore::new(Gcra::new(quota), 3, WhenFull::FailClosed).with_shards(2);
    let clock = ManualClock::new();
    // Checks share the read side; the clock only moves under the write side, so every check
    // between two steps uses the same instant and a key reclaimed at one instant is never
    // checked at an earlier one.
    let tick = RwLock::new(());
    let stop = AtomicBool::new(false);
    let admitted: Vec<AtomicU64> = (0..4).map(|_| AtomicU64::new(0)).collect();
    thread::scope(|s| {
        for t in 0..THREADS as u64 {
            let (store, clock, tick, stop, admitted) = (&store, &clock, &tick, &stop, &admitted);
            s.spawn(move || {
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let key = i % 4;
                    let _shared = tick.read().unwrap();
                    if store.check(&key, clock.now(), 1).unwrap().allowed() {
                        admitted[key as usize].fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        s.spawn(|| {
            for _ in 0..2_000 {
                let _exclusive = tick.write().unwrap();
                clock.advance(STEP);
            }
            stop.store(true, Ordering::Relaxed);
        });
    });
    let elapsed = clock.now();
    let limit = bound(&quota, elapsed);
    for (key, n) in admitted.iter().enumerate() {
        let n = n.load(Ordering::Relaxed);
        let remaining = store.peek(&(key as u64), elapsed).remaining;
        assert!(
            n + remaining <= limit,
            "key {key}: {n} + {remaining} > {limit}"
        );
    }
    assert!(store.len() <= 3);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn an_atomic_cell_decides_like_the_model_even_when_the_clock_steps_back(
        (limit, period, burst) in (1..20_u64, 1..10_000_u64, 1..10_u64),
        steps in prop::collection::vec((-500..2_000_i64, 0..12_u64), 1..100),
    ) {
        let quota = Quota::from_nanos(limit, period).unwrap().with_burst(burst).unwrap();
        let cell = AtomicGcra::new(Gcra::new(quota));
        let mut model = ModelGcra::new(limit, period, burst);
        let mut now = 0_u64;
        for (dt, cost) in steps {
            // Steps back too: the cell is exactly the single-threaded GCRA either way.
            now = now.saturating_add_signed(dt);
            match (cell.check(Nanos::new(now), cost), model.check(now, cost)) {
                (Ok(d), Some(o)) => prop_assert_eq!(
                    outcome(d),
                    o
                ),
                (Err(_), None) => {}
                (got, want) => prop_assert!(false, "cell {:?}, model {:?}", got, want),
            }
        }
    }

    #[test]
    fn an_admission_records_what_check_records_and_decides_the_same_on_demand(
        (limit, period, burst) in (1..20_u64, 1..10_000_u64, 1..10_u64),
        steps in prop::collection::vec((-500..2_000_i64, 0..12_u64, any::<bool>()), 1..100),
    ) {
        let quota = Quota::from_nanos(limit, period).unwrap().with_burst(burst).unwrap();
        let (admitting, checking) = (AtomicGcra::new(Gcra::new(quota)), AtomicGcra::new(Gcra::new(quota)));
        let mut now = 0_u64;
        for (dt, cost, look) in steps {
            now = now.saturating_add_signed(dt);
            let at = Nanos::new(now);
            match (admitting.admit(at, cost), checking.check(at, cost)) {
                (Ok(a), Ok(d)) => {
                    prop_assert_eq!(a.allowed(), d.allowed);
                    // Reading the decision or not changes nothing that is stored.
                    if look {
                        prop_assert_eq!(a.decision(), d);
                    }
                }
                (Err(e), Err(f)) => prop_assert_eq!(e, f),
                (got, want) => prop_assert!(false, "admit {:?}, check {:?}", got, want),
            }
            prop_assert_eq!(admitting.state(), checking.state());
        }
    }
}
