//! See `ratecell_fuzz::http_parse`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::http_parse::run(data));
