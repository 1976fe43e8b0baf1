//! Sliding logs: exact over every window, one key per handle, the log sized at runtime.

use ratecell::{DynSlidingLog, Nanos};

use crate::decision::ratecell_decision;
use crate::quota::ratecell_quota;
use crate::{Handle, arg, arg_mut, free_handle, guard, handle, handle_mut, ratecell_status};

/// One key's sliding log: the instants and costs of the requests it admitted within the last
/// `period_ns`, so that no window of that length ever holds more than `limit`. Created by
/// `ratecell_sliding_log_new`, destroyed by `ratecell_sliding_log_free`. Not thread-safe: use
/// it from one thread at a time (a lock around each call).
pub struct ratecell_sliding_log {
    _private: [u8; 0],
}

impl Handle for ratecell_sliding_log {
    type Inner = DynSlidingLog;
    const MAGIC: u64 = u64::from_be_bytes(*b"rc:slog\0");
}

/// Creates a log for `quota` (`quota->limit` per `quota->period_ns`; `burst` is not used)
/// with room for at least `entries` requests, or `quota->limit` when `entries` is 0 (exact).
/// Room is rounded up to 4, 16, 64, 256, 1024 or 4096 entries of 16 bytes.
///
/// Returns `RATECELL_STATUS_INVALID_QUOTA` for an unusable quota or more than 4096 entries
/// (use a sliding window counter above that). Free the handle with `ratecell_sliding_log_free`.
///
/// # Safety
/// `quota` is NULL or valid; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_sliding_log_new(
    quota: *const ratecell_quota,
    entries: usize,
    out: *mut *mut ratecell_sliding_log,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, both are NULL or valid.
        let (quota, out) = unsafe { (arg(quota)?, arg_mut(out)?) };
        let quota = quota.to_quota()?;
        let log = if entries == 0 {
            DynSlidingLog::exact(quota)
        } else {
            DynSlidingLog::with_entries(quota, entries)
        }
        .map_err(|_| ratecell_status::InvalidQuota)?;
        *out = ratecell_sliding_log::into_handle(log);
        Ok(())
    })
}

/// Frees a log. `NULL` is a no-op; a handle of another kind is
/// `RATECELL_STATUS_INVALID_ARGUMENT` and is not freed.
///
/// # Safety
/// `log` is NULL or a live handle from `ratecell_sliding_log_new`, unused during and after
/// the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_sliding_log_free(
    log: *mut ratecell_sliding_log,
) -> ratecell_status {
    // SAFETY: per the contract.
    unsafe { free_handle(log) }
}

/// Decides a request of `cost` at `now_ns` and logs it when admitted.
///
/// `cost == 0` peeks. A cost above the limit is `RATECELL_STATUS_INSUFFICIENT_CAPACITY` and
/// changes nothing. A full log is not an error: the request waits for the oldest entry.
///
/// # Safety
/// `log` is NULL or a live handle not used concurrently; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_sliding_log_check(
    log: *mut ratecell_sliding_log,
    now_ns: u64,
    cost: u64,
    out: *mut ratecell_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (log, out) = unsafe { (handle_mut(log)?, arg_mut(out)?) };
        *out = log.check(Nanos::new(now_ns), cost)?.into();
        Ok(())
    })
}

/// The key's standing at `now_ns` without logging anything.
///
/// # Safety
/// `log` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_sliding_log_peek(
    log: *const ratecell_sliding_log,
    now_ns: u64,
    out: *mut ratecell_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (log, out) = unsafe { (handle(log)?, arg_mut(out)?) };
        *out = log.peek(Nanos::new(now_ns)).into();
        Ok(())
    })
}

/// Forgets every logged request: the key is fresh.
///
/// # Safety
/// `log` is NULL or a live handle not used concurrently.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_sliding_log_reset(
    log: *mut ratecell_sliding_log,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or valid.
        unsafe { handle_mut(log) }?.reset();
        Ok(())
    })
}

/// Writes to `out` whether no logged request is inside the window at `now_ns`.
///
/// # Safety
/// `log` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_sliding_log_is_fresh(
    log: *const ratecell_sliding_log,
    now_ns: u64,
    out: *mut bool,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (log, out) = unsafe { (handle(log)?, arg_mut(out)?) };
        *out = log.is_fresh(Nanos::new(now_ns));
        Ok(())
    })
}

/// Writes to `out` the room in the log: the number of entries it was sized for.
///
/// # Safety
/// `log` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_sliding_log_entries(
    log: *const ratecell_sliding_log,
    out: *mut usize,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (log, out) = unsafe { (handle(log)?, arg_mut(out)?) };
        *out = log.entries();
        Ok(())
    })
}
