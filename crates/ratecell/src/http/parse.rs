//! Reading rate-limit fields from a response: [`RateLimitInfo`] and its [`FieldParser`].
//!
//! Every form [`ResponseFields`](super::ResponseFields) writes is understood, and so is what
//! other servers commonly send:
//!
//! - `RateLimit` as a List of named Items (`"name";r=5;t=30`, the IETF and draft-8 forms) or as
//!   a Dictionary (`limit=5, remaining=4, reset=60`, draft-7). With several named items the
//!   one with the least `r` (then the longest `t`) is reported, and its limit and window
//!   come from the `RateLimit-Policy` item of the same name.
//! - `RateLimit-Policy` items named (`"name";q=100;w=60`) or numeric (`100;w=60`).
//! - `RateLimit-Limit` (an Integer, or the older `10, 10;w=1` List), `RateLimit-Remaining`,
//!   `RateLimit-Reset` (seconds).
//! - `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`. A reset of at least
//!   10^9 is a Unix time in seconds (September 2001 or later), a smaller one a delay in
//!   seconds, which is what the servers that use it send.
//! - `Retry-After` as delay-seconds or an HTTP-date, `Date`, `X-API-Credits-Remaining`,
//!   `X-API-Credits-Used`.
//!
//! Field names match case-insensitively. The `RateLimit` fields are Structured Fields (RFC
//! 9651): one that does not parse is ignored as a whole, as the drafts require; the other
//! fields must be plain decimal integers (surrounding whitespace allowed) or dates. Nothing
//! here can fail or panic: what cannot be read is left out.
//!
//! Absolute times (an HTTP-date `Retry-After`, a Unix-time `X-RateLimit-Reset`) become delays
//! relative to the response's `Date` field when it has one, otherwise relative to the
//! current Unix time the caller supplies.
//!
//! When both the `RateLimit` fields and the legacy `X-` fields are present, the
//! `RateLimit` fields win and the legacy ones fill in what they leave out.

use super::date::parse_http_date;
use super::sf::{self, Bare, Item};
use crate::time::Nanos;

const NS_PER_SEC: i128 = 1_000_000_000;
/// `X-RateLimit-Reset` values from here on are Unix times, not delays.
const UNIX_TIME_THRESHOLD: u64 = 1_000_000_000;
/// The most `RateLimit-Policy` items remembered per response.
const POLICY_SLOTS: usize = 8;

/// What a response says about the client's rate limits. Every field is optional: servers
/// send what they like.
///
/// ```
/// use ratecell::Nanos;
/// use ratecell::http::RateLimitInfo;
///
/// let info = RateLimitInfo::from_fields(
///     [
///         ("ratelimit-policy", "\"burst\";q=100;w=60, \"daily\";q=1000;w=86400"),
///         ("RateLimit", "\"burst\";r=0;t=12, \"daily\";r=900;t=3600"),
///         ("Retry-After", "Sun, 06 Nov 1994 08:49:49 GMT"),
///         ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
///         ("X-RateLimit-Limit", "not a number"),
///     ],
///     Nanos::ZERO,
/// );
/// assert_eq!(info.limit, Some(100));
/// assert_eq!(info.remaining, Some(0));
/// assert_eq!(info.reset, Some(Nanos::from_secs(12)));
/// assert_eq!(info.window, Some(Nanos::from_secs(60)));
/// assert_eq!(info.retry_after, Some(Nanos::from_secs(12)));
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RateLimitInfo {
    /// The quota: requests (or other units) allowed per window.
    pub limit: Option<u64>,
    /// Units still available.
    pub remaining: Option<u64>,
    /// How long until the quota is restored, from when the response was sent.
    pub reset: Option<Nanos>,
    /// The policy's window.
    pub window: Option<Nanos>,
    /// How long to wait before retrying, from when the response was sent (`Retry-After`).
    pub retry_after: Option<Nanos>,
    /// `X-API-Credits-Remaining`.
    pub credits_remaining: Option<u64>,
    /// `X-API-Credits-Used`.
    pub credits_used: Option<u64>,
}

impl RateLimitInfo {
    /// Reads `(name, value)` pairs (anything viewable as bytes: `&str`, `&[u8]`,
    /// `http::HeaderName` and `HeaderValue`, ...). `unix_now` is the current wall-clock time
    /// since the Unix epoch, used for absolute times when the response has no `Date`.
    pub fn from_fields<I, N, V>(fields: I, unix_now: Nanos) -> RateLimitInfo
    where
        I: IntoIterator<Item = (N, V)>,
        N: AsRef<[u8]>,
        V: AsRef<[u8]>,
    {
        let mut parser = FieldParser::new();
        for (name, value) in fields {
            parser.field(name, value);
        }
        parser.finish(unix_now)
    }
}

/// A `Retry-After` value as sent.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
enum RetryAfter {
    /// delay-seconds.
    Seconds(u64),
    /// An HTTP-date, in Unix seconds.
    Date(i64),
}

impl RetryAfter {
    fn parse(value: &[u8]) -> Option<RetryAfter> {
        let v = value.trim_ascii();
        if !v.is_empty() && v.iter().all(u8::is_ascii_digit) {
            // An absurdly long delay is still a delay: saturate rather than ignore it.
            let secs = v.iter().fold(0_u64, |n, &b| {
                n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
            });
            return Some(RetryAfter::Seconds(secs));
        }
        parse_http_date(v).map(RetryAfter::Date)
    }

    fn resolve(self, base_ns: i128) -> Nanos {
        match self {
            RetryAfter::Seconds(s) => Nanos::from_secs(s),
            RetryAfter::Date(t) => until(t, base_ns),
        }
    }
}

/// The delay from `base_ns` (Unix nanoseconds) to Unix second `t`, clamped to `[0, MAX]`.
fn until(t: i64, base_ns: i128) -> Nanos {
    let delta = i128::from(t)
        .saturating_mul(NS_PER_SEC)
        .saturating_sub(base_ns);
    Nanos::new(u64::try_from(delta.max(0)).unwrap_or(u64::MAX))
}

/// Parses a `Retry-After` value, delay-seconds or HTTP-date, into a delay. A date counts
/// from `date` (the response's `Date` value) when it parses, otherwise from `unix_now`;
/// a date in the past is no delay. Malformed values are `None`.
///
/// ```
/// use ratecell::Nanos;
/// use ratecell::http::parse_retry_after;
///
/// assert_eq!(parse_retry_after(b"120", None, Nanos::ZERO), Some(Nanos::from_secs(120)));
/// let now = Nanos::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
/// assert_eq!(
///     parse_retry_after(b"Sun, 06 Nov 1994 08:50:00 GMT", None, now),
///     Some(Nanos::from_secs(23))
/// );
/// assert_eq!(
///     parse_retry_after(b"Sun, 06 Nov 1994 08:50:00 GMT", Some(b"Sun, 06 Nov 1994 08:49:00 GMT"), now),
///     Some(Nanos::from_secs(60))
/// );
/// assert_eq!(parse_retry_after(b"-1", None, now), None);
/// ```
pub fn parse_retry_after(value: &[u8], date: Option<&[u8]>, unix_now: Nanos) -> Option<Nanos> {
    let base = base_ns(date.and_then(parse_http_date), unix_now);
    RetryAfter::parse(value).map(|r| r.resolve(base))
}

fn base_ns(date: Option<i64>, unix_now: Nanos) -> i128 {
    date.map_or(i128::from(unix_now.as_nanos()), |d| {
        i128::from(d).saturating_mul(NS_PER_SEC)
    })
}

/// A plain non-negative decimal integer, surrounding whitespace allowed.
fn plain_u64(value: &[u8]) -> Option<u64> {
    let v = value.trim_ascii();
    if v.is_empty() {
        return None;
    }
    v.iter().try_fold(0_u64, |n, &b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// A whole number of seconds from a Structured Field parameter or item, when positive.
fn window_of(bare: Option<Bare<'_>>) -> Option<Nanos> {
    bare.and_then(Bare::as_u64)
        .filter(|&w| w > 0)
        .map(Nanos::from_secs)
}

/// 64-bit FNV-1a: identifies a policy name without storing it.
fn name_hash(bytes: impl Iterator<Item = u8>) -> u64 {
    bytes.fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A `RateLimit-Policy` item: named (IETF, draft-8) or numeric (draft-6, draft-7).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct PolicyEntry {
    name: Option<u64>,
    quota: u64,
    window: Option<Nanos>,
}

/// The named `RateLimit` item closest to exhaustion so far.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct ServiceLimit {
    name: u64,
    remaining: u64,
    reset: Option<u64>,
}

impl ServiceLimit {
    /// Ordering key: least remaining first, then the longest reset.
    fn key(&self) -> (u64, core::cmp::Reverse<Option<u64>>) {
        (self.remaining, core::cmp::Reverse(self.reset))
    }
}

/// Single numbers from the draft-6 fields or the draft-7 Dictionary, or the legacy fields.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Numbers {
    limit: Option<u64>,
    remaining: Option<u64>,
    reset: Option<u64>,
}

/// Accumulates a response's fields one at a time, then [`finish`](FieldParser::finish)es
/// into a [`RateLimitInfo`]. It holds no borrowed data and a fixed amount of memory: only
/// the first eight `RateLimit-Policy` items are remembered.
///
/// ```
/// use ratecell::Nanos;
/// use ratecell::http::FieldParser;
///
/// let mut parser = FieldParser::new();
/// parser.field("RateLimit", "limit=5, remaining=4, reset=60");
/// parser.field("RateLimit-Policy", "5;w=60");
/// parser.field("X-RateLimit-Reset", b"\xff\xfe"); // ignored
/// let info = parser.finish(Nanos::ZERO);
/// assert_eq!((info.limit, info.remaining), (Some(5), Some(4)));
/// assert_eq!((info.reset, info.window), (Some(Nanos::from_secs(60)), Some(Nanos::from_secs(60))));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldParser {
    policies: [Option<PolicyEntry>; POLICY_SLOTS],
    service: Option<ServiceLimit>,
    draft: Numbers,
    legacy: Numbers,
    retry_after: Option<RetryAfter>,
    date: Option<i64>,
    credits_remaining: Option<u64>,
    credits_used: Option<u64>,
}

impl FieldParser {
    /// A parser that has seen no fields.
    pub fn new() -> FieldParser {
        FieldParser::default()
    }

    /// Reads one field line. Unknown and malformed fields are ignored; a field that repeats
    /// adds to a List (`RateLimit`, `RateLimit-Policy`) or replaces a single value.
    pub fn field(&mut self, name: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        let name = name.as_ref().trim_ascii();
        let value = value.as_ref();
        let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
        if is("ratelimit") {
            self.rate_limit(value);
        } else if is("ratelimit-policy") {
            sf::for_each_list_item(value, |item| self.policy_item(&item));
        } else if is("ratelimit-limit") {
            self.rate_limit_limit(value);
        } else if is("ratelimit-remaining") {
            if let Some(n) = sf_u64(value) {
                self.draft.remaining = Some(n);
            }
        } else if is("ratelimit-reset") {
            if let Some(n) = sf_u64(value) {
                self.draft.reset = Some(n);
            }
        } else if is("x-ratelimit-limit") {
            set(&mut self.legacy.limit, plain_u64(value));
        } else if is("x-ratelimit-remaining") {
            set(&mut self.legacy.remaining, plain_u64(value));
        } else if is("x-ratelimit-reset") {
            set(&mut self.legacy.reset, plain_u64(value));
        } else if is("retry-after") {
            if let Some(r) = RetryAfter::parse(value) {
                self.retry_after = Some(r);
            }
        } else if is("date") {
            if let Some(d) = parse_http_date(value) {
                self.date = Some(d);
            }
        } else if is("x-api-credits-remaining") {
            set(&mut self.credits_remaining, plain_u64(value));
        } else if is("x-api-credits-used") {
            set(&mut self.credits_used, plain_u64(value));
        }
    }

    /// What the fields seen so far say. `unix_now` is the current wall-clock time since the
    /// Unix epoch, for absolute times when there was no `Date` field.
    pub fn finish(&self, unix_now: Nanos) -> RateLimitInfo {
        let base = base_ns(self.date, unix_now);
        let entries = || self.policies.iter().flatten();
        let mut info = RateLimitInfo {
            retry_after: self.retry_after.map(|r| r.resolve(base)),
            credits_remaining: self.credits_remaining,
            credits_used: self.credits_used,
            ..RateLimitInfo::default()
        };
        if let Some(s) = self.service {
            info.remaining = Some(s.remaining);
            info.reset = s.reset.map(Nanos::from_secs);
            if let Some(p) = entries().find(|p| p.name == Some(s.name)) {
                info.limit = Some(p.quota);
                info.window = p.window;
            }
        } else {
            info.limit = self.draft.limit;
            info.remaining = self.draft.remaining;
            info.reset = self.draft.reset.map(Nanos::from_secs);
            let policy = match info.limit {
                Some(limit) => entries()
                    .find(|p| p.quota == limit)
                    .or_else(|| entries().next()),
                None => entries().next(),
            };
            if let Some(p) = policy {
                info.limit = info.limit.or(Some(p.quota));
                info.window = p.window;
            }
        }
        info.limit = info.limit.or(self.legacy.limit);
        info.remaining = info.remaining.or(self.legacy.remaining);
        info.reset = info.reset.or_else(|| {
            self.legacy.reset.map(|r| {
                if r >= UNIX_TIME_THRESHOLD {
                    until(i64::try_from(r).unwrap_or(i64::MAX), base)
                } else {
                    Nanos::from_secs(r)
                }
            })
        });
        info
    }

    fn rate_limit(&mut self, value: &[u8]) {
        let mut named = false;
        let mut best = self.service;
        let valid_list = sf::for_each_list_item(value, |item| {
            let Some(name) = item.bare.name_bytes() else {
                return;
            };
            let Some(remaining) = item.param(b"r").and_then(Bare::as_u64) else {
                return;
            };
            let reset = match item.param(b"t") {
                None => None,
                Some(t) => match t.as_u64() {
                    Some(t) => Some(t),
                    None => return, // a malformed item
                },
            };
            named = true;
            let candidate = ServiceLimit {
                name: name_hash(name),
                remaining,
                reset,
            };
            if best.is_none_or(|b| candidate.key() < b.key()) {
                best = Some(candidate);
            }
        });
        if valid_list && named {
            self.service = best;
            return;
        }
        let mut numbers = Numbers::default();
        let mut well_typed = true;
        let valid_dictionary = sf::for_each_dictionary_member(value, |key, item| {
            let slot = match key {
                b"limit" => &mut numbers.limit,
                b"remaining" => &mut numbers.remaining,
                b"reset" => &mut numbers.reset,
                _ => return,
            };
            *slot = item.bare.as_u64();
            well_typed &= slot.is_some();
        });
        // A known key with anything but a non-negative Integer makes the field malformed.
        if valid_dictionary && well_typed {
            set(&mut self.draft.limit, numbers.limit);
            set(&mut self.draft.remaining, numbers.remaining);
            set(&mut self.draft.reset, numbers.reset);
        }
    }

    fn policy_item(&mut self, item: &Item<'_>) {
        let entry = if let Some(name) = item.bare.name_bytes() {
            let Some(quota) = item.param(b"q").and_then(Bare::as_u64) else {
                return;
            };
            PolicyEntry {
                name: Some(name_hash(name)),
                quota,
                window: window_of(item.param(b"w")),
            }
        } else if let Some(quota) = item.bare.as_u64() {
            PolicyEntry {
                name: None,
                quota,
                window: window_of(item.param(b"w")),
            }
        } else {
            return;
        };
        if let Some(slot) = self.policies.iter_mut().find(|s| s.is_none()) {
            *slot = Some(entry);
        }
    }

    /// `RateLimit-Limit: 10`, or the early drafts' `10, 10;w=1, 50;w=60`.
    fn rate_limit_limit(&mut self, value: &[u8]) {
        let mut first = None;
        let mut seen = false;
        let mut windows = [None; POLICY_SLOTS];
        let mut n = 0;
        sf::for_each_list_item(value, |item| {
            if !seen {
                seen = true;
                first = item.bare.as_u64();
            }
            if item.param(b"w").is_some() {
                if let Some(slot) = windows.get_mut(n) {
                    *slot = Some(item);
                }
                n += 1;
            }
        });
        if first.is_some() {
            self.draft.limit = first;
        }
        for item in windows.iter().flatten() {
            self.policy_item(item);
        }
    }
}

/// Replaces `slot` when `value` is `Some`.
fn set(slot: &mut Option<u64>, value: Option<u64>) {
    if value.is_some() {
        *slot = value;
    }
}

/// A Structured Field Integer item that is not negative (parameters ignored).
fn sf_u64(value: &[u8]) -> Option<u64> {
    sf::parse_item(value)?.bare.as_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_integers_reject_signs_and_overflow() {
        assert_eq!(plain_u64(b" 42 "), Some(42));
        assert_eq!(plain_u64(b"+1"), None);
        assert_eq!(plain_u64(b""), None);
        assert_eq!(plain_u64(b"18446744073709551616"), None);
        assert_eq!(plain_u64(b"18446744073709551615"), Some(u64::MAX));
    }

    #[test]
    fn huge_retry_after_saturates() {
        assert_eq!(
            parse_retry_after(b"99999999999999999999999", None, Nanos::ZERO),
            Some(Nanos::MAX)
        );
    }

    #[test]
    fn named_limits_pick_the_least_remaining_across_lines() {
        let mut p = FieldParser::new();
        p.field("RateLimit", r#""a";r=5;t=1"#);
        p.field("RateLimit", r#""b";r=2;t=9, "c";r=2;t=3"#);
        p.field("RateLimit-Policy", r#""a";q=10, "b";q=20;w=60"#);
        let info = p.finish(Nanos::ZERO);
        assert_eq!(info.remaining, Some(2));
        assert_eq!(info.reset, Some(Nanos::from_secs(9)));
        assert_eq!(info.limit, Some(20));
        assert_eq!(info.window, Some(Nanos::from_secs(60)));
    }

    #[test]
    fn legacy_reset_is_a_unix_time_or_a_delay() {
        let now = Nanos::from_secs(1_706_284_800);
        let info = RateLimitInfo::from_fields([("x-ratelimit-reset", "1706284812")], now);
        assert_eq!(info.reset, Some(Nanos::from_secs(12)));
        let info = RateLimitInfo::from_fields([("X-RateLimit-Reset", "30")], now);
        assert_eq!(info.reset, Some(Nanos::from_secs(30)));
        let info = RateLimitInfo::from_fields([("X-RateLimit-Reset", "1706284700")], now);
        assert_eq!(info.reset, Some(Nanos::ZERO));
    }
}
