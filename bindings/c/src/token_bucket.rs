//! Token buckets with reservations, caller-owned policy, state and reservations: no
//! allocation, placeable in a `static`.

use ratecell::{Nanos, Reservation, TokenBucket, TokenBucketState};

use crate::decision::ratecell_decision;
use crate::quota::ratecell_quota;
use crate::{arg, arg_mut, guard, ratecell_status};

/// A compiled token bucket: `burst` tokens, refilled at `limit` per `period_ns`. Plain data
/// the caller owns; initialise it with `ratecell_token_bucket_init`; its contents are
/// private. Immutable after initialisation: one policy may serve any number of states and
/// threads.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct ratecell_token_bucket {
    /// Private: the quota, its exact tick arithmetic and the empty-start flag.
    pub opaque: [u64; 7],
}

/// One key's token bucket state: 24 bytes, all-zero (`{0}`) is a fresh key. Owned by the
/// caller; use a lock to share one state between threads.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default)]
pub struct ratecell_token_bucket_state {
    /// Private: when the bucket is full, the latest reservation, a reservation count.
    pub opaque: [u64; 3],
}

/// Tokens taken (or offered) by `ratecell_token_bucket_reserve`, and when the holder may
/// proceed. Plain data the caller keeps until it proceeds or cancels; read the public fields,
/// do not write them. Cancel a reservation once: a copy cancelled again is usually, not
/// always, recognised and ignored.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ratecell_reservation {
    /// 1 when the tokens were taken (and not given back), 0 when the reservation would have
    /// had to wait longer than allowed and took nothing.
    pub committed: u64,
    /// The tokens reserved.
    pub cost: u64,
    /// The instant the holder may proceed (`UINT64_MAX`: never).
    pub ready_at_ns: u64,
    /// How long the holder must wait, from the instant of the reservation.
    pub delay_ns: u64,
    /// Private: the exact instant in ticks and the reservation's place in the state.
    pub opaque: [u64; 3],
}

impl ratecell_token_bucket {
    pub(crate) fn policy(&self) -> Result<TokenBucket, ratecell_status> {
        TokenBucket::from_raw(self.opaque).ok_or(ratecell_status::InvalidArgument)
    }
}

impl ratecell_token_bucket_state {
    fn get(&self) -> TokenBucketState {
        TokenBucketState::from_parts(self.opaque)
    }
}

impl ratecell_reservation {
    pub(crate) fn get(&self) -> Result<Reservation, ratecell_status> {
        let [a, b, c] = self.opaque;
        Reservation::from_parts([
            self.committed,
            self.cost,
            self.ready_at_ns,
            self.delay_ns,
            a,
            b,
            c,
        ])
        .ok_or(ratecell_status::InvalidArgument)
    }

    pub(crate) fn set(&mut self, r: &Reservation) {
        let [committed, cost, ready_at_ns, delay_ns, a, b, c] = r.to_parts();
        *self = ratecell_reservation {
            committed,
            cost,
            ready_at_ns,
            delay_ns,
            opaque: [a, b, c],
        };
    }
}

/// Compiles `quota` into `out`: `quota->burst` tokens, refilled at `quota->limit` per
/// `quota->period_ns`. A fresh key finds the bucket full, or empty when `starts_empty` is
/// true (so that no new key starts with a burst). Returns `RATECELL_STATUS_INVALID_QUOTA`
/// for an unusable quota.
///
/// # Safety
/// `quota` is NULL or a valid `ratecell_quota`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_token_bucket_init(
    quota: *const ratecell_quota,
    starts_empty: bool,
    out: *mut ratecell_token_bucket,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, both are NULL or valid.
        let (quota, out) = unsafe { (arg(quota)?, arg_mut(out)?) };
        let bucket = TokenBucket::new(quota.to_quota()?);
        let bucket = if starts_empty {
            bucket.starting_empty()
        } else {
            bucket
        };
        *out = ratecell_token_bucket {
            opaque: bucket.to_raw(),
        };
        Ok(())
    })
}

/// Takes `cost` tokens at `now_ns` if the bucket has them (a reservation that may not wait).
///
/// `cost == 0` peeks. A cost above the burst is `RATECELL_STATUS_INSUFFICIENT_CAPACITY` and
/// changes nothing. A refusal returns OK with `out->allowed == false`.
///
/// # Safety
/// `policy` is NULL or initialised by `ratecell_token_bucket_init`; `state` is NULL or a
/// valid state not used concurrently; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_token_bucket_check(
    policy: *const ratecell_token_bucket,
    state: *mut ratecell_token_bucket_state,
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
        state.opaque = next.to_parts();
        *out = decision.into();
        Ok(())
    })
}

/// The key's standing at `now_ns` without taking anything.
///
/// # Safety
/// `policy` is NULL or initialised; `state` is NULL or valid; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_token_bucket_peek(
    policy: *const ratecell_token_bucket,
    state: *const ratecell_token_bucket_state,
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

/// Reserves `cost` tokens at `now_ns`, borrowing against future refills, and takes them only
/// when the holder would wait at most `max_wait_ns` (`out->ready_at_ns <= now_ns +
/// max_wait_ns`). Either way `out` says when the holder may (or could have) proceeded. A
/// cost above the burst is `RATECELL_STATUS_INSUFFICIENT_CAPACITY` and changes nothing.
///
/// # Safety
/// `policy` is NULL or initialised; `state` is NULL or a valid state not used concurrently;
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_token_bucket_reserve(
    policy: *const ratecell_token_bucket,
    state: *mut ratecell_token_bucket_state,
    now_ns: u64,
    cost: u64,
    max_wait_ns: u64,
    out: *mut ratecell_reservation,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (policy, state, out) = unsafe { (arg(policy)?, arg_mut(state)?, arg_mut(out)?) };
        let mut next = state.get();
        let reservation = policy.policy()?.reserve(
            &mut next,
            Nanos::new(now_ns),
            cost,
            Nanos::new(max_wait_ns),
        )?;
        state.opaque = next.to_parts();
        out.set(&reservation);
        Ok(())
    })
}

/// Cancels `reservation` at `now_ns`, giving its tokens back to the bucket, and writes how
/// many whole tokens came back to `tokens` (0 once `now_ns` is past its `ready_at_ns`, for a
/// reservation not committed or already cancelled, or for tokens later reservations rely on).
/// The reservation is marked cancelled (`committed` becomes 0). A reservation whose fields
/// were altered so that it cannot be read is `RATECELL_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `policy` is NULL or initialised; `state` is NULL or a valid state not used concurrently;
/// `reservation` is NULL or was written by `ratecell_token_bucket_reserve`; `tokens` is NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_token_bucket_cancel(
    policy: *const ratecell_token_bucket,
    state: *mut ratecell_token_bucket_state,
    reservation: *mut ratecell_reservation,
    now_ns: u64,
    tokens: *mut u64,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (policy, state, held, tokens) = unsafe {
            (
                arg(policy)?,
                arg_mut(state)?,
                arg_mut(reservation)?,
                arg_mut(tokens)?,
            )
        };
        let policy = policy.policy()?;
        let mut r = held.get()?;
        let mut next = state.get();
        *tokens = policy.cancel(&mut next, &mut r, Nanos::new(now_ns));
        state.opaque = next.to_parts();
        held.set(&r);
        Ok(())
    })
}

/// Resets `state` to a fresh key.
///
/// # Safety
/// `state` is NULL or a valid state not used concurrently.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_token_bucket_reset(
    state: *mut ratecell_token_bucket_state,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or valid.
        unsafe { arg_mut(state) }?.opaque = TokenBucketState::FRESH.to_parts();
        Ok(())
    })
}

/// Writes to `out` whether `state` at `now_ns` is indistinguishable from a fresh key (a full
/// bucket; for a bucket that starts empty, only a key never charged).
///
/// # Safety
/// `policy` is NULL or initialised; `state` is NULL or valid; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_token_bucket_is_fresh(
    policy: *const ratecell_token_bucket,
    state: *const ratecell_token_bucket_state,
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
