//! Clocks and seconds: the monotonic clock limiters read by default, `ManualClock` for tests,
//! and exact conversions between Python seconds and the core's nanoseconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDelta, PyFloat, PyInt};
use ratecell::{Clock as _, Nanos};

use crate::error;

const NANOS_PER_SEC: u64 = 1_000_000_000;
const NANOS_PER_DAY: u64 = 86_400 * NANOS_PER_SEC;

/// Where the monotonic clock starts: its instant is the time since the UTC midnight before
/// the module was loaded, so that windows of a second, minute, hour or day start on the
/// wall clock's boundaries, while instants stay small (far below the core's horizon).
struct Origin {
    clock: ratecell::MonotonicClock,
    since_midnight: u64,
}

static ORIGIN: LazyLock<Origin> = LazyLock::new(|| {
    let unix = unix_now().as_nanos();
    Origin {
        clock: ratecell::MonotonicClock::new(),
        since_midnight: unix % NANOS_PER_DAY,
    }
});

/// The monotonic clock's current instant.
#[inline]
pub(crate) fn monotonic_now() -> Nanos {
    let origin = &*ORIGIN;
    Nanos::new(
        origin
            .since_midnight
            .saturating_add(origin.clock.now().as_nanos()),
    )
}

/// The wall-clock time since the Unix epoch (zero if the system clock is before 1970).
pub(crate) fn unix_now() -> Nanos {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(Nanos::ZERO, Nanos::from_duration)
}

/// The clock a limiter reads.
pub(crate) enum Clock {
    Monotonic,
    Manual(Py<ManualClock>),
}

impl Clock {
    /// `clock=` as given: `None` or a `MonotonicClock` for the monotonic clock, or a
    /// `ManualClock`.
    pub(crate) fn from_arg(clock: Option<&Bound<'_, PyAny>>) -> PyResult<Clock> {
        match clock {
            None => Ok(Clock::Monotonic),
            Some(c) if c.is_none() || c.is_instance_of::<MonotonicClock>() => Ok(Clock::Monotonic),
            Some(c) => match c.cast::<ManualClock>() {
                Ok(manual) => Ok(Clock::Manual(manual.clone().unbind())),
                Err(_) => Err(error::type_error(
                    "clock",
                    "a ratecell.ManualClock, a ratecell.MonotonicClock or None",
                    c,
                )),
            },
        }
    }

    #[inline]
    pub(crate) fn now(&self) -> Nanos {
        match self {
            Clock::Monotonic => monotonic_now(),
            Clock::Manual(manual) => manual.get().clock.now(),
        }
    }

    /// Whether both read the same time line.
    pub(crate) fn same(&self, other: &Clock) -> bool {
        match (self, other) {
            (Clock::Monotonic, Clock::Monotonic) => true,
            (Clock::Manual(a), Clock::Manual(b)) => a.is(b),
            _ => false,
        }
    }

    pub(crate) fn clone_ref(&self, py: Python<'_>) -> Clock {
        match self {
            Clock::Monotonic => Clock::Monotonic,
            Clock::Manual(manual) => Clock::Manual(manual.clone_ref(py)),
        }
    }

    /// The clock as a Python object.
    pub(crate) fn to_object<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Clock::Monotonic => Ok(Bound::new(py, MonotonicClock)?.into_any()),
            Clock::Manual(manual) => Ok(manual.bind(py).clone().into_any()),
        }
    }

    /// The wall-clock time at which this clock read `at`: now, minus how long ago `at` was.
    pub(crate) fn unix_at(&self, at: Nanos) -> Nanos {
        unix_now().saturating_sub(self.now().saturating_sub(at))
    }
}

/// Seconds as a Python float; "never" (`Nanos::MAX`) is infinity.
pub(crate) fn secs(n: Nanos) -> f64 {
    if n == Nanos::MAX {
        f64::INFINITY
    } else {
        n.as_secs_f64()
    }
}

/// Which exception a bad number of seconds raises.
#[derive(Copy, Clone)]
pub(crate) enum Invalid {
    /// `ValueError`: an argument out of its domain.
    Value,
    /// `ratecell.InvalidQuota`: a quota's period or window.
    Quota,
}

/// A span of seconds (`int`, `float` or `datetime.timedelta`) as the nearest whole
/// nanosecond, exactly. NaN, infinities, negative spans and spans beyond 584 years raise.
pub(crate) fn nanos_from_seconds(
    value: &Bound<'_, PyAny>,
    what: &str,
    invalid: Invalid,
) -> PyResult<Nanos> {
    let bad = |why: String| match invalid {
        Invalid::Value => error::value_error(format!("{what} {why}")),
        Invalid::Quota => error::invalid_quota(&format!("{what} {why}")),
    };
    if value.is_instance_of::<PyBool>() {
        return Err(error::type_error(
            what,
            "a number of seconds (int, float or timedelta)",
            value,
        ));
    }
    if let Ok(int) = value.cast::<PyInt>() {
        return match int.extract::<i128>() {
            Ok(n) if n < 0 => Err(bad(format!("must not be negative, got {n}"))),
            Ok(n) => u64::try_from(n)
                .ok()
                .and_then(|n| n.checked_mul(NANOS_PER_SEC))
                .map(Nanos::new)
                .ok_or_else(|| bad(format!("is too large: {n} seconds is more than 584 years"))),
            Err(_) => Err(bad("is too large: more than 584 years".to_owned())),
        };
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        let x = float.value();
        if x.is_nan() {
            return Err(bad("must be a number of seconds, got nan".to_owned()));
        }
        if x.is_infinite() {
            return Err(bad(format!("must be finite, got {x}")));
        }
        if x < 0.0 {
            return Err(bad(format!("must not be negative, got {x}")));
        }
        return Nanos::try_from_secs_f64(x)
            .ok_or_else(|| bad(format!("is too large: {x} seconds is more than 584 years")));
    }
    if let Ok(delta) = value.cast::<PyDelta>() {
        let days: i64 = delta.getattr("days")?.extract()?;
        let seconds: i64 = delta.getattr("seconds")?.extract()?;
        let micros: i64 = delta.getattr("microseconds")?.extract()?;
        if days < 0 {
            return Err(bad(format!("must not be negative, got {}", value.repr()?)));
        }
        let total = (i128::from(days) * 86_400 + i128::from(seconds)) * 1_000_000_000
            + i128::from(micros) * 1_000;
        return u64::try_from(total)
            .map(Nanos::new)
            .map_err(|_| bad("is too large: more than 584 years".to_owned()));
    }
    Err(error::type_error(
        what,
        "a number of seconds (int, float or timedelta)",
        value,
    ))
}

/// Optional seconds: `None` stays `None`.
pub(crate) fn optional_seconds(
    value: Option<&Bound<'_, PyAny>>,
    what: &str,
) -> PyResult<Option<Nanos>> {
    match value {
        Some(v) if !v.is_none() => nanos_from_seconds(v, what, Invalid::Value).map(Some),
        _ => Ok(None),
    }
}

/// A whole number of nanoseconds, `0 <= n < 2**64`.
pub(crate) fn nanos_from_int(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Nanos> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(error::type_error(what, "an int (nanoseconds)", value));
    }
    match value.extract::<i128>() {
        Ok(n) => u64::try_from(n).map(Nanos::new).map_err(|_| {
            error::value_error(format!(
                "{what} must be between 0 and 2**64 - 1 nanoseconds, got {n}"
            ))
        }),
        Err(_) => Err(error::value_error(format!(
            "{what} must be below 2**64 nanoseconds"
        ))),
    }
}

/// Callbacks waiting for a clock to reach an instant, or for any event (a released lease).
#[derive(Default)]
pub(crate) struct Waiters {
    next: AtomicU64,
    list: Mutex<Vec<(u64, Nanos, Py<PyAny>)>>,
}

impl Waiters {
    /// Registers `callback` to run once `at` is reached (any event, for `Nanos::ZERO`).
    pub(crate) fn add(&self, at: Nanos, callback: Py<PyAny>) -> u64 {
        let token = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.list
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((token, at, callback));
        token
    }

    /// Forgets a callback that has not run. Returns whether it was still waiting.
    pub(crate) fn cancel(&self, token: u64) -> bool {
        let removed = {
            let mut list = self.list.lock().unwrap_or_else(PoisonError::into_inner);
            list.iter()
                .position(|(t, _, _)| *t == token)
                .map(|i| list.swap_remove(i))
        };
        // Dropped outside the lock: a finaliser may run Python code.
        removed.is_some()
    }

    /// Runs (and forgets) every callback whose instant is at or before `now`.
    pub(crate) fn wake(&self, py: Python<'_>, now: Nanos) {
        let due: Vec<Py<PyAny>> = {
            let mut list = self.list.lock().unwrap_or_else(PoisonError::into_inner);
            let mut due = Vec::new();
            let mut i = 0;
            while i < list.len() {
                if list[i].1 <= now {
                    due.push(list.swap_remove(i).2);
                } else {
                    i += 1;
                }
            }
            due
        };
        for callback in due {
            if let Err(e) = callback.call0(py) {
                e.write_unraisable(py, Some(callback.bind(py)));
            }
        }
    }
}

/// The monotonic clock every limiter reads unless given another: the operating system's
/// monotonic time, counted from the UTC midnight before `ratecell` was imported.
#[pyclass(frozen, module = "ratecell")]
pub(crate) struct MonotonicClock;

// Python's methods take `self`; this clock has no state of its own.
#[allow(clippy::unused_self)]
#[pymethods]
impl MonotonicClock {
    #[new]
    fn new() -> Self {
        MonotonicClock
    }

    /// The current instant, in seconds.
    fn now(&self) -> f64 {
        secs(monotonic_now())
    }

    /// The current instant, in whole nanoseconds.
    #[getter]
    fn now_ns(&self) -> u64 {
        monotonic_now().as_nanos()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.is_instance_of::<MonotonicClock>()
    }

    fn __hash__(&self) -> u64 {
        0x6d6f_6e6f
    }

    fn __repr__(&self) -> &'static str {
        "MonotonicClock()"
    }
}

/// A clock that only moves when told to; shareable by several limiters and threads.
#[pyclass(frozen, module = "ratecell")]
pub(crate) struct ManualClock {
    clock: ratecell::ManualClock,
    waiters: Waiters,
}

impl ManualClock {
    fn moved(&self, py: Python<'_>) {
        self.waiters.wake(py, self.clock.now());
    }
}

#[pymethods]
impl ManualClock {
    #[new]
    #[pyo3(signature = (start = None))]
    fn new(start: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let start = optional_seconds(start, "start")?.unwrap_or(Nanos::ZERO);
        Ok(ManualClock {
            clock: ratecell::ManualClock::starting_at(start),
            waiters: Waiters::default(),
        })
    }

    /// The current instant, in seconds.
    fn now(&self) -> f64 {
        secs(self.clock.now())
    }

    /// The current instant, in whole nanoseconds.
    #[getter]
    fn now_ns(&self) -> u64 {
        self.clock.now().as_nanos()
    }

    /// Moves the clock forward by `seconds`; returns the new instant in seconds.
    fn advance(&self, py: Python<'_>, seconds: &Bound<'_, PyAny>) -> PyResult<f64> {
        let by = nanos_from_seconds(seconds, "seconds", Invalid::Value)?;
        let now = self.clock.advance(by);
        self.moved(py);
        Ok(secs(now))
    }

    /// Moves the clock forward by `nanoseconds`; returns the new instant in nanoseconds.
    fn advance_ns(&self, py: Python<'_>, nanoseconds: &Bound<'_, PyAny>) -> PyResult<u64> {
        let by = nanos_from_int(nanoseconds, "nanoseconds")?;
        let now = self.clock.advance(by);
        self.moved(py);
        Ok(now.as_nanos())
    }

    /// Sets the clock to `seconds`, forwards or backwards.
    fn set(&self, py: Python<'_>, seconds: &Bound<'_, PyAny>) -> PyResult<()> {
        self.clock
            .set(nanos_from_seconds(seconds, "seconds", Invalid::Value)?);
        self.moved(py);
        Ok(())
    }

    /// Sets the clock to `nanoseconds`, forwards or backwards.
    fn set_ns(&self, py: Python<'_>, nanoseconds: &Bound<'_, PyAny>) -> PyResult<()> {
        self.clock.set(nanos_from_int(nanoseconds, "nanoseconds")?);
        self.moved(py);
        Ok(())
    }

    /// Runs `callback()` once the clock reaches `at_ns` (at once if it has); returns a token
    /// for `_cancel`. Used by the waiting helpers.
    fn _wake_at_ns(&self, py: Python<'_>, at_ns: u64, callback: Py<PyAny>) -> u64 {
        let token = self.waiters.add(Nanos::new(at_ns), callback);
        self.moved(py);
        token
    }

    /// Forgets a callback registered with `_wake_at_ns` that has not run.
    fn _cancel(&self, token: u64) -> bool {
        self.waiters.cancel(token)
    }

    fn __repr__(&self) -> String {
        format!("ManualClock(now={:?})", secs(self.clock.now()))
    }
}
