//! HTTP: response header fields from decisions, error bodies, and the parsers a client needs.

mod body;
mod headers;
mod parse;

pub use body::*;
pub use headers::*;
pub use parse::*;

use core::ffi::c_char;

use ratecell::Nanos;
use ratecell::http::{CreditBalance, HeaderStyle, Policy, QuotaUnit, ResponseFields};

use crate::decision::ratecell_decision;
use crate::{c_str, known, ratecell_status, slice};

/// The header fields a server writes (pass one of these as a `uint32_t`).
#[repr(u32)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ratecell_header_style {
    /// `RateLimit-Policy: "name";q=100;w=60` and `RateLimit: "name";r=5;t=30`.
    Ietf = 0,
    /// The same, spaced as express-rate-limit's draft-8 writes it.
    Draft8 = 1,
    /// `RateLimit-Policy: 100;w=60` and `RateLimit: limit=100, remaining=5, reset=30`.
    Draft7 = 2,
    /// `RateLimit-Policy`, `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`.
    Draft6 = 3,
    /// `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (Unix seconds).
    Legacy = 4,
}

/// What a policy's quota counts (pass one of these as a `uint32_t`).
#[repr(u32)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ratecell_quota_unit {
    /// Requests (the default, not written).
    Requests = 0,
    /// Content bytes.
    ContentBytes = 1,
    /// Requests processed at the same time.
    ConcurrentRequests = 2,
}

pub(crate) fn style(value: u32) -> Result<HeaderStyle, ratecell_status> {
    known(
        value,
        &[
            (ratecell_header_style::Ietf as u32, HeaderStyle::Ietf),
            (ratecell_header_style::Draft8 as u32, HeaderStyle::Draft8),
            (ratecell_header_style::Draft7 as u32, HeaderStyle::Draft7),
            (ratecell_header_style::Draft6 as u32, HeaderStyle::Draft6),
            (ratecell_header_style::Legacy as u32, HeaderStyle::Legacy),
        ],
    )
}

fn unit(value: u32) -> Result<QuotaUnit, ratecell_status> {
    known(
        value,
        &[
            (ratecell_quota_unit::Requests as u32, QuotaUnit::Requests),
            (
                ratecell_quota_unit::ContentBytes as u32,
                QuotaUnit::ContentBytes,
            ),
            (
                ratecell_quota_unit::ConcurrentRequests as u32,
                QuotaUnit::ConcurrentRequests,
            ),
        ],
    )
}

/// One header field as a name and a value, each a pointer and a length (not necessarily
/// NUL-terminated when read; NUL-terminated when ratecell writes them).
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct ratecell_header_field {
    /// The field name.
    pub name: *const c_char,
    /// Its length in bytes.
    pub name_len: usize,
    /// The field value.
    pub value: *const c_char,
    /// Its length in bytes.
    pub value_len: usize,
}

/// One limit a request was checked against, as advertised to clients. Fill it by hand or
/// with `ratecell_header_policy_init`; the pointers are borrowed, not copied.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct ratecell_header_policy {
    /// The policy's name: a NUL-terminated string of printable ASCII (space through `~`).
    pub name: *const c_char,
    /// The advertised quota: units per window (`q`, `limit=`, `X-RateLimit-Limit`).
    pub quota: u64,
    /// The advertised window in nanoseconds (written in whole seconds, rounded up; 0: not
    /// written).
    pub window_ns: u64,
    /// What the quota counts: one of `RATECELL_QUOTA_UNIT_*`.
    pub unit: u32,
    /// An optional partition key (`pk=:base64:`), or NULL with `partition_key_len` 0.
    pub partition_key: *const u8,
    /// Its length in bytes.
    pub partition_key_len: usize,
    /// The decision taken under this policy.
    pub decision: ratecell_decision,
}

/// The rate-limit header fields of one response: a style, the policies the request was
/// checked against, and optionally the wall-clock time and a credit balance. Plain data,
/// filled by the caller; every function that takes it validates it.
#[repr(C)]
#[derive(Copy, Clone, Debug)]
pub struct ratecell_headers {
    /// One of `RATECELL_HEADER_STYLE_*`.
    pub style: u32,
    /// The policies, in order (NULL with `policy_count` 0 for none: only credit fields).
    pub policies: *const ratecell_header_policy,
    /// How many.
    pub policy_count: usize,
    /// Whether `unix_now_ns` is set. The legacy `X-RateLimit-Reset` and the 429 body's
    /// `reset_at` need it.
    pub has_unix_now: bool,
    /// The wall-clock time of the decisions, in nanoseconds since the Unix epoch.
    pub unix_now_ns: u64,
    /// Whether to write `X-API-Credits-Remaining` and `X-API-Credits-Used`.
    pub has_credits: bool,
    /// Credits left.
    pub credits_remaining: u64,
    /// Credits spent.
    pub credits_used: u64,
}

impl ratecell_header_policy {
    /// The core's policy, borrowing the caller's strings.
    ///
    /// # Safety
    /// `name` is NULL or NUL-terminated; `partition_key` is NULL or points to
    /// `partition_key_len` bytes; both outlive `'a`.
    unsafe fn policy<'a>(&self) -> Result<Policy<'a>, ratecell_status> {
        // SAFETY: per this function's contract.
        let (name, key) = unsafe {
            (
                c_str(self.name)?,
                slice(self.partition_key, self.partition_key_len)?,
            )
        };
        let policy = Policy::new(name, self.decision.into())
            .map_err(|_| ratecell_status::InvalidArgument)?
            .with_quota(self.quota, Nanos::new(self.window_ns))
            .with_unit(unit(self.unit)?);
        Ok(if self.partition_key.is_null() {
            policy
        } else {
            policy.with_partition_key(key)
        })
    }
}

impl ratecell_headers {
    /// Runs `f` with the core's view of these headers.
    ///
    /// # Safety
    /// `policies` is NULL (with `policy_count` 0) or points to `policy_count` valid policies,
    /// each of whose pointers is valid as `ratecell_header_policy` requires.
    pub(crate) unsafe fn with<R>(
        &self,
        f: impl FnOnce(&ResponseFields<'_>) -> R,
    ) -> Result<R, ratecell_status> {
        let style = style(self.style)?;
        // SAFETY: per this function's contract.
        let given = unsafe { slice(self.policies, self.policy_count) }?;
        let policies = given
            .iter()
            // SAFETY: each policy's pointers are valid per this function's contract.
            .map(|p| unsafe { p.policy() })
            .collect::<Result<Vec<_>, _>>()?;
        let mut fields = ResponseFields::new(style, &policies);
        if self.has_unix_now {
            fields = fields.with_unix_now(Nanos::new(self.unix_now_ns));
        }
        if self.has_credits {
            fields = fields.with_credits(CreditBalance {
                remaining: self.credits_remaining,
                used: self.credits_used,
            });
        }
        Ok(f(&fields))
    }
}

/// Writes `text` and a NUL into `buf[0..cap]`, and its length (without the NUL) to `len`,
/// which is written even when `buf` is too small.
///
/// # Safety
/// `buf` is NULL (with `cap` 0) or points to `cap` writable bytes; `len` is NULL or writable.
pub(crate) unsafe fn write_text(
    text: &str,
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> Result<(), ratecell_status> {
    // SAFETY: per this function's contract.
    let (buf, len) = unsafe { (crate::buffer(buf.cast::<u8>(), cap)?, crate::arg_mut(len)?) };
    *len = text.len();
    if buf.len() <= text.len() {
        return Err(ratecell_status::BufferTooSmall);
    }
    crate::fill(buf, text.as_bytes())?;
    crate::fill(&mut buf[text.len()..], &[0])
}
