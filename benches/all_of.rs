//! The cost of an all-or-nothing decision over two GCRA cells: the static tuple form, the
//! dynamic slice of `Limiter` the bindings use, and two independent checks for reference.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratecell::{AllOf, Gcra, GcraState, Limiter, LimiterState, Nanos, Quota};

fn two_gcra(c: &mut Criterion) {
    let plan = Gcra::new(Quota::parse("120/minute").expect("valid quota"));
    let endpoint = Gcra::new(Quota::parse("30/minute").expect("valid quota"));
    // Half an endpoint interval per request: half the checks admit, half refuse.
    let step = 1_000_000_000_u64;
    let mut group = c.benchmark_group("all_of/two_gcra");
    group.throughput(Throughput::Elements(1));

    group.bench_function("independent_checks", |b| {
        let mut states = (GcraState::default(), GcraState::default());
        let mut now = 0_u64;
        b.iter(|| {
            now += step;
            let now = Nanos::new(black_box(now));
            let first = plan.check(&mut states.0, now, 1);
            let second = endpoint.check(&mut states.1, now, 1);
            black_box((first, second))
        });
    });

    let tuple = AllOf::new((plan, endpoint));
    group.bench_function("tuple", |b| {
        let mut states = (GcraState::default(), GcraState::default());
        let mut now = 0_u64;
        b.iter(|| {
            now += step;
            black_box(tuple.check(&mut states, Nanos::new(black_box(now)), 1))
        });
    });

    let limiters = [Limiter::from(plan), Limiter::from(endpoint)];
    let slice = AllOf::new(&limiters[..]);
    group.bench_function("slice_of_limiters", |b| {
        let mut states = [LimiterState::default(); 2];
        let mut now = 0_u64;
        b.iter(|| {
            now += step;
            black_box(slice.check(&mut states, Nanos::new(black_box(now)), 1))
        });
    });
    group.finish();
}

criterion_group!(benches, two_gcra);
criterion_main!(benches);
