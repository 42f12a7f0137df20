//! Building a [`HeapGraph`] from chunks that arrive one by one (a file read piece by piece, or
//! V8's `getHeapSnapshot()` stream handed over through N-API), without ever holding the JSON.
//!
//! The `nodes`, `edges` and `locations` arrays are parsed straight into the graph's columns as
//! the bytes arrive (numbers, strings and escapes may be split anywhere); the `strings` are
//! decoded into the arena; only the small `snapshot` header is buffered. Memory is the
//! finished graph plus at most one growth step of each column: columns grow with the rows
//! actually read and never past the header's counts, so a lying header cannot make the
//! builder reserve more than the input delivers.
//!
//! V8 writes the header first. A number array that comes before the header (which says how
//! to read it) is kept as raw bytes and parsed when the header arrives: correct for any
//! section order, and bounded by the bytes pushed.
//!
//! The builder accepts exactly the inputs [`HeapGraph::from_bytes`] accepts and builds the
//! same graph; it stops at the first error in file order, which is also the error
//! `from_bytes` reports. Every error names a byte offset of the whole input.

#![deny(missing_docs)]

use super::bits::SizeColumn;
use super::columns::{root_ordinal, string_named_types, NodeRef};
use super::graph::{EdgeKind, HeapGraph, LoadTimings, Location, NodeKind, Strings, TypeTable};
use super::load::read_into;
use super::meta::{EdgeLayout, LocationMeta, Meta, NodeLayout, MAX_FIELDS, MAX_HEADER_BYTES};
use super::numbers::{first_non_number_in, not_a_number_byte};
use super::stream::{describe, digit_run, syntax, Skipper, SnapshotError, StrScan};
use std::io::Read;

/// [`HeapGraph::from_reader`] reads this much at a time.
pub(super) const READ_CHUNK: usize = 64 << 10;
/// Top-level keys longer than this are not sections this crate reads.
const MAX_KEY_BYTES: usize = 64;
/// Columns start with room for this many rows at most, then double (never past the header's
/// count).
const INITIAL_ROWS: usize = 1 << 16;
/// Node ordinals are u32 and the retainer index keeps a flag in their top bit.
const MAX_NODES: u64 = (1 << 31) - 1;

impl HeapGraph {
    /// Parses a snapshot from any reader (a pipe, a socket, a decompressor) in 64 KiB reads,
    /// through a [`HeapGraphBuilder`]: the JSON text is never held in memory.
    pub fn from_reader(mut reader: impl Read) -> Result<HeapGraph, SnapshotError> {
        let mut builder = HeapGraphBuilder::new();
        read_into(&mut reader, &mut builder)?;
        builder.finish()
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

/// Where the top-level walk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Top {
    Start,
    KeyOrEnd,
    KeyStart,
    Key,
    Colon,
    Value,
    Header,
    Numbers,
    /// A number array before the header: kept raw until the header arrives.
    Stash,
    /// `locations` when `meta` has no usable `location_fields`: skipped to its `]` unread,
    /// as [`HeapGraph::from_bytes`] does.
    SkipArray,
    Strings,
    Skip,
    CommaOrEnd,
    Done,
}

/// The number arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArrayKind {
    Nodes,
    Edges,
    Locations,
}

impl ArrayKind {
    fn name(self) -> &'static str {
        match self {
            ArrayKind::Nodes => "nodes",
            ArrayKind::Edges => "edges",
            ArrayKind::Locations => "locations",
        }
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
struct NumArray {
    kind: ArrayKind,
    st: NumSt,
    stride: usize,
    /// The field of the current row the next value fills.
    field: usize,
    /// The value being scanned across chunks and its first digit's offset.
    acc: u64,
    start: u64,
    /// Values and complete rows read.
    values: u64,
    rows: u64,
    row: [u64; MAX_FIELDS],
    /// Offset of each value of the current row (for errors).
    at: [u64; MAX_FIELDS],
}

impl NumArray {
    fn new(kind: ArrayKind, stride: usize) -> Self {
        NumArray {
            kind,
            st: NumSt::Open,
            stride,
            field: 0,
            acc: 0,
            start: 0,
            values: 0,
            rows: 0,
            row: [0; MAX_FIELDS],
            at: [0; MAX_FIELDS],
        }
    }
}

/// A number array that came before the header: its bytes after `[` up to its `]`, and the
/// offset of the first of them.
#[derive(Debug)]
struct Stash {
    kind: ArrayKind,
    base: u64,
    bytes: Vec<u8>,
}

/// Scan state of the `strings` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StrSt {
    FirstOrClose,
    Value,
    InString,
    After,
}

/// The facts from `meta` the number arrays are checked against, copied out of it.
#[derive(Debug, Clone, Copy)]
struct Facts {
    node: NodeLayout,
    edge: EdgeLayout,
    locations: Option<LocationMeta>,
    node_types: u64,
    edge_types: u64,
    node_count: u64,
    edge_count: u64,
    nodes: NodeRef,
}

impl Default for Facts {
    fn default() -> Self {
        let node = NodeLayout {
            stride: 1,
            ty: 0,
            name: 0,
            id: 0,
            self_size: 0,
            edge_count: 0,
            detachedness: None,
        };
        Facts {
            node,
            edge: EdgeLayout {
                stride: 1,
                ty: 0,
                name: 0,
                to: 0,
            },
            locations: None,
            node_types: 0,
            edge_types: 0,
            node_count: 0,
            edge_count: 0,
            nodes: NodeRef::new(1, 0),
        }
    }
}

/// The row length of array `kind`, or `None` when it is not read (locations without usable
/// `location_fields`).
fn array_stride(kind: ArrayKind, facts: &Facts) -> Option<usize> {
    match kind {
        ArrayKind::Nodes => Some(facts.node.stride),
        ArrayKind::Edges => Some(facts.edge.stride),
        ArrayKind::Locations => facts.locations.map(|l| l.stride),
    }
}

/// The largest name index read before the strings were known, with its row and offset.
type MaxName = Option<(u32, u64, u64)>;

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
pub struct HeapGraphBuilder {
    /// Bytes consumed by earlier `push` calls.
    offset: u64,
    /// Whether rows are stored (false for a [`checker`](Self::checker)).
    keep_rows: bool,
    state: Top,
    failed: Option<String>,
    key: Vec<u8>,
    key_overflow: bool,
    text: StrScan,
    skip: Skipper,
    header_raw: Vec<u8>,
    header_at: u64,
    seen_header: bool,
    meta: Option<Meta>,
    /// Which sections were seen (duplicates are errors).
    seen_nodes: bool,
    seen_edges: bool,
    seen_locations: bool,
    seen_strings: bool,
    stashes: Vec<Stash>,
    stash: Option<Stash>,
    num: NumArray,
    /// What the number arrays need from `meta` (valid once `meta` is set).
    facts: Facts,
    /// Whether each edge type has a string name.
    named: [bool; 256],
    // nodes
    node_rows: u64,
    node_type: Vec<u8>,
    node_name: Vec<u32>,
    node_id: Vec<u32>,
    sizes: Vec<u32>,
    big_sizes: Vec<(u32, u64)>,
    first_edge: Vec<u32>,
    edge_sum: u64,
    /// Allocated at the first node with a non-zero detachedness.
    detachedness: Option<Vec<u8>>,
    max_node_name: MaxName,
    // edges
    edge_rows: u64,
    edge_type: Vec<u8>,
    edge_name: Vec<u32>,
    edge_to: Vec<u32>,
    edges_close: u64,
    max_edge_name: MaxName,
    // locations
    locations: Vec<Location>,
    // strings
    str_st: StrSt,
    arena: Vec<u8>,
    ends: Vec<usize>,
    strings_count: Option<u64>,
}

impl Default for HeapGraphBuilder {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Reserves room for `extra` more rows when `v` is full: the rows read so far (at least
/// [`INITIAL_ROWS`]), never more than `room` (what the header still allows).
#[inline]
fn grow<T>(v: &mut Vec<T>, room: u64) {
    if v.len() == v.capacity() {
        let extra = v.len().max(INITIAL_ROWS) as u64;
        v.reserve_exact(extra.min(room).max(1) as usize);
    }
}

impl HeapGraphBuilder {
    /// A builder waiting for the first chunk.
    pub fn new() -> Self {
        HeapGraphBuilder {
            offset: 0,
            keep_rows: true,
            state: Top::Start,
            failed: None,
            key: Vec::with_capacity(MAX_KEY_BYTES),
            key_overflow: false,
            text: StrScan::default(),
            skip: Skipper::new(),
            header_raw: Vec::new(),
            header_at: 0,
            seen_header: false,
            meta: None,
            seen_nodes: false,
            seen_edges: false,
            seen_locations: false,
            seen_strings: false,
            stashes: Vec::new(),
            stash: None,
            num: NumArray::new(ArrayKind::Nodes, 1),
            facts: Facts::default(),
            named: [true; 256],
            node_rows: 0,
            node_type: Vec::new(),
            node_name: Vec::new(),
            node_id: Vec::new(),
            sizes: Vec::new(),
            big_sizes: Vec::new(),
            first_edge: vec![0],
            edge_sum: 0,
            detachedness: None,
            max_node_name: None,
            edge_rows: 0,
            edge_type: Vec::new(),
            edge_name: Vec::new(),
            edge_to: Vec::new(),
            edges_close: 0,
            max_edge_name: None,
            locations: Vec::new(),
            str_st: StrSt::FirstOrClose,
            arena: Vec::new(),
            ends: Vec::new(),
            strings_count: None,
        }
    }

    /// A builder that checks what is pushed exactly as [`new`](Self::new)'s does, and stops at
    /// the same first error, but stores no node, edge or location rows: for finding that error
    /// in an input already known to be bad. Its [`finish`](Self::finish) gives no usable graph.
    pub(super) fn checker() -> Self {
        HeapGraphBuilder {
            keep_rows: false,
            ..Self::new()
        }
    }

    /// Bytes pushed so far.
    pub fn bytes_pushed(&self) -> u64 {
        self.offset
    }

    /// Heap bytes the builder holds now (columns, strings, buffers): what memory it costs
    /// while the input is still arriving.
    pub fn heap_bytes(&self) -> usize {
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
            + self.arena.capacity()
            + self.ends.capacity() * std::mem::size_of::<usize>()
            + self.header_raw.capacity()
            + self
                .stashes
                .iter()
                .map(|s| s.bytes.capacity())
                .sum::<usize>()
            + self.stash.as_ref().map_or(0, |s| s.bytes.capacity())
    }

    /// Consumes the next chunk of the snapshot (any length, split anywhere).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), SnapshotError> {
        if let Some(first) = &self.failed {
            return Err(SnapshotError::AlreadyFailed {
                first: first.clone(),
            });
        }
        match self.push_inner(chunk) {
            Ok(()) => {
                self.offset += chunk.len() as u64;
                Ok(())
            }
            Err(err) => {
                self.failed = Some(err.to_string());
                Err(err)
            }
        }
    }

    /// Ends the input: checks what can only be checked at the end (the top-level object is
    /// closed, every section is there, the nodes' edge counts add up, every name is a
    /// string) and returns the graph.
    pub fn finish(mut self) -> Result<HeapGraph, SnapshotError> {
        debug_assert!(self.keep_rows, "a checker builds no graph");
        if let Some(first) = self.failed.take() {
            return Err(SnapshotError::AlreadyFailed { first });
        }
        match self.state {
            Top::Done => {}
            Top::Start => {
                return Err(SnapshotError::NotASnapshot {
                    offset: self.offset,
                    reason: "the input is empty".into(),
                })
            }
            state => {
                return Err(SnapshotError::Truncated {
                    offset: self.offset,
                    inside: describe_state(state, self.array_kind()),
                })
            }
        }
        self.assemble()
    }

    /// The kind of the number array being read, kept raw or skipped.
    fn array_kind(&self) -> ArrayKind {
        match (self.state, &self.stash) {
            (Top::Stash, Some(stash)) => stash.kind,
            (Top::SkipArray, _) => ArrayKind::Locations,
            _ => self.num.kind,
        }
    }

    fn push_inner(&mut self, buf: &[u8]) -> Result<(), SnapshotError> {
        let base = self.offset;
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            let at = base + i as u64;
            match self.state {
                Top::Start => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b'{' => self.state = Top::KeyOrEnd,
                        _ => {
                            return Err(SnapshotError::NotASnapshot {
                                offset: at,
                                reason: format!("expected a JSON object, found {}", describe(b)),
                            })
                        }
                    }
                }
                Top::KeyOrEnd | Top::KeyStart => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b'"' => {
                            self.key.clear();
                            self.key_overflow = false;
                            self.text = StrScan::default();
                            self.state = Top::Key;
                        }
                        b'}' if self.state == Top::KeyOrEnd => self.close_top(at)?,
                        _ => {
                            return Err(syntax(
                                at,
                                format!("expected a top-level key, found {}", describe(b)),
                            ))
                        }
                    }
                }
                Top::Key => {
                    let out = if self.key_overflow {
                        None
                    } else {
                        Some(&mut self.key)
                    };
                    let (n, done) = self.text.feed(&buf[i..], out, at)?;
                    i += n;
                    if self.key.len() > MAX_KEY_BYTES {
                        self.key_overflow = true;
                        self.key.clear();
                    }
                    if done {
                        self.state = Top::Colon;
                    }
                }
                Top::Colon => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b':' => self.state = Top::Value,
                        _ => {
                            return Err(syntax(at, format!("expected ':', found {}", describe(b))))
                        }
                    }
                }
                Top::Value => {
                    if is_ws(b) {
                        i += 1;
                    } else {
                        i += self.start_value(b, at)?;
                    }
                }
                Top::Header => {
                    let (n, done) = self.skip.feed(&buf[i..], at)?;
                    if self.header_raw.len() + n > MAX_HEADER_BYTES {
                        return Err(SnapshotError::InvalidHeader {
                            offset: self.header_at,
                            message: format!("more than {MAX_HEADER_BYTES} bytes"),
                        });
                    }
                    self.header_raw.extend_from_slice(&buf[i..i + n]);
                    i += n;
                    if done {
                        self.state = Top::CommaOrEnd;
                        self.header_done()?;
                    }
                }
                Top::Numbers => {
                    let (n, done) = self.feed_numbers(&buf[i..], at)?;
                    i += n;
                    if done {
                        self.state = Top::CommaOrEnd;
                    }
                }
                Top::Stash | Top::SkipArray => {
                    // Only the bytes are checked here, as `HeapGraph::from_bytes` does; the
                    // values of a stash are parsed when the header arrives.
                    let rest = &buf[i..];
                    let (n, done) = match first_non_number_in(rest) {
                        Some(k) if rest[k] == b']' => (k + 1, true),
                        Some(k) => {
                            let name = self.array_kind().name();
                            return Err(not_a_number_byte(at + k as u64, name, rest[k]));
                        }
                        None => (rest.len(), false),
                    };
                    if let Some(stash) = self.stash.as_mut() {
                        stash.bytes.extend_from_slice(&rest[..n]);
                    }
                    i += n;
                    if done {
                        self.stashes.extend(self.stash.take());
                        self.state = Top::CommaOrEnd;
                    }
                }
                Top::Strings => {
                    let (n, done) = self.feed_strings(&buf[i..], at)?;
                    i += n;
                    if done {
                        self.strings_done()?;
                        self.state = Top::CommaOrEnd;
                    }
                }
                Top::Skip => {
                    let (n, done) = self.skip.feed(&buf[i..], at)?;
                    i += n;
                    if done {
                        self.state = Top::CommaOrEnd;
                    }
                }
                Top::CommaOrEnd => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b',' => self.state = Top::KeyStart,
                        b'}' => self.close_top(at)?,
                        _ => {
                            return Err(syntax(
                                at,
                                format!(
                                    "expected ',' or '}}' after a top-level value, found {}",
                                    describe(b)
                                ),
                            ))
                        }
                    }
                }
                Top::Done => {
                    if !is_ws(b) {
                        return Err(syntax(at, "data after the end of the snapshot object"));
                    }
                    i += 1;
                }
            }
        }
        Ok(())
    }

    /// Starts the value of the key just read at its first byte `b` (at offset `at`); returns
    /// the bytes consumed (the opening bracket of an array, else nothing).
    fn start_value(&mut self, b: u8, at: u64) -> Result<usize, SnapshotError> {
        let duplicate = |name: &str| SnapshotError::Structure {
            offset: at,
            message: format!("duplicate \"{name}\" section"),
        };
        let key: &[u8] = if self.key_overflow { b"" } else { &self.key };
        let kind = match key {
            b"snapshot" => {
                if self.seen_header {
                    return Err(duplicate("snapshot"));
                }
                self.seen_header = true;
                self.skip = Skipper::new();
                self.header_raw.clear();
                self.header_at = at;
                self.state = Top::Header;
                return Ok(0);
            }
            b"strings" => {
                if self.seen_strings {
                    return Err(duplicate("strings"));
                }
                self.seen_strings = true;
                if b != b'[' {
                    return Err(SnapshotError::Structure {
                        offset: at,
                        message: "\"strings\" is not an array".into(),
                    });
                }
                self.str_st = StrSt::FirstOrClose;
                self.state = Top::Strings;
                return Ok(1);
            }
            b"nodes" => ArrayKind::Nodes,
            b"edges" => ArrayKind::Edges,
            b"locations" => ArrayKind::Locations,
            _ => {
                self.skip = Skipper::new();
                self.state = Top::Skip;
                return Ok(0);
            }
        };
        let seen = match kind {
            ArrayKind::Nodes => &mut self.seen_nodes,
            ArrayKind::Edges => &mut self.seen_edges,
            ArrayKind::Locations => &mut self.seen_locations,
        };
        if *seen {
            return Err(duplicate(kind.name()));
        }
        *seen = true;
        if b != b'[' {
            return Err(SnapshotError::Structure {
                offset: at,
                message: format!(
                    "\"{}\" is not an array (found {})",
                    kind.name(),
                    describe(b)
                ),
            });
        }
        self.state = match self.meta {
            None => {
                self.stash = Some(Stash {
                    kind,
                    base: at + 1,
                    bytes: Vec::new(),
                });
                Top::Stash
            }
            Some(_) => match array_stride(kind, &self.facts) {
                Some(stride) => {
                    self.num = NumArray::new(kind, stride);
                    Top::Numbers
                }
                None => Top::SkipArray,
            },
        };
        Ok(1)
    }

    /// The header object is complete: read `meta`, then parse the arrays that came before it.
    fn header_done(&mut self) -> Result<(), SnapshotError> {
        let meta = Meta::parse(&self.header_raw, self.header_at as usize)?;
        self.header_raw = Vec::new();
        self.named = string_named_types(&meta.edge_types);
        self.facts = Facts {
            node: meta.node,
            edge: meta.edge,
            locations: meta.locations,
            node_types: meta.node_types.len() as u64,
            edge_types: meta.edge_types.len() as u64,
            node_count: meta.node_count,
            edge_count: meta.edge_count,
            // Offsets past the declared nodes are errors; a count too large to index fails
            // anyway, so the bound is capped where the arithmetic stays exact.
            nodes: NodeRef::new(
                meta.node.stride,
                meta.node_count.min(MAX_NODES + 1) as usize,
            ),
        };
        self.meta = Some(meta);
        for stash in std::mem::take(&mut self.stashes) {
            let Some(stride) = array_stride(stash.kind, &self.facts) else {
                continue;
            };
            self.num = NumArray::new(stash.kind, stride);
            let (n, done) = self.feed_numbers(&stash.bytes, stash.base)?;
            debug_assert!(done && n == stash.bytes.len());
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Number arrays

impl HeapGraphBuilder {
    /// Scans number array bytes (after `[`), storing every complete row; returns the bytes
    /// consumed and whether the closing `]` was one of them.
    fn feed_numbers(&mut self, buf: &[u8], base: u64) -> Result<(usize, bool), SnapshotError> {
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            match self.num.st {
                NumSt::Open | NumSt::Value => {
                    if is_ws(b) {
                        i += 1;
                    } else if b.is_ascii_digit() {
                        let end = digit_run(buf, i);
                        let run = &buf[i..end];
                        let start = base + i as u64;
                        if end < buf.len() && run.len() <= 19 {
                            // The whole number is here and cannot overflow.
                            let value = run
                                .iter()
                                .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0'));
                            self.store_value(value, start)?;
                            self.num.st = NumSt::After;
                        } else {
                            self.num.acc = 0;
                            self.num.start = start;
                            self.accumulate(run)?;
                            if end < buf.len() {
                                self.store_value(self.num.acc, start)?;
                                self.num.st = NumSt::After;
                            } else {
                                self.num.st = NumSt::Digits;
                            }
                        }
                        i = end;
                    } else if b == b']' && self.num.st == NumSt::Open {
                        self.end_array(base + i as u64)?;
                        return Ok((i + 1, true));
                    } else {
                        return Err(syntax(
                            base + i as u64,
                            format!(
                                "expected a non-negative integer in \"{}\", found {}",
                                self.num.kind.name(),
                                describe(b)
                            ),
                        ));
                    }
                }
                NumSt::Digits => {
                    let end = digit_run(buf, i);
                    self.accumulate(&buf[i..end])?;
                    if end < buf.len() {
                        self.store_value(self.num.acc, self.num.start)?;
                        self.num.st = NumSt::After;
                    }
                    i = end;
                }
                NumSt::After => match b {
                    b' ' | b'\t' | b'\n' | b'\r' => i += 1,
                    b',' => {
                        self.num.st = NumSt::Value;
                        i += 1;
                    }
                    b']' => {
                        self.end_array(base + i as u64)?;
                        return Ok((i + 1, true));
                    }
                    _ => {
                        return Err(syntax(
                            base + i as u64,
                            format!(
                                "expected ',' or ']' in \"{}\", found {}",
                                self.num.kind.name(),
                                describe(b)
                            ),
                        ))
                    }
                },
            }
        }
        Ok((i, false))
    }

    /// Adds digits to the value being scanned, checking for u64 overflow.
    fn accumulate(&mut self, digits: &[u8]) -> Result<(), SnapshotError> {
        for &d in digits {
            self.num.acc = match self
                .num
                .acc
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
            {
                Some(v) => v,
                None => {
                    return Err(self.too_large(self.num.start, self.num.field, u64::MAX));
                }
            };
        }
        Ok(())
    }

    /// `NumberTooLarge` for field `field` of the current array's rows.
    #[cold]
    fn too_large(&self, offset: u64, field: usize, limit: u64) -> SnapshotError {
        let names = self.meta.as_ref().map(|m| match self.num.kind {
            ArrayKind::Nodes => &m.node_field_names,
            _ => &m.edge_field_names,
        });
        let field = match self.num.kind {
            ArrayKind::Locations => "locations".to_owned(),
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
            match num.kind {
                ArrayKind::Nodes => self.node_row()?,
                ArrayKind::Edges => self.edge_row()?,
                ArrayKind::Locations => self.location_row()?,
            }
            self.num.rows += 1;
        }
        Ok(())
    }

    /// Checks and appends the node row just read.
    fn node_row(&mut self) -> Result<(), SnapshotError> {
        let f = self.facts;
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
        let max = u64::from(u32::MAX);
        let (ty, name, id, edges) = (row[l.ty], row[l.name], row[l.id], row[l.edge_count]);
        if ty >= f.node_types {
            return Err(SnapshotError::TypeOutOfRange {
                offset: at[l.ty],
                node,
                type_index: ty,
                types: f.node_types as usize,
            });
        }
        if let Some(field) = [l.name, l.id, l.edge_count]
            .into_iter()
            .find(|&k| row[k] > max)
        {
            return Err(self.too_large(at[field], field, max));
        }
        let name = name as u32;
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
        if !self.keep_rows {
            self.edge_sum += edges;
            self.node_rows += 1;
            return Ok(());
        }
        let room = f.node_count - node;
        grow(&mut self.node_type, room);
        grow(&mut self.node_name, room);
        grow(&mut self.node_id, room);
        grow(&mut self.sizes, room);
        grow(&mut self.first_edge, room);
        self.node_type.push(ty as u8);
        self.node_name.push(name);
        self.node_id.push(id as u32);
        let size = row[l.self_size];
        let small = SizeColumn::encode(size);
        if small == u32::MAX {
            self.big_sizes.push((node as u32, size));
        }
        self.sizes.push(small);
        self.edge_sum += edges;
        // Past u32 the sum cannot match the edge count; the mismatch is reported at the end.
        self.first_edge
            .push(u32::try_from(self.edge_sum).unwrap_or(u32::MAX));
        if let Some(k) = l.detachedness {
            // DevTools keeps the two low bits.
            let state = (row[k] & 3) as u8;
            if state != 0 || self.detachedness.is_some() {
                let column = self.detachedness.get_or_insert_with(|| {
                    let mut column = Vec::with_capacity(self.node_type.capacity());
                    column.resize(node as usize, 0);
                    column
                });
                grow(column, room);
                column.push(state);
            }
        }
        self.node_rows += 1;
        Ok(())
    }

    /// Checks and appends the edge row just read.
    fn edge_row(&mut self) -> Result<(), SnapshotError> {
        let f = self.facts;
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
        let (ty, name, to) = (row[l.ty], row[l.name], row[l.to]);
        if ty >= f.edge_types {
            return Err(SnapshotError::EdgeTypeOutOfRange {
                offset: at[l.ty],
                edge,
                type_index: ty,
                types: f.edge_types as usize,
            });
        }
        let max = u64::from(u32::MAX);
        if name > max {
            return Err(self.too_large(at[l.name], l.name, max));
        }
        let Some(target) = f.nodes.ordinal(to) else {
            return Err(SnapshotError::EdgeTargetOutOfRange {
                offset: at[l.to],
                edge,
                to_node: to,
                stride: f.node.stride,
                nodes: f.node_count,
            });
        };
        let name = name as u32;
        if self.named[ty as usize] {
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
        if !self.keep_rows {
            self.edge_rows += 1;
            return Ok(());
        }
        let room = f.edge_count - edge;
        grow(&mut self.edge_type, room);
        grow(&mut self.edge_name, room);
        grow(&mut self.edge_to, room);
        self.edge_type.push(ty as u8);
        self.edge_name.push(name);
        self.edge_to.push(target);
        self.edge_rows += 1;
        Ok(())
    }

    /// Checks and appends the location row just read.
    fn location_row(&mut self) -> Result<(), SnapshotError> {
        let f = self.facts;
        let Some(lm) = f.locations else {
            return Ok(());
        };
        let row = &self.num.row;
        let index = row[lm.index];
        let Some(node) = f.nodes.ordinal(index) else {
            return Err(SnapshotError::BadNodeReference {
                offset: self.num.at[lm.index],
                what: "location object_index",
                value: index,
                stride: f.node.stride,
                nodes: f.node_count,
            });
        };
        if !self.keep_rows {
            return Ok(());
        }
        let small = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        // One row takes at least twice the field count in bytes: growing like a Vec stays
        // within the input's size.
        self.locations.push(Location {
            node,
            script_id: small(row[lm.script]),
            line: small(row[lm.line]),
            column: small(row[lm.column]),
        });
        Ok(())
    }

    /// The current number array closed at byte `at` (its `]`).
    fn end_array(&mut self, at: u64) -> Result<(), SnapshotError> {
        let num = &self.num;
        let f = self.facts;
        if num.field != 0 {
            return Err(match num.kind {
                ArrayKind::Nodes => SnapshotError::NodeArrayLength {
                    offset: at,
                    values: num.values,
                    stride: num.stride,
                },
                ArrayKind::Edges => SnapshotError::EdgeArrayLength {
                    offset: at,
                    values: num.values,
                    stride: num.stride,
                },
                ArrayKind::Locations => SnapshotError::Structure {
                    offset: at,
                    message: format!(
                        "locations array has {} values, not a multiple of the {} location fields",
                        num.values, num.stride
                    ),
                },
            });
        }
        match num.kind {
            ArrayKind::Nodes if num.rows != f.node_count => Err(SnapshotError::NodeCountMismatch {
                offset: at,
                declared: f.node_count,
                actual: num.rows,
            }),
            ArrayKind::Edges if num.rows != f.edge_count => Err(SnapshotError::EdgeCountMismatch {
                offset: at,
                declared: f.edge_count,
                from_nodes: f.edge_count,
                actual: num.rows,
            }),
            ArrayKind::Edges => {
                self.edges_close = at;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Strings and the end

impl HeapGraphBuilder {
    /// Scans the `strings` array (after `[`); returns the bytes consumed and whether the
    /// closing `]` was one of them.
    fn feed_strings(&mut self, buf: &[u8], base: u64) -> Result<(usize, bool), SnapshotError> {
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            let at = base + i as u64;
            match self.str_st {
                StrSt::InString => {
                    let (n, done) = self.text.feed(&buf[i..], Some(&mut self.arena), at)?;
                    i += n;
                    if done {
                        if u32::try_from(self.ends.len()).is_err() {
                            return Err(SnapshotError::TooLarge {
                                offset: base + i as u64,
                                message: "more than 2^32 strings".into(),
                            });
                        }
                        self.ends.push(self.arena.len());
                        self.str_st = StrSt::After;
                    }
                }
                StrSt::FirstOrClose | StrSt::Value => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b'"' => {
                            self.text = StrScan::default();
                            self.str_st = StrSt::InString;
                        }
                        b']' if self.str_st == StrSt::FirstOrClose => return Ok((i, true)),
                        _ => {
                            return Err(syntax(
                                at,
                                format!("expected a string in \"strings\", found {}", describe(b)),
                            ))
                        }
                    }
                }
                StrSt::After => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b',' => self.str_st = StrSt::Value,
                        b']' => return Ok((i, true)),
                        _ => {
                            return Err(syntax(
                                at,
                                format!(
                                    "expected ',' or ']' in \"strings\", found {}",
                                    describe(b)
                                ),
                            ))
                        }
                    }
                }
            }
        }
        Ok((i, false))
    }

    /// The strings are all known: check the names read so far; later ones are checked as
    /// they come.
    fn strings_done(&mut self) -> Result<(), SnapshotError> {
        let strings = self.ends.len() as u64;
        self.strings_count = Some(strings);
        self.arena.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.check_max_names(strings)
    }

    /// The largest names read before the strings were known must be string indices.
    fn check_max_names(&mut self, strings: u64) -> Result<(), SnapshotError> {
        if let Some((name, node, offset)) = self.max_node_name.take() {
            if u64::from(name) >= strings {
                return Err(SnapshotError::NameOutOfRange {
                    offset,
                    node,
                    name: u64::from(name),
                    strings,
                });
            }
        }
        if let Some((name, edge, offset)) = self.max_edge_name.take() {
            if u64::from(name) >= strings {
                return Err(SnapshotError::EdgeNameOutOfRange {
                    offset,
                    edge,
                    name: u64::from(name),
                    strings,
                });
            }
        }
        Ok(())
    }

    /// The top-level object closed at `at`: every section must be there.
    fn close_top(&mut self, at: u64) -> Result<(), SnapshotError> {
        if !self.seen_header {
            return Err(SnapshotError::NotASnapshot {
                offset: at + 1,
                reason: "no \"snapshot\" header".into(),
            });
        }
        for (seen, name) in [
            (self.seen_nodes, "nodes"),
            (self.seen_edges, "edges"),
            (self.seen_strings, "strings"),
        ] {
            if !seen {
                return Err(SnapshotError::Structure {
                    offset: at + 1,
                    message: format!("no \"{name}\" array"),
                });
            }
        }
        self.state = Top::Done;
        Ok(())
    }

    /// The last checks, then the graph.
    fn assemble(self) -> Result<HeapGraph, SnapshotError> {
        let Some(meta) = self.meta else {
            // Unreachable: the top level closed with a header, and a header that does not
            // parse fails when it ends.
            return Err(SnapshotError::NotASnapshot {
                offset: self.offset,
                reason: "no \"snapshot\" header".into(),
            });
        };
        let node_count = self.node_type.len();
        let root = root_ordinal(&meta, node_count)?;
        if self.edge_sum != self.edge_rows {
            return Err(SnapshotError::EdgeCountMismatch {
                offset: self.edges_close,
                declared: meta.edge_count,
                from_nodes: self.edge_sum,
                actual: self.edge_rows,
            });
        }
        let mut locations = self.locations;
        // DevTools keeps the last entry per node (a Map). V8 writes one per node, in order.
        if !locations.windows(2).all(|w| w[0].node < w[1].node) {
            locations.reverse();
            locations.sort_by_key(|l| l.node);
            locations.dedup_by_key(|l| l.node);
        }
        locations.shrink_to_fit();
        let arena =
            String::from_utf8(self.arena).map_err(|_| syntax(0, "invalid UTF-8 in \"strings\""))?;
        let mut detachedness = self.detachedness;
        if let Some(d) = detachedness.as_mut() {
            d.resize(node_count, 0);
        }
        Ok(HeapGraph {
            node_types: TypeTable::new(meta.node_types.clone(), NodeKind::from_name),
            edge_types: TypeTable::new(meta.edge_types.clone(), EdgeKind::from_name),
            node_type: self.node_type,
            node_name: self.node_name,
            node_id: self.node_id,
            self_size: SizeColumn::from_parts(self.sizes, self.big_sizes),
            first_edge: self.first_edge,
            detachedness,
            edge_type: self.edge_type,
            edge_name: self.edge_name,
            edge_to: self.edge_to,
            strings: Strings::from_parts(arena, self.ends),
            locations,
            root,
            extra_native_bytes: meta.extra_native_bytes,
            timings: LoadTimings::default(),
        })
    }
}

fn describe_state(state: Top, kind: ArrayKind) -> &'static str {
    match state {
        Top::Start | Top::Done => "nothing",
        Top::KeyOrEnd | Top::KeyStart | Top::Colon | Top::Value | Top::CommaOrEnd => {
            "the top-level object"
        }
        Top::Key => "a top-level key",
        Top::Header => "the \"snapshot\" header",
        Top::Numbers | Top::Stash | Top::SkipArray => match kind {
            ArrayKind::Nodes => "the \"nodes\" array",
            ArrayKind::Edges => "the \"edges\" array",
            ArrayKind::Locations => "the \"locations\" array",
        },
        Top::Strings => "the \"strings\" array",
        Top::Skip => "a skipped section",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::stream::test_support::OLD_FIELDS;
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
