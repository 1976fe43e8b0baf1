//! Memory per key: ratecell's keyed table and store next to governor's default keyed store,
//! measured by a counting global allocator.
//!
//! Each container is filled with `n` keys (`u64`), each admitted once at instant 0 so that it
//! must be kept, and the bytes it holds from the allocator afterwards are divided by `n`.
//! Allocator bookkeeping (a few bytes per allocation) is not counted; every container here
//! makes a handful of large allocations. Prints a table and writes
//! `target/bench-results/memory.json` for `benches/report.py`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use governor::RateLimiter;
use governor::clock::FakeRelativeClock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use ratecell::{CompactTable, Gcra, KeyedStore, KeyedTable, Nanos, Quota, WhenFull};

/// The system allocator, counting the bytes it currently hands out.
struct Counting;

/// Bytes allocated and not yet freed.
static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards its arguments unchanged to the system allocator and returns
// its result unchanged; the only addition is a counter update.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, the same for `System`.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator, hence by `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` was allocated by this allocator, hence by `System`, with `layout`, and
        // the caller upholds the rest of `realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size, Ordering::Relaxed);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Builds a value and returns it with the bytes it took from the allocator.
fn measured<T>(build: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    let value = build();
    let after = LIVE.load(Ordering::Relaxed);
    (value, after.saturating_sub(before))
}

fn ours() -> Gcra {
    Gcra::new(Quota::parse("100/minute burst 120").expect("valid quota"))
}

fn theirs() -> governor::Quota {
    let per_minute = NonZeroU32::new(100).expect("non-zero");
    let burst = NonZeroU32::new(120).expect("non-zero");
    governor::Quota::per_minute(per_minute).allow_burst(burst)
}

/// Bytes per key of a full `KeyedTable` of `N` keys.
fn table<const N: usize>() -> f64 {
    // Built on a thread with a stack large enough for the table before it is boxed.
    let (table, bytes) = std::thread::Builder::new()
        .stack_size(2 * N * KeyedTable::<u64, Gcra, N>::BYTES_PER_KEY + (1 << 20))
        .spawn(|| {
            measured(|| {
                let mut table: Box<KeyedTable<u64, Gcra, N>> =
                    Box::new(KeyedTable::new(ours(), WhenFull::FailClosed));
                for key in 0..N as u64 {
                    let d = table.check(key, Nanos::ZERO, 1);
                    assert!(d.expect("cost within capacity").allowed());
                }
                table
            })
        })
        .expect("spawn")
        .join()
        .expect("built");
    assert_eq!(table.len(), N);
    bytes as f64 / N as f64
}

/// Bytes per key of a `KeyedStore` holding `n` keys, built by `build`.
fn store(n: usize, build: impl FnOnce() -> KeyedStore<u64, Gcra>) -> f64 {
    let (store, bytes) = measured(|| {
        let store = build();
        for key in 0..n as u64 {
            let d = store.check(&key, Nanos::ZERO, 1);
            assert!(d.expect("cost within capacity").allowed());
        }
        store
    });
    assert_eq!(store.len(), n);
    bytes as f64 / n as f64
}

/// Bytes per key of a `CompactTable` for `n` keys holding `n` keys.
fn compact(n: usize) -> f64 {
    let (table, bytes) = measured(|| {
        let mut table: CompactTable<u64, Gcra> = CompactTable::new(ours(), n, WhenFull::FailClosed);
        for key in 0..n as u64 {
            let d = table.check(key, Nanos::ZERO, 1);
            assert!(d.expect("cost within capacity").allowed());
        }
        table
    });
    assert_eq!(table.len(), n);
    bytes as f64 / n as f64
}

/// Bytes per key of governor's default keyed limiter holding `n` keys.
fn governor(n: usize) -> f64 {
    let (limiter, bytes) = measured(|| {
        let limiter: RateLimiter<u64, DefaultKeyedStateStore<u64>, _, NoOpMiddleware<_>> =
            RateLimiter::new(
                theirs(),
                DefaultKeyedStateStore::default(),
                FakeRelativeClock::default(),
            );
        for key in 0..n as u64 {
            assert!(limiter.check_key(&key).is_ok());
        }
        limiter
    });
    assert_eq!(limiter.len(), n);
    bytes as f64 / n as f64
}

/// One measured container next to governor's.
struct Row {
    workload: String,
    ours: f64,
    peer: f64,
}

fn rows_for<const N: usize>() -> Vec<Row> {
    let peer = governor(N);
    let row = |what: &str, ours: f64| Row {
        workload: format!("{N} keys: {what}"),
        ours,
        peer,
    };
    vec![
        row("KeyedTable", table::<N>()),
        row(&format!("CompactTable, max_keys {N}"), compact(N)),
        row(
            &format!("KeyedStore, max_keys {}", 2 * N),
            store(N, || KeyedStore::new(ours(), 2 * N, WhenFull::FailClosed)),
        ),
        row(
            &format!("KeyedStore, max_keys {N}, one shard"),
            store(N, || {
                KeyedStore::new(ours(), N, WhenFull::FailClosed).with_shards(1)
            }),
        ),
    ]
}

/// Where results go: `RATECELL_BENCH_RESULTS`, or `target/bench-results` in the workspace.
fn results_dir() -> PathBuf {
    std::env::var_os("RATECELL_BENCH_RESULTS").map_or_else(
        || {
            // The benches crate sits at the workspace root's `benches/`.
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
            manifest
                .parent()
                .unwrap_or(manifest)
                .join("target/bench-results")
        },
        PathBuf::from,
    )
}

/// A JSON string literal (the workloads here are plain ASCII).
fn json_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn main() {
    // `cargo bench` passes its arguments (filters, criterion options) to every benchmark;
    // this one always runs whole.
    let mut rows = rows_for::<10_000>();
    rows.extend(rows_for::<1_000_000>());

    println!("memory per key (bytes), ratecell next to governor's default keyed store");
    println!(
        "{:<44} {:>9} {:>9} {:>7}",
        "workload", "ratecell", "governor", "ratio"
    );
    let mut json = String::from("{\"name\": \"memory\", \"results\": [");
    for (i, r) in rows.iter().enumerate() {
        let ratio = r.ours / r.peer;
        println!(
            "{:<44} {:>9.1} {:>9.1} {:>7.2}",
            r.workload, r.ours, r.peer, ratio
        );
        let sep = if i == 0 { "" } else { "," };
        write!(
            json,
            "{sep}\n  {{\"workload\": {}, \"ours_bytes_per_key\": {:.2}, \"peer\": \"governor\", \
             \"peer_bytes_per_key\": {:.2}}}",
            json_string(&r.workload),
            r.ours,
            r.peer
        )
        .expect("writing to a String");
    }
    json.push_str("\n]}\n");
    let dir = results_dir();
    std::fs::create_dir_all(&dir).expect("create the results directory");
    let path = dir.join("memory.json");
    std::fs::write(&path, json).expect("write memory.json");
    println!("wrote {}", path.display());
}
