//! [`SlidingWindow`] against its reference model (`tests/src/sliding_window.rs`), over arbitrary
//! quotas, clocks (stepping back, near `u64::MAX`), costs, peeks, resets and a switch of
//! quota; see [`super::window`] for what is compared when and
//! [`run_quota_window`] for the input.

use ratecell::SlidingWindow;
use ratecell_reference::sliding_window as model;

use super::window::run_quota_window;

/// Runs one input.
///
/// # Panics
/// When the core disagrees with the model or breaks a property.
pub fn run(data: &[u8]) {
    run_quota_window(
        data,
        SlidingWindow::new,
        SlidingWindow::quota,
        model::SlidingWindow::new,
    );
}
