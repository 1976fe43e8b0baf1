//! All-or-nothing combinations: several limiters checked as one, one key per handle.

use ratecell::{AllOf, AllOfDecision, Limiter, LimiterState, Nanos};

use crate::burst::ratecell_burst;
use crate::credits::ratecell_credits;
use crate::decision::ratecell_decision;
use crate::fixed_window::ratecell_fixed_window;
use crate::gcra::ratecell_gcra;
use crate::sliding_window::ratecell_sliding_window;
use crate::token_bucket::ratecell_token_bucket;
use crate::{Handle, arg, arg_mut, free_handle, guard, handle, handle_mut, ratecell_status, slice};

/// The members and one key's state in each.
#[derive(Debug, Default)]
pub(crate) struct Members {
    limiters: Vec<Limiter>,
    states: Vec<LimiterState>,
}

impl Members {
    fn add(&mut self, limiter: Limiter) {
        self.limiters.push(limiter);
        self.states.push(LimiterState::default());
    }

    fn all_of(&self) -> AllOf<&[Limiter]> {
        AllOf::new(&self.limiters[..])
    }
}

/// Several limiters checked as one for one key (a plan limit and an endpoint limit; messages
/// and bytes per second): every member admits and records, or no member changes. Members
/// are added with `ratecell_all_of_add_*` and numbered from 0 in that order. Created by
/// `ratecell_all_of_new`, destroyed by `ratecell_all_of_free`. Not thread-safe: use it from
/// one thread at a time (a lock around each call).
pub struct ratecell_all_of {
    _private: [u8; 0],
}

impl Handle for ratecell_all_of {
    type Inner = Members;
    const MAGIC: u64 = u64::from_be_bytes(*b"rc:allof");
}

/// The outcome of a combined check.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ratecell_all_of_decision {
    /// The combined decision: allowed when every member admitted; `limit` the smallest member
    /// capacity, `remaining` the smallest remainder, `retry_after_ns` and `reset_after_ns`
    /// the largest.
    pub decision: ratecell_decision,
    /// True when a member refused; `refused_by` is then meaningful.
    pub refused: bool,
    /// When refused: the refusing member with the longest wait (the lowest index among
    /// equals), the limit that decides when to come back. 0 when admitted.
    pub refused_by: usize,
    /// The member with the fewest remaining unit requests (the lowest index among equals):
    /// the limit a client is closest to.
    pub tightest: usize,
}

impl From<AllOfDecision> for ratecell_all_of_decision {
    fn from(d: AllOfDecision) -> Self {
        ratecell_all_of_decision {
            decision: d.decision.into(),
            refused: d.refused_by.is_some(),
            refused_by: d.refused_by.unwrap_or(0),
            tightest: d.tightest,
        }
    }
}

/// Creates an empty combination (it admits everything until members are added). Free it
/// with `ratecell_all_of_free`.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_new(out: *mut *mut ratecell_all_of) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or writable.
        let out = unsafe { arg_mut(out) }?;
        *out = ratecell_all_of::into_handle(Members::default());
        Ok(())
    })
}

/// Frees a combination. `NULL` is a no-op; a handle of another kind is
/// `RATECELL_STATUS_INVALID_ARGUMENT` and is not freed.
///
/// # Safety
/// `all_of` is NULL or a live handle, unused during and after the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_free(all_of: *mut ratecell_all_of) -> ratecell_status {
    // SAFETY: per the contract.
    unsafe { free_handle(all_of) }
}

/// Adds a GCRA member (copied; `policy` may be reused or freed afterwards) with a fresh state.
///
/// # Safety
/// `all_of` is NULL or a live handle not used concurrently; `policy` is NULL or initialised
/// by `ratecell_gcra_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_add_gcra(
    all_of: *mut ratecell_all_of,
    policy: *const ratecell_gcra,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (members, policy) = unsafe { (handle_mut(all_of)?, arg(policy)?) };
        members.add(policy.policy()?.into());
        Ok(())
    })
}

/// Adds a burst-tier member (copied) with a fresh state.
///
/// # Safety
/// `all_of` is NULL or a live handle not used concurrently; `policy` is NULL or initialised
/// by `ratecell_burst_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_add_burst(
    all_of: *mut ratecell_all_of,
    policy: *const ratecell_burst,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (members, policy) = unsafe { (handle_mut(all_of)?, arg(policy)?) };
        members.add(policy.policy()?.into());
        Ok(())
    })
}

/// Adds a fixed-window member (copied) with a fresh state.
///
/// # Safety
/// `all_of` is NULL or a live handle not used concurrently; `policy` is NULL or initialised
/// by `ratecell_fixed_window_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_add_fixed_window(
    all_of: *mut ratecell_all_of,
    policy: *const ratecell_fixed_window,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (members, policy) = unsafe { (handle_mut(all_of)?, arg(policy)?) };
        members.add(policy.policy()?.into());
        Ok(())
    })
}

/// Adds a sliding-window member (copied) with a fresh state.
///
/// # Safety
/// `all_of` is NULL or a live handle not used concurrently; `policy` is NULL or initialised
/// by `ratecell_sliding_window_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_add_sliding_window(
    all_of: *mut ratecell_all_of,
    policy: *const ratecell_sliding_window,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (members, policy) = unsafe { (handle_mut(all_of)?, arg(policy)?) };
        members.add(policy.policy()?.into());
        Ok(())
    })
}

/// Adds a token-bucket member (copied) with a fresh state; it is checked without
/// reservations.
///
/// # Safety
/// `all_of` is NULL or a live handle not used concurrently; `policy` is NULL or initialised
/// by `ratecell_token_bucket_init`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_add_token_bucket(
    all_of: *mut ratecell_all_of,
    policy: *const ratecell_token_bucket,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (members, policy) = unsafe { (handle_mut(all_of)?, arg(policy)?) };
        members.add(policy.policy()?.into());
        Ok(())
    })
}

/// Adds a credits member (copied) with a fresh state: requests are admitted only while both
/// the rate limits and the budget allow, and a request refused by a rate limit spends no
/// credits.
///
/// # Safety
/// `all_of` is NULL or a live handle not used concurrently; `policy` is NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_add_credits(
    all_of: *mut ratecell_all_of,
    policy: *const ratecell_credits,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (members, policy) = unsafe { (handle_mut(all_of)?, arg(policy)?) };
        members.add(policy.policy().into());
        Ok(())
    })
}

/// Writes the number of members to `out`.
///
/// # Safety
/// `all_of` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_len(
    all_of: *const ratecell_all_of,
    out: *mut usize,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (members, out) = unsafe { (handle(all_of)?, arg_mut(out)?) };
        *out = members.limiters.len();
        Ok(())
    })
}

/// Decides a request charging every member `cost` at `now_ns`, and records it in every
/// member when all admit it. `cost == 0` peeks; a cost above the smallest capacity is
/// `RATECELL_STATUS_INSUFFICIENT_CAPACITY` and changes nothing.
///
/// # Safety
/// `all_of` is NULL or a live handle not used concurrently; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_check(
    all_of: *mut ratecell_all_of,
    now_ns: u64,
    cost: u64,
    out: *mut ratecell_all_of_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (members, out) = unsafe { (handle_mut(all_of)?, arg_mut(out)?) };
        let Members { limiters, states } = members;
        *out = AllOf::new(&limiters[..])
            .check(states, Nanos::new(now_ns), cost)?
            .into();
        Ok(())
    })
}

/// Decides a request charging member `i` `costs[i]` (a WebSocket message of 1500 bytes costs
/// 1 message and 1500 bytes), and records it in every member when all admit it. A cost of 0
/// leaves that member out. `costs_len` must equal the number of members, or the call is
/// `RATECELL_STATUS_INVALID_ARGUMENT`; a cost above its member's capacity is
/// `RATECELL_STATUS_INSUFFICIENT_CAPACITY`. Neither changes anything.
///
/// # Safety
/// `all_of` is NULL or a live handle not used concurrently; `costs` is NULL (with
/// `costs_len` 0) or points to `costs_len` values; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_check_costs(
    all_of: *mut ratecell_all_of,
    now_ns: u64,
    costs: *const u64,
    costs_len: usize,
    out: *mut ratecell_all_of_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (members, costs, out) =
            unsafe { (handle_mut(all_of)?, slice(costs, costs_len)?, arg_mut(out)?) };
        let Members { limiters, states } = members;
        *out = AllOf::new(&limiters[..])
            .check_costs(states, Nanos::new(now_ns), costs)?
            .into();
        Ok(())
    })
}

/// The key's standing at `now_ns` in every member, recording nothing.
///
/// # Safety
/// `all_of` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_peek(
    all_of: *const ratecell_all_of,
    now_ns: u64,
    out: *mut ratecell_all_of_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (members, out) = unsafe { (handle(all_of)?, arg_mut(out)?) };
        *out = members
            .all_of()
            .peek(&members.states, Nanos::new(now_ns))?
            .into();
        Ok(())
    })
}

/// Member `index`'s own standing at `now_ns` (for per-policy response headers), recording
/// nothing. An index past the last member is `RATECELL_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `all_of` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_peek_member(
    all_of: *const ratecell_all_of,
    index: usize,
    now_ns: u64,
    out: *mut ratecell_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (members, out) = unsafe { (handle(all_of)?, arg_mut(out)?) };
        let (Some(limiter), Some(state)) = (members.limiters.get(index), members.states.get(index))
        else {
            return Err(ratecell_status::InvalidArgument);
        };
        *out = limiter.peek(state, Nanos::new(now_ns)).into();
        Ok(())
    })
}

/// Writes to `out` whether every member's state is fresh at `now_ns`.
///
/// # Safety
/// `all_of` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_is_fresh(
    all_of: *const ratecell_all_of,
    now_ns: u64,
    out: *mut bool,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (members, out) = unsafe { (handle(all_of)?, arg_mut(out)?) };
        *out = members
            .all_of()
            .is_fresh(&members.states, Nanos::new(now_ns));
        Ok(())
    })
}

/// Resets every member's state to fresh (the members stay).
///
/// # Safety
/// `all_of` is NULL or a live handle not used concurrently.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_all_of_reset(all_of: *mut ratecell_all_of) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or valid.
        let members = unsafe { handle_mut(all_of) }?;
        members.states.fill(LimiterState::default());
        Ok(())
    })
}
