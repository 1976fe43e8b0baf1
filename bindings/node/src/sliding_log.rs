//! `SlidingLog`: the exact sliding window, with a log sized at runtime (the core's
//! [`SizedSlidingLog`] ladder).

use napi::bindgen_prelude::Unknown;
use napi::{Env, sys};
use ratecell::SizedSlidingLog;

use crate::error::{JsError, OrThrow};
use crate::keyed::{Entry, Store, store};
use crate::limiter::{Description, bundle, capacity};
use crate::options::{Options, max_keys, when_full};
use crate::time::Clock;

const OPTIONS: &[&str] = &[
    "quota", "limit", "periodMs", "burst", "entries", "maxKeys", "whenFull", "clock",
];

/// Creates a sliding log limiter. `entries` (how many requests a key's log holds) defaults
/// to `limit`, which makes the log exact; fewer entries admit less than the quota, never more.
pub(crate) fn create(
    env: &Env,
    value: Option<sys::napi_value>,
    clock: Clock,
) -> napi::Result<Unknown<'_>> {
    let options = Options::new(env.raw(), value, "options", OPTIONS).or_throw(env)?;
    let quota = options.quota().or_throw(env)?;
    let entries = options.whole("entries", 1).or_throw(env)?;
    let max_keys = max_keys(&options).or_throw(env)?;
    let when_full = when_full(&options).or_throw(env)?;
    let max = SizedSlidingLog::MAX_ENTRIES;
    let policy = match entries {
        None if quota.limit() > max as u64 => Err(JsError::value(format!(
            "a SlidingLog holds at most {max} requests per key, the limit is {}: \
             use a Gcra or a SlidingWindow for higher limits",
            quota.limit()
        ))),
        Some(n) if n > max as u64 => Err(JsError::value(format!(
            "entries must be an integer from 1 to {max}, got {n}"
        ))),
        None => SizedSlidingLog::exact(quota).map_err(crate::options::quota_error),
        Some(n) => SizedSlidingLog::with_entries(quota, usize::try_from(n).unwrap_or(usize::MAX))
            .map_err(crate::options::quota_error),
    }
    .or_throw(env)?;
    let entries = policy.entries();
    let store = Store::Log(store(policy, max_keys, when_full));
    let description = Description::new("sliding-log")
        .quota(&quota)
        .advert(ratecell::http::Advert::rate(&quota))
        .with("entries", entries as f64)
        .with("capacity", capacity(quota.limit()));
    bundle(env, Entry { clock, store }, &[], &description)
}
