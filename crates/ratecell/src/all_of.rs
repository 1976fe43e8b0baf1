//! [`AllOf`]: several limiters checked as one, all or nothing.
//!
//! Real tiers stack limits: a plan allows 120 requests per minute overall *and* 30 per minute
//! on the analysis endpoints; a WebSocket allows 500 messages per second *and* 64 KiB per
//! second. `AllOf` admits a request only when every member admits it, and then every member
//! records it; when any member refuses, no member changes. Without this, checking the members
//! one after another would charge the plan for a request the endpoint limit then refuses.
//!
//! # All or nothing
//!
//! Every member is first decided purely with [`Algorithm::decide`], which computes the
//! decision and the next state without storing anything. Only when every member admits are
//! the next states stored. An error from any member ([`Error::InsufficientCapacity`]) is
//! returned before anything is stored, too.
//!
//! # Costs per member
//!
//! [`check`](AllOf::check) charges every member the same cost.
//! [`check_costs`](AllOf::check_costs) gives each member its own, in member order: a
//! WebSocket message of 1,500 bytes costs 1 to the messages limiter and 1,500 to the bytes
//! limiter. A cost of 0 leaves that member out of the request: it only peeks, and a peek
//! refuses only after the clock has stepped back behind what the member recorded.
//!
//! # The decision
//!
//! An [`AllOfDecision`] carries the combined [`Decision`] and which member refused:
//!
//! - `allowed`: every member admitted; every member recorded its cost.
//! - `limit`: the smallest member capacity: the most a fresh key may spend at one instant
//!   with equal costs, and the largest cost [`check`](AllOf::check) accepts. It is the same in
//!   every decision, so `remaining <= limit` always holds.
//! - `remaining`: the smallest member remainder. It is exact: a request costing 1 in every
//!   member is admitted iff every member admits it, so exactly that many are admitted at this
//!   instant. (With unequal costs it still counts such unit requests; each member's own
//!   numbers are one [`peek`](Algorithm::peek) away.)
//! - `retry_after`: the largest member wait (zero for members that admit). It is exact,
//!   because with no other traffic a ratecell limiter that admits a request at some instant
//!   admits it at every later one: all members admit from the largest wait on, and one
//!   nanosecond earlier the member with that wait still refuses.
//! - `reset_after`: the largest: the key is fresh when every member is.
//! - `refused_by`: when denied, the refusing member with the largest `retry_after` (the lowest
//!   index among equals): the limit that decides when to come back. `None` when admitted.
//! - `tightest`: the member with the smallest remainder (the lowest index among equals): the
//!   limit a client is closest to, for headers and messages.
//!
//! A denial reports every member's unchanged standing: a member that would have admitted
//! reports its state as it is, not as it would have been.
//!
//! # Two forms
//!
//! - Static, zero-cost: `AllOf<(A, B, ...)>` over a tuple of 2 to 8 algorithms, with state
//!   `(A::State, B::State, ...)`. It implements [`Algorithm`], so it nests and fits every
//!   layer written against the trait. [`check_split`](AllOf::check_split) takes the member
//!   states as separate references, for a state shared by several combinations (one plan
//!   limit under several endpoint groups).
//! - Dynamic, for bindings: `AllOf<&[A]>` over a slice (typically of [`Limiter`]), with the
//!   states in a slice of the same length. A length mismatch is [`Error::LengthMismatch`] and
//!   changes nothing. It decides each member twice (once to see whether all admit, once to
//!   store), since it has nowhere to keep the pending states.
//!
//! An `AllOf` of no members admits everything: its capacity is `u64::MAX`.
//!
//! # Changing the members at runtime
//!
//! Each member's state is that member's own, so the rules of each algorithm apply member by
//! member. Adding or removing a member changes the state's shape: keep the states of the
//! members that remain and start new ones fresh.
//!
//! # Members that must record a refusal
//!
//! A combination that refuses stores nothing in any member. A
//! [`TokenBucket::starting_empty`](crate::TokenBucket::starting_empty) bucket records when its
//! refill started on its first charge, even a refused one; inside an `AllOf` that record is
//! discarded with the refusal, so such a bucket would never fill. Combine buckets that start
//! full, or give an empty-starting bucket its first (refused) check on its own.
//!
//! [`Limiter`]: crate::Limiter

use core::borrow::{Borrow, BorrowMut};

use crate::Algorithm;
use crate::decision::Decision;
use crate::error::Error;
use crate::time::Nanos;

/// Several limiters checked as one: every member admits and records, or nothing changes.
///
/// ```
/// use ratecell::{AllOf, Gcra, GcraState, Nanos, Quota};
///
/// // Starter plan: 120 per minute overall, 30 per minute on the analysis endpoints.
/// let analysis = AllOf::new((
///     Gcra::new(Quota::per_minute(120)?),
///     Gcra::new(Quota::per_minute(30)?),
/// ));
/// let mut key = (GcraState::default(), GcraState::default());
///
/// for _ in 0..30 {
///     assert!(analysis.check(&mut key, Nanos::ZERO, 1)?.decision.allowed);
/// }
/// let d = analysis.check(&mut key, Nanos::ZERO, 1)?;
/// assert!(!d.decision.allowed);
/// assert_eq!(d.refused_by, Some(1)); // the analysis limit refused
/// assert_eq!(d.decision.retry_after, Nanos::from_secs(2)); // 60 s / 30
/// // The plan was charged 30, not 31: the refused request changed nothing.
/// assert_eq!(analysis.members().0.peek(&key.0, Nanos::ZERO).remaining, 90);
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AllOf<T> {
    members: T,
}

/// The outcome of an [`AllOf`] check: the combined decision and the members that shaped it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[must_use = "an AllOfDecision says whether the request may proceed"]
pub struct AllOfDecision {
    /// The combined decision (see the [module documentation](self)).
    pub decision: Decision,
    /// When denied, the refusing member with the largest `retry_after` (lowest index among
    /// equals); `None` when admitted.
    pub refused_by: Option<usize>,
    /// The member with the fewest remaining unit requests (lowest index among equals).
    pub tightest: usize,
}

impl From<AllOfDecision> for Decision {
    fn from(d: AllOfDecision) -> Decision {
        d.decision
    }
}

impl<T> AllOf<T> {
    /// Combines `members`: a tuple of 2 to 8 algorithms, or a slice.
    pub const fn new(members: T) -> AllOf<T> {
        AllOf { members }
    }

    /// The members.
    pub const fn members(&self) -> &T {
        &self.members
    }

    /// The members, taken back.
    pub fn into_members(self) -> T {
        self.members
    }
}

#[cfg(feature = "std")]
impl AllOfDecision {
    /// The combined decision of members whose standings are `standings`, in member order:
    /// each member's own decision, or, for a member that would have admitted a request the
    /// combination refused, its unchanged standing.
    pub(crate) fn combine(standings: &[Decision]) -> AllOfDecision {
        let mut fold = Fold::START;
        for (index, d) in standings.iter().enumerate() {
            fold.add(index, d);
        }
        fold.finish()
    }
}

/// Folds member decisions into the combined one.
struct Fold {
    allowed: bool,
    limit: u64,
    remaining: u64,
    retry_after: Nanos,
    reset_after: Nanos,
    refused_by: Option<usize>,
    tightest: usize,
}

impl Fold {
    const START: Fold = Fold {
        allowed: true,
        limit: u64::MAX,
        remaining: u64::MAX,
        retry_after: Nanos::ZERO,
        reset_after: Nanos::ZERO,
        refused_by: None,
        tightest: 0,
    };

    fn add(&mut self, index: usize, d: &Decision) {
        if !d.allowed {
            self.allowed = false;
            if self.refused_by.is_none() || d.retry_after > self.retry_after {
                self.refused_by = Some(index);
            }
        }
        if d.remaining < self.remaining {
            self.remaining = d.remaining;
            self.tightest = index;
        }
        self.limit = self.limit.min(d.limit);
        self.retry_after = self.retry_after.max(d.retry_after);
        self.reset_after = self.reset_after.max(d.reset_after);
    }

    fn finish(self) -> AllOfDecision {
        AllOfDecision {
            decision: Decision {
                allowed: self.allowed,
                limit: self.limit,
                remaining: self.remaining,
                retry_after: self.retry_after,
                reset_after: self.reset_after,
            },
            refused_by: self.refused_by,
            tightest: self.tightest,
        }
    }
}

macro_rules! all_of_tuple {
    ($n:literal; $($member:ident $index:tt $state:ident $cost:ident $decision:ident $next:ident),+) => {
        impl<$($member),+> AllOf<($($member,)+)>
        where
            $($member: Algorithm, $member::State: Clone,)+
        {
            /// The smallest member capacity: the largest cost [`check`](Self::check) accepts.
            pub fn capacity(&self) -> u64 {
                let mut capacity = u64::MAX;
                $(capacity = capacity.min(self.members.$index.capacity());)+
                capacity
            }

            /// Decides a request charging every member `cost` at `now`, and records it in
            /// every member when all admit it.
            ///
            /// `cost == 0` peeks. A cost above [`capacity`](Self::capacity) is
            /// [`Error::InsufficientCapacity`] with that capacity, and changes nothing.
            pub fn check(
                &self,
                states: &mut ($($member::State,)+),
                now: Nanos,
                cost: u64,
            ) -> Result<AllOfDecision, Error> {
                let capacity = self.capacity();
                if cost > capacity {
                    return Err(Error::InsufficientCapacity { capacity });
                }
                self.check_costs(states, now, [cost; $n])
            }

            /// Decides a request charging each member its own cost (in member order), and
            /// records it in every member when all admit it.
            ///
            /// A cost above its member's capacity is that member's
            /// [`Error::InsufficientCapacity`] (the first such member's), and changes nothing.
            pub fn check_costs(
                &self,
                states: &mut ($($member::State,)+),
                now: Nanos,
                costs: [u64; $n],
            ) -> Result<AllOfDecision, Error> {
                let ($($state,)+) = states;
                self.check_split(($($state,)+), now, costs)
            }

            /// [`check_costs`](Self::check_costs) with the member states kept apart, for a
            /// state shared by several combinations (a plan limit under several endpoint
            /// groups).
            pub fn check_split(
                &self,
                states: ($(&mut $member::State,)+),
                now: Nanos,
                costs: [u64; $n],
            ) -> Result<AllOfDecision, Error> {
                let ($($state,)+) = states;
                let [$($cost),+] = costs;
                $(let ($decision, $next) = self.members.$index.decide($state, now, $cost)?;)+
                let mut fold = Fold::START;
                if true $(&& $decision.allowed)+ {
                    $(
                        *$state = $next;
                        fold.add($index, &$decision);
                    )+
                } else {
                    $(
                        let standing = if $decision.allowed {
                            self.members.$index.peek($state, now)
                        } else {
                            $decision
                        };
                        fold.add($index, &standing);
                    )+
                }
                Ok(fold.finish())
            }

            /// The key's standing at `now` in every member, recording nothing.
            pub fn peek(&self, states: &($($member::State,)+), now: Nanos) -> AllOfDecision {
                let mut fold = Fold::START;
                $(fold.add($index, &self.members.$index.peek(&states.$index, now));)+
                fold.finish()
            }

            /// True when every member's state is fresh at `now`.
            pub fn is_fresh(&self, states: &($($member::State,)+), now: Nanos) -> bool {
                true $(&& self.members.$index.is_fresh(&states.$index, now))+
            }

            /// The pure form of [`check_costs`](Self::check_costs): the decision and the
            /// states to store afterwards, leaving `states` untouched.
            pub fn decide_costs(
                &self,
                states: &($($member::State,)+),
                now: Nanos,
                costs: [u64; $n],
            ) -> Result<(AllOfDecision, ($($member::State,)+)), Error> {
                let mut next = states.clone();
                let decision = self.check_costs(&mut next, now, costs)?;
                Ok((decision, next))
            }
        }

        impl<$($member),+> Algorithm for AllOf<($($member,)+)>
        where
            $($member: Algorithm, $member::State: Clone,)+
        {
            type State = ($($member::State,)+);

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
    };
}

all_of_tuple!(2; A 0 sa ca da na, B 1 sb cb db nb);
all_of_tuple!(3; A 0 sa ca da na, B 1 sb cb db nb, C 2 sc cc dc nc);
all_of_tuple!(4; A 0 sa ca da na, B 1 sb cb db nb, C 2 sc cc dc nc, D 3 sd cd dd nd);
all_of_tuple!(5; A 0 sa ca da na, B 1 sb cb db nb, C 2 sc cc dc nc, D 3 sd cd dd nd,
    E 4 se ce de ne);
all_of_tuple!(6; A 0 sa ca da na, B 1 sb cb db nb, C 2 sc cc dc nc, D 3 sd cd dd nd,
    E 4 se ce de ne, F 5 sf cf df nf);
all_of_tuple!(7; A 0 sa ca da na, B 1 sb cb db nb, C 2 sc cc dc nc, D 3 sd cd dd nd,
    E 4 se ce de ne, F 5 sf cf df nf, G 6 sg cg dg ng);
all_of_tuple!(8; A 0 sa ca da na, B 1 sb cb db nb, C 2 sc cc dc nc, D 3 sd cd dd nd,
    E 4 se ce de ne, F 5 sf cf df nf, G 6 sg cg dg ng, H 7 sh ch dh nh);

/// What each member of a slice combination is charged.
#[derive(Copy, Clone)]
enum Costs<'c> {
    Same(u64),
    Each(&'c [u64]),
}

impl Costs<'_> {
    fn get(self, index: usize) -> u64 {
        match self {
            Costs::Same(cost) => cost,
            // Lengths are checked before any member is asked.
            Costs::Each(costs) => costs.get(index).copied().unwrap_or(0),
        }
    }
}

/// The dynamic form: a slice of members (for bindings, a slice of [`Limiter`]) and, per key,
/// a slice of as many states (each a `A::State` or a `&mut A::State`).
///
/// ```
/// use ratecell::{AllOf, Gcra, Limiter, LimiterState, Nanos, Quota};
///
/// // WebSocket, Starter plan: 500 messages and 64 KB per second.
/// let members = [
///     Limiter::from(Gcra::new(Quota::per_second(500)?)),
///     Limiter::from(Gcra::new(Quota::per_second(64_000)?)),
/// ];
/// let socket = AllOf::new(&members[..]);
/// let mut key = [LimiterState::default(); 2];
///
/// let audio = 16_000; // one message of 16 KB
/// for _ in 0..4 {
///     assert!(socket.check_costs(&mut key, Nanos::ZERO, &[1, audio])?.decision.allowed);
/// }
/// let d = socket.check_costs(&mut key, Nanos::ZERO, &[1, audio])?;
/// assert_eq!(d.refused_by, Some(1)); // the bytes limiter refused
/// assert_eq!(d.decision.retry_after, Nanos::from_millis(250)); // 16 KB at 64 KB/s
/// # Ok::<(), ratecell::Error>(())
/// ```
///
/// [`Limiter`]: crate::Limiter
impl<A> AllOf<&[A]>
where
    A: Algorithm,
    A::State: Clone,
{
    /// The smallest member capacity (`u64::MAX` for no members): the largest cost
    /// [`check`](Self::check) accepts.
    pub fn capacity(&self) -> u64 {
        self.members
            .iter()
            .map(Algorithm::capacity)
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Decides a request charging every member `cost` at `now`, and records it in every
    /// member when all admit it.
    ///
    /// `cost == 0` peeks. A cost above [`capacity`](Self::capacity) is
    /// [`Error::InsufficientCapacity`] with that capacity; a `states` slice of another length
    /// than the members is [`Error::LengthMismatch`]. Neither changes anything.
    pub fn check<S: BorrowMut<A::State>>(
        &self,
        states: &mut [S],
        now: Nanos,
        cost: u64,
    ) -> Result<AllOfDecision, Error> {
        let capacity = self.capacity();
        if cost > capacity {
            return Err(Error::InsufficientCapacity { capacity });
        }
        self.run(states, now, Costs::Same(cost))
    }

    /// Decides a request charging each member its own cost (`costs[i]` to member `i`), and
    /// records it in every member when all admit it.
    ///
    /// A cost above its member's capacity is that member's [`Error::InsufficientCapacity`]
    /// (the first such member's); `states` or `costs` of another length than the members is
    /// [`Error::LengthMismatch`]. Neither changes anything.
    pub fn check_costs<S: BorrowMut<A::State>>(
        &self,
        states: &mut [S],
        now: Nanos,
        costs: &[u64],
    ) -> Result<AllOfDecision, Error> {
        self.matches(costs.len())?;
        self.run(states, now, Costs::Each(costs))
    }

    /// The key's standing at `now` in every member, recording nothing.
    /// `states` of another length than the members is [`Error::LengthMismatch`].
    pub fn peek<S: Borrow<A::State>>(
        &self,
        states: &[S],
        now: Nanos,
    ) -> Result<AllOfDecision, Error> {
        self.matches(states.len())?;
        let mut fold = Fold::START;
        for (index, (member, state)) in self.members.iter().zip(states).enumerate() {
            fold.add(index, &member.peek(state.borrow(), now));
        }
        Ok(fold.finish())
    }

    /// True when every member's state is fresh at `now`. `states` of another length than the
    /// members is not fresh: nothing is reclaimed on a mismatch.
    pub fn is_fresh<S: Borrow<A::State>>(&self, states: &[S], now: Nanos) -> bool {
        self.members.len() == states.len()
            && self
                .members
                .iter()
                .zip(states)
                .all(|(member, state)| member.is_fresh(state.borrow(), now))
    }

    fn matches(&self, given: usize) -> Result<(), Error> {
        if given == self.members.len() {
            Ok(())
        } else {
            Err(Error::LengthMismatch {
                members: self.members.len(),
                given,
            })
        }
    }

    fn run<S: BorrowMut<A::State>>(
        &self,
        states: &mut [S],
        now: Nanos,
        costs: Costs<'_>,
    ) -> Result<AllOfDecision, Error> {
        self.matches(states.len())?;
        // First pass: decide every member purely.
        let mut all_admit = true;
        for (index, (member, state)) in self.members.iter().zip(states.iter()).enumerate() {
            let (decision, _) = member.decide(state.borrow(), now, costs.get(index))?;
            all_admit &= decision.allowed;
        }
        // Second pass: store every member's next state, or report every standing.
        let mut fold = Fold::START;
        for (index, (member, state)) in self.members.iter().zip(states.iter_mut()).enumerate() {
            let state = state.borrow_mut();
            let decision = if all_admit {
                member.check(state, now, costs.get(index))?
            } else {
                let (decision, _) = member.decide(state, now, costs.get(index))?;
                if decision.allowed {
                    member.peek(state, now)
                } else {
                    decision
                }
            };
            fold.add(index, &decision);
        }
        Ok(fold.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Gcra, GcraState, Quota};

    fn gcra(s: &str) -> Gcra {
        Gcra::new(Quota::parse(s).unwrap())
    }

    #[test]
    fn a_refusal_changes_no_member() {
        let all = AllOf::new((gcra("10/second"), gcra("2/second")));
        let mut s = (GcraState::default(), GcraState::default());
        assert!(all.check(&mut s, Nanos::ZERO, 2).unwrap().decision.allowed);
        let before = s;
        let d = all.check(&mut s, Nanos::ZERO, 1).unwrap();
        assert!(!d.decision.allowed);
        assert_eq!(s, before);
        assert_eq!(d.refused_by, Some(1));
        assert_eq!(d.tightest, 1);
        assert_eq!(d.decision.remaining, 0);
        assert_eq!(d.decision.limit, 2);
        assert_eq!(d.decision.retry_after, Nanos::from_millis(500));
    }

    #[test]
    fn the_member_with_the_longest_wait_is_reported() {
        let all = AllOf::new((gcra("1/second"), gcra("1/minute"), gcra("1/minute")));
        let mut s = Default::default();
        assert!(all.check(&mut s, Nanos::ZERO, 1).unwrap().decision.allowed);
        let d = all.check(&mut s, Nanos::ZERO, 1).unwrap();
        assert_eq!(d.refused_by, Some(1));
        assert_eq!(d.decision.retry_after, Nanos::from_secs(60));
    }

    #[test]
    fn cost_errors_change_nothing() {
        let all = AllOf::new((gcra("10/second"), gcra("2/second")));
        let mut s = (GcraState::default(), GcraState::default());
        assert_eq!(
            all.check(&mut s, Nanos::ZERO, 3),
            Err(Error::InsufficientCapacity { capacity: 2 })
        );
        assert_eq!(
            all.check_costs(&mut s, Nanos::ZERO, [1, 3]),
            Err(Error::InsufficientCapacity { capacity: 2 })
        );
        assert_eq!(s, (GcraState::FRESH, GcraState::FRESH));
    }

    #[test]
    fn slices_of_another_length_are_errors() {
        let members = [gcra("10/second"), gcra("2/second")];
        let all = AllOf::new(&members[..]);
        let mut one = [GcraState::default()];
        assert_eq!(
            all.check(&mut one, Nanos::ZERO, 1),
            Err(Error::LengthMismatch {
                members: 2,
                given: 1
            })
        );
        let mut two = [GcraState::default(); 2];
        assert_eq!(
            all.check_costs(&mut two, Nanos::ZERO, &[1, 1, 1]),
            Err(Error::LengthMismatch {
                members: 2,
                given: 3
            })
        );
        assert_eq!(two, [GcraState::FRESH; 2]);
        assert!(!all.is_fresh(&one, Nanos::ZERO));
        assert!(all.is_fresh(&two, Nanos::ZERO));
    }

    #[test]
    fn no_members_admit_everything() {
        let none: [Gcra; 0] = [];
        let all = AllOf::new(&none[..]);
        let mut states: [GcraState; 0] = [];
        let d = all.check(&mut states, Nanos::ZERO, u64::MAX).unwrap();
        assert!(d.decision.allowed);
        assert_eq!(d.decision.limit, u64::MAX);
    }

    #[test]
    fn eight_members_nest_and_agree_with_two() {
        let g = gcra("3/second");
        let all = AllOf::new((g, g, g, g, g, g, g, AllOf::new((g, gcra("1/second")))));
        let mut s = Default::default();
        assert!(all.check(&mut s, Nanos::ZERO, 1).unwrap().decision.allowed);
        let d = all.check(&mut s, Nanos::ZERO, 1).unwrap();
        assert_eq!(d.refused_by, Some(7));
        assert_eq!(d.decision.retry_after, Nanos::from_secs(1));
        assert_eq!(all.capacity(), 1);
    }
}
