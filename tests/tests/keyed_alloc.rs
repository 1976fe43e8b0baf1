//! A stored key is checked without allocating: the store looks keys up by their borrowed
//! form and only copies a key into an owned one to store it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ratecell::{Gcra, KeyedStore, Nanos, Quota, WhenFull};

thread_local! {
    /// Allocations made by this thread.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// The system allocator, counting allocations per thread.
struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator; the wrapper only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds the `GlobalAlloc::alloc` contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` above with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn checking_a_stored_string_or_byte_key_allocates_nothing() {
    let gcra = Gcra::new(Quota::parse("100/second").unwrap());
    let names: Vec<String> = (0..500).map(|i| format!("api-key-{i}")).collect();
    let strings: KeyedStore<Box<str>, Gcra> =
        KeyedStore::new(gcra, 10_000, WhenFull::FailClosed).with_shards(4);
    let bytes: KeyedStore<Box<[u8]>, Gcra> =
        KeyedStore::new(gcra, 10_000, WhenFull::FailClosed).with_shards(4);
    let stored = allocations_during(|| {
        for name in &names {
            assert!(
                strings
                    .check(name.as_str(), Nanos::ZERO, 1)
                    .unwrap()
                    .allowed()
            );
            assert!(
                bytes
                    .check(name.as_bytes(), Nanos::ZERO, 1)
                    .unwrap()
                    .allowed()
            );
        }
    });
    assert!(stored >= 2 * names.len(), "storing a key copies it");
    let checked = allocations_during(|| {
        for round in 1..20 {
            for name in &names {
                let now = Nanos::from_millis(round);
                let _ = strings.check(name.as_str(), now, 1).unwrap();
                let _ = bytes.check(name.as_bytes(), now, 1).unwrap();
                let _ = strings.peek(name.as_str(), now);
            }
        }
    });
    assert_eq!(checked, 0);
}
