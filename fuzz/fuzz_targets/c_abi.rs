//! See `ratecell_fuzz::c_abi`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ratecell_fuzz::c_abi::run(data));
