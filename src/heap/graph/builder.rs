//! Building a [`HeapGraph`] from chunks that arrive one by one (a file read piece by piece, or
//! V8's `getHeapSnapshot()` stream handed over through N-API), without ever holding the JSON:
//! the graph columns sink of the [reader](crate::heap::reader).
//!
//! Rows go straight into the graph's columns as the bytes arrive and the `strings` are
//! decoded into the arena; only the small `snapshot` header is buffered. Memory is the
//! finished graph plus at most one growth step of each column: columns grow with the rows
//! actually read and never past the header's counts, so a lying header cannot make the
//! builder reserve more than the input delivers.
//!
//! The builder accepts exactly the inputs [`HeapGraph::from_bytes`] accepts and builds the
//! same graph; it stops at the first error in file order, which is also the error
//! `from_bytes` reports. Every error names a byte offset of the whole input.

#![deny(missing_docs)]

use crate::heap::graph::bits::SizeColumn;
use crate::heap::graph::columns::root_ordinal;
use crate::heap::graph::{
    EdgeKind, HeapGraph, LoadTimings, Location, NodeKind, Strings, TypeTable,
};
use crate::heap::progress::Progress;
use crate::heap::reader::meta::{Meta, Needs};
use crate::heap::reader::{
    grow, read_all, EdgeRow, NodeRow, Reader, Section, Sink, SnapshotError, StringSink,
};
use std::io::Read;

/// [`HeapGraph::from_reader`] reads this much at a time.
pub(crate) const READ_CHUNK: usize = 64 << 10;

impl HeapGraph {
    /// Parses a snapshot from any reader (a pipe, a socket, a decompressor) in 64 KiB reads,
    /// through a [`HeapGraphBuilder`]: the JSON text is never held in memory.
    pub fn from_reader(reader: impl Read) -> Result<HeapGraph, SnapshotError> {
        Self::read_counted(reader, None).map(|(graph, _)| graph)
    }

    /// [`from_reader`](Self::from_reader), also returning the number of bytes read; each
    /// read is reported to `progress`.
    pub(crate) fn read_counted(
        mut reader: impl Read,
        progress: Option<&Progress>,
    ) -> Result<(HeapGraph, u64), SnapshotError> {
        let mut builder = HeapGraphBuilder::new();
        read_all(&mut reader, READ_CHUNK, progress, |chunk| {
            builder.push(chunk)
        })?;
        let bytes = builder.bytes_pushed();
        Ok((builder.finish()?, bytes))
    }

    /// Whether two graphs hold the same snapshot: every column, string, location and type
    /// table (load timings are ignored). For tests and fuzzing.
    #[doc(hidden)]
    pub fn same_content(&self, other: &HeapGraph) -> bool {
        self.node_types == other.node_types
            && self.edge_types == other.edge_types
            && self.node_type == other.node_type
            && self.node_name == other.node_name
            && self.node_id == other.node_id
            && self.self_size == other.self_size
            && self.first_edge == other.first_edge
            && self.detachedness == other.detachedness
            && self.edge_type == other.edge_type
            && self.edge_name == other.edge_name
            && self.edge_to == other.edge_to
            && self.strings == other.strings
            && self.locations == other.locations
            && self.root == other.root
            && self.extra_native_bytes == other.extra_native_bytes
    }
}

/// The decoded `strings`: one arena and the end of each string in it. Shared with the
/// parallel loader.
#[derive(Debug, Default)]
pub(crate) struct StringColumn {
    pub(crate) arena: Vec<u8>,
    pub(crate) ends: Vec<usize>,
}

impl StringSink for StringColumn {
    fn string_start(&mut self, _index: u64) -> bool {
        true
    }

    fn string_buf(&mut self) -> &mut Vec<u8> {
        &mut self.arena
    }

    fn string_end(&mut self, _index: u64, _at: u64) -> Result<(), SnapshotError> {
        self.ends.push(self.arena.len());
        Ok(())
    }
}

impl StringColumn {
    /// The strings as the graph keeps them.
    pub(crate) fn into_strings(mut self) -> Result<Strings, SnapshotError> {
        self.arena.shrink_to_fit();
        self.ends.shrink_to_fit();
        // The scanner validated UTF-8 and only ever writes whole characters.
        let arena = String::from_utf8(self.arena)
            .map_err(|_| crate::heap::reader::error::syntax(0, "invalid UTF-8 in \"strings\""))?;
        Ok(Strings::from_parts(arena, self.ends))
    }
}

/// The graph's columns as the rows arrive.
#[derive(Debug)]
pub(crate) struct GraphSink {
    /// Whether rows are stored (false for a [`checker`](HeapGraphBuilder::checker)).
    keep_rows: bool,
    node_type: Vec<u8>,
    node_name: Vec<u32>,
    node_id: Vec<u32>,
    sizes: Vec<u32>,
    big_sizes: Vec<(u32, u64)>,
    first_edge: Vec<u32>,
    edge_sum: u64,
    /// Allocated at the first node with a non-zero detachedness.
    detachedness: Option<Vec<u8>>,
    edge_type: Vec<u8>,
    edge_name: Vec<u32>,
    edge_to: Vec<u32>,
    locations: Vec<Location>,
    strings: StringColumn,
}

impl GraphSink {
    fn new(keep_rows: bool) -> Self {
        GraphSink {
            keep_rows,
            node_type: Vec::new(),
            node_name: Vec::new(),
            node_id: Vec::new(),
            sizes: Vec::new(),
            big_sizes: Vec::new(),
            first_edge: vec![0],
            edge_sum: 0,
            detachedness: None,
            edge_type: Vec::new(),
            edge_name: Vec::new(),
            edge_to: Vec::new(),
            locations: Vec::new(),
            strings: StringColumn::default(),
        }
    }

    fn heap_bytes(&self) -> usize {
        self.node_type.capacity()
            + (self.node_name.capacity()
                + self.node_id.capacity()
                + self.sizes.capacity()
                + self.first_edge.capacity()
                + self.edge_name.capacity()
                + self.edge_to.capacity())
                * 4
            + self.edge_type.capacity()
            + self.detachedness.as_ref().map_or(0, Vec::capacity)
            + self.big_sizes.capacity() * 16
            + self.locations.capacity() * std::mem::size_of::<Location>()
            + self.strings.arena.capacity()
            + self.strings.ends.capacity() * std::mem::size_of::<usize>()
    }
}

impl StringSink for GraphSink {
    fn string_start(&mut self, index: u64) -> bool {
        self.strings.string_start(index)
    }

    fn string_buf(&mut self) -> &mut Vec<u8> {
        self.strings.string_buf()
    }

    fn string_end(&mut self, index: u64, at: u64) -> Result<(), SnapshotError> {
        self.strings.string_end(index, at)
    }
}

impl Sink for GraphSink {
    const NEEDS: Needs = Needs::Graph;
    const REQUIRED: &'static [Section] = &[Section::Nodes, Section::Edges, Section::Strings];

    fn wants(&self, _section: Section) -> bool {
        true
    }

    fn node(&mut self, row: NodeRow, room: u64) {
        self.edge_sum += u64::from(row.edge_count);
        if !self.keep_rows {
            return;
        }
        grow(&mut self.node_type, room);
        grow(&mut self.node_name, room);
        grow(&mut self.node_id, room);
        grow(&mut self.sizes, room);
        grow(&mut self.first_edge, room);
        self.node_type.push(row.ty);
        self.node_name.push(row.name);
        self.node_id.push(row.id);
        let small = SizeColumn::encode(row.self_size);
        if small == u32::MAX {
            self.big_sizes.push((row.ordinal as u32, row.self_size));
        }
        self.sizes.push(small);
        // Past u32 the sum cannot match the edge count; the mismatch is reported at the end.
        self.first_edge
            .push(u32::try_from(self.edge_sum).unwrap_or(u32::MAX));
        if row.detachedness != 0 || self.detachedness.is_some() {
            let column = self.detachedness.get_or_insert_with(|| {
                let mut column = Vec::with_capacity(self.node_type.capacity());
                column.resize(row.ordinal as usize, 0);
                column
            });
            grow(column, room);
            column.push(row.detachedness);
        }
    }

    fn edge(&mut self, row: EdgeRow, room: u64) {
        if !self.keep_rows {
            return;
        }
        grow(&mut self.edge_type, room);
        grow(&mut self.edge_name, room);
        grow(&mut self.edge_to, room);
        self.edge_type.push(row.ty);
        self.edge_name.push(row.name);
        self.edge_to.push(row.to);
    }

    fn location(&mut self, location: Location) {
        // One row takes at least twice the field count in bytes: growing like a Vec stays
        // within the input's size.
        if self.keep_rows {
            self.locations.push(location);
        }
    }
}

/// Builds a [`HeapGraph`] from a snapshot pushed in chunks split anywhere.
///
/// ```no_run
/// # use modswap::heap::HeapGraphBuilder;
/// # fn chunks() -> Vec<Vec<u8>> { Vec::new() }
/// let mut builder = HeapGraphBuilder::new();
/// for chunk in chunks() {
///     builder.push(&chunk)?;
/// }
/// let graph = builder.finish()?;
/// # Ok::<(), modswap::heap::SnapshotError>(())
/// ```
///
/// Memory: the graph's columns and strings as they fill (plus at most one doubling of each
/// column while it grows), the `snapshot` header, and whatever number array arrives before
/// the header (V8 never writes one). After an error every further call fails.
#[derive(Debug)]
pub struct HeapGraphBuilder(Reader<GraphSink>);

impl Default for HeapGraphBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl HeapGraphBuilder {
    /// A builder waiting for the first chunk.
    pub fn new() -> Self {
        HeapGraphBuilder(Reader::new(GraphSink::new(true)))
    }

    /// A builder that checks what is pushed exactly as [`new`](Self::new)'s does, and stops at
    /// the same first error, but stores no node, edge or location rows: for finding that error
    /// in an input already known to be bad. Its [`finish`](Self::finish) gives no usable graph.
    pub(crate) fn checker() -> Self {
        HeapGraphBuilder(Reader::new(GraphSink::new(false)))
    }

    /// Bytes pushed so far.
    pub fn bytes_pushed(&self) -> u64 {
        self.0.bytes()
    }

    /// Heap bytes the builder holds now (columns, strings, buffers): what memory it costs
    /// while the input is still arriving.
    pub fn heap_bytes(&self) -> usize {
        self.0.sink.heap_bytes() + self.0.buffer_bytes()
    }

    /// Consumes the next chunk of the snapshot (any length, split anywhere).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), SnapshotError> {
        self.0.push(chunk)
    }

    /// Ends the input: checks what can only be checked at the end (the top-level object is
    /// closed, every section is there, the nodes' edge counts add up, every name is a
    /// string) and returns the graph.
    pub fn finish(self) -> Result<HeapGraph, SnapshotError> {
        debug_assert!(self.0.sink.keep_rows, "a checker builds no graph");
        let done = self.0.finish()?;
        assemble(done.sink, &done.meta, done.edge_rows, done.edges_close)
    }
}

/// The last checks, then the graph.
fn assemble(
    sink: GraphSink,
    meta: &Meta,
    edge_rows: u64,
    edges_close: u64,
) -> Result<HeapGraph, SnapshotError> {
    let node_count = sink.node_type.len();
    let root = root_ordinal(meta, node_count)?;
    if sink.edge_sum != edge_rows {
        return Err(SnapshotError::EdgeCountMismatch {
            offset: edges_close,
            declared: meta.edge_count,
            from_nodes: sink.edge_sum,
            actual: edge_rows,
        });
    }
    let mut locations = sink.locations;
    // DevTools keeps the last entry per node (a Map). V8 writes one per node, in order.
    if !locations.windows(2).all(|w| w[0].node < w[1].node) {
        locations.reverse();
        locations.sort_by_key(|l| l.node);
        locations.dedup_by_key(|l| l.node);
    }
    locations.shrink_to_fit();
    let mut detachedness = sink.detachedness;
    if let Some(d) = detachedness.as_mut() {
        d.resize(node_count, 0);
    }
    Ok(HeapGraph {
        node_types: TypeTable::new(meta.node_types.clone(), NodeKind::from_name),
        edge_types: TypeTable::new(meta.edge_types.clone(), EdgeKind::from_name),
        node_type: sink.node_type,
        node_name: sink.node_name,
        node_id: sink.node_id,
        self_size: SizeColumn::from_parts(sink.sizes, sink.big_sizes),
        first_edge: sink.first_edge,
        detachedness,
        edge_type: sink.edge_type,
        edge_name: sink.edge_name,
        edge_to: sink.edge_to,
        strings: sink.strings.into_strings()?,
        locations,
        root,
        extra_native_bytes: meta.extra_native_bytes,
        timings: LoadTimings::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::reader::nodes::test_support::OLD_FIELDS;
    use crate::heap::testsnap::Snap;

    /// Pushes `chunks` one by one.
    fn build(chunks: &[&[u8]]) -> Result<HeapGraph, SnapshotError> {
        let mut builder = HeapGraphBuilder::new();
        for chunk in chunks {
            builder.push(chunk)?;
        }
        builder.finish()
    }

    /// The builder and `from_bytes` agree on `text` split as `chunks`.
    fn agree(text: &[u8], chunks: &[&[u8]]) {
        let whole = HeapGraph::from_bytes(text);
        let pushed = build(chunks);
        match (&whole, &pushed) {
            (Ok(a), Ok(b)) => assert!(
                a.same_content(b),
                "graphs differ for {:?} split {:?}",
                String::from_utf8_lossy(text),
                chunks.iter().map(|c| c.len()).collect::<Vec<_>>()
            ),
            // The same first error, whatever the chunks.
            (Err(a), Err(b)) => assert_eq!(
                a.to_string(),
                b.to_string(),
                "for {:?} split {:?}",
                String::from_utf8_lossy(text),
                chunks.iter().map(|c| c.len()).collect::<Vec<_>>()
            ),
            _ => panic!(
                "from_bytes {:?} but builder {:?} for {:?} split {:?}",
                whole.as_ref().err(),
                pushed.as_ref().err(),
                String::from_utf8_lossy(text),
                chunks.iter().map(|c| c.len()).collect::<Vec<_>>()
            ),
        }
    }

    /// Every two-chunk split and the byte-by-byte push.
    fn agree_everywhere(text: &[u8]) {
        for k in 0..=text.len() {
            agree(text, &[&text[..k], &text[k..]]);
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        agree(text, &bytes);
    }

    fn small_snapshots() -> Vec<String> {
        let mut out = Vec::new();
        let (mut s, global) = Snap::with_global();
        let a = s.node("object", "Caf\u{e9} \"q\"\n\u{1F600}", 24);
        let b = s.node("array", "", 1 << 40);
        let c = s.node("closure", "f", u64::from(u32::MAX));
        s.edge(global, "property", "a", a);
        s.edge(a, "element", "3", b);
        s.edge(b, "weak", "w", c);
        s.edge(c, "context", "self", c);
        s.nodes[b].detachedness = 2;
        s.locations = vec![(c, 1, 2, 3), (a, 4, 5, 6), (c, 7, 8, 9)];
        out.push(s.build());
        s.header_extra = ",\"root_index\":7,\"extra_native_bytes\":99".into();
        out.push(s.build());
        s.node_fields = OLD_FIELDS.to_vec();
        s.header_extra.clear();
        out.push(s.build());
        s.node_fields = vec!["name", "x", "type", "id", "self_size", "edge_count"];
        out.push(s.build());
        // A lone root: empty arrays with white space inside. (No nodes at all is an error in
        // both loaders: engine_tests::a_snapshot_without_nodes_is_an_error_not_a_panic.)
        let mut lone = Snap::new();
        lone.node("synthetic", "", 0);
        out.push(lone.build().replace("\"edges\":[]", "\"edges\":[ ]"));
        out
    }

    #[test]
    fn every_split_matches_from_bytes() {
        for text in small_snapshots() {
            assert!(HeapGraph::from_bytes(text.as_bytes()).is_ok(), "{text}");
            agree_everywhere(text.as_bytes());
        }
    }

    #[test]
    fn sections_in_any_order() {
        let text = &small_snapshots()[0];
        let graph = HeapGraph::from_bytes(text.as_bytes()).expect("loads");
        // Move the header to the end, and the strings to the front.
        let body = text.strip_prefix('{').expect("object");
        let header_end = body.find("},\n\"nodes\"").expect("header") + 3;
        let (header, rest) = body.split_at(header_end);
        let rest = rest.strip_suffix('}').expect("object");
        let strings_at = rest.find("\"strings\"").expect("strings");
        let (middle, strings) = rest.split_at(strings_at);
        let moved = format!("{{{strings},{middle}{}}}", header.trim_end_matches(",\n"));
        assert!(
            moved.starts_with("{\"strings\":[") && moved.ends_with("\"trace_function_count\":0}}"),
            "{moved}"
        );
        let from_bytes = HeapGraph::from_bytes(moved.as_bytes()).expect("reordered loads");
        assert!(from_bytes.same_content(&graph));
        agree_everywhere(moved.as_bytes());
        let pushed = build(&[moved.as_bytes()]).expect("builder loads");
        assert!(pushed.same_content(&graph));
    }

    #[test]
    fn truncations_and_mutations_agree() {
        let text = small_snapshots().swap_remove(1);
        let text = text.as_bytes();
        for k in 0..text.len() {
            let cut = &text[..k];
            agree(cut, &[&cut[..k / 2], &cut[k / 2..]]);
        }
        let mut mutated = text.to_vec();
        for i in 0..text.len() {
            for b in [b'0', b'9', b',', b']', b'[', b' ', b'"', b'x', b'}', 0x80] {
                mutated[i] = b;
                let (head, tail) = mutated.split_at(i.saturating_sub(1));
                agree(&mutated, &[head, tail]);
            }
            mutated[i] = text[i];
        }
    }

    /// A bigger generated snapshot in random chunk sizes.
    #[test]
    fn random_chunks_match_from_bytes() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let (mut s, global) = Snap::with_global();
        let types = ["object", "array", "string", "closure", "hidden", "native"];
        for k in 0..20_000u64 {
            let ty = types[next(types.len() as u64) as usize];
            let n = s.node(ty, &format!("n{}", next(500)), next(1000));
            let from = if k < 10 {
                global
            } else {
                next(n as u64) as usize
            };
            s.edge(from, "property", &format!("p{}", next(300)), n);
            for _ in 0..next(4) {
                let to = next(s.nodes.len() as u64) as usize;
                let ty = ["element", "weak", "internal", "shortcut"][next(4) as usize];
                s.edge(n, ty, &next(50).to_string(), to);
            }
            if next(10) == 0 {
                s.locations.push((n, next(9), next(99), next(99)));
            }
        }
        let text = s.build();
        let text = text.as_bytes();
        assert!(text.len() > 500_000, "{}", text.len());
        let graph = HeapGraph::from_bytes(text).expect("loads");
        for max in [7u64, 100, 4096, 70_000] {
            let mut chunks = Vec::new();
            let mut rest = text;
            while !rest.is_empty() {
                let n = (1 + next(max) as usize).min(rest.len());
                let (chunk, tail) = rest.split_at(n);
                chunks.push(chunk);
                rest = tail;
            }
            let pushed = build(&chunks).expect("builder loads");
            assert!(pushed.same_content(&graph), "chunks up to {max}");
        }
        let read = HeapGraph::from_reader(text).expect("reader loads");
        assert!(read.same_content(&graph));
    }

    #[test]
    fn errors_name_the_offset_across_chunks() {
        let text = small_snapshots().swap_remove(0);
        // An edge pointing past the nodes, its value split over two chunks.
        let edges = text.find("\"edges\":[").expect("edges") + 9;
        let to = edges + text[edges..].find('\n').expect("row end") - 1;
        let bad = format!("{}9999{}", &text[..to], &text[to..]);
        let whole = HeapGraph::from_bytes(bad.as_bytes()).expect_err("bad target");
        for k in to - 1..to + 6 {
            let split =
                build(&[&bad.as_bytes()[..k], &bad.as_bytes()[k..]]).expect_err("bad target");
            assert_eq!(split.to_string(), whole.to_string());
            assert!(matches!(split, SnapshotError::EdgeTargetOutOfRange { .. }));
        }
        // A name past the strings: reported when the strings end.
        let nodes = text.find("\"nodes\":[").expect("nodes") + 9;
        let name = nodes + text[nodes..].find(',').expect("type") + 1;
        let bad = format!("{}77{}", &text[..name], &text[name..]);
        let err = build(&[bad.as_bytes()]).expect_err("bad name");
        let whole = HeapGraph::from_bytes(bad.as_bytes()).expect_err("bad name");
        assert_eq!(err.to_string(), whole.to_string());
        // Push after an error, and a truncated input.
        let mut builder = HeapGraphBuilder::new();
        assert!(builder.push(b"[").is_err());
        assert!(matches!(
            builder.push(b"{"),
            Err(SnapshotError::AlreadyFailed { .. })
        ));
        let mut builder = HeapGraphBuilder::new();
        builder.push(&text.as_bytes()[..100]).expect("prefix");
        assert!(matches!(
            builder.finish(),
            Err(SnapshotError::Truncated { offset: 100, .. })
        ));
    }

    /// A header that claims far more nodes and edges than the input holds: the columns grow
    /// with the rows read, never towards the claimed counts.
    #[test]
    fn lying_counts_do_not_reserve_memory() {
        let (mut s, global) = Snap::with_global();
        for _ in 0..50_000 {
            let n = s.node("object", "x", 8);
            s.edge(global, "property", "p", n);
        }
        let text = s.build();
        let lie = text.replacen(
            &format!("\"node_count\":{}", s.nodes.len()),
            "\"node_count\":1000000000000",
            1,
        );
        let lie = lie.replacen(
            &format!("\"edge_count\":{}", s.edges.len()),
            "\"edge_count\":1000000000000",
            1,
        );
        let mut builder = HeapGraphBuilder::new();
        let mut peak = 0;
        for chunk in lie.as_bytes().chunks(4096) {
            if builder.push(chunk).is_err() {
                break;
            }
            peak = peak.max(builder.heap_bytes());
        }
        assert!(
            peak <= 4 * lie.len(),
            "{peak} bytes held for {} bytes of input",
            lie.len()
        );
        assert!(build(&[lie.as_bytes()]).is_err());
    }
}
