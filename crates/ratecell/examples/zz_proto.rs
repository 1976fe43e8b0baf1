use ratecell::*;
use std::time::Instant;
fn main() {
    let q = Quota::parse("1000000000/hour").unwrap();
    let store: KeyedStore<Box<[u16]>, Limiter> =
        KeyedStore::new(Limiter::from(Gcra::new(q)), 100_000, WhenFull::FailClosed).with_shards(1);
    let key: Vec<u16> = "\u{1}k".encode_utf16().collect();
    let n = 30_000_000u64;
    let t = Instant::now();
    let mut acc = 0;
    for i in 0..n {
        acc += store
            .check(&key[..], Nanos::new(i), 1)
            .unwrap()
            .decision()
            .remaining;
    }
    println!(
        "limiter 1 shard no clock: {:.1} ns ({acc})",
        t.elapsed().as_nanos() as f64 / n as f64
    );
}
