//! The in-process fallback of [`FailurePolicy::Fallback`](crate::FailurePolicy): the core's
//! keyed store with a share of the quota.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use ratecell::{AllOf, AllOfDecision, KeyedStore, Limiter, LimiterState, Nanos, WhenFull};

use crate::error::Error;

/// Keys a fallback remembers at most; beyond, the key that is fresh soonest is forgotten.
pub(crate) const MAX_LOCAL_KEYS: usize = 100_000;

/// A keyed store of one algorithm.
pub(crate) type Local<A> = KeyedStore<String, A>;

pub(crate) fn local<A: ratecell::Algorithm>(policy: A) -> Local<A> {
    KeyedStore::new(policy, MAX_LOCAL_KEYS, WhenFull::Evict)
}

/// The members of an all-or-nothing combination and a state per key, in one lock.
#[derive(Debug)]
pub(crate) struct LocalAllOf {
    members: Vec<Limiter>,
    states: Mutex<HashMap<String, Vec<LimiterState>>>,
}

impl LocalAllOf {
    pub(crate) fn new(members: Vec<Limiter>) -> LocalAllOf {
        LocalAllOf {
            members,
            states: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn check_costs(
        &self,
        key: &str,
        now: Nanos,
        costs: &[u64],
    ) -> Result<AllOfDecision, Error> {
        let all = AllOf::new(&self.members[..]);
        let mut states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
        if !states.contains_key(key) && states.len() >= MAX_LOCAL_KEYS {
            // Forget the keys that are fresh (they decide as absent keys do), then any one.
            states.retain(|_, s| !all.is_fresh(s, now));
            if states.len() >= MAX_LOCAL_KEYS
                && let Some(victim) = states.keys().next().cloned()
            {
                states.remove(&victim);
            }
        }
        let state = states
            .entry(key.to_owned())
            .or_insert_with(|| vec![LimiterState::default(); self.members.len()]);
        let decision = all.check_costs(state, now, costs)?;
        if all.is_fresh(state, now) {
            states.remove(key);
        }
        Ok(decision)
    }
}
