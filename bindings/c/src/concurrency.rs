//! Concurrency leases: at most `limit` requests in flight, one key per handle.

use ratecell::{DynConcurrency, Lease, Nanos};

use crate::decision::ratecell_decision;
use crate::{Handle, arg_mut, free_handle, guard, handle, handle_mut, ratecell_status};

/// A lease granted by `ratecell_concurrency_acquire`: plain data, copy it freely. It names a
/// slot and the serial number the slot was granted with, so releasing twice, or releasing
/// a lease that expired and whose slot was reused, never frees another holder's slot. The
/// all-zero lease is never granted.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ratecell_lease {
    /// The lease's serial number (never 0 for a granted lease).
    pub serial: u64,
    /// The slot it occupies.
    pub slot: u32,
}

impl From<Lease> for ratecell_lease {
    fn from(lease: Lease) -> Self {
        ratecell_lease {
            serial: lease.serial(),
            slot: lease.slot(),
        }
    }
}

impl From<ratecell_lease> for Lease {
    fn from(lease: ratecell_lease) -> Self {
        Lease::from_parts(lease.slot, lease.serial)
    }
}

/// One key's concurrency cap: at most `limit` live leases, each live for `ttl_ns` after its
/// acquisition or last renewal, so a holder that crashes cannot leak its slot. Created by
/// `ratecell_concurrency_new`, destroyed by `ratecell_concurrency_free`. Not thread-safe: use
/// it from one thread at a time (a lock around each call).
pub struct ratecell_concurrency {
    _private: [u8; 0],
}

impl Handle for ratecell_concurrency {
    type Inner = DynConcurrency;
    const MAGIC: u64 = u64::from_be_bytes(*b"rc:lease");
}

/// Creates a cap of `limit` concurrent leases (from 1 to 4096), each live for `ttl_ns` (at
/// least one nanosecond) unless renewed. Returns `RATECELL_STATUS_INVALID_QUOTA` otherwise.
/// Free the handle with `ratecell_concurrency_free`.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_concurrency_new(
    limit: u64,
    ttl_ns: u64,
    out: *mut *mut ratecell_concurrency,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or writable.
        let out = unsafe { arg_mut(out) }?;
        let leases = DynConcurrency::new(limit, Nanos::new(ttl_ns))
            .map_err(|_| ratecell_status::InvalidQuota)?;
        *out = ratecell_concurrency::into_handle(leases);
        Ok(())
    })
}

/// Frees a cap. `NULL` is a no-op; a handle of another kind is
/// `RATECELL_STATUS_INVALID_ARGUMENT` and is not freed.
///
/// # Safety
/// `concurrency` is NULL or a live handle, unused during and after the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_concurrency_free(
    concurrency: *mut ratecell_concurrency,
) -> ratecell_status {
    // SAFETY: per the contract.
    unsafe { free_handle(concurrency) }
}

/// Acquires a lease at `now_ns` if fewer than `limit` are live. Writes the decision to `out`
/// and the lease to `lease` (the all-zero lease when refused). A refusal's `retry_after_ns`
/// is the time until the earliest live lease expires.
///
/// # Safety
/// `concurrency` is NULL or a live handle not used concurrently; `out` and `lease` are NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_concurrency_acquire(
    concurrency: *mut ratecell_concurrency,
    now_ns: u64,
    out: *mut ratecell_decision,
    lease: *mut ratecell_lease,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (c, out, lease) = unsafe { (handle_mut(concurrency)?, arg_mut(out)?, arg_mut(lease)?) };
        let (decision, granted) = c.acquire(Nanos::new(now_ns));
        *out = decision.into();
        *lease = granted.map(ratecell_lease::from).unwrap_or_default();
        Ok(())
    })
}

/// Renews `lease` at `now_ns`: it now expires `ttl_ns` from `now_ns`. Writes to `renewed`
/// whether it was live (an expired, released or replaced lease is never resurrected).
///
/// # Safety
/// `concurrency` is NULL or a live handle not used concurrently; `renewed` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_concurrency_renew(
    concurrency: *mut ratecell_concurrency,
    lease: ratecell_lease,
    now_ns: u64,
    renewed: *mut bool,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (c, renewed) = unsafe { (handle_mut(concurrency)?, arg_mut(renewed)?) };
        *renewed = c.renew(lease.into(), Nanos::new(now_ns));
        Ok(())
    })
}

/// Releases `lease` at `now_ns`, freeing its slot. Writes to `released` whether it was live;
/// releasing twice, or a lease whose slot was reused, changes nothing and writes false.
///
/// # Safety
/// `concurrency` is NULL or a live handle not used concurrently; `released` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_concurrency_release(
    concurrency: *mut ratecell_concurrency,
    lease: ratecell_lease,
    now_ns: u64,
    released: *mut bool,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (c, released) = unsafe { (handle_mut(concurrency)?, arg_mut(released)?) };
        *released = c.release(lease.into(), Nanos::new(now_ns));
        Ok(())
    })
}

/// Acquires `cost` anonymous leases at once, which cannot be released and expire after
/// `ttl_ns` (in-flight admission without a handle to keep). `cost == 0` peeks; a cost above
/// the limit is `RATECELL_STATUS_INSUFFICIENT_CAPACITY`.
///
/// # Safety
/// `concurrency` is NULL or a live handle not used concurrently; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_concurrency_check(
    concurrency: *mut ratecell_concurrency,
    now_ns: u64,
    cost: u64,
    out: *mut ratecell_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (c, out) = unsafe { (handle_mut(concurrency)?, arg_mut(out)?) };
        *out = c.check(Nanos::new(now_ns), cost)?.into();
        Ok(())
    })
}

/// The key's standing at `now_ns` (`remaining` is how many more leases would be granted),
/// acquiring nothing.
///
/// # Safety
/// `concurrency` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_concurrency_peek(
    concurrency: *const ratecell_concurrency,
    now_ns: u64,
    out: *mut ratecell_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (c, out) = unsafe { (handle(concurrency)?, arg_mut(out)?) };
        *out = c.peek(Nanos::new(now_ns)).into();
        Ok(())
    })
}

/// Writes to `out` the number of leases live at `now_ns`.
///
/// # Safety
/// `concurrency` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_concurrency_live(
    concurrency: *const ratecell_concurrency,
    now_ns: u64,
    out: *mut u64,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (c, out) = unsafe { (handle(concurrency)?, arg_mut(out)?) };
        *out = c.live(Nanos::new(now_ns));
        Ok(())
    })
}

/// Writes to `out` whether no lease is live at `now_ns` and every serial the key issued is
/// in the past (so a new key would be indistinguishable).
///
/// # Safety
/// `concurrency` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_concurrency_is_fresh(
    concurrency: *const ratecell_concurrency,
    now_ns: u64,
    out: *mut bool,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (c, out) = unsafe { (handle(concurrency)?, arg_mut(out)?) };
        *out = c.is_fresh(Nanos::new(now_ns));
        Ok(())
    })
}

/// Frees every slot at once. Leases granted before stay stale: they never free a slot
/// granted after.
///
/// # Safety
/// `concurrency` is NULL or a live handle not used concurrently.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_concurrency_reset(
    concurrency: *mut ratecell_concurrency,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or valid.
        unsafe { handle_mut(concurrency) }?.reset();
        Ok(())
    })
}
