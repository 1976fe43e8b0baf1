//! The cost of one GCRA decision on a single cell.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratecell::{Gcra, GcraState, Nanos, Quota};

fn single_cell(c: &mut Criterion) {
    let mut group = c.benchmark_group("gcra/single_cell");
    group.throughput(Throughput::Elements(1));
    for (name, quota) in [
        ("whole_ns_interval", "100/minute burst 120"),
        ("fractional_interval", "7/minute"),
    ] {
        let gcra = Gcra::new(Quota::parse(quota).expect("valid quota"));
        // Half the checks admit, half refuse: time advances by half an emission interval.
        let step = gcra.quota().period_nanos().as_nanos() / gcra.quota().limit() / 2;
        group.bench_function(name, |b| {
            let mut state = GcraState::default();
            let mut now = 0_u64;
            b.iter(|| {
                now += step;
                black_box(gcra.check(&mut state, Nanos::new(black_box(now)), 1))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, single_cell);
criterion_main!(benches);
