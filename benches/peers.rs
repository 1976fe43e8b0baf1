//! ratecell next to governor on identical workloads.
//!
//! Both libraries enforce the same quota (100 per minute, bursts of 120), read the same manual
//! clock and see the same keys in the same order, so they make the same decisions:
//!
//! - before each group a short lockstep run compares them decision by decision and stops the
//!   benchmark on the first difference;
//! - every benchmark counts its admissions and prints them, so the share of admissions and
//!   denials behind each timing can be compared too.
//!
//! The clock is a manual clock per thread that the harness moves forward before each check:
//! governor reads it through its `Clock` trait inside `check`, ratecell is handed what it
//! reads. Moving it is a plain store, so the timings are the libraries' own. The
//! `*_fake_clock` groups use governor's `FakeRelativeClock` instead (one per library, advanced
//! by the same steps): its atomic read-modify-write is then part of every check, for both.
//! A `baseline_*` benchmark times the clock alone.
//!
//! Function names starting with `ratecell` are ratecell's; the others are the peer they are
//! compared with in the same group (`benches/report.py` pairs them).

use std::cell::Cell;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use governor::RateLimiter;
use governor::clock::{Clock as _, FakeRelativeClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use ratecell::{
    AtomicGcra, CompactTable, Gcra, GcraState, HashSeed, KeyedStore, KeyedTable, Nanos, Quota,
    WhenFull,
};

mod support;
use support::Keys;

/// The emission interval of 100 per minute: 600 ms.
const INTERVAL: u64 = 600_000_000;
/// The burst both libraries allow.
const BURST: u32 = 120;
/// Half an interval per check: in the steady state half the checks are admitted.
const STEP: u64 = INTERVAL / 2;

const SMALL: usize = 10_000;
const LARGE: usize = 1_000_000;

fn ours() -> Gcra {
    Gcra::new(Quota::parse("100/minute burst 120").expect("valid quota"))
}

fn theirs() -> governor::Quota {
    let per_minute = NonZeroU32::new(100).expect("non-zero");
    let burst = NonZeroU32::new(BURST).expect("non-zero");
    governor::Quota::per_minute(per_minute).allow_burst(burst)
}

thread_local! {
    /// This thread's manual clock, in nanoseconds.
    static NOW: Cell<u64> = const { Cell::new(0) };
}

/// The manual clock both libraries read: one per thread, moved by the harness.
#[derive(Clone, Copy, Debug, Default)]
struct ManualTime;

impl governor::clock::Clock for ManualTime {
    type Instant = governor::nanos::Nanos;

    fn now(&self) -> Self::Instant {
        NOW.with(Cell::get).into()
    }
}

/// What this thread's manual clock reads, as ratecell's instant.
fn now() -> Nanos {
    Nanos::new(NOW.with(Cell::get))
}

fn set_now(t: u64) {
    NOW.with(|now| now.set(t));
}

fn advance(step: u64) {
    NOW.with(|now| now.set(now.get() + step));
}

/// What governor's fake clock reads, as ratecell's instant.
fn read(clock: &FakeRelativeClock) -> Nanos {
    Nanos::new(clock.now().as_u64())
}

/// governor's direct (unkeyed) limiter, reading `C`.
type Direct<C> = RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<governor::nanos::Nanos>>;

/// governor's default keyed limiter (a `DashMap`), reading the manual clock.
type Keyed = RateLimiter<
    u64,
    DefaultKeyedStateStore<u64>,
    ManualTime,
    NoOpMiddleware<governor::nanos::Nanos>,
>;

/// Checks and admissions of one benchmark.
#[derive(Default)]
struct Tally {
    checks: u64,
    admitted: u64,
}

impl Tally {
    fn record(&mut self, allowed: bool) {
        self.checks += 1;
        self.admitted += u64::from(allowed);
    }

    fn print(&self, what: &str) {
        let share = 100.0 * self.admitted as f64 / self.checks.max(1) as f64;
        println!("  admitted {share:.1}% of {} checks: {what}", self.checks);
    }
}

/// Runs deciders in lockstep for `checks` checks, moving the manual clock by `step` before
/// each, and stops on the first check on which one of them decides differently from the
/// first; prints how many they admitted.
fn same_decisions(
    what: &str,
    checks: u64,
    step: u64,
    deciders: &mut [(&str, &mut dyn FnMut() -> bool)],
) {
    let mut admitted = 0;
    for i in 0..checks {
        advance(step);
        let mut decisions = deciders.iter_mut().map(|(name, decide)| (*name, decide()));
        let (first, expected) = decisions.next().expect("at least one decider");
        for (name, allowed) in decisions {
            assert_eq!(
                allowed, expected,
                "{what}: {name} and {first} disagree on check {i}"
            );
        }
        admitted += u64::from(expected);
    }
    let names: Vec<&str> = deciders.iter().map(|(name, _)| *name).collect();
    println!(
        "same decisions, {what}: {} each admitted {admitted} of {checks} checks",
        names.join(", ")
    );
}

type Group<'a> = criterion::BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// Benchmarks `check` under `name`, moving the manual clock by `step` before each check, and
/// prints its share of admissions. Each library has its own timeline, starting at `start`.
fn bench_tallied(
    group: &mut Group<'_>,
    name: &str,
    step: u64,
    start: u64,
    check: &mut impl FnMut() -> bool,
) {
    let mut tally = Tally::default();
    set_now(start);
    group.bench_function(name, |b| {
        b.iter(|| {
            advance(step);
            tally.record(check());
        });
    });
    tally.print(name);
}

/// Times moving and reading the manual clock, which every check includes.
fn bench_clock(group: &mut Group<'_>, step: u64) {
    group.bench_function("baseline_clock_only", |b| {
        b.iter(|| {
            advance(step);
            black_box(now())
        });
    });
}

/// One cell, one thread: a plain `GcraState`, an `AtomicGcra`, and governor's direct limiter
/// (atomic too).
fn direct(c: &mut Criterion) {
    set_now(0);
    let gcra = ours();
    let mut state = GcraState::default();
    let atomic = AtomicGcra::new(gcra);
    let limiter: Direct<ManualTime> = RateLimiter::direct_with_clock(theirs(), ManualTime);

    let mut plain_check = || {
        let d = black_box(gcra.check(&mut state, now(), 1));
        d.is_ok_and(|d| d.allowed)
    };
    let mut admitting_state = GcraState::default();
    let mut plain_admit =
        || black_box(gcra.admit(&mut admitting_state, now(), 1)).is_ok_and(|a| a.allowed());
    let mut atomic_check = || {
        let d = black_box(atomic.check(now(), 1));
        d.is_ok_and(|d| d.allowed)
    };
    // Like governor's `check`, which answers `Ok(())` or a `NotUntil` it works out on demand.
    let admitting = AtomicGcra::new(gcra);
    let mut atomic_admit = || black_box(admitting.admit(now(), 1)).is_ok_and(|a| a.allowed());
    let mut their_check = || black_box(limiter.check()).is_ok();
    same_decisions(
        "one cell",
        10_000,
        STEP,
        &mut [
            ("governor", &mut their_check),
            ("ratecell Gcra", &mut plain_check),
            ("ratecell Gcra::admit", &mut plain_admit),
            ("ratecell AtomicGcra", &mut atomic_check),
            ("ratecell AtomicGcra::admit", &mut atomic_admit),
        ],
    );

    let start = NOW.with(Cell::get);
    let mut group = c.benchmark_group("peers/direct");
    group.throughput(Throughput::Elements(1));
    bench_tallied(&mut group, "ratecell_gcra", STEP, start, &mut plain_check);
    bench_tallied(
        &mut group,
        "ratecell_gcra_admit",
        STEP,
        start,
        &mut plain_admit,
    );
    bench_tallied(
        &mut group,
        "ratecell_atomic_gcra",
        STEP,
        start,
        &mut atomic_check,
    );
    bench_tallied(
        &mut group,
        "ratecell_atomic_gcra_admit",
        STEP,
        start,
        &mut atomic_admit,
    );
    bench_tallied(&mut group, "governor", STEP, start, &mut their_check);
    bench_clock(&mut group, STEP);
    group.finish();
}

/// [`direct`] with governor's `FakeRelativeClock`, one per library: each check first advances
/// its library's clock (an atomic read-modify-write), then decides at what it reads.
fn direct_fake_clock(c: &mut Criterion) {
    let step = Duration::from_nanos(STEP);
    let gcra = ours();
    let mut state = GcraState::default();
    let our_clock = FakeRelativeClock::default();
    let their_clock = FakeRelativeClock::default();
    let limiter: Direct<FakeRelativeClock> =
        RateLimiter::direct_with_clock(theirs(), their_clock.clone());

    let mut plain_check = || {
        our_clock.advance(step);
        let d = black_box(gcra.check(&mut state, read(&our_clock), 1));
        d.is_ok_and(|d| d.allowed)
    };
    let admitting_clock = FakeRelativeClock::default();
    let mut admitting_state = GcraState::default();
    let mut plain_admit = || {
        admitting_clock.advance(step);
        let now = read(&admitting_clock);
        black_box(gcra.admit(&mut admitting_state, now, 1)).is_ok_and(|a| a.allowed())
    };
    let mut their_check = || {
        their_clock.advance(step);
        black_box(limiter.check()).is_ok()
    };
    same_decisions(
        "one cell, fake clocks",
        10_000,
        0,
        &mut [
            ("governor", &mut their_check),
            ("ratecell Gcra", &mut plain_check),
            ("ratecell Gcra::admit", &mut plain_admit),
        ],
    );

    let mut group = c.benchmark_group("peers/direct_fake_clock");
    group.throughput(Throughput::Elements(1));
    bench_tallied(&mut group, "ratecell_gcra", 0, 0, &mut plain_check);
    bench_tallied(&mut group, "ratecell_gcra_admit", 0, 0, &mut plain_admit);
    bench_tallied(&mut group, "governor", 0, 0, &mut their_check);
    let clock = FakeRelativeClock::default();
    group.bench_function("baseline_clock_only", |b| {
        b.iter(|| {
            clock.advance(step);
            black_box(clock.now())
        });
    });
    group.finish();
}

/// A table of `N` keys, each emptied at instant 0 by one request of cost `burst`, built on a
/// thread with a stack large enough for it.
// Boxed on purpose: a million keys take 32 MB, more than a stack should carry around.
#[allow(clippy::unnecessary_box_returns)]
fn table<const N: usize>() -> Box<KeyedTable<u64, Gcra, N>> {
    std::thread::Builder::new()
        .stack_size(2 * N * KeyedTable::<u64, Gcra, N>::BYTES_PER_KEY + (1 << 20))
        .spawn(move || {
            let mut table = Box::new(KeyedTable::new(ours(), WhenFull::FailClosed));
            for key in 0..N as u64 {
                let d = table.check(key, Nanos::ZERO, u64::from(BURST));
                assert!(d.expect("cost within capacity").allowed());
            }
            table
        })
        .expect("spawn")
        .join()
        .expect("built")
}

/// `N` keys in ratecell's fixed table, ratecell's store and governor's default keyed store
/// (a `DashMap`).
///
/// Every key is emptied at instant 0 (one request of cost `burst`); the clock then starts one
/// interval later, when every key has room for one request, and advances by
/// `interval / (2 N)` per check while keys are drawn at random: each key is asked twice per
/// interval on average, so about half the checks are admitted from the first one on.
fn keyed<const N: usize>(c: &mut Criterion) {
    let step = INTERVAL / (2 * N as u64);
    set_now(0);
    let mut table = table::<N>();
    // Room to spare, as a deployment would size it: each shard holds an equal share of
    // `max_keys`, and random keys do not spread exactly evenly.
    let store: KeyedStore<u64, Gcra> = KeyedStore::new(ours(), 2 * N, WhenFull::FailClosed);
    // Sized for exactly `N` keys: the size its memory figure is measured at.
    let mut compact: CompactTable<u64, Gcra> =
        CompactTable::with_hasher(ours(), N, WhenFull::FailClosed, HashSeed::new(0));
    let mut admitting = compact.clone();
    let limiter: Keyed = RateLimiter::new(theirs(), DefaultKeyedStateStore::default(), ManualTime);
    let burst = NonZeroU32::new(BURST).expect("non-zero");
    for key in 0..N as u64 {
        let d = store.check(&key, Nanos::ZERO, u64::from(BURST));
        assert!(d.expect("cost within capacity").allowed());
        let d = compact.check(key, Nanos::ZERO, u64::from(BURST));
        assert!(d.expect("cost within capacity").allowed());
        let a = admitting.admit(key, Nanos::ZERO, u64::from(BURST));
        assert!(a.expect("cost within capacity").allowed());
        assert!(matches!(limiter.check_key_n(&key, burst), Ok(Ok(()))));
    }

    let (mut table_keys, mut store_keys, mut their_keys) = (Keys(1), Keys(1), Keys(1));
    let mut compact_keys = Keys(1);
    let mut table_check = || {
        let key = table_keys.next_below(N);
        let d = black_box(table.check(key, now(), 1));
        d.is_ok_and(|d| d.allowed())
    };
    let mut store_check = || {
        let key = store_keys.next_below(N);
        let d = black_box(store.check(&key, now(), 1));
        d.is_ok_and(|d| d.allowed())
    };
    let mut compact_check = || {
        let key = compact_keys.next_below(N);
        let d = black_box(compact.check(key, now(), 1));
        d.is_ok_and(|d| d.allowed())
    };
    let mut admitting_keys = Keys(1);
    let mut admit = || {
        let key = admitting_keys.next_below(N);
        black_box(admitting.admit(key, now(), 1)).is_ok_and(|a| a.allowed())
    };
    let mut their_check = || {
        let key = their_keys.next_below(N);
        black_box(limiter.check_key(&key)).is_ok()
    };
    // Two intervals: every key is asked about four times.
    set_now(INTERVAL);
    same_decisions(
        &format!("{N} keys"),
        4 * N as u64,
        step,
        &mut [
            ("governor", &mut their_check),
            ("ratecell KeyedTable", &mut table_check),
            ("ratecell KeyedStore", &mut store_check),
            ("ratecell CompactTable", &mut compact_check),
            ("ratecell CompactTable::admit", &mut admit),
        ],
    );

    let start = NOW.with(Cell::get);
    let mut group = c.benchmark_group(format!("peers/keyed_{N}_keys"));
    group.throughput(Throughput::Elements(1));
    bench_tallied(&mut group, "ratecell_table", step, start, &mut table_check);
    bench_tallied(&mut group, "ratecell_store", step, start, &mut store_check);
    bench_tallied(
        &mut group,
        "ratecell_compact",
        step,
        start,
        &mut compact_check,
    );
    bench_tallied(
        &mut group,
        "ratecell_compact_admit",
        step,
        start,
        &mut admit,
    );
    bench_tallied(&mut group, "governor", step, start, &mut their_check);
    bench_clock(&mut group, step);
    group.finish();
}

fn keyed_small(c: &mut Criterion) {
    keyed::<SMALL>(c);
}

fn keyed_large(c: &mut Criterion) {
    keyed::<LARGE>(c);
}

/// Runs `check` `iters` times on each of two threads at once, thread `t`'s manual clock
/// resuming at `clocks[t]` and moving by `step` before each check; returns the wall time and
/// how many checks were admitted.
fn two_threads(
    iters: u64,
    clocks: &mut [u64; 2],
    step: u64,
    check: &(impl Fn() -> bool + Sync),
) -> (Duration, u64) {
    let start = Instant::now();
    let (admitted, ends) = std::thread::scope(|s| {
        let workers: Vec<_> = clocks
            .iter()
            .map(|&resume_at| {
                s.spawn(move || {
                    set_now(resume_at);
                    let admitted = (0..iters)
                        .filter(|_| {
                            advance(step);
                            check()
                        })
                        .count() as u64;
                    (admitted, NOW.with(Cell::get))
                })
            })
            .collect();
        let done: Vec<(u64, u64)> = workers
            .into_iter()
            .map(|w| w.join().expect("worker"))
            .collect();
        let admitted = done.iter().map(|(n, _)| n).sum();
        (
            admitted,
            done.iter().map(|&(_, end)| end).collect::<Vec<_>>(),
        )
    });
    let elapsed = start.elapsed();
    for (clock, end) in clocks.iter_mut().zip(ends) {
        *clock = end;
    }
    (elapsed, admitted)
}

/// Benchmarks `check` on two threads under `name` and prints its share of admissions.
/// Thread 0's clock starts at 0 and thread 1's half an interval later; each moves a whole
/// interval per check, so the cell sees a check every half interval.
fn bench_two_threads(group: &mut Group<'_>, name: &str, check: &(impl Fn() -> bool + Sync)) {
    let (mut checks, mut admitted) = (0, 0);
    let mut clocks = [0, STEP];
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let (elapsed, n) = two_threads(iters, &mut clocks, INTERVAL, check);
            checks += 2 * iters;
            admitted += n;
            elapsed
        });
    });
    Tally { checks, admitted }.print(name);
}

/// One cell hammered from two threads: `AtomicGcra` against governor's direct limiter, each
/// doing one compare-and-swap per admission.
///
/// With a manual clock per thread only the cell is shared. With one `FakeRelativeClock` per
/// library both threads also contend on the clock, as on any shared counter.
fn contended(c: &mut Criterion) {
    set_now(0);
    let mut group = c.benchmark_group("peers/two_threads");
    // Each iteration is one check on each thread.
    group.throughput(Throughput::Elements(2));
    let atomic = AtomicGcra::new(ours());
    bench_two_threads(&mut group, "ratecell_atomic_gcra", &|| {
        let d = black_box(atomic.check(now(), 1));
        d.is_ok_and(|d| d.allowed)
    });
    let admitting = AtomicGcra::new(ours());
    bench_two_threads(&mut group, "ratecell_atomic_gcra_admit", &|| {
        black_box(admitting.admit(now(), 1)).is_ok_and(|a| a.allowed())
    });
    let limiter: Direct<ManualTime> = RateLimiter::direct_with_clock(theirs(), ManualTime);
    bench_two_threads(&mut group, "governor", &|| {
        black_box(limiter.check()).is_ok()
    });
    group.finish();

    let mut group = c.benchmark_group("peers/two_threads_fake_clock");
    group.throughput(Throughput::Elements(2));
    let step = Duration::from_nanos(STEP);
    let (atomic, our_clock) = (AtomicGcra::new(ours()), FakeRelativeClock::default());
    bench_two_threads(&mut group, "ratecell_atomic_gcra", &|| {
        our_clock.advance(step);
        let d = black_box(atomic.check(read(&our_clock), 1));
        d.is_ok_and(|d| d.allowed)
    });
    let their_clock = FakeRelativeClock::default();
    let limiter: Direct<FakeRelativeClock> =
        RateLimiter::direct_with_clock(theirs(), their_clock.clone());
    bench_two_threads(&mut group, "governor", &|| {
        their_clock.advance(step);
        black_box(limiter.check()).is_ok()
    });
    let clock = FakeRelativeClock::default();
    bench_two_threads(&mut group, "baseline_clock_only", &|| {
        clock.advance(step);
        black_box(clock.now()).as_u64() > 0
    });
    group.finish();
}

criterion_group!(
    benches,
    direct,
    direct_fake_clock,
    keyed_small,
    keyed_large,
    contended
);
criterion_main!(benches);
