//! `SlidingLog` against its reference model, and its exact bound over every window.

mod window_properties;

use proptest::prelude::*;
use ratecell::{Decision, Error, Nanos, Quota, SlidingLog, SlidingLogState};
use ratecell_reference::sliding_log as model;
use window_properties::{Traffic, admitted_within, any_inputs, traffic};

fn policy<const N: usize>(limit: u64, period: u64) -> SlidingLog<N> {
    SlidingLog::new(Quota::from_nanos(limit, period).expect("valid quota"))
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

/// Runs `requests` through the core and the model with room for `N` entries.
fn matches_the_model<const N: usize>(t: &Traffic) -> Result<(), TestCaseError> {
    let log = policy::<N>(t.limit, t.period);
    let mut reference = model::SlidingLog::new(t.limit, t.period, N);
    let mut state = SlidingLogState::<N>::default();
    for (i, &(now, cost)) in t.requests.iter().enumerate() {
        let before = state;
        let core = log.check(&mut state, Nanos::new(now), cost);
        let expected = reference.check(now, cost);
        prop_assert!(
            same(core, expected),
            "request {i} ({cost} at {now}): {core:?} != {expected:?}"
        );
        window_properties::decision_is_well_formed(&log, &before, &state, cost, core)?;
    }
    Ok(())
}

fn exact_answers<const N: usize>(t: &Traffic) -> Result<(), TestCaseError> {
    let log = policy::<N>(t.limit, t.period);
    let mut state = SlidingLogState::<N>::default();
    for &(now, cost) in &t.requests {
        let before = state;
        let Ok(d) = log.check(&mut state, Nanos::new(now), cost) else {
            continue;
        };
        window_properties::remaining_is_exact(&log, &state, now, d.remaining)?;
        window_properties::reset_after_is_exact(&log, &state, now, d.reset_after)?;
        if !d.allowed {
            window_properties::retry_after_is_exact(&log, &before, now, cost, d.retry_after)?;
        }
    }
    Ok(())
}

/// Every window of length `period` holds at most `limit` cost and `N` requests, on the
/// instants the log records (a clock that steps back records at the newest instant).
fn bounded<const N: usize>(t: &Traffic) -> Result<(), TestCaseError> {
    let log = policy::<N>(t.limit, t.period);
    let mut state = SlidingLogState::<N>::default();
    let mut admitted = Vec::new();
    for &(now, cost) in &t.requests {
        if log
            .check(&mut state, Nanos::new(now), cost)
            .is_ok_and(|d| d.allowed)
            && cost > 0
        {
            let recorded = state.iter().last().map(|(at, _)| at.as_nanos());
            prop_assert!(recorded.is_some_and(|at| at >= now));
            admitted.push((recorded.unwrap_or(now), cost));
        }
    }
    for &(end, _) in &admitted {
        let cost = admitted_within(&admitted, t.period, end);
        prop_assert!(
            cost <= t.limit,
            "{cost} admitted in ({end} - {}, {end}]",
            t.period
        );
        let requests = admitted
            .iter()
            .filter(|&&(at, _)| {
                at <= end && u128::from(at) + u128::from(t.period) > u128::from(end)
            })
            .count();
        prop_assert!(
            requests <= N,
            "{requests} requests in ({end} - {}, {end}]",
            t.period
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn every_decision_matches_the_reference_model(t in traffic(12, 100, 48, true)) {
        matches_the_model::<3>(&t)?;
        matches_the_model::<16>(&t)?;
    }

    #[test]
    fn remaining_retry_after_and_reset_after_are_exact(t in traffic(12, 100, 32, true)) {
        exact_answers::<3>(&t)?;
        exact_answers::<16>(&t)?;
    }

    #[test]
    fn no_window_of_one_period_admits_more_than_the_limit_or_n_requests(t in traffic(12, 100, 64, true)) {
        bounded::<1>(&t)?;
        bounded::<4>(&t)?;
        bounded::<16>(&t)?;
    }

    #[test]
    fn a_clock_stepping_back_never_admits_more(
        t in traffic(12, 100, 32, true),
        earlier in 0..400_u64,
        later in 0..400_u64,
        cost in 0..=12_u64,
    ) {
        let Traffic { limit, period, requests } = t;
        let log = policy::<4>(limit, period);
        let mut state = SlidingLogState::default();
        for &(now, cost) in &requests {
            let _ = log.check(&mut state, Nanos::new(now), cost);
        }
        let last = requests.last().map_or(0, |&(now, _)| now);
        let around = |d: u64| last.saturating_sub(200).saturating_add(d);
        window_properties::earlier_is_never_more_permissive(&log, &state, around(earlier), around(later), cost)?;
    }

    #[test]
    fn no_input_makes_it_panic((limit, period, requests) in any_inputs()) {
        let log = policy::<4>(limit, period);
        let mut state = SlidingLogState::default();
        for &(now, cost) in &requests {
            let before = state;
            let result = log.check(&mut state, Nanos::new(now), cost);
            window_properties::decision_is_well_formed(&log, &before, &state, cost, result)?;
            let _ = log.peek(&state, Nanos::new(now));
            let _ = log.is_fresh(&state, Nanos::new(now));
        }
    }
}

#[test]
fn a_full_log_is_a_denial_until_its_oldest_entry_leaves() {
    let log = policy::<2>(10, 100);
    let mut state = SlidingLogState::default();
    assert!(
        log.check(&mut state, Nanos::new(10), 1)
            .is_ok_and(|d| d.allowed)
    );
    assert!(
        log.check(&mut state, Nanos::new(40), 1)
            .is_ok_and(|d| d.allowed)
    );
    let d = log
        .check(&mut state, Nanos::new(50), 1)
        .expect("within capacity");
    assert!(!d.allowed);
    assert_eq!(
        (d.remaining, d.retry_after, d.reset_after),
        (0, Nanos::new(60), Nanos::new(90))
    );
    // A zero-cost peek needs no entry.
    assert!(
        log.check(&mut state, Nanos::new(50), 0)
            .is_ok_and(|d| d.allowed)
    );
}

#[test]
fn a_cost_that_needs_several_entries_to_leave_waits_for_all_of_them() {
    let log = policy::<8>(10, 100);
    let mut state = SlidingLogState::default();
    for (at, cost) in [(0, 3), (20, 3), (40, 3)] {
        assert!(
            log.check(&mut state, Nanos::new(at), cost)
                .is_ok_and(|d| d.allowed)
        );
    }
    // 9 logged, 7 more need the entries at 0 and 20 to leave: at 120.
    let d = log
        .check(&mut state, Nanos::new(50), 7)
        .expect("within capacity");
    assert_eq!(d.retry_after, Nanos::new(70));
}
