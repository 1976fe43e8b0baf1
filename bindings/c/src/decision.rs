//! `ratecell_decision`: the outcome every check writes.

use ratecell::{Decision, Nanos};

/// What a limiter decided about one request. A refusal is a value: `allowed` is false and
/// the call that produced it returned `RATECELL_STATUS_OK`.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ratecell_decision {
    /// The request was admitted and recorded.
    pub allowed: bool,
    /// The policy's capacity (its burst).
    pub limit: u64,
    /// Unit requests still admissible at this instant.
    pub remaining: u64,
    /// Nanoseconds until this same request would be admitted; 0 when it was.
    /// `UINT64_MAX` means never (no wait can help).
    pub retry_after_ns: u64,
    /// Nanoseconds until the key is back to a fresh state.
    pub reset_after_ns: u64,
}

impl From<Decision> for ratecell_decision {
    fn from(d: Decision) -> Self {
        ratecell_decision {
            allowed: d.allowed,
            limit: d.limit,
            remaining: d.remaining,
            retry_after_ns: d.retry_after.as_nanos(),
            reset_after_ns: d.reset_after.as_nanos(),
        }
    }
}

impl From<ratecell_decision> for Decision {
    fn from(d: ratecell_decision) -> Self {
        Decision {
            allowed: d.allowed,
            limit: d.limit,
            remaining: d.remaining,
            retry_after: Nanos::new(d.retry_after_ns),
            reset_after: Nanos::new(d.reset_after_ns),
        }
    }
}
