//! `AllOf`: several limiters checked as one, all or nothing, each keeping its own store.

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::decision::Spare;
use crate::error;
use crate::limiter::{Kind, RateLimiter};

/// Several limiters checked as one: a request is admitted only when every member admits it,
/// and then every member records it; when any refuses, none changes. Members keep their own
/// keys, so a plan limit can be shared by several `AllOf`s (one per endpoint group) and
/// still be checked on its own. Members: `Gcra`, `TokenBucket`, `Burst`, `FixedWindow`,
/// `SlidingWindow` and `Credits` (each listed once, all on the same clock).
#[pyclass(frozen, extends = RateLimiter, module = "ratecell")]
pub(crate) struct AllOf {
    members: Py<PyTuple>,
}

#[pymethods]
impl AllOf {
    #[new]
    #[pyo3(signature = (*members))]
    fn new(members: &Bound<'_, PyTuple>) -> PyResult<PyClassInitializer<AllOf>> {
        let py = members.py();
        let mut stores = Vec::with_capacity(members.len());
        let mut adverts = Vec::with_capacity(members.len());
        let mut descriptions = Vec::with_capacity(members.len());
        let mut clock = None;
        for member in members.iter() {
            let Ok(limiter) = member.cast::<RateLimiter>() else {
                return Err(error::type_error(
                    "an AllOf member",
                    "a Gcra, TokenBucket, Burst, FixedWindow, SlidingWindow or Credits",
                    &member,
                ));
            };
            let limiter = limiter.get();
            let store = match &limiter.kind {
                Kind::Cell(store) => store,
                Kind::Log(_) => {
                    return Err(PyTypeError::new_err(
                        "a SlidingLog cannot be an AllOf member: its per-key log has another shape; use a SlidingWindow or a Gcra",
                    ));
                }
                Kind::All(_) => {
                    return Err(PyTypeError::new_err(
                        "an AllOf cannot be a member of another AllOf: list its members instead",
                    ));
                }
            };
            if stores.iter().any(|s| Arc::ptr_eq(s, store)) {
                return Err(error::value_error(format!(
                    "{} is listed twice in an AllOf: list each limiter once",
                    member.repr()?
                )));
            }
            match &clock {
                None => clock = Some(limiter.clock.clone_ref(py)),
                Some(c) if c.same(&limiter.clock) => {}
                Some(_) => {
                    return Err(error::value_error(
                        "AllOf members must read the same clock".to_owned(),
                    ));
                }
            }
            stores.push(Arc::clone(store));
            adverts.extend(limiter.adverts.iter().map(crate::http::Advert::copy));
            descriptions.push(limiter.description.clone());
        }
        let Some(clock) = clock else {
            return Err(error::value_error(
                "an AllOf needs at least one member".to_owned(),
            ));
        };
        let base = RateLimiter {
            kind: Kind::All(stores.into_boxed_slice()),
            clock,
            adverts: adverts.into_boxed_slice(),
            options: None,
            description: format!("AllOf of {}", descriptions.join(", ")),
            spare: Spare::new(),
        };
        Ok(PyClassInitializer::from(base).add_subclass(AllOf {
            members: members.clone().unbind(),
        }))
    }

    /// The members, in order (costs and `Decision.refused_by` follow this order).
    #[getter]
    fn members(&self, py: Python<'_>) -> Py<PyTuple> {
        self.members.clone_ref(py)
    }
}
