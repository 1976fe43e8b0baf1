//! `SlidingLog`: the exact sliding window, with a log of 16, 128 or 1,024 entries per key.

use napi::bindgen_prelude::Unknown;
use napi::{Env, sys};
use ratecell::SlidingLog;

use crate::error::{JsError, OrThrow};
use crate::keyed::{Entry, Store, store};
use crate::limiter::{Description, bundle, capacity};
use crate::options::{Options, max_keys, when_full};
use crate::time::Clock;

const OPTIONS: &[&str] = &[
    "quota", "limit", "periodMs", "burst", "entries", "maxKeys", "whenFull", "clock",
];

/// The log sizes a key may have.
const SIZES: [u64; 3] = [16, 128, 1024];

/// Creates a sliding log limiter. `entries` (how many requests a key's log holds) is 16, 128
/// or 1,024; by default the smallest that holds `limit` requests (1,024 above that).
pub(crate) fn create<'env>(
    env: &'env Env,
    value: Option<sys::napi_value>,
    clock: Clock,
) -> napi::Result<Unknown<'env>> {
    let options = Options::new(env.raw(), value, "options", OPTIONS).or_throw(env)?;
    let quota = options.quota().or_throw(env)?;
    let default = SIZES
        .into_iter()
        .find(|&n| n >= quota.limit())
        .unwrap_or(1024);
    let entries = options.whole("entries", 1).or_throw(env)?.unwrap_or(default);
    let max_keys = max_keys(&options).or_throw(env)?;
    let when_full = when_full(&options).or_throw(env)?;
    let store = match entries {
        16 => Store::Log16(store(SlidingLog::new(quota), max_keys, when_full)),
        128 => Store::Log128(store(SlidingLog::new(quota), max_keys, when_full)),
        1024 => Store::Log1024(store(SlidingLog::new(quota), max_keys, when_full)),
        other => {
            return Err(JsError::value(format!(
                "entries must be 16, 128 or 1024, got {other}"
            ))
            .into_napi(env));
        }
    };
    let description = Description::new("sliding-log")
        .quota(&quota)
        .with("entries", entries as f64)
        .with("capacity", capacity(quota.limit()));
    bundle(env, Entry { clock, store }, &[], &description)
}
