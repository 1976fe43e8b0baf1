//! See `ratecell_fuzz::gcra`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::gcra::run(data));
