//! [`Burst`] against its reference model (`tests/src/burst.rs`): two GCRA keys, both or
//! neither, over arbitrary tiers, clocks, costs, peeks, resets and tier changes.
//!
//! Decisions are compared with the model while both buckets' quotas are exact and the key
//! stays away from the end of representable time (as for GCRA); a tier change
//! ([`Burst::convert_state`]) ends the comparison until the next reset. Building a tier must
//! fail exactly when the model says the burst window holds nothing, and every decision must
//! be well formed.

use arbitrary::Arbitrary;
use ratecell::{Burst, BurstState, Nanos, QuotaError};
use ratecell_reference::burst as model;

use super::common::{
    At, Clock, Cost, Count, MAX_OPS, Span, Start, Time, assert_same, assert_well_formed, decode,
    gcra_in_range,
};

/// A tier's numbers, valid or not.
#[derive(Arbitrary, Debug, Clone, Copy)]
struct Tier {
    limit: Count,
    period: Span,
    burst: Count,
    window: Span,
}

impl Tier {
    fn numbers(self) -> (u64, u64, u64, u64) {
        (
            self.limit.get(),
            self.period.get(),
            self.burst.get(),
            self.window.get(),
        )
    }

    /// The tier, checking its errors against the model's notion of a valid tier.
    fn build(self) -> Option<Burst> {
        let (limit, period, burst, window) = self.numbers();
        let built = Burst::from_nanos(limit, period, burst, window);
        let hold = (period > 0).then(|| model::Burst::peak_hold(period, burst, window));
        match built {
            Ok(b) => {
                let m = model::Burst::new(limit, period, burst, window);
                assert_eq!(m.map(|m| m.capacity()), Some(b.capacity()), "{self:?}");
                assert_eq!(hold, Some(u128::from(b.peak().capacity())), "{self:?}");
                Some(b)
            }
            Err(QuotaError::BurstWindowTooShort) => {
                assert_eq!(hold, Some(0), "{self:?}: the window holds something");
                None
            }
            Err(_) => None,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    Check(Time, Cost),
    Peek(Time),
    IsFresh(Time),
    Reset,
    /// The other tier from now on, the state converted to it.
    Switch,
}

#[derive(Arbitrary, Debug)]
struct Input {
    tier: Tier,
    other: Tier,
    start: Start,
    ops: Vec<Op>,
}

fn fresh(b: &Burst) -> Option<model::Burst> {
    let exact = b.sustained().quota().is_exact() && b.peak().quota().is_exact();
    let period = b.sustained().quota().period_nanos().as_nanos();
    let window = b.burst_window().as_nanos();
    let window = u64::try_from(window).unwrap_or(u64::MAX);
    exact
        .then(|| model::Burst::new(b.limit(), period, b.burst(), window))
        .flatten()
}

fn in_range(b: &Burst, latest: u64) -> bool {
    gcra_in_range(b.sustained(), latest) && gcra_in_range(b.peak(), latest)
}

/// Runs one input.
///
/// # Panics
/// When the core disagrees with the model or breaks a property.
pub fn run(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    let Some(first) = input.tier.build() else {
        return;
    };
    let tiers = [first, input.other.build().unwrap_or(first)];
    let (limit, period, burst, _) = input.tier.numbers();
    let mut clock = Clock::new(input.start, period / limit.max(burst));
    let mut current = 0;
    let mut state = BurstState::default();
    let mut reference = fresh(&first);
    for (i, op) in input.ops.iter().take(MAX_OPS).enumerate() {
        let what = At(i, op);
        let b = &tiers[current];
        match *op {
            Op::Check(t, cost) => {
                let now = clock.advance(t);
                if !in_range(b, clock.latest) {
                    reference = None;
                }
                let cost = cost.get(b.capacity());
                let before = state;
                let pure = b.decide(before, Nanos::new(now), cost);
                let got = b.check(&mut state, Nanos::new(now), cost);
                assert_eq!(pure.map(|(d, _)| d), got, "{what}: decide and check differ");
                assert_eq!(pure.map_or(before, |(_, s)| s), state, "{what}");
                assert_well_formed(&what, b.capacity(), cost, got, state != before);
                if let Some(m) = reference.as_mut() {
                    assert_same(&what, got, m.check(now, cost), b.capacity());
                }
            }
            Op::Peek(t) => {
                let now = clock.advance(t);
                if !in_range(b, clock.latest) {
                    reference = None;
                }
                let d = b.peek(&state, Nanos::new(now));
                assert_eq!(Ok(d), b.check(&mut state.clone(), Nanos::new(now), 0));
                assert_well_formed(&what, b.capacity(), 0, Ok(d), false);
                if let Some(m) = reference.as_mut() {
                    assert_same(&what, Ok(d), m.check(now, 0), b.capacity());
                }
            }
            Op::IsFresh(t) => {
                let now = Nanos::new(clock.advance(t));
                if b.is_fresh(&state, now) {
                    let new = b.peek(&BurstState::FRESH, now);
                    assert_eq!(b.peek(&state, now), new, "{what}: fresh but not new");
                }
            }
            Op::Reset => {
                b.reset(&mut state);
                current = 0;
                clock.restart();
                reference = fresh(&tiers[0]);
            }
            Op::Switch => {
                let next = 1 - current;
                let fresh_before = b.is_fresh(&state, Nanos::new(clock.now));
                state = tiers[next].convert_state(b, state);
                if fresh_before {
                    // A fresh key stays fresh under any tier.
                    assert!(
                        tiers[next].is_fresh(&state, Nanos::new(clock.now)),
                        "{what}"
                    );
                }
                current = next;
                reference = None;
            }
        }
    }
}
