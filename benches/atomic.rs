//! The cost of one decision on a GCRA cell shared between threads: lock-free
//! (`AtomicGcra`) against a `Mutex` around a plain state, alone and contended by two threads.

use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratecell::{AtomicGcra, Gcra, GcraState, Nanos, Quota};

fn policy() -> Gcra {
    Gcra::new(Quota::parse("100/minute burst 120").expect("valid quota"))
}

/// Half the checks admit: time advances by half an emission interval per check.
const STEP: u64 = 300_000_000;

fn single_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("atomic/single_thread");
    group.throughput(Throughput::Elements(1));
    let cell = AtomicGcra::new(policy());
    group.bench_function("atomic_gcra", |b| {
        let mut now = 0_u64;
        b.iter(|| {
            now += STEP;
            black_box(cell.check(Nanos::new(black_box(now)), 1))
        });
    });
    let gcra = policy();
    let locked = Mutex::new(GcraState::default());
    group.bench_function("mutex_gcra", |b| {
        let mut now = 0_u64;
        b.iter(|| {
            now += STEP;
            let mut state = locked.lock().expect("not poisoned");
            black_box(gcra.check(&mut state, Nanos::new(black_box(now)), 1))
        });
    });
    group.finish();
}

/// Runs `check` `iters` times on each of two threads at once; the time is the wall time.
fn two_threads(iters: u64, check: impl Fn(u64) + Sync) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..2 {
            let check = &check;
            s.spawn(move || {
                for i in 0..iters {
                    check(2 * i + t);
                }
            });
        }
    });
    start.elapsed()
}

fn contended(c: &mut Criterion) {
    let mut group = c.benchmark_group("atomic/two_threads");
    // Each iteration is one check on each thread.
    group.throughput(Throughput::Elements(2));
    let cell = AtomicGcra::new(policy());
    group.bench_function("atomic_gcra", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, |i| {
                black_box(cell.check(Nanos::new(i * STEP / 2), 1)).ok();
            })
        });
    });
    let gcra = policy();
    let locked = Mutex::new(GcraState::default());
    group.bench_function("mutex_gcra", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, |i| {
                let mut state = locked.lock().expect("not poisoned");
                black_box(gcra.check(&mut state, Nanos::new(i * STEP / 2), 1)).ok();
            })
        });
    });
    group.finish();
}

criterion_group!(benches, single_thread, contended);
criterion_main!(benches);
