//! Tests of the leak groups on synthetic snapshots: containers looked through, dictionary keys
//! folded into path shapes, holders named, V8's own groups ranked last.

use crate::heap::analyses::leaks::{find_leaks, IdSet, LeakGroup, LeakReport, MIN_DICTIONARY_KEYS};
use crate::heap::graph::HeapGraph;
use crate::heap::testsnap::Snap;

/// A snapshot under construction that remembers which nodes are new (allocated between
/// baseline and target); every other node is old.
struct Heap {
    s: Snap,
    global: usize,
    new: Vec<usize>,
}

impl Heap {
    fn new() -> Self {
        let (s, global) = Snap::with_global();
        Heap {
            s,
            global,
            new: Vec::new(),
        }
    }

    fn old(&mut self, ty: &'static str, name: &str, size: u64) -> usize {
        self.s.node(ty, name, size)
    }

    fn new_node(&mut self, ty: &'static str, name: &str, size: u64) -> usize {
        let n = self.s.node(ty, name, size);
        self.new.push(n);
        n
    }

    fn edge(&mut self, from: usize, ty: &'static str, name: &str, to: usize) {
        self.s.edge(from, ty, name, to);
    }

    /// `global.app`, an old `App` object to hang things off.
    fn app(&mut self) -> usize {
        let app = self.old("object", "App", 16);
        self.edge(self.global, "property", "app", app);
        app
    }

    fn search(&self) -> (HeapGraph, LeakReport) {
        let graph = self.s.load();
        let analysis = graph.analyze();
        let new_ids: IdSet = self
            .new
            .iter()
            .map(|&n| self.s.nodes[n].id as u32)
            .collect();
        let (report, _tree) = find_leaks(&graph, &analysis, &new_ids);
        (graph, report)
    }
}

/// (class, count, shape, holder, internal, retained size) of each group, in report order.
type Row = (String, usize, String, Option<String>, bool, u64);

fn rows(report: &LeakReport) -> Vec<Row> {
    report.groups.iter().map(row).collect()
}

/// (class, count, folded) of each group, in report order.
fn folds(report: &LeakReport) -> Vec<(String, usize, u64)> {
    report
        .groups
        .iter()
        .map(|g| (g.class_name.clone(), g.roots.len(), g.folded))
        .collect()
}

fn row(g: &LeakGroup) -> Row {
    (
        g.class_name.clone(),
        g.roots.len(),
        g.path_shape.clone(),
        g.holder.clone(),
        g.internal,
        g.retained_size,
    )
}

fn expect(class: &str, count: usize, shape: &str, holder: &str, retained: u64) -> Row {
    (
        class.to_owned(),
        count,
        shape.to_owned(),
        Some(holder.to_owned()),
        false,
        retained,
    )
}

/// An old collection object (`Map`, `Set`) on `app.<field>` whose table is new (it grew), with
/// `count` new `Leaky` objects in it, each under a new string key when `keyed`.
fn collection(h: &mut Heap, class: &str, field: &str, count: usize, keyed: bool) {
    let app = h.app();
    let collection = h.old("object", class, 32);
    h.edge(app, "property", field, collection);
    let table = h.new_node("array", "", 16 + 24 * count as u64);
    h.edge(collection, "internal", "table", table);
    for i in 0..count {
        let leaky = h.new_node("object", "Leaky", 40);
        h.edge(table, "internal", &(3 + 3 * i).to_string(), leaky);
        if keyed {
            let key = h.new_node("string", &format!("key-{i}"), 20);
            h.edge(table, "internal", &(4 + 3 * i).to_string(), key);
        }
    }
}

#[test]
fn objects_leaked_into_a_map_are_grouped_by_their_class_not_as_the_table() {
    let mut h = Heap::new();
    collection(&mut h, "Map", "cache", 50, true);
    let (_, report) = h.search();
    // The table's own bytes went to the Map (DevTools' shallow-size reassignment); the entries
    // are the roots: 50 Leaky objects and their 50 keys.
    assert_eq!(
        rows(&report),
        vec![
            expect(
                "Leaky",
                50,
                "global.app → App.cache → Map.table → (array)[] → Leaky",
                "Map",
                50 * 40
            ),
            expect(
                "(string)",
                50,
                "global.app → App.cache → Map.table → (array)[] → (string)",
                "Map",
                50 * 20
            ),
        ]
    );
    assert_eq!(report.leaked_nodes, 101);
}

#[test]
fn objects_leaked_into_a_set_are_grouped_by_their_class() {
    let mut h = Heap::new();
    collection(&mut h, "Set", "seen", 30, false);
    let (_, report) = h.search();
    assert_eq!(
        rows(&report),
        vec![expect(
            "Leaky",
            30,
            "global.app → App.seen → Set.table → (array)[] → Leaky",
            "Set",
            30 * 40
        )]
    );
}

#[test]
fn weakmap_values_of_old_keys_name_the_weakmap_as_holder() {
    let mut h = Heap::new();
    let app = h.app();
    let weakmap = h.old("object", "WeakMap", 32);
    h.edge(app, "property", "meta", weakmap);
    let table = h.new_node("array", "", 400);
    h.edge(weakmap, "internal", "table", table);
    let keys = h.old("object", "Array", 32);
    h.edge(app, "property", "users", keys);
    let table_id = h.s.nodes[table].id;
    for i in 0..10 {
        let key = h.old("object", "User", 24);
        h.edge(keys, "element", &i.to_string(), key);
        let value = h.new_node("object", "Leaky", 40);
        let pair = format!(
            "/ part of key (User @{}) -> value (Leaky @{}) pair in WeakMap (table @{table_id})",
            h.s.nodes[key].id, h.s.nodes[value].id
        );
        h.edge(table, "internal", &format!("{} {pair}", 3 * i + 4), value);
        h.edge(key, "internal", &format!("{} {pair}", 2), value);
    }
    let (_, report) = h.search();
    let leaky = row(&report.groups[0]);
    assert_eq!(
        (leaky.0.as_str(), leaky.1, leaky.3.as_deref(), leaky.4),
        ("Leaky", 10, Some("WeakMap"), false)
    );
    assert!(leaky.2.ends_with("[WeakMap entry] → Leaky"), "{}", leaky.2);
}

/// `app.<field>`: an old object in dictionary mode (its `properties` store holds the entries
/// under numbered `internal` edges) with `keys` properties, each holding a new `Leaky`.
fn dictionary(h: &mut Heap, field: &str, keys: usize, store_edges: &'static str) -> usize {
    let app = h.app();
    let dict = h.old("object", "Object", 24);
    h.edge(app, "property", field, dict);
    let store = h.new_node("array", "(object properties)", 16 + 24 * keys as u64);
    h.edge(dict, "internal", "properties", store);
    for i in 0..keys {
        let leaky = h.new_node("object", "Leaky", 40);
        h.edge(dict, "property", &format!("session-{i}"), leaky);
        let key = h.old("string", &format!("session-{i}"), 20);
        match store_edges {
            // A dictionary: key and value entries.
            "internal" => {
                h.edge(store, "internal", &(3 + 3 * i).to_string(), key);
                h.edge(store, "internal", &(4 + 3 * i).to_string(), leaky);
            }
            // A fast object's property array.
            _ => h.edge(store, "hidden", &i.to_string(), leaky),
        }
    }
    dict
}

#[test]
fn dictionary_keys_are_folded_into_the_path_shape() {
    let mut h = Heap::new();
    dictionary(&mut h, "sessions", 40, "internal");
    let (_, report) = h.search();
    assert_eq!(
        rows(&report),
        vec![expect(
            "Leaky",
            40,
            "global.app → App.sessions → Object[key] → Leaky",
            "Object (dictionary)",
            40 * 40
        )]
    );
}

#[test]
fn small_dictionaries_and_fast_objects_keep_their_property_names() {
    // Below MIN_DICTIONARY_KEYS (V8 also puts small objects in dictionary mode, e.g. after a
    // `delete`): one group per property, as for a fast object with many properties.
    let few = MIN_DICTIONARY_KEYS - 1;
    for (keys, store) in [(few, "internal"), (40, "hidden")] {
        let mut h = Heap::new();
        dictionary(&mut h, "named", keys, store);
        let (_, report) = h.search();
        assert_eq!(report.groups.len(), keys, "{keys} {store}");
        let first = row(&report.groups[0]);
        assert!(
            first
                .2
                .starts_with("global.app → App.named → Object.session-"),
            "{}",
            first.2
        );
        assert_eq!(first.3.as_deref(), Some("Object"));
    }
}

#[test]
fn the_global_object_is_not_a_dictionary_of_its_values() {
    // The global object's dictionary holds property cells, not the values themselves.
    let mut h = Heap::new();
    let store = h.old("array", "(object properties)", 100);
    let global = h.global;
    h.edge(global, "internal", "properties", store);
    for i in 0..MIN_DICTIONARY_KEYS + 4 {
        let leaky = h.new_node("object", "Leaky", 40);
        h.edge(global, "property", &format!("g{i}"), leaky);
        let cell = h.old("hidden", "system / PropertyCell", 16);
        h.edge(store, "internal", &(4 + 3 * i).to_string(), cell);
        h.edge(cell, "internal", "value", leaky);
    }
    let (_, report) = h.search();
    assert_eq!(report.groups.len(), MIN_DICTIONARY_KEYS + 4);
    assert_eq!(row(&report.groups[0]).2, "global.g0 → Leaky");
}

/// A new closure named `name` whose new context holds `captured` under the variable `o`.
fn closure_over(h: &mut Heap, name: &str, captured: usize) -> usize {
    let closure = h.new_node("closure", name, 56);
    let context = h.new_node("object", "system / Context", 40);
    h.edge(closure, "internal", "context", context);
    h.edge(context, "context", "o", captured);
    closure
}

#[test]
fn objects_captured_by_closures_are_grouped_by_their_class() {
    let mut h = Heap::new();
    let app = h.app();
    let handlers = h.old("object", "Array", 32);
    h.edge(app, "property", "handlers", handlers);
    for i in 0..20 {
        let leaky = h.new_node("object", "Leaky", 40);
        let closure = closure_over(&mut h, "", leaky);
        h.edge(handlers, "element", &i.to_string(), closure);
    }
    // A closure holding no object stays a root of its own.
    let text = h.new_node("string", "just text", 24);
    let closure = closure_over(&mut h, "format", text);
    h.edge(handlers, "element", "20", closure);
    let (_, report) = h.search();
    assert_eq!(
        rows(&report),
        vec![
            // Each closure and its context count with the object they hold.
            expect(
                "Leaky",
                20,
                "global.app → App.handlers → Array[] → Function.context → system / Context.o → Leaky",
                "closure (anonymous)",
                20 * (56 + 40 + 40)
            ),
            expect(
                "Function",
                1,
                "global.app → App.handlers → Array[] → format()",
                "Array",
                56 + 40 + 24
            ),
        ]
    );
}

#[test]
fn objects_captured_by_event_listeners_name_the_emitter() {
    let mut h = Heap::new();
    let app = h.app();
    let emitter = h.old("object", "EventEmitter", 40);
    h.edge(app, "property", "bus", emitter);
    let events = h.old("object", "Object", 24);
    h.edge(emitter, "property", "_events", events);
    // The listener array was created when the second listener came, after the baseline.
    let list = h.new_node("object", "Array", 32);
    h.edge(events, "property", "data", list);
    let elements = h.new_node("array", "(object elements)", 16 + 8 * 25);
    h.edge(list, "internal", "elements", elements);
    for i in 0..25 {
        let leaky = h.new_node("object", "Leaky", 40);
        let listener = closure_over(&mut h, "onData", leaky);
        h.edge(list, "element", &i.to_string(), listener);
        h.edge(elements, "internal", &i.to_string(), listener);
    }
    let (_, report) = h.search();
    let leaked_bytes = 32 + 16 + 8 * 25 + 25 * (56 + 40 + 40);
    assert_eq!(
        rows(&report),
        vec![expect(
            "Leaky",
            25,
            "global.app → App.bus → EventEmitter._events → Object.data → Array[] → onData().context → system / Context.o → Leaky",
            "EventEmitter listener onData()",
            leaked_bytes
        )]
    );
}

#[test]
fn groups_v8_allocated_itself_come_after_the_user_groups() {
    let mut h = Heap::new();
    let app = h.app();
    let leaky = h.new_node("object", "Leaky", 40);
    h.edge(app, "property", "one", leaky);
    // Bigger, but V8's own: code compiled for an old function, with its data, a shape, a
    // feedback vector and a hidden system object.
    let function = h.old("closure", "handler", 56);
    h.edge(app, "property", "handler", function);
    let code = h.new_node("code", "(code for handler)", 10_000);
    h.edge(function, "internal", "code", code);
    let shared = h.old("code", "system / SharedFunctionInfo", 56);
    h.edge(function, "internal", "shared", shared);
    // Data is V8's when its holder is. (Two owners: it keeps its own size.)
    let data = h.new_node("array", "", 3_000);
    h.edge(shared, "internal", "function_data", data);
    let scope = h.old("code", "system / ScopeInfo", 64);
    h.edge(shared, "internal", "scope_info", scope);
    h.edge(scope, "internal", "data", data);
    let name = h.new_node("string", "handler name", 2_000);
    h.edge(shared, "internal", "inferred_name", name);
    let shape = h.new_node("object shape", "system / Map", 5_000);
    h.edge(app, "internal", "map", shape);
    let feedback = h.new_node("object", "system / FeedbackVector", 4_000);
    h.edge(function, "internal", "feedback", feedback);
    let hidden = h.new_node("hidden", "system / PropertyCell", 1_000);
    h.edge(app, "internal", "cell", hidden);
    let (_, report) = h.search();
    let order: Vec<(String, bool)> = report
        .groups
        .iter()
        .map(|g| (g.class_name.clone(), g.internal))
        .collect();
    assert_eq!(
        order,
        vec![
            ("Leaky".to_owned(), false),
            ("(compiled code)".to_owned(), true),
            ("(object shape)".to_owned(), true),
            ("system / FeedbackVector".to_owned(), true),
            ("(array)".to_owned(), true),
            ("(string)".to_owned(), true),
            ("(system)".to_owned(), true),
        ],
        "{:#?}",
        rows(&report)
    );
    assert_eq!(report.internal_group_count(), 6);
}

#[test]
fn long_chains_of_new_containers_are_looked_through_without_recursion() {
    let mut h = Heap::new();
    let app = h.app();
    let mut outer = h.new_node("object", "Array", 32);
    h.edge(app, "property", "nested", outer);
    for _ in 0..200_000 {
        let inner = h.new_node("object", "Array", 32);
        h.edge(outer, "element", "0", inner);
        outer = inner;
    }
    let leaky = h.new_node("object", "Leaky", 40);
    h.edge(outer, "element", "0", leaky);
    let (_, report) = h.search();
    assert_eq!(report.groups.len(), 1);
    let group = row(&report.groups[0]);
    assert_eq!((group.0.as_str(), group.1), ("Leaky", 1));
    assert_eq!(
        group.5,
        200_001 * 32 + 40,
        "every array carried by the object"
    );
}

#[test]
fn a_new_plain_dictionary_is_looked_through_but_a_class_instance_stays_a_root() {
    for (class, expected) in [("Object", "Leaky"), ("Registry", "Registry")] {
        let mut h = Heap::new();
        let app = h.app();
        let dict = h.new_node("object", class, 24);
        h.edge(app, "property", "index", dict);
        let store = h.new_node("array", "(object properties)", 1_000);
        h.edge(dict, "internal", "properties", store);
        for i in 0..MIN_DICTIONARY_KEYS {
            let leaky = h.new_node("object", "Leaky", 40);
            h.edge(dict, "property", &format!("k{i}"), leaky);
            h.edge(store, "internal", &(4 + 3 * i).to_string(), leaky);
        }
        let (_, report) = h.search();
        let groups: Vec<(String, usize, u64)> = report
            .groups
            .iter()
            .map(|g| (g.class_name.clone(), g.roots.len(), g.retained_size))
            .collect();
        let count = if class == "Object" {
            MIN_DICTIONARY_KEYS
        } else {
            1
        };
        let all = 24 + 1_000 + 40 * MIN_DICTIONARY_KEYS as u64;
        assert_eq!(groups, vec![(expected.to_owned(), count, all)], "{class}");
    }
}

/// An event library that keeps every id it sent (`'evt-' + n + '-' + name`, a new
/// concatenated string whose first half is a new string a cache also holds).
fn event_bus(h: &mut Heap, ids: usize) {
    let bus = h.old("object", "EventBus", 32);
    h.edge(h.global, "property", "bus", bus);
    let sent = h.old("object", "Array", 32);
    h.edge(bus, "property", "sentEvents", sent);
    let name = h.old("string", "send", 20);
    // A cache further from the global also holds the first halves: no id dominates its half,
    // and the shortest path to a half goes through its id.
    let mut cache = h.global;
    for field in ["lib", "strings", "numbers", "cache"] {
        let next = h.old("object", "Cache", 16);
        h.edge(cache, "property", field, next);
        cache = next;
    }
    for i in 0..ids {
        let id = h.new_node("concatenated string", &format!("evt-{i}-send"), 32);
        h.edge(sent, "element", &i.to_string(), id);
        let first = h.new_node("string", &format!("evt-{i}-"), 24);
        h.edge(id, "internal", "first", first);
        h.edge(id, "internal", "second", name);
        h.edge(cache, "internal", &i.to_string(), first);
    }
}

#[test]
fn parts_of_leaked_strings_are_folded_into_the_strings_group() {
    let mut h = Heap::new();
    event_bus(&mut h, 300);
    let (_, report) = h.search();
    // Without folding: 300 `(concatenated string)` and 300 `(string)` halves under them.
    assert_eq!(
        rows(&report),
        vec![expect(
            "(concatenated string)",
            300,
            "global.bus → EventBus.sentEvents → Array[] → (concatenated string)",
            "Array",
            300 * (32 + 24)
        )]
    );
    assert_eq!(
        folds(&report),
        vec![("(concatenated string)".into(), 300, 300)]
    );
    assert_eq!(report.leaked_nodes, 600);
}

#[test]
fn a_group_reached_through_an_old_object_is_not_folded() {
    let mut h = Heap::new();
    let app = h.app();
    let list = h.old("object", "Array", 32);
    h.edge(app, "property", "list", list);
    for i in 0..3 {
        let leaky = h.new_node("object", "Leaky", 40);
        h.edge(list, "element", &i.to_string(), leaky);
    }
    let old = h.old("object", "Leaky", 40);
    h.edge(list, "element", "3", old);
    let label = h.new_node("string", "label", 20);
    h.edge(old, "property", "label", label);
    let (_, report) = h.search();
    assert_eq!(
        rows(&report),
        vec![
            expect(
                "Leaky",
                3,
                "global.app → App.list → Array[] → Leaky",
                "Array",
                3 * 40
            ),
            expect(
                "(string)",
                1,
                "global.app → App.list → Array[] → Leaky.label → (string)",
                "Leaky",
                20
            ),
        ]
    );
    assert_eq!(
        folds(&report),
        vec![("Leaky".into(), 3, 0), ("(string)".into(), 1, 0)]
    );
}
