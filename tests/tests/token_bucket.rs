//! The token bucket against its reference model, and the properties its contract promises,
//! reservations and cancellations included.

use proptest::prelude::*;
use ratecell::{
    Decision, Error, Gcra, GcraState, Nanos, Quota, Reservation, TokenBucket, TokenBucketState,
};
use ratecell_reference::token_bucket as model;

const SEC: u64 = 1_000_000_000;
const SEC_I: i64 = 1_000_000_000;

/// Exact quotas across the supported range (one per day to 10^10 per second), bursts below and
/// above the limit, whose full refill `burst * T` is at most ~11 days so that a trace's debt
/// stays far from the horizon.
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
    (limit, period, burst).prop_filter_map("exact quota, bounded refill", |(l, p, b)| {
        let q = Quota::from_nanos(l, p).ok()?;
        // Only exact quotas can be compared with the exact model (see Quota::is_exact).
        if !q.is_exact() {
            return None;
        }
        let q = match b {
            Some(b) => q.with_burst(b).ok()?,
            None => (q.burst() <= 1_000_000).then_some(q)?,
        };
        let refill = u128::from(q.burst()) * u128::from(p) / u128::from(l);
        (refill <= 1_000_000_000_000_000).then_some(q)
    })
}

/// One step of a trace: move the clock by `delta` (possibly backwards), then act.
#[derive(Debug, Clone)]
enum Op {
    Check {
        delta: i64,
        cost: u64,
    },
    Reserve {
        delta: i64,
        cost: u64,
        wait: Wait,
    },
    /// Cancel one of the reservations made so far (committed, cancelled or not).
    Cancel {
        delta: i64,
        pick: usize,
    },
}

/// How long a reservation may wait, relative to the time a full refill takes.
#[derive(Debug, Clone, Copy)]
enum Wait {
    Never,
    Nanos(u64),
    Refills(u64),
    Forever,
}

fn max_wait(q: &Quota, wait: Wait) -> Nanos {
    let refill =
        u128::from(q.burst()) * u128::from(q.period_nanos().as_nanos()) / u128::from(q.limit());
    match wait {
        Wait::Never => Nanos::ZERO,
        Wait::Nanos(n) => Nanos::new(n),
        Wait::Refills(k) => Nanos::new(u64::try_from(refill * u128::from(k)).expect("fits")),
        Wait::Forever => Nanos::MAX,
    }
}

/// Traces of checks, reservations and (when `cancels`) cancellations of any of them in any
/// order; the clock steps back only when `backwards`.
fn ops(max_cost: u64, backwards: bool, cancels: bool) -> impl Strategy<Value = Vec<Op>> {
    let back = u32::from(backwards);
    let cancel = if cancels { 2 } else { 0 };
    let delta = prop_oneof![
        4 => Just(0_i64),
        4 => 0_i64..=2 * SEC_I,
        2 => 0_i64..=1_000,
        back => -SEC_I..0,
    ];
    let cost = 0..=max_cost.saturating_add(1);
    let wait = prop_oneof![
        Just(Wait::Never),
        (0_u64..=2 * SEC).prop_map(Wait::Nanos),
        (0_u64..=3).prop_map(Wait::Refills),
        Just(Wait::Forever),
    ];
    let op = prop_oneof![
        3 => (delta.clone(), cost.clone()).prop_map(|(delta, cost)| Op::Check { delta, cost }),
        3 => (delta.clone(), cost, wait)
            .prop_map(|(delta, cost, wait)| Op::Reserve { delta, cost, wait }),
        cancel => (delta, any::<usize>()).prop_map(|(delta, pick)| Op::Cancel { delta, pick }),
    ];
    prop::collection::vec(op, 1..60)
}

/// Clock moves (forwards and backwards) and costs, for checks alone.
fn steps() -> impl Strategy<Value = Vec<(i64, u64)>> {
    let delta = prop_oneof![
        4 => Just(0_i64),
        4 => 0_i64..=2 * SEC_I,
        2 => 0_i64..=1_000,
        1 => -SEC_I..0,
    ];
    prop::collection::vec((delta, 0_u64..=61), 1..80)
}

fn policy(q: Quota, empty: bool) -> TokenBucket {
    let b = TokenBucket::new(q);
    if empty { b.starting_empty() } else { b }
}

fn model_of(q: &Quota, empty: bool) -> model::TokenBucket {
    model::TokenBucket::new(q.limit(), q.period_nanos().as_nanos(), q.burst(), empty)
}

fn advance(now: u64, delta: i64) -> u64 {
    now.saturating_add_signed(delta)
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

/// Tokens taken at an exact instant (units of `1/limit` ns), and whether a cancellation that
/// changed the state withdrew them.
#[derive(Debug, Clone, Copy)]
struct Taken {
    ready: i128,
    cost: u64,
    withdrawn: bool,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The exact instant (in units of `1/limit` ns) at which a request charged at `now` proceeds,
/// read from the state it left: `max(now, full_at - burst * T)`, converted from the core's
/// ticks of `1/scale` ns (`scale = limit / g`, so one tick is `g` units).
fn exact_instant(q: &Quota, now: u64, after: TokenBucketState) -> i128 {
    let (limit, period) = (q.limit(), q.period_nanos().as_nanos());
    let g = i128::from(gcd(limit, period));
    let [full_at, _, _] = after.to_parts();
    let tolerance = i128::from(q.burst()) * i128::from(period) / g;
    let now_ticks = i128::from(now) * i128::from(limit) / g;
    now_ticks.max(i128::from(full_at) - tolerance) * g
}

/// A trace replayed on the core and, when `compare`, on the model in lockstep, failing on the
/// first difference in any decision, reservation, cancellation, standing or freshness.
struct Replay {
    q: Quota,
    compare: bool,
    bucket: TokenBucket,
    state: TokenBucketState,
    model: model::TokenBucket,
    /// Every reservation made, with the index of its `Taken` entry when it took tokens.
    made: Vec<(Reservation, model::Reserved, Option<usize>)>,
    taken: Vec<Taken>,
    now: u64,
    /// The earliest and latest instants seen.
    lo: u64,
    hi: u64,
}

impl Replay {
    fn run(
        q: Quota,
        empty: bool,
        start: u64,
        ops: &[Op],
        compare: bool,
    ) -> Result<Replay, TestCaseError> {
        let mut run = Replay {
            q,
            compare,
            bucket: policy(q, empty),
            state: TokenBucketState::default(),
            model: model_of(&q, empty),
            made: Vec::new(),
            taken: Vec::new(),
            now: start,
            lo: start,
            hi: start,
        };
        for op in ops {
            match op {
                Op::Check { delta, cost } => run.check(*delta, *cost)?,
                Op::Reserve { delta, cost, wait } => run.reserve(*delta, *cost, *wait)?,
                Op::Cancel { delta, pick } => run.cancel(*delta, *pick)?,
            }
            run.compare_standing(op)?;
        }
        Ok(run)
    }

    fn advance(&mut self, delta: i64) -> u64 {
        self.now = advance(self.now, delta);
        self.lo = self.lo.min(self.now);
        self.hi = self.hi.max(self.now);
        self.now
    }

    fn check(&mut self, delta: i64, cost: u64) -> Result<(), TestCaseError> {
        let now = self.advance(delta);
        let got = self.bucket.check(&mut self.state, Nanos::new(now), cost);
        let want = self.model.reserve(now, cost, 0);
        if let Ok(d) = got
            && d.allowed
            && cost > 0
        {
            let ready = exact_instant(&self.q, now, self.state);
            self.taken.push(Taken {
                ready,
                cost,
                withdrawn: false,
            });
        }
        if !self.compare {
            return Ok(());
        }
        match want {
            None => prop_assert_eq!(
                got,
                Err(Error::InsufficientCapacity {
                    capacity: self.q.burst()
                })
            ),
            Some((r, want)) => {
                let d = got.expect("within capacity");
                prop_assert_eq!(
                    numbers(&d),
                    model_numbers(&want),
                    "check {} at {}",
                    cost,
                    now
                );
                if d.allowed && cost > 0 {
                    prop_assert_eq!(self.taken.last().map(|t| t.ready), Some(r.ready));
                }
            }
        }
        Ok(())
    }

    fn reserve(&mut self, delta: i64, cost: u64, patience: Wait) -> Result<(), TestCaseError> {
        let now = self.advance(delta);
        let w = max_wait(&self.q, patience);
        let got = self
            .bucket
            .reserve(&mut self.state, Nanos::new(now), cost, w);
        let want = self.model.reserve(now, cost, w.as_nanos());
        if self.compare {
            match (&got, &want) {
                (_, None) => prop_assert_eq!(
                    got.as_ref().err(),
                    Some(&Error::InsufficientCapacity {
                        capacity: self.q.burst()
                    })
                ),
                (Ok(r), Some((want, _))) => prop_assert_eq!(
                    (
                        r.is_committed(),
                        r.cost(),
                        r.ready_at().as_nanos(),
                        r.delay().as_nanos()
                    ),
                    (want.committed, want.cost, want.ready_at, want.delay),
                    "reserve {} at {} waiting {:?}",
                    cost,
                    now,
                    patience
                ),
                (Err(e), Some(_)) => prop_assert!(false, "reserve {}: {:?}", cost, e),
            }
        }
        if let (Ok(r), Some((want, _))) = (got, want) {
            let index = (r.is_committed() && cost > 0).then(|| {
                let ready = exact_instant(&self.q, now, self.state);
                self.taken.push(Taken {
                    ready,
                    cost,
                    withdrawn: false,
                });
                self.taken.len() - 1
            });
            if self.compare
                && let Some(k) = index
            {
                prop_assert_eq!(self.taken[k].ready, want.ready);
            }
            self.made.push((r, want, index));
        }
        Ok(())
    }

    fn cancel(&mut self, delta: i64, pick: usize) -> Result<(), TestCaseError> {
        let now = self.advance(delta);
        if self.made.is_empty() {
            return Ok(());
        }
        let i = pick % self.made.len();
        let (r, want, index) = &mut self.made[i];
        let before = self.state;
        let got = self.bucket.cancel(&mut self.state, r, Nanos::new(now));
        let expected = self.model.cancel(want, now);
        if self.compare {
            prop_assert_eq!(got, expected, "cancel at {}", now);
        }
        prop_assert!(!r.is_committed());
        if self.state != before
            && let Some(k) = *index
        {
            self.taken[k].withdrawn = true;
        }
        Ok(())
    }

    fn compare_standing(&self, op: &Op) -> Result<(), TestCaseError> {
        if self.compare {
            let now = Nanos::new(self.now);
            let (peek, want) = (
                self.bucket.peek(&self.state, now),
                self.model.peek(self.now),
            );
            prop_assert_eq!(
                numbers(&peek),
                model_numbers(&want),
                "after {:?} at {}",
                op,
                now
            );
            prop_assert_eq!(
                self.bucket.is_fresh(&self.state, now),
                self.model.is_fresh(self.now)
            );
        }
        Ok(())
    }
}

/// `state` with an empty-starting key's first charge at `now` recorded: what a request at
/// `now` sees. (A never charged empty-starting key has no tokens, so a unit check is refused
/// and records only that.)
fn seen(b: &TokenBucket, state: TokenBucketState, now: u64) -> TokenBucketState {
    if b.starts_empty() && state == TokenBucketState::default() {
        let (d, seen) = b.decide(state, Nanos::new(now), 1).expect("fits");
        assert!(!d.allowed);
        seen
    } else {
        state
    }
}

/// Replays `ops` on the core alone, clamping costs into capacity.
fn replay_core(b: &TokenBucket, start: u64, ops: &[Op]) -> (TokenBucketState, u64) {
    let mut state = TokenBucketState::default();
    let mut made = Vec::new();
    let mut now = start;
    let q = *b.quota();
    for op in ops {
        match op {
            Op::Check { delta, cost } => {
                now = advance(now, *delta);
                let _ = b.check(&mut state, Nanos::new(now), (*cost).min(b.capacity()));
            }
            Op::Reserve { delta, cost, wait } => {
                now = advance(now, *delta);
                let cost = (*cost).min(b.capacity());
                if let Ok(r) = b.reserve(&mut state, Nanos::new(now), cost, max_wait(&q, *wait)) {
                    made.push(r);
                }
            }
            Op::Cancel { delta, pick } => {
                now = advance(now, *delta);
                if !made.is_empty() {
                    let i = pick % made.len();
                    let _ = b.cancel(&mut state, &mut made[i], Nanos::new(now));
                }
            }
        }
    }
    (state, now)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn every_decision_reservation_and_cancellation_matches_the_reference_model(
        q in quotas(), empty in any::<bool>(), start in 0_u64..=1 << 50, ops in ops(60, true, true)
    ) {
        Replay::run(q, empty, start, &ops, true)?;
    }

    #[test]
    fn checks_alone_are_exactly_gcra_decisions(
        q in quotas(), start in 0_u64..=1 << 50, steps in steps()
    ) {
        let (b, g) = (TokenBucket::new(q), Gcra::new(q));
        let (mut s, mut gs) = (TokenBucketState::default(), GcraState::default());
        let mut now = start;
        for (delta, cost) in steps {
            now = advance(now, delta);
            prop_assert_eq!(
                b.check(&mut s, Nanos::new(now), cost),
                g.check(&mut gs, Nanos::new(now), cost)
            );
        }
    }

    #[test]
    fn over_any_window_reservations_take_at_most_burst_plus_the_window_times_the_rate(
        q in quotas(), empty in any::<bool>(), start in 0_u64..=1 << 50, ops in ops(8, true, true)
    ) {
        // Counting every committed reservation and admission at its exact instant, except
        // those a cancellation withdrew, and whatever the clock did. The core alone is replayed:
        // this holds its cancellation rules to the bound, not to the model's restatement.
        let run = Replay::run(q, empty, start, &ops, false)?;
        let mut held: Vec<Taken> = run.taken.into_iter().filter(|t| !t.withdrawn).collect();
        held.sort_by_key(|t| t.ready);
        let (p, b) = (i128::from(q.period_nanos().as_nanos()), i128::from(q.burst()));
        for i in 0..held.len() {
            let mut cost = 0_i128;
            for j in i..held.len() {
                cost += i128::from(held[j].cost);
                // Units: a token is `p`, a nanosecond is `limit`, the refill is one per unit.
                let span = held[j].ready - held[i].ready;
                prop_assert!(cost * p <= b * p + span, "{} tokens over {} units", cost, span);
            }
        }
    }

    #[test]
    fn a_clock_that_steps_backwards_never_admits_more_than_the_time_it_covered(
        q in quotas(), empty in any::<bool>(), start in 1_u64 << 40..=1 << 50, ops in ops(8, true, true)
    ) {
        // Whatever the clock did, everything taken and not withdrawn costs at most B plus the
        // refill over the span from the earliest instant seen to the latest instant anything
        // proceeds.
        let run = Replay::run(q, empty, start, &ops, true)?;
        let limit = i128::from(q.limit());
        let lo = i128::from(run.lo) * limit;
        let hi = run.taken.iter().map(|t| t.ready).fold(i128::from(run.hi) * limit, i128::max);
        let total: i128 = run.taken.iter().filter(|t| !t.withdrawn).map(|t| i128::from(t.cost)).sum();
        let (p, b) = (i128::from(q.period_nanos().as_nanos()), i128::from(q.burst()));
        prop_assert!(total * p <= b * p + (hi - lo));
        // And the final standing still agrees with the model.
        let d = run.bucket.peek(&run.state, Nanos::new(run.now));
        prop_assert_eq!(numbers(&d), model_numbers(&run.model.peek(run.now)));
    }

    #[test]
    fn a_reservations_ready_at_is_the_first_instant_the_same_check_is_admitted(
        q in quotas(), empty in any::<bool>(), start in 0_u64..=1 << 50, ops in ops(8, false, true),
        cost in 0_u64..=8, wait in 0_u64..=3 * SEC
    ) {
        let b = policy(q, empty);
        let cost = cost.min(q.burst());
        let (state, now) = replay_core(&b, start, &ops);
        let mut reserved = state;
        let r = b.reserve(&mut reserved, Nanos::new(now), cost, Nanos::new(wait)).expect("fits");
        prop_assert_eq!(r.ready_at().as_nanos(), now + r.delay().as_nanos());
        prop_assert_eq!(r.is_committed(), r.delay().as_nanos() <= wait);
        // Checked against the state the reservation saw (with an empty-starting key's first
        // charge recorded, as a refused check would record it).
        let seen = seen(&b, state, now);
        let at = r.ready_at().as_nanos();
        prop_assert!(b.decide(seen, Nanos::new(at), cost).expect("fits").0.allowed);
        if at > now {
            prop_assert!(!b.decide(seen, Nanos::new(at - 1), cost).expect("fits").0.allowed);
        }
        if cost == 0 {
            // A peek records nothing, not even an empty-starting key's first sight.
            prop_assert_eq!(reserved, state);
        } else if !r.is_committed() {
            // Nothing was taken.
            prop_assert_eq!(reserved, seen);
        }
    }

    #[test]
    fn retry_after_is_exact(
        q in quotas(), empty in any::<bool>(), start in 0_u64..=1 << 50, ops in ops(8, false, true),
        cost in 1_u64..=8
    ) {
        let b = policy(q, empty);
        let cost = cost.min(q.burst());
        let (state, now) = replay_core(&b, start, &ops);
        let (d, seen) = b.decide(state, Nanos::new(now), cost).expect("within capacity");
        if d.allowed {
            prop_assert_eq!(d.retry_after, Nanos::ZERO);
        } else {
            prop_assert!(d.retry_after > Nanos::ZERO);
            let at = now + d.retry_after.as_nanos();
            prop_assert!(!b.decide(seen, Nanos::new(at - 1), cost).expect("ok").0.allowed);
            prop_assert!(b.decide(seen, Nanos::new(at), cost).expect("ok").0.allowed);
        }
    }

    #[test]
    fn remaining_is_exact(
        q in quotas(), empty in any::<bool>(), start in 0_u64..=1 << 50, ops in ops(8, false, true)
    ) {
        let b = policy(q, empty);
        let (mut state, now) = replay_core(&b, start, &ops);
        let remaining = b.peek(&state, Nanos::new(now)).remaining;
        prop_assume!(remaining <= 100_000);
        for _ in 0..remaining {
            prop_assert!(b.check(&mut state, Nanos::new(now), 1).expect("ok").allowed);
        }
        prop_assert!(!b.check(&mut state, Nanos::new(now), 1).expect("ok").allowed);
    }

    #[test]
    fn cancelling_the_most_recent_reservation_at_once_undoes_it_exactly(
        q in quotas(), empty in any::<bool>(), start in 0_u64..=1 << 50, ops in ops(8, false, false),
        cost in 1_u64..=8, wait in prop_oneof![Just(0_u64), 0_u64..=3 * SEC, Just(u64::MAX)],
        later in prop::collection::vec(0_u64..=3 * SEC, 1..5)
    ) {
        // With a clock that never stepped back, no earlier reservation proceeds after it. (An
        // earlier one cancelled out of order could still count as if it did: the state cannot
        // tell, so the trace before has no cancellations.)
        let b = policy(q, empty);
        let cost = cost.min(q.burst());
        let (state, now) = replay_core(&b, start, &ops);
        let t = Nanos::new(now);
        // An empty-starting key's first charge starts its refill; compare with that.
        let seen = seen(&b, state, now);
        let mut s = state;
        let mut r = b.reserve(&mut s, t, cost, Nanos::new(wait)).expect("fits");
        prop_assume!(r.is_committed());
        prop_assert_eq!(b.cancel(&mut s, &mut r, t), cost);
        for dt in later {
            let at = Nanos::new(now + dt);
            prop_assert_eq!(b.peek(&s, at), b.peek(&seen, at));
        }
    }

    #[test]
    fn cancelling_pending_reservations_newest_first_restores_the_standing_before_them(
        q in quotas(), empty in any::<bool>(), start in 0_u64..=1 << 50, ops in ops(8, false, false),
        costs in prop::collection::vec((1_u64..=8, 0_u64..=3), 1..10),
        later in prop::collection::vec(0_u64..=3 * SEC, 1..5)
    ) {
        let b = policy(q, empty);
        let (state, now) = replay_core(&b, start, &ops);
        let t = Nanos::new(now);
        let seen = seen(&b, state, now);
        let mut s = state;
        let mut pending = Vec::new();
        let mut held = 0;
        for (cost, refills) in costs {
            let cost = cost.min(q.burst());
            let r = b.reserve(&mut s, t, cost, max_wait(&q, Wait::Refills(refills))).expect("fits");
            if r.is_committed() {
                held += cost;
                pending.push(r);
            }
        }
        let mut back = 0;
        while let Some(mut r) = pending.pop() {
            back += b.cancel(&mut s, &mut r, t);
        }
        prop_assert_eq!(back, held);
        for dt in later {
            let at = Nanos::new(now + dt);
            prop_assert_eq!(b.peek(&s, at), b.peek(&seen, at));
        }
    }

    #[test]
    fn cancelling_twice_or_after_ready_at_gives_nothing_back(
        q in quotas(), empty in any::<bool>(), start in 0_u64..=1 << 50, ops in ops(8, true, true),
        cost in 1_u64..=8, late in 1_u64..=SEC
    ) {
        let b = policy(q, empty);
        let cost = cost.min(q.burst());
        let (mut s, now) = replay_core(&b, start, &ops);
        let t = Nanos::new(now);
        let mut r = b.reserve(&mut s, t, cost, Nanos::MAX).expect("fits");
        prop_assume!(r.is_committed());
        let mut once = s;
        b.cancel(&mut once, &mut r, t);
        let after_once = once;
        prop_assert_eq!(b.cancel(&mut once, &mut r, t), 0);
        prop_assert_eq!(once, after_once);
        let mut r = b.reserve(&mut s, t, cost, Nanos::MAX).expect("fits");
        let too_late = r.ready_at().saturating_add(Nanos::new(late));
        let before = s;
        prop_assert_eq!(b.cancel(&mut s, &mut r, too_late), 0);
        prop_assert_eq!(s, before);
    }

    #[test]
    fn after_reset_after_a_key_behaves_exactly_like_a_full_one(
        q in quotas(), empty in any::<bool>(), start in 0_u64..=1 << 50, before in ops(8, true, true),
        after in ops(8, false, true)
    ) {
        // Starting full, a full key is a fresh key; starting empty, it is a fresh key of the
        // same bucket starting full.
        let b = policy(q, empty);
        let full = TokenBucket::new(q);
        let (mut used, now) = replay_core(&b, start, &before);
        // A never charged empty-starting key is not full but empty at its first charge.
        prop_assume!(!(empty && used == TokenBucketState::default()));
        let reset = b.peek(&used, Nanos::new(now)).reset_after.as_nanos();
        let mut fresh = TokenBucketState::default();
        let mut t = now + reset;
        prop_assert_eq!(b.is_fresh(&used, Nanos::new(t)), !empty);
        for op in &after {
            let (Op::Check { delta, cost } | Op::Reserve { delta, cost, .. }) = op else { continue };
            t = advance(t, *delta);
            prop_assert_eq!(
                b.check(&mut used, Nanos::new(t), *cost),
                full.check(&mut fresh, Nanos::new(t), *cost)
            );
        }
    }

    #[test]
    fn an_empty_starting_key_has_no_tokens_until_its_first_charge_and_is_fresh_until_then(
        q in quotas(), times in prop::collection::vec(0_u64..=1 << 50, 1..5), cost in 1_u64..=8
    ) {
        let b = TokenBucket::new(q).starting_empty();
        let cost = cost.min(q.burst());
        let fresh = TokenBucketState::default();
        for &t in &times {
            let d = b.peek(&fresh, Nanos::new(t));
            prop_assert_eq!((d.allowed, d.remaining), (true, 0));
            prop_assert!(b.is_fresh(&fresh, Nanos::new(t)));
        }
        let mut s = fresh;
        let t = Nanos::new(times[0]);
        let d = b.check(&mut s, t, cost).expect("fits");
        prop_assert!(!d.allowed);
        prop_assert!(!b.is_fresh(&s, t));
        prop_assert!(!b.is_fresh(&s, Nanos::MAX));
        // Exactly `cost` tokens' refill: `cost * period / limit`, rounded up.
        let want = (u128::from(cost) * u128::from(q.period_nanos().as_nanos())).div_ceil(u128::from(q.limit()));
        prop_assert_eq!(u128::from(d.retry_after.as_nanos()), want);
    }

    #[test]
    fn no_input_makes_it_panic(
        limit in any::<u64>(), period in any::<u64>(), burst in any::<u64>(), empty in any::<bool>(),
        times in prop::collection::vec(any::<u64>(), 1..20),
        costs in prop::collection::vec(any::<u64>(), 1..20),
        waits in prop::collection::vec(any::<u64>(), 1..20),
        parts in any::<[u64; 3]>(),
    ) {
        if let Ok(q) = Quota::from_nanos(limit, period).and_then(|q| q.with_burst(burst)) {
            let b = policy(q, empty);
            for mut state in [TokenBucketState::default(), TokenBucketState::from_parts(parts)] {
                let mut made = Vec::new();
                for ((t, c), w) in times.iter().zip(costs.iter().cycle()).zip(waits.iter().cycle()) {
                    let now = Nanos::new(*t);
                    let _ = b.check(&mut state, now, *c);
                    if let Ok(r) = b.reserve(&mut state, now, *c % (q.burst().saturating_add(1)), Nanos::new(*w)) {
                        made.push(r);
                    }
                    let pick = *c as usize % made.len().max(1);
                    if let Some(r) = made.get_mut(pick) {
                        let _ = b.cancel(&mut state, r, now);
                    }
                    let _ = b.peek(&state, now);
                    let _ = b.is_fresh(&state, now);
                }
            }
        }
    }
}

#[test]
fn reservations_at_seven_per_minute_never_drift_over_a_day() {
    // A client reserving one token at a time, as far ahead as needed, is scheduled at exactly
    // ceil(k * 60/7 s) after the burst: no rounding accumulates.
    let b = TokenBucket::new(Quota::per_minute(7).expect("valid"));
    let mut s = TokenBucketState::default();
    for k in 0..7 {
        let r = b.reserve(&mut s, Nanos::ZERO, 1, Nanos::MAX).expect("ok");
        assert_eq!(r.ready_at(), Nanos::ZERO, "burst token {k}");
    }
    for k in 1..=10_080_u64 {
        let r = b.reserve(&mut s, Nanos::ZERO, 1, Nanos::MAX).expect("ok");
        let want = (u128::from(k) * u128::from(60 * SEC)).div_ceil(7);
        assert_eq!(u128::from(r.ready_at().as_nanos()), want, "reservation {k}");
    }
}

#[test]
fn cancelling_pending_reservations_newest_first_gives_every_token_back() {
    let b = TokenBucket::new(Quota::parse("10/second burst 5").expect("valid"));
    let mut s = TokenBucketState::default();
    let now = Nanos::from_secs(7);
    let mut pending: Vec<Reservation> = (0..6)
        .map(|_| b.reserve(&mut s, now, 3, Nanos::MAX).expect("ok"))
        .collect();
    assert_eq!(pending[5].delay(), Nanos::from_millis(1_300)); // 18 tokens, 5 on hand
    let mut back = 0;
    while let Some(mut r) = pending.pop() {
        back += b.cancel(&mut s, &mut r, now);
    }
    assert_eq!(back, 18);
    assert!(b.is_fresh(&s, now));
}

#[test]
fn cancelling_an_older_reservation_keeps_the_tokens_a_newer_one_was_promised() {
    let b = TokenBucket::new(Quota::parse("10/second burst 5").expect("valid"));
    let mut s = TokenBucketState::default();
    let now = Nanos::ZERO;
    let mut first = b.reserve(&mut s, now, 5, Nanos::MAX).expect("ok");
    let second = b.reserve(&mut s, now, 2, Nanos::MAX).expect("ok");
    assert_eq!(second.ready_at(), Nanos::from_millis(200));
    // `second` proceeds 200 ms (2 tokens) after `first`: those 2 stay taken, 3 come back.
    assert_eq!(b.cancel(&mut s, &mut first, now), 3);
    let d = b.peek(&s, now);
    assert_eq!((d.allowed, d.remaining), (true, 1));
    // An immediate admission after a reservation claims nothing: the reservation undoes fully.
    let mut s = TokenBucketState::default();
    let mut r = b.reserve(&mut s, now, 2, Nanos::ZERO).expect("ok");
    assert!(b.check(&mut s, now, 1).expect("ok").allowed);
    assert_eq!(b.cancel(&mut s, &mut r, now), 2);
    assert_eq!(b.peek(&s, now).remaining, 4);
}
