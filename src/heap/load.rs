//! Loading a whole `.heapsnapshot` into a [`HeapGraph`]: memory-map (or borrow) the bytes,
//! walk the top-level object once to find the sections, decode `strings`, read every offset
//! from `snapshot.meta`, then parse `nodes` and `edges` in parallel into columns.
//!
//! Nothing is allocated from a declared count: columns are sized from the values actually
//! present, and every disagreement between the header and the arrays is an error.

use super::bits::SizeColumn;
use super::graph::{EdgeKind, HeapGraph, LoadTimings, Location, NodeKind, Strings, TypeTable};
use super::numbers::{
    self, read_fixed, read_row, run_pieces, split_rows, value_offset, Divider, Piece, Plan, Span,
};
use super::stream::{describe, syntax, Skipper, SnapshotError, StrScan};
use serde_json::Value;
use std::fs::File;
use std::path::Path;
use std::time::Instant;

/// The `snapshot` header is a few KiB in practice; refuse to parse an absurd one.
const MAX_HEADER_BYTES: usize = 16 << 20;
/// More fields than this per node or edge is not a V8 snapshot (rows are parsed on the stack).
const MAX_FIELDS: usize = 64;

impl HeapGraph {
    /// Loads a snapshot file through a read-only memory map; the map is released before this
    /// returns (strings are copied into the graph's arena).
    pub fn load(path: &Path) -> Result<HeapGraph, SnapshotError> {
        let started = Instant::now();
        let file = File::open(path)?;
        // SAFETY: the map is read-only and private to this call. If another process truncates
        // the file while we read it, accesses past the new end fault (SIGBUS); that is the
        // documented risk of any file mapping and the reason the map lives no longer than this
        // function.
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file)? };
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        let read = started.elapsed();
        let mut graph = Self::from_bytes(&map)?;
        graph.timings.read = read;
        Ok(graph)
    }

    /// Parses a snapshot held in memory.
    pub fn from_bytes(bytes: &[u8]) -> Result<HeapGraph, SnapshotError> {
        let started = Instant::now();
        let sections = scan_top_level(bytes)?;
        let mut timings = LoadTimings {
            strings: sections.strings_time,
            ..LoadTimings::default()
        };
        timings.scan = started.elapsed().saturating_sub(timings.strings);
        let started = Instant::now();
        let meta = Meta::parse(
            &bytes[sections.header.0..sections.header.1],
            sections.header.0,
        )?;
        let mut graph = build(bytes, sections, &meta)?;
        timings.numbers = started.elapsed();
        graph.timings = timings;
        Ok(graph)
    }
}

// ---------------------------------------------------------------------------------------------
// The top level

/// Where the sections are (byte offsets) and the decoded strings.
struct Sections {
    /// The `snapshot` object: start and end offsets.
    header: (usize, usize),
    nodes: Span,
    edges: Span,
    locations: Option<Span>,
    strings: Strings,
    strings_time: std::time::Duration,
}

#[derive(Default)]
struct Found {
    header: Option<(usize, usize)>,
    nodes: Option<Span>,
    edges: Option<Span>,
    locations: Option<Span>,
    strings: Option<Strings>,
    strings_time: std::time::Duration,
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

/// Walks `{ "key": value, ... }` once: the numeric arrays are only bracket-matched here, the
/// header is sliced, `strings` is decoded, anything else is validated and skipped.
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
    finish_sections(found, i)
}

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
        strings_time: found.strings_time,
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
            let started = Instant::now();
            let (strings, end) = decode_strings(bytes, i)?;
            found.strings = Some(strings);
            found.strings_time = started.elapsed();
            Ok(end)
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

/// The brackets of a flat number array at `i`. Only the closing bracket is looked for here;
/// the parser validates every byte in between.
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
    match memchr::memchr(b']', &bytes[i + 1..]) {
        Some(k) => Ok(Span {
            open: i,
            close: i + 1 + k,
        }),
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

/// Decodes the `strings` array at `i` into one arena; returns it and the offset after `]`.
fn decode_strings(bytes: &[u8], i: usize) -> Result<(Strings, usize), SnapshotError> {
    if bytes.get(i) != Some(&b'[') {
        return Err(SnapshotError::Structure {
            offset: i as u64,
            message: "\"strings\" is not an array".into(),
        });
    }
    // The decoded strings are never longer than the rest of the input: reserving that much
    // (address space; only the pages written get memory) saves the copies of a growing Vec.
    let mut arena: Vec<u8> = Vec::with_capacity(bytes.len() - i);
    let mut ends: Vec<usize> = Vec::new();
    let mut j = skip_ws(bytes, i + 1);
    if bytes.get(j) == Some(&b']') {
        return Ok((Strings::default(), j + 1));
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
            None => return Err(truncated(bytes, "the \"strings\" array")),
        }
        let (n, closed) =
            StrScan::default().feed(&bytes[j + 1..], Some(&mut arena), j as u64 + 1)?;
        if !closed {
            return Err(truncated(bytes, "the \"strings\" array"));
        }
        ends.push(arena.len());
        j = skip_ws(bytes, j + 1 + n);
        match bytes.get(j) {
            Some(b',') => j = skip_ws(bytes, j + 1),
            Some(b']') => break,
            Some(&b) => {
                return Err(syntax(
                    j as u64,
                    format!("expected ',' or ']' in \"strings\", found {}", describe(b)),
                ))
            }
            None => return Err(truncated(bytes, "the \"strings\" array")),
        }
    }
    if u32::try_from(ends.len()).is_err() {
        return Err(SnapshotError::TooLarge {
            offset: j as u64,
            message: format!("{} strings (at most 2^32 supported)", ends.len()),
        });
    }
    // The scanner validated UTF-8 and only ever writes whole characters.
    arena.shrink_to_fit();
    let arena =
        String::from_utf8(arena).map_err(|_| syntax(i as u64, "invalid UTF-8 in \"strings\""))?;
    Ok((Strings::from_parts(arena, ends), j + 1))
}

// ---------------------------------------------------------------------------------------------
// The header

/// Field positions of the `locations` rows.
#[derive(Debug, Clone, Copy)]
struct LocationMeta {
    stride: usize,
    index: usize,
    script: usize,
    line: usize,
    column: usize,
}

/// Positions of the node fields this crate reads (DevTools' `indexOf`: the first field with
/// the name; any other field is skipped).
#[derive(Debug, Clone, Copy)]
struct NodeLayout {
    stride: usize,
    ty: usize,
    name: usize,
    id: usize,
    self_size: usize,
    edge_count: usize,
    detachedness: Option<usize>,
}

/// Positions of the edge fields.
#[derive(Debug, Clone, Copy)]
struct EdgeLayout {
    stride: usize,
    ty: usize,
    name: usize,
    to: usize,
}

/// Everything read from `snapshot`.
#[derive(Debug)]
struct Meta {
    offset: u64,
    node: NodeLayout,
    node_field_names: Vec<String>,
    node_types: Vec<String>,
    edge: EdgeLayout,
    edge_field_names: Vec<String>,
    edge_types: Vec<String>,
    locations: Option<LocationMeta>,
    node_count: u64,
    edge_count: u64,
    root_index: Option<u64>,
    extra_native_bytes: u64,
}

fn string_list(value: Option<&Value>) -> Option<Vec<String>> {
    value?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

impl Meta {
    fn parse(raw: &[u8], offset: usize) -> Result<Meta, SnapshotError> {
        let offset = offset as u64;
        let bad = |message: String| SnapshotError::InvalidHeader { offset, message };
        if raw.len() > MAX_HEADER_BYTES {
            return Err(bad(format!(
                "{} bytes (at most {MAX_HEADER_BYTES})",
                raw.len()
            )));
        }
        let value: Value = serde_json::from_slice(raw).map_err(|err| bad(format!("{err}")))?;
        let meta = value
            .get("meta")
            .filter(|m| m.is_object())
            .ok_or_else(|| bad("no \"meta\" object".into()))?;
        let count = |name: &str| {
            value
                .get(name)
                .and_then(Value::as_u64)
                .ok_or_else(|| bad(format!("{name} is missing or not a non-negative integer")))
        };
        let optional = |name: &str| -> Result<Option<u64>, SnapshotError> {
            match value.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| bad(format!("{name} is not a non-negative integer"))),
            }
        };
        let node_required = ["type", "name", "id", "self_size", "edge_count"];
        let (node_field_names, node_types) =
            fields_and_types(meta, "node_fields", "node_types", &node_required, &bad)?;
        let edge_required = ["type", "name_or_index", "to_node"];
        let (edge_field_names, edge_types) =
            fields_and_types(meta, "edge_fields", "edge_types", &edge_required, &bad)?;
        // The required names were checked, so the positions exist.
        let at = |fields: &[String], name: &str| fields.iter().position(|f| f == name);
        let nf = |name| at(&node_field_names, name).unwrap_or(0);
        let ef = |name| at(&edge_field_names, name).unwrap_or(0);
        Ok(Meta {
            offset,
            node: NodeLayout {
                stride: node_field_names.len(),
                ty: nf("type"),
                name: nf("name"),
                id: nf("id"),
                self_size: nf("self_size"),
                edge_count: nf("edge_count"),
                detachedness: at(&node_field_names, "detachedness"),
            },
            edge: EdgeLayout {
                stride: edge_field_names.len(),
                ty: ef("type"),
                name: ef("name_or_index"),
                to: ef("to_node"),
            },
            node_field_names,
            node_types,
            edge_field_names,
            edge_types,
            locations: location_meta(meta),
            node_count: count("node_count")?,
            edge_count: count("edge_count")?,
            root_index: optional("root_index")?,
            extra_native_bytes: optional("extra_native_bytes")?.unwrap_or(0),
        })
    }
}

/// The field list `fields_key` and the type names listed for field `type_field`.
fn fields_and_types(
    meta: &Value,
    fields_key: &str,
    types_key: &str,
    required: &[&str],
    bad: &dyn Fn(String) -> SnapshotError,
) -> Result<(Vec<String>, Vec<String>), SnapshotError> {
    let fields = string_list(meta.get(fields_key))
        .ok_or_else(|| bad(format!("meta.{fields_key} is not an array of strings")))?;
    if fields.len() > MAX_FIELDS {
        return Err(bad(format!(
            "meta.{fields_key} lists {} fields (at most {MAX_FIELDS})",
            fields.len()
        )));
    }
    for name in required {
        if !fields.iter().any(|f| f == name) {
            return Err(bad(format!("meta.{fields_key} has no \"{name}\"")));
        }
    }
    let type_field = fields.iter().position(|f| f == "type").unwrap_or(0);
    let types =
        string_list(meta.get(types_key).and_then(|t| t.get(type_field))).ok_or_else(|| {
            bad(format!(
                "meta.{types_key}[{type_field}] (the \"type\" field) is not an array of strings"
            ))
        })?;
    if types.len() > 256 {
        return Err(bad(format!(
            "meta.{types_key} lists {} types (at most 256)",
            types.len()
        )));
    }
    Ok((fields, types))
}

/// `meta.location_fields`, if it names all four fields (otherwise locations are ignored, as
/// DevTools cannot use them either).
fn location_meta(meta: &Value) -> Option<LocationMeta> {
    let fields = string_list(meta.get("location_fields"))?;
    let at = |name: &str| fields.iter().position(|f| f == name);
    if fields.is_empty() || fields.len() > MAX_FIELDS {
        return None;
    }
    Some(LocationMeta {
        stride: fields.len(),
        index: at("object_index")?,
        script: at("script_id")?,
        line: at("line")?,
        column: at("column")?,
    })
}

// ---------------------------------------------------------------------------------------------
// Columns

fn build(bytes: &[u8], sections: Sections, meta: &Meta) -> Result<HeapGraph, SnapshotError> {
    let node_plan = numbers::plan(bytes, sections.nodes, meta.node.stride);
    let node_count = check_node_count(&node_plan, sections.nodes, meta)?;
    let edge_plan = numbers::plan(bytes, sections.edges, meta.edge.stride);
    let edge_count = check_edge_count(&edge_plan, sections.edges, meta)?;
    let root = root_ordinal(meta, node_count)?;
    let strings_len = sections.strings.len() as u64;
    let nodes = parse_nodes(bytes, &node_plan, meta, node_count, strings_len)?;
    let first_edge = first_edges(nodes.edge_counts, edge_count, sections.edges, meta)?;
    let ctx = EdgeContext {
        meta,
        node_count: node_count as u64,
        strings: strings_len,
        string_named: string_named_types(&meta.edge_types),
    };
    let edges = parse_edges(bytes, &edge_plan, &ctx, edge_count)?;
    let locations = match (sections.locations, meta.locations) {
        (Some(span), Some(lm)) => parse_locations(bytes, span, lm, meta.node.stride, node_count)?,
        _ => Vec::new(),
    };
    Ok(HeapGraph {
        node_types: TypeTable::new(meta.node_types.clone(), NodeKind::from_name),
        edge_types: TypeTable::new(meta.edge_types.clone(), EdgeKind::from_name),
        node_type: nodes.types,
        node_name: nodes.names,
        node_id: nodes.ids,
        self_size: nodes.sizes,
        first_edge,
        detachedness: nodes.detachedness,
        edge_type: edges.types,
        edge_name: edges.names,
        edge_to: edges.to,
        strings: sections.strings,
        locations,
        root,
        extra_native_bytes: meta.extra_native_bytes,
        timings: LoadTimings::default(),
    })
}

/// Node count from the array itself, checked against the stride and the header.
fn check_node_count(plan: &Plan, span: Span, meta: &Meta) -> Result<usize, SnapshotError> {
    let stride = meta.node.stride as u64;
    if !plan.values.is_multiple_of(stride) {
        return Err(SnapshotError::NodeArrayLength {
            offset: span.close as u64,
            values: plan.values,
            stride: meta.node.stride,
        });
    }
    let actual = plan.values / stride;
    if actual != meta.node_count {
        return Err(SnapshotError::NodeCountMismatch {
            offset: span.close as u64,
            declared: meta.node_count,
            actual,
        });
    }
    // Ordinals are u32, and the retainer index keeps a flag in their top bit.
    if actual >= 1 << 31 {
        return Err(SnapshotError::TooLarge {
            offset: span.close as u64,
            message: format!("{actual} nodes (at most 2^31 - 1 supported)"),
        });
    }
    Ok(actual as usize)
}

/// Edge count from the array itself, checked against the stride and the header.
fn check_edge_count(plan: &Plan, span: Span, meta: &Meta) -> Result<usize, SnapshotError> {
    let stride = meta.edge.stride as u64;
    if !plan.values.is_multiple_of(stride) {
        return Err(SnapshotError::EdgeArrayLength {
            offset: span.close as u64,
            values: plan.values,
            stride: meta.edge.stride,
        });
    }
    let actual = plan.values / stride;
    if actual != meta.edge_count {
        return Err(SnapshotError::EdgeCountMismatch {
            offset: span.close as u64,
            declared: meta.edge_count,
            from_nodes: meta.edge_count,
            actual,
        });
    }
    if actual > u64::from(u32::MAX) {
        return Err(SnapshotError::TooLarge {
            offset: span.close as u64,
            message: format!("{actual} edges (at most {} supported)", u32::MAX),
        });
    }
    Ok(actual as usize)
}

fn root_ordinal(meta: &Meta, node_count: usize) -> Result<u32, SnapshotError> {
    let Some(index) = meta.root_index else {
        return Ok(0);
    };
    let stride = meta.node.stride as u64;
    if !index.is_multiple_of(stride) || index / stride >= node_count as u64 {
        return Err(SnapshotError::BadNodeReference {
            offset: meta.offset,
            what: "snapshot.root_index",
            value: index,
            stride: meta.node.stride,
            nodes: node_count as u64,
        });
    }
    Ok((index / stride) as u32)
}

/// Node columns before `first_edge` is summed up.
struct NodeColumns {
    types: Vec<u8>,
    names: Vec<u32>,
    ids: Vec<u32>,
    sizes: SizeColumn,
    /// `edge_count` of node `n` at `n + 1` (slot 0 stays 0), ready for the prefix sum.
    edge_counts: Vec<u32>,
    detachedness: Option<Vec<u8>>,
}

/// One piece's slices of the node columns.
struct NodeSink<'a> {
    types: &'a mut [u8],
    names: &'a mut [u32],
    ids: &'a mut [u32],
    sizes: &'a mut [u32],
    edge_counts: &'a mut [u32],
    detachedness: Option<&'a mut [u8]>,
}

/// What a piece of nodes found besides the columns.
struct NodePieceResult {
    big_sizes: Vec<(u32, u64)>,
    any_detachedness: bool,
}

fn parse_nodes(
    bytes: &[u8],
    plan: &Plan,
    meta: &Meta,
    node_count: usize,
    strings: u64,
) -> Result<NodeColumns, SnapshotError> {
    let has_detachedness = meta.node.detachedness.is_some();
    let mut types = vec![0u8; node_count];
    let mut names = vec![0u32; node_count];
    let mut ids = vec![0u32; node_count];
    let mut sizes = vec![0u32; node_count];
    let mut edge_counts = vec![0u32; node_count + 1];
    let mut detachedness = has_detachedness.then(|| vec![0u8; node_count]);
    let counts = plan.row_counts();
    let mut det_slices: Vec<Option<&mut [u8]>> = match detachedness.as_deref_mut() {
        Some(d) => split_rows(d, &counts).into_iter().map(Some).collect(),
        None => counts.iter().map(|_| None).collect(),
    };
    let work: Vec<(Piece, NodeSink)> = plan
        .pieces
        .iter()
        .copied()
        .zip(split_rows(&mut types, &counts))
        .zip(split_rows(&mut names, &counts))
        .zip(split_rows(&mut ids, &counts))
        .zip(split_rows(&mut sizes, &counts))
        .zip(split_rows(&mut edge_counts[1..], &counts))
        .zip(det_slices.iter_mut().map(Option::take))
        .map(
            |((((((piece, types), names), ids), sizes), edge_counts), detachedness)| {
                (
                    piece,
                    NodeSink {
                        types,
                        names,
                        ids,
                        sizes,
                        edge_counts,
                        detachedness,
                    },
                )
            },
        )
        .collect();
    // Rows of the usual lengths are read with the length as a constant.
    let parse = match meta.node.stride {
        7 => parse_node_piece::<7>,
        6 => parse_node_piece::<6>,
        _ => parse_node_piece::<0>,
    };
    let results = run_pieces(work, |piece, sink| parse(bytes, piece, sink, meta, strings))?;
    let any_detachedness = results.iter().any(|r| r.any_detachedness);
    let big = results.into_iter().flat_map(|r| r.big_sizes);
    Ok(NodeColumns {
        types,
        names,
        ids,
        sizes: SizeColumn::from_parts(sizes, big),
        edge_counts,
        detachedness: detachedness.filter(|_| any_detachedness),
    })
}

/// Parses one piece of nodes; `N` is the row length when known at compile time, else 0.
fn parse_node_piece<const N: usize>(
    bytes: &[u8],
    piece: Piece,
    mut sink: NodeSink,
    meta: &Meta,
    strings: u64,
) -> Result<NodePieceResult, SnapshotError> {
    let mut out = NodePieceResult {
        big_sizes: Vec::new(),
        any_detachedness: false,
    };
    let l = meta.node;
    let types = meta.node_types.len() as u64;
    let mut row = [0u64; MAX_FIELDS];
    let mut pos = piece.start;
    let columns = sink
        .types
        .iter_mut()
        .zip(sink.names.iter_mut())
        .zip(sink.ids.iter_mut())
        .zip(sink.sizes.iter_mut())
        .zip(sink.edge_counts.iter_mut());
    for (r, ((((type_out, name_out), id_out), size_out), edges_out)) in columns.enumerate() {
        let row_start = pos;
        read_any::<N>(bytes, &mut pos, piece.end, &mut row[..l.stride])
            .map_err(|e| e.into_snapshot_error(bytes, |f| meta.node_field_names[f].clone()))?;
        let node = piece.first_row + r;
        let (type_index, name, id, edges) = (row[l.ty], row[l.name], row[l.id], row[l.edge_count]);
        let max = u64::from(u32::MAX);
        if type_index >= types || name >= strings || id > max || edges > max {
            return Err(node_error(
                bytes,
                row_start,
                &row,
                meta,
                strings,
                node as u64,
            ));
        }
        *type_out = type_index as u8;
        *name_out = name as u32;
        *id_out = id as u32;
        *edges_out = edges as u32;
        let size = row[l.self_size];
        *size_out = SizeColumn::encode(size);
        if *size_out == u32::MAX {
            out.big_sizes.push((node as u32, size));
        }
        if let Some(f) = l.detachedness {
            // DevTools keeps the two low bits (the rest of its word holds the class index).
            let state = (row[f] & 3) as u8;
            if state != 0 {
                out.any_detachedness = true;
                if let Some(d) = sink.detachedness.as_deref_mut() {
                    d[r] = state;
                }
            }
        }
    }
    Ok(out)
}

/// Reads a row into `out` (its length is the stride), unrolled when `N` is that length.
#[inline(always)]
fn read_any<const N: usize>(
    bytes: &[u8],
    pos: &mut usize,
    end: usize,
    out: &mut [u64],
) -> Result<(), numbers::ValueError> {
    if N != 0 && out.len() == N {
        out.copy_from_slice(&read_fixed::<N>(bytes, pos, end)?);
        Ok(())
    } else {
        read_row(bytes, pos, end, out)
    }
}

/// The error for a node row that failed a check, with the offset of the offending value.
#[cold]
fn node_error(
    bytes: &[u8],
    row_start: usize,
    row: &[u64],
    meta: &Meta,
    strings: u64,
    node: u64,
) -> SnapshotError {
    let l = meta.node;
    let at = |field: usize| value_offset(bytes, row_start, field);
    let types = meta.node_types.len() as u64;
    if row[l.ty] >= types {
        return SnapshotError::TypeOutOfRange {
            offset: at(l.ty),
            node,
            type_index: row[l.ty],
            types: types as usize,
        };
    }
    if row[l.name] >= strings {
        return SnapshotError::NameOutOfRange {
            offset: at(l.name),
            node,
            name: row[l.name],
            strings,
        };
    }
    let field = if row[l.id] > u64::from(u32::MAX) {
        l.id
    } else {
        l.edge_count
    };
    SnapshotError::NumberTooLarge {
        offset: at(field),
        field: meta.node_field_names[field].clone(),
        limit: u64::from(u32::MAX),
    }
}

/// Turns per-node edge counts into offsets and checks they cover the edges array exactly.
fn first_edges(
    mut counts: Vec<u32>,
    edge_count: usize,
    span: Span,
    meta: &Meta,
) -> Result<Vec<u32>, SnapshotError> {
    let mut sum = 0u64;
    for slot in counts.iter_mut() {
        sum += u64::from(*slot);
        // Past u32 the sum cannot match the (already checked) edge count anyway.
        *slot = u32::try_from(sum).unwrap_or(u32::MAX);
    }
    if sum != edge_count as u64 {
        return Err(SnapshotError::EdgeCountMismatch {
            offset: span.close as u64,
            declared: meta.edge_count,
            from_nodes: sum,
            actual: edge_count as u64,
        });
    }
    Ok(counts)
}

fn string_named_types(types: &[String]) -> [bool; 256] {
    let mut named = [true; 256];
    for (i, t) in types.iter().enumerate() {
        named[i] = EdgeKind::from_name(t).has_string_name();
    }
    named
}

/// Shared read-only facts for the edge pieces.
struct EdgeContext<'a> {
    meta: &'a Meta,
    node_count: u64,
    strings: u64,
    string_named: [bool; 256],
}

struct EdgeColumns {
    types: Vec<u8>,
    names: Vec<u32>,
    to: Vec<u32>,
}

struct EdgeSink<'a> {
    types: &'a mut [u8],
    names: &'a mut [u32],
    to: &'a mut [u32],
}

fn parse_edges(
    bytes: &[u8],
    plan: &Plan,
    ctx: &EdgeContext,
    edge_count: usize,
) -> Result<EdgeColumns, SnapshotError> {
    let mut cols = EdgeColumns {
        types: vec![0u8; edge_count],
        names: vec![0u32; edge_count],
        to: vec![0u32; edge_count],
    };
    let counts = plan.row_counts();
    let work: Vec<(Piece, EdgeSink)> = plan
        .pieces
        .iter()
        .copied()
        .zip(split_rows(&mut cols.types, &counts))
        .zip(split_rows(&mut cols.names, &counts))
        .zip(split_rows(&mut cols.to, &counts))
        .map(|(((piece, types), names), to)| (piece, EdgeSink { types, names, to }))
        .collect();
    let parse = match ctx.meta.edge.stride {
        3 => parse_edge_piece::<3>,
        _ => parse_edge_piece::<0>,
    };
    run_pieces(work, |piece, sink| parse(bytes, piece, sink, ctx))?;
    Ok(cols)
}

/// Parses one piece of edges; `N` is the row length when known at compile time, else 0.
fn parse_edge_piece<const N: usize>(
    bytes: &[u8],
    piece: Piece,
    sink: EdgeSink,
    ctx: &EdgeContext,
) -> Result<(), SnapshotError> {
    let meta = ctx.meta;
    let l = meta.edge;
    let types = meta.edge_types.len() as u64;
    let nodes = NodeRef::new(meta.node.stride, ctx.node_count as usize);
    let mut row = [0u64; MAX_FIELDS];
    let mut pos = piece.start;
    let columns = sink
        .types
        .iter_mut()
        .zip(sink.names.iter_mut())
        .zip(sink.to.iter_mut());
    for (r, ((type_out, name_out), to_out)) in columns.enumerate() {
        let row_start = pos;
        read_any::<N>(bytes, &mut pos, piece.end, &mut row[..l.stride])
            .map_err(|e| e.into_snapshot_error(bytes, |f| meta.edge_field_names[f].clone()))?;
        let (type_index, name, to) = (row[l.ty], row[l.name], row[l.to]);
        let ordinal = nodes.ordinal(to);
        let named = ctx.string_named[type_index.min(255) as usize];
        if type_index >= types
            || (named && name >= ctx.strings)
            || name > u64::from(u32::MAX)
            || ordinal.is_none()
        {
            let edge = (piece.first_row + r) as u64;
            return Err(edge_error(bytes, row_start, &row, ctx, edge));
        }
        *type_out = type_index as u8;
        *name_out = name as u32;
        *to_out = ordinal.unwrap_or_default();
    }
    Ok(())
}

/// The error for an edge row that failed a check, with the offset of the offending value.
#[cold]
fn edge_error(
    bytes: &[u8],
    row_start: usize,
    row: &[u64],
    ctx: &EdgeContext,
    edge: u64,
) -> SnapshotError {
    let meta = ctx.meta;
    let l = meta.edge;
    let at = |field: usize| value_offset(bytes, row_start, field);
    let (type_index, name, to) = (row[l.ty], row[l.name], row[l.to]);
    let types = meta.edge_types.len() as u64;
    if type_index >= types {
        return SnapshotError::EdgeTypeOutOfRange {
            offset: at(l.ty),
            edge,
            type_index,
            types: types as usize,
        };
    }
    if ctx.string_named[type_index as usize] && name >= ctx.strings {
        return SnapshotError::EdgeNameOutOfRange {
            offset: at(l.name),
            edge,
            name,
            strings: ctx.strings,
        };
    }
    if name > u64::from(u32::MAX) {
        return SnapshotError::NumberTooLarge {
            offset: at(l.name),
            field: meta.edge_field_names[l.name].clone(),
            limit: u64::from(u32::MAX),
        };
    }
    SnapshotError::EdgeTargetOutOfRange {
        offset: at(l.to),
        edge,
        to_node: to,
        stride: meta.node.stride,
        nodes: ctx.node_count,
    }
}

fn parse_locations(
    bytes: &[u8],
    span: Span,
    lm: LocationMeta,
    node_stride: usize,
    node_count: usize,
) -> Result<Vec<Location>, SnapshotError> {
    let plan = numbers::plan(bytes, span, lm.stride);
    if !plan.values.is_multiple_of(lm.stride as u64) {
        return Err(SnapshotError::Structure {
            offset: span.close as u64,
            message: format!(
                "locations array has {} values, not a multiple of the {} location fields",
                plan.values, lm.stride
            ),
        });
    }
    let nodes = NodeRef::new(node_stride, node_count);
    let work: Vec<(Piece, ())> = plan.pieces.iter().map(|&p| (p, ())).collect();
    let parts = run_pieces(work, |piece, ()| {
        let mut out = Vec::with_capacity(piece.rows);
        let mut row = [0u64; MAX_FIELDS];
        let mut pos = piece.start;
        for _ in 0..piece.rows {
            let row_start = pos;
            read_row(bytes, &mut pos, piece.end, &mut row[..lm.stride])
                .map_err(|e| e.into_snapshot_error(bytes, |_| "locations".into()))?;
            let index = row[lm.index];
            let node = nodes
                .ordinal(index)
                .ok_or_else(|| SnapshotError::BadNodeReference {
                    offset: value_offset(bytes, row_start, lm.index),
                    what: "location object_index",
                    value: index,
                    stride: node_stride,
                    nodes: node_count as u64,
                })?;
            let small = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
            out.push(Location {
                node,
                script_id: small(row[lm.script]),
                line: small(row[lm.line]),
                column: small(row[lm.column]),
            });
        }
        Ok(out)
    })?;
    let mut out = parts.concat();
    // DevTools keeps the last entry per node (a Map). V8 writes one per node, in node order.
    if !out.windows(2).all(|w| w[0].node < w[1].node) {
        out.reverse();
        out.sort_by_key(|l| l.node);
        out.dedup_by_key(|l| l.node);
    }
    Ok(out)
}

/// Turns node offsets (`to_node`, `object_index`) into ordinals.
#[derive(Debug, Clone, Copy)]
struct NodeRef {
    stride: Divider,
    /// Node count times the stride: offsets must be below it.
    limit: u64,
}

impl NodeRef {
    fn new(stride: usize, nodes: usize) -> Self {
        NodeRef {
            stride: Divider::new(stride as u64),
            limit: nodes as u64 * stride as u64,
        }
    }

    /// The ordinal of the node at `offset`, if it is a node offset.
    #[inline]
    fn ordinal(self, offset: u64) -> Option<u32> {
        // Checked against the limit first, which also keeps the division exact.
        let (q, r) = self.stride.div_rem(offset.min(self.limit));
        (offset < self.limit && r == 0).then_some(q as u32)
    }
}
