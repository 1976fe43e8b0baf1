//! Clocks: the monotonic clock every limiter reads by default, and the native half of
//! `ManualClock`. Durations cross the boundary as milliseconds (JavaScript numbers, fractions
//! allowed) or as nanoseconds (`bigint`, exact).

use std::sync::Arc;

use napi::bindgen_prelude::{BigInt, JsValue, Unknown};
use napi::{Env, sys};
use napi_derive::napi;
use ratecell::{Clock as _, MonotonicClock, Nanos};

use crate::call::type_name;
use crate::error::{JsError, OrThrow};

/// Where a limiter reads the time.
#[derive(Clone, Debug)]
pub(crate) enum Clock {
    /// The operating system's monotonic clock, from when the limiter was created.
    Monotonic(MonotonicClock),
    /// A clock moved by hand.
    Manual(Arc<ratecell::ManualClock>),
}

impl Clock {
    /// The clock for a limiter: `manual` when given, else a new monotonic clock.
    pub(crate) fn new(manual: Option<&NativeClock>) -> Clock {
        match manual {
            Some(m) => Clock::Manual(Arc::clone(&m.clock)),
            None => Clock::Monotonic(MonotonicClock::new()),
        }
    }

    /// The current instant.
    pub(crate) fn now(&self) -> Nanos {
        match self {
            Clock::Monotonic(c) => c.now(),
            Clock::Manual(c) => c.now(),
        }
    }
}

/// Nanoseconds as milliseconds; [`Nanos::MAX`] (never) is `Infinity`.
pub(crate) fn ms(n: Nanos) -> f64 {
    if n == Nanos::MAX {
        f64::INFINITY
    } else {
        n.as_nanos() as f64 / 1e6
    }
}

/// A millisecond count from JavaScript as nanoseconds: a finite number at least `min_ns`
/// nanoseconds long (fractions allowed, rounded to the nearest nanosecond).
pub(crate) fn duration(
    env: sys::napi_env,
    value: sys::napi_value,
    name: &str,
    min_ns: u64,
) -> Result<Nanos, JsError> {
    let mut n = 0.0_f64;
    // SAFETY: `env` and `value` come from the current call.
    if unsafe { sys::napi_get_value_double(env, value, &raw mut n) } != sys::Status::napi_ok {
        return Err(JsError::invalid_type(
            name,
            "a number of milliseconds",
            type_name(env, value),
        ));
    }
    from_ms(n, name, min_ns)
}

/// `ms` milliseconds as the nearest nanosecond (exactly, by the core), at least `min_ns`.
pub(crate) fn from_ms(ms: f64, name: &str, min_ns: u64) -> Result<Nanos, JsError> {
    if let Some(ns) = Nanos::try_from_millis_f64(ms).filter(|ns| ns.as_nanos() >= min_ns) {
        Ok(ns)
    } else {
        let least = if min_ns == 0 {
            "0".to_owned()
        } else {
            format!("{}", min_ns as f64 / 1e6)
        };
        Err(JsError::value(format!(
            "{name} must be a finite number of milliseconds from {least} to 18446744073709.55, got {ms}"
        )))
    }
}

fn raw(value: &Unknown<'_>) -> sys::napi_value {
    value.value().value
}

fn nanos(value: &BigInt, name: &str) -> Result<Nanos, JsError> {
    // Read the words directly: `0n` may have none.
    let n = value.words.first().copied().unwrap_or(0);
    let lossless = value.words.iter().skip(1).all(|&w| w == 0);
    if (value.sign_bit && n != 0) || !lossless {
        return Err(JsError::value(format!(
            "{name} must be a bigint from 0n to 18446744073709551615n"
        )));
    }
    Ok(Nanos::new(n))
}

/// The native half of `ManualClock`: a clock that moves only when told to.
#[napi]
pub struct NativeClock {
    clock: Arc<ratecell::ManualClock>,
}

#[napi]
impl NativeClock {
    /// A clock at instant 0.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> NativeClock {
        NativeClock {
            clock: Arc::new(ratecell::ManualClock::new()),
        }
    }

    /// Moves the clock forward by `ms` milliseconds; returns the new time in milliseconds.
    #[napi]
    pub fn advance(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "number")] ms: Unknown<'_>,
    ) -> napi::Result<f64> {
        let by = duration(env.raw(), raw(&ms), "ms", 0).or_throw(env)?;
        Ok(self::ms(self.clock.advance(by)))
    }

    /// Sets the clock to `ms` milliseconds, forwards or backwards.
    #[napi]
    pub fn set(
        &self,
        env: &Env,
        #[napi(ts_arg_type = "number")] ms: Unknown<'_>,
    ) -> napi::Result<()> {
        let to = duration(env.raw(), raw(&ms), "ms", 0).or_throw(env)?;
        self.clock.set(to);
        Ok(())
    }

    /// The time in milliseconds.
    #[napi]
    pub fn now_ms(&self) -> f64 {
        ms(self.clock.now())
    }

    /// Moves the clock forward by `ns` nanoseconds; returns the new time in nanoseconds.
    #[napi]
    pub fn advance_ns(&self, env: &Env, ns: BigInt) -> napi::Result<BigInt> {
        let by = nanos(&ns, "ns").or_throw(env)?;
        Ok(BigInt::from(self.clock.advance(by).as_nanos()))
    }

    /// Sets the clock to `ns` nanoseconds.
    #[napi]
    pub fn set_ns(&self, env: &Env, ns: BigInt) -> napi::Result<()> {
        let to = nanos(&ns, "ns").or_throw(env)?;
        self.clock.set(to);
        Ok(())
    }

    /// The time in nanoseconds.
    #[napi]
    pub fn now_ns(&self) -> BigInt {
        BigInt::from(self.clock.now().as_nanos())
    }
}
