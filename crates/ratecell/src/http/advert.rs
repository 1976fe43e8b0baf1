//! What a limiter advertises to clients, whatever its algorithm: a limit written as a
//! [`Policy`], or a credit budget written as credit fields.
//!
//! Every binding answers "which header fields does this limiter's decision produce?" the same
//! way through [`Advert`]: a rate limit advertises its sustained quota (`limit` per `period`;
//! a burst is reached, not advertised), a concurrency cap its limit with no window in
//! `concurrent-requests`, and a credit budget no policy at all, only its balance
//! (`X-API-Credits-Remaining`, `X-API-Credits-Used`), because credits are not replenished and
//! a client must not read them as a rate.

use crate::burst::Burst;
use crate::decision::Decision;
use crate::limiter::Limiter;
use crate::quota::Quota;
use crate::time::Nanos;

use super::{CreditBalance, FieldError, Policy, QuotaUnit};

/// What a limiter advertises in response fields (see the [module documentation](self)).
///
/// ```
/// use ratecell::{Credits, Decision, Gcra, Limiter, Nanos, Quota};
/// use ratecell::http::{Advert, Advertised, CreditBalance, QuotaUnit};
///
/// let gcra = Limiter::from(Gcra::new(Quota::parse("100/minute burst 120")?));
/// let advert = Advert::of(&gcra);
/// assert_eq!(advert, Advert::Limit { quota: 100, window: Nanos::from_secs(60),
///                                    unit: QuotaUnit::Requests });
///
/// let d = Decision { allowed: true, limit: 120, remaining: 119, retry_after: Nanos::ZERO,
///                    reset_after: Nanos::from_millis(600) };
/// let Advertised::Policy(p) = advert.advertise("free", d)? else { unreachable!() };
/// assert_eq!((p.name(), p.quota(), p.decision().remaining), ("free", 100, 119));
///
/// let credits = Limiter::from(Credits::new(1_000));
/// let spent = Decision { allowed: true, limit: 1_000, remaining: 412, ..d };
/// assert_eq!(Advert::of(&credits).advertise("credits", spent)?,
///            Advertised::Credits(CreditBalance { remaining: 412, used: 588 }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Advert {
    /// A limit, written as a policy: `quota` units per `window` (zero: no window) of `unit`.
    Limit {
        /// The advertised quota (`q`, `limit=`, `RateLimit-Limit`, `X-RateLimit-Limit`).
        quota: u64,
        /// The advertised window (`w`), zero when the limit has none.
        window: Nanos,
        /// What the quota counts (`qu`).
        unit: QuotaUnit,
    },
    /// A credit budget: written as a balance, never as a policy.
    Credits,
}

impl Advert {
    /// A rate limit: `quota.limit()` requests per `quota.period()` (the burst is not
    /// advertised: it is what a client may reach, not the rate it may keep).
    pub fn rate(quota: &Quota) -> Advert {
        Advert::Limit {
            quota: quota.limit(),
            window: quota.period_nanos(),
            unit: QuotaUnit::Requests,
        }
    }

    /// A cap of `limit` requests at the same time: no window, `concurrent-requests`.
    pub const fn concurrency(limit: u64) -> Advert {
        Advert::Limit {
            quota: limit,
            window: Nanos::ZERO,
            unit: QuotaUnit::ConcurrentRequests,
        }
    }

    /// What `limiter` advertises: its sustained rate, or its credit balance.
    pub fn of(limiter: &Limiter) -> Advert {
        match limiter {
            Limiter::Gcra(g) => Advert::rate(g.quota()),
            Limiter::TokenBucket(t) => Advert::rate(t.quota()),
            Limiter::FixedWindow(f) => Advert::rate(f.quota()),
            Limiter::SlidingWindow(s) => Advert::rate(s.quota()),
            Limiter::Burst(b) => Advert::burst(b),
            Limiter::Credits(_) => Advert::Credits,
        }
    }

    /// A burst tier advertises its sustained rate: `limit()` per `period()`.
    fn burst(b: &Burst) -> Advert {
        Advert::Limit {
            quota: b.limit(),
            window: Nanos::from_duration(b.period()),
            unit: QuotaUnit::Requests,
        }
    }

    /// This advert for `decision`, under the policy name `name`: a [`Policy`] for a limit
    /// (the name must be printable ASCII, or this is [`FieldError::InvalidPolicyName`]), a
    /// [`CreditBalance`] for credits (the name is not written).
    pub fn advertise(self, name: &str, decision: Decision) -> Result<Advertised<'_>, FieldError> {
        match self {
            Advert::Limit {
                quota,
                window,
                unit,
            } => Ok(Advertised::Policy(
                Policy::new(name, decision)?
                    .with_quota(quota, window)
                    .with_unit(unit),
            )),
            Advert::Credits => Ok(Advertised::Credits(CreditBalance::from_decision(&decision))),
        }
    }
}

/// An [`Advert`] applied to a decision: what goes into
/// [`ResponseFields`](super::ResponseFields), as one of its policies or as its credit balance.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Advertised<'a> {
    /// One of the policies of the `RateLimit` fields.
    Policy(Policy<'a>),
    /// The balance of the `X-API-Credits-*` fields.
    Credits(CreditBalance),
}
