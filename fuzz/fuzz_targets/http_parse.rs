//! Arbitrary bytes into every HTTP parser: the rate-limit fields, `Retry-After` and dates.
//! None may panic, and what they return must be self-consistent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ratecell::Nanos;
use ratecell::http::{FieldParser, HttpDate, parse_http_date, parse_retry_after};

const NAMES: [&str; 12] = [
    "RateLimit",
    "RateLimit-Policy",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "Date",
    "X-API-Credits-Remaining",
    "X-API-Credits-Used",
];

fuzz_target!(|data: &[u8]| {
    // The first eight bytes are the caller's clock; the rest is split into field values at
    // newlines, each given to the field named by its first byte.
    let (clock, rest) = data.split_at(data.len().min(8));
    let mut now = [0_u8; 8];
    now[..clock.len()].copy_from_slice(clock);
    let unix_now = Nanos::new(u64::from_le_bytes(now));

    let mut parser = FieldParser::new();
    for line in rest.split(|&b| b == b'\n') {
        let Some((&selector, value)) = line.split_first() else {
            continue;
        };
        let name = NAMES[usize::from(selector) % NAMES.len()];
        parser.field(name, value);
        let _ = parse_retry_after(value, Some(value), unix_now);
        let _ = parse_retry_after(value, None, unix_now);
        if let Some(t) = parse_http_date(value)
            && let Ok(t) = u64::try_from(t)
            && t <= 253_402_300_799
        {
            // Every date that parses formats back to an IMF-fixdate that parses to it.
            let again = HttpDate(t).to_string();
            assert_eq!(parse_http_date(again.as_bytes()), Some(t as i64));
        }
    }
    let _ = parser.finish(unix_now);
});
