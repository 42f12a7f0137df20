//! The reverse edge index (DevTools' `buildRetainers`): for each node, the edges pointing at
//! it and their source nodes, as one CSR.

use super::graph::{EdgeIndex, HeapGraph, NodeIndex};
use std::ops::Range;

/// Incoming edges of every node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retainers {
    /// `first[n]..first[n + 1]` index `edges`/`nodes` for node `n`; length node count + 1.
    first: Vec<u32>,
    /// The retaining edge of each slot.
    edges: Vec<EdgeIndex>,
    /// Its source node (stored rather than searched: the dominator pass reads it per edge).
    nodes: Vec<NodeIndex>,
}

impl Retainers {
    /// Builds the index with a counting sort over edge targets. Within a node, retainers are
    /// in edge order (DevTools lists them in reverse; no result depends on the order).
    pub fn build(graph: &HeapGraph) -> Retainers {
        let n = graph.node_count();
        let mut first = vec![0u32; n + 1];
        for &to in &graph.edge_to {
            first[to as usize + 1] += 1;
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut cursor = first[..n].to_vec();
        let m = graph.edge_count();
        let mut edges = vec![0u32; m];
        let mut nodes = vec![0u32; m];
        for src in 0..n as u32 {
            for e in graph.edges(src) {
                let to = graph.edge_to[e as usize] as usize;
                let slot = cursor[to] as usize;
                cursor[to] += 1;
                edges[slot] = e;
                nodes[slot] = src;
            }
        }
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
        self.nodes[slot]
    }

    /// Node `n`'s retainers as (edge, source node) pairs.
    pub fn of(&self, n: NodeIndex) -> impl Iterator<Item = (EdgeIndex, NodeIndex)> + '_ {
        self.range(n).map(|s| (self.edges[s], self.nodes[s]))
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        (self.first.capacity() + self.edges.capacity() + self.nodes.capacity()) * 4
    }
}
