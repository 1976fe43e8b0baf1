//! Reading option objects (`{ limit, periodMs, burst, maxKeys, ... }`) with the same typed
//! errors as every other argument: a wrong type is a `TypeError`, a bad number a `RangeError`,
//! and a misspelt option name a `TypeError` rather than a silently ignored setting.

use std::ffi::CString;
use std::ptr;

use napi::sys;
use ratecell::{Nanos, Quota};

use crate::call::{is_undefined, type_name, whole};
use crate::error::JsError;
use crate::time::duration;

/// An options object (or `undefined`: no options).
pub(crate) struct Options {
    env: sys::napi_env,
    object: Option<sys::napi_value>,
}

/// An exception is already pending (a getter threw): it propagates as it is.
fn pending() -> JsError {
    JsError::internal("an exception is pending")
}

impl Options {
    /// Reads `value` as options accepting only the names in `known`.
    pub(crate) fn new(
        env: sys::napi_env,
        value: Option<sys::napi_value>,
        what: &str,
        known: &[&str],
    ) -> Result<Options, JsError> {
        let Some(object) = value.filter(|v| !is_undefined(env, Some(*v))) else {
            return Ok(Options { env, object: None });
        };
        if type_name(env, object) != "object" {
            return Err(JsError::invalid_type(
                what,
                "an object",
                type_name(env, object),
            ));
        }
        let options = Options {
            env,
            object: Some(object),
        };
        for name in options.names()? {
            if !known.contains(&name.as_str()) {
                return Err(JsError::type_error(format!(
                    "unknown option {name:?} in {what}; expected one of: {}",
                    known.join(", ")
                )));
            }
        }
        Ok(options)
    }

    /// The object's own enumerable string keys.
    fn names(&self) -> Result<Vec<String>, JsError> {
        let Some(object) = self.object else {
            return Ok(Vec::new());
        };
        let mut keys = ptr::null_mut();
        // SAFETY: `object` is an object of `env`.
        if unsafe { sys::napi_get_property_names(self.env, object, &raw mut keys) }
            != sys::Status::napi_ok
        {
            return Err(pending());
        }
        let mut len = 0_u32;
        // SAFETY: `keys` is an array of `env`.
        unsafe { sys::napi_get_array_length(self.env, keys, &raw mut len) };
        let mut names = Vec::new();
        for i in 0..len {
            let mut key = ptr::null_mut();
            // SAFETY: `i` is within the array.
            if unsafe { sys::napi_get_element(self.env, keys, i, &raw mut key) }
                != sys::Status::napi_ok
            {
                return Err(pending());
            }
            names.push(read_string(self.env, key).unwrap_or_default());
        }
        Ok(names)
    }

    /// The option `name`, `None` when absent or `undefined`.
    pub(crate) fn get(&self, name: &str) -> Result<Option<sys::napi_value>, JsError> {
        let Some(object) = self.object else {
            return Ok(None);
        };
        let key = CString::new(name).unwrap_or_default();
        let mut value = ptr::null_mut();
        // SAFETY: `key` is NUL-terminated; `object` belongs to `env`.
        if unsafe { sys::napi_get_named_property(self.env, object, key.as_ptr(), &raw mut value) }
            != sys::Status::napi_ok
        {
            return Err(pending());
        }
        Ok((!is_undefined(self.env, Some(value))).then_some(value))
    }

    /// A whole number option, at least `min`.
    pub(crate) fn whole(&self, name: &str, min: u64) -> Result<Option<u64>, JsError> {
        self.get(name)?
            .map(|v| whole(self.env, v, name, min))
            .transpose()
    }

    /// A millisecond duration option, at least `min_ns` nanoseconds.
    pub(crate) fn duration(&self, name: &str, min_ns: u64) -> Result<Option<Nanos>, JsError> {
        self.get(name)?
            .map(|v| duration(self.env, v, name, min_ns))
            .transpose()
    }

    /// A boolean option.
    pub(crate) fn flag(&self, name: &str) -> Result<Option<bool>, JsError> {
        self.get(name)?
            .map(|v| {
                let mut b = false;
                // SAFETY: `v` is a live value of `env`; this fails unless it is a boolean.
                if unsafe { sys::napi_get_value_bool(self.env, v, &raw mut b) }
                    == sys::Status::napi_ok
                {
                    Ok(b)
                } else {
                    Err(JsError::invalid_type(
                        name,
                        "a boolean",
                        type_name(self.env, v),
                    ))
                }
            })
            .transpose()
    }

    /// A string option.
    pub(crate) fn string(&self, name: &str) -> Result<Option<String>, JsError> {
        self.get(name)?
            .map(|v| {
                read_string(self.env, v)
                    .ok_or_else(|| JsError::invalid_type(name, "a string", type_name(self.env, v)))
            })
            .transpose()
    }

    /// A quota from `quota` (a string such as `"100/minute burst 120"`) or from `limit`,
    /// `periodMs` and `burst`.
    pub(crate) fn quota(&self) -> Result<Quota, JsError> {
        let text = self.string("quota")?;
        let limit = self.whole("limit", 1)?;
        let period = self.duration("periodMs", 1)?;
        let burst = self.whole("burst", 1)?;
        let quota = match (text, limit, period) {
            (Some(text), None, None) => {
                let quota = Quota::parse(&text).map_err(|e| JsError::quota_string(&text, e))?;
                if burst.is_some() && quota.burst() != quota.limit() {
                    return Err(JsError::type_error(format!(
                        "burst is given twice: in the quota {text:?} and as an option"
                    )));
                }
                quota
            }
            (None, Some(limit), Some(period)) => {
                Quota::from_nanos(limit, period.as_nanos()).map_err(quota_error)?
            }
            (Some(_), _, _) => {
                return Err(JsError::type_error(
                    "give either a quota string or limit and periodMs, not both".to_owned(),
                ));
            }
            (None, None, _) => {
                return Err(JsError::type_error(
                    "a quota is required: a string such as \"100/minute\", or limit and periodMs"
                        .to_owned(),
                ));
            }
            (None, Some(_), None) => {
                return Err(JsError::type_error(
                    "periodMs is required with limit".to_owned(),
                ));
            }
        };
        match burst {
            Some(b) => quota.with_burst(b).map_err(quota_error),
            None => Ok(quota),
        }
    }
}

/// An invalid quota's numbers.
pub(crate) fn quota_error(e: ratecell::QuotaError) -> JsError {
    JsError::core(ratecell::Error::InvalidQuota(e))
}

/// A JavaScript string as UTF-8 (lone surrogates become U+FFFD), `None` for other types.
pub(crate) fn read_string(env: sys::napi_env, value: sys::napi_value) -> Option<String> {
    let mut len = 0_usize;
    // SAFETY: a null buffer asks for the length only; fails for non-strings.
    if unsafe { sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &raw mut len) }
        != sys::Status::napi_ok
    {
        return None;
    }
    let mut buf = vec![0_u8; len + 1];
    let mut written = 0_usize;
    // SAFETY: `buf` holds `len + 1` bytes, the size passed.
    unsafe {
        sys::napi_get_value_string_utf8(
            env,
            value,
            buf.as_mut_ptr().cast(),
            len + 1,
            &raw mut written,
        );
    }
    buf.truncate(written);
    String::from_utf8(buf).ok()
}

/// `maxKeys`: how many keys a limiter stores at most.
pub(crate) fn max_keys(options: &Options) -> Result<usize, JsError> {
    const DEFAULT: u64 = 100_000;
    const MAX: u64 = (u32::MAX / 2) as u64;
    let n = options.whole("maxKeys", 1)?.unwrap_or(DEFAULT);
    if n > MAX {
        return Err(JsError::value(format!(
            "maxKeys must be an integer from 1 to {MAX}, got {n}"
        )));
    }
    usize::try_from(n).map_err(|_| JsError::value("maxKeys is too large".to_owned()))
}

/// `whenFull`: `"fail-closed"` (refuse new keys, the default) or `"evict"`.
pub(crate) fn when_full(options: &Options) -> Result<ratecell::WhenFull, JsError> {
    match options.string("whenFull")?.as_deref() {
        None | Some("fail-closed") => Ok(ratecell::WhenFull::FailClosed),
        Some("evict") => Ok(ratecell::WhenFull::Evict),
        Some(other) => Err(JsError::value(format!(
            "whenFull must be \"fail-closed\" or \"evict\", got {other:?}"
        ))),
    }
}
