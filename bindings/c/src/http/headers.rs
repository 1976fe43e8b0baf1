//! Response header fields, as `Name: value` lines or as name/value pairs.

use core::ffi::c_char;
use core::fmt::Write as _;

use ratecell::http::{HeaderStyle, Policy};

use super::{ratecell_header_field, ratecell_header_policy, ratecell_headers, write_text};
use crate::decision::ratecell_decision;
use crate::quota::ratecell_quota;
use crate::{arg, arg_mut, buffer, c_str, fill, guard, ratecell_status};

/// Parses a style name (`"ietf"`, `"draft-8"`, `"draft-7"`, `"draft-6"` or `"legacy"`, any
/// case) into one of `RATECELL_HEADER_STYLE_*`. Anything else is
/// `RATECELL_STATUS_PARSE_ERROR`.
///
/// # Safety
/// `text` is NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_header_style_parse(
    text: *const c_char,
    out: *mut u32,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (text, out) = unsafe { (c_str(text)?, arg_mut(out)?) };
        let style: HeaderStyle = text.parse().map_err(|_| ratecell_status::ParseError)?;
        let index = HeaderStyle::ALL.iter().position(|s| *s == style);
        *out = index.and_then(|i| u32::try_from(i).ok()).unwrap_or(0);
        Ok(())
    })
}

/// Fills `out` with a policy advertising `quota->limit` per `quota->period_ns` (a quota with a
/// burst advertises its sustained rate: `100/minute burst 120` is `q=100;w=60`), counting
/// requests, with no partition key. `name` is borrowed: it must outlive `out`'s use. A name
/// that is not printable ASCII is `RATECELL_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `name` is NULL or NUL-terminated; `quota` and `decision` are NULL or valid; `out` is NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_header_policy_init(
    name: *const c_char,
    quota: *const ratecell_quota,
    decision: *const ratecell_decision,
    out: *mut ratecell_header_policy,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (text, quota, decision, out) =
            unsafe { (c_str(name)?, arg(quota)?, arg(decision)?, arg_mut(out)?) };
        let quota = quota.to_quota()?;
        Policy::from_quota(text, &quota, (*decision).into())
            .map_err(|_| ratecell_status::InvalidArgument)?;
        *out = ratecell_header_policy {
            name,
            quota: quota.limit(),
            window_ns: quota.period_nanos().as_nanos(),
            unit: super::ratecell_quota_unit::Requests as u32,
            partition_key: core::ptr::null(),
            partition_key_len: 0,
            decision: *decision,
        };
        Ok(())
    })
}

/// Writes every field as a `Name: value\r\n` line into `buf`, NUL-terminated, and the length
/// (without the NUL) to `len`. When `buf_cap` is not more than that length the call returns
/// `RATECELL_STATUS_BUFFER_TOO_SMALL`, writes only `len`, and the caller retries with
/// `len + 1` bytes (`buf` may be NULL with `buf_cap` 0 to ask).
///
/// Every denial that waiting can cure adds `Retry-After` (seconds, rounded up); a denial no
/// wait can cure (`retry_after_ns == UINT64_MAX`, exhausted credits) gets none: answer 402.
///
/// # Safety
/// `headers` is NULL or valid (see `ratecell_headers`); `buf` is NULL or points to `buf_cap`
/// writable bytes; `len` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_headers_write(
    headers: *const ratecell_headers,
    buf: *mut c_char,
    buf_cap: usize,
    len: *mut usize,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, NULL or valid.
        let headers = unsafe { arg(headers) }?;
        let mut text = String::new();
        // SAFETY: per the contract, the policies are valid.
        unsafe { headers.with(|fields| fields.write_to(&mut text)) }?
            .map_err(|_| ratecell_status::Panic)?;
        // SAFETY: per the contract.
        unsafe { write_text(&text, buf, buf_cap, len) }
    })
}

/// Writes every field as a name/value pair: `fields[i]` points into `buf`, where each name
/// and value is stored NUL-terminated. Writes the number of fields to `count` and the bytes
/// they take in `buf` to `bytes`. When `fields_cap < *count` or `buf_cap < *bytes` the call
/// returns `RATECELL_STATUS_BUFFER_TOO_SMALL` and writes only `count` and `bytes` (`fields`
/// and `buf` may be NULL with capacity 0 to ask). At most 6 fields are ever written.
///
/// # Safety
/// `headers` is NULL or valid; `fields` is NULL or points to `fields_cap` writable fields;
/// `buf` is NULL or points to `buf_cap` writable bytes; `count` and `bytes` are NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn ratecell_headers_fields(
    headers: *const ratecell_headers,
    fields: *mut ratecell_header_field,
    fields_cap: usize,
    buf: *mut c_char,
    buf_cap: usize,
    count: *mut usize,
    bytes: *mut usize,
) -> ratecell_status {
    guard(|| {
        // SAFETY: per the contract, each is NULL or valid.
        let (headers, count, bytes) = unsafe { (arg(headers)?, arg_mut(count)?, arg_mut(bytes)?) };
        // Names and values, each followed by a NUL, and where each starts.
        let mut text = String::new();
        let mut spans = Vec::new();
        // SAFETY: per the contract, the policies are valid.
        unsafe {
            headers.with(|fields| {
                for field in fields {
                    let name = (text.len(), field.name().len());
                    text.push_str(field.name());
                    text.push('\0');
                    let start = text.len();
                    let _ = write!(text, "{field}");
                    spans.push((name, (start, text.len() - start)));
                    text.push('\0');
                }
            })
        }?;
        *count = spans.len();
        *bytes = text.len();
        // SAFETY: per the contract.
        let (out_fields, out_buf) = unsafe {
            (
                buffer(fields, fields_cap)?,
                buffer(buf.cast::<u8>(), buf_cap)?,
            )
        };
        if out_fields.len() < spans.len() || out_buf.len() < text.len() {
            return Err(ratecell_status::BufferTooSmall);
        }
        fill(out_buf, text.as_bytes())?;
        let base = buf.cast_const();
        let pairs: Vec<ratecell_header_field> = spans
            .into_iter()
            .map(
                |((name, name_len), (value, value_len))| ratecell_header_field {
                    name: base.wrapping_add(name),
                    name_len,
                    value: base.wrapping_add(value),
                    value_len,
                },
            )
            .collect();
        fill(out_fields, &pairs)?;
        Ok(())
    })
}
