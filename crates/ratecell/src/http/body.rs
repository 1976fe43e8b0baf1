//! JSON error bodies for refused requests, in the shape API providers publish:
//!
//! - 429 Too Many Requests ([`RateLimitExceeded`]): waiting helps.
//!   `{"error":{"code":"rate_limit_exceeded","message":"...","type":"rate_limit_error",
//!   "details":{"limit":100,"remaining":0,"reset_at":"2025-01-26T12:00:12Z"}}}`
//! - 402 Payment Required ([`InsufficientCredits`]): waiting does not help; the client must
//!   top up its credits.
//!   `{"error":{"code":"insufficient_api_credits","message":"...","type":"permission_error"}}`
//!
//! Both are written through `Display` into any [`core::fmt::Write`], without allocation, as
//! one line of compact JSON. Custom messages are escaped as JSON strings.

use core::fmt::{self, Write as _};

use super::date::Rfc3339;
use super::headers::ResponseFields;

/// The body of a 429 response.
///
/// ```
/// use ratecell::{Decision, Nanos};
/// use ratecell::http::{HeaderStyle, Policy, RateLimitExceeded, ResponseFields};
///
/// let denied = Decision { allowed: false, limit: 100, remaining: 0,
///                         retry_after: Nanos::from_millis(11_500),
///                         reset_after: Nanos::from_millis(11_500) };
/// let policies = [Policy::new("api", denied)?.with_quota(100, Nanos::from_secs(60))];
/// let fields = ResponseFields::new(HeaderStyle::Legacy, &policies)
///     .with_unix_now(Nanos::from_secs(1_737_892_800)); // 2025-01-26T12:00:00Z
/// let body = RateLimitExceeded::from_fields(&fields).unwrap();
/// assert_eq!(body.to_string(), concat!(
///     r#"{"error":{"code":"rate_limit_exceeded","#,
///     r#""message":"Rate limit exceeded. Please retry after 12 seconds.","#,
///     r#""type":"rate_limit_error","#,
///     r#""details":{"limit":100,"remaining":0,"reset_at":"2025-01-26T12:00:12Z"}}}"#));
/// # Ok::<(), ratecell::http::FieldError>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct RateLimitExceeded<'a> {
    /// The quota of the policy that refused (`details.limit`).
    pub limit: u64,
    /// What remains under it (`details.remaining`).
    pub remaining: u64,
    /// Whole seconds to wait, for the default message (as in `Retry-After`).
    pub retry_after_secs: u64,
    /// The Unix second at which the policy is fresh again (`details.reset_at`, written in
    /// RFC 3339).
    pub reset_at: u64,
    /// A message replacing the default `Rate limit exceeded. Please retry after N seconds.`
    pub message: Option<&'a str>,
}

impl<'a> RateLimitExceeded<'a> {
    /// The body for a refusal described by `fields`: the binding policy's quota and
    /// standing, its reset time, and the `Retry-After` delay. `None` when the request was
    /// admitted, when no wait can admit it (answer 402), or without
    /// [`ResponseFields::with_unix_now`].
    pub fn from_fields(fields: &ResponseFields<'_>) -> Option<RateLimitExceeded<'a>> {
        let retry_after = fields.retry_after()?;
        let policy = fields.binding()?;
        Some(RateLimitExceeded {
            limit: policy.quota(),
            remaining: policy.decision().remaining,
            retry_after_secs: retry_after.as_secs_ceil(),
            reset_at: fields.reset_at()?,
            message: None,
        })
    }

    /// The same body with a custom message.
    #[must_use]
    pub const fn with_message(self, message: &'a str) -> RateLimitExceeded<'a> {
        RateLimitExceeded {
            message: Some(message),
            ..self
        }
    }
}

impl fmt::Display for RateLimitExceeded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"{"error":{"code":"rate_limit_exceeded","message":""#)?;
        if let Some(m) = self.message {
            json_escaped(m, f)?;
        } else {
            let n = self.retry_after_secs;
            let unit = if n == 1 { "second" } else { "seconds" };
            write!(f, "Rate limit exceeded. Please retry after {n} {unit}.")?;
        }
        write!(
            f,
            r#"","type":"rate_limit_error","details":{{"limit":{},"remaining":{},"reset_at":"{}"}}}}}}"#,
            self.limit,
            self.remaining,
            Rfc3339(self.reset_at)
        )
    }
}

/// The body of a 402 response: the client's credits are exhausted.
///
/// ```
/// use ratecell::http::InsufficientCredits;
///
/// assert_eq!(InsufficientCredits::new().to_string(), concat!(
///     r#"{"error":{"code":"insufficient_api_credits","#,
///     r#""message":"API credits exhausted. Purchase more credits to continue.","#,
///     r#""type":"permission_error"}}"#));
/// assert_eq!(InsufficientCredits::with_message("Top up \"now\"").to_string(), concat!(
///     r#"{"error":{"code":"insufficient_api_credits","message":"Top up \"now\"","#,
///     r#""type":"permission_error"}}"#));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct InsufficientCredits<'a> {
    message: &'a str,
}

impl<'a> InsufficientCredits<'a> {
    /// The default message: `API credits exhausted. Purchase more credits to continue.`
    pub const fn new() -> InsufficientCredits<'static> {
        InsufficientCredits {
            message: "API credits exhausted. Purchase more credits to continue.",
        }
    }

    /// A custom message.
    pub const fn with_message(message: &'a str) -> InsufficientCredits<'a> {
        InsufficientCredits { message }
    }
}

impl Default for InsufficientCredits<'static> {
    fn default() -> Self {
        InsufficientCredits::new()
    }
}

impl fmt::Display for InsufficientCredits<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"{"error":{"code":"insufficient_api_credits","message":""#)?;
        json_escaped(self.message, f)?;
        f.write_str(r#"","type":"permission_error"}}"#)
    }
}

/// The contents of a JSON string: `"`, `\` and control characters escaped (RFC 8259).
fn json_escaped(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if u32::from(c) < 0x20 || c == '\u{7f}' => write!(f, "\\u{:04x}", u32::from(c))?,
            c => f.write_char(c)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn messages_are_escaped_and_singular_seconds_read_well() {
        let body = RateLimitExceeded {
            limit: 1,
            remaining: 0,
            retry_after_secs: 1,
            reset_at: 0,
            message: None,
        };
        assert!(body.to_string().contains("retry after 1 second."));
        let custom = body.with_message("a\u{1}b\\");
        assert!(custom.to_string().contains(r#""message":"a\u0001b\\""#));
    }
}
