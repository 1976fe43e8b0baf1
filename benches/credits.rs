//! The cost of one credits decision on a single key.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratecell::{Credits, CreditsState, Nanos};

fn spend(c: &mut Criterion) {
    let mut group = c.benchmark_group("credits");
    group.throughput(Throughput::Elements(1));
    let credits = Credits::new(u64::MAX);
    group.bench_function("spend", |b| {
        let mut state = CreditsState::default();
        b.iter(|| black_box(credits.check(&mut state, Nanos::ZERO, black_box(1))));
    });
    group.bench_function("refused", |b| {
        let empty = Credits::new(0);
        let mut state = CreditsState::default();
        b.iter(|| black_box(empty.check(&mut state, Nanos::ZERO, black_box(1))));
    });
    group.finish();
}

criterion_group!(benches, spend);
criterion_main!(benches);
