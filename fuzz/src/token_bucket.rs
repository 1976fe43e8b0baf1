//! [`TokenBucket`] against its reference model (`tests/src/token_bucket.rs`): checks, peeks,
//! reservations with any patience, cancellations of any reservation in any order, resets,
//! keys that start full or empty, clocks that step back.
//!
//! Every decision, reservation, cancellation and freshness of an exact quota is compared with
//! the model while the key stays away from the end of representable time (see [`in_range`]);
//! reservations made before a reset are forgotten with it. Everything else must merely be
//! well formed and never panic.

use arbitrary::Arbitrary;
use ratecell::{Nanos, Reservation, TokenBucket, TokenBucketState};
use ratecell_reference::token_bucket as model;

use super::common::{
    At, Clock, Cost, MAX_OPS, ModelOutcome, Rate, Span, Start, Time, assert_well_formed, decode,
    numbers,
};

/// How long a reservation may wait.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Patience {
    /// Not at all: a check.
    Never,
    /// A span of time.
    For(Span),
    /// `n` emission intervals.
    Intervals(u8),
    /// Forever.
    Forever,
}

/// One operation on the key.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    Check(Time, Cost),
    Reserve(Time, Cost, Patience),
    /// Cancels the reservation `n % made` (made so far, cancelled or not).
    Cancel(Time, u8),
    Peek(Time),
    IsFresh(Time),
    Reset,
}

#[derive(Arbitrary, Debug)]
struct Input {
    rate: Rate,
    starts_empty: bool,
    start: Start,
    ops: Vec<Op>,
}

/// The model of a fresh key of `bucket`.
fn fresh(bucket: &TokenBucket) -> model::TokenBucket {
    let q = bucket.quota();
    model::TokenBucket::new(
        q.limit(),
        q.period_nanos().as_nanos(),
        q.burst(),
        bucket.starts_empty(),
    )
}

/// The model describes the key: the latest instant seen, the instant the bucket is full and
/// the latest reservation instant, all in ticks, leave room for two more full buckets of debt
/// below `u64::MAX` (where the core saturates and the model, unbounded, would not).
fn in_range(bucket: &TokenBucket, state: &TokenBucketState, latest: u64) -> bool {
    let [_, _, _, scale, _, tolerance, _] = bucket.to_raw();
    let [full_at, reserved, _] = state.to_parts();
    let now = u128::from(latest) * u128::from(scale);
    let furthest = now.max(u128::from(full_at)).max(u128::from(reserved));
    furthest + 4 * u128::from(tolerance) <= u128::from(u64::MAX)
}

/// The model's `i128` products stay far from overflowing: instants times the limit, and
/// the capacity times the period.
fn model_fits(bucket: &TokenBucket, latest: u64) -> bool {
    let q = bucket.quota();
    let bound = 1_u128 << 100;
    let instant = u128::from(latest).checked_mul(u128::from(q.limit()));
    let capacity = u128::from(q.burst()).checked_mul(u128::from(q.period_nanos().as_nanos()));
    instant.is_some_and(|n| n < bound) && capacity.is_some_and(|n| n < bound)
}

/// Runs one input.
///
/// # Panics
/// When the core disagrees with the model or breaks a property.
pub fn run(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    let Ok(quota) = input.rate.quota() else {
        return;
    };
    let mut bucket = TokenBucket::new(quota);
    if input.starts_empty {
        bucket = bucket.starting_empty();
    }
    assert_eq!(TokenBucket::from_raw(bucket.to_raw()), Some(bucket));
    let capacity = bucket.capacity();
    let exact = quota.is_exact();
    let unit = (quota.period_nanos().as_nanos() / quota.limit()).max(1);
    let mut clock = Clock::new(input.start, unit);
    let mut state = TokenBucketState::default();
    let mut reference = (exact && model_fits(&bucket, clock.peak)).then(|| fresh(&bucket));
    // Reservations since the last reset, with the model's when it made them too.
    let mut made: Vec<(Reservation, Option<model::Reserved>)> = Vec::new();
    for (i, &op) in input.ops.iter().take(MAX_OPS).enumerate() {
        let what = At(i, &op);
        let now = match op {
            Op::Check(t, _)
            | Op::Reserve(t, _, _)
            | Op::Cancel(t, _)
            | Op::Peek(t)
            | Op::IsFresh(t) => clock.advance(t),
            Op::Reset => clock.now,
        };
        if !in_range(&bucket, &state, clock.peak) || !model_fits(&bucket, clock.peak) {
            reference = None;
        }
        match op {
            Op::Check(_, cost) => {
                let cost = cost.get(capacity);
                let before = state;
                let pure = bucket.decide(before, Nanos::new(now), cost);
                let got = bucket.check(&mut state, Nanos::new(now), cost);
                assert_eq!(pure.map(|(d, _)| d), got, "{what}: decide and check differ");
                assert_eq!(pure.map_or(before, |(_, s)| s), state, "{what}");
                // A never charged empty-starting key records its first sight even when refused.
                let first_sight = bucket.starts_empty() && before == TokenBucketState::FRESH;
                assert_well_formed(&what, capacity, cost, got, state != before && !first_sight);
                if let Some(m) = reference.as_mut() {
                    match (got, m.check(now, cost)) {
                        (Ok(d), Some(o)) => {
                            assert_eq!(numbers(&d), o.numbers(), "{what}");
                        }
                        (Err(_), None) => {}
                        (got, want) => panic!("{what}: the core says {got:?}, the model {want:?}"),
                    }
                }
            }
            Op::Reserve(_, cost, patience) => {
                let cost = cost.get(capacity);
                let wait = match patience {
                    Patience::Never => Nanos::ZERO,
                    Patience::For(s) => Nanos::new(s.get()),
                    Patience::Intervals(n) => Nanos::new(unit.saturating_mul(u64::from(n))),
                    Patience::Forever => Nanos::MAX,
                };
                let before = state;
                let got = bucket.reserve(&mut state, Nanos::new(now), cost, wait);
                let modelled = reference
                    .as_mut()
                    .map(|m| m.reserve(now, cost, wait.as_nanos()));
                match got {
                    Err(e) => {
                        assert!(cost > capacity, "{what}: {e:?}");
                        assert_eq!(state, before, "{what}: an error changed the state");
                        if let Some(want) = modelled {
                            assert!(want.is_none(), "{what}: the model reserved");
                        }
                    }
                    Ok(r) => {
                        assert!(cost <= capacity, "{what}: cost above the capacity reserved");
                        assert_eq!(r.cost(), cost, "{what}");
                        assert!(r.ready_at() >= Nanos::new(now), "{what}: ready in the past");
                        if r.is_committed() {
                            assert!(r.delay() <= wait, "{what}: committed beyond the wait");
                        } else {
                            // Or never: a bucket full beyond the horizon cannot be stored.
                            let never = r.delay() == Nanos::MAX;
                            assert!(r.delay() > wait || never, "{what}: refused within the wait");
                        }
                        let mine = match modelled {
                            Some(Some((w, _))) => {
                                let core = (
                                    r.is_committed(),
                                    r.cost(),
                                    r.ready_at().as_nanos(),
                                    r.delay().as_nanos(),
                                );
                                assert_eq!(
                                    core,
                                    (w.committed, w.cost, w.ready_at, w.delay),
                                    "{what}"
                                );
                                Some(w)
                            }
                            Some(None) => panic!("{what}: the model refused a cost in capacity"),
                            None => None,
                        };
                        made.push((r, mine));
                    }
                }
            }
            Op::Cancel(_, pick) => {
                let count = made.len();
                if let Some((r, mine)) = made.get_mut(usize::from(pick) % count.max(1)) {
                    let was_committed = r.is_committed();
                    let back = bucket.cancel(&mut state, r, Nanos::new(now));
                    assert!(!r.is_committed(), "{what}: still committed after a cancel");
                    assert!(back <= r.cost(), "{what}: gave back more than it took");
                    if !was_committed {
                        assert_eq!(back, 0, "{what}: a cancelled reservation gave back");
                    }
                    match (reference.as_mut(), mine.as_mut()) {
                        (Some(m), Some(w)) => {
                            assert_eq!(back, m.cancel(w, now), "{what}");
                        }
                        // A reservation the model did not see: it cannot follow any more.
                        (Some(_), None) => reference = None,
                        (None, _) => {}
                    }
                }
            }
            Op::Peek(_) => {
                let d = bucket.peek(&state, Nanos::new(now));
                let mut copy = state;
                assert_eq!(Ok(d), bucket.check(&mut copy, Nanos::new(now), 0), "{what}");
                assert_well_formed(&what, capacity, 0, Ok(d), false);
                if let Some(m) = reference.as_ref() {
                    assert_eq!(numbers(&d), m.peek(now).numbers(), "{what}");
                }
            }
            Op::IsFresh(_) => {
                let fresh_now = bucket.is_fresh(&state, Nanos::new(now));
                if let Some(m) = reference.as_ref() {
                    assert_eq!(fresh_now, m.is_fresh(now), "{what}");
                }
                if fresh_now {
                    let d = bucket.peek(&state, Nanos::new(now));
                    let new = bucket.peek(&TokenBucketState::FRESH, Nanos::new(now));
                    assert_eq!(d, new, "{what}: fresh but not like a new key");
                }
            }
            Op::Reset => {
                bucket.reset(&mut state);
                assert_eq!(state, TokenBucketState::FRESH, "{what}");
                made.clear();
                clock.restart();
                reference = (exact && model_fits(&bucket, clock.peak)).then(|| fresh(&bucket));
            }
        }
    }
}
