//! `Burst`: a sustained rate and a short-term peak, enforced together.

use pyo3::prelude::*;
use pyo3::types::PyType;
use ratecell::{Limiter, Quota};

use crate::error;
use crate::limiter::{Options, RateLimiter};
use crate::quota;
use crate::time::{Invalid, nanos_from_seconds, secs};

/// A burst tier: `limit` requests per `period` sustained, and at the rate of `burst` per
/// `period` measured over `burst_window` seconds (the published "burst 120 over 10 s").
/// Both buckets admit, or neither records. 16 bytes per key.
#[pyclass(frozen, extends = RateLimiter, module = "ratecell")]
pub(crate) struct Burst {
    burst: ratecell::Burst,
    quota: Quota,
}

impl Burst {
    fn build(
        quota: Quota,
        window: &Bound<'_, PyAny>,
        options: Options,
    ) -> PyResult<PyClassInitializer<Burst>> {
        let window = nanos_from_seconds(window, "burst_window", Invalid::Quota)?;
        let burst = ratecell::Burst::new(quota, window.as_duration())
            .map_err(|e| error::quota_error(e, "Burst"))?;
        let description = format!(
            "Burst {quota} over {} name={:?}",
            ratecell::Nanos::from_duration(burst.burst_window()),
            options.name
        );
        let base = RateLimiter::cell(Limiter::from(burst), options, description);
        Ok(PyClassInitializer::from(base).add_subclass(Burst { burst, quota }))
    }
}

#[pymethods]
impl Burst {
    #[new]
    #[pyo3(signature = (limit, period, *, burst_window, burst = None, name = None, max_keys = None, when_full = None, clock = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        limit: &Bound<'_, PyAny>,
        period: &Bound<'_, PyAny>,
        burst_window: &Bound<'_, PyAny>,
        burst: Option<&Bound<'_, PyAny>>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyClassInitializer<Burst>> {
        let quota = quota::from_args(limit, period, burst, "Burst")?;
        Burst::build(
            quota,
            burst_window,
            Options::from_args(name, max_keys, when_full, clock)?,
        )
    }

    /// A `Burst` from a quota string such as `"100/minute burst 120"` and a burst window.
    #[classmethod]
    #[pyo3(signature = (quota, *, burst_window, name = None, max_keys = None, when_full = None, clock = None))]
    #[allow(clippy::too_many_arguments)]
    fn parse(
        cls: &Bound<'_, PyType>,
        quota: &Bound<'_, PyAny>,
        burst_window: &Bound<'_, PyAny>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<Burst>> {
        let quota = quota::parse(quota)?;
        let options = Options::from_args(name, max_keys, when_full, clock)?;
        Py::new(cls.py(), Burst::build(quota, burst_window, options)?)
    }

    /// Sustained requests per period.
    #[getter]
    fn limit(&self) -> u64 {
        self.quota.limit()
    }

    /// The period in seconds.
    #[getter]
    fn period(&self) -> f64 {
        quota::period_secs(&self.quota)
    }

    /// The burst rate: requests per period while bursting.
    #[getter]
    fn burst(&self) -> u64 {
        self.quota.burst()
    }

    /// The window the burst rate is measured over, in seconds.
    #[getter]
    fn burst_window(&self) -> f64 {
        secs(ratecell::Nanos::from_duration(self.burst.burst_window()))
    }
}
