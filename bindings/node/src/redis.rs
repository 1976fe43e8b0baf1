//! The Redis half of the Node module: the Lua scripts of `redis/scripts` (embedded at build
//! time from that one place, composed as its manifest says) and a limiter's parameters in
//! the form the scripts take them (see `redis/README.md`). The calls themselves are made
//! from JavaScript, on the caller's Redis client.

use napi::Env;
use napi::bindgen_prelude::{JsValue, Unknown};
use napi_derive::napi;
use ratecell::Limiter;

use crate::call::unwrap;
use crate::error::{JsError, OrThrow};
use crate::keyed::{Entry, Store};

/// Every file of `redis/scripts`, by name.
const FILES: &[(&str, &str)] = &[
    ("fast.lua", include_str!("../../../redis/scripts/fast.lua")),
    ("lib.lua", include_str!("../../../redis/scripts/lib.lua")),
    (
        "arith.lua",
        include_str!("../../../redis/scripts/arith.lua"),
    ),
    ("gcra.lua", include_str!("../../../redis/scripts/gcra.lua")),
    (
        "token_bucket.lua",
        include_str!("../../../redis/scripts/token_bucket.lua"),
    ),
    (
        "fixed_window.lua",
        include_str!("../../../redis/scripts/fixed_window.lua"),
    ),
    (
        "sliding_window.lua",
        include_str!("../../../redis/scripts/sliding_window.lua"),
    ),
    (
        "sliding_log.lua",
        include_str!("../../../redis/scripts/sliding_log.lua"),
    ),
    (
        "burst.lua",
        include_str!("../../../redis/scripts/burst.lua"),
    ),
    (
        "credits.lua",
        include_str!("../../../redis/scripts/credits.lua"),
    ),
    (
        "concurrency.lua",
        include_str!("../../../redis/scripts/concurrency.lua"),
    ),
    (
        "all_of.lua",
        include_str!("../../../redis/scripts/all_of.lua"),
    ),
    ("main.lua", include_str!("../../../redis/scripts/main.lua")),
];

/// `name: file file ...` per script; `#` starts a comment.
const MANIFEST: &str = include_str!("../../../redis/scripts/manifest");

/// One script: its name in the manifest and its text (each file followed by a newline).
#[napi(object)]
pub struct RedisScript {
    pub name: String,
    pub text: String,
}

/// The scripts of `redis/scripts/manifest`, composed.
#[napi]
pub fn redis_scripts() -> napi::Result<Vec<RedisScript>> {
    let mut scripts = Vec::new();
    for line in MANIFEST.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, files) = line
            .split_once(':')
            .ok_or_else(|| napi::Error::from_reason(format!("bad manifest line {line:?}")))?;
        let mut text = String::new();
        for file in files.split_whitespace() {
            let (_, body) = FILES
                .iter()
                .find(|(n, _)| *n == file)
                .ok_or_else(|| napi::Error::from_reason(format!("no script file {file}")))?;
            text.push_str(body);
            text.push('\n');
        }
        scripts.push(RedisScript {
            name: name.trim().to_owned(),
            text,
        });
    }
    Ok(scripts)
}

/// A limiter's algorithm and parameters as the scripts take them (decimal strings).
#[napi(object)]
pub struct RedisParams {
    pub algorithm: String,
    pub params: Vec<String>,
}

fn params(algorithm: &str, values: &[u64]) -> RedisParams {
    RedisParams {
        algorithm: algorithm.to_owned(),
        params: values.iter().map(u64::to_string).collect(),
    }
}

fn nanos(d: core::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The algorithm and parameters of `limiter` (an object made by `createLimiter`), exactly
/// as the core holds them.
#[napi(ts_return_type = "{ algorithm: string; params: string[] }")]
pub fn redis_params<'env>(
    env: &'env Env,
    #[napi(ts_arg_type = "NativeLimiter")] limiter: Unknown<'env>,
) -> napi::Result<RedisParams> {
    // SAFETY: every tagged object was wrapped with an `Rc<Entry>` by `bundle`.
    let entry = unsafe { unwrap::<Entry>(env.raw(), limiter.value().value) }
        .ok_or_else(|| JsError::type_error("limiter must be a ratecell limiter".to_owned()))
        .or_throw(env)?;
    let quota = |q: &ratecell::Quota| [q.limit(), q.period_nanos().as_nanos(), q.burst()];
    Ok(match &entry.store {
        Store::Rate(store) => match store.policy() {
            Limiter::Gcra(g) => params("gcra", &quota(g.quota())),
            Limiter::TokenBucket(t) => {
                let [l, p, b] = quota(t.quota());
                params("token_bucket", &[l, p, b, u64::from(t.starts_empty())])
            }
            Limiter::FixedWindow(f) => params("fixed_window", &quota(f.quota())[..2]),
            Limiter::SlidingWindow(s) => params("sliding_window", &quota(s.quota())[..2]),
            Limiter::Burst(b) => params(
                "burst",
                &[
                    b.limit(),
                    nanos(b.period()),
                    b.burst(),
                    nanos(b.burst_window()),
                ],
            ),
            Limiter::Credits(c) => params("credits", &[c.budget()]),
            _ => {
                return Err(JsError::value(
                    "this limiter has no Redis script".to_owned(),
                ))
                .or_throw(env);
            }
        },
        Store::Log(store) => {
            let p = store.policy();
            let [l, per, _] = quota(p.quota());
            params("sliding_log", &[l, per, p.entries() as u64])
        }
        Store::Leases(store) => {
            let p = store.policy();
            params("concurrency", &[p.limit(), p.ttl().as_nanos()])
        }
        Store::AllOf(_) => {
            return Err(JsError::type_error(
                "an AllOf is given to RedisAllOf as its members".to_owned(),
            ))
            .or_throw(env);
        }
    })
}
