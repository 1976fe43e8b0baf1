//! See `ratecell_fuzz::keyed`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::keyed::run(data));
