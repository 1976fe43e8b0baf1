//! The driver the three window targets share: an operation sequence on one key, written
//! once against [`Algorithm`], compared step by step with a reference model.
//!
//! The window models keep every admission and recount it at each question, so they are
//! asked only about small limits and the first [`MODEL_OPS`] operations after a reset; they
//! describe the whole `u64` time line, its end included. A switch to the second policy (a
//! runtime reconfiguration, whose outcome the models do not describe) ends the comparison
//! until the next reset. Every decision, compared or not, must be well formed.

use core::fmt::Debug;

use arbitrary::Arbitrary;
use ratecell::{Algorithm, Nanos, Quota};

use super::common::{
    At, Clock, Cost, MAX_OPS, ModelOutcome, Numbers, Rate, Start, Time, assert_well_formed, decode,
    numbers,
};

/// The models are asked about limits up to this.
pub const MODEL_LIMIT: u64 = 64;
/// The models are asked about this many operations after a reset.
pub const MODEL_OPS: usize = 64;

/// One operation on the key.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Op {
    /// A request of some cost.
    Check(Time, Cost),
    /// A peek.
    Peek(Time),
    /// Whether the key is fresh, and what that implies.
    IsFresh(Time),
    /// Back to a fresh key (and to the first policy).
    Reset,
    /// The other policy from now on, keeping the state.
    Switch,
}

/// A reference model of one key.
pub trait Reference {
    /// The model's decision, `None` above the capacity.
    fn decide(&mut self, now: u64, cost: u64) -> Option<Numbers>;
}

macro_rules! reference {
    ($($model:ty),+) => {
        $(impl Reference for $model {
            fn decide(&mut self, now: u64, cost: u64) -> Option<Numbers> {
                self.check(now, cost).map(|o| o.numbers())
            }
        })+
    };
}

reference!(
    ratecell_reference::fixed_window::FixedWindow,
    ratecell_reference::sliding_window::SlidingWindow,
    ratecell_reference::sliding_log::SlidingLog
);

/// Runs `ops` on one key under `policies[0]` (and `policies[1]` after a switch), starting at
/// `start` with a clock stepping in `unit`s (a period). `model(policy)` is the model of a
/// fresh key, `None` when none applies.
///
/// # Panics
/// When a decision differs from the model's or is not well formed.
pub fn drive<A, M>(
    policies: &[A; 2],
    model: impl Fn(&A) -> Option<M>,
    (start, unit): (Start, u64),
    ops: &[Op],
) where
    A: Algorithm,
    A::State: Clone + PartialEq + Debug,
    M: Reference,
{
    let mut clock = Clock::new(start, unit);
    let mut current = 0;
    let mut state = A::State::default();
    let mut reference = model(&policies[0]);
    let mut since_reset = 0;
    for (i, op) in ops.iter().take(MAX_OPS).enumerate() {
        let what = At(i, op);
        let policy = &policies[current];
        since_reset += 1;
        if since_reset > MODEL_OPS {
            reference = None;
        }
        match *op {
            Op::Check(t, cost) => {
                let now = clock.advance(t);
                let cost = cost.get(policy.capacity());
                let before = state.clone();
                let got = policy.check(&mut state, Nanos::new(now), cost);
                assert_well_formed(&what, policy.capacity(), cost, got, state != before);
                if let Some(m) = reference.as_mut() {
                    let want = m.decide(now, cost);
                    match (got, want) {
                        (Ok(d), Some(w)) => assert_eq!(numbers(&d), w, "{what}"),
                        (Err(_), None) => {}
                        (got, want) => panic!("{what}: the core says {got:?}, the model {want:?}"),
                    }
                }
            }
            Op::Peek(t) => {
                let now = Nanos::new(clock.advance(t));
                let d = policy.peek(&state, now);
                assert_eq!(Ok(d), policy.check(&mut state.clone(), now, 0), "{what}");
                assert_well_formed(&what, policy.capacity(), 0, Ok(d), false);
                if let Some(m) = reference.as_mut() {
                    assert_eq!(Some(numbers(&d)), m.decide(now.as_nanos(), 0), "{what}");
                }
            }
            Op::IsFresh(t) => {
                let now = Nanos::new(clock.advance(t));
                if policy.is_fresh(&state, now) {
                    let fresh = policy.peek(&A::State::default(), now);
                    assert_eq!(policy.peek(&state, now), fresh, "{what}: fresh but not new");
                }
            }
            Op::Reset => {
                state = A::State::default();
                current = 0;
                since_reset = 0;
                clock.restart();
                reference = model(&policies[0]);
            }
            Op::Switch => {
                current = 1 - current;
                reference = None;
            }
        }
    }
}

/// The input of a window target built from one quota: the quota, a second one to switch to,
/// where the clock starts, and the operations.
#[derive(Arbitrary, Debug)]
struct QuotaInput {
    rate: Rate,
    other: Rate,
    start: Start,
    ops: Vec<Op>,
}

/// Runs one input of a window target built from one quota: `policy` makes the window from a
/// quota and `quota_of` reads it back, `model` makes the reference for `(limit, period_ns)`
/// (asked only up to [`MODEL_LIMIT`]). The clock's unit is the first quota's period.
///
/// # Panics
/// When the core disagrees with the model or breaks a property.
pub fn run_quota_window<A, M>(
    data: &[u8],
    policy: fn(Quota) -> A,
    quota_of: fn(&A) -> &Quota,
    model: fn(u64, u64) -> M,
) where
    A: Algorithm,
    A::State: Clone + PartialEq + Debug,
    M: Reference,
{
    let Some(input) = decode::<QuotaInput>(data) else {
        return;
    };
    let (Ok(quota), Ok(other)) = (input.rate.quota(), input.other.quota()) else {
        return;
    };
    let reference = |w: &A| {
        let q = quota_of(w);
        (q.limit() <= MODEL_LIMIT).then(|| model(q.limit(), q.period_nanos().as_nanos()))
    };
    let policies = [policy(quota), policy(other)];
    let clock = (input.start, quota.period_nanos().as_nanos());
    drive(&policies, reference, clock, &input.ops);
}
