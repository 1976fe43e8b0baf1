//! See `ratecell_fuzz::quota_parse`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::quota_parse::run(data));
