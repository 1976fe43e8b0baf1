//! `Burst` against its reference model, and the properties every ratecell algorithm keeps.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use ratecell::{Burst, BurstState, Decision, Error, Gcra, GcraState, Nanos, Quota};
use ratecell_reference::burst::Burst as Model;

mod support;
use support::outcome;

/// A burst tier's numbers, valid by construction.
#[derive(Debug, Clone, Copy)]
struct Params {
    limit: u64,
    period: u64,
    burst: u64,
    window: u64,
}

impl Params {
    fn burst(self) -> Burst {
        Burst::from_nanos(self.limit, self.period, self.burst, self.window).expect("valid")
    }

    fn model(self) -> Model {
        Model::new(self.limit, self.period, self.burst, self.window).expect("valid")
    }

    fn peak_hold(self) -> u64 {
        u64::try_from(Model::peak_hold(self.period, self.burst, self.window)).expect("fits")
    }
}

fn params() -> impl Strategy<Value = Params> {
    let period = prop_oneof![
        1..=2_000_000_u64,
        Just(1_000_000_000),
        Just(60_000_000_000),
        Just(7_000_000_001),
    ];
    (1..=40_u64, period, 1..=60_u64, 0..=3_000_u64).prop_map(|(limit, period, burst, extra)| {
        // From the shortest valid window (one peak interval) to about three periods.
        let window = period.div_ceil(burst) + period / 1_000 * extra;
        Params {
            limit,
            period,
            burst,
            window,
        }
    })
}

/// One request: kind of time step, its size in thousandths, and a cost seed.
type Op = (u8, u16, u8);

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec((0..10_u8, 0..=1_000_u16, any::<u8>()), 1..80)
}

/// The instants and costs of a run: mostly small steps forward, some repeats of the same
/// instant, some steps back, some long jumps.
fn schedule(p: Params, capacity: u64, start: u64, ops: &[Op]) -> Vec<(u64, u64)> {
    let unit = (p.period / p.limit.max(p.burst)).max(1);
    let mut now = start;
    ops.iter()
        .map(|&(kind, size, cost)| {
            let small = unit * u64::from(size) / 300;
            now = match kind {
                0 => now.saturating_sub(small),
                1 => now,
                9 => now + p.period / 100 * u64::from(size),
                _ => now + small,
            };
            (now, u64::from(cost) % (capacity + 2))
        })
        .collect()
}

/// Runs a schedule, calling `each(state before, now, cost, decision)` after every check.
fn run(
    b: &Burst,
    steps: &[(u64, u64)],
    mut each: impl FnMut(BurstState, u64, u64, &Result<Decision, Error>),
) -> BurstState {
    let mut state = BurstState::default();
    for &(now, cost) in steps {
        let before = state;
        let result = b.check(&mut state, Nanos::new(now), cost);
        each(before, now, cost, &result);
    }
    state
}

/// Failures persist next to this file, in `burst.proptest-regressions`, to be committed.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::with_cases(1_000)
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn burst_decides_exactly_as_its_model(p in params(), start in 0..1_000_000_000_000_u64, ops in ops()) {
        let b = p.burst();
        let mut model = p.model();
        prop_assert_eq!(b.capacity(), model.capacity());
        prop_assert_eq!(b.peak().capacity(), p.peak_hold());
        let steps = schedule(p, b.capacity(), start, &ops);
        let mut failures = Vec::new();
        run(&b, &steps, |_, now, cost, result| {
            let expected = model.check(now, cost);
            match (result, expected) {
                (Ok(d), Some(o)) if outcome(*d) == o => {}
                (Err(Error::InsufficientCapacity { capacity }), None) if *capacity == model.capacity() => {}
                (got, want) => failures.push(format!("at {now} cost {cost}: {got:?} vs model {want:?}")),
            }
        });
        prop_assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn no_closed_interval_admits_more_than_either_bucket_allows(p in params(), start in 0..1_000_000_000_u64, ops in ops()) {
        let b = p.burst();
        let mut admitted = Vec::new();
        run(&b, &schedule(p, b.capacity(), start, &ops), |_, now, cost, result| {
            if result.as_ref().is_ok_and(|d| d.allowed) && cost > 0 {
                admitted.push((now, cost));
            }
        });
        admitted.sort_unstable();
        let period = u128::from(p.period);
        for (i, &(a, _)) in admitted.iter().enumerate() {
            let mut total = 0_u128;
            for &(t, cost) in &admitted[i..] {
                total += u128::from(cost);
                let w = u128::from(t - a);
                // total <= hold + floor(w * rate / period), for both buckets.
                prop_assert!(total * period <= u128::from(p.limit) * period + w * u128::from(p.limit),
                    "sustained: {total} in [{a}, {t}]");
                prop_assert!(total * period <= u128::from(p.peak_hold()) * period + w * u128::from(p.burst),
                    "peak: {total} in [{a}, {t}]");
            }
        }
    }

    #[test]
    fn a_refused_request_is_admitted_exactly_at_retry_after(p in params(), start in 0..1_000_000_000_000_u64, ops in ops()) {
        let b = p.burst();
        let mut checked = Vec::new();
        run(&b, &schedule(p, b.capacity(), start, &ops), |before, now, cost, result| {
            if let Ok(d) = result && !d.allowed {
                let retry = d.retry_after.as_nanos();
                let at = |t: u64| b.check(&mut before.clone(), Nanos::new(t), cost).map(|d| d.allowed);
                checked.push((retry, at(now + retry - 1), at(now + retry)));
            }
        });
        for (retry, early, on_time) in checked {
            prop_assert!(retry > 0);
            prop_assert_eq!(early, Ok(false), "1 ns before retry_after {}", retry);
            prop_assert_eq!(on_time, Ok(true), "at retry_after {}", retry);
        }
    }

    #[test]
    fn remaining_counts_exactly_the_unit_requests_admitted_at_that_instant(p in params(), start in 0..1_000_000_000_000_u64, ops in ops()) {
        let b = p.burst();
        let mut state = BurstState::default();
        for (now, cost) in schedule(p, b.capacity(), start, &ops) {
            let now = Nanos::new(now);
            let Ok(d) = b.check(&mut state, now, cost) else { continue };
            prop_assert!(d.remaining <= d.limit);
            prop_assert_eq!(d.limit, b.capacity());
            let mut probe = state;
            for k in 0..d.remaining {
                prop_assert!(b.check(&mut probe, now, 1).unwrap().allowed, "unit {} of {}", k, d.remaining);
            }
            prop_assert!(!b.check(&mut probe, now, 1).unwrap().allowed, "one more than {}", d.remaining);
        }
    }

    #[test]
    fn a_fresh_key_admits_exactly_the_capacity_at_one_instant(p in params(), now in any::<u32>()) {
        let b = p.burst();
        let mut state = BurstState::default();
        let now = Nanos::new(u64::from(now));
        let n = (0..=b.capacity()).take_while(|_| b.check(&mut state, now, 1).unwrap().allowed).count();
        prop_assert_eq!(n as u64, b.capacity());
        prop_assert_eq!(b.capacity(), p.limit.min(p.peak_hold()));
    }

    #[test]
    fn a_clock_that_steps_back_never_admits_more(p in params(), start in 0..1_000_000_000_000_u64, ops in ops(), back in prop::collection::vec(0..=1_000_u16, 1..8)) {
        let b = p.burst();
        let steps = schedule(p, b.capacity(), start, &ops);
        let state = run(&b, &steps, |_, _, _, _| {});
        let latest = steps.iter().map(|&(t, _)| t).max().expect("one step");
        let earliest = steps.iter().map(|&(t, _)| t).min().expect("one step");
        let at_latest = b.peek(&state, Nanos::new(latest));
        for thousandths in back {
            // From the latest instant back to before the earliest one.
            let earlier = latest.saturating_sub((latest - earliest + 1_000) / 1_000 * u64::from(thousandths));
            let then = b.peek(&state, Nanos::new(earlier));
            prop_assert!(then.remaining <= at_latest.remaining);
            for cost in 1..=b.capacity() {
                let admitted = |t: u64| b.check(&mut state.clone(), Nanos::new(t), cost).unwrap().allowed;
                prop_assert!(!admitted(earlier) || admitted(latest), "cost {} at {} but not at {}", cost, earlier, latest);
            }
        }
    }

    #[test]
    fn decide_is_pure_and_agrees_with_check(p in params(), start in 0..1_000_000_000_000_u64, ops in ops()) {
        let b = p.burst();
        let mut state = BurstState::default();
        for (now, cost) in schedule(p, b.capacity(), start, &ops) {
            let now = Nanos::new(now);
            let before = state;
            let pure = b.decide(before, now, cost);
            let checked = b.check(&mut state, now, cost);
            prop_assert_eq!(pure.map(|(d, _)| d), checked);
            prop_assert_eq!(pure.map_or(before, |(_, s)| s), state);
            if cost == 0 || !checked.is_ok_and(|d| d.allowed) {
                prop_assert_eq!(state, before, "peeks, denials and errors store nothing");
            }
            if cost == 0 {
                prop_assert_eq!(Ok(b.peek(&before, now)), checked);
            }
        }
    }

    #[test]
    fn a_window_of_a_period_or_more_with_burst_at_least_limit_is_plain_gcra(p in params(), start in 0..1_000_000_000_000_u64, ops in ops()) {
        let p = Params { burst: p.burst.max(p.limit), window: p.window.max(p.period), ..p };
        let b = p.burst();
        let g = Gcra::new(Quota::from_nanos(p.limit, p.period).unwrap());
        let mut gs = GcraState::default();
        let mut mismatches = Vec::new();
        run(&b, &schedule(p, b.capacity(), start, &ops), |_, now, cost, result| {
            let plain = g.check(&mut gs, Nanos::new(now), cost);
            if *result != plain {
                mismatches.push((now, cost, *result, plain));
            }
        });
        prop_assert!(mismatches.is_empty(), "{mismatches:?}");
    }

    #[test]
    fn arbitrary_numbers_never_panic(limit in any::<u64>(), period in any::<u64>(), burst in any::<u64>(), window in any::<u64>(),
                                     steps in prop::collection::vec((any::<u64>(), any::<u64>()), 1..40)) {
        let Ok(b) = Burst::from_nanos(limit, period, burst, window) else { return Ok(()) };
        let mut state = BurstState::default();
        for (now, cost) in steps {
            let now = Nanos::new(now);
            for cost in [cost, cost % (b.capacity() + 1), 1, 0] {
                match b.check(&mut state, now, cost) {
                    Ok(d) => {
                        prop_assert!(d.remaining <= d.limit);
                        prop_assert_eq!(d.limit, b.capacity());
                        prop_assert!(!d.allowed || d.retry_after == Nanos::ZERO);
                    }
                    Err(e) => prop_assert_eq!(e, Error::InsufficientCapacity { capacity: b.capacity() }),
                }
            }
            let _ = b.is_fresh(&state, now);
            let _ = b.convert_state(&b, state);
        }
    }

    #[test]
    fn invalid_numbers_are_errors_exactly_when_the_model_rejects_them(limit in 0..=50_u64, period in 0..=1_000_u64, burst in 0..=50_u64, window in 0..=2_000_u64) {
        let built = Burst::from_nanos(limit, period, burst, window);
        let valid = limit > 0 && period > 0 && burst > 0 && Model::peak_hold(period, burst, window) > 0;
        prop_assert_eq!(built.is_ok(), valid, "{:?}", built);
    }
}
