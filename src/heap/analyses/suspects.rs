//! Leak suspects: the few nodes that dominate an outsized share of the heap, and where inside
//! them the memory accumulates (the rule Eclipse MAT made familiar).
//!
//! * A suspect is a node (not the root, not a synthetic GC-root group) retaining at least
//!   [`SuspectRules::min_share`] of the heap.
//! * Its memory *accumulates* at the end of its heavy chain: follow the dominated child that
//!   retains the most while it holds at least [`SuspectRules::chain_share`] of its parent;
//!   where no child does, the memory is spread over many objects: that node is the
//!   accumulation point (often an array or a map's backing store).
//! * The chain is reported by its owner: the deepest object above the accumulation point
//!   (`'Module' @14727 retains 172 MB (81.5%), accumulated in 'Array' @2016689`: the module,
//!   not the global object the chain starts from).
//! * Nodes on a suspect's heavy chain are the same memory, so they are not reported again;
//!   big siblings hanging off the chain are.

#![deny(missing_docs)]

use crate::heap::analyses::analysis::HeapAnalysis;
use crate::heap::graph::{HeapGraph, NodeIndex, NodeKind};
use rustc_hash::FxHashSet;

/// Thresholds of the suspect search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SuspectRules {
    /// Smallest share of the total heap a suspect retains (0.1 = 10 %).
    pub min_share: f64,
    /// Share of its parent a dominated child must retain to continue the heavy chain.
    pub chain_share: f64,
    /// Most suspects returned (the largest).
    pub max: usize,
}

impl Default for SuspectRules {
    fn default() -> Self {
        SuspectRules {
            min_share: 0.10,
            chain_share: 0.80,
            max: 10,
        }
    }
}

/// A node retaining an outsized share of the heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suspect {
    /// The suspect node.
    pub node: NodeIndex,
    /// The end of its heavy chain, where the memory is spread over many objects; `None` when
    /// that is the suspect itself.
    pub accumulated_in: Option<NodeIndex>,
}

/// The suspects of `analysis`, largest retained size first.
pub fn find_suspects(
    graph: &HeapGraph,
    analysis: &HeapAnalysis,
    rules: SuspectRules,
) -> Vec<Suspect> {
    let total = analysis.total_size();
    if total == 0 || rules.max == 0 {
        return Vec::new();
    }
    let threshold = (rules.min_share * total as f64).ceil().max(1.0) as u64;
    let mut covered: FxHashSet<NodeIndex> = FxHashSet::default();
    let mut suspects = Vec::new();
    // Only nodes at or above the threshold are explored: below it, no descendant can reach it.
    let mut stack = vec![graph.root()];
    while let Some(n) = stack.pop() {
        for &child in analysis.dominated(n) {
            if analysis.retained_size(child) < threshold {
                continue;
            }
            stack.push(child);
            if graph.node_kind(child) == NodeKind::Synthetic || covered.contains(&child) {
                continue;
            }
            let chain = heavy_chain(analysis, child, rules.chain_share);
            let end = *chain.last().unwrap_or(&child);
            let owner = owner_of_end(graph, analysis, &chain, threshold);
            covered.extend(chain);
            suspects.push(Suspect {
                node: owner,
                accumulated_in: (end != owner).then_some(end),
            });
        }
    }
    suspects.sort_by(|a, b| {
        analysis
            .retained_size(b.node)
            .cmp(&analysis.retained_size(a.node))
            .then(a.node.cmp(&b.node))
    });
    suspects.truncate(rules.max);
    suspects
}

/// The node a chain is reported by: the deepest object (or function, native object, regexp)
/// above its end, i.e. the owner of the memory (`Module` for its `children` array), rather
/// than the global object every chain starts near; the chain's start when none is.
/// Only nodes still at or above the suspect threshold qualify.
fn owner_of_end(
    graph: &HeapGraph,
    analysis: &HeapAnalysis,
    chain: &[NodeIndex],
    threshold: u64,
) -> NodeIndex {
    let above_end = &chain[..chain.len().saturating_sub(1)];
    above_end
        .iter()
        .rev()
        .copied()
        .find(|&n| {
            analysis.retained_size(n) >= threshold
                && matches!(
                    graph.node_kind(n),
                    NodeKind::Object | NodeKind::Closure | NodeKind::Native | NodeKind::RegExp
                )
        })
        .unwrap_or(chain[0])
}

/// `start` and its descendants down the dominator tree, each the child retaining the most of
/// the previous one while it holds at least `share` of it.
fn heavy_chain(analysis: &HeapAnalysis, start: NodeIndex, share: f64) -> Vec<NodeIndex> {
    let mut chain = vec![start];
    let mut current = start;
    loop {
        let heaviest = analysis
            .dominated(current)
            .iter()
            .copied()
            .max_by_key(|&c| (analysis.retained_size(c), std::cmp::Reverse(c)));
        let Some(next) = heaviest else { break };
        let parent = analysis.retained_size(current) as f64;
        if (analysis.retained_size(next) as f64) < share * parent {
            break;
        }
        chain.push(next);
        current = next;
    }
    chain
}
