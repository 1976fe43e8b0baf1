//! The key a JavaScript limiter stores: a tag unit, then the string's UTF-16 code units.
//!
//! Keys are stored as their UTF-16 code units, exactly: two different strings are never the
//! same key (UTF-8 would merge lone surrogates). The first unit tags the key, so the default
//! key (`undefined`) is distinct from every string, `""` included.

use std::hash::{Hash, Hasher};

/// A key's units, borrowed: what stores look keys up by.
///
/// It hashes as its bytes in one write. `[u16]` would first hash its length, one more step
/// of the hash on every check; a key is always hashed on its own, never followed by other
/// values, so the length adds nothing (the hasher already mixes the number of bytes in).
#[derive(PartialEq, Eq, Debug)]
#[repr(transparent)]
pub(crate) struct KeyUnits([u16]);

/// A stored key.
pub(crate) type Key = Box<KeyUnits>;

impl KeyUnits {
    /// `units` as a key.
    pub(crate) fn new(units: &[u16]) -> &KeyUnits {
        let raw = std::ptr::from_ref(units) as *const KeyUnits;
        // SAFETY: `KeyUnits` is a transparent wrapper of `[u16]`: same layout, same metadata.
        unsafe { &*raw }
    }
}

impl Hash for KeyUnits {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        let units = &self.0;
        // SAFETY: the units' memory, `2 * len` initialised bytes, read as bytes (`u8` has no
        // alignment or validity requirement); `len` units of a live slice never overflow.
        let bytes = unsafe {
            std::slice::from_raw_parts(units.as_ptr().cast::<u8>(), std::mem::size_of_val(units))
        };
        state.write(bytes);
    }
}

impl ToOwned for KeyUnits {
    type Owned = Key;

    fn to_owned(&self) -> Key {
        let units: Box<[u16]> = self.0.into();
        let raw = Box::into_raw(units) as *mut KeyUnits;
        // SAFETY: the allocation of a `Box<[u16]>`, whose layout `KeyUnits` shares (see `new`).
        unsafe { Box::from_raw(raw) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn a_key_is_its_units() {
        let units = [1_u16, 0x61, 0xd800, 0];
        let key = KeyUnits::new(&units);
        assert_eq!(&key.0, &units);
        let owned: Key = key.to_owned();
        assert_eq!(&owned.0, &units);
        assert_eq!(&*owned, key);
        assert_ne!(KeyUnits::new(&units[..3]), key);
    }

    #[test]
    fn equal_keys_hash_alike_and_others_apart() {
        let seed = ratecell::HashSeed::new(3);
        let a = [1_u16, 0x61, 0x62];
        let owned = KeyUnits::new(&a).to_owned();
        assert_eq!(seed.hash_one(KeyUnits::new(&a)), seed.hash_one(&*owned));
        // A prefix of a key, and a key of other units, hash apart from it.
        assert_ne!(
            seed.hash_one(KeyUnits::new(&a)),
            seed.hash_one(KeyUnits::new(&a[..2]))
        );
        assert_ne!(
            seed.hash_one(KeyUnits::new(&[0])),
            seed.hash_one(KeyUnits::new(&[1]))
        );
    }
}
