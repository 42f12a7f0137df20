//! Structure-aware: the input bytes describe a small heap graph (node types, names, sizes,
//! edges with their types, names and targets, WeakMap pair names, a root index), which is
//! written as a valid snapshot, loaded (it must load, whole and in two chunks, to the same
//! graph) and analysed; the dominator tree must be a tree under the root.

#![no_main]

use libfuzzer_sys::fuzz_target;
use modswap::heap::{HeapGraph, HeapGraphBuilder};
use std::fmt::Write;

const NODE_TYPES: &[&str] = &[
    "hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native",
    "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape",
];
const EDGE_TYPES: &[&str] = &[
    "context", "element", "property", "internal", "hidden", "shortcut", "weak",
];
const NAMES: &[&str] = &[
    "", "(GC roots)", "(Document DOM trees)", "Object", "Array", "system / NativeContext",
    "sloppy_function_map", "WeakMap", "global", "Detached <div>", "1", "2", "x", "<dummy>",
];

/// Reads bytes, then zeros once the input runs out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }
    fn below(&mut self, n: usize) -> usize {
        usize::from(self.next()) % n
    }
}

fn snapshot(data: &[u8]) -> String {
    let mut b = Bytes(data);
    let nodes = 1 + b.below(40);
    let edges = b.below(4 * nodes + 1);
    let root = if b.next() % 4 == 0 { b.below(nodes) } else { 0 };
    let mut strings: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
    let ids: Vec<u64> = (0..nodes)
        .map(|n| match b.next() % 8 {
            0 => u64::from(b.next()),
            _ => 2 * n as u64 + 1,
        })
        .collect();
    let mut rows = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let ty = b.below(NODE_TYPES.len());
        let name = b.below(NAMES.len());
        let size = match b.next() % 16 {
            0 => u64::from(u32::MAX),
            1 => 1 << 40,
            k => u64::from(k) * 8,
        };
        let detached = b.next() % 4;
        rows.push((n, ty, name, *id, size, detached, Vec::new()));
    }
    for _ in 0..edges {
        let from = b.below(nodes);
        let ty = b.below(EDGE_TYPES.len());
        let to = b.below(nodes);
        let name = if matches!(EDGE_TYPES[ty], "element" | "hidden") {
            usize::from(b.next())
        } else if b.next() % 4 == 0 {
            // A WeakMap pair name, mostly naming the edge's real source and target ids.
            let (t, k, v) = (b.below(nodes), b.below(nodes), to);
            strings.push(format!(
                "{} / part of key (Object @{}) -> value (Object @{}) pair in WeakMap (table @{})",
                b.next(),
                ids[k],
                ids[v],
                ids[if b.next() % 2 == 0 { from } else { t }]
            ));
            strings.len() - 1
        } else {
            b.below(NAMES.len())
        };
        rows[from].6.push((ty, name, to * 7));
    }
    let edge_count: usize = rows.iter().map(|r| r.6.len()).sum();
    let mut out = String::new();
    out.push_str("{\"snapshot\":{\"meta\":{\"node_fields\":[\"type\",\"name\",\"id\",\"self_size\",\"edge_count\",\"trace_node_id\",\"detachedness\"],\"node_types\":[");
    let _ = write!(out, "{:?}", NODE_TYPES);
    out.push_str(",\"string\",\"number\",\"number\",\"number\",\"number\",\"number\"],\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],\"edge_types\":[");
    let _ = write!(out, "{:?}", EDGE_TYPES);
    out.push_str(",\"string_or_number\",\"node\"],\"location_fields\":[\"object_index\",\"script_id\",\"line\",\"column\"]},");
    let _ = write!(
        out,
        "\"node_count\":{nodes},\"edge_count\":{edge_count},\"root_index\":{},\"extra_native_bytes\":{}}},\n\"nodes\":[",
        root * 7,
        b.next()
    );
    let node_rows: Vec<String> = rows
        .iter()
        .map(|(_, ty, name, id, size, det, e)| format!("{ty},{name},{id},{size},{},0,{det}", e.len()))
        .collect();
    out.push_str(&node_rows.join("\n,"));
    out.push_str("],\n\"edges\":[");
    let edge_rows: Vec<String> = rows
        .iter()
        .flat_map(|r| r.6.iter().map(|(t, n, to)| format!("{t},{n},{to}")))
        .collect();
    out.push_str(&edge_rows.join("\n,"));
    out.push_str("],\n\"locations\":[");
    let locations: Vec<String> = (0..b.below(4))
        .map(|_| format!("{},1,2,3", b.below(nodes) * 7))
        .collect();
    out.push_str(&locations.join(","));
    out.push_str("],\n\"strings\":[");
    let quoted: Vec<String> = strings.iter().map(|s| format!("{s:?}")).collect();
    out.push_str(&quoted.join("\n,"));
    out.push_str("]}");
    out
}

fuzz_target!(|data: &[u8]| {
    let text = snapshot(data);
    let graph = match HeapGraph::from_bytes(text.as_bytes()) {
        Ok(graph) => graph,
        Err(err) => panic!("a generated snapshot does not load: {err}\n{text}"),
    };
    let split = text.len() * usize::from(data.last().copied().unwrap_or(0)) / 256;
    let mut builder = HeapGraphBuilder::new();
    let pushed = builder
        .push(&text.as_bytes()[..split])
        .and_then(|()| builder.push(&text.as_bytes()[split..]))
        .and_then(|()| builder.finish())
        .expect("the builder loads it too");
    assert!(pushed.same_content(&graph));
    let analysis = graph.analyze();
    let n = graph.node_count() as u32;
    let root = graph.root();
    let top = analysis.retained_size(root);
    for v in 0..n {
        assert!(analysis.retained_size(v) <= top, "node {v} retains more than the root");
        // The dominator chain reaches the root.
        let (mut d, mut steps) = (v, 0);
        while d != root {
            d = analysis.dominator(d);
            assert!(d < n);
            steps += 1;
            assert!(steps <= n, "dominator cycle through {v}");
        }
    }
    let mut sum = analysis.total_size();
    for aggregate in analysis.class_aggregates() {
        sum = sum.wrapping_add(aggregate.retained_size);
    }
    std::hint::black_box(sum);
});
