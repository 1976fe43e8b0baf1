//! [`Concurrency`]: leases that cap how many requests are in flight at once.
//!
//! API providers cap concurrent sessions per key (2 on a free tier, 10 on a starter plan, 50
//! on a pro plan). A holder *acquires* a [`Lease`] before the work starts and *releases* it
//! when the work ends; at most `limit` leases are live at any instant. A lease also expires
//! `ttl` after it was acquired or last *renewed*, so a holder that crashes (and never
//! releases) cannot leak its slot: long-running work renews before its lease runs out.
//!
//! The state is a fixed array of `SLOTS` slots (a const generic, at least `limit`), with no
//! allocation; each slot holds the serial number of its lease and the instant it expires.
//! Every operation is a scan of the slots, `O(SLOTS)`.
//!
//! # Decisions
//!
//! - `acquire` admits iff fewer than `limit` leases are live, and returns the new lease.
//! - `limit` is the cap; `remaining` is `limit - live` after the decision (how many more
//!   leases would be granted at this instant).
//! - A denial's `retry_after` is the time until the earliest live lease expires: with no
//!   other traffic (no release, no renewal) the same acquisition is refused at
//!   `now + retry_after - 1ns` and admitted at `now + retry_after`. A release frees a slot
//!   earlier, which no decision can foresee.
//! - `reset_after` is the time until the last live lease expires (all slots free again).
//! - [`Concurrency::check`] (the [`Algorithm`] form) acquires `cost` *anonymous* leases that
//!   cannot be released and simply expire after `ttl`: in-flight admission for callers that
//!   have no handle to keep. A cost above `limit` is [`Error::InsufficientCapacity`];
//!   `cost == 0` peeks.
//!
//! # Exactness and boundaries
//!
//! All times are whole nanoseconds and exact. A lease acquired (or renewed) at `t` is live on
//! `[t, t + ttl)`: at `t + ttl` exactly it has expired and its slot is free. Renewal moves the
//! expiry to `now + ttl` (it does not add to the old expiry) and fails for a lease that has
//! already expired, released or been replaced: an expired lease is never resurrected, since
//! its slot may already count as free.
//!
//! # Lease identity
//!
//! Releasing twice, renewing a released lease, or releasing a lease that expired and whose
//! slot was reused never touches another holder's slot: a lease names its slot *and* a serial
//! number, and a slot only answers to the serial it was granted with. Serials increase
//! strictly within a state (`max(last + 1, now)` in nanoseconds), so they are never reused
//! while the state exists. Because serials follow the clock, a state that was reclaimed by a
//! keyed table (see [`is_fresh`](Concurrency::is_fresh)) and recreated later issues serials
//! above every serial of its earlier life: a lease from before the reclamation stays stale.
//! This last guarantee assumes the clock does not step back below the reclamation instant.
//!
//! A state is *fresh* (indistinguishable from a new one, so reclaimable) when no lease is
//! live and the clock has passed its last serial. That is usually the instant its last lease
//! expires; after everything was released it is at most one nanosecond later.
//!
//! A clock that steps backwards never admits extra: leases only look live for longer.
//!
//! # Runtime reconfiguration
//!
//! `limit` and `ttl` may change between calls on the same state (same `SLOTS`). Live leases
//! keep their expiry; a lower `limit` refuses acquisitions until enough leases end; a new
//! `ttl` applies to acquisitions and renewals from then on.
//!
//! # Keyed
//!
//! Per-key caps use the keyed tables: `KeyedTable<K, Concurrency<SLOTS>, N>` (no `std`) and,
//! with `std`, `KeyedStore<K, Concurrency<SLOTS>>` have `acquire`, `renew` and `release`
//! taking the key. Pass a lease back with the key that acquired it.
//!
//! ```
//! use core::time::Duration;
//! use ratecell::{Concurrency, ConcurrencyState, Nanos};
//!
//! // The Free/Test tier: two concurrent sessions; a session must renew every 30 s.
//! let sessions = Concurrency::<2>::new(2, Duration::from_secs(30))?;
//! let mut key = ConcurrencyState::default();
//!
//! let (first, a) = sessions.acquire(&mut key, Nanos::ZERO);
//! let (_, b) = sessions.acquire(&mut key, Nanos::from_secs(1));
//! assert!(first.allowed && a.is_some() && b.is_some());
//!
//! let (third, none) = sessions.acquire(&mut key, Nanos::from_secs(2));
//! assert!(!third.allowed && none.is_none());
//! assert_eq!(third.retry_after, Nanos::from_secs(28)); // lease `a` expires at 30 s
//!
//! let a = a.expect("granted");
//! assert!(sessions.release(&mut key, a, Nanos::from_secs(3)));
//! assert!(!sessions.release(&mut key, a, Nanos::from_secs(3))); // idempotent
//! assert!(sessions.acquire(&mut key, Nanos::from_secs(3)).0.allowed);
//! # Ok::<(), ratecell::Error>(())
//! ```

use core::borrow::Borrow;
use core::hash::{BuildHasher, Hash};
use core::num::NonZeroU64;
use core::time::Duration;
#[cfg(feature = "std")]
use std::borrow::ToOwned;

use crate::Algorithm;
use crate::decision::Decision;
use crate::error::{Error, QuotaError};
#[cfg(feature = "std")]
use crate::keyed::KeyedStore;
use crate::keyed::{Keyed, KeyedTable, full_decision};
use crate::time::Nanos;

/// The concurrency policy: at most `limit` live leases per state, each live for `ttl` after
/// its acquisition or last renewal. `SLOTS` (at least `limit`) sizes the state.
///
/// ```
/// use core::time::Duration;
/// use ratecell::{Concurrency, QuotaError};
///
/// let pro = Concurrency::<64>::new(50, Duration::from_secs(300))?;
/// assert_eq!(pro.limit(), 50);
/// assert_eq!(
///     Concurrency::<8>::new(10, Duration::from_secs(300)),
///     Err(QuotaError::LimitExceedsSlots)
/// );
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Concurrency<const SLOTS: usize> {
    limit: NonZeroU64,
    ttl: NonZeroU64,
}

/// One key's leases: `SLOTS` slots of 16 bytes and an 8-byte serial counter. `Copy`; the
/// default value is a fresh key.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConcurrencyState<const SLOTS: usize> {
    slots: [Slot; SLOTS],
    /// The last serial issued; 0 before the first.
    last_serial: u64,
}

/// A slot: the serial of the lease it was last granted to (0: never, or released) and when
/// that lease expires.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
struct Slot {
    serial: u64,
    expires_at: Nanos,
}

impl Slot {
    const EMPTY: Slot = Slot {
        serial: 0,
        expires_at: Nanos::ZERO,
    };

    const fn is_live(&self, now: Nanos) -> bool {
        self.serial != 0 && now.as_nanos() < self.expires_at.as_nanos()
    }
}

/// How many leases are live, and when the first and the last of them expire.
#[derive(Copy, Clone)]
struct Census {
    live: u64,
    /// `Nanos::MAX` when no lease is live.
    earliest: Nanos,
    /// `Nanos::ZERO` when no lease is live.
    latest: Nanos,
}

impl Census {
    const NONE: Census = Census {
        live: 0,
        earliest: Nanos::MAX,
        latest: Nanos::ZERO,
    };
}

/// A granted lease: its slot and its serial number. `Copy`, 16 bytes; hand it back to
/// [`Concurrency::release`] or [`Concurrency::renew`] with the state (or key) it came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Lease {
    serial: u64,
    slot: u32,
}

impl Lease {
    /// Rebuilds a lease from [`Lease::slot`] and [`Lease::serial`], for bindings that keep
    /// the two numbers outside Rust.
    pub const fn from_parts(slot: u32, serial: u64) -> Lease {
        Lease { serial, slot }
    }

    /// The slot the lease occupies.
    pub const fn slot(&self) -> u32 {
        self.slot
    }

    /// The lease's serial number, unique within its state.
    pub const fn serial(&self) -> u64 {
        self.serial
    }
}

impl<const SLOTS: usize> ConcurrencyState<SLOTS> {
    /// A key that never held a lease.
    pub const FRESH: ConcurrencyState<SLOTS> = ConcurrencyState {
        slots: [Slot::EMPTY; SLOTS],
        last_serial: 0,
    };

    /// How many leases are live at `now`.
    pub fn live(&self, now: Nanos) -> u64 {
        self.slots.iter().filter(|s| s.is_live(now)).count() as u64
    }

    /// The live leases at `now`, with the instant each expires.
    pub fn leases(&self, now: Nanos) -> impl Iterator<Item = (Lease, Nanos)> + '_ {
        self.slots
            .iter()
            .zip(0_u32..)
            .filter(move |(s, _)| s.is_live(now))
            .map(|(s, slot)| {
                let lease = Lease {
                    serial: s.serial,
                    slot,
                };
                (lease, s.expires_at)
            })
    }

    /// The live leases at `now`, counted in one pass.
    fn census(&self, now: Nanos) -> Census {
        self.slots
            .iter()
            .filter(|s| s.is_live(now))
            .fold(Census::NONE, |c, s| Census {
                live: c.live + 1,
                earliest: c.earliest.min(s.expires_at),
                latest: c.latest.max(s.expires_at),
            })
    }

    /// The `k`-th earliest expiry among live leases (`k >= 2`; the first is in the census).
    fn kth_expiry(&self, now: Nanos, k: u64) -> Option<Nanos> {
        let live = self.slots.iter().filter(|s| s.is_live(now));
        let mut expiries: heapless::Vec<Nanos, SLOTS> = live.map(|s| s.expires_at).collect();
        expiries.sort_unstable();
        let k = usize::try_from(k - 1).ok()?;
        expiries.get(k).copied()
    }
}

impl<const SLOTS: usize> Default for ConcurrencyState<SLOTS> {
    fn default() -> Self {
        ConcurrencyState::FRESH
    }
}

impl<const SLOTS: usize> Concurrency<SLOTS> {
    /// At most `limit` live leases, each expiring `ttl` after acquisition or renewal.
    ///
    /// `limit` must be between 1 and `SLOTS`, `ttl` longer than zero and at most 584 years.
    /// `SLOTS` must be between 1 and `u32::MAX` (checked at compile time).
    pub const fn new(limit: u64, ttl: Duration) -> Result<Self, QuotaError> {
        let ns = ttl.as_nanos();
        if ns > u64::MAX as u128 {
            return Err(QuotaError::PeriodTooLong);
        }
        Self::from_nanos(limit, ns as u64)
    }

    /// [`Concurrency::new`] with the TTL in nanoseconds, for C callers.
    pub const fn from_nanos(limit: u64, ttl_ns: u64) -> Result<Self, QuotaError> {
        const {
            assert!(SLOTS > 0, "a Concurrency state needs at least one slot");
            assert!(
                SLOTS as u64 <= u32::MAX as u64,
                "lease slots are numbered with u32"
            );
        }
        let Some(limit) = NonZeroU64::new(limit) else {
            return Err(QuotaError::ZeroLimit);
        };
        let Some(ttl) = NonZeroU64::new(ttl_ns) else {
            return Err(QuotaError::ZeroPeriod);
        };
        if limit.get() > SLOTS as u64 {
            return Err(QuotaError::LimitExceedsSlots);
        }
        Ok(Concurrency { limit, ttl })
    }

    /// A policy from validated numbers, with the limit capped at `SLOTS`: for a state sized
    /// before a larger limit was configured, which then admits less than the limit, never more.
    #[cfg(feature = "std")]
    pub(crate) const fn clamped(limit: NonZeroU64, ttl: NonZeroU64) -> Self {
        let limit = match NonZeroU64::new(SLOTS as u64) {
            Some(slots) if slots.get() < limit.get() => slots,
            _ => limit,
        };
        Concurrency { limit, ttl }
    }

    /// The most leases live at once.
    pub const fn limit(&self) -> u64 {
        self.limit.get()
    }

    /// How long a lease lives after its acquisition or last renewal.
    pub const fn ttl(&self) -> Nanos {
        Nanos::new(self.ttl.get())
    }

    /// Acquires one lease at `now` when fewer than `limit` are live.
    ///
    /// Admitted: the decision and `Some(lease)`. Refused: a denial whose `retry_after` is the
    /// time until the earliest live lease expires, and `None`.
    pub fn acquire(
        &self,
        state: &mut ConcurrencyState<SLOTS>,
        now: Nanos,
    ) -> (Decision, Option<Lease>) {
        self.admit(state, now, 1)
    }

    /// Extends a live lease to expire `ttl` after `now`. Returns `false`, and changes nothing,
    /// when the lease is no longer live (expired, released, or its slot was reused).
    pub fn renew(&self, state: &mut ConcurrencyState<SLOTS>, lease: Lease, now: Nanos) -> bool {
        match Self::slot_of(state, lease) {
            Some(slot) if slot.is_live(now) => {
                slot.expires_at = now.saturating_add(self.ttl());
                true
            }
            _ => false,
        }
    }

    /// Releases a lease. Returns `true` when it was live and its slot is now free; `false` for a
    /// lease that was already released, expired, or replaced. Never frees another holder's
    /// slot.
    pub fn release(&self, state: &mut ConcurrencyState<SLOTS>, lease: Lease, now: Nanos) -> bool {
        match Self::slot_of(state, lease) {
            Some(slot) => {
                let was_live = slot.is_live(now);
                *slot = Slot::EMPTY;
                was_live
            }
            None => false,
        }
    }

    /// Acquires `cost` anonymous leases (they cannot be released and expire after `ttl`), the
    /// [`Algorithm`] form. `cost == 0` peeks; `cost > limit` is
    /// [`Error::InsufficientCapacity`]. A denial's `retry_after` is the time until enough live
    /// leases have expired.
    pub fn check(
        &self,
        state: &mut ConcurrencyState<SLOTS>,
        now: Nanos,
        cost: u64,
    ) -> Result<Decision, Error> {
        if cost > self.limit.get() {
            return Err(Error::InsufficientCapacity {
                capacity: self.limit.get(),
            });
        }
        Ok(self.admit(state, now, cost).0)
    }

    /// The key's standing at `now`, recording nothing.
    pub fn peek(&self, state: &ConcurrencyState<SLOTS>, now: Nanos) -> Decision {
        self.standing(true, state.census(now), now, Nanos::ZERO)
    }

    /// Ends every lease at once. The serial counter is kept, so leases granted before the
    /// reset stay stale.
    pub fn reset(&self, state: &mut ConcurrencyState<SLOTS>) {
        state.slots = [Slot::EMPTY; SLOTS];
    }

    /// True when no lease is live and the clock has passed the last serial issued: the state
    /// is then indistinguishable from a new one and a keyed table may reclaim it.
    pub fn is_fresh(&self, state: &ConcurrencyState<SLOTS>, now: Nanos) -> bool {
        (state.last_serial == 0 || state.last_serial < now.as_nanos())
            && !state.slots.iter().any(|s| s.is_live(now))
    }

    /// The slot a lease names, if it still holds that lease (live or expired).
    fn slot_of(state: &mut ConcurrencyState<SLOTS>, lease: Lease) -> Option<&mut Slot> {
        let index = usize::try_from(lease.slot).ok()?;
        state
            .slots
            .get_mut(index)
            .filter(|s| s.serial != 0 && s.serial == lease.serial)
    }

    /// Grants `cost` leases (returning the last one) or refuses.
    fn admit(
        &self,
        state: &mut ConcurrencyState<SLOTS>,
        now: Nanos,
        cost: u64,
    ) -> (Decision, Option<Lease>) {
        let census = state.census(now);
        if cost == 0 {
            return (self.standing(true, census, now, Nanos::ZERO), None);
        }
        let limit = self.limit.get();
        if census.live.saturating_add(cost) > limit {
            // `cost <= limit`, so `need <= live`: that many live leases must end first.
            let need = census.live.saturating_add(cost).saturating_sub(limit);
            let at = if need == 1 {
                Some(census.earliest)
            } else {
                state.kth_expiry(now, need)
            };
            let retry_after = at.map_or(Nanos::MAX, |at| at.saturating_sub(now));
            return (self.standing(false, census, now, retry_after), None);
        }
        // Serials `first ..= last`, strictly above every serial issued before.
        let first = state.last_serial.saturating_add(1).max(now.as_nanos());
        let Some(last) = first
            .checked_add(cost - 1)
            .filter(|_| state.last_serial < u64::MAX)
        else {
            // The serials are exhausted (only at the very end of time): no lease can be told
            // apart from an earlier one any more, so none is granted.
            return (self.standing(false, census, now, Nanos::MAX), None);
        };
        let expires_at = now.saturating_add(self.ttl());
        let mut issued = 0;
        let mut granted = None;
        // `limit <= SLOTS` and `live + cost <= limit`: there are at least `cost` free slots.
        for (slot, index) in state.slots.iter_mut().zip(0_u32..) {
            if issued == cost {
                break;
            }
            if !slot.is_live(now) {
                let serial = first.saturating_add(issued);
                *slot = Slot { serial, expires_at };
                granted = Some(Lease {
                    serial,
                    slot: index,
                });
                issued += 1;
            }
        }
        state.last_serial = last;
        let after = Census {
            live: census.live + issued,
            earliest: census.earliest.min(expires_at),
            latest: census.latest.max(expires_at),
        };
        (self.standing(true, after, now, Nanos::ZERO), granted)
    }

    /// A decision reporting the live leases counted in `census` at `now`.
    fn standing(&self, allowed: bool, census: Census, now: Nanos, retry_after: Nanos) -> Decision {
        let limit = self.limit.get();
        Decision {
            allowed,
            limit,
            remaining: limit.saturating_sub(census.live),
            retry_after,
            reset_after: census.latest.saturating_sub(now),
        }
    }
}

impl<const SLOTS: usize> Algorithm for Concurrency<SLOTS> {
    type State = ConcurrencyState<SLOTS>;

    fn capacity(&self) -> u64 {
        self.limit.get()
    }

    fn check(
        &self,
        state: &mut ConcurrencyState<SLOTS>,
        now: Nanos,
        cost: u64,
    ) -> Result<Decision, Error> {
        Concurrency::check(self, state, now, cost)
    }

    fn peek(&self, state: &ConcurrencyState<SLOTS>, now: Nanos) -> Decision {
        Concurrency::peek(self, state, now)
    }

    fn is_fresh(&self, state: &ConcurrencyState<SLOTS>, now: Nanos) -> bool {
        Concurrency::is_fresh(self, state, now)
    }
}

/// Per-key concurrency caps in a fixed table: one [`ConcurrencyState`] per key.
///
/// A key is stored while it holds a live lease and reclaimed once fresh (see
/// [`Concurrency::is_fresh`]). Pass each lease back with the key that acquired it.
///
/// ```
/// use core::time::Duration;
/// use ratecell::{Concurrency, KeyedTable, Nanos, WhenFull};
///
/// // Starter plan: 10 concurrent sessions per API key, for up to 1,000 keys.
/// let starter = Concurrency::<10>::new(10, Duration::from_secs(60))?;
/// let mut sessions: KeyedTable<u64, _, 1000> = KeyedTable::new(starter, WhenFull::FailClosed);
///
/// let (d, lease) = sessions.acquire(7, Nanos::ZERO);
/// assert!(d.allowed());
/// assert_eq!(d.decision().remaining, 9);
/// let lease = lease.expect("granted");
/// assert!(sessions.renew(&7, lease, Nanos::from_secs(50)));
/// assert!(sessions.release(&7, lease, Nanos::from_secs(70)));
/// assert!(!sessions.release(&7, lease, Nanos::from_secs(70)));
/// # Ok::<(), ratecell::Error>(())
/// ```
impl<K, const SLOTS: usize, const N: usize, H> KeyedTable<K, Concurrency<SLOTS>, N, H>
where
    K: Hash + Eq,
    H: BuildHasher,
{
    /// Acquires one lease for `key` at `now` (see [`Concurrency::acquire`]). A new key that
    /// finds the table full is [`Keyed::Full`] under [`WhenFull::FailClosed`](crate::WhenFull).
    pub fn acquire(&mut self, key: K, now: Nanos) -> (Keyed, Option<Lease>) {
        let done = self.upsert(key, now, |policy, state| {
            let (d, lease) = policy.acquire(state, now);
            ((d, lease), d.reset_after)
        });
        match done {
            Ok((d, lease)) => (Keyed::Decided(d), lease),
            Err(retry_after) => (full_decision(self.policy().limit(), retry_after), None),
        }
    }

    /// Renews `key`'s `lease` at `now` (see [`Concurrency::renew`]).
    pub fn renew<Q>(&mut self, key: &Q, lease: Lease, now: Nanos) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.modify(key, now, |policy, state| {
            let renewed = policy.renew(state, lease, now);
            (renewed, policy.peek(state, now).reset_after)
        })
        .unwrap_or(false)
    }

    /// Releases `key`'s `lease` at `now` (see [`Concurrency::release`]); idempotent.
    pub fn release<Q>(&mut self, key: &Q, lease: Lease, now: Nanos) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.modify(key, now, |policy, state| {
            let released = policy.release(state, lease, now);
            (released, policy.peek(state, now).reset_after)
        })
        .unwrap_or(false)
    }
}

/// Per-key concurrency caps shared between threads: one [`ConcurrencyState`] per key.
///
/// ```
/// use core::time::Duration;
/// use ratecell::{Concurrency, KeyedStore, Nanos, WhenFull};
///
/// // Free/Test tier: 2 concurrent sessions per API key.
/// let free = Concurrency::<2>::new(2, Duration::from_secs(30))?;
/// let sessions: KeyedStore<String, _> = KeyedStore::new(free, 10_000, WhenFull::FailClosed);
///
/// let (_, a) = sessions.acquire("key-a", Nanos::ZERO);
/// let (_, b) = sessions.acquire("key-a", Nanos::ZERO);
/// let (third, _) = sessions.acquire("key-a", Nanos::ZERO);
/// assert!(a.is_some() && b.is_some() && !third.allowed());
/// assert!(sessions.acquire("key-b", Nanos::ZERO).0.allowed());
/// assert!(sessions.release("key-a", a.expect("granted"), Nanos::from_secs(1)));
/// # Ok::<(), ratecell::Error>(())
/// ```
#[cfg(feature = "std")]
impl<K, const SLOTS: usize, H, L> KeyedStore<K, Concurrency<SLOTS>, H, L>
where
    K: Hash + Eq,
    H: BuildHasher,
    L: crate::Locking,
{
    /// Acquires one lease for `key` at `now` (see [`Concurrency::acquire`]).
    pub fn acquire<Q>(&self, key: &Q, now: Nanos) -> (Keyed, Option<Lease>)
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned,
        Q::Owned: Into<K>,
    {
        let done = self.upsert(key, now, |policy, state| {
            let (d, lease) = policy.acquire(state, now);
            ((d, lease), d.reset_after)
        });
        match done {
            Ok((d, lease)) => (Keyed::Decided(d), lease),
            Err(retry_after) => (full_decision(self.policy().limit(), retry_after), None),
        }
    }

    /// Renews `key`'s `lease` at `now` (see [`Concurrency::renew`]).
    pub fn renew<Q>(&self, key: &Q, lease: Lease, now: Nanos) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.modify(key, now, |policy, state| {
            let renewed = policy.renew(state, lease, now);
            (renewed, policy.peek(state, now).reset_after)
        })
        .unwrap_or(false)
    }

    /// Releases `key`'s `lease` at `now` (see [`Concurrency::release`]); idempotent.
    pub fn release<Q>(&self, key: &Q, lease: Lease, now: Nanos) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.modify(key, now, |policy, state| {
            let released = policy.release(state, lease, now);
            (released, policy.peek(state, now).reset_after)
        })
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(limit: u64) -> Concurrency<4> {
        Concurrency::from_nanos(limit, 100).unwrap()
    }

    #[test]
    fn a_slot_is_sixteen_bytes() {
        assert_eq!(core::mem::size_of::<ConcurrencyState<4>>(), 4 * 16 + 8);
    }

    #[test]
    fn refuses_at_the_limit_until_the_earliest_lease_expires() {
        let c = sessions(2);
        let mut s = ConcurrencyState::default();
        let (d, a) = c.acquire(&mut s, Nanos::new(10));
        assert!(d.allowed && a.is_some());
        assert_eq!((d.remaining, d.reset_after), (1, Nanos::new(100)));
        assert!(c.acquire(&mut s, Nanos::new(20)).0.allowed);
        let (d, none) = c.acquire(&mut s, Nanos::new(30));
        assert!(!d.allowed && none.is_none());
        assert_eq!(d.retry_after, Nanos::new(80));
        assert_eq!(d.reset_after, Nanos::new(90));
        assert!(!c.acquire(&mut s, Nanos::new(109)).0.allowed);
        assert!(c.acquire(&mut s, Nanos::new(110)).0.allowed);
    }

    #[test]
    fn stale_leases_never_free_a_reused_slot() {
        let c = sessions(1);
        let mut s = ConcurrencyState::default();
        let old = c.acquire(&mut s, Nanos::ZERO).1.unwrap();
        // `old` expires at 100; its slot goes to a new holder.
        let new = c.acquire(&mut s, Nanos::new(100)).1.unwrap();
        assert_eq!(old.slot(), new.slot());
        let before = s;
        assert!(!c.release(&mut s, old, Nanos::new(101)));
        assert!(!c.renew(&mut s, old, Nanos::new(101)));
        assert_eq!(s, before);
        assert!(c.release(&mut s, new, Nanos::new(101)));
        assert!(!c.release(&mut s, new, Nanos::new(101)));
    }

    #[test]
    fn renewal_extends_from_now_and_never_resurrects() {
        let c = sessions(1);
        let mut s = ConcurrencyState::default();
        let l = c.acquire(&mut s, Nanos::ZERO).1.unwrap();
        assert!(c.renew(&mut s, l, Nanos::new(99)));
        assert_eq!(c.peek(&s, Nanos::new(99)).reset_after, Nanos::new(100));
        assert!(!c.renew(&mut s, l, Nanos::new(199)));
        assert!(c.peek(&s, Nanos::new(199)).remaining == 1);
    }

    #[test]
    fn anonymous_checks_wait_for_enough_expiries() {
        let c = sessions(3);
        let mut s = ConcurrencyState::default();
        assert!(c.check(&mut s, Nanos::new(0), 1).unwrap().allowed);
        assert!(c.check(&mut s, Nanos::new(5), 1).unwrap().allowed);
        assert!(c.check(&mut s, Nanos::new(7), 1).unwrap().allowed);
        let d = c.check(&mut s, Nanos::new(8), 2).unwrap();
        assert!(!d.allowed);
        assert_eq!(d.retry_after, Nanos::new(105 - 8));
        assert_eq!(
            c.check(&mut s, Nanos::new(8), 4),
            Err(Error::InsufficientCapacity { capacity: 3 })
        );
    }

    #[test]
    fn freshness_waits_for_the_clock_to_pass_the_last_serial() {
        let c = sessions(2);
        let mut s = ConcurrencyState::default();
        assert!(c.is_fresh(&s, Nanos::ZERO));
        let l = c.acquire(&mut s, Nanos::new(50)).1.unwrap();
        assert!(c.release(&mut s, l, Nanos::new(50)));
        assert!(!c.is_fresh(&s, Nanos::new(50)));
        assert!(c.is_fresh(&s, Nanos::new(51)));
        // A recreated state issues serials above every earlier one.
        let again = c
            .acquire(&mut ConcurrencyState::default(), Nanos::new(51))
            .1;
        assert!(again.unwrap().serial() > l.serial());
    }

    #[test]
    fn no_panic_at_the_end_of_time() {
        let c = sessions(4);
        let mut s = ConcurrencyState::default();
        for now in [u64::MAX - 2, u64::MAX, 0, u64::MAX] {
            for cost in [0, 1, 3, 4] {
                let _ = c.check(&mut s, Nanos::new(now), cost);
            }
            let (_, l) = c.acquire(&mut s, Nanos::new(now));
            if let Some(l) = l {
                c.renew(&mut s, l, Nanos::new(now));
                c.release(&mut s, l, Nanos::new(now));
            }
        }
        assert!(s.live(Nanos::MAX) <= 4);
    }
}
