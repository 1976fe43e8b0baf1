//! `Limiter::check` against `Limiter::decide`: checking in place records exactly the
//! transition `decide` describes, for every algorithm, whatever variant the state holds.

use proptest::prelude::*;
use ratecell::{
    Burst, Credits, FixedWindow, Gcra, Limiter, LimiterState, Nanos, Quota, SlidingWindow,
    TokenBucket,
};

/// One limiter of each algorithm, from `(limit, period_ns, burst)`.
fn limiters(limit: u64, period: u64, burst: u64) -> Vec<Limiter> {
    let quota = Quota::from_nanos(limit, period).unwrap();
    let bursty = quota.with_burst(burst).unwrap();
    let window = core::time::Duration::from_nanos(period.div_ceil(burst).max(1));
    vec![
        Limiter::from(Gcra::new(bursty)),
        Limiter::from(Burst::new(bursty, window).unwrap()),
        Limiter::from(FixedWindow::new(quota)),
        Limiter::from(SlidingWindow::new(quota)),
        Limiter::from(TokenBucket::new(bursty)),
        Limiter::from(Credits::new(burst)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn checking_in_place_records_what_decide_describes(
        (limit, period, burst) in (1..=20_u64, 1..=5_000_000_u64, 1..=25_u64),
        which in 0..6_usize,
        // Per step: how far the clock moves (backwards too), the cost, and whether the state
        // is first replaced by a fresh (0) or a foreign (1) one.
        steps in prop::collection::vec((-2_000_000..=4_000_000_i64, 0..=30_u64, 0..=12_u8), 1..80),
    ) {
        let all = limiters(limit, period, burst);
        let limiter = &all[which];
        let foreign = &all[(which + 1) % all.len()];
        let mut state = LimiterState::default();
        let mut now = 1_000_000_000_u64;
        for (dt, cost, swap) in steps {
            now = now.saturating_add_signed(dt);
            let at = Nanos::new(now);
            match swap {
                0 => state = LimiterState::Fresh,
                1 => {
                    // A state another algorithm recorded (after a change of policy).
                    state = LimiterState::Fresh;
                    let _ = foreign.check(&mut state, at, 1);
                }
                _ => {}
            }
            let expected = limiter.decide(&state, at, cost);
            let before = state;
            let got = limiter.check(&mut state, at, cost);
            match expected {
                Ok((decision, next)) => {
                    prop_assert_eq!(got, Ok(decision));
                    prop_assert_eq!(state, next);
                }
                Err(e) => {
                    prop_assert_eq!(got, Err(e));
                    prop_assert_eq!(state, before);
                }
            }
        }
    }
}
