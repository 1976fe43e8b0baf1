//! Published API tiers on simulated traffic, one decision per line.
//!
//! - Burst tiers (Free, Pro, Team, Sandbox): a sustained rate per minute and a burst rate
//!   measured over a 10 second window, as one [`Burst`] cell per key.
//! - A Starter plan's overall limit shared by two endpoint groups, each an [`AllOf`].
//! - A WebSocket's messages per second and bytes per second, as one [`AllOf`] charging each
//!   member its own cost.
//! - Concurrent sessions (2 on the Free plan) held as leases that expire if a holder crashes.
//! - API credits running out: a `402` that no wait fixes, distinct from a `429`.
//!
//! Run with `cargo run -p ratecell --example tiers`.

use core::time::Duration;

use ratecell::{
    AllOf, AllOfDecision, Burst, BurstState, Clock, Concurrency, ConcurrencyState, Credits,
    CreditsState, Decision, Gcra, GcraState, ManualClock, Nanos, Quota,
};

fn line(clock: &ManualClock, what: &str, d: &Decision, note: &str) {
    let verdict = if d.allowed { "allowed" } else { "denied " };
    println!(
        "  t={:<9} {what:<18} {verdict} limit={:<5} remaining={:<5} retry_after={:<8} reset_after={:<9} {note}",
        clock.now().to_string(),
        d.limit,
        d.remaining,
        d.retry_after.to_string(),
        d.reset_after.to_string(),
    );
}

fn all_of_line(clock: &ManualClock, what: &str, d: &AllOfDecision, names: &[&str]) {
    let name = |i: usize| names.get(i).copied().unwrap_or("?");
    let note = match d.refused_by {
        Some(i) => format!("refused by {}", name(i)),
        None => format!("tightest: {}", name(d.tightest)),
    };
    line(clock, what, &d.decision, &note);
}

fn burst_tiers() -> Result<(), ratecell::Error> {
    println!("Burst tiers: sustained per minute, burst rate over a 10 s window");
    for (tier, quota) in [
        ("Free", "100/minute burst 120"),
        ("Pro", "1000/minute burst 1200"),
        ("Team", "5000/minute burst 6000"),
        ("Sandbox", "50/minute burst 60"),
    ] {
        let burst = Burst::new(Quota::parse(quota)?, Duration::from_secs(10))?;
        let clock = ManualClock::new();
        let mut key = BurstState::default();
        let half = burst.capacity() / 2;
        println!(
            "{tier} ({quota}): sustained holds {}, peak holds {}",
            burst.sustained().capacity(),
            burst.peak().capacity()
        );

        let d = burst.check(&mut key, clock.now(), half)?;
        line(&clock, &format!("batch of {half}"), &d, "");
        let rest = burst.capacity() - half;
        let d = burst.check(&mut key, clock.now(), rest)?;
        line(
            &clock,
            &format!("batch of {rest}"),
            &d,
            "the peak bucket is empty",
        );
        let d = burst.check(&mut key, clock.now(), 1)?;
        line(&clock, "1 request", &d, "one peak interval to wait");
        clock.advance(d.retry_after);
        let d = burst.check(&mut key, clock.now(), 1)?;
        line(&clock, "1 request", &d, "admitted at exactly retry_after");
        clock.advance(Nanos::from_secs(10));
        line(&clock, "peek", &burst.peek(&key, clock.now()), "");

        // A client that keeps to the burst rate until the sustained bucket runs dry.
        let every = Nanos::new(burst.period().as_nanos() as u64 / burst.burst());
        let from = clock.now();
        let mut admitted = 0_u64;
        let refused = loop {
            clock.advance(every);
            let d = burst.check(&mut key, clock.now(), 1)?;
            if !d.allowed {
                break d;
            }
            admitted += 1;
        };
        println!(
            "  ... {admitted} requests admitted at one per {every} from t={from} to t={}",
            clock.now().saturating_sub(every)
        );
        line(
            &clock,
            "1 request",
            &refused,
            "the sustained bucket is empty",
        );
        clock.advance(refused.retry_after);
        let d = burst.check(&mut key, clock.now(), 1)?;
        line(&clock, "1 request", &d, "back to the sustained rate");
    }
    Ok(())
}

fn plan_and_endpoints() -> Result<(), ratecell::Error> {
    println!();
    println!("Starter plan: 120/minute overall; Analysis 30/minute, Sessions (read) 120/minute");
    let plan = Gcra::new(Quota::per_minute(120)?);
    let analysis = AllOf::new((plan, Gcra::new(Quota::per_minute(30)?)));
    let sessions = AllOf::new((plan, Gcra::new(Quota::per_minute(120)?)));
    let names = ["plan", "endpoint"];
    let clock = ManualClock::new();
    // One plan state for the key, shared by both endpoint groups.
    let (mut plan_key, mut analysis_key, mut sessions_key) =
        <(GcraState, GcraState, GcraState)>::default();

    for i in 1..=31 {
        let d = analysis.check_split((&mut plan_key, &mut analysis_key), clock.now(), [1, 1])?;
        if i == 1 || i >= 30 {
            all_of_line(&clock, &format!("analysis #{i}"), &d, &names);
        } else if i == 2 {
            println!("  ... analysis #2 to #29 admitted");
        }
    }
    for i in 1..=91 {
        let d = sessions.check_split((&mut plan_key, &mut sessions_key), clock.now(), [1, 1])?;
        if i == 1 || i >= 90 {
            all_of_line(&clock, &format!("sessions #{i}"), &d, &names);
        } else if i == 2 {
            println!("  ... sessions #2 to #89 admitted");
        }
    }
    clock.advance(Nanos::from_secs(2));
    let d = analysis.check_split((&mut plan_key, &mut analysis_key), clock.now(), [1, 1])?;
    all_of_line(&clock, "analysis #32", &d, &names);
    let d = sessions.check_split((&mut plan_key, &mut sessions_key), clock.now(), [1, 1])?;
    all_of_line(&clock, "sessions #92", &d, &names);
    Ok(())
}

fn websocket() -> Result<(), ratecell::Error> {
    println!();
    println!("Starter WebSocket: 500 messages/second and 64 KB/second");
    let socket = AllOf::new((
        Gcra::new(Quota::per_second(500)?),
        Gcra::new(Quota::per_second(64_000)?),
    ));
    let names = ["messages", "bytes"];
    let clock = ManualClock::new();
    let mut key = <(GcraState, GcraState)>::default();

    let audio = 16_000;
    for i in 1..=5 {
        let d = socket.check_costs(&mut key, clock.now(), [1, audio])?;
        all_of_line(&clock, &format!("audio 16 KB #{i}"), &d, &names);
        if !d.decision.allowed {
            clock.advance(d.decision.retry_after);
            let d = socket.check_costs(&mut key, clock.now(), [1, audio])?;
            all_of_line(&clock, &format!("audio 16 KB #{i}"), &d, &names);
        }
    }
    clock.set(Nanos::from_millis(1_250));
    let mut admitted = 0;
    let refused = loop {
        let d = socket.check_costs(&mut key, clock.now(), [1, 20])?;
        if !d.decision.allowed {
            break d;
        }
        admitted += 1;
    };
    println!(
        "  ... {admitted} text messages of 20 bytes admitted at t={}",
        clock.now()
    );
    all_of_line(&clock, "text 20 B", &refused, &names);
    Ok(())
}

fn sessions() -> Result<(), ratecell::Error> {
    println!();
    println!("Free plan: 2 concurrent sessions, leases expire after 30 s unless renewed");
    let cap = Concurrency::<2>::new(2, Duration::from_secs(30))?;
    let mut key = ConcurrencyState::default();
    let clock = ManualClock::new();
    let (d, first) = cap.acquire(&mut key, clock.now());
    line(&clock, "open session 1", &d, "");
    let (d, _crashed) = cap.acquire(&mut key, clock.now());
    line(&clock, "open session 2", &d, "its holder will crash");
    let (d, _) = cap.acquire(&mut key, clock.now());
    line(&clock, "open session 3", &d, "both slots are taken");
    clock.advance(Nanos::from_secs(10));
    if let Some(first) = first {
        let released = cap.release(&mut key, first, clock.now());
        let (d, _) = cap.acquire(&mut key, clock.now());
        line(
            &clock,
            "open session 3",
            &d,
            &format!("session 1 released: {released}"),
        );
        let again = cap.release(&mut key, first, clock.now());
        println!("  releasing session 1 twice frees nothing: {again}");
    }
    clock.advance(Nanos::from_secs(20));
    let (d, _) = cap.acquire(&mut key, clock.now());
    line(
        &clock,
        "open session 4",
        &d,
        "the crashed holder's lease expired",
    );
    Ok(())
}

fn credits() -> Result<(), ratecell::Error> {
    println!();
    println!("API credits: 1,000 granted, analyses cost 200 each (402 when they run out)");
    let budget = Credits::new(1_000);
    let mut key = CreditsState::default();
    let clock = ManualClock::new();
    for i in 1..=6 {
        let d = budget.check(&mut key, clock.now(), 200)?;
        let note = if d.allowed {
            format!(
                "X-API-Credits-Remaining: {}, X-API-Credits-Used: {}",
                budget.remaining(&key),
                budget.used(&key)
            )
        } else {
            "402 insufficient_api_credits: no Retry-After, waiting never helps".to_owned()
        };
        line(&clock, &format!("analysis #{i}"), &d, &note);
        clock.advance(Nanos::from_secs(3_600));
    }
    budget.top_up(&mut key, 400)?;
    let d = budget.check(&mut key, clock.now(), 200)?;
    line(&clock, "after a top-up", &d, "");
    Ok(())
}

fn main() -> Result<(), ratecell::Error> {
    burst_tiers()?;
    plan_and_endpoints()?;
    websocket()?;
    sessions()?;
    credits()
}
