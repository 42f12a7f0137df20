//! Loading a whole `.heapsnapshot` into a [`HeapGraph`]: memory-map (or borrow) the bytes,
//! walk the top-level object once to find the sections, decode `strings`, read every offset
//! from `snapshot.meta`, then parse `nodes` and `edges` in parallel into columns. A path that
//! is not a regular file (a pipe, a character device) is parsed as a stream instead.
//!
//! Nothing is allocated from a declared count: columns are sized from the values actually
//! present, and every disagreement between the header and the arrays is an error. The walk
//! checks the bytes of the number arrays as it goes, so garbage stops it where it starts; on
//! any error the input is re-read sequentially up to that place, so that the error reported is
//! the first one in the file (the one a stream reports).

#![deny(missing_docs)]

use crate::heap::graph::builder::{HeapGraphBuilder, StringColumn, READ_CHUNK};
use crate::heap::graph::columns::{
    check_edge_count, check_names, check_node_count, first_edges, parse_edges, parse_locations,
    parse_nodes, root_ordinal, EdgeColumns, NodeColumns,
};
use crate::heap::graph::{
    EdgeKind, HeapGraph, LoadTimings, Location, NodeKind, Strings, TypeTable,
};
use crate::heap::progress::Progress;
use crate::heap::reader::meta::{Meta, Needs};
use crate::heap::reader::numbers::{self, Span};
use crate::heap::reader::{
    ByteCount, Facts, NodeRow, Reader, Section, Sink, SnapshotError, StringSink, StringsArray,
};
use std::fs::File;
use std::path::Path;
use std::time::Instant;

/// Files at least this large have the pages of each parsed range released during the load:
/// a 660 MB snapshot then peaks at 934 MB of RSS instead of 1.11 GB (file + columns).
const RELEASE_PAGES_FROM: usize = 256 << 20;

impl HeapGraph {
    /// Loads a snapshot file (see [`load_counted`](Self::load_counted)).
    pub fn load(path: impl AsRef<Path>) -> Result<HeapGraph, SnapshotError> {
        Self::load_counted(path).map(|(graph, _)| graph)
    }

    /// Loads a snapshot file and returns it with the number of bytes read.
    ///
    /// A regular file is memory-mapped (the map is released before this returns: strings
    /// are copied into the graph's arena) and parsed by [`from_bytes`](Self::from_bytes):
    /// pages are read as the parser reaches them, so input rejected at its start is not read
    /// to its end. Anything else (a pipe, a FIFO, a terminal, a character device such as
    /// `/dev/stdin` or `/dev/zero`), which has no size and may never end, is parsed as it
    /// arrives by [`from_reader`](Self::from_reader): memory holds the graph being built,
    /// never the text, and reading stops at the first error.
    pub fn load_counted(path: impl AsRef<Path>) -> Result<(HeapGraph, u64), SnapshotError> {
        Self::load_reporting(path, None)
    }

    /// [`load_counted`](Self::load_counted), reporting the bytes parsed to `progress` as they
    /// are (its total is the caller's to set: the file's size, when it has one). They reach
    /// the file's size when the graph is built.
    pub fn load_reporting(
        path: impl AsRef<Path>,
        progress: Option<&Progress>,
    ) -> Result<(HeapGraph, u64), SnapshotError> {
        let started = Instant::now();
        let file = File::open(path.as_ref())?;
        // A directory gets here too: its first read fails with "Is a directory".
        if !file.metadata()?.is_file() {
            return Self::read_counted(file, progress);
        }
        // SAFETY: the map is read-only and private to this call. If another process truncates
        // the file while we read it, accesses past the new end fault (SIGBUS); that is the
        // documented risk of any file mapping and the reason the map lives no longer than this
        // function. Not populated up front: that would read the whole file before its first
        // byte is checked.
        let Ok(map) = (unsafe { memmap2::Mmap::map(&file) }) else {
            // A file system that cannot map files: read it as a stream.
            return Self::read_counted(file, progress);
        };
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        let read = started.elapsed();
        // Handing parsed pages back costs a few percent of the load (page-table work on
        // every thread); below this size the mapped file is not what limits memory.
        let count = if map.len() >= RELEASE_PAGES_FROM {
            ByteCount::releasing(progress, &map)
        } else {
            ByteCount::new(progress)
        };
        let mut graph =
            Self::from_bytes_parallel(&map, &count).map_err(|e| first_error(&map, e))?;
        graph.timings.read = read;
        Ok((graph, map.len() as u64))
    }

    /// Parses a snapshot held in memory.
    ///
    /// The number arrays are parsed in parallel, and some checks (the row counts, the
    /// strings) are made out of file order, so the first check to fail need not be about the
    /// first bad byte. On failure the input is therefore parsed again sequentially up to the
    /// place of that error, and the first error found on the way is returned: the same error,
    /// at the same offset, as the input pushed in chunks through a [`HeapGraphBuilder`]
    /// reports.
    pub fn from_bytes(bytes: &[u8]) -> Result<HeapGraph, SnapshotError> {
        Self::from_bytes_parallel(bytes, &ByteCount::new(None))
            .map_err(|found| first_error(bytes, found))
    }

    /// Parses `bytes` on all threads, adding the bytes of each piece to `count` as it is done.
    fn from_bytes_parallel(bytes: &[u8], count: &ByteCount) -> Result<HeapGraph, SnapshotError> {
        let started = Instant::now();
        let (sections, meta) = locate(bytes)?;
        let mut timings = LoadTimings {
            scan: started.elapsed(),
            ..LoadTimings::default()
        };
        // The strings are decoded on one thread while the number arrays take the others; the
        // names are checked against the string count afterwards.
        let ((strings, t_strings), (columns, t_numbers)) = rayon::join(
            || timed(|| decode_strings(bytes, sections.strings, count)),
            || timed(|| build_columns(bytes, &sections, &meta, count)),
        );
        let columns = columns?;
        let strings = strings?;
        (timings.strings, timings.numbers) = (t_strings, t_numbers);
        let mut graph = assemble(bytes, columns, strings, &meta)?;
        graph.timings = timings;
        count.fill(bytes.len() as u64);
        Ok(graph)
    }
}

/// The first error in `bytes` up to the place of `found` (an error the parallel loader
/// reported), as the sequential parser sees them; `found` itself when there is none before it.
#[cold]
fn first_error(bytes: &[u8], found: SnapshotError) -> SnapshotError {
    let end = found
        .offset()
        .map_or(bytes.len(), |at| {
            usize::try_from(at).map_or(bytes.len(), |at| at.saturating_add(1))
        })
        .min(bytes.len());
    let mut builder = HeapGraphBuilder::checker();
    for chunk in bytes[..end].chunks(READ_CHUNK) {
        if let Err(earlier) = builder.push(chunk) {
            return earlier;
        }
    }
    found
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, std::time::Duration) {
    let started = Instant::now();
    let value = f();
    (value, started.elapsed())
}

// ---------------------------------------------------------------------------------------------
// The top level

/// Where the sections are (byte offsets).
struct Sections {
    nodes: Span,
    edges: Span,
    locations: Option<Span>,
    strings: Span,
}

/// The sink that collects the arrays' places when the [`Reader`] only locates them.
#[derive(Debug, Default)]
struct Spans {
    nodes: Option<Span>,
    edges: Option<Span>,
    locations: Option<Span>,
    strings: Option<Span>,
}

impl StringSink for Spans {
    fn string_start(&mut self, _index: u64) -> bool {
        false
    }

    fn string_buf(&mut self) -> &mut Vec<u8> {
        unreachable!("located strings are not decoded")
    }

    fn string_end(&mut self, _index: u64, _at: u64) -> Result<(), SnapshotError> {
        Ok(())
    }
}

impl Sink for Spans {
    const NEEDS: Needs = Needs::Graph;
    const LOCATE: bool = true;
    const REQUIRED: &'static [Section] = &[Section::Nodes, Section::Edges, Section::Strings];

    fn wants(&self, _section: Section) -> bool {
        true
    }

    fn node(&mut self, _row: NodeRow, _room: u64) {}

    fn span(&mut self, section: Section, open: u64, close: u64) {
        let span = Some(Span {
            open: open as usize,
            close: close as usize,
        });
        match section {
            Section::Nodes => self.nodes = span,
            Section::Edges => self.edges = span,
            Section::Locations => self.locations = span,
            Section::Strings => self.strings = span,
        }
    }
}

/// Walks the top level once with the [`Reader`]: the header is decoded, the arrays are only
/// delimited (their bytes checked; the values are parsed in parallel afterwards), anything
/// else is validated and skipped.
fn locate(bytes: &[u8]) -> Result<(Sections, Meta), SnapshotError> {
    let mut reader = Reader::new(Spans::default());
    reader.push(bytes)?;
    let done = reader.finish()?;
    let required = "the reader checks that the required sections are there";
    let spans = done.sink;
    let sections = Sections {
        nodes: spans.nodes.expect(required),
        edges: spans.edges.expect(required),
        locations: spans.locations,
        strings: spans.strings.expect(required),
    };
    Ok((sections, done.meta))
}

/// Decodes the `strings` array (delimited by [`locate`]) with the reader's
/// [`StringsArray`], adding its bytes to `count` when done.
fn decode_strings(bytes: &[u8], span: Span, count: &ByteCount) -> Result<Strings, SnapshotError> {
    // The decoded strings are never longer than their JSON: reserving that much (address
    // space; only the pages written get memory) saves the copies of a growing Vec.
    let mut column = StringColumn {
        arena: Vec::with_capacity(span.close - span.open),
        ends: Vec::new(),
    };
    let body = &bytes[span.open + 1..=span.close];
    let (n, done) = StringsArray::default().feed(body, span.open as u64 + 1, &mut column)?;
    debug_assert!(done && n == body.len(), "the span ends at the array's ]");
    count.range_done(span.open, span.close + 1);
    column.into_strings()
}

// ---------------------------------------------------------------------------------------------
// Columns

/// The columns parsed from the number arrays, before the names are checked.
struct Columns {
    node_plan: numbers::Plan,
    edge_plan: numbers::Plan,
    nodes: NodeColumns,
    first_edge: Vec<u32>,
    edges: EdgeColumns,
    locations: Vec<Location>,
    root: u32,
}

fn build_columns(
    bytes: &[u8],
    sections: &Sections,
    meta: &Meta,
    count: &ByteCount,
) -> Result<Columns, SnapshotError> {
    let node_plan = numbers::plan(bytes, sections.nodes, meta.node.stride);
    let node_count = check_node_count(&node_plan, sections.nodes, meta)?;
    let edge_plan = numbers::plan(bytes, sections.edges, meta.edge.stride);
    let edge_count = check_edge_count(&edge_plan, sections.edges, meta)?;
    let root = root_ordinal(meta, node_count)?;
    let facts = Facts::new(meta);
    let mut nodes = parse_nodes(bytes, &node_plan, meta, &facts, count)?;
    let first_edge = first_edges(
        std::mem::take(&mut nodes.edge_counts),
        edge_count,
        sections.edges,
        meta,
    )?;
    let edges = parse_edges(bytes, &edge_plan, meta, &facts, edge_count, count)?;
    let locations = match (sections.locations, meta.locations) {
        (Some(span), Some(lm)) => parse_locations(bytes, span, lm, &facts, count)?,
        _ => Vec::new(),
    };
    Ok(Columns {
        node_plan,
        edge_plan,
        nodes,
        first_edge,
        edges,
        locations,
        root,
    })
}

/// Checks every name against the strings and puts the graph together.
fn assemble(
    bytes: &[u8],
    c: Columns,
    strings: Strings,
    meta: &Meta,
) -> Result<HeapGraph, SnapshotError> {
    check_names(
        bytes,
        &c.node_plan,
        &c.nodes,
        &c.edge_plan,
        &c.edges,
        meta,
        strings.len() as u64,
    )?;
    Ok(HeapGraph {
        node_types: TypeTable::new(meta.node_types.clone(), NodeKind::from_name),
        edge_types: TypeTable::new(meta.edge_types.clone(), EdgeKind::from_name),
        node_type: c.nodes.types,
        node_name: c.nodes.names,
        node_id: c.nodes.ids,
        self_size: c.nodes.sizes,
        first_edge: c.first_edge,
        detachedness: c.nodes.detachedness,
        edge_type: c.edges.types,
        edge_name: c.edges.names,
        edge_to: c.edges.to,
        strings,
        locations: c.locations,
        root: c.root,
        extra_native_bytes: meta.extra_native_bytes,
        timings: LoadTimings::default(),
    })
}
