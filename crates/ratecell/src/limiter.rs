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
//! states without knowing the algorithm. The first request the algorithm records (an admitted
//! one, or the first refusal of a [`TokenBucket::starting_empty`] bucket, which starts its
//! refill) replaces the state with one of the limiter's own variant; peeks and other denials
//! leave it as it was.
//! `is_fresh` is true for such a state.
//!
//! The price is that a key moved to another algorithm starts fresh: what it owed under the
//! old algorithm is forgotten. Within one variant, each algorithm's own rules for changing
//! its quota apply (see for example [`Burst::convert_state`]).
//!
//! # Adding an algorithm
//!
//! Each algorithm is one entry of the `for_each_algorithm!` list in this module:
//! `Name(Policy, State)`, with a doc comment. The entry generates the `Limiter::Name` and
//! `LimiterState::Name` variants, both `From` conversions, every arm of the dispatch, and the
//! algorithm's store in [`DynKeyedStore`](crate::DynKeyedStore). The
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
use crate::token_bucket::{Reservation, TokenBucket, TokenBucketState};

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
                // The algorithm checks the stored state in place: no transition is built and
                // copied out, which on the per-request path costs more than the decision.
                match self {
                    $(
                        Limiter::$variant(policy) => match state {
                            LimiterState::$variant(own) => Algorithm::check(policy, own, now, cost),
                            _ => {
                                let mut own = <$state>::default();
                                let decision = Algorithm::check(policy, &mut own, now, cost)?;
                                // Whatever the algorithm records is stored: usually an
                                // admitted request, but also the first refusal of a token
                                // bucket that starts empty, which starts its refill.
                                if own != <$state>::default() {
                                    *state = LimiterState::$variant(own);
                                }
                                Ok(decision)
                            }
                        },
                    )+
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
                // `check` on a copy: one place says what a check records.
                let mut next = *state;
                let decision = self.check(&mut next, now, cost)?;
                Ok((decision, next))
            }
        }
    };
}

/// Calls the macro `$callback` with the list of every algorithm a [`Limiter`] holds, one
/// `Name(Policy, State),` entry each with its doc comment: the one place that names them, so
/// that the `Limiter` dispatch and the per-algorithm stores of
/// [`DynKeyedStore`](crate::DynKeyedStore) cannot disagree.
macro_rules! for_each_algorithm {
    ($callback:ident) => {
        $callback! {
            /// The generic cell rate algorithm: [`Gcra`].
            Gcra(Gcra, GcraState),
            /// A sustained rate and a short-term peak: [`Burst`].
            Burst(Burst, BurstState),
            /// Counters per epoch-aligned window: [`FixedWindow`].
            FixedWindow(FixedWindow, FixedWindowState),
            /// The weighted two-window counter: [`SlidingWindow`].
            SlidingWindow(SlidingWindow, SlidingWindowState),
            /// A token bucket, with reservations through [`Limiter::reserve`]: [`TokenBucket`].
            TokenBucket(TokenBucket, TokenBucketState),
            /// A non-replenishing budget: [`Credits`].
            Credits(Credits, CreditsState),
        }
    };
}
#[cfg_attr(not(feature = "std"), allow(unused_imports))]
pub(crate) use for_each_algorithm;

for_each_algorithm!(limiters);

impl Limiter {
    /// Adds `amount` credits to a key of a [`Limiter::Credits`] budget and returns the credits
    /// it has left (see [`Credits::top_up`]; a state of another variant reads as fresh).
    /// `None`, changing nothing, for every other algorithm: their keys hold no credits.
    ///
    /// ```
    /// use ratecell::{Credits, Gcra, Limiter, LimiterState, Nanos, Quota};
    ///
    /// let budget = Limiter::from(Credits::new(10));
    /// let mut key = LimiterState::default();
    /// assert!(budget.check(&mut key, Nanos::ZERO, 10)?.allowed);
    /// assert_eq!(budget.top_up(&mut key, 5), Some(Ok(5)));
    /// assert_eq!(Limiter::from(Gcra::new(Quota::per_second(1)?)).top_up(&mut key, 5), None);
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub fn top_up(&self, state: &mut LimiterState, amount: u64) -> Option<Result<u64, Error>> {
        let Limiter::Credits(credits) = self else {
            return None;
        };
        let mut own = match state {
            LimiterState::Credits(own) => *own,
            _ => CreditsState::default(),
        };
        let left = credits.top_up(&mut own, amount);
        if left.is_ok() {
            *state = LimiterState::Credits(own);
        }
        Some(left)
    }

    /// Reserves `cost` tokens of a key of a [`Limiter::TokenBucket`] (see
    /// [`TokenBucket::reserve`]; a state of another variant reads as fresh). `None`, changing
    /// nothing, for every other algorithm.
    ///
    /// ```
    /// use ratecell::{Error, Gcra, Limiter, LimiterState, Nanos, Quota, TokenBucket};
    ///
    /// let bucket = Limiter::from(TokenBucket::new(Quota::per_second(10)?));
    /// let mut key = LimiterState::default();
    /// let never = bucket.reserve(&mut key, Nanos::ZERO, 12, Nanos::from_secs(1));
    /// assert_eq!(never, Some(Err(Error::InsufficientCapacity { capacity: 10 })));
    /// let gcra = Limiter::from(Gcra::new(Quota::per_second(10)?));
    /// assert_eq!(gcra.reserve(&mut key, Nanos::ZERO, 1, Nanos::ZERO), None);
    /// let mut r = bucket.reserve(&mut key, Nanos::ZERO, 10, Nanos::ZERO).expect("a bucket")?;
    /// assert!(r.is_committed());
    /// assert_eq!(bucket.cancel(&mut key, &mut r, Nanos::ZERO), Some(10));
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub fn reserve(
        &self,
        state: &mut LimiterState,
        now: Nanos,
        cost: u64,
        max_wait: Nanos,
    ) -> Option<Result<Reservation, Error>> {
        let Limiter::TokenBucket(bucket) = self else {
            return None;
        };
        let mut own = match state {
            LimiterState::TokenBucket(own) => *own,
            _ => TokenBucketState::default(),
        };
        let reserved = bucket.reserve(&mut own, now, cost, max_wait);
        if reserved.is_ok() {
            *state = LimiterState::TokenBucket(own);
        }
        Some(reserved)
    }

    /// Cancels a reservation of a key of a [`Limiter::TokenBucket`] and returns the whole
    /// tokens given back (see [`TokenBucket::cancel`]). `None`, changing nothing, for every
    /// other algorithm, or when the key holds no bucket state.
    pub fn cancel(
        &self,
        state: &mut LimiterState,
        reservation: &mut Reservation,
        now: Nanos,
    ) -> Option<u64> {
        match (self, state) {
            (Limiter::TokenBucket(bucket), LimiterState::TokenBucket(own)) => {
                Some(bucket.cancel(own, reservation, now))
            }
            _ => None,
        }
    }
}

#[cfg(feature = "std")]
impl<K, H, L> crate::KeyedStore<K, Limiter, H, L>
where
    K: core::hash::Hash + Eq,
    H: core::hash::BuildHasher,
    L: crate::Locking,
{
    /// Adds `amount` credits to `key` of a credits store ([`Limiter::top_up`]), storing the
    /// key if it is new, and returns the credits it has left. `None`, changing nothing, when
    /// the policy is not a credits budget, or when the key is new and the store is full of
    /// keys that still count.
    ///
    /// ```
    /// use ratecell::{Credits, KeyedStore, Limiter, Nanos, WhenFull};
    ///
    /// let credits: KeyedStore<Box<str>, Limiter> =
    ///     KeyedStore::new(Limiter::from(Credits::new(1_000)), 10_000, WhenFull::FailClosed);
    /// assert!(credits.check("acct", Nanos::ZERO, 1_000)?.allowed());
    /// assert!(!credits.check("acct", Nanos::ZERO, 1)?.allowed());
    /// assert_eq!(credits.top_up("acct", Nanos::ZERO, 400), Some(Ok(400)));
    /// assert!(credits.check("acct", Nanos::ZERO, 1)?.allowed());
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub fn top_up<Q>(&self, key: &Q, now: Nanos, amount: u64) -> Option<Result<u64, Error>>
    where
        K: core::borrow::Borrow<Q>,
        Q: ?Sized + core::hash::Hash + Eq + std::borrow::ToOwned,
        Q::Owned: Into<K>,
    {
        self.upsert(key, now, |policy, state| {
            let left = policy.top_up(state, amount);
            (left, policy.peek(state, now).reset_after)
        })
        .ok()
        .flatten()
    }

    /// Reserves `cost` tokens for `key` of a token bucket store ([`Limiter::reserve`]),
    /// storing the key if it is new. `None`, changing nothing, when the policy is not a token
    /// bucket, or when the key is new and the store is full of keys that still count.
    ///
    /// ```
    /// use ratecell::{KeyedStore, Limiter, Nanos, Quota, TokenBucket, WhenFull};
    ///
    /// let bucket = Limiter::from(TokenBucket::new(Quota::per_second(10)?));
    /// let store: KeyedStore<Box<str>, Limiter> = KeyedStore::new(bucket, 100, WhenFull::FailClosed);
    /// let all = store.reserve("acct", Nanos::ZERO, 10, Nanos::ZERO).expect("room")?;
    /// // Five more tokens refill in half a second: worth the wait when it may last a second.
    /// let mut next = store.reserve("acct", Nanos::ZERO, 5, Nanos::from_secs(1)).expect("room")?;
    /// assert!(all.is_committed() && next.is_committed());
    /// assert_eq!(next.ready_at(), Nanos::from_millis(500));
    /// assert_eq!(store.cancel("acct", &mut next, Nanos::ZERO), Some(5));
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub fn reserve<Q>(
        &self,
        key: &Q,
        now: Nanos,
        cost: u64,
        max_wait: Nanos,
    ) -> Option<Result<Reservation, Error>>
    where
        K: core::borrow::Borrow<Q>,
        Q: ?Sized + core::hash::Hash + Eq + std::borrow::ToOwned,
        Q::Owned: Into<K>,
    {
        self.upsert(key, now, |policy, state| {
            let reserved = policy.reserve(state, now, cost, max_wait);
            (reserved, policy.peek(state, now).reset_after)
        })
        .ok()
        .flatten()
    }

    /// Cancels `key`'s `reservation` at `now` ([`Limiter::cancel`]) and returns the whole
    /// tokens given back. `None` when the key is not stored or the policy is not a token
    /// bucket.
    pub fn cancel<Q>(&self, key: &Q, reservation: &mut Reservation, now: Nanos) -> Option<u64>
    where
        K: core::borrow::Borrow<Q>,
        Q: ?Sized + core::hash::Hash + Eq,
    {
        self.modify(key, now, |policy, state| {
            let returned = policy.cancel(state, reservation, now);
            (returned, policy.peek(state, now).reset_after)
        })
        .flatten()
    }
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
    fn a_bucket_that_starts_empty_records_its_first_refusal() {
        let bucket = TokenBucket::new(Quota::per_second(10).unwrap()).starting_empty();
        let limiter = Limiter::from(bucket);
        let (mut own, mut any) = (TokenBucketState::default(), LimiterState::default());
        for (ms, cost) in [(60_000, 1), (60_100, 1), (61_000, 0), (61_000, 9)] {
            let now = Nanos::from_millis(ms);
            assert_eq!(
                limiter.check(&mut any, now, cost),
                bucket.check(&mut own, now, cost)
            );
        }
        assert_eq!(any, LimiterState::TokenBucket(own));
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
