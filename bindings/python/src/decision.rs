//! `Decision`: what a limiter decided, as a frozen Python object.

use std::cell::UnsafeCell;
use std::fmt::Write as _;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::{PyTraverseError, PyVisit};
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
    d: Renewable<ratecell::Decision>,
    /// The instant of the decision on the limiter's clock.
    at: Renewable<Nanos>,
    pub(crate) source: Source,
    pub(crate) extra: Extra,
}

impl Decision {
    pub(crate) fn new(d: ratecell::Decision, at: Nanos, source: Source, extra: Extra) -> Decision {
        Decision {
            d: Renewable::new(d),
            at: Renewable::new(at),
            source,
            extra,
        }
    }

    /// The decision's numbers.
    pub(crate) fn d(&self) -> ratecell::Decision {
        *self.d.get()
    }

    /// The instant of the decision on the limiter's clock.
    pub(crate) fn at(&self) -> Nanos {
        *self.at.get()
    }

    /// Each policy's own decision: the members' standings for an `AllOf`.
    pub(crate) fn standings(&self) -> &[ratecell::Decision] {
        match &self.extra {
            Extra::AllOf { members, .. } => members,
            _ => std::slice::from_ref(self.d.get()),
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
        self.d().allowed
    }

    /// The policy's capacity: unit requests a fresh key may make at one instant.
    #[getter]
    fn limit(&self) -> u64 {
        self.d().limit
    }

    /// Unit requests still admissible at this instant.
    #[getter]
    fn remaining(&self) -> u64 {
        self.d().remaining
    }

    /// Seconds until this same request would be admitted; 0 when it was, `inf` never.
    #[getter]
    fn retry_after(&self) -> f64 {
        secs(self.d().retry_after)
    }

    /// Seconds until the key is back to a fresh state.
    #[getter]
    fn reset_after(&self) -> f64 {
        secs(self.d().reset_after)
    }

    /// `retry_after` in whole nanoseconds, exactly (`2**64 - 1`: never).
    #[getter]
    fn retry_after_ns(&self) -> u64 {
        self.d().retry_after.as_nanos()
    }

    /// `reset_after` in whole nanoseconds, exactly.
    #[getter]
    fn reset_after_ns(&self) -> u64 {
        self.d().reset_after.as_nanos()
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
        let d = self.d();
        (!d.allowed && d.retry_after != Nanos::MAX).then(|| d.retry_after_secs())
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
        let d = self.d();
        if d.allowed {
            200
        } else if d.retry_after == Nanos::MAX {
            402
        } else {
            429
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        match &self.source {
            Source::Rate(r) => visit.call(r)?,
            Source::Concurrency(c) => visit.call(c)?,
        }
        if let Extra::Lease(lease) = &self.extra {
            visit.call(lease)?;
        }
        Ok(())
    }

    fn __bool__(&self) -> bool {
        self.d().allowed
    }

    fn __repr__(&self) -> String {
        let mut s = format!("<Decision {}", self.d());
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

/// A field of a `Decision` that [`Spare`] may give a new value, read through `get`.
struct Renewable<T>(UnsafeCell<T>);

// SAFETY: a `Renewable` is written only by `Spare::renew`, in builds with a GIL, while it
// holds the GIL and the only reference to the `Decision`: no other thread, and no borrow
// (every borrow of a `Decision` comes from a reference someone holds), reads it meanwhile.
unsafe impl<T: Send> Sync for Renewable<T> {}

impl<T> Renewable<T> {
    fn new(value: T) -> Renewable<T> {
        Renewable(UnsafeCell::new(value))
    }

    fn get(&self) -> &T {
        // SAFETY: see the `Sync` impl: no write happens while a borrow lives.
        unsafe { &*self.0.get() }
    }
}

/// The `Decision` a limiter returned last, kept so that the next check can fill it in again
/// when nothing else refers to it any more (its caller dropped it), as the interpreter's own
/// `zip` reuses its result tuple. A check whose result is dropped, the common case, then
/// allocates no object, which was about a fifth of a check's time.
///
/// Only in builds with a GIL: the GIL is what makes the reference count a proof that nothing
/// else holds the object. Free-threaded builds allocate every `Decision`.
pub(crate) struct Spare(UnsafeCell<Option<Py<Decision>>>);

// SAFETY: the slot is read and written only while the GIL is held (from methods and the
// garbage collector's `__traverse__` and `__clear__`), and never while Python code may run:
// in free-threaded builds it stays empty.
unsafe impl Sync for Spare {}

impl Spare {
    pub(crate) fn new() -> Spare {
        Spare(UnsafeCell::new(None))
    }

    /// A `Decision` without extras from `source`: the spare one with new numbers when only
    /// this slot refers to it, else a new one, which becomes the spare.
    #[cfg_attr(
        Py_GIL_DISABLED,
        expect(clippy::unused_self, reason = "no spare without a GIL")
    )]
    pub(crate) fn decision<'py>(
        &self,
        py: Python<'py>,
        d: ratecell::Decision,
        at: Nanos,
        source: impl FnOnce() -> Source,
    ) -> PyResult<Bound<'py, Decision>> {
        #[cfg(not(Py_GIL_DISABLED))]
        if let Some(renewed) = self.renew(py, d, at) {
            return Ok(renewed);
        }
        let fresh = Bound::new(py, Decision::new(d, at, source(), Extra::None))?;
        #[cfg(not(Py_GIL_DISABLED))]
        self.keep(&fresh);
        Ok(fresh)
    }

    /// The spare with new numbers, when only this slot refers to it.
    #[cfg(not(Py_GIL_DISABLED))]
    fn renew<'py>(
        &self,
        py: Python<'py>,
        d: ratecell::Decision,
        at: Nanos,
    ) -> Option<Bound<'py, Decision>> {
        // SAFETY: the GIL is held and no Python code runs while this borrow lives.
        let spare = unsafe { &*self.0.get() }.as_ref()?;
        // SAFETY: `spare` is a live object.
        if unsafe { pyo3::ffi::Py_REFCNT(spare.as_ptr()) } != 1 {
            return None;
        }
        let decision = spare.get();
        // SAFETY: with the GIL held, a reference count of 1 is this slot's own reference: no
        // one else can read the numbers being replaced (see `Renewable`).
        unsafe {
            *decision.d.0.get() = d;
            *decision.at.0.get() = at;
        }
        Some(spare.bind(py).clone())
    }

    /// Keeps `fresh` as the spare.
    #[cfg(not(Py_GIL_DISABLED))]
    fn keep(&self, fresh: &Bound<'_, Decision>) {
        // SAFETY: the GIL is held and no Python code runs while the slot is written (the
        // collector may have read it during the allocation before).
        let previous = unsafe { (*self.0.get()).replace(fresh.clone().unbind()) };
        // Dropped after the slot is written: freeing it may run Python code.
        drop(previous);
    }

    /// For the owner's `__traverse__`: the spare refers to its owner.
    pub(crate) fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        // SAFETY: the collector runs with the GIL held, and no borrow of the slot outlives
        // the code above, which runs no Python code while it holds one.
        match unsafe { &*self.0.get() } {
            Some(spare) => visit.call(spare),
            None => Ok(()),
        }
    }

    /// For the owner's `__clear__`: drops the spare, breaking the cycle through it.
    pub(crate) fn clear(&self) {
        // SAFETY: as for `traverse`; the spare is dropped after the slot is emptied.
        let spare = unsafe { (*self.0.get()).take() };
        drop(spare);
    }
}
