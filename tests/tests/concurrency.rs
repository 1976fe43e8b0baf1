//! Concurrency leases against the reference model (`ratecell_reference::concurrency`).

use proptest::prelude::*;
use ratecell::{
    Concurrency, ConcurrencyState, Error, KeyedStore, KeyedTable, Lease, Nanos, WhenFull,
};
use ratecell_reference::concurrency::Concurrency as Model;

mod support;
use support::outcome;

const SLOTS: usize = 6;

#[derive(Debug, Clone)]
enum Op {
    Advance(u64),
    StepBack(u64),
    Acquire,
    Check(u64),
    Renew(usize),
    Release(usize),
}

/// Operations, with steps back in time (tests that want a monotonic clock reinterpret them).
fn ops(ttl: u64) -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        4 => (0..ttl).prop_map(Op::Advance),
        1 => (0..ttl).prop_map(Op::StepBack),
        5 => Just(Op::Acquire),
        1 => (0..=SLOTS as u64 + 1).prop_map(Op::Check),
        2 => any::<usize>().prop_map(Op::Renew),
        3 => any::<usize>().prop_map(Op::Release),
    ];
    prop::collection::vec(op, 1..150)
}

/// The live leases at `now`, as the core reports them.
fn live(state: &ConcurrencyState<SLOTS>, now: Nanos) -> Vec<(Lease, Nanos)> {
    state.leases(now).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn live_leases_never_exceed_the_limit_and_every_decision_matches_the_model(
        limit in 1..=SLOTS as u64,
        ttl in 1..500_u64,
        ops in (1..500_u64).prop_flat_map(ops),
    ) {
        let policy = Concurrency::<SLOTS>::from_nanos(limit, ttl).unwrap();
        let mut model = Model::new(limit, ttl);
        let mut state = ConcurrencyState::default();
        // Every lease ever granted, with the model's name for it; stale ones included.
        let mut granted: Vec<(Lease, u64)> = Vec::new();
        let mut now = 1_000_u64;
        for op in ops {
            let t = Nanos::new(now);
            match op {
                Op::Advance(dt) => now += dt,
                Op::Acquire => {
                    let (d, lease) = policy.acquire(&mut state, t);
                    let (o, name) = model.acquire(now);
                    prop_assert_eq!(outcome(d), o);
                    prop_assert_eq!(lease.is_some(), name.is_some());
                    if let (Some(lease), Some(name)) = (lease, name) {
                        prop_assert!(granted.iter().all(|(l, _)| *l != lease), "a lease was issued twice");
                        granted.push((lease, name));
                    }
                }
                Op::Check(cost) => match (policy.check(&mut state, t, cost), model.check(now, cost)) {
                    (Ok(d), Some(o)) => prop_assert_eq!(outcome(d), o),
                    (Err(Error::InsufficientCapacity { capacity }), None) => prop_assert_eq!(capacity, limit),
                    (got, want) => prop_assert!(false, "core {:?}, model {:?}", got, want),
                },
                Op::Renew(i) if !granted.is_empty() => {
                    let (lease, name) = granted[i % granted.len()];
                    let before = state;
                    let renewed = policy.renew(&mut state, lease, t);
                    prop_assert_eq!(renewed, model.renew(name, now));
                    if !renewed {
                        prop_assert_eq!(state, before, "a failed renewal changed the state");
                    }
                }
                Op::Release(i) if !granted.is_empty() => {
                    let (lease, name) = granted[i % granted.len()];
                    let before = live(&state, t);
                    let released = policy.release(&mut state, lease, t);
                    prop_assert_eq!(released, model.release(name, now));
                    if !released {
                        prop_assert_eq!(live(&state, t), before, "a stale release freed a slot");
                    }
                }
                // The model is asked about non-decreasing instants only (see the test below).
                Op::StepBack(_) | Op::Renew(_) | Op::Release(_) => {}
            }
            let t = Nanos::new(now);
            prop_assert!(state.live(t) <= limit);
            prop_assert_eq!(state.live(t), model.live(now));
            prop_assert_eq!(outcome(policy.peek(&state, t)), model.peek(now));
        }
    }

    #[test]
    fn an_acquisition_is_admitted_only_below_the_limit_even_when_the_clock_steps_back(
        limit in 1..=SLOTS as u64,
        ttl in 1..500_u64,
        ops in (1..500_u64).prop_flat_map(ops),
    ) {
        let policy = Concurrency::<SLOTS>::from_nanos(limit, ttl).unwrap();
        let mut state = ConcurrencyState::default();
        let mut granted = Vec::new();
        let mut now = 1_000_u64;
        for op in ops {
            let t = Nanos::new(now);
            match op {
                Op::Advance(dt) => now += dt,
                Op::StepBack(dt) => now -= dt.min(now),
                Op::Acquire => {
                    let live = state.live(t);
                    let (d, lease) = policy.acquire(&mut state, t);
                    prop_assert_eq!(d.allowed, live < limit);
                    granted.extend(lease);
                }
                Op::Check(cost) => { let _ = policy.check(&mut state, t, cost); }
                Op::Renew(i) if !granted.is_empty() => { policy.renew(&mut state, granted[i % granted.len()], t); }
                Op::Release(i) if !granted.is_empty() => { policy.release(&mut state, granted[i % granted.len()], t); }
                Op::Renew(_) | Op::Release(_) => {}
            }
        }
    }

    #[test]
    fn retry_after_and_remaining_are_exact(
        limit in 1..=SLOTS as u64,
        ttl in 1..500_u64,
        ops in (1..500_u64).prop_flat_map(ops),
    ) {
        let policy = Concurrency::<SLOTS>::from_nanos(limit, ttl).unwrap();
        let mut state = ConcurrencyState::default();
        let mut granted = Vec::new();
        let mut now = 0_u64;
        for op in ops {
            let t = Nanos::new(now);
            // Exactly `remaining` acquisitions succeed at this instant, then one is refused.
            let remaining = policy.peek(&state, t).remaining;
            let mut probe = state;
            for _ in 0..remaining {
                prop_assert!(policy.acquire(&mut probe, t).0.allowed);
            }
            let (refused, _) = policy.acquire(&mut probe, t);
            prop_assert!(!refused.allowed);
            // That refusal is admitted at exactly `retry_after`, not a nanosecond earlier.
            let at = now + refused.retry_after.as_nanos();
            let mut early = probe;
            prop_assert!(!policy.acquire(&mut early, Nanos::new(at - 1)).0.allowed);
            prop_assert!(policy.acquire(&mut probe, Nanos::new(at)).0.allowed);
            match op {
                Op::Advance(dt) => now += dt,
                Op::Acquire | Op::StepBack(_) => granted.extend(policy.acquire(&mut state, t).1),
                Op::Check(cost) => { let _ = policy.check(&mut state, t, cost); }
                Op::Renew(i) if !granted.is_empty() => { policy.renew(&mut state, granted[i % granted.len()], t); }
                Op::Release(i) if !granted.is_empty() => { policy.release(&mut state, granted[i % granted.len()], t); }
                Op::Renew(_) | Op::Release(_) => {}
            }
        }
    }

    #[test]
    fn expired_leases_are_reclaimed(
        limit in 1..=SLOTS as u64,
        ttl in 1..500_u64,
        ops in (1..500_u64).prop_flat_map(ops),
    ) {
        let policy = Concurrency::<SLOTS>::from_nanos(limit, ttl).unwrap();
        let mut state = ConcurrencyState::default();
        let mut now = 1_000_u64;
        let mut latest = now;
        let mut acquisitions = 0;
        for op in ops {
            match op {
                Op::Advance(dt) => now += dt,
                Op::StepBack(dt) => now -= dt.min(now),
                _ => {
                    acquisitions += 1;
                    let _ = policy.acquire(&mut state, Nanos::new(now));
                }
            }
            latest = latest.max(now);
        }
        // Nobody released or renewed: after `ttl`, every slot is free again.
        let later = Nanos::new(latest + ttl);
        prop_assert_eq!(state.live(later), 0);
        prop_assert_eq!(policy.peek(&state, later).remaining, limit);
        prop_assert_eq!(policy.peek(&state, later).reset_after, Nanos::ZERO);
        prop_assert!(policy.is_fresh(&state, Nanos::new(latest + ttl + acquisitions)));
        for _ in 0..limit {
            prop_assert!(policy.acquire(&mut state, later).0.allowed);
        }
    }

    #[test]
    fn no_input_makes_it_panic(
        limit in 1..=SLOTS as u64,
        ttl in any::<u64>(),
        ops in prop::collection::vec((any::<u64>(), any::<u64>(), any::<u32>(), any::<u64>()), 1..100),
    ) {
        let Ok(policy) = Concurrency::<SLOTS>::from_nanos(limit, ttl) else {
            prop_assert_eq!(ttl, 0);
            return Ok(());
        };
        let mut state = ConcurrencyState::default();
        for (now, cost, slot, serial) in ops {
            let now = Nanos::new(now);
            let _ = policy.check(&mut state, now, cost);
            let (_, lease) = policy.acquire(&mut state, now);
            let other = Lease::from_parts(slot, serial);
            policy.renew(&mut state, other, now);
            policy.release(&mut state, other, now);
            if let Some(lease) = lease {
                policy.renew(&mut state, lease, now);
            }
            prop_assert!(state.live(now) <= limit);
        }
    }

    #[test]
    fn keyed_leases_match_one_model_per_key_across_reclamation(
        ttl in 1..300_u64,
        ops in prop::collection::vec((0..4_u8, 0..3_u8, 0..400_u64, any::<usize>()), 1..200),
    ) {
        // Room for every key: the table never refuses, so each key decides like its model
        // even though keys are reclaimed and recreated all the time.
        let policy = Concurrency::<3>::from_nanos(2, ttl).unwrap();
        let mut table: KeyedTable<u8, Concurrency<3>, 4> = KeyedTable::new(policy, WhenFull::FailClosed);
        let store: KeyedStore<u8, Concurrency<3>> =
            KeyedStore::new(policy, 4, WhenFull::FailClosed).with_shards(1);
        let mut models: Vec<Model> = (0..4).map(|_| Model::new(2, ttl)).collect();
        let mut granted: Vec<(u8, Lease, Lease, u64)> = Vec::new();
        let mut now = 0_u64;
        for (key, what, dt, pick) in ops {
            now += dt;
            let t = Nanos::new(now);
            let model = &mut models[usize::from(key)];
            match what {
                0 => {
                    let (d, lease) = table.acquire(key, t);
                    let (ds, store_lease) = store.acquire(&key, t);
                    let (o, name) = model.acquire(now);
                    prop_assert_eq!(outcome(d.decision()), o);
                    prop_assert_eq!(d, ds);
                    if let (Some(l), Some(s), Some(n)) = (lease, store_lease, name) {
                        granted.push((key, l, s, n));
                    }
                }
                1 | 2 if !granted.is_empty() => {
                    let (k, lease, store_lease, name) = granted[pick % granted.len()];
                    let model = &mut models[usize::from(k)];
                    if what == 1 {
                        let r = table.release(&k, lease, t);
                        prop_assert_eq!(r, store.release(&k, store_lease, t));
                        prop_assert_eq!(r, model.release(name, now));
                    } else {
                        let r = table.renew(&k, lease, t);
                        prop_assert_eq!(r, store.renew(&k, store_lease, t));
                        prop_assert_eq!(r, model.renew(name, now));
                    }
                }
                _ => {}
            }
            for k in 0..4_u8 {
                let want = models[usize::from(k)].peek(now);
                prop_assert_eq!(outcome(table.peek(&k, t)), want);
                prop_assert_eq!(outcome(store.peek(&k, t)), want);
            }
        }
    }
}

#[test]
fn a_stale_lease_from_a_reclaimed_key_never_frees_a_new_holders_slot() {
    let policy = Concurrency::<1>::new(1, core::time::Duration::from_secs(10)).unwrap();
    let mut table: KeyedTable<&str, Concurrency<1>, 2> =
        KeyedTable::new(policy, WhenFull::FailClosed);
    let (_, old) = table.acquire("key", Nanos::from_secs(1));
    let old = old.unwrap();
    assert!(table.release(&"key", old, Nanos::from_secs(1)));
    // The key is fresh a nanosecond later; a second key's check reclaims it.
    assert!(table.acquire("other", Nanos::from_secs(2)).0.allowed());
    assert!(!table.contains_key(&"key"));
    let (d, new) = table.acquire("key", Nanos::from_secs(2));
    assert!(d.allowed());
    let new = new.unwrap();
    assert_eq!(old.slot(), new.slot());
    assert!(!table.release(&"key", old, Nanos::from_secs(3)));
    assert!(!table.acquire("key", Nanos::from_secs(3)).0.allowed());
    assert!(table.release(&"key", new, Nanos::from_secs(3)));
}

#[test]
fn a_table_of_session_caps_fails_closed_until_a_lease_expires() {
    // Pro plan: 50 sessions per key, 2 keys of room.
    let pro = Concurrency::<50>::new(50, core::time::Duration::from_secs(300)).unwrap();
    let mut table: KeyedTable<u32, Concurrency<50>, 2> = KeyedTable::new(pro, WhenFull::FailClosed);
    assert!(table.acquire(1, Nanos::ZERO).0.allowed());
    assert!(table.acquire(2, Nanos::from_secs(1)).0.allowed());
    let (full, none) = table.acquire(3, Nanos::from_secs(2));
    assert!(full.is_full() && none.is_none());
    assert_eq!(full.decision().retry_after, Nanos::from_secs(298));
    assert_eq!(full.decision().limit, 50);
    assert!(table.acquire(3, Nanos::from_secs(300)).0.allowed());
}
