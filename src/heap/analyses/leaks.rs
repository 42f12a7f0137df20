//! Three-snapshot leak detection (baseline, target, final), the method memlab made common:
//! objects allocated between baseline and target (ids in target, not in baseline) that are
//! still alive in final are leak candidates.
//!
//! Candidates are reported by their *leak roots*. A candidate whose immediate dominator is not
//! a candidate heads a subtree of new memory (a request object and its buffers and strings),
//! so each root stands for its whole subtree once. Containers are looked through, so that the
//! objects leaked *into* a container are the roots rather than the container's storage:
//!
//! * V8 backing stores (`array` nodes: a Map's, Set's or WeakMap's table, an array's
//!   `elements`, a dictionary's `properties`) are always looked through: their new children in
//!   the dominator tree are the roots in their place (a store without any stays a root, unless
//!   its bytes went to its owner);
//! * closures, their contexts (`system / Context`), JS collections (`Array`, `Map`, `Set`,
//!   `WeakMap`, `WeakSet`) and plain objects used as dictionaries are looked through when what
//!   they hold includes objects (an EventEmitter's new listener array holding closures holding
//!   `Leaky` objects gives the `Leaky` objects); otherwise they are roots themselves. Instances
//!   of other classes are always roots.
//!
//! The bytes of the containers looked through go with the first object found in them (a
//! closure and its context with the object it captured), so the roots of a subtree still add
//! up to its retained size.
//!
//! Roots are grouped by their class and the shape of their shortest retainer path: class
//! names and edge names, with indices, WeakMap entry details and the keys of dictionaries left
//! out (`Object.__keep → Map.table → (array)[] → LeakyRequest`,
//! `Object.cache → Object[key] → Session`). Each group says what holds its objects
//! ([`LeakGroup::holder`]: `Map`, `Object (dictionary)`, `EventEmitter listener onData()`, …)
//! and whether V8 allocated them itself ([`LeakGroup::internal`]: compiled code, shapes,
//! feedback and other system objects). User groups come first, largest retained size first,
//! then the internal ones.
//!
//! A group whose path extends another group's path through leaked objects only is the same
//! leak reached through its objects' own parts (the halves of leaked concatenated strings, a
//! leaked object's new fields shared with a sibling): it is folded into that group, which
//! counts the objects folded into it ([`LeakGroup::folded`]) and adds their retained sizes.

#![deny(missing_docs)]

use crate::heap::analyses::analysis::HeapAnalysis;
use crate::heap::analyses::essential::weakmap_table_id;
use crate::heap::analyses::paths::{PathStep, RetainerTree};
use crate::heap::graph::{EdgeKind, EdgeName, HeapGraph, NodeIndex, NodeKind};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

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

impl FromIterator<u32> for IdSet {
    /// The set of the given ids (in any order, duplicates allowed).
    fn from_iter<I: IntoIterator<Item = u32>>(ids: I) -> Self {
        let mut ids: Vec<u32> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        IdSet { ids }
    }
}

/// Leak roots with the same class and retainer path shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakGroup {
    /// The roots' class.
    pub class_name: String,
    /// The shape of their retainer paths; `(unreachable)` when no path exists.
    pub path_shape: String,
    /// What holds the roots, read off the path of the largest one: the nearest container above
    /// it that is not a V8 backing store (`Map`, `Set`, `WeakMap`, `Array`,
    /// `Object (dictionary)`, `closure onData()`, `EventEmitter listener onData()`, or the class
    /// of the object whose property it is). `None` without a path, or for a root right below a
    /// GC root.
    pub holder: Option<String>,
    /// Whether V8 allocated the roots itself: compiled code, shapes (maps), feedback, `system /`
    /// objects other than contexts, `hidden` and `synthetic` nodes, and arrays, strings and
    /// numbers held by such nodes. These groups come after the others.
    pub internal: bool,
    /// The roots, largest retained size first.
    pub roots: Vec<NodeIndex>,
    /// Leak roots of other groups folded into this one: their paths extend this group's path
    /// through leaked objects (`… → (concatenated string).first → (string)` under a group of
    /// leaked concatenated strings). Not in [`roots`](Self::roots).
    pub folded: u64,
    /// The retained sizes of the roots and of the folded roots, summed (their subtrees do not
    /// overlap), plus the new containers looked through to reach them (a listener's closure
    /// and context, a new array's storage).
    pub retained_size: u64,
}

/// What the three-snapshot search found in the final snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakReport {
    /// Nodes of final allocated between baseline and target.
    pub leaked_nodes: u64,
    /// Their self sizes, summed.
    pub leaked_size: u64,
    /// The groups: user groups first, then internal ones, each largest retained size first.
    pub groups: Vec<LeakGroup>,
}

impl LeakReport {
    /// How many groups are [`internal`](LeakGroup::internal).
    pub fn internal_group_count(&self) -> usize {
        self.groups.iter().filter(|g| g.internal).count()
    }
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
    let mut heads = Vec::new();
    for n in 0..final_graph.node_count() as NodeIndex {
        if !leaked[n as usize] {
            continue;
        }
        leaked_nodes += 1;
        leaked_size += analysis.self_size(n);
        let dominator = analysis.dominator(n);
        let heads_subtree = dominator == root || !leaked[dominator as usize];
        if heads_subtree && n != root && final_graph.node_kind(n) != NodeKind::Synthetic {
            heads.push(n);
        }
    }
    let mut containers = Containers::new(final_graph);
    let mut roots = Vec::with_capacity(heads.len());
    for head in heads {
        look_through(
            final_graph,
            analysis,
            &leaked,
            &mut containers,
            head,
            &mut roots,
        );
    }
    let nodes: Vec<NodeIndex> = roots.iter().map(|r| r.node).collect();
    let tree = RetainerTree::build_until(final_graph, &nodes);
    let mut groups = group_roots(final_graph, analysis, &tree, &mut containers, roots);
    fold_groups(
        final_graph,
        analysis,
        &tree,
        &mut containers,
        &leaked,
        &mut groups,
    );
    sort_groups(&mut groups);
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

/// How the search for leak roots treats a new node heading (or inside) new memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A V8 backing store: always looked through.
    Storage,
    /// A container looked through when it holds objects.
    Holder,
    /// A leak root.
    Leaf,
}

fn role(graph: &HeapGraph, containers: &mut Containers, n: NodeIndex) -> Role {
    match graph.node_kind(n) {
        NodeKind::Array => Role::Storage,
        NodeKind::Closure => Role::Holder,
        NodeKind::Object => match graph.node_name(n) {
            CONTEXT | "Array" | "Map" | "Set" | "WeakMap" | "WeakSet" => Role::Holder,
            // Plain objects used as dictionaries; an instance of a class stays a root.
            "Object" if containers.is_dictionary(n) => Role::Holder,
            _ => Role::Leaf,
        },
        _ => Role::Leaf,
    }
}

/// The name of closure contexts.
const CONTEXT: &str = "system / Context";

/// An object a person would call one: objects (not V8's `system /` ones), closures, regexps,
/// embedder objects.
fn is_object_like(graph: &HeapGraph, n: NodeIndex) -> bool {
    match graph.node_kind(n) {
        NodeKind::Object | NodeKind::Native => !graph.node_name(n).starts_with("system / "),
        NodeKind::Closure | NodeKind::RegExp => true,
        _ => false,
    }
}

/// A leak root and the bytes of the containers looked through to reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Root {
    node: NodeIndex,
    /// Self sizes of the new containers (closures, contexts, arrays, tables) that were looked
    /// through and whose bytes this root carries.
    carried: u64,
}

/// Appends the leak roots standing for `head`'s subtree to `roots`: `head` itself, or what
/// its containers hold (see the module docs). Each container looked through gives its own
/// size to the first object among the roots found in it (the first root when none is an
/// object), so the roots of one head still add up to its retained size. Iterative: chains of
/// containers can be long.
fn look_through(
    graph: &HeapGraph,
    analysis: &HeapAnalysis,
    leaked: &[bool],
    containers: &mut Containers,
    head: NodeIndex,
    roots: &mut Vec<Root>,
) {
    enum Visit {
        Enter(NodeIndex),
        /// A container's children are done; the roots found in it start at `start`.
        Leave(NodeIndex, Role, usize),
    }
    let leaf = |node| Root { node, carried: 0 };
    let mut stack = vec![Visit::Enter(head)];
    while let Some(visit) = stack.pop() {
        match visit {
            Visit::Enter(n) => {
                let role = role(graph, containers, n);
                let children = analysis.dominated(n);
                if role == Role::Leaf || !children.iter().any(|&c| leaked[c as usize]) {
                    // A store holding nothing new whose bytes went to its owner (DevTools'
                    // shallow-size reassignment) adds nothing new to report.
                    if role != Role::Storage || analysis.self_size(n) > 0 {
                        roots.push(leaf(n));
                    }
                    continue;
                }
                stack.push(Visit::Leave(n, role, roots.len()));
                let new_children = children.iter().rev().filter(|&&c| leaked[c as usize]);
                stack.extend(new_children.map(|&c| Visit::Enter(c)));
            }
            Visit::Leave(n, role, start) => {
                let found = &mut roots[start..];
                let object = found.iter().position(|r| is_object_like(graph, r.node));
                match (role, object) {
                    (Role::Holder, None) => {
                        roots.truncate(start);
                        roots.push(leaf(n));
                    }
                    _ if found.is_empty() => {
                        if analysis.self_size(n) > 0 {
                            roots.push(leaf(n));
                        }
                    }
                    (_, object) => found[object.unwrap_or(0)].carried += analysis.self_size(n),
                }
            }
        }
    }
}

/// Fewest keys of a dictionary-mode object used as a dictionary. V8 also keeps small objects
/// in dictionary mode (`Object.create(null)`, after a `delete`), such as an EventEmitter's
/// `_events`, whose few property names are worth keeping in a path shape.
pub const MIN_DICTIONARY_KEYS: usize = 16;

/// Objects used as dictionaries, found on demand: objects in dictionary mode (their
/// `properties` store has entries of its own, numbered `internal` edges, where a fast object's
/// property array has `hidden` ones) with at least [`MIN_DICTIONARY_KEYS`] properties whose
/// values are in that dictionary.
struct Containers<'g> {
    graph: &'g HeapGraph,
    /// The values each dictionary holds; `None` for other nodes.
    dictionaries: FxHashMap<NodeIndex, Option<FxHashSet<NodeIndex>>>,
}

impl<'g> Containers<'g> {
    fn new(graph: &'g HeapGraph) -> Self {
        Containers {
            graph,
            dictionaries: FxHashMap::default(),
        }
    }

    fn dictionary(&mut self, n: NodeIndex) -> Option<&FxHashSet<NodeIndex>> {
        let graph = self.graph;
        self.dictionaries
            .entry(n)
            .or_insert_with(|| dictionary_values(graph, n))
            .as_ref()
    }

    /// Whether `n` is an object used as a dictionary.
    fn is_dictionary(&mut self, n: NodeIndex) -> bool {
        self.graph.node_kind(n) == NodeKind::Object && self.dictionary(n).is_some()
    }

    /// Whether `value` is a value of dictionary `n` (not, for example, a property of the
    /// global object, whose dictionary holds property cells).
    fn holds(&mut self, n: NodeIndex, value: NodeIndex) -> bool {
        self.graph.node_kind(n) == NodeKind::Object
            && self.dictionary(n).is_some_and(|v| v.contains(&value))
    }
}

/// The targets of the numbered `internal` edges of `n`'s `properties` store, when `n` is used
/// as a dictionary.
fn dictionary_values(graph: &HeapGraph, n: NodeIndex) -> Option<FxHashSet<NodeIndex>> {
    let store = graph.edges(n).find_map(|e| {
        let properties = graph.edge_kind(e) == EdgeKind::Internal
            && graph.edge_name(e) == EdgeName::Name("properties");
        properties.then(|| graph.edge_target(e))
    })?;
    if graph.node_kind(store) != NodeKind::Array {
        return None;
    }
    let values: FxHashSet<NodeIndex> = graph
        .edges(store)
        .filter(|&e| graph.edge_kind(e) == EdgeKind::Internal && is_number(graph.edge_name(e)))
        .map(|e| graph.edge_target(e))
        .collect();
    let keys = graph
        .edges(n)
        .filter(|&e| {
            graph.edge_kind(e) == EdgeKind::Property && values.contains(&graph.edge_target(e))
        })
        .count();
    (keys >= MIN_DICTIONARY_KEYS).then_some(values)
}

fn is_number(name: EdgeName<'_>) -> bool {
    match name {
        EdgeName::Index(_) => true,
        EdgeName::Name(text) => !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()),
    }
}

fn group_roots(
    graph: &HeapGraph,
    analysis: &HeapAnalysis,
    tree: &RetainerTree,
    containers: &mut Containers,
    roots: Vec<Root>,
) -> Vec<LeakGroup> {
    let mut groups: Vec<LeakGroup> = Vec::new();
    let mut by_key: FxHashMap<(u32, String), usize> = FxHashMap::default();
    for Root { node: n, carried } in roots {
        let path = tree.path_to(graph, n);
        let shape = path.as_ref().map_or_else(
            || "(unreachable)".to_owned(),
            |p| path_shape(graph, analysis, containers, p),
        );
        let key = (analysis.class_of(n), shape);
        let slot = *by_key.entry(key).or_insert_with_key(|key| {
            groups.push(LeakGroup {
                class_name: analysis.class_name(graph, n).to_owned(),
                path_shape: key.1.clone(),
                holder: None,
                internal: false,
                roots: Vec::new(),
                folded: 0,
                retained_size: 0,
            });
            groups.len() - 1
        });
        let group = &mut groups[slot];
        group.roots.push(n);
        group.retained_size += analysis.retained_size(n) + carried;
    }
    for group in &mut groups {
        group.roots.sort_by(|&a, &b| {
            analysis
                .retained_size(b)
                .cmp(&analysis.retained_size(a))
                .then(a.cmp(&b))
        });
        // Holder and origin are read off the largest root's path (the sample path).
        let largest = group.roots[0];
        let path = tree.path_to(graph, largest).unwrap_or_default();
        group.holder = holder(graph, analysis, containers, &path);
        group.internal = is_internal(graph, &path, largest);
    }
    groups
}

/// User groups first, then internal ones, each largest retained size first.
fn sort_groups(groups: &mut [LeakGroup]) {
    groups.sort_by(|a, b| {
        a.internal
            .cmp(&b.internal)
            .then(b.retained_size.cmp(&a.retained_size))
            .then(b.roots.len().cmp(&a.roots.len()))
            .then_with(|| a.path_shape.cmp(&b.path_shape))
    });
}

/// Folds each group into the group whose path its largest root's path extends through leaked
/// nodes only (the nearest such group above it, then that group's own target, and so on):
/// the same leak, reached through its objects' parts. Shapes are compared by prefix, so the
/// nodes in between need not be roots themselves (a concatenated string inside another).
fn fold_groups(
    graph: &HeapGraph,
    analysis: &HeapAnalysis,
    tree: &RetainerTree,
    containers: &mut Containers,
    leaked: &[bool],
    groups: &mut Vec<LeakGroup>,
) {
    // Groups by class and shape length: a prefix's text is only compared with the shapes of
    // its length (hashing every prefix would be quadratic in long paths).
    let mut by_len: FxHashMap<(u32, usize), Vec<usize>> = FxHashMap::default();
    for (i, g) in groups.iter().enumerate() {
        let key = (analysis.class_of(g.roots[0]), g.path_shape.len());
        by_len.entry(key).or_default().push(i);
    }
    let mut into: Vec<Option<usize>> = vec![None; groups.len()];
    for (g, group) in groups.iter().enumerate() {
        let Some(path) = tree.path_to(graph, group.roots[0]) else {
            continue;
        };
        let (shape, ends) = path_shape_ends(graph, analysis, containers, &path);
        // From the root's parent upwards, while the nodes are leaked.
        into[g] = (0..path.len().saturating_sub(1))
            .rev()
            .take_while(|&i| leaked[path[i].node as usize])
            .find_map(|i| {
                let prefix = &shape[..ends[i]];
                let same_length = by_len.get(&(analysis.class_of(path[i].node), prefix.len()))?;
                same_length
                    .iter()
                    .copied()
                    .find(|&t| t != g && groups[t].path_shape == prefix)
            });
    }
    // Prefixes are shorter, so following targets ends.
    let last_target = |mut g: usize| {
        while let Some(t) = into[g] {
            g = t;
        }
        g
    };
    let targets: Vec<Option<usize>> = (0..groups.len())
        .map(|g| into[g].map(|_| last_target(g)))
        .collect();
    for (g, target) in targets.iter().enumerate() {
        if let Some(t) = *target {
            let (count, size) = (groups[g].roots.len() as u64, groups[g].retained_size);
            groups[t].folded += count;
            groups[t].retained_size += size;
        }
    }
    let mut index = 0;
    groups.retain(|_| {
        index += 1;
        targets[index - 1].is_none()
    });
}

/// `A.edge → B[] → C`: each node by class (functions by name), each edge by name with
/// indices (`[]`), WeakMap entry details (`[WeakMap entry]`) and the keys of dictionary-mode
/// objects (`[key]`) left out, so that paths to siblings compare equal.
fn path_shape(
    graph: &HeapGraph,
    analysis: &HeapAnalysis,
    containers: &mut Containers,
    path: &[PathStep],
) -> String {
    path_shape_ends(graph, analysis, containers, path).0
}

/// [`path_shape`] and where the shape of each prefix ends: `shape[..ends[i]]` is the shape
/// of `path[..=i]`.
fn path_shape_ends(
    graph: &HeapGraph,
    analysis: &HeapAnalysis,
    containers: &mut Containers,
    path: &[PathStep],
) -> (String, Vec<usize>) {
    let mut shape = String::new();
    let mut ends = Vec::with_capacity(path.len());
    for (i, step) in path.iter().enumerate() {
        if i > 0 {
            let source = path[i - 1].node;
            let keyed = graph.edge_kind(step.edge) == EdgeKind::Property
                && containers.holds(source, step.node);
            match graph.edge_name(step.edge) {
                name if is_number(name) => shape.push_str("[]"),
                EdgeName::Name(text) if weakmap_table_id(text).is_some() => {
                    shape.push_str("[WeakMap entry]")
                }
                _ if keyed => shape.push_str("[key]"),
                EdgeName::Name(text) => {
                    shape.push('.');
                    shape.push_str(text);
                }
                EdgeName::Index(_) => shape.push_str("[]"),
            }
            shape.push_str(" → ");
        }
        shape.push_str(&node_shape(graph, analysis, step.node));
        ends.push(shape.len());
    }
    (shape, ends)
}

fn node_shape(graph: &HeapGraph, analysis: &HeapAnalysis, n: NodeIndex) -> String {
    let class = analysis.class_name(graph, n);
    match graph.node_kind(n) {
        NodeKind::Closure if !graph.node_name(n).is_empty() => format!("{}()", graph.node_name(n)),
        _ if class.is_empty() => format!("({})", graph.node_type_name(n)),
        _ => class.to_owned(),
    }
}

/// What holds the last node of `path` (see [`LeakGroup::holder`]).
fn holder(
    graph: &HeapGraph,
    analysis: &HeapAnalysis,
    containers: &mut Containers,
    path: &[PathStep],
) -> Option<String> {
    for i in (0..path.len().saturating_sub(1)).rev() {
        let n = path[i].node;
        let into_next = path[i + 1].edge;
        let kind = graph.node_kind(n);
        if kind == NodeKind::Array || graph.node_name(n) == CONTEXT && kind == NodeKind::Object {
            continue;
        }
        if kind == NodeKind::Synthetic {
            return None;
        }
        if kind == NodeKind::Closure {
            return Some(closure_holder(graph, analysis, path, i));
        }
        if matches!(graph.edge_name(into_next), EdgeName::Name(t) if weakmap_table_id(t).is_some())
        {
            return Some("WeakMap".to_owned());
        }
        let shape = node_shape(graph, analysis, n);
        if containers.is_dictionary(n) {
            return Some(format!("{shape} (dictionary)"));
        }
        return Some(shape);
    }
    None
}

/// How many steps above a closure an EventEmitter's `_events` edge is looked for (the
/// listener array and the events object).
const LISTENER_DEPTH: usize = 3;

/// `closure onData()`, or `EventEmitter listener onData()` when the closure sits in an
/// `_events` object (directly or in a listener array).
fn closure_holder(
    graph: &HeapGraph,
    analysis: &HeapAnalysis,
    path: &[PathStep],
    closure: usize,
) -> String {
    let name = match graph.node_name(path[closure].node) {
        "" => "(anonymous)".to_owned(),
        name => format!("{name}()"),
    };
    let events = (closure.saturating_sub(LISTENER_DEPTH)..=closure)
        .rev()
        .filter(|&i| i > 0)
        .find(|&i| graph.edge_name(path[i].edge) == EdgeName::Name("_events"));
    match events {
        Some(i) => {
            let emitter = node_shape(graph, analysis, path[i - 1].node);
            format!("{emitter} listener {name}")
        }
        None => format!("closure {name}"),
    }
}

/// Whether V8 allocated `n` itself, judged by its kind and, for data (arrays, strings,
/// numbers, …), by the nearest non-data node above it on `path` (`n` is its last node).
fn is_internal(graph: &HeapGraph, path: &[PathStep], n: NodeIndex) -> bool {
    let ancestors = path.iter().rev().skip(1).map(|step| step.node);
    std::iter::once(n)
        .chain(ancestors)
        .find_map(|m| internal_kind(graph, m))
        .unwrap_or(false)
}

/// `Some(true)` for V8's own nodes, `Some(false)` for user objects, `None` for data, which
/// is what its holder is.
fn internal_kind(graph: &HeapGraph, n: NodeIndex) -> Option<bool> {
    match graph.node_kind(n) {
        NodeKind::Code | NodeKind::Hidden | NodeKind::ObjectShape | NodeKind::Synthetic => {
            Some(true)
        }
        NodeKind::Object | NodeKind::Native => {
            let name = graph.node_name(n);
            Some(name.starts_with("system / ") && name != CONTEXT)
        }
        NodeKind::Closure | NodeKind::RegExp | NodeKind::WasmObject => Some(false),
        _ => None,
    }
}
