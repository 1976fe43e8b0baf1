//! What several benchmarks share.

/// A xorshift generator of keys: a random order the hardware cannot predict, and the same
/// order for every library that starts from the same seed.
#[derive(Clone)]
pub(crate) struct Keys(pub(crate) u64);

impl Keys {
    /// The next key below `n`.
    pub(crate) fn next_below(&mut self, n: usize) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n as u64
    }
}
