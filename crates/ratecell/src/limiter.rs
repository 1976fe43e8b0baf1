//! [`Limiter`]: every ratecell algorithm behind one type, so bindings never dispatch by hand.
//!
//! A binding, a keyed table or a configuration file picks the algorithm at runtime. `Limiter`
//! is an enum with one variant per algorithm, and [`LimiterState`] one per algorithm's state;
//! `Limiter` implements [`Algorithm`] by dispatching to the variant, so everything written
//! against the trait ([`AllOf`](crate::AllOf) over a slice, keyed tables) works with it.
//!
//! # States of another variant
//!
//! A [`LimiterState`] that does not belong to the limiter's variant never panics and is never
//! an error: it is read as a fresh key. This happens after a reconfiguration that changed a
//! key's algorithm (a state kept under a [`Gcra`] now checked by a [`Burst`]), and it makes
//! [`LimiterState::Fresh`], the default, a fresh key for every limiter, so a table can create
//! states without knowing the algorithm. The first admitted request (cost > 0) replaces the
//! state with one of the limiter's own variant; peeks and denials leave it as it was.
//! `is_fresh` is true for such a state.
//!
//! The price is that a key moved to another algorithm starts fresh: what it owed under the
//! old algorithm is forgotten. Within one variant, each algorithm's own rules for changing
//! its quota apply (see for example [`Burst::convert_state`]).
//!
//! # Adding an algorithm
//!
//! Each algorithm is one entry of the `limiters!` invocation at the end of this module:
//! `Name(Policy, State)`, with a doc comment. The entry generates the `Limiter::Name` and
//! `LimiterState::Name` variants, both `From` conversions and every arm of the dispatch. The
//! policy must implement [`Algorithm`] with `State = State`, and both types must be `Copy`,
//! `Debug` and `Eq` (and the state `Hash`), as every ratecell algorithm's are.

use crate::Algorithm;
use crate::burst::{Burst, BurstState};
use crate::credits::{Credits, CreditsState};
use crate::decision::Decision;
use crate::error::Error;
use crate::fixed_window::{FixedWindow, FixedWindowState};
use crate::gcra::{Gcra, GcraState};
use crate::sliding_window::{SlidingWindow, SlidingWindowState};
use crate::time::Nanos;
use crate::token_bucket::{TokenBucket, TokenBucketState};

macro_rules! limiters {
    ($($(#[$doc:meta])* $variant:ident($policy:ty, $state:ty),)+) => {
        /// Any ratecell algorithm, chosen at runtime.
        ///
        /// ```
        /// use core::time::Duration;
        /// use ratecell::{Burst, Gcra, Limiter, LimiterState, Nanos, Quota};
        ///
        /// let quota = Quota::parse("100/minute burst 120")?;
        /// let limiters = [
        ///     Limiter::from(Gcra::new(quota)),
        ///     Limiter::from(Burst::new(quota, Duration::from_secs(10))?),
        /// ];
        /// for limiter in limiters {
        ///     let mut key = LimiterState::default();
        ///     let d = limiter.check(&mut key, Nanos::ZERO, 1)?;
        ///     assert!(d.allowed);
        ///     println!("{}: {d}", limiter.name());
        /// }
        /// assert_eq!(limiters[1].capacity(), 20);
        /// # Ok::<(), ratecell::Error>(())
        /// ```
        #[derive(Copy, Clone, Debug, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Limiter {
            $($(#[$doc])* $variant($policy),)+
        }

        /// The per-key state of a [`Limiter`]: one variant per algorithm, and
        /// [`Fresh`](LimiterState::Fresh), a key never seen by any limiter (the default).
        ///
        /// A state of another variant than the limiter's reads as fresh (see the
        /// [module documentation](self)).
        #[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum LimiterState {
            /// A key never seen: fresh for every limiter.
            #[default]
            Fresh,
            $(
                #[doc = concat!("The state of a [`Limiter::", stringify!($variant), "`].")]
                $variant($state),
            )+
        }

        $(
            impl From<$policy> for Limiter {
                fn from(policy: $policy) -> Limiter {
                    Limiter::$variant(policy)
                }
            }

            impl From<$state> for LimiterState {
                fn from(state: $state) -> LimiterState {
                    LimiterState::$variant(state)
                }
            }
        )+

        impl Limiter {
            /// The algorithm's name, as the variant is called (`"Gcra"`, `"Burst"`, ...).
            pub const fn name(&self) -> &'static str {
                match self {
                    $(Limiter::$variant(_) => stringify!($variant),)+
                }
            }

            /// The largest cost a single request may have.
            pub fn capacity(&self) -> u64 {
                match self {
                    $(Limiter::$variant(policy) => Algorithm::capacity(policy),)+
                }
            }

            /// Decides a request of `cost` at `now` and records it in `state` when admitted.
            ///
            /// `cost == 0` peeks. A cost above [`capacity`](Limiter::capacity) is
            /// [`Error::InsufficientCapacity`] and changes nothing. A `state` of another
            /// variant reads as fresh.
            pub fn check(
                &self,
                state: &mut LimiterState,
                now: Nanos,
                cost: u64,
            ) -> Result<Decision, Error> {
                // A state of the limiter's own variant is decided in place: the same
                // transition as `decide`, without copying whole `LimiterState`s.
                match (self, &mut *state) {
                    $(
                        (Limiter::$variant(policy), LimiterState::$variant(own)) => {
                            let (decision, next) = Algorithm::decide(policy, own, now, cost)?;
                            if decision.allowed && cost > 0 {
                                *own = next;
                            }
                            Ok(decision)
                        }
                    )+
                    _ => {
                        let (decision, next) = self.decide(state, now, cost)?;
                        *state = next;
                        Ok(decision)
                    }
                }
            }

            /// The key's standing at `now`, recording nothing.
            pub fn peek(&self, state: &LimiterState, now: Nanos) -> Decision {
                match (self, state) {
                    $(
                        (Limiter::$variant(policy), LimiterState::$variant(own)) => {
                            Algorithm::peek(policy, own, now)
                        }
                        (Limiter::$variant(policy), _) => {
                            Algorithm::peek(policy, &<$state>::default(), now)
                        }
                    )+
                }
            }

            /// True when the key at `now` is indistinguishable from one never seen; a state
            /// of another variant is.
            pub fn is_fresh(&self, state: &LimiterState, now: Nanos) -> bool {
                match (self, state) {
                    $(
                        (Limiter::$variant(policy), LimiterState::$variant(own)) => {
                            Algorithm::is_fresh(policy, own, now)
                        }
                    )+
                    _ => true,
                }
            }

            /// Resets a key to fresh.
            pub fn reset(&self, state: &mut LimiterState) {
                *state = LimiterState::Fresh;
            }

            /// The pure transition: the decision for `cost` at `now` from `state`, and the
            /// state to store afterwards (`state` itself when denied or peeking).
            pub fn decide(
                &self,
                state: &LimiterState,
                now: Nanos,
                cost: u64,
            ) -> Result<(Decision, LimiterState), Error> {
                match self {
                    $(
                        Limiter::$variant(policy) => {
                            let own = match state {
                                LimiterState::$variant(own) => *own,
                                _ => <$state>::default(),
                            };
                            let (decision, next) = Algorithm::decide(policy, &own, now, cost)?;
                            let next = if decision.allowed && cost > 0 {
                                LimiterState::$variant(next)
                            } else {
                                *state
                            };
                            Ok((decision, next))
                        }
                    )+
                }
            }
        }
    };
}

limiters! {
    /// The generic cell rate algorithm: [`Gcra`].
    Gcra(Gcra, GcraState),
    /// A sustained rate and a short-term peak: [`Burst`].
    Burst(Burst, BurstState),
    /// Counters per epoch-aligned window: [`FixedWindow`].
    FixedWindow(FixedWindow, FixedWindowState),
    /// The weighted two-window counter: [`SlidingWindow`].
    SlidingWindow(SlidingWindow, SlidingWindowState),
    /// A token bucket (checked without reservations here): [`TokenBucket`].
    TokenBucket(TokenBucket, TokenBucketState),
    /// A non-replenishing budget: [`Credits`].
    Credits(Credits, CreditsState),
}

impl Algorithm for Limiter {
    type State = LimiterState;

    fn capacity(&self) -> u64 {
        Limiter::capacity(self)
    }

    fn check(&self, state: &mut LimiterState, now: Nanos, cost: u64) -> Result<Decision, Error> {
        Limiter::check(self, state, now, cost)
    }

    fn peek(&self, state: &LimiterState, now: Nanos) -> Decision {
        Limiter::peek(self, state, now)
    }

    fn is_fresh(&self, state: &LimiterState, now: Nanos) -> bool {
        Limiter::is_fresh(self, state, now)
    }

    fn decide(
        &self,
        state: &LimiterState,
        now: Nanos,
        cost: u64,
    ) -> Result<(Decision, LimiterState), Error> {
        Limiter::decide(self, state, now, cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Quota;
    use core::time::Duration;

    fn limiters() -> [Limiter; 2] {
        let quota = Quota::parse("5/second burst 6").unwrap();
        [
            Limiter::from(Gcra::new(quota)),
            Limiter::from(Burst::new(quota, Duration::from_secs(1)).unwrap()),
        ]
    }

    #[test]
    fn dispatch_matches_the_algorithms() {
        let quota = Quota::parse("5/second burst 6").unwrap();
        let gcra = Gcra::new(quota);
        let burst = Burst::new(quota, Duration::from_secs(1)).unwrap();
        let [lg, lb] = limiters();
        let (mut sg, mut sb) = (GcraState::default(), BurstState::default());
        let (mut lsg, mut lsb) = (LimiterState::default(), LimiterState::default());
        for i in 0..40_u64 {
            let now = Nanos::from_millis(i * 70);
            let cost = i % 3;
            assert_eq!(
                lg.check(&mut lsg, now, cost),
                gcra.check(&mut sg, now, cost)
            );
            assert_eq!(
                lb.check(&mut lsb, now, cost),
                burst.check(&mut sb, now, cost)
            );
            assert_eq!(lg.peek(&lsg, now), gcra.peek(&sg, now));
            assert_eq!(lb.is_fresh(&lsb, now), burst.is_fresh(&sb, now));
        }
        assert_eq!((lg.name(), lb.name()), ("Gcra", "Burst"));
        assert_eq!((lg.capacity(), lb.capacity()), (6, 5));
    }

    #[test]
    fn a_state_of_another_variant_reads_as_fresh() {
        let [lg, lb] = limiters();
        let mut state = LimiterState::default();
        for _ in 0..6 {
            assert!(lg.check(&mut state, Nanos::ZERO, 1).unwrap().allowed);
        }
        assert!(!lg.check(&mut state, Nanos::ZERO, 1).unwrap().allowed);
        let used = state;
        // A peek and a denial leave it as it was.
        assert!(lb.is_fresh(&state, Nanos::ZERO));
        assert_eq!(lb.peek(&state, Nanos::ZERO).remaining, 5);
        assert!(lb.check(&mut state, Nanos::ZERO, 0).unwrap().allowed);
        assert_eq!(state, used);
        assert!(lb.check(&mut state, Nanos::ZERO, 6).is_err());
        assert_eq!(state, used);
        // An admission replaces it.
        let d = lb.check(&mut state, Nanos::ZERO, 1).unwrap();
        assert_eq!(d.remaining, 4);
        assert!(matches!(state, LimiterState::Burst(_)));
        lb.reset(&mut state);
        assert_eq!(state, LimiterState::Fresh);
    }
}
