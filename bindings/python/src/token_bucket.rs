//! `TokenBucket`: tokens refill at `limit` per `period` into a bucket of `burst`.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyType};
use ratecell::{Limiter, Quota};

use crate::error;
use crate::http::Advert;
use crate::limiter::{Options, RateLimiter};
use crate::quota;

/// A token bucket: `burst` tokens (default `limit`), refilled at `limit` per `period`
/// seconds; a request of cost `n` takes `n` tokens. `starts_empty=True` gives new keys an
/// empty bucket instead of a full one. 24 bytes per key.
#[pyclass(frozen, extends = RateLimiter, module = "ratecell")]
pub(crate) struct TokenBucket {
    quota: Quota,
    starts_empty: bool,
}

impl TokenBucket {
    fn build(
        quota: Quota,
        starts_empty: Option<&Bound<'_, PyAny>>,
        options: Options,
    ) -> PyResult<PyClassInitializer<TokenBucket>> {
        let starts_empty = match starts_empty {
            Some(flag) if !flag.is_none() => flag
                .cast::<PyBool>()
                .map_err(|_| error::type_error("starts_empty", "a bool", flag))?
                .is_true(),
            _ => false,
        };
        let mut bucket = ratecell::TokenBucket::new(quota);
        if starts_empty {
            bucket = bucket.starting_empty();
        }
        let advert = Advert::rate(options.name.clone(), &quota);
        let empty = if starts_empty { " starting empty" } else { "" };
        let description = format!("TokenBucket {quota}{empty} name={:?}", options.name);
        let base = RateLimiter::cell(Limiter::from(bucket), options, advert, description);
        Ok(PyClassInitializer::from(base).add_subclass(TokenBucket {
            quota,
            starts_empty,
        }))
    }
}

#[pymethods]
impl TokenBucket {
    #[new]
    #[pyo3(signature = (limit, period, *, burst = None, starts_empty = None, name = None, max_keys = None, when_full = None, clock = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        limit: &Bound<'_, PyAny>,
        period: &Bound<'_, PyAny>,
        burst: Option<&Bound<'_, PyAny>>,
        starts_empty: Option<&Bound<'_, PyAny>>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyClassInitializer<TokenBucket>> {
        let quota = quota::from_args(limit, period, burst, "TokenBucket")?;
        let options = Options::from_args(name, max_keys, when_full, clock)?;
        TokenBucket::build(quota, starts_empty, options)
    }

    /// A `TokenBucket` from a quota string such as `"100/minute burst 120"`.
    #[classmethod]
    #[pyo3(signature = (quota, *, starts_empty = None, name = None, max_keys = None, when_full = None, clock = None))]
    #[allow(clippy::too_many_arguments)]
    fn parse(
        cls: &Bound<'_, PyType>,
        quota: &Bound<'_, PyAny>,
        starts_empty: Option<&Bound<'_, PyAny>>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<TokenBucket>> {
        let quota = quota::parse(quota)?;
        let options = Options::from_args(name, max_keys, when_full, clock)?;
        Py::new(cls.py(), TokenBucket::build(quota, starts_empty, options)?)
    }

    /// Requests per period.
    #[getter]
    fn limit(&self) -> u64 {
        self.quota.limit()
    }

    /// The period in seconds.
    #[getter]
    fn period(&self) -> f64 {
        quota::period_secs(&self.quota)
    }

    /// The bucket's size: requests a full bucket admits at one instant.
    #[getter]
    fn burst(&self) -> u64 {
        self.quota.burst()
    }

    /// New keys start with an empty bucket.
    #[getter]
    fn starts_empty(&self) -> bool {
        self.starts_empty
    }
}
