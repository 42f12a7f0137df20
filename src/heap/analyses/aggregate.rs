//! Per-class totals, as DevTools' summary view computes them (`buildAggregates` and
//! `calculateClassesRetainedSize` in HeapSnapshot.ts).
//!
//! A class key is the class id, except for `object` nodes with a location, which are keyed by
//! `script,line,column,name` (two constructors with the same name are two classes). Nodes
//! whose (reassigned) self size is 0 are not counted. A class's retained size adds the
//! retained size of each of its nodes that has no dominator ancestor already counted for
//! that class.

#![deny(missing_docs)]

use crate::heap::analyses::classes::ClassNames;
use crate::heap::graph::bits::SizeColumn;
use crate::heap::graph::{HeapGraph, Location, NodeIndex, NodeKind};
use crate::heap::progress::Ticker;
use rustc_hash::FxHashMap;

/// Totals for one class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassAggregate {
    /// DevTools' public class key: `,<name>`, or `<script>,<line>,<column>,<name>` for objects
    /// with a location.
    pub key: String,
    /// The class name.
    pub name: String,
    /// The class id (see [`HeapAnalysis::class_of`](crate::heap::analyses::analysis::HeapAnalysis::class_of)).
    pub class: u32,
    /// The constructor location, for location-keyed classes.
    pub location: Option<Location>,
    /// Number of nodes with a non-zero self size.
    pub count: u64,
    /// Sum of their self sizes.
    pub self_size: u64,
    /// Retained size, each dominator chain counted once.
    pub retained_size: u64,
    /// The first node of the class (DevTools lists classes in this order).
    pub first_node: NodeIndex,
}

/// A class key as DevTools' `classKeyInternal` makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    class: u32,
    /// (script, line, column) for `object` nodes with a location.
    location: Option<(u32, u32, u32)>,
}

/// Per-node class entries and the entries' counts, before retained sizes are known.
pub struct ClassCounts {
    entries: Vec<ClassAggregate>,
    /// The entry of each node.
    node_entry: Vec<u32>,
}

/// Counts nodes and self sizes per class key (one entry per key met, zero-size nodes
/// included so that every node maps to an entry; only non-zero nodes are counted).
pub fn count_classes(
    graph: &HeapGraph,
    classes: &[u32],
    names: &ClassNames,
    self_sizes: &SizeColumn,
) -> ClassCounts {
    // Most keys are a bare class id: a table indexed by id beats hashing every node.
    let mut by_class: Vec<u32> = vec![u32::MAX; names.id_count()];
    let mut by_key: FxHashMap<Key, u32> = FxHashMap::default();
    let mut entries: Vec<ClassAggregate> = Vec::new();
    let mut node_entry = Vec::with_capacity(graph.node_count());
    let locations = graph.locations();
    let mut next_location = 0;
    for n in 0..graph.node_count() as NodeIndex {
        while next_location < locations.len() && locations[next_location].node < n {
            next_location += 1;
        }
        let location = locations
            .get(next_location)
            .filter(|l| l.node == n && graph.node_kind(n) == NodeKind::Object)
            .copied();
        let class = classes[n as usize];
        let key = Key {
            class,
            location: location.map(|l| (l.script_id, l.line, l.column)),
        };
        let slot = match key.location {
            None => &mut by_class[class as usize],
            Some(_) => by_key.entry(key).or_insert(u32::MAX),
        };
        if *slot == u32::MAX {
            entries.push(new_entry(graph, names, key, location));
            *slot = entries.len() as u32 - 1;
        }
        let entry = *slot;
        node_entry.push(entry);
        let size = self_sizes.get(n as usize);
        if size != 0 {
            let agg = &mut entries[entry as usize];
            if agg.count == 0 {
                agg.first_node = n;
            }
            agg.count += 1;
            agg.self_size += size;
        }
    }
    ClassCounts {
        entries,
        node_entry,
    }
}

fn new_entry(
    graph: &HeapGraph,
    names: &ClassNames,
    key: Key,
    location: Option<Location>,
) -> ClassAggregate {
    let name = names.name(graph, key.class).to_owned();
    let key_text = match key.location {
        Some((script, line, column)) => format!("{script},{line},{column},{name}"),
        None => format!(",{name}"),
    };
    ClassAggregate {
        key: key_text,
        name,
        class: key.class,
        location,
        count: 0,
        self_size: 0,
        retained_size: 0,
        first_node: 0,
    }
}

/// The dominator tree and sizes [`class_aggregates`] needs.
pub struct TreeInputs<'a> {
    /// The root node.
    pub root: NodeIndex,
    /// Self sizes after the shallow-size reassignment.
    pub self_sizes: &'a SizeColumn,
    /// Retained sizes by node.
    pub retained: &'a [u64],
    /// Offsets into `dominated` per node (node count + 1 entries).
    pub dominated_first: &'a [u32],
    /// Children of each node in the dominator tree.
    pub dominated: &'a [NodeIndex],
}

/// Adds retained sizes and returns the aggregates in DevTools' order (by first node with a
/// non-zero size). Reports each node of the dominator tree walked to `ticker` (the node count
/// in all).
pub fn class_aggregates(
    counts: ClassCounts,
    tree: &TreeInputs,
    mut ticker: Ticker,
) -> Vec<ClassAggregate> {
    let ClassCounts {
        mut entries,
        node_entry,
    } = counts;
    add_retained_sizes(tree, &mut entries, &node_entry, &mut ticker);
    ticker.finish(node_entry.len() as u64);
    let mut out: Vec<ClassAggregate> = entries.into_iter().filter(|a| a.count > 0).collect();
    out.sort_by_key(|a| a.first_node);
    out
}

/// Walks the dominator tree from the root with an explicit stack; a class is "seen" while
/// the walk is inside the subtree of one of its counted nodes.
fn add_retained_sizes(
    tree: &TreeInputs,
    entries: &mut [ClassAggregate],
    node_entry: &[u32],
    ticker: &mut Ticker,
) {
    let mut seen = vec![false; entries.len()];
    let mut stack: Vec<NodeIndex> = vec![tree.root];
    // Stack heights at which a counted node's subtree is finished, and its class.
    let mut marks: Vec<(usize, u32)> = Vec::new();
    let mut walked = 0u64;
    while let Some(n) = stack.pop() {
        walked += 1;
        ticker.at(walked);
        let entry = node_entry[n as usize];
        let (from, to) = (
            tree.dominated_first[n as usize] as usize,
            tree.dominated_first[n as usize + 1] as usize,
        );
        let children = &tree.dominated[from..to];
        if !seen[entry as usize] && tree.self_sizes.get(n as usize) != 0 {
            entries[entry as usize].retained_size += tree.retained[n as usize];
            if !children.is_empty() {
                seen[entry as usize] = true;
                marks.push((stack.len(), entry));
            }
        }
        stack.extend_from_slice(children);
        while marks
            .last()
            .is_some_and(|&(height, _)| height == stack.len())
        {
            if let Some((_, done)) = marks.pop() {
                seen[done as usize] = false;
            }
        }
    }
}
