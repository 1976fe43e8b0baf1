//! `Credits`: a budget per key that never replenishes by itself, and top-ups.

use napi::bindgen_prelude::Unknown;
use napi::{Env, sys};
use std::rc::Rc;

use ratecell::{Credits, Limiter};

use crate::call::{callback, number, whole};
use crate::error::{JsError, OrThrow};
use crate::keyed::{Entry, Store, store};
use crate::limiter::{Description, bundle, describe};
use crate::options::{Options, max_keys, when_full};
use crate::time::Clock;

const OPTIONS: &[&str] = &["budget", "maxKeys", "whenFull", "clock"];

/// Creates a credits limiter: every key starts with `budget` credits.
pub(crate) fn create(
    env: &Env,
    value: Option<sys::napi_value>,
    clock: Clock,
) -> napi::Result<Unknown<'_>> {
    let options = Options::new(env.raw(), value, "options", OPTIONS).or_throw(env)?;
    let budget = options
        .whole("budget", 0)
        .and_then(|b| b.ok_or_else(|| JsError::type_error("budget is required".to_owned())))
        .or_throw(env)?;
    let policy = Limiter::from(Credits::new(budget));
    let entry = Entry {
        clock,
        store: Store::Rate(Rc::new(store(
            policy,
            max_keys(&options).or_throw(env)?,
            when_full(&options).or_throw(env)?,
        ))),
    };
    let description: Description = describe(&policy);
    bundle(env, entry, &[("topUp", top_up)], &description)
}

callback!(
    /// `topUp(key, amount)`: adds credits; the credits left, or `null` when the key is new and
    /// the table is full.
    top_up,
    |call| {
        // SAFETY: limiter callbacks are created with an `Rc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        let Store::Rate(store) = &entry.store else {
            return Err(JsError::internal("topUp on a limiter that is not Credits"));
        };
        let amount = match call.arg(1) {
            Some(v) => whole(call.env, v, "amount", 0)?,
            None => return Err(JsError::invalid_type("amount", "a number", "undefined")),
        };
        let left = call
            .with_key_at(0, &entry.clock, |key, now| store.top_up(key, now, amount))?
            .transpose()
            .map_err(JsError::core)?;
        // `topUp` is only given to credits limiters: `None` is a full table.
        if let Some(left) = left {
            return Ok(number(call.env, left as f64));
        }
        let mut null = std::ptr::null_mut();
        // SAFETY: `env` is live.
        unsafe { napi::sys::napi_get_null(call.env, &raw mut null) };
        Ok(null)
    }
);
