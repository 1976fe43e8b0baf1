//! The scripts' exact arithmetic (`redis/scripts/lib.lua`), called directly through the `arith`
//! script and compared with Rust's `u128`: edge values around 2^24, 2^53, 2^63, 2^64 and
//! 2^128, then random operands.

#[macro_use]
mod common;

use proptest::prelude::*;
use ratecell_redis::Script;

fn arith(con: &mut redis::Connection, f: &str, operands: &[String]) -> Vec<String> {
    let mut args = vec!["arith", "0", "", "0", f];
    args.extend(operands.iter().map(String::as_str));
    let reply = common::call(con, Script::Arith, &[], &args).expect("arith answers");
    common::texts(&reply)
}

/// The reference: exact results of the same functions, in u128 where they fit, as text.
fn expected(f: &str, a: u128, b: u128) -> Vec<String> {
    match f {
        "add" => vec![
            a.checked_add(b)
                .expect("operands chosen to fit")
                .to_string(),
        ],
        "sub" => vec![a.saturating_sub(b).to_string()],
        "mul" => vec![
            a.checked_mul(b)
                .expect("operands chosen to fit")
                .to_string(),
        ],
        "divmod" => vec![(a / b).to_string(), (a % b).to_string()],
        "div_ceil" => vec![a.div_ceil(b).to_string()],
        "cmp" => vec![(a.cmp(&b) as i8).to_string()],
        other => panic!("no reference for {other}"),
    }
}

const EDGES: [u128; 18] = [
    0,
    1,
    2,
    (1 << 24) - 1,
    1 << 24,
    (1 << 24) + 1,
    (1 << 29) + 7,
    (1 << 53) - 1,
    1 << 53,
    (1 << 53) + 1,
    (1 << 63) - 1,
    1 << 63,
    u64::MAX as u128 - 1,
    u64::MAX as u128,
    1 << 64,
    (1 << 64) + 1,
    1_000_000_000,
    60_000_000_000,
];

#[test]
fn edge_values_compute_exactly() {
    let url = server_or_skip!();
    let mut con = common::connection(&url);
    let mut checked = 0;
    for &a in &EDGES {
        let s = a.to_string();
        assert_eq!(
            arith(&mut con, "str", std::slice::from_ref(&s)),
            std::slice::from_ref(&s)
        );
        for &b in &EDGES {
            for f in ["add", "sub", "cmp", "mul", "divmod", "div_ceil"] {
                if (f == "divmod" || f == "div_ceil") && b == 0 {
                    continue;
                }
                if (f == "mul" && a.checked_mul(b).is_none())
                    || (f == "add" && a.checked_add(b).is_none())
                {
                    continue;
                }
                let got = arith(&mut con, f, &[s.clone(), b.to_string()]);
                assert_eq!(got, expected(f, a, b), "{f}({a}, {b})");
                checked += 1;
            }
        }
    }
    assert!(checked > 1500, "{checked}");
}

#[test]
fn products_near_two_to_the_128_and_their_quotients_are_exact() {
    let url = server_or_skip!();
    let mut con = common::connection(&url);
    let max = u128::from(u64::MAX);
    // u64::MAX squared is 2^128 - 2^65 + 1, the largest product of two u64.
    let square = max * max;
    assert_eq!(
        arith(&mut con, "mul", &[max.to_string(), max.to_string()]),
        [square.to_string()]
    );
    for d in [
        max,
        max - 1,
        1 << 63,
        (1 << 53) + 1,
        3,
        1 << 24,
        600_000_000,
        7,
    ] {
        assert_eq!(
            arith(&mut con, "divmod", &[square.to_string(), d.to_string()]),
            expected("divmod", square, d),
            "{square} / {d}"
        );
    }
    // u128::MAX and beyond: the naturals are not bounded by 128 bits.
    assert_eq!(
        arith(&mut con, "add", &[u128::MAX.to_string(), "1".into()]),
        ["340282366920938463463374607431768211456"]
    );
    assert_eq!(
        arith(
            &mut con,
            "divmod",
            &[u128::MAX.to_string(), max.to_string()]
        ),
        expected("divmod", u128::MAX, max)
    );
}

#[test]
fn ticks_are_the_cores() {
    let url = server_or_skip!();
    let mut con = common::connection(&url);
    // (limit, period) -> (scale, interval), as Quota::ticks computes them (see quota.rs).
    for (limit, period, scale, interval) in [
        (100_u64, 60_000_000_000_u64, 1_u64, 600_000_000_u64),
        (7, 60_000_000_000, 7, 60_000_000_000),
        (10_000_000_000, 1_000_000_000, 10, 1),
        (32_768, 1_000_000_000, 64, 1_953_125),
        (997, 60_000_000_000, 64, 3_851_554_664),
        (u64::MAX, 1, 64, 1),
        (u64::MAX, u64::MAX, 1, 1),
        (1, u64::MAX, 1, u64::MAX),
        (u64::MAX - 1, u64::MAX, 64, 65),
    ] {
        assert_eq!(
            arith(&mut con, "ticks", &[limit.to_string(), period.to_string()]),
            [scale.to_string(), interval.to_string()],
            "{limit}/{period}ns"
        );
    }
}

#[test]
fn malformed_operands_are_errors_not_numbers() {
    let url = server_or_skip!();
    let mut con = common::connection(&url);
    for bad in ["", "-1", "1e3", "0x10", "12 ", &"9".repeat(41)] {
        let args = ["arith", "0", "", "0", "str", bad];
        assert!(
            common::call(&mut con, Script::Arith, &[], &args).is_err(),
            "{bad:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_operands_compute_exactly(
        a in any::<u128>(),
        b in 1..=u128::MAX,
        small in 1..(1_u128 << 64),
        bits in 0..128_u32,
    ) {
        let Some(url) = common::url() else { return Ok(()) };
        let mut con = common::connection(&url);
        let shifted = b >> bits;
        let b = shifted.max(1);
        for (f, x, y) in [
            ("sub", a, b),
            ("cmp", a, b),
            ("divmod", a, b),
            ("divmod", a, small),
            ("div_ceil", a, small),
            ("mul", a >> 64, small),
            ("add", a >> 1, b >> 1),
        ] {
            let got = arith(&mut con, f, &[x.to_string(), y.to_string()]);
            prop_assert_eq!(got, expected(f, x, y), "{}({}, {})", f, x, y);
        }
    }
}
