//! Which edges count for the dominator tree, exactly as DevTools decides
//! (`computeIsEssentialEdge` and `markPageOwnedNodes` in HeapSnapshot.ts).
//!
//! An edge is *not* essential when it is
//! 1. the table → value `internal` edge of a WeakMap entry (the key → value edge stays),
//! 2. `weak`,
//! 3. a self edge,
//! 4. a `shortcut` from any node but the root (root shortcuts mark user globals),
//! 5. from a node that is not page-owned to a page-owned one.

#![deny(missing_docs)]

use crate::heap::graph::bits::BitVec;
use crate::heap::graph::{EdgeKind, HeapGraph, NodeIndex, NodeKind};
use crate::heap::progress::{Progress, Ticker};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Edges per parallel task (a multiple of 64, so tasks own whole words of the bit vector);
/// one word when fuzzing, so that small inputs are split into several tasks.
const EDGES_PER_TASK: usize = 64 * if cfg!(fuzzing) { 1 } else { 4096 };

/// Nodes reachable without weak edges from the root's shortcut targets (the user globals) and
/// from `(Document DOM trees)`.
pub fn page_owned(graph: &HeapGraph) -> BitVec {
    page_owned_counted(graph, None, 0)
}

/// [`page_owned`], reporting each node walked to `progress` (the phase's `total` units;
/// the nodes never walked are reported at the end, so this pass always adds the node count).
pub fn page_owned_counted(graph: &HeapGraph, progress: Option<&Progress>, total: u64) -> BitVec {
    let mut ticker = Ticker::new(progress, total);
    let mut walked = 0u64;
    let mut owned = BitVec::new(graph.node_count());
    let mut stack: Vec<NodeIndex> = Vec::new();
    for e in graph.edges(graph.root()) {
        let to = graph.edge_target(e);
        let entry = match graph.edge_kind(e) {
            EdgeKind::Element => is_document_dom_trees_root(graph, to),
            EdgeKind::Shortcut => true,
            _ => false,
        };
        if entry {
            stack.push(to);
            owned.set(to as usize);
        }
    }
    while let Some(n) = stack.pop() {
        walked += 1;
        ticker.at(walked);
        for e in graph.edges(n) {
            let to = graph.edge_target(e);
            if owned.get(to as usize) || graph.edge_kind(e) == EdgeKind::Weak {
                continue;
            }
            stack.push(to);
            owned.set(to as usize);
        }
    }
    ticker.finish(graph.node_count() as u64);
    owned
}

/// DevTools' `isDocumentDOMTreesRoot`.
pub(crate) fn is_document_dom_trees_root(graph: &HeapGraph, n: NodeIndex) -> bool {
    graph.node_kind(n) == NodeKind::Synthetic && graph.node_name(n) == "(Document DOM trees)"
}

/// The string indices that are WeakMap entry edge names, with the table id each one names.
#[derive(Debug, Default)]
pub struct WeakMapNames {
    /// Bit per string index: the string is a WeakMap edge name.
    is_entry: BitVec,
    table: FxHashMap<u32, u64>,
}

impl WeakMapNames {
    /// Parses every string once (in parallel); almost all fail on the first byte.
    pub fn find(graph: &HeapGraph) -> WeakMapNames {
        let strings = graph.strings();
        let found: Vec<(u32, u64)> = (0..strings.len() as u32)
            .into_par_iter()
            .filter_map(|i| weakmap_table_id(strings.get(i)).map(|t| (i, t)))
            .collect();
        let mut is_entry = BitVec::new(strings.len());
        for &(i, _) in &found {
            is_entry.set(i as usize);
        }
        WeakMapNames {
            is_entry,
            table: found.into_iter().collect(),
        }
    }

    /// The table id named by string `name`, if it is a WeakMap entry edge name.
    #[inline]
    pub fn table_of(&self, name: u32) -> Option<u64> {
        if self.is_entry.get(name as usize) {
            self.table.get(&name).copied()
        } else {
            None
        }
    }
}

/// Matches DevTools' ephemeron edge name regex
/// `^\d+ / part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(\d+)\)$`
/// and returns the table id (saturated at `u64::MAX`, which no u32 node id equals).
pub fn weakmap_table_id(name: &str) -> Option<u64> {
    let b = name.as_bytes();
    if !b.first()?.is_ascii_digit() || *b.last()? != b')' {
        return None;
    }
    // `.` in the regex does not match line terminators; nothing else in it can either.
    if name.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
        return None;
    }
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let rest = name[digits..].strip_prefix(" / part of key (")?;
    let rest = rest.strip_suffix(')')?;
    let (rest, table) = split_trailing_digits(rest)?;
    let middle = rest.strip_suffix(" pair in WeakMap (table @")?;
    // `middle` = `A @\d+) -> value (B @\d+)`: the value part ends the string; the key part can
    // end at any ` @\d+) -> value (` inside it.
    let (key_part, _) = split_trailing_digits(middle.strip_suffix(')')?)?;
    let key_part = key_part.strip_suffix(" @")?;
    let found = key_part.match_indices(") -> value (").any(|(at, _)| {
        split_trailing_digits(&key_part[..at]).is_some_and(|(before, _)| before.ends_with(" @"))
    });
    if !found {
        return None;
    }
    Some(table.bytes().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

/// Splits off a non-empty run of ASCII digits at the end of `s`.
fn split_trailing_digits(s: &str) -> Option<(&str, &str)> {
    let digits = s.bytes().rev().take_while(u8::is_ascii_digit).count();
    (digits > 0).then(|| s.split_at(s.len() - digits))
}

/// The essential-edge bit vector, computed in parallel over word-aligned edge ranges.
pub fn essential_edges(graph: &HeapGraph, page_owned: &BitVec, weakmaps: &WeakMapNames) -> BitVec {
    essential_edges_counted(graph, page_owned, weakmaps, None)
}

/// [`essential_edges`], reporting each task's edges to `progress` when it is done (tasks are
/// a quarter of a million edges: a few hundred reports for the largest snapshots).
pub fn essential_edges_counted(
    graph: &HeapGraph,
    page_owned: &BitVec,
    weakmaps: &WeakMapNames,
    progress: Option<&Progress>,
) -> BitVec {
    let m = graph.edge_count();
    let mut words = vec![0u64; m.div_ceil(64)];
    let rules = Rules::new(graph, page_owned, weakmaps);
    words
        .par_chunks_mut(EDGES_PER_TASK / 64)
        .enumerate()
        .for_each(|(task, chunk)| {
            let first = task * EDGES_PER_TASK;
            let end = m.min(first + chunk.len() * 64);
            if first < end {
                rules.mark(first, end, chunk);
                if let Some(progress) = progress {
                    progress.advance((end - first) as u64);
                }
            }
        });
    BitVec::from_words(words, m)
}

/// The type values and flags the per-edge decision needs.
struct Rules<'a> {
    graph: &'a HeapGraph,
    page_owned: &'a BitVec,
    weakmaps: &'a WeakMapNames,
    internal: Option<u8>,
    weak: Option<u8>,
    shortcut: Option<u8>,
}

impl<'a> Rules<'a> {
    fn new(graph: &'a HeapGraph, page_owned: &'a BitVec, weakmaps: &'a WeakMapNames) -> Self {
        let types = graph.edge_types();
        Rules {
            graph,
            page_owned,
            weakmaps,
            internal: types.index_of(EdgeKind::Internal),
            weak: types.index_of(EdgeKind::Weak),
            shortcut: types.index_of(EdgeKind::Shortcut),
        }
    }

    /// Sets the bits of the essential edges among `first..end` in `words` (bit 0 of word 0 is
    /// edge `first`, a multiple of 64), walking the edges source by source so that what
    /// depends on the source is looked up once.
    fn mark(&self, first: usize, end: usize, words: &mut [u64]) {
        let g = self.graph;
        let root = g.root();
        let mut src = g.edge_source(first as u32);
        let mut e = first;
        while e < end {
            let src_end = (g.first_edge[src as usize + 1] as usize).min(end);
            let from_root = src == root;
            // Rule 5 only matters when the source is not page-owned (and not the root).
            let check_owned = !from_root && !self.page_owned.get(src as usize);
            let id = u64::from(g.node_id[src as usize]);
            let types = &g.edge_type[e..src_end];
            let targets = &g.edge_to[e..src_end];
            for (k, (&ty, &to)) in types.iter().zip(targets).enumerate() {
                let ty = Some(ty);
                let mut essential = ty != self.weak && to != src;
                if !from_root && ty == self.shortcut {
                    essential = false;
                }
                if essential && check_owned && self.page_owned.get(to as usize) {
                    essential = false;
                }
                if essential && ty == self.internal {
                    let name = g.edge_name[e + k];
                    essential = self.weakmaps.table_of(name) != Some(id);
                }
                let bit = e + k - first;
                words[bit / 64] |= u64::from(essential) << (bit % 64);
            }
            e = src_end;
            src += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::weakmap_table_id;

    #[test]
    fn weakmap_names() {
        let ok = "12 / part of key (Object @5) -> value (Object @7) pair in WeakMap (table @9)";
        assert_eq!(weakmap_table_id(ok), Some(9));
        let odd =
            "3 / part of key (a) -> value (b @1) @2) -> value (c @3) pair in WeakMap (table @0044)";
        assert_eq!(weakmap_table_id(odd), Some(44));
        for bad in [
            "",
            "x / part of key (Object @5) -> value (Object @7) pair in WeakMap (table @9)",
            "12 / part of key (Object @5) -> value (Object @7) pair in WeakMap (table @)",
            "12 / part of key (Object 5) -> value (Object @7) pair in WeakMap (table @9)",
            "12 / part of key (Object @5) -> value (Object @) pair in WeakMap (table @9)",
            "12 / part of key (Ob\nject @5) -> value (Object @7) pair in WeakMap (table @9)",
            "12 / part of key (Object @5) -> value (Object @7) pair in WeakMap (table @9) ",
            "elements",
        ] {
            assert_eq!(weakmap_table_id(bad), None, "{bad}");
        }
    }
}
