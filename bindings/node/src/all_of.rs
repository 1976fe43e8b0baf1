//! `AllOf`: several limiters checked as one, all or nothing, with a cost per member.
//!
//! An `AllOf` holds its members' own keyed stores and checks a key in all of them at once
//! ([`ratecell::AllOf::check_keyed`]): every member admits and records, or none changes. A
//! member stays usable on its own and may be shared by several `AllOf`s (a plan limit under
//! every endpoint group).

use napi::bindgen_prelude::{JsValue, Unknown};
use napi::{Env, sys};
use napi_derive::napi;
use std::rc::Rc;

use ratecell::Limiter;

use crate::call::{Call, callback, type_name, unwrap, whole};
use crate::decision;
use crate::error::{JsError, OrThrow};
use crate::keyed::{ALL_OF_MEMBERS, Entry, KeyedStore, Store, check_all};
use crate::limiter::{Description, bundle, capacity};
use crate::options::Options;
use crate::time::{Clock, NativeClock};

const OPTIONS: &[&str] = &["clock"];

/// The elements of a JavaScript array, `None` when `value` is not an array.
pub(crate) fn elements(env: sys::napi_env, value: sys::napi_value) -> Option<Vec<sys::napi_value>> {
    let mut is_array = false;
    // SAFETY: `env` and `value` come from the current call.
    unsafe { sys::napi_is_array(env, value, &raw mut is_array) };
    if !is_array {
        return None;
    }
    let mut len = 0_u32;
    // SAFETY: `value` is an array.
    unsafe { sys::napi_get_array_length(env, value, &raw mut len) };
    (0..len)
        .map(|i| {
            let mut element = std::ptr::null_mut();
            // SAFETY: `i` is within the array.
            let ok = unsafe { sys::napi_get_element(env, value, i, &raw mut element) }
                == sys::Status::napi_ok;
            ok.then_some(element)
        })
        .collect()
}

type Members = Vec<Rc<KeyedStore<Limiter>>>;

fn members(env: sys::napi_env, value: sys::napi_value) -> Result<Members, JsError> {
    let items = elements(env, value).ok_or_else(|| {
        JsError::invalid_type("members", "an array of limiters", type_name(env, value))
    })?;
    if items.is_empty() || items.len() > ALL_OF_MEMBERS {
        return Err(JsError::value(format!(
            "an AllOf has from 1 to {ALL_OF_MEMBERS} members, got {}",
            items.len()
        )));
    }
    let mut stores: Members = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        // SAFETY: every tagged object was wrapped with an `Rc<Entry>` by `bundle`.
        let entry = unsafe { unwrap::<Entry>(env, item) }
            .ok_or_else(|| JsError::type_error(format!("member {i} is not a ratecell limiter")))?;
        let Store::Rate(store) = &entry.store else {
            return Err(JsError::type_error(format!(
                "member {i} cannot be combined: AllOf members are Gcra, TokenBucket, \
                 FixedWindow, SlidingWindow, Burst or Credits"
            )));
        };
        if stores.iter().any(|s| Rc::ptr_eq(s, store)) {
            return Err(JsError::value(format!(
                "member {i} is listed twice: list each limiter once"
            )));
        }
        stores.push(Rc::clone(store));
    }
    Ok(stores)
}

/// Creates an `AllOf` of `members` (limiter objects made by `createLimiter`), checking a key
/// in every member's own store.
#[napi(ts_return_type = "NativeLimiter")]
pub fn create_all_of<'env>(
    env: &'env Env,
    #[napi(ts_arg_type = "NativeLimiter[]")] members: Unknown<'env>,
    #[napi(ts_arg_type = "object | undefined")] options: Unknown<'env>,
    clock: Option<&NativeClock>,
) -> napi::Result<Unknown<'env>> {
    let raw_env = env.raw();
    let stores = self::members(raw_env, members.value().value).or_throw(env)?;
    Options::new(raw_env, Some(options.value().value), "options", OPTIONS).or_throw(env)?;
    let least = stores
        .iter()
        .map(|s| s.policy().capacity())
        .min()
        .unwrap_or(u64::MAX);
    let description = Description::new("all-of")
        .with("members", stores.len() as f64)
        .with("capacity", capacity(least));
    let entry = Entry {
        clock: Clock::new(clock),
        store: Store::AllOf(stores.into_boxed_slice()),
    };
    bundle(env, entry, &[("checkCosts", check_costs)], &description)
}

/// The costs in argument 1: an array of whole numbers, one per member.
fn costs(call: &Call) -> Result<Vec<u64>, JsError> {
    let value = call
        .arg(1)
        .ok_or_else(|| JsError::invalid_type("costs", "an array of numbers", "undefined"))?;
    let items = elements(call.env, value).ok_or_else(|| {
        JsError::invalid_type("costs", "an array of numbers", type_name(call.env, value))
    })?;
    items
        .into_iter()
        .map(|v| whole(call.env, v, "each cost", 0))
        .collect()
}

callback!(
    /// `checkCosts(key, costs)`: decides a request charging member `i` `costs[i]`.
    check_costs,
    |call| {
        // SAFETY: limiter callbacks are created with an `Rc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        let Store::AllOf(store) = &entry.store else {
            return Err(JsError::internal("checkCosts on a limiter that is not AllOf"));
        };
        let costs = costs(call)?;
        let d = call
            .with_key_at(0, &entry.clock, |key, now| check_all(store, key, now, &costs))?
            .map_err(JsError::core)?;
        decision::write(&d.decision.decision);
        Ok(std::ptr::null_mut())
    }
);
