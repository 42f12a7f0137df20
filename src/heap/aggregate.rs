//! Per-class totals, as DevTools' summary view computes them (`buildAggregates` and
//! `calculateClassesRetainedSize` in HeapSnapshot.ts).
//!
//! A class key is the class id, except for `object` nodes with a location, which are keyed by
//! `script,line,column,name` (two constructors with the same name are two classes). Nodes
//! whose (reassigned) self size is 0 are not counted. A class's retained size adds the
//! retained size of each of its nodes that has no dominator ancestor already counted for
//! that class.

use super::bits::SizeColumn;
use super::classes::ClassNames;
use super::graph::{HeapGraph, Location, NodeIndex, NodeKind};
use rustc_hash::FxHashMap;

/// Totals for one class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassAggregate {
    /// DevTools' public class key: `,<name>`, or `<script>,<line>,<column>,<name>` for objects
    /// with a location.
    pub key: String,
    /// The class name.
    pub name: String,
    /// The class id (see [`HeapAnalysis::class_of`](super::analysis::HeapAnalysis::class_of)).
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

/// Inputs from the earlier phases.
pub struct AggregateInputs<'a> {
    pub graph: &'a HeapGraph,
    pub classes: &'a [u32],
    pub names: &'a ClassNames,
    pub self_sizes: &'a SizeColumn,
    pub retained: &'a [u64],
    pub dominated_first: &'a [u32],
    pub dominated: &'a [NodeIndex],
}

/// Builds the aggregates, in DevTools' order (by first node with a non-zero size).
pub fn class_aggregates(inp: &AggregateInputs) -> Vec<ClassAggregate> {
    let (mut entries, node_entry) = count_classes(inp);
    add_retained_sizes(inp, &mut entries, &node_entry);
    let mut out: Vec<ClassAggregate> = entries.into_iter().filter(|a| a.count > 0).collect();
    out.sort_by_key(|a| a.first_node);
    out
}

/// One entry per key met (zero-size nodes included, so every node maps to an entry), with
/// count and self size over the non-zero nodes.
fn count_classes(inp: &AggregateInputs) -> (Vec<ClassAggregate>, Vec<u32>) {
    let graph = inp.graph;
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
        let key = Key {
            class: inp.classes[n as usize],
            location: location.map(|l| (l.script_id, l.line, l.column)),
        };
        let entry = *by_key.entry(key).or_insert_with(|| {
            entries.push(new_entry(inp, key, location));
            entries.len() as u32 - 1
        });
        node_entry.push(entry);
        let size = inp.self_sizes.get(n as usize);
        if size != 0 {
            let agg = &mut entries[entry as usize];
            if agg.count == 0 {
                agg.first_node = n;
            }
            agg.count += 1;
            agg.self_size += size;
        }
    }
    (entries, node_entry)
}

fn new_entry(inp: &AggregateInputs, key: Key, location: Option<Location>) -> ClassAggregate {
    let name = inp.names.name(inp.graph, key.class).to_owned();
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

/// Walks the dominator tree from the root with an explicit stack; a class is "seen" while
/// the walk is inside the subtree of one of its counted nodes.
fn add_retained_sizes(inp: &AggregateInputs, entries: &mut [ClassAggregate], node_entry: &[u32]) {
    let root = inp.graph.root();
    let mut seen = vec![false; entries.len()];
    let mut stack: Vec<NodeIndex> = vec![root];
    // Stack heights at which a counted node's subtree is finished, and its class.
    let mut marks: Vec<(usize, u32)> = Vec::new();
    while let Some(n) = stack.pop() {
        let entry = node_entry[n as usize];
        let children = &inp.dominated[inp.dominated_first[n as usize] as usize
            ..inp.dominated_first[n as usize + 1] as usize];
        if !seen[entry as usize] && inp.self_sizes.get(n as usize) != 0 {
            entries[entry as usize].retained_size += inp.retained[n as usize];
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
