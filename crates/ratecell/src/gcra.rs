//! [`Gcra`]: the generic cell rate algorithm, exact to the nanosecond, on 8 bytes of state.
//!
//! GCRA stores one number per key, the *theoretical arrival time* (`tat`): the instant at
//! which the key would be back to full capacity. With emission interval `T = period / limit`
//! and capacity `B = burst`, a request of cost `n` at `now` computes
//! `new_tat = max(tat, now) + n*T` and is admitted iff `new_tat - B*T <= now`.
//! This is the contract of redis-cell's `CL.THROTTLE` (whose `max_burst` is `B - 1`).
//!
//! # Exactness
//!
//! `T` is rarely a whole number of nanoseconds (`7` per minute is 8.571428571428... s), and
//! rounding it drifts: truncation admits extra, rounding up refuses steady clients. ratecell
//! keeps `tat` in *ticks* of `1/scale` nanoseconds, where `scale = limit / gcd(period, limit)`
//! is the smallest unit in which `T` is whole. Every decision is then exact integer
//! arithmetic: no rounding, no drift, at any rate from one per day to `10^10` per second.
//! For the common quotas whose interval is whole nanoseconds (`100/minute`), `scale` is 1.
//! Exotic quotas whose exact scale would exceed [`Quota::MAX_SCALE`] round `T` up to
//! `1/MAX_SCALE` ns: never more permissive, slower by a few parts in 10^10
//! ([`Quota::is_exact`] tells which).
//!
//! # The horizon
//!
//! Ticks live in a `u64`, so instants beyond [`Gcra::horizon`] (`u64::MAX / scale` ns: 584
//! years for `scale = 1`, 83 years for `7/minute`, at least 9 years for any quota) cannot be
//! represented. There time stands still at the horizon and the cell fails closed: it never
//! admits more than its state allows and it never panics. Count time from a recent origin
//! (a monotonic clock, as the bindings do) rather than from 1970 when `scale` is large.
//!
//! # Boundaries
//!
//! - A request is admitted at the exact instant its `retry_after` elapses, not one
//!   nanosecond later; one nanosecond earlier it is refused.
//! - `retry_after` and `reset_after` are rounded up to whole nanoseconds; `remaining` is
//!   rounded down. Both directions are the conservative ones.
//! - A clock that steps backwards never admits more: `tat` is absolute, so an earlier `now`
//!   only makes `new_tat - B*T <= now` harder to satisfy.

use core::hint;
use core::num::NonZeroU64;

use crate::decision::Decision;
use crate::divisor::Divisor;
use crate::error::Error;
use crate::quota::Quota;
use crate::time::Nanos;

/// The GCRA policy: a validated quota compiled to exact tick arithmetic.
///
/// It is immutable and holds no per-key state, so one `Gcra` serves any number of keys;
/// the per-key state is a [`GcraState`] kept wherever you like (a local, a table, an atomic,
/// a C struct, a Redis value).
///
/// ```
/// use ratecell::{Gcra, GcraState, Nanos, Quota};
///
/// // The Free tier: 100 requests per minute, bursts of 120.
/// let gcra = Gcra::new(Quota::parse("100/minute burst 120")?);
/// let mut key = GcraState::default();
///
/// let admitted = (0..200)
///     .filter(|_| gcra.check(&mut key, Nanos::ZERO, 1).is_ok_and(|d| d.allowed))
///     .count();
/// assert_eq!(admitted, 120); // a fresh key admits exactly `burst` at one instant
///
/// let d = gcra.check(&mut key, Nanos::ZERO, 1)?;
/// assert!(!d.allowed);
/// assert_eq!(d.retry_after, Nanos::from_millis(600)); // one emission interval: 60s / 100
///
/// let later = gcra.check(&mut key, d.retry_after, 1)?;
/// assert!(later.allowed);
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Gcra {
    quota: Quota,
    /// Ticks per nanosecond.
    scale: NonZeroU64,
    /// The emission interval `T`, in ticks, with its reciprocal: decisions divide by it.
    interval: Divisor,
    /// `B * T` in ticks: how far `tat` may run ahead of `now` (validated to fit in `u64`).
    tolerance: u64,
}

/// One key's GCRA state: its theoretical arrival time in ticks. 8 bytes, `Copy`; the default
/// value is a fresh key.
///
/// The bits are stable for a given [`Gcra`], so the state can be stored anywhere (see
/// [`GcraState::to_bits`]). A state is only meaningful with the policy that produced it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct GcraState(u64);

impl GcraState {
    /// A key that has never been seen.
    pub const FRESH: GcraState = GcraState(0);

    /// Rebuilds a state from [`GcraState::to_bits`].
    pub const fn from_bits(bits: u64) -> GcraState {
        GcraState(bits)
    }

    /// The raw theoretical arrival time in ticks, for storing the state outside Rust.
    pub const fn to_bits(self) -> u64 {
        self.0
    }
}

impl Gcra {
    /// Compiles a quota. Every [`Quota`] is valid, so this cannot fail.
    pub const fn new(quota: Quota) -> Gcra {
        let (scale, interval) = quota.ticks();
        // `Quota` validated that `burst * interval` fits in u64.
        let tolerance = match interval.get().checked_mul(quota.burst()) {
            Some(t) => t,
            None => u64::MAX,
        };
        Gcra {
            quota,
            scale,
            interval: Divisor::new(interval),
            tolerance,
        }
    }

    /// The compiled policy as six plain integers, for keeping it outside Rust (a C struct in
    /// static memory, shared memory). [`Gcra::from_raw`] turns them back into the same policy
    /// without dividing: the integers carry the interval's reciprocal, which decisions divide
    /// by.
    ///
    /// ```
    /// use ratecell::{Gcra, Quota};
    /// let gcra = Gcra::new(Quota::per_minute(7)?);
    /// assert_eq!(Gcra::from_raw(gcra.to_raw()), Some(gcra));
    /// assert_eq!(Gcra::from_raw([0; 6]), None);
    /// # Ok::<(), ratecell::QuotaError>(())
    /// ```
    pub const fn to_raw(&self) -> [u64; 6] {
        [
            self.quota.limit(),
            self.quota.period_nanos().as_nanos(),
            self.quota.burst(),
            self.scale.get(),
            self.interval.get(),
            self.interval.reciprocal(),
        ]
    }

    /// Rebuilds a policy from [`Gcra::to_raw`]. Returns `None` when the numbers cannot have
    /// come from a valid policy (a zero, `burst * interval` beyond `u64`, or a reciprocal
    /// that is not the interval's). The check is a handful of multiplications and
    /// comparisons; it does not recompute the tick scale, so numbers altered by hand give a
    /// different but still panic-free policy.
    pub const fn from_raw(raw: [u64; 6]) -> Option<Gcra> {
        let [limit, period, burst, scale, interval, reciprocal] = raw;
        let Some(quota) = Quota::from_raw_parts(limit, period, burst) else {
            return None;
        };
        let (Some(scale), Some(interval)) = (NonZeroU64::new(scale), NonZeroU64::new(interval))
        else {
            return None;
        };
        let (Some(tolerance), Some(interval)) = (
            interval.get().checked_mul(burst),
            Divisor::with_reciprocal(interval, reciprocal),
        ) else {
            return None;
        };
        Some(Gcra {
            quota,
            scale,
            interval,
            tolerance,
        })
    }

    /// The quota this policy enforces.
    pub const fn quota(&self) -> &Quota {
        &self.quota
    }

    /// The capacity `B`: the most a single request may cost.
    pub const fn capacity(&self) -> u64 {
        self.quota.burst()
    }

    /// The last instant represented exactly; later instants count as this one (see the
    /// module documentation).
    pub const fn horizon(&self) -> Nanos {
        Nanos::new(u64::MAX / self.scale.get())
    }

    /// Decides a request of `cost` at `now` and records it in `state` when admitted.
    ///
    /// `cost == 0` peeks: the decision reports the key's standing and stores nothing.
    /// A cost above the capacity is [`Error::InsufficientCapacity`]: no wait could admit it.
    #[inline]
    pub fn check(&self, state: &mut GcraState, now: Nanos, cost: u64) -> Result<Decision, Error> {
        let (decision, next) = self.decide(*state, now, cost)?;
        *state = next;
        Ok(decision)
    }

    /// Decides and records like [`check`](Self::check), and leaves the rest of the
    /// [`Decision`] (`remaining`, `retry_after`, `reset_after`) to be worked out on demand:
    /// a caller that only needs to know whether the request was admitted skips that work
    /// (a division among it).
    ///
    /// ```
    /// use ratecell::{Gcra, GcraState, Nanos, Quota};
    ///
    /// let gcra = Gcra::new(Quota::per_second(2)?);
    /// let mut state = GcraState::default();
    /// assert!(gcra.admit(&mut state, Nanos::ZERO, 1)?.allowed());
    /// assert!(gcra.admit(&mut state, Nanos::ZERO, 1)?.allowed());
    /// let refused = gcra.admit(&mut state, Nanos::ZERO, 1)?;
    /// assert!(!refused.allowed());
    /// assert_eq!(refused.decision().retry_after, Nanos::from_millis(500));
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    #[inline]
    pub fn admit(
        &self,
        state: &mut GcraState,
        now: Nanos,
        cost: u64,
    ) -> Result<Admission<'_>, Error> {
        self.within_capacity(cost)?;
        let now = self.now_ticks(now);
        let seen = state.0;
        let stored = self.admit_tat(seen, now, cost);
        state.0 = stored.unwrap_or(seen);
        Ok(Admission::decided(self, seen, now, cost, stored.is_some()))
    }

    /// The key's standing at `now` without recording anything (`check` with cost 0).
    pub fn peek(&self, state: &GcraState, now: Nanos) -> Decision {
        let (decision, _) = self.decide_in_capacity(*state, self.now_ticks(now), 0);
        decision
    }

    /// Resets a key to fresh.
    pub fn reset(&self, state: &mut GcraState) {
        *state = GcraState::FRESH;
    }

    /// True when the key at `now` is indistinguishable from one never seen, so its storage
    /// can be reclaimed.
    pub fn is_fresh(&self, state: &GcraState, now: Nanos) -> bool {
        state.0 <= self.now_ticks(now)
    }

    /// The pure transition: the decision for `cost` at `now` from `state`, and the state to
    /// store afterwards (unchanged when denied or peeking). Use it to keep state anywhere,
    /// such as in a compare-and-swap loop.
    #[inline]
    pub fn decide(
        &self,
        state: GcraState,
        now: Nanos,
        cost: u64,
    ) -> Result<(Decision, GcraState), Error> {
        self.within_capacity(cost)?;
        Ok(self.decide_in_capacity(state, self.now_ticks(now), cost))
    }

    /// [`Error::InsufficientCapacity`] for a cost above the capacity, which no wait admits.
    #[inline]
    pub(crate) const fn within_capacity(&self, cost: u64) -> Result<(), Error> {
        if cost > self.quota.burst() {
            Err(Error::InsufficientCapacity {
                capacity: self.quota.burst(),
            })
        } else {
            Ok(())
        }
    }

    /// `now` in ticks, standing still at the horizon.
    pub(crate) const fn now_ticks(&self, now: Nanos) -> u64 {
        // Most quotas tick in whole nanoseconds (scale 1): keep the multiplication off the
        // path from the clock to the decision.
        if self.scale.get() == 1 {
            return now.as_nanos();
        }
        match now.as_nanos().checked_mul(self.scale.get()) {
            Some(t) => t,
            None => u64::MAX,
        }
    }

    /// Ticks to nanoseconds, rounded up.
    const fn ceil_nanos(&self, ticks: u64) -> Nanos {
        // Most quotas have whole-nanosecond intervals (scale 1): skip the division.
        if self.scale.get() == 1 {
            return Nanos::new(ticks);
        }
        Nanos::new(ticks.div_ceil(self.scale.get()))
    }

    /// The transition for `cost <= burst`, with `now` already in ticks.
    ///
    /// [`admit_tat`](Self::admit_tat) and [`conclude`](Self::conclude) compute the numbers of both
    /// outcomes and choose between them without a branch. Whether a request is admitted is
    /// as hard to guess as the traffic, and a wrong guess costs a processor more than
    /// computing both: in a keyed table, where each check waits for its key's memory, it also
    /// keeps the next check from starting early.
    #[inline]
    fn decide_in_capacity(&self, state: GcraState, now: u64, cost: u64) -> (Decision, GcraState) {
        let stored = self.admit_tat(state.0, now, cost);
        let decision = self.conclude(state.0, now, cost, stored);
        (decision, GcraState(stored.unwrap_or(state.0)))
    }

    /// `max(tat, now) + cost * T` in ticks, which may exceed u64 near the horizon (no
    /// overflow in u128, since each term is below 2^64).
    #[inline]
    fn new_tat(&self, tat: u64, now: u64, cost: u64) -> u128 {
        let increment = u128::from(cost).saturating_mul(u128::from(self.interval.get()));
        u128::from(tat.max(now)).saturating_add(increment)
    }

    /// The first half of the transition for `cost <= burst` from `tat` at `now` (ticks): the
    /// `tat` to store when the request is admitted (unchanged for a peek), `None` when it is
    /// refused. [`conclude`](Self::conclude) makes the decision from it; [`AtomicGcra`]
    /// publishes the state in between, so that its compare-and-swap window stays short.
    ///
    /// [`AtomicGcra`]: crate::AtomicGcra
    #[inline]
    pub(crate) fn admit_tat(&self, tat: u64, now: u64, cost: u64) -> Option<u64> {
        let new_tat = self.new_tat(tat, now, cost);
        let latest = u128::from(now).saturating_add(u128::from(self.tolerance));
        let storable = u64::try_from(new_tat);
        let allowed = new_tat <= latest && storable.is_ok();
        let stored = hint::select_unpredictable(cost == 0, tat, storable.unwrap_or(tat));
        allowed.then_some(stored)
    }

    /// [`admit_tat`](Self::admit_tat) in u64 where nothing can overflow (far from the horizon: the
    /// same comparisons, the same result), falling back to it elsewhere. Shorter between an
    /// [`AtomicGcra`]'s load and its compare-and-swap. (The keyed tables decide in 128-bit
    /// arithmetic, without branches, which measured faster inside their lookups.)
    ///
    /// [`AtomicGcra`]: crate::AtomicGcra
    #[cfg(target_has_atomic = "64")]
    #[inline]
    pub(crate) fn admit_tat_narrow(&self, tat: u64, now: u64, cost: u64) -> Option<u64> {
        if let (Some(increment), Some(latest)) = (
            cost.checked_mul(self.interval.get()),
            now.checked_add(self.tolerance),
        ) && let Some(new_tat) = tat.max(now).checked_add(increment)
        {
            return if new_tat > latest {
                None
            } else if cost == 0 {
                Some(tat)
            } else {
                Some(new_tat)
            };
        }
        self.admit_tat(tat, now, cost)
    }

    /// The second half of the transition: the decision for `cost <= burst` from `tat` at `now`
    /// (ticks), given what [`admit_tat`](Self::admit_tat) returned for the same arguments.
    #[inline]
    pub(crate) fn conclude(&self, tat: u64, now: u64, cost: u64, stored: Option<u64>) -> Decision {
        // Denied: the same request fits once `now` reaches `new_tat - B*T` (positive, as
        // denied means `new_tat > now + tolerance`). Beyond the horizon it never does.
        let wait = match u64::try_from(self.new_tat(tat, now, cost)) {
            Ok(new_tat) => {
                self.ceil_nanos(new_tat.saturating_sub(self.tolerance).saturating_sub(now))
            }
            Err(_) => Nanos::MAX,
        };
        let allowed = stored.is_some();
        let retry_after = hint::select_unpredictable(allowed, Nanos::ZERO, wait);
        self.standing(allowed, stored.unwrap_or(tat), now, retry_after)
    }

    /// A decision reporting a key whose stored `tat` is `tat`, at `now` (ticks).
    #[inline]
    fn standing(&self, allowed: bool, tat: u64, now: u64, retry_after: Nanos) -> Decision {
        let ahead = tat.saturating_sub(now);
        let mut remaining = self.interval.divide(self.tolerance.saturating_sub(ahead));
        // Near the end of representable time fewer requests fit than the bucket holds: each
        // admission must leave a storable `tat`. Elsewhere there is room for a whole bucket
        // (`tolerance / interval`, at least `remaining`), and the division is skipped.
        let headroom = u64::MAX - tat.max(now);
        if headroom < self.tolerance {
            remaining = remaining.min(self.interval.divide(headroom));
        }
        Decision {
            allowed,
            limit: self.quota.burst(),
            remaining,
            retry_after,
            reset_after: self.ceil_nanos(ahead),
        }
    }
}

/// What an admission did: whether the request was admitted (and recorded), and what the full
/// [`Decision`] needs, computed only when [`decision`](Admission::decision) asks.
///
/// [`Gcra::admit`], [`AtomicGcra::admit`] and [`CompactTable::admit`] return one. The
/// admission itself is final when they return; an `Admission` is a record of it, not a
/// pending operation, and dropping it changes nothing.
///
/// [`AtomicGcra::admit`]: crate::AtomicGcra::admit
/// [`CompactTable::admit`]: crate::CompactTable::admit
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[must_use = "an admission says whether the request may proceed"]
pub struct Admission<'a> {
    gcra: &'a Gcra,
    /// The state the decision was made on, in ticks; for a table that was full, the time
    /// until it may have room, in nanoseconds.
    seen: u64,
    /// The instant of the decision, in ticks.
    now: u64,
    cost: u64,
    outcome: Outcome,
}

// Five words and no more: callers keep an admission in registers or write it out whole, and
// a lock-prefixed instruction after a check (the next check's compare-and-swap, a shared
// clock's increment) waits for every pending write.

/// What an [`Admission`] says.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// The request was admitted and recorded.
    Admitted,
    /// The key's own cell refused it.
    Refused,
    /// A table had no room for a new key and refused it.
    #[cfg(feature = "std")]
    Full,
}

impl<'a> Admission<'a> {
    /// `gcra`'s decision on `seen` at `now` (ticks), admitted when `admitted`.
    #[inline]
    pub(crate) const fn decided(
        gcra: &'a Gcra,
        seen: u64,
        now: u64,
        cost: u64,
        admitted: bool,
    ) -> Admission<'a> {
        Admission {
            gcra,
            seen,
            now,
            cost,
            outcome: if admitted {
                Outcome::Admitted
            } else {
                Outcome::Refused
            },
        }
    }

    /// A new key refused by a full table, which may have room after `retry_after`.
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) const fn full(gcra: &'a Gcra, retry_after: Nanos) -> Admission<'a> {
        Admission {
            gcra,
            seen: retry_after.as_nanos(),
            now: 0,
            cost: 0,
            outcome: Outcome::Full,
        }
    }
}

impl Admission<'_> {
    /// The request was admitted and recorded.
    #[inline]
    pub const fn allowed(&self) -> bool {
        matches!(self.outcome, Outcome::Admitted)
    }

    /// A table had no room for the (new) key and refused it: the admission of
    /// [`Keyed::Full`](crate::Keyed::Full).
    #[inline]
    pub const fn is_full(&self) -> bool {
        match self.outcome {
            Outcome::Admitted | Outcome::Refused => false,
            #[cfg(feature = "std")]
            Outcome::Full => true,
        }
    }

    /// The full decision: exactly what the matching `check` returns for the same call.
    #[inline]
    pub fn decision(&self) -> Decision {
        match self.outcome {
            Outcome::Admitted | Outcome::Refused => {
                // The transition is a function of the state, the instant and the cost: the
                // state it stored is worked out again rather than carried.
                let stored = self.gcra.admit_tat(self.seen, self.now, self.cost);
                self.gcra.conclude(self.seen, self.now, self.cost, stored)
            }
            #[cfg(feature = "std")]
            Outcome::Full => {
                crate::keyed::full_decision(self.gcra.capacity(), Nanos::new(self.seen)).decision()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admission_takes_five_words() {
        assert!(core::mem::size_of::<Admission<'_>>() <= 5 * core::mem::size_of::<u64>());
    }

    fn gcra(s: &str) -> Gcra {
        Gcra::new(Quota::parse(s).unwrap())
    }

    #[test]
    fn state_is_eight_bytes() {
        assert_eq!(core::mem::size_of::<GcraState>(), 8);
    }

    #[test]
    fn matches_redis_cell_numbers() {
        // redis-cell: CL.THROTTLE key 15 30 60 (max_burst 15 => B = 16, 30 per 60 s).
        let g = Gcra::new(Quota::per_minute(30).unwrap().with_burst(16).unwrap());
        let mut s = GcraState::default();
        let d = g.check(&mut s, Nanos::ZERO, 1).unwrap();
        assert!(d.allowed);
        assert_eq!((d.limit, d.remaining), (16, 15));
        assert_eq!(d.reset_after, Nanos::from_secs(2));
        assert_eq!(d.retry_after, Nanos::ZERO);
    }

    #[test]
    fn fresh_key_admits_exactly_burst() {
        let g = gcra("5/second burst 3");
        let mut s = GcraState::default();
        let t = Nanos::from_secs(1_000);
        for left in (0..3).rev() {
            let d = g.check(&mut s, t, 1).unwrap();
            assert!(d.allowed);
            assert_eq!(d.remaining, left);
        }
        let d = g.check(&mut s, t, 1).unwrap();
        assert!(!d.allowed);
        assert_eq!(d.retry_after, Nanos::from_millis(200));
        assert_eq!(d.reset_after, Nanos::from_millis(600));
    }

    #[test]
    fn cost_above_capacity_is_an_error_and_changes_nothing() {
        let g = gcra("5/second");
        let mut s = GcraState::default();
        assert_eq!(
            g.check(&mut s, Nanos::ZERO, 6),
            Err(Error::InsufficientCapacity { capacity: 5 })
        );
        assert_eq!(s, GcraState::FRESH);
        assert!(g.check(&mut s, Nanos::ZERO, 5).unwrap().allowed);
    }

    #[test]
    fn peek_stores_nothing() {
        let g = gcra("5/second");
        let mut s = GcraState::default();
        assert!(g.check(&mut s, Nanos::ZERO, 2).unwrap().allowed);
        let before = s;
        let d = g.check(&mut s, Nanos::ZERO, 0).unwrap();
        assert!(d.allowed);
        assert_eq!(d.remaining, 3);
        assert_eq!(s, before);
        assert_eq!(g.peek(&s, Nanos::ZERO), d);
    }

    #[test]
    fn sub_nanosecond_intervals_are_exact() {
        // 10^10 per second: T = 0.1 ns, so ten requests refill every nanosecond.
        let g = gcra("10000000000/second burst 10");
        let mut s = GcraState::default();
        for now in [0, 1, 2] {
            let admitted = (0..100)
                .filter(|_| g.check(&mut s, Nanos::new(now), 1).unwrap().allowed)
                .count();
            assert_eq!(admitted, 10, "at {now} ns");
        }
        let d = g.check(&mut s, Nanos::new(2), 1).unwrap();
        assert_eq!(d.retry_after, Nanos::new(1)); // 0.1 ns, rounded up
        assert_eq!(d.reset_after, Nanos::new(1));
    }

    #[test]
    fn no_panic_at_the_end_of_time() {
        let g = gcra("7/minute");
        let mut s = GcraState::default();
        for now in [u64::MAX - 1, u64::MAX, g.horizon().as_nanos(), 0] {
            for cost in [0, 1, 7] {
                let _ = g.check(&mut s, Nanos::new(now), cost);
            }
        }
        // Past the horizon nothing more than the stored state allows is admitted.
        let mut s = GcraState::default();
        let end = Nanos::MAX;
        let n = (0..100)
            .filter(|_| g.check(&mut s, end, 1).is_ok_and(|d| d.allowed))
            .count();
        assert!(n <= 7);
    }
}
