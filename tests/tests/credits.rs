//! Credits against their reference model, and the properties their contract promises.

use proptest::prelude::*;
use ratecell::{Credits, CreditsState, Decision, Error, Nanos};
use ratecell_reference::credits as model;

/// Budgets from none to the whole `u64` range.
fn budgets() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0_u64),
        1_u64..=100,
        1_u64..=1_000_000,
        Just(u64::MAX),
        any::<u64>()
    ]
}

/// Amounts (costs and top-ups) at every scale, so that exhaustion and overflow both happen.
fn amounts() -> impl Strategy<Value = u64> + Clone {
    prop_oneof![
        4 => 0_u64..=20,
        2 => 0_u64..=1_000_000,
        1 => any::<u64>(),
        1 => Just(u64::MAX),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    Check { at: u64, cost: u64 },
    TopUp { amount: u64 },
    Peek { at: u64 },
}

/// Instants in any order: time does not matter to credits.
fn ops() -> impl Strategy<Value = Vec<Op>> {
    ops_of(amounts())
}

fn ops_of(amounts: impl Strategy<Value = u64> + Clone) -> impl Strategy<Value = Vec<Op>> {
    let at = prop_oneof![0_u64..=1_000, any::<u64>(), Just(u64::MAX)];
    let op = prop_oneof![
        5 => (at.clone(), amounts.clone()).prop_map(|(at, cost)| Op::Check { at, cost }),
        2 => amounts.prop_map(|amount| Op::TopUp { amount }),
        1 => at.prop_map(|at| Op::Peek { at }),
    ];
    prop::collection::vec(op, 1..60)
}

fn numbers(d: &Decision) -> (bool, u64, u64, u64, u64) {
    (
        d.allowed,
        d.limit,
        d.remaining,
        d.retry_after.as_nanos(),
        d.reset_after.as_nanos(),
    )
}

fn model_numbers(o: &model::Outcome) -> (bool, u64, u64, u64, u64) {
    (
        o.allowed,
        o.limit,
        o.remaining,
        o.retry_after,
        o.reset_after,
    )
}

/// A decision's numbers, or for a top-up `(true, 0, left, 0, 0)`.
type Step = Result<(bool, u64, u64, u64, u64), Error>;

/// Replays `ops`, returning every decision and top-up result in order.
fn outcomes(c: Credits, state: &mut CreditsState, ops: &[Op]) -> Vec<Step> {
    ops.iter()
        .map(|op| match op {
            Op::Check { at, cost } => c.check(state, Nanos::new(*at), *cost).map(|d| numbers(&d)),
            Op::TopUp { amount } => c.top_up(state, *amount).map(|left| (true, 0, left, 0, 0)),
            Op::Peek { at } => Ok(numbers(&c.peek(state, Nanos::new(*at)))),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_decision_and_top_up_matches_the_reference_model(budget in budgets(), ops in ops()) {
        let c = Credits::new(budget);
        let mut m = model::Credits::new(budget);
        let mut state = CreditsState::default();
        for op in &ops {
            match op {
                Op::Check { at, cost } => {
                    let d = c.check(&mut state, Nanos::new(*at), *cost).expect("never an error");
                    prop_assert_eq!(numbers(&d), model_numbers(&m.check(*cost)), "{:?}", op);
                }
                Op::TopUp { amount } => {
                    let want = match m.headroom() {
                        headroom if *amount > headroom => Err(Error::CreditsOverflow { headroom }),
                        _ => Ok(m.top_up(*amount).expect("within headroom")),
                    };
                    prop_assert_eq!(c.top_up(&mut state, *amount), want, "{:?}", op);
                }
                Op::Peek { at } => {
                    let want = m.clone().check(0);
                    prop_assert_eq!(numbers(&c.peek(&state, Nanos::new(*at))), model_numbers(&want));
                }
            }
            // The header numbers and freshness, after every step.
            prop_assert_eq!((c.remaining(&state), c.used(&state)), (m.remaining(), m.used()));
            prop_assert_eq!(c.is_fresh(&state, Nanos::ZERO), m.is_fresh());
        }
    }

    #[test]
    fn decisions_do_not_depend_on_time(budget in budgets(), ops in ops(), shift in any::<u64>()) {
        // The same trace at other instants (shifted, wrapped around: any order) decides alike.
        let c = Credits::new(budget);
        let moved: Vec<Op> = ops.iter().map(|op| match op {
            Op::Check { at, cost } => Op::Check { at: at.wrapping_add(shift), cost: *cost },
            Op::Peek { at } => Op::Peek { at: at.wrapping_add(shift) },
            Op::TopUp { amount } => Op::TopUp { amount: *amount },
        }).collect();
        let (mut a, mut b) = (CreditsState::default(), CreditsState::default());
        prop_assert_eq!(outcomes(c, &mut a, &ops), outcomes(c, &mut b, &moved));
        prop_assert_eq!(a, b);
    }

    #[test]
    fn admitted_costs_never_exceed_the_budget_plus_top_ups(budget in budgets(), ops in ops()) {
        let c = Credits::new(budget);
        let mut state = CreditsState::default();
        let (mut spent, mut added) = (0_u128, 0_u128);
        for op in &ops {
            match op {
                Op::Check { at, cost } => {
                    if c.check(&mut state, Nanos::new(*at), *cost).expect("ok").allowed {
                        spent += u128::from(*cost);
                    }
                }
                Op::TopUp { amount } => {
                    if c.top_up(&mut state, *amount).is_ok() {
                        added += u128::from(*amount);
                    }
                }
                Op::Peek { .. } => {}
            }
            prop_assert!(spent <= u128::from(budget) + added);
            let d = c.peek(&state, Nanos::ZERO);
            // limit - remaining is what was used: the headers agree with each other.
            prop_assert_eq!(u128::from(d.limit), u128::from(budget) + added);
            prop_assert_eq!(u128::from(d.limit - d.remaining), spent);
            prop_assert_eq!(u128::from(c.used(&state)), spent);
        }
    }

    #[test]
    fn remaining_is_exact(budget in 0_u64..=10_000, ops in ops_of(0_u64..=1_000)) {
        let c = Credits::new(budget);
        let mut state = CreditsState::default();
        let _ = outcomes(c, &mut state, &ops);
        let remaining = c.peek(&state, Nanos::ZERO).remaining;
        prop_assume!(remaining <= 100_000);
        for _ in 0..remaining {
            prop_assert!(c.check(&mut state, Nanos::ZERO, 1).expect("ok").allowed);
        }
        prop_assert!(!c.check(&mut state, Nanos::ZERO, 1).expect("ok").allowed);
    }

    #[test]
    fn running_out_is_never_fixed_by_waiting_only_by_a_top_up(
        budget in budgets(), ops in ops(), short in 1_u64..=1_000_000,
        later in prop::collection::vec(any::<u64>(), 1..5)
    ) {
        let c = Credits::new(budget);
        let mut state = CreditsState::default();
        let _ = outcomes(c, &mut state, &ops);
        let left = c.remaining(&state);
        prop_assume!(left < u64::MAX);
        let cost = left.saturating_add(short);
        let before = state;
        for at in later.into_iter().chain([u64::MAX]) {
            let d = c.check(&mut state, Nanos::new(at), cost).expect("never an error");
            prop_assert!(!d.allowed);
            prop_assert_eq!((d.remaining, d.retry_after, d.reset_after), (left, Nanos::MAX, Nanos::MAX));
            prop_assert_eq!(state, before);
        }
        // Topping up exactly the shortfall admits it, and leaves nothing.
        prop_assume!(c.top_up(&mut state, cost - left).is_ok());
        let d = c.check(&mut state, Nanos::ZERO, cost).expect("never an error");
        prop_assert!(d.allowed);
        prop_assert_eq!(d.remaining, 0);
    }

    #[test]
    fn a_key_is_fresh_exactly_when_it_is_the_default(budget in budgets(), used in amounts(), added in amounts(), at in any::<u64>()) {
        let c = Credits::new(budget);
        let s = CreditsState::from_parts([used, added]);
        prop_assert_eq!(c.is_fresh(&s, Nanos::new(at)), used == 0 && added == 0);
        let d = c.peek(&s, Nanos::new(at));
        prop_assert_eq!(d.reset_after == Nanos::ZERO, used == 0 && added == 0);
        prop_assert_eq!(CreditsState::from_parts(s.to_parts()), s);
    }

    #[test]
    fn a_top_up_that_would_overflow_is_an_error_and_adds_nothing(
        budget in budgets(), ops in ops(), amount in amounts()
    ) {
        let c = Credits::new(budget);
        let mut state = CreditsState::default();
        let _ = outcomes(c, &mut state, &ops);
        let before = state;
        let headroom = u64::MAX - c.granted(&state);
        match c.top_up(&mut state, amount) {
            Ok(left) => {
                prop_assert!(amount <= headroom);
                prop_assert_eq!(left, c.remaining(&before) + amount);
            }
            Err(e) => {
                prop_assert!(amount > headroom);
                prop_assert_eq!(e, Error::CreditsOverflow { headroom });
                prop_assert_eq!(state, before);
            }
        }
    }

    #[test]
    fn no_input_makes_it_panic(
        budget in any::<u64>(), parts in any::<[u64; 2]>(),
        steps in prop::collection::vec((any::<u64>(), any::<u64>(), any::<u64>()), 1..20)
    ) {
        let c = Credits::new(budget);
        for mut state in [CreditsState::default(), CreditsState::from_parts(parts)] {
            for (at, cost, amount) in &steps {
                let _ = c.check(&mut state, Nanos::new(*at), *cost);
                let _ = c.top_up(&mut state, *amount);
                let _ = c.peek(&state, Nanos::new(*at));
                let _ = (c.remaining(&state), c.used(&state), c.granted(&state));
            }
            c.reset(&mut state);
            prop_assert!(c.is_fresh(&state, Nanos::new(budget)));
        }
    }
}

#[test]
fn the_published_headers_come_straight_from_the_key() {
    // X-API-Credits-Remaining: 412 and X-API-Credits-Used: 588 out of 1,000.
    let c = Credits::new(1_000);
    let mut key = CreditsState::default();
    for _ in 0..588 {
        assert!(c.check(&mut key, Nanos::ZERO, 1).expect("ok").allowed);
    }
    assert_eq!((c.remaining(&key), c.used(&key)), (412, 588));
    let d = c.peek(&key, Nanos::ZERO);
    assert_eq!((d.limit, d.remaining), (1_000, 412));
}

#[test]
fn credits_never_report_insufficient_capacity() {
    let c = Credits::new(5);
    let mut key = CreditsState::default();
    let d = c
        .check(&mut key, Nanos::ZERO, u64::MAX)
        .expect("a denial, not an error");
    assert!(!d.allowed);
    assert_eq!(d.retry_after, Nanos::MAX);
    assert_eq!(ratecell::Algorithm::capacity(&c), u64::MAX);
}
