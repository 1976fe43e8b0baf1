//! Replays `tests/vectors/*.json` (see its README) against the core and the reference models.
//!
//! Every step's expectation must equal both the core's decision and the model's. With
//! `RATECELL_BLESS=1` the expectations are (re)written from the models instead, after checking
//! that the core agrees with them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ratecell::{
    AllOf, Burst, Concurrency, ConcurrencyState, Credits, CreditsState, Decision, Error,
    FixedWindow, Gcra, Lease, Limiter, LimiterState, Nanos, Quota, Reservation, SlidingLog,
    SlidingLogState, SlidingWindow, TokenBucket, TokenBucketState,
};
use ratecell_reference as model;
use serde_json::{Map, Value, json};

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

/// One outcome in the vectors' vocabulary.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Decision(Value),
    Error(&'static str),
    Done(bool),
    Granted(Value, bool),
    Reserved { committed: bool, ready_at: u64 },
    Returned(u64),
    Balance(u64),
    Nothing,
}

fn decision(d: &Decision) -> Value {
    json!({
        "allowed": d.allowed, "limit": enc(d.limit), "remaining": enc(d.remaining),
        "retry_after_ns": enc(d.retry_after.as_nanos()), "reset_after_ns": enc(d.reset_after.as_nanos()),
    })
}

macro_rules! model_decision {
    ($o:expr) => {{
        let o = $o;
        json!({
            "allowed": o.allowed, "limit": enc(o.limit), "remaining": enc(o.remaining),
            "retry_after_ns": enc(o.retry_after), "reset_after_ns": enc(o.reset_after),
        })
    }};
}

fn error(e: Error) -> &'static str {
    match e {
        Error::InsufficientCapacity { .. } => "insufficient_capacity",
        Error::CreditsOverflow { .. } => "credits_overflow",
        other => panic!("unexpected error {other}"),
    }
}

/// The core side of one key.
enum Core {
    One(Limiter, LimiterState),
    Log(SlidingLog<LOG>, SlidingLogState<LOG>),
    AllOf(Vec<Limiter>, Vec<LimiterState>),
    Leases(
        Concurrency<LOG>,
        ConcurrencyState<LOG>,
        HashMap<String, Lease>,
    ),
    Bucket(TokenBucket, TokenBucketState, HashMap<String, Reservation>),
    Credits(Credits, CreditsState),
}

/// The model side of one key.
enum Model {
    Gcra(model::gcra::Gcra),
    Fixed(model::fixed_window::FixedWindow),
    Sliding(model::sliding_window::SlidingWindow),
    Log(model::sliding_log::SlidingLog),
    Burst(model::burst::Burst),
    AllOf(model::all_of::AllOf, usize),
    Leases(model::concurrency::Concurrency, HashMap<String, u64>),
    Bucket(
        model::token_bucket::TokenBucket,
        HashMap<String, model::token_bucket::Reserved>,
    ),
    Credits(model::credits::Credits),
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

fn build(spec: &Value) -> (Core, Model) {
    let limit = spec.get("limit").map_or(0, num);
    let period = spec.get("period_ns").map_or(0, num);
    match spec["algorithm"].as_str().expect("algorithm") {
        "gcra" => (
            Core::One(limiter(spec), LimiterState::default()),
            Model::Gcra(model::gcra::Gcra::new(limit, period, quota(spec).burst())),
        ),
        "fixed_window" => (
            Core::One(limiter(spec), LimiterState::default()),
            Model::Fixed(model::fixed_window::FixedWindow::new(limit, period)),
        ),
        "sliding_window" => (
            Core::One(limiter(spec), LimiterState::default()),
            Model::Sliding(model::sliding_window::SlidingWindow::new(limit, period)),
        ),
        "burst" => (
            Core::One(limiter(spec), LimiterState::default()),
            Model::Burst(
                model::burst::Burst::new(
                    limit,
                    period,
                    field(spec, "burst"),
                    field(spec, "burst_window_ns"),
                )
                .expect("valid burst tier"),
            ),
        ),
        "sliding_log" => (
            Core::Log(SlidingLog::new(quota(spec)), SlidingLogState::default()),
            Model::Log(model::sliding_log::SlidingLog::new(limit, period, LOG)),
        ),
        "all_of" => {
            let members: Vec<&Value> = spec["members"]
                .as_array()
                .expect("members")
                .iter()
                .collect();
            let limiters: Vec<Limiter> = members.iter().map(|m| limiter(m)).collect();
            let states = vec![LimiterState::default(); limiters.len()];
            let params: Vec<(u64, u64, u64)> = members
                .iter()
                .map(|m| (field(m, "limit"), field(m, "period_ns"), quota(m).burst()))
                .collect();
            (
                Core::AllOf(limiters, states),
                Model::AllOf(model::all_of::AllOf::new(&params), params.len()),
            )
        }
        "concurrency" => {
            let ttl = field(spec, "ttl_ns");
            (
                Core::Leases(
                    Concurrency::new(limit, Duration::from_nanos(ttl)).expect("valid cap"),
                    ConcurrencyState::default(),
                    HashMap::new(),
                ),
                Model::Leases(
                    model::concurrency::Concurrency::new(limit, ttl),
                    HashMap::new(),
                ),
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
            (
                Core::Bucket(bucket, TokenBucketState::default(), HashMap::new()),
                Model::Bucket(
                    model::token_bucket::TokenBucket::new(
                        limit,
                        period,
                        quota(spec).burst(),
                        empty,
                    ),
                    HashMap::new(),
                ),
            )
        }
        "credits" => {
            let budget = field(spec, "budget");
            (
                Core::Credits(Credits::new(budget), CreditsState::default()),
                Model::Credits(model::credits::Credits::new(budget)),
            )
        }
        other => panic!("unknown algorithm {other}"),
    }
}

fn costs(step: &Value) -> Vec<u64> {
    match step.get("costs") {
        Some(c) => c.as_array().expect("costs").iter().map(num).collect(),
        None => vec![field(step, "cost")],
    }
}

fn run_core(core: &mut Core, step: &Value) -> Outcome {
    let now = || Nanos::new(field(step, "now_ns"));
    match (core, step["op"].as_str().expect("op")) {
        (Core::One(l, s), "check") => match l.check(s, now(), costs(step)[0]) {
            Ok(d) => Outcome::Decision(decision(&d)),
            Err(e) => Outcome::Error(error(e)),
        },
        (Core::One(l, s), "peek") => Outcome::Decision(decision(&l.peek(s, now()))),
        (Core::One(_, s), "reset") => {
            *s = LimiterState::default();
            Outcome::Nothing
        }
        (Core::Log(l, s), "check") => match l.check(s, now(), costs(step)[0]) {
            Ok(d) => Outcome::Decision(decision(&d)),
            Err(e) => Outcome::Error(error(e)),
        },
        (Core::Log(l, s), "peek") => Outcome::Decision(decision(&l.peek(s, now()))),
        (Core::Log(_, s), "reset") => {
            *s = SlidingLogState::default();
            Outcome::Nothing
        }
        (Core::AllOf(members, states), op @ ("check" | "peek")) => {
            let all = AllOf::new(&members[..]);
            let costs = if op == "peek" {
                vec![0; members.len()]
            } else {
                costs(step)
            };
            match all.check_costs(states, now(), &costs) {
                Ok(d) => {
                    let mut v = decision(&d.decision);
                    v["refused_by"] = d.refused_by.map_or(Value::Null, |i| json!(i));
                    Outcome::Decision(v)
                }
                Err(e) => Outcome::Error(error(e)),
            }
        }
        (Core::AllOf(members, states), "reset") => {
            *states = vec![LimiterState::default(); members.len()];
            Outcome::Nothing
        }
        (Core::Leases(c, s, leases), "acquire") => {
            let (d, lease) = c.acquire(s, now());
            if let Some(lease) = lease {
                leases.insert(
                    step["lease"].as_str().expect("lease name").to_owned(),
                    lease,
                );
            }
            Outcome::Granted(decision(&d), lease.is_some())
        }
        (Core::Leases(c, s, leases), op @ ("release" | "renew")) => {
            let Some(&lease) = leases.get(step["lease"].as_str().expect("lease name")) else {
                return Outcome::Done(false);
            };
            Outcome::Done(if op == "release" {
                c.release(s, lease, now())
            } else {
                c.renew(s, lease, now())
            })
        }
        (Core::Leases(c, s, _), "peek") => Outcome::Decision(decision(&c.peek(s, now()))),
        (core @ (Core::Bucket(..) | Core::Credits(..)), op) => run_core_budget(core, op, step),
        (_, op) => panic!("operation {op} does not apply to this limiter"),
    }
}

/// The core side of the algorithms with operations of their own (reservations, top-ups).
fn run_core_budget(core: &mut Core, op: &str, step: &Value) -> Outcome {
    let now = || Nanos::new(field(step, "now_ns"));
    match (core, op) {
        (Core::Bucket(b, s, _), "check") => match b.check(s, now(), costs(step)[0]) {
            Ok(d) => Outcome::Decision(decision(&d)),
            Err(e) => Outcome::Error(error(e)),
        },
        (Core::Bucket(b, s, _), "peek") => Outcome::Decision(decision(&b.peek(s, now()))),
        (Core::Bucket(_, s, held), "reset") => {
            *s = TokenBucketState::default();
            held.clear();
            Outcome::Nothing
        }
        (Core::Bucket(b, s, held), "reserve") => {
            let max_wait = Nanos::new(field(step, "max_wait_ns"));
            match b.reserve(s, now(), costs(step)[0], max_wait) {
                Ok(r) => {
                    let out = Outcome::Reserved {
                        committed: r.is_committed(),
                        ready_at: r.ready_at().as_nanos(),
                    };
                    held.insert(
                        step["reservation"]
                            .as_str()
                            .expect("reservation name")
                            .to_owned(),
                        r,
                    );
                    out
                }
                Err(e) => Outcome::Error(error(e)),
            }
        }
        (Core::Bucket(b, s, held), "cancel") => {
            match held.get_mut(step["reservation"].as_str().expect("reservation name")) {
                Some(r) => Outcome::Returned(b.cancel(s, r, now())),
                None => Outcome::Returned(0),
            }
        }
        (Core::Credits(c, s), "check") => match c.check(s, now(), costs(step)[0]) {
            Ok(d) => Outcome::Decision(decision(&d)),
            Err(e) => Outcome::Error(error(e)),
        },
        (Core::Credits(c, s), "peek") => Outcome::Decision(decision(&c.peek(s, Nanos::ZERO))),
        (Core::Credits(_, s), "reset") => {
            *s = CreditsState::default();
            Outcome::Nothing
        }
        (Core::Credits(c, s), "top_up") => match c.top_up(s, field(step, "amount")) {
            Ok(left) => Outcome::Balance(left),
            Err(e) => Outcome::Error(error(e)),
        },
        (_, op) => panic!("operation {op} does not apply to this limiter"),
    }
}

fn run_model(m: &mut Model, fresh: &dyn Fn() -> Model, step: &Value) -> Outcome {
    let op = step["op"].as_str().expect("op");
    if op == "reset" {
        *m = fresh();
        return Outcome::Nothing;
    }
    let now = step.get("now_ns").map_or(0, num);
    let cost = if op == "peek" {
        0
    } else {
        step.get("cost").map_or(0, num)
    };
    let single =
        |o: Option<Value>| o.map_or(Outcome::Error("insufficient_capacity"), Outcome::Decision);
    match m {
        Model::Gcra(g) => single(g.check(now, cost).map(|o| model_decision!(o))),
        Model::Fixed(g) => single(g.check(now, cost).map(|o| model_decision!(o))),
        Model::Sliding(g) => single(g.check(now, cost).map(|o| model_decision!(o))),
        Model::Log(g) => single(g.check(now, cost).map(|o| model_decision!(o))),
        Model::Burst(g) => single(g.check(now, cost).map(|o| model_decision!(o))),
        Model::AllOf(a, n) => {
            let costs = if op == "peek" {
                vec![0; *n]
            } else {
                costs(step)
            };
            single(a.check(now, &costs).map(|c| {
                let mut v = model_decision!(c.outcome);
                v["refused_by"] = c.refused_by.map_or(Value::Null, |i| json!(i));
                v
            }))
        }
        Model::Leases(c, names) => match op {
            "acquire" => {
                let (o, name) = c.acquire(now);
                if let Some(name) = name {
                    names.insert(step["lease"].as_str().expect("lease name").to_owned(), name);
                }
                Outcome::Granted(model_decision!(o), name.is_some())
            }
            "release" | "renew" => {
                let Some(&name) = names.get(step["lease"].as_str().expect("lease name")) else {
                    return Outcome::Done(false);
                };
                Outcome::Done(if op == "release" {
                    c.release(name, now)
                } else {
                    c.renew(name, now)
                })
            }
            "peek" => single(c.check(now, 0).map(|o| model_decision!(o))),
            other => panic!("operation {other} does not apply to concurrency"),
        },
        Model::Bucket(b, held) => match op {
            "check" => single(b.check(now, cost).map(|o| model_decision!(o))),
            "peek" => Outcome::Decision(model_decision!(b.peek(now))),
            "reserve" => match b.reserve(now, cost, field(step, "max_wait_ns")) {
                Some((r, _)) => {
                    let out = Outcome::Reserved {
                        committed: r.committed,
                        ready_at: r.ready_at,
                    };
                    held.insert(
                        step["reservation"]
                            .as_str()
                            .expect("reservation name")
                            .to_owned(),
                        r,
                    );
                    out
                }
                None => Outcome::Error("insufficient_capacity"),
            },
            "cancel" => match held.get_mut(step["reservation"].as_str().expect("reservation name"))
            {
                Some(r) => Outcome::Returned(b.cancel(r, now)),
                None => Outcome::Returned(0),
            },
            other => panic!("operation {other} does not apply to a token bucket"),
        },
        Model::Credits(c) => match op {
            "check" => Outcome::Decision(model_decision!(c.check(cost))),
            "peek" => Outcome::Decision(model_decision!(c.clone().check(0))),
            "top_up" => c
                .top_up(field(step, "amount"))
                .map_or(Outcome::Error("credits_overflow"), Outcome::Balance),
            other => panic!("operation {other} does not apply to credits"),
        },
    }
}

/// The expectation a step records, as an outcome.
fn recorded(step: &Value) -> Outcome {
    match step["op"].as_str().expect("op") {
        "reset" => Outcome::Nothing,
        "release" | "renew" => Outcome::Done(step["done"].as_bool().expect("done")),
        "reserve" if step.get("error").is_none() => Outcome::Reserved {
            committed: step["committed"].as_bool().expect("committed"),
            ready_at: field(step, "ready_at_ns"),
        },
        "cancel" => Outcome::Returned(field(step, "returned")),
        "top_up" if step.get("error").is_none() => Outcome::Balance(field(step, "remaining")),
        "acquire" => Outcome::Granted(
            step["expect"].clone(),
            step["granted"].as_bool().expect("granted"),
        ),
        _ => match step.get("error") {
            Some(Value::String(e)) => Outcome::Error(match e.as_str() {
                "insufficient_capacity" => "insufficient_capacity",
                "credits_overflow" => "credits_overflow",
                other => panic!("unknown error {other}"),
            }),
            Some(other) => panic!("an error is named by a string, not {other}"),
            None => Outcome::Decision(step.get("expect").cloned().unwrap_or(Value::Null)),
        },
    }
}

fn record(step: &mut Map<String, Value>, outcome: &Outcome) {
    for k in [
        "expect",
        "error",
        "done",
        "granted",
        "committed",
        "ready_at_ns",
        "returned",
        "remaining",
    ] {
        step.remove(k);
    }
    match outcome {
        Outcome::Decision(d) => {
            step.insert("expect".into(), d.clone());
        }
        Outcome::Error(e) => {
            step.insert("error".into(), json!(e));
        }
        Outcome::Done(b) => {
            step.insert("done".into(), json!(b));
        }
        Outcome::Granted(d, g) => {
            step.insert("expect".into(), d.clone());
            step.insert("granted".into(), json!(g));
        }
        Outcome::Reserved {
            committed,
            ready_at,
        } => {
            step.insert("committed".into(), json!(committed));
            step.insert("ready_at_ns".into(), enc(*ready_at));
        }
        Outcome::Returned(n) => {
            step.insert("returned".into(), enc(*n));
        }
        Outcome::Balance(n) => {
            step.insert("remaining".into(), enc(*n));
        }
        Outcome::Nothing => {}
    }
}

/// The styles a case with `"http"` records for each decision.
const STYLES: [&str; 5] = ["ietf", "draft-8", "draft-7", "draft-6", "legacy"];

/// What the limiter of `spec` advertises (see `model::http::Advert`).
fn advert(spec: &Value) -> model::http::Advert {
    match spec["algorithm"].as_str().expect("algorithm") {
        "concurrency" => model::http::Advert::Concurrency {
            limit: field(spec, "limit"),
        },
        "credits" => model::http::Advert::Credits,
        "all_of" => panic!("header fields are recorded for single limiters"),
        _ => model::http::Advert::Rate {
            limit: field(spec, "limit"),
            period_ns: field(spec, "period_ns"),
        },
    }
}

fn standing(d: &Value) -> model::http::Standing {
    model::http::Standing {
        allowed: d["allowed"].as_bool().expect("allowed"),
        limit: field(d, "limit"),
        remaining: field(d, "remaining"),
        retry_after_ns: field(d, "retry_after_ns"),
        reset_after_ns: field(d, "reset_after_ns"),
    }
}

/// The core's response fields (name to value) for decision `d` of the limiter of `spec`, named `name`,
/// advertised as every binding advertises it.
fn core_fields(style: &str, name: &str, spec: &Value, d: &Value, unix_now_s: u64) -> Value {
    use ratecell::http::{CreditBalance, Policy, QuotaUnit, ResponseFields};
    let s = standing(d);
    let decision = Decision {
        allowed: s.allowed,
        limit: s.limit,
        remaining: s.remaining,
        retry_after: Nanos::new(s.retry_after_ns),
        reset_after: Nanos::new(s.reset_after_ns),
    };
    let policy = Policy::new(name, decision).expect("a printable name");
    let (policies, credits) = match advert(spec) {
        model::http::Advert::Rate { limit, period_ns } => {
            (vec![policy.with_quota(limit, Nanos::new(period_ns))], None)
        }
        model::http::Advert::Concurrency { limit } => (
            vec![
                policy
                    .with_quota(limit, Nanos::ZERO)
                    .with_unit(QuotaUnit::ConcurrentRequests),
            ],
            None,
        ),
        model::http::Advert::Credits => (vec![], Some(CreditBalance::from_decision(&decision))),
    };
    let mut fields = ResponseFields::new(style.parse().expect("a style"), &policies)
        .with_unix_now(Nanos::from_secs(unix_now_s));
    if let Some(balance) = credits {
        fields = fields.with_credits(balance);
    }
    let mut out = Map::new();
    fields
        .for_each(|n, v| {
            assert!(out.insert(n.to_owned(), json!(v)).is_none(), "{n} twice");
        })
        .expect("fields fit");
    Value::Object(out)
}

/// The reference's response fields for decision `d`: for each style, an object from field
/// name to value.
fn model_fields(http: &Value, spec: &Value, d: &Value) -> Value {
    let name = http["name"].as_str().expect("http.name");
    let unix_now_s = field(http, "unix_now_s");
    let mut by_style = Map::new();
    for style in STYLES {
        let pairs = model::http::fields(style, name, advert(spec), standing(d), unix_now_s);
        let pairs = pairs.into_iter().map(|(n, v)| (n, json!(v))).collect();
        by_style.insert(style.to_owned(), Value::Object(pairs));
    }
    Value::Object(by_style)
}

/// Checks (or with `bless`, records) the header fields of a step of a case with `"http"`.
fn check_fields(
    http: &Value,
    spec: &Value,
    step: &mut Value,
    outcome: &Outcome,
    bless: bool,
    at: &str,
) {
    let d = match outcome {
        Outcome::Decision(d) | Outcome::Granted(d, _) if !d.is_null() => d,
        _ => return,
    };
    let want = model_fields(http, spec, d);
    let name = http["name"].as_str().expect("http.name");
    for style in STYLES {
        let got = core_fields(style, name, spec, d, field(http, "unix_now_s"));
        assert_eq!(
            got, want[style],
            "{style} fields: core and reference disagree at {at}"
        );
    }
    if bless {
        step.as_object_mut()
            .expect("a step is an object")
            .insert("headers".into(), want);
    } else {
        assert_eq!(
            step.get("headers"),
            Some(&want),
            "{at}: recorded header fields differ"
        );
    }
}

fn vector_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/vectors exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_vector_matches_the_core_and_the_reference_models() {
    let bless = std::env::var_os("RATECELL_BLESS").is_some();
    let files = vector_files();
    assert!(files.len() >= 5, "vector files are missing: {files:?}");
    let mut steps_checked = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let mut doc: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for case in doc["cases"].as_array_mut().expect("cases") {
            let name = case["name"].as_str().expect("case name").to_owned();
            let spec = case["limiter"].clone();
            // The models know nothing of the end of representable time; cases about it record
            // the core's documented behaviour (`"model": false`).
            let use_model = case.get("model").and_then(Value::as_bool).unwrap_or(true);
            // Cases with `"http"` also record each decision's response fields in every style.
            let http = case.get("http").cloned();
            let (mut core, mut m) = build(&spec);
            let fresh = || build(&spec).1;
            for (i, step) in case["steps"]
                .as_array_mut()
                .expect("steps")
                .iter_mut()
                .enumerate()
            {
                let got = run_core(&mut core, step);
                let at = format!("{}: case {name:?}, step {i}: {step}", path.display());
                let want = if use_model {
                    let want = run_model(&mut m, &fresh, step);
                    assert_eq!(got, want, "core and model disagree at {at}");
                    want
                } else {
                    got.clone()
                };
                if let Some(http) = &http {
                    check_fields(http, &spec, step, &want, bless, &at);
                } else {
                    assert!(
                        step.get("headers").is_none(),
                        "{at}: headers without \"http\""
                    );
                }
                if bless {
                    record(step.as_object_mut().expect("a step is an object"), &want);
                } else {
                    assert_eq!(
                        recorded(step),
                        got,
                        "vector disagrees with the core at {at}"
                    );
                }
                steps_checked += 1;
            }
        }
        if bless {
            let mut out = serde_json::to_string_pretty(&doc).expect("serialisable");
            out.push('\n');
            std::fs::write(&path, out).expect("writable");
        }
    }
    assert!(steps_checked > 100, "only {steps_checked} steps replayed");
}
