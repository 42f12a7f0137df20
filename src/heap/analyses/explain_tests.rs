//! `explain` on small synthetic snapshots shaped like Node's: markers as WeakMap values, and
//! each way an old generation is held.

use crate::heap::analyses::explain::{explain, ExplainOptions, Explanation, Role, StaleGeneration};
use crate::heap::analyses::holder::HolderKind;
use crate::heap::testsnap::Snap;

/// A snapshot with a global object and modswap's marker WeakMap.
struct App {
    s: Snap,
    global: usize,
    table: usize,
    entries: usize,
}

impl App {
    fn new() -> App {
        let (mut s, global) = Snap::with_global();
        let tracker = s.node("object", "Object", 20);
        s.edge(global, "property", "__modswapTracker", tracker);
        let weakmap = s.node("object", "WeakMap", 20);
        s.edge(tracker, "property", "markers", weakmap);
        let table = s.node("array", "", 100);
        s.edge(weakmap, "internal", "table", table);
        App {
            s,
            global,
            table,
            entries: 0,
        }
    }

    fn id(&self, n: usize) -> u64 {
        self.s.nodes[n].id
    }

    fn string(&mut self, text: &str) -> usize {
        self.s.node("string", text, 16)
    }

    /// Marks `key` as V8 writes a WeakMap entry: a weak and an internal edge from the table,
    /// an internal edge from the key, both internal ones named after the pair.
    fn mark(&mut self, key: usize, file: &str, generation: &str, role: &str, name: &str) -> usize {
        let marker = self.s.node("object", "ModswapGeneration", 32);
        for (field, value) in [
            ("file", file),
            ("generation", generation),
            ("role", role),
            ("name", name),
        ] {
            let text = self.string(value);
            self.s.edge(marker, "property", field, text);
        }
        let pair = format!(
            " / part of key ({} @{}) -> value (ModswapGeneration @{}) pair in WeakMap (table @{})",
            self.s.nodes[key].name,
            self.id(key),
            self.id(marker),
            self.id(self.table)
        );
        self.entries += 3;
        let (table, entries) = (self.table, self.entries);
        self.s.edge(table, "weak", &entries.to_string(), marker);
        self.s
            .edge(table, "internal", &format!("{}{pair}", entries + 1), marker);
        self.s.edge(key, "internal", &format!("1{pair}"), marker);
        marker
    }

    /// A `Module` object for `file`.
    fn module(&mut self, file: &str) -> usize {
        let module = self.s.node("object", "Module", 80);
        let name = self.string(file);
        self.s.edge(module, "property", "id", name);
        self.s.edge(module, "property", "filename", name);
        module
    }

    /// An old generation of `file`: its Module, exports and one exported function `handler`,
    /// all marked. Returns (module, exports, handler).
    fn old_generation(&mut self, file: &str, generation: &str) -> (usize, usize, usize) {
        let module = self.module(file);
        let exports = self.s.node("object", "Object", 24);
        self.s.edge(module, "property", "exports", exports);
        let handler = self.closure("handler", file);
        self.s.edge(exports, "property", "handler", handler);
        self.mark(module, file, generation, "module", "");
        self.mark(exports, file, generation, "exports", "");
        self.mark(handler, file, generation, "export", "handler");
        (module, exports, handler)
    }

    /// A closure compiled from `script`, with a context (returned second).
    fn closure(&mut self, name: &str, script: &str) -> usize {
        let closure = self.s.node("closure", name, 32);
        let shared = self.s.node("code", "(shared function info)", 40);
        let source = self.s.node("code", script, 40);
        self.s.edge(closure, "internal", "shared", shared);
        self.s
            .edge(shared, "internal", "script_or_debug_info", source);
        closure
    }

    /// A context of `closure` holding `variable` → `value`.
    fn context(&mut self, closure: usize, variable: &str, value: usize) -> usize {
        let context = self.s.node("object", "system / Context", 40);
        self.s.edge(closure, "internal", "context", context);
        self.s.edge(context, "context", variable, value);
        context
    }

    fn explain(&self) -> Explanation {
        explain(&self.s.load(), &ExplainOptions::default())
    }
}

fn only(explanation: &Explanation) -> &StaleGeneration {
    assert_eq!(explanation.generations.len(), 1, "{explanation:#?}");
    &explanation.generations[0]
}

fn edges(g: &StaleGeneration) -> Vec<&str> {
    g.steps.iter().map(|s| s.edge.as_str()).collect()
}

fn culprit(g: &StaleGeneration) -> (HolderKind, &str, String) {
    let holder = g.holder.expect("a holder");
    let owner = holder
        .node
        .and_then(|n| g.path.iter().position(|s| s.node == n))
        .map_or_else(|| "(root)".to_owned(), |at| g.steps[at].node.name.clone());
    (holder.kind, g.steps[holder.step].edge.as_str(), owner)
}

#[test]
fn markers_resolve_to_the_values_they_mark() {
    let mut app = App::new();
    let (module, exports, handler) = app.old_generation("/app/x.js", "3");
    app.s.edge(app.global, "property", "keep", module);
    let e = app.explain();
    assert_eq!(e.markers, 3);
    let g = only(&e);
    assert_eq!((g.file.as_str(), g.generation.as_str()), ("/app/x.js", "3"));
    let values: Vec<(u64, Role, &str)> = g
        .values
        .iter()
        .map(|v| (2 * u64::from(v.node) + 1, v.role, v.export_name.as_str()))
        .collect();
    assert_eq!(
        values,
        vec![
            (app.id(module), Role::Module, ""),
            (app.id(exports), Role::Exports, ""),
            (app.id(handler), Role::Export, "handler"),
        ]
    );
    assert_eq!(g.chosen_value().role, Role::Module);
    assert_eq!(g.distance, Some(2));
    assert_eq!(edges(g), vec!["1", "keep"]);
    assert_eq!(g.node.name, "Module(/app/x.js #3)");
    assert_eq!(g.node.id as u64, app.id(module));
}

#[test]
fn the_value_nearest_the_roots_is_explained() {
    let mut app = App::new();
    let (module, _, handler) = app.old_generation("/app/x.js", "2");
    let deep = app.s.node("object", "Object", 10);
    let deeper = app.s.node("object", "Object", 10);
    app.s.edge(app.global, "property", "a", deep);
    app.s.edge(deep, "property", "b", deeper);
    app.s.edge(deeper, "property", "c", module);
    app.s.edge(app.global, "property", "direct", handler);
    let e = app.explain();
    let g = only(&e);
    assert_eq!(g.chosen_value().role, Role::Export);
    assert_eq!(g.chosen_value().export_name, "handler");
    assert_eq!(g.distance, Some(2));
    assert_eq!(edges(g), vec!["1", "direct"]);
    assert_eq!(g.node.name, "handler(/app/x.js #2)");
}

#[test]
fn a_generation_behind_weak_edges_only_is_not_found() {
    let mut app = App::new();
    let (module, _, _) = app.old_generation("/app/x.js", "1");
    let weakref = app.s.node("object", "WeakRef", 16);
    app.s.edge(app.global, "property", "ref", weakref);
    app.s.edge(weakref, "weak", "target", module);
    let e = app.explain();
    let g = only(&e);
    assert!(!g.found());
    assert_eq!(g.distance, None);
    assert!(g.path.is_empty() && g.holder.is_none());
    assert!(e.groups.is_empty());
}

#[test]
fn a_marker_without_its_key_edge_is_counted_but_explains_nothing() {
    let mut app = App::new();
    let orphan = app.s.node("object", "ModswapGeneration", 32);
    let role = app.string("module");
    app.s.edge(orphan, "property", "role", role);
    let (module, _, _) = app.old_generation("/app/y.js", "1");
    app.s.edge(app.global, "property", "keep", module);
    let e = app.explain();
    assert_eq!(e.markers, 4);
    assert_eq!(only(&e).file, "/app/y.js");
}

/// Node's timer list: `timerListMap[ms]` → TimersList → Timeout → `_onTimeout` closure.
fn hold_with_timer(app: &mut App, ms: &str, value: usize, file: &str) {
    let set_timeout = app.closure("setTimeout", "node:timers");
    app.s
        .edge(app.global, "property", "setTimeout", set_timeout);
    let map = app.s.node("object", "Object", 20);
    app.context(set_timeout, "timerListMap", map);
    let list = app.s.node("object", "TimersList", 40);
    app.s.edge(map, "element", ms, list);
    let timeout = app.s.node("object", "Timeout", 60);
    app.s.edge(list, "property", "_idlePrev", timeout);
    let callback = app.closure("", file);
    app.s.edge(timeout, "property", "_onTimeout", callback);
    app.context(callback, "handler", value);
}

#[test]
fn a_timer_is_named_with_its_callback_edge() {
    let mut app = App::new();
    let (_, _, handler) = app.old_generation("/app/x.js", "1");
    hold_with_timer(&mut app, "1000", handler, "/app/x.js");
    let e = app.explain();
    let g = only(&e);
    assert_eq!(
        edges(g),
        vec![
            "1",
            "setTimeout",
            "context",
            "timerListMap",
            "1000",
            "_idlePrev",
            "_onTimeout",
            "context",
            "handler"
        ]
    );
    assert_eq!(
        culprit(g),
        (HolderKind::Timer, "_onTimeout", "Timeout".to_owned())
    );
}

#[test]
fn a_listener_names_the_event_and_the_emitter() {
    let mut app = App::new();
    let (_, _, handler) = app.old_generation("/app/x.js", "1");
    let process = app.s.node("object", "process", 100);
    app.s.edge(app.global, "property", "process", process);
    let events = app.s.node("object", "Object", 40);
    app.s.edge(process, "property", "_events", events);
    let listeners = app.s.node("object", "Array", 16);
    app.s.edge(events, "property", "SIGUSR2", listeners);
    app.s.edge(listeners, "element", "0", handler);
    let e = app.explain();
    let g = only(&e);
    assert_eq!(
        culprit(g),
        (HolderKind::Listener, "SIGUSR2", "process".to_owned())
    );
    assert!(g.holder.unwrap().on_process);
}

#[test]
fn a_listener_on_another_emitter_is_not_on_process() {
    let mut app = App::new();
    let (_, _, handler) = app.old_generation("/app/x.js", "1");
    let bus = app.s.node("object", "EventEmitter", 100);
    app.s.edge(app.global, "property", "bus", bus);
    let events = app.s.node("object", "Object", 40);
    app.s.edge(bus, "property", "_events", events);
    app.s.edge(events, "property", "data", handler);
    let g = app.explain().generations.remove(0);
    assert_eq!(
        culprit(&g),
        (HolderKind::Listener, "data", "EventEmitter".to_owned())
    );
    assert!(!g.holder.unwrap().on_process);
}

#[test]
fn a_second_parent_lists_the_old_module_in_its_children() {
    let mut app = App::new();
    let (module, _, _) = app.old_generation("/app/x.js", "4");
    let stranger = app.module("/app/stranger.js");
    app.s.edge(app.global, "property", "__stranger", stranger);
    let children = app.s.node("object", "Array", 16);
    app.s.edge(stranger, "property", "children", children);
    app.s.edge(children, "element", "0", module);
    let e = app.explain();
    let g = only(&e);
    assert_eq!(
        culprit(g),
        (
            HolderKind::Children,
            "children",
            "Module(/app/stranger.js)".to_owned()
        )
    );
    assert_eq!(g.steps.last().unwrap().node.name, "Module(/app/x.js #4)");
}

#[test]
fn children_of_current_modules_on_the_way_are_not_the_culprit() {
    // mainModule → children → Module(y) (current) → exports → run → context → handler.
    let mut app = App::new();
    let (_, _, handler) = app.old_generation("/app/x.js", "1");
    let main = app.module("/app/main.js");
    app.s.edge(app.global, "property", "mainModule", main);
    let children = app.s.node("object", "Array", 16);
    app.s.edge(main, "property", "children", children);
    let y = app.module("/app/y.js");
    app.s.edge(children, "element", "0", y);
    let exports = app.s.node("object", "Object", 24);
    app.s.edge(y, "property", "exports", exports);
    let run = app.closure("run", "/app/y.js");
    app.s.edge(exports, "property", "run", run);
    app.context(run, "handler", handler);
    let e = app.explain();
    assert_eq!(
        culprit(only(&e)),
        (
            HolderKind::CapturedExports,
            "handler",
            "Module(/app/y.js)".to_owned()
        )
    );
}

#[test]
fn a_closure_of_another_app_file_captures_without_a_module_on_the_path() {
    let mut app = App::new();
    let (_, exports, _) = app.old_generation("/app/x.js", "1");
    let route = app.closure("route", "/app/routes.js");
    app.s.edge(app.global, "property", "route", route);
    app.context(route, "x", exports);
    let e = app.explain();
    assert_eq!(
        culprit(only(&e)),
        (HolderKind::CapturedExports, "x", "route".to_owned())
    );
}

#[test]
fn the_last_parent_record_wins_over_the_package_it_belongs_to() {
    let mut app = App::new();
    let (module, _, _) = app.old_generation("/app/x.js", "2");
    let cache = app.s.node("object", "Object", 40);
    app.s.edge(app.global, "property", "_cache", cache);
    let dep = app.module("/app/node_modules/dep/index.js");
    app.s
        .edge(cache, "property", "/app/node_modules/dep/index.js", dep);
    app.s
        .edge(dep, "property", "<symbol node:module_last_parent>", module);
    let e = app.explain();
    assert_eq!(
        culprit(only(&e)),
        (
            HolderKind::LastParent,
            "<symbol node:module_last_parent>",
            "Module(/app/node_modules/dep/index.js)".to_owned()
        )
    );
}

#[test]
fn the_first_parent_record_is_its_own_kind() {
    let mut app = App::new();
    let (module, _, _) = app.old_generation("/app/x.js", "2");
    let dep = app.module("/app/dep.js");
    app.s.edge(app.global, "property", "dep", dep);
    app.s
        .edge(dep, "property", "<symbol node:module_parent>", module);
    let e = app.explain();
    assert_eq!(
        culprit(only(&e)),
        (
            HolderKind::FirstParent,
            "<symbol node:module_parent>",
            "Module(/app/dep.js)".to_owned()
        )
    );
}

#[test]
fn a_package_cache_is_named_by_the_package_variable_that_holds_it() {
    // Module(pkg) → exports → remember (pkg closure) → context → cache → [0] → closure → handler.
    let mut app = App::new();
    let (_, _, handler) = app.old_generation("/app/x.js", "1");
    let pkg = app.module("/app/node_modules/cachepkg/index.js");
    app.s.edge(app.global, "property", "pkg", pkg);
    let exports = app.s.node("object", "Object", 24);
    app.s.edge(pkg, "property", "exports", exports);
    let remember = app.closure("", "/app/node_modules/cachepkg/index.js");
    app.s.edge(exports, "property", "remember", remember);
    let cache = app.s.node("object", "Array", 16);
    app.context(remember, "cache", cache);
    let callback = app.closure("", "/app/x.js");
    app.s.edge(cache, "element", "0", callback);
    app.context(callback, "handler", handler);
    let e = app.explain();
    let g = only(&e);
    assert_eq!(
        culprit(g),
        (
            HolderKind::Package,
            "cache",
            "Module(/app/node_modules/cachepkg/index.js)".to_owned()
        )
    );
}

#[test]
fn an_app_module_reached_through_a_package_is_the_closer_holder() {
    // Module(pkg) → children → Module(y) (current) → exports → keep → handler.
    let mut app = App::new();
    let (_, _, handler) = app.old_generation("/app/x.js", "1");
    let pkg = app.module("/app/node_modules/framework/index.js");
    app.s.edge(app.global, "property", "pkg", pkg);
    let children = app.s.node("object", "Array", 16);
    app.s.edge(pkg, "property", "children", children);
    let y = app.module("/app/y.js");
    app.s.edge(children, "element", "0", y);
    let exports = app.s.node("object", "Object", 24);
    app.s.edge(y, "property", "exports", exports);
    app.s.edge(exports, "property", "keep", handler);
    let e = app.explain();
    assert_eq!(
        culprit(only(&e)),
        (
            HolderKind::CapturedExports,
            "exports",
            "Module(/app/y.js)".to_owned()
        )
    );
}

#[test]
fn anything_else_is_other_with_the_last_edge() {
    let mut app = App::new();
    let (_, exports, _) = app.old_generation("/app/x.js", "1");
    let bag = app.s.node("object", "Object", 16);
    app.s.edge(app.global, "property", "bag", bag);
    app.s.edge(bag, "property", "old", exports);
    let e = app.explain();
    assert_eq!(
        culprit(only(&e)),
        (HolderKind::Other, "old", "Object".to_owned())
    );
}

#[test]
fn a_listener_inside_a_timer_callback_is_the_closer_holder() {
    let mut app = App::new();
    let (_, _, handler) = app.old_generation("/app/x.js", "1");
    let bus = app.s.node("object", "EventEmitter", 100);
    hold_with_timer(&mut app, "50", bus, "node:internal/whatever");
    let events = app.s.node("object", "Object", 40);
    app.s.edge(bus, "property", "_events", events);
    app.s.edge(events, "property", "tick", handler);
    let e = app.explain();
    assert_eq!(culprit(only(&e)).0, HolderKind::Listener);
}

#[test]
fn generations_held_the_same_way_are_grouped() {
    let mut app = App::new();
    let (_, _, first) = app.old_generation("/app/x.js", "1");
    let (_, _, second) = app.old_generation("/app/x.js", "2");
    let (_, exports, _) = app.old_generation("/app/y.js", "7");
    hold_with_timer(&mut app, "1000", first, "/app/x.js");
    hold_with_timer(&mut app, "2000", second, "/app/x.js");
    let bag = app.s.node("object", "Object", 16);
    app.s.edge(app.global, "property", "bag", bag);
    app.s.edge(bag, "property", "old", exports);
    let e = app.explain();
    let names: Vec<(&str, &str)> = e
        .generations
        .iter()
        .map(|g| (g.file.as_str(), g.generation.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![("/app/x.js", "1"), ("/app/x.js", "2"), ("/app/y.js", "7")]
    );
    let groups: Vec<(HolderKind, Vec<usize>)> = e
        .groups
        .iter()
        .map(|g| (g.kind, g.generations.clone()))
        .collect();
    assert_eq!(
        groups,
        vec![
            (HolderKind::Timer, vec![0, 1]),
            (HolderKind::Other, vec![2])
        ]
    );
    let timer = &e.groups[0].signature;
    assert!(timer.contains("[] → TimersList"), "{timer}");
    assert!(timer.ends_with("handler → <export>"), "{timer}");
    assert!(!timer.contains('#') && !timer.contains('@'), "{timer}");
}

#[test]
fn generations_sort_by_number_not_text() {
    let mut app = App::new();
    for generation in ["10", "9", "0"] {
        let (module, _, _) = app.old_generation("/app/x.js", generation);
        app.s
            .edge(app.global, "property", &format!("g{generation}"), module);
    }
    let e = app.explain();
    let order: Vec<&str> = e
        .generations
        .iter()
        .map(|g| g.generation.as_str())
        .collect();
    assert_eq!(order, vec!["0", "9", "10"]);
}

#[test]
fn a_snapshot_without_markers_explains_nothing() {
    let (mut s, global) = Snap::with_global();
    let thing = s.node("object", "Thing", 10);
    s.edge(global, "property", "thing", thing);
    let e = explain(&s.load(), &ExplainOptions::default());
    assert_eq!(e.markers, 0);
    assert!(e.generations.is_empty() && e.groups.is_empty());
}

#[test]
fn a_module_named_by_a_concatenated_string_shows_its_whole_file() {
    let mut app = App::new();
    let (module, _, _) = app.old_generation("/app/x.js", "1");
    let stranger = app.s.node("object", "Module", 80);
    let joined = app
        .s
        .node("concatenated string", "(concatenated string)", 32);
    let dir = app.string("/app/");
    let base = app.string("stranger.js");
    app.s.edge(joined, "internal", "first", dir);
    app.s.edge(joined, "internal", "second", base);
    app.s.edge(stranger, "property", "filename", joined);
    app.s.edge(app.global, "property", "__stranger", stranger);
    let children = app.s.node("object", "Array", 16);
    app.s.edge(stranger, "property", "children", children);
    app.s.edge(children, "element", "0", module);
    let e = app.explain();
    assert_eq!(
        culprit(only(&e)),
        (
            HolderKind::Children,
            "children",
            "Module(/app/stranger.js)".to_owned()
        )
    );
}
