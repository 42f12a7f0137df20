//! The whole heap graph of a snapshot as compact columns: one entry per node or edge in file
//! order, nodes addressed by ordinal (`u32`), strings resolved once into one arena.
//!
//! Built by [`HeapGraph::load`] / [`HeapGraph::from_bytes`] (the reader's parallel driver,
//! `reader/parallel.rs`) or incrementally by [`HeapGraphBuilder`](builder::HeapGraphBuilder)
//! (`builder.rs`, a sink of the reader); `columns.rs` assembles the columns, `bits.rs` holds the
//! compact bit and size columns the analyses share. Analysed by
//! [`HeapAnalysis`](crate::heap::analyses::analysis::HeapAnalysis).

#![deny(missing_docs)]

pub mod bits;
pub(crate) mod builder;
pub(crate) mod columns;

use crate::heap::graph::bits::SizeColumn;
use std::ops::Range;
use std::time::Duration;

/// A node's ordinal (its position in the `nodes` array divided by the node field count).
pub type NodeIndex = u32;
/// An edge's ordinal (its position in the `edges` array divided by the edge field count).
pub type EdgeIndex = u32;

/// The node types V8 writes (`meta.node_types`), by name; `Other` for names this crate does
/// not know (a newer V8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// `hidden`: V8 internals (DevTools' `(system)`).
    Hidden,
    /// `array`: internal arrays (element and property backing stores).
    Array,
    /// `string`.
    String,
    /// `object`: JS objects, named by constructor.
    Object,
    /// `code`: compiled code.
    Code,
    /// `closure`: JS functions.
    Closure,
    /// `regexp`.
    RegExp,
    /// `number`: heap numbers.
    Number,
    /// `native`: embedder (C++, DOM) objects.
    Native,
    /// `synthetic`: the root and the GC root groups.
    Synthetic,
    /// `concatenated string`.
    ConsString,
    /// `sliced string`.
    SlicedString,
    /// `symbol`.
    Symbol,
    /// `bigint`.
    BigInt,
    /// `object shape`: hidden classes (maps).
    ObjectShape,
    /// `wasm object`.
    WasmObject,
    /// A type name this crate does not know.
    Other,
}

impl NodeKind {
    /// The kind for a `meta.node_types` name.
    pub fn from_name(name: &str) -> NodeKind {
        match name {
            "hidden" => NodeKind::Hidden,
            "array" => NodeKind::Array,
            "string" => NodeKind::String,
            "object" => NodeKind::Object,
            "code" => NodeKind::Code,
            "closure" => NodeKind::Closure,
            "regexp" => NodeKind::RegExp,
            "number" => NodeKind::Number,
            "native" => NodeKind::Native,
            "synthetic" => NodeKind::Synthetic,
            "concatenated string" => NodeKind::ConsString,
            "sliced string" => NodeKind::SlicedString,
            "symbol" => NodeKind::Symbol,
            "bigint" => NodeKind::BigInt,
            "object shape" => NodeKind::ObjectShape,
            "wasm object" => NodeKind::WasmObject,
            _ => NodeKind::Other,
        }
    }
}

/// The edge types V8 writes (`meta.edge_types`), by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// `context`: a variable in a closure's context.
    Context,
    /// `element`: an array element (named by index).
    Element,
    /// `property`: a named property.
    Property,
    /// `internal`: an engine-internal reference.
    Internal,
    /// `hidden`: an engine-internal reference named by index.
    Hidden,
    /// `shortcut`: from the root, marks user globals; elsewhere a non-owning link.
    Shortcut,
    /// `weak`: does not keep its target alive.
    Weak,
    /// A type name this crate does not know.
    Other,
}

impl EdgeKind {
    /// The kind for a `meta.edge_types` name.
    pub fn from_name(name: &str) -> EdgeKind {
        match name {
            "context" => EdgeKind::Context,
            "element" => EdgeKind::Element,
            "property" => EdgeKind::Property,
            "internal" => EdgeKind::Internal,
            "hidden" => EdgeKind::Hidden,
            "shortcut" => EdgeKind::Shortcut,
            "weak" => EdgeKind::Weak,
            _ => EdgeKind::Other,
        }
    }

    /// Whether `name_or_index` is a `strings` index (DevTools: every type but `element` and
    /// `hidden`, whose value is an array index).
    pub fn has_string_name(self) -> bool {
        !matches!(self, EdgeKind::Element | EdgeKind::Hidden)
    }
}

/// Type names from `meta` with their kinds, indexed by the type values in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeTable<K> {
    names: Vec<String>,
    kinds: Vec<K>,
}

impl<K: Copy + PartialEq> TypeTable<K> {
    pub(crate) fn new(names: Vec<String>, kind_of: impl Fn(&str) -> K) -> Self {
        let kinds = names.iter().map(|n| kind_of(n)).collect();
        TypeTable { names, kinds }
    }

    /// Number of types.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// `true` when `meta` lists no types.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Name of type value `index`.
    pub fn name(&self, index: u8) -> &str {
        self.names
            .get(usize::from(index))
            .map_or("", String::as_str)
    }

    /// Kind of type value `index`.
    #[inline]
    pub fn kind(&self, index: u8) -> K {
        self.kinds[usize::from(index)]
    }

    /// The type value with this kind, as DevTools' `indexOf` (first match).
    pub fn index_of(&self, kind: K) -> Option<u8> {
        self.kinds
            .iter()
            .position(|k| *k == kind)
            .and_then(|i| u8::try_from(i).ok())
    }

    /// All type names.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// The `strings` array: one UTF-8 arena and the end offset of each entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Strings {
    arena: String,
    ends: Vec<usize>,
}

impl Strings {
    pub(crate) fn from_parts(arena: String, ends: Vec<usize>) -> Self {
        Strings { arena, ends }
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// `true` when the array is empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// String `index`, or `""` past the end (indices are validated when loading).
    #[inline]
    pub fn get(&self, index: u32) -> &str {
        let i = index as usize;
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.arena[start..end]
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity() + self.ends.capacity() * std::mem::size_of::<usize>()
    }
}

/// Where the constructor of an `object` node was defined (the `locations` section).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    /// The node it belongs to.
    pub node: NodeIndex,
    /// V8's script id.
    pub script_id: u32,
    /// Zero-based line.
    pub line: u32,
    /// Zero-based column.
    pub column: u32,
}

/// An edge's `name_or_index`, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeName<'a> {
    /// `element` and `hidden` edges: an array index.
    Index(u32),
    /// Every other type: a string.
    Name(&'a str),
}

/// How long each loading phase took.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadTimings {
    /// Opening and mapping the file (zero for [`HeapGraph::from_bytes`]).
    pub read: Duration,
    /// Walking the top-level object: finding the sections and skipping the unknown ones.
    pub scan: Duration,
    /// Decoding the `strings` array into the arena.
    pub strings: Duration,
    /// Parsing the `nodes` and `edges` arrays (parallel) and the `locations`.
    pub numbers: Duration,
}

/// A parsed snapshot: node, edge and string columns.
#[derive(Debug, Clone)]
pub struct HeapGraph {
    pub(crate) node_types: TypeTable<NodeKind>,
    pub(crate) edge_types: TypeTable<EdgeKind>,
    pub(crate) node_type: Vec<u8>,
    pub(crate) node_name: Vec<u32>,
    pub(crate) node_id: Vec<u32>,
    pub(crate) self_size: SizeColumn,
    /// `first_edge[n]..first_edge[n + 1]` are node `n`'s edges; length node count + 1.
    pub(crate) first_edge: Vec<u32>,
    /// The `detachedness` field (0 unknown, 1 attached, 2 detached), only when some node has
    /// a non-zero value (DOM snapshots).
    pub(crate) detachedness: Option<Vec<u8>>,
    pub(crate) edge_type: Vec<u8>,
    pub(crate) edge_name: Vec<u32>,
    /// Target node ordinal of each edge.
    pub(crate) edge_to: Vec<u32>,
    pub(crate) strings: Strings,
    /// Sorted by node, one per node (the last one in the file wins, as in DevTools).
    pub(crate) locations: Vec<Location>,
    pub(crate) root: NodeIndex,
    pub(crate) extra_native_bytes: u64,
    pub(crate) timings: LoadTimings,
}

impl HeapGraph {
    /// Number of nodes.
    #[inline]
    pub fn node_count(&self) -> usize {
        self.node_type.len()
    }

    /// Number of edges.
    #[inline]
    pub fn edge_count(&self) -> usize {
        self.edge_to.len()
    }

    /// The root node (`snapshot.root_index`, else node 0).
    pub fn root(&self) -> NodeIndex {
        self.root
    }

    /// `snapshot.extra_native_bytes` (0 when absent); DevTools adds it to the total size.
    pub fn extra_native_bytes(&self) -> u64 {
        self.extra_native_bytes
    }

    /// How long loading took, per phase.
    pub fn timings(&self) -> LoadTimings {
        self.timings
    }

    /// Node type names and kinds from `meta`.
    pub fn node_types(&self) -> &TypeTable<NodeKind> {
        &self.node_types
    }

    /// Edge type names and kinds from `meta`.
    pub fn edge_types(&self) -> &TypeTable<EdgeKind> {
        &self.edge_types
    }

    /// The `strings` array.
    pub fn strings(&self) -> &Strings {
        &self.strings
    }

    /// Node `n`'s snapshot id (stable across snapshots of one isolate).
    #[inline]
    pub fn node_id(&self, n: NodeIndex) -> u32 {
        self.node_id[n as usize]
    }

    /// Node `n`'s raw type value (index into [`node_types`](Self::node_types)).
    #[inline]
    pub fn node_type_index(&self, n: NodeIndex) -> u8 {
        self.node_type[n as usize]
    }

    /// Node `n`'s kind.
    #[inline]
    pub fn node_kind(&self, n: NodeIndex) -> NodeKind {
        self.node_types.kind(self.node_type[n as usize])
    }

    /// Node `n`'s type name (`"object"`, `"closure"`, ...).
    pub fn node_type_name(&self, n: NodeIndex) -> &str {
        self.node_types.name(self.node_type[n as usize])
    }

    /// Node `n`'s `name` string index.
    #[inline]
    pub fn node_name_index(&self, n: NodeIndex) -> u32 {
        self.node_name[n as usize]
    }

    /// Node `n`'s name (the constructor name for objects, the value for strings, ...).
    #[inline]
    pub fn node_name(&self, n: NodeIndex) -> &str {
        self.strings.get(self.node_name[n as usize])
    }

    /// Node `n`'s self size in bytes as written in the file (before DevTools' shallow-size
    /// reassignment; see [`HeapAnalysis::self_size`](crate::heap::analyses::analysis::HeapAnalysis::self_size)).
    #[inline]
    pub fn self_size(&self, n: NodeIndex) -> u64 {
        self.self_size.get(n as usize)
    }

    /// Node `n`'s detachedness (0 unknown, 1 attached, 2 detached); 0 without the field.
    pub fn detachedness(&self, n: NodeIndex) -> u8 {
        self.detachedness.as_ref().map_or(0, |d| d[n as usize])
    }

    /// Node `n`'s outgoing edges.
    #[inline]
    pub fn edges(&self, n: NodeIndex) -> Range<EdgeIndex> {
        self.first_edge[n as usize]..self.first_edge[n as usize + 1]
    }

    /// The node edge `e` starts from (binary search over the edge offsets).
    pub fn edge_source(&self, e: EdgeIndex) -> NodeIndex {
        (self.first_edge.partition_point(|&first| first <= e) - 1) as NodeIndex
    }

    /// Edge `e`'s target node.
    #[inline]
    pub fn edge_target(&self, e: EdgeIndex) -> NodeIndex {
        self.edge_to[e as usize]
    }

    /// Edge `e`'s raw type value (index into [`edge_types`](Self::edge_types)).
    #[inline]
    pub fn edge_type_index(&self, e: EdgeIndex) -> u8 {
        self.edge_type[e as usize]
    }

    /// Edge `e`'s kind.
    #[inline]
    pub fn edge_kind(&self, e: EdgeIndex) -> EdgeKind {
        self.edge_types.kind(self.edge_type[e as usize])
    }

    /// Edge `e`'s raw `name_or_index` value.
    #[inline]
    pub fn edge_name_or_index(&self, e: EdgeIndex) -> u32 {
        self.edge_name[e as usize]
    }

    /// Edge `e`'s name or index, resolved.
    pub fn edge_name(&self, e: EdgeIndex) -> EdgeName<'_> {
        let raw = self.edge_name[e as usize];
        if self.edge_kind(e).has_string_name() {
            EdgeName::Name(self.strings.get(raw))
        } else {
            EdgeName::Index(raw)
        }
    }

    /// The `locations` entry of node `n`, if any.
    pub fn location(&self, n: NodeIndex) -> Option<Location> {
        self.locations
            .binary_search_by_key(&n, |l| l.node)
            .ok()
            .map(|i| self.locations[i])
    }

    /// All `locations` entries, sorted by node.
    pub fn locations(&self) -> &[Location] {
        &self.locations
    }

    /// The first node with snapshot id `id` (a linear scan).
    pub fn find_node_by_id(&self, id: u32) -> Option<NodeIndex> {
        self.node_id
            .iter()
            .position(|&x| x == id)
            .map(|i| i as NodeIndex)
    }

    /// Heap bytes held by the columns and strings.
    pub fn heap_bytes(&self) -> usize {
        self.node_type.capacity()
            + self.node_name.capacity() * 4
            + self.node_id.capacity() * 4
            + self.self_size.heap_bytes()
            + self.first_edge.capacity() * 4
            + self.detachedness.as_ref().map_or(0, Vec::capacity)
            + self.edge_type.capacity()
            + self.edge_name.capacity() * 4
            + self.edge_to.capacity() * 4
            + self.strings.heap_bytes()
            + self.locations.capacity() * std::mem::size_of::<Location>()
    }
}
