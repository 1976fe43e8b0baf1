//! The client side: a retry policy with jittered backoff, and a pacer, both reading what a
//! server's response said. Usable with any HTTP client: they take a status code and headers.

use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, PoisonError};

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};
use ratecell::Nanos;
use ratecell::client::{
    Backoff, GiveUpReason, Jitter, Outcome, Pacer as CorePacer, RetryDecision as Core, RetryState,
    SplitMix64,
};

use crate::error;
use crate::http::{RateLimitInfo, read_fields};
use crate::time::{Clock, Invalid, nanos_from_seconds, secs, unix_now};

fn jitter(name: &Bound<'_, PyAny>) -> PyResult<Jitter> {
    let Ok(text) = name.cast::<PyString>() else {
        return Err(error::type_error("jitter", "a str", name));
    };
    match &*text.to_cow()? {
        "none" => Ok(Jitter::None),
        "full" => Ok(Jitter::Full),
        "equal" => Ok(Jitter::Equal),
        "decorrelated" => Ok(Jitter::Decorrelated),
        other => Err(error::value_error(format!(
            "jitter must be \"none\", \"full\", \"equal\" or \"decorrelated\", not {other:?}"
        ))),
    }
}

fn jitter_name(jitter: Jitter) -> &'static str {
    match jitter {
        Jitter::None => "none",
        Jitter::Equal => "equal",
        Jitter::Decorrelated => "decorrelated",
        _ => "full",
    }
}

/// A non-negative int that fits `u64` (`low_water`, `seed`, ...).
fn whole(value: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(error::type_error(what, "an int", value));
    }
    value.extract::<u64>().map_err(|_| {
        error::value_error(format!(
            "{what} must be between 0 and 2**64 - 1, got {value}"
        ))
    })
}

/// What a response says: parsed headers, or a `RateLimitInfo` already read.
fn info(headers: Option<&Bound<'_, PyAny>>) -> PyResult<ratecell::http::RateLimitInfo> {
    match headers {
        None => Ok(ratecell::http::RateLimitInfo::default()),
        Some(h) if h.is_none() => Ok(ratecell::http::RateLimitInfo::default()),
        Some(h) => match h.cast::<RateLimitInfo>() {
            Ok(parsed) => Ok(parsed.get().info),
            Err(_) => read_fields(h, unix_now()),
        },
    }
}

/// How to retry a request: capped exponential backoff with jitter, at most `max_attempts`
/// attempts (the first counts) within `max_elapsed` seconds. 429 and 5xx are retried after
/// at least their `Retry-After`; 402 means top up credits; other statuses stop.
#[pyclass(frozen, module = "ratecell")]
pub(crate) struct RetryPolicy {
    policy: ratecell::client::RetryPolicy,
    max_attempts: u32,
    max_elapsed: Nanos,
}

#[pymethods]
impl RetryPolicy {
    #[new]
    #[pyo3(signature = (*, base = None, cap = None, jitter = None, max_attempts = None, max_elapsed = None))]
    fn new(
        base: Option<&Bound<'_, PyAny>>,
        cap: Option<&Bound<'_, PyAny>>,
        jitter: Option<&Bound<'_, PyAny>>,
        max_attempts: Option<&Bound<'_, PyAny>>,
        max_elapsed: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RetryPolicy> {
        let seconds = |v: Option<&Bound<'_, PyAny>>, what: &str, default: Nanos| match v {
            Some(v) if !v.is_none() => nanos_from_seconds(v, what, Invalid::Value),
            _ => Ok(default),
        };
        let base = seconds(base, "base", Nanos::from_millis(100))?;
        let cap = seconds(cap, "cap", Nanos::from_secs(30))?;
        let max_elapsed = seconds(max_elapsed, "max_elapsed", Nanos::from_secs(120))?;
        let jitter = match jitter {
            Some(j) if !j.is_none() => self::jitter(j)?,
            _ => Jitter::Full,
        };
        let max_attempts = match max_attempts {
            Some(m) if !m.is_none() => {
                let n = whole(m, "max_attempts")?;
                u32::try_from(n).ok().filter(|n| *n >= 1).ok_or_else(|| {
                    error::value_error(format!(
                        "max_attempts must be between 1 and 2**32 - 1, got {n}"
                    ))
                })?
            }
            _ => 5,
        };
        let backoff =
            Backoff::new(base, cap, jitter).map_err(|e| error::value_error(e.to_string()))?;
        Ok(RetryPolicy {
            policy: ratecell::client::RetryPolicy::new(backoff, max_attempts, max_elapsed),
            max_attempts,
            max_elapsed,
        })
    }

    /// Starts one request's retry sequence, now on `clock`. `seed` makes the jitter
    /// reproducible (default: a random seed).
    #[pyo3(signature = (*, seed = None, clock = None))]
    fn start(
        &self,
        seed: Option<&Bound<'_, PyAny>>,
        clock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Retry> {
        let seed = match seed {
            Some(s) if !s.is_none() => whole(s, "seed")?,
            _ => RandomState::new().hash_one(unix_now().as_nanos()),
        };
        let clock = Clock::from_arg(clock)?;
        let started = clock.now();
        Ok(Retry {
            policy: self.policy,
            state: Mutex::new((RetryState::new(started), SplitMix64::new(seed))),
            clock,
        })
    }

    /// The longest wait before the first retry, in seconds (it doubles per attempt).
    #[getter]
    fn base(&self) -> f64 {
        secs(self.policy.backoff().base())
    }

    /// The longest wait, in seconds.
    #[getter]
    fn cap(&self) -> f64 {
        secs(self.policy.backoff().cap())
    }

    /// `"none"`, `"full"`, `"equal"` or `"decorrelated"`.
    #[getter]
    fn jitter(&self) -> &'static str {
        jitter_name(self.policy.backoff().jitter())
    }

    /// The most attempts, the first included.
    #[getter]
    fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The most seconds from the first attempt to the end of the last wait.
    #[getter]
    fn max_elapsed(&self) -> f64 {
        secs(self.max_elapsed)
    }

    fn __repr__(&self) -> String {
        format!(
            "RetryPolicy(base={}, cap={}, jitter={:?}, max_attempts={}, max_elapsed={})",
            self.base(),
            self.cap(),
            self.jitter(),
            self.max_attempts,
            secs(self.max_elapsed)
        )
    }
}

/// One request's retry sequence: give it each attempt's outcome, it says what to do next.
#[pyclass(frozen, module = "ratecell")]
pub(crate) struct Retry {
    policy: ratecell::client::RetryPolicy,
    state: Mutex<(RetryState, SplitMix64)>,
    clock: Clock,
}

#[pymethods]
impl Retry {
    /// What to do after an attempt that ended with `status` (`None`: no response, the
    /// connection failed) and `headers` (a mapping, `(name, value)` pairs, or a
    /// `RateLimitInfo`).
    #[pyo3(signature = (status, headers = None))]
    fn decide(
        &self,
        status: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RetryDecision> {
        let outcome = if status.is_none() {
            Outcome::ConnectionError
        } else {
            let code = whole(status, "status")?;
            let code = u16::try_from(code)
                .ok()
                .filter(|c| (100..=599).contains(c))
                .ok_or_else(|| {
                    error::value_error(format!(
                        "status must be an HTTP status code (100 to 599), got {code}"
                    ))
                })?;
            Outcome::response(code, &info(headers)?)
        };
        let now = self.clock.now();
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (state, rng) = &mut *guard;
        Ok(RetryDecision::from(
            self.policy.decide(state, now, outcome, rng),
        ))
    }

    /// Attempts decided so far.
    #[getter]
    fn attempts(&self) -> u32 {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .attempts()
    }
}

/// What to do after an attempt: `action` is `"retry"` (after `after` seconds), `"stop"` (the
/// response is final), `"top_up_credits"` (402: no wait helps) or `"give_up"` (`reason`
/// `"attempts"` or `"deadline"`). Truthy when the request should be retried.
#[pyclass(frozen, module = "ratecell")]
pub(crate) struct RetryDecision {
    action: &'static str,
    after: Option<Nanos>,
    reason: Option<&'static str>,
}

impl From<Core> for RetryDecision {
    fn from(d: Core) -> RetryDecision {
        let (action, after, reason) = match d {
            Core::Retry { after } => ("retry", Some(after), None),
            Core::TopUpCredits => ("top_up_credits", None, None),
            Core::GiveUp(GiveUpReason::Attempts) => ("give_up", None, Some("attempts")),
            Core::GiveUp(_) => ("give_up", None, Some("deadline")),
            _ => ("stop", None, None),
        };
        RetryDecision {
            action,
            after,
            reason,
        }
    }
}

#[pymethods]
impl RetryDecision {
    #[getter]
    fn action(&self) -> &'static str {
        self.action
    }

    /// Seconds to wait before retrying; `None` unless `action == "retry"`.
    #[getter]
    fn after(&self) -> Option<f64> {
        self.after.map(secs)
    }

    /// Why the sequence gave up: `"attempts"` or `"deadline"`.
    #[getter]
    fn reason(&self) -> Option<&'static str> {
        self.reason
    }

    fn __bool__(&self) -> bool {
        self.action == "retry"
    }

    fn __repr__(&self) -> String {
        match (self.after, self.reason) {
            (Some(after), _) => format!("RetryDecision(action='retry', after={:?})", secs(after)),
            (None, Some(reason)) => format!("RetryDecision(action='give_up', reason='{reason}')"),
            (None, None) => format!("RetryDecision(action='{}')", self.action),
        }
    }
}

/// Proactive throttling: once few requests remain, spread what is left evenly until the
/// reset instead of running into 429s. Paces when at most `low_water` requests, or at most
/// `low_water_percent` percent of the advertised limit, remain.
#[pyclass(frozen, module = "ratecell")]
pub(crate) struct Pacer {
    pacer: CorePacer,
}

#[pymethods]
impl Pacer {
    #[new]
    #[pyo3(signature = (*, low_water = None, low_water_percent = None))]
    fn new(
        low_water: Option<&Bound<'_, PyAny>>,
        low_water_percent: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Pacer> {
        let mut pacer = CorePacer::new();
        if let Some(n) = low_water.filter(|n| !n.is_none()) {
            pacer = pacer.with_low_water(whole(n, "low_water")?);
        }
        if let Some(p) = low_water_percent.filter(|p| !p.is_none()) {
            let p = whole(p, "low_water_percent")?;
            let p = u8::try_from(p).ok().filter(|p| *p <= 100).ok_or_else(|| {
                error::value_error(format!(
                    "low_water_percent must be between 0 and 100, got {p}"
                ))
            })?;
            pacer = pacer.with_low_water_percent(p);
        }
        Ok(Pacer { pacer })
    }

    /// A pacer that always spreads the remaining quota evenly until the reset.
    #[staticmethod]
    fn always() -> Pacer {
        Pacer {
            pacer: CorePacer::always(),
        }
    }

    /// Seconds to wait before the next request, after a response received `elapsed`
    /// seconds ago that carried `headers` (a mapping, pairs, or a `RateLimitInfo`).
    #[pyo3(signature = (headers, elapsed = None))]
    fn delay(
        &self,
        headers: &Bound<'_, PyAny>,
        elapsed: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<f64> {
        let info = info(Some(headers))?;
        let elapsed = match elapsed {
            Some(e) if !e.is_none() => nanos_from_seconds(e, "elapsed", Invalid::Value)?,
            _ => Nanos::ZERO,
        };
        Ok(secs(self.pacer.delay(&info, Nanos::ZERO, elapsed)))
    }
}
