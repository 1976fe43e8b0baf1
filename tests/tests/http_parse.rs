//! The client-side parsers: every header form, `Retry-After` and dates, malformed input.

use proptest::prelude::*;
use ratecell::Nanos;
use ratecell::http::{
    FieldParser, HttpDate, RateLimitInfo, Rfc3339, parse_http_date, parse_retry_after,
};
use ratecell_reference::http as reference;

fn parse(fields: &[(&str, &str)]) -> RateLimitInfo {
    RateLimitInfo::from_fields(fields.iter().copied(), Nanos::from_secs(1_706_284_800))
}

/// `s` seconds, as the optional fields of `RateLimitInfo` hold them.
#[allow(clippy::unnecessary_wraps, reason = "compared with Option fields")]
fn secs(s: u64) -> Option<Nanos> {
    Some(Nanos::from_secs(s))
}

#[test]
fn the_published_example_responses_parse() {
    // The 429 example of a provider that sends legacy fields.
    let info = parse(&[
        ("Content-Type", "application/json"),
        ("Retry-After", "12"),
        ("X-RateLimit-Limit", "100"),
        ("X-RateLimit-Remaining", "0"),
        ("X-RateLimit-Reset", "1706284812"),
    ]);
    assert_eq!(info.limit, Some(100));
    assert_eq!(info.remaining, Some(0));
    assert_eq!(info.reset, secs(12));
    assert_eq!(info.retry_after, secs(12));
    assert_eq!(info.window, None);
    // Credits alongside the rate limit.
    let info = parse(&[
        ("X-RateLimit-Limit", "120"),
        ("X-RateLimit-Remaining", "118"),
        ("X-API-Credits-Remaining", "412"),
        ("X-API-Credits-Used", "588"),
    ]);
    assert_eq!(
        (info.credits_remaining, info.credits_used),
        (Some(412), Some(588))
    );
}

#[test]
fn every_draft_form_parses() {
    let draft6 = parse(&[
        ("RateLimit-Policy", "5;w=60"),
        ("RateLimit-Limit", "5"),
        ("RateLimit-Remaining", "4"),
        ("RateLimit-Reset", "60"),
    ]);
    let draft7 = parse(&[
        ("RateLimit-Policy", "5;w=60"),
        ("RateLimit", "limit=5, remaining=4, reset=60"),
    ]);
    let draft8 = parse(&[
        (
            "RateLimit-Policy",
            r#""5-in-1min"; q=5; w=60; pk=:MDEyMzQ1Njc4OWFi:"#,
        ),
        ("RateLimit", r#""5-in-1min"; r=4; t=60"#),
    ]);
    let ietf = parse(&[
        ("RateLimit-Policy", r#""default";q=5;w=60"#),
        ("RateLimit", r#""default";r=4;t=60"#),
    ]);
    let want = RateLimitInfo {
        limit: Some(5),
        remaining: Some(4),
        reset: secs(60),
        window: secs(60),
        ..RateLimitInfo::default()
    };
    assert_eq!([draft6, draft7, draft8, ietf], [want; 4]);
}

#[test]
fn field_names_match_case_insensitively() {
    let info = parse(&[
        ("ratelimit-policy", "5;w=60"),
        ("RATELIMIT", "limit=5, remaining=4, reset=60"),
        ("retry-AFTER", "7"),
    ]);
    assert_eq!(
        (info.limit, info.remaining, info.retry_after),
        (Some(5), Some(4), secs(7))
    );
}

#[test]
fn the_early_drafts_list_form_of_ratelimit_limit_parses() {
    let info = parse(&[
        ("RateLimit-Limit", "10, 10;w=1, 50;w=60"),
        ("RateLimit-Remaining", "9"),
        ("RateLimit-Reset", "1"),
    ]);
    assert_eq!(info.limit, Some(10));
    assert_eq!(info.window, secs(1));
}

#[test]
fn the_most_restrictive_named_policy_is_reported() {
    let info = parse(&[
        (
            "RateLimit-Policy",
            r#""burst";q=100;w=60, "daily";q=1000;w=86400"#,
        ),
        ("RateLimit", r#""daily";r=1;t=3600, "burst";r=50;t=30"#),
    ]);
    assert_eq!(
        (info.limit, info.remaining, info.reset, info.window),
        (Some(1000), Some(1), secs(3600), secs(86_400))
    );
}

#[test]
fn standard_fields_win_over_legacy_ones_which_fill_the_gaps() {
    let info = parse(&[
        ("X-RateLimit-Limit", "999"),
        ("X-RateLimit-Remaining", "998"),
        ("X-RateLimit-Reset", "1706284830"),
        ("RateLimit", r#""a";r=3"#),
    ]);
    assert_eq!(info.remaining, Some(3));
    assert_eq!(info.limit, Some(999)); // no RateLimit-Policy: the legacy limit fills in
    assert_eq!(info.reset, secs(30));
}

#[test]
fn malformed_fields_are_ignored_whole() {
    let info = parse(&[
        ("RateLimit", "limit=5, remaining=-1, reset=60"),
        ("RateLimit-Policy", r#""a";q=5;w=60,"#),
        ("RateLimit-Remaining", "four"),
        ("RateLimit-Reset", "1.5"),
        ("X-RateLimit-Limit", "100 requests"),
        ("X-RateLimit-Remaining", "-3"),
        ("Retry-After", "1.5"),
        ("Date", "yesterday"),
        ("X-API-Credits-Used", ""),
    ]);
    assert_eq!(info, RateLimitInfo::default());
    let info = parse(&[("RateLimit", r#""a";r=1;t=x, "b";r=2;t=5"#)]);
    assert_eq!((info.remaining, info.reset), (Some(2), secs(5)));
}

#[test]
fn retry_after_reads_delay_seconds_and_all_three_date_forms() {
    let now = Nanos::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
    let later = Some(Nanos::from_secs(60));
    assert_eq!(parse_retry_after(b" 60 ", None, now), later);
    for date in [
        &b"Sun, 06 Nov 1994 08:50:37 GMT"[..],
        b"Sunday, 06-Nov-94 08:50:37 GMT",
        b"Sun Nov  6 08:50:37 1994",
    ] {
        assert_eq!(parse_retry_after(date, None, now), later);
    }
    // Relative to the response's Date when it has one, not to the caller's clock.
    let date = Some(&b"Sun, 06 Nov 1994 08:50:00 GMT"[..]);
    assert_eq!(
        parse_retry_after(b"Sun, 06 Nov 1994 08:50:37 GMT", date, Nanos::MAX),
        Some(Nanos::from_secs(37))
    );
    // A malformed Date is ignored; a date in the past is no wait.
    assert_eq!(
        parse_retry_after(b"Sun, 06 Nov 1994 08:50:37 GMT", Some(b"soon"), now),
        later
    );
    assert_eq!(
        parse_retry_after(b"Sun, 06 Nov 1994 08:00:00 GMT", None, now),
        Some(Nanos::ZERO)
    );
    // Sub-second clocks: a date counts from the exact instant.
    let now_and_a_half = now.saturating_add(Nanos::from_millis(500));
    assert_eq!(
        parse_retry_after(b"Sun, 06 Nov 1994 08:49:38 GMT", None, now_and_a_half),
        Some(Nanos::from_millis(500))
    );
    for bad in [&b""[..], b"soon", b"-5", b"+5", b"5s", b"1e3", b"\xff"] {
        assert_eq!(parse_retry_after(bad, None, now), None, "{bad:?}");
    }
}

#[test]
fn the_parser_remembers_a_bounded_number_of_policies() {
    let many: String = (0..50)
        .map(|i| format!(r#""p{i}";q={i};w=1"#))
        .collect::<Vec<_>>()
        .join(", ");
    let mut parser = FieldParser::new();
    parser.field("RateLimit-Policy", &many);
    parser.field("RateLimit", r#""p3";r=1;t=1"#);
    assert_eq!(parser.finish(Nanos::ZERO).limit, Some(3));
    parser.field("RateLimit", r#""p40";r=0;t=1"#);
    let info = parser.finish(Nanos::ZERO);
    assert_eq!((info.remaining, info.limit), (Some(0), None)); // p40 was not remembered
}

/// Strings made of the characters Structured Fields and dates are built from, so that the
/// parsers get past their first byte.
fn field_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9\";=,:*?@%. ()\\-\\\\]{0,40}",
        "[\"a-z]{0,3}(;[a-z]{1,2}=[0-9]{1,17}){0,3}(, ?)?",
        "(limit|remaining|reset|r|t|q|w)=-?[0-9]{0,20}(, ?)?",
        "[A-Za-z]{0,9},? [0-9 A-Za-z:-]{0,25}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(
        fields in prop::collection::vec(
            (prop::sample::select(&reference::FIELD_NAMES[..]), prop::collection::vec(any::<u8>(), 0..64)),
            0..8,
        ),
        unix_now in any::<u64>(),
    ) {
        let info = RateLimitInfo::from_fields(fields.iter().map(|(n, v)| (n, v)), Nanos::new(unix_now));
        prop_assert!(info.remaining.is_some() || info.remaining.is_none());
        for (_, v) in &fields {
            let _ = parse_retry_after(v, Some(v), Nanos::new(unix_now));
            let _ = parse_http_date(v);
        }
    }

    #[test]
    fn parsers_never_panic_on_field_like_strings(
        fields in prop::collection::vec((prop::sample::select(&reference::FIELD_NAMES[..]), field_like()), 0..8),
        unix_now in any::<u64>(),
    ) {
        let mut parser = FieldParser::new();
        for (name, value) in &fields {
            parser.field(name.to_lowercase(), value);
            let _ = parse_retry_after(value.as_bytes(), None, Nanos::new(unix_now));
        }
        let _ = parser.finish(Nanos::new(unix_now));
    }

    #[test]
    fn dates_format_like_the_reference_and_parse_back(secs in 0_u64..=253_402_300_799) {
        let imf = HttpDate(secs).to_string();
        prop_assert_eq!(&imf, &reference::imf_fixdate(secs));
        prop_assert_eq!(Rfc3339(secs).to_string(), reference::rfc3339(secs));
        prop_assert_eq!(parse_http_date(imf.as_bytes()), Some(i64::try_from(secs).unwrap()));
        // The other two forms of the same instant agree when they can express it.
        let (y, mo, d, h, mi, s, wd) = reference::civil(secs);
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        let long = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
        let month = months[(mo - 1) as usize];
        let asctime = format!("{} {month} {d:>2} {h:02}:{mi:02}:{s:02} {y}", days[wd as usize]);
        prop_assert_eq!(parse_http_date(asctime.as_bytes()), Some(i64::try_from(secs).unwrap()));
        if (1970..2070).contains(&y) {
            let rfc850 = format!("{}, {d:02}-{month}-{:02} {h:02}:{mi:02}:{s:02} GMT", long[wd as usize], y % 100);
            prop_assert_eq!(parse_http_date(rfc850.as_bytes()), Some(i64::try_from(secs).unwrap()));
        }
    }

    #[test]
    fn delay_seconds_parse_exactly(s in any::<u64>(), unix_now in any::<u64>()) {
        let want = Nanos::from_secs(s);
        prop_assert_eq!(parse_retry_after(s.to_string().as_bytes(), None, Nanos::new(unix_now)), Some(want));
    }
}
