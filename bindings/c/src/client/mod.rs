//! Client side: backoff with seeded jitter, the retry policy and the pacer.

mod backoff;
mod pacer;
mod retry;

pub use backoff::*;
pub use pacer::*;
pub use retry::*;
