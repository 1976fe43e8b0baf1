//! `SlidingLog`: the exact sliding window, one log entry per admitted request.

use pyo3::prelude::*;
use pyo3::types::PyType;
use ratecell::{KeyedStore, Quota, SizedSlidingLog};

use crate::decision::Spare;
use crate::error;
use crate::http::Advert;
use crate::limiter::{Kind, Options, RateLimiter};
use crate::quota;

/// Exactly `limit` requests in every window of `period` seconds, wherever it starts: each
/// key logs its admitted requests (16 bytes each, room for `entries` requests, by default
/// the limit, rounded up to a power of 4 from 4 to 4096), so `limit` is at most 4096. A log
/// with fewer entries than the limit admits fewer unit requests, never more.
#[pyclass(frozen, extends = RateLimiter, module = "ratecell")]
pub(crate) struct SlidingLog {
    quota: Quota,
    entries: usize,
}

impl SlidingLog {
    fn build(
        quota: Quota,
        entries: Option<&Bound<'_, PyAny>>,
        options: Options,
    ) -> PyResult<PyClassInitializer<SlidingLog>> {
        let log = match entries.filter(|e| !e.is_none()) {
            Some(entries) => {
                let entries = quota::count(entries, "entries")?;
                SizedSlidingLog::with_entries(quota, usize::try_from(entries).unwrap_or(usize::MAX))
            }
            None => SizedSlidingLog::exact(quota),
        }
        .map_err(|e| error::quota_error(e, "SlidingLog"))?;
        let entries = log.entries();
        let store = KeyedStore::new(log, options.store.max_keys, options.store.when_full);
        let base = RateLimiter {
            kind: Kind::Log(store),
            adverts: Box::new([Advert::rate(options.name.clone(), &quota)]),
            description: format!("SlidingLog {quota} name={:?}", options.name),
            spare: Spare::new(),
            clock: options.clock,
            options: Some(options.store),
        };
        Ok(PyClassInitializer::from(base).add_subclass(SlidingLog { quota, entries }))
    }
}

#[pymethods]
impl SlidingLog {
    #[new]
    #[pyo3(signature = (limit, period, *, entries = None, name = None, max_keys = None, when_full = None, clock = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        limit: &Bound<'_, PyAny>,
        period: &Bound<'_, PyAny>,
        entries: Option<&Bound<'_, PyAny>>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyClassInitializer<SlidingLog>> {
        let quota = quota::from_args(limit, period, None, "SlidingLog")?;
        SlidingLog::build(
            quota,
            entries,
            Options::from_args(name, max_keys, when_full, clock)?,
        )
    }

    /// A `SlidingLog` from a quota string such as `"100/minute"`.
    #[classmethod]
    #[pyo3(signature = (quota, *, entries = None, name = None, max_keys = None, when_full = None, clock = None))]
    #[allow(clippy::too_many_arguments)]
    fn parse(
        cls: &Bound<'_, PyType>,
        quota: &Bound<'_, PyAny>,
        entries: Option<&Bound<'_, PyAny>>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<SlidingLog>> {
        let quota = quota::without_burst(quota::parse(quota)?, "SlidingLog")?;
        let options = Options::from_args(name, max_keys, when_full, clock)?;
        Py::new(cls.py(), SlidingLog::build(quota, entries, options)?)
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

    /// Requests each key's log holds within a period: `entries` (default `limit`) rounded up
    /// to a power of 4 from 4 to 4096.
    #[getter]
    fn entries(&self) -> usize {
        self.entries
    }
}
