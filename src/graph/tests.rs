//! Unit tests of the napi-free core: event decoding, the generation table, the edge set and
//! clear plans.

use super::events::{OP_COLLECTED, OP_EDGE, OP_LOAD, OP_PARENT, OP_REQUIRER, OP_RETIRE, OP_UNEDGE};
use super::plan::{is_dependency, is_native_addon};
use super::*;
use std::collections::{HashMap, HashSet, VecDeque};

const IMPORTERS: ClearScope = ClearScope::Importers {
    include_dependencies: false,
};
const IMPORTERS_AND_DEPS: ClearScope = ClearScope::Importers {
    include_dependencies: true,
};

/// Load time used by [`build`] for `node`.
fn load_time(node: NodeId) -> f64 {
    1_000.0 + f64::from(node)
}

fn load(graph: &mut ModuleGraph, node: NodeId, file: &str, at: f64) {
    graph.apply(Event::Load {
        node,
        file: file.to_owned(),
        at,
    });
}

/// Adds `parent -> child` as Node does: the first requirer becomes `child.parent`.
fn edge(graph: &mut ModuleGraph, parent: NodeId, child: NodeId) {
    let first = graph.first_parent_of(child).is_none();
    graph.apply(Event::Edge { parent, child });
    if first && graph.importees_of(parent).contains(&child) {
        set_parent(graph, child, Some(parent));
    }
}

fn set_parent(graph: &mut ModuleGraph, child: NodeId, parent: Option<NodeId>) {
    graph.apply(Event::Parent { child, parent });
}

fn retire(graph: &mut ModuleGraph, node: NodeId, at: f64, gc_count: f64) {
    graph.apply(Event::Retire { node, at, gc_count });
}

fn collected(graph: &mut ModuleGraph, node: NodeId) {
    graph.apply(Event::Collected { node });
}

/// Loads `nodes` in order (a repeated file retires its previous instance), then adds `edges`.
fn build(nodes: &[(NodeId, &str)], edges: &[(NodeId, NodeId)]) -> ModuleGraph {
    let mut graph = ModuleGraph::new();
    for &(node, file) in nodes {
        load(&mut graph, node, file, load_time(node));
    }
    for &(parent, child) in edges {
        edge(&mut graph, parent, child);
    }
    assert_eq!(
        graph.stats().ignored_events,
        0,
        "fixture must be well formed"
    );
    graph
}

/// Test-side encoder of the flat log the JS side sends: the inverse of [`decode_events`].
fn encode_events(events: &[Event]) -> (Vec<f64>, String) {
    let mut ops = Vec::new();
    let mut names = Vec::new();
    for event in events {
        match event {
            Event::Load { node, file, at } => {
                ops.extend([f64::from(OP_LOAD), f64::from(*node), *at]);
                names.push(file.as_str());
            }
            Event::Edge { parent, child } => {
                ops.extend([f64::from(OP_EDGE), f64::from(*parent), f64::from(*child)]);
            }
            Event::Unedge { parent, child } => {
                ops.extend([f64::from(OP_UNEDGE), f64::from(*parent), f64::from(*child)]);
            }
            Event::Retire { node, at, gc_count } => {
                ops.extend([f64::from(OP_RETIRE), f64::from(*node), *at, *gc_count]);
            }
            Event::Collected { node } => {
                ops.extend([f64::from(OP_COLLECTED), f64::from(*node)]);
            }
            Event::Parent { child, parent } => {
                let parent = parent.unwrap_or(NO_NODE);
                ops.extend([f64::from(OP_PARENT), f64::from(*child), f64::from(parent)]);
            }
            Event::Requirer { node, file, at } => {
                ops.extend([f64::from(OP_REQUIRER), f64::from(*node), *at]);
                names.push(file.as_str());
            }
        }
    }
    (ops, names.join("\0"))
}

fn sorted<T: Ord + Clone>(items: &[T]) -> Vec<T> {
    let mut items = items.to_vec();
    items.sort();
    items
}

// ---------------------------------------------------------------------------------------------
// decode_events
// ---------------------------------------------------------------------------------------------

#[test]
fn opcodes_have_their_documented_values() {
    assert_eq!(
        [
            OP_LOAD,
            OP_EDGE,
            OP_UNEDGE,
            OP_RETIRE,
            OP_COLLECTED,
            OP_PARENT,
            OP_REQUIRER
        ],
        [1, 2, 3, 4, 5, 6, 7]
    );
}

#[test]
fn decode_reads_every_opcode_from_a_hand_written_log() {
    let ops = [
        1.0,
        0.0,
        1_700_000_000_123.5, // LOAD 0 at
        1.0,
        7.0,
        1_700_000_000_200.0, // LOAD 7 at
        2.0,
        0.0,
        7.0, // EDGE 0 -> 7
        3.0,
        0.0,
        7.0, // UNEDGE 0 -> 7
        4.0,
        7.0,
        1_700_000_000_300.25,
        42.0, // RETIRE 7 at gc
        5.0,
        7.0, // COLLECTED 7
    ];
    let events = decode_events(&ops, "/app/main.js\0/app/lib/a.js").unwrap();
    assert_eq!(
        events,
        vec![
            Event::Load {
                node: 0,
                file: "/app/main.js".into(),
                at: 1_700_000_000_123.5,
            },
            Event::Load {
                node: 7,
                file: "/app/lib/a.js".into(),
                at: 1_700_000_000_200.0,
            },
            Event::Edge {
                parent: 0,
                child: 7
            },
            Event::Unedge {
                parent: 0,
                child: 7
            },
            Event::Retire {
                node: 7,
                at: 1_700_000_000_300.25,
                gc_count: 42.0,
            },
            Event::Collected { node: 7 },
        ]
    );
}

#[test]
fn decode_round_trips_every_opcode() {
    let events = vec![
        Event::Load {
            node: 0,
            file: "/app/main.js".into(),
            at: 1_700_000_000_000.75,
        },
        Event::Load {
            node: 1,
            file: "C:\\app\\lib\\b.js".into(),
            at: 0.0,
        },
        Event::Load {
            node: NO_NODE - 1,
            file: "/app/node_modules/x/index.js".into(),
            at: -5.0,
        },
        Event::Edge {
            parent: 0,
            child: 1,
        },
        Event::Edge {
            parent: 1,
            child: NO_NODE - 1,
        },
        Event::Unedge {
            parent: 1,
            child: NO_NODE - 1,
        },
        Event::Retire {
            node: 1,
            at: 1_700_000_000_001.0,
            gc_count: 3.0,
        },
        Event::Collected { node: 1 },
        Event::Collected { node: 0 },
        Event::Requirer {
            node: 9,
            file: "/app/noop.js".into(),
            at: 2.5,
        },
    ];
    let (ops, names) = encode_events(&events);
    assert_eq!(ops.len(), 3 * 3 + 3 * 3 + 4 + 2 * 2 + 3);
    assert_eq!(decode_events(&ops, &names), Ok(events));
}

#[test]
fn decode_accepts_a_trailing_nul_after_the_last_file_name() {
    let ops = [1.0, 0.0, 10.0, 1.0, 1.0, 20.0];
    let joined = decode_events(&ops, "/a.js\0/b.js").unwrap();
    let terminated = decode_events(&ops, "/a.js\0/b.js\0").unwrap();
    assert_eq!(joined, terminated);
    assert_eq!(
        terminated[1],
        Event::Load {
            node: 1,
            file: "/b.js".into(),
            at: 20.0
        }
    );
}

#[test]
fn decode_empty_log_gives_no_events() {
    assert_eq!(decode_events(&[], ""), Ok(Vec::new()));
}

#[test]
fn decode_rejects_unknown_opcodes_with_their_index() {
    let cases: [(&[f64], usize, &str); 7] = [
        (&[0.0, 1.0], 0, "0"),
        (&[8.0, 1.0], 0, "8"),
        (&[-1.0, 1.0], 0, "-1"),
        (&[f64::NAN], 0, "NaN"),
        (&[f64::INFINITY], 0, "inf"),
        (&[4_294_967_297.0, 0.0, 0.0], 0, "4294967297"),
        // After a valid COLLECTED event (2 slots), the bad opcode sits at index 2.
        (&[5.0, 0.0, 9.0, 0.0, 0.0], 2, "9"),
    ];
    for (ops, index, opcode) in cases {
        assert_eq!(
            decode_events(ops, ""),
            Err(EventError::UnknownOpcode {
                index,
                opcode: opcode.to_owned()
            }),
            "ops {ops:?}"
        );
    }
}

#[test]
fn decode_rejects_fractional_opcodes() {
    // 2.5 would truncate to EDGE and 1.0000001 to LOAD if the fraction were ignored.
    assert_eq!(
        decode_events(&[2.5, 0.0, 1.0], ""),
        Err(EventError::UnknownOpcode {
            index: 0,
            opcode: "2.5".into()
        })
    );
    assert_eq!(
        decode_events(&[2.0, 0.0, 1.0, 1.0000001, 0.0, 0.0], "/a.js"),
        Err(EventError::UnknownOpcode {
            index: 3,
            opcode: "1.0000001".into()
        })
    );
}

#[test]
fn decode_rejects_truncated_events_at_the_event_start() {
    let cases: [(&[f64], usize); 10] = [
        (&[1.0], 0),
        (&[1.0, 0.0], 0),
        (&[2.0, 0.0], 0),
        (&[3.0], 0),
        (&[4.0, 0.0, 1.0], 0),
        (&[4.0, 0.0], 0),
        (&[5.0], 0),
        (&[5.0, 0.0, 2.0, 1.0], 2),
        (&[2.0, 0.0, 1.0, 4.0, 1.0, 2.0], 3),
        (&[3.0, 0.0, 1.0, 5.0, 1.0, 1.0, 0.0], 5),
    ];
    for (ops, index) in cases {
        assert_eq!(
            decode_events(ops, "/a.js"),
            Err(EventError::Truncated { index }),
            "ops {ops:?}"
        );
    }
}

#[test]
fn decode_rejects_bad_node_ids_with_the_operand_index() {
    let max = f64::from(u32::MAX);
    let cases: [(&[f64], usize); 12] = [
        (&[5.0, -1.0], 1),
        (&[5.0, 0.5], 1),
        (&[5.0, max], 1),
        (&[5.0, max + 1.0], 1),
        (&[5.0, f64::NAN], 1),
        (&[5.0, f64::INFINITY], 1),
        (&[5.0, f64::NEG_INFINITY], 1),
        (&[2.0, -3.0, 1.0], 1),
        (&[2.0, 0.0, 1.5], 2),
        (&[3.0, 0.0, max], 2),
        (&[4.0, max, 0.0, 0.0], 1),
        // LOAD after a valid COLLECTED event: the node operand is at index 3.
        (&[5.0, 0.0, 1.0, -2.0, 0.0], 3),
    ];
    for (ops, index) in cases {
        assert_eq!(
            decode_events(ops, "/a.js"),
            Err(EventError::BadNodeId { index }),
            "ops {ops:?}"
        );
    }
}

#[test]
fn decode_accepts_the_largest_valid_node_id() {
    let largest = f64::from(u32::MAX - 1);
    assert_eq!(
        decode_events(&[5.0, largest, 5.0, 0.0], ""),
        Ok(vec![
            Event::Collected { node: u32::MAX - 1 },
            Event::Collected { node: 0 }
        ])
    );
}

#[test]
fn decode_does_not_validate_timestamps_or_gc_counts_as_node_ids() {
    // `at` and `gc_count` are plain numbers: fractions and negatives pass through unchanged.
    let events = decode_events(&[4.0, 3.0, -0.5, 1.5], "").unwrap();
    assert_eq!(
        events,
        vec![Event::Retire {
            node: 3,
            at: -0.5,
            gc_count: 1.5
        }]
    );
}

#[test]
fn decode_rejects_a_load_without_a_file_name() {
    assert_eq!(
        decode_events(&[1.0, 0.0, 10.0], ""),
        Err(EventError::MissingFileName { index: 0 })
    );
    assert_eq!(
        decode_events(
            &[1.0, 0.0, 10.0, 2.0, 0.0, 0.0, 1.0, 1.0, 11.0],
            "/only-one.js"
        ),
        Err(EventError::MissingFileName { index: 6 })
    );
}

#[test]
fn decode_reports_the_first_error_in_the_log() {
    // The bad node id of the first event wins over the unknown opcode after it.
    assert_eq!(
        decode_events(&[5.0, -1.0, 99.0], ""),
        Err(EventError::BadNodeId { index: 1 })
    );
    // In a LOAD, the node id is checked before the file name.
    assert_eq!(
        decode_events(&[1.0, 0.5, 10.0], ""),
        Err(EventError::BadNodeId { index: 1 })
    );
}

#[test]
fn decode_keeps_unicode_file_names_intact() {
    let files = [
        "/home/jürgen/projekt/módulo.js",
        "C:\\Users\\田中\\アプリ\\index.js",
        "/srv/🦀/crab.js",
    ];
    let ops = [1.0, 0.0, 1.0, 1.0, 1.0, 2.0, 1.0, 2.0, 3.0, 2.0, 0.0, 1.0];
    let events = decode_events(&ops, &files.join("\0")).unwrap();
    let decoded: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Load { file, .. } => Some(file.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(decoded, files);

    let mut graph = ModuleGraph::new();
    graph.apply_all(events);
    for (node, file) in (0..).zip(files) {
        assert_eq!(graph.current(file), Some(node));
        assert_eq!(graph.file_of(node), Some(file));
        assert_eq!(graph.generations(file).len(), 1);
    }
    assert_eq!(graph.importees_of(0), &[1]);
}

#[test]
fn event_errors_display_their_index() {
    let unknown = EventError::UnknownOpcode {
        index: 4,
        opcode: "9".into(),
    };
    assert_eq!(unknown.to_string(), "unknown opcode 9 at index 4");
    assert_eq!(
        EventError::Truncated { index: 2 }.to_string(),
        "event at index 2 is truncated"
    );
    assert_eq!(
        EventError::BadNodeId { index: 7 }.to_string(),
        "invalid node id at index 7"
    );
    assert_eq!(
        EventError::MissingFileName { index: 3 }.to_string(),
        "load or requirer event at index 3 has no file name"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(EventError::Truncated { index: 0 });
    assert_eq!(boxed.to_string(), "event at index 0 is truncated");
}

// ---------------------------------------------------------------------------------------------
// Generations
// ---------------------------------------------------------------------------------------------

#[test]
fn generation_state_names() {
    assert_eq!(GenerationState::Current.as_str(), "current");
    assert_eq!(GenerationState::Old.as_str(), "old");
    assert_eq!(GenerationState::Collected.as_str(), "collected");
}

#[test]
fn file_loaded_three_times_has_generations_one_two_three_old_old_current() {
    let mut graph = ModuleGraph::new();
    load(&mut graph, 10, "/app/a.js", 100.0);
    load(&mut graph, 11, "/app/a.js", 200.0);
    load(&mut graph, 12, "/app/a.js", 300.0);
    assert_eq!(
        graph.generations("/app/a.js"),
        vec![
            GenerationInfo {
                generation: 1,
                loaded_at: 100.0,
                state: GenerationState::Old,
                count: 1
            },
            GenerationInfo {
                generation: 2,
                loaded_at: 200.0,
                state: GenerationState::Old,
                count: 1
            },
            GenerationInfo {
                generation: 3,
                loaded_at: 300.0,
                state: GenerationState::Current,
                count: 1
            },
        ]
    );
    assert_eq!(graph.current("/app/a.js"), Some(12));
    assert_eq!(
        graph.stats(),
        GraphStats {
            files: 1,
            live_nodes: 3,
            edges: 0,
            ignored_events: 0
        }
    );
}

#[test]
fn generations_count_per_file() {
    let graph = build(
        &[
            (0, "/a.js"),
            (1, "/b.js"),
            (2, "/a.js"),
            (3, "/b.js"),
            (4, "/b.js"),
        ],
        &[],
    );
    let gens = |file| -> Vec<u32> {
        graph
            .generations(file)
            .iter()
            .map(|g| g.generation)
            .collect()
    };
    assert_eq!(gens("/a.js"), [1, 2]);
    assert_eq!(gens("/b.js"), [1, 2, 3]);
    assert_eq!(graph.current("/a.js"), Some(2));
    assert_eq!(graph.current("/b.js"), Some(4));
    assert_eq!(graph.stats().files, 2);
}

#[test]
fn load_of_same_file_retires_previous_current_without_a_retire_event() {
    let mut graph = ModuleGraph::new();
    load(&mut graph, 0, "/app/a.js", 100.0);
    // The cache entry was deleted by someone else; only the new load is observed.
    load(&mut graph, 1, "/app/a.js", 250.0);
    assert_eq!(graph.state_of(0), Some(GenerationState::Old));
    assert_eq!(graph.state_of(1), Some(GenerationState::Current));
    assert_eq!(graph.current("/app/a.js"), Some(1));
    // Retired at the time of the new load; the GC count at that time is unknown, so no GCs
    // are attributed to it.
    assert_eq!(
        graph.stale(400.0, 7.0),
        vec![StaleInfo {
            node: 0,
            file: "/app/a.js".into(),
            generation: 1,
            age_ms: 150.0,
            gcs_survived: 0.0
        }]
    );
}

#[test]
fn retire_then_collected_gives_collected() {
    let mut graph = ModuleGraph::new();
    load(&mut graph, 0, "/app/a.js", 100.0);
    retire(&mut graph, 0, 150.0, 1.0);
    assert_eq!(graph.state_of(0), Some(GenerationState::Old));
    assert_eq!(graph.current("/app/a.js"), None);
    assert_eq!(graph.stats().live_nodes, 1);

    collected(&mut graph, 0);
    // The instance is forgotten; its row stays.
    assert_eq!(graph.state_of(0), None);
    assert_eq!(
        graph.generations("/app/a.js"),
        vec![GenerationInfo {
            generation: 1,
            loaded_at: 100.0,
            state: GenerationState::Collected,
            count: 1
        }]
    );
    assert_eq!(graph.stale(1_000.0, 10.0), Vec::new());
    assert_eq!(graph.stats().live_nodes, 0);
    assert_eq!(graph.stats().files, 1);
    assert_eq!(graph.file_of(0), None);
}

/// Loads `/app/a.js` `reloads + 1` times (ids 0…), retiring and collecting every generation
/// except the newest and those in `kept_alive`.
fn reloaded_file(reloads: u32, kept_alive: &[u32]) -> ModuleGraph {
    let mut graph = ModuleGraph::new();
    load(&mut graph, 0, "/app/a.js", 0.0);
    for id in 1..=reloads {
        retire(&mut graph, id - 1, f64::from(id), 0.0);
        load(&mut graph, id, "/app/a.js", f64::from(id));
        if !kept_alive.contains(&(id - 1)) {
            collected(&mut graph, id - 1);
        }
    }
    graph
}

#[test]
fn collected_generations_past_the_kept_rows_fold_into_one_counted_row() {
    let reloads = 60_000;
    let graph = reloaded_file(reloads, &[]);
    let rows = graph.generations("/app/a.js");
    assert_eq!(rows.len(), COLLECTED_ROWS_KEPT + 2);
    let folded = reloads as usize - COLLECTED_ROWS_KEPT;
    assert_eq!(
        rows[0],
        GenerationInfo {
            generation: 1,
            loaded_at: 0.0,
            state: GenerationState::Collected,
            count: folded as u32
        }
    );
    assert_eq!(rows[1].generation, folded as u32 + 1);
    assert!(rows[1..].iter().all(|row| row.count == 1));
    assert_eq!(rows.iter().map(|row| row.count).sum::<u32>(), reloads + 1);
    assert_eq!(
        rows.last().map(|row| (row.generation, row.state)),
        Some((reloads + 1, GenerationState::Current))
    );
    assert_eq!(graph.stats().live_nodes, 1);
}

#[test]
fn old_generations_keep_their_own_rows_among_folded_collected_ones() {
    let graph = reloaded_file(500, &[3, 400]);
    let rows = graph.generations("/app/a.js");
    let generations: Vec<u32> = rows.iter().map(|row| row.generation).collect();
    assert!(
        generations.windows(2).all(|pair| pair[0] < pair[1]),
        "{generations:?}"
    );
    let old: Vec<u32> = rows
        .iter()
        .filter(|row| row.state == GenerationState::Old)
        .map(|row| row.generation)
        .collect();
    assert_eq!(old, [4, 401]);
    assert_eq!(rows.iter().map(|row| row.count).sum::<u32>(), 501);
    assert_eq!(rows.len(), COLLECTED_ROWS_KEPT + 4);
    assert_eq!(graph.stale(1_000.0, 0.0).len(), 2);
}

#[test]
fn collections_out_of_order_keep_the_newest_rows_and_fold_the_oldest() {
    let mut graph = reloaded_file(COLLECTED_ROWS_KEPT as u32 + 10, &[0]);
    collected(&mut graph, 0);
    let rows = graph.generations("/app/a.js");
    assert_eq!((rows[0].generation, rows[0].count), (1, 10));
    assert_eq!(rows[1].generation, 11);
    assert_eq!(rows.len(), COLLECTED_ROWS_KEPT + 2);
}

#[test]
fn reload_after_retire_starts_the_next_generation() {
    let mut graph = ModuleGraph::new();
    load(&mut graph, 0, "/app/a.js", 100.0);
    retire(&mut graph, 0, 150.0, 1.0);
    load(&mut graph, 1, "/app/a.js", 160.0);
    assert_eq!(graph.current("/app/a.js"), Some(1));
    let gens = graph.generations("/app/a.js");
    assert_eq!(gens[1].generation, 2);
    // The explicit retirement is kept: the later load does not re-retire an old instance.
    assert_eq!(
        graph.stale(200.0, 4.0),
        vec![StaleInfo {
            node: 0,
            file: "/app/a.js".into(),
            generation: 1,
            age_ms: 50.0,
            gcs_survived: 3.0
        }]
    );
}

#[test]
fn collecting_the_current_instance_clears_the_cache_slot() {
    let mut graph = ModuleGraph::new();
    load(&mut graph, 0, "/app/a.js", 100.0);
    collected(&mut graph, 0);
    assert_eq!(graph.current("/app/a.js"), None);
    assert_eq!(graph.state_of(0), None);
    load(&mut graph, 1, "/app/a.js", 200.0);
    assert_eq!(graph.current("/app/a.js"), Some(1));
    assert_eq!(
        graph
            .generations("/app/a.js")
            .iter()
            .map(|g| (g.generation, g.state))
            .collect::<Vec<_>>(),
        [
            (1, GenerationState::Collected),
            (2, GenerationState::Current)
        ]
    );
}

#[test]
fn stale_lists_only_old_uncollected_instances_sorted_by_retirement() {
    let mut graph = ModuleGraph::new();
    load(&mut graph, 0, "/app/a.js", 10.0);
    load(&mut graph, 1, "/app/b.js", 20.0);
    load(&mut graph, 2, "/app/c.js", 30.0);
    load(&mut graph, 3, "/app/d.js", 40.0); // stays current
    load(&mut graph, 4, "/app/a.js", 50.0); // a gen 2, stays current
    let retire = |node, at, gc_count| Event::Retire { node, at, gc_count };
    graph.apply_all([
        retire(4, 300.0, 2.0), // a gen 2: retired last
        retire(1, 100.0, 5.0), // b gen 1: retired first
        retire(2, 200.0, 1.0), // c gen 1: retired, then collected
        Event::Collected { node: 2 },
    ]);
    // a gen 1 was retired by the load of a gen 2, at 50, with an unknown GC count.
    assert_eq!(
        graph.stale(1_000.0, 10.0),
        vec![
            StaleInfo {
                node: 0,
                file: "/app/a.js".into(),
                generation: 1,
                age_ms: 950.0,
                gcs_survived: 0.0
            },
            StaleInfo {
                node: 1,
                file: "/app/b.js".into(),
                generation: 1,
                age_ms: 900.0,
                gcs_survived: 5.0
            },
            StaleInfo {
                node: 4,
                file: "/app/a.js".into(),
                generation: 2,
                age_ms: 700.0,
                gcs_survived: 8.0
            },
        ]
    );
}

#[test]
fn stale_never_reports_negative_age_or_gc_count() {
    let mut graph = ModuleGraph::new();
    load(&mut graph, 0, "/a.js", 0.0);
    retire(&mut graph, 0, 500.0, 9.0);
    // A clock that went backwards and a GC counter that was reset.
    assert_eq!(
        graph.stale(400.0, 3.0),
        vec![StaleInfo {
            node: 0,
            file: "/a.js".into(),
            generation: 1,
            age_ms: 0.0,
            gcs_survived: 0.0
        }]
    );
}

#[test]
fn second_retire_of_an_old_instance_is_a_no_op() {
    let mut graph = ModuleGraph::new();
    load(&mut graph, 0, "/a.js", 0.0);
    retire(&mut graph, 0, 100.0, 1.0);
    retire(&mut graph, 0, 900.0, 8.0);
    assert_eq!(graph.stale(1_000.0, 10.0)[0].age_ms, 900.0);
    assert_eq!(graph.stale(1_000.0, 10.0)[0].gcs_survived, 9.0);
    assert_eq!(graph.stats().ignored_events, 0);
}

#[test]
fn events_naming_unknown_nodes_are_counted_and_ignored() {
    let mut graph = ModuleGraph::new();
    load(&mut graph, 0, "/a.js", 0.0);
    graph.apply_all([
        Event::Retire {
            node: 5,
            at: 1.0,
            gc_count: 0.0,
        },
        Event::Collected { node: 6 },
        Event::Edge {
            parent: 0,
            child: 99,
        },
        Event::Edge {
            parent: 99,
            child: 0,
        },
    ]);
    assert_eq!(graph.stats().ignored_events, 4);
    assert_eq!(graph.state_of(5), None);
    assert_eq!(graph.file_of(6), None);
    assert_eq!(graph.importers_of(99), &[] as &[NodeId]);
    assert_eq!(graph.importees_of(0), &[] as &[NodeId]);
    assert_eq!(graph.state_of(0), Some(GenerationState::Current));
}

#[test]
fn load_of_a_known_node_id_or_no_node_is_ignored() {
    let mut graph = ModuleGraph::new();
    load(&mut graph, 0, "/a.js", 0.0);
    load(&mut graph, 0, "/b.js", 1.0);
    load(&mut graph, NO_NODE, "/c.js", 2.0);
    assert_eq!(graph.stats().ignored_events, 2);
    assert_eq!(graph.file_of(0), Some("/a.js"));
    assert_eq!(graph.current("/b.js"), None);
    assert_eq!(graph.current("/c.js"), None);
    assert_eq!(graph.generations("/a.js").len(), 1);
    // A collected id is not reused either.
    collected(&mut graph, 0);
    load(&mut graph, 0, "/a.js", 3.0);
    assert_eq!(graph.stats().ignored_events, 3);
    assert_eq!(graph.state_of(0), None);
    assert_eq!(
        graph
            .generations("/a.js")
            .iter()
            .map(|g| g.state)
            .collect::<Vec<_>>(),
        [GenerationState::Collected]
    );
}

#[test]
fn unknown_file_has_no_generations_and_no_current() {
    let graph = build(&[(0, "/a.js")], &[]);
    assert_eq!(graph.generations("/nope.js"), Vec::new());
    assert_eq!(graph.current("/nope.js"), None);
    assert_eq!(ModuleGraph::new().stats(), GraphStats::default());
}

// ---------------------------------------------------------------------------------------------
// Edges
// ---------------------------------------------------------------------------------------------

#[test]
fn duplicate_edges_are_ignored() {
    let mut graph = build(&[(0, "/a.js"), (1, "/b.js")], &[]);
    edge(&mut graph, 0, 1);
    edge(&mut graph, 0, 1);
    edge(&mut graph, 0, 1);
    assert_eq!(graph.stats().edges, 1);
    assert_eq!(graph.stats().ignored_events, 0);
    assert_eq!(graph.importees_of(0), &[1]);
    assert_eq!(graph.importers_of(1), &[0]);
}

#[test]
fn edges_keep_insertion_order_in_both_directions() {
    let graph = build(
        &[(0, "/a.js"), (1, "/b.js"), (2, "/c.js"), (3, "/d.js")],
        &[(0, 3), (0, 1), (2, 1), (0, 2), (3, 1)],
    );
    assert_eq!(graph.importees_of(0), &[3, 1, 2]);
    assert_eq!(graph.importers_of(1), &[0, 2, 3]);
    assert_eq!(graph.stats().edges, 5);
}

#[test]
fn edge_to_unknown_or_collected_node_is_counted_in_ignored_events() {
    let mut graph = build(&[(0, "/a.js"), (1, "/b.js")], &[]);
    edge(&mut graph, 0, 42);
    assert_eq!(graph.stats().ignored_events, 1);
    edge(&mut graph, NO_NODE, 0);
    assert_eq!(graph.stats().ignored_events, 2);
    collected(&mut graph, 1);
    edge(&mut graph, 0, 1);
    edge(&mut graph, 1, 0);
    assert_eq!(graph.stats().ignored_events, 4);
    assert_eq!(graph.stats().edges, 0);
    assert_eq!(graph.importees_of(0), &[] as &[NodeId]);
}

#[test]
fn edges_to_and_from_old_instances_are_kept() {
    let mut graph = build(&[(0, "/p.js"), (1, "/m.js"), (2, "/p.js")], &[]);
    assert_eq!(graph.state_of(0), Some(GenerationState::Old));
    edge(&mut graph, 0, 1);
    edge(&mut graph, 1, 0);
    assert_eq!(graph.stats().edges, 2);
    assert_eq!(graph.stats().ignored_events, 0);
}

#[test]
fn unedge_removes_the_edge_in_both_directions() {
    let mut graph = build(
        &[(0, "/a.js"), (1, "/b.js"), (2, "/c.js")],
        &[(0, 1), (0, 2), (2, 1)],
    );
    graph.apply(Event::Unedge {
        parent: 0,
        child: 1,
    });
    assert_eq!(graph.importees_of(0), &[2]);
    assert_eq!(graph.importers_of(1), &[2]);
    assert_eq!(graph.stats().edges, 2);
    // Unknown edges and unknown nodes are silently ignored.
    graph.apply(Event::Unedge {
        parent: 0,
        child: 1,
    });
    graph.apply(Event::Unedge {
        parent: 77,
        child: 78,
    });
    assert_eq!(graph.stats().edges, 2);
    assert_eq!(graph.stats().ignored_events, 0);
    // The edge can be added again afterwards.
    edge(&mut graph, 0, 1);
    assert_eq!(graph.importees_of(0), &[2, 1]);
    assert_eq!(graph.stats().edges, 3);
}

#[test]
fn collected_drops_all_edges_of_the_node_in_both_directions() {
    let mut graph = build(
        &[(0, "/a.js"), (1, "/b.js"), (2, "/c.js"), (3, "/d.js")],
        &[(0, 1), (1, 2), (3, 1), (0, 2), (1, 3)],
    );
    assert_eq!(graph.stats().edges, 5);
    collected(&mut graph, 1);
    assert_eq!(graph.stats().edges, 1);
    assert_eq!(graph.importees_of(0), &[2]);
    assert_eq!(graph.importers_of(2), &[0]);
    assert_eq!(graph.importees_of(3), &[] as &[NodeId]);
    assert_eq!(graph.importers_of(3), &[] as &[NodeId]);
    assert_eq!(graph.importees_of(1), &[] as &[NodeId]);
    assert_eq!(graph.importers_of(1), &[] as &[NodeId]);
    // A collected instance is forgotten: collecting it again names an unknown instance.
    collected(&mut graph, 1);
    assert_eq!(graph.stats().edges, 1);
    assert_eq!(graph.stats().ignored_events, 1);
    assert_eq!(graph.stats().live_nodes, 3);
}

#[test]
fn collected_drops_a_self_edge() {
    let mut graph = build(&[(0, "/a.js")], &[(0, 0)]);
    assert_eq!(graph.importees_of(0), &[0]);
    assert_eq!(graph.importers_of(0), &[0]);
    collected(&mut graph, 0);
    assert_eq!(graph.stats().edges, 0);
    assert_eq!(graph.importees_of(0), &[] as &[NodeId]);
}

// ---------------------------------------------------------------------------------------------
// plan_clear: Single
// ---------------------------------------------------------------------------------------------

#[test]
fn single_retires_only_the_root() {
    // main -> r -> c, r -> d
    let graph = build(
        &[
            (0, "/app/main.js"),
            (1, "/app/r.js"),
            (2, "/app/c.js"),
            (3, "/app/d.js"),
        ],
        &[(0, 1), (1, 2), (1, 3)],
    );
    let plan = graph.plan_clear(&[1], ClearScope::Single, Some(0));
    assert_eq!(
        plan,
        Plan {
            retire: vec![1],
            cuts: vec![(0, 1)],
            reparent: vec![(2, NO_NODE), (3, NO_NODE)],
        }
    );
}

#[test]
fn single_cuts_every_importer_current_and_old() {
    // p.js gen 1 (0) and gen 2 (2) both list m (1); q (3) lists it too.
    let graph = build(
        &[
            (0, "/app/p.js"),
            (1, "/app/m.js"),
            (2, "/app/p.js"),
            (3, "/app/q.js"),
        ],
        &[(0, 1), (2, 1), (3, 1)],
    );
    assert_eq!(graph.state_of(0), Some(GenerationState::Old));
    let plan = graph.plan_clear(&[1], ClearScope::Single, None);
    assert_eq!(plan.retire, [1]);
    assert_eq!(plan.cuts, [(0, 1), (2, 1), (3, 1)]);
    assert_eq!(plan.reparent, []);
}

#[test]
fn native_addon_root_is_never_retired() {
    for addon in [
        "/app/build/Release/addon.node",
        "C:\\app\\build\\Release\\addon.node",
    ] {
        let graph = build(&[(0, "/app/main.js"), (1, addon)], &[(0, 1)]);
        for scope in [
            ClearScope::Single,
            ClearScope::Descendants,
            IMPORTERS,
            IMPORTERS_AND_DEPS,
        ] {
            assert_eq!(
                graph.plan_clear(&[1], scope, Some(0)),
                Plan::default(),
                "{addon} {scope:?}"
            );
        }
    }
}

#[test]
fn non_current_root_is_not_retired() {
    let mut graph = build(
        &[
            (0, "/app/main.js"),
            (1, "/app/a.js"),
            (2, "/app/a.js"),
            (3, "/app/b.js"),
        ],
        &[(0, 1), (1, 3)],
    );
    retire(&mut graph, 3, 5.0, 0.0);
    collected(&mut graph, 3);
    // 1 is old (replaced by 2), 3 is collected, 9 was never loaded, NO_NODE is no node.
    for root in [1, 3, 9, NO_NODE] {
        for scope in [ClearScope::Single, ClearScope::Descendants, IMPORTERS] {
            assert_eq!(
                graph.plan_clear(&[root], scope, Some(0)),
                Plan::default(),
                "root {root} {scope:?}"
            );
        }
    }
}

#[test]
fn repeated_roots_are_retired_once() {
    let graph = build(&[(0, "/a.js"), (1, "/b.js")], &[(0, 1)]);
    let plan = graph.plan_clear(&[1, 1, 1], ClearScope::Single, None);
    assert_eq!(plan.retire, [1]);
    assert_eq!(plan.cuts, [(0, 1)]);
}

#[test]
fn empty_roots_give_an_empty_plan() {
    let graph = build(&[(0, "/a.js"), (1, "/b.js")], &[(0, 1)]);
    for scope in [
        ClearScope::Single,
        ClearScope::Descendants,
        IMPORTERS,
        IMPORTERS_AND_DEPS,
    ] {
        assert_eq!(graph.plan_clear(&[], scope, Some(0)), Plan::default());
    }
}

#[test]
fn single_keeps_roots_in_the_given_order() {
    let graph = build(&[(0, "/a.js"), (1, "/b.js"), (2, "/c.js")], &[(2, 0)]);
    let plan = graph.plan_clear(&[2, 0, 1], ClearScope::Single, None);
    assert_eq!(plan.retire, [2, 0, 1]);
    // 2 -> 0 is cut although its parent is retired in the same plan.
    assert_eq!(plan.cuts, [(2, 0)]);
    assert_eq!(plan.reparent, []);
}

// ---------------------------------------------------------------------------------------------
// plan_clear: Descendants
// ---------------------------------------------------------------------------------------------

#[test]
fn descendants_recurse_into_children() {
    // main -> r -> a -> b -> c
    let graph = build(
        &[
            (0, "/app/main.js"),
            (1, "/app/r.js"),
            (2, "/app/a.js"),
            (3, "/app/b.js"),
            (4, "/app/c.js"),
        ],
        &[(0, 1), (1, 2), (2, 3), (3, 4)],
    );
    let plan = graph.plan_clear(&[1], ClearScope::Descendants, Some(0));
    assert_eq!(plan.retire, [1, 2, 3, 4]);
    // Cuts name parents retired in the same plan too.
    assert_eq!(plan.cuts, [(0, 1), (1, 2), (2, 3), (3, 4)]);
    assert_eq!(plan.reparent, []);
}

#[test]
fn descendants_terminate_on_cycles() {
    // a -> b -> c -> a, and c -> c
    let graph = build(
        &[(0, "/app/a.js"), (1, "/app/b.js"), (2, "/app/c.js")],
        &[(0, 1), (1, 2), (2, 0), (2, 2)],
    );
    let plan = graph.plan_clear(&[0], ClearScope::Descendants, None);
    assert_eq!(plan.retire, [0, 1, 2]);
    assert_eq!(plan.cuts, [(0, 1), (1, 2), (2, 0), (2, 2)]);
    assert_eq!(plan.reparent, []);
}

#[test]
fn descendants_include_all_siblings_breadth_first() {
    // r -> a, b, c; a -> d; c -> e
    let graph = build(
        &[
            (0, "/app/r.js"),
            (1, "/app/a.js"),
            (2, "/app/b.js"),
            (3, "/app/c.js"),
            (4, "/app/d.js"),
            (5, "/app/e.js"),
        ],
        &[(0, 1), (0, 2), (0, 3), (1, 4), (3, 5)],
    );
    let plan = graph.plan_clear(&[0], ClearScope::Descendants, None);
    assert_eq!(plan.retire, [0, 1, 2, 3, 4, 5]);
    assert_eq!(plan.cuts.len(), 5);
}

#[test]
fn descendants_never_retire_a_native_addon_child() {
    let graph = build(
        &[
            (0, "/app/r.js"),
            (1, "/app/build/Release/addon.node"),
            (2, "/app/a.js"),
            (3, "/app/b.js"),
        ],
        &[(0, 1), (0, 2), (2, 1), (3, 1)],
    );
    let plan = graph.plan_clear(&[0], ClearScope::Descendants, None);
    assert_eq!(plan.retire, [0, 2]);
    assert_eq!(plan.cuts, [(0, 2)]);
    // The addon stays; its parent pointer moves to b, the importer that stays.
    assert_eq!(plan.reparent, [(1, 3)]);
}

#[test]
fn descendants_never_add_main_by_traversal() {
    // main -> r -> a -> main (a cycle back to the entry module)
    let graph = build(
        &[(0, "/app/main.js"), (1, "/app/r.js"), (2, "/app/a.js")],
        &[(0, 1), (1, 2), (2, 0)],
    );
    let plan = graph.plan_clear(&[1], ClearScope::Descendants, Some(0));
    assert_eq!(plan.retire, [1, 2]);
    assert_eq!(plan.cuts, [(0, 1), (1, 2)]);
    assert_eq!(plan.reparent, [(0, NO_NODE)]);
}

#[test]
fn descendants_remove_main_when_it_is_the_root() {
    let graph = build(
        &[(0, "/app/main.js"), (1, "/app/r.js"), (2, "/app/a.js")],
        &[(0, 1), (1, 2)],
    );
    for scope in [ClearScope::Single, ClearScope::Descendants] {
        let plan = graph.plan_clear(&[0], scope, Some(0));
        assert_eq!(plan.retire[0], 0, "{scope:?}");
    }
    let plan = graph.plan_clear(&[0], ClearScope::Descendants, Some(0));
    assert_eq!(plan.retire, [0, 1, 2]);
}

#[test]
fn descendants_skip_old_children() {
    // r -> a (gen 1, now old); a gen 2 is current but not a child of r.
    let graph = build(
        &[(0, "/app/r.js"), (1, "/app/a.js"), (2, "/app/a.js")],
        &[(0, 1)],
    );
    let plan = graph.plan_clear(&[0], ClearScope::Descendants, None);
    assert_eq!(plan.retire, [0]);
    // The old child is alive and still points at r.
    assert_eq!(plan.reparent, [(1, NO_NODE)]);
}

// ---------------------------------------------------------------------------------------------
// plan_clear: Importers
// ---------------------------------------------------------------------------------------------

#[test]
fn importers_are_transitive_up_to_but_excluding_main() {
    // main -> router -> ctrl -> m, main -> other -> m
    let graph = build(
        &[
            (0, "/app/main.js"),
            (1, "/app/router.js"),
            (2, "/app/ctrl.js"),
            (3, "/app/m.js"),
            (4, "/app/other.js"),
        ],
        &[(0, 1), (1, 2), (2, 3), (0, 4), (4, 3)],
    );
    let plan = graph.plan_clear(&[3], IMPORTERS, Some(0));
    assert_eq!(plan.retire, [3, 2, 4, 1]);
    assert_eq!(plan.cuts, [(0, 4), (0, 1), (1, 2), (2, 3), (4, 3)]);
    assert_eq!(plan.reparent, []);
}

#[test]
fn importers_never_retire_main_even_as_a_root() {
    let graph = build(&[(0, "/app/main.js"), (1, "/app/a.js")], &[(0, 1), (1, 0)]);
    for scope in [IMPORTERS, IMPORTERS_AND_DEPS] {
        assert_eq!(graph.plan_clear(&[0], scope, Some(0)), Plan::default());
        let plan = graph.plan_clear(&[0, 1], scope, Some(0));
        assert_eq!(plan.retire, [1], "{scope:?}");
        assert_eq!(plan.cuts, [(0, 1)], "{scope:?}");
        assert_eq!(plan.reparent, [(0, NO_NODE)], "{scope:?}");
    }
    // Without a known main every importer is fair game.
    let plan = graph.plan_clear(&[1], IMPORTERS, None);
    assert_eq!(plan.retire, [1, 0]);
}

#[test]
fn importers_under_node_modules_are_excluded_and_stop_the_traversal() {
    // main -> x -> lib (node_modules) -> m; main -> y -> m
    let graph = build(
        &[
            (0, "/app/main.js"),
            (1, "/app/x.js"),
            (2, "/app/node_modules/lib/index.js"),
            (3, "/app/m.js"),
            (4, "/app/y.js"),
        ],
        &[(0, 1), (1, 2), (2, 3), (0, 4), (4, 3)],
    );
    let plan = graph.plan_clear(&[3], IMPORTERS, Some(0));
    assert_eq!(plan.retire, [3, 4]);
    // The dependency stays, but its `children` entry for m is still cut.
    assert_eq!(plan.cuts, [(0, 4), (2, 3), (4, 3)]);
    assert_eq!(plan.reparent, []);

    // include_dependencies walks through the dependency up to x.
    let plan = graph.plan_clear(&[3], IMPORTERS_AND_DEPS, Some(0));
    assert_eq!(plan.retire, [3, 2, 4, 1]);
    assert_eq!(plan.cuts, [(0, 4), (0, 1), (1, 2), (2, 3), (4, 3)]);
}

#[test]
fn importers_on_windows_paths_under_node_modules_are_excluded() {
    let graph = build(
        &[
            (0, "C:\\app\\node_modules\\lib\\index.js"),
            (1, "C:\\app\\m.js"),
        ],
        &[(0, 1)],
    );
    assert_eq!(graph.plan_clear(&[1], IMPORTERS, None).retire, [1]);
    assert_eq!(
        graph.plan_clear(&[1], IMPORTERS_AND_DEPS, None).retire,
        [1, 0]
    );
}

#[test]
fn importers_with_dependencies_add_the_roots_descendants_except_main_and_addons() {
    // main -> p -> m; p -> s (a sibling of m that m does not import)
    // m -> dep (node_modules) -> dep2 (node_modules); m -> addon.node; m -> main; m -> local
    let graph = build(
        &[
            (0, "/app/main.js"),
            (1, "/app/p.js"),
            (2, "/app/m.js"),
            (3, "/app/s.js"),
            (4, "/app/node_modules/dep/index.js"),
            (5, "/app/node_modules/dep2/index.js"),
            (6, "/app/node_modules/dep/build/Release/dep.node"),
            (7, "/app/local.js"),
        ],
        &[
            (0, 1),
            (1, 2),
            (1, 3),
            (2, 4),
            (4, 5),
            (4, 6),
            (2, 0),
            (2, 7),
        ],
    );
    let plan = graph.plan_clear(&[2], IMPORTERS_AND_DEPS, Some(0));
    assert_eq!(plan.retire, [2, 1, 4, 7, 5]);
    assert!(!plan.retire.contains(&3), "a sibling is not a descendant");
    assert_eq!(plan.cuts, [(0, 1), (1, 2), (2, 4), (2, 7), (4, 5)]);
    // Children of retired instances that stay, in retirement order: main (imported by m),
    // p's sibling s and the addon. None has an importer that stays.
    assert_eq!(plan.reparent, [(0, NO_NODE), (3, NO_NODE), (6, NO_NODE)]);

    // Without include_dependencies no descendant is added.
    let plan = graph.plan_clear(&[2], IMPORTERS, Some(0));
    assert_eq!(plan.retire, [2, 1]);
}

#[test]
fn importers_with_dependencies_follow_descendants_through_an_importer_in_a_cycle() {
    // m -> x -> m (x is both an importer and a descendant of m), x -> y
    let graph = build(
        &[(0, "/app/m.js"), (1, "/app/x.js"), (2, "/app/y.js")],
        &[(0, 1), (1, 0), (1, 2)],
    );
    let plan = graph.plan_clear(&[0], IMPORTERS_AND_DEPS, None);
    assert_eq!(plan.retire, [0, 1, 2]);
    let plan = graph.plan_clear(&[0], IMPORTERS, None);
    assert_eq!(plan.retire, [0, 1]);
    assert_eq!(plan.reparent, [(2, NO_NODE)]);
}

#[test]
fn old_generation_importer_is_cut_but_not_retired() {
    // The second parent whose old version keeps running: p gen 1 (1) imported m (2) and was
    // replaced by p gen 2 (3), which imports m as well. q (4) still holds the old p.
    let graph = build(
        &[
            (0, "/app/main.js"),
            (1, "/app/p.js"),
            (2, "/app/m.js"),
            (3, "/app/p.js"),
            (4, "/app/q.js"),
        ],
        &[(0, 3), (1, 2), (3, 2), (4, 1), (0, 4)],
    );
    assert_eq!(graph.state_of(1), Some(GenerationState::Old));
    let plan = graph.plan_clear(&[2], IMPORTERS, Some(0));
    assert_eq!(plan.retire, [2, 3]);
    assert!(plan.cuts.contains(&(1, 2)), "cuts {:?}", plan.cuts);
    assert_eq!(plan.cuts, [(0, 3), (1, 2), (3, 2)]);
    // Traversal does not continue through the old instance to q.
    assert!(!plan.retire.contains(&1));
    assert!(!plan.retire.contains(&4));
    assert_eq!(plan.reparent, []);
}

#[test]
fn importers_ignore_collected_importers() {
    let mut graph = build(
        &[(0, "/app/p.js"), (1, "/app/m.js"), (2, "/app/p.js")],
        &[(0, 1), (2, 1)],
    );
    collected(&mut graph, 0);
    let plan = graph.plan_clear(&[1], IMPORTERS, None);
    assert_eq!(plan.retire, [1, 2]);
    assert_eq!(plan.cuts, [(2, 1)]);
}

// ---------------------------------------------------------------------------------------------
// Reparenting
// ---------------------------------------------------------------------------------------------

#[test]
fn surviving_child_whose_importers_are_all_retired_gets_no_node() {
    // r1 -> c, r2 -> c, old o -> c; r1 and r2 are cleared.
    let graph = build(
        &[
            (0, "/app/r1.js"),
            (1, "/app/r2.js"),
            (2, "/app/c.js"),
            (3, "/app/o.js"),
            (4, "/app/o.js"),
        ],
        &[(0, 2), (3, 2), (1, 2)],
    );
    assert_eq!(graph.state_of(3), Some(GenerationState::Old));
    let plan = graph.plan_clear(&[0, 1], ClearScope::Single, None);
    // An old importer is no home for the parent pointer: it left the cache too.
    assert_eq!(plan.reparent, [(2, NO_NODE)]);
}

#[test]
fn surviving_child_gets_its_first_surviving_current_importer() {
    // Importers of c in order: r (retired), o (old), s1, s2 (current, stay).
    let graph = build(
        &[
            (0, "/app/r.js"),
            (1, "/app/c.js"),
            (2, "/app/o.js"),
            (3, "/app/o.js"),
            (4, "/app/s1.js"),
            (5, "/app/s2.js"),
        ],
        &[(0, 1), (2, 1), (4, 1), (5, 1)],
    );
    let plan = graph.plan_clear(&[0], ClearScope::Single, None);
    assert_eq!(plan.reparent, [(1, 4)]);
    // With s1 cleared as well the pointer moves to s2.
    let plan = graph.plan_clear(&[0, 4], ClearScope::Single, None);
    assert_eq!(plan.reparent, [(1, 5)]);
}

#[test]
fn children_inside_the_retired_set_are_not_reparented() {
    let graph = build(
        &[(0, "/app/r.js"), (1, "/app/c.js"), (2, "/app/s.js")],
        &[(0, 1), (2, 1)],
    );
    let plan = graph.plan_clear(&[0, 1], ClearScope::Single, None);
    assert_eq!(plan.reparent, []);
    let plan = graph.plan_clear(&[0], ClearScope::Descendants, None);
    assert_eq!(plan.retire, [0, 1]);
    assert_eq!(plan.reparent, []);
    assert_eq!(plan.cuts, [(0, 1), (2, 1)]);
}

#[test]
fn each_surviving_child_is_listed_once() {
    // r1, r2 and r3 all import c and d.
    let graph = build(
        &[
            (0, "/app/r1.js"),
            (1, "/app/r2.js"),
            (2, "/app/r3.js"),
            (3, "/app/c.js"),
            (4, "/app/d.js"),
            (5, "/app/s.js"),
        ],
        &[(0, 3), (1, 3), (2, 3), (0, 4), (1, 4), (2, 4), (5, 4)],
    );
    let plan = graph.plan_clear(&[0, 1, 2], ClearScope::Single, None);
    assert_eq!(plan.reparent, [(3, NO_NODE), (4, 5)]);
}

#[test]
fn old_child_of_a_retired_instance_is_reparented() {
    // r -> c gen 1 (old); c gen 2 is current elsewhere.
    let graph = build(
        &[
            (0, "/app/r.js"),
            (1, "/app/c.js"),
            (2, "/app/c.js"),
            (3, "/app/s.js"),
        ],
        &[(0, 1), (3, 1)],
    );
    let plan = graph.plan_clear(&[0], ClearScope::Descendants, None);
    assert_eq!(plan.retire, [0]);
    assert_eq!(plan.reparent, [(1, 3)]);
}

// ---------------------------------------------------------------------------------------------
// Plan::encode
// ---------------------------------------------------------------------------------------------

#[test]
fn plan_encode_layout_is_counts_then_flat_pairs() {
    let plan = Plan {
        retire: vec![1, 2, 3],
        cuts: vec![(10, 1), (11, 2)],
        reparent: vec![(20, 30), (21, NO_NODE)],
    };
    assert_eq!(
        plan.encode(),
        [
            3,
            1,
            2,
            3, // retire
            2,
            10,
            1,
            11,
            2, // cuts: (parent, child)
            2,
            20,
            30,
            21,
            u32::MAX, // reparent: (child, parent)
        ]
    );
}

#[test]
fn empty_plan_encodes_as_three_zero_counts() {
    assert_eq!(Plan::default().encode(), [0, 0, 0]);
    let only_cuts = Plan {
        retire: vec![],
        cuts: vec![(4, 5)],
        reparent: vec![],
    };
    assert_eq!(only_cuts.encode(), [0, 1, 4, 5, 0]);
}

#[test]
fn encoded_plan_decodes_back_to_the_plan() {
    let graph = build(
        &[
            (0, "/app/main.js"),
            (1, "/app/r.js"),
            (2, "/app/a.js"),
            (3, "/app/b.js"),
            (4, "/app/s.js"),
        ],
        &[(0, 1), (1, 2), (2, 3), (4, 3), (1, 4)],
    );
    let plan = graph.plan_clear(&[2], IMPORTERS, Some(0));
    let flat = plan.encode();
    let n = flat[0] as usize;
    let retire = &flat[1..=n];
    let m = flat[1 + n] as usize;
    let cuts: Vec<(u32, u32)> = flat[2 + n..2 + n + 2 * m]
        .chunks(2)
        .map(|p| (p[0], p[1]))
        .collect();
    let k = flat[2 + n + 2 * m] as usize;
    let reparent: Vec<(u32, u32)> = flat[3 + n + 2 * m..]
        .chunks(2)
        .map(|p| (p[0], p[1]))
        .collect();
    assert_eq!(flat.len(), 3 + n + 2 * m + 2 * k);
    assert_eq!(retire, plan.retire.as_slice());
    assert_eq!(cuts, plan.cuts);
    assert_eq!(reparent, plan.reparent);
    assert_eq!(plan.retire, [2, 1]);
    assert_eq!(plan.reparent, [(3, 4), (4, NO_NODE)]);
}

// ---------------------------------------------------------------------------------------------
// Path classification
// ---------------------------------------------------------------------------------------------

#[test]
fn is_dependency_on_unix_and_windows_paths() {
    for path in [
        "/app/node_modules/lodash/index.js",
        "/app/node_modules/@scope/pkg/lib/a.js",
        "/app/node_modules/a/node_modules/b/index.js",
        "node_modules/x.js",
        "C:\\app\\node_modules\\lodash\\index.js",
        "\\\\server\\share\\node_modules\\x\\y.js",
        "C:\\app/node_modules\\mixed\\sep.js",
    ] {
        assert!(is_dependency(path), "{path}");
    }
    for path in [
        "/app/src/index.js",
        "/app/my_node_modules/x.js",
        "/app/node_modules_backup/x.js",
        "/app/src/node_modules.js",
        "C:\\app\\Node_Modules2\\x.js",
        "C:\\app\\src\\node_modules.js",
        "",
    ] {
        assert!(!is_dependency(path), "{path}");
    }
}

#[test]
fn is_native_addon_on_unix_and_windows_paths() {
    for path in [
        "/app/build/Release/addon.node",
        "/app/node_modules/sharp/build/Release/sharp-linux-x64.node",
        "C:\\app\\build\\Release\\addon.node",
        "C:\\app\\node_modules\\x\\prebuilds\\win32-x64\\x.node",
    ] {
        assert!(is_native_addon(path), "{path}");
    }
    for path in [
        "/app/addon.node.js",
        "/app/node/index.js",
        "/app/.node/x.js",
        "C:\\app\\node\\x.js",
        "/app/addon.nodes",
        "",
    ] {
        assert!(!is_native_addon(path), "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// Scale
// ---------------------------------------------------------------------------------------------

const MAIN: NodeId = 0;
const ROUTER: NodeId = 1;
const BARREL: NodeId = 2;
const SHARED: NodeId = 3;
const MIDS: u32 = 2_000;
const BLOCK: u32 = 100;

fn mid(i: u32) -> NodeId {
    4 + i
}

/// main -> router -> barrel -> every mid -> shared, plus forward edges between mids of the
/// same block of 100 and one back edge per block (a cycle). Edges are unique, in order.
fn scale_edges() -> Vec<(NodeId, NodeId)> {
    let mut edges = vec![(MAIN, ROUTER), (ROUTER, BARREL)];
    edges.extend((0..MIDS).map(|i| (BARREL, mid(i))));
    edges.extend((0..MIDS).map(|i| (mid(i), SHARED)));
    let mut seen: HashSet<(NodeId, NodeId)> = edges.iter().copied().collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..MIDS {
        let block_end = (i / BLOCK + 1) * BLOCK;
        for _ in 0..2 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let j = i + 1 + u32::try_from((state >> 33) % 15).unwrap();
            if j < block_end && seen.insert((mid(i), mid(j))) {
                edges.push((mid(i), mid(j)));
            }
        }
    }
    for block in 0..MIDS / BLOCK {
        let back = (mid(block * BLOCK + BLOCK - 1), mid(block * BLOCK + 10));
        if seen.insert(back) {
            edges.push(back);
        }
    }
    edges
}

fn scale_graph(edges: &[(NodeId, NodeId)]) -> ModuleGraph {
    let mut nodes: Vec<(NodeId, String)> = vec![
        (MAIN, "/srv/app/main.js".into()),
        (ROUTER, "/srv/app/router.js".into()),
        (BARREL, "/srv/app/mods/index.js".into()),
        (SHARED, "/srv/app/shared.js".into()),
    ];
    nodes.extend((0..MIDS).map(|i| (mid(i), format!("/srv/app/mods/m{i}.js"))));
    let mut graph = ModuleGraph::new();
    graph.apply_all(nodes.into_iter().map(|(node, file)| Event::Load {
        node,
        file,
        at: load_time(node),
    }));
    for &(parent, child) in edges {
        edge(&mut graph, parent, child);
    }
    graph
}

/// Node's rule: the first requirer in `edges` order is a child's `parent`.
fn first_parents(edges: &[(NodeId, NodeId)]) -> HashMap<NodeId, NodeId> {
    let mut first = HashMap::new();
    for &(parent, child) in edges {
        first.entry(child).or_insert(parent);
    }
    first
}

/// Independent reference: the importer closure of `root`, never entering `main`.
fn importer_closure(edges: &[(NodeId, NodeId)], root: NodeId, main: NodeId) -> HashSet<NodeId> {
    let mut importers: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
    for &(parent, child) in edges {
        importers.entry(child).or_default().push(parent);
    }
    let mut closure = HashSet::from([root]);
    let mut queue = VecDeque::from([root]);
    while let Some(node) = queue.pop_front() {
        for &parent in importers.get(&node).into_iter().flatten() {
            if parent != main && closure.insert(parent) {
                queue.push_back(parent);
            }
        }
    }
    closure
}

/// `(parent, child)` for cuts, `(child, new_parent)` for reparenting.
type Pair = (NodeId, NodeId);

/// Independent reference for cuts and reparenting of a retired set in an all-current graph.
fn expected_cuts_and_reparent(
    edges: &[(NodeId, NodeId)],
    retired: &HashSet<NodeId>,
) -> (Vec<Pair>, Vec<Pair>) {
    let cuts: Vec<_> = edges
        .iter()
        .copied()
        .filter(|(_, child)| retired.contains(child))
        .collect();
    let orphans: HashSet<NodeId> = first_parents(edges)
        .into_iter()
        .filter(|(child, parent)| retired.contains(parent) && !retired.contains(child))
        .map(|(child, _)| child)
        .collect();
    let reparent: Vec<_> = orphans
        .into_iter()
        .map(|child| {
            let home = edges
                .iter()
                .find(|&&(parent, c)| c == child && !retired.contains(&parent))
                .map_or(NO_NODE, |&(parent, _)| parent);
            (child, home)
        })
        .collect();
    (sorted(&cuts), sorted(&reparent))
}

#[test]
fn scale_fixture_is_what_the_test_thinks_it_is() {
    let edges = scale_edges();
    let graph = scale_graph(&edges);
    assert_eq!(
        graph.stats(),
        GraphStats {
            files: 4 + MIDS as usize,
            live_nodes: 4 + MIDS as usize,
            edges: edges.len(),
            ignored_events: 0,
        }
    );
    assert_eq!(graph.importers_of(SHARED).len(), MIDS as usize);
    assert_eq!(graph.importees_of(BARREL).len(), MIDS as usize);
    assert!(edges.len() > 2 + 2 * MIDS as usize + MIDS as usize);
}

#[test]
fn scale_clearing_the_router_retires_exactly_one_node() {
    let edges = scale_edges();
    let graph = scale_graph(&edges);
    let plan = graph.plan_clear(&[ROUTER], IMPORTERS, Some(MAIN));
    assert_eq!(
        plan,
        Plan {
            retire: vec![ROUTER],
            cuts: vec![(MAIN, ROUTER)],
            reparent: vec![(BARREL, NO_NODE)],
        }
    );
}

#[test]
fn scale_clearing_a_mid_module_retires_only_its_importer_closure() {
    let edges = scale_edges();
    let graph = scale_graph(&edges);
    for i in [0, 10, 57, 1_234, 1_299, 1_999] {
        let root = mid(i);
        let expected = importer_closure(&edges, root, MAIN);
        assert!(expected.contains(&BARREL) && expected.contains(&ROUTER));
        assert!(!expected.contains(&MAIN) && !expected.contains(&SHARED));
        assert!(
            expected.len() < 2 + BLOCK as usize,
            "closure stays in the block"
        );

        let plan = graph.plan_clear(&[root], IMPORTERS, Some(MAIN));
        assert_eq!(plan.retire[0], root);
        assert_eq!(plan.retire.len(), expected.len(), "no duplicates for m{i}");
        let retired: HashSet<NodeId> = plan.retire.iter().copied().collect();
        assert_eq!(retired, expected, "m{i}");

        let (cuts, reparent) = expected_cuts_and_reparent(&edges, &expected);
        assert_eq!(sorted(&plan.cuts), cuts, "m{i}");
        assert_eq!(sorted(&plan.reparent), reparent, "m{i}");
        // The shared module stays; it moves to a surviving mid only if its first requirer goes.
        let shared_pinned = expected.contains(&first_parents(&edges)[&SHARED]);
        let shared_moved = plan.reparent.iter().any(|&(child, _)| child == SHARED);
        assert_eq!(shared_moved, shared_pinned, "m{i}");
    }
}

#[test]
fn scale_clearing_the_shared_module_retires_everything_but_main() {
    let edges = scale_edges();
    let graph = scale_graph(&edges);
    let plan = graph.plan_clear(&[SHARED], IMPORTERS, Some(MAIN));
    assert_eq!(plan.retire.len(), 3 + MIDS as usize);
    assert_eq!(plan.retire[0], SHARED);
    assert_eq!(
        sorted(&plan.retire),
        (ROUTER..mid(MIDS)).collect::<Vec<_>>()
    );
    assert_eq!(plan.cuts.len(), edges.len());
    assert_eq!(plan.reparent, []);
}

#[test]
fn scale_clearing_the_barrel_with_descendants_keeps_router_and_main() {
    let edges = scale_edges();
    let graph = scale_graph(&edges);
    let plan = graph.plan_clear(&[BARREL], ClearScope::Descendants, Some(MAIN));
    assert_eq!(plan.retire.len(), 2 + MIDS as usize);
    assert_eq!(plan.retire[0], BARREL);
    assert!(!plan.retire.contains(&ROUTER) && !plan.retire.contains(&MAIN));
    assert_eq!(plan.cuts.len(), edges.len() - 1);
    assert_eq!(plan.reparent, []);
}

#[test]
fn a_load_with_an_id_far_beyond_the_table_is_ignored_instead_of_allocating() {
    let mut graph = ModuleGraph::new();
    graph.apply(Event::Load {
        node: 4_000_000_000,
        file: "/app/a.js".into(),
        at: 1.0,
    });
    assert_eq!(graph.stats().live_nodes, 0);
    assert_eq!(graph.stats().ignored_events, 1);
    assert!(graph.generations("/app/a.js").is_empty());
}

#[test]
fn only_children_whose_parent_is_retired_are_reparented() {
    // b is required first by a, then by c; clearing c leaves b.parent alone, clearing a moves it.
    let graph = build(
        &[(0, "/a.js"), (1, "/b.js"), (2, "/c.js")],
        &[(0, 1), (2, 1)],
    );
    assert_eq!(graph.first_parent_of(1), Some(0));
    assert_eq!(
        graph.plan_clear(&[2], ClearScope::Single, None).reparent,
        []
    );
    assert_eq!(
        graph.plan_clear(&[0], ClearScope::Single, None).reparent,
        [(1, 2)]
    );
}

#[test]
fn parent_events_set_and_reset_the_first_parent() {
    let mut graph = build(&[(0, "/a.js"), (1, "/b.js")], &[(0, 1)]);
    set_parent(&mut graph, 1, None);
    assert_eq!(graph.first_parent_of(1), None);
    assert_eq!(
        graph.plan_clear(&[0], ClearScope::Single, None).reparent,
        []
    );
    set_parent(&mut graph, 1, Some(0));
    assert_eq!(graph.first_parent_of(1), Some(0));
    set_parent(&mut graph, 9, Some(0));
    assert_eq!(graph.stats().ignored_events, 1);
}

#[test]
fn decode_reads_parent_events_with_and_without_a_parent() {
    let no_node = f64::from(NO_NODE);
    assert_eq!(
        decode_events(&[6.0, 3.0, 1.0, 6.0, 3.0, no_node], ""),
        Ok(vec![
            Event::Parent {
                child: 3,
                parent: Some(1)
            },
            Event::Parent {
                child: 3,
                parent: None
            },
        ])
    );
    assert_eq!(
        decode_events(&[6.0, 3.0, -2.0], ""),
        Err(EventError::BadNodeId { index: 2 })
    );
}

#[test]
fn cuts_come_grouped_by_parent() {
    // Two retired children share parents 0 and 3; each parent's cuts must be adjacent.
    let graph = build(
        &[(0, "/p.js"), (1, "/a.js"), (2, "/b.js"), (3, "/q.js")],
        &[(0, 1), (3, 1), (0, 2), (3, 2)],
    );
    let plan = graph.plan_clear(&[1, 2], ClearScope::Single, None);
    let parents: Vec<NodeId> = plan.cuts.iter().map(|&(p, _)| p).collect();
    assert_eq!(parents, [0, 0, 3, 3]);
}

#[test]
fn importers_plan_includes_current_holders_of_an_older_version_of_the_root() {
    // util#1 (0) imported by the package (1), which the app (2) imports. A default reload of
    // util left node_modules importers alone: util#1 retired, the package's edge to it cut, util#2
    // (3) loaded. The package still uses util#1 (its closures captured it).
    let mut graph = build(
        &[
            (0, "/app/node_modules/pkg/util.js"),
            (1, "/app/node_modules/pkg/index.js"),
            (2, "/app/app.js"),
        ],
        &[(1, 0), (2, 1)],
    );
    retire(&mut graph, 0, 2_000.0, 0.0);
    graph.apply(Event::Unedge {
        parent: 1,
        child: 0,
    });
    load(&mut graph, 3, "/app/node_modules/pkg/util.js", 2_001.0);

    let repaired = graph.plan_clear(&[3], IMPORTERS_AND_DEPS, None);
    let retired: HashSet<NodeId> = repaired.retire.iter().copied().collect();
    assert_eq!(retired, HashSet::from([3, 1, 2]), "{:?}", repaired.retire);

    // By default node_modules importers stay, as documented: the holder is not cleared.
    let default = graph.plan_clear(&[3], IMPORTERS, None);
    assert_eq!(default.retire, vec![3]);
    // Once the old version is collected, nothing holds it any more.
    collected(&mut graph, 0);
    let after = graph.plan_clear(&[3], IMPORTERS_AND_DEPS, None);
    assert_eq!(after.retire, vec![3]);
}

// ---------------------------------------------------------------------------------------------
// Requirers: createRequire(file) for a file that has no cached module
// ---------------------------------------------------------------------------------------------

fn requirer(graph: &mut ModuleGraph, node: NodeId, file: &str) {
    graph.apply(Event::Requirer {
        node,
        file: file.into(),
        at: 5.0,
    });
}

/// main (0) requires handler (1); a requirer (2) for /app/noop.js requires handler too.
fn graph_with_a_requirer() -> ModuleGraph {
    let mut graph = build(&[(0, "/app/main.js"), (1, "/app/handler.js")], &[(0, 1)]);
    requirer(&mut graph, 2, "/app/noop.js");
    edge(&mut graph, 2, 1);
    graph
}

#[test]
fn a_requirer_is_no_generation_of_its_file() {
    let graph = graph_with_a_requirer();
    assert!(graph.is_requirer(2));
    assert!(!graph.is_requirer(1));
    assert_eq!(graph.generations("/app/noop.js"), Vec::new());
    assert_eq!(graph.current("/app/noop.js"), None);
    assert_eq!(graph.importers_of(1), &[0, 2]);
    assert_eq!(graph.stats().ignored_events, 0);
}

#[test]
fn a_reload_cuts_the_requirers_edge_but_never_retires_the_requirer() {
    let graph = graph_with_a_requirer();
    let plan = graph.plan_clear(
        &[1],
        ClearScope::Importers {
            include_dependencies: true,
        },
        Some(0),
    );
    assert_eq!(plan.retire, [1]);
    assert_eq!(plan.cuts, [(0, 1), (2, 1)]);
    // Even as a root.
    let plan = graph.plan_clear(&[2], ClearScope::Descendants, Some(0));
    assert_eq!(plan, Plan::default());
}

#[test]
fn a_requirer_is_never_retired_stale_or_given_a_row() {
    let mut graph = graph_with_a_requirer();
    retire(&mut graph, 2, 10.0, 0.0);
    assert_eq!(graph.state_of(2), Some(GenerationState::Current));
    assert_eq!(graph.stale(20.0, 1.0), Vec::new());
    // A later real load of the file starts its generation 1 and leaves the requirer alone.
    load(&mut graph, 3, "/app/noop.js", 30.0);
    assert_eq!(graph.generations("/app/noop.js").len(), 1);
    assert_eq!(graph.state_of(2), Some(GenerationState::Current));
    collected(&mut graph, 2);
    assert_eq!(graph.generations("/app/noop.js").len(), 1);
    assert_eq!(graph.importers_of(1), &[0]);
}

// ---------------------------------------------------------------------------------------------
// Boundaries: hot() modules, self-accepting modules, accepted dependencies
// ---------------------------------------------------------------------------------------------

/// main (0) -> app (1) -> routes (2) -> handler (3) -> util (4)
fn chain() -> ModuleGraph {
    build(
        &[
            (0, "/app/main.js"),
            (1, "/app/app.js"),
            (2, "/app/routes.js"),
            (3, "/app/handler.js"),
            (4, "/app/util.js"),
        ],
        &[(0, 1), (1, 2), (2, 3), (3, 4)],
    )
}

const RELOAD: ClearScope = ClearScope::Importers {
    include_dependencies: false,
};

#[test]
fn a_reload_stops_at_a_boundary_after_replacing_it() {
    let boundaries = Boundaries::from_flat(&[2], &[]);
    let plan = chain().plan_clear_within(&[4], RELOAD, Some(0), &boundaries);
    assert_eq!(plan.retire, [4, 3, 2]);
    assert_eq!(sorted(&plan.cuts), [(1, 2), (2, 3), (3, 4)]);
}

#[test]
fn a_boundary_that_changed_itself_is_replaced_alone() {
    let boundaries = Boundaries::from_flat(&[2], &[]);
    let plan = chain().plan_clear_within(&[2], RELOAD, Some(0), &boundaries);
    assert_eq!(plan.retire, [2]);
}

#[test]
fn an_accepting_importer_stays_and_is_only_cut() {
    let boundaries = Boundaries::from_flat(&[], &[2, 3]);
    let plan = chain().plan_clear_within(&[4], RELOAD, Some(0), &boundaries);
    assert_eq!(plan.retire, [4, 3]);
    assert_eq!(sorted(&plan.cuts), [(2, 3), (3, 4)]);
}

#[test]
fn a_boundary_on_one_path_does_not_stop_another_path() {
    // util (4) is also imported by app (1) directly; handler (3) is a boundary.
    let mut graph = chain();
    edge(&mut graph, 1, 4);
    let boundaries = Boundaries::from_flat(&[3], &[]);
    let plan = graph.plan_clear_within(&[4], RELOAD, Some(0), &boundaries);
    // app goes through its own edge to util; routes stays behind the handler's boundary.
    assert_eq!(sorted(&plan.retire), [1, 3, 4]);
}

#[test]
fn boundaries_do_not_change_clear_module_scopes() {
    let boundaries = Boundaries::from_flat(&[1, 2, 3], &[0, 1]);
    let graph = chain();
    let plan = graph.plan_clear_within(&[1], ClearScope::Descendants, Some(0), &boundaries);
    assert_eq!(plan.retire, [1, 2, 3, 4]);
}

#[test]
fn a_boundary_root_does_not_reach_the_holders_of_its_older_versions() {
    // main (0) -> handler (1); handler was replaced by 2 while main stayed (main holds an
    // old version): a reload of the boundary 2 must not go on to main.
    let mut graph = build(&[(0, "/app/main.js"), (1, "/app/handler.js")], &[(0, 1)]);
    retire(&mut graph, 1, 1.0, 0.0);
    graph.apply(Event::Unedge {
        parent: 0,
        child: 1,
    });
    load(&mut graph, 2, "/app/handler.js", 2.0);
    edge(&mut graph, 0, 2);
    assert_eq!(graph.holders_of_older_versions(2), [0]);
    let boundaries = Boundaries::from_flat(&[2], &[]);
    let plan = graph.plan_clear_within(&[2], RELOAD, None, &boundaries);
    assert_eq!(plan.retire, [2]);
}

#[test]
fn generation_of_names_each_instance_and_nothing_for_requirers_or_collected_ones() {
    let mut graph = build(
        &[(0, "/a.js"), (1, "/b.js"), (2, "/a.js"), (3, "/a.js")],
        &[],
    );
    requirer(&mut graph, 4, "/a.js");
    assert_eq!(graph.generation_of(0), Some(1));
    assert_eq!(graph.generation_of(2), Some(2));
    assert_eq!(graph.generation_of(3), Some(3));
    assert_eq!(graph.generation_of(1), Some(1));
    assert_eq!(graph.generation_of(4), None, "a requirer is no generation");
    assert_eq!(graph.generation_of(99), None);
    collected(&mut graph, 0);
    assert_eq!(graph.generation_of(0), None);
}
