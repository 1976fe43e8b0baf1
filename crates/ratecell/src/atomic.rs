//! [`AtomicGcra`]: one GCRA cell shared between threads without a lock.
//!
//! The whole GCRA state is one `u64` (the theoretical arrival time in ticks), so it fits in an
//! `AtomicU64`. A check loads the state, computes the new state with GCRA's transition (the one
//! [`Gcra::decide`] makes), and publishes it with a compare-and-swap; if another thread changed
//! the state in between, the new state is recomputed from the state it stored. The decision is
//! computed once, from the state the swap succeeded on (or the one a refusal saw), which keeps
//! the window between load and swap short. Every decision is therefore exactly the one a
//! single-threaded [`Gcra`] would make for the same requests in the order their
//! compare-and-swaps took effect: the admission bound (`burst + elapsed / T` over any window),
//! exact `retry_after` and `remaining` all carry over.
//!
//! A denial or a peek stores nothing and does not write the atomic at all, so a flood of
//! refused requests costs each thread one load and no contention on the cache line.
//!
//! Concurrent callers may read clocks that disagree by a few nanoseconds. Decisions stay safe:
//! an earlier `now` than a previous caller's is a clock stepping backwards for the cell, which
//! never admits more than the stored state allows.
//!
//! Lock-free, not wait-free: a thread may retry while others keep succeeding, and each retry
//! follows another thread's admission. Only available where the target has 64-bit atomics
//! (Cortex-M targets such as `thumbv6m-none-eabi` and `thumbv7em-none-eabihf` do not; use
//! [`Gcra`] inside a critical section there).

use core::sync::atomic::{AtomicU64, Ordering};

use crate::decision::Decision;
use crate::error::Error;
use crate::gcra::{Admission, Gcra, GcraState};
use crate::time::Nanos;

/// A GCRA cell that threads share by reference (`Sync`), updated with compare-and-swap.
///
/// ```
/// use ratecell::{AtomicGcra, Gcra, Nanos, Quota};
///
/// static LOGINS: AtomicGcra = AtomicGcra::new(Gcra::new(match Quota::per_minute(5) {
///     Ok(q) => q,
///     Err(_) => panic!("valid quota"),
/// }));
///
/// let admitted = std::thread::scope(|s| {
///     let workers: Vec<_> = (0..4)
///         .map(|_| s.spawn(|| (0..10).filter(|_| LOGINS.check(Nanos::ZERO, 1).is_ok_and(|d| d.allowed)).count()))
///         .collect();
///     workers.into_iter().map(|w| w.join().unwrap()).sum::<usize>()
/// });
/// assert_eq!(admitted, 5);
/// assert_eq!(LOGINS.check(Nanos::ZERO, 1)?.retry_after, Nanos::from_secs(12));
/// # Ok::<(), ratecell::Error>(())
/// ```
#[derive(Debug)]
pub struct AtomicGcra {
    gcra: Gcra,
    state: AtomicU64,
}

impl AtomicGcra {
    /// A fresh cell enforcing `gcra`.
    pub const fn new(gcra: Gcra) -> AtomicGcra {
        AtomicGcra::with_state(gcra, GcraState::FRESH)
    }

    /// A cell starting from a stored `state` (see [`GcraState::to_bits`]).
    pub const fn with_state(gcra: Gcra, state: GcraState) -> AtomicGcra {
        AtomicGcra {
            gcra,
            state: AtomicU64::new(state.to_bits()),
        }
    }

    /// The policy this cell enforces.
    pub const fn gcra(&self) -> &Gcra {
        &self.gcra
    }

    /// Decides a request of `cost` at `now` and records it when admitted, atomically.
    ///
    /// Same contract as [`Gcra::check`]: `cost == 0` peeks, a cost above the capacity is
    /// [`Error::InsufficientCapacity`] and changes nothing.
    #[inline]
    pub fn check(&self, now: Nanos, cost: u64) -> Result<Decision, Error> {
        let (seen, now, stored) = self.transition(now, cost)?;
        Ok(self.gcra.conclude(seen, now, cost, stored))
    }

    /// Decides and records like [`check`](Self::check), and leaves the rest of the
    /// [`Decision`] (`remaining`, `retry_after`, `reset_after`) to be worked out on demand:
    /// a caller that only needs to know whether the request was admitted skips that work.
    ///
    /// ```
    /// use ratecell::{AtomicGcra, Gcra, Nanos, Quota};
    ///
    /// let cell = AtomicGcra::new(Gcra::new(Quota::per_second(2)?));
    /// assert!(cell.admit(Nanos::ZERO, 1)?.allowed());
    /// assert!(cell.admit(Nanos::ZERO, 1)?.allowed());
    /// let refused = cell.admit(Nanos::ZERO, 1)?;
    /// assert!(!refused.allowed());
    /// assert_eq!(refused.decision().retry_after, Nanos::from_millis(500));
    /// # Ok::<(), ratecell::Error>(())
    /// ```
    #[inline]
    pub fn admit(&self, now: Nanos, cost: u64) -> Result<Admission<'_>, Error> {
        let (seen, now, stored) = self.transition(now, cost)?;
        Ok(Admission::decided(
            &self.gcra,
            seen,
            now,
            cost,
            stored.is_some(),
        ))
    }

    /// Records a request of `cost` at `now` when admitted: the state the decision was made
    /// on, `now` in ticks, and the state stored (`None` when refused).
    #[inline]
    fn transition(&self, now: Nanos, cost: u64) -> Result<(u64, u64, Option<u64>), Error> {
        self.gcra.within_capacity(cost)?;
        let now = self.gcra.now_ticks(now);
        // Relaxed is enough: the cell's state is the only data shared, and compare-and-swap
        // on a single location is totally ordered whatever the memory ordering.
        let mut current = self.state.load(Ordering::Relaxed);
        // A peek stores nothing. Deciding it here, outside the loop, leaves the loop nothing
        // to compare but the admission itself: an admitted request of cost 1 or more always
        // moves the state later, so it always has something to swap in.
        if cost == 0 {
            return Ok((current, now, self.gcra.admit_tat_narrow(current, now, 0)));
        }
        // Only the new state is computed between the load and the compare-and-swap; the
        // decision is made once, from the state the swap succeeded on (or the refusal saw).
        let stored = loop {
            let stored = self.gcra.admit_tat_narrow(current, now, cost);
            let Some(next) = stored else {
                break stored;
            };
            match self.state.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break stored,
                Err(actual) => current = actual,
            }
        };
        Ok((current, now, stored))
    }

    /// The cell's standing at `now`, recording nothing.
    pub fn peek(&self, now: Nanos) -> Decision {
        self.gcra.peek(&self.state(), now)
    }

    /// True when the cell at `now` is indistinguishable from a fresh one.
    pub fn is_fresh(&self, now: Nanos) -> bool {
        self.gcra.is_fresh(&self.state(), now)
    }

    /// Resets the cell to fresh.
    pub fn reset(&self) {
        self.state
            .store(GcraState::FRESH.to_bits(), Ordering::Relaxed);
    }

    /// A snapshot of the state, to persist it or to inspect it.
    pub fn state(&self) -> GcraState {
        GcraState::from_bits(self.state.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quota::Quota;

    #[test]
    fn matches_a_single_threaded_cell() {
        let gcra = Gcra::new(Quota::parse("7/minute burst 3").unwrap());
        let cell = AtomicGcra::new(gcra);
        let mut plain = GcraState::default();
        for (i, cost) in [1, 1, 0, 2, 1, 3, 1, 1, 4, 1].into_iter().enumerate() {
            let now = Nanos::from_secs(i as u64 * 4);
            assert_eq!(cell.check(now, cost), gcra.check(&mut plain, now, cost));
            assert_eq!(cell.state(), plain);
        }
        cell.reset();
        assert!(cell.is_fresh(Nanos::ZERO));
    }
}
