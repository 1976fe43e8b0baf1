//! `SlidingWindow`: the two-window counter, weighing the previous window in.

use pyo3::prelude::*;
use pyo3::types::PyType;
use ratecell::{Limiter, Quota};

use crate::limiter::{Options, RateLimiter};
use crate::quota;

/// About `limit` requests per any `period`: the current window's count plus the previous
/// window's, weighted by how much of it the sliding window still covers. O(1), 24 bytes
/// per key, approximate within the bound the core documents.
#[pyclass(frozen, extends = RateLimiter, module = "ratecell")]
pub(crate) struct SlidingWindow {
    quota: Quota,
}

impl SlidingWindow {
    fn build(quota: Quota, options: Options) -> PyClassInitializer<SlidingWindow> {
        let description = format!("SlidingWindow {quota} name={:?}", options.name);
        let base = RateLimiter::cell(
            Limiter::from(ratecell::SlidingWindow::new(quota)),
            options,
            description,
        );
        PyClassInitializer::from(base).add_subclass(SlidingWindow { quota })
    }
}

#[pymethods]
impl SlidingWindow {
    #[new]
    #[pyo3(signature = (limit, period, *, name = None, max_keys = None, when_full = None, clock = None))]
    fn new(
        limit: &Bound<'_, PyAny>,
        period: &Bound<'_, PyAny>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyClassInitializer<SlidingWindow>> {
        let quota = quota::from_args(limit, period, None, "SlidingWindow")?;
        Ok(SlidingWindow::build(
            quota,
            Options::from_args(name, max_keys, when_full, clock)?,
        ))
    }

    /// A `SlidingWindow` from a quota string such as `"100/minute"`.
    #[classmethod]
    #[pyo3(signature = (quota, *, name = None, max_keys = None, when_full = None, clock = None))]
    fn parse(
        cls: &Bound<'_, PyType>,
        quota: &Bound<'_, PyAny>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<SlidingWindow>> {
        let quota = quota::without_burst(quota::parse(quota)?, "SlidingWindow")?;
        let options = Options::from_args(name, max_keys, when_full, clock)?;
        Py::new(cls.py(), SlidingWindow::build(quota, options))
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
