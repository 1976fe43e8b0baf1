//! The C ABI (`bindings/c`), called the way a careless C program would: arbitrary sequences
//! of calls with NULL pointers, zeroed and tampered policy structs, arbitrary state bits,
//! arbitrary quota text and unknown status values.
//!
//! Nothing may crash or report `RATECELL_STATUS_PANIC`. Every call must keep the ABI's
//! contract: NULL gives `RATECELL_STATUS_NULL_ARGUMENT`, outputs are written only on
//! `RATECELL_STATUS_OK`, a policy struct that ratecell did not produce is
//! `RATECELL_STATUS_INVALID_ARGUMENT` (or, when tampering happens to keep it consistent, a
//! panic-free policy), and every decision is the core's for the same policy and state.

use core::ffi::{CStr, c_char};
use core::ptr;
use std::collections::{HashMap, HashSet};

use arbitrary::Arbitrary;
use ratecell::{Error, Gcra, GcraState, Nanos, ParseErrorKind, Quota};
use ratecell_c::{
    ratecell_decision, ratecell_gcra, ratecell_gcra_check, ratecell_gcra_init,
    ratecell_gcra_is_fresh, ratecell_gcra_peek, ratecell_gcra_reset, ratecell_gcra_state,
    ratecell_keyed, ratecell_keyed_check, ratecell_keyed_decision, ratecell_keyed_free,
    ratecell_keyed_len, ratecell_keyed_new_gcra, ratecell_quota, ratecell_quota_init,
    ratecell_quota_parse, ratecell_status, ratecell_status_str, ratecell_version,
};

use super::common::{At, Count, MAX_OPS, Span, decode};

/// A decision no call writes: it shows whether an output was touched.
const UNTOUCHED: ratecell_decision = ratecell_decision {
    allowed: true,
    limit: 0xdead,
    remaining: 0xbeef,
    retry_after_ns: 0xfeed,
    reset_after_ns: 0xface,
};

/// Which policy struct a call receives.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum PolicyArg {
    /// The last one `ratecell_gcra_init` wrote.
    Initialised,
    /// All zeros, as a C program that forgot to initialise it has.
    Zeroed,
    /// The initialised one with one word replaced.
    Replaced(u8, u64),
    /// The initialised one with one bit flipped.
    Flipped(u8, u8),
    /// Any six words.
    Any([u64; 6]),
    Null,
}

/// Which state a call receives.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum StateArg {
    /// The state this program keeps.
    Own,
    /// Any bits.
    Any(u64),
    Null,
}

/// Which quota `ratecell_gcra_init` receives.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum QuotaArg {
    /// The last one `ratecell_quota_init` or `ratecell_quota_parse` wrote.
    Written,
    /// Any numbers, valid or not.
    Numbers(Count, Span, Count),
    Null,
}

#[derive(Arbitrary, Debug)]
enum Call<'a> {
    QuotaInit(Count, Span, Count, bool),
    QuotaParse(&'a [u8], bool, bool),
    GcraInit(QuotaArg, bool),
    GcraCheck(PolicyArg, StateArg, u64, u64, bool),
    GcraPeek(PolicyArg, StateArg, u64, bool),
    GcraIsFresh(PolicyArg, StateArg, u64, bool),
    GcraReset(StateArg),
    StatusStr(u32),
    Version,
    KeyedNew(PolicyArg, u16, WhenFullArg, bool),
    KeyedCheck(HandleArg, u8, u64, u64, bool),
    KeyedLen(HandleArg, bool),
    KeyedFree(HandleArg),
}

/// Which `when_full` value `ratecell_keyed_new_gcra` receives.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum WhenFullArg {
    FailClosed,
    Evict,
    /// Any value, most of them no `RATECELL_WHEN_FULL_*`.
    Any(u32),
}

/// Which keyed handle a call receives.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum HandleArg {
    /// The live store, or NULL when there is none (never created, or freed).
    Live,
    Null,
    /// A live allocation that is no keyed store: its first word is this (another handle
    /// kind's tag, or anything).
    Foreign(u64),
}

/// The keyed store the calls created, with the GCRA policy it enforces and each key's state
/// as that policy alone computes it. They agree while the store has room for every key and
/// its clock never steps back (a key reclaimed as fresh at a later instant starts over, as
/// the keyed module documents).
struct Store {
    handle: *mut ratecell_keyed,
    gcra: Gcra,
    roomy: bool,
    keys: HashMap<u8, GcraState>,
    /// Every key a check decided.
    seen: HashSet<u8>,
    /// The latest instant a check gave the store.
    latest: u64,
    monotone: bool,
}

/// What the calls have produced so far.
struct Program {
    quota: ratecell_quota,
    policy: ratecell_gcra,
    state: ratecell_gcra_state,
    store: Option<Store>,
    /// The allocation behind [`HandleArg::Foreign`].
    foreign: Box<[u64; 8]>,
}

impl Drop for Program {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            // SAFETY: the live handle `ratecell_keyed_new_gcra` wrote, freed once.
            let status = unsafe { ratecell_keyed_free(store.handle) };
            assert_eq!(status, ratecell_status::Ok);
        }
    }
}

fn out_ptr<T>(out: &mut T, null: bool) -> *mut T {
    if null { ptr::null_mut() } else { out }
}

/// Asserts the ABI's rules for one call: no panic, NULL reported, an output written exactly
/// on success.
fn assert_contract(
    what: &dyn core::fmt::Display,
    status: ratecell_status,
    null: bool,
    written: bool,
) {
    assert_ne!(
        status,
        ratecell_status::Panic,
        "{what}: a panic reached the boundary"
    );
    if null {
        assert_eq!(status, ratecell_status::NullArgument, "{what}");
    }
    assert_eq!(
        written,
        status == ratecell_status::Ok,
        "{what}: output written iff OK"
    );
}

impl Program {
    fn policy_arg(&self, arg: PolicyArg) -> Option<ratecell_gcra> {
        let mut p = self.policy;
        match arg {
            PolicyArg::Initialised => {}
            PolicyArg::Zeroed => p = ratecell_gcra::default(),
            PolicyArg::Replaced(i, v) => p.opaque[usize::from(i) % 6] = v,
            PolicyArg::Flipped(i, bit) => p.opaque[usize::from(i) % 6] ^= 1 << (bit % 64),
            PolicyArg::Any(words) => p.opaque = words,
            PolicyArg::Null => return None,
        }
        Some(p)
    }

    fn state_arg(&self, arg: StateArg) -> Option<ratecell_gcra_state> {
        match arg {
            StateArg::Own => Some(self.state),
            StateArg::Any(bits) => Some(ratecell_gcra_state { opaque: bits }),
            StateArg::Null => None,
        }
    }

    /// Runs one call.
    fn call(&mut self, what: &dyn core::fmt::Display, call: &Call<'_>) {
        match *call {
            Call::QuotaInit(limit, period, burst, null) => {
                self.quota_init(what, (limit, period, burst), null);
            }
            Call::QuotaParse(bytes, null, error_null) => {
                self.quota_parse(what, bytes, null, error_null);
            }
            Call::GcraInit(quota, null) => self.gcra_init(what, quota, null),
            Call::GcraCheck(policy, state, now, cost, null) => {
                self.gcra_check(what, (policy, state), (now, cost), null);
            }
            Call::GcraPeek(..) | Call::GcraIsFresh(..) => self.gcra_query(what, call),
            Call::GcraReset(state) => self.gcra_reset(what, state),
            Call::StatusStr(status) => Program::status_str(what, status),
            Call::Version => Program::version(what),
            Call::KeyedNew(policy, max_keys, when_full, null) => {
                self.keyed_new(what, policy, (max_keys, when_full), null);
            }
            Call::KeyedCheck(handle, key, now, cost, null) => {
                self.keyed_check(what, handle, key, (now, cost), null);
            }
            Call::KeyedLen(handle, null) => self.keyed_len(what, handle, null),
            Call::KeyedFree(handle) => self.keyed_free(what, handle),
        }
    }

    /// The pointer a [`HandleArg`] stands for, and whether it is NULL.
    fn handle_arg(&mut self, arg: HandleArg) -> (*mut ratecell_keyed, bool) {
        match (arg, &self.store) {
            (HandleArg::Live, Some(store)) => (store.handle, false),
            (HandleArg::Live | HandleArg::Null, _) => (ptr::null_mut(), true),
            (HandleArg::Foreign(word), _) => {
                // Never the keyed tag itself: that allocation is no store.
                let keyed = u64::from_be_bytes(*b"rc:keyed");
                self.foreign[0] = if word == keyed { !word } else { word };
                (ptr::from_mut(&mut *self.foreign).cast(), false)
            }
        }
    }

    /// Asserts what a call on a foreign handle must return.
    fn assert_refused_if_foreign(
        what: &dyn core::fmt::Display,
        arg: HandleArg,
        status: ratecell_status,
    ) {
        if let HandleArg::Foreign(_) = arg {
            assert_eq!(
                status,
                ratecell_status::InvalidArgument,
                "{what}: a foreign handle"
            );
        }
    }

    fn keyed_new(
        &mut self,
        what: &dyn core::fmt::Display,
        policy: PolicyArg,
        (max_keys, when_full): (u16, WhenFullArg),
        null: bool,
    ) {
        let p = self.policy_arg(policy);
        let p_ptr = p.as_ref().map_or(ptr::null(), ptr::from_ref);
        let max_keys = usize::from(max_keys % 300);
        let mode = match when_full {
            WhenFullArg::FailClosed => 0,
            WhenFullArg::Evict => 1,
            WhenFullArg::Any(v) => v,
        };
        let mut out: *mut ratecell_keyed = ptr::null_mut();
        let out_arg = if null {
            ptr::null_mut()
        } else {
            ptr::from_mut(&mut out)
        };
        // SAFETY: the policy is NULL or a live struct (its words arbitrary, which the ABI
        // checks); `out_arg` is NULL or a writable handle pointer.
        let status = unsafe { ratecell_keyed_new_gcra(p_ptr, max_keys, mode, out_arg) };
        let gcra = p.and_then(|p| Gcra::from_raw(p.opaque));
        // The arguments are checked in order: the policy, the values, then `out`.
        let want = match (p, gcra) {
            (None, _) => ratecell_status::NullArgument,
            (Some(_), None) => ratecell_status::InvalidArgument,
            _ if max_keys == 0 || mode > 1 => ratecell_status::InvalidArgument,
            _ if null => ratecell_status::NullArgument,
            _ => ratecell_status::Ok,
        };
        assert_eq!(status, want, "{what}");
        assert_contract(what, status, false, !out.is_null());
        if let (Some(gcra), ratecell_status::Ok) = (gcra, status) {
            // Replace the store: the old one is freed and never used again.
            if let Some(old) = self.store.take() {
                // SAFETY: the live handle `ratecell_keyed_new_gcra` wrote, freed once.
                let freed = unsafe { ratecell_keyed_free(old.handle) };
                assert_eq!(freed, ratecell_status::Ok, "{what}");
            }
            self.store = Some(Store {
                handle: out,
                gcra,
                roomy: max_keys >= 256,
                keys: HashMap::new(),
                seen: HashSet::new(),
                latest: 0,
                monotone: true,
            });
        }
    }

    fn keyed_check(
        &mut self,
        what: &dyn core::fmt::Display,
        handle: HandleArg,
        key: u8,
        (now, cost): (u64, u64),
        null: bool,
    ) {
        let (h, null_handle) = self.handle_arg(handle);
        let bytes = [key];
        let mut out = ratecell_keyed_decision {
            decision: UNTOUCHED,
            table_full: true,
        };
        let before = out;
        let out_arg = if null {
            ptr::null_mut()
        } else {
            ptr::from_mut(&mut out)
        };
        // SAFETY: the handle is NULL, the live store, or a live allocation of 64 bytes whose
        // first word is checked; the key is one byte; `out_arg` is NULL or writable.
        let status = unsafe { ratecell_keyed_check(h, bytes.as_ptr(), 1, now, cost, out_arg) };
        // A foreign handle is refused before `out` is looked at.
        let foreign = matches!(handle, HandleArg::Foreign(_));
        assert_contract(
            what,
            status,
            null_handle || (null && !foreign),
            out != before,
        );
        Program::assert_refused_if_foreign(what, handle, status);
        if let (HandleArg::Live, Some(store)) = (handle, self.store.as_mut()) {
            store.monotone &= now >= store.latest;
            store.latest = store.latest.max(now);
            if status == ratecell_status::Ok {
                store.seen.insert(key);
            }
        }
        if let (HandleArg::Live, Some(store), false) = (handle, self.store.as_mut(), null)
            && store.roomy
            && store.monotone
        {
            let state = store.keys.entry(key).or_default();
            match store.gcra.check(state, Nanos::new(now), cost) {
                Ok(d) => {
                    assert_eq!(status, ratecell_status::Ok, "{what}");
                    let want = ratecell_keyed_decision {
                        decision: d.into(),
                        table_full: false,
                    };
                    assert_eq!(out, want, "{what}: the store and its policy differ");
                }
                Err(Error::InsufficientCapacity { .. }) => {
                    assert_eq!(status, ratecell_status::InsufficientCapacity, "{what}");
                }
                Err(e) => panic!("{what}: the core says {e:?}"),
            }
        }
    }

    fn keyed_len(&mut self, what: &dyn core::fmt::Display, handle: HandleArg, null: bool) {
        let (h, null_handle) = self.handle_arg(handle);
        let mut len = usize::MAX;
        let out_arg = if null {
            ptr::null_mut()
        } else {
            ptr::from_mut(&mut len)
        };
        // SAFETY: as in `keyed_check`; `out_arg` is NULL or writable.
        let status = unsafe { ratecell_keyed_len(h, out_arg) };
        let foreign = matches!(handle, HandleArg::Foreign(_));
        assert_contract(
            what,
            status,
            null_handle || (null && !foreign),
            len != usize::MAX,
        );
        Program::assert_refused_if_foreign(what, handle, status);
        if let (ratecell_status::Ok, Some(store)) = (status, &self.store) {
            assert!(
                len <= store.seen.len(),
                "{what}: more keys than were checked"
            );
        }
    }

    fn keyed_free(&mut self, what: &dyn core::fmt::Display, handle: HandleArg) {
        let (h, _) = self.handle_arg(handle);
        // SAFETY: NULL, the live store (forgotten right after, never used again) or a live
        // allocation whose first word is checked.
        let status = unsafe { ratecell_keyed_free(h) };
        assert_ne!(status, ratecell_status::Panic, "{what}");
        Program::assert_refused_if_foreign(what, handle, status);
        if let HandleArg::Live | HandleArg::Null = handle {
            assert_eq!(
                status,
                ratecell_status::Ok,
                "{what}: freeing a store or NULL"
            );
        }
        if let HandleArg::Live = handle {
            self.store = None;
        }
    }

    fn quota_init(
        &mut self,
        what: &dyn core::fmt::Display,
        (limit, period, burst): (Count, Span, Count),
        null: bool,
    ) {
        let (l, p, b) = (limit.get(), period.get(), burst.get());
        let mut out = ratecell_quota {
            limit: 7,
            period_ns: 7,
            burst: 7,
        };
        let before = out;
        // SAFETY: `out` is NULL or a live, writable quota.
        let status = unsafe { ratecell_quota_init(l, p, b, out_ptr(&mut out, null)) };
        assert_contract(what, status, null, out != before);
        let valid = Quota::from_nanos(l, p)
            .and_then(|q| q.with_burst(b))
            .is_ok();
        if !null {
            let want = if valid {
                ratecell_status::Ok
            } else {
                ratecell_status::InvalidQuota
            };
            assert_eq!(status, want, "{what}");
        }
        if status == ratecell_status::Ok {
            assert_eq!(
                out,
                ratecell_quota {
                    limit: l,
                    period_ns: p,
                    burst: b
                }
            );
            self.quota = out;
        }
    }

    fn quota_parse(
        &mut self,
        what: &dyn core::fmt::Display,
        bytes: &[u8],
        null: bool,
        error_null: bool,
    ) {
        // A C string: the bytes up to the first NUL, NUL-terminated.
        let text: Vec<u8> = bytes.iter().copied().take_while(|&b| b != 0).collect();
        let mut c_text = text.clone();
        c_text.push(0);
        let mut out = ratecell_quota::default();
        let mut error_at = usize::MAX;
        let error_ptr = out_ptr(&mut error_at, error_null);
        // SAFETY: `c_text` is NUL-terminated and outlives the call; `out` and
        // `error_at` are NULL or live and writable.
        let status = unsafe {
            ratecell_quota_parse(
                c_text.as_ptr().cast::<c_char>(),
                out_ptr(&mut out, null),
                error_ptr,
            )
        };
        assert_contract(what, status, null, out != ratecell_quota::default());
        if null {
            return;
        }
        let want = match core::str::from_utf8(&text) {
            Err(_) => Err(ratecell_status::InvalidUtf8),
            Ok(s) => Quota::parse(s).map_err(|e| match e.kind {
                ParseErrorKind::Invalid(_) => ratecell_status::InvalidQuota,
                _ => ratecell_status::ParseError,
            }),
        };
        match want {
            Ok(q) => {
                assert_eq!(status, ratecell_status::Ok, "{what}");
                assert_eq!(out, ratecell_quota::from(q), "{what}");
                self.quota = out;
            }
            Err(s) => assert_eq!(status, s, "{what}"),
        }
        // The offset is written on a parse error, and only then.
        let parse_error = status == ratecell_status::ParseError;
        if !error_null {
            assert_eq!(error_at != usize::MAX, parse_error, "{what}: error_at");
        }
        if parse_error && !error_null {
            assert!(error_at <= text.len(), "{what}: error_at past the end");
        }
    }

    fn gcra_init(&mut self, what: &dyn core::fmt::Display, quota: QuotaArg, null: bool) {
        let q = match quota {
            QuotaArg::Written => Some(self.quota),
            QuotaArg::Numbers(l, p, b) => Some(ratecell_quota {
                limit: l.get(),
                period_ns: p.get(),
                burst: b.get(),
            }),
            QuotaArg::Null => None,
        };
        let q_ptr = q.as_ref().map_or(ptr::null(), ptr::from_ref);
        let mut out = ratecell_gcra { opaque: [7; 6] };
        // SAFETY: `q_ptr` is NULL or a live quota; `out` is NULL or live and writable.
        let status = unsafe { ratecell_gcra_init(q_ptr, out_ptr(&mut out, null)) };
        assert_contract(what, status, null || q.is_none(), out.opaque != [7; 6]);
        if let (Some(q), false) = (q, null) {
            let core =
                Quota::from_nanos(q.limit, q.period_ns).and_then(|quota| quota.with_burst(q.burst));
            match core {
                Ok(quota) => {
                    assert_eq!(status, ratecell_status::Ok, "{what}");
                    assert_eq!(out.opaque, Gcra::new(quota).to_raw(), "{what}");
                    self.policy = out;
                }
                Err(_) => assert_eq!(status, ratecell_status::InvalidQuota, "{what}"),
            }
        }
    }

    fn gcra_check(
        &mut self,
        what: &dyn core::fmt::Display,
        (policy, state): (PolicyArg, StateArg),
        (now, cost): (u64, u64),
        null: bool,
    ) {
        let p = self.policy_arg(policy);
        let mut s = self.state_arg(state);
        let before = s;
        let p_ptr = p.as_ref().map_or(ptr::null(), ptr::from_ref);
        let s_ptr = s.as_mut().map_or(ptr::null_mut(), ptr::from_mut);
        let mut out = UNTOUCHED;
        // SAFETY: each pointer is NULL or a live value of its type, unaliased.
        let status =
            unsafe { ratecell_gcra_check(p_ptr, s_ptr, now, cost, out_ptr(&mut out, null)) };
        let any_null = p.is_none() || s.is_none() || null;
        assert_contract(what, status, any_null, out != UNTOUCHED);
        if status != ratecell_status::Ok {
            assert_eq!(
                s.map(|s| s.opaque),
                before.map(|s| s.opaque),
                "{what}: a failed call changed the state"
            );
        }
        if let (Some(p), Some(b), false) = (p, before, any_null) {
            let want = Gcra::from_raw(p.opaque)
                .map(|g| g.decide(GcraState::from_bits(b.opaque), Nanos::new(now), cost));
            match want {
                None => assert_eq!(status, ratecell_status::InvalidArgument, "{what}"),
                Some(Ok((d, next))) => {
                    assert_eq!(status, ratecell_status::Ok, "{what}");
                    assert_eq!(out, ratecell_decision::from(d), "{what}");
                    assert_eq!(s.map(|s| s.opaque), Some(next.to_bits()), "{what}");
                }
                Some(Err(Error::InsufficientCapacity { .. })) => {
                    assert_eq!(status, ratecell_status::InsufficientCapacity, "{what}");
                }
                Some(Err(e)) => panic!("{what}: the core says {e:?}"),
            }
        }
        if let (StateArg::Own, Some(s)) = (state, s) {
            self.state = s;
        }
    }

    fn gcra_query(&self, what: &dyn core::fmt::Display, call: &Call<'_>) {
        let (Call::GcraPeek(policy, state, now, null)
        | Call::GcraIsFresh(policy, state, now, null)) = *call
        else {
            return;
        };
        let p = self.policy_arg(policy);
        let s = self.state_arg(state);
        let p_ptr = p.as_ref().map_or(ptr::null(), ptr::from_ref);
        let s_ptr = s.as_ref().map_or(ptr::null(), ptr::from_ref);
        let any_null = p.is_none() || s.is_none() || null;
        let policy = p.and_then(|p| Gcra::from_raw(p.opaque));
        let key = s.map(|s| GcraState::from_bits(s.opaque));
        let status = if let Call::GcraPeek(..) = call {
            let mut out = UNTOUCHED;
            // SAFETY: each pointer is NULL or a live value of its type.
            let status = unsafe { ratecell_gcra_peek(p_ptr, s_ptr, now, out_ptr(&mut out, null)) };
            assert_contract(what, status, any_null, out != UNTOUCHED);
            if let (Some(g), Some(k), false) = (policy, key, any_null) {
                assert_eq!(out, g.peek(&k, Nanos::new(now)).into(), "{what}");
            }
            status
        } else {
            let mut out = 7_u8;
            let out_bool = out_ptr(&mut out, null).cast::<bool>();
            // SAFETY: each pointer is NULL or live; `out` is a byte a bool is written
            // to, and read back only as a byte.
            let status = unsafe { ratecell_gcra_is_fresh(p_ptr, s_ptr, now, out_bool) };
            assert_contract(what, status, any_null, out != 7);
            if let (Some(g), Some(k), false) = (policy, key, any_null) {
                assert_eq!(out, u8::from(g.is_fresh(&k, Nanos::new(now))), "{what}");
            }
            status
        };
        if !any_null && policy.is_none() {
            // Every pointer was there, but ratecell did not make this policy struct.
            assert_eq!(status, ratecell_status::InvalidArgument, "{what}");
        }
    }

    fn gcra_reset(&mut self, what: &dyn core::fmt::Display, state: StateArg) {
        let mut s = self.state_arg(state);
        let s_ptr = s.as_mut().map_or(ptr::null_mut(), ptr::from_mut);
        // SAFETY: NULL or a live state.
        let status = unsafe { ratecell_gcra_reset(s_ptr) };
        assert_contract(what, status, s.is_none(), s.is_some());
        if let Some(s) = s {
            assert_eq!(s.opaque, 0, "{what}: a reset state is all zero");
            if let StateArg::Own = state {
                self.state = s;
            }
        }
    }

    fn status_str(what: &dyn core::fmt::Display, status: u32) {
        let text = ratecell_status_str(status);
        assert!(!text.is_null());
        // SAFETY: ratecell_status_str returns a static NUL-terminated string.
        let text = unsafe { CStr::from_ptr(text) };
        assert!(text.to_str().is_ok_and(|t| !t.is_empty()), "{what}");
    }

    fn version(what: &dyn core::fmt::Display) {
        // SAFETY: ratecell_version returns a static NUL-terminated string.
        let version = unsafe { CStr::from_ptr(ratecell_version()) };
        assert!(
            version.to_str().is_ok_and(|v| v.split('.').count() == 3),
            "{what}"
        );
    }
}

/// Runs one input.
///
/// # Panics
/// When a call crashes, reports a panic or breaks the ABI's contract.
pub fn run(data: &[u8]) {
    let Some(calls) = decode::<Vec<Call<'_>>>(data) else {
        return;
    };
    let mut program = Program {
        quota: ratecell_quota::default(),
        policy: ratecell_gcra::default(),
        state: ratecell_gcra_state::default(),
        store: None,
        foreign: Box::new([0; 8]),
    };
    for (i, call) in calls.iter().take(MAX_OPS).enumerate() {
        program.call(&At(i, call), call);
    }
}
