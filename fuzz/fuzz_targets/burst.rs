//! See `ratecell_fuzz::burst`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::burst::run(data));
