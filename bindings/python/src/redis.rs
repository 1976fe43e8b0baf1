//! What `ratecell.redis` (written in Python, on redis-py) needs from the extension: the Lua
//! scripts of `redis/scripts/`, a limiter's parameters in the scripts' calling convention,
//! an in-process limiter with a share of a quota (the fallback while Redis is unavailable), and
//! `Decision` objects made from a script's reply.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use ratecell::{
    Burst, Credits, FixedWindow, Gcra, KeyedStore, Limiter, Nanos, Quota, SizedConcurrency,
    SizedSlidingLog, SlidingWindow, TokenBucket,
};

use crate::concurrency::Concurrency;
use crate::decision::{Decision, Extra, Source, Spare};
use crate::error;
use crate::http::Advert;
use crate::limiter::{Kind, Options, RateLimiter};
use crate::time::Clock;

/// The files of `redis/scripts/`, embedded from the one copy in the repository.
macro_rules! script_files {
    ($($file:literal),+ $(,)?) => {
        [$(($file, include_str!(concat!("../../../redis/scripts/", $file)))),+]
    };
}

const FILES: [(&str, &str); 13] = script_files![
    "fast.lua",
    "lib.lua",
    "gcra.lua",
    "token_bucket.lua",
    "fixed_window.lua",
    "sliding_window.lua",
    "sliding_log.lua",
    "burst.lua",
    "credits.lua",
    "concurrency.lua",
    "all_of.lua",
    "arith.lua",
    "main.lua",
];

/// Which files make each script (`name: file file ...`).
const MANIFEST: &str = include_str!("../../../redis/scripts/manifest");

/// Every script of the manifest by name: its files, each followed by a newline.
#[pyfunction]
pub(crate) fn _redis_scripts() -> PyResult<BTreeMap<String, String>> {
    let mut scripts = BTreeMap::new();
    for line in MANIFEST.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, files)) = line.split_once(':') else {
            return Err(error::value_error(format!(
                "malformed manifest line {line:?}"
            )));
        };
        let mut text = String::new();
        for file in files.split_whitespace() {
            let Some((_, source)) = FILES.iter().find(|(f, _)| *f == file) else {
                return Err(error::value_error(format!("the manifest names {file:?}")));
            };
            text.push_str(source);
            text.push('\n');
        }
        scripts.insert(name.trim().to_owned(), text);
    }
    Ok(scripts)
}

fn no_script(what: &str) -> PyErr {
    error::value_error(format!("{what} has no Redis script"))
}

fn quota_args(algorithm: &str, q: &Quota, burst: bool) -> Vec<String> {
    let mut args = vec![
        algorithm.to_owned(),
        q.limit().to_string(),
        q.period_nanos().as_nanos().to_string(),
    ];
    if burst {
        args.push(q.burst().to_string());
    }
    args
}

fn nanos(d: core::time::Duration) -> String {
    Nanos::from_duration(d).as_nanos().to_string()
}

/// The script arguments naming a core limiter: the algorithm, then its parameters.
fn limiter_args(limiter: &Limiter) -> PyResult<Vec<String>> {
    Ok(match limiter {
        Limiter::Gcra(g) => quota_args("gcra", g.quota(), true),
        Limiter::TokenBucket(t) => {
            let mut args = quota_args("token_bucket", t.quota(), true);
            args.push(u8::from(t.starts_empty()).to_string());
            args
        }
        Limiter::FixedWindow(f) => quota_args("fixed_window", f.quota(), false),
        Limiter::SlidingWindow(s) => quota_args("sliding_window", s.quota(), false),
        Limiter::Burst(b) => vec![
            "burst".to_owned(),
            b.limit().to_string(),
            nanos(b.period()),
            b.burst().to_string(),
            nanos(b.burst_window()),
        ],
        Limiter::Credits(c) => vec!["credits".to_owned(), c.budget().to_string()],
        other => return Err(no_script(other.name())),
    })
}

/// A limiter's parameters in the scripts' convention: `["gcra", limit, period_ns, burst]`,
/// and so on (see `redis/README.md`).
#[pyfunction]
pub(crate) fn _redis_spec(limiter: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(c) = limiter.cast::<Concurrency>() {
        let policy = c.get().store().policy();
        if policy.limit() > 65_536 {
            return Err(error::invalid_quota(
                "a concurrency limit in Redis is at most 65,536 leases",
            ));
        }
        return Ok(vec![
            "concurrency".to_owned(),
            policy.limit().to_string(),
            policy.ttl().as_nanos().to_string(),
        ]);
    }
    let Ok(rate) = limiter.cast::<RateLimiter>() else {
        return Err(error::type_error(
            "limiter",
            "a ratecell limiter (Gcra, TokenBucket, FixedWindow, SlidingWindow, SlidingLog, Burst, Credits or Concurrency)",
            limiter,
        ));
    };
    match &rate.get().kind {
        Kind::Cell(store) => limiter_args(store.policy()),
        Kind::Log(store) => {
            let log = store.policy();
            let mut args = quota_args("sliding_log", log.quota(), false);
            args.push(log.entries().to_string());
            Ok(args)
        }
        Kind::All(_) => Err(no_script("an AllOf (use RedisAllOf)")),
    }
}

/// `count * numerator / denominator`, rounded down, at least 1.
fn share(count: u64, numerator: u64, denominator: u64) -> u64 {
    let scaled = u128::from(count) * u128::from(numerator) / u128::from(denominator.max(1));
    u64::try_from(scaled).unwrap_or(u64::MAX).max(1)
}

fn shared_limiter(limiter: &Limiter, n: u64, d: u64) -> PyResult<Limiter> {
    let quota_of = |q: &Quota| -> PyResult<Quota> {
        Quota::from_nanos(share(q.limit(), n, d), q.period_nanos().as_nanos())
            .and_then(|s| s.with_burst(share(q.burst(), n, d)))
            .map_err(|e| error::quota_error(e, "fallback share"))
    };
    Ok(match limiter {
        Limiter::Gcra(g) => Gcra::new(quota_of(g.quota())?).into(),
        Limiter::TokenBucket(t) => {
            let q = quota_of(t.quota())?;
            let bucket = TokenBucket::new(q);
            let bucket = if t.starts_empty() {
                bucket.starting_empty()
            } else {
                bucket
            };
            bucket.into()
        }
        Limiter::FixedWindow(f) => FixedWindow::new(quota_of(f.quota())?).into(),
        Limiter::SlidingWindow(s) => SlidingWindow::new(quota_of(s.quota())?).into(),
        Limiter::Burst(b) => {
            let period = Nanos::from_duration(b.period()).as_nanos();
            let window = Nanos::from_duration(b.burst_window()).as_nanos();
            let limit = share(b.limit(), n, d);
            Burst::from_nanos(limit, period, share(b.burst(), n, d), window)
                .map_err(|e| error::quota_error(e, "fallback share"))?
                .into()
        }
        Limiter::Credits(c) => Credits::new(share(c.budget(), n, d)).into(),
        other => return Err(no_script(other.name())),
    })
}

/// An in-process limiter deciding like `limiter` with `numerator / denominator` of its counts
/// (limits, bursts, budgets; periods kept), on `clock`: the fallback while Redis is away.
#[pyfunction]
#[pyo3(signature = (limiter, numerator, denominator, clock = None))]
pub(crate) fn _redis_shared<'py>(
    limiter: &Bound<'py, PyAny>,
    numerator: u64,
    denominator: u64,
    clock: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = limiter.py();
    if numerator == 0 || numerator > denominator {
        return Err(error::value_error(format!(
            "a share is numerator/denominator with 0 < numerator <= denominator, got {numerator}/{denominator}"
        )));
    }
    if let Ok(c) = limiter.cast::<Concurrency>() {
        let policy = c.get().store().policy();
        let caps =
            SizedConcurrency::new(share(policy.limit(), numerator, denominator), policy.ttl())
                .map_err(|e| error::quota_error(e, "fallback share"))?;
        let options = Options::from_args(None, None, None, clock)?;
        return Ok(Bound::new(py, Concurrency::with(caps, options))?.into_any());
    }
    let Ok(rate) = limiter.cast::<RateLimiter>() else {
        return Err(error::type_error("limiter", "a ratecell limiter", limiter));
    };
    let this = rate.get();
    let store = match this.options {
        Some(options) => options,
        None => crate::keyed::StoreOptions::from_args(None, None)?,
    };
    let clock = Clock::from_arg(clock)?;
    let (kind, advert) = match &this.kind {
        Kind::Cell(cell) => {
            let shared = shared_limiter(cell.policy(), numerator, denominator)?;
            let advert = Advert::of("fallback".to_owned(), &shared);
            let cell = KeyedStore::new(shared, store.max_keys, store.when_full);
            (Kind::Cell(std::sync::Arc::new(cell)), advert)
        }
        Kind::Log(log) => {
            let policy = log.policy();
            let q = policy.quota();
            let q = Quota::from_nanos(
                share(q.limit(), numerator, denominator),
                q.period_nanos().as_nanos(),
            )
            .map_err(|e| error::quota_error(e, "fallback share"))?;
            let shared = SizedSlidingLog::with_entries(q, policy.entries())
                .map_err(|e| error::quota_error(e, "fallback share"))?;
            let advert = Advert::rate("fallback".to_owned(), &q);
            (
                Kind::Log(KeyedStore::new(shared, store.max_keys, store.when_full)),
                advert,
            )
        }
        Kind::All(_) => return Err(no_script("an AllOf (share each member)")),
    };
    let fallback = RateLimiter {
        kind,
        clock,
        adverts: Box::new([advert]),
        options: Some(store),
        description: format!("fallback {numerator}/{denominator} of {}", this.description),
        spare: Spare::new(),
    };
    Ok(Bound::new(py, fallback)?.into_any())
}

/// A `Decision` from a script's reply, advertised in headers as `source`'s (a limiter, or the
/// member of an all-of that bounds the decision). `refused_by` marks an all-of's decision.
#[pyfunction]
#[pyo3(signature = (source, allowed, limit, remaining, retry_after_ns, reset_after_ns, refused_by = None, all_of = false))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn _redis_decision<'py>(
    source: &Bound<'py, PyAny>,
    allowed: bool,
    limit: u64,
    remaining: u64,
    retry_after_ns: u64,
    reset_after_ns: u64,
    refused_by: Option<usize>,
    all_of: bool,
) -> PyResult<Bound<'py, Decision>> {
    let py = source.py();
    let d = ratecell::Decision {
        allowed,
        limit,
        remaining,
        retry_after: Nanos::new(retry_after_ns),
        reset_after: Nanos::new(reset_after_ns),
    };
    let (source, at) = if let Ok(c) = source.cast::<Concurrency>() {
        let at = c.get().clock.now();
        (Source::Concurrency(c.clone().unbind()), at)
    } else if let Ok(r) = source.cast::<RateLimiter>() {
        let at = r.get().clock.now();
        (Source::Rate(r.clone().unbind()), at)
    } else {
        return Err(error::type_error("source", "a ratecell limiter", source));
    };
    let extra = if all_of {
        Extra::AllOf {
            members: Box::new([d]),
            refused_by,
            full: false,
        }
    } else {
        Extra::None
    };
    Bound::new(py, Decision::new(d, at, source, extra))
}

/// `seconds` (an int, float or timedelta) in whole nanoseconds, converted as every limiter
/// converts spans; `what` names it in errors.
#[pyfunction]
pub(crate) fn _redis_nanos(seconds: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    crate::time::nanos_from_seconds(seconds, what, crate::time::Invalid::Value).map(Nanos::as_nanos)
}
