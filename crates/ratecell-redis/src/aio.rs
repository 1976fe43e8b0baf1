//! Async limiters for tokio: [`RedisStore`] holds one multiplexed connection (reconnected
//! after a failure), [`RedisLimiter`] and [`RedisAllOf`] decide through it. The API is the
//! blocking one's ([`crate::sync`]) with `async` methods; futures are `Send`.
//!
//! ```no_run
//! use ratecell::{Gcra, Quota};
//! use ratecell_redis::Options;
//! use ratecell_redis::aio::RedisStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisStore::open("redis://127.0.0.1/", Options::default())?;
//! let free = store.limiter("free", Gcra::new(Quota::parse("100/minute burst 120")?))?;
//! let d = free.check("api-key-42", 1).await?; // server time: every process agrees
//! assert!(d.allowed);
//! # Ok(())
//! # }
//! ```

use std::sync::{Arc, Mutex, PoisonError};

use ratecell::{AllOfDecision, Concurrency, Credits, Decision, Limiter, Nanos, TokenBucket};
use redis::aio::MultiplexedConnection;
use redis::{ErrorKind, ServerErrorKind, Value};

use crate::breaker::{Admission, CircuitBreaker, Health};
use crate::error::Error;
use crate::options::{FailurePolicy, Now, Options, Outcome};
use crate::policy::RedisPolicy;
use crate::protocol::Call;
use crate::target::{
    AllOfTarget, RedisLease, RedisReservation, Target, finish, lease, mark_cancelled, reservation,
};

/// A Redis server, one multiplexed connection to it, and the circuit breaker that guards it.
/// Cheap to clone; every limiter made from it shares them.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    options: Arc<Options>,
    breaker: CircuitBreaker,
    connection: Mutex<Option<MultiplexedConnection>>,
    /// Held while connecting, so that one task connects and the others wait for it.
    connecting: ::tokio::sync::Mutex<()>,
}

impl core::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RedisStore")
            .field("options", &self.inner.options)
            .field("health", &self.inner.breaker.health())
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
                connection: Mutex::new(None),
                connecting: ::tokio::sync::Mutex::new(()),
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
    pub async fn load_scripts(&self) -> Result<(), Error> {
        let options = &self.inner.options;
        let load = async {
            let mut con = self.connection().await?;
            for script in crate::Script::ALL {
                redis::cmd("SCRIPT")
                    .arg("LOAD")
                    .arg(script.source())
                    .query_async::<String>(&mut con)
                    .await
                    .map_err(|e| unavailable_or(e, options))?;
            }
            Ok(())
        };
        ::tokio::time::timeout(options.timeout() * 4, load)
            .await
            .unwrap_or(Err(Error::Timeout(options.timeout())))
    }

    fn cached(&self) -> Option<MultiplexedConnection> {
        self.inner
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn connection(&self) -> Result<MultiplexedConnection, Error> {
        if let Some(con) = self.cached() {
            return Ok(con);
        }
        let _connecting = self.inner.connecting.lock().await;
        if let Some(con) = self.cached() {
            return Ok(con);
        }
        let con = self
            .inner
            .client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| unavailable_or(e, &self.inner.options))?;
        *self
            .inner
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(con.clone());
        Ok(con)
    }

    fn forget_connection(&self) {
        *self
            .inner
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Runs a call through the breaker, within the timeout: `EVALSHA`, and on `NOSCRIPT` (a
    /// restarted or flushed server) `SCRIPT LOAD` then `EVALSHA` again.
    pub(crate) async fn run(&self, call: &Call) -> Result<Value, Error> {
        if let Admission::Skip(retry_in) = self.inner.breaker.admit() {
            return Err(Error::CircuitOpen { retry_in });
        }
        let timeout = self.inner.options.timeout();
        let result = ::tokio::time::timeout(timeout, self.run_once(call))
            .await
            .unwrap_or(Err(Error::Timeout(timeout)));
        match &result {
            Err(e) if e.is_unavailable() => {
                // The connection may be broken or hold a late reply: start afresh.
                self.forget_connection();
                self.inner.breaker.failure();
            }
            _ => self.inner.breaker.success(),
        }
        result
    }

    async fn run_once(&self, call: &Call) -> Result<Value, Error> {
        let mut con = self.connection().await?;
        let mut evalsha = redis::cmd("EVALSHA");
        evalsha
            .arg(call.script.sha1())
            .arg(call.keys.len())
            .arg(&call.keys)
            .arg(&call.args);
        let mut result = evalsha.query_async::<Value>(&mut con).await;
        if let Err(e) = &result
            && e.kind() == ErrorKind::Server(ServerErrorKind::NoScript)
        {
            result = match redis::cmd("SCRIPT")
                .arg("LOAD")
                .arg(call.script.source())
                .query_async::<String>(&mut con)
                .await
            {
                Ok(_) => evalsha.query_async::<Value>(&mut con).await,
                Err(e) => Err(e),
            };
        }
        result.map_err(|e| unavailable_or(e, &self.inner.options))
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
    pub async fn check(&self, key: &str, cost: u64) -> Result<Decision, Error> {
        self.outcome(key, Now::Server, cost).await.map(|o| o.value)
    }

    /// [`check`](Self::check) at an instant of the caller's.
    pub async fn check_at(&self, key: &str, now: Nanos, cost: u64) -> Result<Decision, Error> {
        self.outcome(key, Now::At(now), cost).await.map(|o| o.value)
    }

    /// `key`'s standing at the server's instant, recording nothing.
    pub async fn peek(&self, key: &str) -> Result<Decision, Error> {
        self.check(key, 0).await
    }

    /// `key`'s standing at an instant of the caller's.
    pub async fn peek_at(&self, key: &str, now: Nanos) -> Result<Decision, Error> {
        self.check_at(key, now, 0).await
    }

    /// The decision with the instant it was made at and, if the failure policy decided, why.
    pub async fn outcome(
        &self,
        key: &str,
        now: impl Into<Now>,
        cost: u64,
    ) -> Result<Outcome<Decision>, Error> {
        let (t, now) = (&self.target, now.into());
        finish(
            self.store.run(&t.check_call(key, now, cost)).await,
            |r| r.decision(0),
            |e| t.check_degraded(key, now, cost, e),
        )
    }

    /// Resets `key` to fresh (deletes its state).
    pub async fn reset(&self, key: &str) -> Result<(), Error> {
        self.store
            .run(&self.target.reset_call(key))
            .await
            .map(|_| ())
    }
}

impl RedisLimiter<TokenBucket> {
    /// Reserves `cost` tokens for `key`, committing only when the caller would wait at most
    /// `max_wait` (the core's [`TokenBucket::reserve`]).
    pub async fn reserve(
        &self,
        key: &str,
        now: impl Into<Now>,
        cost: u64,
        max_wait: Nanos,
    ) -> Result<RedisReservation, Error> {
        let (t, now) = (&self.target, now.into());
        finish(
            self.store
                .run(&t.reserve_call(key, now, cost, max_wait))
                .await,
            |r| reservation(cost, r),
            |e| t.reserve_degraded(key, now, cost, e),
        )
        .map(|o| o.value)
    }

    /// Gives a reservation's tokens back (the core's [`TokenBucket::cancel`]) and returns how
    /// many. The reservation is marked once this is settled, so it gives back at most once.
    pub async fn cancel(
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
            self.store.run(&call).await,
            |r| r.u64(0),
            |e| t.cancel_degraded(now, e),
        )?;
        mark_cancelled(reservation);
        Ok(back.value)
    }
}

impl<const SLOTS: usize> RedisLimiter<Concurrency<SLOTS>> {
    /// Acquires one lease for `key` (the core's [`Concurrency::acquire`]).
    pub async fn acquire(
        &self,
        key: &str,
        now: impl Into<Now>,
    ) -> Result<(Decision, Option<RedisLease>), Error> {
        let (t, now) = (&self.target, now.into());
        finish(
            self.store.run(&t.call("acquire", key, now)).await,
            lease,
            |e| t.acquire_degraded(key, now, e),
        )
        .map(|o| o.value)
    }

    /// Releases a lease: true when it was live and its slot is now free. Never frees another
    /// holder's slot.
    pub async fn release(
        &self,
        key: &str,
        now: impl Into<Now>,
        lease: RedisLease,
    ) -> Result<bool, Error> {
        self.lease_op(false, key, now.into(), lease).await
    }

    /// Extends a live lease to expire `ttl` after `now`: false when it is no longer live.
    pub async fn renew(
        &self,
        key: &str,
        now: impl Into<Now>,
        lease: RedisLease,
    ) -> Result<bool, Error> {
        self.lease_op(true, key, now.into(), lease).await
    }

    async fn lease_op(
        &self,
        renew: bool,
        key: &str,
        now: Now,
        lease: RedisLease,
    ) -> Result<bool, Error> {
        let t = &self.target;
        if lease.is_local() {
            return Ok(t.lease_local(renew, key, now, lease));
        }
        let op = if renew { "renew" } else { "release" };
        let result = self.store.run(&t.lease_call(op, key, now, lease)).await;
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
    pub async fn top_up(&self, key: &str, amount: u64) -> Result<u64, Error> {
        let reply = self
            .store
            .run(&self.target.top_up_call(key, amount))
            .await?;
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
    pub async fn check(&self, key: &str, cost: u64) -> Result<AllOfDecision, Error> {
        self.check_at_now(key, Now::Server, cost).await
    }

    /// Charges every member `cost` at an instant of the caller's.
    pub async fn check_at(&self, key: &str, now: Nanos, cost: u64) -> Result<AllOfDecision, Error> {
        self.check_at_now(key, Now::At(now), cost).await
    }

    async fn check_at_now(&self, key: &str, now: Now, cost: u64) -> Result<AllOfDecision, Error> {
        let capacity = self.capacity();
        if cost > capacity {
            return Err(ratecell::Error::InsufficientCapacity { capacity }.into());
        }
        let costs = vec![cost; self.target.members.len()];
        self.outcome(key, now, &costs).await.map(|o| o.value)
    }

    /// Charges each member its own cost (in member order).
    pub async fn check_costs(
        &self,
        key: &str,
        now: impl Into<Now>,
        costs: &[u64],
    ) -> Result<AllOfDecision, Error> {
        self.outcome(key, now, costs).await.map(|o| o.value)
    }

    /// The decision with its instant and, if the failure policy decided, why.
    pub async fn outcome(
        &self,
        key: &str,
        now: impl Into<Now>,
        costs: &[u64],
    ) -> Result<Outcome<AllOfDecision>, Error> {
        let (t, now) = (&self.target, now.into());
        let call = t.check_call(key, now, costs)?;
        finish(self.store.run(&call).await, AllOfTarget::decision, |e| {
            t.check_degraded(key, now, costs, e)
        })
    }

    /// Resets every member of `key` to fresh.
    pub async fn reset(&self, key: &str) -> Result<(), Error> {
        self.store
            .run(&self.target.reset_call(key))
            .await
            .map(|_| ())
    }
}
