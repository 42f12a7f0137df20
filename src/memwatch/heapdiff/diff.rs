//! The diff of two samples, aggregated per `what` like memwatch's `end()` result.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::sample::{Entry, HeapSample, Totals};
use super::seen::SeenNodes;

/// One line of `change.details`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// Constructor name, or memwatch's name for the node type (`Array`, `String`, …).
    pub what: String,
    /// Σ self size allocated − Σ self size freed.
    pub size_bytes: i64,
    /// Allocated count (`"+"`).
    pub plus: u64,
    /// Freed count (`"-"`).
    pub minus: u64,
}

/// memwatch's `change`: what happened between the two samples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `after.size_bytes − before.size_bytes`.
    pub size_bytes: i64,
    /// Nodes of `before` that `after` no longer has.
    pub freed_nodes: u64,
    /// Nodes of `after` that `before` did not have.
    pub allocated_nodes: u64,
    /// Only `what`s with allocations or frees, in byte order of `what`.
    pub details: Vec<Detail>,
}

/// memwatch's `HeapDiff.end()` result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapDiffResult {
    /// Totals of the first sample.
    pub before: Totals,
    /// Totals of the second sample.
    pub after: Totals,
    /// What changed between them.
    pub change: Change,
}

fn signed_difference(plus: u64, minus: u64) -> i64 {
    let d = i128::from(plus) - i128::from(minus);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

/// (count, bytes) per local `what` of one sample.
type PerWhat = Vec<(u64, u64)>;

fn count_into(table: &mut PerWhat, e: &Entry) {
    if let Some(slot) = table.get_mut(e.what as usize) {
        slot.0 += 1;
        slot.1 = slot.1.saturating_add(e.self_size);
    }
}

/// Merges two id-sorted samples: freed = before ∖ after, allocated = after ∖ before.
pub fn diff(before: &HeapSample, after: &HeapSample) -> HeapDiffResult {
    let mut freed = vec![(0u64, 0u64); before.whats.len()];
    let mut allocated = vec![(0u64, 0u64); after.whats.len()];
    let (mut freed_nodes, mut allocated_nodes) = (0u64, 0u64);
    let (b, a) = (before.len(), after.len());
    let (mut i, mut j) = (0, 0);
    while i < b && j < a {
        match before.ids[i].cmp(&after.ids[j]) {
            std::cmp::Ordering::Less => {
                count_into(&mut freed, &before.entry(i));
                freed_nodes += 1;
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                count_into(&mut allocated, &after.entry(j));
                allocated_nodes += 1;
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    for e in before.entries().skip(i) {
        count_into(&mut freed, &e);
        freed_nodes += 1;
    }
    for e in after.entries().skip(j) {
        count_into(&mut allocated, &e);
        allocated_nodes += 1;
    }
    let sides = Sides {
        before,
        after_totals: after.totals,
        after_whats: &after.whats,
    };
    sides.result(&freed, &allocated, freed_nodes, allocated_nodes)
}

/// The diff of `before` and a later snapshot parsed with
/// [`SeenFilter`](super::SeenFilter): `fresh` holds only the nodes that were not in `before`,
/// `seen` which of `before`'s nodes the snapshot still had. Equal to [`diff`] of `before` and
/// the whole later sample.
pub fn diff_with_seen(before: &HeapSample, seen: &SeenNodes, fresh: &HeapSample) -> HeapDiffResult {
    let mut freed = vec![(0u64, 0u64); before.whats.len()];
    let mut allocated = vec![(0u64, 0u64); fresh.whats.len()];
    let mut freed_nodes = 0u64;
    for (index, e) in before.entries().enumerate() {
        if !seen.was_seen(index) {
            count_into(&mut freed, &e);
            freed_nodes += 1;
        }
    }
    for e in fresh.entries() {
        count_into(&mut allocated, &e);
    }
    let kept = seen.totals();
    let sides = Sides {
        before,
        after_totals: Totals {
            nodes: kept.nodes + fresh.totals.nodes,
            size_bytes: kept.size_bytes.saturating_add(fresh.totals.size_bytes),
        },
        after_whats: &fresh.whats,
    };
    sides.result(&freed, &allocated, freed_nodes, fresh.len() as u64)
}

struct Sides<'a> {
    before: &'a HeapSample,
    after_totals: Totals,
    after_whats: &'a [Arc<str>],
}

impl Sides<'_> {
    fn result(
        &self,
        freed: &PerWhat,
        allocated: &PerWhat,
        freed_nodes: u64,
        allocated_nodes: u64,
    ) -> HeapDiffResult {
        // Merge by string (a what may sit at different local indices on each side): `str` order
        // is byte order. (plus, plus_bytes, minus, minus_bytes)
        let mut by_what: BTreeMap<&str, (u64, u64, u64, u64)> = BTreeMap::new();
        for (what, &(n, bytes)) in self.before.whats.iter().zip(freed) {
            if n > 0 {
                let slot = by_what.entry(what).or_default();
                slot.2 += n;
                slot.3 = slot.3.saturating_add(bytes);
            }
        }
        for (what, &(n, bytes)) in self.after_whats.iter().zip(allocated) {
            if n > 0 {
                let slot = by_what.entry(what).or_default();
                slot.0 += n;
                slot.1 = slot.1.saturating_add(bytes);
            }
        }
        let details = by_what
            .into_iter()
            .map(|(what, (plus, plus_bytes, minus, minus_bytes))| Detail {
                what: what.to_owned(),
                size_bytes: signed_difference(plus_bytes, minus_bytes),
                plus,
                minus,
            })
            .collect();
        HeapDiffResult {
            before: self.before.totals,
            after: self.after_totals,
            change: Change {
                size_bytes: signed_difference(
                    self.after_totals.size_bytes,
                    self.before.totals.size_bytes,
                ),
                freed_nodes,
                allocated_nodes,
                details,
            },
        }
    }
}
