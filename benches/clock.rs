//! Where the time of a check goes: reading a clock next to making a decision.
//!
//! ratecell's core never reads a clock; the layers above it (and every binding) read one per
//! check. This group puts the clock reads a deployment chooses between next to one GCRA
//! decision, and the two together.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use governor::clock::{Clock as _, DefaultClock, FakeRelativeClock};
use ratecell::{Clock as _, Gcra, GcraState, ManualClock, MonotonicClock, Nanos, Quota};

fn clock_and_decision(c: &mut Criterion) {
    let mut group = c.benchmark_group("clock_and_decision");
    group.throughput(Throughput::Elements(1));

    let monotonic = MonotonicClock::new();
    group.bench_function("monotonic_clock_now", |b| {
        b.iter(|| black_box(monotonic.now()));
    });
    group.bench_function("std_instant_now", |b| b.iter(|| black_box(Instant::now())));
    let quanta = DefaultClock::default();
    group.bench_function("governor_default_clock_now", |b| {
        b.iter(|| black_box(quanta.now()));
    });

    let manual = ManualClock::new();
    group.bench_function("manual_clock_advance_and_now", |b| {
        b.iter(|| {
            manual.advance(Nanos::new(1));
            black_box(manual.now())
        });
    });
    let fake = FakeRelativeClock::default();
    group.bench_function("governor_fake_clock_advance_and_now", |b| {
        b.iter(|| {
            fake.advance(Duration::from_nanos(1));
            black_box(fake.now())
        });
    });

    // Half the checks admit: time advances by half an emission interval per check.
    let gcra = Gcra::new(Quota::parse("100/minute burst 120").expect("valid quota"));
    let step = 300_000_000;
    let mut state = GcraState::default();
    let mut now = 0_u64;
    group.bench_function("gcra_check", |b| {
        b.iter(|| {
            now += step;
            black_box(gcra.check(&mut state, Nanos::new(black_box(now)), 1))
        });
    });
    // Real time advances far less than half an interval per check: after the burst, nearly
    // every check is a refusal.
    let mut state = GcraState::default();
    group.bench_function("gcra_check_at_monotonic_now", |b| {
        b.iter(|| black_box(gcra.check(&mut state, monotonic.now(), 1)));
    });
    group.finish();
}

criterion_group!(benches, clock_and_decision);
criterion_main!(benches);
