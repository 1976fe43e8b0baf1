//! ratecell's primitives side by side: one decision on one key, the same quota (100 per
//! minute, bursts of 120) and the same traffic for every rate algorithm, so their costs
//! compare directly.
//!
//! Requests arrive every 300 ms, twice the sustained rate: about half are admitted, and every
//! refusal computes its exact `retry_after`. The concurrency lease is acquired and released
//! at one instant with half of its 120 slots held.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratecell::{
    AllOf, Burst, BurstState, Concurrency, ConcurrencyState, FixedWindow, FixedWindowState, Gcra,
    GcraState, Nanos, Quota, SlidingLog, SlidingLogState, SlidingWindow, SlidingWindowState,
    TokenBucket, TokenBucketState,
};

/// Half the emission interval of 100 per minute.
const STEP: u64 = 300_000_000;

fn quota() -> Quota {
    Quota::parse("100/minute burst 120").expect("valid quota")
}

/// Benchmarks `check(now)` under `name`, with `now` advancing by `STEP` per check.
fn bench<D>(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    mut check: impl FnMut(Nanos) -> D,
) {
    // The instant persists across criterion's batches, so time never steps back.
    let mut now = 0_u64;
    c.bench_function(name, |b| {
        b.iter(|| {
            now += STEP;
            black_box(check(Nanos::new(black_box(now))))
        });
    });
}

fn single_key(c: &mut Criterion) {
    let mut group = c.benchmark_group("primitives/single_key");
    group.throughput(Throughput::Elements(1));

    let gcra = Gcra::new(quota());
    let mut state = GcraState::default();
    bench(&mut group, "gcra", |now| gcra.check(&mut state, now, 1));

    let bucket = TokenBucket::new(quota());
    let mut state = TokenBucketState::default();
    bench(&mut group, "token_bucket", |now| {
        bucket.check(&mut state, now, 1)
    });

    let window = FixedWindow::new(quota());
    let mut state = FixedWindowState::default();
    bench(&mut group, "fixed_window", |now| {
        window.check(&mut state, now, 1)
    });

    let window = SlidingWindow::new(quota());
    let mut state = SlidingWindowState::default();
    bench(&mut group, "sliding_window", |now| {
        window.check(&mut state, now, 1)
    });

    // Room for the 100 requests a minute holds.
    let log = SlidingLog::<128>::new(quota());
    let mut state = SlidingLogState::<128>::default();
    bench(&mut group, "sliding_log_128", |now| {
        log.check(&mut state, now, 1)
    });

    // The same sustained rate, and at most 20 requests in any 10 seconds.
    let burst = Burst::new(quota(), Duration::from_secs(10)).expect("valid burst tier");
    let mut state = BurstState::default();
    bench(&mut group, "burst", |now| burst.check(&mut state, now, 1));

    // A plan limit and a stricter endpoint limit, all or nothing.
    let endpoint = Gcra::new(Quota::parse("30/minute").expect("valid quota"));
    let both = AllOf::new((Gcra::new(quota()), endpoint));
    let mut state = (GcraState::default(), GcraState::default());
    bench(&mut group, "all_of_two_gcra", |now| {
        both.check(&mut state, now, 1)
    });

    let sessions = Concurrency::<128>::new(120, Duration::from_secs(300)).expect("valid");
    let mut state = ConcurrencyState::default();
    for _ in 0..60 {
        assert!(sessions.acquire(&mut state, Nanos::ZERO).0.allowed);
    }
    group.bench_function("concurrency_acquire_release", |b| {
        b.iter(|| {
            let (d, lease) = sessions.acquire(&mut state, Nanos::new(1));
            let lease = lease.expect("a slot is free");
            black_box((d, sessions.release(&mut state, lease, Nanos::new(1))))
        });
    });
    group.finish();
}

criterion_group!(benches, single_key);
criterion_main!(benches);
