//! Capped exponential backoff with jitter, drawn from a seeded generator.

use ratecell::Nanos;
use ratecell::client::{Backoff, BackoffState, Jitter, SplitMix64};

use crate::{arg, arg_mut, guard, known, ratecell_status};

/// How a wait is drawn from the exponential ceiling `min(cap, base * 2^attempt)` (pass one
/// of these as a `uint32_t`).
#[repr(u32)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ratecell_jitter {
    /// Exactly the ceiling.
    None = 0,
    /// Uniform between zero and the ceiling.
    Full = 1,
    /// Half the ceiling plus a uniform draw up to the other half.
    Equal = 2,
    /// Uniform between the base and three times the previous wait, capped.
    Decorrelated = 3,
}

/// A backoff schedule: plain data the caller fills and may keep anywhere. Validated on every
/// call: `base_ns` at least 1, `cap_ns` at least `base_ns`, `jitter` one of
/// `RATECELL_JITTER_*`, or `RATECELL_STATUS_INVALID_ARGUMENT`.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ratecell_backoff {
    /// The first wait's ceiling, in nanoseconds.
    pub base_ns: u64,
    /// The longest wait, in nanoseconds.
    pub cap_ns: u64,
    /// One of `RATECELL_JITTER_*`.
    pub jitter: u32,
}

/// One retry sequence's backoff progress and its random generator: plain data the caller
/// owns. Start it with `ratecell_backoff_state_init`; its contents are private.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ratecell_backoff_state {
    /// Private: attempts so far, the last wait, the generator's position.
    pub opaque: [u64; 3],
}

impl ratecell_backoff {
    pub(crate) fn schedule(&self) -> Result<Backoff, ratecell_status> {
        let jitter = known(
            self.jitter,
            &[
                (ratecell_jitter::None as u32, Jitter::None),
                (ratecell_jitter::Full as u32, Jitter::Full),
                (ratecell_jitter::Equal as u32, Jitter::Equal),
                (ratecell_jitter::Decorrelated as u32, Jitter::Decorrelated),
            ],
        )?;
        Backoff::new(Nanos::new(self.base_ns), Nanos::new(self.cap_ns), jitter)
            .map_err(|_| ratecell_status::InvalidArgument)
    }
}

impl ratecell_backoff_state {
    pub(crate) fn new(seed: u64) -> Self {
        let mut s = ratecell_backoff_state::default();
        s.set(BackoffState::new(), SplitMix64::new(seed));
        s
    }

    pub(crate) fn get(&self) -> Result<(BackoffState, SplitMix64), ratecell_status> {
        let [attempt, previous, rng] = self.opaque;
        let attempt = u32::try_from(attempt).map_err(|_| ratecell_status::InvalidArgument)?;
        Ok((
            BackoffState::from_parts(attempt, Nanos::new(previous)),
            SplitMix64::new(rng),
        ))
    }

    pub(crate) fn set(&mut self, state: BackoffState, rng: SplitMix64) {
        self.opaque = [
            u64::from(state.attempt()),
            state.previous().as_nanos(),
            rng.state(),
        ];
    }
}

/// Starts a backoff sequence in `out`, its jitter drawn from a generator seeded with `seed`:
/// the same seed gives the same waits. Seed it differently per process in production (the
/// time, a process id, a hash of the client's key) so that clients spread out.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_backoff_state_init(
    seed: u64,
    out: *mut ratecell_backoff_state,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or writable.
        *unsafe { arg_mut(out) }? = ratecell_backoff_state::new(seed);
        Ok(())
    })
}

/// Writes the next wait to `wait_ns` and advances `state`.
///
/// # Safety
/// `backoff` is NULL or valid; `state` is NULL or started by `ratecell_backoff_state_init`
/// and not used concurrently; `wait_ns` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_backoff_next(
    backoff: *const ratecell_backoff,
    state: *mut ratecell_backoff_state,
    wait_ns: *mut u64,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (backoff, state, out) = unsafe { (arg(backoff)?, arg_mut(state)?, arg_mut(wait_ns)?) };
        let schedule = backoff.schedule()?;
        let (mut progress, mut rng) = state.get()?;
        let wait = schedule.next(&mut progress, &mut rng);
        state.set(progress, rng);
        *out = wait.as_nanos();
        Ok(())
    })
}
