//! The Free tier of a published API plan (100 requests per minute, bursts of 120) enforced
//! on simulated traffic with a manual clock. Run with `cargo run --example free_tier`.

use ratecell::http::{HeaderStyle, Policy, RateLimitExceeded, ResponseFields};
use ratecell::{Clock, Decision, Gcra, GcraState, ManualClock, Nanos, Quota};

/// The wall-clock Unix time at which the simulation starts (as in the provider's example
/// response), so `X-RateLimit-Reset` prints as a real timestamp.
const UNIX_START: Nanos = Nanos::from_secs(1_706_284_800);

/// Prints the HTTP response a server would send for `d`: status, header fields, 429 body.
fn print_response(
    quota: &Quota,
    d: Decision,
    now: Nanos,
) -> Result<(), Box<dyn std::error::Error>> {
    let policies = [Policy::from_quota("free", quota, d)?];
    let status = if d.allowed {
        "200 OK"
    } else {
        "429 Too Many Requests"
    };
    println!("  HTTP/1.1 {status}");
    for style in [HeaderStyle::Legacy, HeaderStyle::Ietf] {
        let fields =
            ResponseFields::new(style, &policies).with_unix_now(UNIX_START.saturating_add(now));
        fields.for_each(|name, value| println!("  {name}: {value}"))?;
        if let Some(body) = RateLimitExceeded::from_fields(&fields)
            && style == HeaderStyle::Legacy
        {
            println!("  body: {body}");
        }
    }
    Ok(())
}

/// One API key under one policy, with a line printed per decision.
struct Client {
    gcra: Gcra,
    key: GcraState,
    clock: ManualClock,
    sent: u32,
}

impl Client {
    fn request(&mut self, label: &str) -> Result<Decision, ratecell::Error> {
        self.sent += 1;
        let d = self.gcra.check(&mut self.key, self.clock.now(), 1)?;
        println!(
            "{:>8.3}s  {:>4}  {:<7} {:>9}  {:>11}  {:>11}  {label}",
            self.clock.now().as_secs_f64(),
            self.sent,
            if d.allowed { "allowed" } else { "DENIED" },
            d.remaining,
            d.retry_after.to_string(),
            d.reset_after.to_string(),
        );
        Ok(d)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quota = Quota::parse("100/minute burst 120")?;
    let mut client = Client {
        gcra: Gcra::new(quota),
        key: GcraState::default(),
        clock: ManualClock::new(),
        sent: 0,
    };

    println!("Free tier: {quota} (GCRA, one API key, simulated clock)");
    println!(
        "{:>9}  {:>4}  {:<7} {:>9}  {:>11}  {:>11}",
        "time", "req", "outcome", "remaining", "retry_after", "reset_after"
    );

    // 1. A batch job fires 125 requests, 5 ms apart: the burst allowance absorbs 120 of them
    //    (plus the one that refilled meanwhile).
    let mut last = None;
    let mut shown = 0;
    for _ in 0..125 {
        let d = client.request("batch")?;
        if d.allowed != last.is_none_or(|l: Decision| l.allowed) || (d.remaining == 0 && shown == 0)
        {
            print_response(&quota, d, client.clock.now())?;
            shown += 1;
        }
        last = Some(d);
        client.clock.advance(Nanos::from_millis(5));
    }
    // 2. The client honours the denial: each retry comes exactly after `retry_after`.
    let mut wait = last.map_or(Nanos::ZERO, |d| d.retry_after);
    for _ in 0..4 {
        client.clock.advance(wait);
        let on_time = client.request("retry exactly at retry_after")?;
        assert!(
            on_time.allowed,
            "a client waiting exactly retry_after is admitted"
        );
        client.clock.advance(Nanos::new(1));
        let d = client.request("the next one, 1 ns later: too early")?;
        wait = d.retry_after;
    }
    // 3. Steady traffic at the sustained rate (one request every 600 ms) is never refused.
    for _ in 0..5 {
        client.clock.advance(Nanos::from_millis(600));
        let d = client.request("steady 100/minute")?;
        assert!(
            d.allowed,
            "steady traffic at the sustained rate is never refused"
        );
    }
    // 4. After `reset_after` of silence the key is fresh again: the full burst is back.
    let reset = client
        .gcra
        .peek(&client.key, client.clock.now())
        .reset_after;
    client.clock.advance(reset);
    let d = client.gcra.peek(&client.key, client.clock.now());
    println!(
        "after {reset} idle: {} of {} remaining, fresh: {}",
        d.remaining,
        d.limit,
        client.gcra.is_fresh(&client.key, client.clock.now())
    );
    Ok(())
}
