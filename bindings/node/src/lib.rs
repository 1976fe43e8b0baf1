//! Node.js bindings for ratecell.
//!
//! This crate is the native half of the `ratecell` npm package: it converts JavaScript
//! values to the core's types and back, maps the core's errors to `TypeError` and
//! `RangeError`, and reads the clock. The public classes (`Gcra`, `AllOf`, `ManualClock`,
//! ...) are written in JavaScript (`lib/`) over the functions exported here; the modules
//! mirror the core's.
//!
//! The per-request functions are plain Node-API callbacks (see [`call`]); everything else is
//! `#[napi]`, whose types napi-rs generates into `index.d.ts`.
#![allow(unsafe_code)]
// Node-API is a C interface; every unsafe block says why it is sound.
// `#[napi]` items are exported to JavaScript, not to other crates, and must be `pub`.
#![allow(unreachable_pub)]
// `#[napi]` functions receive `&Env` and owned arguments (napi converts each one): their
// signatures are napi's, not a choice.
#![allow(clippy::trivially_copy_pass_by_ref, clippy::needless_pass_by_value)]
// A number is cast to `u64` only after it was checked finite, whole and not negative.
#![allow(clippy::cast_sign_loss)]

mod all_of;
mod call;
mod client;
mod concurrency;
mod credits;
mod decision;
mod error;
mod http;
mod key;
mod keyed;
mod limiter;
mod options;
mod redis;
mod sliding_log;
mod time;
mod token_bucket;
