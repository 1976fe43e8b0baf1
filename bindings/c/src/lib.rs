//! The C ABI of ratecell: a thin layer over the core that converts types, checks pointers and
//! maps errors. `include/ratecell.h` is generated from these sources by cbindgen.
//!
//! Conventions, for every function:
//! - symbols are `ratecell_<type>_<verb>`; every function returns a [`ratecell_status`] except
//!   `ratecell_version` and `ratecell_status_str`;
//! - inputs come first (`const` pointers for read-only ones), outputs last; an output is written
//!   only when the call returns `RATECELL_STATUS_OK` (except a parse error's position and the
//!   length a too-small buffer needs);
//! - every pointer is checked for NULL (`RATECELL_STATUS_NULL_ARGUMENT`), `(NULL, 0)` is an
//!   empty slice, enumerations arrive as `uint32_t` and are validated, and no panic crosses
//!   the boundary (`RATECELL_STATUS_PANIC`, which would be a bug in ratecell);
//! - a refusal is not an error: `ratecell_decision.allowed` is false and the call returns OK.
//!
//! Two ways to hold state:
//! - caller-owned plain structs for the fixed-size algorithms (GCRA, burst tiers, fixed and
//!   sliding windows, token buckets, credits) and the client side: no allocation, placeable in a `static`. Policies
//!   are rebuilt from their words on every call with the core's `from_raw`, a handful of
//!   comparisons that refuse a zeroed or tampered struct;
//! - opaque handles (`_new`/`_free`) for what is variable-sized: keyed stores, all-of
//!   combinations, sliding logs and concurrency leases. Each starts with a magic word per
//!   kind, so a handle of the wrong kind is refused.
//!
//! Thread safety: policies (`ratecell_gcra`, ...) are immutable after initialisation and may be
//! shared between threads; a state (`ratecell_gcra_state`, ...) is plain memory owned by the
//! caller, who must not use one state from two threads at once without a lock. Of the
//! handles, only `ratecell_keyed` may be used from several threads at once.
#![allow(non_camel_case_types)]
// Every `extern "C"` function here dereferences caller pointers; each documents its contract
// in a `# Safety` section and checks for NULL before use.
#![allow(clippy::missing_safety_doc)]

use core::mem::MaybeUninit;
use core::panic::AssertUnwindSafe;

mod all_of;
mod burst;
mod client;
mod concurrency;
mod credits;
mod decision;
mod fixed_window;
mod gcra;
mod http;
mod keyed;
mod quota;
mod sliding_log;
mod sliding_window;
mod token_bucket;

pub use all_of::*;
pub use burst::*;
pub use client::*;
pub use concurrency::*;
pub use credits::*;
pub use decision::*;
pub use fixed_window::*;
pub use gcra::*;
pub use http::*;
pub use keyed::*;
pub use quota::*;
pub use sliding_log::*;
pub use sliding_window::*;
pub use token_bucket::*;

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
    /// A string did not parse: a quota, a header style, a `Retry-After` value.
    ParseError = 4,
    /// The request costs more than the limiter's capacity: no wait can admit it.
    InsufficientCapacity = 5,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 6,
    /// A caller-supplied buffer is too small for the output; the length it needs was
    /// written where the function says.
    BufferTooSmall = 7,
    /// The output asked for does not apply: for example a 429 body for a request that was
    /// admitted.
    NotApplicable = 8,
    /// A credits top-up would take what the key has been granted past `UINT64_MAX`; nothing
    /// was added.
    CreditsOverflow = 9,
    /// A keyed store had no room for a new key: it is full of keys that still count and fails
    /// closed. Nothing was recorded.
    TableFull = 10,
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
            ratecell_status::ParseError => c"a string did not parse (a quota, a header style, a Retry-After value)",
            ratecell_status::InsufficientCapacity => {
                c"the cost exceeds the limiter's capacity: it can never be admitted"
            }
            ratecell_status::InvalidUtf8 => c"a string argument is not valid UTF-8",
            ratecell_status::BufferTooSmall => c"the output buffer is too small",
            ratecell_status::NotApplicable => c"the requested output does not apply here",
            ratecell_status::TableFull => {
                c"the keyed store is full of keys that still count: the new key was not stored"
            }
            ratecell_status::CreditsOverflow => {
                c"the top-up would grant the key more than 2^64 - 1 credits; nothing was added"
            }
            ratecell_status::Panic => c"internal error in ratecell (a bug: please report it)",
        }
    }
}

impl From<ratecell::Error> for ratecell_status {
    fn from(e: ratecell::Error) -> Self {
        match e {
            ratecell::Error::InsufficientCapacity { .. } => ratecell_status::InsufficientCapacity,
            ratecell::Error::Parse(_) => ratecell_status::ParseError,
            ratecell::Error::LengthMismatch { .. } => ratecell_status::InvalidArgument,
            ratecell::Error::CreditsOverflow { .. } => ratecell_status::CreditsOverflow,
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
        ratecell_status::NotApplicable,
        ratecell_status::CreditsOverflow,
        ratecell_status::TableFull,
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

/// A slice from a caller's `(pointer, length)` pair. `(NULL, 0)` is the empty slice; NULL
/// with a length is `NullArgument`, and a length no allocation can have is `InvalidArgument`.
///
/// # Safety
/// `p` is NULL or points to `len` valid, initialised `T`s that outlive the call.
unsafe fn slice<'a, T>(p: *const T, len: usize) -> Result<&'a [T], ratecell_status> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(ratecell_status::NullArgument);
    }
    if !p.is_aligned() || len.saturating_mul(size_of::<T>().max(1)) > isize::MAX as usize {
        return Err(ratecell_status::InvalidArgument);
    }
    // SAFETY: non-NULL, aligned, and valid for `len` elements per the caller's contract; the
    // size was checked against `isize::MAX`.
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// A writable buffer from a caller's `(pointer, capacity)` pair; `(NULL, 0)` is empty. The
/// memory may be uninitialised, so it is only ever written.
///
/// # Safety
/// `p` is NULL or points to `len` writable `T`s, exclusively the callee's during the call.
unsafe fn buffer<'a, T>(
    p: *mut T,
    len: usize,
) -> Result<&'a mut [MaybeUninit<T>], ratecell_status> {
    if len == 0 {
        return Ok(&mut []);
    }
    if p.is_null() {
        return Err(ratecell_status::NullArgument);
    }
    if !p.is_aligned() || len.saturating_mul(size_of::<T>().max(1)) > isize::MAX as usize {
        return Err(ratecell_status::InvalidArgument);
    }
    // SAFETY: non-NULL, aligned and valid for `len` writes per the caller's contract; viewed
    // as `MaybeUninit`, so nothing is assumed about its contents.
    Ok(unsafe { core::slice::from_raw_parts_mut(p.cast(), len) })
}

/// Copies `src` into the start of `dst`, or `BufferTooSmall`.
fn fill<T: Copy>(dst: &mut [MaybeUninit<T>], src: &[T]) -> Result<(), ratecell_status> {
    let dst = dst
        .get_mut(..src.len())
        .ok_or(ratecell_status::BufferTooSmall)?;
    for (d, s) in dst.iter_mut().zip(src) {
        d.write(*s);
    }
    Ok(())
}

/// A UTF-8 string from a NUL-terminated C string.
///
/// # Safety
/// `p` is NULL or a valid NUL-terminated string that outlives the call.
unsafe fn c_str<'a>(p: *const core::ffi::c_char) -> Result<&'a str, ratecell_status> {
    if p.is_null() {
        return Err(ratecell_status::NullArgument);
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let text = unsafe { core::ffi::CStr::from_ptr(p) };
    text.to_str().map_err(|_| ratecell_status::InvalidUtf8)
}

/// Validates a `uint32_t` enum value from C against the known variants.
fn known<T: Copy>(value: u32, variants: &[(u32, T)]) -> Result<T, ratecell_status> {
    variants
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, t)| *t)
        .ok_or(ratecell_status::InvalidArgument)
}

/// An opaque handle: `Self` is the empty type C sees, `Inner` what it points to. Handles are
/// allocated as a [`Tagged`], so their first word is a magic number per kind.
pub(crate) trait Handle: Sized {
    /// What the handle owns.
    type Inner;
    /// The first word of every live handle of this kind: eight ASCII bytes, big-endian.
    const MAGIC: u64;

    /// Moves `inner` to the heap and returns the handle.
    fn into_handle(inner: Self::Inner) -> *mut Self {
        Box::into_raw(Box::new(Tagged {
            magic: Self::MAGIC,
            inner,
        }))
        .cast()
    }
}

/// The heap form of every handle: the magic number first, at a known offset.
#[repr(C)]
struct Tagged<T> {
    magic: u64,
    inner: T,
}

/// The magic written over a handle as it is freed.
const FREED: u64 = 0xdead_dead_dead_dead;

/// Checks a handle pointer's kind and returns its tagged allocation.
fn tagged<H: Handle>(p: *const H) -> Result<*mut Tagged<H::Inner>, ratecell_status> {
    if p.is_null() {
        return Err(ratecell_status::NullArgument);
    }
    let tagged = p.cast::<Tagged<H::Inner>>().cast_mut();
    if !tagged.is_aligned() {
        return Err(ratecell_status::InvalidArgument);
    }
    // SAFETY: a non-NULL, aligned pointer the caller passed as a handle: at least the magic
    // word of some ratecell handle is readable there (its contract); no reference is made.
    let magic = unsafe { p.cast::<u64>().read() };
    if magic == H::MAGIC {
        Ok(tagged)
    } else {
        Err(ratecell_status::InvalidArgument)
    }
}

/// The handle's contents, shared; `InvalidArgument` for a handle of another kind.
///
/// # Safety
/// `p` is NULL or a handle returned by a ratecell `_new` function and not yet freed, not
/// mutated by another thread during the call unless the type says it is thread-safe.
unsafe fn handle<'a, H: Handle>(p: *const H) -> Result<&'a H::Inner, ratecell_status> {
    let tagged = tagged(p)?;
    // SAFETY: the magic matched, so this is a live `Tagged<H::Inner>` per the contract.
    Ok(unsafe { &(*tagged).inner })
}

/// The handle's contents, exclusive; `InvalidArgument` for a handle of another kind.
///
/// # Safety
/// As [`handle`], and nothing else uses the handle during the call.
unsafe fn handle_mut<'a, H: Handle>(p: *mut H) -> Result<&'a mut H::Inner, ratecell_status> {
    let tagged = tagged(p.cast_const())?;
    // SAFETY: the magic matched and the caller gives us exclusive use.
    Ok(unsafe { &mut (*tagged).inner })
}

/// Frees a handle: NULL is a no-op, a handle of another kind is `InvalidArgument`.
///
/// # Safety
/// `p` is NULL or a live handle that no one uses during or after the call.
unsafe fn free_handle<H: Handle>(p: *mut H) -> ratecell_status {
    guard(|| {
        if p.is_null() {
            return Ok(());
        }
        let tagged = tagged(p.cast_const())?;
        // SAFETY: the magic matched: `tagged` came from `Box::into_raw` in `into_handle`, and
        // the caller hands it back for good. The magic is overwritten first so that a stale
        // copy of the pointer is more likely to be refused than trusted.
        unsafe {
            (*tagged).magic = FREED;
            drop(Box::from_raw(tagged));
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

    #[test]
    fn every_status_has_a_distinct_message() {
        let mut seen = std::collections::HashSet::new();
        for v in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99, 12345] {
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
