//! Quotas from Python arguments (`limit`, `period` in seconds, `burst`) or from strings.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};
use ratecell::{Nanos, Quota};

use crate::error;
use crate::time::{Invalid, nanos_from_seconds};

/// A whole number at least 1 (`limit`, `burst`), as `u64`.
pub(crate) fn count(value: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    whole(value, what, 1, Invalid::Quota)
}

/// A whole number between `min` and `2**64 - 1`.
pub(crate) fn whole(
    value: &Bound<'_, PyAny>,
    what: &str,
    min: u64,
    invalid: Invalid,
) -> PyResult<u64> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(error::type_error(what, "an int", value));
    }
    let bad = |message: String| match invalid {
        Invalid::Quota => error::invalid_quota(&message),
        Invalid::Value => error::value_error(message),
    };
    match value.extract::<i128>() {
        Ok(n) if n < i128::from(min) => Err(bad(format!("{what} must be at least {min}, got {n}"))),
        Ok(n) => u64::try_from(n).map_err(|_| bad(format!("{what} must be below 2**64, got {n}"))),
        Err(_) => Err(bad(format!("{what} must be below 2**64"))),
    }
}

/// `limit` per `period` seconds, with `burst` (default: `limit`).
pub(crate) fn from_args(
    limit: &Bound<'_, PyAny>,
    period: &Bound<'_, PyAny>,
    burst: Option<&Bound<'_, PyAny>>,
    context: &str,
) -> PyResult<Quota> {
    let limit = count(limit, "limit")?;
    let period = nanos_from_seconds(period, "period", Invalid::Quota)?;
    let quota =
        Quota::from_nanos(limit, period.as_nanos()).map_err(|e| error::quota_error(e, context))?;
    match burst {
        Some(b) if !b.is_none() => quota
            .with_burst(count(b, "burst")?)
            .map_err(|e| error::quota_error(e, context)),
        _ => Ok(quota),
    }
}

/// A quota string such as `"100/minute burst 120"`.
pub(crate) fn parse(text: &Bound<'_, PyAny>) -> PyResult<Quota> {
    let py = text.py();
    let Ok(text) = text.cast::<PyString>() else {
        return Err(error::type_error(
            "quota",
            "a str such as \"100/minute\"",
            text,
        ));
    };
    let text = text.to_cow()?;
    Quota::parse(&text).map_err(|e| error::parse_error(py, &text, e))
}

/// Windows count up to `limit` per period; a burst other than the limit means nothing to them.
pub(crate) fn without_burst(quota: Quota, context: &str) -> PyResult<Quota> {
    if quota.burst() == quota.limit() {
        Ok(quota)
    } else {
        Err(error::invalid_quota(&format!(
            "{context} counts at most limit per period and takes no burst (got burst {} with limit {})",
            quota.burst(),
            quota.limit()
        )))
    }
}

/// The quota's period in seconds.
pub(crate) fn period_secs(quota: &Quota) -> f64 {
    crate::time::secs(Nanos::from_duration(quota.period()))
}
