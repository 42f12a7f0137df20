//! Which nodes of an earlier sample a later snapshot still holds, recorded while that snapshot
//! is parsed (by [`SeenFilter`](super::SeenFilter)), so the later sample keeps only new nodes.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use super::sample::{HeapSample, Totals};

/// Ids sorted ascending, with a table of where each range of 2^`shift` ids starts, so a lookup
/// is a few steps of binary search inside one small bucket.
#[derive(Debug)]
pub(super) struct SortedIds {
    ids: Arc<[u32]>,
    shift: u32,
    /// `starts[b]` = first position whose id >> shift >= b; one extra entry at the end.
    starts: Vec<u32>,
}

/// Buckets of the id index: 64 Ki (256 KiB of offsets) whatever the sample size.
const ID_BUCKET_BITS: u32 = 16;

impl SortedIds {
    /// Indexes `ids`, which must be strictly ascending.
    pub(super) fn new(ids: Arc<[u32]>) -> Self {
        debug_assert!(ids.windows(2).all(|w| w[0] < w[1]));
        let max = ids.last().copied().unwrap_or(0);
        let bits = 32 - max.leading_zeros();
        let shift = bits.saturating_sub(ID_BUCKET_BITS);
        let buckets = (max >> shift) as usize + 1;
        let mut starts = vec![0u32; buckets + 1];
        let mut position = 0usize;
        for (bucket, start) in starts.iter_mut().enumerate() {
            while position < ids.len() && ((ids[position] >> shift) as usize) < bucket {
                position += 1;
            }
            *start = position as u32;
        }
        Self { ids, shift, starts }
    }

    /// Where `id` sits in the ids, if it is there.
    pub(super) fn position(&self, id: u32) -> Option<usize> {
        let bucket = (id >> self.shift) as usize;
        let (&from, &to) = (self.starts.get(bucket)?, self.starts.get(bucket + 1)?);
        let range = from as usize..to as usize;
        self.ids[range.clone()]
            .binary_search(&id)
            .ok()
            .map(|offset| range.start + offset)
    }
}

/// Which nodes of an earlier [`HeapSample`] a later snapshot still holds, and their count and
/// bytes in it. Filled on the parsing thread by [`SeenFilter`](super::SeenFilter), read after
/// the parse.
#[derive(Debug)]
pub struct SeenNodes {
    index: SortedIds,
    bits: Vec<AtomicU64>,
    nodes: AtomicU64,
    bytes: AtomicU64,
}

impl SeenNodes {
    /// Ready to record which of `sample`'s nodes a later snapshot has.
    pub fn of(sample: &HeapSample) -> Arc<Self> {
        let words = sample.len().div_ceil(64);
        Arc::new(Self {
            index: SortedIds::new(Arc::clone(&sample.ids)),
            bits: (0..words).map(|_| AtomicU64::new(0)).collect(),
            nodes: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        })
    }

    /// Marks node `id` of the later snapshot as seen, with its self size there, when the
    /// earlier sample has it; `false` (nothing recorded) for a new node.
    pub(super) fn record(&self, id: u32, self_size: u64) -> bool {
        let Some(position) = self.index.position(id) else {
            return false;
        };
        self.bits[position / 64].fetch_or(1 << (position % 64), Relaxed);
        self.nodes.fetch_add(1, Relaxed);
        self.bytes.fetch_add(self_size, Relaxed);
        true
    }

    /// Whether the node at `position` (in the earlier sample's id order) was seen again.
    pub(super) fn was_seen(&self, position: usize) -> bool {
        self.bits[position / 64].load(Relaxed) & (1 << (position % 64)) != 0
    }

    /// Count and self sizes (in the later snapshot) of the nodes seen again.
    pub fn totals(&self) -> Totals {
        Totals {
            nodes: self.nodes.load(Relaxed),
            size_bytes: self.bytes.load(Relaxed),
        }
    }
}
