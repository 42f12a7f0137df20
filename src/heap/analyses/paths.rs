//! Shortest retainer paths: DevTools' distance BFS (`calculateDistances` in HeapSnapshot.ts),
//! remembering the edge each node was first reached by, so the path from a GC root to any node
//! can be read back.
//!
//! The BFS follows DevTools' rules, so distances equal DevTools' `nodeDistances`:
//!
//! * user roots first: the root's targets that are not synthetic (the global objects), at
//!   distance 1; then the rest from the root itself at distance `SYSTEM_DISTANCE`;
//! * never through `weak` edges;
//! * not through `sloppy_function_map` of a `system / NativeContext`, nor through the
//!   descriptor links of a `(map descriptors)` array (maps share them);
//! * a WeakMap value is reached by the second edge of its key/table pair, not the first.

#![deny(missing_docs)]

use crate::heap::analyses::shallow::is_user_root;
use crate::heap::graph::bits::BitVec;
use crate::heap::graph::{EdgeIndex, EdgeKind, EdgeName, HeapGraph, NodeIndex, NodeKind};
use rustc_hash::FxHashSet;

/// DevTools' `baseSystemDistance`: where nodes only reachable from system roots start.
pub const SYSTEM_DISTANCE: u32 = 100_000_000;
/// DevTools' `noDistance` (-5 as an `Int32Array` value).
pub const NO_DISTANCE: u32 = u32::MAX;
const NO_EDGE: EdgeIndex = EdgeIndex::MAX;

/// The BFS tree of retainers: each reached node's distance and the edge it was reached by.
#[derive(Debug, Clone)]
pub struct RetainerTree {
    distance: Vec<u32>,
    parent_edge: Vec<EdgeIndex>,
    /// Whether the BFS stopped early (every requested node was reached); distances of
    /// nodes it did not reach are then unknown rather than absent.
    stopped_early: bool,
}

/// One step of a retainer path: the edge taken and the node it leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathStep {
    /// The edge from the previous step's node (from the root for the first step).
    pub edge: EdgeIndex,
    /// The node the edge leads to.
    pub node: NodeIndex,
}

impl RetainerTree {
    /// Runs the whole BFS: every node reachable without weak edges gets a distance and a
    /// parent edge.
    pub fn build(graph: &HeapGraph) -> RetainerTree {
        Self::build_until(graph, &[])
    }

    /// Runs the BFS until every node of `wanted` has been reached (all of it when `wanted` is
    /// empty). Nodes reached before the stop have the same distances and parents as in the
    /// full BFS.
    pub fn build_until(graph: &HeapGraph, wanted: &[NodeIndex]) -> RetainerTree {
        let mut bfs = Bfs::new(graph, wanted);
        let root = graph.root();
        let mut queue: Vec<NodeIndex> = Vec::with_capacity(graph.node_count());
        for e in graph.edges(root) {
            let n = graph.edge_target(e);
            if is_user_root(graph, n) {
                if bfs.tree.parent_edge[n as usize] == NO_EDGE {
                    bfs.tree.parent_edge[n as usize] = e;
                }
                bfs.reach(n, 1);
                queue.push(n);
            }
        }
        let had_user_roots = !queue.is_empty();
        if !bfs.run(&mut queue) {
            queue.clear();
            let root_distance = if had_user_roots { SYSTEM_DISTANCE } else { 0 };
            bfs.reach(root, root_distance);
            queue.push(root);
            bfs.run(&mut queue);
        }
        bfs.tree.stopped_early = bfs.missing == 0 && !wanted.is_empty();
        bfs.tree
    }

    /// Node `n`'s distance from the user roots (DevTools' `distance`), or [`NO_DISTANCE`].
    pub fn distance(&self, n: NodeIndex) -> u32 {
        self.distance[n as usize]
    }

    /// Every node's distance, by ordinal.
    pub fn distances(&self) -> &[u32] {
        &self.distance
    }

    /// Whether the BFS stopped once the requested nodes were reached.
    pub fn stopped_early(&self) -> bool {
        self.stopped_early
    }

    /// The edge node `n` was first reached by; `None` for the root and unreached nodes.
    pub fn parent_edge(&self, n: NodeIndex) -> Option<EdgeIndex> {
        let e = self.parent_edge[n as usize];
        (e != NO_EDGE).then_some(e)
    }

    /// The shortest path from the root to `n` (the root itself not included), or `None` when
    /// the BFS did not reach `n` (only weak edges lead to it, or it is unreachable).
    pub fn path_to(&self, graph: &HeapGraph, n: NodeIndex) -> Option<Vec<PathStep>> {
        if n == graph.root() {
            return Some(Vec::new());
        }
        let mut steps = Vec::new();
        let mut current = n;
        while current != graph.root() {
            let edge = self.parent_edge(current)?;
            steps.push(PathStep {
                edge,
                node: current,
            });
            current = graph.edge_source(edge);
            // A parent chain is a BFS tree branch, so it cannot be longer than the graph.
            if steps.len() > graph.node_count() {
                return None;
            }
        }
        steps.reverse();
        Some(steps)
    }
}

struct Bfs<'g> {
    graph: &'g HeapGraph,
    tree: RetainerTree,
    wanted: BitVec,
    /// Wanted nodes not reached yet; `usize::MAX` when nothing was asked for (run to the end).
    missing: usize,
    /// The WeakMap pairs (by the name part both edges share) whose first edge was skipped.
    pending_ephemerons: FxHashSet<&'g str>,
}

impl<'g> Bfs<'g> {
    fn new(graph: &'g HeapGraph, wanted: &[NodeIndex]) -> Self {
        let n = graph.node_count();
        let mut wanted_bits = BitVec::new(if wanted.is_empty() { 0 } else { n });
        let mut missing = if wanted.is_empty() { usize::MAX } else { 0 };
        for &w in wanted {
            if (w as usize) < n && !wanted_bits.get(w as usize) {
                wanted_bits.set(w as usize);
                missing += 1;
            }
        }
        Bfs {
            graph,
            tree: RetainerTree {
                distance: vec![NO_DISTANCE; n],
                parent_edge: vec![NO_EDGE; n],
                stopped_early: false,
            },
            wanted: wanted_bits,
            missing,
            pending_ephemerons: FxHashSet::default(),
        }
    }

    fn reach(&mut self, n: NodeIndex, distance: u32) {
        if self.tree.distance[n as usize] == NO_DISTANCE
            && self.missing != usize::MAX
            && self.wanted.get(n as usize)
        {
            self.missing -= 1;
        }
        self.tree.distance[n as usize] = distance;
    }

    /// Visits the queue in order, appending what it reaches; `true` when it stopped because
    /// every wanted node was reached.
    fn run(&mut self, queue: &mut Vec<NodeIndex>) -> bool {
        let graph = self.graph;
        let weak = graph.edge_types().index_of(EdgeKind::Weak);
        let mut next = 0;
        while next < queue.len() {
            if self.missing == 0 {
                return true;
            }
            let n = queue[next];
            next += 1;
            let distance = self.tree.distance[n as usize].saturating_add(1);
            let rules = NodeRules::of(graph, n);
            for e in graph.edges(n) {
                if Some(graph.edge_type_index(e)) == weak {
                    continue;
                }
                let child = graph.edge_target(e);
                if self.tree.distance[child as usize] != NO_DISTANCE || !self.follows(rules, e) {
                    continue;
                }
                self.tree.parent_edge[child as usize] = e;
                self.reach(child, distance);
                queue.push(child);
            }
        }
        self.missing == 0
    }

    /// DevTools' distance filter (`JSHeapSnapshot.calculateDistances`).
    fn follows(&mut self, rules: NodeRules, e: EdgeIndex) -> bool {
        let graph = self.graph;
        match rules {
            NodeRules::NativeContext => {
                if graph.edge_name(e) == EdgeName::Name("sloppy_function_map") {
                    return false;
                }
            }
            NodeRules::MapDescriptors => return follows_descriptor_edge(graph.edge_name(e)),
            NodeRules::Plain => {}
        }
        if graph.edge_kind(e) != EdgeKind::Internal {
            return true;
        }
        let EdgeName::Name(name) = graph.edge_name(e) else {
            return true;
        };
        let Some(pair) = weakmap_pair_key(name) else {
            return true;
        };
        // The first edge of a pair is skipped so that the value's distance comes from the
        // second (crbug.com/1290800).
        if self.pending_ephemerons.remove(pair) {
            true
        } else {
            self.pending_ephemerons.insert(pair);
            false
        }
    }
}

/// Which of DevTools' per-node distance rules apply to a node's edges.
#[derive(Clone, Copy)]
enum NodeRules {
    Plain,
    NativeContext,
    MapDescriptors,
}

impl NodeRules {
    fn of(graph: &HeapGraph, n: NodeIndex) -> NodeRules {
        match graph.node_kind(n) {
            NodeKind::Hidden if graph.node_name(n) == "system / NativeContext" => {
                NodeRules::NativeContext
            }
            NodeKind::Array if graph.node_name(n) == "(map descriptors)" => {
                NodeRules::MapDescriptors
            }
            _ => NodeRules::Plain,
        }
    }
}

/// DevTools: `index < 2 || index % 3 !== 1` over `parseInt(edge.name())`; a name that does
/// not start with a number parses to NaN, which passes.
fn follows_descriptor_edge(name: EdgeName<'_>) -> bool {
    let index = match name {
        EdgeName::Index(i) => Some(u64::from(i)),
        EdgeName::Name(text) => parse_int_prefix(text),
    };
    index.is_none_or(|i| i < 2 || i % 3 != 1)
}

/// JavaScript's `parseInt(text, 10)` for non-negative results: leading whitespace, an optional
/// `+`, then digits; `None` for NaN. A `-` sign gives a negative number, which passes both
/// tests like NaN does, so it maps to `None` too. (Above 2^53 JavaScript would round before
/// `% 3`; descriptor arrays' edges are element indices, far below that.)
fn parse_int_prefix(text: &str) -> Option<u64> {
    let t = text.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    // Only `i % 3` and `i < 2` matter: keep the value modulo 3 with a flag for "≥ 2".
    let mut rem = 0u64;
    let mut big = false;
    let mut value = 0u64;
    for d in t[..digits].bytes() {
        let d = u64::from(d - b'0');
        rem = (rem * 10 + d) % 3;
        value = value.saturating_mul(10).saturating_add(d);
        big |= value >= 2;
    }
    // Any value ≥ 2 with the same remainder stands for it: 3 + rem.
    Some(if big { 3 + rem } else { value })
}

/// The part of a WeakMap entry edge name both edges of a pair share (DevTools'
/// `duplicatedPart`: the name without its leading index), or `None` for other names.
pub(crate) fn weakmap_pair_key(name: &str) -> Option<&str> {
    crate::heap::analyses::essential::weakmap_table_id(name)?;
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    Some(&name[digits..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_int_prefix_follows_javascript_for_the_descriptor_rule() {
        assert_eq!(parse_int_prefix("0"), Some(0));
        assert_eq!(parse_int_prefix("1"), Some(1));
        assert_eq!(parse_int_prefix(" 7abc").map(|v| v % 3), Some(1));
        assert_eq!(parse_int_prefix("abc"), None);
        assert_eq!(parse_int_prefix(""), None);
        assert_eq!(parse_int_prefix("-4"), None);
        let huge = "1".repeat(40); // 111…1 (40 ones) ≡ 40 ≡ 1 (mod 3)
        assert_eq!(
            parse_int_prefix(&huge).map(|v| (v >= 2, v % 3)),
            Some((true, 1))
        );
    }

    #[test]
    fn descriptor_rule_skips_every_third_link_from_index_four() {
        let follows: Vec<u32> = (0..12)
            .filter(|&i| follows_descriptor_edge(EdgeName::Index(i)))
            .collect();
        assert_eq!(follows, vec![0, 1, 2, 3, 5, 6, 8, 9, 11]);
        assert!(follows_descriptor_edge(EdgeName::Name("map")));
    }

    #[test]
    fn weakmap_pair_key_drops_the_leading_index() {
        let a = "3 / part of key (Object @5) -> value (Object @7) pair in WeakMap (table @9)";
        let b = "12 / part of key (Object @5) -> value (Object @7) pair in WeakMap (table @9)";
        assert_eq!(weakmap_pair_key(a), weakmap_pair_key(b));
        assert!(weakmap_pair_key(a).is_some());
        assert_eq!(weakmap_pair_key("map"), None);
    }
}
