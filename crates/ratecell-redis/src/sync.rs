//! Blocking limiters: [`RedisStore`] holds the connections, [`RedisLimiter`] and
//! [`RedisAllOf`] decide through it.
//!
//! ```no_run
//! use ratecell::{Gcra, Quota};
//! use ratecell_redis::Options;
//! use ratecell_redis::sync::RedisStore;
//!
//! let store = RedisStore::open("redis://127.0.0.1/", Options::default())?;
//! let free = store.limiter("free", Gcra::new(Quota::parse("100/minute burst 120")?))?;
//! let d = free.check("api-key-42", 1)?; // server time: every process agrees
//! assert!(d.allowed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use ratecell::{AllOfDecision, Concurrency, Credits, Decision, Limiter, Nanos, TokenBucket};
use redis::{Connection, ErrorKind, ServerErrorKind, Value};

use crate::breaker::{Admission, CircuitBreaker, Health};
use crate::error::Error;
use crate::options::{FailurePolicy, Now, Options, Outcome};
use crate::policy::RedisPolicy;
use crate::protocol::Call;
use crate::target::{
    AllOfTarget, RedisLease, RedisReservation, Target, finish, lease, mark_cancelled, reservation,
};

/// A Redis server, a pool of blocking connections to it, and the circuit breaker that guards
/// them. Cheap to clone; every limiter made from it shares them.
#[derive(Clone, Debug)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    options: Arc<Options>,
    breaker: CircuitBreaker,
    idle: Mutex<Vec<Connection>>,
}

impl core::fmt::Debug for Inner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedisStore")
            .field("options", &self.options)
            .field("health", &self.breaker.health())
            .finish_non_exhaustive()
    }
}

fn unavailable_or(e: redis::RedisError, options: &Options) -> Error {
    if e.is_timeout() {
        Error::Timeout(options.timeout())
    } else {
        Error::Redis(e)
    }
}

impl RedisStore {
    /// A store for the server at `url` (`redis://127.0.0.1:6379/`). Nothing is connected
    /// until the first call.
    pub fn open(url: &str, options: Options) -> Result<RedisStore, Error> {
        RedisStore::new(redis::Client::open(url)?, options)
    }

    /// A store over a configured client.
    pub fn new(client: redis::Client, options: Options) -> Result<RedisStore, Error> {
        let options = options.validated()?;
        Ok(RedisStore {
            inner: Arc::new(Inner {
                client,
                breaker: CircuitBreaker::new(options.breaker()),
                options: Arc::new(options),
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The store's options.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// Where the circuit breaker stands.
    pub fn health(&self) -> Health {
        self.inner.breaker.health()
    }

    /// A limiter called `name` (part of every key it writes) deciding with `policy`. Its
    /// failure policy is [`FailurePolicy::Error`] until [`RedisLimiter::on_failure`] sets
    /// another.
    pub fn limiter<A: RedisPolicy>(
        &self,
        name: impl Into<String>,
        policy: A,
    ) -> Result<RedisLimiter<A>, Error> {
        Ok(RedisLimiter {
            store: self.clone(),
            target: Arc::new(Target::new(
                name.into(),
                policy,
                self.inner.options.clone(),
            )?),
        })
    }

    /// Several limiters decided as one, all or nothing, in one call. Each member has its own
    /// name; a member named like another limiter of this store shares its state.
    pub fn all_of<S: Into<String>>(
        &self,
        members: impl IntoIterator<Item = (S, Limiter)>,
    ) -> Result<RedisAllOf, Error> {
        let members = members.into_iter().map(|(n, l)| (n.into(), l)).collect();
        Ok(RedisAllOf {
            store: self.clone(),
            target: Arc::new(AllOfTarget::new(members, self.inner.options.clone())?),
        })
    }

    /// Loads every script into the server (`SCRIPT LOAD`), so that the first decisions do not
    /// pay for it. Calls load what they need by themselves anyway.
    pub fn load_scripts(&self) -> Result<(), Error> {
        let mut con = self.connection()?;
        for script in crate::Script::ALL {
            redis::cmd("SCRIPT")
                .arg("LOAD")
                .arg(script.source())
                .query::<String>(&mut con)
                .map_err(|e| unavailable_or(e, &self.inner.options))?;
        }
        self.give_back(con);
        Ok(())
    }

    fn connection(&self) -> Result<Connection, Error> {
        let idle = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        if let Some(con) = idle {
            return Ok(con);
        }
        let timeout = self.inner.options.timeout();
        let con = self
            .inner
            .client
            .get_connection_with_timeout(timeout)
            .map_err(|e| unavailable_or(e, &self.inner.options))?;
        con.set_read_timeout(Some(timeout))?;
        con.set_write_timeout(Some(timeout))?;
        Ok(con)
    }

    fn give_back(&self, con: Connection) {
        let mut idle = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.inner.options.pool() {
            idle.push(con);
        }
    }

    /// Runs a call through the breaker: `EVALSHA`, and on `NOSCRIPT` (a restarted or flushed
    /// server) `SCRIPT LOAD` then `EVALSHA` again.
    pub(crate) fn run(&self, call: &Call) -> Result<Value, Error> {
        if let Admission::Skip(retry_in) = self.inner.breaker.admit() {
            return Err(Error::CircuitOpen { retry_in });
        }
        let result = self.run_once(call);
        match &result {
            Err(e) if e.is_unavailable() => self.inner.breaker.failure(),
            _ => self.inner.breaker.success(),
        }
        result
    }

    fn run_once(&self, call: &Call) -> Result<Value, Error> {
        let mut con = self.connection()?;
        let evalsha = |con: &mut Connection| {
            redis::cmd("EVALSHA")
                .arg(call.script.sha1())
                .arg(call.keys.len())
                .arg(&call.keys)
                .arg(&call.args)
                .query::<Value>(con)
        };
        let mut result = evalsha(&mut con);
        if let Err(e) = &result
            && e.kind() == ErrorKind::Server(ServerErrorKind::NoScript)
        {
            result = redis::cmd("SCRIPT")
                .arg("LOAD")
                .arg(call.script.source())
                .query::<String>(&mut con)
                .and_then(|_| evalsha(&mut con));
        }
        let result = result.map_err(|e| unavailable_or(e, &self.inner.options));
        // A connection that failed may be half-read: only healthy ones go back to the pool.
        if !matches!(&result, Err(e) if e.is_unavailable()) {
            self.give_back(con);
        }
        result
    }
}

/// A named limiter whose state lives in Redis, one key per user key.
///
/// Every decision is one atomic script call, identical to the core's decision with the same
/// state and instant. Without an instant the server's clock decides ([`Now::Server`]).
#[derive(Clone, Debug)]
pub struct RedisLimiter<A: RedisPolicy> {
    store: RedisStore,
    target: Arc<Target<A>>,
}

impl<A: RedisPolicy> RedisLimiter<A> {
    /// The same limiter with another failure policy (see [`FailurePolicy`]). Fails only when
    /// the share of a fallback leaves an invalid quota.
    pub fn on_failure(self, failure: FailurePolicy) -> Result<Self, Error> {
        let target = Arc::try_unwrap(self.target).unwrap_or_else(|t| Target {
            name: t.name.clone(),
            policy: t.policy.clone(),
            spec: t.spec.clone(),
            failure: t.failure,
            local: None,
            options: t.options.clone(),
        });
        Ok(RedisLimiter {
            store: self.store,
            target: Arc::new(target.with_failure(failure)?),
        })
    }

    /// The limiter's name.
    pub fn name(&self) -> &str {
        &self.target.name
    }

    /// The policy.
    pub fn policy(&self) -> &A {
        &self.target.policy
    }

    /// The failure policy.
    pub fn failure_policy(&self) -> FailurePolicy {
        self.target.failure
    }

    /// The Redis key holding `key`'s state.
    pub fn redis_key(&self, key: &str) -> String {
        self.target.key(key)
    }

    /// Decides a request of `cost` for `key` at the server's instant, recording it when
    /// admitted. `cost == 0` peeks.
    pub fn check(&self, key: &str, cost: u64) -> Result<Decision, Error> {
        self.outcome(key, Now::Server, cost).map(|o| o.value)
    }

    /// [`check`](Self::check) at an instant of the caller's.
    pub fn check_at(&self, key: &str, now: Nanos, cost: u64) -> Result<Decision, Error> {
        self.outcome(key, Now::At(now), cost).map(|o| o.value)
    }

    /// `key`'s standing at the server's instant, recording nothing.
    pub fn peek(&self, key: &str) -> Result<Decision, Error> {
        self.check(key, 0)
    }

    /// `key`'s standing at an instant of the caller's.
    pub fn peek_at(&self, key: &str, now: Nanos) -> Result<Decision, Error> {
        self.check_at(key, now, 0)
    }

    /// The decision with the instant it was made at and, if the failure policy decided, why.
    pub fn outcome(
        &self,
        key: &str,
        now: impl Into<Now>,
        cost: u64,
    ) -> Result<Outcome<Decision>, Error> {
        let (t, now) = (&self.target, now.into());
        finish(
            self.store.run(&t.check_call(key, now, cost)),
            |r| r.decision(0),
            |e| t.check_degraded(key, now, cost, e),
        )
    }

    /// Resets `key` to fresh (deletes its state).
    pub fn reset(&self, key: &str) -> Result<(), Error> {
        self.store.run(&self.target.reset_call(key)).map(|_| ())
    }
}

impl RedisLimiter<TokenBucket> {
    /// Reserves `cost` tokens for `key`, committing only when the caller would wait at most
    /// `max_wait` (the core's [`TokenBucket::reserve`]).
    pub fn reserve(
        &self,
        key: &str,
        now: impl Into<Now>,
        cost: u64,
        max_wait: Nanos,
    ) -> Result<RedisReservation, Error> {
        let (t, now) = (&self.target, now.into());
        finish(
            self.store.run(&t.reserve_call(key, now, cost, max_wait)),
            |r| reservation(cost, r),
            |e| t.reserve_degraded(key, now, cost, e),
        )
        .map(|o| o.value)
    }

    /// Gives a reservation's tokens back (the core's [`TokenBucket::cancel`]) and returns how
    /// many. The reservation is marked once this is settled, so it gives back at most once.
    pub fn cancel(
        &self,
        key: &str,
        now: impl Into<Now>,
        reservation: &mut RedisReservation,
    ) -> Result<u64, Error> {
        let (t, now) = (&self.target, now.into());
        let Some(call) = t.cancel_call(key, now, reservation) else {
            mark_cancelled(reservation);
            return Ok(0);
        };
        let back = finish(
            self.store.run(&call),
            |r| r.u64(0),
            |e| t.cancel_degraded(now, e),
        )?;
        mark_cancelled(reservation);
        Ok(back.value)
    }
}

impl<const SLOTS: usize> RedisLimiter<Concurrency<SLOTS>> {
    /// Acquires one lease for `key` (the core's [`Concurrency::acquire`]).
    pub fn acquire(
        &self,
        key: &str,
        now: impl Into<Now>,
    ) -> Result<(Decision, Option<RedisLease>), Error> {
        let (t, now) = (&self.target, now.into());
        finish(self.store.run(&t.call("acquire", key, now)), lease, |e| {
            t.acquire_degraded(key, now, e)
        })
        .map(|o| o.value)
    }

    /// Releases a lease: true when it was live and its slot is now free. Never frees another
    /// holder's slot.
    pub fn release(
        &self,
        key: &str,
        now: impl Into<Now>,
        lease: RedisLease,
    ) -> Result<bool, Error> {
        self.lease_op(false, key, now.into(), lease)
    }

    /// Extends a live lease to expire `ttl` after `now`: false when it is no longer live.
    pub fn renew(&self, key: &str, now: impl Into<Now>, lease: RedisLease) -> Result<bool, Error> {
        self.lease_op(true, key, now.into(), lease)
    }

    fn lease_op(&self, renew: bool, key: &str, now: Now, lease: RedisLease) -> Result<bool, Error> {
        let t = &self.target;
        if lease.is_local() {
            return Ok(t.lease_local(renew, key, now, lease));
        }
        let op = if renew { "renew" } else { "release" };
        let result = self.store.run(&t.lease_call(op, key, now, lease));
        finish(
            result,
            |r| r.flag(0),
            |e| match t.failure {
                FailurePolicy::Error => Err(e),
                _ => Ok(Outcome {
                    value: false,
                    now: Nanos::ZERO,
                    degraded: Some(e),
                }),
            },
        )
        .map(|o| o.value)
    }
}

impl RedisLimiter<Credits> {
    /// Adds `amount` credits to `key` and returns the credits it has left. A top-up is never
    /// decided by a failure policy: when Redis cannot answer, this is the error.
    pub fn top_up(&self, key: &str, amount: u64) -> Result<u64, Error> {
        let reply = self.store.run(&self.target.top_up_call(key, amount))?;
        finish(Ok(reply), |r| r.u64(0), Err).map(|o| o.value)
    }
}

/// Several limiters decided as one in a single call, all or nothing (the core's
/// [`AllOf`](ratecell::AllOf)). Member keys share the user key's hash tag, so it works on
/// Redis Cluster.
#[derive(Clone, Debug)]
pub struct RedisAllOf {
    store: RedisStore,
    target: Arc<AllOfTarget>,
}

impl RedisAllOf {
    /// The same combination with another failure policy.
    pub fn on_failure(self, failure: FailurePolicy) -> Result<Self, Error> {
        let target = Arc::try_unwrap(self.target).unwrap_or_else(|t| AllOfTarget {
            names: t.names.clone(),
            members: t.members.clone(),
            specs: t.specs.clone(),
            failure: t.failure,
            local: None,
            options: t.options.clone(),
        });
        Ok(RedisAllOf {
            store: self.store,
            target: Arc::new(target.with_failure(failure)?),
        })
    }

    /// The members' names.
    pub fn names(&self) -> &[String] {
        &self.target.names
    }

    /// The members.
    pub fn members(&self) -> &[Limiter] {
        &self.target.members
    }

    /// The smallest member capacity: the largest cost [`check`](Self::check) accepts.
    pub fn capacity(&self) -> u64 {
        self.target.capacity()
    }

    /// Charges every member `cost` at the server's instant.
    pub fn check(&self, key: &str, cost: u64) -> Result<AllOfDecision, Error> {
        self.check_at_now(key, Now::Server, cost)
    }

    /// Charges every member `cost` at an instant of the caller's.
    pub fn check_at(&self, key: &str, now: Nanos, cost: u64) -> Result<AllOfDecision, Error> {
        self.check_at_now(key, Now::At(now), cost)
    }

    fn check_at_now(&self, key: &str, now: Now, cost: u64) -> Result<AllOfDecision, Error> {
        let capacity = self.capacity();
        if cost > capacity {
            return Err(ratecell::Error::InsufficientCapacity { capacity }.into());
        }
        let costs = vec![cost; self.target.members.len()];
        self.outcome(key, now, &costs).map(|o| o.value)
    }

    /// Charges each member its own cost (in member order).
    pub fn check_costs(
        &self,
        key: &str,
        now: impl Into<Now>,
        costs: &[u64],
    ) -> Result<AllOfDecision, Error> {
        self.outcome(key, now, costs).map(|o| o.value)
    }

    /// The decision with its instant and, if the failure policy decided, why.
    pub fn outcome(
        &self,
        key: &str,
        now: impl Into<Now>,
        costs: &[u64],
    ) -> Result<Outcome<AllOfDecision>, Error> {
        let (t, now) = (&self.target, now.into());
        let call = t.check_call(key, now, costs)?;
        finish(self.store.run(&call), AllOfTarget::decision, |e| {
            t.check_degraded(key, now, costs, e)
        })
    }

    /// Resets every member of `key` to fresh.
    pub fn reset(&self, key: &str) -> Result<(), Error> {
        self.store.run(&self.target.reset_call(key)).map(|_| ())
    }
}
