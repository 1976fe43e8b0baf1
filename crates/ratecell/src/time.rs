//! Time as plain integers: [`Nanos`], the [`Clock`] trait and the clocks that implement it.
//!
//! Every decision in ratecell takes the current time as an argument. The core never reads a
//! clock, which makes decisions deterministic, testable and usable from firmware or C callers
//! that own their time source. Clocks are a convenience for the layers above.
//!
//! [`Nanos`] counts whole nanoseconds in a `u64`: an instant (nanoseconds since the epoch of
//! whatever time base you use) or a duration. `u64` nanoseconds span 584 years; every
//! operation on them saturates instead of overflowing.

use core::fmt;
use core::time::Duration;

/// A count of nanoseconds: an instant on the caller's time line, or a duration.
///
/// All arithmetic saturates at `0` and [`Nanos::MAX`], so no time value can make ratecell panic.
///
/// ```
/// use ratecell::Nanos;
/// use core::time::Duration;
///
/// let t = Nanos::from_secs(2).saturating_add(Nanos::from_millis(500));
/// assert_eq!(t.as_nanos(), 2_500_000_000);
/// assert_eq!(Duration::from(t), Duration::from_millis(2_500));
/// assert_eq!(Nanos::MAX.saturating_add(Nanos::new(1)), Nanos::MAX);
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct Nanos(u64);

impl Nanos {
    /// Zero nanoseconds: the epoch, or no wait at all.
    pub const ZERO: Nanos = Nanos(0);
    /// The largest representable time, about 584 years after the epoch.
    pub const MAX: Nanos = Nanos(u64::MAX);

    /// Wraps a count of nanoseconds.
    pub const fn new(nanos: u64) -> Nanos {
        Nanos(nanos)
    }

    /// The count of nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// `secs` seconds, saturating at [`Nanos::MAX`].
    pub const fn from_secs(secs: u64) -> Nanos {
        Nanos(secs.saturating_mul(1_000_000_000))
    }

    /// `millis` milliseconds, saturating at [`Nanos::MAX`].
    pub const fn from_millis(millis: u64) -> Nanos {
        Nanos(millis.saturating_mul(1_000_000))
    }

    /// `micros` microseconds, saturating at [`Nanos::MAX`].
    pub const fn from_micros(micros: u64) -> Nanos {
        Nanos(micros.saturating_mul(1_000))
    }

    /// Converts a [`Duration`], saturating at [`Nanos::MAX`] (584 years).
    pub const fn from_duration(d: Duration) -> Nanos {
        let n = d.as_nanos();
        if n > u64::MAX as u128 {
            Nanos::MAX
        } else {
            Nanos(n as u64)
        }
    }

    /// The same span as a [`Duration`] (exact: every `Nanos` fits).
    pub const fn as_duration(self) -> Duration {
        Duration::from_nanos(self.0)
    }

    /// Seconds as a float, for display and for bindings that speak seconds. Lossy above 2^53 ns
    /// (104 days) by at most one part in 2^53.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// `secs` seconds as the nearest whole nanosecond, computed exactly from the float's
    /// binary value (ties to even), for bindings whose users speak seconds. `None` for NaN,
    /// infinities, negative values and spans beyond [`Nanos::MAX`] (584 years).
    ///
    /// ```
    /// use ratecell::Nanos;
    /// assert_eq!(Nanos::try_from_secs_f64(0.1), Some(Nanos::from_millis(100)));
    /// assert_eq!(Nanos::try_from_secs_f64(60.0 / 7.0), Some(Nanos::new(8_571_428_571)));
    /// assert_eq!(Nanos::try_from_secs_f64(-0.0), Some(Nanos::ZERO));
    /// assert_eq!(Nanos::try_from_secs_f64(f64::NAN), None);
    /// assert_eq!(Nanos::try_from_secs_f64(-1e-9), None);
    /// assert_eq!(Nanos::try_from_secs_f64(1e12), None);
    /// ```
    pub fn try_from_secs_f64(secs: f64) -> Option<Nanos> {
        Nanos::from_f64_units(secs, 1_000_000_000)
    }

    /// `millis` milliseconds as the nearest whole nanosecond, exactly as
    /// [`Nanos::try_from_secs_f64`] converts seconds.
    ///
    /// ```
    /// use ratecell::Nanos;
    /// assert_eq!(Nanos::try_from_millis_f64(1.5), Some(Nanos::new(1_500_000)));
    /// assert_eq!(Nanos::try_from_millis_f64(f64::INFINITY), None);
    /// ```
    pub fn try_from_millis_f64(millis: f64) -> Option<Nanos> {
        Nanos::from_f64_units(millis, 1_000_000)
    }

    /// `value * per_unit` nanoseconds, rounded to the nearest integer (ties to even) from the
    /// exact binary value of `value`: `mantissa * 2^exponent * per_unit`, in 128-bit integers.
    fn from_f64_units(value: f64, per_unit: u64) -> Option<Nanos> {
        if !value.is_finite() || value.is_sign_negative() && value != 0.0 {
            return None;
        }
        let bits = value.to_bits();
        let biased = i32::try_from((bits >> 52) & 0x7ff).ok()?;
        let fraction = bits & ((1_u64 << 52) - 1);
        let (mantissa, exponent) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1_u64 << 52), biased - 1075)
        };
        // Below 2^53 * 2^64 = 2^117: no overflow.
        let scaled = u128::from(mantissa) * u128::from(per_unit);
        let nanos = if exponent >= 0 {
            let shift = exponent.unsigned_abs();
            if scaled != 0 && shift > scaled.leading_zeros() {
                return None;
            }
            scaled.checked_shl(shift)?
        } else {
            let shift = exponent.unsigned_abs();
            if shift >= 128 {
                // `scaled < 2^117`, so the value is below half a nanosecond.
                0
            } else {
                let quotient = scaled >> shift;
                let rest = scaled & ((1_u128 << shift) - 1);
                let half = 1_u128 << (shift - 1);
                if rest > half || (rest == half && quotient & 1 == 1) {
                    quotient + 1
                } else {
                    quotient
                }
            }
        };
        u64::try_from(nanos).ok().map(Nanos)
    }

    /// Whole seconds, rounded up: the value an HTTP `Retry-After` field must carry so that a
    /// client waiting that long is never early.
    ///
    /// ```
    /// use ratecell::Nanos;
    /// assert_eq!(Nanos::new(1).as_secs_ceil(), 1);
    /// assert_eq!(Nanos::from_secs(3).as_secs_ceil(), 3);
    /// assert_eq!(Nanos::ZERO.as_secs_ceil(), 0);
    /// ```
    pub const fn as_secs_ceil(self) -> u64 {
        self.0.div_ceil(1_000_000_000)
    }

    /// `self + rhs`, saturating at [`Nanos::MAX`].
    #[must_use]
    pub const fn saturating_add(self, rhs: Nanos) -> Nanos {
        Nanos(self.0.saturating_add(rhs.0))
    }

    /// `self - rhs`, saturating at [`Nanos::ZERO`].
    #[must_use]
    pub const fn saturating_sub(self, rhs: Nanos) -> Nanos {
        Nanos(self.0.saturating_sub(rhs.0))
    }

    /// `self + rhs`, or `None` on overflow.
    pub const fn checked_add(self, rhs: Nanos) -> Option<Nanos> {
        match self.0.checked_add(rhs.0) {
            Some(n) => Some(Nanos(n)),
            None => None,
        }
    }
}

impl From<Duration> for Nanos {
    /// Saturates at [`Nanos::MAX`].
    fn from(d: Duration) -> Nanos {
        Nanos::from_duration(d)
    }
}

impl From<Nanos> for Duration {
    fn from(n: Nanos) -> Duration {
        n.as_duration()
    }
}

impl From<u64> for Nanos {
    fn from(n: u64) -> Nanos {
        Nanos(n)
    }
}

impl From<Nanos> for u64 {
    fn from(n: Nanos) -> u64 {
        n.0
    }
}

impl fmt::Display for Nanos {
    /// Human units: `0s`, `250ns`, `1.5ms`, `8.571428571s`; [`Nanos::MAX`], which decisions use
    /// for "no wait can help", is `never`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Nanos::MAX {
            return f.write_str("never");
        }
        let n = self.0;
        let (unit, scale) = match n {
            0 => return f.write_str("0s"),
            1..1_000 => return write!(f, "{n}ns"),
            1_000..1_000_000 => ("us", 1_000),
            1_000_000..1_000_000_000 => ("ms", 1_000_000),
            _ => ("s", 1_000_000_000),
        };
        let whole = n / scale;
        let mut frac = n % scale;
        if frac == 0 {
            return write!(f, "{whole}{unit}");
        }
        let mut digits: usize = match scale {
            1_000 => 3,
            1_000_000 => 6,
            _ => 9,
        };
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        write!(f, "{whole}.{frac:0digits$}{unit}")
    }
}

/// The wait from `now` until the instant `at` (which may lie beyond `u64`), or [`Nanos::MAX`]
/// when `at` is past the end of representable time: waiting cannot reach it.
pub(crate) fn wait_until(at: u128, now: u64) -> Nanos {
    match u64::try_from(at) {
        Ok(at) => Nanos(at.saturating_sub(now)),
        Err(_) => Nanos::MAX,
    }
}

/// A source of the current time.
///
/// The core never calls a clock; limiters in the bindings do. Implement it for your own time
/// source (an RTOS tick counter, a simulated clock) to use the convenience layers.
pub trait Clock {
    /// The current instant. It should not go backwards, but ratecell stays safe if it does:
    /// a clock that steps back never admits more than the stored state allows.
    fn now(&self) -> Nanos;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Nanos {
        (**self).now()
    }
}

/// A clock that only moves when told to: for tests, simulations and replays.
///
/// It starts at `0` and is shareable between threads where the target has 64-bit atomics.
///
/// ```
/// use ratecell::{Clock, ManualClock, Nanos};
///
/// let clock = ManualClock::new();
/// assert_eq!(clock.now(), Nanos::ZERO);
/// clock.advance(Nanos::from_millis(1500));
/// assert_eq!(clock.now(), Nanos::from_millis(1500));
/// clock.set(Nanos::new(7)); // may step backwards, to test how limiters cope
/// assert_eq!(clock.now().as_nanos(), 7);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    #[cfg(target_has_atomic = "64")]
    now: core::sync::atomic::AtomicU64,
    #[cfg(not(target_has_atomic = "64"))]
    now: core::cell::Cell<u64>,
}

impl ManualClock {
    /// A clock at instant `0`.
    pub const fn new() -> ManualClock {
        ManualClock::starting_at(Nanos::ZERO)
    }

    /// A clock at instant `start`.
    pub const fn starting_at(start: Nanos) -> ManualClock {
        ManualClock {
            #[cfg(target_has_atomic = "64")]
            now: core::sync::atomic::AtomicU64::new(start.0),
            #[cfg(not(target_has_atomic = "64"))]
            now: core::cell::Cell::new(start.0),
        }
    }

    /// Moves the clock forward by `by`, saturating at [`Nanos::MAX`]. Returns the new time.
    pub fn advance(&self, by: Nanos) -> Nanos {
        #[cfg(target_has_atomic = "64")]
        {
            use core::sync::atomic::Ordering;
            let prev = self
                .now
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                    Some(t.saturating_add(by.0))
                })
                .unwrap_or_else(|t| t);
            Nanos(prev.saturating_add(by.0))
        }
        #[cfg(not(target_has_atomic = "64"))]
        {
            let next = self.now.get().saturating_add(by.0);
            self.now.set(next);
            Nanos(next)
        }
    }

    /// Sets the clock to `to`, forwards or backwards.
    pub fn set(&self, to: Nanos) {
        #[cfg(target_has_atomic = "64")]
        self.now.store(to.0, core::sync::atomic::Ordering::Release);
        #[cfg(not(target_has_atomic = "64"))]
        self.now.set(to.0);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Nanos {
        #[cfg(target_has_atomic = "64")]
        {
            Nanos(self.now.load(core::sync::atomic::Ordering::Acquire))
        }
        #[cfg(not(target_has_atomic = "64"))]
        {
            Nanos(self.now.get())
        }
    }
}

/// A monotonic clock, counted from when this value was created: the one every binding reads
/// by default.
///
/// It reads the processor's time-stamp counter through [`quanta`] where the counter is
/// invariant (it ticks at one rate whatever the core's frequency or power state, as on x86-64
/// processors since about 2011 and on 64-bit ARM), scaled to nanoseconds by a calibration
/// against the operating system's monotonic clock made once per process (well under a
/// millisecond). Elsewhere it reads the operating system's monotonic clock itself. A read
/// costs about a third of [`std::time::Instant::now`]'s on the machines of `BENCHMARKS.md`,
/// which matters when a check takes a few nanoseconds and the clock is read for every one.
///
/// Counting from creation keeps instants small, far from the end of the `u64` range, and makes
/// them meaningless across processes: use a wall clock for anything a client sees (headers).
/// Like any clock it may disagree with another process's by a few parts per million in rate.
/// An instant read on one core and then on another never comes out earlier than the clock's
/// creation; should two cores' counters disagree, the limiters' rule for clocks that step
/// backwards applies (they never admit extra).
///
/// ```
/// use ratecell::{Clock, MonotonicClock};
/// let clock = MonotonicClock::new();
/// let a = clock.now();
/// std::thread::sleep(std::time::Duration::from_millis(2));
/// let b = clock.now();
/// assert!(b.as_nanos() - a.as_nanos() >= 2_000_000);
/// ```
///
/// [`quanta`]: https://docs.rs/quanta
#[cfg(feature = "std")]
#[derive(Clone, Copy)]
pub struct MonotonicClock {
    /// The counter's reading at creation.
    origin: u64,
}

/// The processor's counter, read through the process's one calibrated clock (calibrating
/// takes a fraction of a millisecond, so it is done once, on first use).
#[cfg(all(feature = "std", not(miri)))]
mod counter {
    fn calibrated() -> &'static quanta::Clock {
        static CLOCK: std::sync::OnceLock<quanta::Clock> = std::sync::OnceLock::new();
        CLOCK.get_or_init(quanta::Clock::new)
    }

    /// The counter now, in its own units.
    #[inline]
    pub(super) fn read() -> u64 {
        calibrated().raw()
    }

    /// Nanoseconds from reading `from` to reading `to` (0 when `to` is not later).
    #[inline]
    pub(super) fn nanos_between(from: u64, to: u64) -> u64 {
        calibrated().delta_as_nanos(from, to)
    }
}

/// Under Miri, which cannot read the processor's counter: the standard library's monotonic
/// clock, in nanoseconds since the first reading.
#[cfg(all(feature = "std", miri))]
mod counter {
    pub(super) fn read() -> u64 {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        let elapsed = START.get_or_init(std::time::Instant::now).elapsed();
        u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
    }

    pub(super) fn nanos_between(from: u64, to: u64) -> u64 {
        to.saturating_sub(from)
    }
}

#[cfg(feature = "std")]
impl MonotonicClock {
    /// A clock whose instant `0` is now.
    pub fn new() -> MonotonicClock {
        MonotonicClock {
            origin: counter::read(),
        }
    }
}

#[cfg(feature = "std")]
impl Default for MonotonicClock {
    fn default() -> Self {
        MonotonicClock::new()
    }
}

#[cfg(feature = "std")]
impl core::fmt::Debug for MonotonicClock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MonotonicClock")
            .field("now", &self.now())
            .finish()
    }
}

#[cfg(feature = "std")]
impl Clock for MonotonicClock {
    #[inline]
    fn now(&self) -> Nanos {
        // A reading below the origin (counters of two cores that disagree) counts as 0.
        Nanos(counter::nanos_between(self.origin, counter::read()))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[cfg(feature = "std")]
    #[test]
    fn the_monotonic_clock_keeps_the_operating_systems_time() {
        use std::time::{Duration, Instant};
        let clock = MonotonicClock::new();
        // Each reading of one clock is bracketed by readings of the other, so the inner
        // interval can only be shorter than the outer one, whatever the scheduler does.
        let (q0, s0, q1) = (clock.now(), Instant::now(), clock.now());
        std::thread::sleep(Duration::from_millis(30));
        let (q2, s1, q3) = (clock.now(), Instant::now(), clock.now());
        let outer = u64::try_from(s1.duration_since(s0).as_nanos()).unwrap_or(u64::MAX);
        // A calibration error of up to 0.1% in rate, and 20 µs in all, is allowed.
        let slack = outer / 1000 + 20_000;
        assert!(
            q3.as_nanos() - q0.as_nanos() + slack >= outer,
            "{q0} {q3} {outer}"
        );
        assert!(
            q2.as_nanos() - q1.as_nanos() <= outer + slack,
            "{q1} {q2} {outer}"
        );
        assert!(outer >= 30_000_000);
    }

    #[test]
    fn display_uses_human_units() {
        assert_eq!(Nanos::ZERO.to_string(), "0s");
        assert_eq!(Nanos::new(250).to_string(), "250ns");
        assert_eq!(Nanos::new(1_500_000).to_string(), "1.5ms");
        assert_eq!(Nanos::new(8_571_428_571).to_string(), "8.571428571s");
        assert_eq!(Nanos::from_secs(60).to_string(), "60s");
        assert_eq!(Nanos::new(1_001).to_string(), "1.001us");
        assert_eq!(Nanos::MAX.to_string(), "never");
    }

    #[test]
    fn floats_convert_to_the_nearest_nanosecond_exactly() {
        let secs = |s: f64| Nanos::try_from_secs_f64(s).map(Nanos::as_nanos);
        assert_eq!(secs(0.0), Some(0));
        assert_eq!(secs(1.0), Some(1_000_000_000));
        assert_eq!(secs(1e-9), Some(1));
        assert_eq!(secs(0.4e-9), Some(0));
        assert_eq!(secs(0.6e-9), Some(1));
        assert_eq!(secs(f64::MIN_POSITIVE), Some(0));
        assert_eq!(secs(5e-324), Some(0));
        assert_eq!(secs(86_400.0 * 365.0), Some(31_536_000_000_000_000));
        // 2^-31 s = 0.465661287307739257812 5 ns: rounds to 0; 3 * 2^-31 s = 1.39 ns: 1.
        assert_eq!(secs(2f64.powi(-31)), Some(0));
        assert_eq!(secs(3.0 * 2f64.powi(-31)), Some(1));
        // Ties go to even: 2^-30 s is 0.93 ns, 1.5 ns needs an exact half.
        assert_eq!(Nanos::from_f64_units(0.5, 1), Some(Nanos::ZERO));
        assert_eq!(Nanos::from_f64_units(1.5, 1), Some(Nanos::new(2)));
        assert_eq!(Nanos::from_f64_units(2.5, 1), Some(Nanos::new(2)));
        // The largest float below 2^64 ns fits; 2^64 ns does not.
        let top = 18_446_744_073.709_55;
        assert!(secs(top).is_some_and(|n| n > 18_446_744_073_709_000_000));
        assert_eq!(secs(18_446_744_073.709_553), None);
        assert_eq!(secs(f64::MAX), None);
        assert_eq!(secs(f64::INFINITY), None);
        assert_eq!(secs(f64::NEG_INFINITY), None);
        assert_eq!(secs(f64::NAN), None);
        assert_eq!(secs(-1.0), None);
        assert_eq!(secs(-f64::MIN_POSITIVE), None);
    }

    #[test]
    fn conversions_saturate() {
        assert_eq!(Nanos::from_secs(u64::MAX), Nanos::MAX);
        assert_eq!(Nanos::from_duration(Duration::MAX), Nanos::MAX);
        assert_eq!(Nanos::ZERO.saturating_sub(Nanos::new(5)), Nanos::ZERO);
        assert_eq!(Nanos::MAX.checked_add(Nanos::new(1)), None);
        assert_eq!(Nanos::MAX.as_secs_ceil(), 18_446_744_074);
    }

    #[test]
    fn manual_clock_saturates_and_steps_back() {
        let c = ManualClock::starting_at(Nanos::new(u64::MAX - 1));
        assert_eq!(c.advance(Nanos::new(10)), Nanos::MAX);
        c.set(Nanos::new(3));
        assert_eq!(c.now(), Nanos::new(3));
    }
}
