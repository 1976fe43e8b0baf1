//! Keys and keyed stores: Python keys (`str`, `bytes`, `int`, `None`) as the byte strings the
//! core's `KeyedStore` holds, and the options every keyed limiter takes.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyInt, PyString};
use ratecell::WhenFull;

use crate::error;

/// The stores every Python limiter uses: keys are tagged byte strings.
pub(crate) type Key = Box<[u8]>;

// Each key is stored as a tag byte and its contents, so keys of different types never meet:
// `"1"`, `b"1"` and `1` are three keys, as they are three dict keys in Python.
const TAG_NONE: u8 = 0;
const TAG_STR: u8 = 1;
const TAG_BYTES: u8 = 2;
const TAG_INT: u8 = 3;
const TAG_BIG_INT: u8 = 4;

/// Keys up to this many bytes are encoded on the stack.
const INLINE: usize = 64;

/// Runs `f` with the encoded form of `key` (`None`: the single default key).
#[inline]
pub(crate) fn with_key<R>(
    key: Option<&Bound<'_, PyAny>>,
    f: impl FnOnce(&[u8]) -> R,
) -> PyResult<R> {
    let Some(key) = key else {
        return Ok(f(&[TAG_NONE]));
    };
    if let Ok(text) = key.cast::<PyString>() {
        return str_key(text, f);
    }
    if let Ok(bytes) = key.cast::<PyBytes>() {
        return Ok(tagged(TAG_BYTES, bytes.as_bytes(), f));
    }
    if key.is_instance_of::<PyInt>() && !key.is_instance_of::<PyBool>() {
        if let Ok(n) = key.extract::<i64>() {
            return Ok(tagged(TAG_INT, &n.to_le_bytes(), f));
        }
        return match key.extract::<i128>() {
            Ok(n) => Ok(tagged(TAG_BIG_INT, &n.to_le_bytes(), f)),
            Err(_) => Err(error::value_error(
                "an int key must fit in 128 bits; use a str or bytes key for larger numbers"
                    .to_owned(),
            )),
        };
    }
    if key.is_none() {
        return Ok(f(&[TAG_NONE]));
    }
    Err(error::type_error("key", "a str, bytes, int or None", key))
}

/// A `str` key: its UTF-8 form, which the interpreter keeps with the string from 3.10 on
/// (for an ASCII string it is the string's own storage), so nothing is allocated.
#[cfg(any(Py_3_10, not(Py_LIMITED_API)))]
fn str_key<R>(text: &Bound<'_, PyString>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    Ok(tagged(TAG_STR, text.to_str()?.as_bytes(), f))
}

/// A `str` key: its UTF-8 form, as a new `bytes` object (the stable ABI of 3.9 offers no
/// access to the string's cached UTF-8).
#[cfg(not(any(Py_3_10, not(Py_LIMITED_API))))]
fn str_key<R>(text: &Bound<'_, PyString>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    Ok(tagged(TAG_STR, text.encode_utf8()?.as_bytes(), f))
}

/// The encoded key, owned (for a lease, which must name its key later).
pub(crate) fn owned_key(key: Option<&Bound<'_, PyAny>>) -> PyResult<Key> {
    with_key(key, |k| Box::from(k))
}

fn tagged<R>(tag: u8, body: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    if body.len() < INLINE {
        let mut buf = [0_u8; INLINE];
        buf[0] = tag;
        buf[1..=body.len()].copy_from_slice(body);
        f(&buf[..=body.len()])
    } else {
        let mut buf = Vec::with_capacity(body.len() + 1);
        buf.push(tag);
        buf.extend_from_slice(body);
        f(&buf)
    }
}

/// The default bound on stored keys.
pub(crate) const DEFAULT_MAX_KEYS: usize = 100_000;

/// How a keyed limiter stores its keys.
#[derive(Copy, Clone)]
pub(crate) struct StoreOptions {
    pub(crate) max_keys: usize,
    pub(crate) when_full: WhenFull,
}

impl StoreOptions {
    pub(crate) fn from_args(
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<StoreOptions> {
        let max_keys = match max_keys {
            Some(m) if !m.is_none() => {
                if m.is_instance_of::<PyBool>() || !m.is_instance_of::<PyInt>() {
                    return Err(error::type_error("max_keys", "an int", m));
                }
                match m.extract::<i128>() {
                    Ok(n) if n < 1 => {
                        return Err(error::value_error(format!(
                            "max_keys must be at least 1, got {n}"
                        )));
                    }
                    Ok(n) => usize::try_from(n)
                        .ok()
                        .filter(|n| *n <= 1 << 40)
                        .ok_or_else(|| {
                            error::value_error(format!("max_keys must be at most 2**40, got {n}"))
                        })?,
                    Err(_) => {
                        return Err(error::value_error(
                            "max_keys must be at most 2**40".to_owned(),
                        ));
                    }
                }
            }
            _ => DEFAULT_MAX_KEYS,
        };
        let when_full = match when_full {
            Some(w) if !w.is_none() => {
                let Ok(name) = w.cast::<PyString>() else {
                    return Err(error::type_error(
                        "when_full",
                        "\"fail_closed\" or \"evict\"",
                        w,
                    ));
                };
                match &*name.to_cow()? {
                    "fail_closed" => WhenFull::FailClosed,
                    "evict" => WhenFull::Evict,
                    other => {
                        return Err(error::value_error(format!(
                            "when_full must be \"fail_closed\" or \"evict\", not {other:?}"
                        )));
                    }
                }
            }
            _ => WhenFull::FailClosed,
        };
        Ok(StoreOptions {
            max_keys,
            when_full,
        })
    }

    pub(crate) fn when_full_name(&self) -> &'static str {
        if self.when_full == WhenFull::Evict {
            "evict"
        } else {
            "fail_closed"
        }
    }
}
