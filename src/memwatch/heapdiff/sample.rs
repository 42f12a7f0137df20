//! A snapshot reduced to what a HeapDiff needs, and the filter that parses a later snapshot
//! against an earlier sample.
//!
//! Every use of the snapshot parser (`crate::heap::reader::nodes`) in HeapDiff is in this file,
//! tests included (see `testing`): the rest of the module sees only [`HeapSample`] and
//! [`SeenNodes`].

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::seen::SeenNodes;
use crate::heap::reader::nodes::{NodeFilter, NodeSummary};

/// Constructor name of modswap's own HeapDiff objects, which are left out of samples.
pub const OWN_CONSTRUCTOR: &str = "HeapDiff";

/// Shares `what` strings between the samples of one diff: pass the same interner to both
/// [`HeapSample::new`] calls.
#[derive(Debug, Default)]
pub struct WhatInterner {
    set: FxHashSet<Arc<str>>,
}

impl WhatInterner {
    /// An empty interner.
    pub fn new() -> Self {
        Self::default()
    }

    /// The shared copy of `what`.
    pub fn intern(&mut self, what: &str) -> Arc<str> {
        if let Some(shared) = self.set.get(what) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(what);
        self.set.insert(Arc::clone(&shared));
        shared
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// No string interned yet.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// Node count and summed self sizes of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Nodes counted.
    pub nodes: u64,
    /// Sum of their self sizes, in bytes.
    pub size_bytes: u64,
}

/// `what` index of a node without one (counted in totals, left out of details).
pub(super) const NO_WHAT: u32 = u32::MAX;

/// One node of a sample, unpacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) id: u32,
    /// Index into `HeapSample::whats`, or `NO_WHAT`.
    pub(super) what: u32,
    pub(super) self_size: u64,
}

/// `what` index and self size per node, in 6 bytes when the sample has fewer than 65,535
/// `what`s (always, in practice) and sizes below 4 GiB (the few larger ones sit in a map).
/// HeapDiff holds the first sample while V8 builds the second snapshot, at the process's peak
/// memory: 6 bytes instead of 12 per object matter there.
#[derive(Debug, Clone)]
pub(super) enum Columns {
    Narrow {
        whats: Vec<u16>,
        sizes: Vec<u32>,
        large: FxHashMap<u32, u64>,
    },
    Wide(Vec<(u32, u64)>),
}

/// A size stored in the narrow column's map.
const LARGE_SIZE: u32 = u32::MAX;

impl Columns {
    /// Packs `entries` (in id order), narrow unless `distinct_whats` needs more than 16 bits.
    pub(super) fn pack(entries: &[Entry], distinct_whats: usize) -> Self {
        if distinct_whats >= usize::from(u16::MAX) {
            return Columns::Wide(entries.iter().map(|e| (e.what, e.self_size)).collect());
        }
        let mut large = FxHashMap::default();
        let whats = entries
            .iter()
            .map(|e| {
                if e.what == NO_WHAT {
                    u16::MAX
                } else {
                    e.what as u16
                }
            })
            .collect();
        let sizes = entries
            .iter()
            .enumerate()
            .map(|(position, e)| match u32::try_from(e.self_size) {
                Ok(size) if size != LARGE_SIZE => size,
                _ => {
                    large.insert(position as u32, e.self_size);
                    LARGE_SIZE
                }
            })
            .collect();
        Columns::Narrow {
            whats,
            sizes,
            large,
        }
    }

    /// `(what, self_size)` of the node at `position`.
    pub(super) fn get(&self, position: usize) -> (u32, u64) {
        match self {
            Columns::Narrow {
                whats,
                sizes,
                large,
            } => {
                let what = match whats[position] {
                    u16::MAX => NO_WHAT,
                    what => u32::from(what),
                };
                let size = match sizes[position] {
                    LARGE_SIZE => large.get(&(position as u32)).copied().unwrap_or(0),
                    size => u64::from(size),
                };
                (what, size)
            }
            Columns::Wide(pairs) => pairs[position],
        }
    }
}

/// How a node type maps to a `what`.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A fixed `what` (index into the sample's table).
    Fixed(u32),
    /// `object`: the node's name (constructor name).
    Object,
    /// No `what`: hidden, synthetic, concatenated/sliced strings, symbols, bigints, ...
    None,
}

/// memwatch's `what` for a node type name; `object` nodes use their constructor name instead.
fn fixed_what(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        "array" => "Array",
        "string" => "String",
        "code" => "Code",
        "closure" => "Closure",
        "regexp" => "RegExp",
        "number" => "Number",
        "native" => "Native",
        _ => return None,
    })
}

/// One heap snapshot reduced to what a HeapDiff needs: `(id, what, self_size)` per node,
/// sorted by id.
///
/// Objects whose constructor name is exactly `"HeapDiff"` ([`OWN_CONSTRUCTOR`]) are modswap's
/// own bookkeeping and are skipped entirely: they count in neither totals nor details, as in
/// the reference, which does not traverse them. Only `object` nodes are skipped; the
/// `HeapDiff` function itself (a closure) is an ordinary node.
#[derive(Debug, Clone)]
pub struct HeapSample {
    /// Node ids, ascending; shared with [`SeenNodes`] built from this sample.
    pub(super) ids: Arc<[u32]>,
    /// Per node (in id order): `what` index and self size, packed.
    columns: Columns,
    /// Local table of `what` strings, shared through the interner.
    pub(super) whats: Vec<Arc<str>>,
    pub(super) totals: Totals,
}

impl HeapSample {
    /// Builds a sample; use one `interner` for both samples of a diff.
    pub fn new(summary: &NodeSummary, interner: &mut WhatInterner) -> Self {
        let mut whats: Vec<Arc<str>> = Vec::new();
        let kinds: Vec<Kind> = summary
            .node_types()
            .iter()
            .map(|ty| {
                if ty == "object" {
                    Kind::Object
                } else if let Some(what) = fixed_what(ty) {
                    whats.push(interner.intern(what));
                    Kind::Fixed(whats.len() as u32 - 1)
                } else {
                    Kind::None
                }
            })
            .collect();
        const SKIP: u32 = u32::MAX - 1;
        // Object name (string index) -> what index or SKIP.
        let mut by_name: FxHashMap<u32, u32> = FxHashMap::default();
        let mut entries = Vec::with_capacity(summary.node_count());
        let mut totals = Totals::default();
        let (ids, types, names, sizes) = (
            summary.ids(),
            summary.type_indices(),
            summary.names(),
            summary.self_sizes(),
        );
        for node in 0..summary.node_count() {
            let what = match kinds.get(usize::from(types[node])) {
                Some(Kind::Fixed(what)) => *what,
                Some(Kind::Object) => *by_name.entry(names[node]).or_insert_with(|| {
                    let name = summary.name_of(node).unwrap_or("");
                    if name == OWN_CONSTRUCTOR {
                        SKIP
                    } else {
                        whats.push(interner.intern(name));
                        whats.len() as u32 - 1
                    }
                }),
                _ => NO_WHAT,
            };
            if what == SKIP {
                continue;
            }
            totals.nodes += 1;
            totals.size_bytes = totals.size_bytes.saturating_add(sizes[node]);
            entries.push(Entry {
                id: ids[node],
                what,
                self_size: sizes[node],
            });
        }
        entries.sort_unstable_by_key(|e| e.id);
        let ids: Arc<[u32]> = entries.iter().map(|e| e.id).collect();
        let columns = Columns::pack(&entries, whats.len());
        HeapSample {
            ids,
            columns,
            whats,
            totals,
        }
    }

    /// Count and summed self sizes of the sample's nodes.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Nodes in the sample (HeapDiff objects excluded).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// The node at `position` in id order.
    pub(super) fn entry(&self, position: usize) -> Entry {
        let (what, self_size) = self.columns.get(position);
        Entry {
            id: self.ids[position],
            what,
            self_size,
        }
    }

    /// Every node, in id order.
    pub(super) fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        (0..self.len()).map(|position| self.entry(position))
    }

    /// No node in the sample.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// A [`NodeFilter`] that records nodes already in an earlier sample in [`SeenNodes`] and keeps
/// only the others: the parse of the later snapshot then holds just what is new.
#[derive(Debug)]
pub struct SeenFilter(pub Arc<SeenNodes>);

impl NodeFilter for SeenFilter {
    fn keep(&mut self, id: u32, self_size: u64) -> bool {
        !self.0.record(id, self_size)
    }
}

/// Snapshots for the tests, through the parser: kept here with the other calls into it.
#[cfg(test)]
pub(super) mod testing {
    use std::sync::Arc;

    use super::{HeapSample, SeenFilter, SeenNodes, WhatInterner};
    use crate::heap::reader::nodes::test_support::{build_snapshot, parse, NODE20_FIELDS};
    use crate::heap::reader::nodes::NodeSummary;
    use crate::heap::NodeSummaryParser;

    pub(in super::super) use crate::heap::reader::nodes::test_support::{TestNode, NODE_TYPES};

    /// The parsed summary of a snapshot holding `nodes`.
    pub(in super::super) fn summary(nodes: &[TestNode]) -> NodeSummary {
        let text = build_snapshot(NODE20_FIELDS, nodes, &[], &[], true);
        parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The sample of `after` parsed with a [`SeenFilter`] against `before` (what HeapDiff
    /// does): the new nodes, and which of `before`'s are still there.
    pub(in super::super) fn sample_after(
        before: &HeapSample,
        after: &[TestNode],
    ) -> (Arc<SeenNodes>, HeapSample) {
        let seen = SeenNodes::of(before);
        let mut parser = NodeSummaryParser::with_filter(Box::new(SeenFilter(Arc::clone(&seen))));
        let text = build_snapshot(NODE20_FIELDS, after, &[], &[], true);
        parser.feed(text.as_bytes()).unwrap();
        let fresh = parser.finish().unwrap();
        (seen, HeapSample::new(&fresh, &mut WhatInterner::new()))
    }

    /// The summary of the snapshot file at `path`.
    pub(in super::super) fn parse_file(path: &str) -> NodeSummary {
        crate::heap::reader::nodes::parse_file(path.as_ref()).unwrap()
    }
}
