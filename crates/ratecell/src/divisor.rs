//! [`Divisor`]: exact `u64` division by a number fixed in advance, without a divide
//! instruction.
//!
//! A decision divides by its policy's interval (how many requests still fit). The interval
//! never changes, so its reciprocal is worked out once, when the policy is built, and each
//! division becomes two multiplications, a subtraction and a comparison. A 64-bit divide
//! instruction takes several times as long, and every decision waits for it.
//!
//! # Why it is exact
//!
//! For a divisor `d`, keep `m = floor((2^64 - 1) / d)`. For any `n < 2^64`, the estimate
//! `q = floor(n * m / 2^64)` is `floor(n / d)` or one less:
//!
//! - `m = (2^64 - 1) / d - e` with `0 <= e <= (d - 1) / d` (the fractional part of the
//!   exact quotient is at most `(d - 1) / d`);
//! - so `n * m / 2^64 = n / d - (n / 2^64) * (1 / d + e)`, and the subtracted term is below 1,
//!   as `n / 2^64 < 1` and `1 / d + e <= 1`;
//! - the estimate is therefore at most `n / d` and more than `n / d - 1`.
//!
//! The remainder `r = n - q * d` is then below `2 d` (no overflow: `q * d <= n`), and one
//! comparison, `r >= d`, says whether to add one.

use core::num::NonZeroU64;

/// A nonzero `u64` divisor with its reciprocal, dividing any `u64` exactly.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Divisor {
    divisor: NonZeroU64,
    /// `floor((2^64 - 1) / divisor)`.
    reciprocal: u64,
}

impl Divisor {
    /// The divisor `d`, with its reciprocal worked out (one division, here only).
    pub(crate) const fn new(d: NonZeroU64) -> Divisor {
        Divisor {
            divisor: d,
            reciprocal: u64::MAX / d.get(),
        }
    }

    /// The divisor `d` with `reciprocal`, when `reciprocal` is `floor((2^64 - 1) / d)`:
    /// checked with a multiplication and two comparisons, not a division.
    pub(crate) const fn with_reciprocal(d: NonZeroU64, reciprocal: u64) -> Option<Divisor> {
        // m = floor(MAX / d) exactly when m * d <= MAX < (m + 1) * d, that is when the
        // product fits in u64 and MAX - m * d < d.
        let product = reciprocal as u128 * d.get() as u128;
        if product <= u64::MAX as u128 && (u64::MAX as u128 - product) < d.get() as u128 {
            Some(Divisor {
                divisor: d,
                reciprocal,
            })
        } else {
            None
        }
    }

    /// The divisor.
    pub(crate) const fn get(self) -> u64 {
        self.divisor.get()
    }

    /// The reciprocal `floor((2^64 - 1) / d)`, for storing the divisor outside Rust.
    pub(crate) const fn reciprocal(self) -> u64 {
        self.reciprocal
    }

    /// `floor(n / d)`, exactly, for every `n` (see the module documentation).
    #[inline]
    pub(crate) const fn divide(self, n: u64) -> u64 {
        let d = self.divisor.get();
        let estimate = ((n as u128 * self.reciprocal as u128) >> 64) as u64;
        // `estimate * d <= n`, so neither operation wraps; wrapping forms keep the code free
        // of overflow checks the compiler cannot prove unnecessary.
        let remainder = n.wrapping_sub(estimate.wrapping_mul(d));
        estimate + (remainder >= d) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{Random, SplitMix64};

    fn check(d: u64, n: u64) {
        let divisor = Divisor::new(NonZeroU64::new(d).unwrap());
        assert_eq!(divisor.divide(n), n / d, "{n} / {d}");
    }

    #[test]
    fn divides_exactly_at_the_edges() {
        let edges = [
            1,
            2,
            3,
            7,
            10,
            1_000_000,
            600_000_000,
            (1 << 32) - 1,
            1 << 32,
            (1 << 32) + 1,
            (1 << 63) - 1,
            1 << 63,
            (1 << 63) + 1,
            u64::MAX - 1,
            u64::MAX,
        ];
        for &d in &edges {
            for &n in &edges {
                for n in [n.saturating_sub(1), n, n.saturating_add(1)] {
                    check(d, n);
                    // Around the multiples of d, where the estimate may fall one short.
                    let k = n / d;
                    for m in [k.saturating_sub(1), k, k.saturating_add(1)] {
                        if let Some(x) = m.checked_mul(d) {
                            check(d, x);
                            check(d, x.saturating_sub(1));
                            check(d, x.saturating_add(1));
                        }
                    }
                }
            }
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "a million divisions take minutes under Miri")]
    fn divides_exactly_anywhere() {
        let mut random = SplitMix64::new(0x5eed);
        for _ in 0..1_000_000 {
            // Divisors and dividends of every magnitude.
            let d = random.next_u64() >> (random.next_u64() % 64);
            let n = random.next_u64() >> (random.next_u64() % 64);
            if d != 0 {
                check(d, n);
                check(d, n - n % d);
                check(d, (n - n % d).wrapping_sub(1));
            }
        }
    }

    #[test]
    fn accepts_only_the_true_reciprocal() {
        let mut random = SplitMix64::new(7);
        for _ in 0..100_000 {
            let d = random.next_u64() >> (random.next_u64() % 64);
            let Some(d) = NonZeroU64::new(d) else {
                continue;
            };
            let m = Divisor::new(d).reciprocal();
            assert_eq!(Divisor::with_reciprocal(d, m), Some(Divisor::new(d)), "{d}");
            assert_eq!(Divisor::with_reciprocal(d, m.wrapping_add(1)), None, "{d}");
            assert_eq!(Divisor::with_reciprocal(d, m.wrapping_sub(1)), None, "{d}");
        }
        let one = NonZeroU64::MIN;
        assert_eq!(
            Divisor::with_reciprocal(one, u64::MAX),
            Some(Divisor::new(one))
        );
        assert_eq!(Divisor::with_reciprocal(one, 0), None);
    }
}
