use std::time::Instant;
fn main() {
    let n = 10_000_000u64;
    for _ in 0..3 {
        let t = Instant::now();
        let mut acc = 0u128;
        for _ in 0..n {
            acc += Instant::now().elapsed().as_nanos() & 1;
        }
        println!(
            "Instant::now x2: {:.1} ns ({acc})",
            t.elapsed().as_nanos() as f64 / n as f64 / 2.0
        );
        let t = Instant::now();
        let mut acc = 0u64;
        for _ in 0..n {
            acc = acc.wrapping_add(unsafe { core::arch::x86_64::_rdtsc() });
        }
        println!(
            "rdtsc: {:.1} ns ({acc})",
            t.elapsed().as_nanos() as f64 / n as f64
        );
        let t = Instant::now();
        let mut acc = 0u64;
        for _ in 0..n {
            let mut ts = std::mem::MaybeUninit::<[i64; 2]>::uninit();
            unsafe {
                libc_clock(6, ts.as_mut_ptr().cast());
                acc = acc.wrapping_add(ts.assume_init()[1] as u64);
            }
        }
        println!(
            "coarse: {:.1} ns ({acc})",
            t.elapsed().as_nanos() as f64 / n as f64
        );
    }
}
unsafe extern "C" {
    #[link_name = "clock_gettime"]
    fn libc_clock(id: i32, ts: *mut i64) -> i32;
}
