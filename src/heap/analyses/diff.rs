//! The comparison of two snapshots of one process by node id (DevTools' Comparison view): per
//! class, the objects allocated (ids only in `after`) and freed (ids only in `before`), with
//! their counts and bytes.
//!
//! As in DevTools: sizes are self sizes after the shallow-size reassignment, zero-size nodes
//! are left out, plain objects in both snapshots are named by `after`'s interface definitions
//! (so a `{a, b}` object keeps its class), and `object` nodes with a constructor location are
//! keyed by it too (two classes named `Item` stay apart). A node whose class changed counts as
//! freed from the old class and allocated in the new one.

#![deny(missing_docs)]

use crate::heap::analyses::classes::{node_classes_with, InterfaceDefinitions};
use crate::heap::analyses::shallow::shallow_sizes;
use crate::heap::graph::{HeapGraph, NodeIndex, NodeKind};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::cmp::Ordering;

/// One class's changes between two snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassDiff {
    /// The class name (`Foo`, `{a, b}`, `(string)`, …).
    pub name: String,
    /// Objects only in `after`.
    pub added_count: u64,
    /// Objects only in `before`.
    pub removed_count: u64,
    /// Bytes of the objects only in `after`.
    pub added_size: u64,
    /// Bytes of the objects only in `before`.
    pub removed_size: u64,
}

impl ClassDiff {
    /// `added_count - removed_count`.
    pub fn count_delta(&self) -> i64 {
        self.added_count as i64 - self.removed_count as i64
    }

    /// `added_size - removed_size`.
    pub fn size_delta(&self) -> i64 {
        self.added_size as i64 - self.removed_size as i64
    }
}

/// A constructor's (script, line, column).
type ScriptPosition = (u32, u32, u32);

/// A class as both snapshots can name it: its text and, for location-keyed classes, where
/// its constructor is.
type ClassKey = (String, Option<ScriptPosition>);

/// One sized node: id, shared class slot, self size.
#[derive(Clone, Copy)]
struct Entry {
    id: u32,
    class: u32,
    size: u64,
}

/// Classes of both snapshots, numbered once.
#[derive(Default)]
struct SharedClasses {
    slots: FxHashMap<ClassKey, u32>,
    keys: Vec<ClassKey>,
}

impl SharedClasses {
    fn slot(&mut self, key: ClassKey) -> u32 {
        if let Some(&slot) = self.slots.get(&key) {
            return slot;
        }
        let slot = self.keys.len() as u32;
        self.keys.push(key.clone());
        self.slots.insert(key, slot);
        slot
    }
}

/// Per class, what was allocated and freed from `before` to `after`; the classes that
/// changed, largest absolute size change first (then most allocated bytes, then name).
pub fn diff_snapshots(before: &HeapGraph, after: &HeapGraph) -> Vec<ClassDiff> {
    let mut differ = SnapshotDiffer::new(after);
    differ.add_before(before);
    differ.finish()
}

/// A diff built one snapshot at a time, so that only one graph needs to be in memory: what is
/// kept of each is 16 bytes per sized node. `after` comes first, because both snapshots'
/// plain objects are named by its interface definitions.
pub struct SnapshotDiffer {
    interfaces: InterfaceDefinitions,
    shared: SharedClasses,
    after: Vec<Entry>,
    before: Vec<Entry>,
}

impl SnapshotDiffer {
    /// Starts a diff with the later snapshot.
    pub fn new(after: &HeapGraph) -> SnapshotDiffer {
        let interfaces = InterfaceDefinitions::infer(after);
        let mut shared = SharedClasses::default();
        let after = sorted_entries(after, &interfaces, &mut shared);
        SnapshotDiffer {
            interfaces,
            shared,
            after,
            before: Vec::new(),
        }
    }

    /// Adds the earlier snapshot.
    pub fn add_before(&mut self, before: &HeapGraph) {
        self.before = sorted_entries(before, &self.interfaces, &mut self.shared);
    }

    /// The classes that changed, largest absolute size change first.
    pub fn finish(self) -> Vec<ClassDiff> {
        let mut rows: Vec<ClassDiff> = self
            .shared
            .keys
            .iter()
            .map(|(name, _)| ClassDiff {
                name: name.clone(),
                ..ClassDiff::default()
            })
            .collect();
        merge_by_id(&self.before, &self.after, &mut rows);
        rows.retain(|r| r.added_count > 0 || r.removed_count > 0);
        rows.sort_by(order_of_rows);
        rows
    }
}

fn sorted_entries(
    graph: &HeapGraph,
    interfaces: &InterfaceDefinitions,
    shared: &mut SharedClasses,
) -> Vec<Entry> {
    let mut entries = into_entries(graph, classed_nodes(graph, interfaces), shared);
    entries.par_sort_unstable_by_key(|e| e.id);
    entries
}

fn order_of_rows(a: &ClassDiff, b: &ClassDiff) -> Ordering {
    b.size_delta()
        .unsigned_abs()
        .cmp(&a.size_delta().unsigned_abs())
        .then(b.added_size.cmp(&a.added_size))
        .then_with(|| a.name.cmp(&b.name))
}

/// Walks both id-sorted lists once, counting ids on one side only (and ids whose class
/// changed) into their classes.
fn merge_by_id(old: &[Entry], new: &[Entry], rows: &mut [ClassDiff]) {
    let removed = |rows: &mut [ClassDiff], e: &Entry| {
        let row = &mut rows[e.class as usize];
        row.removed_count += 1;
        row.removed_size += e.size;
    };
    let added = |rows: &mut [ClassDiff], e: &Entry| {
        let row = &mut rows[e.class as usize];
        row.added_count += 1;
        row.added_size += e.size;
    };
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < new.len() {
        match old[i].id.cmp(&new[j].id) {
            Ordering::Less => {
                removed(rows, &old[i]);
                i += 1;
            }
            Ordering::Greater => {
                added(rows, &new[j]);
                j += 1;
            }
            Ordering::Equal => {
                if old[i].class != new[j].class {
                    removed(rows, &old[i]);
                    added(rows, &new[j]);
                }
                i += 1;
                j += 1;
            }
        }
    }
    old[i..].iter().for_each(|e| removed(rows, e));
    new[j..].iter().for_each(|e| added(rows, e));
}

/// Every sized node of one graph with its class key parts: (node, graph-local class id, size).
struct ClassedNodes {
    nodes: Vec<(NodeIndex, u32, u64)>,
    names: crate::heap::analyses::classes::ClassNames,
}

fn classed_nodes(graph: &HeapGraph, interfaces: &InterfaceDefinitions) -> ClassedNodes {
    let (sizes, (classes, names)) = rayon::join(
        || shallow_sizes(graph),
        || node_classes_with(graph, interfaces),
    );
    let nodes = (0..graph.node_count() as NodeIndex)
        .filter_map(|n| {
            let size = sizes.get(n as usize);
            (size > 0).then(|| (n, classes[n as usize], size))
        })
        .collect();
    ClassedNodes { nodes, names }
}

/// Numbers each (class id, location) of `raw` in `shared` and returns the entries.
fn into_entries(graph: &HeapGraph, raw: ClassedNodes, shared: &mut SharedClasses) -> Vec<Entry> {
    let mut by_local: FxHashMap<(u32, Option<ScriptPosition>), u32> = FxHashMap::default();
    let locations = graph.locations();
    let mut next_location = 0;
    raw.nodes
        .iter()
        .map(|&(n, class, size)| {
            while next_location < locations.len() && locations[next_location].node < n {
                next_location += 1;
            }
            let location = locations
                .get(next_location)
                .filter(|l| l.node == n && graph.node_kind(n) == NodeKind::Object)
                .map(|l| (l.script_id, l.line, l.column));
            let slot = *by_local.entry((class, location)).or_insert_with(|| {
                shared.slot((raw.names.name(graph, class).to_owned(), location))
            });
            Entry {
                id: graph.node_id(n),
                class: slot,
                size,
            }
        })
        .collect()
}

/// Totals of one snapshot for a diff's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotTotals {
    /// Nodes in the snapshot.
    pub node_count: u64,
    /// Edges in the snapshot.
    pub edge_count: u64,
    /// DevTools' total: every node's self size plus `extra_native_bytes` (what the root
    /// retains once unreachable nodes are attached to it).
    pub total_size: u64,
}

/// The totals of `graph`, without a dominator pass.
pub fn snapshot_totals(graph: &HeapGraph) -> SnapshotTotals {
    let self_sizes: u64 = (0..graph.node_count() as NodeIndex)
        .into_par_iter()
        .map(|n| graph.self_size(n))
        .sum();
    SnapshotTotals {
        node_count: graph.node_count() as u64,
        edge_count: graph.edge_count() as u64,
        total_size: self_sizes + graph.extra_native_bytes(),
    }
}
