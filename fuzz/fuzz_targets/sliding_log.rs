//! See `ratecell_fuzz::sliding_log`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::sliding_log::run(data));
