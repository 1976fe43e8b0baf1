//! Keyed stores: one policy, a state per key (a byte string), bounded by `max_keys`,
//! thread-safe.

use ratecell::{DynKeyedStore, Keyed, Limiter, Nanos, WhenFull};

use crate::burst::ratecell_burst;
use crate::credits::ratecell_credits;
use crate::decision::ratecell_decision;
use crate::fixed_window::ratecell_fixed_window;
use crate::gcra::ratecell_gcra;
use crate::sliding_window::ratecell_sliding_window;
use crate::token_bucket::{ratecell_reservation, ratecell_token_bucket};
use crate::{Handle, arg, arg_mut, free_handle, guard, handle, known, ratecell_status, slice};

/// What a full store does with a new key when none of its keys is fresh.
#[repr(u32)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ratecell_when_full {
    /// Refuse the new key (`table_full` in the result); stored keys are untouched. A flood of
    /// new keys cannot make the store forget anyone's usage.
    FailClosed = 0,
    /// Forget the stored key that will be fresh soonest and store the new one.
    Evict = 1,
}

/// The store C sees: byte-string keys, each in the chosen algorithm's own state.
type Store = DynKeyedStore<Box<[u8]>>;

/// A keyed store: one policy, each key (a byte string) with its own state, at most
/// `max_keys` keys in memory; a key back to fresh is reclaimed on its own. Created by
/// `ratecell_keyed_new_*`, destroyed by `ratecell_keyed_free`.
///
/// Thread-safe: any number of threads may call every function except `ratecell_keyed_free`
/// on one store at once (it is sharded, with a lock per shard).
pub struct ratecell_keyed {
    _private: [u8; 0],
}

impl Handle for ratecell_keyed {
    type Inner = Store;
    const MAGIC: u64 = u64::from_be_bytes(*b"rc:keyed");
}

/// The outcome of a keyed check.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ratecell_keyed_decision {
    /// The decision. When `table_full` it is a refusal: `remaining` 0, `retry_after_ns` the
    /// time until a stored key frees its place, `reset_after_ns` 0.
    pub decision: ratecell_decision,
    /// True when the key was new, the store was full of keys that are not fresh, and it fails
    /// closed: nothing was recorded.
    pub table_full: bool,
}

fn new_store(
    policy: Limiter,
    max_keys: usize,
    when_full: u32,
    out: *mut *mut ratecell_keyed,
) -> Result<(), ratecell_status> {
    let when_full = known(
        when_full,
        &[
            (ratecell_when_full::FailClosed as u32, WhenFull::FailClosed),
            (ratecell_when_full::Evict as u32, WhenFull::Evict),
        ],
    )?;
    if max_keys == 0 {
        return Err(ratecell_status::InvalidArgument);
    }
    // SAFETY: the callers' contracts: `out` is NULL or writable.
    let out = unsafe { arg_mut(out) }?;
    *out = ratecell_keyed::into_handle(DynKeyedStore::new(policy, max_keys, when_full));
    Ok(())
}

/// Creates a store enforcing a GCRA policy on every key, with at most `max_keys` keys (at
/// least 1) and `when_full` one of `RATECELL_WHEN_FULL_*`; anything else is
/// `RATECELL_STATUS_INVALID_ARGUMENT`. Free it with `ratecell_keyed_free`.
///
/// # Safety
/// `policy` is NULL or initialised by `ratecell_gcra_init`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_new_gcra(
    policy: *const ratecell_gcra,
    max_keys: usize,
    when_full: u32,
    out: *mut *mut ratecell_keyed,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or initialised.
        let policy = unsafe { arg(policy) }?.policy()?;
        new_store(policy.into(), max_keys, when_full, out)
    })
}

/// Creates a store enforcing a burst tier on every key (see `ratecell_keyed_new_gcra`).
///
/// # Safety
/// `policy` is NULL or initialised by `ratecell_burst_init`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_new_burst(
    policy: *const ratecell_burst,
    max_keys: usize,
    when_full: u32,
    out: *mut *mut ratecell_keyed,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or initialised.
        let policy = unsafe { arg(policy) }?.policy()?;
        new_store(policy.into(), max_keys, when_full, out)
    })
}

/// Creates a store enforcing a fixed window on every key (see `ratecell_keyed_new_gcra`).
///
/// # Safety
/// `policy` is NULL or initialised by `ratecell_fixed_window_init`; `out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_new_fixed_window(
    policy: *const ratecell_fixed_window,
    max_keys: usize,
    when_full: u32,
    out: *mut *mut ratecell_keyed,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or initialised.
        let policy = unsafe { arg(policy) }?.policy()?;
        new_store(policy.into(), max_keys, when_full, out)
    })
}

/// Creates a store enforcing a sliding window counter on every key (see
/// `ratecell_keyed_new_gcra`).
///
/// # Safety
/// `policy` is NULL or initialised by `ratecell_sliding_window_init`; `out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_new_sliding_window(
    policy: *const ratecell_sliding_window,
    max_keys: usize,
    when_full: u32,
    out: *mut *mut ratecell_keyed,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or initialised.
        let policy = unsafe { arg(policy) }?.policy()?;
        new_store(policy.into(), max_keys, when_full, out)
    })
}

/// Creates a store enforcing a token bucket on every key (see `ratecell_keyed_new_gcra`); its
/// keys also take reservations (`ratecell_keyed_reserve`, `ratecell_keyed_cancel`).
///
/// # Safety
/// `policy` is NULL or initialised by `ratecell_token_bucket_init`; `out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_new_token_bucket(
    policy: *const ratecell_token_bucket,
    max_keys: usize,
    when_full: u32,
    out: *mut *mut ratecell_keyed,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or initialised.
        let policy = unsafe { arg(policy) }?.policy()?;
        new_store(policy.into(), max_keys, when_full, out)
    })
}

/// Creates a store of credits, every key starting with `policy->budget` (see
/// `ratecell_keyed_new_gcra`). A key that has spent anything is never reclaimed, so size
/// `max_keys` for every key you serve. `ratecell_keyed_top_up` adds credits to a key.
///
/// # Safety
/// `policy` is NULL or valid; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_new_credits(
    policy: *const ratecell_credits,
    max_keys: usize,
    when_full: u32,
    out: *mut *mut ratecell_keyed,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or valid.
        let policy = unsafe { arg(policy) }?.policy();
        new_store(policy.into(), max_keys, when_full, out)
    })
}

/// Frees a store and every key in it. `NULL` is a no-op; a handle of another kind is
/// `RATECELL_STATUS_INVALID_ARGUMENT` and is not freed.
///
/// # Safety
/// `keyed` is NULL or a live handle, unused (by every thread) during and after the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_free(keyed: *mut ratecell_keyed) -> ratecell_status {
    // SAFETY: per the contract.
    unsafe { free_handle(keyed) }
}

/// Decides a request of `cost` for the key `key[0..key_len]` at `now_ns` with the key's own
/// state, storing the key when it is new and the request is recorded. `cost == 0` peeks; a
/// cost above the policy's capacity is `RATECELL_STATUS_INSUFFICIENT_CAPACITY`.
///
/// # Safety
/// `keyed` is NULL or a live handle; `key` is NULL (with `key_len` 0, the empty key) or
/// points to `key_len` bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_check(
    keyed: *const ratecell_keyed,
    key: *const u8,
    key_len: usize,
    now_ns: u64,
    cost: u64,
    out: *mut ratecell_keyed_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (store, key, out) = unsafe { (handle(keyed)?, slice(key, key_len)?, arg_mut(out)?) };
        let (decision, table_full) = match store.check(key, Nanos::new(now_ns), cost)? {
            Keyed::Decided(d) => (d, false),
            Keyed::Full(d) => (d, true),
        };
        *out = ratecell_keyed_decision {
            decision: decision.into(),
            table_full,
        };
        Ok(())
    })
}

/// The key's standing at `now_ns`, recording nothing (a key not stored is fresh).
///
/// # Safety
/// `keyed` is NULL or a live handle; `key` is NULL (with `key_len` 0) or points to
/// `key_len` bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_peek(
    keyed: *const ratecell_keyed,
    key: *const u8,
    key_len: usize,
    now_ns: u64,
    out: *mut ratecell_decision,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (store, key, out) = unsafe { (handle(keyed)?, slice(key, key_len)?, arg_mut(out)?) };
        *out = store.peek(key, Nanos::new(now_ns)).into();
        Ok(())
    })
}

/// Resets the key to fresh by forgetting it; writes to `was_stored` whether it was stored.
///
/// # Safety
/// `keyed` is NULL or a live handle; `key` is NULL (with `key_len` 0) or points to
/// `key_len` bytes; `was_stored` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_reset(
    keyed: *const ratecell_keyed,
    key: *const u8,
    key_len: usize,
    was_stored: *mut bool,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (store, key, was_stored) =
            unsafe { (handle(keyed)?, slice(key, key_len)?, arg_mut(was_stored)?) };
        *was_stored = store.reset(key);
        Ok(())
    })
}

/// Writes to `out` whether the key is stored (a stored key may already be fresh, waiting to
/// be reclaimed).
///
/// # Safety
/// `keyed` is NULL or a live handle; `key` is NULL (with `key_len` 0) or points to
/// `key_len` bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_contains(
    keyed: *const ratecell_keyed,
    key: *const u8,
    key_len: usize,
    out: *mut bool,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (store, key, out) = unsafe { (handle(keyed)?, slice(key, key_len)?, arg_mut(out)?) };
        *out = store.contains_key(key);
        Ok(())
    })
}

/// Writes to `out` how many keys are stored (never more than `max_keys`).
///
/// # Safety
/// `keyed` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_len(
    keyed: *const ratecell_keyed,
    out: *mut usize,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (store, out) = unsafe { (handle(keyed)?, arg_mut(out)?) };
        *out = store.len();
        Ok(())
    })
}

/// Writes to `out` how many keys `RATECELL_WHEN_FULL_EVICT` has evicted so far.
///
/// # Safety
/// `keyed` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_evictions(
    keyed: *const ratecell_keyed,
    out: *mut u64,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (store, out) = unsafe { (handle(keyed)?, arg_mut(out)?) };
        *out = store.evictions();
        Ok(())
    })
}

/// Adds `amount` credits to the key of a credits store (storing the key if it is new) and
/// writes the credits it has left to `remaining`. `RATECELL_STATUS_NOT_APPLICABLE` for a
/// store of another algorithm, `RATECELL_STATUS_TABLE_FULL` when the key is new and the store
/// is full of keys that still count, `RATECELL_STATUS_CREDITS_OVERFLOW` when the key would be
/// granted more than `UINT64_MAX` credits: each adds nothing.
///
/// # Safety
/// `keyed` is NULL or a live handle; `key` is NULL (with `key_len` 0) or points to
/// `key_len` bytes; `remaining` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_top_up(
    keyed: *const ratecell_keyed,
    key: *const u8,
    key_len: usize,
    now_ns: u64,
    amount: u64,
    remaining: *mut u64,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (store, key, out) =
            unsafe { (handle(keyed)?, slice(key, key_len)?, arg_mut(remaining)?) };
        if !matches!(store.policy(), Limiter::Credits(_)) {
            return Err(ratecell_status::NotApplicable);
        }
        let left = store.top_up(key, Nanos::new(now_ns), amount);
        *out = left.ok_or(ratecell_status::TableFull)??;
        Ok(())
    })
}

/// Reserves `cost` tokens for the key of a token bucket store (storing the key if it is new),
/// as `ratecell_token_bucket_reserve` does for one state. `RATECELL_STATUS_NOT_APPLICABLE` for
/// a store of another algorithm, `RATECELL_STATUS_TABLE_FULL` when the key is new and the
/// store is full of keys that still count: nothing is reserved.
///
/// # Safety
/// `keyed` is NULL or a live handle; `key` is NULL (with `key_len` 0) or points to
/// `key_len` bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_reserve(
    keyed: *const ratecell_keyed,
    key: *const u8,
    key_len: usize,
    now_ns: u64,
    cost: u64,
    max_wait_ns: u64,
    out: *mut ratecell_reservation,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (store, key, out) = unsafe { (handle(keyed)?, slice(key, key_len)?, arg_mut(out)?) };
        if !matches!(store.policy(), Limiter::TokenBucket(_)) {
            return Err(ratecell_status::NotApplicable);
        }
        let reserved = store.reserve(key, Nanos::new(now_ns), cost, Nanos::new(max_wait_ns));
        out.set(&reserved.ok_or(ratecell_status::TableFull)??);
        Ok(())
    })
}

/// Cancels the key's `reservation` at `now_ns`, as `ratecell_token_bucket_cancel` does for
/// one state, and writes the whole tokens given back to `tokens` (0 for a key no longer
/// stored: it was back to a full bucket). `RATECELL_STATUS_NOT_APPLICABLE` for a store of
/// another algorithm.
///
/// # Safety
/// `keyed` is NULL or a live handle; `key` is NULL (with `key_len` 0) or points to
/// `key_len` bytes; `reservation` is NULL or was written by `ratecell_keyed_reserve`;
/// `tokens` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_cancel(
    keyed: *const ratecell_keyed,
    key: *const u8,
    key_len: usize,
    reservation: *mut ratecell_reservation,
    now_ns: u64,
    tokens: *mut u64,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (store, key, held, tokens) = unsafe {
            (
                handle(keyed)?,
                slice(key, key_len)?,
                arg_mut(reservation)?,
                arg_mut(tokens)?,
            )
        };
        if !matches!(store.policy(), Limiter::TokenBucket(_)) {
            return Err(ratecell_status::NotApplicable);
        }
        let mut r = held.get()?;
        *tokens = store.cancel(key, &mut r, Nanos::new(now_ns)).unwrap_or(0);
        held.set(&r);
        Ok(())
    })
}

/// Forgets every key.
///
/// # Safety
/// `keyed` is NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_keyed_clear(keyed: *const ratecell_keyed) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or valid.
        unsafe { handle(keyed) }?.clear();
        Ok(())
    })
}
