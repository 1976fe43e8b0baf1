//! `Credits`: a budget per key that does not replenish, refilled only by top-ups.

use pyo3::prelude::*;

use crate::error;
use crate::keyed::with_key;
use crate::limiter::{Kind, Options, RateLimiter};
use crate::quota::whole;
use crate::time::Invalid;

/// A prepaid budget: every key starts with `budget` credits; a request of cost `n` spends
/// `n` when that many are left. Nothing comes back with time, only with `top_up`. Running
/// out is a denial whose `retry_after` is `inf` (HTTP 402 rather than 429); headers report
/// `X-API-Credits-Remaining` and `X-API-Credits-Used`.
#[pyclass(frozen, extends = RateLimiter, module = "ratecell")]
pub(crate) struct Credits {
    budget: u64,
}

#[pymethods]
impl Credits {
    #[new]
    #[pyo3(signature = (budget, *, name = None, max_keys = None, when_full = None, clock = None))]
    fn new(
        budget: &Bound<'_, PyAny>,
        name: Option<&Bound<'_, PyAny>>,
        max_keys: Option<&Bound<'_, PyAny>>,
        when_full: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyClassInitializer<Credits>> {
        // A budget of 0 is allowed: such keys spend only what they are topped up with.
        let budget = whole(budget, "budget", 0, Invalid::Quota)?;
        let options = Options::from_args(name, max_keys, when_full, clock)?;
        let description = format!("Credits {budget} name={:?}", options.name);
        let base = RateLimiter::cell(
            ratecell::Limiter::from(ratecell::Credits::new(budget)),
            options,
            description,
        );
        Ok(PyClassInitializer::from(base).add_subclass(Credits { budget }))
    }

    /// Adds `amount` credits to `key`; returns the credits it has left.
    #[pyo3(signature = (key = None, *, amount))]
    fn top_up(
        slf: &Bound<'_, Self>,
        key: Option<&Bound<'_, PyAny>>,
        amount: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let amount = whole(amount, "amount", 0, Invalid::Value)?;
        let base = slf.as_super().get();
        let Kind::Cell(store) = &base.kind else {
            return Err(error::value_error("not a credits budget".to_owned()));
        };
        let now = base.clock.now();
        match with_key(key, |k| store.top_up(k, now, amount))? {
            Some(Ok(left)) => Ok(left),
            Some(Err(e)) => Err(error::check_error(slf.py(), e, amount)),
            None => Err(error::RateCellError::new_err(
                "the key table is full of keys that still count (max_keys): the top-up was not stored",
            )),
        }
    }

    /// The credits every key starts with.
    #[getter]
    fn budget(&self) -> u64 {
        self.budget
    }
}
