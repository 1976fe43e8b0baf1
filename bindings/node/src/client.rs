//! The client side: capped exponential backoff with jitter, the retry policy and the pacer,
//! from the core's `client` module. Randomness is a seeded `SplitMix64`, so a seed makes every
//! wait reproducible.

use napi::Env;
use napi::bindgen_prelude::BigInt;
use napi_derive::napi;
use ratecell::Nanos;
use ratecell::client::{
    Backoff as CoreBackoff, BackoffState, GiveUpReason, Jitter, Outcome, Pacer, RetryDecision,
    RetryPolicy, RetryState, SplitMix64,
};

use crate::error::{JsError, OrThrow};
use crate::http::{RateLimitInfoOutput, info_input};
use crate::time::{from_ms, ms};

fn jitter(name: &str) -> Result<Jitter, JsError> {
    match name {
        "none" => Ok(Jitter::None),
        "full" => Ok(Jitter::Full),
        "equal" => Ok(Jitter::Equal),
        "decorrelated" => Ok(Jitter::Decorrelated),
        other => Err(JsError::value(format!(
            "jitter must be none, full, equal or decorrelated, got {other:?}"
        ))),
    }
}

fn seed(seed: &BigInt) -> u64 {
    // Any bits make a seed: take the low 64.
    seed.words.first().copied().unwrap_or(0)
}

fn backoff(base_ms: f64, cap_ms: f64, jitter: &str) -> Result<CoreBackoff, JsError> {
    let base = from_ms(base_ms, "baseMs", 1)?;
    let cap = from_ms(cap_ms, "capMs", 1)?;
    CoreBackoff::new(base, cap, self::jitter(jitter)?).map_err(|e| JsError::value(e.to_string()))
}

/// The native half of `Backoff`: successive waits of one retry sequence.
#[napi]
pub struct NativeBackoff {
    backoff: CoreBackoff,
    state: BackoffState,
    rng: SplitMix64,
}

#[napi]
impl NativeBackoff {
    /// Waits from `baseMs`, doubling per attempt up to `capMs`, drawn with `jitter`.
    #[napi(constructor)]
    pub fn new(
        env: &Env,
        base_ms: f64,
        cap_ms: f64,
        jitter: String,
        seed: BigInt,
    ) -> napi::Result<NativeBackoff> {
        Ok(NativeBackoff {
            backoff: backoff(base_ms, cap_ms, &jitter).or_throw(env)?,
            state: BackoffState::new(),
            rng: SplitMix64::new(self::seed(&seed)),
        })
    }

    /// The next wait in milliseconds.
    #[napi]
    pub fn next(&mut self) -> f64 {
        ms(self.backoff.next(&mut self.state, &mut self.rng))
    }

    /// Waits handed out so far.
    #[napi(getter)]
    pub fn attempt(&self) -> u32 {
        self.state.attempt()
    }

    /// Starts the sequence over (the random stream continues).
    #[napi]
    pub fn reset(&mut self) {
        self.state = BackoffState::new();
    }
}

/// What to do after an attempt.
#[napi(object)]
pub struct RetryStep {
    /// `retry`, `stop`, `top-up-credits` or `give-up`.
    pub action: String,
    /// For `retry`: the wait in milliseconds.
    pub after_ms: Option<f64>,
    /// For `give-up`: `attempts` or `deadline`.
    pub reason: Option<String>,
}

/// The native half of a retry sequence: one request's attempts under a retry policy.
#[napi]
pub struct NativeRetry {
    policy: RetryPolicy,
    state: RetryState,
    rng: SplitMix64,
}

#[napi]
impl NativeRetry {
    /// A sequence whose first attempt started at `startedMs` (on the caller's clock).
    #[napi(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        env: &Env,
        base_ms: f64,
        cap_ms: f64,
        jitter: String,
        max_attempts: u32,
        max_elapsed_ms: f64,
        seed: BigInt,
        started_ms: f64,
    ) -> napi::Result<NativeRetry> {
        let backoff = backoff(base_ms, cap_ms, &jitter).or_throw(env)?;
        let max_elapsed = if max_elapsed_ms == f64::INFINITY {
            Nanos::MAX
        } else {
            from_ms(max_elapsed_ms, "maxElapsedMs", 0).or_throw(env)?
        };
        Ok(NativeRetry {
            policy: RetryPolicy::new(backoff, max_attempts, max_elapsed),
            state: RetryState::new(from_ms(started_ms, "startedMs", 0).or_throw(env)?),
            rng: SplitMix64::new(self::seed(&seed)),
        })
    }

    /// Decides what follows an attempt that ended at `nowMs` with `status` (-1: no response)
    /// and `retryAfterMs` (the response's `Retry-After`, if any).
    #[napi]
    pub fn decide(
        &mut self,
        env: &Env,
        now_ms: f64,
        status: i32,
        retry_after_ms: Option<f64>,
    ) -> napi::Result<RetryStep> {
        let now = from_ms(now_ms, "nowMs", 0).or_throw(env)?;
        let outcome = match u16::try_from(status) {
            Ok(status) => Outcome::Response {
                status,
                retry_after: retry_after_ms
                    .map(|ms| from_ms(ms, "retryAfterMs", 0))
                    .transpose()
                    .or_throw(env)?,
            },
            Err(_) => Outcome::ConnectionError,
        };
        let step = |action: &str, after_ms, reason: Option<&str>| RetryStep {
            action: action.to_owned(),
            after_ms,
            reason: reason.map(str::to_owned),
        };
        Ok(
            match self
                .policy
                .decide(&mut self.state, now, outcome, &mut self.rng)
            {
                RetryDecision::Retry { after } => step("retry", Some(ms(after)), None),
                RetryDecision::TopUpCredits => step("top-up-credits", None, None),
                RetryDecision::GiveUp(GiveUpReason::Attempts) => {
                    step("give-up", None, Some("attempts"))
                }
                RetryDecision::GiveUp(_) => step("give-up", None, Some("deadline")),
                _ => step("stop", None, None),
            },
        )
    }

    /// Attempts decided so far.
    #[napi(getter)]
    pub fn attempts(&self) -> u32 {
        self.state.attempts()
    }
}

/// How long to wait at `nowMs` before the next request, given what the response received at
/// `receivedAtMs` said; pacing starts at `lowWater` units or `lowWaterPercent` of the limit
/// left, whichever is larger.
#[napi]
pub fn pacer_delay_ms(
    env: &Env,
    info: RateLimitInfoOutput,
    received_at_ms: f64,
    now_ms: f64,
    low_water: f64,
    low_water_percent: u32,
) -> napi::Result<f64> {
    let info = info_input(&info).or_throw(env)?;
    let pacer = Pacer::new()
        .with_low_water(if low_water >= u64::MAX as f64 {
            u64::MAX
        } else {
            low_water.max(0.0) as u64
        })
        .with_low_water_percent(u8::try_from(low_water_percent.min(100)).unwrap_or(100));
    let received = from_ms(received_at_ms, "receivedAtMs", 0).or_throw(env)?;
    let now = from_ms(now_ms, "nowMs", 0).or_throw(env)?;
    Ok(ms(pacer.delay(&info, received, now)))
}
