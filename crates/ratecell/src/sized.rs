//! The const-generic algorithms with their size chosen at runtime: [`SizedSlidingLog`] and
//! [`SizedConcurrency`] (policies whose per-key states are sized from a ladder), and
//! [`DynSlidingLog`] and [`DynConcurrency`] (one key each, policy and state together).
//!
//! [`SlidingLog<N>`](SlidingLog) and [`Concurrency<SLOTS>`](Concurrency) size their state
//! with a const generic, so that it needs no allocation and can live in a `static`. A binding
//! (C, Python, Node) or a configuration file learns the size only at runtime, from its
//! caller's quota. The policies here pick the smallest size from a fixed ladder that holds
//! what was asked for; their states box the sized state and every call dispatches to that
//! size. This is the only such ladder: the keyed stores
//! ([`SlidingLogStore`](crate::SlidingLogStore), [`ConcurrencyStore`](crate::ConcurrencyStore))
//! are [`KeyedStore`](crate::KeyedStore)s of these policies.
//!
//! - Sliding logs: 4, 16, 64, 256, 1,024 or 4,096 entries (powers of 4). The state takes 16 bytes per
//!   entry, and decisions scan the live entries only, so rounding up costs memory, not time.
//!   (Above 4,096 requests per window, a [`SlidingWindow`](crate::SlidingWindow) counter
//!   keeps 24 bytes instead of 64 KiB.)
//! - Concurrency: 1, 2, 4, ..., 4,096 slots (powers of 2). Decisions scan every slot, so the
//!   ladder is tight.
//!
//! Decisions are exactly those of the sized algorithm: the ladder only chooses `N`.
//!
//! # Fresh states and quota changes
//!
//! A fresh state ([`Default`]) is empty and allocates nothing; its first recorded request
//! allocates a state of the policy's size. A state keeps its size while it is not fresh, so a
//! state built under one policy stays meaningful under another: it decides with the new
//! quota over its own entries or slots (a state smaller than a new, larger limit admits less
//! than the limit, never more), and takes the new size once it is fresh again.
//!
//! ```
//! use ratecell::{DynConcurrency, DynSlidingLog, Nanos, Quota};
//!
//! let mut log = DynSlidingLog::exact(Quota::parse("100/minute")?)?;
//! assert_eq!(log.entries(), 256); // room for 100 unit requests, rounded up
//! assert!(log.check(Nanos::ZERO, 100)?.allowed);
//! assert!(!log.check(Nanos::from_secs(59), 1)?.allowed);
//!
//! let mut sessions = DynConcurrency::new(10, Nanos::from_secs(60))?;
//! assert_eq!(sessions.slots(), 16);
//! let (d, lease) = sessions.acquire(Nanos::ZERO);
//! assert!(d.allowed && sessions.release(lease.expect("granted"), Nanos::from_secs(1)));
//! # Ok::<(), ratecell::Error>(())
//! ```

use core::num::NonZeroU64;
use std::boxed::Box;

use crate::concurrency::{Concurrency, ConcurrencyState, Lease};
use crate::decision::Decision;
use crate::error::{Error, QuotaError};
use crate::quota::Quota;
use crate::sliding_log::{SlidingLog, SlidingLogState};
use crate::time::Nanos;

/// Declares a ladder: an enum with one boxed `$state<N>` variant per size `N`, and two
/// dispatch macros that run a body with a local `const N: usize` bound to the size:
/// `$with!(value, |s, N| body)` over a state and `$at!(size, |N| body)` over a size.
macro_rules! ladder {
    ($enum:ident, $with:ident, $at:ident, $state:ident, [$($variant:ident = $n:literal),+]) => {
        #[derive(Clone, Debug, PartialEq, Eq)]
        enum $enum {
            $($variant(Box<$state<$n>>),)+
        }

        impl $enum {
            /// The sizes, smallest first.
            const SIZES: &'static [usize] = &[$($n),+];

            /// The smallest size that holds `asked`, if any.
            fn rung(asked: usize) -> Option<usize> {
                $enum::SIZES.iter().copied().find(|&n| n >= asked)
            }

            /// A fresh state of the smallest size that holds `size` (the largest if none
            /// does: sizes come from [`Self::rung`]).
            fn fresh(size: usize) -> Self {
                $(if size <= $n {
                    return $enum::$variant(Box::default());
                })+
                ladder!(@last $enum, $($variant),+)
            }

            /// The const size of the variant.
            const fn size(&self) -> usize {
                match self {
                    $($enum::$variant(..) => $n,)+
                }
            }
        }

        macro_rules! $with {
            ($value:expr, |$s:ident, $size:ident| $body:expr) => {
                match $value {
                    $($enum::$variant($s) => {
                        const $size: usize = $n;
                        $body
                    })+
                }
            };
        }

        macro_rules! $at {
            ($value:expr, |$size:ident| $body:expr) => {{
                $(if $value <= $n {
                    const $size: usize = $n;
                    return $body;
                })+
                ladder!(@largest $size, $($n),+);
                $body
            }};
        }
    };
    (@last $enum:ident, $first:ident $(, $rest:ident)+) => { ladder!(@last $enum, $($rest),+) };
    (@last $enum:ident, $last:ident) => { $enum::$last(Box::default()) };
    (@largest $size:ident, $first:literal $(, $rest:literal)+) => { ladder!(@largest $size, $($rest),+) };
    (@largest $size:ident, $last:literal) => { const $size: usize = $last; };
}

ladder!(
    Logs,
    with_log,
    log_at,
    SlidingLogState,
    [
        E4 = 4,
        E16 = 16,
        E64 = 64,
        E256 = 256,
        E1K = 1024,
        E4K = 4096
    ]
);

ladder!(
    Leases,
    with_leases,
    leases_at,
    ConcurrencyState,
    [
        S1 = 1,
        S2 = 2,
        S4 = 4,
        S8 = 8,
        S16 = 16,
        S32 = 32,
        S64 = 64,
        S128 = 128,
        S256 = 256,
        S512 = 512,
        S1K = 1024,
        S2K = 2048,
        S4K = 4096
    ]
);

/// A [`SlidingLog`] policy whose log size is chosen at runtime (see the
/// [module documentation](self)); each key's state is a [`SizedSlidingLogState`].
///
/// ```
/// use ratecell::{Nanos, Quota, SizedSlidingLog, SizedSlidingLogState};
///
/// let log = SizedSlidingLog::exact(Quota::parse("5/second")?)?;
/// let mut key = SizedSlidingLogState::default();
/// assert_eq!(log.entries(), 16);
/// assert!(log.check(&mut key, Nanos::ZERO, 5)?.allowed);
/// assert_eq!(log.check(&mut key, Nanos::ZERO, 1)?.retry_after, Nanos::from_secs(1));
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SizedSlidingLog {
    quota: Quota,
    /// A size of the ladder.
    entries: usize,
}

/// One key's [`SizedSlidingLog`] state: empty (fresh, nothing allocated) or a boxed log of
/// one of the ladder's sizes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SizedSlidingLogState(Option<Logs>);

impl SizedSlidingLogState {
    /// Entries stored, including any that left the window but were not dropped yet.
    pub fn len(&self) -> usize {
        self.0
            .as_ref()
            .map_or(0, |logs| with_log!(logs, |s, _N| s.len()))
    }

    /// True when nothing is logged.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The size of the allocated log; 0 while fresh and unallocated.
    pub fn entries(&self) -> usize {
        self.0.as_ref().map_or(0, Logs::size)
    }
}

impl SizedSlidingLog {
    /// The most entries a log may ask for: the top of the ladder.
    pub const MAX_ENTRIES: usize = 4096;

    /// A log with room for `quota.limit()` entries: exact over every window, since no window
    /// admits more than `limit` requests. A limit above [`SizedSlidingLog::MAX_ENTRIES`] is
    /// [`QuotaError::LimitExceedsSlots`].
    pub fn exact(quota: Quota) -> Result<SizedSlidingLog, QuotaError> {
        let entries = usize::try_from(quota.limit()).unwrap_or(usize::MAX);
        SizedSlidingLog::with_entries(quota, entries)
    }

    /// A log with room for at least `entries` entries (at least 4). Fewer entries than the
    /// limit refuse unit requests once the log is full, so it admits less than the quota,
    /// never more. More than [`SizedSlidingLog::MAX_ENTRIES`] is
    /// [`QuotaError::LimitExceedsSlots`].
    pub fn with_entries(quota: Quota, entries: usize) -> Result<SizedSlidingLog, QuotaError> {
        let entries = Logs::rung(entries).ok_or(QuotaError::LimitExceedsSlots)?;
        Ok(SizedSlidingLog { quota, entries })
    }

    /// The room in each key's log: the size chosen from the ladder.
    pub const fn entries(&self) -> usize {
        self.entries
    }

    /// The quota this log enforces.
    pub const fn quota(&self) -> &Quota {
        &self.quota
    }

    /// The capacity: the quota's `limit`, the most a single request may cost.
    pub const fn capacity(&self) -> u64 {
        self.quota.limit()
    }

    /// [`SlidingLog::check`] on this key's log; the first recorded request of a fresh key
    /// allocates its log.
    pub fn check(
        &self,
        state: &mut SizedSlidingLogState,
        now: Nanos,
        cost: u64,
    ) -> Result<Decision, Error> {
        if cost > self.capacity() {
            return Err(Error::InsufficientCapacity {
                capacity: self.capacity(),
            });
        }
        if state.0.is_none() && cost == 0 {
            return Ok(self.peek(state, now));
        }
        if state.entries() != self.entries && self.is_fresh(state, now) {
            state.0 = None;
        }
        let logs = state.0.get_or_insert_with(|| Logs::fresh(self.entries));
        with_log!(logs, |s, N| SlidingLog::<N>::new(self.quota)
            .check(s, now, cost))
    }

    /// [`SlidingLog::peek`] on this key's log.
    pub fn peek(&self, state: &SizedSlidingLogState, now: Nanos) -> Decision {
        if let Some(logs) = &state.0 {
            return with_log!(logs, |s, N| SlidingLog::<N>::new(self.quota).peek(s, now));
        }
        // A fresh key: an empty log of the policy's size, without allocating one.
        log_at!(self.entries, |N| {
            static FRESH: SlidingLogState<N> = SlidingLogState::new();
            SlidingLog::<N>::new(self.quota).peek(&FRESH, now)
        })
    }

    /// [`SlidingLog::is_fresh`] on this key's log.
    pub fn is_fresh(&self, state: &SizedSlidingLogState, now: Nanos) -> bool {
        state.0.as_ref().is_none_or(|logs| {
            with_log!(logs, |s, N| SlidingLog::<N>::new(self.quota)
                .is_fresh(s, now))
        })
    }

    /// Resets a key to fresh, releasing its log.
    pub fn reset(&self, state: &mut SizedSlidingLogState) {
        state.0 = None;
    }
}

forward_algorithm!([] SizedSlidingLog => SizedSlidingLogState);

/// A [`Concurrency`] policy whose lease slots are chosen at runtime from the limit (see the
/// [module documentation](self)); each key's state is a [`SizedConcurrencyState`].
///
/// ```
/// use ratecell::{Nanos, SizedConcurrency, SizedConcurrencyState};
///
/// let sessions = SizedConcurrency::new(2, Nanos::from_secs(30))?;
/// let mut key = SizedConcurrencyState::default();
/// let (_, a) = sessions.acquire(&mut key, Nanos::ZERO);
/// assert!(sessions.acquire(&mut key, Nanos::ZERO).0.allowed);
/// assert!(!sessions.acquire(&mut key, Nanos::ZERO).0.allowed);
/// assert!(sessions.release(&mut key, a.expect("granted"), Nanos::from_secs(1)));
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SizedConcurrency {
    limit: NonZeroU64,
    ttl: NonZeroU64,
    /// A size of the ladder, at least `limit`.
    slots: usize,
}

/// One key's [`SizedConcurrency`] state: empty (fresh, nothing allocated) or boxed slots of
/// one of the ladder's sizes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SizedConcurrencyState(Option<Leases>);

impl SizedConcurrencyState {
    /// Leases live at `now`.
    pub fn live(&self, now: Nanos) -> u64 {
        self.0
            .as_ref()
            .map_or(0, |leases| with_leases!(leases, |s, _N| s.live(now)))
    }

    /// The size of the allocated slots; 0 while fresh and unallocated.
    pub fn slots(&self) -> usize {
        self.0.as_ref().map_or(0, Leases::size)
    }
}

impl SizedConcurrency {
    /// The largest limit: the top of the slot ladder.
    pub const MAX_LIMIT: u64 = 4096;

    /// At most `limit` live leases, each live for `ttl` after its acquisition or last
    /// renewal. A zero limit or ttl is [`QuotaError::ZeroLimit`] or
    /// [`QuotaError::ZeroPeriod`]; a limit above [`SizedConcurrency::MAX_LIMIT`] is
    /// [`QuotaError::LimitExceedsSlots`].
    pub fn new(limit: u64, ttl: Nanos) -> Result<SizedConcurrency, QuotaError> {
        let limit = NonZeroU64::new(limit).ok_or(QuotaError::ZeroLimit)?;
        let ttl = NonZeroU64::new(ttl.as_nanos()).ok_or(QuotaError::ZeroPeriod)?;
        let slots = usize::try_from(limit.get())
            .ok()
            .and_then(Leases::rung)
            .ok_or(QuotaError::LimitExceedsSlots)?;
        Ok(SizedConcurrency { limit, ttl, slots })
    }

    /// The cap on live leases.
    pub const fn limit(&self) -> u64 {
        self.limit.get()
    }

    /// How long a lease lives after its acquisition or last renewal.
    pub const fn ttl(&self) -> Nanos {
        Nanos::new(self.ttl.get())
    }

    /// The slots in each key's state: the size chosen from the ladder.
    pub const fn slots(&self) -> usize {
        self.slots
    }

    /// The capacity: the limit, the most anonymous leases one check may take.
    pub const fn capacity(&self) -> u64 {
        self.limit.get()
    }

    /// The sized policy for a state of `N` slots (the limit capped at `N`).
    fn sized<const N: usize>(&self) -> Concurrency<N> {
        Concurrency::clamped(self.limit, self.ttl)
    }

    /// The key's state, allocated at the policy's size when fresh.
    fn leases<'s>(&self, state: &'s mut SizedConcurrencyState, now: Nanos) -> &'s mut Leases {
        if state.slots() != self.slots && self.is_fresh(state, now) {
            state.0 = None;
        }
        state.0.get_or_insert_with(|| Leases::fresh(self.slots))
    }

    /// [`Concurrency::acquire`] on this key.
    pub fn acquire(
        &self,
        state: &mut SizedConcurrencyState,
        now: Nanos,
    ) -> (Decision, Option<Lease>) {
        with_leases!(self.leases(state, now), |s, N| self
            .sized::<N>()
            .acquire(s, now))
    }

    /// [`Concurrency::renew`] on this key.
    pub fn renew(&self, state: &mut SizedConcurrencyState, lease: Lease, now: Nanos) -> bool {
        state.0.as_mut().is_some_and(|leases| {
            with_leases!(leases, |s, N| self.sized::<N>().renew(s, lease, now))
        })
    }

    /// [`Concurrency::release`] on this key.
    pub fn release(&self, state: &mut SizedConcurrencyState, lease: Lease, now: Nanos) -> bool {
        state.0.as_mut().is_some_and(|leases| {
            with_leases!(leases, |s, N| self.sized::<N>().release(s, lease, now))
        })
    }

    /// [`Concurrency::check`] on this key: `cost` anonymous leases that expire after `ttl`.
    pub fn check(
        &self,
        state: &mut SizedConcurrencyState,
        now: Nanos,
        cost: u64,
    ) -> Result<Decision, Error> {
        if cost > self.capacity() {
            return Err(Error::InsufficientCapacity {
                capacity: self.capacity(),
            });
        }
        if state.0.is_none() && cost == 0 {
            return Ok(self.peek(state, now));
        }
        with_leases!(self.leases(state, now), |s, N| self
            .sized::<N>()
            .check(s, now, cost))
    }

    /// [`Concurrency::peek`] on this key.
    pub fn peek(&self, state: &SizedConcurrencyState, now: Nanos) -> Decision {
        if let Some(leases) = &state.0 {
            return with_leases!(leases, |s, N| self.sized::<N>().peek(s, now));
        }
        leases_at!(self.slots, |N| self
            .sized::<N>()
            .peek(&ConcurrencyState::<N>::FRESH, now))
    }

    /// [`Concurrency::is_fresh`] on this key.
    pub fn is_fresh(&self, state: &SizedConcurrencyState, now: Nanos) -> bool {
        state
            .0
            .as_ref()
            .is_none_or(|leases| with_leases!(leases, |s, N| self.sized::<N>().is_fresh(s, now)))
    }

    /// Resets a key to fresh: every slot is freed, and the slots are released.
    pub fn reset(&self, state: &mut SizedConcurrencyState) {
        state.0 = None;
    }
}

forward_algorithm!([] SizedConcurrency => SizedConcurrencyState);

/// A [`SlidingLog`] for one key, with room for at least a number of entries chosen at
/// runtime: a [`SizedSlidingLog`] and its state together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynSlidingLog {
    policy: SizedSlidingLog,
    state: SizedSlidingLogState,
}

impl DynSlidingLog {
    /// The most entries a log may ask for.
    pub const MAX_ENTRIES: usize = SizedSlidingLog::MAX_ENTRIES;

    /// [`SizedSlidingLog::exact`], for one key.
    pub fn exact(quota: Quota) -> Result<DynSlidingLog, QuotaError> {
        SizedSlidingLog::exact(quota).map(DynSlidingLog::from)
    }

    /// [`SizedSlidingLog::with_entries`], for one key.
    pub fn with_entries(quota: Quota, entries: usize) -> Result<DynSlidingLog, QuotaError> {
        SizedSlidingLog::with_entries(quota, entries).map(DynSlidingLog::from)
    }

    /// The room in the log: the size chosen from the ladder.
    pub fn entries(&self) -> usize {
        self.policy.entries()
    }

    /// The quota this log enforces.
    pub fn quota(&self) -> &Quota {
        self.policy.quota()
    }

    /// The capacity: the quota's `limit`, the most a single request may cost.
    pub fn capacity(&self) -> u64 {
        self.policy.capacity()
    }

    /// Entries stored, including any that left the window but were not dropped yet.
    pub fn len(&self) -> usize {
        self.state.len()
    }

    /// True when nothing is logged.
    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }

    /// [`SlidingLog::check`] on this key.
    pub fn check(&mut self, now: Nanos, cost: u64) -> Result<Decision, Error> {
        self.policy.check(&mut self.state, now, cost)
    }

    /// [`SlidingLog::peek`] on this key.
    pub fn peek(&self, now: Nanos) -> Decision {
        self.policy.peek(&self.state, now)
    }

    /// [`SlidingLog::is_fresh`] on this key.
    pub fn is_fresh(&self, now: Nanos) -> bool {
        self.policy.is_fresh(&self.state, now)
    }

    /// Resets the key to fresh.
    pub fn reset(&mut self) {
        self.policy.reset(&mut self.state);
    }
}

impl From<SizedSlidingLog> for DynSlidingLog {
    fn from(policy: SizedSlidingLog) -> Self {
        DynSlidingLog {
            policy,
            state: SizedSlidingLogState::default(),
        }
    }
}

/// [`Concurrency`] leases for one key, with the slot count chosen at runtime from the limit:
/// a [`SizedConcurrency`] and its state together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynConcurrency {
    policy: SizedConcurrency,
    state: SizedConcurrencyState,
}

impl DynConcurrency {
    /// The largest limit: the top of the slot ladder.
    pub const MAX_LIMIT: u64 = SizedConcurrency::MAX_LIMIT;

    /// [`SizedConcurrency::new`], for one key.
    pub fn new(limit: u64, ttl: Nanos) -> Result<DynConcurrency, QuotaError> {
        Ok(DynConcurrency {
            policy: SizedConcurrency::new(limit, ttl)?,
            state: SizedConcurrencyState::default(),
        })
    }

    /// The cap on live leases.
    pub fn limit(&self) -> u64 {
        self.policy.limit()
    }

    /// How long a lease lives after its acquisition or last renewal.
    pub fn ttl(&self) -> Nanos {
        self.policy.ttl()
    }

    /// The slots in the state: the size chosen from the ladder.
    pub fn slots(&self) -> usize {
        self.policy.slots()
    }

    /// Leases live at `now`.
    pub fn live(&self, now: Nanos) -> u64 {
        self.state.live(now)
    }

    /// [`Concurrency::acquire`] on this key.
    pub fn acquire(&mut self, now: Nanos) -> (Decision, Option<Lease>) {
        self.policy.acquire(&mut self.state, now)
    }

    /// [`Concurrency::renew`] on this key.
    pub fn renew(&mut self, lease: Lease, now: Nanos) -> bool {
        self.policy.renew(&mut self.state, lease, now)
    }

    /// [`Concurrency::release`] on this key.
    pub fn release(&mut self, lease: Lease, now: Nanos) -> bool {
        self.policy.release(&mut self.state, lease, now)
    }

    /// [`Concurrency::check`] on this key: `cost` anonymous leases that expire after `ttl`.
    pub fn check(&mut self, now: Nanos, cost: u64) -> Result<Decision, Error> {
        self.policy.check(&mut self.state, now, cost)
    }

    /// [`Concurrency::peek`] on this key.
    pub fn peek(&self, now: Nanos) -> Decision {
        self.policy.peek(&self.state, now)
    }

    /// [`Concurrency::is_fresh`] on this key.
    pub fn is_fresh(&self, now: Nanos) -> bool {
        self.policy.is_fresh(&self.state, now)
    }

    /// [`Concurrency::reset`] on this key: every slot is freed.
    pub fn reset(&mut self) {
        self.policy.reset(&mut self.state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_take_the_smallest_size_that_holds_the_entries() {
        let q = Quota::per_second(5).unwrap();
        for (asked, got) in [(0, 4), (4, 4), (5, 16), (65, 256), (4096, 4096)] {
            assert_eq!(
                DynSlidingLog::with_entries(q, asked).unwrap().entries(),
                got
            );
        }
        assert_eq!(
            DynSlidingLog::with_entries(q, 4097),
            Err(QuotaError::LimitExceedsSlots)
        );
    }

    #[test]
    fn a_log_decides_as_the_sized_log_does() {
        let q = Quota::parse("5/second").unwrap();
        let mut dynamic = DynSlidingLog::exact(q).unwrap();
        let sized = SlidingLog::<16>::new(q);
        let mut state = SlidingLogState::<16>::default();
        for i in 0..60_u64 {
            let now = Nanos::from_millis(i * 77);
            let cost = i % 4;
            assert_eq!(dynamic.check(now, cost), sized.check(&mut state, now, cost));
            assert_eq!(dynamic.peek(now), sized.peek(&state, now));
            assert_eq!(dynamic.is_fresh(now), sized.is_fresh(&state, now));
        }
        dynamic.reset();
        assert!(dynamic.is_empty());
    }

    #[test]
    fn a_fresh_state_allocates_nothing_until_a_request_is_recorded() {
        let log = SizedSlidingLog::exact(Quota::parse("3/second").unwrap()).unwrap();
        let mut key = SizedSlidingLogState::default();
        assert_eq!(log.peek(&key, Nanos::ZERO).remaining, 3);
        assert_eq!(log.check(&mut key, Nanos::ZERO, 0).unwrap().remaining, 3);
        assert_eq!(key.entries(), 0);
        assert!(log.check(&mut key, Nanos::ZERO, 1).unwrap().allowed);
        assert_eq!(key.entries(), 4);
        let fresh_peek = log.peek(&SizedSlidingLogState::default(), Nanos::ZERO);
        log.reset(&mut key);
        assert_eq!(
            (key.entries(), log.peek(&key, Nanos::ZERO)),
            (0, fresh_peek)
        );
    }

    #[test]
    fn a_state_keeps_its_size_under_a_larger_quota_until_it_is_fresh() {
        let small = SizedSlidingLog::exact(Quota::parse("4/second").unwrap()).unwrap();
        let large = SizedSlidingLog::exact(Quota::parse("10/second").unwrap()).unwrap();
        let mut key = SizedSlidingLogState::default();
        for _ in 0..4 {
            assert!(small.check(&mut key, Nanos::ZERO, 1).unwrap().allowed);
        }
        // Under the larger quota the 4-entry log admits less than the limit, never more.
        let d = large.check(&mut key, Nanos::ZERO, 1).unwrap();
        assert!(!d.allowed && d.retry_after == Nanos::from_secs(1));
        // Fresh again: the key takes the new size.
        assert!(
            large
                .check(&mut key, Nanos::from_secs(1), 10)
                .unwrap()
                .allowed
        );
        assert_eq!(key.entries(), 16);
    }

    #[test]
    fn leases_take_the_smallest_power_of_two_slots() {
        let ttl = Nanos::from_secs(1);
        for (limit, slots) in [(1, 1), (2, 2), (3, 4), (10, 16), (50, 64), (4096, 4096)] {
            let c = DynConcurrency::new(limit, ttl).unwrap();
            assert_eq!((c.slots(), c.limit(), c.ttl()), (slots, limit, ttl));
        }
        assert_eq!(
            DynConcurrency::new(4097, ttl),
            Err(QuotaError::LimitExceedsSlots)
        );
        assert_eq!(DynConcurrency::new(0, ttl), Err(QuotaError::ZeroLimit));
        assert_eq!(
            DynConcurrency::new(1, Nanos::ZERO),
            Err(QuotaError::ZeroPeriod)
        );
    }

    #[test]
    fn leases_decide_as_the_sized_leases_do() {
        let ttl = Nanos::from_secs(3);
        let mut dynamic = DynConcurrency::new(3, ttl).unwrap();
        let sized = Concurrency::<4>::from_nanos(3, ttl.as_nanos()).unwrap();
        let mut state = ConcurrencyState::<4>::default();
        let mut held = std::vec::Vec::new();
        for i in 0..40_u64 {
            let now = Nanos::from_millis(i * 400);
            assert_eq!(dynamic.peek(now), sized.peek(&state, now));
            let (a, la) = dynamic.acquire(now);
            let (b, lb) = sized.acquire(&mut state, now);
            assert_eq!((a, la), (b, lb));
            held.extend(la);
            if i % 3 == 0
                && let Some(lease) = held.pop()
            {
                assert_eq!(
                    dynamic.release(lease, now),
                    sized.release(&mut state, lease, now)
                );
            }
            if let Some(&lease) = held.first() {
                assert_eq!(
                    dynamic.renew(lease, now),
                    sized.renew(&mut state, lease, now)
                );
            }
            assert_eq!(dynamic.live(now), state.live(now));
            assert_eq!(dynamic.check(now, 1), sized.check(&mut state, now, 1));
        }
        dynamic.reset();
        assert_eq!(dynamic.live(Nanos::ZERO), 0);
    }
}
