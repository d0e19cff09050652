//! A table indexed like a vector but stored in chunks of [`CHUNK`] elements.
//!
//! A large file's tree has hundreds of thousands of nodes, and each editing step builds the next
//! step's table from the previous one (`crate::yaml::graft`), reading the old table in order
//! while it fills the new one. In one vector, the old table stays whole until the new one is
//! complete, so both are alive at once, and the new one lands on memory that was never touched.
//! In chunks, every old chunk the graft has read is freed at once
//! ([`Chunked::release_before`]), and the allocator hands the same memory to the next new chunk.
//!
//! Every chunk but the last holds exactly [`CHUNK`] elements, so an index is found by a shift and
//! a mask. A small table stays one small vector that grows as usual: only a table that outgrows
//! [`CHUNK`] elements takes a second chunk.

use std::ops::{Index, IndexMut};

const SHIFT: u32 = 12;
/// Elements per chunk: 4,096 nodes are about 230 KB.
pub(crate) const CHUNK: usize = 1 << SHIFT;
const MASK: usize = CHUNK - 1;

#[derive(Clone, PartialEq)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
    /// How many leading chunks [`Chunked::release_before`] freed: their elements are gone.
    released: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
            released: 0,
        }
    }
}

impl<T> Chunked<T> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// An empty table that will hold about `n` elements (only the list of chunks is reserved:
    /// the chunks themselves are allocated as they fill).
    pub(crate) fn with_capacity(n: usize) -> Self {
        Chunked {
            chunks: Vec::with_capacity(n.div_ceil(CHUNK)),
            ..Self::default()
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < last.capacity() && last.len() < CHUNK => last.push(value),
            _ => self.push_growing(value),
        }
        self.len += 1;
    }

    /// [`Chunked::push`] when the last chunk has no room: it grows by doubling as a vector does
    /// until it holds a whole chunk, then a new chunk starts.
    #[cold]
    fn push_growing(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => {
                let want = (last.capacity() * 2).clamp(4, CHUNK);
                last.reserve_exact(want - last.len());
                last.push(value);
            }
            _ => {
                let mut chunk = Vec::with_capacity(if self.chunks.is_empty() { 4 } else { CHUNK });
                chunk.push(value);
                self.chunks.push(chunk);
            }
        }
    }

    /// The element at `i`; `None` past the end or in a released chunk.
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i >> SHIFT)?.get(i & MASK)
    }

    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks.get_mut(i >> SHIFT)?.get_mut(i & MASK)
    }

    /// The elements in order (none of a released chunk).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flatten()
    }

    /// Frees every chunk that lies wholly before index `i`. Reading a freed element gives `None`
    /// ([`Chunked::get`]) or panics (indexing), as past the end of a vector; the length stays.
    pub(crate) fn release_before(&mut self, i: usize) {
        let whole = (i >> SHIFT).min(self.chunks.len());
        while self.released < whole {
            self.chunks[self.released] = Vec::new();
            self.released += 1;
        }
    }

    /// Gives back the unused room of the last chunk (the only one that can have any).
    pub(crate) fn shrink_to_fit(&mut self) {
        if let Some(last) = self.chunks.last_mut() {
            last.shrink_to_fit();
        }
        self.chunks.shrink_to_fit();
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        &self.chunks[i >> SHIFT][i & MASK]
    }
}

impl<T> IndexMut<usize> for Chunked<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i >> SHIFT][i & MASK]
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Chunked<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut table = Chunked::new();
        for value in iter {
            table.push(value);
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Pushing, reading and writing by index behave as on a vector, across chunk borders.
        #[test]
        fn indexes_like_a_vector(n in 0usize..3 * CHUNK + 7, writes in proptest::collection::vec(any::<(usize, u32)>(), 0..40)) {
            let mut table = Chunked::new();
            let mut vector = Vec::new();
            for i in 0..n {
                table.push(i as u32);
                vector.push(i as u32);
            }
            for (at, value) in writes {
                if n == 0 {
                    break;
                }
                let at = at % n;
                table[at] = value;
                vector[at] = value;
                prop_assert_eq!(table.get_mut(at).map(|v| *v), Some(value));
            }
            prop_assert_eq!(table.len(), vector.len());
            prop_assert!(table.iter().eq(vector.iter()));
            for (i, v) in vector.iter().enumerate() {
                prop_assert_eq!(table.get(i), Some(v));
                prop_assert_eq!(&table[i], v);
            }
            prop_assert_eq!(table.get(n), None);
            // Every chunk but the last is full, so the index arithmetic holds.
            if let Some((_, full)) = table.chunks.split_last() {
                prop_assert!(full.iter().all(|c| c.len() == CHUNK));
            }
        }
    }

    #[test]
    fn a_small_table_stays_small() {
        let table: Chunked<u64> = (0..10).collect();
        assert_eq!(table.chunks.len(), 1);
        assert!(table.chunks[0].capacity() < 64);
        let big: Chunked<u64> = (0..CHUNK as u64 + 1).collect();
        assert_eq!(big.chunks.len(), 2);
        assert_eq!(big.chunks[0].capacity(), CHUNK);
    }

    #[test]
    fn released_chunks_are_freed_and_read_as_missing() {
        let mut table: Chunked<u32> = (0..(2 * CHUNK + 5) as u32).collect();
        // Nothing wholly before an index inside the first chunk.
        table.release_before(CHUNK - 1);
        assert_eq!(table.get(0), Some(&0));
        table.release_before(CHUNK + 3);
        assert_eq!(table.get(0), None);
        assert_eq!(table.get(CHUNK - 1), None);
        assert_eq!(table.chunks[0].capacity(), 0);
        assert_eq!(table.get(CHUNK), Some(&(CHUNK as u32)));
        assert_eq!(table.len(), 2 * CHUNK + 5);
        // Past the end: every chunk goes, and nothing panics.
        table.release_before(usize::MAX);
        assert!(table.iter().next().is_none());
        assert_eq!(table.get(2 * CHUNK), None);
    }
}
