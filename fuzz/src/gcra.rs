//! [`Gcra`] against the rational reference model, over arbitrary quotas, clocks and costs.
//!
//! Every decision of an exact quota (`Quota::is_exact`) is compared with the model while the
//! key stays away from the end of representable time (see [`gcra_in_range`]). An inexact
//! quota rounds its interval up, so it is checked to be never more permissive than the exact
//! rate: the model, given only what the core admitted, admits it too (with a clock that
//! does not step back, where "more permissive" has that meaning). Everything else, near
//! `u64::MAX` included, must merely be well formed and never panic.

use arbitrary::Arbitrary;
use ratecell::{Gcra, GcraState, Nanos};
use ratecell_reference::gcra as model;

use super::common::{
    At, Clock, Cost, MAX_OPS, ModelOutcome, Rate, Start, Time, assert_same, assert_well_formed,
    decode, gcra_in_range, numbers,
};

/// One operation on the key.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    Check(Time, Cost),
    Peek(Time),
    IsFresh(Time),
    Reset,
}

#[derive(Arbitrary, Debug)]
struct Input {
    rate: Rate,
    start: Start,
    ops: Vec<Op>,
}

/// The model of a fresh key under `gcra`'s quota.
fn fresh(gcra: &Gcra) -> model::Gcra {
    let q = gcra.quota();
    model::Gcra::new(q.limit(), q.period_nanos().as_nanos(), q.burst())
}

/// Runs one input.
///
/// # Panics
/// When the core disagrees with the model or breaks a property.
pub fn run(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    let Ok(quota) = input.rate.quota() else {
        return;
    };
    let gcra = Gcra::new(quota);
    assert_eq!(Gcra::from_raw(gcra.to_raw()), Some(gcra));
    let capacity = gcra.capacity();
    let exact = quota.is_exact();
    let unit = quota.period_nanos().as_nanos() / quota.limit().max(1);
    let mut clock = Clock::new(input.start, unit);
    let mut state = GcraState::default();
    // The model, while it applies; it restarts with the key at each reset.
    let mut reference = Some(fresh(&gcra));
    for (i, &op) in input.ops.iter().take(MAX_OPS).enumerate() {
        let what = At(i, &op);
        match op {
            Op::Check(t, cost) => {
                let now = clock.advance(t);
                let cost = cost.get(capacity);
                if !gcra_in_range(&gcra, clock.latest) || (!exact && !clock.monotone) {
                    reference = None;
                }
                let before = state;
                let pure = gcra.decide(before, Nanos::new(now), cost);
                let got = gcra.check(&mut state, Nanos::new(now), cost);
                assert_eq!(pure.map(|(d, _)| d), got, "{what}: decide and check differ");
                assert_eq!(pure.map_or(before, |(_, s)| s), state, "{what}");
                assert_well_formed(&what, capacity, cost, got, state != before);
                if let Ok(d) = got
                    && !d.allowed
                {
                    assert!(d.retry_after > Nanos::ZERO, "{what}: denied without a wait");
                }
                if let Some(m) = reference.as_mut() {
                    if exact {
                        assert_same(&what, got, m.check(now, cost), capacity);
                    } else if got.is_ok_and(|d| d.allowed) {
                        // The model, fed only the core's admissions, admits each of them.
                        let admitted = m.check(now, cost).is_some_and(|o| o.allowed);
                        assert!(admitted, "{what}: more permissive than the exact rate");
                    }
                }
            }
            Op::Peek(t) => {
                let now = clock.advance(t);
                if !gcra_in_range(&gcra, clock.latest) || (!exact && !clock.monotone) {
                    reference = None;
                }
                let d = gcra.peek(&state, Nanos::new(now));
                assert_eq!(Ok(d), gcra.check(&mut state.clone(), Nanos::new(now), 0));
                assert_well_formed(&what, capacity, 0, Ok(d), false);
                if exact && let Some(m) = reference.as_mut() {
                    let want = m.check(now, 0).map(|o| o.numbers());
                    assert_eq!(Some(numbers(&d)), want, "{what}");
                }
            }
            Op::IsFresh(t) => {
                let now = Nanos::new(clock.advance(t));
                let fresh_now = gcra.is_fresh(&state, now);
                // Fresh means indistinguishable from a new key at this instant.
                let d = gcra.peek(&state, now);
                if fresh_now {
                    assert_eq!(d, gcra.peek(&GcraState::FRESH, now), "{what}");
                    assert_eq!(d.reset_after, Nanos::ZERO, "{what}");
                }
            }
            Op::Reset => {
                gcra.reset(&mut state);
                assert_eq!(state, GcraState::FRESH);
                clock.restart();
                reference = Some(fresh(&gcra));
            }
        }
    }
}
