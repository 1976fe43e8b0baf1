//! HTTP: response header fields and error bodies for decisions (the core's `http` module
//! writes them), and the client side's parsers for what servers send back.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};
use ratecell::http::{
    Advert as CoreAdvert, Advertised, FieldParser, HeaderStyle, InsufficientCredits,
    RateLimitExceeded, ResponseFields, parse_retry_after as core_parse_retry_after,
};
use ratecell::{Nanos, Quota};

use crate::decision::Decision;
use crate::error;
use crate::time::{Invalid, nanos_from_seconds, secs, unix_now};

/// What a limiter advertises in headers: its policy name and the core's [`CoreAdvert`] (its
/// sustained rate, its concurrency cap, or a credit balance).
pub(crate) struct Advert {
    pub(crate) name: String,
    pub(crate) advert: CoreAdvert,
}

impl Advert {
    /// What `limiter` advertises under `name`.
    pub(crate) fn of(name: String, limiter: &ratecell::Limiter) -> Advert {
        Advert {
            name,
            advert: CoreAdvert::of(limiter),
        }
    }

    /// `quota.limit()` per `quota.period()` (a burst is not advertised, only reached).
    pub(crate) fn rate(name: String, quota: &Quota) -> Advert {
        Advert {
            name,
            advert: CoreAdvert::rate(quota),
        }
    }

    /// `limit` concurrent requests.
    pub(crate) fn concurrency(name: String, limit: u64) -> Advert {
        Advert {
            name,
            advert: CoreAdvert::concurrency(limit),
        }
    }

    pub(crate) fn copy(&self) -> Advert {
        Advert {
            name: self.name.clone(),
            advert: self.advert,
        }
    }
}

/// The Unix time of a decision: `now` (seconds) when given, else the wall clock's reading at
/// the decision's instant.
fn unix_time(d: &Decision, now: Option<&Bound<'_, PyAny>>) -> PyResult<Nanos> {
    match now {
        Some(n) if !n.is_none() => nanos_from_seconds(n, "now", Invalid::Value),
        _ => Ok(d.source.clock().unix_at(d.at())),
    }
}

fn style(style: Option<&Bound<'_, PyAny>>) -> PyResult<HeaderStyle> {
    let Some(style) = style.filter(|s| !s.is_none()) else {
        return Ok(HeaderStyle::Ietf);
    };
    let Ok(name) = style.cast::<PyString>() else {
        return Err(error::type_error("style", "a str", style));
    };
    let name = name.to_cow()?;
    name.parse().map_err(|_| {
        error::value_error(format!(
            "unknown header style {name:?}: expected \"ietf\", \"draft-8\", \"draft-7\", \"draft-6\" or \"legacy\""
        ))
    })
}

/// Runs `f` with the response fields of `d`: one policy per advertised limit, credit budgets
/// as credit fields.
fn with_fields<R>(
    d: &Decision,
    style: HeaderStyle,
    unix: Nanos,
    f: impl FnOnce(&ResponseFields<'_>) -> R,
) -> PyResult<R> {
    let mut policies = Vec::new();
    let mut credits = None;
    for (advert, standing) in d.source.adverts().iter().zip(d.standings()) {
        match advert.advert.advertise(&advert.name, *standing) {
            Ok(Advertised::Policy(policy)) => policies.push(policy),
            Ok(Advertised::Credits(balance)) => {
                credits.get_or_insert(balance);
            }
            Err(e) => return Err(error::value_error(e.to_string())),
        }
    }
    let mut fields = ResponseFields::new(style, &policies).with_unix_now(unix);
    if let Some(balance) = credits {
        fields = fields.with_credits(balance);
    }
    Ok(f(&fields))
}

pub(crate) fn headers<'py>(
    py: Python<'py>,
    d: &Decision,
    style_name: Option<&Bound<'py, PyAny>>,
    now: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let style = style(style_name)?;
    let unix = unix_time(d, now)?;
    let pairs = with_fields(d, style, unix, |fields| {
        fields
            .iter()
            .map(|field| (field.name(), field.to_string()))
            .collect::<Vec<_>>()
    })?;
    let dict = PyDict::new(py);
    for (name, value) in pairs {
        dict.set_item(name, value)?;
    }
    Ok(dict)
}

pub(crate) fn body(
    d: &Decision,
    now: Option<&Bound<'_, PyAny>>,
    message: Option<&str>,
) -> PyResult<Option<String>> {
    if d.d().allowed {
        return Ok(None);
    }
    if d.d().retry_after == Nanos::MAX {
        let body = match message {
            Some(m) => InsufficientCredits::with_message(m).to_string(),
            None => InsufficientCredits::new().to_string(),
        };
        return Ok(Some(body));
    }
    let unix = unix_time(d, now)?;
    with_fields(d, HeaderStyle::Ietf, unix, |fields| {
        RateLimitExceeded::from_fields(fields).map(|body| match message {
            Some(m) => body.with_message(m).to_string(),
            None => body.to_string(),
        })
    })
}

/// What a response said about the client's rate limits; every field may be missing.
#[pyclass(frozen, module = "ratecell")]
pub(crate) struct RateLimitInfo {
    pub(crate) info: ratecell::http::RateLimitInfo,
}

fn opt_secs(n: Option<Nanos>) -> Option<f64> {
    n.map(secs)
}

#[pymethods]
impl RateLimitInfo {
    /// The quota: requests (or other units) allowed per window.
    #[getter]
    fn limit(&self) -> Option<u64> {
        self.info.limit
    }

    /// Units still available.
    #[getter]
    fn remaining(&self) -> Option<u64> {
        self.info.remaining
    }

    /// Seconds until the quota is restored, from when the response was sent.
    #[getter]
    fn reset(&self) -> Option<f64> {
        opt_secs(self.info.reset)
    }

    /// The policy's window in seconds.
    #[getter]
    fn window(&self) -> Option<f64> {
        opt_secs(self.info.window)
    }

    /// Seconds to wait before retrying (`Retry-After`), from when the response was sent.
    #[getter]
    fn retry_after(&self) -> Option<f64> {
        opt_secs(self.info.retry_after)
    }

    /// `X-API-Credits-Remaining`.
    #[getter]
    fn credits_remaining(&self) -> Option<u64> {
        self.info.credits_remaining
    }

    /// `X-API-Credits-Used`.
    #[getter]
    fn credits_used(&self) -> Option<u64> {
        self.info.credits_used
    }

    fn __repr__(&self) -> String {
        let i = &self.info;
        let show = |v: Option<String>| v.unwrap_or_else(|| "None".to_owned());
        format!(
            "RateLimitInfo(limit={}, remaining={}, reset={}, window={}, retry_after={}, credits_remaining={}, credits_used={})",
            show(i.limit.map(|v| v.to_string())),
            show(i.remaining.map(|v| v.to_string())),
            show(opt_secs(i.reset).map(|v| format!("{v:?}"))),
            show(opt_secs(i.window).map(|v| format!("{v:?}"))),
            show(opt_secs(i.retry_after).map(|v| format!("{v:?}"))),
            show(i.credits_remaining.map(|v| v.to_string())),
            show(i.credits_used.map(|v| v.to_string())),
        )
    }
}

/// A header name or value as bytes (`str` as UTF-8).
fn field_bytes(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(text.to_cow()?.as_bytes().to_vec());
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    Err(error::type_error(what, "a str or bytes", value))
}

/// Reads the fields of `headers`: a mapping (anything with `items()`, such as a dict or the
/// headers of httpx, requests, Starlette or Werkzeug) or an iterable of `(name, value)` pairs.
pub(crate) fn read_fields(
    headers: &Bound<'_, PyAny>,
    unix: Nanos,
) -> PyResult<ratecell::http::RateLimitInfo> {
    let items = if let Ok(dict) = headers.cast::<PyDict>() {
        dict.items().into_any()
    } else if headers.hasattr("items")? {
        headers.call_method0("items")?
    } else if headers.is_instance_of::<PyString>() || headers.is_instance_of::<PyBytes>() {
        return Err(error::type_error(
            "headers",
            "a mapping or an iterable of (name, value) pairs",
            headers,
        ));
    } else {
        headers.clone()
    };
    let mut parser = FieldParser::new();
    let iter = items.try_iter().map_err(|_| {
        error::type_error(
            "headers",
            "a mapping or an iterable of (name, value) pairs",
            headers,
        )
    })?;
    for item in iter {
        let item = item?;
        let (name, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item
            .extract()
            .map_err(|_| error::type_error("each header", "a (name, value) pair", &item))?;
        parser.field(
            field_bytes(&name, "a header name")?,
            field_bytes(&value, "a header value")?,
        );
    }
    Ok(parser.finish(unix))
}

fn unix_arg(now: Option<&Bound<'_, PyAny>>) -> PyResult<Nanos> {
    match now {
        Some(n) if !n.is_none() => nanos_from_seconds(n, "now", Invalid::Value),
        _ => Ok(unix_now()),
    }
}

/// Reads the rate-limit fields of a response: every `RateLimit` draft, `X-RateLimit-*`,
/// `Retry-After` (seconds or HTTP-date), `Date` and `X-API-Credits-*`. `now` is the Unix time
/// in seconds, for absolute times when the response has no `Date` (default: the wall clock).
#[pyfunction]
#[pyo3(signature = (headers, now = None))]
pub(crate) fn parse_headers(
    headers: &Bound<'_, PyAny>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<RateLimitInfo> {
    let unix = unix_arg(now)?;
    Ok(RateLimitInfo {
        info: read_fields(headers, unix)?,
    })
}

/// A `Retry-After` value (delay-seconds or an HTTP-date) as seconds to wait, or `None` when
/// it does not parse. `date` is the response's `Date`; `now` as for `parse_headers`.
#[pyfunction]
#[pyo3(signature = (value, date = None, now = None))]
pub(crate) fn parse_retry_after(
    value: &Bound<'_, PyAny>,
    date: Option<&Bound<'_, PyAny>>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<f64>> {
    let value = field_bytes(value, "value")?;
    let date = match date {
        Some(d) if !d.is_none() => Some(field_bytes(d, "date")?),
        _ => None,
    };
    let unix = unix_arg(now)?;
    Ok(core_parse_retry_after(&value, date.as_deref(), unix).map(secs))
}
