//! `AllOf`: several limiters checked as one, all or nothing, with a cost per member.
//!
//! An `AllOf` takes its members' policies (not their keys) and keeps one state per key for
//! all of them, in one core store ([`ratecell::AllOfLimiters`]). A member charged 0 is left
//! out of the request, so one `AllOf` can hold a plan limit and every endpoint group under it.

use napi::bindgen_prelude::{JsValue, Unknown};
use napi::{Env, sys};
use napi_derive::napi;
use ratecell::{AllOfLimiters, Limiter};

use crate::call::{Call, callback, type_name, unwrap, whole};
use crate::decision;
use crate::error::{JsError, OrThrow};
use crate::keyed::{ALL_OF_MEMBERS, Entry, Store, store, write_members};
use crate::limiter::{Description, bundle, capacity, member_policy};
use crate::options::{Options, max_keys, when_full};
use crate::time::{Clock, NativeClock};

const OPTIONS: &[&str] = &["maxKeys", "whenFull", "clock"];

/// The elements of a JavaScript array, `None` when `value` is not an array.
fn elements(env: sys::napi_env, value: sys::napi_value) -> Option<Vec<sys::napi_value>> {
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

fn members(env: sys::napi_env, value: sys::napi_value) -> Result<Vec<Limiter>, JsError> {
    let items = elements(env, value).ok_or_else(|| {
        JsError::invalid_type("members", "an array of limiters", type_name(env, value))
    })?;
    if items.is_empty() || items.len() > ALL_OF_MEMBERS {
        return Err(JsError::value(format!(
            "an AllOf has from 1 to {ALL_OF_MEMBERS} members, got {}",
            items.len()
        )));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            // SAFETY: every tagged object was wrapped with an `Arc<Entry>` by `bundle`.
            let entry = unsafe { unwrap::<Entry>(env, item) }.ok_or_else(|| {
                JsError::type_error(format!("member {i} is not a ratecell limiter"))
            })?;
            member_policy(&entry).ok_or_else(|| {
                JsError::type_error(format!(
                    "member {i} cannot be combined: AllOf members are Gcra, TokenBucket, \
                     FixedWindow, SlidingWindow, Burst or Credits"
                ))
            })
        })
        .collect()
}

/// Creates an `AllOf` of `members` (limiter objects made by `createLimiter`).
#[napi(ts_return_type = "NativeLimiter")]
pub fn create_all_of<'env>(
    env: &'env Env,
    #[napi(ts_arg_type = "NativeLimiter[]")] members: Unknown<'env>,
    #[napi(ts_arg_type = "object | undefined")] options: Unknown<'env>,
    clock: Option<&NativeClock>,
) -> napi::Result<Unknown<'env>> {
    let raw_env = env.raw();
    let policies = self::members(raw_env, members.value().value).or_throw(env)?;
    let options =
        Options::new(raw_env, Some(options.value().value), "options", OPTIONS).or_throw(env)?;
    let policy = AllOfLimiters::<ALL_OF_MEMBERS>::new(&policies)
        .map_err(JsError::core)
        .or_throw(env)?;
    let entry = Entry {
        clock: Clock::new(clock),
        store: Store::AllOf(store(
            policy,
            max_keys(&options).or_throw(env)?,
            when_full(&options).or_throw(env)?,
        )),
    };
    let description = Description::new("all-of")
        .with("members", policies.len() as f64)
        .with("capacity", capacity(policy.capacity()));
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
        // SAFETY: limiter callbacks are created with an `Arc<Entry>`.
        let entry = unsafe { call.data::<Entry>() };
        let Store::AllOf(store) = &entry.store else {
            return Err(JsError::internal("checkCosts on a limiter that is not AllOf"));
        };
        let costs = costs(call)?;
        let now = entry.clock.now();
        let d = call
            .with_key(0, |key| store.check_costs(key, now, &costs))?
            .map_err(JsError::core)?;
        decision::write(&d.decision());
        write_members(&d);
        Ok(std::ptr::null_mut())
    }
);
