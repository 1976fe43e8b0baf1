//! GCRA against its reference model, and the properties its contract promises.

use proptest::prelude::*;
use ratecell::{Error, Gcra, GcraState, Nanos, Quota};
use ratecell_reference::gcra as model;

const SEC: u64 = 1_000_000_000;
const SEC_I: i64 = 1_000_000_000;

/// Quotas across the whole supported range: one per day to 10^10 per second, whole and
/// fractional emission intervals, bursts below and above the limit.
fn quotas() -> impl Strategy<Value = Quota> {
    let limit = prop_oneof![
        1_u64..=20,
        1_u64..=1_000,
        Just(10_000_000_000_u64),
        1_u64..=1_000_000
    ];
    let period = prop_oneof![
        Just(SEC),
        Just(60 * SEC),
        Just(3_600 * SEC),
        Just(86_400 * SEC),
        1_u64..=10 * SEC,
        1_u64..=1_000,
    ];
    let burst = prop_oneof![Just(None), (1_u64..=50).prop_map(Some)];
    (limit, period, burst).prop_filter_map("representable quota", |(l, p, b)| {
        let q = Quota::from_nanos(l, p).ok()?;
        // Only exact quotas can be compared with the exact model (see Quota::is_exact).
        if !q.is_exact() {
            return None;
        }
        match b {
            Some(b) => q.with_burst(b).ok(),
            None => (q.burst() <= 1_000_000).then_some(q),
        }
    })
}

/// A step: move the clock by `delta` (possibly backwards), then request `cost`.
#[derive(Debug, Clone)]
struct Step {
    delta: i64,
    cost: u64,
}

fn steps(max_cost: u64) -> impl Strategy<Value = Vec<Step>> {
    let delta = prop_oneof![
        4 => Just(0_i64),
        4 => 0_i64..=2 * SEC_I,
        2 => 0_i64..=1_000,
        1 => -SEC_I..0,
    ];
    prop::collection::vec(
        (delta, 0..=max_cost.saturating_add(1)).prop_map(|(delta, cost)| Step { delta, cost }),
        1..80,
    )
}

fn model_of(q: &Quota) -> model::Gcra {
    model::Gcra::new(q.limit(), q.period_nanos().as_nanos(), q.burst())
}

fn advance(now: u64, delta: i64) -> u64 {
    now.saturating_add_signed(delta)
}

/// Replays `steps` from `start`, returning the state and the final instant.
fn replay(g: &Gcra, start: u64, steps: &[Step]) -> (GcraState, u64) {
    let mut state = GcraState::default();
    let mut now = start;
    for s in steps {
        now = advance(now, s.delta);
        let _ = g.check(&mut state, Nanos::new(now), s.cost.min(g.capacity()));
    }
    (state, now)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_decision_matches_the_reference_model(
        q in quotas(), start in 0_u64..=1 << 50, steps in steps(60)
    ) {
        let g = Gcra::new(q);
        let mut m = model_of(&q);
        let mut state = GcraState::default();
        let mut now = start;
        for s in &steps {
            now = advance(now, s.delta);
            let got = g.check(&mut state, Nanos::new(now), s.cost);
            match m.check(now, s.cost) {
                None => prop_assert_eq!(got, Err(Error::InsufficientCapacity { capacity: q.burst() })),
                Some(want) => {
                    let d = got.expect("within capacity");
                    prop_assert_eq!(
                        (d.allowed, d.limit, d.remaining, d.retry_after.as_nanos(), d.reset_after.as_nanos()),
                        (want.allowed, want.limit, want.remaining, want.retry_after, want.reset_after),
                        "step {:?} at {}", s, now
                    );
                }
            }
        }
    }

    #[test]
    fn admit_records_what_check_records_and_its_decision_is_checks(
        q in quotas(),
        start in prop_oneof![0_u64..=1 << 50, (u64::MAX - (1 << 40))..=u64::MAX],
        steps in steps(60),
    ) {
        // From anywhere, the end of representable time included.
        let g = Gcra::new(q);
        let (mut checked, mut admitted) = (GcraState::default(), GcraState::default());
        let mut now = start;
        for s in &steps {
            now = advance(now, s.delta);
            let want = g.check(&mut checked, Nanos::new(now), s.cost);
            let got = g.admit(&mut admitted, Nanos::new(now), s.cost);
            prop_assert_eq!(got.map(|a| a.allowed()), want.map(|d| d.allowed));
            prop_assert_eq!(got.map(|a| a.decision()), want, "step {:?} at {}", s, now);
            prop_assert!(!got.is_ok_and(|a| a.is_full()));
            prop_assert_eq!(admitted, checked);
        }
    }

    #[test]
    fn admitted_cost_over_any_interval_is_at_most_burst_plus_interval_over_t(
        q in quotas(), start in 0_u64..=1 << 50, steps in steps(5)
    ) {
        let g = Gcra::new(q);
        let mut state = GcraState::default();
        let mut now = start;
        let mut admitted: Vec<(u64, u64)> = Vec::new();
        for s in &steps {
            now = advance(now, s.delta.max(0));
            if let Ok(d) = g.check(&mut state, Nanos::new(now), s.cost)
                && d.allowed
                && s.cost > 0
            {
                admitted.push((now, s.cost));
            }
        }
        // For every interval [t_i, t_j] between two admissions: cost <= B + (t_j - t_i) * L / P.
        let (l, p, b) = (u128::from(q.limit()), u128::from(q.period_nanos().as_nanos()), u128::from(q.burst()));
        for i in 0..admitted.len() {
            let mut cost = 0_u128;
            for j in i..admitted.len() {
                cost += u128::from(admitted[j].1);
                let span = u128::from(admitted[j].0 - admitted[i].0);
                prop_assert!(cost * p <= b * p + span * l, "{} admitted over {} ns", cost, span);
            }
        }
    }

    #[test]
    fn a_clock_that_steps_backwards_never_admits_more_than_the_time_it_covered(
        q in quotas(), start in 1_u64 << 40..=1 << 50, steps in steps(5)
    ) {
        // Admissions raise `tat` by n*T each and `tat` never passes `now + B*T`, so over the
        // whole trace admitted cost <= B + (latest - earliest instant) / T, however the clock
        // moved.
        let g = Gcra::new(q);
        let mut state = GcraState::default();
        let (mut now, mut lo, mut hi, mut total) = (start, start, start, 0_u128);
        for s in &steps {
            now = advance(now, s.delta);
            lo = lo.min(now);
            hi = hi.max(now);
            if let Ok(d) = g.check(&mut state, Nanos::new(now), s.cost)
                && d.allowed
            {
                total += u128::from(s.cost);
            }
        }
        let (l, p, b) = (u128::from(q.limit()), u128::from(q.period_nanos().as_nanos()), u128::from(q.burst()));
        prop_assert!(total * p <= b * p + u128::from(hi - lo) * l);
    }

    #[test]
    fn retry_after_is_exact(
        q in quotas(), start in 0_u64..=1 << 50, steps in steps(8), cost in 1_u64..=8
    ) {
        let g = Gcra::new(q);
        let cost = cost.min(q.burst());
        let (state, now) = replay(&g, start, &steps);
        let mut probe = state;
        let d = g.check(&mut probe, Nanos::new(now), cost).expect("within capacity");
        if d.allowed {
            prop_assert_eq!(d.retry_after, Nanos::ZERO);
        } else {
            prop_assert!(d.retry_after > Nanos::ZERO);
            let at = now + d.retry_after.as_nanos();
            let mut early = state;
            prop_assert!(!g.check(&mut early, Nanos::new(at - 1), cost).expect("ok").allowed);
            let mut on_time = state;
            prop_assert!(g.check(&mut on_time, Nanos::new(at), cost).expect("ok").allowed);
        }
    }

    #[test]
    fn remaining_is_exact(q in quotas(), start in 0_u64..=1 << 50, steps in steps(8)) {
        let g = Gcra::new(q);
        let (mut state, now) = replay(&g, start, &steps);
        let remaining = g.peek(&state, Nanos::new(now)).remaining;
        prop_assume!(remaining <= 100_000);
        for _ in 0..remaining {
            prop_assert!(g.check(&mut state, Nanos::new(now), 1).expect("ok").allowed);
        }
        prop_assert!(!g.check(&mut state, Nanos::new(now), 1).expect("ok").allowed);
    }

    #[test]
    fn after_reset_after_a_key_behaves_exactly_like_a_fresh_key(
        q in quotas(), start in 0_u64..=1 << 50, before in steps(8), after in steps(8)
    ) {
        let g = Gcra::new(q);
        let (mut used, now) = replay(&g, start, &before);
        let reset = g.peek(&used, Nanos::new(now)).reset_after.as_nanos();
        let mut fresh = GcraState::default();
        let mut t = now + reset;
        prop_assert!(g.is_fresh(&used, Nanos::new(t)));
        for s in &after {
            t = advance(t, s.delta.max(0));
            prop_assert_eq!(
                g.check(&mut used, Nanos::new(t), s.cost),
                g.check(&mut fresh, Nanos::new(t), s.cost)
            );
        }
    }

    #[test]
    fn steady_traffic_at_the_rate_is_never_refused(
        q in quotas(), start in 0_u64..=1 << 50, n in 1_u64..300
    ) {
        // Requests at start + ceil(k * T): never early. With a burst of 2 or more this absorbs
        // the rounding to whole nanoseconds; with burst 1 the spacing must be exactly T.
        let (l, p) = (u128::from(q.limit()), u128::from(q.period_nanos().as_nanos()));
        prop_assume!(q.burst() >= 2 || p % l == 0);
        prop_assume!(p >= l); // at most one request per nanosecond is expressible
        let g = Gcra::new(q);
        let mut state = GcraState::default();
        for k in 0..u128::from(n) {
            let t = start + u64::try_from((k * p).div_ceil(l)).expect("fits");
            prop_assert!(g.check(&mut state, Nanos::new(t), 1).expect("ok").allowed, "request {} at {}", k, t);
        }
    }

    #[test]
    fn no_input_makes_it_panic(
        limit in any::<u64>(), period in any::<u64>(), burst in any::<u64>(),
        times in prop::collection::vec(any::<u64>(), 1..20),
        costs in prop::collection::vec(any::<u64>(), 1..20),
    ) {
        if let Ok(q) = Quota::from_nanos(limit, period).and_then(|q| q.with_burst(burst)) {
            let g = Gcra::new(q);
            let mut state = GcraState::default();
            for (t, c) in times.iter().zip(costs.iter().cycle()) {
                let _ = g.check(&mut state, Nanos::new(*t), *c);
                let _ = g.peek(&state, Nanos::new(*t));
                let _ = g.is_fresh(&state, Nanos::new(*t));
            }
        }
    }
}

/// A greedy client that always comes back exactly when told to.
fn greedy_admissions(g: &Gcra, until: u64) -> u64 {
    let mut state = GcraState::default();
    let (mut now, mut admitted) = (0_u64, 0_u64);
    while now <= until {
        let d = g.check(&mut state, Nanos::new(now), 1).expect("ok");
        if d.allowed {
            admitted += 1;
        } else {
            now += d.retry_after.as_nanos();
        }
    }
    admitted
}

#[test]
fn seven_per_minute_never_drifts_over_a_day() {
    let g = Gcra::new(Quota::per_minute(7).expect("valid"));
    let day = 86_400 * SEC;
    // A client spacing requests exactly 60/7 s apart (never early) is never refused.
    let mut state = GcraState::default();
    for k in 0..10_080_u64 {
        let t = (u128::from(k) * u128::from(60 * SEC)).div_ceil(7);
        let t = u64::try_from(t).expect("fits");
        assert!(
            g.check(&mut state, Nanos::new(t), 1).expect("ok").allowed,
            "request {k}"
        );
    }
    // A greedy client gets exactly burst + 10,080 admissions in [0, one day].
    assert_eq!(greedy_admissions(&g, day), 7 + 10_080);
}

#[test]
fn the_extremes_of_the_rate_range_are_exact() {
    // One per day: burst 1, then one more at exactly 86,400 s and not a nanosecond earlier.
    let g = Gcra::new(Quota::per_day(1).expect("valid"));
    assert_eq!(greedy_admissions(&g, 86_400 * SEC - 1), 1);
    assert_eq!(greedy_admissions(&g, 86_400 * SEC), 2);
    // 10^10 per second (T = 0.1 ns) with burst 10: 10 at once, then 10 more every nanosecond.
    let g = Gcra::new(
        Quota::per_second(10_000_000_000)
            .expect("valid")
            .with_burst(10)
            .expect("valid"),
    );
    assert_eq!(greedy_admissions(&g, 1_000), 10 + 10_000);
}
