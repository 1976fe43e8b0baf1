//! The cost of token bucket decisions on a single key: checks, and a reservation followed by
//! its cancellation.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratecell::{Nanos, Quota, TokenBucket, TokenBucketState};

const QUOTAS: [(&str, &str); 2] = [
    ("whole_ns_interval", "100/minute burst 120"),
    ("fractional_interval", "7/minute"),
];

fn check(c: &mut Criterion) {
    let mut group = c.benchmark_group("token_bucket/check");
    group.throughput(Throughput::Elements(1));
    for (name, quota) in QUOTAS {
        let bucket = TokenBucket::new(Quota::parse(quota).expect("valid quota"));
        // Half the checks admit, half refuse: time advances by half an emission interval.
        let step = bucket.quota().period_nanos().as_nanos() / bucket.quota().limit() / 2;
        group.bench_function(name, |b| {
            let mut state = TokenBucketState::default();
            let mut now = 0_u64;
            b.iter(|| {
                now += step;
                black_box(bucket.check(&mut state, Nanos::new(black_box(now)), 1))
            });
        });
    }
    group.finish();
}

fn reserve_and_cancel(c: &mut Criterion) {
    let mut group = c.benchmark_group("token_bucket/reserve_then_cancel");
    group.throughput(Throughput::Elements(1));
    for (name, quota) in QUOTAS {
        let bucket = TokenBucket::new(Quota::parse(quota).expect("valid quota"));
        let step = bucket.quota().period_nanos().as_nanos() / bucket.quota().limit();
        group.bench_function(name, |b| {
            // A bucket in debt: every reservation waits, and is withdrawn at once.
            let mut state = TokenBucketState::default();
            let mut now = 0_u64;
            for _ in 0..2 * bucket.capacity() {
                let _ = bucket.reserve(&mut state, Nanos::ZERO, 1, Nanos::MAX);
            }
            b.iter(|| {
                now += step;
                let at = Nanos::new(black_box(now));
                let mut r = bucket
                    .reserve(&mut state, at, 1, Nanos::MAX)
                    .expect("within capacity");
                black_box(bucket.cancel(&mut state, &mut r, at))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, check, reserve_and_cancel);
criterion_main!(benches);
