//! The number arrays (`nodes`, `edges`, `locations`): an incremental scanner of non-negative
//! integers into rows, and the row checks against `meta` ([`Facts`]) that the parallel loader
//! (`graph/columns.rs`) runs too.

use super::error::{syntax, SnapshotError};
use super::json::{describe, digit_run, is_ws};
use super::{Reader, Section, Sink};
use crate::heap::graph::columns::{string_named_types, NodeRef};
use crate::heap::graph::Location;
use crate::heap::reader::meta::{EdgeLayout, LocationMeta, Meta, Needs, NodeLayout, MAX_FIELDS};

/// Node ordinals are u32 and the retainer index keeps a flag in their top bit.
pub(crate) const MAX_NODES: u64 = (1 << 31) - 1;

/// A node row that passed the checks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeRow {
    /// Ordinal of the node.
    pub(crate) ordinal: u64,
    pub(crate) ty: u8,
    pub(crate) name: u32,
    pub(crate) id: u32,
    pub(crate) self_size: u64,
    pub(crate) edge_count: u32,
    /// The two low bits of `detachedness` (0 without the field), as DevTools keeps them.
    pub(crate) detachedness: u8,
}

/// An edge row that passed the checks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EdgeRow {
    pub(crate) ty: u8,
    pub(crate) name: u32,
    /// Ordinal of the target node.
    pub(crate) to: u32,
}

/// What rows are checked against, copied out of [`Meta`].
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub(crate) node: NodeLayout,
    pub(crate) edge: EdgeLayout,
    pub(crate) locations: Option<LocationMeta>,
    pub(crate) node_types: u64,
    pub(crate) edge_types: u64,
    pub(crate) node_count: u64,
    pub(crate) edge_count: u64,
    /// Turns node offsets below the declared node count into ordinals.
    pub(crate) nodes: NodeRef,
    /// Whether each edge type has a string name.
    pub(crate) named: [bool; 256],
    /// The largest `edge_count` value: u32 for the graph; anything when edges are not read.
    pub(crate) max_edge_count: u64,
}

impl Facts {
    /// The facts of `meta`.
    pub(crate) fn new(meta: &Meta) -> Facts {
        Facts {
            node: meta.node,
            edge: meta.edge,
            locations: meta.locations,
            node_types: meta.node_types.len() as u64,
            edge_types: meta.edge_types.len() as u64,
            node_count: meta.node_count,
            edge_count: meta.edge_count,
            // A count too large to index fails anyway: the bound is capped where the
            // arithmetic stays exact.
            nodes: NodeRef::new(
                meta.node.stride,
                meta.node_count.min(MAX_NODES + 1) as usize,
            ),
            named: string_named_types(&meta.edge_types),
            max_edge_count: match meta.needs {
                Needs::Graph => u64::from(u32::MAX),
                Needs::Nodes => u64::MAX,
            },
        }
    }

    /// The row length of `section`, or `None` when it is not read (locations without usable
    /// `location_fields`).
    pub(crate) fn stride(&self, section: Section) -> Option<usize> {
        match section {
            Section::Nodes => Some(self.node.stride),
            Section::Edges => Some(self.edge.stride),
            _ => self.locations.map(|l| l.stride),
        }
    }

    /// Whether node row `row` has a type index and u32 name, id and edge count.
    #[inline(always)]
    pub(crate) fn node_ok(&self, row: &[u64]) -> bool {
        let (l, max) = (self.node, u64::from(u32::MAX));
        row[l.ty] < self.node_types
            && row[l.name] <= max
            && row[l.id] <= max
            && row[l.edge_count] <= self.max_edge_count
    }

    /// Why [`node_ok`](Self::node_ok) failed for node `node`; `at(field)` is the offset of a
    /// value.
    #[cold]
    pub(crate) fn node_error(
        &self,
        meta: &Meta,
        row: &[u64],
        node: u64,
        at: impl Fn(usize) -> u64,
    ) -> SnapshotError {
        let l = self.node;
        if row[l.ty] >= self.node_types {
            return SnapshotError::TypeOutOfRange {
                offset: at(l.ty),
                node,
                type_index: row[l.ty],
                types: self.node_types as usize,
            };
        }
        let max = u64::from(u32::MAX);
        let field = [l.name, l.id]
            .into_iter()
            .find(|&f| row[f] > max)
            .unwrap_or(l.edge_count);
        SnapshotError::NumberTooLarge {
            offset: at(field),
            field: meta.node_field_names[field].clone(),
            limit: max,
        }
    }

    /// The target ordinal of edge row `row` if it has a type index, a u32 name and a node
    /// offset as target.
    #[inline(always)]
    pub(crate) fn edge_target(&self, row: &[u64]) -> Option<u32> {
        let l = self.edge;
        let to = self.nodes.ordinal(row[l.to]);
        (row[l.ty] < self.edge_types && row[l.name] <= u64::from(u32::MAX)).then_some(to)?
    }

    /// Why [`edge_target`](Self::edge_target) failed for edge `edge`.
    #[cold]
    pub(crate) fn edge_error(
        &self,
        meta: &Meta,
        row: &[u64],
        edge: u64,
        at: impl Fn(usize) -> u64,
    ) -> SnapshotError {
        let l = self.edge;
        let (type_index, name, to) = (row[l.ty], row[l.name], row[l.to]);
        if type_index >= self.edge_types {
            return SnapshotError::EdgeTypeOutOfRange {
                offset: at(l.ty),
                edge,
                type_index,
                types: self.edge_types as usize,
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
            stride: self.node.stride,
            nodes: self.node_count,
        }
    }

    /// The location of row `row`, whose `object_index` must be a node offset.
    #[inline]
    pub(crate) fn location(
        &self,
        lm: LocationMeta,
        row: &[u64],
        at: impl Fn(usize) -> u64,
    ) -> Result<Location, SnapshotError> {
        let index = row[lm.index];
        let Some(node) = self.nodes.ordinal(index) else {
            return Err(SnapshotError::BadNodeReference {
                offset: at(lm.index),
                what: "location object_index",
                value: index,
                stride: self.node.stride,
                nodes: self.node_count,
            });
        };
        let small = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        Ok(Location {
            node,
            script_id: small(row[lm.script]),
            line: small(row[lm.line]),
            column: small(row[lm.column]),
        })
    }
}

/// Where a number array's scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumSt {
    /// Just after `[`: a value, whitespace or `]`.
    Open,
    /// After `,`: a value or whitespace.
    Value,
    /// Inside a value's digits (split by a chunk boundary).
    Digits,
    /// After a value: whitespace, `,` or `]`.
    After,
}

/// Scan state of the number array being read.
#[derive(Debug)]
pub(super) struct NumArray {
    pub(super) section: Section,
    st: NumSt,
    stride: usize,
    /// The field of the current row the next value fills.
    field: usize,
    /// The value being scanned across chunks, its digit count and its first digit's offset.
    acc: u64,
    digits: u32,
    start: u64,
    /// Values and complete rows read.
    values: u64,
    rows: u64,
    row: [u64; MAX_FIELDS],
    /// Offset of each value of the current row (for errors).
    at: [u64; MAX_FIELDS],
}

impl NumArray {
    pub(super) fn new(section: Section, stride: usize) -> Self {
        NumArray {
            section,
            st: NumSt::Open,
            stride,
            field: 0,
            acc: 0,
            digits: 0,
            start: 0,
            values: 0,
            rows: 0,
            row: [0; MAX_FIELDS],
            at: [0; MAX_FIELDS],
        }
    }
}

/// Reserves room for more rows when `v` is full: the rows read so far (at least 65,536),
/// never more than `room` (what the header still allows), so a lying header cannot make a
/// sink reserve more than the input delivers.
#[inline]
pub(crate) fn grow<T>(v: &mut Vec<T>, room: u64) {
    if v.len() == v.capacity() {
        let extra = v.len().max(1 << 16) as u64;
        v.reserve_exact(extra.min(room).max(1) as usize);
    }
}

impl<S: Sink> Reader<S> {
    /// Scans number array bytes (after `[`), handing every complete row on; returns the bytes
    /// consumed and whether the closing `]` was one of them.
    pub(super) fn feed_numbers(
        &mut self,
        buf: &[u8],
        base: u64,
    ) -> Result<(usize, bool), SnapshotError> {
        let mut i = 0;
        // The state lives in a register while the loop runs; written back on every exit but
        // errors (the reader is dead then).
        let mut st = self.num.st;
        while i < buf.len() {
            let b = buf[i];
            match st {
                NumSt::Open | NumSt::Value if b.is_ascii_digit() => {
                    let end = digit_run(buf, i);
                    let run = &buf[i..end];
                    let start = base + i as u64;
                    if end < buf.len() && run.len() <= 19 && (run[0] != b'0' || run.len() == 1) {
                        // The whole number is here; no overflow or leading zero possible.
                        let value = run
                            .iter()
                            .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0'));
                        self.store_value(value, start)?;
                        // V8 writes "," or "\n," after a value: go straight to the next one.
                        match (buf[end], buf.get(end + 1)) {
                            (b',', _) => (st, i) = (NumSt::Value, end + 1),
                            (b'\n', Some(b',')) => (st, i) = (NumSt::Value, end + 2),
                            _ => (st, i) = (NumSt::After, end),
                        }
                        continue;
                    }
                    (self.num.acc, self.num.digits, self.num.start) = (0, 0, start);
                    self.accumulate(run, start)?;
                    st = NumSt::Digits;
                    if end < buf.len() {
                        self.store_value(self.num.acc, start)?;
                        st = NumSt::After;
                    }
                    i = end;
                }
                NumSt::Open | NumSt::Value if is_ws(b) => i += 1,
                NumSt::Open if b == b']' => {
                    self.num.st = st;
                    self.end_array(base + i as u64)?;
                    return Ok((i + 1, true));
                }
                NumSt::Open | NumSt::Value => {
                    return Err(syntax(
                        base + i as u64,
                        format!(
                            "expected a non-negative integer in \"{}\", found {}",
                            self.num.section.name(),
                            describe(b)
                        ),
                    ))
                }
                NumSt::Digits => {
                    let end = digit_run(buf, i);
                    self.accumulate(&buf[i..end], base + i as u64)?;
                    if end < buf.len() {
                        self.store_value(self.num.acc, self.num.start)?;
                        st = NumSt::After;
                    }
                    i = end;
                }
                NumSt::After => match b {
                    b' ' | b'\t' | b'\n' | b'\r' => i += 1,
                    b',' => {
                        st = NumSt::Value;
                        i += 1;
                    }
                    b']' => {
                        self.num.st = st;
                        self.end_array(base + i as u64)?;
                        return Ok((i + 1, true));
                    }
                    _ => {
                        return Err(syntax(
                            base + i as u64,
                            format!(
                                "expected ',' or ']' in \"{}\", found {}",
                                self.num.section.name(),
                                describe(b)
                            ),
                        ))
                    }
                },
            }
        }
        self.num.st = st;
        Ok((i, false))
    }

    /// Adds digits (the first at byte `at`) to the value being scanned, checking for a leading
    /// zero and for u64 overflow.
    fn accumulate(&mut self, digits: &[u8], at: u64) -> Result<(), SnapshotError> {
        for (k, &d) in digits.iter().enumerate() {
            if self.num.acc == 0 && self.num.digits > 0 {
                let name = self.num.section.name();
                return Err(syntax(
                    at + k as u64,
                    format!("leading zero in a number in \"{name}\""),
                ));
            }
            self.num.digits += 1;
            self.num.acc = match self
                .num
                .acc
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
            {
                Some(v) => v,
                None => return Err(self.too_large(self.num.start, self.num.field, u64::MAX)),
            };
        }
        Ok(())
    }

    /// `NumberTooLarge` for field `field` of the current array's rows.
    #[cold]
    fn too_large(&self, offset: u64, field: usize, limit: u64) -> SnapshotError {
        let names = self.meta.as_ref().map(|m| match self.num.section {
            Section::Nodes => &m.node_field_names,
            _ => &m.edge_field_names,
        });
        let field = match self.num.section {
            Section::Locations => "locations".to_owned(),
            _ => names
                .and_then(|n| n.get(field))
                .cloned()
                .unwrap_or_default(),
        };
        SnapshotError::NumberTooLarge {
            offset,
            field,
            limit,
        }
    }

    /// Stores a complete value (starting at byte `at`) into the current row.
    #[inline]
    fn store_value(&mut self, value: u64, at: u64) -> Result<(), SnapshotError> {
        let num = &mut self.num;
        num.row[num.field] = value;
        num.at[num.field] = at;
        num.values += 1;
        num.field += 1;
        if num.field == num.stride {
            num.field = 0;
            match num.section {
                Section::Nodes => self.node_row()?,
                Section::Edges => self.edge_row()?,
                _ => self.location_row()?,
            }
            self.num.rows += 1;
        }
        Ok(())
    }

    /// Checks the node row just read and hands it on.
    fn node_row(&mut self) -> Result<(), SnapshotError> {
        let f = self.facts.as_ref().expect("rows follow the header");
        let l = f.node;
        let (row, at) = (&self.num.row, &self.num.at);
        let node = self.node_rows;
        let last = at[l.stride - 1];
        if node >= f.node_count {
            return Err(SnapshotError::NodeCountMismatch {
                offset: last,
                declared: f.node_count,
                actual: node + 1,
            });
        }
        if node >= MAX_NODES {
            return Err(SnapshotError::TooLarge {
                offset: last,
                message: format!("more than {MAX_NODES} nodes"),
            });
        }
        if !f.node_ok(row) {
            return Err(f.node_error(
                self.meta.as_ref().expect("rows follow the header"),
                row,
                node,
                |k| at[k],
            ));
        }
        let name = row[l.name] as u32;
        match self.strings_count {
            Some(strings) if u64::from(name) >= strings => {
                return Err(SnapshotError::NameOutOfRange {
                    offset: at[l.name],
                    node,
                    name: u64::from(name),
                    strings,
                })
            }
            Some(_) => {}
            None => {
                if self.max_node_name.is_none_or(|(m, _, _)| name > m) {
                    self.max_node_name = Some((name, node, at[l.name]));
                }
            }
        }
        let node_row = NodeRow {
            ordinal: node,
            ty: row[l.ty] as u8,
            name,
            id: row[l.id] as u32,
            self_size: row[l.self_size],
            edge_count: row[l.edge_count] as u32,
            detachedness: l.detachedness.map_or(0, |k| (row[k] & 3) as u8),
        };
        let room = f.node_count - node;
        self.sink.node(node_row, room);
        self.node_rows += 1;
        Ok(())
    }

    /// Checks the edge row just read and hands it on.
    fn edge_row(&mut self) -> Result<(), SnapshotError> {
        let f = self.facts.as_ref().expect("rows follow the header");
        let l = f.edge;
        let (row, at) = (&self.num.row, &self.num.at);
        let edge = self.edge_rows;
        let last = at[l.stride - 1];
        if edge >= f.edge_count {
            return Err(SnapshotError::EdgeCountMismatch {
                offset: last,
                declared: f.edge_count,
                from_nodes: f.edge_count,
                actual: edge + 1,
            });
        }
        if edge >= u64::from(u32::MAX) {
            return Err(SnapshotError::TooLarge {
                offset: last,
                message: format!("more than {} edges", u32::MAX),
            });
        }
        let Some(to) = f.edge_target(row) else {
            return Err(f.edge_error(
                self.meta.as_ref().expect("rows follow the header"),
                row,
                edge,
                |k| at[k],
            ));
        };
        let (ty, name) = (row[l.ty] as u8, row[l.name] as u32);
        if f.named[usize::from(ty)] {
            match self.strings_count {
                Some(strings) if u64::from(name) >= strings => {
                    return Err(SnapshotError::EdgeNameOutOfRange {
                        offset: at[l.name],
                        edge,
                        name: u64::from(name),
                        strings,
                    })
                }
                Some(_) => {}
                None => {
                    if self.max_edge_name.is_none_or(|(m, _, _)| name > m) {
                        self.max_edge_name = Some((name, edge, at[l.name]));
                    }
                }
            }
        }
        let room = f.edge_count - edge;
        self.sink.edge(EdgeRow { ty, name, to }, room);
        self.edge_rows += 1;
        Ok(())
    }

    /// Checks the location row just read and hands it on.
    fn location_row(&mut self) -> Result<(), SnapshotError> {
        let f = self.facts.as_ref().expect("rows follow the header");
        let Some(lm) = f.locations else {
            return Ok(());
        };
        let at = &self.num.at;
        let location = f.location(lm, &self.num.row, |k| at[k])?;
        self.sink.location(location);
        Ok(())
    }

    /// The current number array closed at byte `at` (its `]`).
    fn end_array(&mut self, at: u64) -> Result<(), SnapshotError> {
        let num = &self.num;
        let f = self.facts.as_ref().expect("rows follow the header");
        if num.field != 0 {
            return Err(match num.section {
                Section::Nodes => SnapshotError::NodeArrayLength {
                    offset: at,
                    values: num.values,
                    stride: num.stride,
                },
                Section::Edges => SnapshotError::EdgeArrayLength {
                    offset: at,
                    values: num.values,
                    stride: num.stride,
                },
                _ => SnapshotError::Structure {
                    offset: at,
                    message: format!(
                        "locations array has {} values, not a multiple of the {} location fields",
                        num.values, num.stride
                    ),
                },
            });
        }
        match num.section {
            Section::Nodes if num.rows != f.node_count => Err(SnapshotError::NodeCountMismatch {
                offset: at,
                declared: f.node_count,
                actual: num.rows,
            }),
            Section::Nodes => {
                self.sink.nodes_done();
                Ok(())
            }
            Section::Edges if num.rows != f.edge_count => Err(SnapshotError::EdgeCountMismatch {
                offset: at,
                declared: f.edge_count,
                from_nodes: f.edge_count,
                actual: num.rows,
            }),
            Section::Edges => {
                self.edges_close = at;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
