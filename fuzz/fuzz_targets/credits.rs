//! See `ratecell_fuzz::credits`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::credits::run(data));
