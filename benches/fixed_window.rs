//! The cost of one fixed-window decision on a single key.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratecell::{FixedWindow, FixedWindowState, Nanos, Quota};

fn single_key(c: &mut Criterion) {
    let mut group = c.benchmark_group("fixed_window/single_key");
    group.throughput(Throughput::Elements(1));
    for (name, quota) in [("per_minute", "100/minute"), ("per_second", "7/second")] {
        let window = FixedWindow::new(Quota::parse(quota).expect("valid quota"));
        // Twice the rate: half the checks admit, half refuse, and windows roll over.
        let step = window.quota().period_nanos().as_nanos() / window.quota().limit() / 2;
        group.bench_function(name, |b| {
            let mut state = FixedWindowState::default();
            let mut now = 0_u64;
            b.iter(|| {
                now += step;
                black_box(window.check(&mut state, Nanos::new(black_box(now)), 1))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, single_key);
criterion_main!(benches);
