//! Three-snapshot leak detection (baseline, target, final), the method memlab made common:
//! objects allocated between baseline and target (ids in target, not in baseline) that are
//! still alive in final are leak candidates.
//!
//! Candidates are reported by their *leak roots*: a candidate whose immediate dominator is not
//! a candidate heads a subtree of new memory (a request object and its buffers and strings),
//! so each root stands for its whole subtree once. Roots are grouped by their class and the
//! shape of their shortest retainer path (class names and edge names, indices left out:
//! `Object.__keep → Array.leakedArray → (object elements)[] → LeakyRequest`), largest
//! retained size first.

#![deny(missing_docs)]

use super::analysis::HeapAnalysis;
use super::essential::weakmap_table_id;
use super::graph::{EdgeName, HeapGraph, NodeIndex, NodeKind};
use super::paths::{PathStep, RetainerTree};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Sorted, deduplicated node ids of one snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdSet {
    ids: Vec<u32>,
}

impl IdSet {
    /// Every node id of `graph`.
    pub fn of(graph: &HeapGraph) -> IdSet {
        let mut ids: Vec<u32> = (0..graph.node_count() as NodeIndex)
            .map(|n| graph.node_id(n))
            .collect();
        ids.par_sort_unstable();
        ids.dedup();
        IdSet { ids }
    }

    /// The ids in `self` and not in `older`.
    pub fn minus(&self, older: &IdSet) -> IdSet {
        let mut ids = Vec::new();
        let mut j = 0;
        for &id in &self.ids {
            while j < older.ids.len() && older.ids[j] < id {
                j += 1;
            }
            if j >= older.ids.len() || older.ids[j] != id {
                ids.push(id);
            }
        }
        IdSet { ids }
    }

    /// Whether `id` is in the set.
    pub fn contains(&self, id: u32) -> bool {
        self.ids.binary_search(&id).is_ok()
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Leak roots with the same class and retainer path shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakGroup {
    /// The roots' class.
    pub class_name: String,
    /// The shape of their retainer paths; `(unreachable)` when no path exists.
    pub path_shape: String,
    /// The roots, largest retained size first.
    pub roots: Vec<NodeIndex>,
    /// Their retained sizes, summed (their subtrees do not overlap).
    pub retained_size: u64,
}

/// What the three-snapshot search found in the final snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakReport {
    /// Nodes of final allocated between baseline and target.
    pub leaked_nodes: u64,
    /// Their self sizes, summed.
    pub leaked_size: u64,
    /// The groups, largest retained size first.
    pub groups: Vec<LeakGroup>,
}

/// The retainer path of a group's largest root, for showing.
pub fn sample_path(
    graph: &HeapGraph,
    tree: &RetainerTree,
    group: &LeakGroup,
) -> Option<Vec<PathStep>> {
    group.roots.first().and_then(|&n| tree.path_to(graph, n))
}

/// Finds the nodes of `final_graph` whose ids are in `new_ids` and groups their roots.
/// Returns the report and the retainer tree it used (for sample paths).
pub fn find_leaks(
    final_graph: &HeapGraph,
    analysis: &HeapAnalysis,
    new_ids: &IdSet,
) -> (LeakReport, RetainerTree) {
    let leaked = leaked_nodes(final_graph, new_ids);
    let root = final_graph.root();
    let (mut leaked_nodes, mut leaked_size) = (0u64, 0u64);
    let mut roots = Vec::new();
    for n in 0..final_graph.node_count() as NodeIndex {
        if !leaked[n as usize] {
            continue;
        }
        leaked_nodes += 1;
        leaked_size += analysis.self_size(n);
        let dominator = analysis.dominator(n);
        let heads_subtree = dominator == root || !leaked[dominator as usize];
        if heads_subtree && n != root && final_graph.node_kind(n) != NodeKind::Synthetic {
            roots.push(n);
        }
    }
    let tree = RetainerTree::build_until(final_graph, &roots);
    let groups = group_roots(final_graph, analysis, &tree, roots);
    let report = LeakReport {
        leaked_nodes,
        leaked_size,
        groups,
    };
    (report, tree)
}

/// Whether each node of `graph` has an id in `new_ids` (binary searches, in parallel).
fn leaked_nodes(graph: &HeapGraph, new_ids: &IdSet) -> Vec<bool> {
    (0..graph.node_count() as NodeIndex)
        .into_par_iter()
        .map(|n| new_ids.contains(graph.node_id(n)))
        .collect()
}

fn group_roots(
    graph: &HeapGraph,
    analysis: &HeapAnalysis,
    tree: &RetainerTree,
    roots: Vec<NodeIndex>,
) -> Vec<LeakGroup> {
    let mut groups: Vec<LeakGroup> = Vec::new();
    let mut by_key: FxHashMap<(u32, String), usize> = FxHashMap::default();
    for n in roots {
        let shape = tree.path_to(graph, n).map_or_else(
            || "(unreachable)".to_owned(),
            |p| path_shape(graph, analysis, &p),
        );
        let slot = *by_key
            .entry((analysis.class_of(n), shape))
            .or_insert_with_key(|key| {
                groups.push(LeakGroup {
                    class_name: analysis.class_name(graph, n).to_owned(),
                    path_shape: key.1.clone(),
                    roots: Vec::new(),
                    retained_size: 0,
                });
                groups.len() - 1
            });
        let group = &mut groups[slot];
        group.roots.push(n);
        group.retained_size += analysis.retained_size(n);
    }
    for group in &mut groups {
        group.roots.sort_by(|&a, &b| {
            analysis
                .retained_size(b)
                .cmp(&analysis.retained_size(a))
                .then(a.cmp(&b))
        });
    }
    groups.sort_by(|a, b| {
        b.retained_size
            .cmp(&a.retained_size)
            .then(b.roots.len().cmp(&a.roots.len()))
            .then_with(|| a.path_shape.cmp(&b.path_shape))
    });
    groups
}

/// `A.edge → B[] → C`: each node by class (functions by name), each edge by name with
/// indices and WeakMap entry details left out, so that paths to siblings compare equal.
pub fn path_shape(graph: &HeapGraph, analysis: &HeapAnalysis, path: &[PathStep]) -> String {
    let mut shape = String::new();
    for (i, step) in path.iter().enumerate() {
        if i > 0 {
            shape.push_str(&edge_shape(graph.edge_name(step.edge)));
            shape.push_str(" → ");
        }
        shape.push_str(&node_shape(graph, analysis, step.node));
    }
    shape
}

fn node_shape(graph: &HeapGraph, analysis: &HeapAnalysis, n: NodeIndex) -> String {
    let class = analysis.class_name(graph, n);
    match graph.node_kind(n) {
        NodeKind::Closure if !graph.node_name(n).is_empty() => format!("{}()", graph.node_name(n)),
        _ if class.is_empty() => format!("({})", graph.node_type_name(n)),
        _ => class.to_owned(),
    }
}

fn edge_shape(name: EdgeName<'_>) -> String {
    match name {
        EdgeName::Index(_) => "[]".to_owned(),
        EdgeName::Name(text) if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() => {
            "[]".to_owned()
        }
        EdgeName::Name(text) if weakmap_table_id(text).is_some() => "[WeakMap entry]".to_owned(),
        EdgeName::Name(text) => format!(".{text}"),
    }
}
