//! The cost of one burst-tier decision (two exact GCRA buckets) on a single key.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratecell::{Burst, BurstState, Nanos, Quota};

fn single_key(c: &mut Criterion) {
    let mut group = c.benchmark_group("burst/single_key");
    group.throughput(Throughput::Elements(1));
    for (name, quota) in [
        ("whole_ns_intervals", "100/minute burst 120"),
        ("fractional_intervals", "7/minute burst 9"),
    ] {
        let burst = Burst::new(
            Quota::parse(quota).expect("valid quota"),
            Duration::from_secs(10),
        )
        .expect("valid burst tier");
        // Requests arrive at about the sustained rate, so both buckets admit and refuse.
        let step = burst.period().as_nanos() as u64 / burst.limit();
        group.bench_function(name, |b| {
            let mut state = BurstState::default();
            let mut now = 0_u64;
            b.iter(|| {
                now += step;
                black_box(burst.check(&mut state, Nanos::new(black_box(now)), 1))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, single_key);
criterion_main!(benches);
