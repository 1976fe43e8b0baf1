//! See `ratecell_fuzz::token_bucket`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::token_bucket::run(data));
