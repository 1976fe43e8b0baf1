//! The cost of one sliding log decision on a single key, by log size: a decision walks the
//! entries inside the window, so it grows with the limit.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratecell::{Nanos, Quota, SlidingLog, SlidingLogState};

fn bench_log<const N: usize>(c: &mut Criterion, name: &str) {
    let mut group = c.benchmark_group("sliding_log/single_key");
    group.throughput(Throughput::Elements(1));
    // A full log: N per second, offered at twice the rate.
    let limit = u64::try_from(N).expect("small");
    let log = SlidingLog::<N>::new(Quota::per_second(limit).expect("valid quota"));
    let step = 1_000_000_000 / limit / 2;
    group.bench_function(name, |b| {
        let mut state = SlidingLogState::<N>::default();
        let mut now = 0_u64;
        b.iter(|| {
            now += step;
            black_box(log.check(&mut state, Nanos::new(black_box(now)), 1))
        });
    });
    group.finish();
}

fn single_key(c: &mut Criterion) {
    bench_log::<8>(c, "entries_8");
    bench_log::<64>(c, "entries_64");
    bench_log::<512>(c, "entries_512");
}

criterion_group!(benches, single_key);
criterion_main!(benches);
