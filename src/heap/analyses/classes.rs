//! Class names of nodes, as DevTools assigns them (`propagateDOMState`, `calculateObjectNames`,
//! `inferInterfaceDefinitions` and `applyInterfaceDefinitions` in HeapSnapshot.ts):
//!
//! * `object` and `native` nodes: their name (`<div id=a>` becomes `<div>`, detached DOM nodes
//!   get a `Detached ` prefix); plain `Object`s that match a popular property set become
//!   `{a, b, c}`;
//! * `hidden`: `(system)`, `code`: `(compiled code)`, `closure`: `Function`, `regexp`: `RegExp`;
//! * anything else: `(<type>)`, e.g. `(string)`, `(array)`.
//!
//! A class is an id: below the string count it is a `strings` index (a node's own name), above
//! it one of the names added here. DevTools keys its classes the same way, so a node named
//! `RegExp` and a `regexp` node are different classes with the same name there too.

#![deny(missing_docs)]

use crate::heap::graph::bits::BitVec;
use crate::heap::graph::{EdgeKind, HeapGraph, NodeIndex, NodeKind};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::cmp::Ordering;

/// DevTools' `MAX_INTERFACE_NAME_LENGTH` (UTF-16 units).
const MAX_INTERFACE_NAME_LENGTH: usize = 120;
/// DevTools' `MIN_OBJECT_COUNT_PER_INTERFACE`.
const MIN_OBJECT_COUNT_PER_INTERFACE: f64 = 2.0;
/// DevTools' `MIN_OBJECT_PROPORTION_PER_INTERFACE`.
const MIN_OBJECT_PROPORTION_PER_INTERFACE: f64 = 1000.0;

/// The names of class ids, and which nodes DevTools names `Detached …`.
#[derive(Debug, Clone, Default)]
pub struct ClassNames {
    strings_len: u32,
    added: Vec<String>,
    by_text: FxHashMap<String, u32>,
    /// Detached DOM nodes (see [`ClassNames::is_detached`]); `None` without a
    /// `detachedness` field.
    detached: Option<BitVec>,
}

impl ClassNames {
    fn new(strings_len: usize) -> Self {
        ClassNames {
            strings_len: strings_len as u32,
            ..ClassNames::default()
        }
    }

    /// The id of an added name (DevTools' `getIndexForString`: one id per text).
    fn intern(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.by_text.get(text) {
            return id;
        }
        let id = self.strings_len + self.added.len() as u32;
        self.added.push(text.to_owned());
        self.by_text.insert(text.to_owned(), id);
        id
    }

    /// Number of class ids (string indices plus added names).
    pub fn id_count(&self) -> usize {
        self.strings_len as usize + self.added.len()
    }

    /// The name of class `id`.
    pub fn name<'a>(&'a self, graph: &'a HeapGraph, id: u32) -> &'a str {
        match id.checked_sub(self.strings_len) {
            Some(i) => self.added.get(i as usize).map_or("", String::as_str),
            None => graph.strings().get(id),
        }
    }

    /// Whether DevTools' `propagateDOMState` finds native node `n` detached (its
    /// `detachedness` is 2, or it is reached from a detached node and not from an attached
    /// one). DevTools then renames it `Detached <name>`, which every view shows.
    pub fn is_detached(&self, n: NodeIndex) -> bool {
        self.detached.as_ref().is_some_and(|d| d.get(n as usize))
    }

    /// Node `n`'s name as DevTools shows it everywhere (lists, retainer paths): its name, with
    /// the `Detached ` prefix for a detached DOM node.
    pub fn node_name<'a>(&self, graph: &'a HeapGraph, n: NodeIndex) -> Cow<'a, str> {
        let name = graph.node_name(n);
        if self.is_detached(n) {
            Cow::Owned(format!("Detached {name}"))
        } else {
            Cow::Borrowed(name)
        }
    }
}

/// The class id of every node, and the names of the ids.
pub fn node_classes(graph: &HeapGraph) -> (Vec<u32>, ClassNames) {
    classes_with(graph, None)
}

/// The class id of every node, naming plain objects by `interfaces` (DevTools' diff names
/// both snapshots' plain objects by one snapshot's definitions, so they compare).
pub fn node_classes_with(
    graph: &HeapGraph,
    interfaces: &InterfaceDefinitions,
) -> (Vec<u32>, ClassNames) {
    classes_with(graph, Some(interfaces))
}

/// Classes by `interfaces`, or by the definitions inferred from `graph` itself.
fn classes_with(
    graph: &HeapGraph,
    interfaces: Option<&InterfaceDefinitions>,
) -> (Vec<u32>, ClassNames) {
    let mut names = ClassNames::new(graph.strings().len());
    names.detached = graph
        .detachedness
        .as_ref()
        .map(|states| detached_nodes(graph, states));
    let fixed = FixedClasses::new(graph, &mut names);
    let flags = StringFlags::new(graph);
    let mut classes = Vec::with_capacity(graph.node_count());
    for n in 0..graph.node_count() as NodeIndex {
        let is_detached = names.is_detached(n);
        classes.push(class_of(graph, n, &fixed, &flags, is_detached, &mut names));
    }
    apply_interfaces(graph, &flags, &mut classes, &mut names, interfaces);
    (classes, names)
}

/// What the class rules ask about a node's name, answered once per string instead of once per
/// node (reading a node's name is a cache miss in the string arena).
struct StringFlags {
    /// Starts with `<` or `Detached <` (DOM names that get shortened).
    tag: BitVec,
    /// Is `Object` (plain objects).
    object: BitVec,
}

impl StringFlags {
    fn new(graph: &HeapGraph) -> Self {
        let strings = graph.strings();
        let mut tag = BitVec::new(strings.len());
        let mut object = BitVec::new(strings.len());
        for i in 0..strings.len() {
            let text = strings.get(i as u32);
            if text.starts_with('<') || text.starts_with("Detached <") {
                tag.set(i);
            }
            if text == "Object" {
                object.set(i);
            }
        }
        StringFlags { tag, object }
    }
}

/// The classes that depend on the type alone.
struct FixedClasses {
    system: u32,
    code: u32,
    function: u32,
    regexp: u32,
    /// `(<type>)` per type value.
    by_type: Vec<u32>,
}

impl FixedClasses {
    fn new(graph: &HeapGraph, names: &mut ClassNames) -> Self {
        let (system, code) = (names.intern("(system)"), names.intern("(compiled code)"));
        let (function, regexp) = (names.intern("Function"), names.intern("RegExp"));
        let by_type = graph
            .node_types()
            .names()
            .iter()
            .map(|t| names.intern(&format!("({t})")))
            .collect();
        FixedClasses {
            system,
            code,
            function,
            regexp,
            by_type,
        }
    }
}

fn class_of(
    graph: &HeapGraph,
    n: NodeIndex,
    fixed: &FixedClasses,
    flags: &StringFlags,
    detached: bool,
    names: &mut ClassNames,
) -> u32 {
    match graph.node_kind(n) {
        NodeKind::Hidden => fixed.system,
        NodeKind::Object | NodeKind::Native => {
            let name = graph.node_name_index(n);
            if !detached && !flags.tag.get(name as usize) {
                name
            } else {
                named_class(graph, n, detached, names)
            }
        }
        NodeKind::Code => fixed.code,
        NodeKind::Closure => fixed.function,
        NodeKind::RegExp => fixed.regexp,
        _ => fixed.by_type[usize::from(graph.node_type_index(n))],
    }
}

/// DevTools' rules for `object` and `native` nodes (the DOM ones only matter in browsers).
fn named_class(graph: &HeapGraph, n: NodeIndex, detached: bool, names: &mut ClassNames) -> u32 {
    let raw = graph.node_name(n);
    if !detached && !raw.starts_with('<') && !raw.starts_with("Detached <") {
        return graph.node_name_index(n);
    }
    let name = if detached {
        format!("Detached {raw}")
    } else {
        raw.to_owned()
    };
    let cut = if name.starts_with('<') {
        name.find(' ')
    } else if let Some(tag) = name.strip_prefix("Detached <") {
        // DevTools searches from index 10, the length of the prefix.
        tag.find(' ').map(|i| i + 10)
    } else {
        // A detached node with an ordinary name: the prefixed name is its class.
        return names.intern(&name);
    };
    match cut {
        Some(space) => names.intern(&format!("{}>", &name[..space])),
        None => names.intern(&name),
    }
}

/// DevTools' `propagateDOMState`: native nodes reachable (not through hidden or weak edges)
/// from a detached native node, and not from an attached one, are detached.
fn detached_nodes(graph: &HeapGraph, states: &[u8]) -> BitVec {
    let n = graph.node_count();
    let mut state = states.to_vec();
    let mut visited = BitVec::new(n);
    let mut detached = BitVec::new(n);
    let (mut attached_list, mut detached_list) = (Vec::new(), Vec::new());
    let mut process =
        |o: u32, new_state: u8, state: &mut Vec<u8>, att: &mut Vec<u32>, det: &mut Vec<u32>| {
            if visited.get(o as usize) {
                return;
            }
            visited.set(o as usize);
            if graph.node_kind(o) != NodeKind::Native {
                return;
            }
            state[o as usize] = new_state;
            if new_state == 1 {
                att.push(o);
            } else if new_state == 2 {
                detached.set(o as usize);
                det.push(o);
            }
        };
    for o in 0..n as u32 {
        let s = state[o as usize];
        if s != 0 {
            process(o, s, &mut state, &mut attached_list, &mut detached_list);
        }
    }
    let follows = |e: u32| !matches!(graph.edge_kind(e), EdgeKind::Hidden | EdgeKind::Weak);
    while let Some(o) = attached_list.pop() {
        for e in graph.edges(o).filter(|&e| follows(e)) {
            process(
                graph.edge_target(e),
                1,
                &mut state,
                &mut attached_list,
                &mut detached_list,
            );
        }
    }
    while let Some(o) = detached_list.pop() {
        if state[o as usize] == 1 {
            continue;
        }
        for e in graph.edges(o).filter(|&e| follows(e)) {
            process(
                graph.edge_target(e),
                2,
                &mut state,
                &mut attached_list,
                &mut detached_list,
            );
        }
    }
    detached
}

// ---------------------------------------------------------------------------------------------
// Interface definitions for plain objects

/// JavaScript's default string order (UTF-16 code units). UTF-8 byte order agrees with it
/// unless both strings hold characters at or above U+E000.
pub(crate) fn cmp_js(a: &str, b: &str) -> Ordering {
    if a.is_ascii() || b.is_ascii() {
        a.cmp(b)
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

/// JavaScript's `length`.
fn js_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// DevTools' `formatPropertyName`: names with `,'"{}` are quoted as JSON.
pub(crate) fn format_property_name(name: &str) -> std::borrow::Cow<'_, str> {
    if name.contains([',', '\'', '"', '{', '}']) {
        serde_json::to_string(name).map_or(name.into(), Into::into)
    } else {
        name.into()
    }
}

/// A popular property set and the name its objects get.
struct Definition {
    name: String,
    properties: Vec<u32>,
    count: u64,
}

fn is_plain_object(graph: &HeapGraph, flags: &StringFlags, n: NodeIndex) -> bool {
    graph.node_kind(n) == NodeKind::Object && flags.object.get(graph.node_name_index(n) as usize)
}

/// The plain objects grouped by their property edges' names in edge order (objects of one
/// hidden class share it): everything DevTools derives from an object's properties depends on
/// this sequence alone, so it is worked out once per group.
struct PropertyGroups {
    /// Each plain object (in node order) and its group.
    objects: Vec<(NodeIndex, u32)>,
    /// Group `g`'s names are `names[starts[g]..starts[g + 1]]`; groups in order of first object.
    starts: Vec<usize>,
    names: Vec<u32>,
    /// Objects per group.
    counts: Vec<u64>,
}

impl PropertyGroups {
    fn find(graph: &HeapGraph, flags: &StringFlags, property: Option<u8>) -> Self {
        let mut groups = PropertyGroups {
            objects: Vec::new(),
            starts: vec![0],
            names: Vec::new(),
            counts: Vec::new(),
        };
        let mut ids: FxHashMap<Vec<u32>, u32> = FxHashMap::default();
        let mut seq: Vec<u32> = Vec::new();
        for n in 0..graph.node_count() as NodeIndex {
            if !is_plain_object(graph, flags, n) {
                continue;
            }
            seq.clear();
            seq.extend(
                graph
                    .edges(n)
                    .filter(|&e| Some(graph.edge_type[e as usize]) == property)
                    .map(|e| graph.edge_name[e as usize]),
            );
            let group = match ids.get(seq.as_slice()) {
                Some(&g) => g,
                None => {
                    let g = groups.counts.len() as u32;
                    ids.insert(seq.clone(), g);
                    groups.names.extend_from_slice(&seq);
                    groups.starts.push(groups.names.len());
                    groups.counts.push(0);
                    g
                }
            };
            groups.counts[group as usize] += 1;
            groups.objects.push((n, group));
        }
        groups
    }

    fn len(&self) -> usize {
        self.counts.len()
    }

    fn names(&self, group: usize) -> &[u32] {
        &self.names[self.starts[group]..self.starts[group + 1]]
    }
}

/// DevTools' interface definitions: the popular property sets of plain objects, most common
/// first, each with the name (`{a, b, c}`) its objects get. Independent of any one graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceDefinitions {
    /// (name, properties) per definition.
    definitions: Vec<(String, Vec<String>)>,
}

impl InterfaceDefinitions {
    /// The definitions DevTools infers from `graph` (`inferInterfaceDefinitions`).
    pub fn infer(graph: &HeapGraph) -> InterfaceDefinitions {
        let flags = StringFlags::new(graph);
        let property = graph.edge_types().index_of(EdgeKind::Property);
        let groups = PropertyGroups::find(graph, &flags, property);
        Self::from_groups(graph, &groups)
    }

    fn from_groups(graph: &HeapGraph, groups: &PropertyGroups) -> InterfaceDefinitions {
        let definitions = infer_definitions(graph, groups)
            .into_iter()
            .map(|d| {
                let properties = d
                    .properties
                    .iter()
                    .map(|&p| graph.strings().get(p).to_owned())
                    .collect();
                (d.name, properties)
            })
            .collect();
        InterfaceDefinitions { definitions }
    }

    /// Number of definitions.
    pub fn len(&self) -> usize {
        self.definitions.len()
    }

    /// `true` when no property set is popular enough.
    pub fn is_empty(&self) -> bool {
        self.definitions.is_empty()
    }
}

fn apply_interfaces(
    graph: &HeapGraph,
    flags: &StringFlags,
    classes: &mut [u32],
    names: &mut ClassNames,
    interfaces: Option<&InterfaceDefinitions>,
) {
    let property = graph.edge_types().index_of(EdgeKind::Property);
    let groups = PropertyGroups::find(graph, flags, property);
    let inferred;
    let interfaces = match interfaces {
        Some(given) => given,
        None => {
            inferred = InterfaceDefinitions::from_groups(graph, &groups);
            &inferred
        }
    };
    let definitions = &interfaces.definitions;
    if definitions.is_empty() {
        // Every plain object keeps its own name, as it already does.
        return;
    }
    let trie = Trie::build(definitions);
    let mut props: Vec<&str> = Vec::new();
    let best: Vec<Option<usize>> = (0..groups.len())
        .map(|g| {
            props.clear();
            props.extend(groups.names(g).iter().map(|&i| graph.strings().get(i)));
            props.sort_by(|a, b| cmp_js(a, b));
            trie.best_match(&props)
        })
        .collect();
    let mut interface_ids: FxHashMap<usize, u32> = FxHashMap::default();
    for &(n, group) in &groups.objects {
        if let Some(index) = best[group as usize] {
            let id = *interface_ids
                .entry(index)
                .or_insert_with(|| names.intern(&definitions[index].0));
            classes[n as usize] = id;
        }
    }
}

/// DevTools' `inferInterfaceDefinitions`: property lists of plain objects, the most common
/// first, keeping those with at least max(2, objects / 1000) objects.
fn infer_definitions(graph: &HeapGraph, groups: &PropertyGroups) -> Vec<Definition> {
    let mut candidates: Vec<Definition> = Vec::new();
    let mut by_name: FxHashMap<String, usize> = FxHashMap::default();
    let total = groups.objects.len() as u64;
    let mut name = String::new();
    let mut properties = Vec::new();
    // Groups come in order of their first object, so names are met in the same order as
    // object by object.
    for group in 0..groups.len() {
        interface_name(graph, groups.names(group), &mut name, &mut properties);
        if properties.is_empty() {
            continue;
        }
        let count = groups.counts[group];
        match by_name.get(&name) {
            Some(&i) => candidates[i].count += count,
            None => {
                by_name.insert(name.clone(), candidates.len());
                candidates.push(Definition {
                    name: name.clone(),
                    properties: properties.clone(),
                    count,
                });
            }
        }
    }
    // A stable sort keeps first-seen order among equal counts, like Array.prototype.sort.
    candidates.sort_by_key(|c| std::cmp::Reverse(c.count));
    let min_count =
        MIN_OBJECT_COUNT_PER_INTERFACE.max(total as f64 / MIN_OBJECT_PROPORTION_PER_INTERFACE);
    candidates.retain(|c| c.count as f64 >= min_count);
    candidates
}

/// `{a, b, c}` from an object's property edge names (not `__proto__`), cut near 120
/// characters.
fn interface_name(
    graph: &HeapGraph,
    property_names: &[u32],
    name: &mut String,
    properties: &mut Vec<u32>,
) {
    name.clear();
    name.push('{');
    properties.clear();
    let mut len = 1;
    for &index in property_names {
        let edge_name = graph.strings().get(index);
        if edge_name == "__proto__" {
            continue;
        }
        let formatted = format_property_name(edge_name);
        let formatted_len = js_len(&formatted);
        if len > 1 && len + formatted_len > MAX_INTERFACE_NAME_LENGTH {
            break;
        }
        if len != 1 {
            name.push_str(", ");
            len += 2;
        }
        name.push_str(&formatted);
        len += formatted_len;
        properties.push(index);
    }
    name.push('}');
}

/// DevTools' property tree: one path per definition, properties sorted.
struct Trie<'a> {
    nodes: Vec<TrieNode<'a>>,
}

#[derive(Default)]
struct TrieNode<'a> {
    next: FxHashMap<&'a str, usize>,
    /// (property count, definition index) of the first definition ending here.
    matched: Option<(usize, usize)>,
    greatest_next: Option<&'a str>,
}

impl<'a> Trie<'a> {
    fn build(definitions: &'a [(String, Vec<String>)]) -> Self {
        let mut nodes = vec![TrieNode::default()];
        for (index, (_, properties)) in definitions.iter().enumerate() {
            let mut props: Vec<&str> = properties.iter().map(String::as_str).collect();
            props.sort_by(|a, b| cmp_js(a, b));
            let mut current = 0;
            for prop in &props {
                current = match nodes[current].next.get(prop) {
                    Some(&next) => next,
                    None => {
                        nodes.push(TrieNode::default());
                        let next = nodes.len() - 1;
                        let node = &mut nodes[current];
                        node.next.insert(prop, next);
                        if node
                            .greatest_next
                            .is_none_or(|g| cmp_js(g, prop) == Ordering::Less)
                        {
                            node.greatest_next = Some(prop);
                        }
                        next
                    }
                };
            }
            if nodes[current].matched.is_none() {
                nodes[current].matched = Some((props.len(), index));
            }
        }
        Trie { nodes }
    }

    /// The definition an object with these sorted properties gets (DevTools' state walk with
    /// `selectBetterMatch`: most properties, then the earliest definition).
    fn best_match(&self, props: &[&str]) -> Option<usize> {
        let better = |a: Option<(usize, usize)>, b: Option<(usize, usize)>| match (a, b) {
            (_, None) => a,
            // The fallback has 0 properties and index infinity: any definition beats it.
            (None, b) => b,
            (Some(x), Some(y)) => {
                if x.0 > y.0 {
                    a
                } else if y.0 > x.0 || y.1 < x.1 {
                    b
                } else {
                    a
                }
            }
        };
        let mut best: Option<(usize, usize)> = better(None, self.nodes[0].matched);
        let mut states: Vec<usize> = vec![0];
        let mut current: Vec<usize> = Vec::new();
        for prop in props {
            current.clone_from(&states);
            for &s in &current {
                let node = &self.nodes[s];
                if node
                    .greatest_next
                    .is_none_or(|g| cmp_js(prop, g) != Ordering::Less)
                {
                    states.retain(|&x| x != s);
                }
                if let Some(&next) = node.next.get(prop) {
                    if !states.contains(&next) {
                        states.push(next);
                    }
                    best = better(best, self.nodes[next].matched);
                }
            }
        }
        best.map(|(_, index)| index)
    }
}
