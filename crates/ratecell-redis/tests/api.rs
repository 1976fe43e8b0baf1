//! The blocking API against a real server: key names and hash tags, expiry when fresh, server
//! time, script reloading, errors that are not about availability.

#[macro_use]
mod common;

use std::time::Duration;

use ratecell::{Credits, FixedWindow, Gcra, Limiter, Nanos, Quota, TokenBucket};
use ratecell_redis::sync::RedisStore;
use ratecell_redis::{Error, Health, Now, Options, Script};

fn live_options(test: &str) -> Options {
    Options::default()
        .with_prefix(common::prefix(test))
        .with_timeout(Duration::from_secs(5))
}

fn pttl(con: &mut redis::Connection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query(con).expect("PTTL")
}

#[test]
fn keys_are_named_with_the_user_key_as_hash_tag() {
    let url = server_or_skip!();
    let options = live_options("names");
    let prefix = options.prefix().to_owned();
    let store = RedisStore::open(&url, options).expect("a store");
    let plan = store
        .limiter("plan", Gcra::new(Quota::per_minute(120).expect("quota")))
        .expect("a limiter");
    assert_eq!(
        plan.redis_key("user-7"),
        format!("{prefix}:{{user-7}}:plan")
    );
    let all = store
        .all_of([
            (
                "plan",
                Limiter::from(Gcra::new(Quota::per_minute(120).expect("quota"))),
            ),
            (
                "analysis",
                Limiter::from(Gcra::new(Quota::per_minute(30).expect("quota"))),
            ),
        ])
        .expect("a combination");
    assert!(all.check("user-7", 1).expect("a decision").decision.allowed);
    let mut con = common::connection(&url);
    for name in ["plan", "analysis"] {
        let key = format!("{prefix}:{{user-7}}:{name}");
        let exists: bool = redis::cmd("EXISTS")
            .arg(&key)
            .query(&mut con)
            .expect("EXISTS");
        assert!(exists, "{key}");
    }
    // The member named "plan" is the limiter named "plan": they share the state.
    assert_eq!(plan.peek("user-7").expect("a decision").remaining, 119);
}

#[test]
fn keys_expire_when_fresh_and_idle_keys_disappear() {
    let url = server_or_skip!();
    let store = RedisStore::open(&url, live_options("expiry")).expect("a store");
    let mut con = common::connection(&url);
    // 100/minute: one request is 600 ms of debt; the key lives that long, and 1 ms more.
    let gcra = store
        .limiter("gcra", Gcra::new(Quota::per_minute(100).expect("quota")))
        .expect("a limiter");
    let d = gcra.check("a", 1).expect("a decision");
    assert_eq!(d.reset_after, Nanos::from_millis(600));
    let ttl = pttl(&mut con, &gcra.redis_key("a"));
    assert!((550..=601).contains(&ttl), "PTTL {ttl}");
    // 1,000 per second: a request is fresh again after 1 ms, and the key is gone.
    let fast = store
        .limiter("fast", Gcra::new(Quota::per_second(1000).expect("quota")))
        .expect("a limiter");
    assert!(fast.check("b", 1).expect("a decision").allowed);
    std::thread::sleep(Duration::from_millis(20));
    let exists: bool = redis::cmd("EXISTS")
        .arg(fast.redis_key("b"))
        .query(&mut con)
        .expect("EXISTS");
    assert!(!exists, "an idle key expired");
    // A fixed window's key lives until the end of its window.
    let window = store
        .limiter(
            "window",
            FixedWindow::new(Quota::per_second(10).expect("quota")),
        )
        .expect("a limiter");
    let o = window.outcome("c", Now::Server, 1).expect("a decision");
    let ttl = pttl(&mut con, &window.redis_key("c"));
    let until_end = o.value.reset_after.as_nanos().div_ceil(1_000_000) + 1;
    assert!(
        ttl > 0 && ttl.cast_unsigned() <= until_end,
        "PTTL {ttl}, window ends in {until_end} ms"
    );
    // A peek writes nothing.
    assert!(gcra.peek("never-charged").expect("a decision").allowed);
    let exists: bool = redis::cmd("EXISTS")
        .arg(gcra.redis_key("never-charged"))
        .query(&mut con)
        .expect("EXISTS");
    assert!(!exists);
}

#[test]
fn keys_that_are_never_fresh_again_persist() {
    let url = server_or_skip!();
    let store = RedisStore::open(&url, live_options("persist")).expect("a store");
    let mut con = common::connection(&url);
    let credits = store
        .limiter("credits", Credits::new(10))
        .expect("a limiter");
    assert!(credits.check("a", 3).expect("a decision").allowed);
    assert_eq!(pttl(&mut con, &credits.redis_key("a")), -1);
    let empty = store
        .limiter(
            "empty",
            TokenBucket::new(Quota::per_second(10).expect("quota")).starting_empty(),
        )
        .expect("a limiter");
    assert!(!empty.check("a", 1).expect("a decision").allowed);
    assert_eq!(pttl(&mut con, &empty.redis_key("a")), -1);
}

#[test]
fn server_time_counts_from_the_epoch_and_every_client_agrees() {
    let url = server_or_skip!();
    let options = live_options("server-time");
    let a = RedisStore::open(&url, options.clone()).expect("a store");
    let b = RedisStore::open(&url, options.clone().with_pool(1)).expect("a store");
    let quota = Quota::per_second(2).expect("quota");
    let la = a.limiter("shared", Gcra::new(quota)).expect("a limiter");
    let lb = b.limiter("shared", Gcra::new(quota)).expect("a limiter");
    let first = la.outcome("k", Now::Server, 1).expect("a decision");
    let second = lb.outcome("k", Now::Server, 1).expect("a decision");
    let third = la.outcome("k", Now::Server, 1).expect("a decision");
    assert!(first.value.allowed && second.value.allowed && !third.value.allowed);
    assert!(first.now <= second.now && second.now <= third.now);
    // The server runs on this machine: its clock, counted from 2024-01-01, is this one's.
    let local = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .saturating_sub(Duration::from_secs(ratecell_redis::DEFAULT_EPOCH));
    let skew = Nanos::from_duration(local)
        .as_nanos()
        .abs_diff(third.now.as_nanos());
    assert!(
        skew < 5_000_000_000,
        "server and local clocks differ by {skew} ns"
    );
    assert_eq!(
        third.value.retry_after.saturating_add(third.now),
        first.now.saturating_add(Nanos::from_millis(500)),
        "the third request fits one emission interval after the first"
    );
}

#[test]
fn a_flushed_server_gets_the_scripts_again() {
    let url = server_or_skip!();
    let store = RedisStore::open(&url, live_options("noscript")).expect("a store");
    store.load_scripts().expect("scripts load");
    let mut con = common::connection(&url);
    let exists: Vec<bool> = redis::cmd("SCRIPT")
        .arg("EXISTS")
        .arg(Script::Gcra.sha1())
        .query(&mut con)
        .expect("SCRIPT EXISTS");
    assert_eq!(exists, [true]);
    let gcra = store
        .limiter("g", Gcra::new(Quota::per_second(5).expect("quota")))
        .expect("a limiter");
    assert!(gcra.check("k", 1).expect("a decision").allowed);
    let () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query(&mut con)
        .expect("SCRIPT FLUSH");
    let d = gcra.check("k", 1).expect("a decision after NOSCRIPT");
    assert_eq!(d.remaining, 3);
}

#[test]
fn errors_that_are_not_about_availability_are_returned_as_they_are() {
    let url = server_or_skip!();
    let store = RedisStore::open(&url, live_options("errors")).expect("a store");
    let gcra = store
        .limiter("g", Gcra::new(Quota::per_second(5).expect("quota")))
        .expect("a limiter")
        .on_failure(ratecell_redis::FailurePolicy::FailOpen)
        .expect("a policy");
    // A cost above the capacity: the core's error, and nothing written.
    assert!(matches!(
        gcra.check("k", 6),
        Err(Error::Limit(ratecell::Error::InsufficientCapacity {
            capacity: 5
        }))
    ));
    let mut con = common::connection(&url);
    let exists: bool = redis::cmd("EXISTS")
        .arg(gcra.redis_key("k"))
        .query(&mut con)
        .expect("EXISTS");
    assert!(!exists);
    // A key holding something else: Redis's error, not a degraded decision, and the circuit
    // stays closed.
    let () = redis::cmd("SET")
        .arg(gcra.redis_key("taken"))
        .arg("x")
        .query(&mut con)
        .expect("SET");
    for _ in 0..5 {
        let e = gcra.check("taken", 1).expect_err("not a hash");
        assert!(matches!(e, Error::Redis(_)) && !e.is_unavailable(), "{e}");
    }
    assert_eq!(store.health(), Health::Closed { failures: 0 });
    // A malformed call is an error reply that says what is wrong.
    let e = common::call(
        &mut con,
        Script::Gcra,
        &["x"],
        &["check", "", "", "0", "gcra", "5", "1000", "0", "1"],
    )
    .expect_err("burst 0 is invalid");
    assert!(
        e.to_string().contains("ratecell: burst must be at least 1"),
        "{e}"
    );
}

#[test]
fn configurations_that_would_break_keys_are_refused() {
    let url = server_or_skip!();
    assert!(matches!(
        RedisStore::open(&url, Options::default().with_prefix("a{b}")),
        Err(Error::Config(_))
    ));
    let store = RedisStore::open(&url, live_options("config")).expect("a store");
    let gcra = Gcra::new(Quota::per_second(5).expect("quota"));
    assert!(matches!(store.limiter("x}", gcra), Err(Error::Config(_))));
    assert!(matches!(store.limiter("", gcra), Err(Error::Config(_))));
    assert!(matches!(
        store.all_of([("a", Limiter::from(gcra)), ("a", Limiter::from(gcra))]),
        Err(Error::Config(_))
    ));
}
