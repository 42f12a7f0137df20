//! Tests of the whole-snapshot engine: loading (layouts, bad input) and every DevTools rule
//! of the analysis, plus random graphs checked against DevTools' algorithm transcribed
//! literally and against a brute-force dominator definition.

use crate::heap::analyses::analysis::HeapAnalysis;
use crate::heap::analyses::dominators::{self, reference};
use crate::heap::analyses::essential::{essential_edges, page_owned, WeakMapNames};
use crate::heap::analyses::retainers::Retainers;
use crate::heap::graph::bits::BitVec;
use crate::heap::graph::{EdgeKind, EdgeName, HeapGraph, NodeKind};
use crate::heap::reader::SnapshotError;
use crate::heap::testsnap::Snap;

fn analyze(s: &Snap) -> (HeapGraph, HeapAnalysis) {
    let graph = s.load();
    let analysis = HeapAnalysis::new(&graph);
    (graph, analysis)
}

fn load_err(text: &str) -> SnapshotError {
    match HeapGraph::from_bytes(text.as_bytes()) {
        Ok(_) => panic!("expected an error for {text:?}"),
        Err(err) => err,
    }
}

fn aggregate<'a>(a: &'a HeapAnalysis, key: &str) -> &'a super::ClassAggregate {
    a.class_aggregates()
        .iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("no class {key}"))
}

// ---------------------------------------------------------------------------------------------
// Loading

#[test]
fn a_snapshot_without_nodes_is_an_error_not_a_panic() {
    let text = Snap::new().build();
    for err in [load_err(&text), {
        let mut builder = super::HeapGraphBuilder::new();
        let pushed = builder.push(text.as_bytes());
        match pushed.and_then(|()| builder.finish()) {
            Ok(_) => panic!("the chunked builder accepted a snapshot without nodes"),
            Err(err) => err,
        }
    }] {
        assert!(
            matches!(&err, SnapshotError::Structure { message, .. } if message.contains("node_count 0")),
            "{err}"
        );
    }
}

#[test]
fn loads_columns_strings_and_edges() {
    let (mut s, global) = Snap::with_global();
    let a = s.node("object", "Caf\u{e9} \"quoted\"\n\u{1F600}", 24);
    let arr = s.node("array", "", 40);
    s.edge(global, "property", "a", a);
    s.edge(a, "element", "7", arr);
    s.edge(a, "weak", "w", global);
    let g = s.load();
    assert_eq!((g.node_count(), g.edge_count(), g.root()), (4, 4, 0));
    assert_eq!(g.node_name(a as u32), "Caf\u{e9} \"quoted\"\n\u{1F600}");
    assert_eq!(g.node_kind(a as u32), NodeKind::Object);
    assert_eq!(g.node_type_name(arr as u32), "array");
    assert_eq!((g.node_id(a as u32), g.self_size(a as u32)), (5, 24));
    let edges: Vec<u32> = g.edges(a as u32).collect();
    assert_eq!(edges.len(), 2);
    assert_eq!(g.edge_kind(edges[0]), EdgeKind::Element);
    assert_eq!(g.edge_name(edges[0]), EdgeName::Index(7));
    assert_eq!(g.edge_target(edges[0]), arr as u32);
    assert_eq!(g.edge_name(edges[1]), EdgeName::Name("w"));
    assert_eq!(g.edge_source(edges[1]), a as u32);
    assert_eq!(g.find_node_by_id(5), Some(a as u32));
}

#[test]
fn strings_with_escapes_brackets_and_commas() {
    let names = [
        "a\\",
        "\\\"",
        "]",
        ",",
        "\"],[\"",
        "1234567\\\"x",
        "12345678\\",
        "long name without escapes, but with ] and , inside",
        "",
    ];
    let (mut s, global) = Snap::with_global();
    let nodes: Vec<usize> = names.iter().map(|n| s.node("string", n, 8)).collect();
    for &n in &nodes {
        s.edge(global, "property", "s", n);
    }
    let g = s.load();
    for (&n, name) in nodes.iter().zip(names) {
        assert_eq!(g.node_name(n as u32), name);
    }
}

#[test]
fn field_layouts_from_meta() {
    let build = |fields: Vec<&'static str>| {
        let (mut s, global) = Snap::with_global();
        s.node_fields = fields;
        let x = s.node("closure", "f", 32);
        s.edge(global, "property", "f", x);
        s.edge(x, "internal", "context", global);
        s
    };
    let old = build(vec![
        "type",
        "name",
        "id",
        "self_size",
        "edge_count",
        "trace_node_id",
    ]);
    let shuffled = build(vec![
        "extra_native",
        "edge_count",
        "self_size",
        "detachedness",
        "id",
        "name",
        "type",
        "more",
    ]);
    let node20 = build(crate::heap::reader::nodes::test_support::NODE20_FIELDS.to_vec());
    let reference = node20.load();
    for s in [old, shuffled] {
        let g = s.load();
        assert_eq!(g.node_count(), reference.node_count());
        for n in 0..g.node_count() as u32 {
            assert_eq!(g.node_name(n), reference.node_name(n));
            assert_eq!(g.node_id(n), reference.node_id(n));
            assert_eq!(g.self_size(n), reference.self_size(n));
            assert_eq!(g.edges(n), reference.edges(n));
        }
        assert_eq!(g.edge_to, reference.edge_to);
    }
}

#[test]
fn root_index_locations_big_sizes_and_detachedness() {
    let mut s = Snap::new();
    let x = s.node("object", "X", 5);
    let root = s.node("synthetic", "", 0);
    let big = s.node("native", "big", 1 << 40);
    s.edge(root, "shortcut", "1", x);
    s.edge(x, "property", "b", big);
    s.header_extra = format!(",\"root_index\":{},\"extra_native_bytes\":1000", root * 7);
    s.locations = vec![(x, 3, 4, 5), (x, 6, 7, 8), (big, 1, 1, 1)];
    s.nodes[big].detachedness = 2;
    let (g, a) = analyze(&s);
    assert_eq!(g.root(), root as u32);
    assert_eq!(g.self_size(big as u32), 1 << 40);
    assert_eq!(a.retained_size(root as u32), (1 << 40) + 5);
    assert_eq!(a.total_size(), (1 << 40) + 5 + 1000);
    // The last location of a node wins, as in DevTools' map.
    let loc = g.location(x as u32).expect("location");
    assert_eq!((loc.script_id, loc.line, loc.column), (6, 7, 8));
    assert_eq!(g.detachedness(big as u32), 2);
    assert_eq!(aggregate(&a, "6,7,8,X").count, 1);
    // A detached native node gets the prefix; locations only key `object` nodes.
    assert_eq!(aggregate(&a, ",Detached big").self_size, 1 << 40);
}

#[test]
fn tolerates_whitespace_and_unknown_sections() {
    let (mut s, global) = Snap::with_global();
    let x = s.node("string", "hello", 8);
    s.edge(global, "property", "s", x);
    let text = s.build();
    let spaced = text
        .replacen(
            "{\"snapshot\"",
            " \n{ \"future\" : {\"a\":[1,{\"b\":null}], \"c\":\"]\"} ,\"snapshot\"",
            1,
        )
        .replace("\"nodes\":[", "\"nodes\" : [ ")
        .replace(",\n\"edges\"", " ,\n\"edges\"")
        + " \n";
    let g = HeapGraph::from_bytes(spaced.as_bytes()).expect("loads");
    assert_eq!(g.node_count(), 3);
    assert_eq!(g.node_name(x as u32), "hello");
}

#[test]
fn large_inputs_parse_in_parallel_pieces() {
    // Enough rows for several pieces per thread (pieces start at 1 MiB).
    let (mut s, global) = Snap::with_global();
    let mut prev = global;
    for i in 0..60_000 {
        let n = s.node(
            "object",
            if i % 2 == 0 { "Even" } else { "Odd" },
            16 + i as u64 % 7,
        );
        s.edge(prev, "property", "next", n);
        s.edge(n, "internal", "back", global);
        prev = n;
    }
    let text = s.build();
    assert!(text.len() > 2 << 20, "{}", text.len());
    let g = HeapGraph::from_bytes(text.as_bytes()).expect("loads");
    assert_eq!(g.node_count(), 60_002);
    for n in 2..g.node_count() as u32 {
        assert_eq!(g.self_size(n), 16 + u64::from(n - 2) % 7);
        assert_eq!(g.edges(n).len(), if n == 60_001 { 1 } else { 2 });
        assert_eq!(g.edge_target(g.edges(n).start), global as u32);
    }
    let a = HeapAnalysis::new(&g);
    // A chain: every node dominates the rest.
    assert_eq!(a.dominator(60_001), 60_000);
}

// ---------------------------------------------------------------------------------------------
// Bad input

fn small_snapshot() -> String {
    let (mut s, global) = Snap::with_global();
    let x = s.node("object", "X", 20);
    let y = s.node("array", "", 30);
    s.edge(global, "property", "x", x);
    s.edge(x, "element", "0", y);
    s.locations = vec![(x, 1, 2, 3)];
    s.build()
}

#[test]
fn not_a_snapshot() {
    for text in ["", "   ", "[]", "42", "\"x\"", "nul", "\u{feff}{}"] {
        assert!(
            matches!(load_err(text), SnapshotError::NotASnapshot { .. }),
            "{text:?}"
        );
    }
    assert!(matches!(load_err("{}"), SnapshotError::NotASnapshot { .. }));
    assert!(matches!(
        load_err("{\"a\":1}"),
        SnapshotError::NotASnapshot { .. }
    ));
    let no_edges = small_snapshot().replace("\"edges\"", "\"edgez\"");
    assert!(matches!(
        load_err(&no_edges),
        SnapshotError::Structure { .. }
    ));
    let no_strings = small_snapshot().replace("\"strings\"", "\"strungs\"");
    assert!(matches!(
        load_err(&no_strings),
        SnapshotError::Structure { .. }
    ));
}

#[test]
fn every_truncation_is_an_error() {
    let text = small_snapshot();
    for cut in 0..text.len() {
        let err = HeapGraph::from_bytes(&text.as_bytes()[..cut]);
        assert!(err.is_err(), "truncated at {cut} loaded");
    }
    let cut = text.find("\"edges\"").expect("edges") + 12;
    match load_err(&text[..cut]) {
        SnapshotError::Truncated { offset, inside } => {
            assert_eq!(offset, cut as u64);
            assert!(inside.contains("edges"), "{inside}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn corrupt_bytes_never_panic() {
    let text = small_snapshot().into_bytes();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..3000 {
        let mut bytes = text.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = b"0123456789,[]{}\":-.ex \n\\"[(next() % 24) as usize];
        }
        if let Ok(g) = HeapGraph::from_bytes(&bytes) {
            // Whatever loaded must be consistent enough to analyse.
            let a = HeapAnalysis::new(&g);
            assert!(a.retained_size(g.root()) >= a.self_size(g.root()));
        }
    }
}

/// The whole-input loader checks out of file order (counts before values, arrays in
/// parallel); what it reports must still be the first error, as a stream reports it.
#[test]
fn the_loader_reports_the_first_error_like_a_stream() {
    let text = small_snapshot().into_bytes();
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut compared = 0;
    for _ in 0..3000 {
        let mut bytes = text.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = b"0123456789,[]{}\":-.ex \n\\"[(next() % 24) as usize];
        }
        let mut builder = super::HeapGraphBuilder::new();
        let streamed = builder.push(&bytes).and_then(|()| builder.finish());
        match (HeapGraph::from_bytes(&bytes), streamed) {
            (Err(whole), Err(streamed)) => {
                assert_eq!(whole.to_string(), streamed.to_string());
                compared += 1;
            }
            (Ok(_), Ok(_)) => {}
            (whole, streamed) => panic!("{:?} but {:?}", whole.err(), streamed.err()),
        }
    }
    assert!(compared > 1000, "{compared}");
}

/// A prefix of a snapshot, `bad` over the first value of its nodes array that starts after
/// byte `after`, then `tail`; and the offset of `bad`.
fn bad_nodes_after(after: usize, bad: &str, tail: &[u8]) -> (Vec<u8>, usize) {
    let (mut s, global) = Snap::with_global();
    for k in 0..200 {
        let n = s.node("object", "Thing", 16 + k);
        s.edge(global, "element", &k.to_string(), n);
    }
    let text = s.build();
    let nodes = text.find("\"nodes\":[").expect("nodes");
    let at = after + text[after..].find(',').expect("a comma") + 1;
    assert!(nodes < after && at + 200 < text.find("\"edges\"").expect("edges"));
    let mut bytes = text.as_bytes()[..at + 100].to_vec();
    bytes[at..at + bad.len()].copy_from_slice(bad.as_bytes());
    bytes.extend_from_slice(tail);
    (bytes, at)
}

#[test]
fn bad_bytes_are_reported_where_they_are_not_at_the_end() {
    // Garbage, then megabytes of NUL bytes (a sparse or preallocated file).
    let zeros = bad_nodes_after(1100, "xyz", &vec![0u8; 8 << 20]);
    // A comma too many (bytes a number array may hold), then megabytes of numbers and no end.
    let commas = bad_nodes_after(1100, ",,", &b"0,".repeat(4 << 20));
    for (bytes, at) in [zeros, commas] {
        let err = HeapGraph::from_bytes(&bytes).expect_err("bad nodes");
        assert!(
            matches!(err, SnapshotError::Syntax { .. }) && err.offset() == Some(at as u64),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("expected a non-negative integer in \"nodes\""),
            "{err}"
        );
    }
}

/// A path that is not a regular file (a FIFO here; /dev/stdin from a pipe, /dev/zero) is read
/// as a stream: it has no size to map, and may never end.
#[cfg(unix)]
#[test]
fn a_fifo_is_read_as_a_stream_and_rejected_at_its_first_bad_byte() {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("modswap-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let fifo = dir.join("snapshot.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // An endless writer of the same garbage: it stops when the reader has gone (EPIPE), or
    // after 256 MiB, which a loader holding the input would read whole.
    let path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open fifo");
        let chunk = vec![b'?'; 64 << 10];
        let mut written = 0usize;
        while written < 256 << 20 {
            match out.write(&chunk) {
                Ok(n) => written += n,
                Err(_) => break,
            }
        }
        written
    });
    let err = HeapGraph::load_counted(&fifo).expect_err("garbage");
    let written = writer.join().expect("writer");
    assert!(
        matches!(err, SnapshotError::NotASnapshot { offset: 0, .. }),
        "{err}"
    );
    assert!(
        written < 8 << 20,
        "{written} bytes written before the reader stopped"
    );
    // And a real snapshot through the FIFO loads like the file.
    let text = small_snapshot();
    let path = fifo.clone();
    let body = text.clone();
    let writer = std::thread::spawn(move || {
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open fifo");
        out.write_all(body.as_bytes()).expect("write");
    });
    let (graph, bytes) = HeapGraph::load_counted(&fifo).expect("loads");
    writer.join().expect("writer");
    assert_eq!(bytes, text.len() as u64);
    assert!(graph.same_content(&HeapGraph::from_bytes(text.as_bytes()).expect("loads")));
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(target_os = "linux")]
#[test]
fn dev_zero_is_not_a_snapshot_and_is_not_read_endlessly() {
    let err = HeapGraph::load("/dev/zero").expect_err("NUL bytes");
    assert_eq!(
        err.to_string(),
        "not a V8 heap snapshot at byte 0: expected a JSON object, found a NUL byte (0x00)"
    );
}

#[test]
fn lying_counts() {
    let text = small_snapshot();
    let more = text.replace("\"node_count\":4", "\"node_count\":5");
    assert!(matches!(
        load_err(&more),
        SnapshotError::NodeCountMismatch {
            declared: 5,
            actual: 4,
            ..
        }
    ));
    let huge = text.replace("\"node_count\":4", "\"node_count\":1000000000000000");
    assert!(matches!(
        load_err(&huge),
        SnapshotError::NodeCountMismatch { .. }
    ));
    let fewer = text.replace("\"edge_count\":3", "\"edge_count\":2");
    assert!(matches!(
        load_err(&fewer),
        SnapshotError::EdgeCountMismatch {
            declared: 2,
            actual: 3,
            ..
        }
    ));
    // The global claims 2 edges instead of 1: the rows then disagree with the edges array.
    let edge_count_field = text.replacen("3,2,3,10,1,0,0", "3,2,3,10,2,0,0", 1);
    assert_ne!(edge_count_field, text);
    assert!(matches!(
        load_err(&edge_count_field),
        SnapshotError::EdgeCountMismatch {
            from_nodes: 4,
            actual: 3,
            ..
        }
    ));
    let ragged = text.replacen("\"nodes\":[", "\"nodes\":[1,", 1);
    assert!(matches!(
        load_err(&ragged),
        SnapshotError::NodeArrayLength { stride: 7, .. }
    ));
    // One value too many at the end of the edges: every row before it is right.
    let edges_end = text
        .find("],\n\"trace_function_infos\"")
        .expect("edges end");
    let ragged_edges = format!("{},1{}", &text[..edges_end], &text[edges_end..]);
    assert!(matches!(
        load_err(&ragged_edges),
        SnapshotError::EdgeArrayLength { stride: 3, .. }
    ));
    // One value too many at the start shifts every row: the first row that is wrong is the
    // first error in the file, and the one reported (as a stream reports it).
    let shifted = text.replacen("\"edges\":[", "\"edges\":[1,", 1);
    let at = (text.find("\"edges\":[").expect("edges") + 9) as u64;
    match load_err(&shifted) {
        SnapshotError::EdgeTargetOutOfRange {
            edge: 0, offset, ..
        } => assert!(offset > at && offset < at + 8, "{offset}"),
        other => panic!("{other}"),
    }
}

/// Replaces the first `from` after `anchor` with `to`; returns the text and the byte offset
/// of the replacement.
fn patch_after(text: &str, anchor: &str, from: &str, to: &str) -> (String, u64) {
    let start = text.find(anchor).expect("anchor") + anchor.len();
    let at = start + text[start..].find(from).expect("value");
    (
        format!("{}{}{}", &text[..at], to, &text[at + from.len()..]),
        at as u64,
    )
}

#[test]
fn out_of_range_references_name_their_byte() {
    // Nodes: root, global, X, Y (offsets 0, 7, 14, 21); strings: <dummy>, "", global, X, 1, x.
    // Edges: root -shortcut "1"-> global, global -property "x"-> X, X -element 0-> Y.
    let text = small_snapshot();
    assert!(
        text.contains("\"edges\":[5,4,7\n,2,5,14\n,1,0,21]"),
        "{text}"
    );
    let (bad, at) = patch_after(&text, "\"edges\":[", "1,0,21", "1,0,20");
    match load_err(&bad) {
        SnapshotError::EdgeTargetOutOfRange {
            offset,
            edge: 2,
            to_node: 20,
            ..
        } => assert_eq!(offset, at + 4),
        other => panic!("{other}"),
    }
    let (bad, _) = patch_after(&text, "\"edges\":[", "1,0,21", "1,0,28");
    let err = load_err(&bad);
    assert!(matches!(
        err,
        SnapshotError::EdgeTargetOutOfRange { to_node: 28, .. }
    ));
    assert!(
        err.to_string().contains("beyond the last of 4 nodes"),
        "{err}"
    );
    let (bad, at) = patch_after(&text, "\"edges\":[", "2,5,14", "2,99,14");
    match load_err(&bad) {
        SnapshotError::EdgeNameOutOfRange {
            edge: 1,
            name: 99,
            strings: 6,
            offset,
        } => assert_eq!(offset, at + 2),
        other => panic!("{other}"),
    }
    // Element edges carry an index, not a string: any u32 is fine.
    let (ok, _) = patch_after(&text, "\"edges\":[", "1,0,21", "1,4000000000,21");
    assert!(HeapGraph::from_bytes(ok.as_bytes()).is_ok());
    let (bad, _) = patch_after(&text, "\"edges\":[", "1,0,21", "9,0,21");
    assert!(matches!(
        load_err(&bad),
        SnapshotError::EdgeTypeOutOfRange {
            type_index: 9,
            types: 7,
            ..
        }
    ));
    // Node 2 (X): type 3 -> 16, then name 3 -> 77.
    let (bad, at) = patch_after(&text, "\"nodes\":[", "\n,3,3,5,20", "\n,16,3,5,20");
    match load_err(&bad) {
        SnapshotError::TypeOutOfRange {
            node: 2,
            type_index: 16,
            types: 16,
            offset,
        } => assert_eq!(offset, at + 2),
        other => panic!("{other}"),
    }
    let (bad, at) = patch_after(&text, "\"nodes\":[", "\n,3,3,5,20", "\n,3,77,5,20");
    match load_err(&bad) {
        SnapshotError::NameOutOfRange {
            node: 2,
            name: 77,
            strings: 6,
            offset,
        } => assert_eq!(offset, at + 4),
        other => panic!("{other}"),
    }
    let bad = text.replacen(
        "\"trace_function_count\":0",
        "\"trace_function_count\":0,\"root_index\":3",
        1,
    );
    assert!(matches!(
        load_err(&bad),
        SnapshotError::BadNodeReference { value: 3, .. }
    ));
    let (bad, _) = patch_after(&text, "\"locations\":[", "14,", "15,");
    assert!(matches!(
        load_err(&bad),
        SnapshotError::BadNodeReference { value: 15, .. }
    ));
}

#[test]
fn bad_numbers_and_json() {
    let text = small_snapshot();
    for (from, to) in [
        ("2,3,10,", "2,3,-10,"),
        ("2,3,10,", "2,3,1.5,"),
        ("2,3,10,", "2,3,1e3,"),
    ] {
        let bad = text.replacen(from, to, 1);
        assert!(
            matches!(load_err(&bad), SnapshotError::Syntax { .. }),
            "{to}"
        );
    }
    let bad = text.replacen("2,3,10,", "2,3,99999999999999999999999,", 1);
    assert!(matches!(
        load_err(&bad),
        SnapshotError::NumberTooLarge { .. }
    ));
    let bad = text.replacen("2,3,10,", "2,4294967296,10,", 1);
    assert!(matches!(
        load_err(&bad),
        SnapshotError::NumberTooLarge {
            limit: 4294967295,
            ..
        }
    ));
    let bad = text.replacen("\"nodes\":[", "\"nodes\":{", 1);
    assert!(matches!(load_err(&bad), SnapshotError::Structure { .. }));
    let bad = text.clone() + "x";
    assert!(matches!(load_err(&bad), SnapshotError::Syntax { .. }));
    let bad = text.replacen("\"strings\":[", "\"strings\":[\"\\x\",", 1);
    assert!(matches!(load_err(&bad), SnapshotError::Syntax { .. }));
    let bad = text.replacen("\"strings\":[", "\"strings\":[1,", 1);
    assert!(matches!(load_err(&bad), SnapshotError::Syntax { .. }));
    let dup = text.replacen("\"strings\":[", "\"edges\":[],\"strings\":[", 1);
    assert!(matches!(load_err(&dup), SnapshotError::Structure { .. }));
    // An empty edges array before the real one is wrong before it is a duplicate.
    let early = text.replacen("\"nodes\":[", "\"edges\":[],\"nodes\":[", 1);
    assert!(matches!(
        load_err(&early),
        SnapshotError::EdgeCountMismatch { actual: 0, .. }
    ));
    let bad = text.replacen("\"node_fields\"", "\"nodefields\"", 1);
    assert!(matches!(
        load_err(&bad),
        SnapshotError::InvalidHeader { .. }
    ));
    let bad = text.replacen("\"self_size\",", "", 1);
    assert!(matches!(
        load_err(&bad),
        SnapshotError::InvalidHeader { .. }
    ));
    let bad = text.replacen("\"node_count\":4", "\"node_count\":-4", 1);
    assert!(matches!(
        load_err(&bad),
        SnapshotError::InvalidHeader { .. }
    ));
    let bad = text.replacen("{\"meta\":{", "{\"meta\":{\"x\":[}", 1);
    assert!(matches!(load_err(&bad), SnapshotError::Syntax { .. }));
}

// ---------------------------------------------------------------------------------------------
// DevTools' rules

#[test]
fn weak_edges_do_not_retain() {
    let (mut s, global) = Snap::with_global();
    let a = s.node("object", "A", 10);
    let b = s.node("object", "B", 20);
    let x = s.node("object", "X", 100);
    s.edge(global, "property", "a", a);
    s.edge(global, "property", "b", b);
    s.edge(a, "property", "x", x);
    s.edge(b, "weak", "x", x);
    let (_, an) = analyze(&s);
    assert_eq!(an.dominator(x as u32), a as u32);
    assert_eq!(an.retained_size(a as u32), 110);
    assert_eq!(an.retained_size(b as u32), 20);
    // The same edge as a property: X is shared, the global dominates it.
    s.edges.last_mut().expect("edge").ty = "property";
    let (_, an) = analyze(&s);
    assert_eq!(an.dominator(x as u32), global as u32);
    assert_eq!(an.retained_size(a as u32), 10);
}

#[test]
fn weakmap_table_to_value_edge_is_ignored() {
    let (mut s, global) = Snap::with_global();
    let wm = s.node("object", "WeakMap", 24);
    let table = s.node("array", "system / EphemeronHashTable", 64);
    let key = s.node("object", "Key", 16);
    let value = s.node("object", "Value", 1000);
    s.edge(global, "property", "wm", wm);
    s.edge(global, "property", "key", key);
    s.edge(wm, "internal", "table", table);
    let id = |n: usize| 2 * n + 1;
    let name = |t: usize| {
        format!(
            "3 / part of key (Key @{}) -> value (Value @{}) pair in WeakMap (table @{})",
            id(key),
            id(value),
            id(t)
        )
    };
    let entry = name(table);
    s.edge(table, "internal", &entry, value);
    s.edge(key, "internal", &entry, value);
    let (g, an) = analyze(&s);
    assert_eq!(an.dominator(value as u32), key as u32);
    assert_eq!(an.retained_size(key as u32), 1016);
    let table_edge = g.edges(table as u32).start;
    assert!(!an.is_essential(table_edge));
    assert!(an.is_essential(g.edges(key as u32).start));
    // A name whose table id is not the source's id is an ordinary internal edge.
    let wrong = name(999_999);
    for e in s
        .edges
        .iter_mut()
        .filter(|e| e.ty == "internal" && e.name.contains("WeakMap"))
    {
        e.name = wrong.clone();
    }
    let (_, an) = analyze(&s);
    assert_eq!(an.dominator(value as u32), global as u32);
}

#[test]
fn self_and_non_root_shortcut_edges_are_ignored() {
    let (mut s, global) = Snap::with_global();
    let a = s.node("object", "A", 10);
    let x = s.node("object", "X", 100);
    s.edge(global, "property", "a", a);
    s.edge(a, "property", "x", x);
    s.edge(global, "shortcut", "x", x);
    s.edge(x, "property", "self", x);
    let (g, an) = analyze(&s);
    assert_eq!(an.dominator(x as u32), a as u32);
    let shortcut = g
        .edges(global as u32)
        .find(|&e| g.edge_kind(e) == EdgeKind::Shortcut);
    assert!(!an.is_essential(shortcut.expect("shortcut")));
    assert!(!an.is_essential(g.edges(x as u32).start));
    // The root's shortcut to the global is essential: it is the only path to it.
    assert!(an.is_essential(g.edges(0).start));
    assert_eq!(an.dominator(global as u32), 0);
}

#[test]
fn edges_from_non_page_owned_to_page_owned_nodes_are_ignored() {
    let (mut s, global) = Snap::with_global();
    let gc_roots = s.node("synthetic", "(GC roots)", 0);
    let stack = s.node("synthetic", "(Stack roots)", 0);
    let a = s.node("object", "A", 10);
    let x = s.node("object", "X", 100);
    let debug_only = s.node("object", "Debugger", 7);
    s.edge(0, "element", "1", gc_roots);
    s.edge(gc_roots, "element", "1", stack);
    s.edge(stack, "element", "1", x);
    s.edge(stack, "element", "2", debug_only);
    s.edge(global, "property", "a", a);
    s.edge(a, "property", "x", x);
    let (_, an) = analyze(&s);
    assert!(an.is_page_owned(x as u32) && an.is_page_owned(a as u32));
    assert!(!an.is_page_owned(stack as u32) && !an.is_page_owned(debug_only as u32));
    // Without the rule the root would dominate X (two paths); with it, A does.
    assert_eq!(an.dominator(x as u32), a as u32);
    assert_eq!(an.retained_size(a as u32), 110);
    // Non-page-owned to non-page-owned edges still count.
    assert_eq!(an.dominator(debug_only as u32), stack as u32);
}

#[test]
fn orphans_and_unreachable_cycles_hang_off_the_root() {
    let (mut s, global) = Snap::with_global();
    let held = s.node("object", "Held", 5);
    let orphan = s.node("object", "Orphan", 50);
    let child = s.node("object", "Child", 7);
    let c1 = s.node("object", "C1", 11);
    let c2 = s.node("object", "C2", 13);
    s.edge(global, "property", "held", held);
    s.edge(held, "weak", "o", orphan);
    s.edge(orphan, "property", "c", child);
    s.edge(orphan, "property", "held", held);
    s.edge(c1, "property", "c2", c2);
    s.edge(c2, "property", "c1", c1);
    let (g, an) = analyze(&s);
    let r = an.reachability();
    assert_eq!(
        (r.unreachable_from_root, r.unreachable_from_orphans),
        (4, 2)
    );
    assert_eq!(an.dominator(orphan as u32), 0);
    assert_eq!(an.dominator(child as u32), orphan as u32);
    assert_eq!(an.retained_size(orphan as u32), 57);
    // Orphan -> Held goes from a node that is not page-owned to one that is: ignored.
    assert_eq!(an.dominator(held as u32), global as u32);
    assert_eq!(an.dominator(c1 as u32), 0);
    assert_eq!(an.dominator(c2 as u32), 0);
    assert_eq!(an.retained_size(c1 as u32), 11);
    let total: u64 = (0..g.node_count() as u32).map(|n| an.self_size(n)).sum();
    assert_eq!(an.retained_size(0), total);
    compare_with_reference(&g);
}

#[test]
fn shallow_sizes_move_to_the_single_owner() {
    let (mut s, global) = Snap::with_global();
    let obj = s.node("object", "Obj", 16);
    let elements = s.node("array", "", 100);
    let hidden = s.node("hidden", "system / PropertyArray", 8);
    let via_hidden = s.node("array", "", 4);
    let shared = s.node("array", "", 64);
    let other = s.node("object", "Other", 32);
    let weakly = s.node("array", "", 1000);
    let external = s.node("native", "system / ExternalStringData", 50);
    let synthetic_owned = s.node("array", "", 3);
    s.edge(global, "property", "obj", obj);
    s.edge(global, "property", "other", other);
    s.edge(obj, "internal", "elements", elements);
    s.edge(obj, "internal", "properties", hidden);
    s.edge(hidden, "hidden", "0", via_hidden);
    s.edge(obj, "property", "s", shared);
    s.edge(other, "property", "s", shared);
    s.edge(other, "weak", "w", weakly);
    s.edge(other, "internal", "data", external);
    s.edge(0, "element", "3", synthetic_owned);
    s.edge(global, "property", "w", weakly);
    let (g, an) = analyze(&s);
    assert_eq!(an.self_size(obj as u32), 16 + 100 + 8 + 4);
    for n in [elements, hidden, via_hidden] {
        assert_eq!(an.self_size(n as u32), 0);
        assert_eq!(g.self_size(n as u32), s.nodes[n].size);
    }
    assert_eq!(an.self_size(shared as u32), 64);
    // The weak edge does not make Other an owner: the global owns the array.
    assert_eq!(an.self_size(weakly as u32), 0);
    assert_eq!(an.self_size(global as u32), 10 + 1000);
    assert_eq!(an.self_size(other as u32), 32 + 50);
    // Owned by the (synthetic) root: nothing moves.
    assert_eq!(an.self_size(synthetic_owned as u32), 3);
    // Retained sizes use the moved sizes.
    assert_eq!(an.retained_size(obj as u32), 128);
}

#[test]
fn no_shallow_reassignment_without_user_roots() {
    let mut s = Snap::new();
    let root = s.node("synthetic", "", 0);
    let gc = s.node("synthetic", "(GC roots)", 0);
    let obj = s.node("object", "Obj", 16);
    let arr = s.node("array", "", 100);
    s.edge(root, "element", "1", gc);
    s.edge(gc, "element", "1", obj);
    s.edge(obj, "internal", "elements", arr);
    let (_, an) = analyze(&s);
    assert_eq!(an.self_size(obj as u32), 16);
    assert_eq!(an.self_size(arr as u32), 100);
}

#[test]
fn class_names_and_aggregates() {
    let (mut s, global) = Snap::with_global();
    let outer = s.node("object", "Foo", 10);
    let inner = s.node("object", "Foo", 20);
    let sibling = s.node("object", "Foo", 40);
    let empty = s.node("object", "Foo", 0);
    let f = s.node("closure", "doIt", 32);
    let re = s.node("regexp", "a+", 48);
    let code = s.node("code", "(code)", 64);
    let hidden = s.node("hidden", "system / Map", 80);
    // Two owners: it keeps its size (one owner would take it, see the shallow-size test).
    s.edge(outer, "internal", "map", hidden);
    let text = s.node("string", "hello", 24);
    let native = s.node("native", "<div id=\"a\" class=\"b\">", 8);
    for (i, n) in [outer, sibling, empty, f, re, code, hidden, text, native]
        .iter()
        .enumerate()
    {
        s.edge(global, "property", &format!("p{i}"), *n);
    }
    s.edge(outer, "property", "inner", inner);
    let (g, an) = analyze(&s);
    let foo = aggregate(&an, ",Foo");
    assert_eq!((foo.count, foo.self_size), (3, 70));
    // Inner is counted inside Outer's retained size only.
    assert_eq!(foo.retained_size, 30 + 40);
    for (key, size) in [
        (",Function", 32),
        (",RegExp", 48),
        (",(compiled code)", 64),
        (",(system)", 80),
        (",(string)", 24),
        (",<div>", 8),
        (",global", 10),
    ] {
        assert_eq!(aggregate(&an, key).self_size, size, "{key}");
    }
    assert_eq!(an.class_name(&g, hidden as u32), "(system)");
    assert_eq!(an.class_name(&g, 0), "(synthetic)");
    // The zero-size root has no aggregate; classes appear in node order.
    assert!(an
        .class_aggregates()
        .iter()
        .all(|c| c.key != ",(synthetic)"));
    let firsts: Vec<u32> = an.class_aggregates().iter().map(|c| c.first_node).collect();
    assert!(firsts.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn located_objects_are_separate_classes() {
    let (mut s, global) = Snap::with_global();
    let a = s.node("object", "Item", 10);
    let b = s.node("object", "Item", 20);
    let c = s.node("object", "Item", 40);
    let f = s.node("closure", "Item", 8);
    for n in [a, b, c, f] {
        s.edge(global, "property", "x", n);
    }
    s.locations = vec![(a, 5, 1, 2), (b, 5, 9, 2), (f, 5, 1, 2)];
    let (_, an) = analyze(&s);
    assert_eq!(aggregate(&an, "5,1,2,Item").self_size, 10);
    assert_eq!(aggregate(&an, "5,9,2,Item").self_size, 20);
    assert_eq!(aggregate(&an, ",Item").self_size, 40);
    assert_eq!(aggregate(&an, ",Function").self_size, 8);
}

#[test]
fn plain_objects_named_by_popular_property_sets() {
    let (mut s, global) = Snap::with_global();
    let plain = |s: &mut Snap, props: &[&str]| {
        let o = s.node("object", "Object", 16);
        s.edge(global, "property", "o", o);
        for p in props {
            s.edge(o, "property", p, global);
        }
        o
    };
    let ab1 = plain(&mut s, &["a", "b"]);
    let ab2 = plain(&mut s, &["a", "b", "__proto__"]);
    let ba = plain(&mut s, &["b", "a"]);
    let abc = plain(&mut s, &["a", "b", "c"]);
    let single = plain(&mut s, &["only"]);
    let quoted1 = plain(&mut s, &["x,y", "q\"t"]);
    let quoted2 = plain(&mut s, &["x,y", "q\"t"]);
    let empty = plain(&mut s, &[]);
    let long: Vec<String> = (0..20).map(|i| format!("property_number_{i}")).collect();
    let long: Vec<&str> = long.iter().map(String::as_str).collect();
    let long1 = plain(&mut s, &long);
    let long2 = plain(&mut s, &long);
    let (g, an) = analyze(&s);
    assert_eq!(an.class_name(&g, ab1 as u32), "{a, b}");
    assert_eq!(an.class_name(&g, ab2 as u32), "{a, b}");
    // Seen once, so not definitions, but their sorted properties contain {a, b}'s.
    assert_eq!(an.class_name(&g, ba as u32), "{a, b}");
    assert_eq!(an.class_name(&g, abc as u32), "{a, b}");
    assert_eq!(an.class_name(&g, single as u32), "Object");
    assert_eq!(an.class_name(&g, quoted1 as u32), "{\"x,y\", \"q\\\"t\"}");
    assert_eq!(an.class_name(&g, quoted2 as u32), "{\"x,y\", \"q\\\"t\"}");
    assert_eq!(an.class_name(&g, empty as u32), "Object");
    let long_name = an.class_name(&g, long1 as u32);
    assert_eq!(long_name, an.class_name(&g, long2 as u32));
    assert!(
        long_name.len() <= 120 && long_name.ends_with("property_number_5}"),
        "{long_name}"
    );
    assert_eq!(aggregate(&an, ",{a, b}").count, 4);
}

// ---------------------------------------------------------------------------------------------
// Random graphs

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn random_snapshot(rng: &mut Rng, nodes: usize) -> Snap {
    let (mut s, global) = Snap::with_global();
    let types = [
        "object",
        "array",
        "hidden",
        "closure",
        "string",
        "native",
        "synthetic",
    ];
    for i in 2..nodes {
        let ty = types[rng.below(types.len())];
        s.node(
            ty,
            if i % 3 == 0 { "Object" } else { "T" },
            rng.below(100) as u64,
        );
    }
    let edge_types = [
        "property", "element", "internal", "hidden", "weak", "shortcut", "context",
    ];
    let edges = nodes * (1 + rng.below(3));
    for _ in 0..edges {
        // Mostly forward edges (a reachable core), some back edges and cycles.
        let from = rng.below(nodes);
        let to = if rng.below(4) == 0 {
            rng.below(nodes)
        } else {
            (from + 1 + rng.below(5)).min(nodes - 1)
        };
        let ty = edge_types[rng.below(edge_types.len())];
        let name = if ty == "element" || ty == "hidden" {
            rng.below(10).to_string()
        } else {
            ["a", "b", "c", "__proto__"][rng.below(4)].to_owned()
        };
        s.edge(from, ty, &name, to);
    }
    if rng.below(2) == 0 {
        s.edge(0, "element", "9", global);
    }
    if rng.below(2) == 0 {
        // A cycle nothing else points to, with edges out into the rest of the graph: DevTools
        // numbers its nodes last; they must not change anyone else's dominator.
        let first = s.nodes.len();
        let len = 2 + rng.below(3);
        for _ in 0..len {
            s.node("object", "Cycle", rng.below(50) as u64);
        }
        for k in 0..len {
            s.edge(first + k, "property", "next", first + (k + 1) % len);
            s.edge(first + k, "property", "out", rng.below(first));
        }
    }
    s
}

fn compare_with_reference(g: &HeapGraph) {
    let weakmaps = WeakMapNames::find(g);
    let owned = page_owned(g);
    let essential = essential_edges(g, &owned, &weakmaps);
    let retainers = Retainers::build(g, &essential);
    let fast = dominators::dominators(g, &essential);
    let slow = reference::dominators(g, &retainers, &essential);
    assert_eq!(fast.idom, slow);
}

/// Retained sizes from the definition: the nodes that become unreachable from the root in the
/// essential graph plus root → orphan edges when `u` is removed (unreachable nodes belong to
/// the root alone).
fn brute_force_retained(g: &HeapGraph, essential: &BitVec, sizes: &[u64]) -> Vec<u64> {
    let n = g.node_count();
    let retainers = Retainers::build(g, essential);
    let orphan: Vec<bool> = (0..n as u32)
        .map(|v| v != g.root() && retainers.of(v).all(|(e, _)| !essential.get(e as usize)))
        .collect();
    let reach = |removed: Option<u32>| {
        let mut seen = vec![false; n];
        let mut stack = vec![g.root()];
        seen[g.root() as usize] = true;
        for v in 0..n as u32 {
            if orphan[v as usize] && Some(v) != removed {
                seen[v as usize] = true;
                stack.push(v);
            }
        }
        while let Some(v) = stack.pop() {
            for e in g.edges(v) {
                let w = g.edge_target(e);
                if essential.get(e as usize) && !seen[w as usize] && Some(w) != removed {
                    seen[w as usize] = true;
                    stack.push(w);
                }
            }
        }
        seen
    };
    let all = reach(None);
    (0..n as u32)
        .map(|u| {
            if u == g.root() {
                return sizes.iter().sum();
            }
            if !all[u as usize] {
                return sizes[u as usize];
            }
            let without = reach(Some(u));
            (0..n)
                .filter(|&v| v == u as usize || (all[v] && !without[v]))
                .map(|v| sizes[v])
                .sum()
        })
        .collect()
}

#[test]
fn random_graphs_match_devtools_algorithm_and_definition() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let (mut with_orphans, mut with_cycles) = (0, 0);
    for round in 0..300 {
        let s = random_snapshot(&mut rng, 3 + round % 40);
        let (g, an) = analyze(&s);
        let r = an.reachability();
        with_orphans += usize::from(r.unreachable_from_root > r.unreachable_from_orphans);
        with_cycles += usize::from(r.unreachable_from_orphans > 0);
        compare_with_reference(&g);
        let weakmaps = WeakMapNames::find(&g);
        let essential = essential_edges(&g, &page_owned(&g), &weakmaps);
        let sizes: Vec<u64> = (0..g.node_count() as u32)
            .map(|v| an.self_size(v))
            .collect();
        assert_eq!(
            an.retained_sizes(),
            brute_force_retained(&g, &essential, &sizes),
            "round {round}"
        );
        // Class retained sizes never exceed the total, and each class's retained covers its self.
        for c in an.class_aggregates() {
            assert!(c.retained_size >= c.self_size && c.retained_size <= an.retained_size(0));
        }
    }
    // The interesting cases occur often enough to be covered.
    assert!(
        with_orphans > 30 && with_cycles > 30,
        "{with_orphans} {with_cycles}"
    );
}

#[test]
fn loads_files_through_the_map() {
    let (mut s, global) = Snap::with_global();
    let x = s.node("object", "X", 7);
    s.edge(global, "property", "x", x);
    let dir = std::env::temp_dir().join(format!("modswap-heap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("small.heapsnapshot");
    std::fs::write(&file, s.build()).expect("write");
    let g = HeapGraph::load(&file).expect("loads");
    assert_eq!(g.node_name(x as u32), "X");
    assert_eq!(g.analyze().retained_size(0), 17);
    let missing = HeapGraph::load(dir.join("missing.heapsnapshot"));
    assert!(matches!(missing, Err(SnapshotError::Io(_))));
    std::fs::remove_dir_all(&dir).ok();
}

/// Parse progress counts every byte exactly once, on the parallel path (pieces on several
/// threads, the strings, the bytes between sections) and on the stream path.
#[test]
fn parse_progress_reaches_the_file_size() {
    use crate::heap::progress::{Phase, Progress};
    let (mut s, global) = Snap::with_global();
    for k in 0..200_000u64 {
        let n = s.node("object", &format!("C{}", k % 7), 8 + k % 5);
        s.edge(global, "property", &format!("p{}", k % 100), n);
    }
    let text = s.build();
    let total = text.len() as u64;
    assert!(total > 4 << 20, "{total} bytes: several pieces per array");
    let path = std::env::temp_dir().join(format!("modswap-progress-{}.json", std::process::id()));
    std::fs::write(&path, &text).unwrap();
    let progress = Progress::new(1);
    progress.start(Phase::Parse, 1, total);
    let loaded = HeapGraph::load_reporting(&path, Some(&progress));
    std::fs::remove_file(&path).unwrap();
    let (graph, bytes) = loaded.unwrap();
    assert_eq!((graph.node_count(), bytes), (200_002, total));
    assert_eq!(
        (progress.state().done, progress.state().total),
        (total, total)
    );
    // The stream path: one report per read.
    progress.start(Phase::Parse, 1, total);
    let (streamed, _) = HeapGraph::read_counted(text.as_bytes(), Some(&progress)).unwrap();
    assert!(streamed.same_content(&graph));
    assert_eq!(progress.state().done, total);
    // A name past the strings is found after the number arrays are parsed: their pieces were
    // counted as they finished, the rest was not.
    let bad = text.replacen("\"nodes\":[9,", "\"nodes\":[9,99999999", 1);
    assert_ne!(bad, text);
    std::fs::write(&path, &bad).unwrap();
    progress.start(Phase::Parse, 1, total);
    let failed = HeapGraph::load_reporting(&path, Some(&progress));
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(failed, Err(SnapshotError::NameOutOfRange { .. })));
    let done = progress.state().done;
    assert!(done > total / 2 && done < total, "{done} of {total}");
}
