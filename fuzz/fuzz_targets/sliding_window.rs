//! See `ratecell_fuzz::sliding_window`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::sliding_window::run(data));
