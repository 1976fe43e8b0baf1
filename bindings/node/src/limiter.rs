//! Creating limiters: options to a core policy in a keyed store, handed to JavaScript as an
//! object of per-request functions (see [`crate::call`]) and a description of the policy.

use std::rc::Rc;

use napi::bindgen_prelude::{FromNapiValue, JsValue, Unknown};
use napi::{Env, sys};
use napi_derive::napi;
use ratecell::http::Advert;
use ratecell::{Burst, FixedWindow, Gcra, Limiter, Nanos, Quota, SlidingWindow, TokenBucket};

use crate::call::{Callback, function, number, set, wrap};
use crate::error::{JsError, OrThrow, string};
use crate::keyed::{self, Entry, Store, store};
use crate::options::{Options, max_keys, when_full};
use crate::time::{Clock, NativeClock, ms};
use crate::{concurrency, credits, sliding_log};

const RATE_OPTIONS: &[&str] = &[
    "quota", "limit", "periodMs", "burst", "maxKeys", "whenFull", "clock",
];

/// The algorithms `createLimiter` builds, by the names JavaScript uses.
fn rate_limiter(kind: &str, quota: Quota, options: &Options) -> Result<Option<Limiter>, JsError> {
    Ok(Some(match kind {
        "gcra" => Limiter::from(Gcra::new(quota)),
        "token-bucket" => {
            let bucket = TokenBucket::new(quota);
            if options.flag("startsEmpty")?.unwrap_or(false) {
                Limiter::from(bucket.starting_empty())
            } else {
                Limiter::from(bucket)
            }
        }
        "fixed-window" => Limiter::from(FixedWindow::new(quota)),
        "sliding-window" => Limiter::from(SlidingWindow::new(quota)),
        "burst" => {
            let window = options.duration("burstWindowMs", 1)?.ok_or_else(|| {
                JsError::type_error("burstWindowMs is required for a Burst".to_owned())
            })?;
            Limiter::from(
                Burst::new(quota, window.as_duration()).map_err(crate::options::quota_error)?,
            )
        }
        _ => return Ok(None),
    }))
}

/// A plain object describing a policy (`kind`, `limit`, `periodMs`, ...), for headers and
/// for display.
pub(crate) struct Description {
    fields: Vec<(&'static str, f64)>,
    kind: &'static str,
    /// What the policy's decisions advertise in headers (the core's [`Advert`]).
    advert: Option<Advert>,
}

impl Description {
    pub(crate) fn new(kind: &'static str) -> Description {
        Description {
            fields: Vec::new(),
            kind,
            advert: None,
        }
    }

    /// Sets what the policy advertises: `advertised` on the JavaScript object,
    /// `{ kind: 'limit', quota, windowMs, unit }` or `{ kind: 'credits' }`.
    pub(crate) fn advert(mut self, advert: Advert) -> Description {
        self.advert = Some(advert);
        self
    }

    pub(crate) fn with(mut self, name: &'static str, value: f64) -> Description {
        self.fields.push((name, value));
        self
    }

    pub(crate) fn quota(self, quota: &Quota) -> Description {
        self.with("limit", quota.limit() as f64)
            .with("periodMs", ms(quota.period_nanos()))
            .with("burst", quota.burst() as f64)
    }

    pub(crate) fn to_js(&self, env: sys::napi_env) -> napi::Result<sys::napi_value> {
        let mut object = std::ptr::null_mut();
        // SAFETY: `env` is the live environment of the current call.
        unsafe { sys::napi_create_object(env, &raw mut object) };
        let kind = string(env, self.kind).ok_or_else(|| napi::Error::from_reason("string"))?;
        set(env, object, "kind", kind)?;
        for (name, value) in &self.fields {
            set(env, object, name, number(env, *value))?;
        }
        if let Some(advert) = self.advert {
            set(env, object, "advertised", advertised(env, advert)?)?;
        }
        Ok(object)
    }
}

/// `advert` as a JavaScript object: `{ kind: 'limit', quota, windowMs, unit }` or
/// `{ kind: 'credits' }`.
fn advertised(env: sys::napi_env, advert: Advert) -> napi::Result<sys::napi_value> {
    let text = |s: &str| string(env, s).ok_or_else(|| napi::Error::from_reason("string"));
    let mut object = std::ptr::null_mut();
    // SAFETY: `env` is the live environment of the current call.
    unsafe { sys::napi_create_object(env, &raw mut object) };
    match advert {
        Advert::Limit {
            quota,
            window,
            unit,
        } => {
            set(env, object, "kind", text("limit")?)?;
            set(env, object, "quota", number(env, quota as f64))?;
            set(env, object, "windowMs", number(env, ms(window)))?;
            set(env, object, "unit", text(unit.as_str())?)?;
        }
        _ => set(env, object, "kind", text("credits")?)?,
    }
    Ok(object)
}

/// The kind name and description of a core `Limiter`.
pub(crate) fn describe(limiter: &Limiter) -> Description {
    match limiter {
        Limiter::Gcra(g) => Description::new("gcra").quota(g.quota()),
        Limiter::TokenBucket(t) => Description::new("token-bucket").quota(t.quota()),
        Limiter::FixedWindow(f) => Description::new("fixed-window").quota(f.quota()),
        Limiter::SlidingWindow(s) => Description::new("sliding-window").quota(s.quota()),
        Limiter::Burst(b) => Description::new("burst")
            .with("limit", b.limit() as f64)
            .with("periodMs", ms(Nanos::from_duration(b.period())))
            .with("burst", b.burst() as f64)
            .with("burstWindowMs", ms(Nanos::from_duration(b.burst_window()))),
        Limiter::Credits(c) => Description::new("credits").with("budget", c.budget() as f64),
        _ => Description::new("unknown"),
    }
    .with("capacity", capacity(limiter.capacity()))
    .advert(Advert::of(limiter))
}

/// A capacity as a JavaScript number (`Infinity` for unbounded credits).
pub(crate) fn capacity(c: u64) -> f64 {
    if c == u64::MAX {
        f64::INFINITY
    } else {
        c as f64
    }
}

/// Builds the JavaScript object for `entry`: its functions, wrapped data and description.
pub(crate) fn bundle<'env>(
    env: &'env Env,
    entry: Entry,
    extra: &[(&str, Callback)],
    description: &Description,
) -> napi::Result<Unknown<'env>> {
    let raw_env = env.raw();
    let entry = Rc::new(entry);
    let mut object = std::ptr::null_mut();
    // SAFETY: `raw_env` is the live environment of the current call.
    unsafe { sys::napi_create_object(raw_env, &raw mut object) };
    let common: [(&str, Callback); 5] = [
        ("check", keyed::check),
        ("peek", keyed::peek),
        ("reset", keyed::reset),
        ("size", keyed::size),
        ("clear", keyed::clear),
    ];
    for (name, callback) in common.iter().chain(extra) {
        set(
            raw_env,
            object,
            name,
            function(raw_env, name, *callback, &entry)?,
        )?;
    }
    set(
        raw_env,
        object,
        "policy",
        description.with_max_keys(&entry.store).to_js(raw_env)?,
    )?;
    wrap(raw_env, object, &entry)?;
    // SAFETY: `object` is a live value of `env`.
    unsafe { Unknown::from_napi_value(raw_env, object) }
}

impl Description {
    fn with_max_keys(&self, store: &Store) -> Description {
        let max = store.max_keys();
        Description {
            fields: self.fields.clone(),
            kind: self.kind,
            advert: self.advert,
        }
        .with("maxKeys", max as f64)
    }
}

/// Creates a limiter of `kind` (`"gcra"`, `"token-bucket"`, `"fixed-window"`,
/// `"sliding-window"`, `"sliding-log"`, `"burst"`, `"credits"` or `"concurrency"`) from
/// `options`, reading time from `clock` (monotonic when absent).
#[napi(ts_return_type = "NativeLimiter")]
pub fn create_limiter<'env>(
    env: &'env Env,
    kind: String,
    #[napi(ts_arg_type = "object | undefined")] options: Unknown<'env>,
    clock: Option<&NativeClock>,
) -> napi::Result<Unknown<'env>> {
    let raw_env = env.raw();
    let value = Some(options.value().value);
    let clock = Clock::new(clock);
    match kind.as_str() {
        "credits" => return credits::create(env, value, clock),
        "concurrency" => return concurrency::create(env, value, clock),
        "sliding-log" => return sliding_log::create(env, value, clock),
        _ => {}
    }
    let known: Vec<&str> = RATE_OPTIONS
        .iter()
        .copied()
        .chain((kind == "burst").then_some("burstWindowMs"))
        .chain((kind == "token-bucket").then_some("startsEmpty"))
        .collect();
    let options = Options::new(raw_env, value, "options", &known).or_throw(env)?;
    let quota = options.quota().or_throw(env)?;
    let limiter = rate_limiter(&kind, quota, &options)
        .and_then(|l| l.ok_or_else(|| JsError::value(format!("unknown limiter kind {kind:?}"))))
        .or_throw(env)?;
    let max_keys = max_keys(&options).or_throw(env)?;
    let when_full = when_full(&options).or_throw(env)?;
    let entry = Entry {
        clock,
        store: Store::Rate(Rc::new(store(limiter, max_keys, when_full))),
    };
    let reservations: [(&str, Callback); 2] = [
        ("reserve", crate::token_bucket::reserve),
        ("cancel", crate::token_bucket::cancel),
    ];
    let extra: &[(&str, Callback)] = if kind == "token-bucket" {
        &reservations
    } else {
        &[]
    };
    bundle(env, entry, extra, &describe(&limiter))
}

/// Parses a quota string into `{ limit, periodMs, burst }`, throwing a `RangeError`
/// (`ERR_RATECELL_INVALID_QUOTA`) that says what was expected and where.
#[napi(ts_return_type = "{ limit: number; periodMs: number; burst: number }")]
pub fn parse_quota<'env>(
    env: &'env Env,
    #[napi(ts_arg_type = "string")] quota: Unknown<'env>,
) -> napi::Result<Unknown<'env>> {
    let raw_env = env.raw();
    let text = crate::options::read_string(raw_env, quota.value().value)
        .ok_or_else(|| {
            JsError::invalid_type(
                "quota",
                "a string",
                crate::call::type_name(raw_env, quota.value().value),
            )
        })
        .or_throw(env)?;
    let parsed = Quota::parse(&text)
        .map_err(|e| JsError::quota_string(&text, e))
        .or_throw(env)?;
    let mut object = std::ptr::null_mut();
    // SAFETY: `raw_env` is the live environment of the current call.
    unsafe { sys::napi_create_object(raw_env, &raw mut object) };
    set(
        raw_env,
        object,
        "limit",
        number(raw_env, parsed.limit() as f64),
    )?;
    set(
        raw_env,
        object,
        "periodMs",
        number(raw_env, ms(parsed.period_nanos())),
    )?;
    set(
        raw_env,
        object,
        "burst",
        number(raw_env, parsed.burst() as f64),
    )?;
    // SAFETY: `object` is a live value of `env`.
    unsafe { Unknown::from_napi_value(raw_env, object) }
}
