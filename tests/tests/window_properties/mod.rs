//! Traffic generators and the properties every window algorithm shares, written once
//! against [`ratecell::Algorithm`] and used by `fixed_window.rs`, `sliding_window.rs` and
//! `sliding_log.rs`.

// Each test file uses its own subset.
#![allow(dead_code, unreachable_pub)]

use std::fmt::Debug;

use proptest::prelude::*;
use ratecell::{Algorithm, Decision, Error, Nanos, Quota};

/// A quota and the requests offered to one key: `(now, cost)` in arrival order.
#[derive(Debug, Clone)]
pub struct Traffic {
    pub limit: u64,
    pub period: u64,
    pub requests: Vec<(u64, u64)>,
}

/// Small quotas (so that window edges and full windows are common) and up to `len`
/// requests. Time starts near 0 or near the end of `u64` time; steps are mostly within a
/// couple of periods, often zero, and with `backwards` sometimes negative.
pub fn traffic(
    max_limit: u64,
    max_period: u64,
    len: usize,
    backwards: bool,
) -> impl Strategy<Value = Traffic> {
    (1..=max_limit, 1..=max_period).prop_flat_map(move |(limit, period)| {
        let p = i64::try_from(period).expect("small");
        let step = if backwards {
            prop_oneof![3 => Just(0_i64), 6 => 1..=2 * p, 2 => -2 * p..=-1].boxed()
        } else {
            prop_oneof![3 => Just(0_i64), 6 => 1..=2 * p].boxed()
        };
        let cost = prop_oneof![4 => Just(1_u64), 4 => 0..=limit, 1 => limit + 1..=limit + 2];
        let base = prop_oneof![4 => 0..=3 * period, 1 => u64::MAX - 4 * period..=u64::MAX];
        (base, prop::collection::vec((step, cost), 1..=len)).prop_map(move |(base, ops)| {
            let mut now = base;
            let requests = ops
                .into_iter()
                .map(|(step, cost)| {
                    now = now.saturating_add_signed(step);
                    (now, cost)
                })
                .collect();
            Traffic {
                limit,
                period,
                requests,
            }
        })
    })
}

/// Any `u64` numbers at all: quotas (of every shape `Quota` accepts: it requires
/// `lcm(limit, period)` to fit in `u64`), instants in any order, costs (often near the limit).
pub fn any_inputs() -> impl Strategy<Value = (u64, u64, Vec<(u64, u64)>)> {
    let quota = (1..=u64::MAX, 1..=u64::MAX, 0..6_u8)
        .prop_map(|(a, b, shape)| match shape {
            0 => (a, b),
            1 => (a % 1000 + 1, b),
            2 => (a, a.saturating_mul(b % 8 + 1)),
            3 => (b, b),
            4 => (1, b),
            _ => (a, 1),
        })
        .prop_filter("a valid quota", |&(limit, period)| {
            Quota::from_nanos(limit, period).is_ok()
        });
    quota.prop_flat_map(|(limit, period)| {
        let cost = prop_oneof![
            any::<u64>(),
            Just(limit),
            Just(limit.saturating_add(1)),
            0..=limit.min(3)
        ];
        let now = prop_oneof![
            any::<u64>(),
            u64::MAX - 3..=u64::MAX,
            0..=3_u64,
            Just(period),
            Just(period.saturating_mul(2).saturating_sub(1))
        ];
        (
            Just(limit),
            Just(period),
            prop::collection::vec((now, cost), 1..=24),
        )
    })
}

fn admit<A: Algorithm>(policy: &A, state: &mut A::State, now: u64, cost: u64) -> bool {
    policy
        .check(state, Nanos::new(now), cost)
        .expect("a cost within capacity is never an error")
        .allowed
}

/// What holds of every single decision: errors exactly above the capacity, a denial or a
/// peek stores nothing, `retry_after` is 0 exactly when admitted, `remaining` is within the
/// limit.
pub fn decision_is_well_formed<A>(
    policy: &A,
    before: &A::State,
    after: &A::State,
    cost: u64,
    result: Result<Decision, Error>,
) -> Result<(), TestCaseError>
where
    A: Algorithm,
    A::State: PartialEq + Debug,
{
    let capacity = policy.capacity();
    match result {
        Err(e) => {
            prop_assert!(cost > capacity);
            prop_assert_eq!(e, Error::InsufficientCapacity { capacity });
            prop_assert_eq!(before, after);
        }
        Ok(d) => {
            prop_assert!(cost <= capacity);
            prop_assert_eq!(d.limit, capacity);
            prop_assert!(d.remaining <= capacity);
            prop_assert_eq!(d.allowed, d.retry_after == Nanos::ZERO);
            if !d.allowed || cost == 0 {
                prop_assert_eq!(before, after);
            }
        }
    }
    Ok(())
}

/// Exactly `remaining` unit requests are admitted at `now`, then one is refused.
pub fn remaining_is_exact<A>(
    policy: &A,
    state: &A::State,
    now: u64,
    remaining: u64,
) -> Result<(), TestCaseError>
where
    A: Algorithm,
    A::State: Clone,
{
    let mut s = state.clone();
    for i in 0..remaining {
        prop_assert!(
            admit(policy, &mut s, now, 1),
            "unit request {} of {} refused",
            i + 1,
            remaining
        );
    }
    prop_assert!(
        !admit(policy, &mut s, now, 1),
        "more than {} admitted",
        remaining
    );
    Ok(())
}

/// With no other traffic, a refused request is refused 1 ns before `now + retry_after` and
/// admitted at it.
pub fn retry_after_is_exact<A>(
    policy: &A,
    state: &A::State,
    now: u64,
    cost: u64,
    retry_after: Nanos,
) -> Result<(), TestCaseError>
where
    A: Algorithm,
    A::State: Clone,
{
    if retry_after == Nanos::MAX {
        return Ok(());
    }
    let at = now.checked_add(retry_after.as_nanos());
    prop_assert!(at.is_some(), "retry_after points beyond the end of time");
    let at = at.unwrap_or(u64::MAX);
    prop_assert!(at > now);
    prop_assert!(
        !admit(policy, &mut state.clone(), at - 1, cost),
        "admitted 1 ns early"
    );
    prop_assert!(
        admit(policy, &mut state.clone(), at, cost),
        "refused at retry_after"
    );
    Ok(())
}

/// The key is fresh at `now + reset_after` and not 1 ns before.
pub fn reset_after_is_exact<A: Algorithm>(
    policy: &A,
    state: &A::State,
    now: u64,
    reset_after: Nanos,
) -> Result<(), TestCaseError> {
    if reset_after == Nanos::ZERO {
        prop_assert!(policy.is_fresh(state, Nanos::new(now)));
        return Ok(());
    }
    prop_assert!(!policy.is_fresh(state, Nanos::new(now)));
    if reset_after == Nanos::MAX {
        return Ok(());
    }
    let at = now.checked_add(reset_after.as_nanos());
    prop_assert!(at.is_some(), "reset_after points beyond the end of time");
    let at = at.unwrap_or(u64::MAX);
    prop_assert!(
        !policy.is_fresh(state, Nanos::new(at - 1)),
        "fresh 1 ns early"
    );
    prop_assert!(
        policy.is_fresh(state, Nanos::new(at)),
        "not fresh at reset_after"
    );
    Ok(())
}

/// From the same state, an earlier instant never admits what a later one refuses, and
/// never has more remaining.
pub fn earlier_is_never_more_permissive<A>(
    policy: &A,
    state: &A::State,
    earlier: u64,
    later: u64,
    cost: u64,
) -> Result<(), TestCaseError>
where
    A: Algorithm,
    A::State: Clone,
{
    let (earlier, later) = (earlier.min(later), earlier.max(later));
    let first = policy.peek(state, Nanos::new(earlier));
    let second = policy.peek(state, Nanos::new(later));
    prop_assert!(first.remaining <= second.remaining);
    let cost = cost.min(policy.capacity());
    if admit(policy, &mut state.clone(), earlier, cost) {
        prop_assert!(admit(policy, &mut state.clone(), later, cost));
    }
    Ok(())
}

/// The cost admitted at instants in `(end - period, end]`.
pub fn admitted_within(admitted: &[(u64, u64)], period: u64, end: u64) -> u64 {
    admitted
        .iter()
        .filter(|&&(at, _)| at <= end && u128::from(at) + u128::from(period) > u128::from(end))
        .map(|&(_, cost)| cost)
        .sum()
}
