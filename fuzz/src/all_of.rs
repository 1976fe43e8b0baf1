//! [`AllOf`] over a slice of [`Limiter`]s (GCRA, burst tiers, fixed and sliding windows),
//! over arbitrary members, clocks, per-member costs, peeks, resets and mismatched lengths.
//!
//! Every decision is compared with its definition: each member decided alone on the same
//! state, then all or nothing, with the documented fold (the smallest capacity and remainder,
//! the longest wait and reset, the refusing member with the longest wait). When every member
//! is an exact GCRA in range, it is also compared with the reference model
//! (`tests/src/all_of.rs`), `refused_by` and `tightest` included. Two and three members are
//! also checked as the static tuple form, which must agree with the slice form.

use arbitrary::Arbitrary;
use ratecell::{AllOf, AllOfDecision, Decision, Error, Limiter, LimiterState, Nanos};
use ratecell_reference::all_of as model;

use super::common::{
    At, Clock, Cost, LimiterSpec, MAX_OPS, ModelOutcome, Start, Time, decode, gcra_in_range,
    numbers, step_unit,
};

/// At most this many members.
const MEMBERS: usize = 4;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    /// Every member charged the same cost.
    Same(Time, Cost),
    /// Each member its own cost.
    Each(Time, [Cost; MEMBERS]),
    Peek(Time),
    Reset,
    /// States or costs of another length than the members.
    Mismatch(Time, bool, Cost),
}

#[derive(Arbitrary, Debug)]
struct Input {
    members: Vec<LimiterSpec>,
    start: Start,
    ops: Vec<Op>,
}

/// The reference model, when every member is an exact GCRA.
fn fresh(members: &[Limiter]) -> Option<model::AllOf> {
    let params: Option<Vec<(u64, u64, u64)>> = members
        .iter()
        .map(|m| match m {
            Limiter::Gcra(g) if g.quota().is_exact() => {
                let q = g.quota();
                Some((q.limit(), q.period_nanos().as_nanos(), q.burst()))
            }
            _ => None,
        })
        .collect();
    params.map(|p| model::AllOf::new(&p))
}

fn in_range(members: &[Limiter], latest: u64) -> bool {
    members.iter().all(|m| match m {
        Limiter::Gcra(g) => gcra_in_range(g, latest),
        _ => false,
    })
}

/// The decision `AllOf` must make, from each member decided alone: the outcome and the
/// states to store, or the first member's error.
fn expected(
    members: &[Limiter],
    states: &[LimiterState],
    now: Nanos,
    costs: &[u64],
) -> Result<(AllOfDecision, Vec<LimiterState>), Error> {
    let mut alone = Vec::new();
    for ((m, s), &c) in members.iter().zip(states).zip(costs) {
        alone.push(m.decide(s, now, c)?);
    }
    let allowed = alone.iter().all(|(d, _)| d.allowed);
    // A member that would have admitted a refused request reports its standing as it is.
    let standing: Vec<Decision> = alone
        .iter()
        .zip(members.iter().zip(states))
        .map(|((d, _), (m, s))| {
            if allowed || !d.allowed {
                *d
            } else {
                m.peek(s, now)
            }
        })
        .collect();
    let remaining = standing
        .iter()
        .map(|d| d.remaining)
        .min()
        .unwrap_or(u64::MAX);
    let retry_after = standing
        .iter()
        .map(|d| d.retry_after)
        .max()
        .unwrap_or(Nanos::ZERO);
    let refused_by = standing
        .iter()
        .position(|d| !d.allowed && d.retry_after == retry_after);
    let decision = AllOfDecision {
        decision: Decision {
            allowed,
            limit: members
                .iter()
                .map(Limiter::capacity)
                .min()
                .unwrap_or(u64::MAX),
            remaining,
            retry_after,
            reset_after: standing
                .iter()
                .map(|d| d.reset_after)
                .max()
                .unwrap_or(Nanos::ZERO),
        },
        refused_by: if allowed { None } else { refused_by },
        tightest: standing
            .iter()
            .position(|d| d.remaining == remaining)
            .unwrap_or(0),
    };
    let next = if allowed {
        alone.into_iter().map(|(_, s)| s).collect()
    } else {
        states.to_vec()
    };
    Ok((decision, next))
}

/// The tuple form of two or three members decides as the slice form.
fn tuple_agrees(
    members: &[Limiter],
    states: &[LimiterState],
    now: Nanos,
    costs: &[u64],
    slice: Result<AllOfDecision, Error>,
    after: &[LimiterState],
) {
    match (members, states, costs) {
        (&[a, b], &[sa, sb], &[ca, cb]) => {
            let mut s = (sa, sb);
            let got = AllOf::new((a, b)).check_costs(&mut s, now, [ca, cb]);
            assert_eq!(got, slice, "two members as a tuple");
            assert_eq!([s.0, s.1].as_slice(), after);
        }
        (&[a, b, c], &[sa, sb, sc], &[ca, cb, cc]) => {
            let mut s = (sa, sb, sc);
            let got = AllOf::new((a, b, c)).check_costs(&mut s, now, [ca, cb, cc]);
            assert_eq!(got, slice, "three members as a tuple");
            assert_eq!([s.0, s.1, s.2].as_slice(), after);
        }
        _ => {}
    }
}

/// Runs one input.
///
/// # Panics
/// When the core disagrees with the model or its definition.
pub fn run(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    let members: Vec<Limiter> = input
        .members
        .iter()
        .take(MEMBERS)
        .filter_map(|m| m.build())
        .collect();
    let all = AllOf::new(members.as_slice());
    let capacity = all.capacity();
    let unit = members.iter().map(step_unit).min().unwrap_or(1_000);
    let mut clock = Clock::new(input.start, unit);
    let mut states = vec![LimiterState::default(); members.len()];
    let mut reference = fresh(&members);
    for (i, op) in input.ops.iter().take(MAX_OPS).enumerate() {
        let what = At(i, op);
        match *op {
            Op::Same(t, _) | Op::Each(t, _) => {
                let now = clock.advance(t);
                if !in_range(&members, clock.latest) {
                    reference = None;
                }
                let before = states.clone();
                let (got, costs) = match *op {
                    Op::Same(_, cost) => {
                        let cost = cost.get(capacity);
                        let got = all.check(&mut states, Nanos::new(now), cost);
                        if cost > capacity {
                            let error = Err(Error::InsufficientCapacity { capacity });
                            assert_eq!(got, error, "{what}");
                            assert_eq!(states, before, "{what}: an error changed a member");
                            continue;
                        }
                        (got, vec![cost; members.len()])
                    }
                    Op::Each(_, costs) => {
                        let costs: Vec<u64> = members
                            .iter()
                            .zip(costs)
                            .map(|(m, c)| c.get(m.capacity()))
                            .collect();
                        (all.check_costs(&mut states, Nanos::new(now), &costs), costs)
                    }
                    _ => continue,
                };
                let want = expected(&members, &before, Nanos::new(now), &costs);
                assert_eq!(
                    got,
                    want.as_ref().map(|(d, _)| *d).map_err(|e| *e),
                    "{what}"
                );
                let after = want.map_or(before.clone(), |(_, s)| s);
                assert_eq!(states, after, "{what}: all or nothing");
                tuple_agrees(&members, &before, Nanos::new(now), &costs, got, &states);
                if let Some(m) = reference.as_mut() {
                    match (got, m.check(now, &costs)) {
                        (Ok(d), Some(w)) => {
                            assert_eq!(numbers(&d.decision), w.outcome.numbers(), "{what}");
                            assert_eq!(d.refused_by, w.refused_by, "{what}: refused_by");
                            assert_eq!(d.tightest, w.tightest, "{what}: tightest");
                        }
                        (Err(Error::InsufficientCapacity { .. }), None) => {}
                        (got, want) => panic!("{what}: core {got:?}, model {want:?}"),
                    }
                }
            }
            Op::Peek(t) => {
                let now = Nanos::new(clock.advance(t));
                let d = all.peek(&states, now).expect("as many states as members");
                let zeros = vec![0; members.len()];
                let (want, _) = expected(&members, &states, now, &zeros).expect("zero costs");
                assert_eq!(d.decision.limit, want.decision.limit, "{what}");
                assert_eq!(d.decision.remaining, want.decision.remaining, "{what}");
                assert_eq!(d.decision.reset_after, want.decision.reset_after, "{what}");
            }
            Op::Reset => {
                states = vec![LimiterState::default(); members.len()];
                clock.restart();
                reference = fresh(&members);
            }
            Op::Mismatch(t, longer, cost) => {
                let now = Nanos::new(clock.advance(t));
                let n = members.len();
                let given = if longer || n == 0 { n + 1 } else { n - 1 };
                let mismatch = Err(Error::LengthMismatch { members: n, given });
                let mut wrong = vec![LimiterState::default(); given];
                let cost = cost.get(capacity);
                if cost <= capacity {
                    assert_eq!(all.check(&mut wrong, now, cost), mismatch, "{what}");
                }
                assert_eq!(all.peek(&wrong, now), mismatch, "{what}");
                assert!(!all.is_fresh(&wrong, now), "{what}");
                let before = states.clone();
                let costs = vec![cost; given];
                assert_eq!(
                    all.check_costs(&mut states, now, &costs),
                    mismatch,
                    "{what}"
                );
                assert_eq!(states, before, "{what}: a mismatch changed a member");
            }
        }
    }
}
