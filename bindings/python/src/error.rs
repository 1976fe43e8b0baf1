//! The exceptions: one class per core error, all subclasses of `RateCellError(ValueError)`,
//! raised only for what no wait can fix. A denial is a `Decision`, never an exception.

use pyo3::IntoPyObjectExt;
use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use ratecell::{Error, ParseError, QuotaError};

create_exception!(
    ratecell,
    RateCellError,
    PyValueError,
    "Base class of every ratecell error: a configuration or request that no wait can fix."
);
create_exception!(
    ratecell,
    InvalidQuota,
    RateCellError,
    "A limit, period, burst, window or TTL that makes no usable limiter."
);
create_exception!(
    ratecell,
    QuotaParseError,
    InvalidQuota,
    "A quota string that does not parse; `position` is the byte offset of the problem and `input` the string."
);
create_exception!(
    ratecell,
    InsufficientCapacity,
    RateCellError,
    "A cost larger than the limiter's capacity: no wait can admit it. `capacity` is the largest admissible cost, `cost` the one asked for."
);
create_exception!(
    ratecell,
    ConcurrencyLimitExceeded,
    RateCellError,
    "No lease was granted before `hold`'s timeout ran out; `decision` is the last refusal."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("RateCellError", py.get_type::<RateCellError>())?;
    m.add("InvalidQuota", py.get_type::<InvalidQuota>())?;
    m.add("QuotaParseError", py.get_type::<QuotaParseError>())?;
    m.add(
        "InsufficientCapacity",
        py.get_type::<InsufficientCapacity>(),
    )?;
    m.add(
        "ConcurrencyLimitExceeded",
        py.get_type::<ConcurrencyLimitExceeded>(),
    )?;
    Ok(())
}

/// `TypeError: {what} must be {expected}, not {type of got}`.
pub(crate) fn type_error(what: &str, expected: &str, got: &Bound<'_, PyAny>) -> PyErr {
    let name = got
        .get_type()
        .name()
        .map_or_else(|_| "an unknown type".to_owned(), |n| n.to_string());
    PyTypeError::new_err(format!("{what} must be {expected}, not {name}"))
}

pub(crate) fn value_error(message: String) -> PyErr {
    PyValueError::new_err(message)
}

pub(crate) fn invalid_quota(message: &str) -> PyErr {
    InvalidQuota::new_err(message.to_owned())
}

/// A core quota error; `context` names the limiter (`"Gcra"`) when there is one.
pub(crate) fn quota_error(e: QuotaError, context: &str) -> PyErr {
    let hint = match e {
        QuotaError::LimitExceedsSlots => format!(
            "{context}: limit is larger than the most it can hold per key (a sliding log holds at most {} requests, concurrency at most {} leases)",
            ratecell::SizedSlidingLog::MAX_ENTRIES,
            ratecell::SizedConcurrency::MAX_LIMIT
        ),
        other => format!("{context}: {other}"),
    };
    InvalidQuota::new_err(hint)
}

/// A quota string's parse error, carrying the input and the byte position.
pub(crate) fn parse_error(py: Python<'_>, input: &str, e: ParseError) -> PyErr {
    let err = QuotaParseError::new_err(format!("invalid quota string {input:?}: {e}"));
    let value = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail in practice; if it did,
    // the error would still be raised with its message.
    let _ = value.setattr("position", e.position);
    let _ = value.setattr("input", input);
    err
}

/// An error from a check; `cost` is what was asked for (an int, or the costs of an `AllOf`).
pub(crate) fn check_error<'py>(py: Python<'py>, e: Error, cost: impl IntoPyObject<'py>) -> PyErr {
    match e {
        Error::InsufficientCapacity { capacity } => {
            let err = InsufficientCapacity::new_err(format!(
                "a cost of more than {capacity} can never be admitted: it exceeds the limiter's capacity"
            ));
            let value = err.value(py);
            let _ = value.setattr("capacity", capacity);
            if let Ok(cost) = cost.into_bound_py_any(py) {
                let _ = value.setattr("cost", cost);
            }
            err
        }
        Error::InvalidQuota(q) => quota_error(q, "invalid quota"),
        Error::Parse(p) => QuotaParseError::new_err(p.to_string()),
        Error::LengthMismatch { members, given } => value_error(format!(
            "expected {members} costs, one per member, got {given}"
        )),
        other => RateCellError::new_err(other.to_string()),
    }
}
