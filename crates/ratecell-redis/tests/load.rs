//! Several processes sharing one quota through Redis admit exactly the quota.
//!
//! The test binary runs itself as worker processes (`worker_process`, which does nothing
//! unless `RATECELL_LOAD_WORKER` is set). Each worker hammers the same keys and prints every
//! decision; the parent adds them up.
//!
//! - At one instant of the caller's, a GCRA of burst B, a fixed window of limit L and a budget
//!   of C credits admit exactly B, L and C requests in total, however the workers interleave.
//! - On the server's clock, the union of every worker's decisions, put in the order Redis made
//!   them (by instant; at one instant admissions first, by decreasing remaining), is exactly
//!   what the core decides for those requests, one after the other: every field of every
//!   decision. The total admitted is therefore the exact GCRA bound of that traffic.

#[macro_use]
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ratecell::{Credits, Decision, FixedWindow, Gcra, GcraState, Nanos, Quota};
use ratecell_redis::sync::RedisStore;
use ratecell_redis::{Now, Options};

const WORKERS: usize = 4;
const AT: Nanos = Nanos::new(5_000_000_000);

fn burst() -> Gcra {
    Gcra::new(Quota::parse("1000/second burst 100").expect("quota"))
}
fn window() -> FixedWindow {
    FixedWindow::new(Quota::per_minute(250).expect("quota"))
}
fn credits() -> Credits {
    Credits::new(333)
}
fn steady() -> Gcra {
    Gcra::new(Quota::parse("400/second burst 20").expect("quota"))
}

fn line(kind: &str, now: Nanos, d: &Decision) -> String {
    format!(
        "decision {kind} {} {} {} {} {}",
        now.as_nanos(),
        u8::from(d.allowed),
        d.remaining,
        d.retry_after.as_nanos(),
        d.reset_after.as_nanos()
    )
}

/// A worker: its share of the traffic, every decision on stdout.
#[test]
fn worker_process() {
    let Ok(prefix) = std::env::var("RATECELL_LOAD_WORKER") else {
        return;
    };
    let url = std::env::var(common::URL_VAR).expect("the parent passes the server");
    let options = Options::default()
        .with_prefix(prefix)
        .with_timeout(Duration::from_secs(5))
        .with_ttl_floor(Duration::from_secs(60));
    let store = RedisStore::open(&url, options).expect("a store");
    let mut out = Vec::new();
    let by_burst = store.limiter("burst", burst()).expect("a limiter");
    let by_window = store.limiter("window", window()).expect("a limiter");
    let by_credits = store.limiter("credits", credits()).expect("a limiter");
    for _ in 0..300 {
        out.push(line(
            "burst",
            AT,
            &by_burst.check_at("shared", AT, 1).expect("a decision"),
        ));
        out.push(line(
            "window",
            AT,
            &by_window.check_at("shared", AT, 1).expect("a decision"),
        ));
        out.push(line(
            "credits",
            AT,
            &by_credits.check_at("shared", AT, 1).expect("a decision"),
        ));
    }
    let by_rate = store.limiter("steady", steady()).expect("a limiter");
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(600) {
        let o = by_rate
            .outcome("shared", Now::Server, 1)
            .expect("a decision");
        out.push(line("steady", o.now, &o.value));
    }
    // libtest may have printed the test's name without a newline: start on a line of our own.
    println!("\n{}", out.join("\n"));
}

struct Seen {
    kind: String,
    now: u64,
    allowed: bool,
    remaining: u64,
    retry_after: u64,
    reset_after: u64,
}

fn parse(l: &str) -> Option<Seen> {
    let mut f = l.strip_prefix("decision ")?.split(' ');
    let mut n = || f.next().and_then(|x| x.parse::<u64>().ok());
    let kind = l.split(' ').nth(1)?.to_owned();
    let _ = n();
    Some(Seen {
        kind,
        now: n()?,
        allowed: n()? == 1,
        remaining: n()?,
        retry_after: n()?,
        reset_after: n()?,
    })
}

#[test]
fn processes_sharing_one_quota_admit_exactly_the_quota() {
    let url = server_or_skip!();
    let prefix = common::prefix("load");
    let exe = std::env::current_exe().expect("the test binary");
    let children: Vec<_> = (0..WORKERS)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "worker_process",
                    "--exact",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env("RATECELL_LOAD_WORKER", &prefix)
                .env(common::URL_VAR, &url)
                .stdout(Stdio::piped())
                .spawn()
                .expect("a worker process")
        })
        .collect();
    let mut seen = Vec::new();
    for mut child in children {
        let stdout = child.stdout.take().expect("piped");
        seen.extend(
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| parse(&l)),
        );
        assert!(child.wait().expect("a worker").success(), "a worker failed");
    }
    let admitted = |kind: &str| seen.iter().filter(|s| s.kind == kind && s.allowed).count();
    let count = |kind: &str| seen.iter().filter(|s| s.kind == kind).count();
    assert_eq!(count("burst"), WORKERS * 300);
    assert_eq!(admitted("burst"), 100, "a burst of 100 at one instant");
    assert_eq!(admitted("window"), 250, "a window of 250");
    assert_eq!(admitted("credits"), 333, "a budget of 333");

    // Server time: Redis's order is the order of the instants it read, admissions first at
    // one instant (a refusal there refuses everything after it), by decreasing remaining.
    let mut timeline: Vec<&Seen> = seen.iter().filter(|s| s.kind == "steady").collect();
    assert!(
        timeline.len() > 200,
        "only {} steady decisions",
        timeline.len()
    );
    timeline.sort_by_key(|s| (s.now, !s.allowed, std::cmp::Reverse(s.remaining)));
    let policy = steady();
    let mut state = GcraState::default();
    for (i, s) in timeline.iter().enumerate() {
        let d = policy
            .check(&mut state, Nanos::new(s.now), 1)
            .expect("a decision");
        let got = (s.allowed, s.remaining, s.retry_after, s.reset_after);
        let want = (
            d.allowed,
            d.remaining,
            d.retry_after.as_nanos(),
            d.reset_after.as_nanos(),
        );
        assert_eq!(got, want, "decision {i} of {} at {}", timeline.len(), s.now);
    }
    // Over [first, last], GCRA admits at most burst + (last - first) / T.
    let total = timeline.iter().filter(|s| s.allowed).count() as u64;
    let (first, last) = (timeline[0].now, timeline[timeline.len() - 1].now);
    let bound = 20 + (last - first) / 2_500_000;
    eprintln!(
        "{} decisions from {WORKERS} processes on the server's clock: {total} admitted, bound {bound}",
        timeline.len()
    );
    assert!(total <= bound, "{total} admitted, bound {bound}");
    assert!(
        total > 20,
        "the steady rate admitted after the burst: {total}"
    );
}
