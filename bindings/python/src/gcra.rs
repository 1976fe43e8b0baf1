//! `Gcra`: the generic cell rate algorithm, `limit` per `period` with bursts of `burst`.

use pyo3::prelude::*;
use pyo3::types::PyType;
use ratecell::{Limiter, Quota};

use crate::limiter::{Options, RateLimiter};
use crate::quota;

/// The generic cell rate algorithm: `limit` requests per `period` seconds, spaced evenly,
/// and a fresh key may make `burst` (default `limit`) at one instant. 8 bytes per key.
#[pyclass(frozen, extends = RateLimiter, module = "ratecell")]
pub(crate) struct Gcra {
    quota: Quota,
}

impl Gcra {
    fn build(quota: Quota, options: Options) -> PyClassInitializer<Gcra> {
        let description = format!("Gcra {quota} name={:?}", options.name);
        let base = RateLimiter::cell(
            Limiter::from(ratecell::Gcra::new(quota)),
            options,
            description,
        );
        PyClassInitializer::from(base).add_subclass(Gcra { quota })
    }
}

#[pymethods]
impl Gcra {
    #[new]
    #[pyo3(signature = (limit, period, *, burst = None, name = None, max_keys = None, when_full = None, clock = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        limit: &Bound<'_, PyAny>,
        period: &Bound<'_, PyAny>,
        burst: Option<&Bound<'_, PyAny>>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyClassInitializer<Gcra>> {
        let quota = quota::from_args(limit, period, burst, "Gcra")?;
        Ok(Gcra::build(
            quota,
            Options::from_args(name, max_keys, when_full, clock)?,
        ))
    }

    /// A `Gcra` from a quota string such as `"100/minute burst 120"`.
    #[classmethod]
    #[pyo3(signature = (quota, *, name = None, max_keys = None, when_full = None, clock = None))]
    fn parse(
        cls: &Bound<'_, PyType>,
        quota: &Bound<'_, PyAny>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<Gcra>> {
        let quota = quota::parse(quota)?;
        let options = Options::from_args(name, max_keys, when_full, clock)?;
        Py::new(cls.py(), Gcra::build(quota, options))
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

    /// Requests a fresh key may make at one instant.
    #[getter]
    fn burst(&self) -> u64 {
        self.quota.burst()
    }
}
