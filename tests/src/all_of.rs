//! An all-of combination of GCRA keys as its documentation states it.
//!
//! The request is tried on copies of every member (the GCRA model of [`crate::gcra`]); the
//! copies are kept only when every member admitted it. The reported numbers are computed
//! from the members as they are after the decision: the fewest remaining, the longest wait,
//! the latest reset, the smallest capacity.

use crate::gcra::{Gcra, Outcome};

/// What the model decided, with the members that shaped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Combined {
    /// The combined outcome.
    pub outcome: Outcome,
    /// When refused: the refusing member with the longest wait, the first among equals.
    pub refused_by: Option<usize>,
    /// The member with the fewest remaining, the first among equals.
    pub tightest: usize,
}

/// A key under several GCRA members.
#[derive(Debug, Clone)]
pub struct AllOf {
    members: Vec<Gcra>,
    capacities: Vec<u64>,
}

impl AllOf {
    /// Fresh members, each `(limit, period_ns, burst)`.
    pub fn new(members: &[(u64, u64, u64)]) -> Self {
        AllOf {
            members: members
                .iter()
                .map(|&(limit, period, burst)| Gcra::new(limit, period, burst))
                .collect(),
            capacities: members.iter().map(|&(_, _, burst)| burst).collect(),
        }
    }

    /// The decision charging member `i` `costs[i]` at `now`; `None` when a cost exceeds its
    /// member's capacity.
    pub fn check(&mut self, now: u64, costs: &[u64]) -> Option<Combined> {
        assert_eq!(costs.len(), self.members.len());
        let mut tried = self.members.clone();
        let mut alone = Vec::new();
        for (member, &cost) in tried.iter_mut().zip(costs) {
            alone.push(member.check(now, cost)?);
        }
        let allowed = alone.iter().all(|o| o.allowed);
        if allowed {
            self.members = tried;
        }
        let standing: Vec<Outcome> = self
            .members
            .iter()
            .map(|m| m.clone().check(now, 0).expect("a peek fits"))
            .collect();
        let remaining = standing
            .iter()
            .map(|o| o.remaining)
            .min()
            .unwrap_or(u64::MAX);
        let retry_after = alone.iter().map(|o| o.retry_after).max().unwrap_or(0);
        let refused_by = if allowed {
            None
        } else {
            alone
                .iter()
                .position(|o| !o.allowed && o.retry_after == retry_after)
        };
        Some(Combined {
            outcome: Outcome {
                allowed,
                limit: self.capacities.iter().copied().min().unwrap_or(u64::MAX),
                remaining,
                retry_after,
                reset_after: standing.iter().map(|o| o.reset_after).max().unwrap_or(0),
            },
            refused_by,
            tightest: standing
                .iter()
                .position(|o| o.remaining == remaining)
                .unwrap_or(0),
        })
    }
}
