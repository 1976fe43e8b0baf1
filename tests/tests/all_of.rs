//! `AllOf` against its reference model, and the all-or-nothing properties.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use ratecell::{
    AllOf, AllOfDecision, Burst, BurstState, Decision, Error, Gcra, GcraState, Limiter,
    LimiterState, Nanos, Quota,
};
use ratecell_reference::all_of::AllOf as Model;

mod support;
use support::outcome;

/// Failures persist next to this file, in `all_of.proptest-regressions`, to be committed.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::with_cases(600)
    }
}

fn period() -> impl Strategy<Value = u64> {
    prop_oneof![
        1..=2_000_000_u64,
        Just(1_000_000_000),
        Just(60_000_000_000),
        Just(7_000_000_001),
    ]
}

/// A GCRA member: `(limit, period_ns, burst)`.
fn gcra_params() -> impl Strategy<Value = (u64, u64, u64)> {
    (1..=30_u64, period(), 1..=30_u64)
}

fn gcra((limit, period, burst): (u64, u64, u64)) -> Gcra {
    Gcra::new(
        Quota::from_nanos(limit, period)
            .unwrap()
            .with_burst(burst)
            .unwrap(),
    )
}

/// A burst member with a window from one peak interval to about two periods.
fn burst_member() -> impl Strategy<Value = Burst> {
    (1..=30_u64, period(), 1..=40_u64, 0..=2_000_u64).prop_map(|(limit, period, burst, extra)| {
        let window = period.div_ceil(burst) + period / 1_000 * extra;
        Burst::from_nanos(limit, period, burst, window).unwrap()
    })
}

/// One request: kind of time step, its size in thousandths, a cost seed per member, and
/// whether every member is charged the same (the first seed).
type Op = (u8, u16, [u8; 3], bool);

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        (0..10_u8, 0..=1_000_u16, any::<[u8; 3]>(), any::<bool>()),
        1..60,
    )
}

/// The instants and per-member costs of a run (each cost up to one past its member's
/// capacity): small steps forward, repeats, steps back, long jumps.
fn schedule(
    unit: u64,
    long: u64,
    capacities: &[u64],
    start: u64,
    ops: &[Op],
) -> Vec<(u64, Vec<u64>)> {
    let unit = unit.max(1);
    let mut now = start;
    ops.iter()
        .map(|&(kind, size, seeds, same)| {
            let small = unit * u64::from(size) / 300;
            now = match kind {
                0 => now.saturating_sub(small),
                1 => now,
                9 => now + long / 100 * u64::from(size),
                _ => now + small,
            };
            let costs = capacities
                .iter()
                .zip(seeds)
                .map(|(&cap, seed)| {
                    let seed = if same { seeds[0] } else { seed };
                    u64::from(seed) % (cap + 2)
                })
                .collect();
            (now, costs)
        })
        .collect()
}

type Three = AllOf<(Gcra, Burst, Gcra)>;
type ThreeState = (GcraState, BurstState, GcraState);

fn three_costs(costs: &[u64]) -> [u64; 3] {
    costs.try_into().expect("three costs")
}

/// Each member of a `Three` alone: (decision, next state), or its error.
fn alone(
    all: &Three,
    states: &ThreeState,
    now: Nanos,
    costs: [u64; 3],
) -> [Result<Decision, Error>; 3] {
    let (first, burst, last) = all.members();
    let mut s = *states;
    [
        first.check(&mut s.0, now, costs[0]),
        burst.check(&mut s.1, now, costs[1]),
        last.check(&mut s.2, now, costs[2]),
    ]
}

fn standings(all: &Three, s: &ThreeState, now: Nanos) -> [Decision; 3] {
    let (a, b, g) = all.members();
    [a.peek(&s.0, now), b.peek(&s.1, now), g.peek(&s.2, now)]
}

fn three() -> impl Strategy<Value = Three> {
    (gcra_params(), burst_member(), gcra_params())
        .prop_map(|(a, b, g)| AllOf::new((gcra(a), b, gcra(g))))
}

fn capacities(all: &Three) -> Vec<u64> {
    let (a, b, g) = all.members();
    vec![a.capacity(), b.capacity(), g.capacity()]
}

fn unit_of(all: &Three) -> u64 {
    let (a, b, g) = all.members();
    let interval = |q: &Quota| q.period_nanos().as_nanos() / q.limit();
    interval(a.quota())
        .min(interval(b.peak().quota()))
        .min(interval(g.quota()))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn two_gcra_members_decide_exactly_as_the_model(a in gcra_params(), b in gcra_params(), start in 0..1_000_000_000_000_u64, ops in ops()) {
        let tuple = AllOf::new((gcra(a), gcra(b)));
        let members = [gcra(a), gcra(b)];
        let slice = AllOf::new(&members[..]);
        let mut model = Model::new(&[a, b]);
        let (mut ts, mut ss) = ((GcraState::default(), GcraState::default()), [GcraState::default(); 2]);
        let unit = (a.1 / a.0).min(b.1 / b.0);
        for (now, costs) in schedule(unit, a.1.max(b.1), &[a.2, b.2], start, &ops) {
            let expected = model.check(now, &costs);
            let t = tuple.check_costs(&mut ts, Nanos::new(now), [costs[0], costs[1]]);
            let s = slice.check_costs(&mut ss, Nanos::new(now), &costs);
            prop_assert_eq!(t, s);
            prop_assert_eq!([ts.0, ts.1], ss);
            match (t, expected) {
                (Ok(d), Some(m)) => {
                    prop_assert_eq!(outcome(d.decision), m.outcome, "at {} costs {:?}", now, costs);
                    prop_assert_eq!(d.refused_by, m.refused_by);
                    prop_assert_eq!(d.tightest, m.tightest);
                }
                (Err(Error::InsufficientCapacity { capacity }), None) => {
                    let first = costs.iter().zip([a.2, b.2]).find(|&(&c, cap)| c > cap).map(|(_, cap)| cap);
                    prop_assert_eq!(Some(capacity), first);
                }
                (got, want) => prop_assert!(false, "at {} costs {:?}: {:?} vs model {:?}", now, costs, got, want),
            }
        }
    }

    #[test]
    fn a_refusal_changes_no_member_and_an_admission_changes_each_as_alone(all in three(), start in 0..1_000_000_000_000_u64, ops in ops()) {
        let mut s = ThreeState::default();
        for (now, costs) in schedule(unit_of(&all), 60_000_000_000, &capacities(&all), start, &ops) {
            let now = Nanos::new(now);
            let c = three_costs(&costs);
            let snapshot = s;
            let each = alone(&all, &s, now, c);
            let mut expected = s;
            {
                let (a, b, g) = all.members();
                let _ = a.check(&mut expected.0, now, c[0]);
                let _ = b.check(&mut expected.1, now, c[1]);
                let _ = g.check(&mut expected.2, now, c[2]);
            }
            match all.check_costs(&mut s, now, c) {
                Ok(d) if d.decision.allowed => {
                    prop_assert!(each.iter().all(|r| r.is_ok_and(|d| d.allowed)));
                    prop_assert_eq!(s, expected, "each member as if checked alone");
                }
                Ok(_) => {
                    prop_assert!(each.iter().any(|r| r.is_ok_and(|d| !d.allowed)));
                    prop_assert_eq!(s, snapshot, "a refusal changes no member");
                }
                Err(e) => {
                    let first = each.iter().find_map(|r| r.err());
                    prop_assert_eq!(Some(e), first);
                    prop_assert_eq!(s, snapshot, "an error changes no member");
                }
            }
        }
    }

    #[test]
    fn the_reported_decision_is_the_most_restrictive(all in three(), start in 0..1_000_000_000_000_u64, ops in ops()) {
        let mut s = ThreeState::default();
        for (now, costs) in schedule(unit_of(&all), 60_000_000_000, &capacities(&all), start, &ops) {
            let now = Nanos::new(now);
            let c = three_costs(&costs);
            let each = alone(&all, &s, now, c);
            let Ok(AllOfDecision { decision: d, refused_by, tightest }) = all.check_costs(&mut s, now, c) else { continue };
            let each: Vec<Decision> = each.iter().map(|r| r.unwrap()).collect();
            let after = standings(&all, &s, now);
            let fewest = after.iter().map(|d| d.remaining).min().unwrap();
            let longest = each.iter().map(|d| d.retry_after).max().unwrap();
            prop_assert_eq!(d.allowed, each.iter().all(|d| d.allowed));
            prop_assert_eq!(d.limit, capacities(&all).into_iter().min().unwrap());
            prop_assert_eq!(d.remaining, fewest);
            prop_assert_eq!(tightest, after.iter().position(|d| d.remaining == fewest).unwrap());
            prop_assert_eq!(d.retry_after, longest);
            prop_assert_eq!(d.reset_after, after.iter().map(|d| d.reset_after).max().unwrap());
            if d.allowed {
                prop_assert_eq!(refused_by, None);
                prop_assert_eq!(d.retry_after, Nanos::ZERO);
            } else {
                let by = refused_by.expect("a refusal names its member");
                prop_assert!(!each[by].allowed);
                prop_assert_eq!(each[by].retry_after, longest);
                prop_assert!(each[..by].iter().all(|d| d.allowed || d.retry_after < longest));
            }
        }
    }

    #[test]
    fn a_refused_combination_is_admitted_exactly_at_retry_after(all in three(), start in 0..1_000_000_000_000_u64, ops in ops()) {
        let mut s = ThreeState::default();
        for (now, costs) in schedule(unit_of(&all), 60_000_000_000, &capacities(&all), start, &ops) {
            let c = three_costs(&costs);
            let before = s;
            let Ok(d) = all.check_costs(&mut s, Nanos::new(now), c) else { continue };
            if d.decision.allowed {
                continue;
            }
            let retry = d.decision.retry_after.as_nanos();
            prop_assert!(retry > 0);
            let at = |t: u64| all.check_costs(&mut before.clone(), Nanos::new(t), c).map(|d| d.decision.allowed);
            prop_assert_eq!(at(now + retry - 1), Ok(false), "1 ns before retry_after {}", retry);
            prop_assert_eq!(at(now + retry), Ok(true), "at retry_after {}", retry);
        }
    }

    #[test]
    fn remaining_counts_exactly_the_unit_requests_admitted_at_that_instant(all in three(), start in 0..1_000_000_000_000_u64, ops in ops()) {
        let mut s = ThreeState::default();
        for (now, costs) in schedule(unit_of(&all), 60_000_000_000, &capacities(&all), start, &ops) {
            let now = Nanos::new(now);
            let Ok(d) = all.check_costs(&mut s, now, three_costs(&costs)) else { continue };
            prop_assert!(d.decision.remaining <= d.decision.limit);
            let mut probe = s;
            for k in 0..d.decision.remaining {
                prop_assert!(all.check(&mut probe, now, 1).unwrap().decision.allowed, "unit {} of {}", k, d.decision.remaining);
            }
            prop_assert!(!all.check(&mut probe, now, 1).unwrap().decision.allowed);
        }
    }

    #[test]
    fn a_clock_that_steps_back_never_admits_more(all in three(), start in 0..1_000_000_000_000_u64, ops in ops(), back in prop::collection::vec(0..=1_000_u16, 1..6)) {
        let steps = schedule(unit_of(&all), 60_000_000_000, &capacities(&all), start, &ops);
        let mut s = ThreeState::default();
        for (now, costs) in &steps {
            let _ = all.check_costs(&mut s, Nanos::new(*now), three_costs(costs));
        }
        let latest = steps.iter().map(|(t, _)| *t).max().unwrap();
        let earliest = steps.iter().map(|(t, _)| *t).min().unwrap();
        let at_latest = all.peek(&s, Nanos::new(latest));
        for thousandths in back {
            let earlier = latest.saturating_sub((latest - earliest + 1_000) / 1_000 * u64::from(thousandths));
            prop_assert!(all.peek(&s, Nanos::new(earlier)).decision.remaining <= at_latest.decision.remaining);
            for cost in 1..=all.capacity() {
                let admitted = |t: u64| all.check(&mut s.clone(), Nanos::new(t), cost).unwrap().decision.allowed;
                prop_assert!(!admitted(earlier) || admitted(latest));
            }
        }
    }

    #[test]
    fn a_slice_of_limiters_decides_as_the_tuple(all in three(), start in 0..1_000_000_000_000_u64, ops in ops()) {
        let (a, b, g) = *all.members();
        let limiters = [Limiter::from(a), Limiter::from(b), Limiter::from(g)];
        let dynamic = AllOf::new(&limiters[..]);
        let mut s = ThreeState::default();
        let mut ls = [LimiterState::default(); 3];
        for (now, costs) in schedule(unit_of(&all), 60_000_000_000, &capacities(&all), start, &ops) {
            let now = Nanos::new(now);
            let same = costs[0] <= all.capacity() && costs.iter().all(|&c| c == costs[0]);
            let (t, d) = if same {
                (all.check(&mut s, now, costs[0]), dynamic.check(&mut ls, now, costs[0]))
            } else {
                (all.check_costs(&mut s, now, three_costs(&costs)), dynamic.check_costs(&mut ls, now, &costs))
            };
            prop_assert_eq!(t, d);
            prop_assert_eq!(Ok(all.peek(&s, now)), dynamic.peek(&ls, now));
            prop_assert_eq!(all.is_fresh(&s, now), dynamic.is_fresh(&ls, now));
            let as_limiters = [LimiterState::from(s.0), LimiterState::from(s.1), LimiterState::from(s.2)];
            for (l, t) in ls.iter().zip(as_limiters) {
                // A member never admitted anything may still hold the neutral fresh state.
                prop_assert!(*l == t || (*l == LimiterState::Fresh && t.eq(&fresh_like(&t))));
            }
        }
    }

    #[test]
    fn errors_and_mismatched_lengths_change_nothing(all in three(), start in 0..1_000_000_u64, ops in ops(), extra in 0..3_u64) {
        let mut s = ThreeState::default();
        let (a, b, g) = *all.members();
        let limiters = [Limiter::from(a), Limiter::from(b), Limiter::from(g)];
        let dynamic = AllOf::new(&limiters[..]);
        let mut ls = [LimiterState::default(); 3];
        for (now, costs) in schedule(unit_of(&all), 60_000_000_000, &capacities(&all), start, &ops) {
            let now = Nanos::new(now);
            let _ = all.check_costs(&mut s, now, three_costs(&costs));
            let _ = dynamic.check_costs(&mut ls, now, &costs);
        }
        let (snapshot, lsnapshot) = (s, ls);
        let over = all.capacity() + 1 + extra;
        prop_assert_eq!(all.check(&mut s, Nanos::new(start), over), Err(Error::InsufficientCapacity { capacity: all.capacity() }));
        prop_assert_eq!(dynamic.check(&mut ls, Nanos::new(start), over), Err(Error::InsufficientCapacity { capacity: all.capacity() }));
        let caps = capacities(&all);
        let mut costs = [0, 0, caps[2] + 1 + extra];
        prop_assert_eq!(all.check_costs(&mut s, Nanos::new(start), costs), Err(Error::InsufficientCapacity { capacity: caps[2] }));
        costs[1] = caps[1] + 1;
        prop_assert_eq!(dynamic.check_costs(&mut ls, Nanos::new(start), &costs), Err(Error::InsufficientCapacity { capacity: caps[1] }));
        prop_assert_eq!(dynamic.check_costs(&mut ls, Nanos::new(start), &[1, 1]), Err(Error::LengthMismatch { members: 3, given: 2 }));
        prop_assert_eq!(dynamic.check(&mut ls[..2], Nanos::new(start), 1), Err(Error::LengthMismatch { members: 3, given: 2 }));
        prop_assert_eq!(dynamic.peek(&ls[..1], Nanos::new(start)), Err(Error::LengthMismatch { members: 3, given: 1 }));
        prop_assert_eq!((s, ls), (snapshot, lsnapshot));
    }

    #[test]
    fn arbitrary_numbers_never_panic(params in prop::collection::vec((any::<u64>(), any::<u64>(), any::<u64>()), 3),
                                     steps in prop::collection::vec((any::<u64>(), any::<[u64; 3]>()), 1..40)) {
        let members: Vec<Limiter> = params.iter().filter_map(|&(l, p, b)| {
            let quota = Quota::from_nanos(l, p).and_then(|q| q.with_burst(b)).ok()?;
            Some(Limiter::from(Gcra::new(quota)))
        }).collect();
        let dynamic = AllOf::new(&members[..]);
        let mut ls = vec![LimiterState::default(); members.len()];
        let n = members.len();
        for (now, costs) in steps {
            let now = Nanos::new(now);
            let results = [
                dynamic.check_costs(&mut ls, now, &costs[..n]),
                dynamic.check(&mut ls, now, costs[0]),
                dynamic.check(&mut ls, now, 1),
            ];
            for d in results.into_iter().flatten() {
                prop_assert!(d.decision.remaining <= d.decision.limit);
                prop_assert!(!d.decision.allowed || d.decision.retry_after == Nanos::ZERO);
                prop_assert_eq!(d.refused_by.is_some(), !d.decision.allowed);
            }
        }
    }
}

/// The fresh state of the same variant as `state`.
fn fresh_like(state: &LimiterState) -> LimiterState {
    match state {
        LimiterState::Gcra(_) => LimiterState::from(GcraState::FRESH),
        LimiterState::Burst(_) => LimiterState::from(BurstState::FRESH),
        _ => LimiterState::Fresh,
    }
}
