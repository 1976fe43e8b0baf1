//! `TokenBucket`: buckets that may start empty, and reservations: tokens taken now for a
//! request that proceeds later, when the wait is acceptable, and given back by `cancel`.
//!
//! A reservation crosses the boundary as its seven integers ([`Reservation::to_parts`]), as
//! bigints: JavaScript keeps them and hands them back to `cancel`, which the core checks
//! against the key's state, so a copy cancelled twice, or a made-up one, gives nothing back.

use std::ptr;

use napi::sys;
use ratecell::Reservation;

use crate::all_of::elements;
use crate::call::{Call, callback, number, type_name};
use crate::error::JsError;
use crate::keyed::{Entry, Store};
use crate::time::duration;

fn bigint(env: sys::napi_env, n: u64) -> sys::napi_value {
    let mut value = ptr::null_mut();
    // SAFETY: `env` is the live environment of the current call.
    unsafe { sys::napi_create_bigint_uint64(env, n, &raw mut value) };
    value
}

fn null(env: sys::napi_env) -> sys::napi_value {
    let mut value = ptr::null_mut();
    // SAFETY: `env` is the live environment of the current call.
    unsafe { sys::napi_get_null(env, &raw mut value) };
    value
}

/// The store of a token bucket's callback.
fn bucket(
    call: &Call,
) -> Result<&std::rc::Rc<crate::keyed::KeyedStore<ratecell::Limiter>>, JsError> {
    // SAFETY: limiter callbacks are created with an `Rc<Entry>`.
    let entry = unsafe { call.data::<Entry>() };
    match &entry.store {
        Store::Rate(store) => Ok(store),
        _ => Err(JsError::internal(
            "a reservation on a limiter that is not a TokenBucket",
        )),
    }
}

/// A reservation's parts from a JavaScript array of seven bigints.
fn parts(env: sys::napi_env, value: sys::napi_value) -> Result<Reservation, JsError> {
    let invalid = || JsError::type_error("reservation must be one returned by reserve".to_owned());
    let items = elements(env, value).ok_or_else(invalid)?;
    let mut out = [0_u64; 7];
    if items.len() != out.len() {
        return Err(invalid());
    }
    for (slot, item) in out.iter_mut().zip(items) {
        let mut lossless = false;
        // SAFETY: `item` is a live value; this fails unless it is a bigint.
        let status =
            unsafe { sys::napi_get_value_bigint_uint64(env, item, slot, &raw mut lossless) };
        if status != sys::Status::napi_ok || !lossless {
            return Err(invalid());
        }
    }
    Reservation::from_parts(out).ok_or_else(invalid)
}

callback!(
    /// `reserve(key?, cost, maxWaitMs)`: takes `cost` tokens, borrowing against refills, when
    /// they are there within `maxWaitMs`; the reservation's seven parts (bigints), or `null`
    /// when the key cannot be stored.
    reserve,
    |call| {
        let store = bucket(call)?;
        // SAFETY: limiter callbacks are created with an `Rc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        let cost = call.cost(1)?;
        let max_wait = match call.arg(2) {
            Some(v) if type_name(call.env, v) != "undefined" => duration(call.env, v, "maxWaitMs", 0)?,
            _ => ratecell::Nanos::ZERO,
        };
        let reserved =
            call.with_key_at(0, &entry.clock, |key, now| store.reserve(key, now, cost, max_wait))?;
        let Some(reserved) = reserved else {
            return Ok(null(call.env));
        };
        let reservation = reserved.map_err(JsError::core)?;
        let mut array = ptr::null_mut();
        // SAFETY: `env` is the live environment of the current call.
        unsafe { sys::napi_create_array_with_length(call.env, 7, &raw mut array) };
        for (i, part) in (0_u32..).zip(reservation.to_parts()) {
            // SAFETY: `array` is a live array of this environment.
            unsafe { sys::napi_set_element(call.env, array, i, bigint(call.env, part)) };
        }
        Ok(array)
    }
);

callback!(
    /// `cancel(key?, parts)`: gives a reservation's tokens back; the whole tokens returned.
    cancel,
    |call| {
        let store = bucket(call)?;
        // SAFETY: limiter callbacks are created with an `Rc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        let value = call
            .arg(1)
            .ok_or_else(|| JsError::type_error("reservation is required".to_owned()))?;
        let mut reservation = parts(call.env, value)?;
        let returned =
            call.with_key_at(0, &entry.clock, |key, now| store.cancel(key, &mut reservation, now))?;
        Ok(number(call.env, returned.unwrap_or(0) as f64))
    }
);
