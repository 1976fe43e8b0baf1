//! See `ratecell_fuzz::all_of`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::all_of::run(data));
