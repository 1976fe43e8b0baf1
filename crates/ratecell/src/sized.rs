//! [`DynSlidingLog`] and [`DynConcurrency`]: the const-generic algorithms with their size
//! chosen at runtime, each holding one key's state on the heap.
//!
//! [`SlidingLog<N>`](SlidingLog) and [`Concurrency<SLOTS>`](Concurrency) size their state
//! with a const generic, so that it needs no allocation and can live in a `static`. A binding
//! (C, Python, Node) learns the size only at runtime, from its caller's quota. These types
//! pick the smallest size from a fixed ladder that holds what was asked for, box the state,
//! and dispatch every call to that size: one dispatch in the core instead of one per binding.
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

use std::boxed::Box;

use crate::concurrency::{Concurrency, ConcurrencyState, Lease};
use crate::decision::Decision;
use crate::error::{Error, QuotaError};
use crate::quota::Quota;
use crate::sliding_log::{SlidingLog, SlidingLogState};
use crate::time::Nanos;

/// Declares a ladder enum with one `(policy, boxed state)` variant per size, and `$with!`,
/// which runs an expression with the variant's policy and state bound.
macro_rules! ladder {
    ($enum:ident, $with:ident, $policy:ident, $state:ident, [$($variant:ident = $n:literal),+]) => {
        #[derive(Clone, Debug, PartialEq, Eq)]
        enum $enum {
            $($variant($policy<$n>, Box<$state<$n>>),)+
        }

        impl $enum {
            /// The const size of the variant.
            const fn size(&self) -> usize {
                match self {
                    $($enum::$variant(..) => $n,)+
                }
            }
        }

        macro_rules! $with {
            ($value:expr, |$p:ident, $s:ident| $body:expr) => {
                match $value {
                    $($enum::$variant($p, $s) => $body,)+
                }
            };
        }
    };
}

ladder!(
    Logs,
    with_log,
    SlidingLog,
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
    Concurrency,
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

/// A [`SlidingLog`] for one key, with room for at least a number of entries chosen at
/// runtime (see the [module documentation](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynSlidingLog {
    log: Logs,
}

impl DynSlidingLog {
    /// The most entries a log may ask for.
    pub const MAX_ENTRIES: usize = 4096;

    /// A log with room for `quota.limit()` entries: exact over every window, since no window
    /// admits more than `limit` requests. A limit above [`DynSlidingLog::MAX_ENTRIES`] is
    /// [`QuotaError::LimitExceedsSlots`].
    pub fn exact(quota: Quota) -> Result<DynSlidingLog, QuotaError> {
        let entries = usize::try_from(quota.limit()).unwrap_or(usize::MAX);
        DynSlidingLog::with_entries(quota, entries)
    }

    /// A log with room for at least `entries` entries (at least 4). Fewer entries than the
    /// limit refuse unit requests once the log is full, so it admits less than the quota,
    /// never more. More than [`DynSlidingLog::MAX_ENTRIES`] is
    /// [`QuotaError::LimitExceedsSlots`].
    pub fn with_entries(quota: Quota, entries: usize) -> Result<DynSlidingLog, QuotaError> {
        let log = match entries {
            0..=4 => Logs::E4(SlidingLog::new(quota), Box::default()),
            5..=16 => Logs::E16(SlidingLog::new(quota), Box::default()),
            17..=64 => Logs::E64(SlidingLog::new(quota), Box::default()),
            65..=256 => Logs::E256(SlidingLog::new(quota), Box::default()),
            257..=1024 => Logs::E1K(SlidingLog::new(quota), Box::default()),
            1025..=4096 => Logs::E4K(SlidingLog::new(quota), Box::default()),
            _ => return Err(QuotaError::LimitExceedsSlots),
        };
        Ok(DynSlidingLog { log })
    }

    /// The room in the log: the size chosen from the ladder.
    pub fn entries(&self) -> usize {
        self.log.size()
    }

    /// The quota this log enforces.
    pub fn quota(&self) -> &Quota {
        with_log!(&self.log, |p, _s| p.quota())
    }

    /// The capacity: the quota's `limit`, the most a single request may cost.
    pub fn capacity(&self) -> u64 {
        with_log!(&self.log, |p, _s| p.capacity())
    }

    /// Entries stored, including any that left the window but were not dropped yet.
    pub fn len(&self) -> usize {
        with_log!(&self.log, |_p, s| s.len())
    }

    /// True when nothing is logged.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// [`SlidingLog::check`] on this key.
    pub fn check(&mut self, now: Nanos, cost: u64) -> Result<Decision, Error> {
        with_log!(&mut self.log, |p, s| p.check(s, now, cost))
    }

    /// [`SlidingLog::peek`] on this key.
    pub fn peek(&self, now: Nanos) -> Decision {
        with_log!(&self.log, |p, s| p.peek(s, now))
    }

    /// [`SlidingLog::is_fresh`] on this key.
    pub fn is_fresh(&self, now: Nanos) -> bool {
        with_log!(&self.log, |p, s| p.is_fresh(s, now))
    }

    /// Resets the key to fresh.
    pub fn reset(&mut self) {
        with_log!(&mut self.log, |p, s| p.reset(s));
    }
}

/// [`Concurrency`] leases for one key, with the slot count chosen at runtime from the limit
/// (see the [module documentation](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynConcurrency {
    leases: Leases,
}

impl DynConcurrency {
    /// The largest limit: the top of the slot ladder.
    pub const MAX_LIMIT: u64 = 4096;

    /// At most `limit` live leases, each live for `ttl` after its acquisition or last
    /// renewal. A zero limit or ttl is [`QuotaError::ZeroLimit`] or
    /// [`QuotaError::ZeroPeriod`]; a limit above [`DynConcurrency::MAX_LIMIT`] is
    /// [`QuotaError::LimitExceedsSlots`].
    pub fn new(limit: u64, ttl: Nanos) -> Result<DynConcurrency, QuotaError> {
        fn sized<const S: usize>(
            limit: u64,
            ttl: Nanos,
        ) -> Result<(Concurrency<S>, Box<ConcurrencyState<S>>), QuotaError> {
            Ok((
                Concurrency::from_nanos(limit, ttl.as_nanos())?,
                Box::default(),
            ))
        }
        let leases = match limit.max(1).next_power_of_two() {
            1 => sized(limit, ttl).map(|(p, s)| Leases::S1(p, s)),
            2 => sized(limit, ttl).map(|(p, s)| Leases::S2(p, s)),
            4 => sized(limit, ttl).map(|(p, s)| Leases::S4(p, s)),
            8 => sized(limit, ttl).map(|(p, s)| Leases::S8(p, s)),
            16 => sized(limit, ttl).map(|(p, s)| Leases::S16(p, s)),
            32 => sized(limit, ttl).map(|(p, s)| Leases::S32(p, s)),
            64 => sized(limit, ttl).map(|(p, s)| Leases::S64(p, s)),
            128 => sized(limit, ttl).map(|(p, s)| Leases::S128(p, s)),
            256 => sized(limit, ttl).map(|(p, s)| Leases::S256(p, s)),
            512 => sized(limit, ttl).map(|(p, s)| Leases::S512(p, s)),
            1024 => sized(limit, ttl).map(|(p, s)| Leases::S1K(p, s)),
            2048 => sized(limit, ttl).map(|(p, s)| Leases::S2K(p, s)),
            4096 => sized(limit, ttl).map(|(p, s)| Leases::S4K(p, s)),
            _ => Err(QuotaError::LimitExceedsSlots),
        }?;
        Ok(DynConcurrency { leases })
    }

    /// The cap on live leases.
    pub fn limit(&self) -> u64 {
        with_leases!(&self.leases, |p, _s| p.limit())
    }

    /// How long a lease lives after its acquisition or last renewal.
    pub fn ttl(&self) -> Nanos {
        with_leases!(&self.leases, |p, _s| p.ttl())
    }

    /// The slots in the state: the size chosen from the ladder.
    pub fn slots(&self) -> usize {
        self.leases.size()
    }

    /// Leases live at `now`.
    pub fn live(&self, now: Nanos) -> u64 {
        with_leases!(&self.leases, |_p, s| s.live(now))
    }

    /// [`Concurrency::acquire`] on this key.
    pub fn acquire(&mut self, now: Nanos) -> (Decision, Option<Lease>) {
        with_leases!(&mut self.leases, |p, s| p.acquire(s, now))
    }

    /// [`Concurrency::renew`] on this key.
    pub fn renew(&mut self, lease: Lease, now: Nanos) -> bool {
        with_leases!(&mut self.leases, |p, s| p.renew(s, lease, now))
    }

    /// [`Concurrency::release`] on this key.
    pub fn release(&mut self, lease: Lease, now: Nanos) -> bool {
        with_leases!(&mut self.leases, |p, s| p.release(s, lease, now))
    }

    /// [`Concurrency::check`] on this key: `cost` anonymous leases that expire after `ttl`.
    pub fn check(&mut self, now: Nanos, cost: u64) -> Result<Decision, Error> {
        with_leases!(&mut self.leases, |p, s| p.check(s, now, cost))
    }

    /// [`Concurrency::peek`] on this key.
    pub fn peek(&self, now: Nanos) -> Decision {
        with_leases!(&self.leases, |p, s| p.peek(s, now))
    }

    /// [`Concurrency::is_fresh`] on this key.
    pub fn is_fresh(&self, now: Nanos) -> bool {
        with_leases!(&self.leases, |p, s| p.is_fresh(s, now))
    }

    /// [`Concurrency::reset`] on this key: every slot is freed.
    pub fn reset(&mut self) {
        with_leases!(&mut self.leases, |p, s| p.reset(s));
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
