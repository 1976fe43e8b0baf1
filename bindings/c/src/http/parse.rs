//! Reading rate-limit fields from a response, and `Retry-After`.

use core::ffi::c_char;

use ratecell::Nanos;
use ratecell::http::{FieldParser, RateLimitInfo, parse_retry_after};

use super::ratecell_header_field;
use crate::{arg_mut, guard, ratecell_status, slice};

/// What a response says about the client's rate limits. Every number comes with a `has_`
/// flag: servers send what they like, and what cannot be read is left out.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ratecell_rate_limit_info {
    /// Whether `limit` was sent.
    pub has_limit: bool,
    /// The quota: units allowed per window.
    pub limit: u64,
    /// Whether `remaining` was sent.
    pub has_remaining: bool,
    /// Units still available.
    pub remaining: u64,
    /// Whether `reset_ns` was sent.
    pub has_reset: bool,
    /// Nanoseconds until the quota is restored, from when the response was sent.
    pub reset_ns: u64,
    /// Whether `window_ns` was sent.
    pub has_window: bool,
    /// The policy's window in nanoseconds.
    pub window_ns: u64,
    /// Whether `Retry-After` was sent.
    pub has_retry_after: bool,
    /// Nanoseconds to wait before retrying, from when the response was sent.
    pub retry_after_ns: u64,
    /// Whether `X-API-Credits-Remaining` was sent.
    pub has_credits_remaining: bool,
    /// Credits left.
    pub credits_remaining: u64,
    /// Whether `X-API-Credits-Used` was sent.
    pub has_credits_used: bool,
    /// Credits spent.
    pub credits_used: u64,
}

impl From<RateLimitInfo> for ratecell_rate_limit_info {
    fn from(i: RateLimitInfo) -> Self {
        let nanos = |n: Option<Nanos>| n.map(Nanos::as_nanos);
        ratecell_rate_limit_info {
            has_limit: i.limit.is_some(),
            limit: i.limit.unwrap_or(0),
            has_remaining: i.remaining.is_some(),
            remaining: i.remaining.unwrap_or(0),
            has_reset: i.reset.is_some(),
            reset_ns: nanos(i.reset).unwrap_or(0),
            has_window: i.window.is_some(),
            window_ns: nanos(i.window).unwrap_or(0),
            has_retry_after: i.retry_after.is_some(),
            retry_after_ns: nanos(i.retry_after).unwrap_or(0),
            has_credits_remaining: i.credits_remaining.is_some(),
            credits_remaining: i.credits_remaining.unwrap_or(0),
            has_credits_used: i.credits_used.is_some(),
            credits_used: i.credits_used.unwrap_or(0),
        }
    }
}

impl From<&ratecell_rate_limit_info> for RateLimitInfo {
    fn from(i: &ratecell_rate_limit_info) -> Self {
        let nanos = |has: bool, n: u64| has.then_some(Nanos::new(n));
        RateLimitInfo {
            limit: i.has_limit.then_some(i.limit),
            remaining: i.has_remaining.then_some(i.remaining),
            reset: nanos(i.has_reset, i.reset_ns),
            window: nanos(i.has_window, i.window_ns),
            retry_after: nanos(i.has_retry_after, i.retry_after_ns),
            credits_remaining: i.has_credits_remaining.then_some(i.credits_remaining),
            credits_used: i.has_credits_used.then_some(i.credits_used),
        }
    }
}

/// Bytes from a `(pointer, length)` pair of chars.
///
/// # Safety
/// As for `slice`.
unsafe fn bytes<'a>(p: *const c_char, len: usize) -> Result<&'a [u8], ratecell_status> {
    // SAFETY: per this function's contract.
    unsafe { slice(p.cast::<u8>(), len) }
}

/// Reads a response's header fields (`count` name/value pairs, names matched
/// case-insensitively) into `out`: every `RateLimit` draft, the legacy `X-RateLimit-*`
/// fields, `Retry-After` (seconds or an HTTP-date), `Date` and the credit fields. Malformed
/// fields are ignored, never an error. `unix_now_ns` (the wall-clock time in nanoseconds
/// since the Unix epoch) turns absolute times into delays when there is no `Date` field.
///
/// # Safety
/// `fields` is NULL (with `count` 0) or points to `count` fields whose pointers are valid for
/// their lengths; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_rate_limit_info_parse(
    fields: *const ratecell_header_field,
    count: usize,
    unix_now_ns: u64,
    out: *mut ratecell_rate_limit_info,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (fields, out) = unsafe { (slice(fields, count)?, arg_mut(out)?) };
        let mut parser = FieldParser::new();
        for field in fields {
            // SAFETY: per the contract, each field's pointers are valid for their lengths.
            let (name, value) = unsafe {
                (
                    bytes(field.name, field.name_len)?,
                    bytes(field.value, field.value_len)?,
                )
            };
            parser.field(name, value);
        }
        *out = parser.finish(Nanos::new(unix_now_ns)).into();
        Ok(())
    })
}

/// Parses a `Retry-After` value (delay-seconds or an HTTP-date) into a delay in nanoseconds.
/// An HTTP-date counts from the response's `Date` field when `date` is given (NULL with
/// `date_len` 0 when not), else from `unix_now_ns`; a date in the past is no delay. A value
/// that does not parse is `RATECELL_STATUS_PARSE_ERROR`.
///
/// # Safety
/// `value` and `date` are NULL (with length 0) or point to that many bytes; `out_ns` is NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_retry_after_parse(
    value: *const c_char,
    value_len: usize,
    date: *const c_char,
    date_len: usize,
    unix_now_ns: u64,
    out_ns: *mut u64,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (value, date, out) = unsafe {
            (
                bytes(value, value_len)?,
                bytes(date, date_len)?,
                arg_mut(out_ns)?,
            )
        };
        let date = (!date.is_empty()).then_some(date);
        let wait = parse_retry_after(value, date, Nanos::new(unix_now_ns))
            .ok_or(ratecell_status::ParseError)?;
        *out = wait.as_nanos();
        Ok(())
    })
}
