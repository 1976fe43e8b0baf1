use std::hint::black_box;
use ratecell::{Gcra, KeyedStore, Limiter, Nanos, Quota, WhenFull};
#[repr(C)] struct Ts { s: i64, n: i64 }
unsafe extern "C" { fn clock_gettime(c: i32, t: *mut Ts) -> i32; }
fn cpu() -> f64 { let mut t = Ts{s:0,n:0}; unsafe { clock_gettime(3, &mut t); } t.s as f64 * 1e9 + t.n as f64 }
const N: u64 = 2_000_000;
fn main() {
    let keys: Vec<Vec<u8>> = (0..1000).map(|i| format!("api-key-{i:04}").into_bytes()).collect();
    let g = Gcra::new(Quota::parse("100/minute burst 120").unwrap());
    for _ in 0..3 {
        let store: KeyedStore<Box<[u8]>, Gcra> = KeyedStore::new(g, 4096, WhenFull::FailClosed);
        let t = cpu();
        for i in 0..N { black_box(store.check(&keys[(i % 1000) as usize][..], Nanos::new(black_box(i*100_000)), 1)).ok(); }
        println!("gcra store {:.2}", (cpu()-t)/N as f64);
        let store: KeyedStore<Box<[u8]>, Limiter> = KeyedStore::new(g.into(), 4096, WhenFull::FailClosed);
        let t = cpu();
        for i in 0..N { black_box(store.check(&keys[(i % 1000) as usize][..], Nanos::new(black_box(i*100_000)), 1)).ok(); }
        println!("limiter store {:.2}", (cpu()-t)/N as f64);
        let cg = ratecell_c::ratecell_gcra { opaque: g.to_raw() };
        let mut h = std::ptr::null_mut();
        unsafe { ratecell_c::ratecell_keyed_new_gcra(&cg, 4096, 0, &mut h); }
        let f: unsafe extern "C" fn(*const ratecell_c::ratecell_keyed, *const u8, usize, u64, u64, *mut ratecell_c::ratecell_keyed_decision) -> ratecell_c::ratecell_status = black_box(ratecell_c::ratecell_keyed_check);
        let mut d = ratecell_c::ratecell_keyed_decision::default();
        let t = cpu();
        for i in 0..N { let k = &keys[(i % 1000) as usize]; unsafe { black_box(f(h, k.as_ptr(), k.len(), black_box(i*100_000), 1, &mut d)); } }
        println!("c api {:.2}", (cpu()-t)/N as f64);
        unsafe { ratecell_c::ratecell_keyed_free(h); }
    }
}
