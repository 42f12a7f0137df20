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

use super::chunked::{HeapGraphBuilder, StringColumn, READ_CHUNK};
use super::columns::{
    check_edge_count, check_names, check_node_count, first_edges, parse_edges, parse_locations,
    parse_nodes, root_ordinal, EdgeColumns, NodeColumns,
};
use super::graph::{EdgeKind, HeapGraph, LoadTimings, Location, NodeKind, Strings, TypeTable};
use super::meta::{Meta, Needs};
use super::numbers::{self, Span};
use super::progress::Progress;
use super::reader::error::syntax;
use super::reader::json::{describe, Skipper, StrScan};
use super::reader::{ByteCount, Facts, SnapshotError, StringsArray};
use std::fs::File;
use std::path::Path;
use std::time::Instant;

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
        let count = ByteCount::new(progress);
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
        let sections = scan_top_level(bytes)?;
        let meta = Meta::parse(
            &bytes[sections.header.0..sections.header.1],
            sections.header.0,
            Needs::Graph,
        )?;
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
    /// The `snapshot` object: start and end offsets.
    header: (usize, usize),
    nodes: Span,
    edges: Span,
    locations: Option<Span>,
    strings: Span,
}

#[derive(Default)]
struct Found {
    header: Option<(usize, usize)>,
    nodes: Option<Span>,
    edges: Option<Span>,
    locations: Option<Span>,
    strings: Option<Span>,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_ws(bytes[i]) {
        i += 1;
    }
    i
}

fn truncated(bytes: &[u8], inside: &'static str) -> SnapshotError {
    SnapshotError::Truncated {
        offset: bytes.len() as u64,
        inside,
    }
}

/// Walks `{ "key": value, ... }` once: the arrays are only delimited here (their contents are
/// validated when they are parsed), the header is sliced, anything else is validated and
/// skipped.
fn scan_top_level(bytes: &[u8]) -> Result<Sections, SnapshotError> {
    let mut i = skip_ws(bytes, 0);
    match bytes.get(i) {
        Some(b'{') => i += 1,
        Some(&b) => {
            return Err(SnapshotError::NotASnapshot {
                offset: i as u64,
                reason: format!("expected a JSON object, found {}", describe(b)),
            })
        }
        None => {
            return Err(SnapshotError::NotASnapshot {
                offset: i as u64,
                reason: "the input is empty".into(),
            })
        }
    }
    let mut found = Found::default();
    i = skip_ws(bytes, i);
    if bytes.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            let (key, after_key) = read_key(bytes, i)?;
            i = skip_ws(bytes, after_key);
            match bytes.get(i) {
                Some(b':') => i = skip_ws(bytes, i + 1),
                Some(&b) => {
                    return Err(syntax(
                        i as u64,
                        format!("expected ':', found {}", describe(b)),
                    ))
                }
                None => return Err(truncated(bytes, "the top-level object")),
            }
            if i == bytes.len() {
                // Ends before the value starts: no section to name yet.
                return Err(truncated(bytes, "the top-level object"));
            }
            i = scan_value(bytes, i, &key, &mut found)?;
            i = skip_ws(bytes, i);
            match bytes.get(i) {
                Some(b',') => i = skip_ws(bytes, i + 1),
                Some(b'}') => {
                    i += 1;
                    break;
                }
                Some(&b) => {
                    return Err(syntax(
                        i as u64,
                        format!(
                            "expected ',' or '}}' after a top-level value, found {}",
                            describe(b)
                        ),
                    ))
                }
                None => return Err(truncated(bytes, "the top-level object")),
            }
        }
    }
    let end = skip_ws(bytes, i);
    if end < bytes.len() {
        return Err(syntax(
            end as u64,
            "data after the end of the snapshot object",
        ));
    }
    finish_sections(found, i - 1)
}

/// The sections found when the top-level object closed at `end` (its `}`).
fn finish_sections(found: Found, end: usize) -> Result<Sections, SnapshotError> {
    let missing = |what: &str| SnapshotError::Structure {
        offset: end as u64,
        message: format!("no \"{what}\" array"),
    };
    let header = found.header.ok_or_else(|| SnapshotError::NotASnapshot {
        offset: end as u64,
        reason: "no \"snapshot\" header".into(),
    })?;
    Ok(Sections {
        header,
        nodes: found.nodes.ok_or_else(|| missing("nodes"))?,
        edges: found.edges.ok_or_else(|| missing("edges"))?,
        locations: found.locations,
        strings: found.strings.ok_or_else(|| missing("strings"))?,
    })
}

/// Reads a top-level key starting at `i` (which must be its opening quote).
fn read_key(bytes: &[u8], i: usize) -> Result<(Vec<u8>, usize), SnapshotError> {
    match bytes.get(i) {
        Some(b'"') => {}
        Some(&b) => {
            return Err(syntax(
                i as u64,
                format!("expected a top-level key, found {}", describe(b)),
            ))
        }
        None => return Err(truncated(bytes, "the top-level object")),
    }
    let mut key = Vec::new();
    let (n, closed) = StrScan::default().feed(&bytes[i + 1..], Some(&mut key), i as u64 + 1)?;
    if !closed {
        return Err(truncated(bytes, "a top-level key"));
    }
    Ok((key, i + 1 + n))
}

/// Handles the value of top-level `key` at `i`; returns the offset after it.
fn scan_value(
    bytes: &[u8],
    i: usize,
    key: &[u8],
    found: &mut Found,
) -> Result<usize, SnapshotError> {
    let duplicate = |name: &str| SnapshotError::Structure {
        offset: i as u64,
        message: format!("duplicate \"{name}\" section"),
    };
    match key {
        b"snapshot" => {
            if found.header.is_some() {
                return Err(duplicate("snapshot"));
            }
            let end = skip_value(bytes, i, "the \"snapshot\" header")?;
            found.header = Some((i, end));
            Ok(end)
        }
        b"nodes" | b"edges" | b"locations" => {
            let name = std::str::from_utf8(key).unwrap_or_default();
            let slot = match key {
                b"nodes" => &mut found.nodes,
                b"edges" => &mut found.edges,
                _ => &mut found.locations,
            };
            if slot.is_some() {
                return Err(duplicate(name));
            }
            let span = number_array_span(bytes, i, name)?;
            *slot = Some(span);
            Ok(span.close + 1)
        }
        b"strings" => {
            if found.strings.is_some() {
                return Err(duplicate("strings"));
            }
            let span = strings_array_span(bytes, i)?;
            found.strings = Some(span);
            Ok(span.close + 1)
        }
        _ => skip_value(bytes, i, "a skipped section"),
    }
}

/// Validates and skips one JSON value starting at `i`.
fn skip_value(bytes: &[u8], i: usize, inside: &'static str) -> Result<usize, SnapshotError> {
    let mut skipper = Skipper::new();
    let (n, done) = skipper.feed(&bytes[i..], i as u64)?;
    if !done {
        // A top-level number ends at the first byte that is not part of it; at the very end
        // of the input that byte is missing, and the object is unclosed anyway.
        return Err(truncated(bytes, inside));
    }
    Ok(i + n)
}

/// The brackets of a flat number array at `i`. Only the bytes are checked here (digits,
/// commas and white space up to the closing bracket, so that garbage is rejected where it
/// starts, before the rest of the input is read); the parser validates the values.
fn number_array_span(bytes: &[u8], i: usize, name: &str) -> Result<Span, SnapshotError> {
    match bytes.get(i) {
        Some(b'[') => {}
        Some(&b) => {
            return Err(SnapshotError::Structure {
                offset: i as u64,
                message: format!("\"{name}\" is not an array (found {})", describe(b)),
            })
        }
        None => return Err(truncated(bytes, "the top-level object")),
    }
    match numbers::first_non_number(&bytes[i + 1..]) {
        Some(k) if bytes[i + 1 + k] == b']' => Ok(Span {
            open: i,
            close: i + 1 + k,
        }),
        Some(k) => Err(numbers::not_a_number_byte(
            (i + 1 + k) as u64,
            name,
            bytes[i + 1 + k],
        )),
        None => Err(SnapshotError::Truncated {
            offset: bytes.len() as u64,
            inside: match name {
                "nodes" => "the \"nodes\" array",
                "edges" => "the \"edges\" array",
                _ => "the \"locations\" array",
            },
        }),
    }
}

/// The brackets of the `strings` array at `i`, found by skipping string bodies (escapes
/// included) without decoding them; [`decode_strings`] validates them.
fn strings_array_span(bytes: &[u8], i: usize) -> Result<Span, SnapshotError> {
    if bytes.get(i) != Some(&b'[') {
        return Err(SnapshotError::Structure {
            offset: i as u64,
            message: "\"strings\" is not an array".into(),
        });
    }
    let inside = "the \"strings\" array";
    let mut j = skip_ws(bytes, i + 1);
    if bytes.get(j) == Some(&b']') {
        return Ok(Span { open: i, close: j });
    }
    loop {
        match bytes.get(j) {
            Some(b'"') => {}
            Some(&b) => {
                return Err(syntax(
                    j as u64,
                    format!("expected a string in \"strings\", found {}", describe(b)),
                ))
            }
            None => return Err(truncated(bytes, inside)),
        }
        j = skip_string_body(bytes, j + 1).ok_or_else(|| truncated(bytes, inside))?;
        j = skip_ws(bytes, j);
        match bytes.get(j) {
            Some(b',') => j = skip_ws(bytes, j + 1),
            Some(b']') => return Ok(Span { open: i, close: j }),
            Some(&b) => {
                return Err(syntax(
                    j as u64,
                    format!("expected ',' or ']' in \"strings\", found {}", describe(b)),
                ))
            }
            None => return Err(truncated(bytes, inside)),
        }
    }
}

/// The offset after the closing quote of the string body starting at `i`, looking for `"` and
/// `\\` eight bytes at a time.
fn skip_string_body(bytes: &[u8], mut i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    loop {
        if let Some(word) = bytes.get(i..i + 8) {
            let x = u64::from_le_bytes(word.try_into().unwrap_or_default());
            let quote = x ^ (ONES * u64::from(b'"'));
            let backslash = x ^ (ONES * u64::from(b'\\'));
            // The lowest flagged byte is exactly the first zero byte of either word.
            let found = (quote.wrapping_sub(ONES) & !quote
                | backslash.wrapping_sub(ONES) & !backslash)
                & HIGHS;
            if found == 0 {
                i += 8;
                continue;
            }
            let k = i + (found.trailing_zeros() / 8) as usize;
            if bytes[k] == b'"' {
                return Some(k + 1);
            }
            // An escape: its next byte cannot end the string.
            i = k + 2;
            continue;
        }
        match *bytes.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// Decodes the `strings` array (delimited by [`strings_array_span`]) with the reader's
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
    count.add(body.len() as u64 + 1);
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
