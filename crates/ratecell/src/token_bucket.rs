//! [`TokenBucket`]: a bucket of `burst` tokens refilled at `limit` per `period`, with
//! reservations that borrow against future tokens, exact to the tick, on 24 bytes of state.
//!
//! A request of cost `n` takes `n` tokens. Tokens flow back at `limit / period` per
//! nanosecond and never beyond the capacity `B = burst`. A [`Reservation`] may take tokens the
//! bucket does not have yet: the bucket goes into debt and the reservation says when the caller
//! may proceed ([`Reservation::ready_at`]), the instant at which the debt is repaid. These are
//! the semantics of Go's `golang.org/x/time/rate` (`ReserveN`, `Reservation.Delay`,
//! `CancelAt`), with exact integer arithmetic and time as an argument.
//! [`TokenBucket::check`] is a reservation that may not wait (`max_wait == 0`): admitted now
//! or not at all.
//!
//! # State and exactness
//!
//! With emission interval `T = period / limit`, the tokens at any instant follow from a single
//! number, the instant `full_at` at which the bucket is (or was) full:
//! `tokens(now) = B - (full_at - now) / T`, at most `B`, negative while in debt. Taking `n`
//! tokens at `now` moves `full_at` to `max(full_at, now) + n*T`. `full_at` is kept in ticks of
//! `1/scale` ns, the unit in which `T` is a whole number (see [`Quota::is_exact`]), so token
//! counts are exact rationals: no rounding and no drift, from one per day to `10^10` per
//! second. Without reservations this is exactly [GCRA](crate::Gcra): every decision of
//! [`TokenBucket::check`] equals the one [`Gcra::check`](crate::Gcra::check) makes.
//!
//! Cancellation needs two more numbers: `latest`, a bound on the instants at which committed
//! reservations proceed, and a count of the reservations committed and not undone. The three
//! live in a `Copy` [`TokenBucketState`].
//!
//! # Reservations
//!
//! [`TokenBucket::reserve`] takes `cost` tokens at `now` and computes `ready_at`, the first
//! instant at which the bucket's tokens are no longer negative. The reservation is *committed*
//! (the tokens are taken) only when `ready_at <= now + max_wait`; otherwise nothing is taken
//! and `ready_at` says how long the caller would have had to be willing to wait. A committed
//! reservation holds its tokens whether or not the caller proceeds; [`TokenBucket::cancel`]
//! gives them back, by these rules:
//!
//! - **Later reservations keep what they were promised.** Reservations that proceed after the
//!   cancelled one, at instants up to `latest`, were scheduled counting on the tokens that
//!   refill between the two instants. So `cancel` gives back
//!   `cost - ceil((latest - ready) / T)` whole tokens, or none when that is not positive.
//!   Reservations that proceed at the same instant or earlier (an immediate admission right
//!   after it, say) claim nothing.
//! - **The most recent reservation is an exact undo.** When every reservation committed after
//!   it has been cancelled newest first (or none was), `latest` goes back to its value before
//!   the reservation, so cancelling pending reservations newest first gives every token back.
//!   The state counts the reservations committed and not undone, like a stack, to know this.
//!   Cancelled in another order, `latest` stays conservatively high (the state cannot tell
//!   which earlier reservations were withdrawn), and reservations give back less than they
//!   could.
//! - **After its time, nothing.** Once `now > ready_at` the holder was entitled to act and
//!   the limiter cannot know whether it did: `cancel` gives nothing back. Cancelling *at*
//!   `ready_at` still does, so a request admitted at `now` can be withdrawn in the same instant.
//! - **Never above capacity.** Tokens given back never lift the bucket above `burst` at the
//!   cancelling instant; the surplus is lost.
//! - **Once only.** `cancel` marks the reservation (it takes `&mut Reservation`, and
//!   reservations are not `Clone`), so cancelling it again gives nothing back. A reservation
//!   that cannot belong to the state (another key's, or one made before a
//!   [`reset`](TokenBucket::reset)) is ignored when the state shows it, which it usually does;
//!   cancel a reservation only against the state that made it.
//!
//! These rules keep the **admission bound** for every sequence of reservations, checks and
//! cancellations, whatever the clock does: over any window `[a, b]`, the committed and not
//! cancelled reservations (immediate admissions included) whose instants fall within it cost
//! at most `B + (b - a) / T`. (The invariant behind it: for every instant `a`, the reservations
//! proceeding at or after `a` cost at most `(full_at - a) / T`. A cancellation lowers
//! `full_at` only as far as that invariant allows.) A reservation's exact instant is in ticks;
//! `ready_at` rounds it up to whole nanoseconds so that a caller who waits until `ready_at` is
//! never early.
//!
//! # Starting empty
//!
//! [`TokenBucket::starting_empty`] gives a fresh key zero tokens at its first request instead
//! of a full bucket, so that no new key (a rotated API key, a new client) starts with a burst.
//! The fresh state is still [`TokenBucketState::default`]: the first request that costs
//! something, admitted or not, records its instant as the start of the refill (a peek records
//! nothing), so a refused request's `retry_after` is honest. In this mode a key that has been
//! charged is never *fresh* again: forgetting it would restart it empty at its next request,
//! which changes decisions. [`TokenBucket::is_fresh`] is therefore true only for a key never
//! charged, and reclaiming never changes a decision. A table that must bound its memory can
//! still evict full keys (`reset_after == 0`): an evicted key restarts empty, never with more
//! than it had. In both modes `reset_after` is the time until the bucket is full.
//!
//! # The horizon
//!
//! As for GCRA, ticks live in a `u64`: instants beyond [`TokenBucket::horizon`] count as the
//! horizon, and a reservation whose `ready_at` cannot be represented is never committed
//! (`ready_at == Nanos::MAX`). The bucket fails closed there and never panics.
//!
//! # Boundaries
//!
//! - A request is admitted at exactly `now + retry_after`, and refused one nanosecond earlier.
//!   A reservation's `ready_at` is that same instant: the first at which the same request,
//!   checked against the same state, would be admitted.
//! - A reservation is committed iff `ready_at <= now + max_wait` (inclusive).
//! - `retry_after`, `ready_at` and `reset_after` are rounded up to whole nanoseconds;
//!   `remaining` and the tokens `cancel` reports are rounded down.
//! - `cost == 0` peeks and stores nothing. It is refused only while the bucket is in debt
//!   (after reservations), with `retry_after` the time until the debt is repaid.
//! - A clock that steps backwards adds no tokens: `full_at` is an absolute instant, so an
//!   earlier `now` sees fewer tokens, never more.
//!
//! # Changing the quota
//!
//! The state holds instants in the policy's ticks. A new policy with the same
//! [`TokenBucket::tick_scale`] (another burst, or a rate such as `1000/hour` replacing
//! `100/minute`, both whole nanoseconds per token) reads it as "the bucket is full at the same
//! instant": what the key has used carries over as time to refill, and no tokens are created
//! beyond the new burst. Pending reservations stay cancellable when only the burst changed (the
//! rules above do not depend on it); across a change of rate, cancel them before the change or
//! let them stand. Keys kept across a change of tick scale must be
//! [reset](TokenBucket::reset).

use core::num::NonZeroU64;

use crate::decision::Decision;
use crate::error::Error;
use crate::quota::Quota;
use crate::time::Nanos;

/// The token bucket policy: a validated quota compiled to exact tick arithmetic, refilling
/// `limit` tokens per `period` up to `burst`.
///
/// Immutable and shared by any number of keys, whose [`TokenBucketState`]s live wherever you
/// like.
///
/// ```
/// use ratecell::{Nanos, Quota, TokenBucket, TokenBucketState};
///
/// // 2 tokens per second, at most 4 in the bucket.
/// let bucket = TokenBucket::new(Quota::parse("2/second burst 4")?);
/// let mut key = TokenBucketState::default();
///
/// let d = bucket.check(&mut key, Nanos::ZERO, 3)?;
/// assert!(d.allowed);
/// assert_eq!(d.remaining, 1);
/// assert_eq!(d.reset_after, Nanos::from_millis(1500)); // 3 tokens at 500 ms each
///
/// let d = bucket.check(&mut key, Nanos::ZERO, 2)?;
/// assert!(!d.allowed);
/// assert_eq!(d.retry_after, Nanos::from_millis(500)); // one more token
///
/// // A reservation may wait for tokens it does not have yet.
/// let r = bucket.reserve(&mut key, Nanos::ZERO, 2, Nanos::from_secs(1))?;
/// assert!(r.is_committed());
/// assert_eq!(r.ready_at(), Nanos::from_millis(500));
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenBucket {
    quota: Quota,
    /// Ticks per nanosecond.
    scale: NonZeroU64,
    /// The emission interval `T` (the time one token takes to refill), in ticks.
    interval: NonZeroU64,
    /// `B * T` in ticks: the time an empty bucket takes to fill (validated to fit in `u64`).
    tolerance: u64,
    /// A fresh key starts with zero tokens instead of `burst`.
    starts_empty: bool,
}

/// One key's token bucket state: the instant the bucket is full and a bound on the instants
/// committed reservations proceed, both in ticks, and a reservation count. 24 bytes, `Copy`; the
/// default value is a fresh key (full, or for [`TokenBucket::starting_empty`] policies, never
/// charged).
///
/// A state is only meaningful with the policy that produced it (see the module documentation
/// for quota changes); [`TokenBucketState::to_parts`] lets it be stored outside Rust.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TokenBucketState {
    /// `tokens(now) = B - (full_at - now) / T`, at most `B`.
    full_at: u64,
    /// At least the exact instant of every committed, not cancelled reservation.
    latest: u64,
    /// Committed reservations not undone by cancellation, counted like a stack, so that a
    /// reservation can tell whether it is the most recent one still held.
    serial: u64,
}

impl TokenBucketState {
    /// A key that has never been seen.
    pub const FRESH: TokenBucketState = TokenBucketState {
        full_at: 0,
        latest: 0,
        serial: 0,
    };

    /// Rebuilds a state from [`TokenBucketState::to_parts`].
    pub const fn from_parts(parts: [u64; 3]) -> TokenBucketState {
        let [full_at, latest, serial] = parts;
        TokenBucketState {
            full_at,
            latest,
            serial,
        }
    }

    /// The state as three integers (the instant the bucket is full and the latest reservation
    /// instant, both in ticks, and the reservation count), for storing it outside Rust.
    pub const fn to_parts(self) -> [u64; 3] {
        [self.full_at, self.latest, self.serial]
    }
}

/// Tokens taken (or offered) by [`TokenBucket::reserve`], and when the holder may proceed.
///
/// A committed reservation holds its tokens until [`TokenBucket::cancel`] gives them back.
/// It is deliberately neither `Clone` nor `Copy`: cancelling marks it, so the same tokens can
/// never be given back twice.
///
/// ```
/// use ratecell::{Nanos, Quota, TokenBucket, TokenBucketState};
///
/// let bucket = TokenBucket::new(Quota::per_second(10)?);
/// let mut key = TokenBucketState::default();
/// let now = Nanos::from_secs(3);
///
/// // 15 tokens from a bucket of 10: the last 5 take 500 ms to arrive.
/// let mut r = bucket.reserve(&mut key, now, 10, Nanos::MAX)?;
/// let mut late = bucket.reserve(&mut key, now, 5, Nanos::MAX)?;
/// assert_eq!(late.delay(), Nanos::from_millis(500));
/// assert_eq!(late.ready_at(), Nanos::from_millis(3500));
///
/// // Not willing to wait that long: nothing is taken.
/// let refused = bucket.reserve(&mut key, now, 1, Nanos::from_millis(100))?;
/// assert!(!refused.is_committed());
/// assert_eq!(refused.delay(), Nanos::from_millis(600));
///
/// // Cancelling the latest reservation gives all of its tokens back, once; then the one
/// // before it is the latest.
/// assert_eq!(bucket.cancel(&mut key, &mut late, now), 5);
/// assert_eq!(bucket.cancel(&mut key, &mut late, now), 0);
/// assert_eq!(bucket.cancel(&mut key, &mut r, now), 10);
/// assert_eq!(bucket.peek(&key, now).remaining, 10);
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
#[must_use = "a Reservation says when the caller may proceed; cancel it if the caller will not"]
pub struct Reservation {
    /// The tokens are taken (and not yet given back).
    committed: bool,
    /// Tokens taken.
    cost: u64,
    /// The exact instant the caller may proceed, in ticks (`u64::MAX` if not representable).
    ready: u64,
    /// `ready` rounded up to whole nanoseconds.
    ready_at: Nanos,
    /// `ready_at` minus the instant of the reservation.
    delay: Nanos,
    /// The state's `serial` right after this reservation was committed: its place in the stack.
    serial: u64,
    /// The state's `latest` right before this reservation was committed.
    latest_before: u64,
}

impl Reservation {
    /// The reservation as seven integers (committed as 0 or 1, the cost, `ready_at` and
    /// `delay` in nanoseconds, then its exact instant in ticks and its place among the
    /// state's reservations), for keeping it outside Rust (a C struct).
    /// [`Reservation::from_parts`] rebuilds it.
    ///
    /// This is a copy: a reservation rebuilt from it and cancelled again is ignored when the
    /// state shows that it is no longer held, which it usually does, as for a reservation of
    /// another state (see the module documentation). Keep one copy and cancel it once.
    ///
    /// ```
    /// use ratecell::{Nanos, Quota, Reservation, TokenBucket, TokenBucketState};
    /// let bucket = TokenBucket::new(Quota::per_second(10)?);
    /// let mut key = TokenBucketState::default();
    /// let r = bucket.reserve(&mut key, Nanos::ZERO, 3, Nanos::ZERO)?;
    /// let mut back = Reservation::from_parts(r.to_parts()).expect("valid parts");
    /// assert_eq!(back, r);
    /// assert_eq!(bucket.cancel(&mut key, &mut back, Nanos::ZERO), 3);
    /// assert_eq!(Reservation::from_parts([2, 0, 0, 0, 0, 0, 0]), None);
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub const fn to_parts(&self) -> [u64; 7] {
        [
            self.committed as u64,
            self.cost,
            self.ready_at.as_nanos(),
            self.delay.as_nanos(),
            self.ready,
            self.serial,
            self.latest_before,
        ]
    }

    /// Rebuilds a reservation from [`Reservation::to_parts`]; `None` when the committed flag
    /// is neither 0 nor 1.
    pub const fn from_parts(parts: [u64; 7]) -> Option<Reservation> {
        let [
            committed,
            cost,
            ready_at,
            delay,
            ready,
            serial,
            latest_before,
        ] = parts;
        let committed = match committed {
            0 => false,
            1 => true,
            _ => return None,
        };
        Some(Reservation {
            committed,
            cost,
            ready,
            ready_at: Nanos::new(ready_at),
            delay: Nanos::new(delay),
            serial,
            latest_before,
        })
    }

    /// True when the tokens were taken and have not been given back by
    /// [`TokenBucket::cancel`]. A reservation that would have had to wait longer than
    /// `max_wait` is not committed: it took nothing.
    pub const fn is_committed(&self) -> bool {
        self.committed
    }

    /// The tokens reserved.
    pub const fn cost(&self) -> u64 {
        self.cost
    }

    /// The instant at which the caller may proceed: the first instant at which the same
    /// request would have been admitted by [`TokenBucket::check`]. For a reservation that was
    /// not committed, the instant it would have had. `Nanos::MAX` if never.
    pub const fn ready_at(&self) -> Nanos {
        self.ready_at
    }

    /// How long the caller must wait, counted from the instant of the reservation.
    pub const fn delay(&self) -> Nanos {
        self.delay
    }

    /// How long the caller must still wait at `now` (zero once `ready_at` has come).
    pub const fn delay_from(&self, now: Nanos) -> Nanos {
        self.ready_at.saturating_sub(now)
    }
}

/// The outcome of the arithmetic shared by `check`, `reserve` and `peek`.
struct Plan {
    /// The tokens are taken (or, for a cost of zero, could have been).
    committed: bool,
    /// The exact instant the request may proceed, in ticks (`u64::MAX` if not representable).
    ready: u64,
    /// `ready` minus `now`, rounded up to whole nanoseconds (`Nanos::MAX` if never).
    delay: Nanos,
    /// The state to store.
    next: TokenBucketState,
    /// The state's `latest` before the decision.
    latest_before: u64,
    /// The bucket's `full_at` after the decision, for reporting (`u128`: a fresh key of an
    /// empty-starting bucket seen at the horizon would be full beyond it).
    full_at: u128,
}

impl TokenBucket {
    /// Compiles a quota into a bucket that a fresh key finds full. Every [`Quota`] is valid,
    /// so this cannot fail.
    pub const fn new(quota: Quota) -> TokenBucket {
        let (scale, interval) = quota.ticks();
        // `Quota` validated that `burst * interval` fits in u64.
        let tolerance = match interval.get().checked_mul(quota.burst()) {
            Some(t) => t,
            None => u64::MAX,
        };
        TokenBucket {
            quota,
            scale,
            interval,
            tolerance,
            starts_empty: false,
        }
    }

    /// The same policy, but a fresh key has zero tokens at its first request (see the module
    /// documentation on freshness in this mode).
    ///
    /// ```
    /// use ratecell::{Nanos, Quota, TokenBucket, TokenBucketState};
    ///
    /// let bucket = TokenBucket::new(Quota::per_second(10)?).starting_empty();
    /// let mut key = TokenBucketState::default();
    /// let t = Nanos::from_secs(60);
    /// let d = bucket.check(&mut key, t, 1)?;
    /// assert!(!d.allowed);
    /// assert_eq!(d.retry_after, Nanos::from_millis(100)); // the first token's refill
    /// assert!(bucket.check(&mut key, t.saturating_add(d.retry_after), 1)?.allowed);
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    #[must_use]
    pub const fn starting_empty(self) -> TokenBucket {
        TokenBucket {
            starts_empty: true,
            ..self
        }
    }

    /// True when a fresh key starts with zero tokens rather than a full bucket.
    pub const fn starts_empty(&self) -> bool {
        self.starts_empty
    }

    /// The compiled policy as seven plain integers (the quota, the tick arithmetic and whether
    /// a fresh key starts empty), for keeping it outside Rust (a C struct in static memory).
    /// [`TokenBucket::from_raw`] turns them back into the same policy without recomputing
    /// anything.
    ///
    /// ```
    /// use ratecell::{Quota, TokenBucket};
    /// let bucket = TokenBucket::new(Quota::parse("7/minute burst 3")?).starting_empty();
    /// assert_eq!(TokenBucket::from_raw(bucket.to_raw()), Some(bucket));
    /// assert_eq!(TokenBucket::from_raw([0; 7]), None);
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub const fn to_raw(&self) -> [u64; 7] {
        [
            self.quota.limit(),
            self.quota.period_nanos().as_nanos(),
            self.quota.burst(),
            self.scale.get(),
            self.interval.get(),
            self.tolerance,
            self.starts_empty as u64,
        ]
    }

    /// Rebuilds a policy from [`TokenBucket::to_raw`]. Returns `None` when the numbers cannot
    /// have come from a valid policy (a zero, a tolerance that is not `burst * interval`, a
    /// flag that is neither 0 nor 1). Like `Gcra::from_raw` it is a handful of comparisons;
    /// numbers altered by hand give a different but still panic-free policy.
    pub const fn from_raw(raw: [u64; 7]) -> Option<TokenBucket> {
        let [limit, period, burst, scale, interval, tolerance, empty] = raw;
        let Some(quota) = Quota::from_raw_parts(limit, period, burst) else {
            return None;
        };
        let (Some(scale), Some(interval)) = (NonZeroU64::new(scale), NonZeroU64::new(interval))
        else {
            return None;
        };
        let starts_empty = match empty {
            0 => false,
            1 => true,
            _ => return None,
        };
        match interval.get().checked_mul(burst) {
            Some(t) if t == tolerance => Some(TokenBucket {
                quota,
                scale,
                interval,
                tolerance,
                starts_empty,
            }),
            _ => None,
        }
    }

    /// The quota this policy enforces.
    pub const fn quota(&self) -> &Quota {
        &self.quota
    }

    /// The capacity `B` (the burst): the most tokens the bucket holds and the most a single
    /// request may cost.
    pub const fn capacity(&self) -> u64 {
        self.quota.burst()
    }

    /// Ticks per nanosecond: the unit of [`TokenBucketState`]. States carry over between
    /// policies with the same tick scale (see the module documentation on changing the quota).
    ///
    /// ```
    /// use ratecell::{Quota, TokenBucket};
    /// let tick = |s: &str| Quota::parse(s).map(|q| TokenBucket::new(q).tick_scale());
    /// assert_eq!(tick("100/minute")?, tick("1000/hour burst 50")?);
    /// assert_eq!(tick("7/minute")?, 7);
    /// # Ok::<(), ratecell::ParseError>(())
    /// ```
    pub const fn tick_scale(&self) -> u64 {
        self.scale.get()
    }

    /// The last instant represented exactly; later instants count as this one (see the module
    /// documentation).
    pub const fn horizon(&self) -> Nanos {
        Nanos::new(u64::MAX / self.scale.get())
    }

    /// Decides a request of `cost` at `now` and takes its tokens when admitted: a reservation
    /// that may not wait.
    ///
    /// `cost == 0` peeks. A cost above the capacity is [`Error::InsufficientCapacity`] and
    /// changes nothing.
    pub fn check(
        &self,
        state: &mut TokenBucketState,
        now: Nanos,
        cost: u64,
    ) -> Result<Decision, Error> {
        let (decision, next) = self.decide(*state, now, cost)?;
        *state = next;
        Ok(decision)
    }

    /// The key's standing at `now` without recording anything (`check` with cost 0).
    pub fn peek(&self, state: &TokenBucketState, now: Nanos) -> Decision {
        let plan = self.plan_in_capacity(*state, now, 0, Nanos::ZERO);
        self.decision(&plan, now)
    }

    /// Resets a key to fresh.
    pub fn reset(&self, state: &mut TokenBucketState) {
        *state = TokenBucketState::FRESH;
    }

    /// True when the key at `now` is indistinguishable from one never seen, so its storage can
    /// be reclaimed: a full bucket, or for [`TokenBucket::starting_empty`] policies, only a key
    /// never charged (see the module documentation).
    pub fn is_fresh(&self, state: &TokenBucketState, now: Nanos) -> bool {
        if self.starts_empty {
            *state == TokenBucketState::FRESH
        } else {
            state.full_at <= self.now_ticks(now)
        }
    }

    /// The pure transition of [`TokenBucket::check`]: the decision for `cost` at `now` from
    /// `state`, and the state to store afterwards. Store it even when the request was refused:
    /// an empty-starting bucket records a new key's first request.
    pub fn decide(
        &self,
        state: TokenBucketState,
        now: Nanos,
        cost: u64,
    ) -> Result<(Decision, TokenBucketState), Error> {
        self.within_capacity(cost)?;
        let plan = self.plan_in_capacity(state, now, cost, Nanos::ZERO);
        Ok((self.decision(&plan, now), plan.next))
    }

    /// Reserves `cost` tokens at `now`, borrowing against future refills if need be, and
    /// commits (takes the tokens) only when the caller would wait at most `max_wait`:
    /// `ready_at <= now + max_wait`.
    ///
    /// A cost above the capacity is [`Error::InsufficientCapacity`] and changes nothing. A
    /// reservation that is not committed changes nothing either (except that an
    /// empty-starting bucket records a new key's first request).
    ///
    /// ```
    /// use ratecell::{Nanos, Quota, TokenBucket, TokenBucketState};
    ///
    /// let bucket = TokenBucket::new(Quota::per_minute(7)?);
    /// let mut key = TokenBucketState::default();
    /// bucket.check(&mut key, Nanos::ZERO, 7)?;
    /// // The next token arrives after exactly 60/7 s, rounded up to whole nanoseconds.
    /// let r = bucket.reserve(&mut key, Nanos::ZERO, 1, Nanos::from_secs(10))?;
    /// assert!(r.is_committed());
    /// assert_eq!(r.ready_at(), Nanos::new(8_571_428_572));
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub fn reserve(
        &self,
        state: &mut TokenBucketState,
        now: Nanos,
        cost: u64,
        max_wait: Nanos,
    ) -> Result<Reservation, Error> {
        self.within_capacity(cost)?;
        let plan = self.plan_in_capacity(*state, now, cost, max_wait);
        *state = plan.next;
        Ok(Reservation {
            committed: plan.committed,
            cost,
            ready: plan.ready,
            ready_at: now.saturating_add(plan.delay),
            delay: plan.delay,
            serial: plan.next.serial,
            latest_before: plan.latest_before,
        })
    }

    /// Cancels a reservation at `now`, giving its tokens back to the bucket, and returns how
    /// many whole tokens were given back.
    ///
    /// Nothing is given back when the reservation was not committed or was already cancelled,
    /// or when its time has passed (`now > ready_at`). Tokens that reservations proceeding after
    /// it may rely on stay taken, and the bucket never exceeds its capacity at `now`.
    /// Cancelling the most recent reservation undoes it exactly. The module documentation
    /// explains each rule. The reservation is marked cancelled either way.
    pub fn cancel(
        &self,
        state: &mut TokenBucketState,
        reservation: &mut Reservation,
        now: Nanos,
    ) -> u64 {
        let committed = core::mem::replace(&mut reservation.committed, false);
        if !committed || reservation.cost == 0 || now > reservation.ready_at {
            return 0;
        }
        if self.starts_empty && *state == TokenBucketState::FRESH {
            return 0;
        }
        let s = *state;
        let t = self.interval.get();
        let ready = reservation.ready;
        let span = u128::from(reservation.cost).saturating_mul(u128::from(t));
        // Every reservation this state still holds proceeds at or before `latest`, and the
        // bucket is full no sooner than `cost*T` after it: anything else was not made here.
        if ready > s.latest || u128::from(ready).saturating_add(span) > u128::from(s.full_at) {
            return 0;
        }
        // Tokens that reservations proceeding after this one may have been promised.
        let claimed = (s.latest - ready).div_ceil(t);
        let back = reservation.cost.saturating_sub(claimed);
        // Never above the capacity at `now`; an empty-starting key stays marked as seen.
        let mut floor = s.full_at.min(self.now_ticks(now));
        if self.starts_empty {
            floor = floor.max(1);
        }
        let lowered = u128::from(s.full_at).saturating_sub(u128::from(back) * u128::from(t));
        // `lowered <= full_at`, so it fits in u64.
        let full_at = u64::try_from(lowered).unwrap_or(u64::MAX).max(floor);
        // `serial` counts the committed reservations not yet undone, like a stack: a held
        // reservation whose serial is that count is the most recent one still held, and
        // removing it leaves at most the reservations held before it, which proceed no later
        // than its `latest_before`. Each also proceeds at least one token's time before the
        // bucket is full.
        let top = s.serial == reservation.serial;
        let (held, serial) = if top {
            let held = reservation.latest_before.min(s.latest);
            (held, s.serial.wrapping_sub(1))
        } else {
            (s.latest, s.serial)
        };
        let next = TokenBucketState {
            full_at,
            latest: held.min(full_at.saturating_sub(t)),
            serial,
        };
        if next == s {
            return 0;
        }
        *state = next;
        (s.full_at - full_at) / t
    }

    const fn within_capacity(&self, cost: u64) -> Result<(), Error> {
        if cost > self.quota.burst() {
            Err(Error::InsufficientCapacity {
                capacity: self.quota.burst(),
            })
        } else {
            Ok(())
        }
    }

    /// `now` in ticks, standing still at the horizon.
    const fn now_ticks(&self, now: Nanos) -> u64 {
        match now.as_nanos().checked_mul(self.scale.get()) {
            Some(t) => t,
            None => u64::MAX,
        }
    }

    /// Ticks to nanoseconds, rounded up, saturating.
    fn ceil_nanos(&self, ticks: u128) -> Nanos {
        let ns = ticks.div_ceil(u128::from(self.scale.get()));
        Nanos::new(u64::try_from(ns).unwrap_or(u64::MAX))
    }

    /// The arithmetic of every operation, for `cost <= burst`.
    fn plan_in_capacity(
        &self,
        state: TokenBucketState,
        now: Nanos,
        cost: u64,
        max_wait: Nanos,
    ) -> Plan {
        let now_t = u128::from(self.now_ticks(now));
        let tolerance = u128::from(self.tolerance);
        // An empty-starting bucket sees a new key as empty now: full after B*T.
        let unseen = self.starts_empty && state == TokenBucketState::FRESH;
        let (full_at, latest) = if unseen {
            (now_t + tolerance, 0)
        } else {
            (u128::from(state.full_at), state.latest)
        };
        // u128: each term is below 2^64, so nothing here overflows.
        let taken = u128::from(cost) * u128::from(self.interval.get());
        let new_full_at = full_at.max(now_t) + taken;
        let ready = new_full_at.saturating_sub(tolerance).max(now_t);
        // A bucket full beyond the horizon cannot be stored: such a request never commits.
        let fits = u64::try_from(new_full_at).is_ok();
        let (ready, delay) = match u64::try_from(ready) {
            // `ready <= new_full_at`, so it fits whenever `new_full_at` does.
            Ok(ready) if fits => (ready, self.ceil_nanos(u128::from(ready) - now_t)),
            _ => (u64::MAX, Nanos::MAX),
        };
        let committed = fits && delay <= max_wait;
        let next = match (committed && cost > 0, unseen && cost > 0) {
            (true, _) => TokenBucketState {
                // Committed implies `new_full_at` fits (checked above).
                full_at: u64::try_from(new_full_at).unwrap_or(u64::MAX),
                latest: latest.max(ready),
                serial: state.serial.wrapping_add(1),
            },
            // Refused, but a new key's refill starts now (if it can be represented).
            (false, true) => match u64::try_from(full_at) {
                Ok(full_at) => TokenBucketState {
                    full_at,
                    latest: 0,
                    serial: state.serial,
                },
                Err(_) => state,
            },
            (false, false) => state,
        };
        Plan {
            committed,
            ready,
            delay,
            next,
            latest_before: latest,
            full_at: if committed && cost > 0 {
                new_full_at
            } else {
                full_at
            },
        }
    }

    /// The decision reporting `plan` at `now`.
    fn decision(&self, plan: &Plan, now: Nanos) -> Decision {
        let now_ticks = u128::from(self.now_ticks(now));
        let ahead = plan.full_at.saturating_sub(now_ticks);
        let tolerance = u128::from(self.tolerance);
        let interval = u128::from(self.interval.get());
        // Near the end of representable time fewer requests fit than the bucket holds (as for
        // `Gcra`): each admission must leave a storable state.
        let room = u128::from(u64::MAX).saturating_sub(plan.full_at.max(now_ticks)) / interval;
        // `remaining <= burst`, so it fits in u64.
        let remaining = (tolerance.saturating_sub(ahead) / interval).min(room);
        Decision {
            allowed: plan.committed,
            limit: self.quota.burst(),
            remaining: u64::try_from(remaining).unwrap_or(u64::MAX),
            retry_after: if plan.committed {
                Nanos::ZERO
            } else {
                plan.delay
            },
            reset_after: self.ceil_nanos(ahead),
        }
    }
}

forward_algorithm!([] TokenBucket => TokenBucketState, decide);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Gcra, GcraState};

    fn bucket(s: &str) -> TokenBucket {
        TokenBucket::new(Quota::parse(s).unwrap())
    }

    #[test]
    fn state_is_twenty_four_bytes() {
        assert_eq!(core::mem::size_of::<TokenBucketState>(), 24);
    }

    #[test]
    fn checks_are_gcra_decisions() {
        let q = Quota::parse("7/minute burst 3").unwrap();
        let (tb, g) = (TokenBucket::new(q), Gcra::new(q));
        let (mut s, mut gs) = (TokenBucketState::default(), GcraState::default());
        for (now, cost) in [(0, 1), (0, 2), (0, 1), (5, 0), (9_000_000_000, 2), (1, 1)] {
            let now = Nanos::new(now);
            assert_eq!(tb.check(&mut s, now, cost), g.check(&mut gs, now, cost));
        }
    }

    #[test]
    fn cost_above_capacity_is_an_error_and_changes_nothing() {
        let b = bucket("5/second").starting_empty();
        let mut s = TokenBucketState::default();
        let err = Err(Error::InsufficientCapacity { capacity: 5 });
        assert_eq!(b.check(&mut s, Nanos::ZERO, 6), err);
        assert_eq!(
            b.reserve(&mut s, Nanos::ZERO, 6, Nanos::MAX).map(|_| ()),
            err.map(|_| ())
        );
        assert_eq!(s, TokenBucketState::FRESH);
    }

    #[test]
    fn debt_delays_reservations_and_refuses_peeks_until_repaid() {
        let b = bucket("1/second burst 2");
        let mut s = TokenBucketState::default();
        let r = b.reserve(&mut s, Nanos::ZERO, 2, Nanos::ZERO).unwrap();
        assert_eq!((r.is_committed(), r.ready_at()), (true, Nanos::ZERO));
        let r = b.reserve(&mut s, Nanos::ZERO, 2, Nanos::MAX).unwrap();
        assert_eq!((r.is_committed(), r.delay()), (true, Nanos::from_secs(2)));
        // Two tokens of debt: even a peek waits for them.
        let d = b.peek(&s, Nanos::ZERO);
        assert_eq!((d.allowed, d.remaining), (false, 0));
        assert_eq!(d.retry_after, Nanos::from_secs(2));
        assert_eq!(d.reset_after, Nanos::from_secs(4));
        assert_eq!(r.delay_from(Nanos::from_secs(1)), Nanos::from_secs(1));
    }

    #[test]
    fn cancelling_after_ready_at_gives_nothing_back() {
        let b = bucket("1/second burst 2");
        let mut s = TokenBucketState::default();
        assert!(b.check(&mut s, Nanos::ZERO, 2).unwrap().allowed);
        let mut r = b.reserve(&mut s, Nanos::ZERO, 1, Nanos::MAX).unwrap();
        let late = r.ready_at().saturating_add(Nanos::new(1));
        assert_eq!(b.cancel(&mut s, &mut r, late), 0);
        assert!(!r.is_committed());
    }

    #[test]
    fn later_reservations_keep_the_tokens_they_were_promised() {
        let b = bucket("1/second burst 1");
        let mut s = TokenBucketState::default();
        let mut first = b.reserve(&mut s, Nanos::ZERO, 1, Nanos::MAX).unwrap();
        let second = b.reserve(&mut s, Nanos::ZERO, 1, Nanos::MAX).unwrap();
        assert_eq!(second.ready_at(), Nanos::from_secs(1));
        // `second` proceeds one token after `first`: it relies on the token `first` holds.
        assert_eq!(b.cancel(&mut s, &mut first, Nanos::ZERO), 0);
        assert!(!b.check(&mut s, Nanos::ZERO, 1).unwrap().allowed);
    }

    #[test]
    fn empty_start_is_fresh_only_until_charged() {
        let b = bucket("10/second").starting_empty();
        let mut s = TokenBucketState::default();
        let t = Nanos::from_secs(100);
        let d = b.peek(&s, t);
        assert_eq!((d.allowed, d.remaining), (true, 0));
        assert_eq!(d.reset_after, Nanos::from_secs(1));
        assert!(b.is_fresh(&s, t));
        let d = b.check(&mut s, t, 1).unwrap();
        assert!(!d.allowed);
        assert!(!b.is_fresh(&s, t));
        let full = t.saturating_add(Nanos::from_secs(1));
        assert_eq!(b.peek(&s, full).remaining, 10);
        assert!(!b.is_fresh(&s, Nanos::MAX));
    }

    #[test]
    fn no_panic_at_the_end_of_time() {
        for b in [bucket("7/minute"), bucket("7/minute").starting_empty()] {
            let mut s = TokenBucketState::default();
            for now in [u64::MAX - 1, u64::MAX, b.horizon().as_nanos(), 0] {
                for cost in [0, 1, 7] {
                    let now = Nanos::new(now);
                    let _ = b.check(&mut s, now, cost);
                    if let Ok(mut r) = b.reserve(&mut s, now, cost, Nanos::MAX) {
                        let _ = b.cancel(&mut s, &mut r, now);
                    }
                }
            }
            let mut s = TokenBucketState::default();
            let n = (0..100)
                .filter(|_| b.check(&mut s, Nanos::MAX, 1).is_ok_and(|d| d.allowed))
                .count();
            assert!(n <= 7);
        }
        // A peek at the end of time is still a peek: admitted, nothing to wait for.
        let b = bucket("7/minute");
        let d = b.peek(&TokenBucketState::default(), Nanos::MAX);
        assert_eq!((d.allowed, d.retry_after), (true, Nanos::ZERO));
        let q = Quota::parse("7/minute").unwrap();
        assert_eq!(d, Gcra::new(q).peek(&GcraState::default(), Nanos::MAX));
    }
}
