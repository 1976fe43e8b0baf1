//! See `ratecell_fuzz::compact`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::compact::run(data));
