//! `FixedWindow`: counters per window of `period`, aligned to the clock's epoch.

use pyo3::prelude::*;
use pyo3::types::PyType;
use ratecell::{Limiter, Quota};

use crate::limiter::{Options, RateLimiter};
use crate::quota;

/// At most `limit` requests in each window of `period` seconds; windows start at multiples
/// of the period on the clock (the monotonic clock counts from UTC midnight, so minute and
/// hour windows start on the minute and the hour), as `X-RateLimit-Reset` describes.
#[pyclass(frozen, extends = RateLimiter, module = "ratecell")]
pub(crate) struct FixedWindow {
    quota: Quota,
}

impl FixedWindow {
    fn build(quota: Quota, options: Options) -> PyClassInitializer<FixedWindow> {
        let description = format!("FixedWindow {quota} name={:?}", options.name);
        let base = RateLimiter::cell(
            Limiter::from(ratecell::FixedWindow::new(quota)),
            options,
            description,
        );
        PyClassInitializer::from(base).add_subclass(FixedWindow { quota })
    }
}

#[pymethods]
impl FixedWindow {
    #[new]
    #[pyo3(signature = (limit, period, *, name = None, max_keys = None, when_full = None, clock = None))]
    fn new(
        limit: &Bound<'_, PyAny>,
        period: &Bound<'_, PyAny>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyClassInitializer<FixedWindow>> {
        let quota = quota::from_args(limit, period, None, "FixedWindow")?;
        Ok(FixedWindow::build(
            quota,
            Options::from_args(name, max_keys, when_full, clock)?,
        ))
    }

    /// A `FixedWindow` from a quota string such as `"100/minute"`.
    #[classmethod]
    #[pyo3(signature = (quota, *, name = None, max_keys = None, when_full = None, clock = None))]
    fn parse(
        cls: &Bound<'_, PyType>,
        quota: &Bound<'_, PyAny>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<FixedWindow>> {
        let quota = quota::without_burst(quota::parse(quota)?, "FixedWindow")?;
        let options = Options::from_args(name, max_keys, when_full, clock)?;
        Py::new(cls.py(), FixedWindow::build(quota, options))
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
}
