//! [`Credits`] against its reference model (`tests/src/credits.rs`, a `u128` ledger): spends,
//! peeks, top-ups up to and beyond the `u64` bound, resets, at any instants in any order.
//!
//! The model describes every input, so every decision, top-up, count and freshness is
//! compared with it.

use arbitrary::Arbitrary;
use ratecell::{Credits, CreditsState, Error, Nanos};
use ratecell_reference::credits as model;

use super::common::{At, Count, MAX_OPS, ModelOutcome, decode, numbers};

/// A number of credits, relative to what the key has left.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Amount {
    /// 0.
    Zero,
    /// A small or round number, or any `u64`.
    Count(Count),
    /// Exactly what is left.
    Left,
    /// One more than what is left.
    AboveLeft,
    /// `u64::MAX`.
    Max,
}

impl Amount {
    fn get(self, left: u64) -> u64 {
        match self {
            Amount::Zero => 0,
            Amount::Count(c) => c.get(),
            Amount::Left => left,
            Amount::AboveLeft => left.saturating_add(1),
            Amount::Max => u64::MAX,
        }
    }
}

/// One operation on the key; the instants are arbitrary, since credits ignore time.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    Check(u64, Amount),
    Peek(u64),
    TopUp(Amount),
    IsFresh(u64),
    Reset,
}

#[derive(Arbitrary, Debug)]
struct Input {
    budget: Amount,
    ops: Vec<Op>,
}

/// Runs one input.
///
/// # Panics
/// When the core disagrees with the model or breaks a property.
pub fn run(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    let budget = input.budget.get(0);
    let credits = Credits::new(budget);
    assert_eq!(credits.capacity(), u64::MAX);
    let mut state = CreditsState::default();
    let mut reference = model::Credits::new(budget);
    for (i, &op) in input.ops.iter().take(MAX_OPS).enumerate() {
        let what = At(i, &op);
        let left = credits.remaining(&state);
        match op {
            Op::Check(now, amount) => {
                let cost = amount.get(left);
                let before = state;
                let pure = credits.decide(before, Nanos::new(now), cost);
                let got = credits.check(&mut state, Nanos::new(now), cost);
                assert_eq!(pure.map(|(d, _)| d), got, "{what}: decide and check differ");
                let d = got.unwrap_or_else(|e| panic!("{what}: credits returned {e:?}"));
                assert_eq!(numbers(&d), reference.check(cost).numbers(), "{what}");
                if !d.allowed || cost == 0 {
                    assert_eq!(state, before, "{what}: a denial or a peek stored something");
                }
            }
            Op::Peek(now) => {
                let d = credits.peek(&state, Nanos::new(now));
                assert_eq!(numbers(&d), reference.check(0).numbers(), "{what}");
            }
            Op::TopUp(amount) => {
                let amount = amount.get(left);
                let before = state;
                match (credits.top_up(&mut state, amount), reference.top_up(amount)) {
                    (Ok(got), Some(want)) => assert_eq!(got, want, "{what}"),
                    (Err(Error::CreditsOverflow { headroom }), None) => {
                        assert_eq!(state, before, "{what}: a refused top-up added");
                        assert_eq!(headroom, reference.headroom(), "{what}");
                    }
                    (got, want) => panic!("{what}: the core says {got:?}, the model {want:?}"),
                }
            }
            Op::IsFresh(now) => {
                let fresh = credits.is_fresh(&state, Nanos::new(now));
                assert_eq!(fresh, reference.is_fresh(), "{what}");
            }
            Op::Reset => {
                credits.reset(&mut state);
                assert!(credits.is_fresh(&state, Nanos::ZERO), "{what}");
                reference = model::Credits::new(budget);
            }
        }
        assert_eq!(credits.remaining(&state), reference.remaining(), "{what}");
        assert_eq!(credits.used(&state), reference.used(), "{what}");
    }
}
