//! The cost of concurrency leases: acquiring and releasing one, a refusal at the cap, and the
//! same per key in a keyed table.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratecell::{Concurrency, ConcurrencyState, KeyedTable, Nanos, WhenFull};

fn acquire_release(c: &mut Criterion) {
    let mut group = c.benchmark_group("concurrency");
    group.throughput(Throughput::Elements(1));

    // The Pro plan: 50 sessions, 49 of them held throughout.
    let pro = Concurrency::<64>::new(50, Duration::from_secs(300)).expect("valid");
    let mut state = ConcurrencyState::default();
    for _ in 0..49 {
        assert!(pro.acquire(&mut state, Nanos::ZERO).0.allowed);
    }
    group.bench_function("acquire_release/50_slots", |b| {
        b.iter(|| {
            let (d, lease) = pro.acquire(&mut state, Nanos::new(1));
            let lease = lease.expect("one slot is free");
            black_box((d, pro.release(&mut state, lease, Nanos::new(1))))
        });
    });

    assert!(pro.acquire(&mut state, Nanos::new(1)).0.allowed);
    group.bench_function("acquire_refused/50_slots", |b| {
        b.iter(|| black_box(pro.acquire(&mut state, Nanos::new(2))));
    });

    // The Starter plan per API key, for 1,000 keys.
    let starter = Concurrency::<10>::new(10, Duration::from_secs(300)).expect("valid");
    let mut keyed: Box<KeyedTable<u64, Concurrency<10>, 1024>> =
        Box::new(KeyedTable::new(starter, WhenFull::FailClosed));
    for key in 0..1_000 {
        assert!(keyed.acquire(key, Nanos::ZERO).0.allowed());
    }
    group.bench_function("keyed_acquire_release/1000_keys", |b| {
        let mut key = 0;
        b.iter(|| {
            key = (key + 7) % 1_000;
            let (d, lease) = keyed.acquire(key, Nanos::new(1));
            let lease = lease.expect("a slot is free");
            black_box((d, keyed.release(&key, lease, Nanos::new(1))))
        });
    });
    group.finish();
}

criterion_group!(benches, acquire_release);
criterion_main!(benches);
