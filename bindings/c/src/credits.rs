//! Credits: a budget that does not replenish (HTTP 402, not 429), caller-owned policy and
//! state.

use ratecell::{Credits, CreditsState, Nanos};

use crate::decision::ratecell_decision;
use crate::{arg, arg_mut, guard, ratecell_status};

/// A credits policy: the budget every key starts with. Plain data (any budget is valid,
/// zero included: keys then spend only what they are topped up with), filled by the caller
/// or by `ratecell_credits_init`.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct ratecell_credits {
    /// The credits every key starts with.
    pub budget: u64,
}

/// One key's credits: 16 bytes, all-zero (`{0}`) is a fresh key (its budget, nothing used).
/// Owned by the caller; use a lock to share one state between threads.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct ratecell_credits_state {
    /// Private: credits used and credits added by top-ups.
    pub opaque: [u64; 2],
}

impl ratecell_credits {
    pub(crate) fn policy(self) -> Credits {
        Credits::new(self.budget)
    }
}

impl ratecell_credits_state {
    fn get(&self) -> CreditsState {
        CreditsState::from_parts(self.opaque)
    }
}

/// Fills `out` with a policy giving every key `budget` credits.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_credits_init(
    budget: u64,
    out: *mut ratecell_credits,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or writable.
        *unsafe { arg_mut(out) }? = ratecell_credits { budget };
        Ok(())
    })
}

/// Spends `cost` credits if that many are left. Running out is a refusal, not an error:
/// `out->allowed` is false and `out->retry_after_ns` is `UINT64_MAX` (no wait helps: answer
/// 402 and top up), with `out->remaining` what is left. `out->limit` is what the key has
/// been granted (its budget and top-ups). `now_ns` does not matter. `cost == 0` peeks.
///
/// # Safety
/// `policy` is NULL or valid; `state` is NULL or a valid state not used concurrently; `out`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_credits_check(
    policy: *const ratecell_credits,
    state: *mut ratecell_credits_state,
    now_ns: u64,
    cost: u64,
    out: *mut ratecell_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (policy, state, out) = unsafe { (arg(policy)?, arg_mut(state)?, arg_mut(out)?) };
        let (decision, next) = policy
            .policy()
            .decide(state.get(), Nanos::new(now_ns), cost)?;
        state.opaque = next.to_parts();
        *out = decision.into();
        Ok(())
    })
}

/// The key's standing without spending anything.
///
/// # Safety
/// `policy` is NULL or valid; `state` is NULL or valid; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_credits_peek(
    policy: *const ratecell_credits,
    state: *const ratecell_credits_state,
    now_ns: u64,
    out: *mut ratecell_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (policy, state, out) = unsafe { (arg(policy)?, arg(state)?, arg_mut(out)?) };
        *out = policy
            .policy()
            .peek(&state.get(), Nanos::new(now_ns))
            .into();
        Ok(())
    })
}

/// Adds `amount` credits to the key and writes the credits it has left to `remaining`. A
/// top-up that would take what the key has been granted past `UINT64_MAX` is
/// `RATECELL_STATUS_CREDITS_OVERFLOW` and adds nothing.
///
/// # Safety
/// `policy` is NULL or valid; `state` is NULL or a valid state not used concurrently;
/// `remaining` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_credits_top_up(
    policy: *const ratecell_credits,
    state: *mut ratecell_credits_state,
    amount: u64,
    remaining: *mut u64,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (policy, state, out) = unsafe { (arg(policy)?, arg_mut(state)?, arg_mut(remaining)?) };
        let mut next = state.get();
        let left = policy.policy().top_up(&mut next, amount)?;
        state.opaque = next.to_parts();
        *out = left;
        Ok(())
    })
}

/// Writes the credits left (`X-API-Credits-Remaining`) to `remaining` and the credits spent
/// (`X-API-Credits-Used`) to `used`.
///
/// # Safety
/// `policy` and `state` are NULL or valid; `remaining` and `used` are NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_credits_balance(
    policy: *const ratecell_credits,
    state: *const ratecell_credits_state,
    remaining: *mut u64,
    used: *mut u64,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (policy, state, remaining, used) = unsafe {
            (
                arg(policy)?,
                arg(state)?,
                arg_mut(remaining)?,
                arg_mut(used)?,
            )
        };
        let (credits, state) = (policy.policy(), state.get());
        *remaining = credits.remaining(&state);
        *used = credits.used(&state);
        Ok(())
    })
}

/// Resets `state` to a fresh key: its budget again, its top-ups forgotten.
///
/// # Safety
/// `state` is NULL or a valid state not used concurrently.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_credits_reset(
    state: *mut ratecell_credits_state,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or valid.
        unsafe { arg_mut(state) }?.opaque = CreditsState::FRESH.to_parts();
        Ok(())
    })
}

/// Writes to `out` whether the key has used nothing and been topped up with nothing.
///
/// # Safety
/// `policy` is NULL or valid; `state` is NULL or valid; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_credits_is_fresh(
    policy: *const ratecell_credits,
    state: *const ratecell_credits_state,
    now_ns: u64,
    out: *mut bool,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (policy, state, out) = unsafe { (arg(policy)?, arg(state)?, arg_mut(out)?) };
        *out = policy.policy().is_fresh(&state.get(), Nanos::new(now_ns));
        Ok(())
    })
}
