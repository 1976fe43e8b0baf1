//! Fixed windows with caller-owned policy and state: no allocation, placeable in a `static`.

use ratecell::{FixedWindow, FixedWindowState, Nanos};

use crate::decision::ratecell_decision;
use crate::quota::ratecell_quota;
use crate::{arg, arg_mut, guard, ratecell_status};

/// A compiled fixed-window policy (at most `limit` per epoch-aligned window of `period_ns`):
/// plain data the caller owns. Initialise it with `ratecell_fixed_window_init`; its contents
/// are private. Immutable after initialisation: one policy may serve any number of states
/// and threads.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct ratecell_fixed_window {
    /// Private: limit, period and burst.
    pub opaque: [u64; 3],
}

/// One key's fixed-window state: 16 bytes, all-zero (`{0}`) is a fresh key. Owned by the
/// caller; use a lock to share one state between threads.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct ratecell_fixed_window_state {
    /// Private: the start of the key's window and the cost counted in it.
    pub opaque: [u64; 2],
}

impl ratecell_fixed_window {
    pub(crate) fn policy(&self) -> Result<FixedWindow, ratecell_status> {
        FixedWindow::from_raw(self.opaque).ok_or(ratecell_status::InvalidArgument)
    }
}

impl ratecell_fixed_window_state {
    fn get(&self) -> FixedWindowState {
        let [start, count] = self.opaque;
        FixedWindowState::from_parts(Nanos::new(start), count)
    }

    fn set(&mut self, state: FixedWindowState) {
        self.opaque = [state.window_start().as_nanos(), state.count()];
    }
}

/// Compiles `quota` into `out`: `quota->limit` per window of `quota->period_ns`, windows
/// aligned to instant 0 of your time line (`quota->burst` is not used). Returns
/// `RATECELL_STATUS_INVALID_QUOTA` for an unusable quota.
///
/// # Safety
/// `quota` is NULL or a valid `ratecell_quota`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_fixed_window_init(
    quota: *const ratecell_quota,
    out: *mut ratecell_fixed_window,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, both are NULL or valid.
        let (quota, out) = unsafe { (arg(quota)?, arg_mut(out)?) };
        *out = ratecell_fixed_window {
            opaque: FixedWindow::new(quota.to_quota()?).to_raw(),
        };
        Ok(())
    })
}

/// Decides a request of `cost` at `now_ns` and records it in `state` when admitted.
///
/// `cost == 0` peeks. A cost above the limit is `RATECELL_STATUS_INSUFFICIENT_CAPACITY` and
/// changes nothing. A refusal returns OK with `out->allowed == false`.
///
/// # Safety
/// `policy` is NULL or initialised by `ratecell_fixed_window_init`; `state` is NULL or a
/// valid state not used concurrently; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_fixed_window_check(
    policy: *const ratecell_fixed_window,
    state: *mut ratecell_fixed_window_state,
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
pub unsafe extern "C" fn ratecell_fixed_window_peek(
    policy: *const ratecell_fixed_window,
    state: *const ratecell_fixed_window_state,
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
pub unsafe extern "C" fn ratecell_fixed_window_reset(
    state: *mut ratecell_fixed_window_state,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or valid.
        let state = unsafe { arg_mut(state) }?;
        state.set(FixedWindowState::FRESH);
        Ok(())
    })
}

/// Writes to `out` whether `state` at `now_ns` is indistinguishable from a fresh key (so its
/// storage may be reused).
///
/// # Safety
/// `policy` is NULL or initialised; `state` is NULL or valid; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_fixed_window_is_fresh(
    policy: *const ratecell_fixed_window,
    state: *const ratecell_fixed_window_state,
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
