//! Keyed limiters: one core [`KeyedStore`](ratecell::KeyedStore) per JavaScript limiter,
//! bounded by `maxKeys`, and the per-request callbacks every limiter shares (`check`, `peek`,
//! `reset`, `size`, `clear`).
//!
//! Keys are JavaScript strings stored as their UTF-16 code units, exactly: two different
//! strings are never the same key (UTF-8 would merge lone surrogates). The first unit tags
//! the key, so the default key (`undefined`) is distinct from every string, `""` included.
//! A store has one shard: a JavaScript limiter is used from one thread, so `maxKeys` is one
//! exact global bound.

use ratecell::{
    AllOfLimiters, Concurrency, Credits, Decision, Error, Keyed, KeyedAllOf, Limiter, Nanos,
    SlidingLog, WhenFull,
};

use crate::call::{boolean, callback, number};
use crate::decision;
use crate::error::JsError;
use crate::time::Clock;

/// A stored key: a tag unit, then the string's UTF-16 code units.
pub(crate) type Key = Box<[u16]>;

/// The core store, keyed by [`Key`].
pub(crate) type KeyedStore<A> = ratecell::KeyedStore<Key, A>;

/// Most members an `AllOf` combines.
pub(crate) const ALL_OF_MEMBERS: usize = 8;

/// A keyed store of any algorithm. Const-generic sizes (log entries, lease slots) come in
/// three classes; the smallest that holds the limit is chosen.
pub(crate) enum Store {
    /// Every algorithm of the core's [`Limiter`]: GCRA, token bucket, windows, burst.
    Rate(KeyedStore<Limiter>),
    /// A non-replenishing budget, with top-ups.
    Credits(KeyedStore<Credits>),
    /// An exact sliding log of 16 entries per key.
    Log16(KeyedStore<SlidingLog<16>>),
    /// ... of 128 entries per key.
    Log128(KeyedStore<SlidingLog<128>>),
    /// ... of 1,024 entries per key.
    Log1024(KeyedStore<SlidingLog<1024>>),
    /// Concurrency leases, up to 16 per key.
    Leases16(KeyedStore<Concurrency<16>>),
    /// ... up to 128 per key.
    Leases128(KeyedStore<Concurrency<128>>),
    /// ... up to 1,024 per key.
    Leases1024(KeyedStore<Concurrency<1024>>),
    /// Several limiters checked as one.
    AllOf(KeyedStore<AllOfLimiters<ALL_OF_MEMBERS>>),
}

/// Runs `$e` with `$s` bound to the store, whatever its algorithm.
macro_rules! each_store {
    ($store:expr, $s:ident => $e:expr) => {
        match $store {
            Store::Rate($s) => $e,
            Store::Credits($s) => $e,
            Store::Log16($s) => $e,
            Store::Log128($s) => $e,
            Store::Log1024($s) => $e,
            Store::Leases16($s) => $e,
            Store::Leases128($s) => $e,
            Store::Leases1024($s) => $e,
            Store::AllOf($s) => $e,
        }
    };
}
pub(crate) use each_store;

/// A new store: `max_keys` keys at most, a random hash seed, one shard.
pub(crate) fn store<A: ratecell::Algorithm>(
    policy: A,
    max_keys: usize,
    when_full: WhenFull,
) -> KeyedStore<A> {
    KeyedStore::new(policy, max_keys, when_full).with_shards(1)
}

/// What a JavaScript limiter holds: its clock and its keys.
pub(crate) struct Entry {
    pub(crate) clock: Clock,
    pub(crate) store: Store,
}

impl Store {
    fn check(&self, key: &[u16], now: Nanos, cost: u64) -> Result<Decision, Error> {
        if let Store::AllOf(s) = self {
            let d = s.check_all(key, now, cost)?;
            write_members(&d);
            return Ok(d.decision());
        }
        each_store!(self, s => s.check(key, now, cost).map(|k: Keyed| k.decision()))
    }
}

/// Writes `refusedBy` (-1: none) and `tightest` of an `AllOf` decision in slots 5 and 6.
pub(crate) fn write_members(d: &KeyedAllOf) {
    let (refused_by, tightest) = match d {
        KeyedAllOf::Decided(d) => (d.refused_by, d.tightest),
        KeyedAllOf::Full(_) => (None, 0),
    };
    decision::write_at(
        5,
        &[refused_by.map_or(-1.0, |i| i as f64), tightest as f64],
    );
}

callback!(
    /// `check(key?, cost = 1)`: decides a request, writing the decision to the buffer.
    check,
    |call| {
        // SAFETY: limiter callbacks are created with an `Arc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        let cost = call.cost(1)?;
        let now = entry.clock.now();
        let d = call
            .with_key(0, |key| entry.store.check(key, now, cost))?
            .map_err(JsError::core)?;
        decision::write(&d);
        Ok(std::ptr::null_mut())
    }
);

callback!(
    /// `peek(key?)`: the key's standing, recording nothing.
    peek,
    |call| {
        // SAFETY: limiter callbacks are created with an `Arc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        let now = entry.clock.now();
        let d = call.with_key(0, |key| each_store!(&entry.store, s => s.peek(key, now)))?;
        decision::write(&d);
        if matches!(entry.store, Store::AllOf(_)) {
            // A peek does not say which member would refuse.
            decision::write_at(5, &[-1.0, -1.0]);
        }
        Ok(std::ptr::null_mut())
    }
);

callback!(
    /// `reset(key?)`: forgets the key; whether it was stored.
    reset,
    |call| {
        // SAFETY: limiter callbacks are created with an `Arc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        let removed = call.with_key(0, |key| each_store!(&entry.store, s => s.reset(key)))?;
        Ok(boolean(call.env, removed))
    }
);

callback!(
    /// `size()`: how many keys are stored.
    size,
    |call| {
        // SAFETY: limiter callbacks are created with an `Arc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        let len = each_store!(&entry.store, s => s.len());
        Ok(number(call.env, len as f64))
    }
);

callback!(
    /// `clear()`: forgets every key.
    clear,
    |call| {
        // SAFETY: limiter callbacks are created with an `Arc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        each_store!(&entry.store, s => s.clear());
        Ok(std::ptr::null_mut())
    }
);
