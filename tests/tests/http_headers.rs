//! Golden tests: the exact header fields and bodies a server writes, for every style.

use ratecell::http::{
    CreditBalance, FieldError, HeaderStyle, InsufficientCredits, Policy, QuotaUnit,
    RateLimitExceeded, ResponseFields,
};
use ratecell::{Decision, Gcra, GcraState, Nanos, Quota};

fn fields(f: &ResponseFields<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    f.for_each(|name, value| out.push((name.to_owned(), value.to_owned())))
        .expect("fits");
    // The three ways of reading the fields agree.
    let via_iter: Vec<_> = f
        .iter()
        .map(|x| (x.name().to_owned(), x.to_string()))
        .collect();
    assert_eq!(via_iter, out);
    let mut text = String::new();
    f.write_to(&mut text).unwrap();
    let mut lines = String::new();
    for (n, v) in &out {
        lines.extend([n.as_str(), ": ", v.as_str(), "\r\n"]);
    }
    assert_eq!(text, lines);
    out
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|&(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

fn decision(allowed: bool, limit: u64, remaining: u64, retry_ms: u64, reset_ms: u64) -> Decision {
    Decision {
        allowed,
        limit,
        remaining,
        retry_after: Nanos::from_millis(retry_ms),
        reset_after: Nanos::from_millis(reset_ms),
    }
}

/// The Free tier after its first request: 120 burst, 600 ms to refill one request.
fn free_tier_first_request() -> (Quota, Decision) {
    let quota = Quota::parse("100/minute burst 120").unwrap();
    let mut key = GcraState::default();
    let d = Gcra::new(quota)
        .check(&mut key, Nanos::from_secs(5), 1)
        .unwrap();
    (quota, d)
}

#[test]
fn a_gcra_decision_is_written_in_every_style() {
    let (quota, d) = free_tier_first_request();
    let policies = [Policy::from_quota("free", &quota, d).unwrap()];
    let unix_now = Nanos::new(1_706_284_800_500_000_000);
    let expected: [(HeaderStyle, &[(&str, &str)]); 5] = [
        (
            HeaderStyle::Ietf,
            &[
                ("RateLimit-Policy", r#""free";q=100;w=60"#),
                ("RateLimit", r#""free";r=119;t=1"#),
            ],
        ),
        (
            HeaderStyle::Draft8,
            &[
                ("RateLimit-Policy", r#""free"; q=100; w=60"#),
                ("RateLimit", r#""free"; r=119; t=1"#),
            ],
        ),
        (
            HeaderStyle::Draft7,
            &[
                ("RateLimit-Policy", "100;w=60"),
                ("RateLimit", "limit=100, remaining=119, reset=1"),
            ],
        ),
        (
            HeaderStyle::Draft6,
            &[
                ("RateLimit-Policy", "100;w=60"),
                ("RateLimit-Limit", "100"),
                ("RateLimit-Remaining", "119"),
                ("RateLimit-Reset", "1"),
            ],
        ),
        (
            HeaderStyle::Legacy,
            &[
                ("X-RateLimit-Limit", "100"),
                ("X-RateLimit-Remaining", "119"),
                // 1706284800.5 s + 0.6 s, rounded up.
                ("X-RateLimit-Reset", "1706284802"),
            ],
        ),
    ];
    for (style, want) in expected {
        let f = ResponseFields::new(style, &policies).with_unix_now(unix_now);
        assert_eq!(fields(&f), pairs(want), "{style}");
    }
}

#[test]
fn the_drafts_match_express_rate_limit_byte_for_byte() {
    // express-rate-limit with limit 5, windowMs 60000, after one request, 60 s to the reset;
    // draft-8 with its default identifier and the partition key it derives for a client.
    let d = decision(true, 5, 4, 0, 60_000);
    let policies = [Policy::new("5-in-1min", d)
        .unwrap()
        .with_quota(5, Nanos::from_secs(60))
        .with_partition_key(b"0123456789ab")];
    let style = |s: HeaderStyle| fields(&ResponseFields::new(s, &policies));
    assert_eq!(
        style(HeaderStyle::Draft6),
        pairs(&[
            ("RateLimit-Policy", "5;w=60"),
            ("RateLimit-Limit", "5"),
            ("RateLimit-Remaining", "4"),
            ("RateLimit-Reset", "60"),
        ])
    );
    assert_eq!(
        style(HeaderStyle::Draft7),
        pairs(&[
            ("RateLimit-Policy", "5;w=60"),
            ("RateLimit", "limit=5, remaining=4, reset=60"),
        ])
    );
    assert_eq!(
        style(HeaderStyle::Draft8),
        pairs(&[
            (
                "RateLimit-Policy",
                r#""5-in-1min"; q=5; w=60; pk=:MDEyMzQ1Njc4OWFi:"#
            ),
            ("RateLimit", r#""5-in-1min"; r=4; t=60"#),
        ])
    );
}

#[test]
fn a_denial_adds_retry_after_rounded_up() {
    let d = decision(false, 5, 0, 59_001, 59_001);
    let policies = [Policy::new("api", d)
        .unwrap()
        .with_quota(5, Nanos::from_secs(60))];
    let f = ResponseFields::new(HeaderStyle::Draft7, &policies);
    assert_eq!(
        fields(&f),
        pairs(&[
            ("RateLimit-Policy", "5;w=60"),
            ("RateLimit", "limit=5, remaining=0, reset=60"),
            ("Retry-After", "60"),
        ])
    );
    // One nanosecond of wait is a whole second on the wire.
    let d = Decision {
        retry_after: Nanos::new(1),
        ..d
    };
    let policies = [Policy::new("api", d).unwrap()];
    let f = ResponseFields::new(HeaderStyle::Ietf, &policies);
    assert_eq!(f.retry_after(), Some(Nanos::new(1)));
    assert_eq!(
        fields(&f).last().unwrap(),
        &("Retry-After".into(), "1".into())
    );
}

#[test]
fn several_policies_list_every_policy_and_report_the_binding_one() {
    let burst = Policy::new("burst", decision(false, 120, 0, 2_500, 9_999))
        .unwrap()
        .with_quota(120, Nanos::from_secs(10));
    let daily = Policy::new("daily", decision(true, 1000, 880, 0, 3_600_000))
        .unwrap()
        .with_quota(1000, Nanos::from_secs(86_400));
    let policies = [daily, burst];
    let unix_now = Nanos::from_secs(1_737_892_800);
    let get = |s| fields(&ResponseFields::new(s, &policies).with_unix_now(unix_now));
    assert_eq!(
        get(HeaderStyle::Ietf),
        pairs(&[
            (
                "RateLimit-Policy",
                r#""daily";q=1000;w=86400, "burst";q=120;w=10"#
            ),
            ("RateLimit", r#""daily";r=880;t=3600, "burst";r=0;t=10"#),
            ("Retry-After", "3"),
        ])
    );
    assert_eq!(
        get(HeaderStyle::Draft8),
        pairs(&[
            (
                "RateLimit-Policy",
                r#""daily"; q=1000; w=86400, "burst"; q=120; w=10"#
            ),
            ("RateLimit", r#""daily"; r=880; t=3600, "burst"; r=0; t=10"#),
            ("Retry-After", "3"),
        ])
    );
    assert_eq!(
        get(HeaderStyle::Draft7),
        pairs(&[
            ("RateLimit-Policy", "1000;w=86400, 120;w=10"),
            ("RateLimit", "limit=120, remaining=0, reset=10"),
            ("Retry-After", "3"),
        ])
    );
    assert_eq!(
        get(HeaderStyle::Legacy),
        pairs(&[
            ("X-RateLimit-Limit", "120"),
            ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", "1737892810"),
            ("Retry-After", "3"),
        ])
    );
}

#[test]
fn retry_after_is_the_longest_wait_of_the_denying_policies() {
    let a = Policy::new("a", decision(false, 1, 0, 1_200, 1_200)).unwrap();
    let b = Policy::new("b", decision(false, 1, 0, 7_001, 7_001)).unwrap();
    let c = Policy::new("c", decision(true, 9, 3, 0, 500)).unwrap();
    let f = ResponseFields::new(HeaderStyle::Ietf, &[]);
    assert_eq!(f.retry_after(), None);
    let policies = [a, b, c];
    let f = ResponseFields::new(HeaderStyle::Draft6, &policies);
    assert_eq!(f.retry_after(), Some(Nanos::from_millis(7_001)));
    assert_eq!(f.binding().unwrap().name(), "b"); // denied, remaining 0, longest reset
    assert!(fields(&f).contains(&("Retry-After".into(), "8".into())));
}

#[test]
fn a_denial_no_wait_can_cure_gets_no_retry_after() {
    // An exhausted credit budget: waiting never helps, so answer 402 instead of 429.
    let exhausted = Decision {
        allowed: false,
        limit: 1000,
        remaining: 0,
        retry_after: Nanos::MAX,
        reset_after: Nanos::MAX,
    };
    let policies = [Policy::new("credits", exhausted).unwrap()];
    let f = ResponseFields::new(HeaderStyle::Ietf, &policies)
        .with_unix_now(Nanos::ZERO)
        .with_credits(CreditBalance::from_decision(&exhausted));
    assert_eq!(f.retry_after(), None);
    assert!(RateLimitExceeded::from_fields(&f).is_none());
    assert_eq!(
        fields(&f),
        pairs(&[
            ("RateLimit-Policy", r#""credits";q=1000"#),
            ("RateLimit", r#""credits";r=0;t=18446744074"#),
            ("X-API-Credits-Remaining", "0"),
            ("X-API-Credits-Used", "1000"),
        ])
    );
}

#[test]
fn credits_alone_write_only_the_credit_fields() {
    let f = ResponseFields::new(HeaderStyle::Legacy, &[]).with_credits(CreditBalance {
        remaining: 412,
        used: 588,
    });
    assert_eq!(
        fields(&f),
        pairs(&[
            ("X-API-Credits-Remaining", "412"),
            ("X-API-Credits-Used", "588"),
        ])
    );
}

#[test]
fn units_partition_keys_and_odd_names_are_serialized_as_structured_fields() {
    let d = decision(true, 65_535, 65_000, 0, 9_000);
    let policies = [Policy::new(r#"per "user" \ bytes"#, d)
        .unwrap()
        .with_quota(65_535, Nanos::from_secs(10))
        .with_unit(QuotaUnit::ContentBytes)
        .with_partition_key(b"sdf")];
    assert_eq!(
        fields(&ResponseFields::new(HeaderStyle::Ietf, &policies)),
        pairs(&[
            (
                "RateLimit-Policy",
                r#""per \"user\" \\ bytes";q=65535;qu="content-bytes";w=10;pk=:c2Rm:"#
            ),
            (
                "RateLimit",
                r#""per \"user\" \\ bytes";r=65000;t=9;pk=:c2Rm:"#
            ),
        ])
    );
    for bad in ["caf\u{e9}", "tab\there", "new\nline", "\u{7f}"] {
        assert_eq!(Policy::new(bad, d), Err(FieldError::InvalidPolicyName));
    }
}

#[test]
fn windows_are_whole_seconds_rounded_up_and_zero_windows_are_left_out() {
    let d = decision(true, 10, 9, 0, 100);
    let odd = [Policy::new("odd", d)
        .unwrap()
        .with_quota(10, Nanos::from_millis(1_500))];
    assert_eq!(
        fields(&ResponseFields::new(HeaderStyle::Draft7, &odd))[0].1,
        "10;w=2"
    );
    let none = [Policy::new("none", d).unwrap()];
    assert_eq!(
        fields(&ResponseFields::new(HeaderStyle::Ietf, &none))[0].1,
        r#""none";q=10"#
    );
}

#[test]
fn draft_6_leaves_out_a_zero_reset_and_legacy_a_reset_without_wall_clock() {
    let fresh = decision(true, 10, 10, 0, 0);
    let policies = [Policy::new("p", fresh)
        .unwrap()
        .with_quota(10, Nanos::from_secs(1))];
    assert_eq!(
        fields(&ResponseFields::new(HeaderStyle::Draft6, &policies)),
        pairs(&[
            ("RateLimit-Policy", "10;w=1"),
            ("RateLimit-Limit", "10"),
            ("RateLimit-Remaining", "10"),
        ])
    );
    assert_eq!(
        fields(&ResponseFields::new(HeaderStyle::Legacy, &policies)),
        pairs(&[("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "10")])
    );
}

#[test]
fn a_buffer_too_small_emits_nothing_and_says_how_much_is_needed() {
    let (quota, d) = free_tier_first_request();
    let policies = [Policy::from_quota("free", &quota, d).unwrap()];
    let f = ResponseFields::new(HeaderStyle::Ietf, &policies);
    let mut called = false;
    let mut small = [0_u8; 8];
    assert_eq!(
        f.for_each_in(&mut small, |_, _| called = true),
        Err(FieldError::BufferTooSmall { needed: 17 })
    );
    assert!(!called);
    let mut exact = [0_u8; 17];
    let mut n = 0;
    f.for_each_in(&mut exact, |_, _| n += 1).unwrap();
    assert_eq!(n, 2);
}

#[test]
fn header_styles_parse_from_their_names() {
    for style in HeaderStyle::ALL {
        assert_eq!(style.to_string().parse(), Ok(style));
        assert_eq!(style.as_str().to_uppercase().parse(), Ok(style));
    }
    assert_eq!(" draft-8 ".parse(), Ok(HeaderStyle::Draft8));
    for bad in ["", "draft8", "draft-9", "x-ratelimit"] {
        assert_eq!(bad.parse::<HeaderStyle>(), Err(FieldError::UnknownStyle));
    }
}

#[test]
fn the_429_body_has_the_published_shape() {
    let d = decision(false, 100, 0, 11_001, 12_000);
    let policies = [Policy::new("api", d)
        .unwrap()
        .with_quota(100, Nanos::from_secs(60))];
    let f = ResponseFields::new(HeaderStyle::Legacy, &policies)
        .with_unix_now(Nanos::from_secs(1_737_892_800));
    let body = RateLimitExceeded::from_fields(&f).unwrap();
    assert_eq!(
        body.to_string(),
        r#"{"error":{"code":"rate_limit_exceeded","message":"Rate limit exceeded. Please retry after 12 seconds.","type":"rate_limit_error","details":{"limit":100,"remaining":0,"reset_at":"2025-01-26T12:00:12Z"}}}"#
    );
    assert_eq!(
        body.with_message("Slow down.").to_string(),
        r#"{"error":{"code":"rate_limit_exceeded","message":"Slow down.","type":"rate_limit_error","details":{"limit":100,"remaining":0,"reset_at":"2025-01-26T12:00:12Z"}}}"#
    );
    // Without the wall-clock time there is no reset_at to write.
    assert!(
        RateLimitExceeded::from_fields(&ResponseFields::new(HeaderStyle::Ietf, &policies))
            .is_none()
    );
}

#[test]
fn the_402_body_has_the_published_shape() {
    assert_eq!(
        InsufficientCredits::default().to_string(),
        r#"{"error":{"code":"insufficient_api_credits","message":"API credits exhausted. Purchase more credits to continue.","type":"permission_error"}}"#
    );
}

#[test]
fn every_limiter_advertises_its_sustained_rate_and_credits_advertise_a_balance() {
    use core::time::Duration;
    use ratecell::http::{Advert, Advertised};
    use ratecell::{Burst, Credits, FixedWindow, Limiter, SlidingWindow, TokenBucket};

    let quota = Quota::parse("100/minute burst 120").expect("quota");
    let minute = Advert::Limit {
        quota: 100,
        window: Nanos::from_secs(60),
        unit: QuotaUnit::Requests,
    };
    let limiters = [
        Limiter::from(Gcra::new(quota)),
        Limiter::from(TokenBucket::new(quota)),
        Limiter::from(FixedWindow::new(quota)),
        Limiter::from(SlidingWindow::new(quota)),
        Limiter::from(Burst::new(quota, Duration::from_secs(10)).expect("burst")),
    ];
    for limiter in limiters {
        assert_eq!(Advert::of(&limiter), minute, "{}", limiter.name());
    }
    assert_eq!(Advert::rate(&quota), minute);
    assert_eq!(
        Advert::of(&Limiter::from(Credits::new(1_000))),
        Advert::Credits
    );

    // A concurrency cap: no window, its own unit, in the IETF policy field.
    let d = decision(true, 10, 7, 0, 0);
    let Ok(Advertised::Policy(p)) = Advert::concurrency(10).advertise("sessions", d) else {
        panic!("a concurrency cap is a policy");
    };
    assert_eq!(
        fields(&ResponseFields::new(HeaderStyle::Ietf, &[p])),
        pairs(&[
            (
                "RateLimit-Policy",
                "\"sessions\";q=10;qu=\"concurrent-requests\""
            ),
            ("RateLimit", "\"sessions\";r=7;t=0"),
        ])
    );
    // Credits: a balance, whatever the name; a limit refuses a name headers cannot carry.
    assert_eq!(
        Advert::Credits.advertise("bad\nname", decision(true, 1_000, 412, 0, 0)),
        Ok(Advertised::Credits(CreditBalance {
            remaining: 412,
            used: 588
        }))
    );
    assert_eq!(
        minute.advertise("bad\nname", d),
        Err(FieldError::InvalidPolicyName)
    );
}
