//! Burst tiers (a sustained rate and a short-term peak) with caller-owned policy and state:
//! no allocation, placeable in a `static`.

use ratecell::{Burst, BurstState, Nanos};

use crate::decision::ratecell_decision;
use crate::quota::ratecell_quota;
use crate::{arg, arg_mut, guard, ratecell_status};

/// A compiled burst tier: `limit` per `period_ns` sustained, and `burst` per `period_ns`
/// over any `burst_window_ns` (two exact GCRA buckets, both admit or neither records). Plain
/// data the caller owns; initialise it with `ratecell_burst_init`; its contents are private.
/// Immutable after initialisation: one policy may serve any number of states and threads.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct ratecell_burst {
    /// Private: both buckets' exact tick arithmetic and the window.
    pub opaque: [u64; 13],
}

/// One key's burst state: 16 bytes, all-zero (`{0}`) is a fresh key. Owned by the
/// caller; use a lock to share one state between threads.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct ratecell_burst_state {
    /// Private: the instants at which each bucket is full again, in ticks.
    pub opaque: [u64; 2],
}

impl ratecell_burst {
    pub(crate) fn policy(&self) -> Result<Burst, ratecell_status> {
        Burst::from_raw(self.opaque).ok_or(ratecell_status::InvalidArgument)
    }
}

impl ratecell_burst_state {
    fn get(&self) -> BurstState {
        BurstState::from_bits(self.opaque)
    }

    fn set(&mut self, state: BurstState) {
        self.opaque = state.to_bits();
    }
}

/// Compiles a burst tier into `out`: `quota->limit` per `quota->period_ns` sustained, and
/// `quota->burst` per `quota->period_ns` over any `burst_window_ns`. The seeds' Free tier
/// is `"100/minute burst 120"` with a 10 s window: 20 requests at one instant, 100 a minute.
///
/// Returns `RATECELL_STATUS_INVALID_QUOTA` for an unusable quota, or a window too short to
/// hold one request at the burst rate.
///
/// # Safety
/// `quota` is NULL or a valid `ratecell_quota`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_burst_init(
    quota: *const ratecell_quota,
    burst_window_ns: u64,
    out: *mut ratecell_burst,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, both are NULL or valid.
        let (quota, out) = unsafe { (arg(quota)?, arg_mut(out)?) };
        let burst = Burst::from_nanos(quota.limit, quota.period_ns, quota.burst, burst_window_ns)
            .map_err(|_| ratecell_status::InvalidQuota)?;
        *out = ratecell_burst {
            opaque: burst.to_raw(),
        };
        Ok(())
    })
}

/// Decides a request of `cost` at `now_ns` and records it in `state` when admitted.
///
/// `cost == 0` peeks. A cost above the capacity (the smaller bucket) is `RATECELL_STATUS_INSUFFICIENT_CAPACITY` and
/// changes nothing. A refusal returns OK with `out->allowed == false`.
///
/// # Safety
/// `policy` is NULL or initialised by `ratecell_burst_init`; `state` is NULL or a
/// valid state not used concurrently; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_burst_check(
    policy: *const ratecell_burst,
    state: *mut ratecell_burst_state,
    now_ns: u64,
    cost: u64,
    out: *mut ratecell_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (policy, state, out) = unsafe { (arg(policy)?, arg_mut(state)?, arg_mut(out)?) };
        let (decision, next) = policy
            .policy()?
            .decide(state.get(), Nanos::new(now_ns), cost)?;
        state.set(next);
        *out = decision.into();
        Ok(())
    })
}

/// The key's standing at `now_ns` without recording anything.
///
/// # Safety
/// `policy` is NULL or initialised; `state` is NULL or valid; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_burst_peek(
    policy: *const ratecell_burst,
    state: *const ratecell_burst_state,
    now_ns: u64,
    out: *mut ratecell_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (policy, state, out) = unsafe { (arg(policy)?, arg(state)?, arg_mut(out)?) };
        *out = policy
            .policy()?
            .peek(&state.get(), Nanos::new(now_ns))
            .into();
        Ok(())
    })
}

/// Resets `state` to a fresh key.
///
/// # Safety
/// `state` is NULL or a valid state not used concurrently.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_burst_reset(state: *mut ratecell_burst_state) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or valid.
        let state = unsafe { arg_mut(state) }?;
        state.set(BurstState::FRESH);
        Ok(())
    })
}

/// Writes to `out` whether `state` at `now_ns` is indistinguishable from a fresh key (so its
/// storage may be reused).
///
/// # Safety
/// `policy` is NULL or initialised; `state` is NULL or valid; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_burst_is_fresh(
    policy: *const ratecell_burst,
    state: *const ratecell_burst_state,
    now_ns: u64,
    out: *mut bool,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (policy, state, out) = unsafe { (arg(policy)?, arg(state)?, arg_mut(out)?) };
        *out = policy.policy()?.is_fresh(&state.get(), Nanos::new(now_ns));
        Ok(())
    })
}
