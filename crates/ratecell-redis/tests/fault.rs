//! Redis going away under traffic, and coming back: every failure policy answers at once while
//! the circuit is open, a slow server times out, and the limiters recover by themselves.
//!
//! Each test runs a server of its own (it kills it), on a free loopback port.

#[macro_use]
mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ratecell::{Concurrency, Gcra, Limiter, Nanos, Quota, TokenBucket};
use ratecell_redis::sync::{RedisLimiter, RedisStore};
use ratecell_redis::{Breaker, Error, FailurePolicy, Health, Now, Options, Share};

fn options(test: &str) -> Options {
    Options::default()
        .with_prefix(common::prefix(test))
        .with_timeout(Duration::from_millis(100))
        .with_breaker(Breaker {
            failures: 2,
            open_for: Duration::from_millis(50),
            max_open_for: Duration::from_millis(200),
        })
}

fn gcra() -> Gcra {
    Gcra::new(Quota::parse("10/second burst 4").expect("quota"))
}

/// Calls `f` until it succeeds without degrading, for at most `within`.
fn recovers<T>(
    within: Duration,
    mut f: impl FnMut() -> Result<ratecell_redis::Outcome<T>, Error>,
) -> ratecell_redis::Outcome<T> {
    let start = Instant::now();
    loop {
        if let Ok(o) = f()
            && o.degraded.is_none()
        {
            return o;
        }
        assert!(start.elapsed() < within, "no recovery within {within:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

// One outage told in order, from before to after: splitting it would hide the sequence.
#[allow(clippy::too_many_lines)]
#[test]
fn every_failure_policy_decides_while_redis_is_down_and_redis_decides_again_when_it_returns() {
    let mut server = own_server_or_skip!("fault-policies");
    let store = RedisStore::open(&server.url(), options("fault")).expect("a store");
    let limiter = |name: &str, failure| {
        store
            .limiter(name, gcra())
            .and_then(|l| l.on_failure(failure))
            .expect("a limiter")
    };
    let error = limiter("error", FailurePolicy::Error);
    let open = limiter("open", FailurePolicy::FailOpen);
    let closed = limiter("closed", FailurePolicy::FailClosed);
    let half = Share::new(1, 2).expect("a share");
    let fallback = limiter("fallback", FailurePolicy::Fallback(half));
    let all = store
        .all_of([("a", Limiter::from(gcra())), ("b", Limiter::from(gcra()))])
        .and_then(|a| a.on_failure(FailurePolicy::Fallback(half)))
        .expect("a combination");

    // Up: Redis decides for everyone.
    for l in [&error, &open, &closed, &fallback] {
        let o = l.outcome("k", Now::Server, 1).expect("a decision");
        assert!(o.value.allowed && o.degraded.is_none());
        assert_eq!(o.value.remaining, 3);
    }

    // Traffic keeps flowing through the fail-closed limiter while the server dies.
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let traffic = {
        let (closed, stop, seen) = (closed.clone(), stop.clone(), seen.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let o = closed
                    .outcome("traffic", Now::Server, 1)
                    .expect("fail-closed never errs");
                let attempted = !matches!(o.degraded, Some(Error::CircuitOpen { .. }));
                seen.lock()
                    .expect("lock")
                    .push((o.degraded.is_some(), attempted));
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    server.kill();
    std::thread::sleep(Duration::from_millis(20));

    // Down: each policy answers.
    let e = error
        .check("k", 1)
        .expect_err("the error policy reports the failure");
    assert!(e.is_unavailable(), "{e}");
    let o = open
        .outcome("k", Now::Server, 1)
        .expect("fail open decides");
    assert!(o.value.allowed && o.degraded.is_some());
    assert_eq!((o.value.limit, o.value.remaining), (4, 3));
    let o = closed
        .outcome("k", Now::Server, 1)
        .expect("fail closed decides");
    assert!(!o.value.allowed && o.degraded.is_some());
    assert!(o.value.retry_after > Nanos::ZERO);
    // The fallback enforces half the quota in this process: 5/second burst 2.
    let at = Now::At(Nanos::from_secs(1_000));
    let local: Vec<bool> = (0..4)
        .map(|_| fallback.outcome("k", at, 1).expect("the fallback decides"))
        .map(|o| {
            assert!(o.degraded.is_some());
            o.value.allowed
        })
        .collect();
    assert_eq!(local, [true, true, false, false]);
    let d = all
        .check_at("k", Nanos::from_secs(1_000), 2)
        .expect("the fallback decides");
    assert!(d.decision.allowed);
    assert!(
        !all.check_at("k", Nanos::from_secs(1_000), 1)
            .expect("a decision")
            .decision
            .allowed
    );
    // A cost above the capacity is still the core's error, whatever the policy.
    assert!(matches!(open.check("k", 5), Err(Error::Limit(_))));

    // No storm: with the circuit open, calls do not reach for the network.
    assert!(matches!(
        store.health(),
        Health::Open { .. } | Health::Probing
    ));
    let skipped = (0..1_000)
        .filter(|_| matches!(error.check("k", 1), Err(Error::CircuitOpen { .. })))
        .count();
    assert!(
        skipped >= 900,
        "only {skipped} of 1000 calls skipped the network"
    );
    std::thread::sleep(Duration::from_millis(300));

    // Back: the limiters recover by themselves (a probe, then the circuit closes); the new
    // server has neither the scripts nor the old state.
    server.restart();
    let o = recovers(Duration::from_secs(3), || {
        error.outcome("k", Now::Server, 1)
    });
    assert_eq!(o.value.remaining, 3, "the restarted server starts fresh");
    assert_eq!(store.health(), Health::Closed { failures: 0 });
    for l in [&open, &closed, &fallback] {
        let o = l.outcome("k2", Now::Server, 1).expect("a decision");
        assert!(o.degraded.is_none() && o.value.allowed);
    }
    std::thread::sleep(Duration::from_millis(50));
    stop.store(true, Ordering::Relaxed);
    traffic.join().expect("the traffic thread");

    let seen = seen.lock().expect("lock");
    let degraded = seen.iter().filter(|(d, _)| *d).count();
    let attempts_while_down = seen.iter().filter(|(d, a)| *d && *a).count();
    assert!(
        degraded > 10,
        "the outage was seen: {degraded} degraded decisions"
    );
    assert!(
        attempts_while_down <= 12,
        "{attempts_while_down} of {degraded} degraded calls tried the network"
    );
    assert!(
        !seen.last().expect("traffic").0,
        "traffic recovered by itself"
    );
}

#[test]
fn a_slow_server_times_out_and_the_breaker_stops_waiting_for_it() {
    let server = own_server_or_skip!("fault-slow");
    let store = RedisStore::open(&server.url(), options("slow")).expect("a store");
    let error = store.limiter("error", gcra()).expect("a limiter");
    let closed = store
        .limiter("closed", gcra())
        .and_then(|l| l.on_failure(FailurePolicy::FailClosed))
        .expect("a limiter");
    assert!(error.check("k", 1).expect("a decision").allowed);

    // Pause every client for 600 ms: the server is alive but does not answer.
    let mut admin = common::connection(&server.url());
    let () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(600)
        .arg("ALL")
        .query(&mut admin)
        .expect("CLIENT PAUSE");
    let e = error.check("k", 1).expect_err("a timeout");
    assert!(
        matches!(e, Error::Timeout(t) if t == Duration::from_millis(100)),
        "{e}"
    );
    let o = closed
        .outcome("k", Now::Server, 1)
        .expect("fail closed decides");
    assert!(!o.value.allowed && o.degraded.is_some());
    // Two timeouts opened the circuit: the next calls do not wait at all.
    for _ in 0..100 {
        assert!(matches!(
            error.check("k", 1),
            Err(Error::CircuitOpen { .. })
        ));
    }

    let o = recovers(Duration::from_secs(3), || {
        error.outcome("k", Now::Server, 1)
    });
    assert!(o.value.allowed);
}

#[test]
fn leases_and_reservations_degrade_as_documented() {
    let mut server = own_server_or_skip!("fault-leases");
    let store = RedisStore::open(&server.url(), options("leases")).expect("a store");
    let sessions: RedisLimiter<Concurrency<4>> = store
        .limiter(
            "sessions",
            Concurrency::new(2, Duration::from_secs(30)).expect("a cap"),
        )
        .and_then(|l| l.on_failure(FailurePolicy::Fallback(Share::ALL)))
        .expect("a limiter");
    let bucket = store
        .limiter(
            "bucket",
            TokenBucket::new(Quota::per_second(2).expect("quota")),
        )
        .and_then(|l| l.on_failure(FailurePolicy::FailClosed))
        .expect("a limiter");
    let (_, remote) = sessions.acquire("k", Now::Server).expect("a lease");
    let remote = remote.expect("granted by Redis");
    assert!(!remote.is_local());
    let mut reservation = bucket
        .reserve("k", Now::Server, 2, Nanos::ZERO)
        .expect("a reservation");
    assert!(reservation.is_committed() && !reservation.is_local());

    server.kill();
    // The fallback grants local leases, and releases them locally.
    let (d, local) = sessions
        .acquire("k", Now::Server)
        .expect("the fallback decides");
    assert!(d.allowed);
    let local = local.expect("granted locally");
    assert!(local.is_local());
    assert!(
        sessions
            .release("k", Now::Server, local)
            .expect("released locally")
    );
    // A Redis lease cannot be released while Redis is down: nothing is freed.
    assert!(
        !sessions
            .release("k", Now::Server, remote)
            .expect("the policy answers")
    );
    // Cancelling while Redis is down gives nothing back, and marks the reservation.
    assert_eq!(
        bucket
            .cancel("k", Now::Server, &mut reservation)
            .expect("the policy answers"),
        0
    );
    assert!(!reservation.is_committed());
    let r = bucket
        .reserve("k", Now::Server, 1, Nanos::MAX)
        .expect("the policy answers");
    assert!(r.is_local() && !r.is_committed());
}
