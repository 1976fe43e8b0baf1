//! The C ABI of ratecell.
//!
//! Conventions, for every function:
//! - symbols are `ratecell_<type>_<verb>`; every function returns a [`ratecell_status`] except
//!   `ratecell_version` and `ratecell_status_str`;
//! - inputs come first (`const` pointers for read-only ones), outputs last; an output is written
//!   only when the call returns `RATECELL_STATUS_OK`;
//! - every pointer is checked for NULL (`RATECELL_STATUS_NULL_ARGUMENT`), and no panic crosses
//!   the boundary (`RATECELL_STATUS_PANIC`, which would be a bug in ratecell);
//! - a refusal is not an error: `ratecell_decision.allowed` is false and the call returns OK.
//!
//! Thread safety: policies (`ratecell_gcra`, ...) are immutable after initialisation and may be
//! shared between threads; a state (`ratecell_gcra_state`, ...) is plain memory owned by the
//! caller, who must not use one state from two threads at once without a lock.
#![allow(non_camel_case_types)]
// Every `extern "C"` function here dereferences caller pointers; each documents its contract
// in a `# Safety` section and checks for NULL before use.
#![allow(clippy::missing_safety_doc)]

use core::panic::AssertUnwindSafe;

mod decision;
mod gcra;
mod quota;

pub use decision::ratecell_decision;
pub use gcra::{
    ratecell_gcra, ratecell_gcra_check, ratecell_gcra_init, ratecell_gcra_is_fresh,
    ratecell_gcra_peek, ratecell_gcra_reset, ratecell_gcra_state,
};
pub use quota::{ratecell_quota, ratecell_quota_init, ratecell_quota_parse};

/// The result of every call. Values are explicit and never reused.
#[repr(u32)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ratecell_status {
    /// The call succeeded and wrote its outputs. (A refused request is also OK.)
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 1,
    /// An argument is malformed: an unknown enum value, a policy struct that was not
    /// initialised by ratecell, a handle of the wrong kind.
    InvalidArgument = 2,
    /// The quota's numbers are unusable: a zero limit, period or burst, or values too large.
    InvalidQuota = 3,
    /// A quota string did not parse.
    ParseError = 4,
    /// The request costs more than the limiter's capacity: no wait can admit it.
    InsufficientCapacity = 5,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 6,
    /// A caller-supplied buffer is too small for the output.
    BufferTooSmall = 7,
    /// A bug in ratecell was caught at the boundary; nothing was written.
    Panic = 99,
}

impl ratecell_status {
    fn message(self) -> &'static core::ffi::CStr {
        match self {
            ratecell_status::Ok => c"ok",
            ratecell_status::NullArgument => c"a required pointer argument was NULL",
            ratecell_status::InvalidArgument => {
                c"an argument is malformed (unknown enum value, uninitialised policy or wrong handle)"
            }
            ratecell_status::InvalidQuota => {
                c"invalid quota: limit, period and burst must be at least 1 and representable"
            }
            ratecell_status::ParseError => c"the quota string did not parse",
            ratecell_status::InsufficientCapacity => {
                c"the cost exceeds the limiter's capacity: it can never be admitted"
            }
            ratecell_status::InvalidUtf8 => c"a string argument is not valid UTF-8",
            ratecell_status::BufferTooSmall => c"the output buffer is too small",
            ratecell_status::Panic => c"internal error in ratecell (a bug: please report it)",
        }
    }
}

impl From<ratecell::Error> for ratecell_status {
    fn from(e: ratecell::Error) -> Self {
        match e {
            ratecell::Error::InsufficientCapacity { .. } => ratecell_status::InsufficientCapacity,
            ratecell::Error::Parse(_) => ratecell_status::ParseError,
            _ => ratecell_status::InvalidQuota,
        }
    }
}

/// A static, NUL-terminated description of `status`. Never NULL; unknown values get
/// "unknown status".
#[unsafe(no_mangle)]
pub extern "C" fn ratecell_status_str(status: u32) -> *const core::ffi::c_char {
    let known = [
        ratecell_status::Ok,
        ratecell_status::NullArgument,
        ratecell_status::InvalidArgument,
        ratecell_status::InvalidQuota,
        ratecell_status::ParseError,
        ratecell_status::InsufficientCapacity,
        ratecell_status::InvalidUtf8,
        ratecell_status::BufferTooSmall,
        ratecell_status::Panic,
    ];
    known
        .into_iter()
        .find(|s| *s as u32 == status)
        .map_or(c"unknown status", ratecell_status::message)
        .as_ptr()
}

/// The library version, a static NUL-terminated string such as "0.1.0".
#[unsafe(no_mangle)]
pub extern "C" fn ratecell_version() -> *const core::ffi::c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}

/// Runs a call body behind the panic boundary.
fn guard(body: impl FnOnce() -> Result<(), ratecell_status>) -> ratecell_status {
    match std::panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => ratecell_status::Ok,
        Ok(Err(status)) => status,
        Err(_) => ratecell_status::Panic,
    }
}

/// A shared reference from a caller pointer, or `NullArgument`.
///
/// # Safety
/// `p` is NULL or points to a valid, initialised `T` that outlives the call and is not
/// written by anyone else during it.
unsafe fn arg<'a, T>(p: *const T) -> Result<&'a T, ratecell_status> {
    // SAFETY: the caller guarantees `p` is NULL or valid for reads for the call's duration.
    unsafe { p.as_ref() }.ok_or(ratecell_status::NullArgument)
}

/// A mutable reference from a caller pointer, or `NullArgument`.
///
/// # Safety
/// `p` is NULL or points to a valid `T`, exclusively the callee's during the call.
unsafe fn arg_mut<'a, T>(p: *mut T) -> Result<&'a mut T, ratecell_status> {
    // SAFETY: the caller guarantees `p` is NULL or valid and unaliased for the call's duration.
    unsafe { p.as_mut() }.ok_or(ratecell_status::NullArgument)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

    #[test]
    fn every_status_has_a_distinct_message() {
        let mut seen = std::collections::HashSet::new();
        for v in [0, 1, 2, 3, 4, 5, 6, 7, 99, 12345] {
            // SAFETY: ratecell_status_str always returns a static NUL-terminated string.
            let s = unsafe { CStr::from_ptr(ratecell_status_str(v)) };
            assert!(seen.insert(s.to_str().unwrap().to_owned()), "{v}");
        }
    }

    #[test]
    fn a_panic_becomes_a_status() {
        assert_eq!(guard(|| panic!("boom")), ratecell_status::Panic);
    }
}
