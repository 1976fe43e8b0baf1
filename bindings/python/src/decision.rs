//! `Decision`: what a limiter decided, as a frozen Python object.

use std::fmt::Write as _;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use ratecell::Nanos;

use crate::concurrency::{Concurrency, Lease};
use crate::http;
use crate::limiter::RateLimiter;
use crate::time::{Clock, secs};

/// Who decided: the limiter whose names, quotas and clock the headers use.
pub(crate) enum Source {
    Rate(Py<RateLimiter>),
    Concurrency(Py<Concurrency>),
}

impl Source {
    pub(crate) fn clock(&self) -> &Clock {
        match self {
            Source::Rate(r) => &r.get().clock,
            Source::Concurrency(c) => &c.get().clock,
        }
    }

    pub(crate) fn adverts(&self) -> &[http::Advert] {
        match self {
            Source::Rate(r) => &r.get().adverts,
            Source::Concurrency(c) => std::slice::from_ref(&c.get().advert),
        }
    }
}

/// What a decision carries besides its numbers.
pub(crate) enum Extra {
    None,
    /// The key table was full and failed closed.
    Full,
    /// An `AllOf`: each member's standing, the refusing member, whether a store was full.
    AllOf {
        members: Box<[ratecell::Decision]>,
        refused_by: Option<usize>,
        full: bool,
    },
    /// A granted concurrency lease.
    Lease(Py<Lease>),
}

/// The outcome of a check: admitted or not, and where the key stands. Truthy when admitted.
#[pyclass(frozen, module = "ratecell")]
pub(crate) struct Decision {
    pub(crate) d: ratecell::Decision,
    /// The instant of the decision on the limiter's clock.
    pub(crate) at: Nanos,
    pub(crate) source: Source,
    pub(crate) extra: Extra,
}

impl Decision {
    /// Each policy's own decision: the members' standings for an `AllOf`.
    pub(crate) fn standings(&self) -> &[ratecell::Decision] {
        match &self.extra {
            Extra::AllOf { members, .. } => members,
            _ => std::slice::from_ref(&self.d),
        }
    }

    pub(crate) fn table_full(&self) -> bool {
        matches!(self.extra, Extra::Full | Extra::AllOf { full: true, .. })
    }
}

#[pymethods]
impl Decision {
    /// The request was admitted and recorded.
    #[getter]
    fn allowed(&self) -> bool {
        self.d.allowed
    }

    /// The policy's capacity: unit requests a fresh key may make at one instant.
    #[getter]
    fn limit(&self) -> u64 {
        self.d.limit
    }

    /// Unit requests still admissible at this instant.
    #[getter]
    fn remaining(&self) -> u64 {
        self.d.remaining
    }

    /// Seconds until this same request would be admitted; 0 when it was, `inf` never.
    #[getter]
    fn retry_after(&self) -> f64 {
        secs(self.d.retry_after)
    }

    /// Seconds until the key is back to a fresh state.
    #[getter]
    fn reset_after(&self) -> f64 {
        secs(self.d.reset_after)
    }

    /// `retry_after` in whole nanoseconds, exactly (`2**64 - 1`: never).
    #[getter]
    fn retry_after_ns(&self) -> u64 {
        self.d.retry_after.as_nanos()
    }

    /// `reset_after` in whole nanoseconds, exactly.
    #[getter]
    fn reset_after_ns(&self) -> u64 {
        self.d.reset_after.as_nanos()
    }

    /// The granted lease of a `Concurrency.acquire`; `None` otherwise.
    #[getter]
    fn lease(&self, py: Python<'_>) -> Option<Py<Lease>> {
        match &self.extra {
            Extra::Lease(lease) => Some(lease.clone_ref(py)),
            _ => None,
        }
    }

    /// For an `AllOf` denial, the index of the member that decides when to come back.
    #[getter]
    fn refused_by(&self) -> Option<usize> {
        match &self.extra {
            Extra::AllOf { refused_by, .. } => *refused_by,
            _ => None,
        }
    }

    /// The key could not be stored: the limiter holds `max_keys` keys that all still count.
    #[getter]
    fn key_table_full(&self) -> bool {
        self.table_full()
    }

    /// Seconds from the decision to the next instant the `retry_after` may be waited for,
    /// as HTTP `Retry-After` carries it: whole seconds, rounded up. `None` when admitted or
    /// when no wait helps.
    #[getter]
    fn retry_after_secs(&self) -> Option<u64> {
        (!self.d.allowed && self.d.retry_after != Nanos::MAX).then(|| self.d.retry_after_secs())
    }

    /// The response header fields for this decision in `style` (`"ietf"`, `"draft-8"`,
    /// `"draft-7"`, `"draft-6"` or `"legacy"`), with `Retry-After` on a denial that waiting
    /// cures. `now` is the Unix time of the decision in seconds (default: the wall clock).
    #[pyo3(signature = (style = None, now = None))]
    fn headers<'py>(
        &self,
        py: Python<'py>,
        style: Option<&Bound<'py, PyAny>>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        http::headers(py, self, style, now)
    }

    /// The JSON body of the error response for a denial: `rate_limit_exceeded` (HTTP 429)
    /// when waiting helps, `insufficient_api_credits` (HTTP 402) when it never does. `None`
    /// when admitted. `now` is as for `headers`; `message` replaces the default text.
    #[pyo3(signature = (now = None, message = None))]
    fn body(
        &self,
        now: Option<&Bound<'_, PyAny>>,
        message: Option<&str>,
    ) -> PyResult<Option<String>> {
        http::body(self, now, message)
    }

    /// The HTTP status for this decision: 200 when admitted, 429 when waiting helps, 402
    /// when it never does (credits exhausted).
    #[getter]
    fn status(&self) -> u16 {
        if self.d.allowed {
            200
        } else if self.d.retry_after == Nanos::MAX {
            402
        } else {
            429
        }
    }

    fn __bool__(&self) -> bool {
        self.d.allowed
    }

    fn __repr__(&self) -> String {
        let mut s = format!("<Decision {}", self.d);
        if let Some(i) = self.refused_by() {
            let _ = write!(s, ", refused by member {i}");
        }
        if self.table_full() {
            s.push_str(", key table full");
        }
        s.push('>');
        s
    }
}
