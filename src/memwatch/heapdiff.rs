//! memwatch's `HeapDiff` (lloyd/node-memwatch `src/heapdiff.cc`) over two parsed snapshots.
//!
//! A [`HeapSample`] keeps, per node, its id, a `what` key and its self size, sorted by id
//! (16 bytes per node). [`diff`] merges two samples by id: ids only in `before` were freed, ids
//! only in `after` were allocated (V8 ids are stable within one isolate), and the result is
//! aggregated per `what` exactly like memwatch's `end()` result.
//!
//! Differences from the reference, on purpose: every node of the snapshot counts (the reference
//! walks from the root and reaches practically the same set), and totals are 64-bit (the
//! reference sums into a C `int`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::format::nice_size;
use crate::heap::stream::{NodeFilter, NodeSummary};

/// Constructor name of modswap's own HeapDiff objects, which are left out of samples.
pub const OWN_CONSTRUCTOR: &str = "HeapDiff";

/// Shares `what` strings between the samples of one diff: pass the same interner to both
/// [`HeapSample::new`] calls.
#[derive(Debug, Default)]
pub struct WhatInterner {
    set: FxHashSet<Arc<str>>,
}

impl WhatInterner {
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

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// Node count and summed self sizes of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub nodes: u64,
    pub size_bytes: u64,
}

/// `what` index of a node without one (counted in totals, left out of details).
const NO_WHAT: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    id: u32,
    /// Index into `HeapSample::whats`, or `NO_WHAT`.
    what: u32,
    self_size: u64,
}

/// `what` index and self size per node, in 6 bytes when the sample has fewer than 65,535
/// `what`s (always, in practice) and sizes below 4 GiB (the few larger ones sit in a map).
/// HeapDiff holds the first sample while V8 builds the second snapshot, at the process's peak
/// memory: 6 bytes instead of 12 per object matter there.
#[derive(Debug, Clone)]
enum Columns {
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
    fn pack(entries: &[Entry], distinct_whats: usize) -> Self {
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

    fn get(&self, position: usize) -> (u32, u64) {
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
    ids: Arc<[u32]>,
    /// Per node (in id order): `what` index and self size, packed.
    columns: Columns,
    /// Local table of `what` strings, shared through the interner.
    whats: Vec<Arc<str>>,
    totals: Totals,
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

    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Nodes in the sample (HeapDiff objects excluded).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// The node at `position` in id order.
    fn entry(&self, position: usize) -> Entry {
        let (what, self_size) = self.columns.get(position);
        Entry {
            id: self.ids[position],
            what,
            self_size,
        }
    }

    fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        (0..self.len()).map(|position| self.entry(position))
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// One line of `change.details`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub what: String,
    /// Σ self size allocated − Σ self size freed.
    pub size_bytes: i64,
    /// Allocated count (`"+"`).
    pub plus: u64,
    /// Freed count (`"-"`).
    pub minus: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `after.size_bytes − before.size_bytes`.
    pub size_bytes: i64,
    pub freed_nodes: u64,
    pub allocated_nodes: u64,
    /// Only `what`s with allocations or frees, in byte order of `what`.
    pub details: Vec<Detail>,
}

/// memwatch's `HeapDiff.end()` result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapDiffResult {
    pub before: Totals,
    pub after: Totals,
    pub change: Change,
}

fn signed_difference(plus: u64, minus: u64) -> i64 {
    let d = i128::from(plus) - i128::from(minus);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

/// (count, bytes) per local `what` of one sample.
type PerWhat = Vec<(u64, u64)>;

fn count_into(table: &mut PerWhat, e: &Entry) {
    if let Some(slot) = table.get_mut(e.what as usize) {
        slot.0 += 1;
        slot.1 = slot.1.saturating_add(e.self_size);
    }
}

/// Merges two id-sorted samples: freed = before ∖ after, allocated = after ∖ before.
pub fn diff(before: &HeapSample, after: &HeapSample) -> HeapDiffResult {
    let mut freed = vec![(0u64, 0u64); before.whats.len()];
    let mut allocated = vec![(0u64, 0u64); after.whats.len()];
    let (mut freed_nodes, mut allocated_nodes) = (0u64, 0u64);
    let (b, a) = (before.len(), after.len());
    let (mut i, mut j) = (0, 0);
    while i < b && j < a {
        match before.ids[i].cmp(&after.ids[j]) {
            std::cmp::Ordering::Less => {
                count_into(&mut freed, &before.entry(i));
                freed_nodes += 1;
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                count_into(&mut allocated, &after.entry(j));
                allocated_nodes += 1;
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    for e in before.entries().skip(i) {
        count_into(&mut freed, &e);
        freed_nodes += 1;
    }
    for e in after.entries().skip(j) {
        count_into(&mut allocated, &e);
        allocated_nodes += 1;
    }
    let sides = Sides {
        before,
        after_totals: after.totals,
        after_whats: &after.whats,
    };
    sides.result(&freed, &allocated, freed_nodes, allocated_nodes)
}

/// The diff of `before` and a later snapshot parsed with [`SeenFilter`]: `fresh` holds only the
/// nodes that were not in `before`, `seen` which of `before`'s nodes the snapshot still had.
/// Equal to [`diff`] of `before` and the whole later sample.
pub fn diff_with_seen(before: &HeapSample, seen: &SeenNodes, fresh: &HeapSample) -> HeapDiffResult {
    let mut freed = vec![(0u64, 0u64); before.whats.len()];
    let mut allocated = vec![(0u64, 0u64); fresh.whats.len()];
    let mut freed_nodes = 0u64;
    for (index, e) in before.entries().enumerate() {
        if !seen.was_seen(index) {
            count_into(&mut freed, &e);
            freed_nodes += 1;
        }
    }
    for e in fresh.entries() {
        count_into(&mut allocated, &e);
    }
    let kept = seen.totals();
    let sides = Sides {
        before,
        after_totals: Totals {
            nodes: kept.nodes + fresh.totals.nodes,
            size_bytes: kept.size_bytes.saturating_add(fresh.totals.size_bytes),
        },
        after_whats: &fresh.whats,
    };
    sides.result(&freed, &allocated, freed_nodes, fresh.len() as u64)
}

struct Sides<'a> {
    before: &'a HeapSample,
    after_totals: Totals,
    after_whats: &'a [Arc<str>],
}

impl Sides<'_> {
    fn result(
        &self,
        freed: &PerWhat,
        allocated: &PerWhat,
        freed_nodes: u64,
        allocated_nodes: u64,
    ) -> HeapDiffResult {
        // Merge by string (a what may sit at different local indices on each side): `str` order
        // is byte order. (plus, plus_bytes, minus, minus_bytes)
        let mut by_what: BTreeMap<&str, (u64, u64, u64, u64)> = BTreeMap::new();
        for (what, &(n, bytes)) in self.before.whats.iter().zip(freed) {
            if n > 0 {
                let slot = by_what.entry(what).or_default();
                slot.2 += n;
                slot.3 = slot.3.saturating_add(bytes);
            }
        }
        for (what, &(n, bytes)) in self.after_whats.iter().zip(allocated) {
            if n > 0 {
                let slot = by_what.entry(what).or_default();
                slot.0 += n;
                slot.1 = slot.1.saturating_add(bytes);
            }
        }
        let details = by_what
            .into_iter()
            .map(|(what, (plus, plus_bytes, minus, minus_bytes))| Detail {
                what: what.to_owned(),
                size_bytes: signed_difference(plus_bytes, minus_bytes),
                plus,
                minus,
            })
            .collect();
        HeapDiffResult {
            before: self.before.totals,
            after: self.after_totals,
            change: Change {
                size_bytes: signed_difference(
                    self.after_totals.size_bytes,
                    self.before.totals.size_bytes,
                ),
                freed_nodes,
                allocated_nodes,
                details,
            },
        }
    }
}

/// Ids sorted ascending, with a table of where each range of 2^`shift` ids starts, so a lookup
/// is a few steps of binary search inside one small bucket.
#[derive(Debug)]
struct SortedIds {
    ids: Arc<[u32]>,
    shift: u32,
    /// `starts[b]` = first position whose id >> shift >= b; one extra entry at the end.
    starts: Vec<u32>,
}

/// Buckets of the id index: 64 Ki (256 KiB of offsets) whatever the sample size.
const ID_BUCKET_BITS: u32 = 16;

impl SortedIds {
    fn new(ids: Arc<[u32]>) -> Self {
        debug_assert!(ids.windows(2).all(|w| w[0] < w[1]));
        let max = ids.last().copied().unwrap_or(0);
        let bits = 32 - max.leading_zeros();
        let shift = bits.saturating_sub(ID_BUCKET_BITS);
        let buckets = (max >> shift) as usize + 1;
        let mut starts = vec![0u32; buckets + 1];
        let mut position = 0usize;
        for (bucket, start) in starts.iter_mut().enumerate() {
            while position < ids.len() && ((ids[position] >> shift) as usize) < bucket {
                position += 1;
            }
            *start = position as u32;
        }
        Self { ids, shift, starts }
    }

    fn position(&self, id: u32) -> Option<usize> {
        let bucket = (id >> self.shift) as usize;
        let (&from, &to) = (self.starts.get(bucket)?, self.starts.get(bucket + 1)?);
        let range = from as usize..to as usize;
        self.ids[range.clone()]
            .binary_search(&id)
            .ok()
            .map(|offset| range.start + offset)
    }
}

/// Which nodes of an earlier [`HeapSample`] a later snapshot still holds, and their count and
/// bytes in it. Filled on the parsing thread by [`SeenFilter`], read after the parse.
#[derive(Debug)]
pub struct SeenNodes {
    index: SortedIds,
    bits: Vec<AtomicU64>,
    nodes: AtomicU64,
    bytes: AtomicU64,
}

impl SeenNodes {
    /// Ready to record which of `sample`'s nodes a later snapshot has.
    pub fn of(sample: &HeapSample) -> Arc<Self> {
        let words = sample.len().div_ceil(64);
        Arc::new(Self {
            index: SortedIds::new(Arc::clone(&sample.ids)),
            bits: (0..words).map(|_| AtomicU64::new(0)).collect(),
            nodes: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        })
    }

    fn was_seen(&self, position: usize) -> bool {
        self.bits[position / 64].load(Relaxed) & (1 << (position % 64)) != 0
    }

    /// Count and self sizes (in the later snapshot) of the nodes seen again.
    pub fn totals(&self) -> Totals {
        Totals {
            nodes: self.nodes.load(Relaxed),
            size_bytes: self.bytes.load(Relaxed),
        }
    }
}

/// A [`NodeFilter`] that records nodes already in an earlier sample in [`SeenNodes`] and keeps
/// only the others: the parse of the later snapshot then holds just what is new.
#[derive(Debug)]
pub struct SeenFilter(pub Arc<SeenNodes>);

impl NodeFilter for SeenFilter {
    fn keep(&mut self, id: u32, self_size: u64) -> bool {
        let seen = &self.0;
        let Some(position) = seen.index.position(id) else {
            return true;
        };
        seen.bits[position / 64].fetch_or(1 << (position % 64), Relaxed);
        seen.nodes.fetch_add(1, Relaxed);
        seen.bytes.fetch_add(self_size, Relaxed);
        false
    }
}

fn json_string(out: &mut String, text: &str) {
    out.push_str(&serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into()));
}

fn totals_json(out: &mut String, totals: &Totals, time: Option<&str>) {
    let _ = write!(
        out,
        "{{\"nodes\":{},\"size_bytes\":{},\"size\":",
        totals.nodes, totals.size_bytes
    );
    json_string(out, &nice_size(totals.size_bytes as f64));
    if let Some(time) = time {
        out.push_str(",\"time\":");
        json_string(out, time);
    }
    out.push('}');
}

impl HeapDiffResult {
    /// memwatch's result object as JSON, keys in the reference order:
    /// `{"before":{"nodes","size_bytes","size"[,"time"]},"after":{…},"change":{"size_bytes",
    /// "size","freed_nodes","allocated_nodes","details":[{"what","size_bytes","size","+","-"}]}}`.
    /// `time` is included only when given (lloyd's memwatch has it, memwatch-next does not).
    pub fn to_json(&self, before_time: Option<String>, after_time: Option<String>) -> String {
        let mut out = String::with_capacity(256 + 80 * self.change.details.len());
        out.push_str("{\"before\":");
        totals_json(&mut out, &self.before, before_time.as_deref());
        out.push_str(",\"after\":");
        totals_json(&mut out, &self.after, after_time.as_deref());
        let change = &self.change;
        let _ = write!(
            out,
            ",\"change\":{{\"size_bytes\":{},\"size\":",
            change.size_bytes
        );
        json_string(&mut out, &nice_size(change.size_bytes as f64));
        let _ = write!(
            out,
            ",\"freed_nodes\":{},\"allocated_nodes\":{},\"details\":[",
            change.freed_nodes, change.allocated_nodes
        );
        for (k, detail) in change.details.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str("{\"what\":");
            json_string(&mut out, &detail.what);
            let _ = write!(out, ",\"size_bytes\":{},\"size\":", detail.size_bytes);
            json_string(&mut out, &nice_size(detail.size_bytes as f64));
            let _ = write!(out, ",\"+\":{},\"-\":{}}}", detail.plus, detail.minus);
        }
        out.push_str("]}}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::stream::test_support::{build_snapshot, parse, TestNode, NODE20_FIELDS};
    use crate::heap::NodeSummaryParser;

    fn summary(nodes: &[TestNode]) -> NodeSummary {
        let text = build_snapshot(NODE20_FIELDS, nodes, &[], &[], true);
        parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The diff of two node lists, computed both ways: whole samples merged by id, and the
    /// later snapshot parsed with a [`SeenFilter`] (what HeapDiff does). They must agree.
    fn diff_of(before: &[TestNode], after: &[TestNode]) -> HeapDiffResult {
        let mut interner = WhatInterner::new();
        let before = HeapSample::new(&summary(before), &mut interner);
        let whole = diff(&before, &HeapSample::new(&summary(after), &mut interner));
        assert_eq!(filtered_diff(&before, after), whole);
        whole
    }

    fn filtered_diff(before: &HeapSample, after: &[TestNode]) -> HeapDiffResult {
        let seen = SeenNodes::of(before);
        let mut parser = NodeSummaryParser::with_filter(Box::new(SeenFilter(Arc::clone(&seen))));
        let text = build_snapshot(NODE20_FIELDS, after, &[], &[], true);
        parser.feed(text.as_bytes()).unwrap();
        let fresh = parser.finish().unwrap();
        let fresh = HeapSample::new(&fresh, &mut WhatInterner::new());
        diff_with_seen(before, &seen, &fresh)
    }

    #[test]
    fn packed_columns_give_back_every_what_and_size() {
        let entries: Vec<Entry> = [
            (0, 0),
            (1, 16),
            (NO_WHAT, 24),
            (7, u64::from(u32::MAX) - 1),
            (7, u64::from(u32::MAX)),
            (2, u64::MAX),
        ]
        .iter()
        .enumerate()
        .map(|(i, &(what, self_size))| Entry {
            id: i as u32 * 2 + 1,
            what,
            self_size,
        })
        .collect();
        for distinct in [8, usize::from(u16::MAX), 100_000] {
            let columns = Columns::pack(&entries, distinct);
            assert_eq!(
                matches!(columns, Columns::Wide(_)),
                distinct >= usize::from(u16::MAX)
            );
            for (position, e) in entries.iter().enumerate() {
                assert_eq!(
                    columns.get(position),
                    (e.what, e.self_size),
                    "{distinct} whats, #{position}"
                );
            }
        }
    }

    #[test]
    fn sorted_ids_find_every_id_and_nothing_else() {
        for ids in [
            vec![],
            vec![7],
            (1..5000).map(|i| i * 2 + 1).collect::<Vec<u32>>(),
            vec![0, 1, u32::MAX - 1, u32::MAX],
        ] {
            let index = SortedIds::new(ids.clone().into());
            for (position, &id) in ids.iter().enumerate() {
                assert_eq!(index.position(id), Some(position), "id {id}");
            }
            for absent in [2u32, 4, 10_002, 1 << 20, u32::MAX - 2] {
                if !ids.contains(&absent) {
                    assert_eq!(index.position(absent), None, "absent {absent}");
                }
            }
        }
    }

    #[test]
    fn filtered_parse_agrees_with_the_merge_on_a_large_random_diff() {
        // Ids spread over ~2^22 so the id index uses shifted buckets; about half the nodes
        // survive, some sizes change between the snapshots.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let classes = ["Foo", "Bar", "HeapDiff", "Baz"];
        let mut before = Vec::new();
        let mut after = Vec::new();
        for k in 0..20_000u64 {
            let id = (k * 199 + 1) as u32;
            let class = classes[(next() % 4) as usize];
            let size = 16 + next() % 64;
            let node = ("object", class, id, size);
            let roll = next() % 4;
            if roll != 0 {
                before.push(node);
            }
            if roll != 1 {
                let grown = if next() % 8 == 0 { size + 8 } else { size };
                after.push(("object", class, id, grown));
            }
        }
        let result = diff_of(&before, &after);
        assert!(result.change.allocated_nodes > 1000 && result.change.freed_nodes > 1000);
    }

    fn detail(what: &str, size_bytes: i64, plus: u64, minus: u64) -> Detail {
        Detail {
            what: what.into(),
            size_bytes,
            plus,
            minus,
        }
    }

    #[test]
    fn exact_numbers_for_a_small_diff() {
        let before = [
            ("synthetic", "", 1, 0),
            ("hidden", "system", 2, 100),
            ("object", "Foo", 11, 32),
            ("object", "Foo", 13, 32),
            ("array", "", 15, 16),
            ("string", "abc", 17, 20),
            ("object", "HeapDiff", 19, 64),
            ("closure", "fn", 21, 56),
        ];
        let after = [
            ("synthetic", "", 1, 0),
            ("hidden", "system", 2, 100),
            ("object", "Foo", 11, 32),
            ("array", "", 15, 16),
            ("string", "def", 23, 24),
            ("object", "HeapDiff", 25, 64),
            ("object", "LeakingClass", 27, 40),
            ("object", "LeakingClass", 29, 40),
            ("object", "LeakingClass", 31, 40),
            ("closure", "fn", 21, 56),
            ("concatenated string", "", 33, 32),
            ("number", "heap number", 35, 16),
        ];
        let result = diff_of(&before, &after);
        assert_eq!(
            result,
            HeapDiffResult {
                before: Totals {
                    nodes: 7,
                    size_bytes: 256
                },
                after: Totals {
                    nodes: 11,
                    size_bytes: 396
                },
                change: Change {
                    size_bytes: 140,
                    freed_nodes: 2,
                    allocated_nodes: 6,
                    details: vec![
                        detail("Foo", -32, 0, 1),
                        detail("LeakingClass", 120, 3, 0),
                        detail("Number", 16, 1, 0),
                        detail("String", 4, 1, 1),
                    ],
                },
            }
        );
    }

    #[test]
    fn heapdiff_objects_are_skipped_everywhere() {
        let own = |id| ("object", OWN_CONSTRUCTOR, id, 1000);
        let result = diff_of(
            &[own(1), own(3), ("object", "A", 5, 8)],
            &[
                own(7),
                ("object", "A", 5, 8),
                ("closure", "HeapDiff", 9, 32),
            ],
        );
        assert_eq!(
            result.before,
            Totals {
                nodes: 1,
                size_bytes: 8
            }
        );
        assert_eq!(
            result.after,
            Totals {
                nodes: 2,
                size_bytes: 40
            }
        );
        assert_eq!(result.change.freed_nodes, 0);
        assert_eq!(result.change.allocated_nodes, 1);
        // The HeapDiff function is a closure, an ordinary node.
        assert_eq!(result.change.details, [detail("Closure", 32, 1, 0)]);
    }

    #[test]
    fn every_node_type_maps_like_memwatch() {
        let types = crate::heap::stream::test_support::NODE_TYPES;
        let after: Vec<TestNode> = types
            .iter()
            .enumerate()
            .map(|(i, ty)| (*ty, "MyObj", 2 * i as u32 + 1, 10))
            .collect();
        let result = diff_of(&[], &after);
        assert_eq!(
            result.after,
            Totals {
                nodes: 16,
                size_bytes: 160
            }
        );
        assert_eq!(result.change.allocated_nodes, 16);
        let whats: Vec<&str> = result
            .change
            .details
            .iter()
            .map(|d| d.what.as_str())
            .collect();
        assert_eq!(
            whats,
            ["Array", "Closure", "Code", "MyObj", "Native", "Number", "RegExp", "String"]
        );
        assert!(result
            .change
            .details
            .iter()
            .all(|d| (d.plus, d.minus, d.size_bytes) == (1, 0, 10)));
    }

    #[test]
    fn leaking_class_and_freed_objects() {
        let base: Vec<TestNode> = vec![("synthetic", "", 1, 0), ("object", "Keep", 3, 24)];
        let mut after = base.clone();
        after.extend([
            ("object", "LeakingClass", 101, 48),
            ("object", "LeakingClass", 103, 48),
            ("object", "LeakingClass", 105, 48),
        ]);
        let result = diff_of(&base, &after);
        assert_eq!(result.change.details, [detail("LeakingClass", 144, 3, 0)]);
        assert_eq!(result.change.size_bytes, 144);
        // And back: all three freed.
        let result = diff_of(&after, &base);
        assert_eq!(result.change.details, [detail("LeakingClass", -144, 0, 3)]);
        assert_eq!(
            (result.change.freed_nodes, result.change.allocated_nodes),
            (3, 0)
        );
        assert_eq!(result.change.size_bytes, -144);
        // Same what on both sides with different ids: both columns.
        let result = diff_of(&[("object", "Keep", 3, 24)], &[("object", "Keep", 5, 30)]);
        assert_eq!(result.change.details, [detail("Keep", 6, 1, 1)]);
        // Nothing changed: no details.
        let result = diff_of(&base, &base);
        assert!(result.change.details.is_empty());
        assert_eq!(
            (result.change.freed_nodes, result.change.allocated_nodes),
            (0, 0)
        );
    }

    #[test]
    fn details_are_in_byte_order() {
        let names = [
            "alpha",
            "Zeta",
            "_under",
            "Array2",
            "\u{dc}ber",
            "Zeta2",
            "beta",
        ];
        let after: Vec<TestNode> = names
            .iter()
            .enumerate()
            .map(|(i, n)| ("object", *n, 2 * i as u32 + 1, 8))
            .collect();
        let result = diff_of(&[], &after);
        let whats: Vec<&str> = result
            .change
            .details
            .iter()
            .map(|d| d.what.as_str())
            .collect();
        assert_eq!(
            whats,
            [
                "Array2",
                "Zeta",
                "Zeta2",
                "_under",
                "alpha",
                "beta",
                "\u{dc}ber"
            ]
        );
    }

    #[test]
    fn interner_is_shared_between_samples() {
        let mut interner = WhatInterner::new();
        let a = HeapSample::new(
            &summary(&[("object", "Foo", 1, 8), ("array", "", 3, 8)]),
            &mut interner,
        );
        let b = HeapSample::new(&summary(&[("object", "Foo", 5, 8)]), &mut interner);
        let foo_a = a.whats.iter().find(|w| &***w == "Foo").unwrap();
        let foo_b = b.whats.iter().find(|w| &***w == "Foo").unwrap();
        assert!(Arc::ptr_eq(foo_a, foo_b));
        assert_eq!(std::mem::size_of::<Entry>(), 16);
        assert_eq!(a.len(), 2);
        assert!(!interner.is_empty());
    }

    #[test]
    fn totals_above_4_gib_do_not_wrap() {
        let big = 3_000_000_000u64;
        let after = [
            ("object", "Big", 1, big),
            ("object", "Big", 3, big),
            ("array", "", 5, big),
        ];
        let result = diff_of(&[], &after);
        assert_eq!(
            result.after,
            Totals {
                nodes: 3,
                size_bytes: 9_000_000_000
            }
        );
        assert_eq!(result.change.size_bytes, 9_000_000_000);
        assert_eq!(
            result.change.details,
            [
                detail("Array", 3_000_000_000, 1, 0),
                detail("Big", 6_000_000_000, 2, 0)
            ]
        );
        let json = result.to_json(None, None);
        assert!(
            json.contains("\"size_bytes\":9000000000,\"size\":\"8583.07 mb\""),
            "{json}"
        );
        let back = diff_of(&after, &[]);
        assert_eq!(back.change.size_bytes, -9_000_000_000);
    }

    #[test]
    fn json_has_memwatchs_exact_shape() {
        let result = diff_of(&[("object", "Foo", 3, 1024)], &[("object", "Foo", 5, 2048)]);
        assert_eq!(
            result.to_json(
                Some("2024-01-01T00:00:00.000Z".into()),
                Some("2024-01-01T00:00:01.000Z".into())
            ),
            concat!(
                r#"{"before":{"nodes":1,"size_bytes":1024,"size":"1024 bytes","#,
                r#""time":"2024-01-01T00:00:00.000Z"},"#,
                r#""after":{"nodes":1,"size_bytes":2048,"size":"2 kb","#,
                r#""time":"2024-01-01T00:00:01.000Z"},"#,
                r#""change":{"size_bytes":1024,"size":"1024 bytes","freed_nodes":1,"#,
                r#""allocated_nodes":1,"#,
                r#""details":[{"what":"Foo","size_bytes":1024,"size":"1024 bytes","+":1,"-":1}]}}"#
            )
        );
        let empty = diff_of(&[], &[]);
        assert_eq!(
            empty.to_json(None, None),
            concat!(
                r#"{"before":{"nodes":0,"size_bytes":0,"size":"0 bytes"},"#,
                r#""after":{"nodes":0,"size_bytes":0,"size":"0 bytes"},"#,
                r#""change":{"size_bytes":0,"size":"0 bytes","freed_nodes":0,"allocated_nodes":0,"#,
                r#""details":[]}}"#
            )
        );
        // Names are JSON-escaped; negative sizes use niceSize's sign.
        let result = diff_of(
            &[
                ("object", "<script>\"x\"\\</script>", 3, 2120),
                ("object", "Keep", 7, 8),
            ],
            &[("object", "Keep", 7, 8)],
        );
        let json = result.to_json(Some("t\"1".into()), None);
        assert_eq!(
            json,
            concat!(
                r#"{"before":{"nodes":2,"size_bytes":2128,"size":"2.08 kb","time":"t\"1"},"#,
                r#""after":{"nodes":1,"size_bytes":8,"size":"8 bytes"},"#,
                r#""change":{"size_bytes":-2120,"size":"-2.07 kb","freed_nodes":1,"#,
                r#""allocated_nodes":0,"#,
                r#""details":[{"what":"<script>\"x\"\\</script>","size_bytes":-2120,"#,
                r#""size":"-2.07 kb","+":0,"-":1}]}}"#
            )
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            parsed["change"]["details"][0]["what"],
            "<script>\"x\"\\</script>"
        );
    }

    /// By hand, on two snapshots of one process:
    /// `MODSWAP_SNAPSHOT=before.heapsnapshot MODSWAP_SNAPSHOT_AFTER=after.heapsnapshot
    ///  cargo test --release real_heapdiff -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn real_heapdiff() {
        let (Ok(before), Ok(after)) = (
            std::env::var("MODSWAP_SNAPSHOT"),
            std::env::var("MODSWAP_SNAPSHOT_AFTER"),
        ) else {
            eprintln!("MODSWAP_SNAPSHOT / MODSWAP_SNAPSHOT_AFTER not set");
            return;
        };
        let start = std::time::Instant::now();
        let before = crate::heap::stream::parse_file(before.as_ref()).unwrap();
        let after = crate::heap::stream::parse_file(after.as_ref()).unwrap();
        let parsed = start.elapsed();
        let mut interner = WhatInterner::new();
        let before = HeapSample::new(&before, &mut interner);
        let after = HeapSample::new(&after, &mut interner);
        let result = diff(&before, &after);
        let elapsed = start.elapsed();
        let mut top = result.change.details.clone();
        top.sort_by_key(|d| std::cmp::Reverse(d.plus.max(d.minus)));
        println!(
            "parse {:.3} s, total {:.3} s; before {:?}, after {:?}, change {} B, -{} +{}",
            parsed.as_secs_f64(),
            elapsed.as_secs_f64(),
            result.before,
            result.after,
            result.change.size_bytes,
            result.change.freed_nodes,
            result.change.allocated_nodes
        );
        for d in top.iter().take(12) {
            println!(
                "{:>8} {:>8} {:>12} {}",
                d.plus, d.minus, d.size_bytes, d.what
            );
        }
    }
}
