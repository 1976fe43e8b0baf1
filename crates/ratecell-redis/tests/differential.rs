//! Random traffic through Redis and through the core, side by side: every decision, every
//! reservation, lease and top-up must be identical, and the state Redis stores must be the
//! core's state, field by field.
//!
//! Instants are the caller's (`check_at`): they start anywhere from 0 to the end of `u64`
//! (around the server-time instants of today, at the horizon of 1/64 ns ticks), advance by
//! nanoseconds, fractions of the period and whole periods, and step back. Quotas cover whole,
//! fractional (7/minute), rounded (997/minute), sub-nanosecond (10^10/second) and huge
//! intervals.
//!
//! One rule of keyed storage applies to Redis as to the core's keyed tables: a key whose state
//! a write leaves fresh is deleted (a fresh key decides as an absent one), so if the clock
//! later steps back before that instant the key starts over. The core side mirrors it.

#[macro_use]
mod common;

use std::time::Duration;

use proptest::prelude::*;
use ratecell::{
    AllOf, Burst, BurstState, Concurrency, ConcurrencyState, Credits, CreditsState, Decision,
    FixedWindow, FixedWindowState, Gcra, GcraState, Lease, Limiter, LimiterState, Nanos, Quota,
    Reservation, SlidingLog, SlidingLogState, SlidingWindow, SlidingWindowState, TokenBucket,
    TokenBucketState,
};
use ratecell_redis::sync::RedisStore;
use ratecell_redis::{Error, RedisLease, RedisPolicy, RedisReservation, Script};

const CASES: u32 = 32;

/// `(limit, period_ns, burst)`
const QUOTAS: [(u64, u64, u64); 12] = [
    (5, 1_000_000_000, 3),
    (100, 60_000_000_000, 120),
    (7, 60_000_000_000, 7),
    (7, 60_000_000_000, 2),
    (997, 60_000_000_000, 997),
    (10_000_000_000, 1_000_000_000, 10),
    (10, 7, 10),
    (3, 10, 3),
    (32_768, 1_000_000_000, 64),
    (1, u64::MAX, 1),
    (2, u64::MAX / 2 + 1, 2),
    (4, 1_000, 9),
];

/// Where a case's clock starts: the origin, today since 2024, near the horizon of 1/64 ns
/// ticks, near the end of u64.
const STARTS: [u64; 5] = [
    0,
    1_000_000_000,
    91_463_113_553_263_000,
    u64::MAX / 64 - 1_000_000_000_000,
    u64::MAX - 10_000_000_000,
];

fn quota((limit, period, burst): (u64, u64, u64)) -> Quota {
    Quota::from_nanos(limit, period)
        .and_then(|q| q.with_burst(burst))
        .expect("valid quota")
}

/// One step: an operation selector, how the clock moves, and raw numbers for the cost.
#[derive(Clone, Debug)]
struct Step {
    op: u8,
    clock: u8,
    x: u64,
    y: u64,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (any::<u8>(), any::<u8>(), any::<u64>(), any::<u64>()).prop_map(|(op, clock, x, y)| Step {
            op,
            clock,
            x,
            y,
        }),
        1..40,
    )
}

/// The next instant: the same, nanoseconds later, fractions or multiples of the period later,
/// anything later, or earlier.
fn advance(now: u64, period: u64, s: &Step) -> u64 {
    match s.clock % 8 {
        0 | 1 => now,
        2 => now.saturating_add(s.x % 3),
        3 | 4 => now.saturating_add((period / 8).saturating_mul(s.x % 9) + s.y % 2),
        5 => now.saturating_add(period.saturating_mul(s.x % 3)),
        6 => now.saturating_sub(s.x % period.max(1)),
        _ => now.saturating_add(s.x % (1 << 40)),
    }
}

/// A cost around the capacity: often within it, sometimes one above.
fn cost(capacity: u64, s: &Step) -> u64 {
    if capacity == u64::MAX {
        return if s.y.is_multiple_of(4) {
            s.y
        } else {
            s.y % 2_000
        };
    }
    s.y % capacity.saturating_add(2).min(1 << 20)
}

fn store(url: &str) -> RedisStore {
    RedisStore::open(url, common::options("differential")).expect("a store")
}

fn core_result(r: Result<Decision, ratecell::Error>) -> Result<Decision, ratecell::Error> {
    r
}

fn redis_result<T>(r: Result<T, Error>) -> Result<T, ratecell::Error> {
    r.map_err(|e| match e {
        Error::Limit(e) => e,
        other => panic!("redis failed: {other}"),
    })
}

/// The fields Redis stores for a key, as integers (absent fields and keys are zero).
fn stored(con: &mut redis::Connection, key: &str, fields: &[&str]) -> Vec<u64> {
    let values: Vec<Option<String>> = redis::cmd("HMGET")
        .arg(key)
        .arg(fields)
        .query(con)
        .expect("HMGET");
    values
        .into_iter()
        .map(|v| v.map_or(0, |s| s.parse().expect("a decimal field")))
        .collect()
}

/// Checks every step of `steps` with a plain `check` (cost 0 peeks) on both sides, and after
/// each the stored fields against `parts` of the core state.
fn checks<A>(
    url: &str,
    policy: &A,
    start: u64,
    period: u64,
    steps: &[Step],
    fields: &[&str],
    parts: impl Fn(&A::State) -> Vec<u64>,
) -> Result<(), TestCaseError>
where
    A: RedisPolicy,
    A::State: Clone + PartialEq + std::fmt::Debug,
{
    let limiter = store(url)
        .limiter("diff", policy.clone())
        .expect("a limiter");
    let mut con = common::connection(url);
    let key = "k";
    let mut state = A::State::default();
    let mut now = start;
    for (i, s) in steps.iter().enumerate() {
        now = advance(now, period, s);
        let c = cost(policy.capacity(), s);
        let before = state.clone();
        let want = core_result(policy.check(&mut state, Nanos::new(now), c));
        if state != before && policy.is_fresh(&state, Nanos::new(now)) {
            state = A::State::default();
        }
        let got = redis_result(limiter.check_at(key, Nanos::new(now), c));
        prop_assert_eq!(got, want, "step {} at {} cost {}", i, now, c);
        if !fields.is_empty() {
            let redis_key = limiter.redis_key(key);
            prop_assert_eq!(
                stored(&mut con, &redis_key, fields),
                parts(&state),
                "state after step {}",
                i
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn gcra_decides_as_the_core(q in 0..QUOTAS.len(), start in 0..STARTS.len(), steps in steps()) {
        let Some(url) = common::url() else { return Ok(()) };
        let policy = Gcra::new(quota(QUOTAS[q]));
        checks(&url, &policy, STARTS[start], QUOTAS[q].1, &steps, &["tat"], |s: &GcraState| vec![s.to_bits()])?;
    }

    #[test]
    fn fixed_windows_decide_as_the_core(q in 0..QUOTAS.len(), start in 0..STARTS.len(), steps in steps()) {
        let Some(url) = common::url() else { return Ok(()) };
        let policy = FixedWindow::new(quota(QUOTAS[q]));
        checks(&url, &policy, STARTS[start], QUOTAS[q].1, &steps, &["start", "count"],
            |s: &FixedWindowState| if s.count() == 0 { vec![0, 0] } else { vec![s.window_start().as_nanos(), s.count()] })?;
    }

    #[test]
    fn sliding_windows_decide_as_the_core(q in 0..QUOTAS.len(), start in 0..STARTS.len(), steps in steps()) {
        let Some(url) = common::url() else { return Ok(()) };
        let policy = SlidingWindow::new(quota(QUOTAS[q]));
        checks(&url, &policy, STARTS[start], QUOTAS[q].1, &steps, &["start", "previous", "current"],
            |s: &SlidingWindowState| vec![s.window_start().as_nanos(), s.previous(), s.current()])?;
    }

    #[test]
    fn sliding_logs_decide_as_the_core(q in 0..QUOTAS.len(), start in 0..STARTS.len(), steps in steps(), big in any::<bool>()) {
        let Some(url) = common::url() else { return Ok(()) };
        let period = QUOTAS[q].1;
        if big {
            checks(&url, &SlidingLog::<64>::new(quota(QUOTAS[q])), STARTS[start], period, &steps, &[], |_: &SlidingLogState<64>| vec![])?;
        } else {
            checks(&url, &SlidingLog::<3>::new(quota(QUOTAS[q])), STARTS[start], period, &steps, &[], |_: &SlidingLogState<3>| vec![])?;
        }
    }

    #[test]
    fn burst_tiers_decide_as_the_core(q in 0..QUOTAS.len(), w in 0..4_usize, start in 0..STARTS.len(), steps in steps()) {
        let Some(url) = common::url() else { return Ok(()) };
        let (limit, period, burst) = QUOTAS[q];
        let window = [period / 4, period / 2, period, 10_000_000_000][w];
        let Ok(policy) = Burst::from_nanos(limit, period, burst, window) else { return Ok(()) };
        checks(&url, &policy, STARTS[start], period, &steps, &["sustained", "peak"], |s: &BurstState| s.to_bits().to_vec())?;
    }

    #[test]
    fn credits_decide_as_the_core(b in 0..4_usize, steps in steps()) {
        let Some(url) = common::url() else { return Ok(()) };
        let policy = Credits::new([0, 5, 1_000, u64::MAX - 3][b]);
        let limiter = store(&url).limiter("diff", policy).expect("a limiter");
        let mut con = common::connection(&url);
        let mut state = CreditsState::default();
        for (i, s) in steps.iter().enumerate() {
            let c = cost(u64::MAX, s);
            if s.op % 4 == 0 {
                let amount = if s.x % 3 == 0 { s.x } else { s.x % 500 };
                let want = policy.top_up(&mut state, amount);
                let got = redis_result(limiter.top_up("k", amount));
                prop_assert_eq!(got, want, "top-up at step {}", i);
            } else {
                let want = policy.check(&mut state, Nanos::new(s.x), c);
                let got = redis_result(limiter.check_at("k", Nanos::new(s.x), c));
                prop_assert_eq!(got, want, "step {}", i);
            }
            prop_assert_eq!(stored(&mut con, &limiter.redis_key("k"), &["used", "added"]), state.to_parts().to_vec());
        }
    }

    #[test]
    fn token_buckets_reserve_and_cancel_as_the_core(
        q in 0..QUOTAS.len(), start in 0..STARTS.len(), empty in any::<bool>(), steps in steps(),
    ) {
        let Some(url) = common::url() else { return Ok(()) };
        let bucket = TokenBucket::new(quota(QUOTAS[q]));
        let policy = if empty { bucket.starting_empty() } else { bucket };
        let period = QUOTAS[q].1;
        let limiter = store(&url).limiter("diff", policy).expect("a limiter");
        let mut con = common::connection(&url);
        let mut state = TokenBucketState::default();
        let mut held: Vec<(Reservation, RedisReservation)> = Vec::new();
        let mut now = STARTS[start];
        for (i, s) in steps.iter().enumerate() {
            now = advance(now, period, s);
            let t = Nanos::new(now);
            let c = cost(policy.capacity(), s);
            let before = state;
            match s.op % 4 {
                0 | 1 => {
                    let want = policy.check(&mut state, t, c);
                    prop_assert_eq!(redis_result(limiter.check_at("k", t, c)), want, "check at step {}", i);
                }
                2 => {
                    let max_wait = Nanos::new([0, 1, period / 2, u64::MAX][(s.x % 4) as usize]);
                    let want = policy.reserve(&mut state, t, c, max_wait);
                    let got = redis_result(limiter.reserve("k", t, c, max_wait));
                    match (want, got) {
                        (Ok(w), Ok(g)) => {
                            prop_assert_eq!((g.is_committed(), g.ready_at(), g.delay()), (w.is_committed(), w.ready_at(), w.delay()), "reserve at step {}", i);
                            held.push((w, g));
                        }
                        (w, g) => prop_assert_eq!(g.map(|_| ()), w.map(|_| ()), "reserve at step {}", i),
                    }
                }
                _ => {
                    if !held.is_empty() {
                        let pick = (s.x as usize) % held.len();
                        let (w, g) = &mut held[pick];
                        let want = policy.cancel(&mut state, w, t);
                        let got = limiter.cancel("k", t, g).expect("cancel");
                        prop_assert_eq!(got, want, "cancel at step {}", i);
                    }
                }
            }
            if state != before && policy.is_fresh(&state, t) {
                state = TokenBucketState::default();
            }
            prop_assert_eq!(stored(&mut con, &limiter.redis_key("k"), &["full_at", "latest", "serial"]), state.to_parts().to_vec(), "state after step {}", i);
        }
    }

    #[test]
    fn concurrency_leases_are_the_cores(limit in 1..5_u64, ttl in 0..3_usize, steps in steps()) {
        let Some(url) = common::url() else { return Ok(()) };
        let ttl = [100, 1_000_000_000, 60_000_000_000][ttl];
        let policy = Concurrency::<64>::new(limit, Duration::from_nanos(ttl)).expect("valid cap");
        let limiter = store(&url).limiter("diff", policy).expect("a limiter");
        let mut state = ConcurrencyState::<64>::default();
        let mut leases: Vec<(Lease, RedisLease)> = Vec::new();
        let mut now = 1_000_000_u64;
        for (i, s) in steps.iter().enumerate() {
            now = advance(now, ttl, s);
            let t = Nanos::new(now);
            let before = state;
            match s.op % 5 {
                0 | 1 => {
                    let (d, lease) = policy.acquire(&mut state, t);
                    let (gd, glease) = limiter.acquire("k", t).expect("acquire");
                    prop_assert_eq!(gd, d, "acquire at step {}", i);
                    prop_assert_eq!(glease.map(|l| (l.slot(), l.serial())), lease.map(|l| (l.slot(), l.serial())), "lease at step {}", i);
                    if let (Some(l), Some(g)) = (lease, glease) {
                        leases.push((l, g));
                    }
                }
                2 | 3 if !leases.is_empty() => {
                    let (l, g) = leases[(s.x as usize) % leases.len()];
                    let (want, got) = if s.op % 5 == 2 {
                        (policy.release(&mut state, l, t), limiter.release("k", t, g).expect("release"))
                    } else {
                        (policy.renew(&mut state, l, t), limiter.renew("k", t, g).expect("renew"))
                    };
                    prop_assert_eq!(got, want, "release or renew at step {}", i);
                }
                _ => {
                    let c = cost(limit, s);
                    let want = policy.check(&mut state, t, c);
                    prop_assert_eq!(redis_result(limiter.check_at("k", t, c)), want, "check at step {}", i);
                }
            }
            if state != before && policy.is_fresh(&state, t) {
                state = ConcurrencyState::default();
            }
        }
    }

    #[test]
    fn all_of_decides_as_the_core(
        picks in prop::collection::vec((0..6_usize, 0..QUOTAS.len()), 1..4),
        start in 0..STARTS.len(),
        steps in steps(),
    ) {
        let Some(url) = common::url() else { return Ok(()) };
        let members: Vec<Limiter> = picks.iter().map(|&(a, q)| {
            let quota = quota(QUOTAS[q]);
            match a {
                0 => Gcra::new(quota).into(),
                1 => FixedWindow::new(quota).into(),
                2 => SlidingWindow::new(quota).into(),
                3 => TokenBucket::new(quota).into(),
                4 => Credits::new(QUOTAS[q].0).into(),
                _ => Burst::from_nanos(QUOTAS[q].0, QUOTAS[q].1, QUOTAS[q].2, QUOTAS[q].1)
                    .map_or_else(|_| Gcra::new(quota).into(), Limiter::from),
            }
        }).collect();
        let all = AllOf::new(&members[..]);
        let redis = store(&url)
            .all_of(members.iter().enumerate().map(|(i, m)| (format!("m{i}"), *m)))
            .expect("a combination");
        let mut states = vec![LimiterState::default(); members.len()];
        let mut now = STARTS[start];
        for (i, s) in steps.iter().enumerate() {
            now = advance(now, QUOTAS[picks[0].1].1, s);
            let t = Nanos::new(now);
            let costs: Vec<u64> = members.iter().enumerate()
                .map(|(j, m)| cost(m.capacity(), &Step { y: s.y.rotate_left(j as u32 * 7), ..s.clone() }))
                .collect();
            let before = states.clone();
            let (want, got) = if s.op % 3 == 0 {
                let c = costs[0];
                (all.check(&mut states, t, c), redis_result(redis.check_at("k", t, c)))
            } else {
                (all.check_costs(&mut states, t, &costs), redis_result(redis.check_costs("k", t, &costs)))
            };
            prop_assert_eq!(got, want, "step {} at {} costs {:?}", i, now, costs);
            for (j, m) in members.iter().enumerate() {
                if states[j] != before[j] && m.is_fresh(&states[j], t) {
                    states[j] = LimiterState::default();
                }
            }
        }
    }

    /// The Lua combination holds any algorithm of its script, a sliding log included, which
    /// the core's `Limiter` does not: compared with the core's tuple form.
    #[test]
    fn all_of_with_a_sliding_log_decides_as_the_core(q in 0..QUOTAS.len(), r in 0..QUOTAS.len(), start in 0..STARTS.len(), steps in steps()) {
        let Some(url) = common::url() else { return Ok(()) };
        let (gq, lq) = (quota(QUOTAS[q]), quota(QUOTAS[r]));
        let all = AllOf::new((Gcra::new(gq), SlidingLog::<4>::new(lq)));
        let mut states = (GcraState::default(), SlidingLogState::<4>::default());
        let mut con = common::connection(&url);
        let prefix = common::prefix("differential-log");
        let keys = [format!("{prefix}:{{k}}:g"), format!("{prefix}:{{k}}:l")];
        let keys = [keys[0].as_str(), keys[1].as_str()];
        let mut now = STARTS[start];
        for (i, s) in steps.iter().enumerate() {
            now = advance(now, QUOTAS[r].1, s);
            let costs = [cost(gq.burst(), s), cost(lq.limit(), &Step { y: s.x, ..s.clone() })];
            let want = all.check_costs(&mut states, Nanos::new(now), costs);
            let (t, c0, c1) = (now.to_string(), costs[0].to_string(), costs[1].to_string());
            let gargs: Vec<String> = ["gcra".to_owned(), gq.limit().to_string(), gq.period_nanos().as_nanos().to_string(), gq.burst().to_string()].into();
            let largs: Vec<String> = ["sliding_log".to_owned(), lq.limit().to_string(), lq.period_nanos().as_nanos().to_string(), "4".to_owned()].into();
            let mut args: Vec<&str> = vec!["check", &t, "", "600000", "all_of", "2"];
            args.extend(gargs.iter().map(String::as_str));
            args.push(&c0);
            args.extend(largs.iter().map(String::as_str));
            args.push(&c1);
            let reply = common::texts(&common::call(&mut con, Script::AllOf, &keys, &args).expect("all_of answers"));
            let got: Vec<String> = match want {
                Ok(d) => {
                    let d2 = d.decision;
                    vec!["ok".into(), t.clone(), u8::from(d2.allowed).to_string(), d2.limit.to_string(), d2.remaining.to_string(),
                        d2.retry_after.as_nanos().to_string(), d2.reset_after.as_nanos().to_string(),
                        d.refused_by.map_or(-1, |x| i64::try_from(x).expect("an index")).to_string(), d.tightest.to_string()]
                }
                Err(ratecell::Error::InsufficientCapacity { capacity }) => {
                    let member = usize::from(costs[0] <= gq.burst());
                    vec!["insufficient_capacity".into(), t.clone(), capacity.to_string(), member.to_string()]
                }
                Err(e) => panic!("unexpected {e}"),
            };
            // Both members only record admissions, never fresh at the instant they are made,
            // so no key is deleted here.
            prop_assert_eq!(reply, got, "step {} at {}", i, now);
        }
    }
}
