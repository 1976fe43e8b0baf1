//! Decisions cross the boundary through one small buffer per thread, not as objects.
//!
//! Creating a JavaScript object from Rust costs a Node-API call per property (about a
//! microsecond for a decision); writing five numbers to memory that JavaScript reads through
//! a `Float64Array` costs nothing. Each thread has its own buffer, exposed once as an external
//! `ArrayBuffer` (Rust owns the memory, so nothing JavaScript does to the buffer can free it),
//! and the JavaScript side builds the plain `Decision` object from it right after each call.
//!
//! Layout (`Float64Array` indices): `allowed` (0 or 1), `limit`, `remaining`, `retryAfterMs`,
//! `resetAfterMs`, then three slots whose meaning depends on the call (`refusedBy` and
//! `tightest` for `AllOf`, the lease for `Concurrency`), then for an `AllOf` each member's own
//! decision, five slots each in the order above (the response fields list every member).

use std::cell::{Cell, UnsafeCell};
use std::ffi::c_void;
use std::ptr;

use napi::bindgen_prelude::{FromNapiValue, Unknown};
use napi::{Env, sys};
use napi_derive::napi;
use ratecell::Decision;

use crate::time::ms;

/// Where an `AllOf`'s member decisions start in the buffer.
pub(crate) const MEMBERS_AT: usize = 8;

/// Slots in the buffer.
pub(crate) const SLOTS: usize = MEMBERS_AT + 5 * crate::keyed::ALL_OF_MEMBERS;

thread_local! {
    static OUT: UnsafeCell<[f64; SLOTS]> = const { UnsafeCell::new([0.0; SLOTS]) };
    /// A reference to this thread's `ArrayBuffer`, once created.
    static BUFFER: Cell<sys::napi_ref> = const { Cell::new(ptr::null_mut()) };
}

/// Writes `values` at `offset` in this thread's buffer.
pub(crate) fn write_at(offset: usize, values: &[f64]) {
    OUT.with(|out| {
        // SAFETY: the buffer is only touched on this thread, and JavaScript reads it only
        // between calls, never while Rust writes.
        let out = unsafe { &mut *out.get() };
        for (slot, value) in out.iter_mut().skip(offset).zip(values) {
            *slot = *value;
        }
    });
}

fn slots(d: &Decision) -> [f64; 5] {
    [
        f64::from(u8::from(d.allowed)),
        d.limit as f64,
        d.remaining as f64,
        ms(d.retry_after),
        ms(d.reset_after),
    ]
}

/// Writes a decision in slots 0 to 4.
pub(crate) fn write(d: &Decision) {
    write_at(0, &slots(d));
}

/// Writes an `AllOf`'s member decisions from slot [`MEMBERS_AT`] on.
pub(crate) fn write_members(members: &[Decision]) {
    for (i, d) in members.iter().enumerate() {
        write_at(MEMBERS_AT + 5 * i, &slots(d));
    }
}

unsafe extern "C" fn keep(_env: sys::napi_env, _data: *mut c_void, _hint: *mut c_void) {}

/// This thread's decision buffer, as an `ArrayBuffer` of 8 doubles (see the module
/// documentation). The same buffer on every call.
#[napi(ts_return_type = "ArrayBuffer")]
pub fn decision_buffer(env: &Env) -> napi::Result<Unknown<'_>> {
    let env_raw = env.raw();
    let cached = BUFFER.with(Cell::get);
    if !cached.is_null() {
        let mut value = ptr::null_mut();
        // SAFETY: `cached` is a strong reference created below in this environment.
        let status = unsafe { sys::napi_get_reference_value(env_raw, cached, &raw mut value) };
        if status == sys::Status::napi_ok && !value.is_null() {
            // SAFETY: `value` is a live value of `env`.
            return unsafe { Unknown::from_napi_value(env_raw, value) };
        }
    }
    let data = OUT.with(UnsafeCell::get).cast::<c_void>();
    let mut buffer = ptr::null_mut();
    // SAFETY: `data` is this thread's buffer, valid for the thread's life and never freed by
    // the finalizer (`keep` does nothing).
    let status = unsafe {
        sys::napi_create_external_arraybuffer(
            env_raw,
            data,
            SLOTS * size_of::<f64>(),
            Some(keep),
            ptr::null_mut(),
            &raw mut buffer,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(napi::Error::from_reason(
            "this runtime does not allow external ArrayBuffers, which ratecell needs",
        ));
    }
    let mut reference = ptr::null_mut();
    // SAFETY: `buffer` is a live value; the reference keeps it for the environment's life.
    if unsafe { sys::napi_create_reference(env_raw, buffer, 1, &raw mut reference) }
        == sys::Status::napi_ok
    {
        BUFFER.with(|b| b.set(reference));
    }
    // SAFETY: `buffer` is a live value of `env`.
    unsafe { Unknown::from_napi_value(env_raw, buffer) }
}
