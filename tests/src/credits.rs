//! Credits as a ledger: a balance that requests spend and only top-ups refill.
//!
//! Counts are `u128`, so nothing in the model can overflow; the only bound is the contract's:
//! a key is granted at most `u64::MAX` credits over its life (budget plus top-ups).

/// What the model decided. `u64::MAX` nanoseconds means "never".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Admitted and spent.
    pub allowed: bool,
    /// Credits granted to the key so far: budget plus top-ups.
    pub limit: u64,
    /// Credits left after the decision.
    pub remaining: u64,
    /// 0 when admitted; never (`u64::MAX`) when refused, since waiting adds nothing.
    pub retry_after: u64,
    /// 0 while the key is untouched; never otherwise.
    pub reset_after: u64,
}

/// One key's credits under a budget.
#[derive(Debug, Clone)]
pub struct Credits {
    budget: u128,
    /// Credits granted by top-ups.
    added: u128,
    /// Credits spent.
    spent: u128,
}

impl Credits {
    /// A fresh key under `budget`.
    pub fn new(budget: u64) -> Self {
        Credits {
            budget: u128::from(budget),
            added: 0,
            spent: 0,
        }
    }

    fn granted(&self) -> u128 {
        self.budget + self.added
    }

    /// Credits left.
    pub fn remaining(&self) -> u64 {
        u64::try_from(self.granted() - self.spent).expect("fits")
    }

    /// Credits spent.
    pub fn used(&self) -> u64 {
        u64::try_from(self.spent).expect("fits")
    }

    /// Nothing spent, nothing added.
    pub fn is_fresh(&self) -> bool {
        self.spent == 0 && self.added == 0
    }

    /// Spends `cost` if that much is left; a cost of 0 only looks.
    pub fn check(&mut self, cost: u64) -> Outcome {
        let cost = u128::from(cost);
        let allowed = cost <= self.granted() - self.spent;
        if allowed {
            self.spent += cost;
        }
        let never = u64::MAX;
        Outcome {
            allowed,
            limit: u64::try_from(self.granted()).expect("fits"),
            remaining: self.remaining(),
            retry_after: if allowed { 0 } else { never },
            reset_after: if allowed && self.is_fresh() { 0 } else { never },
        }
    }

    /// Adds `amount`, returning the credits left, or `None` (adding nothing) if the key would
    /// have been granted more than `u64::MAX` in all.
    pub fn top_up(&mut self, amount: u64) -> Option<u64> {
        if self.granted() + u128::from(amount) > u128::from(u64::MAX) {
            return None;
        }
        self.added += u128::from(amount);
        Some(self.remaining())
    }

    /// The most a top-up may still add.
    pub fn headroom(&self) -> u64 {
        u64::try_from(u128::from(u64::MAX) - self.granted()).expect("fits")
    }
}
