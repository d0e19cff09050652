//! A small memo of what is worked out per distinct key of a document: a config repeats the same
//! dozen keys in every route, so the answer for a key is computed once and found again by a
//! lookup in a map of the distinct keys (hashed with foldhash: keys are short, and a lookup costs
//! a few dozen instructions where working the answer out again costs hundreds).
//!
//! An earlier direct-mapped table replaced answers whose keys shared a slot: the benchmark
//! config's `set_request_headers` and `allow` did, in every route, and each was worked out again
//! 20,000 times per walk.

/// Remembers `V` for every key met.
pub(crate) struct KeyCache<'k, V: Copy> {
    answers: foldhash::HashMap<&'k str, V>,
}

impl<'k, V: Copy> KeyCache<'k, V> {
    pub(crate) fn new() -> KeyCache<'k, V> {
        KeyCache {
            answers: foldhash::HashMap::default(),
        }
    }

    /// The answer for `key`: the remembered one, else `f(key)` (then remembered).
    pub(crate) fn get(&mut self, key: &'k str, f: impl FnOnce(&'k str) -> V) -> V {
        *self.answers.entry(key).or_insert_with(|| f(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every answer is the function's answer for that key, worked out once per distinct key.
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
            let distinct: std::collections::HashSet<&String> = keys.iter().collect();
            prop_assert_eq!(calls, distinct.len());
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
        assert_eq!(calls, 5, "{calls} calls for 5 keys");
    }
}
