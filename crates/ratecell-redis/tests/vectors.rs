//! Replays `tests/vectors/*.json` (see its README) through Redis, with the vectors' instants
//! given as the caller's time: every step must produce exactly the recorded outcome, which the
//! core and the reference models produce too.

#[macro_use]
mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ratecell::{
    Burst, Concurrency, Credits, Decision, FixedWindow, Gcra, Limiter, Nanos, Quota, SlidingLog,
    SlidingWindow, TokenBucket,
};
use ratecell_redis::sync::{RedisAllOf, RedisLimiter, RedisStore};
use ratecell_redis::{Error, RedisLease, RedisReservation};
use serde_json::{Value, json};

/// Entries of the sliding logs the vectors use.
const LOG: usize = 64;
const JS_SAFE: u64 = (1 << 53) - 1;

fn num(v: &Value) -> u64 {
    match v {
        Value::Number(n) => n.as_u64().expect("a non-negative integer"),
        Value::String(s) => s.parse().expect("a decimal integer"),
        _ => panic!("expected an integer, got {v}"),
    }
}

fn enc(x: u64) -> Value {
    if x <= JS_SAFE {
        json!(x)
    } else {
        json!(x.to_string())
    }
}

fn field(obj: &Value, name: &str) -> u64 {
    num(obj
        .get(name)
        .unwrap_or_else(|| panic!("missing {name} in {obj}")))
}

fn decision(d: &Decision) -> Value {
    json!({
        "allowed": d.allowed, "limit": enc(d.limit), "remaining": enc(d.remaining),
        "retry_after_ns": enc(d.retry_after.as_nanos()), "reset_after_ns": enc(d.reset_after.as_nanos()),
    })
}

fn quota(spec: &Value) -> Quota {
    let q = Quota::from_nanos(field(spec, "limit"), field(spec, "period_ns")).expect("valid quota");
    match spec.get("burst") {
        Some(b) => q.with_burst(num(b)).expect("valid burst"),
        None => q,
    }
}

fn limiter(spec: &Value) -> Limiter {
    match spec["algorithm"].as_str().expect("algorithm") {
        "gcra" => Gcra::new(quota(spec)).into(),
        "fixed_window" => FixedWindow::new(quota(spec)).into(),
        "sliding_window" => SlidingWindow::new(quota(spec)).into(),
        "burst" => Burst::new(
            quota(spec),
            Duration::from_nanos(field(spec, "burst_window_ns")),
        )
        .expect("valid burst tier")
        .into(),
        other => panic!("no single limiter {other}"),
    }
}

/// One key under test, in Redis.
enum Under {
    One(RedisLimiter<Limiter>),
    Log(RedisLimiter<SlidingLog<LOG>>),
    AllOf(RedisAllOf),
    Leases(RedisLimiter<Concurrency<LOG>>, HashMap<String, RedisLease>),
    Bucket(RedisLimiter<TokenBucket>, HashMap<String, RedisReservation>),
    Credits(RedisLimiter<Credits>),
}

fn build(store: &RedisStore, spec: &Value) -> Under {
    let name = "vector";
    match spec["algorithm"].as_str().expect("algorithm") {
        "gcra" | "fixed_window" | "sliding_window" | "burst" => {
            Under::One(store.limiter(name, limiter(spec)).expect("a limiter"))
        }
        "sliding_log" => Under::Log(
            store
                .limiter(name, SlidingLog::new(quota(spec)))
                .expect("a limiter"),
        ),
        "all_of" => {
            let members = spec["members"].as_array().expect("members");
            Under::AllOf(
                store
                    .all_of(
                        members
                            .iter()
                            .enumerate()
                            .map(|(i, m)| (format!("m{i}"), limiter(m))),
                    )
                    .expect("a combination"),
            )
        }
        "concurrency" => {
            let ttl = Duration::from_nanos(field(spec, "ttl_ns"));
            let policy = Concurrency::new(field(spec, "limit"), ttl).expect("valid cap");
            Under::Leases(
                store.limiter(name, policy).expect("a limiter"),
                HashMap::new(),
            )
        }
        "token_bucket" => {
            let empty = spec
                .get("starts_empty")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let bucket = TokenBucket::new(quota(spec));
            let bucket = if empty {
                bucket.starting_empty()
            } else {
                bucket
            };
            Under::Bucket(
                store.limiter(name, bucket).expect("a limiter"),
                HashMap::new(),
            )
        }
        "credits" => Under::Credits(
            store
                .limiter(name, Credits::new(field(spec, "budget")))
                .expect("a limiter"),
        ),
        other => panic!("unknown algorithm {other}"),
    }
}

fn error(e: Error) -> Value {
    match e {
        Error::Limit(ratecell::Error::InsufficientCapacity { .. }) => {
            json!("insufficient_capacity")
        }
        Error::Limit(ratecell::Error::CreditsOverflow { .. }) => json!("credits_overflow"),
        other => panic!("unexpected error {other}"),
    }
}

/// Resets the key under test, forgetting its reservations and leases.
fn reset(under: &mut Under, key: &str) {
    match under {
        Under::One(l) => l.reset(key),
        Under::Log(l) => l.reset(key),
        Under::AllOf(a) => a.reset(key),
        Under::Leases(l, held) => {
            held.clear();
            l.reset(key)
        }
        Under::Bucket(l, held) => {
            held.clear();
            l.reset(key)
        }
        Under::Credits(l) => l.reset(key),
    }
    .expect("reset");
}

/// The step's outcome in the vectors' vocabulary: `(name of the expectation, value)` pairs.
fn run(under: &mut Under, step: &Value) -> Vec<(&'static str, Value)> {
    let op = step["op"].as_str().expect("op");
    let now = || Nanos::new(field(step, "now_ns"));
    let cost = || field(step, "cost");
    let key = "k";
    let decided = |r: Result<Decision, Error>| match r {
        Ok(d) => vec![("expect", decision(&d))],
        Err(e) => vec![("error", error(e))],
    };
    match (under, op) {
        (Under::One(l), "check") => decided(l.check_at(key, now(), cost())),
        (Under::One(l), "peek") => decided(l.peek_at(key, now())),
        (Under::Log(l), "check") => decided(l.check_at(key, now(), cost())),
        (Under::Log(l), "peek") => decided(l.peek_at(key, now())),
        (Under::AllOf(a), op @ ("check" | "peek")) => {
            let costs: Vec<u64> = if op == "peek" {
                vec![0; a.members().len()]
            } else {
                step["costs"]
                    .as_array()
                    .expect("costs")
                    .iter()
                    .map(num)
                    .collect()
            };
            match a.check_costs(key, now(), &costs) {
                Ok(d) => {
                    let mut v = decision(&d.decision);
                    v["refused_by"] = d.refused_by.map_or(Value::Null, |i| json!(i));
                    vec![("expect", v)]
                }
                Err(e) => vec![("error", error(e))],
            }
        }
        (Under::Leases(c, leases), "acquire") => {
            let (d, lease) = c.acquire(key, now()).expect("acquire");
            if let Some(lease) = lease {
                leases.insert(
                    step["lease"].as_str().expect("lease name").to_owned(),
                    lease,
                );
            }
            vec![
                ("expect", decision(&d)),
                ("granted", json!(lease.is_some())),
            ]
        }
        (Under::Leases(c, leases), op @ ("release" | "renew")) => {
            let done = match leases.get(step["lease"].as_str().expect("lease name")) {
                None => false,
                Some(&lease) if op == "release" => c.release(key, now(), lease).expect("release"),
                Some(&lease) => c.renew(key, now(), lease).expect("renew"),
            };
            vec![("done", json!(done))]
        }
        (Under::Leases(c, _), "peek") => decided(c.peek_at(key, now())),
        (Under::Bucket(b, _), "check") => decided(b.check_at(key, now(), cost())),
        (Under::Bucket(b, _), "peek") => decided(b.peek_at(key, now())),
        (Under::Bucket(b, held), "reserve") => {
            let max_wait = Nanos::new(field(step, "max_wait_ns"));
            match b.reserve(key, now(), cost(), max_wait) {
                Ok(r) => {
                    let out = vec![
                        ("committed", json!(r.is_committed())),
                        ("ready_at_ns", enc(r.ready_at().as_nanos())),
                    ];
                    held.insert(
                        step["reservation"]
                            .as_str()
                            .expect("reservation name")
                            .to_owned(),
                        r,
                    );
                    out
                }
                Err(e) => vec![("error", error(e))],
            }
        }
        (Under::Bucket(b, held), "cancel") => {
            let returned =
                match held.get_mut(step["reservation"].as_str().expect("reservation name")) {
                    Some(r) => b.cancel(key, now(), r).expect("cancel"),
                    None => 0,
                };
            vec![("returned", enc(returned))]
        }
        (Under::Credits(c), "check") => decided(c.check_at(key, now(), cost())),
        (Under::Credits(c), "peek") => decided(c.peek_at(key, Nanos::ZERO)),
        (Under::Credits(c), "top_up") => match c.top_up(key, field(step, "amount")) {
            Ok(left) => vec![("remaining", enc(left))],
            Err(e) => vec![("error", error(e))],
        },
        (under, "reset") => {
            reset(under, key);
            Vec::new()
        }
        (_, op) => panic!("operation {op} does not apply to this limiter"),
    }
}

fn vector_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/vectors exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_vector_decides_in_redis_as_recorded() {
    let url = server_or_skip!();
    let files = vector_files();
    assert!(files.len() >= 7, "vector files are missing: {files:?}");
    let mut steps_checked = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let doc: Value = serde_json::from_str(&text).expect("valid JSON");
        for case in doc["cases"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("case name");
            // A store per case: a fresh prefix, so every case starts from a fresh key.
            let store = RedisStore::open(&url, common::options("vectors")).expect("a store");
            let mut under = build(&store, &case["limiter"]);
            for (i, step) in case["steps"].as_array().expect("steps").iter().enumerate() {
                let at = format!("{}: case {name:?}, step {i}: {step}", path.display());
                for (what, got) in run(&mut under, step) {
                    assert_eq!(step.get(what), Some(&got), "{what} differs at {at}");
                }
                steps_checked += 1;
            }
        }
    }
    assert!(steps_checked > 150, "only {steps_checked} steps replayed");
}
