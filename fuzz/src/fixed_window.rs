//! [`FixedWindow`] against its reference model (`tests/src/fixed_window.rs`), over arbitrary
//! quotas, clocks (stepping back, near `u64::MAX`), costs, peeks, resets and a switch of
//! quota; see [`super::window`] for what is compared when and
//! [`run_quota_window`] for the input.

use ratecell::FixedWindow;
use ratecell_reference::fixed_window as model;

use super::window::run_quota_window;

/// Runs one input.
///
/// # Panics
/// When the core disagrees with the model or breaks a property.
pub fn run(data: &[u8]) {
    run_quota_window(
        data,
        FixedWindow::new,
        FixedWindow::quota,
        model::FixedWindow::new,
    );
}
