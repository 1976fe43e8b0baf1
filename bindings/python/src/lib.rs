//! `ratecell._ratecell`: the Python module of ratecell, wrapped by the `ratecell` package.
//!
//! Thin: each module converts Python values, maps core errors to exceptions and reads the
//! clock; every decision is the core's. Modules mirror the core's (`gcra`, `token_bucket`,
//! `credits`, `burst`,
//! `fixed_window`, `sliding_window`, `sliding_log`, `all_of`, `concurrency`, `keyed`,
//! `limiter`, `decision`, `error`, `quota`, `time`, `http`, `client`), and `redis`: the
//! compiled helpers of the pure-Python `ratecell.redis`.
//!
//! Every class is a frozen pyclass whose state is behind the core's own locks (the keyed
//! stores are sharded mutexes), so limiters are safe to share between threads, also on
//! free-threaded Python. No call releases the GIL: every operation is a few hundred
//! nanoseconds, less than detaching and re-attaching would cost. Under the GIL a limiter also
//! fills in the `Decision` it returned last again once its caller has dropped it
//! (`decision::Spare`), so a check in a loop allocates nothing.

use pyo3::prelude::*;

mod all_of;
mod burst;
mod client;
mod concurrency;
mod credits;
mod decision;
mod error;
mod fixed_window;
mod gcra;
mod http;
mod keyed;
mod limiter;
mod quota;
mod redis;
mod sliding_log;
mod sliding_window;
mod time;
mod token_bucket;

#[pymodule]
fn _ratecell(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_MAX_KEYS", keyed::DEFAULT_MAX_KEYS)?;
    error::register(m)?;
    m.add_class::<time::MonotonicClock>()?;
    m.add_class::<time::ManualClock>()?;
    m.add_class::<decision::Decision>()?;
    m.add_class::<limiter::RateLimiter>()?;
    m.add_class::<gcra::Gcra>()?;
    m.add_class::<burst::Burst>()?;
    m.add_class::<token_bucket::TokenBucket>()?;
    m.add_class::<token_bucket::Reservation>()?;
    m.add_class::<credits::Credits>()?;
    m.add_class::<fixed_window::FixedWindow>()?;
    m.add_class::<sliding_window::SlidingWindow>()?;
    m.add_class::<sliding_log::SlidingLog>()?;
    m.add_class::<all_of::AllOf>()?;
    m.add_class::<concurrency::Concurrency>()?;
    m.add_class::<concurrency::Lease>()?;
    m.add_class::<http::RateLimitInfo>()?;
    m.add_function(wrap_pyfunction!(http::parse_headers, m)?)?;
    m.add_function(wrap_pyfunction!(http::parse_retry_after, m)?)?;
    m.add_class::<client::RetryPolicy>()?;
    m.add_class::<client::Retry>()?;
    m.add_class::<client::RetryDecision>()?;
    m.add_class::<client::Pacer>()?;
    m.add_function(wrap_pyfunction!(redis::_redis_scripts, m)?)?;
    m.add_function(wrap_pyfunction!(redis::_redis_spec, m)?)?;
    m.add_function(wrap_pyfunction!(redis::_redis_shared, m)?)?;
    m.add_function(wrap_pyfunction!(redis::_redis_decision, m)?)?;
    m.add_function(wrap_pyfunction!(redis::_redis_nanos, m)?)?;
    Ok(())
}
