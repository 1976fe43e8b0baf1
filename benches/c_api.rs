//! The Rust side of `make c-bench`: the workloads of `benches/c/bench.c`, run on the core
//! with the same plain timing loop, so that the C program can print the C API's cost next to
//! the core's. With `--raw` it prints only the two figures, nanoseconds per call, for the C
//! program to read.
//!
//! Every input (key, instant, cost) goes through `black_box`, as it arrives at the C API from
//! the caller: the core's figure is the cost of a call, not of a call the optimiser has
//! specialised for a constant cost. The store is the one the C API keeps for a GCRA policy's
//! work, `KeyedStore<Box<[u8]>, Gcra>`: the C figure is what the ABI and the runtime choice of
//! algorithm ([`ratecell::DynKeyedStore`]) add to it.

use std::hint::black_box;

use ratecell::{Decision, Gcra, GcraState, KeyedStore, Nanos, Quota, WhenFull};

/// The quota both workloads enforce: the seeds' Free tier.
const QUOTA: &str = "100/minute burst 120";
/// Calls per timed run, and timed runs per figure (the fastest is kept).
const GCRA_CALLS: u64 = 10_000_000;
const KEYED_CALLS: u64 = 2_000_000;
const RUNS: usize = 5;
/// Distinct keys in the keyed workload, visited in turn, and the store's bound.
const KEYS: usize = 1000;
const MAX_KEYS: usize = 4096;
/// Time between keyed calls.
const STEP_NS: u64 = 100_000;

fn policy() -> Gcra {
    Gcra::new(Quota::parse(QUOTA).expect("valid quota"))
}

/// The fastest of `RUNS` runs of `calls` calls, in nanoseconds of this thread's CPU time per
/// call, measured as the C program measures it.
fn best(calls: u64, mut run: impl FnMut() -> u64) -> f64 {
    (0..RUNS)
        .map(|_| {
            let start = cpu_time_ns();
            black_box(run());
            (cpu_time_ns() - start) / calls as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// This thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), so that other processes on a shared
/// machine do not inflate the figures; the C program reads the same clock.
#[cfg(target_os = "linux")]
fn cpu_time_ns() -> f64 {
    #[repr(C)]
    struct Timespec {
        secs: i64,
        nanos: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, out: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec { secs: 0, nanos: 0 };
    // SAFETY: `t` is a valid, writable timespec (two 64-bit fields on Linux targets with
    // 64-bit time), and the clock id is a constant the kernel knows.
    let status = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &raw mut t) };
    assert_eq!(status, 0, "clock_gettime");
    t.secs as f64 * 1e9 + t.nanos as f64
}

/// Elsewhere, wall-clock time since the first call.
#[cfg(not(target_os = "linux"))]
fn cpu_time_ns() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as f64
}

/// One cell: half an emission interval (300 ms) between calls, so half are admitted.
fn gcra_check() -> f64 {
    let gcra = black_box(policy());
    best(GCRA_CALLS, || {
        let mut state = GcraState::default();
        for i in 0..GCRA_CALLS {
            let now = Nanos::new(black_box(i * 300_000_000));
            // The whole decision, as the C API writes it.
            black_box(gcra.check(&mut state, now, black_box(1))).ok();
        }
        state.to_bits()
    })
}

/// [`gcra_check`] through a function the optimiser may not inline, as a caller in another
/// language (or across a dynamic library's boundary) calls it: what inlining saves, apart
/// from what the C ABI adds.
fn gcra_check_called() -> f64 {
    #[inline(never)]
    fn check(gcra: &Gcra, state: &mut GcraState, now: Nanos, cost: u64) -> Option<Decision> {
        gcra.check(state, now, cost).ok()
    }
    let gcra = black_box(policy());
    best(GCRA_CALLS, || {
        let mut state = GcraState::default();
        for i in 0..GCRA_CALLS {
            let now = Nanos::new(black_box(i * 300_000_000));
            black_box(check(&gcra, &mut state, now, black_box(1)));
        }
        state.to_bits()
    })
}

/// A thread-safe store of byte-string keys: 1000 keys in turn, 100 µs apart. Each key comes
/// back every 100 ms, faster than its quota refills, so keys stay stored: this times finding
/// a key and deciding, not inserting one.
fn keyed_check() -> f64 {
    let keys: Vec<Vec<u8>> = (0..KEYS)
        .map(|i| format!("api-key-{i:04}").into_bytes())
        .collect();
    best(KEYED_CALLS, || {
        let store: KeyedStore<Box<[u8]>, Gcra> =
            KeyedStore::new(policy(), MAX_KEYS, WhenFull::FailClosed);
        for i in 0..KEYED_CALLS {
            let key = black_box(&keys[(i % KEYS as u64) as usize][..]);
            let now = Nanos::new(black_box(i * STEP_NS));
            black_box(store.check(key, now, black_box(1))).ok();
        }
        store.len() as u64
    })
}

fn main() {
    let raw = std::env::args().any(|a| a == "--raw");
    let (gcra, keyed, called) = (gcra_check(), keyed_check(), gcra_check_called());
    if raw {
        println!("{gcra:.2} {keyed:.2} {called:.2}");
    } else {
        println!("Rust core, nanoseconds per call (run `make c-bench` to compare with C):");
        println!("  Gcra::check on one state          {gcra:8.2}");
        println!("  KeyedStore::check, 1000 keys      {keyed:8.2}");
        println!("  Gcra::check, called (not inlined) {called:8.2}");
    }
}
