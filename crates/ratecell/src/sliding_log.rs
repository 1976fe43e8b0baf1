//! [`SlidingLog`]: the exact sliding window, one log entry per admitted request.
//!
//! A key keeps the instant and cost of each request it admitted, in a fixed-capacity ring of
//! `N` entries chosen by you (a const generic, checked at compile time to be at least 1).
//! A request of cost `n` at `now` is admitted iff the cost logged in the half-open window
//! `(now - period, now]` plus `n` is at most `limit`, and the log has room for its entry. It is
//! the exact form of "`limit` per `period`": in every window of length `period`, wherever it
//! starts, the admitted cost is at most `limit` (the invariant the property tests check).
//!
//! # Capacity: `limit` cost, `N` entries
//!
//! Like the other windows, the capacity ([`SlidingLog::capacity`], [`Decision::limit`]) is
//! the quota's `limit`; `Quota::burst` is not used. Independently, a request takes one entry
//! whatever its cost, so at most `N` admitted requests can be in flight within a period.
//! When the log is full but the cost would fit, the request is refused: a denial like any
//! other, whose `retry_after` is when the oldest entry leaves the window (or later, if the
//! cost also needs more entries to leave). `remaining` accounts for both budgets:
//! `min(limit - logged cost, N - logged entries)`. Choose `N >= limit` when requests of
//! cost 1 should be able to reach the limit. The state takes `16·N + 24` bytes, and a
//! decision costs a walk over the entries that left the window since the last admission
//! (and, for a denial, over those that must leave), not over the whole log.
//!
//! # Exactness and boundaries
//!
//! - An entry logged at `t` counts at every instant of `[t, t + period)` and leaves the
//!   window at exactly `t + period`.
//! - `remaining` is exact: that many unit requests are admitted at `now`, then a refusal.
//! - `retry_after` of a denial is exact: the wait until enough of the oldest entries have
//!   left that both the cost and the entry fit, which is always at some `t + period`.
//! - `reset_after` is the wait until the newest entry leaves the window.
//! - An instant beyond [`Nanos::MAX`] cannot be waited for: such waits are [`Nanos::MAX`].
//! - A zero-cost request (a peek) logs nothing and so needs no room.
//!
//! # Backwards clocks and quota changes
//!
//! The log stays ordered: an instant earlier than the newest entry counts as that entry's
//! instant, both for deciding and for logging. Entries that a clock step left "in the future"
//! therefore still count, and a clock that steps back never admits more.
//! The entries are absolute instants and costs, so they stay meaningful under a new quota:
//! the new period and limit apply to the logged history as it is, exactly.

use core::fmt;
use core::hash::{Hash, Hasher};
use core::num::NonZeroU64;

use crate::decision::Decision;
use crate::error::Error;
use crate::quota::Quota;
use crate::time::{Nanos, wait_until};

/// The sliding log policy: at most `limit` per any `period`, exactly, for at most `N`
/// requests per `period`.
///
/// It is immutable and holds no per-key state; each key's state is a [`SlidingLogState`] of
/// the same `N`. `N == 0` does not compile.
///
/// ```
/// use ratecell::{Nanos, Quota, SlidingLog, SlidingLogState};
///
/// let log = SlidingLog::<8>::new(Quota::parse("5/second")?);
/// let mut key = SlidingLogState::default();
///
/// assert!(log.check(&mut key, Nanos::from_millis(100), 3)?.allowed);
/// assert!(log.check(&mut key, Nanos::from_millis(700), 2)?.allowed);
///
/// // No window of one second may hold more than 5: the next request waits until the
/// // first entry leaves, at 1.1 s, exactly.
/// let d = log.check(&mut key, Nanos::from_millis(900), 1)?;
/// assert!(!d.allowed);
/// assert_eq!(d.retry_after, Nanos::from_millis(200));
/// assert_eq!(d.reset_after, Nanos::from_millis(800)); // the last entry leaves at 1.7 s
/// assert!(log.check(&mut key, Nanos::from_millis(1100), 3)?.allowed);
/// # Ok::<(), ratecell::Error>(())
/// ```
///
/// A capacity of zero entries is rejected when the program is built:
///
/// ```compile_fail
/// use ratecell::{Quota, SlidingLog};
/// let log = SlidingLog::<0>::new(Quota::per_second(5).unwrap());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SlidingLog<const N: usize> {
    quota: Quota,
    /// The window length in nanoseconds.
    period: NonZeroU64,
}

/// One logged request.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Entry {
    /// The instant it was logged at.
    at: u64,
    /// Its cost.
    cost: u64,
}

/// One key's sliding log: the instants and costs of the requests it admitted, oldest first,
/// in a ring of `N` entries. `Copy`; the default value is a fresh key.
///
/// Entries that have left the window are dropped the next time a request is logged, so
/// [`SlidingLogState::len`] may count some that no longer matter.
///
/// ```
/// use ratecell::{Nanos, Quota, SlidingLog, SlidingLogState};
///
/// let log = SlidingLog::<4>::new(Quota::per_second(10)?);
/// let mut key = SlidingLogState::<4>::new();
/// log.check(&mut key, Nanos::from_millis(5), 2)?;
/// log.check(&mut key, Nanos::from_millis(9), 1)?;
/// let entries: Vec<_> = key.iter().collect();
/// assert_eq!(entries, [(Nanos::from_millis(5), 2), (Nanos::from_millis(9), 1)]);
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone)]
pub struct SlidingLogState<const N: usize> {
    /// The ring; the live part starts at `head` and wraps around.
    entries: [Entry; N],
    /// The slot of the oldest entry (`< N`).
    head: usize,
    /// How many entries are stored (`<= N`).
    len: usize,
    /// The cost of the stored entries. Every entry is inside the window when it is logged,
    /// so this is at most the limit that admitted the newest one.
    total: u64,
}

impl<const N: usize> SlidingLogState<N> {
    /// An empty log: a key that has never been seen.
    pub const fn new() -> Self {
        const { assert!(N > 0, "a sliding log needs room for at least one entry") };
        SlidingLogState {
            entries: [Entry { at: 0, cost: 0 }; N],
            head: 0,
            len: 0,
            total: 0,
        }
    }

    /// How many entries are stored, including any that have left the window but were not
    /// dropped yet.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is logged.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The stored entries as `(instant, cost)`, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (Nanos, u64)> + '_ {
        self.entries_oldest_first()
            .map(|e| (Nanos::new(e.at), e.cost))
    }

    fn entries_oldest_first(&self) -> impl Iterator<Item = Entry> + '_ {
        (0..self.len).filter_map(|i| self.get(i))
    }

    /// The `i`-th entry, oldest first.
    fn get(&self, i: usize) -> Option<Entry> {
        if i >= self.len {
            return None;
        }
        self.entries.get(wrap::<N>(self.head, i)).copied()
    }

    /// The newest entry.
    fn newest(&self) -> Option<Entry> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    /// Drops the oldest entry.
    fn pop_oldest(&mut self) {
        if let Some(oldest) = self.get(0) {
            self.total = self.total.saturating_sub(oldest.cost);
            self.head = wrap::<N>(self.head, 1);
            self.len -= 1;
        }
    }

    /// Appends `entry` if there is room (callers make sure there is).
    fn push(&mut self, entry: Entry) {
        if self.len < N
            && let Some(slot) = self.entries.get_mut(wrap::<N>(self.head, self.len))
        {
            *slot = entry;
            self.len += 1;
            self.total = self.total.saturating_add(entry.cost);
        }
    }
}

/// The ring slot `offset` places after `slot`, for `slot < N` and `offset <= N`.
const fn wrap<const N: usize>(slot: usize, offset: usize) -> usize {
    let i = slot + offset;
    if i >= N { i - N } else { i }
}

impl<const N: usize> Default for SlidingLogState<N> {
    fn default() -> Self {
        SlidingLogState::new()
    }
}

impl<const N: usize> PartialEq for SlidingLogState<N> {
    /// Two logs are equal when they hold the same entries in the same order, wherever they
    /// sit in the ring.
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.entries_oldest_first().eq(other.entries_oldest_first())
    }
}

impl<const N: usize> Eq for SlidingLogState<N> {}

impl<const N: usize> Hash for SlidingLogState<N> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.len.hash(state);
        for e in self.entries_oldest_first() {
            e.hash(state);
        }
    }
}

impl<const N: usize> fmt::Debug for SlidingLogState<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries_oldest_first().map(|e| (e.at, e.cost)))
            .finish()
    }
}

impl<const N: usize> SlidingLog<N> {
    /// Compiles a quota. Every [`Quota`] is valid, so this cannot fail.
    pub const fn new(quota: Quota) -> Self {
        const { assert!(N > 0, "a sliding log needs room for at least one entry") };
        let period = match NonZeroU64::new(quota.period_nanos().as_nanos()) {
            Some(p) => p,
            // A quota's period is never zero.
            None => NonZeroU64::MIN,
        };
        SlidingLog { quota, period }
    }

    /// The quota this policy enforces.
    pub const fn quota(&self) -> &Quota {
        &self.quota
    }

    /// The capacity: the quota's `limit`, the most a single request may cost.
    pub const fn capacity(&self) -> u64 {
        self.quota.limit()
    }

    /// The most requests the log holds within one period: `N`.
    pub const fn entries(&self) -> usize {
        N
    }

    /// Decides a request of `cost` at `now` and logs it in `state` when admitted.
    ///
    /// `cost == 0` peeks: the decision reports the key's standing and logs nothing.
    /// A cost above the capacity is [`Error::InsufficientCapacity`]: no wait could admit it.
    /// A full log is not an error: the request is denied until the oldest entry leaves.
    pub fn check(
        &self,
        state: &mut SlidingLogState<N>,
        now: Nanos,
        cost: u64,
    ) -> Result<Decision, Error> {
        if cost > self.capacity() {
            return Err(Error::InsufficientCapacity {
                capacity: self.capacity(),
            });
        }
        let (decision, effective) = self.evaluate(state, now.as_nanos(), cost);
        if decision.allowed && cost > 0 {
            // Entries are in time order, so the ones that left the window lead the log.
            while state.get(0).is_some_and(|e| !self.counts(e, effective)) {
                state.pop_oldest();
            }
            state.push(Entry {
                at: effective,
                cost,
            });
        }
        Ok(decision)
    }

    /// The key's standing at `now` without logging anything (`check` with cost 0).
    pub fn peek(&self, state: &SlidingLogState<N>, now: Nanos) -> Decision {
        self.evaluate(state, now.as_nanos(), 0).0
    }

    /// Resets a key to fresh.
    pub fn reset(&self, state: &mut SlidingLogState<N>) {
        *state = SlidingLogState::new();
    }

    /// True when no logged request is inside the window at `now`: the key is
    /// indistinguishable from one never seen, so its storage can be reclaimed.
    pub fn is_fresh(&self, state: &SlidingLogState<N>, now: Nanos) -> bool {
        let effective = effective(state, now.as_nanos());
        state.newest().is_none_or(|e| !self.counts(e, effective))
    }

    /// True when `entry` is inside the window `(at - period, at]`.
    fn counts(&self, entry: Entry, at: u64) -> bool {
        u128::from(entry.at) + u128::from(self.period.get()) > u128::from(at)
    }

    /// The decision for `cost <= limit` at `now`, as if admitted requests were logged, and
    /// the instant they are logged at.
    fn evaluate(&self, state: &SlidingLogState<N>, now: u64, cost: u64) -> (Decision, u64) {
        let limit = u128::from(self.capacity());
        let effective = effective(state, now);
        let period = u128::from(self.period.get());
        // A zero-cost request logs nothing, so it needs no room.
        let room = usize::from(cost > 0);
        let fits = |logged: u128, len: usize| {
            logged.saturating_add(u128::from(cost)) <= limit && len.saturating_add(room) <= N
        };
        // Entries are in time order, so the ones that left the window lead the log: the
        // rest is the running total less theirs.
        let (gone_cost, gone_len) = state
            .entries_oldest_first()
            .take_while(|&e| !self.counts(e, effective))
            .fold((0_u64, 0_usize), |(c, n), e| {
                (c.saturating_add(e.cost), n + 1)
            });
        let logged = u128::from(state.total.saturating_sub(gone_cost));
        let len = state.len.saturating_sub(gone_len);
        let live = || state.entries_oldest_first().skip(gone_len);
        let remaining = |logged: u128, len: usize| {
            let by_cost = limit.saturating_sub(logged);
            let by_room = u128::try_from(N.saturating_sub(len)).unwrap_or(u128::MAX);
            u64::try_from(by_cost.min(by_room)).unwrap_or(u64::MAX)
        };
        // Entries are in time order: if any is inside the window, the newest is.
        let newest_live = state.newest().filter(|&e| self.counts(e, effective));
        let newest_leaves = |newest: Option<Entry>| {
            newest.map_or(Nanos::ZERO, |e| wait_until(u128::from(e.at) + period, now))
        };

        if fits(logged, len) {
            let (logged, len, newest) = if cost > 0 {
                let logged_now = Entry {
                    at: effective,
                    cost,
                };
                (logged + u128::from(cost), len + 1, Some(logged_now))
            } else {
                (logged, len, newest_live)
            };
            let decision = Decision {
                allowed: true,
                limit: self.capacity(),
                remaining: remaining(logged, len),
                retry_after: Nanos::ZERO,
                reset_after: newest_leaves(newest),
            };
            return (decision, effective);
        }

        // Denied: walk the oldest entries out of the window until the request fits. It fits
        // once all have left (cost <= limit and N >= 1), so the walk always ends.
        let (mut left_cost, mut left_len) = (logged, len);
        let mut retry_after = Nanos::MAX;
        for e in live() {
            left_cost = left_cost.saturating_sub(u128::from(e.cost));
            left_len = left_len.saturating_sub(1);
            if fits(left_cost, left_len) {
                retry_after = wait_until(u128::from(e.at) + period, now);
                break;
            }
        }
        let decision = Decision {
            allowed: false,
            limit: self.capacity(),
            remaining: remaining(logged, len),
            retry_after,
            reset_after: newest_leaves(newest_live),
        };
        (decision, effective)
    }
}

/// The instant a decision at `now` is made (and logged) at: `now`, or the newest entry's
/// instant when the clock stepped back before it.
fn effective<const N: usize>(state: &SlidingLogState<N>, now: u64) -> u64 {
    state.newest().map_or(now, |e| now.max(e.at))
}

forward_algorithm!([const N: usize] SlidingLog<N> => SlidingLogState<N>);

#[cfg(test)]
mod tests {
    use super::*;

    fn log<const N: usize>(s: &str) -> SlidingLog<N> {
        SlidingLog::new(Quota::parse(s).unwrap())
    }

    fn admitted<const N: usize>(
        l: &SlidingLog<N>,
        s: &mut SlidingLogState<N>,
        now: u64,
        n: usize,
    ) -> usize {
        (0..n)
            .filter(|_| l.check(s, Nanos::new(now), 1).unwrap().allowed)
            .count()
    }

    #[test]
    fn state_takes_sixteen_bytes_per_entry_and_twenty_four_more() {
        assert_eq!(core::mem::size_of::<SlidingLogState<1>>(), 40);
        assert_eq!(core::mem::size_of::<SlidingLogState<64>>(), 16 * 64 + 24);
    }

    #[test]
    fn the_window_is_half_open() {
        let l = log::<8>("3/10ns");
        let mut s = SlidingLogState::default();
        assert_eq!(admitted(&l, &mut s, 5, 5), 3);
        // The entries at 5 count during [5, 15) and leave at 15.
        assert_eq!(l.peek(&s, Nanos::new(14)).remaining, 0);
        let d = l.check(&mut s, Nanos::new(14), 1).unwrap();
        assert_eq!(
            (d.retry_after, d.reset_after),
            (Nanos::new(1), Nanos::new(1))
        );
        assert_eq!(l.peek(&s, Nanos::new(15)).remaining, 3);
        assert!(l.is_fresh(&s, Nanos::new(15)));
    }

    #[test]
    fn a_full_log_refuses_until_the_oldest_entry_leaves() {
        let l = log::<2>("10/100ns");
        let mut s = SlidingLogState::default();
        assert!(l.check(&mut s, Nanos::new(0), 1).unwrap().allowed);
        assert!(l.check(&mut s, Nanos::new(30), 1).unwrap().allowed);
        let d = l.check(&mut s, Nanos::new(50), 1).unwrap();
        assert!(!d.allowed);
        assert_eq!(d.remaining, 0);
        assert_eq!(d.retry_after, Nanos::new(50));
        assert!(l.check(&mut s, Nanos::new(100), 1).unwrap().allowed);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn the_ring_wraps_around() {
        let l = log::<3>("3/10ns");
        let mut s = SlidingLogState::default();
        for t in 0..40 {
            assert!(l.check(&mut s, Nanos::new(t * 4), 1).unwrap().allowed);
        }
        assert_eq!(s.len(), 3);
        let times: [u64; 3] = [148, 152, 156];
        assert!(s.iter().map(|(t, _)| t.as_nanos()).eq(times));
    }

    #[test]
    fn equal_logs_compare_equal_wherever_they_sit_in_the_ring() {
        let l = log::<2>("2/10ns");
        let (mut a, mut b) = (SlidingLogState::default(), SlidingLogState::default());
        for t in [0, 20, 40] {
            let _ = l.check(&mut a, Nanos::new(t), 1);
        }
        let _ = l.check(&mut b, Nanos::new(40), 1);
        assert_eq!(a, b);
    }

    #[test]
    fn cost_above_capacity_is_an_error_and_changes_nothing() {
        let l = log::<4>("5/second");
        let mut s = SlidingLogState::default();
        assert_eq!(
            l.check(&mut s, Nanos::ZERO, 6),
            Err(Error::InsufficientCapacity { capacity: 5 })
        );
        assert!(s.is_empty());
    }

    #[test]
    fn peek_stores_nothing_and_needs_no_room() {
        let l = log::<1>("5/second");
        let mut s = SlidingLogState::default();
        assert!(l.check(&mut s, Nanos::ZERO, 2).unwrap().allowed);
        let before = s;
        let d = l.check(&mut s, Nanos::ZERO, 0).unwrap();
        assert!(d.allowed);
        assert_eq!(d.remaining, 0);
        assert_eq!(s, before);
        assert_eq!(l.peek(&s, Nanos::ZERO), d);
    }

    #[test]
    fn no_panic_at_the_end_of_time() {
        let l = SlidingLog::<4>::new(Quota::from_nanos(u64::MAX, u64::MAX).unwrap());
        let mut s = SlidingLogState::default();
        for now in [u64::MAX, 0, 1, u64::MAX - 1, u64::MAX] {
            for cost in [0, 1, u64::MAX - 1, u64::MAX, 3] {
                let _ = l.check(&mut s, Nanos::new(now), cost);
            }
        }
        let d = l.check(&mut s, Nanos::MAX, u64::MAX).unwrap();
        assert!(!d.allowed);
        assert_eq!(d.retry_after, Nanos::MAX);
    }
}
