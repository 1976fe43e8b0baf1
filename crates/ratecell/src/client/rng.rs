//! Injected randomness: the [`Random`] trait and [`SplitMix64`], a small seeded generator.
//!
//! Jitter only needs to decorrelate clients, not to be unpredictable to an adversary, so a
//! 64-bit generator with good statistical quality is enough. Seed it differently per
//! process (from the time, a process id, or a hash of the client's key) in production, and
//! with a constant in tests.

/// A source of uniformly distributed 64-bit values.
pub trait Random {
    /// The next value.
    fn next_u64(&mut self) -> u64;
}

impl<R: Random + ?Sized> Random for &mut R {
    fn next_u64(&mut self) -> u64 {
        (**self).next_u64()
    }
}

/// `SplitMix64` (Steele, Lea and Flood, 2014): a 64-bit counter advanced by the golden-ratio
/// increment and passed through a bijective mixing function. Every seed is valid and the
/// period is 2^64.
///
/// ```
/// use ratecell::client::{Random, SplitMix64};
/// let mut a = SplitMix64::new(42);
/// let mut b = SplitMix64::new(42);
/// assert_eq!(a.next_u64(), b.next_u64()); // the same seed, the same sequence
/// assert_ne!(a.next_u64(), SplitMix64::new(43).next_u64());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub const fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The generator's position, for keeping it outside Rust: `SplitMix64::new(g.state())`
    /// continues the same sequence.
    ///
    /// ```
    /// use ratecell::client::{Random, SplitMix64};
    /// let mut a = SplitMix64::new(9);
    /// a.next_u64();
    /// let mut b = SplitMix64::new(a.state());
    /// assert_eq!(a.next_u64(), b.next_u64());
    /// ```
    pub const fn state(&self) -> u64 {
        self.state
    }
}

impl Default for SplitMix64 {
    /// Seeded with zero: deterministic. Seed it yourself for production use.
    fn default() -> Self {
        SplitMix64::new(0)
    }
}

impl Random for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A value in `lo..=hi` (which must satisfy `lo <= hi`; otherwise `lo`). It scales a 64-bit
/// draw by the span with a 128-bit multiply, so the bias is below one part in 2^64 / span.
pub(crate) fn uniform<R: Random + ?Sized>(rng: &mut R, lo: u64, hi: u64) -> u64 {
    let Some(span) = hi.checked_sub(lo) else {
        return lo;
    };
    let draw = rng.next_u64();
    if span == u64::MAX {
        return draw;
    }
    let offset = (u128::from(draw) * (u128::from(span) + 1)) >> 64;
    lo.saturating_add(offset as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_outputs_match_the_published_sequence() {
        // SplitMix64 seeded with 0 starts with this value in every published implementation.
        assert_eq!(SplitMix64::new(0).next_u64(), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn uniform_stays_within_bounds() {
        let mut rng = SplitMix64::new(1);
        for (lo, hi) in [
            (0, 0),
            (5, 5),
            (0, 1),
            (10, 20),
            (0, u64::MAX),
            (u64::MAX - 1, u64::MAX),
        ] {
            for _ in 0..1000 {
                let v = uniform(&mut rng, lo, hi);
                assert!((lo..=hi).contains(&v));
            }
        }
        assert_eq!(uniform(&mut rng, 9, 3), 9);
    }
}
