//! What a limiter does around a call, whatever carries it (blocking or async): the call to
//! make, the reading of the reply, and the failure policy when Redis cannot answer.

use std::sync::Arc;

use ratecell::{AllOfDecision, Concurrency, Credits, Decision, Lease, Limiter, Nanos, TokenBucket};
use redis::Value;

use crate::error::Error;
use crate::local::{Local, LocalAllOf, local};
use crate::options::{FailurePolicy, Now, Options, Outcome};
use crate::policy::{RedisPolicy, Spec};
use crate::protocol::{Call, Reply};
use crate::scripts::Script;

/// Tokens taken by a token bucket's `reserve`, and when the holder may proceed: the Redis form
/// of the core's [`Reservation`](ratecell::Reservation).
///
/// It carries what `cancel` needs to give the tokens back. Like the core's, it is neither
/// `Clone` nor `Copy`: cancelling marks it, so the same tokens are never given back twice.
#[derive(Debug, PartialEq, Eq, Hash)]
#[must_use = "a reservation says when the caller may proceed; cancel it if the caller will not"]
pub struct RedisReservation {
    committed: bool,
    cost: u64,
    ready: u64,
    ready_at: Nanos,
    delay: Nanos,
    serial: u64,
    latest_before: u64,
    local: bool,
}

impl RedisReservation {
    /// True when the tokens were taken and have not been given back.
    pub fn is_committed(&self) -> bool {
        self.committed
    }

    /// The tokens reserved.
    pub fn cost(&self) -> u64 {
        self.cost
    }

    /// The instant the caller may proceed (on the limiter's time line); `Nanos::MAX` if never.
    pub fn ready_at(&self) -> Nanos {
        self.ready_at
    }

    /// How long the caller must wait, counted from the instant of the reservation.
    pub fn delay(&self) -> Nanos {
        self.delay
    }

    /// True when the reservation was made by the local fallback while Redis was unavailable
    /// (it never waits: it was an immediate check, and cancelling it gives nothing back).
    pub fn is_local(&self) -> bool {
        self.local
    }
}

/// A concurrency lease granted through Redis (or by the local fallback): its slot and serial.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct RedisLease {
    slot: u32,
    serial: u64,
    local: bool,
}

impl RedisLease {
    /// The slot the lease occupies.
    pub fn slot(&self) -> u32 {
        self.slot
    }

    /// The lease's serial number, unique within its key.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// True when the local fallback granted it while Redis was unavailable; releasing it goes
    /// to the fallback, and it expires there after its TTL.
    pub fn is_local(&self) -> bool {
        self.local
    }
}

/// The instant a degraded decision is made at: the caller's, or this process's clock on the
/// server's time line.
fn local_now(now: Now, options: &Options) -> Nanos {
    match now {
        Now::At(t) => t,
        Now::Server => options.local_now(),
    }
}

/// How long a fail-closed denial asks the client to wait: until Redis is tried again.
fn closed_wait(cause: &Error, options: &Options) -> Nanos {
    match cause {
        Error::CircuitOpen { retry_in } => Nanos::from_duration(*retry_in),
        _ => Nanos::from_duration(options.breaker().open_for),
    }
}

/// A failure policy's decision for a request of `cost`.
fn policy_decision(
    policy: FailurePolicy,
    capacity: u64,
    cost: u64,
    cause: &Error,
    options: &Options,
) -> Result<Decision, Error> {
    if cost > capacity {
        return Err(ratecell::Error::InsufficientCapacity { capacity }.into());
    }
    match policy {
        FailurePolicy::FailOpen => Ok(Decision {
            allowed: true,
            limit: capacity,
            remaining: capacity - cost,
            retry_after: Nanos::ZERO,
            reset_after: Nanos::ZERO,
        }),
        FailurePolicy::FailClosed => {
            let wait = closed_wait(cause, options);
            Ok(Decision {
                allowed: false,
                limit: capacity,
                remaining: 0,
                retry_after: wait,
                reset_after: wait,
            })
        }
        _ => Err(cause.clone()),
    }
}

/// The result of a call: the reply read by `parse`, or when Redis could not answer,
/// `degrade`'s.
pub(crate) fn finish<T>(
    result: Result<Value, Error>,
    parse: impl FnOnce(&Reply) -> Result<T, Error>,
    degrade: impl FnOnce(Error) -> Result<Outcome<T>, Error>,
) -> Result<Outcome<T>, Error> {
    match result {
        Ok(v) => {
            let reply = Reply::parse(v)?;
            Ok(Outcome {
                value: parse(&reply)?,
                now: reply.now,
                degraded: None,
            })
        }
        Err(e) if e.is_unavailable() => degrade(e),
        Err(e) => Err(e),
    }
}

/// One named limiter: its policy, arguments and failure policy.
#[derive(Debug)]
pub(crate) struct Target<A: RedisPolicy> {
    pub(crate) name: String,
    pub(crate) policy: A,
    pub(crate) spec: Spec,
    pub(crate) failure: FailurePolicy,
    pub(crate) local: Option<Local<A>>,
    pub(crate) options: Arc<Options>,
}

impl<A: RedisPolicy> Target<A> {
    pub(crate) fn new(name: String, policy: A, options: Arc<Options>) -> Result<Self, Error> {
        check_name(&name)?;
        Ok(Target {
            spec: policy.spec()?,
            name,
            policy,
            failure: FailurePolicy::Error,
            local: None,
            options,
        })
    }

    pub(crate) fn with_failure(self, failure: FailurePolicy) -> Result<Self, Error> {
        let local = match failure {
            FailurePolicy::Fallback(share) => Some(local(self.policy.shared(share)?)),
            _ => None,
        };
        Ok(Target {
            failure,
            local,
            ..self
        })
    }

    pub(crate) fn key(&self, key: &str) -> String {
        self.options.key(key, &self.name)
    }

    pub(crate) fn call(&self, op: &str, key: &str, now: Now) -> Call {
        Call::on(&self.spec, op, self.key(key), now, &self.options)
    }

    pub(crate) fn check_call(&self, key: &str, now: Now, cost: u64) -> Call {
        self.call("check", key, now).arg(cost)
    }

    pub(crate) fn reset_call(&self, key: &str) -> Call {
        let mut call = Call::new(
            self.spec.script(),
            "reset",
            Now::At(Nanos::ZERO),
            &self.options,
        );
        call.keys.push(self.key(key));
        call
    }

    pub(crate) fn check_degraded(
        &self,
        key: &str,
        now: Now,
        cost: u64,
        cause: Error,
    ) -> Result<Outcome<Decision>, Error> {
        let at = local_now(now, &self.options);
        let value = match (&self.local, self.failure) {
            (Some(local), FailurePolicy::Fallback(_)) => local.check(key, at, cost)?.decision(),
            _ => policy_decision(
                self.failure,
                self.policy.capacity(),
                cost,
                &cause,
                &self.options,
            )?,
        };
        Ok(Outcome {
            value,
            now: at,
            degraded: Some(cause),
        })
    }
}

/// Limiter names become part of keys: no braces (the hash tag), no empty names.
pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.contains(['{', '}']) {
        return Err(Error::Config(
            "a limiter name must be non-empty and must not contain braces",
        ));
    }
    Ok(())
}

impl Target<TokenBucket> {
    pub(crate) fn reserve_call(&self, key: &str, now: Now, cost: u64, max_wait: Nanos) -> Call {
        self.call("reserve", key, now)
            .arg(cost)
            .arg(max_wait.as_nanos())
    }

    /// A reservation while Redis is unavailable: an immediate check by the failure policy.
    pub(crate) fn reserve_degraded(
        &self,
        key: &str,
        now: Now,
        cost: u64,
        cause: Error,
    ) -> Result<Outcome<RedisReservation>, Error> {
        let checked = self.check_degraded(key, now, cost, cause)?;
        let d = checked.value;
        let wait = if d.allowed {
            Nanos::ZERO
        } else {
            d.retry_after
        };
        Ok(Outcome {
            value: RedisReservation {
                committed: d.allowed && cost > 0,
                cost,
                ready: 0,
                ready_at: checked.now.saturating_add(wait),
                delay: wait,
                serial: 0,
                latest_before: 0,
                local: true,
            },
            now: checked.now,
            degraded: checked.degraded,
        })
    }

    /// The call giving `r`'s tokens back, or `None` when there is nothing to give back.
    pub(crate) fn cancel_call(&self, key: &str, now: Now, r: &RedisReservation) -> Option<Call> {
        if !r.committed || r.local {
            return None;
        }
        Some(
            self.call("cancel", key, now)
                .arg(r.cost)
                .arg(r.ready)
                .arg(r.ready_at.as_nanos())
                .arg(r.serial)
                .arg(r.latest_before),
        )
    }

    pub(crate) fn cancel_degraded(&self, now: Now, cause: Error) -> Result<Outcome<u64>, Error> {
        if self.failure == FailurePolicy::Error {
            return Err(cause);
        }
        Ok(Outcome {
            value: 0,
            now: local_now(now, &self.options),
            degraded: Some(cause),
        })
    }
}

/// Reads a `reserve` reply.
pub(crate) fn reservation(cost: u64, r: &Reply) -> Result<RedisReservation, Error> {
    Ok(RedisReservation {
        committed: r.flag(0)?,
        cost,
        ready_at: Nanos::new(r.u64(1)?),
        delay: Nanos::new(r.u64(2)?),
        ready: r.u64(3)?,
        serial: r.u64(4)?,
        latest_before: r.u64(5)?,
        local: false,
    })
}

/// Reads an `acquire` reply.
pub(crate) fn lease(r: &Reply) -> Result<(Decision, Option<RedisLease>), Error> {
    let d = r.decision(0)?;
    if !r.flag(5)? {
        return Ok((d, None));
    }
    let slot = u32::try_from(r.int(6)?)
        .map_err(|_| Error::Protocol("a lease slot is not a u32".into()))?;
    let lease = RedisLease {
        slot,
        serial: r.u64(7)?,
        local: false,
    };
    Ok((d, Some(lease)))
}

/// Marks a reservation cancelled once its cancellation is settled.
pub(crate) fn mark_cancelled(r: &mut RedisReservation) {
    r.committed = false;
}

impl<const SLOTS: usize> Target<Concurrency<SLOTS>> {
    pub(crate) fn acquire_degraded(
        &self,
        key: &str,
        now: Now,
        cause: Error,
    ) -> Result<Outcome<(Decision, Option<RedisLease>)>, Error> {
        let at = local_now(now, &self.options);
        let value = if let (Some(local), FailurePolicy::Fallback(_)) = (&self.local, self.failure) {
            let (d, lease) = local.acquire(key, at);
            let lease = lease.map(|l| RedisLease {
                slot: l.slot(),
                serial: l.serial(),
                local: true,
            });
            (d.decision(), lease)
        } else {
            let d = policy_decision(self.failure, self.policy.limit(), 1, &cause, &self.options)?;
            // Failing open grants a lease that nothing will ever count.
            let lease = d.allowed.then_some(RedisLease {
                slot: 0,
                serial: 0,
                local: true,
            });
            (d, lease)
        };
        Ok(Outcome {
            value,
            now: at,
            degraded: Some(cause),
        })
    }

    pub(crate) fn lease_call(&self, op: &str, key: &str, now: Now, lease: RedisLease) -> Call {
        self.call(op, key, now).arg(lease.slot).arg(lease.serial)
    }

    /// A release or renewal of a lease the local fallback granted (or while Redis is down).
    pub(crate) fn lease_local(&self, renew: bool, key: &str, now: Now, lease: RedisLease) -> bool {
        let at = local_now(now, &self.options);
        let Some(local) = &self.local else {
            return false;
        };
        let lease = Lease::from_parts(lease.slot, lease.serial);
        if renew {
            local.renew(key, lease, at)
        } else {
            local.release(key, lease, at)
        }
    }
}

impl Target<Credits> {
    pub(crate) fn top_up_call(&self, key: &str, amount: u64) -> Call {
        self.call("top_up", key, Now::At(Nanos::ZERO)).arg(amount)
    }
}

/// Several named limiters decided as one.
#[derive(Debug)]
pub(crate) struct AllOfTarget {
    pub(crate) names: Vec<String>,
    pub(crate) members: Vec<Limiter>,
    pub(crate) specs: Vec<Spec>,
    pub(crate) failure: FailurePolicy,
    pub(crate) local: Option<LocalAllOf>,
    pub(crate) options: Arc<Options>,
}

impl AllOfTarget {
    pub(crate) fn new(
        members: Vec<(String, Limiter)>,
        options: Arc<Options>,
    ) -> Result<AllOfTarget, Error> {
        let mut names = Vec::with_capacity(members.len());
        let mut limiters = Vec::with_capacity(members.len());
        let mut specs = Vec::with_capacity(members.len());
        for (name, limiter) in members {
            check_name(&name)?;
            if names.contains(&name) {
                return Err(Error::Config("all-of members need distinct names"));
            }
            specs.push(limiter.spec()?);
            names.push(name);
            limiters.push(limiter);
        }
        Ok(AllOfTarget {
            names,
            members: limiters,
            specs,
            failure: FailurePolicy::Error,
            local: None,
            options,
        })
    }

    pub(crate) fn with_failure(self, failure: FailurePolicy) -> Result<Self, Error> {
        let local = match failure {
            FailurePolicy::Fallback(share) => Some(LocalAllOf::new(
                self.members
                    .iter()
                    .map(|m| m.shared(share))
                    .collect::<Result<_, _>>()?,
            )),
            _ => None,
        };
        Ok(AllOfTarget {
            failure,
            local,
            ..self
        })
    }

    /// The smallest member capacity.
    pub(crate) fn capacity(&self) -> u64 {
        self.members
            .iter()
            .map(Limiter::capacity)
            .min()
            .unwrap_or(u64::MAX)
    }

    /// The call, or the core's error for costs that no member could ever admit (checked here
    /// as the core checks them, so that the message is the same).
    pub(crate) fn check_call(&self, key: &str, now: Now, costs: &[u64]) -> Result<Call, Error> {
        if costs.len() != self.members.len() {
            return Err(ratecell::Error::LengthMismatch {
                members: self.members.len(),
                given: costs.len(),
            }
            .into());
        }
        let mut call = Call::new(Script::AllOf, "check", now, &self.options);
        call.args.push("all_of".to_owned());
        call.args.push(self.members.len().to_string());
        for ((name, spec), cost) in self.names.iter().zip(&self.specs).zip(costs) {
            call.keys.push(self.options.key(key, name));
            call.args.extend(spec.args().iter().cloned());
            call.args.push(cost.to_string());
        }
        Ok(call)
    }

    pub(crate) fn reset_call(&self, key: &str) -> Call {
        let mut call = Call::new(Script::AllOf, "reset", Now::At(Nanos::ZERO), &self.options);
        call.keys = self
            .names
            .iter()
            .map(|n| self.options.key(key, n))
            .collect();
        call
    }

    pub(crate) fn decision(r: &Reply) -> Result<AllOfDecision, Error> {
        let refused_by = usize::try_from(r.int(5)?).ok();
        let tightest = usize::try_from(r.int(6)?)
            .map_err(|_| Error::Protocol("tightest is not an index".into()))?;
        Ok(AllOfDecision {
            decision: r.decision(0)?,
            refused_by,
            tightest,
        })
    }

    pub(crate) fn check_degraded(
        &self,
        key: &str,
        now: Now,
        costs: &[u64],
        cause: Error,
    ) -> Result<Outcome<AllOfDecision>, Error> {
        let at = local_now(now, &self.options);
        let value = if let (Some(local), FailurePolicy::Fallback(_)) = (&self.local, self.failure) {
            local.check_costs(key, at, costs)?
        } else {
            // The core's errors first: a cost above its member's capacity.
            for (member, &cost) in self.members.iter().zip(costs) {
                if cost > member.capacity() {
                    return Err(ratecell::Error::InsufficientCapacity {
                        capacity: member.capacity(),
                    }
                    .into());
                }
            }
            let d = policy_decision(self.failure, u64::MAX, 0, &cause, &self.options)?;
            // Failing open reports every member as fresh after the request.
            let left = self.members.iter().zip(costs);
            let left = left.map(|(m, &cost)| m.capacity() - cost).min();
            let d = Decision {
                limit: self.capacity(),
                remaining: if d.allowed {
                    left.unwrap_or(u64::MAX)
                } else {
                    0
                },
                ..d
            };
            AllOfDecision {
                decision: d,
                refused_by: (!d.allowed).then_some(0),
                tightest: 0,
            }
        };
        Ok(Outcome {
            value,
            now: at,
            degraded: Some(cause),
        })
    }
}
