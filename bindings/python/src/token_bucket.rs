//! `TokenBucket`: tokens refill at `limit` per `period` into a bucket of `burst`.

use std::sync::{Arc, Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyType};
use ratecell::{Limiter, Nanos, Quota};

use crate::error;
use crate::keyed::{Key, owned_key};
use crate::limiter::{self, Kind, Options, RateLimiter, Store};
use crate::quota;
use crate::time::{Invalid, nanos_from_seconds, secs};

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
        let empty = if starts_empty { " starting empty" } else { "" };
        let description = format!("TokenBucket {quota}{empty} name={:?}", options.name);
        let base = RateLimiter::cell(Limiter::from(bucket), options, description);
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

    /// Reserves `cost` tokens for `key`, borrowing against future refills, and takes them
    /// when the wait until they are there is at most `max_wait` seconds. `None` when the key
    /// cannot be stored (`max_keys` keys that all still count, failing closed).
    #[pyo3(signature = (key = None, cost = None, *, max_wait = None))]
    fn reserve(
        slf: &Bound<'_, Self>,
        key: Option<&Bound<'_, PyAny>>,
        cost: Option<&Bound<'_, PyAny>>,
        max_wait: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Reservation>> {
        let base = slf.as_super().get();
        let key = owned_key(key)?;
        let cost = limiter::cost(cost)?;
        let max_wait = match max_wait.filter(|w| !w.is_none()) {
            Some(w) => nanos_from_seconds(w, "max_wait", Invalid::Value)?,
            None => Nanos::ZERO,
        };
        let Kind::Cell(store) = &base.kind else {
            return Err(error::value_error("not a token bucket".to_owned()));
        };
        let now = base.clock.now();
        let Some(reserved) = store.reserve(&key[..], now, cost, max_wait) else {
            return Ok(None);
        };
        let reservation = reserved.map_err(|e| error::check_error(slf.py(), e, cost))?;
        Ok(Some(Reservation {
            owner: slf.clone().unbind(),
            store: Arc::clone(store),
            key,
            held: Mutex::new(reservation),
        }))
    }
}

/// Tokens reserved from a `TokenBucket`: proceed at `ready_at` (after `delay` seconds) when
/// `committed`, or `cancel()` to give the tokens back. Truthy when committed.
#[pyclass(frozen, module = "ratecell")]
pub(crate) struct Reservation {
    owner: Py<TokenBucket>,
    store: Arc<Store>,
    key: Key,
    held: Mutex<ratecell::Reservation>,
}

impl Reservation {
    fn read<R>(&self, f: impl FnOnce(&ratecell::Reservation) -> R) -> R {
        f(&self.held.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[pymethods]
impl Reservation {
    /// The tokens are taken (and not given back yet).
    #[getter]
    fn committed(&self) -> bool {
        self.read(ratecell::Reservation::is_committed)
    }

    /// Tokens reserved.
    #[getter]
    fn cost(&self) -> u64 {
        self.read(ratecell::Reservation::cost)
    }

    /// Seconds from the reservation until the caller may proceed.
    #[getter]
    fn delay(&self) -> f64 {
        secs(self.read(ratecell::Reservation::delay))
    }

    /// The instant (on the limiter's clock, in seconds) the caller may proceed.
    #[getter]
    fn ready_at(&self) -> f64 {
        secs(self.read(ratecell::Reservation::ready_at))
    }

    /// `ready_at` in whole nanoseconds.
    #[getter]
    fn ready_at_ns(&self) -> u64 {
        self.read(ratecell::Reservation::ready_at).as_nanos()
    }

    /// Gives the tokens back when the caller will not proceed, and returns how many whole
    /// tokens went back: all of them for the latest reservation, none once `ready_at` has
    /// passed or when already cancelled.
    fn cancel(&self, py: Python<'_>) -> u64 {
        let now = self.owner.bind(py).as_super().get().clock.now();
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let returned = self.store.cancel(&self.key[..], &mut held, now);
        returned.unwrap_or_else(|| {
            // The key is fresh again (not stored): nothing is held, nothing goes back, and
            // the reservation is marked cancelled as the core marks it.
            let mut parts = held.to_parts();
            parts[0] = 0;
            if let Some(spent) = ratecell::Reservation::from_parts(parts) {
                *held = spent;
            }
            0
        })
    }

    fn __bool__(&self) -> bool {
        self.committed()
    }

    fn __repr__(&self) -> String {
        self.read(|r| {
            format!(
                "<Reservation {} of {}, ready after {}>",
                if r.is_committed() {
                    "committed"
                } else {
                    "not committed"
                },
                r.cost(),
                r.delay()
            )
        })
    }
}
