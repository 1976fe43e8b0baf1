//! The retry policy: what to do after a response or a failed connection.

use ratecell::Nanos;
use ratecell::client::{GiveUpReason, Outcome, RetryDecision, RetryPolicy, RetryState, SplitMix64};
use ratecell::http::RateLimitInfo;

use super::backoff::{ratecell_backoff, ratecell_backoff_state};
use crate::http::ratecell_rate_limit_info;
use crate::{arg, arg_mut, guard, ratecell_status};

/// A retry policy: a backoff schedule, at most `max_attempts` attempts in all (0 counts as
/// 1), and no wait ending more than `max_elapsed_ns` after the first attempt started. Plain
/// data the caller fills; validated on every call.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ratecell_retry_policy {
    /// The waits between attempts.
    pub backoff: ratecell_backoff,
    /// The most attempts, the first included.
    pub max_attempts: u32,
    /// The most time from the first attempt to the end of the last wait, in nanoseconds.
    pub max_elapsed_ns: u64,
}

/// One request's retry sequence: plain data the caller owns. Start it with
/// `ratecell_retry_state_init`; its contents are private.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ratecell_retry_state {
    /// Private: when it started and the attempts so far.
    pub opaque: [u64; 2],
    /// Private: the backoff's progress and generator.
    pub backoff: ratecell_backoff_state,
}

/// What to do next.
#[repr(u32)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ratecell_retry_action {
    /// Send the request again after `after_ns`.
    Retry = 0,
    /// Done: the response is final (a success, or an error retrying cannot change).
    Stop = 1,
    /// 402: the credits are exhausted; no retry helps until they are topped up.
    TopUpCredits = 2,
    /// Retryable, but the attempts are spent.
    GiveUpAttempts = 3,
    /// Retryable, but the next wait would end after `max_elapsed_ns`.
    GiveUpDeadline = 4,
}

/// The decision of `ratecell_retry_decide`.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ratecell_retry_decision {
    /// One of `RATECELL_RETRY_ACTION_*`.
    pub action: u32,
    /// For `RATECELL_RETRY_ACTION_RETRY`, the wait in nanoseconds; otherwise 0.
    pub after_ns: u64,
}

/// Starts a retry sequence whose first attempt was sent at `started_ns`, its jitter drawn
/// from a generator seeded with `seed`.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_retry_state_init(
    started_ns: u64,
    seed: u64,
    out: *mut ratecell_retry_state,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or writable.
        let out = unsafe { arg_mut(out) }?;
        let state = RetryState::new(Nanos::new(started_ns));
        *out = ratecell_retry_state {
            opaque: [state.started().as_nanos(), u64::from(state.attempts())],
            backoff: ratecell_backoff_state::new(seed),
        };
        Ok(())
    })
}

/// Decides what follows an attempt whose outcome was observed at `now_ns`, and records the
/// attempt in `state`. `http_status` is the response's status code (100 to 999), or 0 when
/// no response came (the connection failed, was reset or timed out); `info` is the parsed
/// response (for its `Retry-After`), or NULL.
///
/// 429 and 5xx retry after the longer of `Retry-After` and the backoff; a connection error
/// after the backoff; 402 is `RATECELL_RETRY_ACTION_TOP_UP_CREDITS`; anything else stops.
///
/// # Safety
/// `policy` is NULL or valid; `state` is NULL or started by `ratecell_retry_state_init` and
/// not used concurrently; `info` is NULL or valid; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_retry_decide(
    policy: *const ratecell_retry_policy,
    state: *mut ratecell_retry_state,
    now_ns: u64,
    http_status: u32,
    info: *const ratecell_rate_limit_info,
    out: *mut ratecell_retry_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid (`info` may be NULL).
        let (policy, state, info, out) =
            unsafe { (arg(policy)?, arg_mut(state)?, info.as_ref(), arg_mut(out)?) };
        let info = info.map(RateLimitInfo::from).unwrap_or_default();
        let outcome = match http_status {
            0 => Outcome::ConnectionError,
            100..=999 => Outcome::response(http_status as u16, &info),
            _ => return Err(ratecell_status::InvalidArgument),
        };
        let rules = RetryPolicy::new(
            policy.backoff.schedule()?,
            policy.max_attempts,
            Nanos::new(policy.max_elapsed_ns),
        );
        let [started, attempts] = state.opaque;
        let attempts = u32::try_from(attempts).map_err(|_| ratecell_status::InvalidArgument)?;
        let (backoff, mut rng): (_, SplitMix64) = state.backoff.get()?;
        let mut sequence = RetryState::from_parts(Nanos::new(started), attempts, backoff);
        let decision = rules.decide(&mut sequence, Nanos::new(now_ns), outcome, &mut rng);
        state.opaque = [started, u64::from(sequence.attempts())];
        state.backoff.set(sequence.backoff(), rng);
        let (action, after) = match decision {
            RetryDecision::Retry { after } => (ratecell_retry_action::Retry, after),
            RetryDecision::TopUpCredits => (ratecell_retry_action::TopUpCredits, Nanos::ZERO),
            RetryDecision::GiveUp(GiveUpReason::Attempts) => {
                (ratecell_retry_action::GiveUpAttempts, Nanos::ZERO)
            }
            RetryDecision::GiveUp(_) => (ratecell_retry_action::GiveUpDeadline, Nanos::ZERO),
            _ => (ratecell_retry_action::Stop, Nanos::ZERO),
        };
        *out = ratecell_retry_decision {
            action: action as u32,
            after_ns: after.as_nanos(),
        };
        Ok(())
    })
}
