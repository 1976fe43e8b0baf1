//! `FixedWindow` against its reference model, and the bounds it promises.

mod window_properties;

use proptest::prelude::*;
use ratecell::{Decision, Error, FixedWindow, FixedWindowState, Nanos, Quota};
use ratecell_reference::fixed_window as model;
use window_properties::{Traffic, admitted_within, any_inputs, traffic};

fn policy(limit: u64, period: u64) -> FixedWindow {
    FixedWindow::new(Quota::from_nanos(limit, period).expect("valid quota"))
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_decision_matches_the_reference_model(t in traffic(12, 100, 48, true)) {
        let Traffic { limit, period, requests } = t;
        let window = policy(limit, period);
        let mut reference = model::FixedWindow::new(limit, period);
        let mut state = FixedWindowState::default();
        for (i, &(now, cost)) in requests.iter().enumerate() {
            let before = state;
            let core = window.check(&mut state, Nanos::new(now), cost);
            let expected = reference.check(now, cost);
            prop_assert!(same(core, expected), "request {i} ({cost} at {now}): {core:?} != {expected:?}");
            window_properties::decision_is_well_formed(&window, &before, &state, cost, core)?;
        }
    }

    #[test]
    fn remaining_retry_after_and_reset_after_are_exact(t in traffic(12, 100, 32, true)) {
        let Traffic { limit, period, requests } = t;
        let window = policy(limit, period);
        let mut state = FixedWindowState::default();
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

    #[test]
    fn no_aligned_window_admits_more_than_the_limit_and_no_period_more_than_twice_the_limit(
        t in traffic(12, 100, 64, false),
    ) {
        let Traffic { limit, period, requests } = t;
        let window = policy(limit, period);
        let mut state = FixedWindowState::default();
        let mut admitted = Vec::new();
        for &(now, cost) in &requests {
            if window.check(&mut state, Nanos::new(now), cost).is_ok_and(|d| d.allowed) {
                admitted.push((now, cost));
            }
        }
        for &(end, _) in &admitted {
            let aligned: u64 = admitted
                .iter()
                .filter(|&&(at, _)| at / period == end / period)
                .map(|&(_, cost)| cost)
                .sum();
            prop_assert!(aligned <= limit, "{aligned} admitted in the window of {end}");
            let sliding = admitted_within(&admitted, period, end);
            prop_assert!(sliding <= 2 * limit, "{sliding} admitted in ({end} - {period}, {end}]");
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
        let mut state = FixedWindowState::default();
        for &(now, cost) in &requests {
            let _ = window.check(&mut state, Nanos::new(now), cost);
        }
        // Instants around the last request, before and after it.
        let last = requests.last().map_or(0, |&(now, _)| now);
        let around = |d: u64| last.saturating_sub(200).saturating_add(d);
        window_properties::earlier_is_never_more_permissive(&window, &state, around(earlier), around(later), cost)?;
    }

    #[test]
    fn no_input_makes_it_panic((limit, period, requests) in any_inputs()) {
        let window = policy(limit, period);
        let mut state = FixedWindowState::default();
        for &(now, cost) in &requests {
            let before = state;
            let result = window.check(&mut state, Nanos::new(now), cost);
            window_properties::decision_is_well_formed(&window, &before, &state, cost, result)?;
            let _ = window.peek(&state, Nanos::new(now));
            let _ = window.is_fresh(&state, Nanos::new(now));
        }
    }
}

#[test]
fn a_fresh_key_admits_exactly_limit_at_one_instant_whatever_the_burst() {
    let window = FixedWindow::new(Quota::parse("10/minute burst 3").expect("valid"));
    let mut state = FixedWindowState::default();
    let admitted = (0..20)
        .filter(|_| {
            window
                .check(&mut state, Nanos::from_secs(7), 1)
                .is_ok_and(|d| d.allowed)
        })
        .count();
    assert_eq!(admitted, 10);
}

#[test]
fn the_two_limit_boundary_burst_is_reached() {
    let window = FixedWindow::new(Quota::parse("10/minute").expect("valid"));
    let mut state = FixedWindowState::default();
    let edge = Nanos::from_secs(60);
    let before = window.check(&mut state, Nanos::new(edge.as_nanos() - 1), 10);
    let after = window.check(&mut state, edge, 10);
    assert!(before.is_ok_and(|d| d.allowed) && after.is_ok_and(|d| d.allowed));
}

#[test]
fn reset_after_is_the_x_rate_limit_reset_of_the_window() {
    // 1706284800 is a whole minute since the Unix epoch: windows end on whole minutes.
    let window = FixedWindow::new(Quota::parse("1000/minute").expect("valid"));
    let mut state = FixedWindowState::default();
    let now = Nanos::from_secs(1_706_284_800 - 13).saturating_add(Nanos::from_millis(250));
    let d = window.check(&mut state, now, 1).expect("within capacity");
    assert_eq!(
        now.saturating_add(d.reset_after),
        Nanos::from_secs(1_706_284_800)
    );
    assert_eq!(d.reset_after.as_secs_ceil(), 13);
}
