//! [`Concurrency`] leases against the reference model (`tests/src/concurrency.rs`), over
//! arbitrary caps, TTLs, slot counts, clocks and lease handles: genuine, released, expired,
//! granted before a reset, and forged.
//!
//! The model is asked about instants that never step back (as in the property tests) and
//! away from the end of representable time, where lease serials run out and the core fails
//! closed; a change of cap or TTL ends the comparison until the next reset. Everywhere:
//! an acquisition is admitted only below the cap, a lease is never issued twice, a handle
//! that is not live never frees or renews anything, and decisions are well formed.

use arbitrary::Arbitrary;
use ratecell::{Concurrency, ConcurrencyState, Lease, Nanos};
use ratecell_reference::concurrency as model;

use super::common::{
    At, Clock, Cost, MAX_OPS, ModelOutcome, Span, Start, Time, assert_well_formed, decode, numbers,
};

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    Acquire(Time),
    /// `cost` anonymous leases.
    Check(Time, Cost),
    Renew(Time, u8),
    Release(Time, u8),
    /// A handle made up from numbers: renewed (`false`) or released (`true`).
    Forged(Time, u32, u64, bool),
    Peek(Time),
    IsFresh(Time),
    Reset,
    /// The other cap and TTL from now on, keeping the leases.
    Switch,
}

#[derive(Arbitrary, Debug)]
struct Input {
    slots: u8,
    limit: u8,
    ttl: Span,
    other_limit: u8,
    other_ttl: Span,
    start: Start,
    ops: Vec<Op>,
}

/// A lease the core granted: its handle, the model's name for it, and whether a reset has
/// ended it since.
#[derive(Debug, Clone, Copy)]
struct Granted {
    lease: Lease,
    name: Option<u64>,
    stale: bool,
}

/// Whether the model still applies: the clock has not stepped back since the last reset, and
/// has never come near the end of time (a reset keeps the serial counter, and serials follow
/// the clock).
fn in_range(clock: &Clock) -> bool {
    clock.monotone && clock.peak <= u64::MAX / 2
}

fn with_slots<const SLOTS: usize>(input: &Input) {
    let limit = u64::from(input.limit % 20);
    let Ok(first) = Concurrency::<SLOTS>::from_nanos(limit, input.ttl.get()) else {
        assert!(limit == 0 || limit > SLOTS as u64 || input.ttl.get() == 0);
        return;
    };
    let other = u64::from(input.other_limit % 20);
    let policies = [
        first,
        Concurrency::<SLOTS>::from_nanos(other, input.other_ttl.get()).unwrap_or(first),
    ];
    let fresh = || {
        Some(model::Concurrency::new(
            first.limit(),
            first.ttl().as_nanos(),
        ))
    };
    let mut clock = Clock::new(input.start, first.ttl().as_nanos() / 4);
    let mut state = ConcurrencyState::<SLOTS>::default();
    let mut current = 0;
    let mut reference = fresh();
    let mut granted: Vec<Granted> = Vec::new();
    for (i, op) in input.ops.iter().take(MAX_OPS).enumerate() {
        let what = At(i, op);
        let policy = &policies[current];
        match *op {
            Op::Acquire(t) => {
                let now = clock.advance(t);
                if !in_range(&clock) {
                    reference = None;
                }
                let live = state.live(Nanos::new(now));
                let (d, lease) = policy.acquire(&mut state, Nanos::new(now));
                assert_eq!(d.allowed, lease.is_some(), "{what}");
                assert_eq!(d.limit, policy.limit(), "{what}");
                if d.allowed {
                    assert!(live < policy.limit(), "{what}: admitted at the cap");
                    assert_eq!(d.retry_after, Nanos::ZERO, "{what}");
                } else if live < policy.limit() {
                    // Below the cap only when the serials ran out, at the end of time.
                    assert_eq!(d.retry_after, Nanos::MAX, "{what}: refused below the cap");
                }
                let name = match reference.as_mut() {
                    Some(m) => {
                        let (o, name) = m.acquire(now);
                        assert_eq!(numbers(&d), o.numbers(), "{what}");
                        assert_eq!(lease.is_some(), name.is_some(), "{what}");
                        name
                    }
                    None => None,
                };
                if let Some(lease) = lease {
                    assert!(
                        granted.iter().all(|g| g.lease != lease),
                        "{what}: {lease:?} issued twice"
                    );
                    granted.push(Granted {
                        lease,
                        name,
                        stale: false,
                    });
                }
            }
            Op::Check(t, cost) => {
                let now = clock.advance(t);
                if !in_range(&clock) {
                    reference = None;
                }
                let cost = cost.get(policy.limit());
                let before = state;
                let got = policy.check(&mut state, Nanos::new(now), cost);
                assert_well_formed(&what, policy.limit(), cost, got, state != before);
                if let Some(m) = reference.as_mut() {
                    let want = m.check(now, cost).map(|o| o.numbers());
                    assert_eq!(got.ok().map(|d| numbers(&d)), want, "{what}");
                }
            }
            Op::Renew(t, k) | Op::Release(t, k) => {
                let now = clock.advance(t);
                if !in_range(&clock) {
                    reference = None;
                }
                let Some(&g) = granted.get(usize::from(k) % granted.len().max(1)) else {
                    continue;
                };
                let release = matches!(op, Op::Release(..));
                let done = handle(policy, &mut state, g.lease, now, release, &what);
                if g.stale {
                    assert!(!done, "{what}: a lease from before a reset still counts");
                }
                if let Some(m) = reference.as_mut() {
                    let want = g.name.is_some_and(|name| {
                        if release {
                            m.release(name, now)
                        } else {
                            m.renew(name, now)
                        }
                    });
                    assert_eq!(done, want, "{what}");
                }
            }
            Op::Forged(t, slot, serial, release) => {
                let now = clock.advance(t);
                let lease = Lease::from_parts(slot, serial);
                if granted.iter().any(|g| g.lease == lease) {
                    // Not forged after all: the model would have to follow; leave it out.
                    reference = None;
                }
                let done = handle(policy, &mut state, lease, now, release, &what);
                if !granted.iter().any(|g| g.lease == lease && !g.stale) {
                    assert!(!done, "{what}: a forged handle freed or renewed a lease");
                }
            }
            Op::Peek(t) => {
                let now = clock.advance(t);
                if !in_range(&clock) {
                    reference = None;
                }
                let d = policy.peek(&state, Nanos::new(now));
                assert_eq!(Ok(d), policy.check(&mut state.clone(), Nanos::new(now), 0));
                let live = state.live(Nanos::new(now));
                assert_eq!(d.remaining, policy.limit().saturating_sub(live), "{what}");
                if let Some(m) = reference.as_ref() {
                    assert_eq!(numbers(&d), m.peek(now).numbers(), "{what}");
                }
            }
            Op::IsFresh(t) => {
                let now = Nanos::new(clock.advance(t));
                if policy.is_fresh(&state, now) {
                    assert_eq!(state.live(now), 0, "{what}");
                    let new = policy.peek(&ConcurrencyState::default(), now);
                    assert_eq!(policy.peek(&state, now), new, "{what}: fresh but not new");
                }
            }
            Op::Reset => {
                policies[0].reset(&mut state);
                assert_eq!(state.live(Nanos::new(clock.now)), 0, "{what}");
                for g in &mut granted {
                    g.stale = true;
                    g.name = None;
                }
                current = 0;
                clock.restart();
                reference = fresh();
            }
            Op::Switch => {
                current = 1 - current;
                reference = None;
            }
        }
    }
}

/// Renews or releases `lease`, checking that a handle that is not live changes nothing.
fn handle<const SLOTS: usize>(
    policy: &Concurrency<SLOTS>,
    state: &mut ConcurrencyState<SLOTS>,
    lease: Lease,
    now: u64,
    release: bool,
    what: &dyn core::fmt::Display,
) -> bool {
    let now = Nanos::new(now);
    let live: Vec<(Lease, Nanos)> = state.leases(now).collect();
    let was_live = live.iter().any(|&(l, _)| l == lease);
    let before = *state;
    let done = if release {
        policy.release(state, lease, now)
    } else {
        policy.renew(state, lease, now)
    };
    assert_eq!(done, was_live, "{what}: done iff the lease was live");
    if !done {
        let after: Vec<(Lease, Nanos)> = state.leases(now).collect();
        assert_eq!(
            after, live,
            "{what}: a handle that is not live changed the leases"
        );
        if !release {
            assert_eq!(*state, before, "{what}: a failed renewal changed the state");
        }
    } else if release {
        assert_eq!(
            state.live(now) + 1,
            live.len() as u64,
            "{what}: one slot freed"
        );
    }
    done
}

/// Runs one input.
///
/// # Panics
/// When the core disagrees with the model or breaks a property.
pub fn run(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    match input.slots % 3 {
        0 => with_slots::<1>(&input),
        1 => with_slots::<4>(&input),
        _ => with_slots::<16>(&input),
    }
}
