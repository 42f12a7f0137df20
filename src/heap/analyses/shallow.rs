//! DevTools' shallow-size reassignment (`calculateShallowSizes` in HeapSnapshot.ts): an
//! `array` or `hidden` node (or `system / ExternalStringData`) reachable, through such nodes
//! only, from exactly one other node gives its self size to that owner, unless the owner is
//! the root or synthetic. DevTools shows, for example, an object's property backing store as
//! part of the object.

#![deny(missing_docs)]

use crate::heap::graph::bits::SizeColumn;
use crate::heap::graph::{EdgeKind, HeapGraph, NodeKind};

/// Not reached from any owner yet.
const UNVISITED: u32 = u32::MAX;
/// Reached from two or more owners: keeps its size.
const MULTIPLE: u32 = u32::MAX - 1;

/// Self sizes after the reassignment. Snapshots without user roots (taken with "expose
/// internals") keep their raw sizes, as in DevTools.
pub fn shallow_sizes(graph: &HeapGraph) -> SizeColumn {
    let mut sizes = graph.self_size.clone();
    if !has_user_roots(graph) {
        return sizes;
    }
    let owners = find_owners(graph);
    let root = graph.root();
    for (i, &owner) in owners.iter().enumerate() {
        if owner == UNVISITED || owner == MULTIPLE || owner as usize == i {
            continue;
        }
        if owner == root || graph.node_kind(owner) == NodeKind::Synthetic {
            continue;
        }
        let moved = sizes.get(i);
        sizes.set(i, 0);
        sizes.set(owner as usize, sizes.get(owner as usize) + moved);
    }
    sizes
}

/// DevTools' `#hasUserRoots`: a root edge to a non-synthetic node or `(Document DOM trees)`.
pub(crate) fn has_user_roots(graph: &HeapGraph) -> bool {
    graph
        .edges(graph.root())
        .any(|e| is_user_root(graph, graph.edge_target(e)))
}

/// DevTools' `JSHeapSnapshot.isUserRoot`.
pub(crate) fn is_user_root(graph: &HeapGraph, n: u32) -> bool {
    graph.node_kind(n) != NodeKind::Synthetic
        || crate::heap::analyses::essential::is_document_dom_trees_root(graph, n)
}

/// Whether node `n` can be owned (rather than owning itself).
fn ownable(graph: &HeapGraph, n: u32) -> bool {
    match graph.node_kind(n) {
        NodeKind::Hidden | NodeKind::Array => true,
        NodeKind::Native => graph.node_name(n) == "system / ExternalStringData",
        _ => false,
    }
}

/// The owner of every node: itself, one owner, [`UNVISITED`] or [`MULTIPLE`]. The worklist
/// order does not change the fixpoint; it follows DevTools anyway (a stack, nodes in order).
fn find_owners(graph: &HeapGraph) -> Vec<u32> {
    let n = graph.node_count() as u32;
    let mut owners = vec![UNVISITED; n as usize];
    let mut worklist: Vec<u32> = Vec::new();
    for i in 0..n {
        if !ownable(graph, i) {
            owners[i as usize] = i;
            worklist.push(i);
        }
    }
    let weak = graph.edge_types().index_of(EdgeKind::Weak);
    while let Some(id) = worklist.pop() {
        let owner = owners[id as usize];
        for e in graph.edges(id) {
            if Some(graph.edge_type[e as usize]) == weak {
                continue;
            }
            let target = graph.edge_to[e as usize];
            let current = owners[target as usize];
            if current == UNVISITED {
                owners[target as usize] = owner;
                worklist.push(target);
            } else if current != target && current != owner && current != MULTIPLE {
                // Each node enters the worklist at most twice: when first owned, and when
                // it turns out to have several owners.
                owners[target as usize] = MULTIPLE;
                worklist.push(target);
            }
        }
    }
    owners
}
