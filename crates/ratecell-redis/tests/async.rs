//! The async API (feature `tokio`) against a real server: the same decisions as the core for
//! every kind of limiter, many tasks sharing one quota, and every failure policy while the
//! server is down, then recovery when it returns.

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use proptest::prelude::*;
use ratecell::{
    AllOf, Concurrency, ConcurrencyState, Credits, CreditsState, Decision, FixedWindow, Gcra,
    GcraState, Limiter, LimiterState, Nanos, Quota, TokenBucket, TokenBucketState,
};
use ratecell_redis::aio::RedisStore;
use ratecell_redis::{Breaker, Error, FailurePolicy, Health, Now, Options, Share};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn quota(s: &str) -> Quota {
    Quota::parse(s).expect("a quota")
}

fn limit_error<T: std::fmt::Debug>(r: Result<T, Error>) -> Result<T, ratecell::Error> {
    r.map_err(|e| match e {
        Error::Limit(e) => e,
        other => panic!("redis failed: {other}"),
    })
}

/// One step of random traffic: how far the clock moves, a cost, an operation.
fn steps() -> impl Strategy<Value = Vec<(u64, u64, u8)>> {
    prop::collection::vec((0..3_000_000_000_u64, 0..6_u64, any::<u8>()), 1..30)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn async_limiters_decide_as_the_core(steps in steps()) {
        let Some(url) = common::url() else { return Ok(()) };
        runtime().block_on(async {
            let store = RedisStore::open(&url, common::options("async-diff")).expect("a store");
            let gcra = Gcra::new(quota("5/second burst 3"));
            let bucket = TokenBucket::new(quota("2/second burst 4"));
            let credits = Credits::new(7);
            let sessions = Concurrency::<8>::new(2, Duration::from_secs(2)).expect("a cap");
            let members = [Limiter::from(Gcra::new(quota("3/second"))), FixedWindow::new(quota("4/second")).into()];
            let g = store.limiter("g", gcra).expect("a limiter");
            let b = store.limiter("b", bucket).expect("a limiter");
            let c = store.limiter("c", credits).expect("a limiter");
            let s = store.limiter("s", sessions).expect("a limiter");
            let all = store.all_of([("m0", members[0]), ("m1", members[1])]).expect("a combination");
            let (mut gs, mut bs, mut cs) = (GcraState::default(), TokenBucketState::default(), CreditsState::default());
            let mut ss = ConcurrencyState::<8>::default();
            let mut states = vec![LimiterState::default(); 2];
            let mut leases = Vec::new();
            let mut now = 1_000_000_000_u64;
            for (i, &(dt, cost, op)) in steps.iter().enumerate() {
                // The clock only moves forward here (the blocking differential test steps it
                // back too): a key Redis deleted as fresh decides as the core's fresh state.
                now += dt;
                let t = Nanos::new(now);
                match op % 5 {
                    0 => {
                        let want = gcra.check(&mut gs, t, cost);
                        prop_assert_eq!(limit_error(g.check_at("k", t, cost).await), want, "gcra at step {}", i);
                    }
                    1 => {
                        let max_wait = Nanos::from_millis(dt / 3_000_000);
                        let want = bucket.reserve(&mut bs, t, cost, max_wait).map(|r| (r.is_committed(), r.ready_at()));
                        let got = limit_error(b.reserve("k", t, cost, max_wait).await).map(|r| (r.is_committed(), r.ready_at()));
                        prop_assert_eq!(got, want, "reservation at step {}", i);
                    }
                    2 => {
                        if cost == 5 {
                            let want = credits.top_up(&mut cs, dt % 4);
                            prop_assert_eq!(limit_error(c.top_up("k", dt % 4).await), want, "top-up at step {}", i);
                        } else {
                            let want = credits.check(&mut cs, t, cost);
                            prop_assert_eq!(limit_error(c.check_at("k", t, cost).await), want, "credits at step {}", i);
                        }
                    }
                    3 => {
                        if cost < 3 || leases.is_empty() {
                            let (d, lease) = sessions.acquire(&mut ss, t);
                            let (gd, glease) = s.acquire("k", t).await.expect("acquire");
                            prop_assert_eq!(gd, d, "acquire at step {}", i);
                            prop_assert_eq!(glease.map(|l| (l.slot(), l.serial())), lease.map(|l| (l.slot(), l.serial())));
                            if let (Some(l), Some(gl)) = (lease, glease) {
                                leases.push((l, gl));
                            }
                        } else {
                            let (l, gl) = leases.swap_remove((dt as usize) % leases.len());
                            let want = sessions.release(&mut ss, l, t);
                            prop_assert_eq!(s.release("k", t, gl).await.expect("release"), want, "release at step {}", i);
                        }
                    }
                    _ => {
                        let costs = [cost.min(3), (cost + dt) % 5];
                        let want = AllOf::new(&members[..]).check_costs(&mut states, t, &costs);
                        prop_assert_eq!(limit_error(all.check_costs("k", t, &costs).await), want, "all-of at step {}", i);
                    }
                }
            }
            Ok::<(), TestCaseError>(())
        })?;
    }
}

#[test]
fn many_tasks_sharing_one_quota_admit_exactly_the_burst() {
    let url = server_or_skip!();
    runtime().block_on(async {
        let store = RedisStore::open(&url, common::options("async-tasks")).expect("a store");
        let limiter = store
            .limiter("burst", Gcra::new(quota("10/minute burst 25")))
            .expect("a limiter");
        store.load_scripts().await.expect("the scripts load");
        let at = Nanos::from_secs(3_600);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    let mut admitted = 0;
                    for _ in 0..20 {
                        let d: Decision =
                            limiter.check_at("shared", at, 1).await.expect("a decision");
                        admitted += u64::from(d.allowed);
                    }
                    admitted
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.expect("a task");
        }
        assert_eq!(total, 25, "160 requests at one instant, a burst of 25");
        let d = limiter.peek_at("shared", at).await.expect("a decision");
        assert_eq!((d.remaining, d.retry_after), (0, Nanos::ZERO));
        // On the server's clock too: the key is new there, so it starts fresh.
        let d = limiter.check("server-time", 1).await.expect("a decision");
        assert!(d.allowed);
        assert_eq!(d.remaining, 24);
    });
}

/// Calls `f` until Redis decides again (not the failure policy), for at most three seconds.
async fn recovered<T, F, Fut>(mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<ratecell_redis::Outcome<T>, Error>>,
{
    let start = Instant::now();
    loop {
        if let Ok(o) = f().await
            && o.degraded.is_none()
        {
            return o.value;
        }
        assert!(start.elapsed() < Duration::from_secs(3), "no recovery");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[test]
fn every_failure_policy_answers_while_redis_is_down_and_redis_decides_again_after() {
    let mut server = own_server_or_skip!("async-fault");
    runtime().block_on(async {
        let options = Options::default()
            .with_prefix(common::prefix("async-fault"))
            .with_timeout(Duration::from_millis(100))
            .with_breaker(Breaker {
                failures: 2,
                open_for: Duration::from_millis(50),
                max_open_for: Duration::from_millis(200),
            });
        let store = RedisStore::open(&server.url(), options).expect("a store");
        let policy = Gcra::new(quota("10/second burst 4"));
        let limiter = |name: &str, failure| {
            store
                .limiter(name, policy)
                .and_then(|l| l.on_failure(failure))
                .expect("a limiter")
        };
        let error = limiter("error", FailurePolicy::Error);
        let open = limiter("open", FailurePolicy::FailOpen);
        let closed = limiter("closed", FailurePolicy::FailClosed);
        let fallback = limiter(
            "fallback",
            FailurePolicy::Fallback(Share::new(1, 2).expect("a share")),
        );
        for l in [&error, &open, &closed, &fallback] {
            let o = l.outcome("k", Now::Server, 1).await.expect("a decision");
            assert!(o.value.allowed && o.degraded.is_none());
        }

        server.kill();
        let e = error
            .check("k", 1)
            .await
            .expect_err("the error policy reports the failure");
        assert!(e.is_unavailable(), "{e}");
        let o = open
            .outcome("k", Now::Server, 1)
            .await
            .expect("fail open decides");
        assert!(o.value.allowed && o.degraded.is_some());
        let o = closed
            .outcome("k", Now::Server, 1)
            .await
            .expect("fail closed decides");
        assert!(!o.value.allowed && o.value.retry_after > Nanos::ZERO && o.degraded.is_some());
        // Half the quota in this process: a burst of 2 at one instant.
        let at = Now::At(Nanos::from_secs(50));
        let mut local = Vec::new();
        for _ in 0..3 {
            local.push(
                fallback
                    .outcome("k", at, 1)
                    .await
                    .expect("the fallback decides")
                    .value
                    .allowed,
            );
        }
        assert_eq!(local, [true, true, false]);
        // The circuit is open: calls answer at once, without the network.
        assert!(matches!(store.health(), Health::Open { .. }));
        for _ in 0..100 {
            assert!(matches!(
                error.check("k", 1).await,
                Err(Error::CircuitOpen { .. })
            ));
        }

        server.restart();
        let d = recovered(|| error.outcome("k", Now::Server, 1)).await;
        assert_eq!(d.remaining, 3, "the restarted server starts fresh");
        assert_eq!(store.health(), Health::Closed { failures: 0 });
        let o = fallback
            .outcome("k", Now::Server, 1)
            .await
            .expect("a decision");
        assert!(o.degraded.is_none() && o.value.allowed);
    });
}

#[test]
fn a_paused_server_times_out_within_the_timeout() {
    let server = own_server_or_skip!("async-slow");
    runtime().block_on(async {
        let options = Options::default()
            .with_prefix(common::prefix("async-slow"))
            .with_timeout(Duration::from_millis(100));
        let store = RedisStore::open(&server.url(), options).expect("a store");
        let limiter = store
            .limiter("g", Gcra::new(quota("10/second")))
            .expect("a limiter");
        assert!(limiter.check("k", 1).await.expect("a decision").allowed);
        let mut admin = common::connection(&server.url());
        let () = redis::cmd("CLIENT")
            .arg("PAUSE")
            .arg(400)
            .arg("ALL")
            .query(&mut admin)
            .expect("CLIENT PAUSE");
        let e = limiter.check("k", 1).await.expect_err("a timeout");
        assert!(
            matches!(e, Error::Timeout(t) if t == Duration::from_millis(100)),
            "{e}"
        );
        let d = recovered(|| limiter.outcome("k", Now::Server, 1)).await;
        assert!(d.allowed);
    });
}
