//! [`HashSeed`]: the keyed tables' hash function.
//!
//! Keys are hashed once per check, so the function must be fast on short keys (integers,
//! addresses, API keys of a few dozen bytes) and still spread them well, since a table
//! picks a key's slot from the high bits of its hash. Input is combined with a *folded
//! multiply*: the full 128-bit product of two 64-bit factors, with its high half folded onto
//! its low half, so that every output bit depends on every input bit, in a handful of
//! cycles. An integer is one factor against a seed-derived odd multiplier; bytes go 16 at a
//! time, one word into each factor, so a key of up to 16 bytes takes one step.
//!
//! It is not a cryptographic hash. Its seed makes collisions hard to precompute: when keys
//! come from untrusted input (client addresses, API keys), use a secret seed, such as
//! [`HashSeed::random`] with `std`, or a value from the device's random source, so that an
//! attacker cannot craft keys that all land in the same slots.

use core::hash::{BuildHasher, Hasher};

// Odd constants from the fractional digits of pi.
const P0: u64 = 0x243f_6a88_85a3_08d3;
const P1: u64 = 0x1319_8a2e_0370_7345;
const P2: u64 = 0xa409_3822_299f_31d1;
const P3: u64 = 0x082e_fa98_ec4e_6c89;
const P4: u64 = 0x4528_21e6_38d0_1377;

/// The 128-bit product of `a` and `b`, high half folded onto the low half.
const fn fold(a: u64, b: u64) -> u64 {
    // Two 64-bit factors never overflow 128 bits; `wrapping_mul` only skips the check.
    let p = (a as u128).wrapping_mul(b as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Builds [`SeededHasher`]s from a 64-bit seed: the default hash of the keyed tables.
///
/// ```
/// use core::hash::BuildHasher;
/// use ratecell::HashSeed;
///
/// let a = HashSeed::new(1);
/// assert_eq!(a.hash_one("api-key-42"), a.hash_one("api-key-42"));
/// assert_ne!(a.hash_one("api-key-42"), HashSeed::new(2).hash_one("api-key-42"));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct HashSeed {
    start: u64,
    /// Odd, so multiplying by it loses no bits of the running value.
    multiplier: u64,
}

impl HashSeed {
    /// The hash for `seed`. Equal seeds give equal hashes on every platform.
    pub const fn new(seed: u64) -> HashSeed {
        HashSeed {
            start: fold(seed ^ P0, P1),
            multiplier: fold(seed ^ P2, P3) | 1,
        }
    }

    /// A seed drawn from the operating system's randomness (through
    /// `std::collections::hash_map::RandomState`), different in every process.
    #[cfg(feature = "std")]
    pub fn random() -> HashSeed {
        let random = std::collections::hash_map::RandomState::new();
        HashSeed::new(random.hash_one(P4))
    }
}

impl Default for HashSeed {
    /// Seed 0: deterministic. See the module documentation before hashing untrusted keys.
    fn default() -> Self {
        HashSeed::new(0)
    }
}

impl BuildHasher for HashSeed {
    type Hasher = SeededHasher;

    #[inline]
    fn build_hasher(&self) -> SeededHasher {
        SeededHasher {
            value: self.start,
            multiplier: self.multiplier,
        }
    }
}

/// The hasher [`HashSeed`] builds: one folded multiply per integer, or per 16 bytes.
#[derive(Clone, Debug)]
pub struct SeededHasher {
    value: u64,
    multiplier: u64,
}

impl SeededHasher {
    #[inline]
    const fn mix(&mut self, word: u64) {
        self.value = fold(self.value ^ word, self.multiplier);
    }
}

/// The bytes of `tail` (1 to 8 of them) as a little-endian word, zero-padded.
///
/// Read with two loads that may overlap rather than byte by byte: a word assembled from
/// single-byte stores cannot be forwarded to the load that reads it, which stalls the
/// pipeline for longer than the rest of a short key's hash.
#[inline]
fn tail_word(tail: &[u8]) -> u64 {
    let n = tail.len();
    if let (Some(first), Some(last)) = (tail.first_chunk::<4>(), tail.last_chunk::<4>()) {
        // 4 to 8 bytes: the first four, and the last four shifted to where they belong
        // (the bytes both cover are equal, so OR keeps them).
        u64::from(u32::from_le_bytes(*first))
            | (u64::from(u32::from_le_bytes(*last)) << (8 * (n - 4)))
    } else {
        // 1 to 3 bytes: the first, the middle and the last (some of them the same byte).
        let byte = |i: usize| tail.get(i).map_or(0, |&b| u64::from(b) << (8 * i));
        byte(0) | byte(n / 2) | byte(n.saturating_sub(1))
    }
}

impl Hasher for SeededHasher {
    /// Folds 16 bytes per step: the running value with the first 8, the multiplier with the
    /// next 8. The last step takes the last 16 bytes (overlapping the step before when the
    /// length is not a multiple of 16; fewer than 16 bytes in all take one step) and the
    /// length, so inputs that differ only in trailing zero bytes hash apart.
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        let word = |at: usize| {
            bytes
                .get(at..)
                .and_then(<[u8]>::first_chunk::<8>)
                .map_or(0, |w| u64::from_le_bytes(*w))
        };
        let (first, second) = match n {
            0 => return,
            1..=8 => (tail_word(bytes), 0),
            9..=16 => (word(0), word(n - 8)),
            _ => {
                let mut at = 0;
                while n - at > 16 {
                    self.value = fold(self.value ^ word(at), self.multiplier ^ word(at + 8));
                    at += 16;
                }
                (word(n - 16), word(n - 8))
            }
        };
        self.value = fold(self.value ^ first, self.multiplier ^ second ^ n as u64);
    }

    fn write_u8(&mut self, n: u8) {
        self.mix(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.mix(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.mix(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    fn write_u128(&mut self, n: u128) {
        self.mix(n as u64);
        self.mix((n >> 64) as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fold(self.value ^ P4, P1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(
        miri,
        ignore = "65,536 hashes take minutes under Miri; safe arithmetic only"
    )]
    fn spreads_consecutive_integers_over_the_high_bits() {
        // A table of 1024 slots picks a slot from the top 10 bits; consecutive keys must not
        // crowd into a few of them.
        let h = HashSeed::new(0);
        let mut buckets = [0_u32; 1024];
        for key in 0..65_536_u64 {
            let b = (h.hash_one(key) >> 54) as usize;
            if let Some(n) = buckets.get_mut(b) {
                *n += 1;
            }
        }
        let (min, max) = buckets
            .iter()
            .fold((u32::MAX, 0), |(lo, hi), &n| (lo.min(n), hi.max(n)));
        assert!(min > 24 && max < 110, "min {min}, max {max} (expected ~64)");
    }

    #[test]
    fn a_tail_reads_as_its_bytes_zero_padded() {
        let bytes = *b"\x01\x02\x03\x04\x05\x06\x07";
        for n in 1..=bytes.len() {
            let mut padded = [0_u8; 8];
            for (d, s) in padded.iter_mut().zip(&bytes[..n]) {
                *d = *s;
            }
            assert_eq!(
                tail_word(&bytes[..n]),
                u64::from_le_bytes(padded),
                "{n} bytes"
            );
        }
    }

    #[test]
    fn every_byte_of_a_string_counts() {
        // Keys of every length up to three 16-byte steps: changing any one byte, or adding a
        // zero byte at the end, changes the hash.
        let h = HashSeed::new(11);
        let hash = |bytes: &[u8]| {
            let mut hasher = h.build_hasher();
            hasher.write(bytes);
            hasher.finish()
        };
        let base: [u8; 49] = core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(5));
        for n in 0..base.len() {
            let key = &base[..n];
            let mut changed = base;
            for i in 0..n {
                changed[i] ^= 0x40;
                assert_ne!(hash(key), hash(&changed[..n]), "length {n}, byte {i}");
                changed[i] = base[i];
            }
            let mut longer = base;
            longer[n] = 0;
            assert_ne!(
                hash(key),
                hash(&longer[..=n]),
                "length {n} and a zero byte more"
            );
        }
    }

    #[test]
    fn byte_strings_of_different_lengths_differ() {
        let h = HashSeed::new(7);
        assert_ne!(h.hash_one(b"a".as_slice()), h.hash_one(b"a\0".as_slice()));
        let mut a = h.build_hasher();
        a.write(b"abcdefgh");
        let mut b = h.build_hasher();
        b.write(b"abcdefgh\0");
        assert_ne!(a.finish(), b.finish());
    }
}
