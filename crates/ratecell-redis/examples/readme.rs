//! The README's "Sharing limits through Redis" example, as a program: the text between the
//! `README` markers is the README's code block, line for line (`tests/readme.rs` checks it and
//! runs it against a real server).
//!
//! `cargo run -p ratecell-redis --example readme [redis://127.0.0.1:6379/]`

use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "redis://127.0.0.1:6379/".to_owned());
    run(&url)?;
    println!("the README example ran against {url}");
    Ok(())
}

/// The example, against the server at `url`.
pub(crate) fn run(url: &str) -> Result<(), Box<dyn Error>> {
    // README begin
    use core::time::Duration;
    use ratecell::{Burst, Gcra, Limiter, Quota};
    use ratecell_redis::sync::RedisStore;
    use ratecell_redis::{FailurePolicy, Options, Share};

    // One store per process: a small connection pool, the key prefix, a 100 ms timeout.
    let store = RedisStore::open(url, Options::default().with_prefix("api"))?;

    // The Free tier, shared by every instance of the service: 100/minute, bursts of 120 over
    // a 10 s window. If Redis cannot answer, each of 4 instances enforces a quarter of it.
    let tier = Burst::new(
        Quota::parse("100/minute burst 120")?,
        Duration::from_secs(10),
    )?;
    let free = store
        .limiter("free", tier)?
        .on_failure(FailurePolicy::Fallback(Share::new(1, 4)?))?;
    let d = free.check("user-42", 1)?; // one round trip, on the Redis server's clock
    assert!(d.allowed);
    assert_eq!((d.limit, d.remaining), (20, 19));

    // A plan limit and an endpoint-group limit, all or nothing, in one round trip.
    let analysis = store.all_of([
        ("plan", Limiter::from(Gcra::new(Quota::per_minute(120)?))),
        ("analysis", Limiter::from(Gcra::new(Quota::per_minute(30)?))),
    ])?;
    for _ in 0..30 {
        assert!(analysis.check("user-42", 1)?.decision.allowed);
    }
    let d = analysis.check("user-42", 1)?;
    assert_eq!(d.refused_by, Some(1)); // the endpoint limit refused; the plan was not charged
    assert!(!d.decision.allowed && d.decision.retry_after.as_nanos() > 0);
    // README end
    Ok(())
}
