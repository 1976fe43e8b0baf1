//! JSON error bodies: 429 Too Many Requests and 402 Payment Required.

use core::ffi::c_char;

use ratecell::http::{InsufficientCredits, RateLimitExceeded};

use super::{ratecell_headers, write_text};
use crate::{arg, c_str, guard, ratecell_status};

/// An optional message: NULL for the default.
///
/// # Safety
/// `p` is NULL or NUL-terminated.
unsafe fn message<'a>(p: *const c_char) -> Result<Option<&'a str>, ratecell_status> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL, so NUL-terminated per the contract.
    unsafe { c_str(p) }.map(Some)
}

/// Writes the JSON body of a 429 response for the refusal `headers` describe (the binding
/// policy's quota and standing, its `reset_at` and the `Retry-After` delay) into `buf`,
/// NUL-terminated, and its length to `len` (see `ratecell_headers_write` for a buffer too
/// small). `message` replaces the default "Rate limit exceeded. Please retry after N
/// seconds." when not NULL; it is escaped as a JSON string.
///
/// Returns `RATECELL_STATUS_NOT_APPLICABLE` when there is no such body: every policy
/// admitted, no wait can admit the request (answer 402), or `headers->has_unix_now` is false.
///
/// # Safety
/// `headers` is NULL or valid; `message` is NULL or NUL-terminated; `buf` is NULL or points
/// to `buf_cap` writable bytes; `len` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_rate_limit_exceeded_write(
    headers: *const ratecell_headers,
    message: *const c_char,
    buf: *mut c_char,
    buf_cap: usize,
    len: *mut usize,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (headers, message) = unsafe { (arg(headers)?, self::message(message)?) };
        // SAFETY: per the contract, the policies are valid.
        let body = unsafe {
            headers.with(|fields| {
                RateLimitExceeded::from_fields(fields).map(|body| match message {
                    Some(m) => body.with_message(m).to_string(),
                    None => body.to_string(),
                })
            })
        }?
        .ok_or(ratecell_status::NotApplicable)?;
        // SAFETY: per the contract.
        unsafe { write_text(&body, buf, buf_cap, len) }
    })
}

/// Writes the JSON body of a 402 response (the credits are exhausted; no wait helps) into
/// `buf`, NUL-terminated, and its length to `len`. `message` replaces the default "API
/// credits exhausted. Purchase more credits to continue." when not NULL.
///
/// # Safety
/// `message` is NULL or NUL-terminated; `buf` is NULL or points to `buf_cap` writable bytes;
/// `len` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_insufficient_credits_write(
    message: *const c_char,
    buf: *mut c_char,
    buf_cap: usize,
    len: *mut usize,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or NUL-terminated.
        let body = match unsafe { self::message(message) }? {
            Some(m) => InsufficientCredits::with_message(m).to_string(),
            None => InsufficientCredits::new().to_string(),
        };
        // SAFETY: per the contract.
        unsafe { write_text(&body, buf, buf_cap, len) }
    })
}
