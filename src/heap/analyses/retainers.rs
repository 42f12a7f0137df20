//! The reverse edge index (DevTools' `buildRetainers`): for each node, the edges pointing at
//! it, their source nodes and whether each edge is essential, as one CSR.

#![deny(missing_docs)]

use crate::heap::graph::bits::BitVec;
use crate::heap::graph::{EdgeIndex, HeapGraph, NodeIndex};
use rayon::prelude::*;
use std::ops::Range;

/// Set in a slot's source node when its edge is not essential. The dominator pass reads the
/// flag with the source instead of looking the edge up in the essential bit vector (a cache
/// miss per retainer); node ordinals stay below 2^31 (the loader checks).
const NON_ESSENTIAL: u32 = 1 << 31;

/// Incoming edges of every node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retainers {
    /// `first[n]..first[n + 1]` index `edges`/`nodes` for node `n`; length node count + 1.
    first: Vec<u32>,
    /// The retaining edge of each slot.
    edges: Vec<EdgeIndex>,
    /// Its source node, with [`NON_ESSENTIAL`].
    nodes: Vec<u32>,
}

impl Retainers {
    /// Builds the index with a counting sort over edge targets, in parallel over ranges of
    /// targets (each task reads every edge but writes only its own targets' slots, so the
    /// result is the same for any thread count). Within a node, retainers are in edge order
    /// (DevTools lists them in reverse; no result depends on the order).
    pub fn build(graph: &HeapGraph, essential: &BitVec) -> Retainers {
        let n = graph.node_count();
        let ranges = target_ranges(n);
        let mut first = vec![0u32; n + 1];
        count_targets(graph, &ranges, &mut first[1..]);
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let m = graph.edge_count();
        let mut edges = vec![0u32; m];
        let mut nodes = vec![0u32; m];
        let slot_counts: Vec<usize> = ranges
            .iter()
            .map(|r| (first[r.end] - first[r.start]) as usize)
            .collect();
        let work: Vec<_> = ranges
            .iter()
            .cloned()
            .zip(split(&mut edges, &slot_counts))
            .zip(split(&mut nodes, &slot_counts))
            .collect();
        work.into_par_iter().for_each(|((range, edges), nodes)| {
            scatter(graph, essential, &first, range, edges, nodes);
        });
        Retainers {
            first,
            edges,
            nodes,
        }
    }

    /// Slots of node `n`'s retainers.
    #[inline]
    pub fn range(&self, n: NodeIndex) -> Range<usize> {
        self.first[n as usize] as usize..self.first[n as usize + 1] as usize
    }

    /// Number of edges retaining node `n`.
    pub fn count(&self, n: NodeIndex) -> usize {
        self.range(n).len()
    }

    /// The retaining edge in `slot`.
    #[inline]
    pub fn edge(&self, slot: usize) -> EdgeIndex {
        self.edges[slot]
    }

    /// The retaining node in `slot`.
    #[inline]
    pub fn node(&self, slot: usize) -> NodeIndex {
        self.nodes[slot] & !NON_ESSENTIAL
    }

    /// Whether the edge in `slot` is essential (counts for dominators).
    #[inline]
    pub fn is_essential(&self, slot: usize) -> bool {
        self.nodes[slot] & NON_ESSENTIAL == 0
    }

    /// The retaining node in `slot` if its edge is essential.
    #[inline]
    pub fn essential_node(&self, slot: usize) -> Option<NodeIndex> {
        let raw = self.nodes[slot];
        (raw & NON_ESSENTIAL == 0).then_some(raw)
    }

    /// Node `n`'s retainers as (edge, source node) pairs.
    pub fn of(&self, n: NodeIndex) -> impl Iterator<Item = (EdgeIndex, NodeIndex)> + '_ {
        self.range(n).map(|s| (self.edges[s], self.node(s)))
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        (self.first.capacity() + self.edges.capacity() + self.nodes.capacity()) * 4
    }
}

/// Below this many nodes the index is built by one task (a few when fuzzing, so that small
/// inputs take the parallel path).
const PARALLEL_NODES: usize = if cfg!(fuzzing) { 4 } else { 1 << 16 };

/// Contiguous target ranges, one per thread.
fn target_ranges(n: usize) -> Vec<Range<usize>> {
    let tasks = rayon::current_num_threads().clamp(1, 8);
    let tasks = if n < PARALLEL_NODES { 1 } else { tasks };
    (0..tasks)
        .map(|t| n * t / tasks..n * (t + 1) / tasks)
        .collect()
}

/// Splits `slice` into consecutive parts of the given lengths.
fn split<'a, T>(mut slice: &'a mut [T], counts: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(counts.len());
    for &c in counts {
        let (head, tail) = slice.split_at_mut(c);
        out.push(head);
        slice = tail;
    }
    out
}

/// In-degree of every node into `counts` (node `i` at `counts[i]`).
fn count_targets(graph: &HeapGraph, ranges: &[Range<usize>], counts: &mut [u32]) {
    let lens: Vec<usize> = ranges.iter().map(|r| r.len()).collect();
    let parts: Vec<_> = ranges.iter().cloned().zip(split(counts, &lens)).collect();
    parts.into_par_iter().for_each(|(range, counts)| {
        let (lo, hi) = (range.start as u32, range.end as u32);
        for &to in &graph.edge_to {
            if (lo..hi).contains(&to) {
                counts[(to - lo) as usize] += 1;
            }
        }
    });
}

/// Fills the slots of the targets in `range` (`edges`/`nodes` start at `first[range.start]`).
fn scatter(
    graph: &HeapGraph,
    essential: &BitVec,
    first: &[u32],
    range: Range<usize>,
    edges: &mut [u32],
    nodes: &mut [u32],
) {
    let base = first[range.start];
    let mut cursor: Vec<u32> = first[range.clone()].iter().map(|&f| f - base).collect();
    let (lo, hi) = (range.start as u32, range.end as u32);
    let mut src = 0u32;
    for (e, &to) in graph.edge_to.iter().enumerate() {
        if !(lo..hi).contains(&to) {
            continue;
        }
        // Edges are grouped by source in node order: move the source along.
        while graph.first_edge[src as usize + 1] as usize <= e {
            src += 1;
        }
        let c = &mut cursor[(to - lo) as usize];
        let slot = *c as usize;
        *c += 1;
        edges[slot] = e as u32;
        nodes[slot] = if essential.get(e) {
            src
        } else {
            src | NON_ESSENTIAL
        };
    }
}
