//! Reference models of ratecell's algorithms, written for obviousness rather than speed.
//!
//! They share no code with the core: each model restates its algorithm's contract in the
//! most direct arithmetic available (rationals over `u128`), so a property test that
//! compares the two catches a mistake in either. They are the oracle for the property tests
//! in `tests/tests/` and for the fuzz targets.

// The models assert their preconditions: a panic there is a bug in the test, not the core.
#![allow(clippy::missing_panics_doc)]

pub mod all_of;
pub mod burst;
pub mod concurrency;
pub mod credits;
pub mod fixed_window;
pub mod gcra;
pub mod http;
pub mod keyed;
pub mod sliding_log;
pub mod sliding_window;
pub mod token_bucket;
