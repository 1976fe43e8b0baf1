//! `RateLimiter`: the base class of every rate primitive, with the keyed `check`, `peek`,
//! `reset` and the awaitable `acquire`. Each algorithm's module adds its constructor; the
//! checks dispatch through the core's `Limiter`, `SlidingLogStore` and `AllOf`.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyInt, PyList, PyModule, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};
use ratecell::{AllOf, KeyedStore, Limiter, Nanos, SlidingLogStore};

use crate::decision::{Decision, Extra, Source, Spare};
use crate::error;
use crate::http::Advert;
use crate::keyed::{Key, StoreOptions, with_key};
use crate::time::{Clock, optional_seconds};

/// The store of a single-algorithm limiter, shared with the `AllOf`s it is a member of.
pub(crate) type Store = KeyedStore<Key, Limiter>;

/// Where a limiter's keys live.
pub(crate) enum Kind {
    /// One algorithm of the core's `Limiter` enum.
    Cell(Arc<Store>),
    /// An exact sliding log, sized for its limit.
    Log(SlidingLogStore<Key>),
    /// Every member's store, checked all or nothing.
    All(Box<[Arc<Store>]>),
}

/// What every constructor takes besides the algorithm's numbers.
pub(crate) struct Options {
    pub(crate) name: String,
    pub(crate) store: StoreOptions,
    pub(crate) clock: Clock,
}

impl Options {
    pub(crate) fn from_args(
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Options> {
        Ok(Options {
            name: policy_name(name)?,
            store: StoreOptions::from_args(max_keys, when_full)?,
            clock: Clock::from_arg(clock)?,
        })
    }
}

/// A policy name as headers carry it: printable ASCII, `"default"` when not given.
pub(crate) fn policy_name(name: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
    let Some(name) = name.filter(|n| !n.is_none()) else {
        return Ok("default".to_owned());
    };
    let Ok(text) = name.cast::<PyString>() else {
        return Err(error::type_error("name", "a str", name));
    };
    let text = text.to_cow()?;
    if text.is_empty() || text.len() > 256 || !text.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(error::value_error(format!(
            "name must be 1 to 256 printable ASCII characters (it is sent in headers), got {text:?}"
        )));
    }
    Ok(text.into_owned())
}

/// A cost: an int, at least 0. Costs beyond `u64` exceed every capacity.
pub(crate) fn cost(cost: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
    let Some(cost) = cost else {
        return Ok(1);
    };
    if let Ok(n) = cost.extract::<u64>()
        && !cost.is_instance_of::<PyBool>()
    {
        return Ok(n);
    }
    if cost.is_instance_of::<PyBool>() || !cost.is_instance_of::<PyInt>() {
        return Err(error::type_error("cost", "an int", cost));
    }
    if cost.lt(0)? {
        return Err(error::value_error(format!(
            "cost must not be negative, got {cost}"
        )));
    }
    Ok(u64::MAX)
}

/// An `AllOf`'s costs: one int for every member, or a list or tuple of one per member.
fn member_costs(
    given: Option<&Bound<'_, PyAny>>,
    members: usize,
    capacity: u64,
) -> PyResult<Vec<u64>> {
    let Some(given) = given else {
        return Ok(vec![1; members]);
    };
    if given.is_instance_of::<PyList>() || given.is_instance_of::<PyTuple>() {
        let costs = given
            .try_iter()?
            .map(|c| cost(Some(&c?)))
            .collect::<PyResult<Vec<u64>>>()?;
        if costs.len() != members {
            return Err(error::value_error(format!(
                "expected {members} costs, one per member, got {}",
                costs.len()
            )));
        }
        return Ok(costs);
    }
    if !given.is_instance_of::<PyInt>() || given.is_instance_of::<PyBool>() {
        return Err(error::type_error(
            "cost",
            "an int or a list of ints (one per member)",
            given,
        ));
    }
    let n = cost(Some(given))?;
    if n > capacity {
        return Err(error::check_error(
            given.py(),
            ratecell::Error::InsufficientCapacity { capacity },
            n,
        ));
    }
    Ok(vec![n; members])
}

/// The base class of every rate limiter: keyed checks against one policy (or, for `AllOf`,
/// several at once), in bounded memory, safe to share between threads.
#[pyclass(frozen, subclass, module = "ratecell")]
pub(crate) struct RateLimiter {
    pub(crate) kind: Kind,
    pub(crate) clock: Clock,
    /// What headers advertise: one entry per policy (per member for an `AllOf`).
    pub(crate) adverts: Box<[Advert]>,
    pub(crate) options: Option<StoreOptions>,
    /// For `repr`.
    pub(crate) description: String,
    /// The `Decision` returned last, filled in again when its caller has dropped it.
    pub(crate) spare: Spare,
}

impl RateLimiter {
    /// A limiter over one algorithm of the core's `Limiter` enum.
    pub(crate) fn cell(limiter: Limiter, options: Options, description: String) -> RateLimiter {
        let advert = Advert::of(options.name, &limiter);
        let store = KeyedStore::new(limiter, options.store.max_keys, options.store.when_full);
        RateLimiter {
            kind: Kind::Cell(Arc::new(store)),
            clock: options.clock,
            adverts: Box::new([advert]),
            options: Some(options.store),
            description,
            spare: Spare::new(),
        }
    }

    /// The capacity: the largest cost one check may have.
    pub(crate) fn capacity(&self) -> u64 {
        match &self.kind {
            Kind::Cell(store) => store.policy().capacity(),
            Kind::Log(store) => store.policy().capacity(),
            Kind::All(stores) => stores
                .iter()
                .map(|s| s.policy().capacity())
                .min()
                .unwrap_or(u64::MAX),
        }
    }

    fn decision<'py>(
        slf: &Bound<'py, Self>,
        d: ratecell::Decision,
        at: Nanos,
        extra: Extra,
    ) -> PyResult<Bound<'py, Decision>> {
        Bound::new(
            slf.py(),
            Decision::new(d, at, Source::Rate(slf.clone().unbind()), extra),
        )
    }

    fn keyed<'py>(
        slf: &Bound<'py, Self>,
        keyed: ratecell::Keyed,
        at: Nanos,
    ) -> PyResult<Bound<'py, Decision>> {
        if keyed.is_full() {
            return RateLimiter::decision(slf, keyed.decision(), at, Extra::Full);
        }
        slf.get()
            .spare
            .decision(slf.py(), keyed.decision(), at, || {
                Source::Rate(slf.clone().unbind())
            })
    }
}

static WAITING: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The module with the waiting helpers (`ratecell._waiting`), written in Python.
pub(crate) fn waiting(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    WAITING
        .get_or_try_init(py, || py.import("ratecell._waiting").map(Bound::unbind))
        .map(|m| m.bind(py))
}

#[pymethods]
impl RateLimiter {
    /// Decides a request of `cost` for `key` now, recording it when admitted.
    #[pyo3(signature = (key = None, cost = None))]
    fn check<'py>(
        slf: &Bound<'py, Self>,
        key: Option<&Bound<'py, PyAny>>,
        cost: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Decision>> {
        let this = slf.get();
        let py = slf.py();
        match &this.kind {
            Kind::Cell(store) => {
                let n = self::cost(cost)?;
                let now = this.clock.now();
                let keyed = with_key(key, |k| store.check(k, now, n))?
                    .map_err(|e| error::check_error(py, e, n))?;
                RateLimiter::keyed(slf, keyed, now)
            }
            Kind::Log(store) => {
                let n = self::cost(cost)?;
                let now = this.clock.now();
                let keyed = with_key(key, |k| store.check(k, now, n))?
                    .map_err(|e| error::check_error(py, e, n))?;
                RateLimiter::keyed(slf, keyed, now)
            }
            Kind::All(stores) => {
                let costs = member_costs(cost, stores.len(), this.capacity())?;
                let mut members =
                    vec![ratecell::Decision::default(); stores.len()].into_boxed_slice();
                let now = this.clock.now();
                let outcome = with_key(key, |k| {
                    AllOf::new(&stores[..]).check_keyed(k, now, &costs, &mut members)
                })?
                .map_err(|e| error::check_error(py, e, costs.clone()))?;
                let extra = Extra::AllOf {
                    members,
                    refused_by: outcome.decision.refused_by,
                    full: outcome.full.is_some(),
                };
                RateLimiter::decision(slf, outcome.decision.decision, now, extra)
            }
        }
    }

    /// `key`'s standing now, recording nothing.
    #[pyo3(signature = (key = None))]
    fn peek<'py>(
        slf: &Bound<'py, Self>,
        key: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Decision>> {
        let this = slf.get();
        let now = this.clock.now();
        match &this.kind {
            Kind::Cell(store) => {
                let d = with_key(key, |k| store.peek(k, now))?;
                RateLimiter::decision(slf, d, now, Extra::None)
            }
            Kind::Log(store) => {
                let d = with_key(key, |k| store.peek(k, now))?;
                RateLimiter::decision(slf, d, now, Extra::None)
            }
            Kind::All(stores) => {
                let mut members =
                    vec![ratecell::Decision::default(); stores.len()].into_boxed_slice();
                let combined = with_key(key, |k| {
                    AllOf::new(&stores[..]).peek_keyed(k, now, &mut members)
                })?
                .map_err(|e| error::check_error(slf.py(), e, 0))?;
                let extra = Extra::AllOf {
                    members,
                    refused_by: None,
                    full: false,
                };
                RateLimiter::decision(slf, combined.decision, now, extra)
            }
        }
    }

    /// Forgets `key`: it is fresh again. Returns whether it was stored (for an `AllOf`,
    /// in any member).
    #[pyo3(signature = (key = None))]
    fn reset(&self, key: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        with_key(key, |k| match &self.kind {
            Kind::Cell(store) => store.reset(k),
            Kind::Log(store) => store.reset(k),
            Kind::All(stores) => stores.iter().fold(false, |any, s| s.reset(k) | any),
        })
    }

    /// Forgets every key (for an `AllOf`, in every member).
    fn clear(&self) {
        match &self.kind {
            Kind::Cell(store) => store.clear(),
            Kind::Log(store) => store.clear(),
            Kind::All(stores) => stores.iter().for_each(|s| s.clear()),
        }
    }

    /// Waits until a request of `cost` for `key` is admitted, then returns its `Decision`
    /// (an awaitable). Returns the last denial when `timeout` seconds would pass first.
    #[pyo3(signature = (key = None, cost = None, timeout = None))]
    fn acquire<'py>(
        slf: &Bound<'py, Self>,
        key: Option<&Bound<'py, PyAny>>,
        cost: Option<&Bound<'py, PyAny>>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let this = slf.get();
        // Every argument is checked now, so a bad one raises here rather than when awaited.
        with_key(key, |_| ())?;
        if let Kind::All(stores) = &this.kind {
            drop(member_costs(cost, stores.len(), this.capacity())?);
        } else {
            let n = self::cost(cost)?;
            if n > this.capacity() {
                return Err(error::check_error(
                    slf.py(),
                    ratecell::Error::InsufficientCapacity {
                        capacity: this.capacity(),
                    },
                    n,
                ));
            }
        }
        let timeout_ns = optional_seconds(timeout, "timeout")?.map(Nanos::as_nanos);
        waiting(slf.py())?
            .getattr("acquire")?
            .call1((slf, key, cost, timeout_ns))
    }

    /// The clock this limiter reads.
    #[getter]
    fn clock<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.clock.to_object(py)
    }

    /// The policy name headers use (an `AllOf`: its members' names, comma separated).
    #[getter]
    fn name(&self) -> String {
        self.adverts
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The largest cost one request may have (the capacity: `Decision.limit`).
    #[getter(capacity)]
    fn get_capacity(&self) -> u64 {
        self.capacity()
    }

    /// The bound on stored keys (`None` for an `AllOf`: each member has its own).
    #[getter]
    fn max_keys(&self) -> Option<usize> {
        self.options.map(|o| o.max_keys)
    }

    /// What happens to a new key when `max_keys` keys are stored: `"fail_closed"` or `"evict"`.
    #[getter]
    fn when_full(&self) -> Option<&'static str> {
        self.options.as_ref().map(StoreOptions::when_full_name)
    }

    /// How many keys are stored now (an `AllOf`: in all its members together).
    #[getter]
    fn stored_keys(&self) -> usize {
        match &self.kind {
            Kind::Cell(store) => store.len(),
            Kind::Log(store) => store.len(),
            Kind::All(stores) => stores.iter().map(|s| s.len()).sum(),
        }
    }

    fn __repr__(&self) -> String {
        format!("<{}>", self.description)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.spare.traverse(&visit)
    }

    fn __clear__(&self) {
        self.spare.clear();
    }
}
