//! The fast paths of `redis/scripts/fast.lua` against the prelude's exact arithmetic.
//!
//! The `gcra`, `token_bucket`, `burst`, `credits`, `concurrency`, `all_of`, `fixed_window`,
//! `sliding_window` and `sliding_log` scripts decide the common calls in plain doubles before the prelude is
//! defined; the other side is the `all_of` script without `fast.lua`, which decides every
//! algorithm through the prelude's exact naturals ([`exact`]). Both sides get the
//! same calls on twin keys and must reply alike, store the same state and give their keys the
//! same life. Quotas, costs and instants straddle every condition of the fast paths (a limit
//! that divides the period, a tolerance, a period or limit * period below 2^52, instants of 19
//! digits and more), so calls on both sides of each condition are compared.

#[macro_use]
mod common;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use proptest::prelude::*;
use ratecell_redis::Script;

/// `(limit, period_ns, burst)`: whole-nanosecond intervals (fast), a tolerance at 2^52 ns
/// (not fast), intervals in fractions of a nanosecond (not fast).
const QUOTAS: [(u64, u64, u64); 9] = [
    (100, 60_000_000_000, 120),
    (5, 1_000_000_000, 3),
    (1, 1, 1),
    (1, 86_400_000_000_000, 2),
    (3, 3 * 1_125_899_906_842_624, 4), // tolerance 4 * 2^50 = 2^52: the first not fast
    (3, 3 * 1_125_899_906_842_623, 4), // tolerance just below 2^52
    (7, 60_000_000_000, 7),            // 7 does not divide the period
    (1_000, 999_999_999_999_999, 10),  // 15 digits, not divisible
    (4, 4_000_000_000_000_000, 1),     // 16 digits: past the arguments the fast path reads
];

/// Where a case's clock starts: the origin, today since 2024, 2^53 ns, the last 19-digit
/// instant, the first 20-digit one (not fast), near the end of u64.
const STARTS: [u64; 6] = [
    0,
    91_463_113_553_263_000,
    1 << 53,
    9_999_999_999_999_990_000,
    10_000_000_000_000_000_000,
    u64::MAX - 5_000_000_000,
];

fn call(con: &mut redis::Connection, script: Script, key: &str, args: &[&str]) -> Vec<String> {
    let reply = common::call(con, script, &[key], args).expect("the script answers");
    common::texts(&reply)
}

/// What a call left: its reply, the key's fields and its life in ms (-2 absent, -1 forever).
type Outcome = (Vec<String>, Vec<(String, String)>, i64);

/// A key's sorted fields and its life in ms.
type KeyState = (Vec<(String, String)>, i64);

/// `script` run as a function inside a script of the test's own, which then reads what the key
/// holds and makes it persist. Redis's clock stands still while a script runs, so a key given a
/// life of a millisecond is read before it can expire, and it cannot expire between the steps
/// of a case either (which would make the two sides' next decisions differ for a reason that
/// is not theirs). Between two commands of a transaction the clock moves on: reading the key
/// in a `MULTI` after the script lost such keys about once in ten thousand calls. A script
/// that fails (invalid parameters) replies `["error", message]` here, so both sides' errors
/// are compared like replies.
fn observed(source: &'static str) -> &'static str {
    static SOURCES: OnceLock<Mutex<HashMap<usize, &'static str>>> = OnceLock::new();
    let mut sources = SOURCES
        .get_or_init(Mutex::default)
        .lock()
        .expect("the sources");
    sources.entry(source.as_ptr() as usize).or_insert_with(|| {
        let source = format!(
            "local function decide()\n{source}\nend\n\
             local ok, reply = pcall(decide)\n\
             if not ok then reply = {{'error', type(reply) == 'table' and reply.err or tostring(reply)}} end\n\
             local fields, lives = {{}}, {{}}\n\
             for i, key in ipairs(KEYS) do\n\
               fields[i] = redis.call('HGETALL', key)\n\
               lives[i] = redis.call('PTTL', key)\n\
             end\n\
             for _, key in ipairs(KEYS) do redis.call('PERSIST', key) end\n\
             return {{reply, fields, lives}}\n"
        );
        Box::leak(source.into_boxed_str())
    })
}

/// `script` composed without `fast.lua`: it decides through the prelude's exact naturals. The
/// other side of every comparison here is the `all_of` script so composed (it decides every
/// algorithm but concurrency), or the concurrency script for leases.
fn exact(script: Script) -> &'static str {
    static EXACT: OnceLock<Mutex<HashMap<&'static str, &'static str>>> = OnceLock::new();
    let mut sources = EXACT
        .get_or_init(Mutex::default)
        .lock()
        .expect("the sources");
    sources.entry(script.sha1()).or_insert_with(|| {
        let mut source = String::new();
        for (name, text) in script.files() {
            if *name != "fast.lua" {
                source.push_str(text);
                source.push('\n');
            }
        }
        Box::leak(source.into_boxed_str())
    })
}

/// The exact side of most comparisons: [`exact`] of the `all_of` script.
fn exact_source() -> &'static str {
    exact(Script::AllOf)
}

/// Calls `script` and reads what the key holds, in one script (see [`observed`]).
fn decide(con: &mut redis::Connection, source: &'static str, key: &str, args: &[&str]) -> Outcome {
    let (reply, mut states) = decide_keys(con, source, &[key], args);
    let (fields, life) = states.pop().expect("one key");
    (reply, fields, life)
}

/// [`decide`] with several keys (an `all_of`): the reply, then each key's fields and life.
fn decide_keys(
    con: &mut redis::Connection,
    source: &'static str,
    keys: &[&str],
    args: &[&str],
) -> (Vec<String>, Vec<KeyState>) {
    let (reply, flats, lives): (redis::Value, Vec<Vec<String>>, Vec<i64>) =
        redis::Script::new(observed(source))
            .key(keys)
            .arg(args)
            .invoke(con)
            .expect("the script runs");
    let states = flats
        .iter()
        .zip(lives)
        .map(|(flat, life)| {
            let mut fields: Vec<(String, String)> = flat
                .chunks(2)
                .map(|pair| (pair[0].clone(), pair[1].clone()))
                .collect();
            fields.sort();
            (fields, life)
        })
        .collect();
    (common::texts(&reply), states)
}

/// Sends `args` to a script with a fast path on one key and to the exact prelude on its twin,
/// and requires the same reply, the same stored state and the same key life of both. Returns
/// the reply.
fn twins(
    con: &mut redis::Connection,
    (fast_source, fast): (&'static str, &str),
    (exact_source, exact): (&'static str, &str),
    args: &[&str],
) -> Result<Vec<String>, TestCaseError> {
    let (a, sa, la) = decide(con, fast_source, fast, args);
    let (b, sb, lb) = decide(con, exact_source, exact, args);
    prop_assert_eq!(&a, &b, "replies for {:?}", args);
    prop_assert_eq!(sa, sb, "stored state after {:?}", args);
    prop_assert!(
        same_life(la, lb),
        "key life {} against {} after {:?}",
        la,
        lb,
        args
    );
    Ok(a)
}

/// The next instant of a case against a rate of one request per `interval` ns with room for
/// `burst`: the same instant, a little later, within two intervals, a step back, within the
/// burst, or up to a second later, as `how` picks.
fn rate_step(now: u64, how: u8, x: u64, interval: u64, burst: u64) -> u64 {
    match how % 6 {
        0 => now,
        1 => now.saturating_add(x % 1_000),
        2 => now.saturating_add(x % interval.max(1).saturating_mul(2)),
        3 => now.saturating_sub(x % interval.max(1)), // the clock steps back
        4 => now.saturating_add(x % (burst.saturating_mul(interval).saturating_add(2))),
        _ => now.saturating_add(x % 1_000_000_000),
    }
}

fn same_life(a: i64, b: i64) -> bool {
    // The two transactions are a few milliseconds apart at most; -1 and -2 are exact.
    if a < 0 || b < 0 {
        return a == b;
    }
    a.abs_diff(b) <= 50
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_gcra_fast_path_decides_stores_and_expires_as_the_exact_prelude(
        quota in 0..QUOTAS.len(),
        start in 0..STARTS.len(),
        floor in prop::sample::select(vec!["", "0", "1", "600000"]),
        steps in prop::collection::vec((any::<u8>(), any::<u64>(), 0_u64..6), 1..24),
    ) {
        let Some(url) = common::url() else { return Ok(()) };
        let mut con = common::connection(&url);
        let (limit, period, burst) = QUOTAS[quota];
        let prefix = common::prefix("fast-path");
        let (fast, exact) = (format!("{prefix}:fast"), format!("{prefix}:exact"));
        let mut now = STARTS[start];
        for (how, x, cost) in steps {
            now = rate_step(now, how, x, period / limit, burst);
            let cost = cost.min(burst + 1); // one past the burst: an error both ways
            let (now_s, limit_s, period_s, burst_s, cost_s) = (
                now.to_string(),
                limit.to_string(),
                period.to_string(),
                burst.to_string(),
                cost.to_string(),
            );
            let args = [
                "check", &now_s, "", floor, "gcra", &limit_s, &period_s, &burst_s, &cost_s,
            ];
            twins(&mut con, (Script::Gcra.source(), &fast), (exact_source(), &exact), &args)?;
        }
    }
}

/// Burst tiers: `(limit, period_ns, burst, burst_window_ns)`. The published tiers (whole
/// nanosecond buckets: fast), a burst that does not divide the period and a sustained rate
/// that does not (not fast), a window too short to hold one request (an error both ways),
/// and burst * window at 2^52 (the first not fast).
const TIERS: [(u64, u64, u64, u64); 8] = [
    (100, 60_000_000_000, 120, 10_000_000_000),
    (1_000, 60_000_000_000, 1_200, 10_000_000_000),
    (50, 60_000_000_000, 60, 10_000_000_000),
    (3, 1_000, 5, 400),
    (100, 60_000_000_000, 7, 60_000_000_000),
    (7, 60_000_000_000, 10, 10_000_000_000),
    (100, 60_000_000_000, 120, 1),
    (4, 4_096, 1_024, 4_398_046_511_104),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_burst_fast_path_decides_stores_and_expires_as_the_exact_prelude(
        tier in 0..TIERS.len(),
        start in 0..STARTS.len(),
        floor in prop::sample::select(vec!["", "0", "1", "600000"]),
        steps in prop::collection::vec((any::<u8>(), any::<u64>(), 0_u64..30), 1..32),
    ) {
        let Some(url) = common::url() else { return Ok(()) };
        let mut con = common::connection(&url);
        let (limit, period, burst, window) = TIERS[tier];
        let prefix = common::prefix("fast-path-burst");
        let (fast, exact) = (format!("{prefix}:fast"), format!("{prefix}:exact"));
        let mut now = STARTS[start];
        let peak = period / burst;
        for (how, x, cost) in steps {
            now = match how % 6 {
                0 => now,
                1 => now.saturating_add(x % 1_000),
                2 => now.saturating_add(x % peak.max(1).saturating_mul(2)),
                3 => now.saturating_sub(x % peak.max(1)), // the clock steps back
                4 => now.saturating_add(x % window.max(1)),
                _ => now.saturating_add(x % period.max(1)),
            };
            let strings = [
                now.to_string(),
                limit.to_string(),
                period.to_string(),
                burst.to_string(),
                window.to_string(),
                cost.to_string(),
            ];
            let [now_s, limit_s, period_s, burst_s, window_s, cost_s] = &strings;
            let args = [
                "check", now_s, "", floor, "burst", limit_s, period_s, burst_s, window_s, cost_s,
            ];
            twins(&mut con, (Script::Burst.source(), &fast), (exact_source(), &exact), &args)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_token_bucket_fast_path_decides_stores_and_expires_as_the_exact_prelude(
        quota in 0..QUOTAS.len(),
        start in 0..STARTS.len(),
        starts_empty in any::<bool>(),
        floor in prop::sample::select(vec!["", "0", "600000"]),
        steps in prop::collection::vec((any::<u8>(), any::<u64>(), 0_u64..6), 1..24),
    ) {
        let Some(url) = common::url() else { return Ok(()) };
        let mut con = common::connection(&url);
        let (limit, period, burst) = QUOTAS[quota];
        let prefix = common::prefix("fast-path-bucket");
        let (fast, exact) = (format!("{prefix}:fast"), format!("{prefix}:exact"));
        let mut now = STARTS[start];
        let interval = period / limit;
        let empty = if starts_empty { "1" } else { "0" };
        for (how, x, cost) in steps {
            now = rate_step(now, how, x, interval, burst);
            let cost = cost.min(burst + 1); // one past the burst: an error both ways
            // Reservations (exact on both sides) move `latest` ahead and count serials.
            let reserve = how % 7 == 6;
            let strings = [
                now.to_string(),
                limit.to_string(),
                period.to_string(),
                burst.to_string(),
                cost.to_string(),
                (x % interval.saturating_mul(4).max(1)).to_string(),
            ];
            let [now_s, limit_s, period_s, burst_s, cost_s, wait_s] = &strings;
            let mut args = vec![
                if reserve { "reserve" } else { "check" },
                now_s, "", floor, "token_bucket", limit_s, period_s, burst_s, empty, cost_s,
            ];
            if reserve {
                args.push(wait_s);
            }
            twins(&mut con, (Script::TokenBucket.source(), &fast), (exact_source(), &exact), &args)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A plan limit and endpoint-group limits checked as one: two or three GCRA members, each
    /// on its own key (sometimes the same key twice), with quotas on both sides of the fast
    /// conditions and costs past a member's capacity.
    #[test]
    fn the_all_of_fast_path_decides_stores_and_expires_as_the_exact_prelude(
        members in prop::collection::vec(0..QUOTAS.len(), 1..4),
        shared in any::<bool>(),
        start in 0..STARTS.len(),
        floor in prop::sample::select(vec!["", "0", "600000"]),
        steps in prop::collection::vec((any::<u8>(), any::<u64>(), prop::collection::vec(0_u64..8, 3)), 1..20),
    ) {
        let Some(url) = common::url() else { return Ok(()) };
        let mut con = common::connection(&url);
        let prefix = common::prefix("fast-path-all-of");
        // Keys of one hash slot, as the clients name them; with `shared`, the last member
        // reuses the first member's key.
        let names = |side: &str| -> Vec<String> {
            (0..members.len())
                .map(|i| {
                    let i = if shared && i + 1 == members.len() && i > 0 { 0 } else { i };
                    format!("{{{prefix}}}:{side}:{i}")
                })
                .collect()
        };
        let (fast, exact) = (names("fast"), names("exact"));
        let (fast, exact): (Vec<&str>, Vec<&str>) =
            (fast.iter().map(String::as_str).collect(), exact.iter().map(String::as_str).collect());
        let mut now = STARTS[start];
        for (how, x, costs) in steps {
            now = match how % 4 {
                0 => now,
                1 => now.saturating_add(x % 1_000_000_000),
                2 => now.saturating_sub(x % 1_000_000_000), // the clock steps back
                _ => now.saturating_add(x % 100_000_000_000),
            };
            let mut strings = vec![now.to_string(), members.len().to_string()];
            for (&m, &cost) in members.iter().zip(&costs) {
                let (limit, period, burst) = QUOTAS[m];
                strings.extend([
                    limit.to_string(),
                    period.to_string(),
                    burst.to_string(),
                    cost.min(burst + 1).to_string(),
                ]);
            }
            let mut args = vec!["check", &strings[0], "", floor, "all_of", &strings[1]];
            for member in strings[2..].chunks(4) {
                args.push("gcra");
                args.extend(member.iter().map(String::as_str));
            }
            let (a, sa) = decide_keys(&mut con, Script::AllOf.source(), &fast, &args);
            let (b, sb) = decide_keys(&mut con, exact_source(), &exact, &args);
            prop_assert_eq!(&a, &b, "replies at {} for {:?}", now, args);
            for ((fields_a, life_a), (fields_b, life_b)) in sa.into_iter().zip(sb) {
                prop_assert_eq!(fields_a, fields_b, "a member's state at {}", now);
                prop_assert!(same_life(life_a, life_b), "key life {} against {} at {}", life_a, life_b, now);
            }
        }
    }
}

/// Concurrency caps `(limit, ttl_ns)`: one session, the published caps, a ttl of 1 ns, and
/// ttls on both sides of 2^52 ns (the first not fast).
const CAPS: [(u64, u64); 6] = [
    (1, 30_000_000_000),
    (2, 30_000_000_000),
    (50, 1_000_000_000),
    (3, 1),
    (2, 4_503_599_627_370_495),
    (2, 4_503_599_627_370_496),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Sessions opened, renewed, closed (also twice, and after they expired) and checked, with time
    /// moving by less and more than a lease's life and stepping back.
    #[test]
    fn the_concurrency_fast_path_decides_stores_and_expires_as_the_exact_prelude(
        cap in 0..CAPS.len(),
        start in 0..STARTS.len(),
        floor in prop::sample::select(vec!["", "0", "600000"]),
        steps in prop::collection::vec((any::<u8>(), any::<u64>(), 0_u64..4), 1..32),
    ) {
        let Some(url) = common::url() else { return Ok(()) };
        let mut con = common::connection(&url);
        let (limit, ttl) = CAPS[cap];
        let prefix = common::prefix("fast-path-leases");
        let (fast, exact_key) = (format!("{prefix}:fast"), format!("{prefix}:exact"));
        let mut now = STARTS[start];
        let mut leases: Vec<(String, String)> = Vec::new();
        for (how, x, cost) in steps {
            now = match how % 5 {
                0 => now,
                1 => now.saturating_add(x % ttl.saturating_mul(2).max(1)),
                2 => now.saturating_sub(x % ttl.max(1)), // the clock steps back
                3 => now.saturating_add(x % 1_000),
                _ => now.saturating_add(ttl),
            };
            let strings = [now.to_string(), limit.to_string(), ttl.to_string(), cost.min(limit + 1).to_string()];
            let [now_s, limit_s, ttl_s, cost_s] = &strings;
            let mut args = vec!["", now_s, "", floor, "concurrency", limit_s, ttl_s];
            let lease;
            match (how / 5) % 4 {
                0 => args[0] = "acquire",
                op @ (1 | 2) if !leases.is_empty() => {
                    args[0] = if op == 1 { "release" } else { "renew" };
                    lease = leases[usize::try_from(x).unwrap_or(0) % leases.len()].clone();
                    args.extend([lease.0.as_str(), lease.1.as_str()]);
                }
                _ => {
                    args[0] = "check";
                    args.push(cost_s);
                }
            }
            let a = twins(&mut con, (Script::Concurrency.source(), &fast), (exact(Script::Concurrency), &exact_key), &args)?;
            if args[0] == "acquire" && a.get(7).is_some_and(|g| g == "1") {
                leases.push((a[8].clone(), a[9].clone()));
            }
        }
    }
}

/// Credit budgets: none, small, the published grants, and 15 digits (the last fast) and 16.
const BUDGETS: [u64; 6] = [
    0,
    3,
    1_000,
    100_000,
    999_999_999_999_999,
    1_000_000_000_000_000,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_credits_fast_path_decides_stores_and_expires_as_the_exact_prelude(
        budget in 0..BUDGETS.len(),
        floor in prop::sample::select(vec!["", "0", "600000"]),
        steps in prop::collection::vec((any::<u8>(), any::<u64>()), 1..24),
    ) {
        let Some(url) = common::url() else { return Ok(()) };
        let mut con = common::connection(&url);
        let budget = BUDGETS[budget];
        let prefix = common::prefix("fast-path-credits");
        let (fast, exact) = (format!("{prefix}:fast"), format!("{prefix}:exact"));
        for (i, (how, x)) in steps.into_iter().enumerate() {
            // Spend a little, a lot, all at once, more than there is; or top up (exact on
            // both sides) so that `added` is stored too.
            let amount = match how % 5 {
                0 => x % 4,
                1 => x % budget.max(1).saturating_add(2),
                2 => budget,
                3 => x % 10_000_000_000_000_000,
                _ => x % 1_000,
            };
            let op = if how % 7 == 6 { "top_up" } else { "check" };
            let strings = [(i as u64).to_string(), budget.to_string(), amount.to_string()];
            let [now_s, budget_s, amount_s] = &strings;
            let args = ["check", now_s, "", floor, "credits", budget_s, amount_s];
            let args = if op == "top_up" { [&["top_up"], &args[1..]].concat() } else { args.to_vec() };
            twins(&mut con, (Script::Credits.source(), &fast), (exact_source(), &exact), &args)?;
        }
    }
}

/// Windows: `(limit, period_ns)`, periods on both sides of 2^43 ns (where the fast paths
/// change how they reduce instants) and of 2^52 ns (where the fixed window's stops), and
/// limit * period on both sides of 2^52 (where the sliding window's stops).
const WINDOWS: [(u64, u64); 11] = [
    (100, 60_000_000_000),
    (3, 1_000_000_000),
    (1, 1),
    (5, 8_796_093_022_207),
    (5, 8_796_093_022_208),
    (2, 86_400_000_000_000),
    (7, 4_503_599_627_370_495),
    (7, 4_503_599_627_370_496),
    (4, 1_125_899_906_842_623),
    (4, 1_125_899_906_842_624),
    (1_000, 3_600_000_000_000),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn the_window_fast_paths_decide_store_and_expire_as_the_exact_prelude(
        kind in 0_u8..3,
        entries in prop::sample::select(vec!["1", "3", "64"]),
        window in 0..WINDOWS.len(),
        start in 0..STARTS.len(),
        floor in prop::sample::select(vec!["", "0", "1", "600000"]),
        steps in prop::collection::vec((any::<u8>(), any::<u64>(), 0_u64..4), 1..24),
    ) {
        let Some(url) = common::url() else { return Ok(()) };
        let mut con = common::connection(&url);
        let (limit, period) = WINDOWS[window];
        let prefix = common::prefix("fast-path-window");
        let (fast, exact) = (format!("{prefix}:fast"), format!("{prefix}:exact"));
        let mut now = STARTS[start];
        for (how, x, cost) in steps {
            now = match how % 5 {
                0 => now,
                1 => now.saturating_add(x % 1_000),
                2 => now.saturating_add(x % period.saturating_mul(2).max(1)),
                3 => now.saturating_sub(x % period.saturating_mul(2).max(1)), // steps back
                _ => now.saturating_add(x % 10_000_000_000),
            };
            let cost = cost.min(limit + 1); // one past the limit: an error both ways
            let (now_s, limit_s, period_s, cost_s) =
                (now.to_string(), limit.to_string(), period.to_string(), cost.to_string());
            let (algorithm, script) = match kind {
                0 => ("fixed_window", Script::FixedWindow),
                1 => ("sliding_window", Script::SlidingWindow),
                _ => ("sliding_log", Script::SlidingLog),
            };
            let mut args = vec!["check", &now_s, "", floor, algorithm, &limit_s, &period_s];
            if kind == 2 {
                args.push(entries); // the log's capacity
            }
            args.push(&cost_s);
            twins(&mut con, (script.source(), &fast), (exact_source(), &exact), &args)?;
        }
    }
}

/// Server time from an epoch still to come counts as instant 0 on both paths; an epoch in the
/// past gives both the same kind of answer from the server's clock.
#[test]
fn server_time_is_read_alike() {
    let url = server_or_skip!();
    let mut con = common::connection(&url);
    let prefix = common::prefix("fast-path-server-time");
    let (fast, exact) = (format!("{prefix}:fast"), format!("{prefix}:exact"));
    let future = [
        "check",
        "",
        "99999999999",
        "0",
        "gcra",
        "100",
        "60000000000",
        "120",
        "1",
    ];
    for _ in 0..3 {
        let a = call(&mut con, Script::Gcra, &fast, &future);
        let b = decide(&mut con, exact_source(), &exact, &future).0;
        assert_eq!(a, b);
        assert_eq!(a[1], "0", "an epoch to come counts as instant 0");
    }
    let today = [
        "check",
        "",
        "",
        "0",
        "gcra",
        "100",
        "60000000000",
        "120",
        "1",
    ];
    let a = call(&mut con, Script::Gcra, &format!("{fast}-today"), &today);
    let b = decide(&mut con, exact_source(), &format!("{exact}-today"), &today).0;
    assert_eq!(a[0], "ok");
    assert_eq!(a[2..], b[2..], "the same decision on a fresh key");
    let (ta, tb): (u64, u64) = (a[1].parse().expect("ns"), b[1].parse().expect("ns"));
    assert!(ta > 90_000_000_000_000_000, "counted from 2024: {ta}");
    assert!(tb >= ta && tb - ta < 5_000_000_000, "{ta} then {tb}");
}

/// (algorithm, script, parameters, [(instant, cost)], the last reply's `retry_after`)
type Crafted<'a> = (&'a str, Script, &'a [&'a str], &'a [(u64, u64)], &'a str);

/// Crafted sequences where the answer depends on which entry of a log leaves first, on the
/// log's capacity, and on windows rolling over: both sides must agree, and the fast side must
/// give the waits worked out here by hand.
#[test]
fn crafted_sequences_decide_alike() {
    let Some(url) = common::url() else { return };
    let mut con = common::connection(&url);
    let ms = 1_000_000_u64;
    let cases: [Crafted<'_>; 4] = [
        // Three requests 100 ms apart fill 3/second; the fourth waits for the first to leave.
        (
            "sliding_log",
            Script::SlidingLog,
            &["3", "1000000000", "64"],
            &[(0, 1), (100 * ms, 1), (200 * ms, 1), (300 * ms, 1)],
            "700000000",
        ),
        // A log of two entries is full before its limit of 10: room, not cost, refuses.
        (
            "sliding_log",
            Script::SlidingLog,
            &["10", "1000000000", "2"],
            &[(0, 1), (400 * ms, 1), (500 * ms, 1)],
            "500000000",
        ),
        // A fixed window of 2 per second, full; the next window starts at 1 s.
        (
            "fixed_window",
            Script::FixedWindow,
            &["2", "1000000000"],
            &[(1_700 * ms, 1), (1_800 * ms, 1), (1_900 * ms, 1)],
            "100000000",
        ),
        // The sliding counter: 4 in the previous window weigh 4 * 0.5 at mid-window.
        (
            "sliding_window",
            Script::SlidingWindow,
            &["4", "1000000000"],
            &[(0, 4), (1_500 * ms, 2), (1_500 * ms, 1)],
            "250000000",
        ),
    ];
    for (n, (algorithm, script, params, steps, wait)) in cases.into_iter().enumerate() {
        let prefix = common::prefix("fast-path-crafted");
        let (fast, exact) = (format!("{prefix}:{n}:fast"), format!("{prefix}:{n}:exact"));
        let mut last = Vec::new();
        for &(at, cost) in steps {
            let (at, cost) = (at.to_string(), cost.to_string());
            let mut args = vec!["check", &at, "", "600000", algorithm];
            args.extend_from_slice(params);
            args.push(&cost);
            let (a, sa, _) = decide(&mut con, script.source(), &fast, &args);
            let (b, sb, _) = decide(&mut con, exact_source(), &exact, &args);
            assert_eq!(a, b, "{algorithm} at {at}");
            assert_eq!(sa, sb, "{algorithm} state at {at}");
            last = a;
        }
        assert_eq!(last[2], "0", "{algorithm}: the last request is refused");
        assert_eq!(last[5], wait, "{algorithm}: the wait");
    }
}

/// An `all_of` case: its members as (limit, burst) per second, then the second call's
/// `refused_by` and `tightest`.
type Tie<'a> = (&'a [(&'a str, &'a str)], i64, i64);

/// An `all_of`'s ties and double refusals, worked out by hand: `refused_by` is the refusing
/// member with the longest wait (the lowest index among equals), `tightest` the member with
/// the fewest remaining (the lowest index among equals).
#[test]
fn all_of_ties_and_double_refusals_decide_alike() {
    let Some(url) = common::url() else { return };
    let mut con = common::connection(&url);
    let second = "1000000000";
    let cases: [Tie<'_>; 4] = [
        (&[("1", "1"), ("5", "1")], 0, 0),  // waits 1 s and 200 ms
        (&[("5", "1"), ("1", "1")], 1, 0),  // waits 200 ms and 1 s
        (&[("1", "1"), ("1", "1")], 0, 0),  // equal waits
        (&[("2", "3"), ("2", "3")], -1, 0), // both admit, equal remaining
    ];
    for (n, (members, refused_by, tightest)) in cases.into_iter().enumerate() {
        let prefix = common::prefix("fast-path-all-of-ties");
        let keys = |side: &str| -> Vec<String> {
            (0..members.len())
                .map(|i| format!("{{{prefix}}}:{side}:{n}:{i}"))
                .collect()
        };
        let (fast, exact) = (keys("fast"), keys("exact"));
        let fast: Vec<&str> = fast.iter().map(String::as_str).collect();
        let exact: Vec<&str> = exact.iter().map(String::as_str).collect();
        let count = members.len().to_string();
        let mut args = vec!["check", "0", "", "600000", "all_of", &count];
        for (limit, burst) in members {
            args.extend(["gcra", limit, second, burst, "1"]);
        }
        let mut last = Vec::new();
        for _ in 0..2 {
            let (a, sa) = decide_keys(&mut con, Script::AllOf.source(), &fast, &args);
            let (b, sb) = decide_keys(&mut con, exact_source(), &exact, &args);
            assert_eq!(a, b, "case {n}");
            let strip =
                |s: Vec<KeyState>| -> Vec<_> { s.into_iter().map(|(fields, _)| fields).collect() };
            assert_eq!(strip(sa), strip(sb), "case {n}: stored states");
            last = a;
        }
        assert_eq!(last[7], refused_by.to_string(), "case {n}: refused_by");
        assert_eq!(last[8], tightest.to_string(), "case {n}: tightest");
    }
}
