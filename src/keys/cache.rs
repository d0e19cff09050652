//! A small memo of what is worked out per distinct key of a document: a config repeats the same
//! dozen keys in every route, so the answer for a key is computed once and found again by a
//! direct-mapped slot (a few byte reads and one string comparison, no hashing of the whole key).

/// Slots of a [`KeyCache`]; a power of two.
const SLOTS: usize = 256;

/// Remembers `V` for the keys met most recently. Two keys that share a slot replace each
/// other's answer, which is then worked out again: the answer is always the one `f` gives.
pub(crate) struct KeyCache<'k, V: Copy> {
    slots: Vec<Option<(&'k str, V)>>,
}

impl<'k, V: Copy> KeyCache<'k, V> {
    pub(crate) fn new() -> KeyCache<'k, V> {
        KeyCache {
            slots: vec![None; SLOTS],
        }
    }

    /// The answer for `key`: the remembered one, else `f(key)` (then remembered).
    pub(crate) fn get(&mut self, key: &'k str, f: impl FnOnce(&'k str) -> V) -> V {
        let slot = &mut self.slots[slot_of(key)];
        match slot {
            Some((k, v)) if *k == key => *v,
            _ => {
                let v = f(key);
                *slot = Some((key, v));
                v
            }
        }
    }
}

/// The slot of a key, from its length and three of its bytes.
fn slot_of(key: &str) -> usize {
    let b = key.as_bytes();
    let Some(&first) = b.first() else {
        return 0;
    };
    let (middle, last) = (b[b.len() / 2], b[b.len() - 1]);
    let mixed = b
        .len()
        .wrapping_mul(0x9E37)
        .wrapping_add(usize::from(first).wrapping_mul(31))
        .wrapping_add(usize::from(middle).wrapping_mul(131))
        .wrapping_add(usize::from(last).wrapping_mul(7));
    (mixed ^ (mixed >> 8)) & (SLOTS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever keys share slots, every answer is the function's answer for that key.
        #[test]
        fn answers_are_the_functions(keys in proptest::collection::vec("[a-c_]{0,4}|[a-z_]{0,30}", 0..200)) {
            let mut cache = KeyCache::new();
            let mut calls = 0;
            for key in &keys {
                let got = cache.get(key, |k| {
                    calls += 1;
                    k.len() * 1000 + k.bytes().map(usize::from).sum::<usize>()
                });
                prop_assert_eq!(got, key.len() * 1000 + key.bytes().map(usize::from).sum::<usize>());
            }
            prop_assert!(calls <= keys.len());
        }
    }

    #[test]
    fn a_repeated_key_is_worked_out_once() {
        let mut cache = KeyCache::new();
        let mut calls = 0;
        for _ in 0..10 {
            for key in ["from", "to", "policy", "allowed_users", ""] {
                cache.get(key, |k| {
                    calls += 1;
                    k.len()
                });
            }
        }
        assert!(calls <= 10, "{calls} calls for 5 keys");
    }
}
