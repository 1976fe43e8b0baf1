//! GCRA with caller-owned policy and state: no allocation, placeable in a `static`.

use ratecell::{Gcra, GcraState, Nanos};

use crate::decision::ratecell_decision;
use crate::quota::ratecell_quota;
use crate::{arg, arg_mut, guard, ratecell_status};

/// A compiled GCRA policy: plain data the caller owns (a local, a `static`, shared memory).
/// Initialise it with `ratecell_gcra_init`; its contents are private. Immutable after
/// initialisation, so one policy may serve any number of states and threads.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct ratecell_gcra {
    /// Private: the exact tick arithmetic of the policy.
    pub opaque: [u64; 6],
}

/// One key's GCRA state: 8 bytes. All-zero (`{0}`) is a fresh key. Owned by the caller; use
/// a lock to share one state between threads.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct ratecell_gcra_state {
    /// Private: the theoretical arrival time in ticks.
    pub opaque: u64,
}

impl ratecell_gcra {
    pub(crate) fn policy(&self) -> Result<Gcra, ratecell_status> {
        Gcra::from_raw(self.opaque).ok_or(ratecell_status::InvalidArgument)
    }
}

/// Compiles `quota` into `out`. Returns `RATECELL_STATUS_INVALID_QUOTA` for an unusable quota.
///
/// # Safety
/// `quota` is NULL or a valid `ratecell_quota`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_gcra_init(
    quota: *const ratecell_quota,
    out: *mut ratecell_gcra,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, both are NULL or valid.
        let (quota, out) = unsafe { (arg(quota)?, arg_mut(out)?) };
        *out = ratecell_gcra {
            opaque: Gcra::new(quota.to_quota()?).to_raw(),
        };
        Ok(())
    })
}

/// Decides a request of `cost` at `now_ns` and records it in `state` when admitted.
///
/// `cost == 0` peeks. A cost above the burst is `RATECELL_STATUS_INSUFFICIENT_CAPACITY` and
/// changes nothing. A refusal returns OK with `out->allowed == false`.
///
/// # Safety
/// `gcra` is NULL or initialised by `ratecell_gcra_init`; `state` is NULL or a valid state not
/// used concurrently; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_gcra_check(
    gcra: *const ratecell_gcra,
    state: *mut ratecell_gcra_state,
    now_ns: u64,
    cost: u64,
    out: *mut ratecell_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (gcra, state, out) = unsafe { (arg(gcra)?, arg_mut(state)?, arg_mut(out)?) };
        let policy = gcra.policy()?;
        let (decision, next) =
            policy.decide(GcraState::from_bits(state.opaque), Nanos::new(now_ns), cost)?;
        state.opaque = next.to_bits();
        *out = decision.into();
        Ok(())
    })
}

/// The key's standing at `now_ns` without recording anything.
///
/// # Safety
/// `gcra` is NULL or initialised; `state` is NULL or valid; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_gcra_peek(
    gcra: *const ratecell_gcra,
    state: *const ratecell_gcra_state,
    now_ns: u64,
    out: *mut ratecell_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (gcra, state, out) = unsafe { (arg(gcra)?, arg(state)?, arg_mut(out)?) };
        let policy = gcra.policy()?;
        *out = policy
            .peek(&GcraState::from_bits(state.opaque), Nanos::new(now_ns))
            .into();
        Ok(())
    })
}

/// Resets `state` to a fresh key.
///
/// # Safety
/// `state` is NULL or a valid state not used concurrently.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_gcra_reset(state: *mut ratecell_gcra_state) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or valid.
        let state = unsafe { arg_mut(state) }?;
        state.opaque = GcraState::FRESH.to_bits();
        Ok(())
    })
}

/// Writes to `out` whether `state` at `now_ns` is indistinguishable from a fresh key (so its
/// storage may be reused).
///
/// # Safety
/// `gcra` is NULL or initialised; `state` is NULL or valid; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_gcra_is_fresh(
    gcra: *const ratecell_gcra,
    state: *const ratecell_gcra_state,
    now_ns: u64,
    out: *mut bool,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (gcra, state, out) = unsafe { (arg(gcra)?, arg(state)?, arg_mut(out)?) };
        *out = gcra
            .policy()?
            .is_fresh(&GcraState::from_bits(state.opaque), Nanos::new(now_ns));
        Ok(())
    })
}
