//! The HTTP layer, both ways: arbitrary bytes into every header parser (the rate-limit
//! fields, `Retry-After`, dates) and the client that acts on them, and server fields written
//! for arbitrary policies and decisions, read back by a client.
//!
//! Parsing never panics and agrees with its definitions: delay-seconds are read exactly
//! (saturating), dates relative to the response's `Date` or the caller's clock, every date
//! that parses formats back to itself as the reference calendar writes it. A pacer never
//! sends before `Retry-After`, a retry never comes sooner than it. What a server writes, a
//! client reads back: `Retry-After` and the credit fields always, and for one policy with
//! numbers a Structured Field can carry, its limit, remaining, reset and window in every
//! header style.

use arbitrary::Arbitrary;
use ratecell::client::{
    Backoff, Jitter, Outcome, Pacer, RetryDecision, RetryPolicy, RetryState, SplitMix64,
};
use ratecell::http::{
    CreditBalance, FieldParser, HeaderStyle, HttpDate, Policy, QuotaUnit, RateLimitInfo,
    ResponseFields, parse_http_date, parse_retry_after,
};
use ratecell::{Decision, Nanos};
use ratecell_reference::http::{FIELD_NAMES, imf_fixdate};

use super::common::decode;

/// The largest Integer a Structured Field carries.
const SF_MAX: u64 = 999_999_999_999_999;
/// The last second of year 9999, the last an IMF-fixdate writes.
const LAST_DATE: i64 = 253_402_300_799;

/// One policy a server advertises, and its decision.
#[derive(Arbitrary, Debug)]
struct Advertised<'a> {
    name: &'a [u8],
    quota: u64,
    window: u64,
    unit: u8,
    partition_key: Option<&'a [u8]>,
    allowed: bool,
    remaining: u64,
    retry_after: u64,
    reset_after: u64,
}

#[derive(Arbitrary, Debug)]
struct Written<'a> {
    style: u8,
    unix_now: u64,
    policies: Vec<Advertised<'a>>,
    credits: Option<(u64, u64)>,
}

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    /// The caller's clock, then field lines, each named by its first byte.
    Fields(u64, &'a [u8]),
    /// Fields a server writes, read back.
    Written(Written<'a>),
}

/// The delay from `base_ns` (Unix nanoseconds) to Unix second `t`, in `[0, MAX]`.
fn until(t: i64, base_ns: i128) -> Nanos {
    let delta = i128::from(t)
        .saturating_mul(1_000_000_000)
        .saturating_sub(base_ns);
    Nanos::new(u64::try_from(delta.max(0)).unwrap_or(u64::MAX))
}

/// What `parse_retry_after` must return for `value`, by its definition.
fn retry_after_of(value: &[u8], date: Option<&[u8]>, unix_now: Nanos) -> Option<Nanos> {
    let v = value.trim_ascii();
    if !v.is_empty() && v.iter().all(u8::is_ascii_digit) {
        let secs = v.iter().fold(0_u64, |n, &b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        });
        return Some(Nanos::from_secs(secs));
    }
    let base = date
        .and_then(parse_http_date)
        .map_or(i128::from(unix_now.as_nanos()), |d| {
            i128::from(d) * 1_000_000_000
        });
    parse_http_date(v).map(|t| until(t, base))
}

fn fields(unix_now: Nanos, text: &[u8]) {
    let mut parser = FieldParser::new();
    let mut pairs = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let Some((&selector, value)) = line.split_first() else {
            continue;
        };
        let name = FIELD_NAMES[usize::from(selector) % FIELD_NAMES.len()];
        parser.field(name, value);
        pairs.push((name, value));
        for date in [None, Some(value)] {
            assert_eq!(
                parse_retry_after(value, date, unix_now),
                retry_after_of(value, date, unix_now),
                "Retry-After {value:?} with Date {date:?}"
            );
        }
        if let Some(t) = parse_http_date(value)
            && (0..=LAST_DATE).contains(&t)
        {
            // Every date that parses formats back to an IMF-fixdate that parses to it.
            let secs = t.unsigned_abs();
            let again = HttpDate(secs).to_string();
            assert_eq!(again, imf_fixdate(secs), "{value:?}");
            assert_eq!(parse_http_date(again.as_bytes()), Some(t));
        }
    }
    let info = parser.finish(unix_now);
    assert_eq!(RateLimitInfo::from_fields(pairs, unix_now), info);
    client(&info, unix_now);
}

/// What a client does with `info` never panics and never comes back before `Retry-After`.
fn client(info: &RateLimitInfo, now: Nanos) {
    let wait = info.retry_after.unwrap_or(Nanos::ZERO);
    for pacer in [
        Pacer::new(),
        Pacer::always(),
        Pacer::new().with_low_water(3),
    ] {
        let delay = pacer.delay(info, now, now);
        let (sent, allowed) = (now.saturating_add(delay), now.saturating_add(wait));
        assert!(sent >= allowed, "paced {delay} before Retry-After {wait}");
        let later = now.saturating_add(Nanos::new(1_000_000_000));
        let _ = pacer.delay(info, now, later);
        let _ = pacer.low_water(info.limit);
    }
    let Ok(backoff) = Backoff::new(Nanos::from_millis(100), Nanos::from_secs(60), Jitter::Full)
    else {
        return;
    };
    let policy = RetryPolicy::new(backoff, 5, Nanos::MAX);
    let mut rng = SplitMix64::new(now.as_nanos());
    for status in [200, 402, 429, 503] {
        let mut state = RetryState::new(now);
        let decision = policy.decide(&mut state, now, Outcome::response(status, info), &mut rng);
        if let RetryDecision::Retry { after } = decision {
            assert!(after >= wait, "retry {after} before Retry-After {wait}");
        }
    }
}

/// Printable ASCII, as a policy name must be.
fn printable(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(0x20 + b % 95)).collect()
}

fn written(w: &Written<'_>) {
    let style = HeaderStyle::ALL[usize::from(w.style) % HeaderStyle::ALL.len()];
    let unix_now = Nanos::new(w.unix_now);
    let names: Vec<String> = w
        .policies
        .iter()
        .take(4)
        .map(|p| printable(p.name))
        .collect();
    let units = [
        QuotaUnit::Requests,
        QuotaUnit::ContentBytes,
        QuotaUnit::ConcurrentRequests,
    ];
    let mut policies = Vec::new();
    for (a, name) in w.policies.iter().zip(&names) {
        let decision = Decision {
            allowed: a.allowed,
            limit: a.quota,
            remaining: a.remaining,
            retry_after: Nanos::new(if a.allowed { 0 } else { a.retry_after }),
            reset_after: Nanos::new(a.reset_after),
        };
        let policy = Policy::new(name, decision).expect("a printable name");
        let mut policy = policy
            .with_quota(a.quota, Nanos::new(a.window))
            .with_unit(units[usize::from(a.unit) % units.len()]);
        if let Some(key) = a.partition_key {
            policy = policy.with_partition_key(key);
        }
        policies.push(policy);
    }
    let mut response = ResponseFields::new(style, &policies).with_unix_now(unix_now);
    if let Some((remaining, used)) = w.credits {
        response = response.with_credits(CreditBalance { remaining, used });
    }
    let pairs: Vec<(String, String)> = response
        .iter()
        .map(|f| (f.name().to_owned(), f.to_string()))
        .collect();
    let mut emitted = Vec::new();
    if response
        .for_each(|n, v| emitted.push((n.to_owned(), v.to_owned())))
        .is_ok()
    {
        assert_eq!(emitted, pairs, "for_each and iter differ");
    }
    let mut text = String::new();
    response
        .write_to(&mut text)
        .expect("a String takes anything");
    let info = RateLimitInfo::from_fields(pairs.iter().map(|(n, v)| (n, v)), unix_now);

    let retry = response
        .retry_after()
        .map(|r| Nanos::from_secs(r.as_secs_ceil()));
    assert_eq!(info.retry_after, retry, "{style}: Retry-After");
    assert_eq!(info.credits_remaining, w.credits.map(|c| c.0), "{style}");
    assert_eq!(info.credits_used, w.credits.map(|c| c.1), "{style}");
    client(&info, unix_now);

    let [p] = policies.as_slice() else {
        return;
    };
    let d = p.decision();
    let secs = |n: Nanos| n.as_secs_ceil();
    let fits = [
        p.quota(),
        d.remaining,
        secs(d.reset_after),
        secs(p.window()),
    ]
    .iter()
    .all(|&n| n <= SF_MAX);
    if !fits && style != HeaderStyle::Legacy {
        return;
    }
    assert_eq!(info.limit, Some(p.quota()), "{style}: limit");
    assert_eq!(info.remaining, Some(d.remaining), "{style}: remaining");
    let reset = Nanos::from_secs(secs(d.reset_after));
    let want_reset = match style {
        HeaderStyle::Draft6 if reset == Nanos::ZERO => None,
        HeaderStyle::Legacy => {
            // X-RateLimit-Reset is a Unix second from 10^9 on, a delay below.
            let at = response.reset_at().expect("a policy and a clock");
            Some(if at >= 1_000_000_000 {
                until(
                    i64::try_from(at).unwrap_or(i64::MAX),
                    i128::from(w.unix_now),
                )
            } else {
                Nanos::from_secs(at)
            })
        }
        _ => Some(reset),
    };
    assert_eq!(info.reset, want_reset, "{style}: reset");
    if style != HeaderStyle::Legacy {
        let window = (p.window() > Nanos::ZERO).then(|| Nanos::from_secs(secs(p.window())));
        assert_eq!(info.window, window, "{style}: window");
    }
}

/// Runs one input.
///
/// # Panics
/// When a parser, the client or the round trip breaks a promise.
pub fn run(data: &[u8]) {
    match decode::<Input>(data) {
        Some(Input::Fields(unix_now, text)) => fields(Nanos::new(unix_now), text),
        Some(Input::Written(w)) => written(&w),
        None => {}
    }
}
