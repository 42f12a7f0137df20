//! A fixed-size bit vector (one bit per node or edge) and a u32 size column with rare u64
//! values: the two compact building blocks the graph and its analysis share.

#![deny(missing_docs)]

use rustc_hash::FxHashMap;

/// A fixed-length vector of bits, 64 to a word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BitVec {
    words: Vec<u64>,
    len: usize,
}

impl BitVec {
    /// `len` cleared bits.
    pub fn new(len: usize) -> Self {
        BitVec {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// Wraps words built elsewhere (for example in parallel); bits past `len` must be clear.
    pub(crate) fn from_words(words: Vec<u64>, len: usize) -> Self {
        debug_assert_eq!(words.len(), len.div_ceil(64));
        BitVec { words, len }
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` for a vector of no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bit `i`; `false` past the end.
    #[inline]
    pub fn get(&self, i: usize) -> bool {
        self.words
            .get(i / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }

    /// Sets bit `i` (which must be in range).
    #[inline]
    pub fn set(&mut self, i: usize) {
        self.words[i / 64] |= 1u64 << (i % 64);
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

/// Byte sizes stored as u32, with the rare values of 4 GiB or more kept aside: V8 object sizes
/// almost always fit, and halving the column matters at millions of nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SizeColumn {
    small: Vec<u32>,
    /// Values for the slots holding `u32::MAX`.
    big: FxHashMap<u32, u64>,
}

impl SizeColumn {
    /// A column of `len` zeros.
    pub fn zeros(len: usize) -> Self {
        SizeColumn {
            small: vec![0; len],
            big: FxHashMap::default(),
        }
    }

    /// Builds a column from its u32 part (`u32::MAX` marks a big value) and the big values.
    pub(crate) fn from_parts(small: Vec<u32>, big: impl IntoIterator<Item = (u32, u64)>) -> Self {
        SizeColumn {
            small,
            big: big.into_iter().collect(),
        }
    }

    /// The u32 form of `value`: itself, or the `u32::MAX` marker for a big one.
    #[inline]
    pub(crate) fn encode(value: u64) -> u32 {
        u32::try_from(value).unwrap_or(u32::MAX)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.small.len()
    }

    /// `true` when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.small.is_empty()
    }

    /// Entry `i`.
    #[inline]
    pub fn get(&self, i: usize) -> u64 {
        let v = self.small[i];
        if v == u32::MAX {
            // Ordinals fit u32 (the graph checks this when loading).
            self.big
                .get(&(i as u32))
                .copied()
                .unwrap_or(u64::from(u32::MAX))
        } else {
            u64::from(v)
        }
    }

    /// Sets entry `i`.
    pub fn set(&mut self, i: usize, value: u64) {
        let small = Self::encode(value);
        if small == u32::MAX {
            self.big.insert(i as u32, value);
        } else if self.small[i] == u32::MAX {
            self.big.remove(&(i as u32));
        }
        self.small[i] = small;
    }

    /// Heap bytes held (approximate for the map).
    pub fn heap_bytes(&self) -> usize {
        self.small.capacity() * 4 + self.big.capacity() * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_set_get_count() {
        let mut bits = BitVec::new(130);
        for i in [0, 63, 64, 129] {
            bits.set(i);
        }
        assert!(bits.get(0) && bits.get(63) && bits.get(64) && bits.get(129));
        assert!(!bits.get(1) && !bits.get(128) && !bits.get(1000));
        assert_eq!(bits.count_ones(), 4);
        assert_eq!(bits.len(), 130);
    }

    #[test]
    fn sizes_keep_big_values() {
        let mut sizes = SizeColumn::zeros(3);
        sizes.set(1, 5);
        sizes.set(2, 1 << 40);
        sizes.set(0, u64::from(u32::MAX));
        assert_eq!(sizes.get(0), u64::from(u32::MAX));
        assert_eq!(sizes.get(1), 5);
        assert_eq!(sizes.get(2), 1 << 40);
        sizes.set(2, 7);
        assert_eq!(sizes.get(2), 7);
        assert!(sizes.big.len() == 1);
    }
}
