//! [`AllOfLimiters`]: an [`AllOf`] of up to `N` [`Limiter`]s chosen at runtime, owning its
//! members, with a `Copy` per-key state, so that a combination built from configuration (or
//! by a binding) fits the keyed tables.
//!
//! [`AllOf<&[Limiter]>`](AllOf) borrows its members and takes the states as a slice; a keyed
//! table needs a policy it owns and one state value per key. `AllOfLimiters<N>` is that: the
//! members in a fixed array, and per key an [`AllOfLimitersState<N>`] of `N`
//! [`LimiterState`]s. Decisions are the slice form's (see the [`all_of`](crate::all_of)
//! module for what the combined numbers mean), with one difference in
//! [`check_costs`](AllOfLimiters::check_costs): a member charged 0 is left out of the request
//! entirely, so its standing does not shape the decision. One combination can then hold a
//! plan limit and every endpoint group under it, each request charged to the plan and to its
//! own group: the decision (and so `remaining` in response headers) is the one the plan and
//! that group make together, exactly as with [`AllOf::check_split`] over the two of them.
//!
//! With `std`, [`KeyedStore<K, AllOfLimiters<N>>`](KeyedStore) also checks with a cost per
//! member ([`KeyedStore::check_costs`]) and reports which member refused ([`KeyedAllOf`]).
//!
//! ```
//! use ratecell::{AllOfLimiters, AllOfLimitersState, Gcra, Limiter, Nanos, Quota};
//!
//! // WebSocket, Free plan: 100 messages and 32 KB per second.
//! let socket = AllOfLimiters::<4>::new(&[
//!     Limiter::from(Gcra::new(Quota::per_second(100)?)),
//!     Limiter::from(Gcra::new(Quota::per_second(32_000)?)),
//! ])?;
//! let mut key = AllOfLimitersState::default();
//! assert!(socket.check_costs(&mut key, Nanos::ZERO, &[1, 16_000])?.decision.allowed);
//! assert!(socket.check_costs(&mut key, Nanos::ZERO, &[1, 16_000])?.decision.allowed);
//! let d = socket.check_costs(&mut key, Nanos::ZERO, &[1, 1_000])?;
//! assert_eq!(d.refused_by, Some(1)); // the bytes member
//! assert_eq!(d.decision.retry_after, Nanos::from_micros(31_250)); // 1,000 bytes at 32 KB/s
//! # Ok::<(), ratecell::Error>(())
//! ```

#[cfg(feature = "std")]
use core::borrow::Borrow;
#[cfg(feature = "std")]
use core::hash::{BuildHasher, Hash};
#[cfg(feature = "std")]
use std::borrow::ToOwned;

use crate::Algorithm;
use crate::all_of::{AllOf, AllOfDecision, Fold};
use crate::credits::Credits;
use crate::decision::Decision;
use crate::error::Error;
#[cfg(feature = "std")]
use crate::keyed::{KeyedStore, Upsert, full_decision};
use crate::limiter::{Limiter, LimiterState};
use crate::time::Nanos;

/// Up to `N` runtime-chosen [`Limiter`]s checked as one, all or nothing.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct AllOfLimiters<const N: usize> {
    /// The members in `..len`; the slots after them hold an unused placeholder.
    members: [Limiter; N],
    len: usize,
}

/// One key's state under an [`AllOfLimiters<N>`]: a [`LimiterState`] per member. `Copy`; the
/// default value is a fresh key.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct AllOfLimitersState<const N: usize>([LimiterState; N]);

impl<const N: usize> Default for AllOfLimitersState<N> {
    fn default() -> Self {
        AllOfLimitersState([LimiterState::Fresh; N])
    }
}

impl<const N: usize> AllOfLimitersState<N> {
    /// The member states, in member order (all `N`; those past the members stay fresh).
    pub const fn members(&self) -> &[LimiterState; N] {
        &self.0
    }
}

/// The outcome of a keyed [`AllOfLimiters`] check.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[must_use = "a KeyedAllOf outcome says whether the request may proceed"]
pub enum KeyedAllOf {
    /// The members decided.
    Decided(AllOfDecision),
    /// The key was new and the table is full (see [`Keyed::Full`](crate::Keyed::Full)).
    Full(Decision),
}

impl KeyedAllOf {
    /// The combined decision.
    pub const fn decision(&self) -> Decision {
        match self {
            KeyedAllOf::Decided(d) => d.decision,
            KeyedAllOf::Full(d) => *d,
        }
    }

    /// When denied by a member, the member that refused (see [`AllOfDecision::refused_by`]);
    /// `None` when admitted or when the table was full.
    pub const fn refused_by(&self) -> Option<usize> {
        match self {
            KeyedAllOf::Decided(d) => d.refused_by,
            KeyedAllOf::Full(_) => None,
        }
    }

    /// True when the table was full.
    pub const fn is_full(&self) -> bool {
        matches!(self, KeyedAllOf::Full(_))
    }
}

impl<const N: usize> AllOfLimiters<N> {
    /// Combines `members` (at most `N`; more is [`Error::LengthMismatch`]). No members
    /// admits everything, as [`AllOf`] does.
    pub fn new(members: &[Limiter]) -> Result<Self, Error> {
        if members.len() > N {
            return Err(Error::LengthMismatch {
                members: N,
                given: members.len(),
            });
        }
        // The placeholder is never consulted: every operation works on `..len`.
        let mut all = [Limiter::from(Credits::new(0)); N];
        for (slot, member) in all.iter_mut().zip(members) {
            *slot = *member;
        }
        Ok(AllOfLimiters {
            members: all,
            len: members.len(),
        })
    }

    /// The members, in order.
    pub fn members(&self) -> &[Limiter] {
        self.members.get(..self.len).unwrap_or(&[])
    }

    fn parts<'s>(
        &'s self,
        state: &'s mut AllOfLimitersState<N>,
    ) -> (AllOf<&'s [Limiter]>, &'s mut [LimiterState]) {
        let states = state.0.get_mut(..self.len).unwrap_or(&mut []);
        (AllOf::new(self.members()), states)
    }

    /// The smallest member capacity (`u64::MAX` for no members).
    pub fn capacity(&self) -> u64 {
        AllOf::new(self.members()).capacity()
    }

    /// Decides a request charging every member `cost` (see [`AllOf::check`]).
    pub fn check(
        &self,
        state: &mut AllOfLimitersState<N>,
        now: Nanos,
        cost: u64,
    ) -> Result<AllOfDecision, Error> {
        let (all, states) = self.parts(state);
        all.check(states, now, cost)
    }

    /// Decides a request charging member `i` `costs[i]`, recording it in every charged member
    /// when all of them admit it.
    ///
    /// A member charged 0 is left out: it is not consulted, changes nothing and does not
    /// shape the decision (its index is never `refused_by` or `tightest`). When every cost is
    /// 0 the request is a peek of every member, as in [`AllOf::check_costs`]. A cost above
    /// its member's capacity is that member's [`Error::InsufficientCapacity`], and `costs` of
    /// another length than the members is [`Error::LengthMismatch`]; neither changes
    /// anything.
    pub fn check_costs(
        &self,
        state: &mut AllOfLimitersState<N>,
        now: Nanos,
        costs: &[u64],
    ) -> Result<AllOfDecision, Error> {
        let (all, states) = self.parts(state);
        if costs.len() != states.len() || costs.iter().all(|&c| c == 0) {
            return all.check_costs(states, now, costs);
        }
        let charged = || {
            self.members()
                .iter()
                .zip(costs)
                .enumerate()
                .filter(|(_, (_, cost))| **cost > 0)
        };
        // First pass: decide every charged member purely.
        let mut all_admit = true;
        for (index, (member, &cost)) in charged() {
            let state = states.get(index).copied().unwrap_or_default();
            all_admit &= member.decide(&state, now, cost)?.0.allowed;
        }
        // Second pass: store every charged member's next state, or report its standing.
        let mut fold = Fold::START;
        for (index, (member, &cost)) in charged() {
            let Some(state) = states.get_mut(index) else {
                continue;
            };
            let (decision, next) = member.decide(state, now, cost)?;
            let standing = if all_admit {
                *state = next;
                decision
            } else if decision.allowed {
                member.peek(state, now)
            } else {
                decision
            };
            fold.add(index, &standing);
        }
        Ok(fold.finish())
    }

    /// The key's standing in every member at `now`, recording nothing.
    pub fn peek(&self, state: &AllOfLimitersState<N>, now: Nanos) -> AllOfDecision {
        let states = state.0.get(..self.len).unwrap_or(&[]);
        // The lengths match by construction.
        AllOf::new(self.members())
            .peek(states, now)
            .unwrap_or(AllOfDecision {
                decision: Decision {
                    allowed: true,
                    limit: u64::MAX,
                    remaining: u64::MAX,
                    retry_after: Nanos::ZERO,
                    reset_after: Nanos::ZERO,
                },
                refused_by: None,
                tightest: 0,
            })
    }

    /// True when every member's state is fresh at `now`.
    pub fn is_fresh(&self, state: &AllOfLimitersState<N>, now: Nanos) -> bool {
        let states = state.0.get(..self.len).unwrap_or(&[]);
        AllOf::new(self.members()).is_fresh(states, now)
    }
}

impl<const N: usize> Algorithm for AllOfLimiters<N> {
    type State = AllOfLimitersState<N>;

    fn capacity(&self) -> u64 {
        Self::capacity(self)
    }

    fn check(&self, state: &mut Self::State, now: Nanos, cost: u64) -> Result<Decision, Error> {
        Self::check(self, state, now, cost).map(|d| d.decision)
    }

    fn peek(&self, state: &Self::State, now: Nanos) -> Decision {
        Self::peek(self, state, now).decision
    }

    fn is_fresh(&self, state: &Self::State, now: Nanos) -> bool {
        Self::is_fresh(self, state, now)
    }
}

/// Keyed combinations shared between threads, with a cost per member.
///
/// ```
/// use ratecell::{AllOfLimiters, Gcra, KeyedStore, Limiter, Nanos, Quota, WhenFull};
///
/// // Starter plan: 120/minute overall, Analysis 30/minute, Sessions (read) 120/minute.
/// // One combination holds the plan and every group; a request is charged to the plan and
/// // to its own group only (a cost of 0 leaves a member out).
/// let gcra = |s| Quota::parse(s).map(|q| Limiter::from(Gcra::new(q)));
/// let starter = AllOfLimiters::<4>::new(&[gcra("120/minute")?, gcra("30/minute")?, gcra("120/minute")?])?;
/// let store: KeyedStore<Box<str>, _> = KeyedStore::new(starter, 1_000, WhenFull::FailClosed);
///
/// for _ in 0..30 {
///     assert!(store.check_costs("key", Nanos::ZERO, &[1, 1, 0])?.decision().allowed);
/// }
/// let analysis = store.check_costs("key", Nanos::ZERO, &[1, 1, 0])?;
/// assert_eq!(analysis.refused_by(), Some(1));
/// // A sessions request is decided by the plan and the sessions group only.
/// let sessions = store.check_costs("key", Nanos::ZERO, &[1, 0, 1])?;
/// assert!(sessions.decision().allowed);
/// assert_eq!(sessions.decision().remaining, 89); // the plan had 90 left
/// # Ok::<(), ratecell::Error>(())
/// ```
#[cfg(feature = "std")]
impl<K, const N: usize, H> KeyedStore<K, AllOfLimiters<N>, H>
where
    K: Hash + Eq,
    H: BuildHasher,
{
    /// Decides a request for `key` charging member `i` `costs[i]`, recording it in every
    /// member when all admit it (see [`AllOfLimiters::check_costs`] and
    /// [`KeyedStore::check`] for the table's rules).
    pub fn check_costs<Q>(&self, key: &Q, now: Nanos, costs: &[u64]) -> Result<KeyedAllOf, Error>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned,
        Q::Owned: Into<K>,
    {
        let done = self.upsert_with(key, now, |policy, state| {
            let d = policy.check_costs(state, now, costs)?;
            Ok((d, d.decision.reset_after))
        })?;
        Ok(match done {
            Upsert::Done(d) => KeyedAllOf::Decided(d),
            Upsert::Full(retry_after) => {
                KeyedAllOf::Full(full_decision(self.policy().capacity(), retry_after).decision())
            }
        })
    }

    /// Decides a request for `key` charging every member `cost`, reporting which member
    /// refused (see [`AllOfLimiters::check`]).
    pub fn check_all<Q>(&self, key: &Q, now: Nanos, cost: u64) -> Result<KeyedAllOf, Error>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq + ToOwned,
        Q::Owned: Into<K>,
    {
        let done = self.upsert_with(key, now, |policy, state| {
            let d = policy.check(state, now, cost)?;
            Ok((d, d.decision.reset_after))
        })?;
        Ok(match done {
            Upsert::Done(d) => KeyedAllOf::Decided(d),
            Upsert::Full(retry_after) => {
                KeyedAllOf::Full(full_decision(self.policy().capacity(), retry_after).decision())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Gcra, Quota};

    fn gcra(s: &str) -> Limiter {
        Limiter::from(Gcra::new(Quota::parse(s).unwrap()))
    }

    #[test]
    fn decisions_match_the_slice_form_when_every_member_is_charged_or_none_is() {
        let members = [gcra("10/second"), gcra("3/second burst 4")];
        let owned = AllOfLimiters::<3>::new(&members).unwrap();
        let slice = AllOf::new(&members[..]);
        let mut a = AllOfLimitersState::default();
        let mut b = [LimiterState::default(); 2];
        for i in 0..60_u64 {
            let now = Nanos::from_millis(i * 37);
            let costs = if i % 5 == 0 {
                [0, 0]
            } else {
                [i % 3 + 1, (i + 1) % 4 + 1]
            };
            assert_eq!(
                owned.check_costs(&mut a, now, &costs),
                slice.check_costs(&mut b, now, &costs)
            );
            assert_eq!(Some(owned.peek(&a, now)), slice.peek(&b, now).ok());
            assert_eq!(owned.is_fresh(&a, now), slice.is_fresh(&b, now));
        }
        assert_eq!(owned.capacity(), 4);
    }

    #[test]
    fn a_member_charged_nothing_does_not_shape_the_decision() {
        let plan = gcra("120/minute");
        let (analysis, sessions) = (gcra("30/minute"), gcra("120/minute"));
        let all = AllOfLimiters::<3>::new(&[plan, analysis, sessions]).unwrap();
        // The same traffic through two tuple combinations sharing the plan's state.
        let pair = |group| AllOf::new((plan, group));
        let mut s = AllOfLimitersState::default();
        let mut split = [LimiterState::default(); 3];
        for i in 0..200_u64 {
            let now = Nanos::from_millis(i * 150);
            let (costs, group) = if i % 3 == 0 {
                ([1, 0, 1], 2)
            } else {
                ([1, 1, 0], 1)
            };
            let [plan_state, analysis_state, sessions_state] = &mut split;
            let group_state = if group == 1 {
                analysis_state
            } else {
                sessions_state
            };
            let expected = pair(limiter_at(&all, group))
                .check_split((plan_state, group_state), now, [1, 1])
                .unwrap();
            let d = all.check_costs(&mut s, now, &costs).unwrap();
            assert_eq!(d.decision, expected.decision);
            assert_eq!(
                d.refused_by,
                expected.refused_by.map(|m| if m == 0 { 0 } else { group })
            );
        }
        assert_eq!(s.members(), &split);
    }

    fn limiter_at(all: &AllOfLimiters<3>, i: usize) -> Limiter {
        all.members()[i]
    }

    #[test]
    fn too_many_members_or_costs_are_errors() {
        let members = [gcra("1/second"); 3];
        assert_eq!(
            AllOfLimiters::<2>::new(&members),
            Err(Error::LengthMismatch {
                members: 2,
                given: 3
            })
        );
        let two = AllOfLimiters::<4>::new(&members[..2]).unwrap();
        let mut s = AllOfLimitersState::default();
        assert!(two.check_costs(&mut s, Nanos::ZERO, &[1, 1, 1]).is_err());
        assert_eq!(s, AllOfLimitersState::default());
    }

    #[test]
    fn no_members_admit_everything() {
        let none = AllOfLimiters::<2>::new(&[]).unwrap();
        let mut s = AllOfLimitersState::default();
        assert!(
            none.check(&mut s, Nanos::ZERO, 1_000)
                .unwrap()
                .decision
                .allowed
        );
        assert_eq!(none.capacity(), u64::MAX);
    }
}
