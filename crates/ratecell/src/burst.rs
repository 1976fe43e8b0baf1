//! [`Burst`]: a sustained rate and a short-term peak, enforced together on 16 bytes of state.
//!
//! API providers publish tiers such as "100 requests per minute, burst limit 120; the burst
//! window is 10 seconds": over short stretches a client may run about 20% faster than the
//! sustained rate, in the long run it may not. `Burst` is a two-rate meter in the style of
//! RFC 2698: a *sustained* bucket and a *peak* bucket, each an exact [`Gcra`]. A request is
//! admitted only when both buckets admit it, and then both record it; otherwise neither
//! changes. Each bucket's decision comes from [`Gcra::decide`], so `Burst` inherits GCRA's
//! exact tick arithmetic unchanged and adds only comparisons.
//!
//! # The mapping
//!
//! A rate *measured over a window* is a bucket that refills at that rate and holds one
//! window's worth. With `limit` per `period`, `burst` and `burst_window`:
//!
//! | bucket | refills at | holds (its capacity) |
//! |---|---|---|
//! | sustained | `limit` per `period` | `limit` |
//! | peak | `burst` per `period` | `floor(burst * burst_window / period)` |
//!
//! The sustained bucket is the quota `limit/period` measured over its period: exactly the
//! [`Gcra`] of `Quota::new(limit, period)`. The peak bucket is the burst *rate* measured over
//! the burst window. So `burst` is a rate here, as in the tiers ("the burst limit is about 20%
//! above the sustained rate"), and not the instant capacity it is for [`Gcra`]: the same
//! quota string `"100/minute burst 120"` with a 10 second window builds the Free tier below.
//! Without a `burst` (it defaults to `limit`) the peak bucket refills at the sustained rate
//! and only caps how much of it can be spent at once.
//!
//! The peak hold is rounded down: the meter never admits more than the tier states.
//!
//! Over any closed interval of length `w` (instants in nanoseconds, both ends included), a
//! key is admitted at most
//! `min(limit + floor(w * limit / period), peak + floor(w * burst / period))` unit requests,
//! where `peak` is the peak hold: each bucket's GCRA bound, both at once.
//!
//! # Seed tiers
//!
//! Each tier of the published table, with its 10 second burst window:
//!
//! | tier | quota | sustained bucket | peak bucket | `limit` (capacity) |
//! |---|---|---|---|---|
//! | Free | `100/minute burst 120` | holds 100, one per 600 ms | holds 20, one per 500 ms | 20 |
//! | Pro | `1000/minute burst 1200` | holds 1,000, one per 60 ms | holds 200, one per 50 ms | 200 |
//! | Team | `5000/minute burst 6000` | holds 5,000, one per 12 ms | holds 1,000, one per 10 ms | 1,000 |
//! | Sandbox | `50/minute burst 60` | holds 50, one per 1.2 s | holds 10, one per 1 s | 10 |
//!
//! What a Free-tier client sees, from a fresh key (`allowed`, `limit`, `remaining`,
//! `retry_after`, `reset_after`):
//!
//! | at | request | `allowed` | `limit` | `remaining` | `retry_after` | `reset_after` | why |
//! |---|---|---|---|---|---|---|---|
//! | 0 s | 1st | yes | 20 | 19 | 0 | 600 ms | one sustained interval to refill |
//! | 0 s | 20th | yes | 20 | 0 | 0 | 12 s | the peak bucket is empty |
//! | 0 s | 21st | no | 20 | 0 | 500 ms | 12 s | one peak interval |
//! | 500 ms | 21st again | yes | 20 | 0 | 0 | 12.1 s | admitted at exactly `retry_after` |
//! | 10.5 s | peek | yes | 20 | 20 | 0 | 2.1 s | the peak bucket is full, the sustained one owes 2.1 s |
//! | 1 s to 240 s, one per 500 ms | 500th | yes | 20 | 0 | 0 | 1 min | the sustained bucket is now empty |
//! | 240.5 s | 501st | no | 20 | 0 | 100 ms | 59.5 s | back to one per 600 ms |
//!
//! So 500 requests in the first four minutes, 25% above 100 per minute, then 100 per minute.
//! At the peak rate the sustained bucket drains by `burst - limit` per period, so after its
//! first instant's `peak` requests a fresh key can keep the burst rate for
//! `(limit - peak) / (burst - limit)` periods: four minutes for every tier above.
//!
//! # The decision
//!
//! - `allowed`: both buckets admitted; both recorded the request.
//! - `limit`: the capacity, the smaller hold: what a fresh key may spend at one instant and
//!   the largest cost a request may have (larger is [`Error::InsufficientCapacity`]). It is
//!   the same in every decision, and `remaining <= limit` always holds.
//! - `remaining`: the smaller of the buckets' remainders. It is exact: a unit request is
//!   admitted iff both buckets admit it, so exactly that many are admitted at this instant.
//! - `retry_after`: the larger of the buckets' waits (zero for a bucket that admits). It is
//!   exact: each bucket admits the request at every instant from its own wait on, so both do
//!   from the larger one on, and one nanosecond earlier one of them refuses.
//! - `reset_after`: the larger of the two: the key is fresh when both buckets are.
//!
//! A denial reports the key's unchanged standing: a bucket that would have admitted reports
//! its state as it is, not as it would have been after the request.
//!
//! # Edge configurations
//!
//! Every combination of valid numbers is accepted, since the intersection of two exact buckets
//! is always well defined; the table above explains what a client then sees.
//!
//! - `burst < limit`: the peak bucket refills more slowly than the sustained one, so in the
//!   long run the key is held to `burst` per `period`; when the peak hold is also at most
//!   `limit` the sustained bucket never refuses anything the peak bucket admitted.
//! - `burst_window >= period` with `burst >= limit`: the peak hold is at least `limit`, the
//!   sustained bucket is the tighter at every time scale, and `Burst` decides exactly as the
//!   [`Gcra`] of `limit/period`.
//! - A window shorter than one peak interval (`period / burst`), zero included, would hold
//!   nothing: [`QuotaError::BurstWindowTooShort`]. A peak hold whose refill time does not fit
//!   in 64-bit ticks is [`QuotaError::BurstTooLarge`], a window beyond 584 years
//!   [`QuotaError::PeriodTooLong`]. `limit`, `period` and `burst` are checked as for [`Quota`].
//!
//! # Boundaries
//!
//! Those of [`Gcra`], bucket by bucket: a request is admitted at the exact instant its
//! `retry_after` elapses; durations are rounded up and `remaining` down; a clock that steps
//! backwards never admits more, since neither bucket does. Beyond [`Burst::horizon`] (the
//! earlier of the two buckets' horizons) time stands still and the meter fails closed.
//!
//! # Changing the tier at runtime
//!
//! A [`BurstState`] holds, for each bucket, the instant at which it would be full again, in
//! ticks of `1/scale` ns, where `scale` depends on the bucket's rate. When a bucket's emission
//! interval is a whole number of nanoseconds, as for every tier above, a tick is one
//! nanosecond and the state carries over unchanged: after an upgrade from Free to Pro the key
//! still owes the same time, which the faster rate turns into fewer requests, and a fresh key
//! stays fresh. For any other pair of policies, [`Burst::convert_state`] re-expresses the
//! instants in the new policy's ticks (rounding up, so nothing is forgotten early).

use core::time::Duration;

use crate::decision::Decision;
use crate::error::{Error, QuotaError};
use crate::gcra::{Gcra, GcraState};
use crate::quota::Quota;
use crate::time::Nanos;

/// A burst tier: `limit` per `period` sustained, `burst` per `period` over any `burst_window`.
///
/// Immutable and free of per-key state, like [`Gcra`]: one `Burst` serves every key, and each
/// key's [`BurstState`] lives wherever you keep it.
///
/// ```
/// use core::time::Duration;
/// use ratecell::{Burst, BurstState, Nanos, Quota};
///
/// // The Free tier: 100 per minute, bursts up to 120 per minute over 10 seconds.
/// let free = Burst::new(Quota::parse("100/minute burst 120")?, Duration::from_secs(10))?;
/// let mut key = BurstState::default();
///
/// let admitted = (0..100)
///     .filter(|_| free.check(&mut key, Nanos::ZERO, 1).is_ok_and(|d| d.allowed))
///     .count();
/// assert_eq!(admitted, 20); // 120 per minute, over 10 seconds
///
/// let d = free.check(&mut key, Nanos::ZERO, 1)?;
/// assert!(!d.allowed);
/// assert_eq!(d.retry_after, Nanos::from_millis(500)); // one request at 120 per minute
/// assert_eq!(d.reset_after, Nanos::from_secs(12)); // 20 requests at 100 per minute
/// assert!(free.check(&mut key, d.retry_after, 1)?.allowed);
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Burst {
    sustained: Gcra,
    peak: Gcra,
    window: Nanos,
}

/// One key's [`Burst`] state: the two buckets' [`GcraState`]s. 16 bytes, `Copy`; the default
/// value is a fresh key.
///
/// A state is only meaningful with the policy that produced it (see
/// [`Burst::convert_state`] for changing the policy).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct BurstState {
    sustained: GcraState,
    peak: GcraState,
}

impl BurstState {
    /// A key that has never been seen.
    pub const FRESH: BurstState = BurstState {
        sustained: GcraState::FRESH,
        peak: GcraState::FRESH,
    };

    /// A state from the sustained and the peak bucket's states.
    pub const fn from_parts(sustained: GcraState, peak: GcraState) -> BurstState {
        BurstState { sustained, peak }
    }

    /// The sustained bucket's state.
    pub const fn sustained(&self) -> GcraState {
        self.sustained
    }

    /// The peak bucket's state.
    pub const fn peak(&self) -> GcraState {
        self.peak
    }

    /// The raw bits, sustained first, for storing the state outside Rust.
    ///
    /// ```
    /// use ratecell::BurstState;
    /// let bits = BurstState::FRESH.to_bits();
    /// assert_eq!(bits, [0, 0]);
    /// assert_eq!(BurstState::from_bits(bits), BurstState::FRESH);
    /// ```
    pub const fn to_bits(self) -> [u64; 2] {
        [self.sustained.to_bits(), self.peak.to_bits()]
    }

    /// Rebuilds a state from [`BurstState::to_bits`].
    pub const fn from_bits(bits: [u64; 2]) -> BurstState {
        let [sustained, peak] = bits;
        BurstState {
            sustained: GcraState::from_bits(sustained),
            peak: GcraState::from_bits(peak),
        }
    }
}

impl Burst {
    /// A burst tier from a quota and a burst window: `quota.limit()` per `quota.period()`
    /// sustained, `quota.burst()` per `quota.period()` over any `burst_window`.
    ///
    /// See the [module documentation](self) for the mapping and the edge cases.
    ///
    /// ```
    /// use core::time::Duration;
    /// use ratecell::{Burst, Quota, QuotaError};
    ///
    /// let pro = Burst::new(Quota::parse("1000/minute burst 1200")?, Duration::from_secs(10))?;
    /// assert_eq!(pro.capacity(), 200);
    /// assert_eq!(pro.sustained().quota().to_string(), "1000/minute");
    /// assert_eq!(pro.peak().quota().to_string(), "1200/minute burst 200");
    ///
    /// let too_short = Burst::new(Quota::parse("60/minute")?, Duration::from_millis(999));
    /// assert_eq!(too_short, Err(QuotaError::BurstWindowTooShort));
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub const fn new(quota: Quota, burst_window: Duration) -> Result<Burst, QuotaError> {
        let window = burst_window.as_nanos();
        if window > u64::MAX as u128 {
            return Err(QuotaError::PeriodTooLong);
        }
        Burst::from_nanos(
            quota.limit(),
            quota.period_nanos().as_nanos(),
            quota.burst(),
            window as u64,
        )
    }

    /// The same from plain numbers: `limit` per `period_ns` sustained, `burst` per
    /// `period_ns` over any `burst_window_ns` (for callers that count in nanoseconds).
    pub const fn from_nanos(
        limit: u64,
        period_ns: u64,
        burst: u64,
        burst_window_ns: u64,
    ) -> Result<Burst, QuotaError> {
        let sustained = match Quota::from_nanos(limit, period_ns) {
            Ok(q) => q,
            Err(e) => return Err(e),
        };
        let peak_rate = match Quota::from_nanos(burst, period_ns) {
            Ok(q) => q,
            Err(QuotaError::ZeroLimit) => return Err(QuotaError::ZeroBurst),
            Err(e) => return Err(e),
        };
        // `period_ns` is non-zero: `Quota::from_nanos` accepted it.
        let hold = (burst as u128 * burst_window_ns as u128) / period_ns as u128;
        if hold == 0 {
            return Err(QuotaError::BurstWindowTooShort);
        }
        if hold > u64::MAX as u128 {
            return Err(QuotaError::BurstTooLarge);
        }
        let peak = match peak_rate.with_burst(hold as u64) {
            Ok(q) => q,
            Err(e) => return Err(e),
        };
        Ok(Burst {
            sustained: Gcra::new(sustained),
            peak: Gcra::new(peak),
            window: Nanos::new(burst_window_ns),
        })
    }

    /// The policy as thirteen plain integers (the sustained and the peak bucket's
    /// [`Gcra::to_raw`], then the burst window in nanoseconds), for keeping it outside Rust
    /// (a C struct in static memory). [`Burst::from_raw`] turns them back into the same
    /// policy without recomputing anything.
    ///
    /// ```
    /// use core::time::Duration;
    /// use ratecell::{Burst, Quota};
    /// let free = Burst::new(Quota::parse("100/minute burst 120")?, Duration::from_secs(10))?;
    /// assert_eq!(Burst::from_raw(free.to_raw()), Some(free));
    /// assert_eq!(Burst::from_raw([0; 13]), None);
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub const fn to_raw(&self) -> [u64; 13] {
        let [a0, a1, a2, a3, a4, a5] = self.sustained.to_raw();
        let [b0, b1, b2, b3, b4, b5] = self.peak.to_raw();
        [
            a0,
            a1,
            a2,
            a3,
            a4,
            a5,
            b0,
            b1,
            b2,
            b3,
            b4,
            b5,
            self.window.as_nanos(),
        ]
    }

    /// Rebuilds a policy from [`Burst::to_raw`]. Returns `None` when the numbers cannot have
    /// come from a valid policy: either bucket rejected by [`Gcra::from_raw`], buckets over
    /// different periods, or a zero window. Like [`Gcra::from_raw`] it is a handful of
    /// comparisons; numbers altered by hand give a different but still panic-free policy.
    pub const fn from_raw(raw: [u64; 13]) -> Option<Burst> {
        let [a0, a1, a2, a3, a4, a5, b0, b1, b2, b3, b4, b5, window] = raw;
        let (Some(sustained), Some(peak)) = (
            Gcra::from_raw([a0, a1, a2, a3, a4, a5]),
            Gcra::from_raw([b0, b1, b2, b3, b4, b5]),
        ) else {
            return None;
        };
        if window == 0
            || sustained.quota().period_nanos().as_nanos() != peak.quota().period_nanos().as_nanos()
        {
            return None;
        }
        Some(Burst {
            sustained,
            peak,
            window: Nanos::new(window),
        })
    }

    /// The sustained bucket: `limit` per `period`, holding `limit`.
    pub const fn sustained(&self) -> &Gcra {
        &self.sustained
    }

    /// The peak bucket: `burst` per `period`, holding `burst * burst_window / period`.
    pub const fn peak(&self) -> &Gcra {
        &self.peak
    }

    /// The sustained admissions per period.
    pub const fn limit(&self) -> u64 {
        self.sustained.quota().limit()
    }

    /// The peak admissions per period.
    pub const fn burst(&self) -> u64 {
        self.peak.quota().limit()
    }

    /// The period both rates are counted over.
    pub const fn period(&self) -> Duration {
        self.sustained.quota().period()
    }

    /// The window over which the peak rate is measured.
    pub const fn burst_window(&self) -> Duration {
        self.window.as_duration()
    }

    /// The capacity: the smaller of the two holds. A fresh key may spend this much at one
    /// instant, and no request may cost more.
    pub const fn capacity(&self) -> u64 {
        let sustained = self.sustained.capacity();
        let peak = self.peak.capacity();
        if sustained < peak { sustained } else { peak }
    }

    /// The last instant represented exactly by both buckets (see [`Gcra::horizon`]).
    pub const fn horizon(&self) -> Nanos {
        let sustained = self.sustained.horizon();
        let peak = self.peak.horizon();
        if sustained.as_nanos() < peak.as_nanos() {
            sustained
        } else {
            peak
        }
    }

    /// Decides a request of `cost` at `now` and records it in both buckets when both admit it.
    ///
    /// `cost == 0` peeks. A cost above [`Burst::capacity`] is [`Error::InsufficientCapacity`]
    /// and changes nothing.
    pub fn check(&self, state: &mut BurstState, now: Nanos, cost: u64) -> Result<Decision, Error> {
        let (decision, next) = self.decide(*state, now, cost)?;
        *state = next;
        Ok(decision)
    }

    /// The key's standing at `now` without recording anything (`check` with cost 0).
    pub fn peek(&self, state: &BurstState, now: Nanos) -> Decision {
        let sustained = self.sustained.peek(&state.sustained, now);
        let peak = self.peak.peek(&state.peak, now);
        self.combine(sustained.allowed && peak.allowed, &sustained, &peak)
    }

    /// Resets a key to fresh.
    pub fn reset(&self, state: &mut BurstState) {
        *state = BurstState::FRESH;
    }

    /// True when both buckets are full at `now`: the key is indistinguishable from one never
    /// seen, so its storage can be reclaimed.
    pub fn is_fresh(&self, state: &BurstState, now: Nanos) -> bool {
        self.sustained.is_fresh(&state.sustained, now) && self.peak.is_fresh(&state.peak, now)
    }

    /// The pure transition: the decision for `cost` at `now` from `state`, and the state to
    /// store afterwards (unchanged when denied or peeking).
    pub fn decide(
        &self,
        state: BurstState,
        now: Nanos,
        cost: u64,
    ) -> Result<(Decision, BurstState), Error> {
        let capacity = self.capacity();
        if cost > capacity {
            return Err(Error::InsufficientCapacity { capacity });
        }
        let (sustained, sustained_next) = self.sustained.decide(state.sustained, now, cost)?;
        let (peak, peak_next) = self.peak.decide(state.peak, now, cost)?;
        if sustained.allowed && peak.allowed {
            let next = BurstState {
                sustained: sustained_next,
                peak: peak_next,
            };
            return Ok((self.combine(true, &sustained, &peak), next));
        }
        // Denied: nothing is recorded, so a bucket that would have admitted reports its
        // standing as it is.
        let sustained = if sustained.allowed {
            self.sustained.peek(&state.sustained, now)
        } else {
            sustained
        };
        let peak = if peak.allowed {
            self.peak.peek(&state.peak, now)
        } else {
            peak
        };
        Ok((self.combine(false, &sustained, &peak), state))
    }

    /// Re-expresses a state kept under the policy `from` for this policy, so that a key keeps
    /// what it owes when its tier changes at runtime.
    ///
    /// Each bucket's instant "full again" is kept. When both policies count in whole
    /// nanoseconds (the emission intervals are whole nanoseconds) this is the identity;
    /// otherwise instants are rounded up to the new tick, so nothing is forgotten early.
    ///
    /// ```
    /// use core::time::Duration;
    /// use ratecell::{Burst, BurstState, Nanos, Quota};
    ///
    /// let window = Duration::from_secs(10);
    /// let free = Burst::new(Quota::parse("100/minute burst 120")?, window)?;
    /// let odd = Burst::new(Quota::parse("7/minute burst 9")?, window)?;
    /// let mut key = BurstState::default();
    /// free.check(&mut key, Nanos::ZERO, 1)?;
    /// let moved = odd.convert_state(&free, key);
    /// // Free's sustained bucket was full again at 600 ms; under the new policy it still is.
    /// assert_eq!(odd.sustained().peek(&moved.sustained(), Nanos::from_millis(600)).reset_after, Nanos::ZERO);
    /// assert_ne!(odd.sustained().peek(&moved.sustained(), Nanos::from_millis(599)).reset_after, Nanos::ZERO);
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub fn convert_state(&self, from: &Burst, state: BurstState) -> BurstState {
        BurstState {
            sustained: rescale(state.sustained, &from.sustained, &self.sustained),
            peak: rescale(state.peak, &from.peak, &self.peak),
        }
    }

    fn combine(&self, allowed: bool, sustained: &Decision, peak: &Decision) -> Decision {
        Decision {
            allowed,
            limit: self.capacity(),
            remaining: sustained.remaining.min(peak.remaining),
            retry_after: sustained.retry_after.max(peak.retry_after),
            reset_after: sustained.reset_after.max(peak.reset_after),
        }
    }
}

/// A GCRA state's instant, from the ticks of `from` to the ticks of `to`, rounded up and
/// saturating at the end of the tick range.
fn rescale(state: GcraState, from: &Gcra, to: &Gcra) -> GcraState {
    let (from_scale, _) = from.quota().ticks();
    let (to_scale, _) = to.quota().ticks();
    if from_scale == to_scale {
        return state;
    }
    let ticks = u128::from(state.to_bits())
        .saturating_mul(u128::from(to_scale.get()))
        .div_ceil(u128::from(from_scale.get()));
    GcraState::from_bits(u64::try_from(ticks).unwrap_or(u64::MAX))
}

forward_algorithm!([] Burst => BurstState, decide);

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(quota: &str) -> Burst {
        Burst::new(Quota::parse(quota).unwrap(), Duration::from_secs(10)).unwrap()
    }

    #[test]
    fn state_is_sixteen_bytes() {
        assert_eq!(core::mem::size_of::<BurstState>(), 16);
    }

    #[test]
    fn seed_tiers_map_to_the_documented_buckets() {
        for (quota, hold, peak_hold, capacity) in [
            ("100/minute burst 120", 100, 20, 20),
            ("1000/minute burst 1200", 1_000, 200, 200),
            ("5000/minute burst 6000", 5_000, 1_000, 1_000),
            ("50/minute burst 60", 50, 10, 10),
        ] {
            let b = tier(quota);
            assert_eq!(b.sustained().capacity(), hold, "{quota}");
            assert_eq!(b.peak().capacity(), peak_hold, "{quota}");
            assert_eq!(b.capacity(), capacity, "{quota}");
            assert_eq!(b.burst_window(), Duration::from_secs(10));
        }
    }

    /// The worked example of the module documentation, row by row.
    #[test]
    fn free_tier_client_sees_the_documented_decisions() {
        let free = tier("100/minute burst 120");
        let mut key = BurstState::default();
        let ms = Nanos::from_millis;
        let row = |d: Decision| {
            (
                d.allowed,
                d.limit,
                d.remaining,
                d.retry_after,
                d.reset_after,
            )
        };

        let first = free.check(&mut key, Nanos::ZERO, 1).unwrap();
        assert_eq!(row(first), (true, 20, 19, Nanos::ZERO, ms(600)));
        for _ in 2..20 {
            assert!(free.check(&mut key, Nanos::ZERO, 1).unwrap().allowed);
        }
        let twentieth = free.check(&mut key, Nanos::ZERO, 1).unwrap();
        assert_eq!(row(twentieth), (true, 20, 0, Nanos::ZERO, ms(12_000)));
        let denied = free.check(&mut key, Nanos::ZERO, 1).unwrap();
        assert_eq!(row(denied), (false, 20, 0, ms(500), ms(12_000)));
        let again = free.check(&mut key, ms(500), 1).unwrap();
        assert_eq!(row(again), (true, 20, 0, Nanos::ZERO, ms(12_100)));
        let peek = free.peek(&key, ms(10_500));
        assert_eq!(row(peek), (true, 20, 20, Nanos::ZERO, ms(2_100)));

        let mut admitted = 21;
        let mut last = again;
        let mut t = ms(1_000);
        while t <= ms(240_000) {
            last = free.check(&mut key, t, 1).unwrap();
            assert!(last.allowed, "at {t}");
            admitted += 1;
            t = t.saturating_add(ms(500));
        }
        assert_eq!(admitted, 500);
        assert_eq!(row(last), (true, 20, 0, Nanos::ZERO, ms(60_000)));
        let refused = free.check(&mut key, ms(240_500), 1).unwrap();
        assert_eq!(row(refused), (false, 20, 0, ms(100), ms(59_500)));
    }

    #[test]
    fn invalid_parameters_are_errors() {
        let e = |l, p, b, w| Burst::from_nanos(l, p, b, w).unwrap_err();
        assert_eq!(e(0, 60, 1, 10), QuotaError::ZeroLimit);
        assert_eq!(e(1, 0, 1, 10), QuotaError::ZeroPeriod);
        assert_eq!(e(1, 60, 0, 10), QuotaError::ZeroBurst);
        assert_eq!(e(1, 60, 1, 0), QuotaError::BurstWindowTooShort);
        assert_eq!(e(6, 60, 6, 9), QuotaError::BurstWindowTooShort);
        assert!(Burst::from_nanos(6, 60, 6, 10).is_ok());
        assert_eq!(e(1, 1, u64::MAX, u64::MAX), QuotaError::BurstTooLarge);
        assert_eq!(
            Burst::new(Quota::per_second(1).unwrap(), Duration::MAX),
            Err(QuotaError::PeriodTooLong)
        );
    }

    #[test]
    fn a_long_window_with_burst_above_limit_decides_as_plain_gcra() {
        let b = Burst::new(
            Quota::parse("100/minute burst 120").unwrap(),
            Duration::from_secs(120),
        )
        .unwrap();
        let g = Gcra::new(Quota::per_minute(100).unwrap());
        let (mut bs, mut gs) = (BurstState::default(), GcraState::default());
        for i in 0..400_u64 {
            let now = Nanos::from_millis(i * 137);
            assert_eq!(b.check(&mut bs, now, 1), g.check(&mut gs, now, 1));
        }
    }

    #[test]
    fn cost_above_capacity_is_an_error_and_changes_nothing() {
        let b = tier("100/minute burst 120");
        let mut s = BurstState::default();
        assert_eq!(
            b.check(&mut s, Nanos::ZERO, 21),
            Err(Error::InsufficientCapacity { capacity: 20 })
        );
        assert_eq!(s, BurstState::FRESH);
    }

    #[test]
    fn a_denial_by_one_bucket_records_nothing_in_the_other() {
        let b = tier("100/minute burst 120");
        let mut s = BurstState::default();
        assert!(b.check(&mut s, Nanos::ZERO, 20).unwrap().allowed);
        let before = s;
        let d = b.check(&mut s, Nanos::from_millis(100), 1).unwrap();
        assert!(!d.allowed);
        assert_eq!(s, before);
    }

    #[test]
    fn converting_between_whole_nanosecond_tiers_keeps_the_bits() {
        let free = tier("100/minute burst 120");
        let pro = tier("1000/minute burst 1200");
        let s = BurstState::from_bits([123, 456]);
        assert_eq!(pro.convert_state(&free, s), s);
        let odd = tier("7/minute burst 9");
        let there = odd.convert_state(&free, s);
        assert_eq!(free.convert_state(&odd, there), s);
        let end = BurstState::from_bits([u64::MAX, u64::MAX]);
        assert_eq!(
            odd.convert_state(&free, end).to_bits(),
            [u64::MAX, u64::MAX]
        );
    }

    #[test]
    fn no_panic_at_the_end_of_time() {
        let b = tier("7/minute burst 9");
        let mut s = BurstState::default();
        for now in [u64::MAX - 1, u64::MAX, b.horizon().as_nanos(), 0] {
            for cost in [0, 1, 2, 3] {
                let _ = b.check(&mut s, Nanos::new(now), cost);
            }
        }
    }
}
