//! The bodies of ratecell's fuzz targets, one module per target, each a plain
//! `run(data: &[u8])` that panics on a finding.
//!
//! `fuzz_targets/<name>.rs` hands libFuzzer's input to `<name>::run`; the stable test
//! `tests/tests/fuzz_corpus.rs` compiles these same files (as a module) and replays every
//! committed corpus file and crash reproducer through them, so a finding stays fixed without
//! nightly. [`TARGETS`] names them all.
//!
//! Algorithm targets compare every decision with the reference models of `tests/src`
//! (`ratecell-reference`) where a model describes the input (exact quotas, instants away from
//! the end of representable time), and elsewhere check what every decision must satisfy.

// A target's body is one loop over operations with one match arm per operation: splitting it
// would scatter what is checked when.
#![allow(clippy::too_many_lines)]

pub mod all_of;
pub mod burst;
pub mod c_abi;
pub mod common;
pub mod compact;
pub mod concurrency;
pub mod credits;
pub mod fixed_window;
pub mod gcra;
pub mod http_parse;
pub mod keyed;
pub mod quota_parse;
pub mod sliding_log;
pub mod sliding_window;
pub mod token_bucket;
pub mod window;

/// A target's body.
pub type Body = fn(&[u8]);

/// Every target: its name (the directory of its corpus) and its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("gcra", gcra::run),
    ("fixed_window", fixed_window::run),
    ("sliding_window", sliding_window::run),
    ("sliding_log", sliding_log::run),
    ("token_bucket", token_bucket::run),
    ("burst", burst::run),
    ("credits", credits::run),
    ("all_of", all_of::run),
    ("concurrency", concurrency::run),
    ("keyed", keyed::run),
    ("compact", compact::run),
    ("quota_parse", quota_parse::run),
    ("http_parse", http_parse::run),
    ("c_abi", c_abi::run),
];
