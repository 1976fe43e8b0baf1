//! Helpers the property-test files share: the model's view of a decision, and the GCRA
//! policies, full-table rules and request sequences of the keyed tests. Each test file is a
//! crate of its own and uses part of them.
#![allow(dead_code)]

use proptest::prelude::*;
use ratecell::{Decision, Gcra, Quota, WhenFull};
use ratecell_reference::gcra::Outcome;

/// A decision as the reference models report one.
pub(crate) fn outcome(d: Decision) -> Outcome {
    Outcome {
        allowed: d.allowed,
        limit: d.limit,
        remaining: d.remaining,
        retry_after: d.retry_after.as_nanos(),
        reset_after: d.reset_after.as_nanos(),
    }
}

/// A GCRA policy of `limit` per `period` nanoseconds with capacity `burst`.
pub(crate) fn gcra(limit: u64, period: u64, burst: u64) -> Gcra {
    Gcra::new(
        Quota::from_nanos(limit, period)
            .unwrap()
            .with_burst(burst)
            .unwrap(),
    )
}

/// What a full table does, as the tests draw it.
pub(crate) fn when_full(evict: bool) -> WhenFull {
    if evict {
        WhenFull::Evict
    } else {
        WhenFull::FailClosed
    }
}

/// Requests `(key, now, cost)` for keys below `keys`, at non-decreasing instants, at most
/// `period` apart, with costs up to one above `burst`.
pub(crate) fn requests(
    keys: u64,
    period: u64,
    burst: u64,
    len: core::ops::Range<usize>,
) -> impl Strategy<Value = Vec<(u64, u64, u64)>> {
    prop::collection::vec((0..keys, 0..period, 0..=burst + 1), len).prop_map(|steps| {
        let mut now = 0;
        steps
            .into_iter()
            .map(|(key, dt, cost)| {
                now += dt;
                (key, now, cost)
            })
            .collect()
    })
}
