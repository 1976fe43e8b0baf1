//! [`RedisPolicy`]: the core's policies as script arguments, and [`Spec`], those arguments.

use core::time::Duration;

use ratecell::{
    Algorithm, Burst, Concurrency, Credits, FixedWindow, Gcra, Limiter, Quota, SlidingLog,
    SlidingWindow, TokenBucket,
};

use crate::error::Error;
use crate::options::Share;
use crate::scripts::Script;

/// A limiter's algorithm and parameters in the scripts' calling convention: the script that
/// decides for it and the arguments naming it (`gcra <limit> <period_ns> <burst>`, ...; see
/// `redis/README.md`).
///
/// ```
/// use ratecell::{Gcra, Quota};
/// use ratecell_redis::{Script, Spec};
///
/// let spec = Spec::of(&Gcra::new(Quota::parse("100/minute burst 120")?))?;
/// assert_eq!(spec.script(), Script::Gcra);
/// assert_eq!(spec.args(), ["gcra", "100", "60000000000", "120"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Spec {
    script: Script,
    args: Vec<String>,
}

impl Spec {
    /// The arguments of `policy`.
    pub fn of<P: RedisPolicy>(policy: &P) -> Result<Spec, Error> {
        policy.spec()
    }

    /// The script to call.
    pub fn script(&self) -> Script {
        self.script
    }

    /// The algorithm's name, then its parameters, as decimal strings.
    pub fn args(&self) -> &[String] {
        &self.args
    }

    /// The algorithm's name.
    pub fn algorithm(&self) -> &str {
        self.args.first().map_or("", String::as_str)
    }

    fn new(script: Script, args: &[&dyn ToString]) -> Spec {
        Spec {
            script,
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A core policy that the Redis scripts decide exactly as the core does: every ratecell
/// algorithm, and [`Limiter`] (any of them chosen at runtime).
pub trait RedisPolicy:
    Algorithm<State: Send> + Clone + Send + Sync + 'static + sealed::Sealed
{
    /// The script arguments of this policy.
    fn spec(&self) -> Result<Spec, Error>;

    /// The same algorithm with `share` of the quota, for a local fallback.
    fn shared(&self, share: Share) -> Result<Self, Error>;
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn shared_quota(q: &Quota, share: Share) -> Result<Quota, Error> {
    let scaled = Quota::from_nanos(share.of(q.limit()), q.period_nanos().as_nanos())?;
    Ok(scaled.with_burst(share.of(q.burst()))?)
}

impl sealed::Sealed for Gcra {}
impl RedisPolicy for Gcra {
    fn spec(&self) -> Result<Spec, Error> {
        let q = self.quota();
        Ok(Spec::new(
            Script::Gcra,
            &[
                &"gcra",
                &q.limit(),
                &q.period_nanos().as_nanos(),
                &q.burst(),
            ],
        ))
    }

    fn shared(&self, share: Share) -> Result<Self, Error> {
        Ok(Gcra::new(shared_quota(self.quota(), share)?))
    }
}

impl sealed::Sealed for TokenBucket {}
impl RedisPolicy for TokenBucket {
    fn spec(&self) -> Result<Spec, Error> {
        let q = self.quota();
        Ok(Spec::new(
            Script::TokenBucket,
            &[
                &"token_bucket",
                &q.limit(),
                &q.period_nanos().as_nanos(),
                &q.burst(),
                &u8::from(self.starts_empty()),
            ],
        ))
    }

    fn shared(&self, share: Share) -> Result<Self, Error> {
        let bucket = TokenBucket::new(shared_quota(self.quota(), share)?);
        Ok(if self.starts_empty() {
            bucket.starting_empty()
        } else {
            bucket
        })
    }
}

impl sealed::Sealed for FixedWindow {}
impl RedisPolicy for FixedWindow {
    fn spec(&self) -> Result<Spec, Error> {
        let q = self.quota();
        Ok(Spec::new(
            Script::FixedWindow,
            &[&"fixed_window", &q.limit(), &q.period_nanos().as_nanos()],
        ))
    }

    fn shared(&self, share: Share) -> Result<Self, Error> {
        Ok(FixedWindow::new(shared_quota(self.quota(), share)?))
    }
}

impl sealed::Sealed for SlidingWindow {}
impl RedisPolicy for SlidingWindow {
    fn spec(&self) -> Result<Spec, Error> {
        let q = self.quota();
        Ok(Spec::new(
            Script::SlidingWindow,
            &[&"sliding_window", &q.limit(), &q.period_nanos().as_nanos()],
        ))
    }

    fn shared(&self, share: Share) -> Result<Self, Error> {
        Ok(SlidingWindow::new(shared_quota(self.quota(), share)?))
    }
}

impl<const N: usize> sealed::Sealed for SlidingLog<N> {}
impl<const N: usize> RedisPolicy for SlidingLog<N> {
    fn spec(&self) -> Result<Spec, Error> {
        let q = self.quota();
        Ok(Spec::new(
            Script::SlidingLog,
            &[&"sliding_log", &q.limit(), &q.period_nanos().as_nanos(), &N],
        ))
    }

    fn shared(&self, share: Share) -> Result<Self, Error> {
        Ok(SlidingLog::new(shared_quota(self.quota(), share)?))
    }
}

impl sealed::Sealed for Burst {}
impl RedisPolicy for Burst {
    fn spec(&self) -> Result<Spec, Error> {
        Ok(Spec::new(
            Script::Burst,
            &[
                &"burst",
                &self.limit(),
                &nanos(self.period()),
                &self.burst(),
                &nanos(self.burst_window()),
            ],
        ))
    }

    fn shared(&self, share: Share) -> Result<Self, Error> {
        Ok(Burst::from_nanos(
            share.of(self.limit()),
            nanos(self.period()),
            share.of(self.burst()),
            nanos(self.burst_window()),
        )?)
    }
}

impl sealed::Sealed for Credits {}
impl RedisPolicy for Credits {
    fn spec(&self) -> Result<Spec, Error> {
        Ok(Spec::new(Script::Credits, &[&"credits", &self.budget()]))
    }

    fn shared(&self, share: Share) -> Result<Self, Error> {
        Ok(Credits::new(share.of(self.budget())))
    }
}

impl<const SLOTS: usize> sealed::Sealed for Concurrency<SLOTS> {}
impl<const SLOTS: usize> RedisPolicy for Concurrency<SLOTS> {
    fn spec(&self) -> Result<Spec, Error> {
        if self.limit() > 65_536 {
            return Err(Error::Config(
                "a concurrency limit in Redis is at most 65,536 leases",
            ));
        }
        Ok(Spec::new(
            Script::Concurrency,
            &[&"concurrency", &self.limit(), &self.ttl().as_nanos()],
        ))
    }

    fn shared(&self, share: Share) -> Result<Self, Error> {
        Ok(Concurrency::from_nanos(
            share.of(self.limit()),
            self.ttl().as_nanos(),
        )?)
    }
}

impl sealed::Sealed for Limiter {}
impl RedisPolicy for Limiter {
    fn spec(&self) -> Result<Spec, Error> {
        match self {
            Limiter::Gcra(p) => p.spec(),
            Limiter::Burst(p) => p.spec(),
            Limiter::FixedWindow(p) => p.spec(),
            Limiter::SlidingWindow(p) => p.spec(),
            Limiter::TokenBucket(p) => p.spec(),
            Limiter::Credits(p) => p.spec(),
            _ => Err(Error::Config("this limiter has no Redis script")),
        }
    }

    fn shared(&self, share: Share) -> Result<Self, Error> {
        Ok(match self {
            Limiter::Gcra(p) => p.shared(share)?.into(),
            Limiter::Burst(p) => p.shared(share)?.into(),
            Limiter::FixedWindow(p) => p.shared(share)?.into(),
            Limiter::SlidingWindow(p) => p.shared(share)?.into(),
            Limiter::TokenBucket(p) => p.shared(share)?.into(),
            Limiter::Credits(p) => p.shared(share)?.into(),
            _ => return Err(Error::Config("this limiter has no Redis script")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_name_the_parameters_of_the_vectors() {
        let q = Quota::parse("7/minute burst 3").unwrap();
        let args = |s: Spec| s.args().join(" ");
        assert_eq!(
            args(Spec::of(&TokenBucket::new(q).starting_empty()).unwrap()),
            "token_bucket 7 60000000000 3 1"
        );
        assert_eq!(
            args(Spec::of(&SlidingLog::<8>::new(q)).unwrap()),
            "sliding_log 7 60000000000 8"
        );
        let tier = Burst::new(
            Quota::parse("100/minute burst 120").unwrap(),
            Duration::from_secs(10),
        );
        assert_eq!(
            args(Spec::of(&tier.unwrap()).unwrap()),
            "burst 100 60000000000 120 10000000000"
        );
        let sessions = Concurrency::<4>::new(2, Duration::from_secs(30)).unwrap();
        assert_eq!(
            args(Spec::of(&sessions).unwrap()),
            "concurrency 2 30000000000"
        );
        assert_eq!(args(Spec::of(&Credits::new(0)).unwrap()), "credits 0");
        let gcra = Limiter::from(Gcra::new(q));
        assert_eq!(Spec::of(&gcra).unwrap().script(), Script::Gcra);
    }

    #[test]
    fn a_share_scales_counts_and_keeps_periods() {
        let half = Share::new(1, 2).unwrap();
        let g = Gcra::new(Quota::parse("100/minute burst 120").unwrap());
        assert_eq!(
            g.shared(half).unwrap().quota().to_string(),
            "50/minute burst 60"
        );
        let b = Burst::new(
            Quota::parse("100/minute burst 120").unwrap(),
            Duration::from_secs(10),
        )
        .unwrap();
        let b = b.shared(half).unwrap();
        assert_eq!((b.limit(), b.burst()), (50, 60));
        assert!(Share::new(0, 1).is_err());
        assert!(Share::new(2, 1).is_err());
    }
}
