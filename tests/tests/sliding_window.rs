//! `SlidingWindow` against its reference model, and its error bound against an exact log of
//! the same traffic.

mod window_properties;

use proptest::prelude::*;
use ratecell::{Decision, Error, Nanos, Quota, SlidingWindow, SlidingWindowState};
use ratecell_reference::sliding_window as model;
use window_properties::{Traffic, admitted_within, any_inputs, traffic};

fn policy(limit: u64, period: u64) -> SlidingWindow {
    SlidingWindow::new(Quota::from_nanos(limit, period).expect("valid quota"))
}

fn same(core: Result<Decision, Error>, model: Option<model::Outcome>) -> bool {
    match (core, model) {
        (Err(Error::InsufficientCapacity { .. }), None) => true,
        (Ok(d), Some(o)) => {
            d.allowed == o.allowed
                && d.limit == o.limit
                && d.remaining == o.remaining
                && d.retry_after.as_nanos() == o.retry_after
                && d.reset_after.as_nanos() == o.reset_after
        }
        _ => false,
    }
}

/// An exact log of the admitted traffic, measuring the quantities of the documented bound
/// at instant `t`: `(P, X, C, e)` with `a` the start of `t`'s window, `P` the cost admitted in
/// `[a - p, a)`, `X` the part of it inside `(t - p, t]`, `C` the cost admitted in `[a, t]`.
fn measure(admitted: &[(u64, u64)], period: u64, t: u64) -> (u128, u128, u128, u128) {
    let (t, p) = (u128::from(t), u128::from(period));
    let a = t - t % p;
    let sum = |keep: &dyn Fn(u128) -> bool| -> u128 {
        admitted
            .iter()
            .filter(|&&(at, _)| keep(u128::from(at)))
            .map(|&(_, cost)| u128::from(cost))
            .sum()
    };
    let previous = sum(&|at| at < a && at + p >= a);
    let inside = sum(&|at| at < a && at + p > t);
    let current = sum(&|at| at >= a && at <= t);
    (previous, inside, current, t - a)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_decision_matches_the_reference_model(t in traffic(12, 100, 48, true)) {
        let Traffic { limit, period, requests } = t;
        let window = policy(limit, period);
        let mut reference = model::SlidingWindow::new(limit, period);
        let mut state = SlidingWindowState::default();
        for (i, &(now, cost)) in requests.iter().enumerate() {
            let before = state;
            let core = window.check(&mut state, Nanos::new(now), cost);
            let expected = reference.check(now, cost);
            prop_assert!(same(core, expected), "request {i} ({cost} at {now}): {core:?} != {expected:?}");
            window_properties::decision_is_well_formed(&window, &before, &state, cost, core)?;
        }
    }

    /// Periods near the end of `u64` nanoseconds (a multiple of the limit, so that the quota is
    /// valid), so that the previous count times the period exceeds 64 bits: the 128-bit
    /// arithmetic the core falls back to there decides as the model does. Instants anywhere
    /// in `u64` time, in arrival order or sorted.
    #[test]
    fn every_decision_matches_the_reference_model_beyond_64_bit_products(
        limit in 2_u64..=12,
        multiple in (1_u64 << 58)..(1_u64 << 60),
        mut requests in prop::collection::vec((any::<u64>(), 0_u64..=13), 1..=32),
        sorted in any::<bool>(),
    ) {
        let period = limit * multiple;
        if sorted {
            requests.sort_unstable();
        }
        let window = policy(limit, period);
        let mut reference = model::SlidingWindow::new(limit, period);
        let mut state = SlidingWindowState::default();
        for (i, &(now, cost)) in requests.iter().enumerate() {
            let core = window.check(&mut state, Nanos::new(now), cost);
            let expected = reference.check(now, cost);
            prop_assert!(same(core, expected), "request {i} ({cost} at {now}): {core:?} != {expected:?}");
        }
    }

    #[test]
    fn remaining_retry_after_and_reset_after_are_exact(t in traffic(12, 100, 32, true)) {
        let Traffic { limit, period, requests } = t;
        let window = policy(limit, period);
        let mut state = SlidingWindowState::default();
        for &(now, cost) in &requests {
            let before = state;
            let Ok(d) = window.check(&mut state, Nanos::new(now), cost) else { continue };
            window_properties::remaining_is_exact(&window, &state, now, d.remaining)?;
            window_properties::reset_after_is_exact(&window, &state, now, d.reset_after)?;
            if !d.allowed {
                window_properties::retry_after_is_exact(&window, &before, now, cost, d.retry_after)?;
            }
        }
    }

    /// The documented bound, checked against an exact sliding log of the admitted traffic:
    /// over-admission at most `⌊P·e/p⌋ < limit`, and never a refusal that a limit over the
    /// previous and current windows together would not also make.
    #[test]
    fn the_error_against_an_exact_log_stays_within_the_documented_bound(
        t in traffic(12, 100, 64, false),
    ) {
        let Traffic { limit, period, requests } = t;
        let (l, p) = (u128::from(limit), u128::from(period));
        let window = policy(limit, period);
        let mut state = SlidingWindowState::default();
        let mut admitted: Vec<(u64, u64)> = Vec::new();
        for &(now, cost) in &requests {
            let (previous, inside, current, e) = measure(&admitted, period, now);
            let Ok(d) = window.check(&mut state, Nanos::new(now), cost) else { continue };
            let n = u128::from(cost);
            // Exactly an exact log whose limit is corrected by the estimate's error
            // X - P·(p - e)/p (everything multiplied by p).
            let corrected = (inside + current + n) * p <= (l + inside) * p - previous * (p - e);
            prop_assert_eq!(d.allowed, corrected);
            if d.allowed {
                if cost > 0 {
                    admitted.push((now, cost));
                }
            } else {
                // Under-admission: refused only if the previous and current windows together
                // (less than 2p) would exceed the limit.
                prop_assert!(previous + current + n > l, "refused {cost} at {now} with {previous} + {current} admitted");
            }
            // Over-admission: in (now - p, now], at most L + X - ⌈P·(p - e)/p⌉ <= L + ⌊P·e/p⌋ <= 2L - 1.
            let (previous, inside, _, e) = measure(&admitted, period, now);
            let exact = u128::from(admitted_within(&admitted, period, now));
            prop_assert!(exact * p <= (l + inside) * p - previous * (p - e), "{exact} in ({now} - {period}, {now}]");
            prop_assert!(exact <= l + previous * e / p);
            prop_assert!(exact < 2 * l);
        }
    }

    #[test]
    fn a_clock_stepping_back_never_admits_more(
        t in traffic(12, 100, 32, true),
        earlier in 0..400_u64,
        later in 0..400_u64,
        cost in 0..=12_u64,
    ) {
        let Traffic { limit, period, requests } = t;
        let window = policy(limit, period);
        let mut state = SlidingWindowState::default();
        for &(now, cost) in &requests {
            let _ = window.check(&mut state, Nanos::new(now), cost);
        }
        let last = requests.last().map_or(0, |&(now, _)| now);
        let around = |d: u64| last.saturating_sub(200).saturating_add(d);
        window_properties::earlier_is_never_more_permissive(&window, &state, around(earlier), around(later), cost)?;
    }

    #[test]
    fn no_input_makes_it_panic((limit, period, requests) in any_inputs()) {
        let window = policy(limit, period);
        let mut state = SlidingWindowState::default();
        for &(now, cost) in &requests {
            let before = state;
            let result = window.check(&mut state, Nanos::new(now), cost);
            window_properties::decision_is_well_formed(&window, &before, &state, cost, result)?;
            let _ = window.peek(&state, Nanos::new(now));
            let _ = window.is_fresh(&state, Nanos::new(now));
        }
    }
}

/// A window whose previous count times the period exceeds 64 bits: `remaining`,
/// `retry_after` and `reset_after` come from the 128-bit arithmetic and match the model.
#[test]
fn products_beyond_64_bits_decide_as_the_model() {
    let (limit, period) = (3_u64, 3_u64 << 61);
    let window = policy(limit, period);
    let mut reference = model::SlidingWindow::new(limit, period);
    let mut state = SlidingWindowState::default();
    assert!(same(
        window.check(&mut state, Nanos::ZERO, limit),
        reference.check(0, limit)
    ));
    assert!(u128::from(limit) * u128::from(period) > u128::from(u64::MAX));
    for offset in [0, 1, period / 3, period / 2, period - 1] {
        let now = period + offset;
        for cost in 1..=limit {
            let mut probe = state;
            let core = window.check(&mut probe, Nanos::new(now), cost);
            let expected = reference.clone().check(now, cost);
            assert!(
                same(core, expected),
                "{cost} at {now}: {core:?} != {expected:?}"
            );
        }
    }
}

#[test]
fn the_worst_case_over_admission_is_reached() {
    // Ten at the last nanosecond of a window, nine near the end of the next: 19 = 2L - 1 in
    // the window (98, 198].
    let window = policy(10, 100);
    let mut state = SlidingWindowState::default();
    assert!(
        window
            .check(&mut state, Nanos::new(99), 10)
            .is_ok_and(|d| d.allowed)
    );
    assert!(
        window
            .check(&mut state, Nanos::new(198), 9)
            .is_ok_and(|d| d.allowed)
    );
    assert!(
        window
            .check(&mut state, Nanos::new(198), 1)
            .is_ok_and(|d| !d.allowed)
    );
}

#[test]
fn the_worst_case_under_admission_is_reached() {
    // Ten at the first nanosecond of a window: at the next edge an exact log holds nothing,
    // but the estimate is the full limit.
    let window = policy(10, 100);
    let mut state = SlidingWindowState::default();
    assert!(
        window
            .check(&mut state, Nanos::new(0), 10)
            .is_ok_and(|d| d.allowed)
    );
    let d = window.peek(&state, Nanos::new(100));
    assert_eq!(d.remaining, 0);
    assert_eq!(
        window
            .check(&mut state, Nanos::new(100), 1)
            .map(|d| d.retry_after),
        Ok(Nanos::new(10))
    );
}
