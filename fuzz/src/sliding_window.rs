//! [`SlidingWindow`] against its reference model (`tests/src/sliding_window.rs`), over arbitrary
//! quotas, clocks (stepping back, near `u64::MAX`), costs, peeks, resets and a switch of
//! quota; see [`super::window`] for what is compared when.

use arbitrary::Arbitrary;
use ratecell::SlidingWindow;
use ratecell_reference::sliding_window as model;

use super::common::{Rate, Start, decode};
use super::window::{MODEL_LIMIT, Op, drive};

#[derive(Arbitrary, Debug)]
struct Input {
    rate: Rate,
    other: Rate,
    start: Start,
    ops: Vec<Op>,
}

/// Runs one input.
///
/// # Panics
/// When the core disagrees with the model or breaks a property.
pub fn run(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    let (Ok(quota), Ok(other)) = (input.rate.quota(), input.other.quota()) else {
        return;
    };
    let model = |w: &SlidingWindow| {
        let q = w.quota();
        (q.limit() <= MODEL_LIMIT)
            .then(|| model::SlidingWindow::new(q.limit(), q.period_nanos().as_nanos()))
    };
    let policies = [SlidingWindow::new(quota), SlidingWindow::new(other)];
    let clock = (input.start, quota.period_nanos().as_nanos());
    drive(&policies, model, clock, &input.ops);
}
