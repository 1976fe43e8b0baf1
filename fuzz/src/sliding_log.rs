//! [`SlidingLog`] against its reference model (`tests/src/sliding_log.rs`), over arbitrary
//! quotas, log sizes, clocks (stepping back, near `u64::MAX`), costs, peeks, resets and a
//! switch of quota; see [`super::window`] for what is compared when.

use arbitrary::Arbitrary;
use ratecell::SlidingLog;
use ratecell_reference::sliding_log as model;

use super::common::{Rate, Start, decode};
use super::window::{MODEL_LIMIT, Op, drive};

#[derive(Arbitrary, Debug)]
struct Input {
    entries: u8,
    rate: Rate,
    other: Rate,
    start: Start,
    ops: Vec<Op>,
}

fn with_entries<const N: usize>(input: &Input) {
    let (Ok(quota), Ok(other)) = (input.rate.quota(), input.other.quota()) else {
        return;
    };
    let model = |log: &SlidingLog<N>| {
        let q = log.quota();
        (q.limit() <= MODEL_LIMIT)
            .then(|| model::SlidingLog::new(q.limit(), q.period_nanos().as_nanos(), N))
    };
    let policies = [SlidingLog::<N>::new(quota), SlidingLog::<N>::new(other)];
    let clock = (input.start, quota.period_nanos().as_nanos());
    drive(&policies, model, clock, &input.ops);
}

/// Runs one input.
///
/// # Panics
/// When the core disagrees with the model or breaks a property.
pub fn run(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    match input.entries % 5 {
        0 => with_entries::<1>(&input),
        1 => with_entries::<2>(&input),
        2 => with_entries::<3>(&input),
        3 => with_entries::<8>(&input),
        _ => with_entries::<64>(&input),
    }
}
