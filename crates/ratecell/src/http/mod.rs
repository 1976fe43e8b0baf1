//! HTTP semantics: response header fields from [`Decision`]s, error bodies, and the parsers a
//! client needs to read them back.
//!
//! # Server side
//!
//! A [`Policy`] describes one limit a request passed through (its name, the quota it
//! advertises, its window, its unit) together with the [`Decision`] taken under it. A slice
//! of policies (one, or several when a request is checked against several limits at once)
//! becomes header fields in one of five [`HeaderStyle`]s:
//!
//! | style | fields |
//! |---|---|
//! | `ietf` | `RateLimit-Policy: "name";q=100;w=60` and `RateLimit: "name";r=5;t=30` (draft-ietf-httpapi-ratelimit-headers-09 and later) |
//! | `draft-8` | `RateLimit-Policy: "name"; q=100; w=60` and `RateLimit: "name"; r=5; t=30`, spaced as express-rate-limit writes them |
//! | `draft-7` | `RateLimit-Policy: 100;w=60` and `RateLimit: limit=100, remaining=5, reset=30` |
//! | `draft-6` | `RateLimit-Policy`, `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` |
//! | `legacy` | `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (Unix seconds) |
//!
//! Every denial that waiting can cure adds `Retry-After` in whole seconds, rounded up, so a
//! client that waits exactly that long is admitted. Credit balances add
//! `X-API-Credits-Remaining` and `X-API-Credits-Used`. The [`body`] module writes the JSON
//! bodies of 429 and 402 responses.
//!
//! ```
//! use ratecell::{Gcra, GcraState, Nanos, Quota};
//! use ratecell::http::{HeaderStyle, Policy, ResponseFields};
//!
//! let quota = Quota::parse("100/minute")?;
//! let gcra = Gcra::new(quota);
//! let mut key = GcraState::default();
//! let decision = gcra.check(&mut key, Nanos::ZERO, 1)?;
//!
//! let policies = [Policy::from_quota("default", &quota, decision)?];
//! let fields = ResponseFields::new("ietf".parse()?, &policies);
//! let mut lines = Vec::new();
//! fields.for_each(|name, value| lines.push(format!("{name}: {value}")))?;
//! assert_eq!(lines, [
//!     r#"RateLimit-Policy: "default";q=100;w=60"#,
//!     r#"RateLimit: "default";r=99;t=1"#,
//! ]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Client side
//!
//! [`RateLimitInfo::from_fields`] reads every form above (and the `Retry-After` and `Date`
//! fields) from a response, case-insensitively, ignoring malformed fields as the drafts
//! require. The [`client`](crate::client) module turns what it finds into waits.
//!
//! # Conventions
//!
//! - Seconds on the wire are whole and rounded up from exact nanoseconds: `Retry-After`,
//!   reset times (`t`, `reset`, `RateLimit-Reset`, `X-RateLimit-Reset`) and windows (`w`).
//!   A client that trusts them is never early.
//! - Nothing allocates: values are written into any [`core::fmt::Write`] or into a caller's
//!   buffer, and parsers borrow the bytes they are given.
//! - Parsers never panic and never fail a caller: what they cannot read, they leave out.

pub mod advert;
pub mod body;
pub mod date;
pub mod headers;
pub mod parse;
pub(crate) mod sf;

use core::fmt;
use core::str::FromStr;

use crate::decision::Decision;
use crate::quota::Quota;
use crate::time::Nanos;

pub use advert::{Advert, Advertised};
pub use body::{InsufficientCredits, RateLimitExceeded};
pub use date::{HttpDate, Rfc3339, parse_http_date};
pub use headers::{CreditBalance, Field, ResponseFields};
pub use parse::{FieldParser, RateLimitInfo, parse_retry_after};

/// The header fields a server writes: one of the `RateLimit` drafts, or the legacy `X-` form.
///
/// Parsed from the names used by express-rate-limit's `standardHeaders` option (and
/// `"ietf"`, `"legacy"`), case-insensitively.
///
/// ```
/// use ratecell::http::HeaderStyle;
/// assert_eq!("draft-7".parse(), Ok(HeaderStyle::Draft7));
/// assert_eq!("IETF".parse(), Ok(HeaderStyle::Ietf));
/// assert_eq!(HeaderStyle::Legacy.to_string(), "legacy");
/// assert!("draft-5".parse::<HeaderStyle>().is_err());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderStyle {
    /// `RateLimit-Policy` and `RateLimit` as Lists of named Items (draft-ietf-httpapi-
    /// ratelimit-headers-09 and later): `"name";q=100;w=60` and `"name";r=5;t=30`.
    Ietf,
    /// The eighth draft as express-rate-limit writes it: `"name"; q=100; w=60` and
    /// `"name"; r=5; t=30`.
    Draft8,
    /// The seventh draft: `RateLimit-Policy: 100;w=60` and a `RateLimit` Dictionary
    /// `limit=100, remaining=5, reset=30`.
    Draft7,
    /// The sixth draft: `RateLimit-Policy`, `RateLimit-Limit`, `RateLimit-Remaining` and
    /// `RateLimit-Reset` (omitted when zero, as express-rate-limit does).
    Draft6,
    /// `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` as Unix seconds.
    Legacy,
}

impl HeaderStyle {
    /// Every style, in the order of the table in the module documentation.
    pub const ALL: [HeaderStyle; 5] = [
        HeaderStyle::Ietf,
        HeaderStyle::Draft8,
        HeaderStyle::Draft7,
        HeaderStyle::Draft6,
        HeaderStyle::Legacy,
    ];

    /// The style's name: `"ietf"`, `"draft-8"`, `"draft-7"`, `"draft-6"` or `"legacy"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            HeaderStyle::Ietf => "ietf",
            HeaderStyle::Draft8 => "draft-8",
            HeaderStyle::Draft7 => "draft-7",
            HeaderStyle::Draft6 => "draft-6",
            HeaderStyle::Legacy => "legacy",
        }
    }
}

impl fmt::Display for HeaderStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HeaderStyle {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<HeaderStyle, FieldError> {
        HeaderStyle::ALL
            .into_iter()
            .find(|style| style.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or(FieldError::UnknownStyle)
    }
}

/// What a quota counts (the `qu` parameter of the IETF form).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum QuotaUnit {
    /// Requests processed: the default, so it is not written.
    #[default]
    Requests,
    /// Content bytes processed.
    ContentBytes,
    /// Requests processed at the same time.
    ConcurrentRequests,
}

impl QuotaUnit {
    /// The registered name: `"requests"`, `"content-bytes"` or `"concurrent-requests"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            QuotaUnit::Requests => "requests",
            QuotaUnit::ContentBytes => "content-bytes",
            QuotaUnit::ConcurrentRequests => "concurrent-requests",
        }
    }
}

/// One limit a request was checked against, as advertised to clients: a name, the quota
/// (`quota` units per `window`), the unit, an optional partition key, and the decision.
///
/// Header "limit" values (`q`, `limit=`, `RateLimit-Limit`, `X-RateLimit-Limit`) carry
/// `quota`; "remaining" and reset values come from the decision. For a [`Quota`] with a
/// burst, [`Policy::from_quota`] advertises the sustained rate (`100/minute burst 120` is
/// `q=100;w=60`), while `remaining` may reach the burst.
///
/// ```
/// use ratecell::{Decision, Nanos, Quota};
/// use ratecell::http::{Policy, QuotaUnit};
///
/// let d = Decision { allowed: true, limit: 120, remaining: 119, retry_after: Nanos::ZERO,
///                    reset_after: Nanos::from_millis(600) };
/// let p = Policy::from_quota("free", &Quota::parse("100/minute burst 120")?, d)?
///     .with_unit(QuotaUnit::Requests);
/// assert_eq!((p.name(), p.quota(), p.window()), ("free", 100, Nanos::from_secs(60)));
/// assert!(Policy::new("bad\nname", d).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Policy<'a> {
    name: &'a str,
    quota: u64,
    window: Nanos,
    unit: QuotaUnit,
    partition_key: Option<&'a [u8]>,
    decision: Decision,
}

impl<'a> Policy<'a> {
    /// A policy advertising the decision's own capacity (`decision.limit`) with no window.
    /// Set one with [`Policy::with_quota`].
    ///
    /// The name becomes a Structured Field String: it must be printable ASCII (space
    /// through `~`), or this is [`FieldError::InvalidPolicyName`].
    pub fn new(name: &'a str, decision: Decision) -> Result<Policy<'a>, FieldError> {
        if !name.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Err(FieldError::InvalidPolicyName);
        }
        Ok(Policy {
            name,
            quota: decision.limit,
            window: Nanos::ZERO,
            unit: QuotaUnit::Requests,
            partition_key: None,
            decision,
        })
    }

    /// A policy advertising `quota.limit()` per `quota.period()`.
    pub fn from_quota(
        name: &'a str,
        quota: &Quota,
        decision: Decision,
    ) -> Result<Policy<'a>, FieldError> {
        Ok(Policy::new(name, decision)?.with_quota(quota.limit(), quota.period_nanos()))
    }

    /// Advertises `quota` units per `window` (written in whole seconds, rounded up; a zero
    /// window is not written).
    #[must_use]
    pub const fn with_quota(self, quota: u64, window: Nanos) -> Policy<'a> {
        Policy {
            quota,
            window,
            ..self
        }
    }

    /// Sets what the quota counts.
    #[must_use]
    pub const fn with_unit(self, unit: QuotaUnit) -> Policy<'a> {
        Policy { unit, ..self }
    }

    /// Adds a partition key, written as a Byte Sequence (`pk=:base64:`) in the IETF and
    /// draft-8 `RateLimit-Policy` fields. express-rate-limit's draft-8 key is the first 12
    /// hex digits of the SHA-256 of the client key, as ASCII.
    #[must_use]
    pub const fn with_partition_key(self, key: &'a [u8]) -> Policy<'a> {
        Policy {
            partition_key: Some(key),
            ..self
        }
    }

    /// The policy's name.
    pub const fn name(&self) -> &'a str {
        self.name
    }

    /// The advertised quota, in units per window.
    pub const fn quota(&self) -> u64 {
        self.quota
    }

    /// The advertised window.
    pub const fn window(&self) -> Nanos {
        self.window
    }

    /// What the quota counts.
    pub const fn unit(&self) -> QuotaUnit {
        self.unit
    }

    /// The partition key, if any.
    pub const fn partition_key(&self) -> Option<&'a [u8]> {
        self.partition_key
    }

    /// The decision taken under this policy.
    pub const fn decision(&self) -> &Decision {
        &self.decision
    }
}

/// Why header fields could not be produced.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldError {
    /// A policy name contains a character a Structured Field String cannot carry (anything
    /// outside printable ASCII).
    InvalidPolicyName,
    /// A field value is longer than the buffer it was to be written into.
    BufferTooSmall {
        /// The bytes the value needs.
        needed: usize,
    },
    /// A header style name is none of `ietf`, `draft-8`, `draft-7`, `draft-6`, `legacy`.
    UnknownStyle,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldError::InvalidPolicyName => {
                f.write_str("a policy name must be printable ASCII (space through '~')")
            }
            FieldError::BufferTooSmall { needed } => {
                write!(
                    f,
                    "a header field value needs {needed} bytes, more than the buffer holds"
                )
            }
            FieldError::UnknownStyle => f.write_str(
                "unknown header style: expected ietf, draft-8, draft-7, draft-6 or legacy",
            ),
        }
    }
}

impl core::error::Error for FieldError {}
