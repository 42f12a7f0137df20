//! Why is an old module generation still alive? modswap marks every retired generation of a
//! CommonJS module with marker objects (`ModswapGeneration {file, generation, role, name}`),
//! each the value of a WeakMap entry whose key is the value it marks: the old `Module`, its
//! `exports`, or a function among the exports' own properties. A marker in a snapshot means
//! its key was alive, so its generation is stale.
//!
//! [`explain`] finds every marker, resolves the value it marks, and for each generation reads
//! the shortest retainer path (DevTools' distance rules, [`RetainerTree`]) to the value of that
//! generation nearest the GC roots. The path is classified ([`holder`](crate::heap::analyses::holder)) to name
//! what holds the generation, and generations held the same way are grouped.
//!
//! V8 writes a WeakMap entry as two `internal` edges to the value, both named
//! `<n> / part of key (<Key> @<k>) -> value (<Value> @<v>) pair in WeakMap (table @<t>)`: one
//! from the key, one from the table (Node 20 to 26 alike). The edge whose source is not the
//! table `@<t>` gives the key.

#![deny(missing_docs)]

use crate::heap::analyses::essential::weakmap_table_id;
use crate::heap::analyses::holder::{classify, Holder, HolderKind, PathFacts};
use crate::heap::analyses::paths::{PathStep, RetainerTree, NO_DISTANCE};
use crate::heap::graph::bits::BitVec;
use crate::heap::graph::{EdgeKind, EdgeName, HeapGraph, NodeIndex, NodeKind};
use rustc_hash::FxHashMap;

/// The class name of modswap's marker objects.
pub const MARKER_CLASS: &str = "ModswapGeneration";

/// What to look for.
#[derive(Debug, Clone)]
pub struct ExplainOptions {
    /// The class name of the marker objects.
    pub marker_class: String,
}

impl Default for ExplainOptions {
    fn default() -> Self {
        ExplainOptions {
            marker_class: MARKER_CLASS.to_owned(),
        }
    }
}

/// Which value of a generation a marker marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The old `Module` object.
    Module,
    /// Its `exports` object.
    Exports,
    /// A function among the exports' own properties.
    Export,
}

impl Role {
    /// The role's name as the marker spells it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Module => "module",
            Role::Exports => "exports",
            Role::Export => "export",
        }
    }

    fn parse(text: &str) -> Option<Role> {
        match text {
            "module" => Some(Role::Module),
            "exports" => Some(Role::Exports),
            "export" => Some(Role::Export),
            _ => None,
        }
    }
}

/// One value of a stale generation, found through its marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldValue {
    /// The value's node.
    pub node: NodeIndex,
    /// What it is to its generation.
    pub role: Role,
    /// The export's property name (`Role::Export`), else empty.
    pub export_name: String,
}

/// A stale generation: its values and why it is alive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleGeneration {
    /// The module's file, as the marker names it.
    pub file: String,
    /// The generation, as the marker spells it (`"0"`: unknown).
    pub generation: String,
    /// Its marked values, module first, then exports, then exported functions.
    pub values: Vec<HeldValue>,
    /// The value nearest the GC roots (the first value when none is reachable).
    pub chosen: usize,
    /// The chosen value's distance (DevTools' `distance`); `None` when only weak edges (or
    /// none) lead to any value of the generation.
    pub distance: Option<u32>,
    /// The chosen value's retainer path from the root; empty when `distance` is `None`.
    pub path: Vec<PathStep>,
    /// What holds the generation; `None` when `distance` is `None`.
    pub holder: Option<Holder>,
    /// `path` described for people, step by step.
    pub steps: Vec<StepInfo>,
    /// The chosen value described for people.
    pub node: NodeInfo,
}

/// One node, described for people.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeInfo {
    /// V8's object id.
    pub id: u32,
    /// `Module(<filename>)` for `Module` objects, V8's name otherwise; ` #<generation>` after
    /// a marked value.
    pub name: String,
    /// V8's node type (`object`, `closure`, …).
    pub kind: String,
    /// Self size in bytes, as written in the file.
    pub self_size: u64,
}

/// One step of a retainer path, described for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInfo {
    /// The edge's name, or its index as digits for `element` and `hidden` edges.
    pub edge: String,
    /// V8's edge type.
    pub edge_type: String,
    /// The node the edge leads to.
    pub node: NodeInfo,
}

impl StaleGeneration {
    /// Whether some value of the generation is reachable through strong edges.
    pub fn found(&self) -> bool {
        self.distance.is_some()
    }

    /// The value the path leads to.
    pub fn chosen_value(&self) -> &HeldValue {
        &self.values[self.chosen]
    }
}

/// Generations held the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerationGroup {
    /// The holder kind they share.
    pub kind: HolderKind,
    /// Their path's edges and node classes, without ids and the held value's own name.
    pub signature: String,
    /// Indices into [`Explanation::generations`].
    pub generations: Vec<usize>,
}

/// What [`explain`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// Marker objects in the snapshot (resolved or not).
    pub markers: usize,
    /// The stale generations, by file then generation number.
    pub generations: Vec<StaleGeneration>,
    /// Found generations grouped by holder kind and path signature, largest group first.
    pub groups: Vec<GenerationGroup>,
}

/// Finds the stale generations of `graph` and explains what holds each.
pub fn explain(graph: &HeapGraph, options: &ExplainOptions) -> Explanation {
    let markers = find_markers(graph, &options.marker_class);
    let marker_count = markers.len();
    let keys = resolve_keys(graph, &markers);
    let held = HeldIndex::new(graph, &markers, &keys);
    let mut generations = collect_generations(&held);
    let wanted: Vec<NodeIndex> = held.values.keys().copied().collect();
    if !wanted.is_empty() {
        let tree = RetainerTree::build_until(graph, &wanted);
        let facts = PathFacts::new(graph, &held);
        for generation in &mut generations {
            trace(graph, &tree, &facts, generation);
        }
    }
    for generation in &mut generations {
        generation.node = node_info(graph, &held, generation.chosen_value().node);
        generation.steps = generation
            .path
            .iter()
            .map(|step| StepInfo {
                edge: edge_label(graph, step.edge),
                edge_type: graph
                    .edge_types()
                    .name(graph.edge_type_index(step.edge))
                    .to_owned(),
                node: node_info(graph, &held, step.node),
            })
            .collect();
    }
    let groups = group(graph, &held, &generations);
    Explanation {
        markers: marker_count,
        generations,
        groups,
    }
}

/// A marker's fields.
#[derive(Debug, Clone)]
struct Marker {
    node: NodeIndex,
    file: String,
    generation: String,
    role: Option<Role>,
    name: String,
}

fn find_markers(graph: &HeapGraph, class: &str) -> Vec<Marker> {
    let Some(object) = graph.node_types().index_of(NodeKind::Object) else {
        return Vec::new();
    };
    (0..graph.node_count() as NodeIndex)
        .filter(|&n| graph.node_type_index(n) == object && graph.node_name(n) == class)
        .map(|n| {
            let field = |name| string_property(graph, n, name).unwrap_or_default();
            Marker {
                node: n,
                file: field("file"),
                generation: field("generation"),
                role: Role::parse(&field("role")),
                name: field("name"),
            }
        })
        .collect()
}

/// The node a WeakMap entry edge to each marker comes from, other than the entry's table.
fn resolve_keys(graph: &HeapGraph, markers: &[Marker]) -> Vec<Option<NodeIndex>> {
    let mut keys = vec![None; markers.len()];
    if markers.is_empty() {
        return keys;
    }
    let mut is_marker = BitVec::new(graph.node_count());
    let mut slot: FxHashMap<NodeIndex, usize> = FxHashMap::default();
    for (i, m) in markers.iter().enumerate() {
        is_marker.set(m.node as usize);
        slot.insert(m.node, i);
    }
    let Some(internal) = graph.edge_types().index_of(EdgeKind::Internal) else {
        return keys;
    };
    for n in 0..graph.node_count() as NodeIndex {
        for e in graph.edges(n) {
            let target = graph.edge_target(e);
            if graph.edge_type_index(e) != internal || !is_marker.get(target as usize) {
                continue;
            }
            let EdgeName::Name(name) = graph.edge_name(e) else {
                continue;
            };
            let from_table =
                weakmap_table_id(name).map(|table| table == u64::from(graph.node_id(n)));
            if from_table == Some(false) {
                keys[slot[&target]] = Some(n);
            }
        }
    }
    keys
}

/// The marked values of a snapshot, by node.
pub(crate) struct HeldIndex {
    /// For each held node, what its marker says (a node marked twice keeps the first marker).
    pub(crate) values: FxHashMap<NodeIndex, HeldMark>,
    /// Held nodes in marker order.
    order: Vec<NodeIndex>,
}

/// What a marker says about the node it marks.
#[derive(Debug, Clone)]
pub(crate) struct HeldMark {
    pub(crate) file: String,
    pub(crate) generation: String,
    pub(crate) role: Role,
    pub(crate) name: String,
}

impl HeldIndex {
    fn new(graph: &HeapGraph, markers: &[Marker], keys: &[Option<NodeIndex>]) -> HeldIndex {
        let mut values = FxHashMap::default();
        let mut order = Vec::new();
        for (marker, key) in markers.iter().zip(keys) {
            let (Some(key), Some(role)) = (*key, marker.role) else {
                continue;
            };
            if key == graph.root() || values.contains_key(&key) {
                continue;
            }
            order.push(key);
            values.insert(
                key,
                HeldMark {
                    file: marker.file.clone(),
                    generation: marker.generation.clone(),
                    role,
                    name: marker.name.clone(),
                },
            );
        }
        HeldIndex { values, order }
    }

    /// The mark of node `n`, if it is a held value.
    pub(crate) fn get(&self, n: NodeIndex) -> Option<&HeldMark> {
        self.values.get(&n)
    }
}

fn collect_generations(held: &HeldIndex) -> Vec<StaleGeneration> {
    let mut by_key: FxHashMap<(&str, &str), usize> = FxHashMap::default();
    let mut generations: Vec<StaleGeneration> = Vec::new();
    for &node in &held.order {
        let mark = &held.values[&node];
        let at = *by_key
            .entry((mark.file.as_str(), mark.generation.as_str()))
            .or_insert_with(|| {
                generations.push(StaleGeneration {
                    file: mark.file.clone(),
                    generation: mark.generation.clone(),
                    values: Vec::new(),
                    chosen: 0,
                    distance: None,
                    path: Vec::new(),
                    holder: None,
                    steps: Vec::new(),
                    node: NodeInfo::default(),
                });
                generations.len() - 1
            });
        generations[at].values.push(HeldValue {
            node,
            role: mark.role,
            export_name: mark.name.clone(),
        });
    }
    for g in &mut generations {
        g.values
            .sort_by(|a, b| a.role.cmp(&b.role).then(a.node.cmp(&b.node)));
    }
    generations.sort_by(|a, b| {
        a.file
            .cmp(&b.file)
            .then_with(|| generation_number(&a.generation).cmp(&generation_number(&b.generation)))
            .then_with(|| a.generation.cmp(&b.generation))
    });
    generations
}

/// The generation as a number (`u64::MAX` for text that is not one, which sorts last).
pub fn generation_number(text: &str) -> u64 {
    text.parse().unwrap_or(u64::MAX)
}

/// Picks the generation's value nearest the roots (ties: module, exports, exports in node
/// order, as sorted) and reads its path and holder.
fn trace(graph: &HeapGraph, tree: &RetainerTree, facts: &PathFacts, g: &mut StaleGeneration) {
    let nearest = g
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| (tree.distance(v.node), i))
        .filter(|&(d, _)| d != NO_DISTANCE)
        .min();
    let Some((distance, chosen)) = nearest else {
        return;
    };
    let Some(path) = tree.path_to(graph, g.values[chosen].node) else {
        return;
    };
    g.chosen = chosen;
    g.distance = Some(distance);
    g.holder = Some(classify(facts, &g.file, &path));
    g.path = path;
}

/// A node's name for people: `Module(<filename>)` for `Module` objects, V8's name otherwise;
/// a held value also names its generation, as the example reads:
/// `Module(/app/x.js #3)`, `exports(/app/x.js #3)`, `handler(/app/x.js #3)`.
pub(crate) fn display_name(graph: &HeapGraph, held: &HeldIndex, n: NodeIndex) -> String {
    let file = module_file(graph, n);
    let Some(mark) = held.get(n) else {
        return match file {
            Some(file) => format!("Module({file})"),
            None => graph.node_name(n).to_owned(),
        };
    };
    let label = match (&file, mark.role) {
        (Some(_), _) | (None, Role::Module) => "Module".to_owned(),
        (None, Role::Exports) => "exports".to_owned(),
        (None, Role::Export) if !mark.name.is_empty() => mark.name.clone(),
        (None, Role::Export) => graph.node_name(n).to_owned(),
    };
    let owner = file.unwrap_or_else(|| mark.file.clone());
    format!("{label}({owner} #{})", mark.generation)
}

fn node_info(graph: &HeapGraph, held: &HeldIndex, n: NodeIndex) -> NodeInfo {
    NodeInfo {
        id: graph.node_id(n),
        name: display_name(graph, held, n),
        kind: graph.node_type_name(n).to_owned(),
        self_size: graph.self_size(n),
    }
}

/// The file of a `Module` object (its `filename`, else its `id`).
pub fn module_file(graph: &HeapGraph, n: NodeIndex) -> Option<String> {
    if graph.node_kind(n) != NodeKind::Object || graph.node_name(n) != "Module" {
        return None;
    }
    string_property(graph, n, "filename").or_else(|| string_property(graph, n, "id"))
}

/// The value of a property of `n` that holds a string.
pub(crate) fn string_property(graph: &HeapGraph, n: NodeIndex, name: &str) -> Option<String> {
    graph.edges(n).find_map(|e| {
        (graph.edge_kind(e) == EdgeKind::Property && graph.edge_name(e) == EdgeName::Name(name))
            .then(|| string_value(graph, graph.edge_target(e)))
            .flatten()
    })
}

/// A string node's text: V8 names a concatenated string `(concatenated string)` and writes
/// its halves as `first` and `second`, so those are joined. `None` for a sliced string (its
/// offset is not in the snapshot) and for other nodes.
fn string_value(graph: &HeapGraph, n: NodeIndex) -> Option<String> {
    match graph.node_kind(n) {
        NodeKind::String => Some(graph.node_name(n).to_owned()),
        NodeKind::ConsString => {
            let half = |wanted: &str| {
                graph.edges(n).find_map(|e| {
                    (graph.edge_name(e) == EdgeName::Name(wanted))
                        .then(|| string_value(graph, graph.edge_target(e)))
                        .flatten()
                })
            };
            Some(half("first")? + &half("second")?)
        }
        _ => None,
    }
}

/// An edge's name or index as text.
pub fn edge_label(graph: &HeapGraph, e: crate::heap::graph::EdgeIndex) -> String {
    match graph.edge_name(e) {
        EdgeName::Index(i) => i.to_string(),
        EdgeName::Name(name) => name.to_owned(),
    }
}

/// Groups found generations by holder kind and path signature, largest group first (then in
/// the order of their first generation).
fn group(
    graph: &HeapGraph,
    held: &HeldIndex,
    generations: &[StaleGeneration],
) -> Vec<GenerationGroup> {
    let mut groups: Vec<GenerationGroup> = Vec::new();
    let mut by_signature: FxHashMap<(HolderKind, String), usize> = FxHashMap::default();
    for (i, g) in generations.iter().enumerate() {
        let Some(holder) = &g.holder else { continue };
        let signature = signature(graph, held, &g.path);
        let at = *by_signature
            .entry((holder.kind, signature.clone()))
            .or_insert_with(|| {
                groups.push(GenerationGroup {
                    kind: holder.kind,
                    signature,
                    generations: Vec::new(),
                });
                groups.len() - 1
            });
        groups[at].generations.push(i);
    }
    groups.sort_by(|a, b| {
        b.generations
            .len()
            .cmp(&a.generations.len())
            .then(a.generations[0].cmp(&b.generations[0]))
    });
    groups
}

/// A path's shape: each edge (indices as `[]`, WeakMap entries as `(WeakMap entry)`) and the
/// class of the node it leads to; a held value shows as its role.
fn signature(graph: &HeapGraph, held: &HeldIndex, path: &[PathStep]) -> String {
    path.iter()
        .map(|step| {
            let edge = match graph.edge_name(step.edge) {
                EdgeName::Index(_) => "[]".to_owned(),
                EdgeName::Name(name) if weakmap_table_id(name).is_some() => {
                    "(WeakMap entry)".to_owned()
                }
                EdgeName::Name(name) => name.to_owned(),
            };
            let class = match held.get(step.node) {
                Some(mark) => format!("<{}>", mark.role.name()),
                None => display_name(graph, held, step.node),
            };
            format!("{edge} → {class}")
        })
        .collect::<Vec<_>>()
        .join(" · ")
}
