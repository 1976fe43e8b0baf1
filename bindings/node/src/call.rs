//! Plain Node-API callbacks for the per-request path, and what they need: reading arguments
//! (keys, costs, option objects), throwing typed errors, and functions that own their data.
//!
//! napi-rs 3 wraps every `#[napi]` function in per-call bookkeeping that costs about 120 ns
//! here, ten times an empty Node-API callback. The functions a server calls on every request
//! (`check`, `peek`, `acquire`, ...) are therefore plain `extern "C"` callbacks created with
//! [`function`], each carrying an `Rc` of the state it works on. Everything else uses
//! `#[napi]`.
//!
//! Every callback body runs inside [`run`]: a panic becomes a JavaScript `Error` instead of
//! unwinding into Node, and a [`JsError`] becomes a thrown `TypeError` or `RangeError` with a
//! stable `code`.

use std::ffi::{CString, c_void};
use std::mem::MaybeUninit;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::rc::Rc;

use napi::sys;

use crate::error::JsError;
use crate::key::KeyUnits;
use crate::time::Clock;
use ratecell::Nanos;

/// The most arguments a per-request callback reads.
const MAX_ARGS: usize = 4;

/// A key longer than this (in UTF-16 code units) is refused: keys are stored, and memory is
/// bounded by `maxKeys` only if each key is bounded too.
pub(crate) const MAX_KEY_UNITS: usize = 4096;

/// Keys up to this many code units are read without allocating.
const INLINE_KEY_UNITS: usize = 96;

/// Tags the first code unit of a stored key: a string key, or the single default key.
const STRING_KEY: u16 = 1;
const DEFAULT_KEY: [u16; 1] = [0];

/// One callback invocation: its environment, arguments and data pointer.
pub(crate) struct Call {
    pub(crate) env: sys::napi_env,
    argc: usize,
    argv: [sys::napi_value; MAX_ARGS],
    data: *mut c_void,
}

/// The JavaScript type of a value, as `typeof` names it (`null` for null).
pub(crate) fn type_name(env: sys::napi_env, value: sys::napi_value) -> &'static str {
    let mut t = 0;
    // SAFETY: `env` and `value` come from the current callback.
    if unsafe { sys::napi_typeof(env, value, &raw mut t) } != sys::Status::napi_ok {
        return "unknown";
    }
    match t {
        sys::ValueType::napi_undefined => "undefined",
        sys::ValueType::napi_null => "null",
        sys::ValueType::napi_boolean => "boolean",
        sys::ValueType::napi_number => "number",
        sys::ValueType::napi_string => "string",
        sys::ValueType::napi_symbol => "symbol",
        sys::ValueType::napi_function => "function",
        sys::ValueType::napi_bigint => "bigint",
        _ => "object",
    }
}

/// Whether `value` is `undefined` (a missing argument reads as `undefined`).
pub(crate) fn is_undefined(env: sys::napi_env, value: Option<sys::napi_value>) -> bool {
    value.is_none_or(|v| type_name(env, v) == "undefined")
}

impl Call {
    /// Reads the callback's arguments.
    ///
    /// # Safety
    /// `env` and `info` must be the arguments Node passed to the running callback.
    unsafe fn read(env: sys::napi_env, info: sys::napi_callback_info) -> Result<Call, JsError> {
        let mut call = Call {
            env,
            argc: MAX_ARGS,
            argv: [ptr::null_mut(); MAX_ARGS],
            data: ptr::null_mut(),
        };
        // SAFETY: the buffers are valid for `argc` values; Node writes at most that many.
        let status = unsafe {
            sys::napi_get_cb_info(
                env,
                info,
                &raw mut call.argc,
                call.argv.as_mut_ptr(),
                ptr::null_mut(),
                &raw mut call.data,
            )
        };
        if status != sys::Status::napi_ok {
            return Err(JsError::internal("could not read the call's arguments"));
        }
        call.argc = call.argc.min(MAX_ARGS);
        Ok(call)
    }

    /// The data the function was created with (see [`function`]).
    ///
    /// # Safety
    /// The callback must have been created by [`function`] with an `Rc<T>` of this `T`.
    pub(crate) unsafe fn data<T>(&self) -> &T {
        // SAFETY: `function` stored `Rc::into_raw` of an `Rc<T>`, released only by the
        // finalizer of the function object, which is alive while it is being called.
        unsafe { &*self.data.cast::<T>() }
    }

    /// Argument `i`, or `None` when fewer were passed.
    pub(crate) fn arg(&self, i: usize) -> Option<sys::napi_value> {
        if i < self.argc {
            self.argv.get(i).copied()
        } else {
            None
        }
    }

    /// Runs `f` with argument `i` read as a stored key: a string, or the default key when
    /// it is `undefined`.
    pub(crate) fn with_key<R>(
        &self,
        i: usize,
        f: impl FnOnce(&KeyUnits) -> R,
    ) -> Result<R, JsError> {
        let Some(value) = self.arg(i) else {
            return Ok(f(KeyUnits::new(&DEFAULT_KEY)));
        };
        // Left uninitialised: Node writes the units read below (zeroing costs more).
        let mut inline = [MaybeUninit::<u16>::uninit(); INLINE_KEY_UNITS + 2];
        inline[0].write(STRING_KEY);
        let mut copied = 0_usize;
        // SAFETY: the buffer after the tag holds `INLINE_KEY_UNITS + 1` units, the size passed
        // (Node writes at most `size - 1` units and a terminator).
        let status = unsafe {
            sys::napi_get_value_string_utf16(
                self.env,
                value,
                inline.as_mut_ptr().add(1).cast::<u16>(),
                INLINE_KEY_UNITS + 1,
                &raw mut copied,
            )
        };
        if status != sys::Status::napi_ok {
            return match type_name(self.env, value) {
                "undefined" => Ok(f(KeyUnits::new(&DEFAULT_KEY))),
                other => Err(JsError::invalid_type("key", "a string or undefined", other)),
            };
        }
        if copied < INLINE_KEY_UNITS {
            // SAFETY: the tag and the `copied` units after it were written.
            let key =
                unsafe { std::slice::from_raw_parts(inline.as_ptr().cast::<u16>(), copied + 1) };
            return Ok(f(KeyUnits::new(key)));
        }
        // Possibly truncated: ask for the length, then read it all.
        let mut len = 0_usize;
        // SAFETY: a null buffer asks for the length only.
        unsafe {
            sys::napi_get_value_string_utf16(self.env, value, ptr::null_mut(), 0, &raw mut len);
        }
        if len > MAX_KEY_UNITS {
            return Err(JsError::range(
                crate::error::INVALID_KEY,
                format!("key must be at most {MAX_KEY_UNITS} UTF-16 code units long, got {len}"),
            ));
        }
        let mut heap = vec![0_u16; len + 2];
        heap[0] = STRING_KEY;
        // SAFETY: `heap` after the tag holds `len + 1` units, the size passed.
        unsafe {
            sys::napi_get_value_string_utf16(
                self.env,
                value,
                heap.as_mut_ptr().add(1),
                len + 1,
                &raw mut copied,
            );
        }
        Ok(f(KeyUnits::new(
            heap.get(..=copied).unwrap_or(&DEFAULT_KEY),
        )))
    }

    /// [`with_key`](Call::with_key), with `clock` read once the key is: `f` gets the key and
    /// the time.
    ///
    /// Node has just written the key's units with narrow stores, and hashing loads them
    /// whole words at a time. The processor cannot forward such stores to such loads: the
    /// loads wait until the stores reach the cache. Reading the clock after the key fills
    /// that wait with the clock's own latency, where reading it first adds the two (about 5
    /// ns of a 55 ns check, measured side by side).
    pub(crate) fn with_key_at<R>(
        &self,
        i: usize,
        clock: &Clock,
        f: impl FnOnce(&KeyUnits, Nanos) -> R,
    ) -> Result<R, JsError> {
        self.with_key(i, |key| f(key, clock.now()))
    }

    /// Argument `i` as a cost: a non-negative safe integer, 1 when `undefined`.
    pub(crate) fn cost(&self, i: usize) -> Result<u64, JsError> {
        match self.arg(i) {
            Some(v) if !is_undefined(self.env, Some(v)) => whole(self.env, v, "cost", 0),
            _ => Ok(1),
        }
    }
}

/// The largest integer a JavaScript number holds exactly: `Number.MAX_SAFE_INTEGER`.
pub(crate) const MAX_SAFE: u64 = (1 << 53) - 1;

/// `value` as a whole number from `min` to `Number.MAX_SAFE_INTEGER` (a number, or a bigint
/// up to `u64::MAX`).
pub(crate) fn whole(
    env: sys::napi_env,
    value: sys::napi_value,
    name: &str,
    min: u64,
) -> Result<u64, JsError> {
    let mut n = 0.0_f64;
    // SAFETY: `env` and `value` come from the current callback.
    if unsafe { sys::napi_get_value_double(env, value, &raw mut n) } == sys::Status::napi_ok {
        let valid = n.is_finite() && n.fract() == 0.0 && n >= min as f64 && n <= MAX_SAFE as f64;
        if !valid {
            return Err(JsError::range(
                crate::error::INVALID_ARG_VALUE,
                format!("{name} must be an integer from {min} to {MAX_SAFE}, got {n}"),
            ));
        }
        // Exact: a finite integral double up to 2^53.
        return Ok(n as u64);
    }
    let mut big = 0_u64;
    let mut lossless = false;
    // SAFETY: as above; fails unless `value` is a bigint.
    let status =
        unsafe { sys::napi_get_value_bigint_uint64(env, value, &raw mut big, &raw mut lossless) };
    if status == sys::Status::napi_ok {
        if !lossless || big < min {
            return Err(JsError::range(
                crate::error::INVALID_ARG_VALUE,
                format!("{name} must be an integer from {min} to {}", u64::MAX),
            ));
        }
        return Ok(big);
    }
    Err(JsError::invalid_type(
        name,
        "a number",
        type_name(env, value),
    ))
}

/// Wraps a callback body: reads the arguments, catches panics, throws errors.
pub(crate) fn run(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    body: impl FnOnce(&Call) -> Result<sys::napi_value, JsError>,
) -> sys::napi_value {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `env` and `info` are this callback's own arguments.
        let call = unsafe { Call::read(env, info) }?;
        body(&call)
    }));
    match outcome {
        Ok(Ok(value)) => value,
        Ok(Err(error)) => {
            error.throw(env);
            ptr::null_mut()
        }
        Err(_) => {
            JsError::internal("ratecell panicked; please report this as a bug").throw(env);
            ptr::null_mut()
        }
    }
}

/// Declares a Node-API callback whose body is `|call| -> Result<napi_value, JsError>`.
macro_rules! callback {
    ($(#[$doc:meta])* $name:ident, |$call:ident| $body:expr) => {
        $(#[$doc])*
        pub(crate) unsafe extern "C" fn $name(
            env: napi::sys::napi_env,
            info: napi::sys::napi_callback_info,
        ) -> napi::sys::napi_value {
            $crate::call::run(env, info, |$call| $body)
        }
    };
}
pub(crate) use callback;

/// The signature of a Node-API callback.
pub(crate) type Callback =
    unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

unsafe extern "C" fn release_arc<T>(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the `Rc::into_raw` that `function` or `wrap` attached, released once.
    drop(unsafe { Rc::from_raw(data.cast::<T>().cast_const()) });
}

/// A JavaScript function calling `callback` with `data`, which it keeps alive until the
/// function is garbage collected.
///
/// `data` need not be `Send` or `Sync`: Node calls a function, and the finalizer that drops
/// its data, on the thread of the environment that created it, and a function cannot reach
/// another environment (worker threads get their own functions, and their own data).
pub(crate) fn function<T: 'static>(
    env: sys::napi_env,
    name: &str,
    callback: Callback,
    data: &Rc<T>,
) -> napi::Result<sys::napi_value> {
    let raw = Rc::into_raw(Rc::clone(data)).cast_mut().cast::<c_void>();
    let mut f = ptr::null_mut();
    let len = isize::try_from(name.len()).unwrap_or(0);
    // SAFETY: `name` is valid for `len` bytes; `raw` stays valid until `release_arc` runs.
    let created = unsafe {
        sys::napi_create_function(
            env,
            name.as_ptr().cast(),
            len,
            Some(callback),
            raw,
            &raw mut f,
        )
    };
    // SAFETY: on success the finalizer takes over the reference; otherwise drop it here.
    let finalized = created == sys::Status::napi_ok
        && unsafe {
            sys::napi_add_finalizer(
                env,
                f,
                raw,
                Some(release_arc::<T>),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        } == sys::Status::napi_ok;
    if !finalized {
        // SAFETY: the reference was not handed to Node.
        drop(unsafe { Rc::from_raw(raw.cast::<T>().cast_const()) });
        return Err(napi::Error::from_reason("could not create a function"));
    }
    Ok(f)
}

/// The type tag of objects wrapping a ratecell limiter, so that no other addon's wrapped
/// object is ever taken for one.
static TAG: sys::napi_type_tag = sys::napi_type_tag {
    lower: 0x7261_7465_6365_6c6c,
    upper: 0x6e6f_6465_6c69_6d31,
};

/// Attaches `data` to `object` (kept alive until the object is collected) and tags it. As
/// for [`function`], `data` stays on the environment's thread.
pub(crate) fn wrap<T: 'static>(
    env: sys::napi_env,
    object: sys::napi_value,
    data: &Rc<T>,
) -> napi::Result<()> {
    let raw = Rc::into_raw(Rc::clone(data)).cast_mut().cast::<c_void>();
    // SAFETY: `raw` stays valid until `release_arc` runs; on failure it is dropped here.
    let wrapped = unsafe {
        sys::napi_wrap(
            env,
            object,
            raw,
            Some(release_arc::<T>),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if wrapped != sys::Status::napi_ok {
        // SAFETY: the reference was not handed to Node.
        drop(unsafe { Rc::from_raw(raw.cast::<T>().cast_const()) });
        return Err(napi::Error::from_reason("could not wrap a limiter"));
    }
    // SAFETY: `object` is a live object of this environment.
    if unsafe { sys::napi_type_tag_object(env, object, &raw const TAG) } != sys::Status::napi_ok {
        return Err(napi::Error::from_reason("could not tag a limiter"));
    }
    Ok(())
}

/// The data [`wrap`]ped into `object`, if it is a tagged ratecell object.
///
/// # Safety
/// Every object tagged with [`TAG`] must have been wrapped by [`wrap`] with an `Rc<T>`.
pub(crate) unsafe fn unwrap<T>(env: sys::napi_env, object: sys::napi_value) -> Option<Rc<T>> {
    let mut tagged = false;
    // SAFETY: `env` and `object` come from the current call.
    let status =
        unsafe { sys::napi_check_object_type_tag(env, object, &raw const TAG, &raw mut tagged) };
    if status != sys::Status::napi_ok || !tagged {
        return None;
    }
    let mut raw = ptr::null_mut();
    // SAFETY: a tagged object was wrapped by `wrap` with an `Rc<T>`.
    if unsafe { sys::napi_unwrap(env, object, &raw mut raw) } != sys::Status::napi_ok {
        return None;
    }
    let raw = raw.cast::<T>().cast_const();
    // SAFETY: take a new strong reference; the wrapper keeps its own.
    unsafe {
        Rc::increment_strong_count(raw);
        Some(Rc::from_raw(raw))
    }
}

/// Sets `object[name] = value`.
pub(crate) fn set(
    env: sys::napi_env,
    object: sys::napi_value,
    name: &str,
    value: sys::napi_value,
) -> napi::Result<()> {
    let name = CString::new(name).unwrap_or_default();
    // SAFETY: `name` is NUL-terminated; the values belong to `env`.
    match unsafe { sys::napi_set_named_property(env, object, name.as_ptr(), value) } {
        sys::Status::napi_ok => Ok(()),
        _ => Err(napi::Error::from_reason("could not set a property")),
    }
}

/// A JavaScript number.
pub(crate) fn number(env: sys::napi_env, n: f64) -> sys::napi_value {
    let mut v = ptr::null_mut();
    // SAFETY: creating a number cannot fail in a live environment; on failure `v` stays null,
    // which Node reads as `undefined`.
    unsafe { sys::napi_create_double(env, n, &raw mut v) };
    v
}

/// A JavaScript boolean.
pub(crate) fn boolean(env: sys::napi_env, b: bool) -> sys::napi_value {
    let mut v = ptr::null_mut();
    // SAFETY: as for `number`.
    unsafe { sys::napi_get_boolean(env, b, &raw mut v) };
    v
}
