//! HTTP: response header fields from decisions in every style, the 429 and 402 bodies, and
//! the parsers a client needs (rate-limit fields, `Retry-After`), all from the core's `http`
//! module. Times cross as milliseconds; wall-clock times as Unix milliseconds.

use napi::Env;
use napi_derive::napi;
use ratecell::http::{
    CreditBalance, FieldError, HeaderStyle, InsufficientCredits, Policy, QuotaUnit,
    RateLimitExceeded, RateLimitInfo, ResponseFields, parse_retry_after,
};
use ratecell::{Decision, Nanos};

use crate::error::{JsError, OrThrow};
use crate::time::{from_ms, ms};

/// One limit a request was checked against, as advertised, with its decision.
#[napi(object)]
pub struct PolicyInput {
    /// The policy's name (printable ASCII).
    pub name: String,
    /// The advertised quota: units per window.
    pub quota: f64,
    /// The advertised window in milliseconds (0: none).
    pub window_ms: f64,
    /// What the quota counts: `requests` (the default), `content-bytes` or
    /// `concurrent-requests`.
    pub unit: Option<String>,
    pub allowed: bool,
    pub limit: f64,
    pub remaining: f64,
    pub retry_after_ms: f64,
    pub reset_after_ms: f64,
}

/// A credit balance (`X-API-Credits-Remaining`, `X-API-Credits-Used`).
#[napi(object)]
pub struct CreditsInput {
    pub remaining: f64,
    pub used: f64,
}

/// What a response says about the client's limits; times in milliseconds.
#[napi(object)]
pub struct RateLimitInfoOutput {
    pub limit: Option<f64>,
    pub remaining: Option<f64>,
    pub reset_ms: Option<f64>,
    pub window_ms: Option<f64>,
    pub retry_after_ms: Option<f64>,
    pub credits_remaining: Option<f64>,
    pub credits_used: Option<f64>,
}

/// A count from JavaScript (validated there): a non-negative number, `Infinity` saturating.
fn count(n: f64) -> u64 {
    if n >= u64::MAX as f64 {
        u64::MAX
    } else if n > 0.0 {
        n as u64
    } else {
        0
    }
}

/// A wait from JavaScript: `Infinity` is never.
fn wait(ms: f64, name: &str) -> Result<Nanos, JsError> {
    if ms == f64::INFINITY {
        Ok(Nanos::MAX)
    } else {
        from_ms(ms, name, 0)
    }
}

fn style(name: &str) -> Result<HeaderStyle, JsError> {
    name.parse().map_err(|_| {
        JsError::value(format!(
            "unknown header style {name:?}: expected ietf, draft-8, draft-7, draft-6 or legacy"
        ))
    })
}

fn field_error(e: FieldError) -> JsError {
    JsError::value(e.to_string())
}

fn policies(inputs: &[PolicyInput]) -> Result<Vec<Policy<'_>>, JsError> {
    inputs
        .iter()
        .map(|p| {
            let decision = Decision {
                allowed: p.allowed,
                limit: count(p.limit),
                remaining: count(p.remaining),
                retry_after: wait(p.retry_after_ms, "retryAfterMs")?,
                reset_after: wait(p.reset_after_ms, "resetAfterMs")?,
            };
            let unit = match p.unit.as_deref() {
                None | Some("requests") => QuotaUnit::Requests,
                Some("content-bytes") => QuotaUnit::ContentBytes,
                Some("concurrent-requests") => QuotaUnit::ConcurrentRequests,
                Some(other) => {
                    return Err(JsError::value(format!(
                        "unit must be requests, content-bytes or concurrent-requests, got {other:?}"
                    )));
                }
            };
            Ok(Policy::new(&p.name, decision)
                .map_err(field_error)?
                .with_quota(count(p.quota), wait(p.window_ms, "windowMs")?)
                .with_unit(unit))
        })
        .collect()
}

fn fields<'a>(
    style: HeaderStyle,
    policies: &'a [Policy<'a>],
    now_ms: f64,
    credits: Option<&CreditsInput>,
) -> Result<ResponseFields<'a>, JsError> {
    let mut fields =
        ResponseFields::new(style, policies).with_unix_now(from_ms(now_ms, "nowMs", 0)?);
    if let Some(c) = credits {
        fields = fields.with_credits(CreditBalance {
            remaining: count(c.remaining),
            used: count(c.used),
        });
    }
    Ok(fields)
}

/// The response header fields, as `[name, value]` pairs in order, for a request checked
/// against `policies` at Unix time `nowMs`, in `style` (`ietf`, `draft-8`, `draft-7`,
/// `draft-6` or `legacy`). A denial adds `Retry-After`; `credits` adds the credit fields.
#[napi]
pub fn response_headers(
    env: &Env,
    style: String,
    policies: Vec<PolicyInput>,
    now_ms: f64,
    credits: Option<CreditsInput>,
) -> napi::Result<Vec<Vec<String>>> {
    let style = self::style(&style).or_throw(env)?;
    let policies = self::policies(&policies).or_throw(env)?;
    let fields = fields(style, &policies, now_ms, credits.as_ref()).or_throw(env)?;
    Ok(fields
        .iter()
        .map(|field| vec![field.name().to_owned(), field.to_string()])
        .collect())
}

/// The JSON body of a 429 response for a request refused under `policies` at Unix time
/// `nowMs`; `null` when every policy admitted it or when no wait would (answer 402).
#[napi]
pub fn rate_limit_body(
    env: &Env,
    policies: Vec<PolicyInput>,
    now_ms: f64,
    message: Option<String>,
) -> napi::Result<Option<String>> {
    let policies = self::policies(&policies).or_throw(env)?;
    let fields = fields(HeaderStyle::Legacy, &policies, now_ms, None).or_throw(env)?;
    Ok(
        RateLimitExceeded::from_fields(&fields).map(|body| match message.as_deref() {
            Some(m) => body.with_message(m).to_string(),
            None => body.to_string(),
        }),
    )
}

/// The JSON body of a 402 response: the client's credits are exhausted.
#[napi]
pub fn insufficient_credits_body(message: Option<String>) -> String {
    match message.as_deref() {
        Some(m) => InsufficientCredits::with_message(m).to_string(),
        None => InsufficientCredits::new().to_string(),
    }
}

fn info(info: &RateLimitInfo) -> RateLimitInfoOutput {
    RateLimitInfoOutput {
        limit: info.limit.map(|n| n as f64),
        remaining: info.remaining.map(|n| n as f64),
        reset_ms: info.reset.map(ms),
        window_ms: info.window.map(ms),
        retry_after_ms: info.retry_after.map(ms),
        credits_remaining: info.credits_remaining.map(|n| n as f64),
        credits_used: info.credits_used.map(|n| n as f64),
    }
}

/// Reads the rate-limit fields of a response (`[name, value]` pairs, any case, any of the
/// styles above plus `Retry-After`, `Date` and the credit fields). Absolute times are
/// relative to the response's `Date`, or to Unix time `nowMs` without one. What does not
/// parse is left out.
#[napi]
pub fn parse_rate_limit_fields(
    env: &Env,
    fields: Vec<Vec<String>>,
    now_ms: f64,
) -> napi::Result<RateLimitInfoOutput> {
    let now = from_ms(now_ms, "nowMs", 0).or_throw(env)?;
    let pairs = fields.iter().filter_map(|pair| match pair.as_slice() {
        [name, value] => Some((name.as_str(), value.as_str())),
        _ => None,
    });
    Ok(info(&RateLimitInfo::from_fields(pairs, now)))
}

/// A `Retry-After` value (delay seconds or an HTTP-date) as a wait in milliseconds from
/// when the response was sent (its `date`, or Unix time `nowMs`); `null` when it does not
/// parse.
#[napi]
pub fn retry_after_ms(
    env: &Env,
    value: String,
    date: Option<String>,
    now_ms: f64,
) -> napi::Result<Option<f64>> {
    let now = from_ms(now_ms, "nowMs", 0).or_throw(env)?;
    Ok(parse_retry_after(value.as_bytes(), date.as_deref().map(str::as_bytes), now).map(ms))
}

/// Converts the fields of [`RateLimitInfoOutput`] back, for the pacer.
pub(crate) fn info_input(output: &RateLimitInfoOutput) -> Result<RateLimitInfo, JsError> {
    let opt_wait = |v: Option<f64>, name: &str| v.map(|ms| wait(ms, name)).transpose();
    Ok(RateLimitInfo {
        limit: output.limit.map(count),
        remaining: output.remaining.map(count),
        reset: opt_wait(output.reset_ms, "resetMs")?,
        window: opt_wait(output.window_ms, "windowMs")?,
        retry_after: opt_wait(output.retry_after_ms, "retryAfterMs")?,
        credits_remaining: output.credits_remaining.map(count),
        credits_used: output.credits_used.map(count),
    })
}
