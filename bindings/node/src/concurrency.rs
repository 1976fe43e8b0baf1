//! `Concurrency`: at most `limit` leases in flight per key, each expiring `ttlMs` after it was
//! acquired or renewed. A lease crosses to JavaScript as its slot and serial number (two
//! 32-bit halves, so every serial is exact).

use napi::bindgen_prelude::Unknown;
use napi::{Env, sys};
use ratecell::{Lease, SizedConcurrency};

use crate::call::{Call, boolean, callback, whole};
use crate::decision;
use crate::error::{JsError, OrThrow};
use crate::keyed::{Entry, Store, store};
use crate::limiter::{Description, bundle};
use crate::options::{Options, max_keys, when_full};
use crate::time::{Clock, ms};

const OPTIONS: &[&str] = &["limit", "ttlMs", "maxKeys", "whenFull", "clock"];

/// Runs `$e` with `$s` bound to the lease store.
macro_rules! leases {
    ($store:expr, $s:ident => $e:expr, $otherwise:expr) => {
        match $store {
            Store::Leases($s) => $e,
            _ => $otherwise,
        }
    };
}

/// Creates a concurrency limiter.
pub(crate) fn create(
    env: &Env,
    value: Option<sys::napi_value>,
    clock: Clock,
) -> napi::Result<Unknown<'_>> {
    let options = Options::new(env.raw(), value, "options", OPTIONS).or_throw(env)?;
    let limit = options
        .whole("limit", 1)
        .and_then(|l| l.ok_or_else(|| JsError::type_error("limit is required".to_owned())))
        .and_then(|l| {
            let max = SizedConcurrency::MAX_LIMIT;
            if l > max {
                return Err(JsError::value(format!(
                    "limit must be an integer from 1 to {max} leases per key, got {l}"
                )));
            }
            Ok(l)
        })
        .or_throw(env)?;
    let ttl = options
        .duration("ttlMs", 1)
        .and_then(|t| t.ok_or_else(|| JsError::type_error("ttlMs is required".to_owned())))
        .or_throw(env)?;
    let max_keys = max_keys(&options).or_throw(env)?;
    let when_full = when_full(&options).or_throw(env)?;
    let invalid = |e| crate::options::quota_error(e).into_napi(env);
    let policy = SizedConcurrency::new(limit, ttl).map_err(invalid)?;
    let store = Store::Leases(store(policy, max_keys, when_full));
    let description = Description::new("concurrency")
        .advert(ratecell::http::Advert::concurrency(limit))
        .with("limit", limit as f64)
        .with("ttlMs", ms(ttl))
        .with("capacity", limit as f64);
    bundle(
        env,
        Entry { clock, store },
        &[("acquire", acquire), ("release", release), ("renew", renew)],
        &description,
    )
}

fn entry(call: &Call) -> &Entry {
    // SAFETY: limiter callbacks are created with an `Rc<Entry>`.
    unsafe { call.data::<Entry>() }
}

callback!(
    /// `acquire(key?)`: one lease; the decision and, when granted, the lease's slot and
    /// serial (slots 5 to 7; slot -1 when refused).
    acquire,
    |call| {
        let entry = entry(call);
        let (keyed, lease) = call.with_key_at(0, &entry.clock, |key, now| {
            leases!(&entry.store, s => s.acquire(key, now), (ratecell::Keyed::Full(decision_never()), None))
        })?;
        decision::write(&keyed.decision());
        let lease = match lease {
            Some(l) => [
                f64::from(l.slot()),
                (l.serial() >> 32) as f64,
                (l.serial() & 0xffff_ffff) as f64,
            ],
            None => [-1.0, 0.0, 0.0],
        };
        decision::write_at(5, &lease);
        Ok(std::ptr::null_mut())
    }
);

fn decision_never() -> ratecell::Decision {
    ratecell::Decision {
        allowed: false,
        limit: 0,
        remaining: 0,
        retry_after: ratecell::Nanos::MAX,
        reset_after: ratecell::Nanos::ZERO,
    }
}

/// The lease named by arguments 1 to 3 (slot, serial high and low halves).
fn lease(call: &Call) -> Result<Lease, JsError> {
    let part = |i: usize, name: &str| match call.arg(i) {
        Some(v) => whole(call.env, v, name, 0),
        None => Err(JsError::invalid_type(name, "a number", "undefined")),
    };
    let (slot, high, low) = (part(1, "slot")?, part(2, "serial")?, part(3, "serial")?);
    let (Ok(slot), true, true) = (u32::try_from(slot), high <= 0xffff_ffff, low <= 0xffff_ffff)
    else {
        return Err(JsError::value("not a lease of this limiter".to_owned()));
    };
    Ok(Lease::from_parts(slot, (high << 32) | low))
}

callback!(
    /// `release(key, slot, serialHigh, serialLow)`: whether a live lease was released.
    release,
    |call| {
        let entry = entry(call);
        let lease = lease(call)?;
        let done = call.with_key_at(0, &entry.clock, |key, now| {
            leases!(&entry.store, s => s.release(key, lease, now), false)
        })?;
        Ok(boolean(call.env, done))
    }
);

callback!(
    /// `renew(key, slot, serialHigh, serialLow)`: whether a live lease was renewed.
    renew,
    |call| {
        let entry = entry(call);
        let lease = lease(call)?;
        let done = call.with_key_at(0, &entry.clock, |key, now| {
            leases!(&entry.store, s => s.renew(key, lease, now), false)
        })?;
        Ok(boolean(call.env, done))
    }
);
