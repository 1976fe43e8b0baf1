//! `ratecell_quota`: limit per period with a burst, built from numbers or parsed from text.

use core::ffi::c_char;

use ratecell::Quota;

use crate::{arg_mut, c_str, guard, ratecell_status};

/// A validated quota: `limit` admissions per `period_ns` nanoseconds, capacity `burst`.
/// Fill it with `ratecell_quota_init` or `ratecell_quota_parse`; functions that take a quota
/// validate it again and return `RATECELL_STATUS_INVALID_QUOTA` for unusable numbers.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ratecell_quota {
    /// Admissions per period (at least 1).
    pub limit: u64,
    /// The period in nanoseconds (at least 1).
    pub period_ns: u64,
    /// How many unit requests a fresh key may make at one instant (at least 1; usually `limit`).
    pub burst: u64,
}

impl ratecell_quota {
    pub(crate) fn to_quota(self) -> Result<Quota, ratecell_status> {
        Quota::from_nanos(self.limit, self.period_ns)
            .and_then(|q| q.with_burst(self.burst))
            .map_err(|_| ratecell_status::InvalidQuota)
    }
}

impl From<Quota> for ratecell_quota {
    fn from(q: Quota) -> Self {
        ratecell_quota {
            limit: q.limit(),
            period_ns: q.period_nanos().as_nanos(),
            burst: q.burst(),
        }
    }
}

/// Validates `limit` per `period_ns` with capacity `burst` (pass `limit` for the usual
/// default) and writes the quota to `out`.
///
/// Returns `RATECELL_STATUS_INVALID_QUOTA` for a zero limit, period or burst, or a burst whose
/// refill time is not representable.
///
/// # Safety
/// `out` is NULL or points to writable memory for one `ratecell_quota`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_quota_init(
    limit: u64,
    period_ns: u64,
    burst: u64,
    out: *mut ratecell_quota,
) -> ratecell_status {
    guard(|| {
        // SAFETY: `out` is NULL or writable, per this function's contract.
        let out = unsafe { arg_mut(out) }?;
        let quota = ratecell_quota {
            limit,
            period_ns,
            burst,
        };
        quota.to_quota()?;
        *out = quota;
        Ok(())
    })
}

/// Parses a NUL-terminated quota string such as `"100/minute"`, `"1000 per hour"`, `"10/5s"`
/// or `"100/minute burst 120"` into `out`.
///
/// On `RATECELL_STATUS_PARSE_ERROR`, and only then, the byte offset of the problem is written
/// to `error_at` when it is not NULL. Zero limits or periods are `RATECELL_STATUS_INVALID_QUOTA`.
///
/// # Safety
/// `text` is NULL or a valid NUL-terminated string; `out` is NULL or writable; `error_at` is
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_quota_parse(
    text: *const c_char,
    out: *mut ratecell_quota,
    error_at: *mut usize,
) -> ratecell_status {
    guard(|| {
        // The string stays a raw pointer until `c_str`: a `&c_char` would only grant access
        // to its first byte.
        if text.is_null() {
            return Err(ratecell_status::NullArgument);
        }
        // SAFETY: `out` is NULL or writable, per the contract.
        let out = unsafe { arg_mut(out) }?;
        // SAFETY: non-NULL and NUL-terminated, per this function's contract.
        let text = unsafe { c_str(text) }?;
        match Quota::parse(text) {
            Ok(q) => {
                *out = q.into();
                Ok(())
            }
            // Numbers that parsed but make no quota: no offset, as documented.
            Err(e) if matches!(e.kind, ratecell::ParseErrorKind::Invalid(_)) => {
                Err(ratecell_status::InvalidQuota)
            }
            Err(e) => {
                // SAFETY: `error_at` is NULL or writable, per the contract.
                if let Ok(at) = unsafe { arg_mut(error_at) } {
                    *at = e.position;
                }
                Err(ratecell_status::ParseError)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_reads_the_whole_string_through_the_callers_pointer() {
        // Under Miri (`make miri`) this also proves that every byte of the string, not only
        // the first, is read through a pointer allowed to read it.
        let mut q = ratecell_quota::default();
        let mut at = 99;
        // SAFETY: a NUL-terminated string and two writable outputs.
        let status = unsafe {
            ratecell_quota_parse(c"100/minute burst 120".as_ptr(), &raw mut q, &raw mut at)
        };
        assert_eq!(status, ratecell_status::Ok);
        assert_eq!((q.limit, q.period_ns, q.burst), (100, 60_000_000_000, 120));
        // SAFETY: as above.
        let status = unsafe { ratecell_quota_parse(c"0/minute".as_ptr(), &raw mut q, &raw mut at) };
        assert_eq!(status, ratecell_status::InvalidQuota);
        assert_eq!(at, 99, "no offset for numbers that make no quota");
    }
}
