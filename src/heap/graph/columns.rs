//! The node, edge and location columns: counts checked against the header, then every
//! piece of the big arrays parsed in parallel straight into its rows, with each reference
//! (type, name, target node) validated on the way.

use crate::heap::graph::bits::SizeColumn;
use crate::heap::graph::{EdgeKind, Location};
use crate::heap::reader::meta::{LocationMeta, Meta, MAX_FIELDS};
use crate::heap::reader::numbers::{
    self, read_fast, read_fixed, read_row, run_pieces, split_rows, value_offset, Divider, Piece,
    Plan, Span,
};
use crate::heap::reader::{ByteCount, Facts, SnapshotError};
use rayon::prelude::*;

/// Node count from the array itself, checked against the stride and the header.
pub(crate) fn check_node_count(
    plan: &Plan,
    span: Span,
    meta: &Meta,
) -> Result<usize, SnapshotError> {
    check_count(
        plan,
        span,
        meta.node.stride,
        meta.node_count,
        // Ordinals are u32, and the retainer index keeps a flag in their top bit.
        (1 << 31) - 1,
        CountErrors {
            length: |offset, values, stride| SnapshotError::NodeArrayLength {
                offset,
                values,
                stride,
            },
            mismatch: |offset, declared, actual| SnapshotError::NodeCountMismatch {
                offset,
                declared,
                actual,
            },
            too_large: |actual| format!("{actual} nodes (at most 2^31 - 1 supported)"),
        },
    )
}

/// Edge count from the array itself, checked against the stride and the header.
pub(crate) fn check_edge_count(
    plan: &Plan,
    span: Span,
    meta: &Meta,
) -> Result<usize, SnapshotError> {
    check_count(
        plan,
        span,
        meta.edge.stride,
        meta.edge_count,
        u64::from(u32::MAX),
        CountErrors {
            length: |offset, values, stride| SnapshotError::EdgeArrayLength {
                offset,
                values,
                stride,
            },
            mismatch: |offset, declared, actual| SnapshotError::EdgeCountMismatch {
                offset,
                declared,
                from_nodes: declared,
                actual,
            },
            too_large: |actual| format!("{actual} edges (at most {} supported)", u32::MAX),
        },
    )
}

/// The errors [`check_count`] reports, per array.
struct CountErrors {
    /// (offset, values, stride): not a whole number of rows.
    length: fn(u64, u64, usize) -> SnapshotError,
    /// (offset, declared, actual): the header's count disagrees.
    mismatch: fn(u64, u64, u64) -> SnapshotError,
    /// The `TooLarge` message for `actual` rows.
    too_large: fn(u64) -> String,
}

/// Row count of a number array from its values: a whole number of `stride`-value rows, equal
/// to `declared`, and at most `max`.
fn check_count(
    plan: &Plan,
    span: Span,
    stride: usize,
    declared: u64,
    max: u64,
    errors: CountErrors,
) -> Result<usize, SnapshotError> {
    let offset = span.close as u64;
    if !plan.values.is_multiple_of(stride as u64) {
        return Err((errors.length)(offset, plan.values, stride));
    }
    let actual = plan.values / stride as u64;
    if actual != declared {
        return Err((errors.mismatch)(offset, declared, actual));
    }
    if actual > max {
        return Err(SnapshotError::TooLarge {
            offset,
            message: (errors.too_large)(actual),
        });
    }
    Ok(actual as usize)
}

pub(crate) fn root_ordinal(meta: &Meta, node_count: usize) -> Result<u32, SnapshotError> {
    // Every analysis starts at the root; V8 always writes at least the synthetic root node.
    if node_count == 0 {
        return Err(SnapshotError::Structure {
            offset: meta.offset,
            message: "the snapshot has no nodes (node_count 0), so no root to start from".into(),
        });
    }
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
pub(crate) struct NodeColumns {
    pub(crate) types: Vec<u8>,
    pub(crate) names: Vec<u32>,
    pub(crate) ids: Vec<u32>,
    pub(crate) sizes: SizeColumn,
    /// `edge_count` of node `n` at `n + 1` (slot 0 stays 0), ready for the prefix sum.
    pub(crate) edge_counts: Vec<u32>,
    /// The largest name (checked against the string count once the strings are decoded).
    pub(crate) max_name: u32,
    pub(crate) detachedness: Option<Vec<u8>>,
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
    max_name: u32,
    any_detachedness: bool,
}

pub(crate) fn parse_nodes(
    bytes: &[u8],
    plan: &Plan,
    meta: &Meta,
    facts: &Facts,
    count: &ByteCount,
) -> Result<NodeColumns, SnapshotError> {
    let node_count = facts.node_count as usize;
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
    let results = run_pieces(work, count, |piece, sink| {
        parse(bytes, piece, sink, meta, facts)
    })?;
    let any_detachedness = results.iter().any(|r| r.any_detachedness);
    let max_name = results.iter().map(|r| r.max_name).max().unwrap_or(0);
    let big = results.into_iter().flat_map(|r| r.big_sizes);
    Ok(NodeColumns {
        types,
        names,
        ids,
        sizes: SizeColumn::from_parts(sizes, big),
        edge_counts,
        max_name,
        detachedness: detachedness.filter(|_| any_detachedness),
    })
}

/// Parses one piece of nodes; `N` is the row length when known at compile time, else 0.
fn parse_node_piece<const N: usize>(
    bytes: &[u8],
    piece: Piece,
    mut sink: NodeSink,
    meta: &Meta,
    facts: &Facts,
) -> Result<NodePieceResult, SnapshotError> {
    let mut out = NodePieceResult {
        big_sizes: Vec::new(),
        max_name: 0,
        any_detachedness: false,
    };
    let l = meta.node;
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
        // Names are checked against the strings later (they are decoded meanwhile).
        if !facts.node_ok(&row) {
            let at = |field| value_offset(bytes, row_start, field);
            return Err(facts.node_error(meta, &row, node as u64, at));
        }
        *type_out = type_index as u8;
        *name_out = name as u32;
        out.max_name = out.max_name.max(name as u32);
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
        if let Some((row, next)) = read_fast::<N>(bytes, *pos, end) {
            out.copy_from_slice(&row);
            *pos = next;
            return Ok(());
        }
        out.copy_from_slice(&read_fixed::<N>(bytes, pos, end)?);
        Ok(())
    } else {
        read_row(bytes, pos, end, out)
    }
}

/// Turns per-node edge counts into offsets and checks they cover the edges array exactly.
pub(crate) fn first_edges(
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

/// Whether each edge type value names a string (all but `element` and `hidden`).
pub(crate) fn string_named_types(types: &[String]) -> [bool; 256] {
    let mut named = [true; 256];
    for (i, t) in types.iter().enumerate() {
        named[i] = EdgeKind::from_name(t).has_string_name();
    }
    named
}

pub(crate) struct EdgeColumns {
    pub(crate) types: Vec<u8>,
    pub(crate) names: Vec<u32>,
    pub(crate) to: Vec<u32>,
    /// The largest name of a string-named edge (checked like the node names).
    pub(crate) max_name: u32,
}

struct EdgeSink<'a> {
    types: &'a mut [u8],
    names: &'a mut [u32],
    to: &'a mut [u32],
}

pub(crate) fn parse_edges(
    bytes: &[u8],
    plan: &Plan,
    meta: &Meta,
    facts: &Facts,
    edge_count: usize,
    count: &ByteCount,
) -> Result<EdgeColumns, SnapshotError> {
    let mut cols = EdgeColumns {
        types: vec![0u8; edge_count],
        names: vec![0u32; edge_count],
        to: vec![0u32; edge_count],
        max_name: 0,
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
    let parse = match meta.edge.stride {
        3 => parse_edge_piece::<3>,
        _ => parse_edge_piece::<0>,
    };
    let max_names = run_pieces(work, count, |piece, sink| {
        parse(bytes, piece, sink, meta, facts)
    })?;
    cols.max_name = max_names.into_iter().max().unwrap_or(0);
    Ok(cols)
}

/// Parses one piece of edges; `N` is the row length when known at compile time, else 0.
fn parse_edge_piece<const N: usize>(
    bytes: &[u8],
    piece: Piece,
    sink: EdgeSink,
    meta: &Meta,
    facts: &Facts,
) -> Result<u32, SnapshotError> {
    let l = meta.edge;
    let mut max_name = 0u32;
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
        let (type_index, name) = (row[l.ty], row[l.name]);
        // Names are checked against the strings later (they are decoded meanwhile).
        let Some(ordinal) = facts.edge_target(&row) else {
            let edge = (piece.first_row + r) as u64;
            let at = |field| value_offset(bytes, row_start, field);
            return Err(facts.edge_error(meta, &row, edge, at));
        };
        *type_out = type_index as u8;
        *name_out = name as u32;
        *to_out = ordinal;
        let string_name = if facts.named[type_index as usize] {
            name as u32
        } else {
            0
        };
        max_name = max_name.max(string_name);
    }
    Ok(max_name)
}

pub(crate) fn parse_locations(
    bytes: &[u8],
    span: Span,
    lm: LocationMeta,
    facts: &Facts,
    count: &ByteCount,
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
    let work: Vec<(Piece, ())> = plan.pieces.iter().map(|&p| (p, ())).collect();
    let parts = run_pieces(work, count, |piece, ()| {
        let mut out = Vec::with_capacity(piece.rows);
        let mut row = [0u64; MAX_FIELDS];
        let mut pos = piece.start;
        for _ in 0..piece.rows {
            let row_start = pos;
            read_row(bytes, &mut pos, piece.end, &mut row[..lm.stride])
                .map_err(|e| e.into_snapshot_error(bytes, |_| "locations".into()))?;
            let at = |field| value_offset(bytes, row_start, field);
            out.push(facts.location(lm, &row[..lm.stride], at)?);
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
pub(crate) struct NodeRef {
    stride: Divider,
    /// Node count times the stride: offsets must be below it.
    limit: u64,
}

impl NodeRef {
    pub(crate) fn new(stride: usize, nodes: usize) -> Self {
        NodeRef {
            stride: Divider::new(stride as u64),
            limit: nodes as u64 * stride as u64,
        }
    }

    /// The ordinal of the node at `offset`, if it is a node offset.
    #[inline]
    pub(crate) fn ordinal(self, offset: u64) -> Option<u32> {
        // Checked against the limit first, which also keeps the division exact.
        let (q, r) = self.stride.div_rem(offset.min(self.limit));
        (offset < self.limit && r == 0).then_some(q as u32)
    }
}

/// Checks that every node name and every string-named edge name is a `strings` index; the
/// error names the first offending value in the file.
pub(crate) fn check_names(
    bytes: &[u8],
    node_plan: &Plan,
    nodes: &NodeColumns,
    edge_plan: &Plan,
    edges: &EdgeColumns,
    meta: &Meta,
    strings: u64,
) -> Result<(), SnapshotError> {
    // The largest names were kept while parsing: the search below only runs to report an
    // error.
    let nodes_ok = nodes.names.is_empty() || u64::from(nodes.max_name) < strings;
    let edges_ok = edges.names.is_empty() || u64::from(edges.max_name) < strings;
    if nodes_ok && edges_ok {
        return Ok(());
    }
    let bad_node = nodes
        .names
        .par_iter()
        .position_first(|&name| u64::from(name) >= strings);
    if let Some(node) = bad_node {
        let start = row_start(bytes, node_plan, meta.node.stride, node);
        return Err(SnapshotError::NameOutOfRange {
            offset: value_offset(bytes, start, meta.node.name),
            node: node as u64,
            name: u64::from(nodes.names[node]),
            strings,
        });
    }
    let named = string_named_types(&meta.edge_types);
    let bad_edge = edges
        .types
        .par_iter()
        .zip(edges.names.par_iter())
        .position_first(|(&ty, &name)| named[usize::from(ty)] && u64::from(name) >= strings);
    if let Some(edge) = bad_edge {
        let start = row_start(bytes, edge_plan, meta.edge.stride, edge);
        return Err(SnapshotError::EdgeNameOutOfRange {
            offset: value_offset(bytes, start, meta.edge.name),
            edge: edge as u64,
            name: u64::from(edges.names[edge]),
            strings,
        });
    }
    Ok(())
}

/// Byte offset where row `row` of an array starts (for error messages).
#[cold]
fn row_start(bytes: &[u8], plan: &Plan, stride: usize, row: usize) -> usize {
    let Some(piece) = plan
        .pieces
        .iter()
        .find(|p| (p.first_row..p.first_row + p.rows).contains(&row))
    else {
        return 0;
    };
    let mut i = piece.start;
    for _ in 0..(row - piece.first_row) * stride {
        i += memchr::memchr(b',', &bytes[i..]).map_or(0, |k| k + 1);
    }
    i
}
