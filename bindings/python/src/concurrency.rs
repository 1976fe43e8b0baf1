//! `Concurrency`: caps on requests in flight per key, with leases that expire after `ttl`.

use pyo3::prelude::*;
use ratecell::{ConcurrencyStore, KeyedStore, Nanos, SizedConcurrency};

use crate::decision::{Decision, Extra, Source};
use crate::error;
use crate::http::Advert;
use crate::keyed::{Key, StoreOptions, owned_key, with_key};
use crate::limiter::{Options, waiting};
use crate::quota;
use crate::time::{Clock, Invalid, Waiters, nanos_from_seconds, optional_seconds, secs};

/// At most `limit` leases live at once per key; a lease ends when released or `ttl`
/// seconds after it was acquired or last renewed, so a holder that crashes cannot keep its
/// slot. `limit` is at most 4096.
#[pyclass(frozen, module = "ratecell")]
pub(crate) struct Concurrency {
    store: ConcurrencyStore<Key>,
    pub(crate) clock: Clock,
    pub(crate) advert: Advert,
    options: StoreOptions,
    /// Callbacks of holders waiting for a slot, run on every release.
    releases: Waiters,
    description: String,
}

impl Concurrency {
    /// A cap of `caps` per key, stored and named as `options` say.
    pub(crate) fn with(caps: SizedConcurrency, options: Options) -> Concurrency {
        let (limit, ttl) = (caps.limit(), caps.ttl());
        Concurrency {
            store: KeyedStore::new(caps, options.store.max_keys, options.store.when_full),
            description: format!(
                "Concurrency {limit} leases, ttl {ttl}, name={:?}",
                options.name
            ),
            advert: Advert::concurrency(options.name, limit),
            clock: options.clock,
            options: options.store,
            releases: Waiters::default(),
        }
    }

    /// The keyed leases (the Redis module reads the policy).
    pub(crate) fn store(&self) -> &ConcurrencyStore<Key> {
        &self.store
    }

    fn released(&self, py: Python<'_>) {
        self.releases.wake(py, Nanos::MAX);
    }
}

#[pymethods]
impl Concurrency {
    #[new]
    #[pyo3(signature = (limit, *, ttl, name = None, max_keys = None, when_full = None, clock = None))]
    fn new(
        limit: &Bound<'_, PyAny>,
        ttl: &Bound<'_, PyAny>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Concurrency> {
        let limit = quota::count(limit, "limit")?;
        let ttl = nanos_from_seconds(ttl, "ttl", Invalid::Quota)?;
        if ttl == Nanos::ZERO {
            return Err(error::invalid_quota("ttl must be longer than zero"));
        }
        let options = Options::from_args(name, max_keys, when_full, clock)?;
        let caps =
            SizedConcurrency::new(limit, ttl).map_err(|e| error::quota_error(e, "Concurrency"))?;
        Ok(Concurrency::with(caps, options))
    }

    /// Acquires a lease for `key` when fewer than `limit` are live. Admitted: the decision
    /// carries the `lease`; refused: `retry_after` is when the earliest live lease expires.
    #[pyo3(signature = (key = None))]
    fn acquire<'py>(
        slf: &Bound<'py, Self>,
        key: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Decision>> {
        let py = slf.py();
        let this = slf.get();
        let key = owned_key(key)?;
        let now = this.clock.now();
        let (keyed, lease) = this.store.acquire(&key[..], now);
        let extra = match lease {
            Some(lease) => Extra::Lease(Py::new(
                py,
                Lease {
                    owner: slf.clone().unbind(),
                    key,
                    handle: lease,
                },
            )?),
            None if keyed.is_full() => Extra::Full,
            None => Extra::None,
        };
        Bound::new(
            py,
            Decision::new(
                keyed.decision(),
                now,
                Source::Concurrency(slf.clone().unbind()),
                extra,
            ),
        )
    }

    /// `key`'s standing now: `remaining` free slots, recording nothing.
    #[pyo3(signature = (key = None))]
    fn peek<'py>(
        slf: &Bound<'py, Self>,
        key: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Decision>> {
        let this = slf.get();
        let now = this.clock.now();
        let d = with_key(key, |k| this.store.peek(k, now))?;
        Bound::new(
            slf.py(),
            Decision::new(
                d,
                now,
                Source::Concurrency(slf.clone().unbind()),
                Extra::None,
            ),
        )
    }

    /// Ends every lease of `key` (their holders' `release()` then returns `False`).
    /// Returns whether the key was stored.
    #[pyo3(signature = (key = None))]
    fn reset(&self, py: Python<'_>, key: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let done = with_key(key, |k| self.store.reset(k))?;
        self.released(py);
        Ok(done)
    }

    /// Ends every lease of every key.
    fn clear(&self, py: Python<'_>) {
        self.store.clear();
        self.released(py);
    }

    /// A context manager (`with` and `async with`) holding a lease for `key` while its body
    /// runs: it waits until a slot is free, and raises `ConcurrencyLimitExceeded` when
    /// `timeout` seconds pass first. The `as` target is the granting `Decision`.
    #[pyo3(signature = (key = None, timeout = None))]
    fn hold<'py>(
        slf: &Bound<'py, Self>,
        key: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        with_key(key, |_| ())?;
        let timeout_ns = optional_seconds(timeout, "timeout")?.map(Nanos::as_nanos);
        waiting(slf.py())?
            .getattr("Hold")?
            .call1((slf, key, timeout_ns))
    }

    /// Runs `callback()` at the next release; returns a token for `_cancel`.
    fn _on_release(&self, callback: Py<PyAny>) -> u64 {
        self.releases.add(Nanos::ZERO, callback)
    }

    /// Forgets a callback registered with `_on_release` that has not run.
    fn _cancel(&self, token: u64) -> bool {
        self.releases.cancel(token)
    }

    /// The most leases live at once per key.
    #[getter]
    fn limit(&self) -> u64 {
        self.store.policy().limit()
    }

    /// Seconds a lease lives after its acquisition or last renewal.
    #[getter]
    fn ttl(&self) -> f64 {
        secs(self.store.policy().ttl())
    }

    /// The clock this limiter reads.
    #[getter]
    fn clock<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.clock.to_object(py)
    }

    /// The policy name headers use.
    #[getter]
    fn name(&self) -> &str {
        &self.advert.name
    }

    /// The bound on stored keys.
    #[getter]
    fn max_keys(&self) -> usize {
        self.options.max_keys
    }

    /// What happens to a new key when `max_keys` keys are stored.
    #[getter]
    fn when_full(&self) -> &'static str {
        self.options.when_full_name()
    }

    /// How many keys hold leases (or are about to be reclaimed).
    #[getter]
    fn stored_keys(&self) -> usize {
        self.store.len()
    }

    fn __repr__(&self) -> String {
        format!("<{}>", self.description)
    }
}

/// A granted lease: hold it while the work runs, then `release()` it. Releasing twice, or
/// after it expired and its slot was reused, never frees another holder's slot.
#[pyclass(frozen, module = "ratecell")]
pub(crate) struct Lease {
    owner: Py<Concurrency>,
    key: Key,
    handle: ratecell::Lease,
}

#[pymethods]
impl Lease {
    /// Frees the slot. Returns `True` when the lease was live, `False` when it had already
    /// been released, expired or reset.
    fn release(&self, py: Python<'_>) -> bool {
        let owner = self.owner.get();
        let done = owner
            .store
            .release(&self.key[..], self.handle, owner.clock.now());
        if done {
            owner.released(py);
        }
        done
    }

    /// Extends the lease to `ttl` seconds from now. Returns `False`, changing nothing, when
    /// it is no longer live.
    fn renew(&self) -> bool {
        let owner = self.owner.get();
        owner
            .store
            .renew(&self.key[..], self.handle, owner.clock.now())
    }

    /// The `Concurrency` that granted it.
    #[getter]
    fn owner(&self, py: Python<'_>) -> Py<Concurrency> {
        self.owner.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!(
            "<Lease slot {} serial {}>",
            self.handle.slot(),
            self.handle.serial()
        )
    }
}
