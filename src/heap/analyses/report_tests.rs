//! Tests of what is read off an analysis: retainer paths, suspects, diffs and leak groups.

use crate::heap::analyses::diff::{diff_snapshots, snapshot_totals};
use crate::heap::analyses::leaks::{find_leaks, sample_path, IdSet};
use crate::heap::analyses::paths::{RetainerTree, NO_DISTANCE, SYSTEM_DISTANCE};
use crate::heap::analyses::summary::{node_row, step_rows, summarize, SummaryRequest};
use crate::heap::analyses::suspects::{find_suspects, SuspectRules};
use crate::heap::graph::{EdgeName, HeapGraph, NodeIndex};
use crate::heap::testsnap::Snap;

fn edge_names(graph: &HeapGraph, tree: &RetainerTree, n: NodeIndex) -> Vec<String> {
    tree.path_to(graph, n)
        .expect("a path")
        .iter()
        .map(|step| match graph.edge_name(step.edge) {
            EdgeName::Index(i) => format!("[{i}]"),
            EdgeName::Name(name) => name.to_owned(),
        })
        .collect()
}

/// root → global → a → b → target, and (GC roots) → handles → target: shorter, but through a
/// system root, which DevTools only walks after the user roots.
fn two_routes() -> (Snap, usize) {
    let (mut s, global) = Snap::with_global();
    let gc_roots = s.node("synthetic", "(GC roots)", 0);
    s.edge(0, "element", "2", gc_roots);
    let handles = s.node("synthetic", "(Handles)", 0);
    s.edge(gc_roots, "element", "1", handles);
    let a = s.node("object", "A", 10);
    let b = s.node("object", "B", 10);
    let target = s.node("object", "Target", 10);
    s.edge(global, "property", "a", a);
    s.edge(a, "property", "b", b);
    s.edge(b, "property", "target", target);
    s.edge(handles, "element", "7", target);
    (s, target)
}

#[test]
fn paths_start_from_the_user_roots_before_the_system_roots() {
    let (s, target) = two_routes();
    let graph = s.load();
    let tree = RetainerTree::build(&graph);
    assert_eq!(
        edge_names(&graph, &tree, target as NodeIndex),
        ["1", "a", "b", "target"]
    );
    assert_eq!(tree.distance(target as NodeIndex), 4);
    assert_eq!(tree.distance(1), 1, "the global object is a user root");
    // The system roots come after, counted from SYSTEM_DISTANCE.
    assert_eq!(tree.distance(2), SYSTEM_DISTANCE + 1);
    assert_eq!(tree.distance(0), SYSTEM_DISTANCE);
}

#[test]
fn paths_never_use_weak_edges() {
    let (mut s, global) = Snap::with_global();
    let held = s.node("object", "Held", 10);
    let weakly = s.node("object", "WeaklyHeld", 10);
    let via = s.node("object", "Via", 10);
    s.edge(global, "weak", "w", weakly);
    s.edge(global, "property", "via", via);
    s.edge(via, "property", "held", held);
    s.edge(held, "property", "other", weakly);
    let only_weak = s.node("object", "OnlyWeak", 10);
    s.edge(global, "weak", "ow", only_weak);
    let graph = s.load();
    let tree = RetainerTree::build(&graph);
    assert_eq!(
        edge_names(&graph, &tree, weakly as NodeIndex),
        ["1", "via", "held", "other"]
    );
    assert!(tree.path_to(&graph, only_weak as NodeIndex).is_none());
    assert_eq!(tree.distance(only_weak as NodeIndex), NO_DISTANCE);
}

#[test]
fn a_weakmap_value_is_reached_by_the_second_edge_of_its_pair() {
    let (mut s, global) = Snap::with_global();
    let table = s.node("array", "(WeakMap table)", 10);
    let key = s.node("object", "Key", 10);
    let value = s.node("object", "Value", 10);
    s.edge(global, "property", "table", table);
    s.edge(global, "property", "key", key);
    let table_id = s.nodes[table].id;
    let pair = format!(
        "/ part of key (Key @{}) -> value (Value @{}) pair in WeakMap (table @{table_id})",
        s.nodes[key].id, s.nodes[value].id
    );
    s.edge(table, "internal", &format!("1 {pair}"), value);
    s.edge(key, "internal", &format!("2 {pair}"), value);
    let graph = s.load();
    let tree = RetainerTree::build(&graph);
    // The table's edge comes first in BFS order and is skipped; the key's edge is taken.
    let names = edge_names(&graph, &tree, value as NodeIndex);
    assert_eq!(names[1], "key");
    assert!(names[2].starts_with("2 / part of key"));
}

#[test]
fn stopping_early_gives_the_same_paths_as_the_full_bfs() {
    let (s, target) = two_routes();
    let graph = s.load();
    let full = RetainerTree::build(&graph);
    let early = RetainerTree::build_until(&graph, &[3]);
    assert!(early.stopped_early());
    assert_eq!(
        early.path_to(&graph, 3),
        full.path_to(&graph, 3),
        "the (Handles) node, reached in the system pass"
    );
    let partial = RetainerTree::build_until(&graph, &[target as NodeIndex]);
    assert_eq!(
        partial.path_to(&graph, target as NodeIndex),
        full.path_to(&graph, target as NodeIndex)
    );
}

/// global → holder → list (array) → 100 items of 100 bytes, plus `other` retaining `other_size`.
fn heap_with_a_list(other_size: u64) -> (HeapGraph, [NodeIndex; 4]) {
    let (mut s, global) = Snap::with_global();
    let holder = s.node("object", "Holder", 16);
    let list = s.node("object", "Array", 32);
    let other = s.node("object", "Other", other_size);
    s.edge(global, "property", "holder", holder);
    s.edge(global, "property", "other", other);
    s.edge(holder, "property", "list", list);
    for i in 0..100 {
        let item = s.node("object", "Item", 100);
        s.edge(list, "element", &i.to_string(), item);
    }
    let graph = s.load();
    let ids = [global, holder, list, other].map(|n| n as NodeIndex);
    (graph, ids)
}

#[test]
fn a_suspect_accumulates_where_its_memory_spreads_out() {
    let (graph, [_global, holder, list, _]) = heap_with_a_list(8);
    let analysis = graph.analyze();
    let suspects = find_suspects(&graph, &analysis, SuspectRules::default());
    // global → holder → list each hold ≥ 80 % of their parent: one chain, accumulated in list,
    // reported by its owner, the holder (not by the global object it starts from).
    assert_eq!(suspects.len(), 1, "{suspects:?}");
    assert_eq!(suspects[0].node, holder);
    assert_eq!(suspects[0].accumulated_in, Some(list));
}

#[test]
fn big_branches_are_suspects_of_their_own() {
    let (graph, [global, holder, list, other]) = heap_with_a_list(5_000);
    let analysis = graph.analyze();
    let suspects = find_suspects(&graph, &analysis, SuspectRules::default());
    let found: Vec<_> = suspects
        .iter()
        .map(|s| (s.node, s.accumulated_in))
        .collect();
    // global's memory splits between holder (~67 %) and other (~33 %): three suspects.
    assert_eq!(
        found,
        vec![(global, None), (holder, Some(list)), (other, None)],
        "largest first"
    );
    let strict = SuspectRules {
        min_share: 0.5,
        ..SuspectRules::default()
    };
    let few: Vec<_> = find_suspects(&graph, &analysis, strict)
        .iter()
        .map(|s| s.node)
        .collect();
    assert_eq!(few, vec![global, holder]);
}

/// A snapshot whose nodes have the given (class, id, size), all held by the global object.
fn snapshot_of(objects: &[(&str, u64, u64)]) -> HeapGraph {
    let (mut s, global) = Snap::with_global();
    for (i, &(class, id, size)) in objects.iter().enumerate() {
        let n = s.node("object", class, size);
        s.nodes[n].id = id;
        s.edge(global, "property", &format!("p{i}"), n);
    }
    s.load()
}

#[test]
fn a_diff_counts_new_and_freed_ids_per_class() {
    let before = snapshot_of(&[
        ("Foo", 101, 10),
        ("Foo", 103, 10),
        ("Bar", 105, 7),
        ("Moved", 107, 4),
    ]);
    let after = snapshot_of(&[
        ("Foo", 103, 10),
        ("Foo", 109, 12),
        ("Foo", 111, 12),
        ("Baz", 113, 3),
        ("Zero", 115, 0),
        ("Renamed", 107, 4),
    ]);
    let rows = diff_snapshots(&before, &after);
    let row = |name: &str| rows.iter().find(|r| r.name == name).cloned();
    let foo = row("Foo").expect("Foo changed");
    assert_eq!(
        (
            foo.added_count,
            foo.removed_count,
            foo.added_size,
            foo.removed_size
        ),
        (2, 1, 24, 10)
    );
    assert_eq!((foo.count_delta(), foo.size_delta()), (1, 14));
    let bar = row("Bar").expect("Bar freed");
    assert_eq!(
        (bar.added_count, bar.removed_count, bar.removed_size),
        (0, 1, 7)
    );
    assert_eq!(row("Baz").map(|r| r.added_count), Some(1));
    assert!(
        row("Zero").is_none(),
        "zero-size nodes are left out, as in DevTools"
    );
    // Same id, other class: freed from the old class, allocated in the new one.
    assert_eq!(row("Moved").map(|r| r.removed_count), Some(1));
    assert_eq!(row("Renamed").map(|r| r.added_count), Some(1));
    assert!(row("global").is_none(), "unchanged classes are not listed");
    assert_eq!(rows[0].name, "Foo", "largest absolute size change first");
}

#[test]
fn snapshot_totals_equal_the_analysis_total() {
    let (graph, _) = heap_with_a_list(5_000);
    assert_eq!(
        snapshot_totals(&graph).total_size,
        graph.analyze().total_size()
    );
}

#[test]
fn leaks_are_new_ids_alive_in_final_grouped_by_path_shape() {
    // Baseline: ids 1..=9. Target adds 21..=29 and 121..=129. Final keeps 21..=24 with their
    // arrays 121..=124 (in two places), frees the rest and adds 41 (too late to count).
    let ids = |range: std::ops::RangeInclusive<u64>| {
        let objects: Vec<(&str, u64, u64)> = range.map(|id| ("X", id, 1)).collect();
        IdSet::of(&snapshot_of(&objects))
    };
    let baseline = ids(1..=9);
    let mut target_objects: Vec<(&str, u64, u64)> = (1..=9).map(|id| ("X", id, 1)).collect();
    target_objects.extend((21..=29).chain(121..=129).map(|id| ("X", id, 1)));
    let target = IdSet::of(&snapshot_of(&target_objects));
    let new_ids = target.minus(&baseline);
    assert_eq!(new_ids.len(), 18);

    let (mut s, global) = Snap::with_global();
    let cache = s.node("object", "Cache", 8);
    s.edge(global, "property", "cache", cache);
    let queue = s.node("object", "Queue", 8);
    s.edge(global, "property", "queue", queue);
    let add = |s: &mut Snap, holder: usize, class: &'static str, id: u64, index: usize| {
        let n = s.node("object", class, 50);
        s.nodes[n].id = id;
        s.edge(holder, "element", &index.to_string(), n);
        let child = s.node("array", "", 20);
        s.nodes[child].id = id + 100;
        s.edge(n, "internal", "elements", child);
        n
    };
    for (i, id) in (21..=23).enumerate() {
        add(&mut s, cache, "Request", id, i);
    }
    add(&mut s, queue, "Request", 24, 0);
    add(&mut s, queue, "Request", 41, 1);
    for n in &mut s.nodes[..3] {
        n.id += 500; // root, global and cache are old objects
    }
    let final_graph = s.load();
    let analysis = final_graph.analyze();
    let (report, _tree) = find_leaks(&final_graph, &analysis, &new_ids);
    // 21..=24 and their arrays 121..=124; each array is inside its request's subtree, so only
    // the requests are roots.
    assert_eq!(report.leaked_nodes, 8);
    assert_eq!(
        report.leaked_size,
        4 * 70,
        "the arrays' bytes moved to their owners"
    );
    let shapes: Vec<(&str, usize, u64)> = report
        .groups
        .iter()
        .map(|g| (g.path_shape.as_str(), g.roots.len(), g.retained_size))
        .collect();
    assert_eq!(
        shapes,
        vec![
            ("global.cache → Cache[] → Request", 3, 3 * 70),
            ("global.queue → Queue[] → Request", 1, 70),
        ]
    );
    assert_eq!(report.groups[0].class_name, "Request");
}

#[test]
fn detached_dom_nodes_are_named_as_devtools_names_them_everywhere() {
    let (mut s, global) = Snap::with_global();
    let holder = s.node("object", "Holder", 16);
    s.edge(global, "property", "holder", holder);
    // Detached by its own `detachedness` (2), and by propagation (0, reached from it).
    let div = s.node("native", "HTMLDivElement", 400);
    s.nodes[div].detachedness = 2;
    s.edge(holder, "property", "removed", div);
    let text = s.node("native", "Text", 100);
    s.edge(div, "element", "0", text);
    let tagged = s.node("native", "<div id=\"a\">", 300);
    s.nodes[tagged].detachedness = 2;
    s.edge(holder, "property", "tagged", tagged);
    // Attached (1), and by propagation; a JS object is never renamed.
    let body = s.node("native", "HTMLBodyElement", 200);
    s.nodes[body].detachedness = 1;
    s.edge(global, "property", "body", body);
    let span = s.node("native", "HTMLSpanElement", 50);
    s.edge(body, "element", "0", span);
    let wrapper = s.node("object", "Wrapper", 30);
    s.edge(div, "property", "wrapper", wrapper);
    let graph = s.load();
    let analysis = graph.analyze();
    let id = |n: usize| graph.node_id(n as NodeIndex);

    let request = SummaryRequest {
        top: 20,
        path_ids: vec![id(text), id(wrapper)],
    };
    let summary = summarize(&graph, &analysis, &request);
    let named = |n: usize| {
        summary
            .dominators
            .iter()
            .find(|row| row.id == id(n))
            .map(|row| row.name.as_str())
    };
    assert_eq!(named(div), Some("Detached HTMLDivElement"));
    assert_eq!(named(text), Some("Detached Text"));
    assert_eq!(named(tagged), Some("Detached <div id=\"a\">"));
    assert_eq!(named(body), Some("HTMLBodyElement"));
    assert_eq!(named(span), Some("HTMLSpanElement"));
    assert_eq!(named(wrapper), Some("Wrapper"));
    let path_names = |i: usize| -> Vec<&str> {
        let path = summary.paths[i].1.as_ref().expect("a path");
        path.iter().map(|step| step.node.name.as_str()).collect()
    };
    assert_eq!(
        path_names(0),
        [
            "global",
            "Holder",
            "Detached HTMLDivElement",
            "Detached Text"
        ]
    );
    assert_eq!(
        path_names(1),
        ["global", "Holder", "Detached HTMLDivElement", "Wrapper"]
    );
    // Class aggregates: detached nodes are classes of their own (`<…>` names shortened).
    let class_names: Vec<&str> = summary.classes.iter().map(|c| c.name.as_str()).collect();
    for class in [
        "Detached HTMLDivElement",
        "Detached Text",
        "Detached <div>",
        "HTMLBodyElement",
        "HTMLSpanElement",
    ] {
        assert!(class_names.contains(&class), "{class} in {class_names:?}");
    }
    assert!(!class_names.contains(&"HTMLDivElement"));

    // A leak search names them the same way: group class, path shape and examples.
    let new_ids: IdSet = [div, text, wrapper].iter().map(|&n| id(n)).collect();
    let (report, tree) = find_leaks(&graph, &analysis, &new_ids);
    let group = &report.groups[0];
    assert_eq!(group.class_name, "Detached HTMLDivElement");
    assert_eq!(
        group.path_shape,
        "global.holder → Holder.removed → Detached HTMLDivElement"
    );
    assert_eq!(
        node_row(&graph, &analysis, group.roots[0]).name,
        "Detached HTMLDivElement"
    );
    let sample = sample_path(&graph, &tree, group).expect("a path");
    let steps = step_rows(&graph, &analysis, &sample);
    assert_eq!(steps[steps.len() - 1].node.name, "Detached HTMLDivElement");
}
