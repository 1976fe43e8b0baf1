//! Errors as JavaScript sees them: a `TypeError` or `RangeError` with a stable `code`.
//!
//! Errors are kept for what no waiting can fix (an invalid argument or configuration, a cost
//! above the capacity); a refused request is a decision, never an error.

use std::ffi::CString;
use std::ptr;

use napi::{Env, Status, sys};
use ratecell::Error as CoreError;

/// A value of the wrong type (`TypeError`).
pub(crate) const INVALID_ARG_TYPE: &str = "ERR_RATECELL_INVALID_ARG_TYPE";
/// A number out of range, not an integer, NaN or infinite, or an unknown name (`RangeError`).
pub(crate) const INVALID_ARG_VALUE: &str = "ERR_RATECELL_INVALID_ARG_VALUE";
/// A quota string that does not parse, or quota numbers that make no limiter (`RangeError`).
pub(crate) const INVALID_QUOTA: &str = "ERR_RATECELL_INVALID_QUOTA";
/// A cost above the limiter's capacity: no wait can admit it (`RangeError`, with `capacity`).
pub(crate) const INSUFFICIENT_CAPACITY: &str = "ERR_RATECELL_INSUFFICIENT_CAPACITY";
/// A key longer than the limit (`RangeError`).
pub(crate) const INVALID_KEY: &str = "ERR_RATECELL_INVALID_KEY";
/// A credits top-up past what a key can be granted (`RangeError`, with `headroom`).
pub(crate) const CREDITS_OVERFLOW: &str = "ERR_RATECELL_CREDITS_OVERFLOW";
/// A bug in ratecell (`Error`).
pub(crate) const INTERNAL: &str = "ERR_RATECELL_INTERNAL";

/// The JavaScript error class.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Class {
    Error,
    Type,
    Range,
}

/// An error to throw into JavaScript.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct JsError {
    class: Class,
    code: &'static str,
    message: String,
    /// An extra numeric property (`capacity`, `headroom`).
    extra: Option<(&'static str, f64)>,
}

impl JsError {
    /// A `RangeError` with `code`.
    pub(crate) fn range(code: &'static str, message: String) -> JsError {
        JsError {
            class: Class::Range,
            code,
            message,
            extra: None,
        }
    }

    /// A `TypeError`: `name` must be `expected`, and was `got` (a `typeof` name).
    pub(crate) fn invalid_type(name: &str, expected: &str, got: &str) -> JsError {
        JsError {
            class: Class::Type,
            code: INVALID_ARG_TYPE,
            message: format!("{name} must be {expected}, got {got}"),
            extra: None,
        }
    }

    /// A `TypeError` with a message of its own.
    pub(crate) fn type_error(message: String) -> JsError {
        JsError {
            class: Class::Type,
            code: INVALID_ARG_TYPE,
            message,
            extra: None,
        }
    }

    /// A `RangeError` for an invalid value.
    pub(crate) fn value(message: String) -> JsError {
        JsError::range(INVALID_ARG_VALUE, message)
    }

    /// An `Error` for what should never happen.
    pub(crate) fn internal(message: &str) -> JsError {
        JsError {
            class: Class::Error,
            code: INTERNAL,
            message: message.to_owned(),
            extra: None,
        }
    }

    /// The core's error, as thrown to JavaScript.
    pub(crate) fn core(error: CoreError) -> JsError {
        match error {
            CoreError::InsufficientCapacity { capacity } => JsError {
                extra: Some(("capacity", capacity as f64)),
                ..JsError::range(INSUFFICIENT_CAPACITY, error.to_string())
            },
            CoreError::InvalidQuota(_) | CoreError::Parse(_) => {
                JsError::range(INVALID_QUOTA, error.to_string())
            }
            CoreError::CreditsOverflow { headroom } => JsError {
                extra: Some(("headroom", headroom as f64)),
                ..JsError::range(CREDITS_OVERFLOW, error.to_string())
            },
            CoreError::LengthMismatch { members, .. } => {
                JsError::value(format!("costs must have one entry per member ({members})"))
            }
            _ => JsError::internal(&error.to_string()),
        }
    }

    /// A quota string that did not parse.
    pub(crate) fn quota_string(input: &str, error: ratecell::ParseError) -> JsError {
        JsError::range(INVALID_QUOTA, format!("invalid quota {input:?}: {error}"))
    }

    /// Throws the error into `env` (unless an exception is already pending, which wins).
    pub(crate) fn throw(&self, env: sys::napi_env) {
        let mut pending = false;
        // SAFETY: `env` is the live environment of the current call.
        unsafe { sys::napi_is_exception_pending(env, &raw mut pending) };
        if pending {
            return;
        }
        let Some(error) = self.create(env) else {
            return;
        };
        // SAFETY: `error` is a value of `env`.
        unsafe { sys::napi_throw(env, error) };
    }

    fn create(&self, env: sys::napi_env) -> Option<sys::napi_value> {
        let code = string(env, self.code)?;
        let message = string(env, &self.message)?;
        let mut error = ptr::null_mut();
        // SAFETY: the strings are values of `env`.
        let status = unsafe {
            match self.class {
                Class::Error => sys::napi_create_error(env, code, message, &raw mut error),
                Class::Type => sys::napi_create_type_error(env, code, message, &raw mut error),
                Class::Range => sys::napi_create_range_error(env, code, message, &raw mut error),
            }
        };
        if status != sys::Status::napi_ok {
            return None;
        }
        if let Some((name, value)) = self.extra {
            crate::call::set(env, error, name, crate::call::number(env, value)).ok()?;
        }
        Some(error)
    }

    /// Throws the error and returns what a `#[napi]` function returns after throwing.
    pub(crate) fn into_napi(self, env: &Env) -> napi::Error {
        self.throw(env.raw());
        napi::Error::from_status(Status::PendingException)
    }
}

/// A JavaScript string.
pub(crate) fn string(env: sys::napi_env, s: &str) -> Option<sys::napi_value> {
    let text = CString::new(s.replace('\0', " ")).ok()?;
    let mut value = ptr::null_mut();
    // SAFETY: `text` is NUL-terminated.
    let status = unsafe {
        sys::napi_create_string_utf8(
            env,
            text.as_ptr(),
            text.as_bytes().len().cast_signed(),
            &raw mut value,
        )
    };
    (status == sys::Status::napi_ok).then_some(value)
}

/// Converts a core result for a `#[napi]` function, throwing the typed error.
pub(crate) trait OrThrow<T> {
    /// The value, or the error thrown into `env`.
    fn or_throw(self, env: &Env) -> napi::Result<T>;
}

impl<T> OrThrow<T> for Result<T, JsError> {
    fn or_throw(self, env: &Env) -> napi::Result<T> {
        self.map_err(|e| e.into_napi(env))
    }
}
