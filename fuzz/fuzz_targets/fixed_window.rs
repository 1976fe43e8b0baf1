//! See `ratecell_fuzz::fixed_window`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::fixed_window::run(data));
