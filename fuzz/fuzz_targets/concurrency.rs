//! See `ratecell_fuzz::concurrency`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::concurrency::run(data));
