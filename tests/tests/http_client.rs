//! The client side: backoff jitter bounds, the retry policy's classification and budgets,
//! and the pacer.

use proptest::prelude::*;
use ratecell::Nanos;
use ratecell::client::{
    Backoff, BackoffState, GiveUpReason, Jitter, Outcome, Pacer, Random, RetryDecision,
    RetryPolicy, RetryState, SplitMix64,
};
use ratecell::http::RateLimitInfo;

const JITTERS: [Jitter; 4] = [
    Jitter::None,
    Jitter::Full,
    Jitter::Equal,
    Jitter::Decorrelated,
];

fn backoff(base: u64, cap: u64, jitter: Jitter) -> Backoff {
    Backoff::new(Nanos::new(base), Nanos::new(cap), jitter).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn every_wait_lies_within_its_strategys_bounds(
        seed in any::<u64>(),
        base in 1_u64..=10_000_000_000,
        cap_factor in 1_u64..=1_000,
        attempts in 1_usize..=80,
    ) {
        let cap = base.saturating_mul(cap_factor);
        for jitter in JITTERS {
            let b = backoff(base, cap, jitter);
            let mut state = BackoffState::default();
            let mut rng = SplitMix64::new(seed);
            let mut previous = Nanos::ZERO;
            for attempt in 0..attempts {
                let ceiling = b.ceiling(u32::try_from(attempt).unwrap()).as_nanos();
                // The exponential ceiling itself, computed in u128.
                let want_ceiling = (u128::from(base) << attempt.min(100)).min(u128::from(cap));
                prop_assert_eq!(u128::from(ceiling), want_ceiling);
                let wait = b.next(&mut state, &mut rng).as_nanos();
                match jitter {
                    Jitter::None => prop_assert_eq!(wait, ceiling),
                    Jitter::Full => prop_assert!(wait <= ceiling),
                    Jitter::Equal => prop_assert!(ceiling.div_ceil(2) <= wait && wait <= ceiling),
                    _ => {
                        let prev = previous.as_nanos().max(base);
                        prop_assert!(base <= wait);
                        prop_assert!(wait <= cap.min(prev.saturating_mul(3)));
                    }
                }
                prop_assert_eq!(state.previous(), Nanos::new(wait));
                previous = Nanos::new(wait);
            }
            prop_assert_eq!(state.attempt() as usize, attempts);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_waits(seed in any::<u64>(), base in 1_u64..=1_000_000) {
        for jitter in JITTERS {
            let b = backoff(base, base * 1_000, jitter);
            let run = |seed| {
                let (mut s, mut r) = (BackoffState::default(), SplitMix64::new(seed));
                (0..12).map(|_| b.next(&mut s, &mut r)).collect::<Vec<_>>()
            };
            prop_assert_eq!(run(seed), run(seed));
        }
    }

    #[test]
    fn retries_never_exceed_the_attempt_or_time_budget(
        seed in any::<u64>(),
        max_attempts in 1_u32..=10,
        budget_ms in 0_u64..=60_000,
        statuses in prop::collection::vec(prop::sample::select(vec![429_u16, 500, 502, 503, 0]), 1..20),
        retry_after_s in prop::option::of(0_u64..=30),
    ) {
        let policy = RetryPolicy::new(
            backoff(100_000_000, 10_000_000_000, Jitter::Full),
            max_attempts,
            Nanos::from_millis(budget_ms),
        );
        let mut rng = SplitMix64::new(seed);
        let mut state = RetryState::new(Nanos::ZERO);
        let mut now = Nanos::ZERO;
        let mut sent = 1_u32;
        for status in statuses {
            let outcome = if status == 0 {
                Outcome::ConnectionError
            } else {
                Outcome::Response { status, retry_after: retry_after_s.map(Nanos::from_secs) }
            };
            match policy.decide(&mut state, now, outcome, &mut rng) {
                RetryDecision::Retry { after } => {
                    if status == 429 || (500..600).contains(&status) {
                        prop_assert!(after >= retry_after_s.map_or(Nanos::ZERO, Nanos::from_secs));
                    }
                    now = now.saturating_add(after);
                    prop_assert!(now <= Nanos::from_millis(budget_ms));
                    sent += 1;
                    prop_assert!(sent <= max_attempts);
                }
                RetryDecision::GiveUp(_) => break,
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}

#[test]
fn full_jitter_spreads_waits_across_the_whole_range() {
    let b = backoff(1_000_000, 1_000_000, Jitter::Full);
    let mut rng = SplitMix64::new(2024);
    let waits: Vec<u64> = (0..10_000)
        .map(|_| b.next(&mut BackoffState::default(), &mut rng).as_nanos())
        .collect();
    let mean = waits.iter().sum::<u64>() / 10_000;
    assert!((450_000..550_000).contains(&mean), "mean {mean}");
    assert!(waits.iter().any(|&w| w < 50_000));
    assert!(waits.iter().any(|&w| w > 950_000));
}

#[test]
fn splitmix64_is_a_deterministic_random_source() {
    let mut a = SplitMix64::new(1);
    let first: Vec<_> = (0..4).map(|_| a.next_u64()).collect();
    let mut b = SplitMix64::new(1);
    let again: Vec<_> = (0..4).map(|_| b.next_u64()).collect();
    assert_eq!(first, again);
    let distinct: std::collections::HashSet<_> = first.iter().collect();
    assert_eq!(distinct.len(), 4);
}

fn info(fields: &[(&str, &str)]) -> RateLimitInfo {
    RateLimitInfo::from_fields(fields.iter().copied(), Nanos::ZERO)
}

#[test]
fn responses_are_classified_by_status() {
    let policy = RetryPolicy::new(
        backoff(1_000_000_000, 60_000_000_000, Jitter::None),
        10,
        Nanos::from_secs(600),
    );
    let mut rng = SplitMix64::new(0);
    let decide = |status: u16, fields: &[(&str, &str)]| {
        let mut state = RetryState::new(Nanos::ZERO);
        policy.decide(
            &mut state,
            Nanos::ZERO,
            Outcome::response(status, &info(fields)),
            &mut SplitMix64::new(0),
        )
    };
    let retry = |s: u64| RetryDecision::Retry {
        after: Nanos::from_secs(s),
    };
    // 429 waits for the longer of Retry-After and the backoff (1 s at the first attempt).
    assert_eq!(decide(429, &[("Retry-After", "30")]), retry(30));
    assert_eq!(decide(429, &[("Retry-After", "0")]), retry(1));
    assert_eq!(decide(429, &[]), retry(1));
    // 402 is its own outcome: no wait fixes it.
    assert_eq!(
        decide(402, &[("Retry-After", "30")]),
        RetryDecision::TopUpCredits
    );
    // Server errors back off, honouring a 503's Retry-After.
    assert_eq!(decide(500, &[]), retry(1));
    assert_eq!(decide(503, &[("Retry-After", "5")]), retry(5));
    // Everything else is final.
    for status in [200, 201, 204, 301, 400, 401, 403, 404, 409, 422] {
        assert_eq!(decide(status, &[]), RetryDecision::Stop, "{status}");
    }
    // Connection errors back off, and the backoff grows per attempt.
    let mut state = RetryState::new(Nanos::ZERO);
    let waits: Vec<_> = (0..4)
        .map(|_| policy.decide(&mut state, Nanos::ZERO, Outcome::ConnectionError, &mut rng))
        .collect();
    assert_eq!(waits, [retry(1), retry(2), retry(4), retry(8)]);
    assert_eq!(state.attempts(), 4);
}

#[test]
fn retries_give_up_when_attempts_or_time_run_out() {
    let b = backoff(1_000_000_000, 60_000_000_000, Jitter::None);
    let mut rng = SplitMix64::new(0);
    let policy = RetryPolicy::new(b, 3, Nanos::from_secs(600));
    let mut state = RetryState::new(Nanos::ZERO);
    let outcome = Outcome::ConnectionError;
    assert!(matches!(
        policy.decide(&mut state, Nanos::ZERO, outcome, &mut rng),
        RetryDecision::Retry { .. }
    ));
    assert!(matches!(
        policy.decide(&mut state, Nanos::from_secs(1), outcome, &mut rng),
        RetryDecision::Retry { .. }
    ));
    assert_eq!(
        policy.decide(&mut state, Nanos::from_secs(3), outcome, &mut rng),
        RetryDecision::GiveUp(GiveUpReason::Attempts)
    );

    // A Retry-After that ends past the time budget is not waited for.
    let policy = RetryPolicy::new(b, 10, Nanos::from_secs(60));
    let mut state = RetryState::new(Nanos::from_secs(100));
    let far = Outcome::Response {
        status: 429,
        retry_after: Some(Nanos::from_secs(61)),
    };
    assert_eq!(
        policy.decide(&mut state, Nanos::from_secs(100), far, &mut rng),
        RetryDecision::GiveUp(GiveUpReason::Deadline)
    );
    let near = Outcome::Response {
        status: 429,
        retry_after: Some(Nanos::from_secs(50)),
    };
    assert_eq!(
        policy.decide(&mut state, Nanos::from_secs(105), near, &mut rng),
        RetryDecision::Retry {
            after: Nanos::from_secs(50)
        }
    );
    // A single attempt means no retries at all; zero attempts count as one.
    let once = RetryPolicy::new(b, 0, Nanos::MAX);
    assert_eq!(
        once.decide(
            &mut RetryState::new(Nanos::ZERO),
            Nanos::ZERO,
            outcome,
            &mut rng
        ),
        RetryDecision::GiveUp(GiveUpReason::Attempts)
    );
}

#[test]
fn the_pacer_waits_for_retry_after_then_the_reset_then_spreads_the_rest() {
    let pacer = Pacer::new();
    let at = Nanos::from_secs(1_000);
    let delay = |fields: &[(&str, &str)]| pacer.delay(&info(fields), at, at);
    // Retry-After comes first, even with quota left.
    assert_eq!(
        delay(&[("Retry-After", "7"), ("X-RateLimit-Remaining", "50")]),
        Nanos::from_secs(7)
    );
    // Exhausted: sleep until the reset, or the window when no reset was sent.
    assert_eq!(
        delay(&[("RateLimit", r#""a";r=0;t=42"#)]),
        Nanos::from_secs(42)
    );
    assert_eq!(
        delay(&[
            ("RateLimit-Policy", "10;w=60"),
            ("RateLimit-Remaining", "0")
        ]),
        Nanos::from_secs(60)
    );
    // Low: spread evenly. 20% of 100 is the low-water mark.
    let low = |remaining: &str| {
        delay(&[
            ("X-RateLimit-Limit", "100"),
            ("X-RateLimit-Remaining", remaining),
            ("X-RateLimit-Reset", "40"),
        ])
    };
    assert_eq!(low("21"), Nanos::ZERO);
    assert_eq!(low("20"), Nanos::from_secs(2));
    assert_eq!(low("3"), Nanos::new(13_333_333_334));
    // Nothing known: no wait.
    assert_eq!(delay(&[]), Nanos::ZERO);
    // Time already spent since the response counts.
    let later = at.saturating_add(Nanos::from_secs(5));
    assert_eq!(
        pacer.delay(&info(&[("Retry-After", "7")]), at, later),
        Nanos::from_secs(2)
    );
    assert_eq!(
        pacer.delay(&info(&[("Retry-After", "7")]), at, Nanos::MAX),
        Nanos::ZERO
    );
}

#[test]
fn low_water_marks_combine_absolute_and_relative() {
    assert_eq!(Pacer::new().low_water(Some(100)), 20);
    assert_eq!(Pacer::new().low_water(Some(7)), 2); // rounded up
    assert_eq!(Pacer::new().low_water(None), 0);
    assert_eq!(Pacer::new().with_low_water(50).low_water(Some(100)), 50);
    assert_eq!(
        Pacer::new()
            .with_low_water_percent(200)
            .low_water(Some(u64::MAX)),
        u64::MAX
    );
    assert_eq!(Pacer::always().low_water(None), u64::MAX);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Against a fixed-window server (`limit` per `window`, all restored at the window's end),
    /// a paced client never gets refused and spends what it spends before the reset.
    #[test]
    fn a_paced_client_never_exceeds_a_fixed_window(
        limit in 1_u64..=200,
        window_ms in 1_000_u64..=120_000,
        start_ms in 0_u64..=120_000,
        low_water_percent in 0_u8..=100,
        always in any::<bool>(),
    ) {
        let pacer = if always { Pacer::always() } else { Pacer::new().with_low_water_percent(low_water_percent) };
        let window = window_ms * 1_000_000;
        let mut now = start_ms * 1_000_000;
        let mut used_in_window = std::collections::HashMap::<u64, u64>::new();
        for _ in 0..(3 * limit + 10) {
            let w = now / window;
            let used = used_in_window.entry(w).or_default();
            prop_assert!(*used < limit, "refused at {} (window {})", now, w);
            *used += 1;
            // The server's answer, in whole seconds as on the wire (the reset rounded up).
            let reset = (w + 1) * window - now;
            let fields = [
                ("X-RateLimit-Limit".to_owned(), limit.to_string()),
                ("X-RateLimit-Remaining".to_owned(), (limit - *used).to_string()),
                ("X-RateLimit-Reset".to_owned(), reset.div_ceil(1_000_000_000).to_string()),
            ];
            let info = RateLimitInfo::from_fields(fields, Nanos::ZERO);
            let wait = pacer.delay(&info, Nanos::new(now), Nanos::new(now));
            now += wait.as_nanos();
        }
    }
}
