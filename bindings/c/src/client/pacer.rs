//! The pacer: proactive throttling from the rate-limit fields of the last response.

use ratecell::Nanos;
use ratecell::client::Pacer;
use ratecell::http::RateLimitInfo;

use crate::http::ratecell_rate_limit_info;
use crate::{arg, arg_mut, guard, ratecell_status};

/// A proactive throttle: once `remaining` falls to the low-water mark (the larger of
/// `low_water` units and `low_water_percent` of the advertised limit), what remains is
/// spread evenly until the reset. Plain data the caller fills (`low_water_percent` at most
/// 100, or `RATECELL_STATUS_INVALID_ARGUMENT`), or `ratecell_pacer_init` (20%).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ratecell_pacer {
    /// Pace once this many units or fewer remain.
    pub low_water: u64,
    /// Pace once this percentage of the advertised limit or less remains (0 to 100).
    pub low_water_percent: u32,
}

/// Fills `out` with the default pacer: it paces once 20% or less of the advertised limit
/// remains (without an advertised limit, only once nothing remains).
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_pacer_init(out: *mut ratecell_pacer) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or writable.
        *unsafe { arg_mut(out) }? = ratecell_pacer {
            low_water: 0,
            low_water_percent: 20,
        };
        Ok(())
    })
}

/// Writes to `delay_ns` how long to wait at `now_ns` before sending the next request, given
/// what the response received at `received_at_ns` said (`info`, from
/// `ratecell_rate_limit_info_parse`). Both instants are on the caller's clock. The wait is
/// the longest of `Retry-After`, the reset when nothing remains, and `reset / remaining` once
/// `remaining` is at the low-water mark.
///
/// # Safety
/// `pacer` and `info` are NULL or valid; `delay_ns` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_pacer_delay(
    pacer: *const ratecell_pacer,
    info: *const ratecell_rate_limit_info,
    received_at_ns: u64,
    now_ns: u64,
    delay_ns: *mut u64,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (pacer, info, out) = unsafe { (arg(pacer)?, arg(info)?, arg_mut(delay_ns)?) };
        let percent = u8::try_from(pacer.low_water_percent)
            .ok()
            .filter(|p| *p <= 100)
            .ok_or(ratecell_status::InvalidArgument)?;
        let rules = Pacer::new()
            .with_low_water(pacer.low_water)
            .with_low_water_percent(percent);
        let delay = rules.delay(
            &RateLimitInfo::from(info),
            Nanos::new(received_at_ns),
            Nanos::new(now_ns),
        );
        *out = delay.as_nanos();
        Ok(())
    })
}
