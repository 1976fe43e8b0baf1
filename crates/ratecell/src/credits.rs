//! [`Credits`]: a budget that does not replenish, spent by requests and refilled only by
//! top-ups: HTTP `402 insufficient_api_credits`, as opposed to the `429` of a rate limit.
//!
//! Each key starts with the policy's `budget`. A request of cost `n` is admitted iff at least
//! `n` credits are left, and spends them. Nothing flows back with time: only
//! [`Credits::top_up`] adds credits. The numbers API providers publish as
//! `X-API-Credits-Remaining` and `X-API-Credits-Used` are [`Credits::remaining`] and
//! [`Credits::used`].
//!
//! # Outcomes
//!
//! - Admitted: `allowed`, `retry_after == 0`, `remaining` the credits left afterwards.
//! - Out of credits (the cost exceeds what is left): a denial, not an error, because a top-up
//!   can fix it. No wait can, so `retry_after == Nanos::MAX` and `reset_after == Nanos::MAX`:
//!   this is how a caller tells "out of credits" (`402`, top up) from a rate denial (`429`,
//!   retry after a finite wait). The state is unchanged; `remaining` is what is left.
//! - [`Error::InsufficientCapacity`] is never returned: any cost can be covered by topping up
//!   (within the `u64` limit below), so [`Credits::capacity`] is `u64::MAX`. A cost that could
//!   not be covered even then is simply refused like any other.
//! - `limit` is what the key has been granted in total (`budget` plus its top-ups), so that
//!   `limit - remaining` is what it has used.
//! - `reset_after` is `Nanos::MAX` (credits never come back with time), except `0` for an
//!   admitted request that leaves the key fresh (a peek of an unused key).
//! - `cost == 0` peeks: always admitted, nothing stored.
//!
//! # Exactness and bounds
//!
//! Everything is whole credits in `u64`: exact, no rounding. A key can be granted at most
//! `u64::MAX` credits over its life (its budget plus every top-up), so `used` and `remaining`
//! are always exact; a top-up beyond that is [`Error::CreditsOverflow`] and adds nothing,
//! never wrapping. Time does not matter: `now` is taken only so that credits have the same
//! signatures as every other [`Algorithm`](crate::Algorithm), and decisions are the same at any instant, in any
//! order of instants.
//!
//! # Freshness and changing the budget
//!
//! The state holds what the key has used and what it has been topped up with, 16 bytes;
//! [`CreditsState::default`] (nothing used, nothing added) is a fresh key and the only state
//! [`Credits::is_fresh`] accepts, so reclaiming never forgets a spend or a top-up. The budget
//! lives in the policy and is applied at each decision: a policy with a larger budget gives
//! every key the difference at once, and one with a smaller budget leaves `remaining` at zero
//! (never negative) for keys that have already used more.

use crate::decision::Decision;
use crate::error::Error;
use crate::time::Nanos;

/// The credits policy: the budget every key starts with.
///
/// ```
/// use ratecell::{Credits, CreditsState, Nanos};
///
/// let credits = Credits::new(1_000);
/// let mut key = CreditsState::default();
///
/// let d = credits.check(&mut key, Nanos::ZERO, 588)?;
/// assert!(d.allowed);
/// // X-API-Credits-Remaining and X-API-Credits-Used
/// assert_eq!((credits.remaining(&key), credits.used(&key)), (412, 588));
///
/// // Out of credits: refused, and no wait will help (402, not 429).
/// let d = credits.check(&mut key, Nanos::from_secs(60), 500)?;
/// assert!(!d.allowed);
/// assert_eq!(d.retry_after, Nanos::MAX);
/// assert_eq!(d.remaining, 412);
///
/// // A top-up fixes it.
/// assert_eq!(credits.top_up(&mut key, 100)?, 512);
/// assert!(credits.check(&mut key, Nanos::from_secs(60), 500)?.allowed);
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Credits {
    budget: u64,
}

/// One key's credits: what it has used and what it has been topped up with. 16 bytes, `Copy`;
/// the default value is a fresh key.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CreditsState {
    /// Credits spent by admitted requests.
    used: u64,
    /// Credits added by top-ups.
    added: u64,
}

impl CreditsState {
    /// A key that has never been seen.
    pub const FRESH: CreditsState = CreditsState { used: 0, added: 0 };

    /// Rebuilds a state from [`CreditsState::to_parts`].
    pub const fn from_parts(parts: [u64; 2]) -> CreditsState {
        let [used, added] = parts;
        CreditsState { used, added }
    }

    /// The state as two integers (credits used, credits added by top-ups), for storing it
    /// outside Rust.
    pub const fn to_parts(self) -> [u64; 2] {
        [self.used, self.added]
    }
}

impl Credits {
    /// A policy giving every key `budget` credits. A budget of zero is allowed: keys then
    /// spend only what they are topped up with.
    pub const fn new(budget: u64) -> Credits {
        Credits { budget }
    }

    /// The credits every key starts with.
    pub const fn budget(&self) -> u64 {
        self.budget
    }

    /// The largest cost a single request may have: `u64::MAX`, since top-ups can always make
    /// room (see the module documentation).
    pub const fn capacity(&self) -> u64 {
        u64::MAX
    }

    /// What the key has been granted: the budget plus its top-ups (the decision's `limit`).
    pub const fn granted(&self, state: &CreditsState) -> u64 {
        self.budget.saturating_add(state.added)
    }

    /// The credits left (`X-API-Credits-Remaining`).
    pub const fn remaining(&self, state: &CreditsState) -> u64 {
        self.granted(state).saturating_sub(state.used)
    }

    /// The credits spent (`X-API-Credits-Used`).
    pub const fn used(&self, state: &CreditsState) -> u64 {
        state.used
    }

    /// Spends `cost` credits if that many are left. `now` is ignored (see the module
    /// documentation); `cost == 0` peeks. Never returns an error.
    pub fn check(
        &self,
        state: &mut CreditsState,
        now: Nanos,
        cost: u64,
    ) -> Result<Decision, Error> {
        let (decision, next) = self.decide(*state, now, cost)?;
        *state = next;
        Ok(decision)
    }

    /// The key's standing, recording nothing (`check` with cost 0).
    pub fn peek(&self, state: &CreditsState, now: Nanos) -> Decision {
        let _ = now;
        self.decide_any(*state, 0).0
    }

    /// Resets a key to fresh: its budget again, its top-ups forgotten.
    pub fn reset(&self, state: &mut CreditsState) {
        *state = CreditsState::FRESH;
    }

    /// True only for a key that has used nothing and been topped up with nothing, whatever
    /// `now` is: any other key would lose a spend or a top-up if it were forgotten.
    pub fn is_fresh(&self, state: &CreditsState, now: Nanos) -> bool {
        let _ = now;
        *state == CreditsState::FRESH
    }

    /// The pure transition of [`Credits::check`]: the decision and the state to store
    /// afterwards (unchanged when refused or peeking). Never returns an error.
    pub fn decide(
        &self,
        state: CreditsState,
        now: Nanos,
        cost: u64,
    ) -> Result<(Decision, CreditsState), Error> {
        let _ = now;
        Ok(self.decide_any(state, cost))
    }

    /// Adds `amount` credits to the key and returns the credits it has left.
    ///
    /// It is [`Error::CreditsOverflow`] (and nothing is added) if the key would then have been
    /// granted more than `u64::MAX` credits over its life.
    ///
    /// ```
    /// use ratecell::{Credits, CreditsState, Error};
    ///
    /// let credits = Credits::new(10);
    /// let mut key = CreditsState::default();
    /// assert_eq!(credits.top_up(&mut key, 5)?, 15);
    /// assert_eq!(
    ///     credits.top_up(&mut key, u64::MAX),
    ///     Err(Error::CreditsOverflow { headroom: u64::MAX - 15 })
    /// );
    /// assert_eq!(credits.remaining(&key), 15);
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    pub fn top_up(&self, state: &mut CreditsState, amount: u64) -> Result<u64, Error> {
        let headroom = u64::MAX.saturating_sub(self.granted(state));
        if amount > headroom {
            return Err(Error::CreditsOverflow { headroom });
        }
        // `budget + added + amount <= u64::MAX`, so `added + amount` fits too.
        state.added = state.added.saturating_add(amount);
        Ok(self.remaining(state))
    }

    fn decide_any(self, state: CreditsState, cost: u64) -> (Decision, CreditsState) {
        let left = self.remaining(&state);
        if cost > left {
            let decision = Decision {
                allowed: false,
                limit: self.granted(&state),
                remaining: left,
                retry_after: Nanos::MAX,
                reset_after: Nanos::MAX,
            };
            return (decision, state);
        }
        // `used + cost <= granted <= u64::MAX`.
        let next = CreditsState {
            used: state.used.saturating_add(cost),
            ..state
        };
        let decision = Decision {
            allowed: true,
            limit: self.granted(&next),
            remaining: left - cost,
            retry_after: Nanos::ZERO,
            reset_after: if next == CreditsState::FRESH {
                Nanos::ZERO
            } else {
                Nanos::MAX
            },
        };
        (decision, next)
    }
}

forward_algorithm!([] Credits => CreditsState, decide);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_sixteen_bytes() {
        assert_eq!(core::mem::size_of::<CreditsState>(), 16);
    }

    #[test]
    fn a_fresh_key_spends_exactly_its_budget() {
        let c = Credits::new(3);
        let mut s = CreditsState::default();
        for left in (0..3).rev() {
            let d = c.check(&mut s, Nanos::ZERO, 1).unwrap();
            assert!(d.allowed);
            assert_eq!((d.limit, d.remaining, d.reset_after), (3, left, Nanos::MAX));
        }
        let d = c.check(&mut s, Nanos::ZERO, 1).unwrap();
        assert!(!d.allowed);
        assert_eq!((d.retry_after, d.reset_after), (Nanos::MAX, Nanos::MAX));
    }

    #[test]
    fn peeking_an_unused_key_reports_it_fresh() {
        let c = Credits::new(5);
        let s = CreditsState::default();
        let d = c.peek(&s, Nanos::from_secs(9));
        assert!(d.allowed);
        assert_eq!((d.remaining, d.reset_after), (5, Nanos::ZERO));
        assert!(c.is_fresh(&s, Nanos::MAX));
    }

    #[test]
    fn a_zero_budget_spends_only_top_ups() {
        let c = Credits::new(0);
        let mut s = CreditsState::default();
        assert!(!c.check(&mut s, Nanos::ZERO, 1).unwrap().allowed);
        assert!(c.is_fresh(&s, Nanos::ZERO));
        assert_eq!(c.top_up(&mut s, 2), Ok(2));
        assert!(!c.is_fresh(&s, Nanos::ZERO));
        assert!(c.check(&mut s, Nanos::ZERO, 2).unwrap().allowed);
        assert_eq!((c.used(&s), c.remaining(&s), c.granted(&s)), (2, 0, 2));
    }

    #[test]
    fn a_smaller_budget_never_makes_remaining_negative() {
        let mut s = CreditsState::default();
        assert!(
            Credits::new(10)
                .check(&mut s, Nanos::ZERO, 8)
                .unwrap()
                .allowed
        );
        let smaller = Credits::new(5);
        assert_eq!(smaller.remaining(&s), 0);
        assert_eq!(smaller.used(&s), 8);
        assert!(!smaller.check(&mut s, Nanos::ZERO, 1).unwrap().allowed);
    }
}
