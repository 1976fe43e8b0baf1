//! Round trips through the wire: what a server writes from GCRA decisions, a client reads
//! back, in every style; and a client that waits exactly `Retry-After` is admitted.

use proptest::prelude::*;
use ratecell::http::{HeaderStyle, Policy, RateLimitInfo, ResponseFields};
use ratecell::{Decision, Gcra, GcraState, Nanos, Quota};
use ratecell_reference::http::wire_secs;

const SEC: u64 = 1_000_000_000;

/// Quotas from one per two days to a thousand per millisecond, with any burst up to twice
/// the limit.
fn quota() -> impl Strategy<Value = Quota> {
    (1_u64..=1_000, 1_u64..=172_800_000, 1_u64..=2_000).prop_map(|(limit, period_ms, burst)| {
        Quota::from_nanos(limit, period_ms * 1_000_000)
            .and_then(|q| q.with_burst(burst.min(2 * limit)))
            .expect("valid")
    })
}

/// Request history: gaps in fractions of a period, and costs.
fn history() -> impl Strategy<Value = Vec<(u64, u64)>> {
    prop::collection::vec((0_u64..=2_000, 1_u64..=3), 0..30)
}

/// A Unix time from 2001 to 2096, with a fraction of a second.
fn unix_now() -> impl Strategy<Value = Nanos> {
    (1_000_000_000_u64..4_000_000_000, 0..SEC).prop_map(|(s, ns)| Nanos::new(s * SEC + ns))
}

/// Replays `history` on a fresh key: `now` advances by `gap/1000` periods before each
/// request. Returns the key, the last instant and the last decision (a peek for no history).
fn replay(gcra: &Gcra, history: &[(u64, u64)]) -> (GcraState, Nanos, Decision) {
    let period = gcra.quota().period_nanos().as_nanos();
    let mut key = GcraState::default();
    let mut now = Nanos::from_secs(1_000);
    let mut last = gcra.peek(&key, now);
    for &(gap, cost) in history {
        now = now.saturating_add(Nanos::new(period / 1_000 * gap));
        last = gcra
            .check(&mut key, now, cost.min(gcra.capacity()))
            .expect("cost within capacity");
    }
    (key, now, last)
}

fn wire(fields: &ResponseFields<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    fields
        .for_each(|n, v| out.push((n.to_owned(), v.to_owned())))
        .expect("fits");
    out
}

fn read(fields: &ResponseFields<'_>, unix_now: Nanos) -> RateLimitInfo {
    RateLimitInfo::from_fields(wire(fields), unix_now)
}

/// The reset a client reads: exactly the reset rounded up to whole seconds, or for the
/// legacy style (a Unix time) within the second after the exact reset.
fn check_reset(
    style: HeaderStyle,
    read: Option<Nanos>,
    reset_after: Nanos,
) -> Result<(), TestCaseError> {
    let wire = Nanos::from_secs(wire_secs(reset_after.as_nanos()));
    match style {
        HeaderStyle::Legacy => {
            let read = read.expect("legacy reset");
            prop_assert!(read >= reset_after);
            prop_assert!(read.as_nanos() - reset_after.as_nanos() < SEC);
        }
        HeaderStyle::Draft6 if wire == Nanos::ZERO => prop_assert_eq!(read, None),
        _ => prop_assert_eq!(read, Some(wire)),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_style_round_trips_limit_remaining_reset_and_retry_after(
        quota in quota(),
        history in history(),
        unix_now in unix_now(),
    ) {
        let gcra = Gcra::new(quota);
        let (_, _, d) = replay(&gcra, &history);
        let policies = [Policy::from_quota("api", &quota, d).unwrap()];
        for style in HeaderStyle::ALL {
            let fields = ResponseFields::new(style, &policies).with_unix_now(unix_now);
            let info = read(&fields, unix_now);
            prop_assert_eq!(info.limit, Some(quota.limit()), "{}", style);
            prop_assert_eq!(info.remaining, Some(d.remaining), "{}", style);
            check_reset(style, info.reset, d.reset_after)?;
            let window = Nanos::from_secs(wire_secs(quota.period_nanos().as_nanos()));
            let want_window = (style != HeaderStyle::Legacy).then_some(window);
            prop_assert_eq!(info.window, want_window, "{}", style);
            let want_retry = (!d.allowed).then(|| Nanos::from_secs(wire_secs(d.retry_after.as_nanos())));
            prop_assert_eq!(info.retry_after, want_retry, "{}", style);
        }
    }

    #[test]
    fn several_policies_round_trip_the_most_restrictive(
        quotas in prop::collection::vec(quota(), 2..=3),
        history in history(),
        unix_now in unix_now(),
    ) {
        let names = ["p0", "p1", "p2"];
        let decided: Vec<_> = quotas
            .iter()
            .map(|q| (*q, replay(&Gcra::new(*q), &history).2))
            .collect();
        let policies: Vec<_> = decided
            .iter()
            .zip(names)
            .map(|((q, d), name)| Policy::from_quota(name, q, *d).unwrap())
            .collect();
        for style in HeaderStyle::ALL {
            let fields = ResponseFields::new(style, &policies).with_unix_now(unix_now);
            let info = read(&fields, unix_now);
            let binding = fields.binding().unwrap();
            match style {
                HeaderStyle::Ietf | HeaderStyle::Draft8 => {
                    // Every policy is on the wire; the client reports the least remaining.
                    let least = decided.iter().map(|(_, d)| d.remaining).min();
                    prop_assert_eq!(info.remaining, least);
                    let reset_secs = info.reset.map(|r| r.as_nanos() / SEC);
                    let matching = decided.iter().any(|(q, d)| {
                        Some(d.remaining) == least
                            && info.limit == Some(q.limit())
                            && reset_secs == Some(wire_secs(d.reset_after.as_nanos()))
                    });
                    prop_assert!(matching, "{:?}", info);
                }
                _ => {
                    // One set of numbers: the binding policy's, exactly.
                    prop_assert_eq!(info.limit, Some(binding.quota()));
                    prop_assert_eq!(info.remaining, Some(binding.decision().remaining));
                    check_reset(style, info.reset, binding.decision().reset_after)?;
                }
            }
            let denied = decided.iter().filter(|(_, d)| !d.allowed);
            let longest = denied.map(|(_, d)| wire_secs(d.retry_after.as_nanos())).max();
            prop_assert_eq!(info.retry_after, longest.map(Nanos::from_secs));
        }
    }

    #[test]
    fn a_client_waiting_exactly_retry_after_is_admitted(
        quota in quota(),
        history in history(),
        cost in 1_u64..=3,
        style in prop::sample::select(HeaderStyle::ALL.to_vec()),
        unix_now in unix_now(),
    ) {
        let gcra = Gcra::new(quota);
        let cost = cost.min(gcra.capacity());
        let (mut key, now, _) = replay(&gcra, &history);
        // Drain the key at `now` until this request is refused.
        let denial = loop {
            let d = gcra.check(&mut key, now, cost).unwrap();
            if !d.allowed {
                break d;
            }
        };
        let policies = [Policy::from_quota("api", &quota, denial).unwrap()];
        let fields = ResponseFields::new(style, &policies).with_unix_now(unix_now);
        let wait = read(&fields, unix_now).retry_after.expect("a denial carries Retry-After");

        // Waiting exactly that long is enough...
        let mut retry = key;
        prop_assert!(gcra.check(&mut retry, now.saturating_add(wait), cost).unwrap().allowed);
        // ...and it is the shortest whole number of seconds that is.
        prop_assert!(wait >= denial.retry_after);
        let a_second_less = wait.saturating_sub(Nanos::from_secs(1));
        if wait >= Nanos::from_secs(1) {
            let mut early = key;
            prop_assert!(!gcra.check(&mut early, now.saturating_add(a_second_less), cost).unwrap().allowed);
        }
    }

    #[test]
    fn with_several_policies_retry_after_admits_every_denying_one(
        quotas in prop::collection::vec(quota(), 2..=3),
        history in history(),
        unix_now in unix_now(),
    ) {
        let gcras: Vec<_> = quotas.iter().map(|q| Gcra::new(*q)).collect();
        let mut keys = vec![GcraState::default(); gcras.len()];
        // The same traffic on every policy, then a burst at `t` until the first refusal.
        let mut t = Nanos::ZERO;
        for (g, k) in gcras.iter().zip(&mut keys) {
            let (key, end, _) = replay(g, &history);
            *k = key;
            t = t.max(end);
        }
        let decisions: Vec<_> = loop {
            let ds: Vec<_> = gcras.iter().zip(&mut keys).map(|(g, k)| g.peek(k, t)).collect();
            if ds.iter().any(|d| d.remaining == 0) {
                break gcras.iter().zip(&mut keys).map(|(g, k)| g.check(&mut k.clone(), t, 1).unwrap()).collect();
            }
            for (g, k) in gcras.iter().zip(&mut keys) {
                let _ = g.check(k, t, 1).unwrap();
            }
        };
        let policies: Vec<_> = decisions
            .iter()
            .zip(&quotas)
            .map(|(d, q)| Policy::from_quota("p", q, *d).unwrap())
            .collect();
        let fields = ResponseFields::new(HeaderStyle::Ietf, &policies).with_unix_now(unix_now);
        let wait = read(&fields, unix_now).retry_after.expect("at least one refusal");
        for ((g, k), d) in gcras.iter().zip(&keys).zip(&decisions) {
            if !d.allowed {
                prop_assert!(g.check(&mut k.clone(), t.saturating_add(wait), 1).unwrap().allowed);
            }
        }
    }
}
