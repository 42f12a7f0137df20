//! Incremental V8 `.heapsnapshot` parser that keeps only per-node summaries.
//!
//! The file is fed in chunks split anywhere (inside numbers, strings, escapes or multi-byte
//! UTF-8). Only three sections matter:
//!
//! * `snapshot`: the small header object, buffered and read with serde_json for `meta` and counts;
//! * `nodes`: streamed with a hand-written integer scanner into four columns (id, type, name,
//!   self size: 17 bytes per node);
//! * `strings`: streamed with a JSON string decoder; only the strings used as the name of an
//!   `object` node (constructor names) are kept.
//!
//! `edges` and every other section (known or not) are validated as JSON and dropped; integer
//! runs (the bulk of a file) go through a fast path that checks eight digits at a time. Memory
//! is proportional to the node count plus the kept strings, never to the file size, and
//! nothing is reserved from a declared count beyond what the input has actually delivered.
//!
//! Section order: `snapshot` must come before `nodes` (V8 always writes it first). `strings`
//! normally comes last; if it comes before `nodes`, which strings are needed is not known yet
//! and all of them are kept.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// `parse_file` reads this much at a time into one reused buffer.
const READ_CHUNK: usize = 1 << 20;
/// The `snapshot` header is a few KiB in practice; refuse to buffer an absurd one.
const MAX_HEADER_BYTES: usize = 16 << 20;
/// Nesting limit for skipped sections (`trace_tree` nests one level per call frame).
const MAX_DEPTH: usize = 100_000;
/// Node columns start with room for this many nodes at most, then grow with the input.
const INITIAL_NODE_RESERVE: usize = 1 << 16;
/// Top-level keys longer than this are unknown anyway: they are scanned but not recorded.
const MAX_KEY_BYTES: usize = 64;

/// Why a snapshot could not be parsed. Offsets are byte offsets from the start of the input.
#[derive(Debug)]
pub enum SnapshotError {
    /// Reading the file failed.
    Io(io::Error),
    /// The input is not a heap snapshot (not a JSON object, or no `snapshot` header).
    NotASnapshot { offset: u64, reason: String },
    /// The JSON itself is malformed.
    Syntax { offset: u64, message: String },
    /// The input ended (`finish()`) before the top-level object was closed.
    Truncated { offset: u64, inside: &'static str },
    /// The `snapshot` header is unusable (missing or ill-typed `meta` fields or counts).
    InvalidHeader { offset: u64, message: String },
    /// Sections missing, duplicated or out of order.
    Structure { offset: u64, message: String },
    /// The `nodes` array does not hold a whole number of nodes.
    NodeArrayLength {
        offset: u64,
        values: u64,
        stride: usize,
    },
    /// The `nodes` array disagrees with `snapshot.node_count`. When there are more nodes than
    /// declared, `actual` is the first count over the limit (parsing stops there).
    NodeCountMismatch {
        offset: u64,
        declared: u64,
        actual: u64,
    },
    /// A node's `name` is not an index into the `strings` array.
    NameOutOfRange {
        offset: u64,
        node: u64,
        name: u64,
        strings: u64,
    },
    /// A value does not fit its column (ids and names are u32, other values u64).
    NumberTooLarge {
        offset: u64,
        field: String,
        limit: u64,
    },
    /// A node's `type` is not an index into `meta.node_types`.
    TypeOutOfRange {
        offset: u64,
        node: u64,
        type_index: u64,
        types: usize,
    },
    /// `feed`/`finish` called again after an error.
    AlreadyFailed { first: String },
    /// The parsing thread of a [`BackgroundParser`](super::background::BackgroundParser) panicked.
    ParserPanicked { cause: String },
    /// The `edges` array does not hold a whole number of edges.
    EdgeArrayLength {
        offset: u64,
        values: u64,
        stride: usize,
    },
    /// The `edges` array disagrees with `snapshot.edge_count` (`declared`) or with the sum of
    /// the nodes' `edge_count` fields (`from_nodes`); `actual` is what the array holds.
    EdgeCountMismatch {
        offset: u64,
        declared: u64,
        from_nodes: u64,
        actual: u64,
    },
    /// An edge's `type` is not an index into `meta.edge_types`.
    EdgeTypeOutOfRange {
        offset: u64,
        edge: u64,
        type_index: u64,
        types: usize,
    },
    /// A string-named edge's `name_or_index` is not an index into the `strings` array.
    EdgeNameOutOfRange {
        offset: u64,
        edge: u64,
        name: u64,
        strings: u64,
    },
    /// An edge's `to_node` is not the offset of a node (a multiple of the node field count,
    /// below the end of the `nodes` array).
    EdgeTargetOutOfRange {
        offset: u64,
        edge: u64,
        to_node: u64,
        stride: usize,
        nodes: u64,
    },
    /// Another node reference (`snapshot.root_index`, a location's `object_index`) is not the
    /// offset of a node.
    BadNodeReference {
        offset: u64,
        what: &'static str,
        value: u64,
        stride: usize,
        nodes: u64,
    },
    /// The snapshot is valid but exceeds what the compact in-memory graph can index
    /// (u32 node and edge ordinals).
    TooLarge { offset: u64, message: String },
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Io(err) => write!(f, "cannot read heap snapshot: {err}"),
            SnapshotError::NotASnapshot { offset, reason } => {
                write!(f, "not a V8 heap snapshot at byte {offset}: {reason}")
            }
            SnapshotError::Syntax { offset, message } => {
                write!(
                    f,
                    "malformed heap snapshot JSON at byte {offset}: {message}"
                )
            }
            SnapshotError::Truncated { offset, inside } => {
                write!(
                    f,
                    "truncated heap snapshot: input ends at byte {offset} inside {inside}"
                )
            }
            SnapshotError::InvalidHeader { offset, message } => {
                write!(
                    f,
                    "invalid heap snapshot header at byte {offset}: {message}"
                )
            }
            SnapshotError::Structure { offset, message } => {
                write!(f, "invalid heap snapshot at byte {offset}: {message}")
            }
            SnapshotError::NodeArrayLength {
                offset,
                values,
                stride,
            } => write!(
                f,
                "nodes array ending at byte {offset} has {values} values, not a multiple of \
                 the {stride} node fields"
            ),
            SnapshotError::NodeCountMismatch {
                offset,
                declared,
                actual,
            } => {
                if actual > declared {
                    write!(
                        f,
                        "nodes array has more than snapshot.node_count = {declared} nodes \
                         (node {actual} ends at byte {offset})"
                    )
                } else {
                    write!(
                        f,
                        "nodes array ending at byte {offset} has {actual} nodes but \
                         snapshot.node_count is {declared}"
                    )
                }
            }
            SnapshotError::NameOutOfRange {
                offset,
                node,
                name,
                strings,
            } => write!(
                f,
                "node {node} (value at byte {offset}) has name index {name} but the strings \
                 array has {strings} entries"
            ),
            SnapshotError::NumberTooLarge {
                offset,
                field,
                limit,
            } => write!(
                f,
                "number at byte {offset} is too large for node field \"{field}\" (max {limit})"
            ),
            SnapshotError::TypeOutOfRange {
                offset,
                node,
                type_index,
                types,
            } => write!(
                f,
                "node {node} (value at byte {offset}) has type index {type_index} but \
                 meta.node_types lists {types} types"
            ),
            SnapshotError::AlreadyFailed { first } => {
                write!(f, "heap snapshot parser already failed: {first}")
            }
            SnapshotError::ParserPanicked { cause } => {
                write!(f, "heap snapshot parser thread panicked: {cause}")
            }
            SnapshotError::EdgeArrayLength {
                offset,
                values,
                stride,
            } => write!(
                f,
                "edges array ending at byte {offset} has {values} values, not a multiple of \
                 the {stride} edge fields"
            ),
            SnapshotError::EdgeCountMismatch {
                offset,
                declared,
                from_nodes,
                actual,
            } => {
                if declared != actual {
                    write!(
                        f,
                        "edges array ending at byte {offset} has {actual} edges but \
                         snapshot.edge_count is {declared}"
                    )
                } else {
                    write!(
                        f,
                        "edges array ending at byte {offset} has {actual} edges but the nodes' \
                         edge_count fields add up to {from_nodes}"
                    )
                }
            }
            SnapshotError::EdgeTypeOutOfRange {
                offset,
                edge,
                type_index,
                types,
            } => write!(
                f,
                "edge {edge} (value at byte {offset}) has type index {type_index} but \
                 meta.edge_types lists {types} types"
            ),
            SnapshotError::EdgeNameOutOfRange {
                offset,
                edge,
                name,
                strings,
            } => write!(
                f,
                "edge {edge} (value at byte {offset}) has name index {name} but the strings \
                 array has {strings} entries"
            ),
            SnapshotError::EdgeTargetOutOfRange {
                offset,
                edge,
                to_node,
                stride,
                nodes,
            } => {
                if to_node % (*stride as u64).max(1) != 0 {
                    write!(
                        f,
                        "edge {edge} (value at byte {offset}) points to node offset {to_node}, \
                         not a multiple of the {stride} node fields"
                    )
                } else {
                    write!(
                        f,
                        "edge {edge} (value at byte {offset}) points to node offset {to_node}, \
                         beyond the last of {nodes} nodes"
                    )
                }
            }
            SnapshotError::BadNodeReference {
                offset,
                what,
                value,
                stride,
                nodes,
            } => write!(
                f,
                "{what} {value} (at byte {offset}) is not the offset of a node: the nodes array \
                 has {nodes} nodes of {stride} fields"
            ),
            SnapshotError::TooLarge { offset, message } => {
                write!(f, "heap snapshot too large at byte {offset}: {message}")
            }
        }
    }
}

impl std::error::Error for SnapshotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SnapshotError::Io(err) => Some(err),
            _ => None,
        }
    }
}

impl SnapshotError {
    /// The byte offset of the input the error is about; `None` for errors that are not about
    /// a place in the input (I/O, a parser used after failing, a panicked parser thread).
    pub fn offset(&self) -> Option<u64> {
        match self {
            SnapshotError::Io(_)
            | SnapshotError::AlreadyFailed { .. }
            | SnapshotError::ParserPanicked { .. } => None,
            SnapshotError::NotASnapshot { offset, .. }
            | SnapshotError::Syntax { offset, .. }
            | SnapshotError::Truncated { offset, .. }
            | SnapshotError::InvalidHeader { offset, .. }
            | SnapshotError::Structure { offset, .. }
            | SnapshotError::NodeArrayLength { offset, .. }
            | SnapshotError::NodeCountMismatch { offset, .. }
            | SnapshotError::NameOutOfRange { offset, .. }
            | SnapshotError::NumberTooLarge { offset, .. }
            | SnapshotError::TypeOutOfRange { offset, .. }
            | SnapshotError::EdgeArrayLength { offset, .. }
            | SnapshotError::EdgeCountMismatch { offset, .. }
            | SnapshotError::EdgeTypeOutOfRange { offset, .. }
            | SnapshotError::EdgeNameOutOfRange { offset, .. }
            | SnapshotError::EdgeTargetOutOfRange { offset, .. }
            | SnapshotError::BadNodeReference { offset, .. }
            | SnapshotError::TooLarge { offset, .. } => Some(*offset),
        }
    }
}

impl From<io::Error> for SnapshotError {
    fn from(err: io::Error) -> Self {
        SnapshotError::Io(err)
    }
}

pub(super) fn syntax(offset: u64, message: impl Into<String>) -> SnapshotError {
    SnapshotError::Syntax {
        offset,
        message: message.into(),
    }
}

/// Per-node columns of a parsed snapshot plus the constructor names of `object` nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSummary {
    node_types: Vec<String>,
    ids: Vec<u32>,
    types: Vec<u8>,
    names: Vec<u32>,
    self_sizes: Vec<u64>,
    strings_count: u64,
    /// Indices (into `strings`) of the kept strings, ascending.
    kept_index: Vec<u32>,
    /// End of each kept string in `arena`.
    kept_end: Vec<usize>,
    arena: String,
}

impl NodeSummary {
    /// Number of nodes (equals the header's `snapshot.node_count`).
    pub fn node_count(&self) -> usize {
        self.ids.len()
    }

    /// Node type names from `meta.node_types` (`"hidden"`, `"array"`, `"object"`, ...).
    pub fn node_types(&self) -> &[String] {
        &self.node_types
    }

    /// Index of a node type name in [`node_types`](Self::node_types).
    pub fn type_index_of(&self, name: &str) -> Option<u8> {
        self.node_types
            .iter()
            .position(|t| t == name)
            .and_then(|i| u8::try_from(i).ok())
    }

    /// Node ids, in snapshot order.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// Node type indices into [`node_types`](Self::node_types), in snapshot order.
    pub fn type_indices(&self) -> &[u8] {
        &self.types
    }

    /// Node name string indices, in snapshot order.
    pub fn names(&self) -> &[u32] {
        &self.names
    }

    /// Node self sizes in bytes, in snapshot order.
    pub fn self_sizes(&self) -> &[u64] {
        &self.self_sizes
    }

    /// Type name of node `node` (ordinal).
    pub fn type_name(&self, node: usize) -> Option<&str> {
        let ty = *self.types.get(node)?;
        self.node_types.get(usize::from(ty)).map(String::as_str)
    }

    /// Name of node `node` (ordinal) if it was kept: the parser keeps the names of `object`
    /// nodes (their constructor names) only, so other nodes give `None`.
    pub fn name_of(&self, node: usize) -> Option<&str> {
        self.string(*self.names.get(node)?)
    }

    /// A kept entry of the `strings` array.
    pub fn string(&self, index: u32) -> Option<&str> {
        let slot = self.kept_index.binary_search(&index).ok()?;
        let start = if slot == 0 {
            0
        } else {
            self.kept_end[slot - 1]
        };
        self.arena.get(start..self.kept_end[slot])
    }

    /// Length of the `strings` array in the file.
    pub fn strings_count(&self) -> u64 {
        self.strings_count
    }

    /// How many strings were kept.
    pub fn kept_strings(&self) -> usize {
        self.kept_index.len()
    }
}

/// Parses a `.heapsnapshot` file in ~1 MiB reads into one reused buffer.
pub fn parse_file(path: &Path) -> Result<NodeSummary, SnapshotError> {
    parse_reader(File::open(path)?)
}

/// Parses a snapshot from any reader in ~1 MiB reads.
pub fn parse_reader(mut reader: impl Read) -> Result<NodeSummary, SnapshotError> {
    let mut parser = NodeSummaryParser::new();
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err.into()),
        };
        parser.feed(&buf[..n])?;
    }
    parser.finish()
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

// ---------------------------------------------------------------------------------------------
// JSON string bodies

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Esc {
    #[default]
    None,
    Backslash,
    /// Inside `\uXXXX`: digits seen so far and their value.
    Hex(u8, u16),
}

/// Incremental decoder of a JSON string body (after the opening quote). Validates escapes, raw
/// control characters and UTF-8; writes the decoded bytes only when given an output buffer.
#[derive(Debug, Default)]
pub(super) struct StrScan {
    esc: Esc,
    /// A `\uD800`..`\uDBFF` waiting for its low half.
    high: Option<u16>,
    /// Continuation bytes still expected for a raw multi-byte UTF-8 character, and the allowed
    /// range of the next one.
    utf8_need: u8,
    utf8_lo: u8,
    utf8_hi: u8,
}

fn push_char(out: &mut Option<&mut Vec<u8>>, c: char) {
    if let Some(o) = out.as_deref_mut() {
        let mut tmp = [0u8; 4];
        o.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
    }
}

impl StrScan {
    /// A pending high surrogate not followed by a low one becomes U+FFFD.
    fn flush_high(&mut self, out: &mut Option<&mut Vec<u8>>) {
        if self.high.take().is_some() {
            push_char(out, char::REPLACEMENT_CHARACTER);
        }
    }

    fn unit(&mut self, u: u16, out: &mut Option<&mut Vec<u8>>) {
        if let Some(high) = self.high.take() {
            if (0xDC00..=0xDFFF).contains(&u) {
                let code = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(u) - 0xDC00);
                push_char(
                    out,
                    char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
                );
                return;
            }
            push_char(out, char::REPLACEMENT_CHARACTER);
        }
        match u {
            0xD800..=0xDBFF => self.high = Some(u),
            0xDC00..=0xDFFF => push_char(out, char::REPLACEMENT_CHARACTER),
            _ => push_char(
                out,
                char::from_u32(u32::from(u)).unwrap_or(char::REPLACEMENT_CHARACTER),
            ),
        }
    }

    /// Consumes string bytes; returns the bytes consumed and whether the closing quote was one
    /// of them (it is consumed).
    pub(super) fn feed(
        &mut self,
        buf: &[u8],
        mut out: Option<&mut Vec<u8>>,
        base: u64,
    ) -> Result<(usize, bool), SnapshotError> {
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            match self.esc {
                Esc::None => {
                    if self.utf8_need > 0 {
                        if b < self.utf8_lo || b > self.utf8_hi {
                            return Err(syntax(base + i as u64, "invalid UTF-8 in a string"));
                        }
                        self.utf8_need -= 1;
                        self.utf8_lo = 0x80;
                        self.utf8_hi = 0xBF;
                        if let Some(o) = out.as_deref_mut() {
                            o.push(b);
                        }
                        i += 1;
                        continue;
                    }
                    let start = i;
                    while i < buf.len() {
                        let c = buf[i];
                        if c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c) {
                            break;
                        }
                        i += 1;
                    }
                    if i > start {
                        self.flush_high(&mut out);
                        if let Some(o) = out.as_deref_mut() {
                            o.extend_from_slice(&buf[start..i]);
                        }
                    }
                    if i == buf.len() {
                        break;
                    }
                    let c = buf[i];
                    match c {
                        b'"' => {
                            self.flush_high(&mut out);
                            return Ok((i + 1, true));
                        }
                        b'\\' => self.esc = Esc::Backslash,
                        0..=0x1F => {
                            return Err(syntax(
                                base + i as u64,
                                format!("raw control character 0x{c:02x} in a string"),
                            ))
                        }
                        _ => {
                            let (need, lo, hi) = match c {
                                0xC2..=0xDF => (1, 0x80, 0xBF),
                                0xE0 => (2, 0xA0, 0xBF),
                                0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
                                0xED => (2, 0x80, 0x9F),
                                0xF0 => (3, 0x90, 0xBF),
                                0xF1..=0xF3 => (3, 0x80, 0xBF),
                                0xF4 => (3, 0x80, 0x8F),
                                _ => {
                                    return Err(syntax(
                                        base + i as u64,
                                        "invalid UTF-8 in a string",
                                    ))
                                }
                            };
                            self.flush_high(&mut out);
                            self.utf8_need = need;
                            self.utf8_lo = lo;
                            self.utf8_hi = hi;
                            if let Some(o) = out.as_deref_mut() {
                                o.push(c);
                            }
                        }
                    }
                    i += 1;
                }
                Esc::Backslash => {
                    let decoded = match b {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0C,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            self.esc = Esc::Hex(0, 0);
                            i += 1;
                            continue;
                        }
                        _ => {
                            return Err(syntax(
                                base + i as u64,
                                format!("invalid escape \\{}", char::from(b).escape_default()),
                            ))
                        }
                    };
                    self.flush_high(&mut out);
                    if let Some(o) = out.as_deref_mut() {
                        o.push(decoded);
                    }
                    self.esc = Esc::None;
                    i += 1;
                }
                Esc::Hex(n, acc) => {
                    let digit = match b {
                        b'0'..=b'9' => b - b'0',
                        b'a'..=b'f' => b - b'a' + 10,
                        b'A'..=b'F' => b - b'A' + 10,
                        _ => {
                            return Err(syntax(
                                base + i as u64,
                                "invalid \\u escape: expected 4 hex digits",
                            ))
                        }
                    };
                    let acc = (acc << 4) | u16::from(digit);
                    if n == 3 {
                        self.esc = Esc::None;
                        self.unit(acc, &mut out);
                    } else {
                        self.esc = Esc::Hex(n + 1, acc);
                    }
                    i += 1;
                }
            }
        }
        Ok((i, false))
    }
}

// ---------------------------------------------------------------------------------------------
// Generic JSON value skipper (validating)

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
}

enum NumStep {
    Take,
    End,
    Bad,
}

impl Num {
    fn step(&mut self, b: u8) -> NumStep {
        let digit = b.is_ascii_digit();
        let next = match (*self, b) {
            (Num::Minus, b'0') => Num::Zero,
            (Num::Minus, _) if digit => Num::Int,
            (Num::Minus, _) => return NumStep::Bad,
            (Num::Zero | Num::Int, b'.') => Num::Dot,
            (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::Exp,
            (Num::Zero, _) if digit => return NumStep::Bad,
            (Num::Int, _) if digit => Num::Int,
            (Num::Dot | Num::Frac, _) if digit => Num::Frac,
            (Num::Dot, _) => return NumStep::Bad,
            (Num::Exp, b'+' | b'-') => Num::ExpSign,
            (Num::Exp | Num::ExpSign | Num::ExpDigits, _) if digit => Num::ExpDigits,
            (Num::Exp | Num::ExpSign, _) => return NumStep::Bad,
            (Num::Zero | Num::Int | Num::Frac | Num::ExpDigits, _) => return NumStep::End,
        };
        *self = next;
        NumStep::Take
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sk {
    Value,
    ValueOrClose,
    KeyOrClose,
    Key,
    InKey,
    Colon,
    InString,
    InNumber,
    InLiteral,
    After,
}

// Fast path for the bulk of a snapshot (`edges`, `locations`): runs of non-negative integers,
// commas and whitespace inside an array. Any other byte hands control back to the general
// skipper in the equivalent state.

/// End of the run of ASCII digits starting at `i`, eight bytes at a time.
#[inline]
pub(super) fn digit_run(buf: &[u8], mut i: usize) -> usize {
    while let Some(word) = buf.get(i..i + 8) {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        // Digits become 0..=9. A byte >= 10 gets its high bit set by the add (below 0x80) or
        // has it already; carries only move towards later bytes, after the first flagged one.
        let x = word ^ 0x3030_3030_3030_3030;
        let flagged = (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080;
        if flagged != 0 {
            return i + (flagged.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < buf.len() && buf[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// Scans (and validates) one complete JSON value without keeping it.
#[derive(Debug)]
pub(super) struct Skipper {
    /// Open containers, `true` for objects.
    stack: Vec<bool>,
    st: Sk,
    text: StrScan,
    num: Num,
    lit: &'static [u8],
    lit_pos: usize,
}

impl Skipper {
    pub(super) fn new() -> Self {
        Skipper {
            stack: Vec::new(),
            st: Sk::Value,
            text: StrScan::default(),
            num: Num::Zero,
            lit: b"",
            lit_pos: 0,
        }
    }

    fn start(&mut self) {
        self.stack.clear();
        self.st = Sk::Value;
        self.text = StrScan::default();
    }

    /// A value just ended: true if it was the outermost one.
    fn value_done(&mut self) -> bool {
        if self.stack.is_empty() {
            true
        } else {
            self.st = Sk::After;
            false
        }
    }

    fn open(&mut self, object: bool, offset: u64) -> Result<(), SnapshotError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(syntax(offset, format!("nesting deeper than {MAX_DEPTH}")));
        }
        self.stack.push(object);
        self.st = if object {
            Sk::KeyOrClose
        } else {
            Sk::ValueOrClose
        };
        Ok(())
    }

    /// Inside an array: consumes integers, commas and whitespace from `buf[i..]` while they keep
    /// the array valid; returns where the general path must continue (in the same state).
    fn fast_ints(&mut self, buf: &[u8], mut i: usize) -> usize {
        while i < buf.len() {
            match self.st {
                Sk::Value => match buf[i] {
                    b'1'..=b'9' => (self.st, self.num) = (Sk::InNumber, Num::Int),
                    b'0' => (self.st, self.num) = (Sk::InNumber, Num::Zero),
                    b' ' | b'\t' | b'\n' | b'\r' => {}
                    _ => break,
                },
                Sk::InNumber if matches!(self.num, Num::Int | Num::Zero) => {
                    if self.num == Num::Int {
                        i = digit_run(buf, i);
                        if i == buf.len() {
                            break;
                        }
                    }
                    // Fractions, exponents, `]` and errors go to the general path.
                    match buf[i] {
                        b',' => self.st = Sk::Value,
                        b' ' | b'\t' | b'\n' | b'\r' => self.st = Sk::After,
                        _ => break,
                    }
                }
                Sk::After => match buf[i] {
                    b',' => self.st = Sk::Value,
                    b' ' | b'\t' | b'\n' | b'\r' => {}
                    _ => break,
                },
                _ => break,
            }
            i += 1;
        }
        i
    }

    /// Consumes bytes of the value; returns the bytes consumed and whether the value ended. A
    /// byte that terminates a top-level number is not consumed.
    pub(super) fn feed(&mut self, buf: &[u8], base: u64) -> Result<(usize, bool), SnapshotError> {
        let mut i = 0;
        while i < buf.len() {
            if self.stack.last() == Some(&false) {
                i = self.fast_ints(buf, i);
                if i == buf.len() {
                    break;
                }
            }
            let b = buf[i];
            let at = base + i as u64;
            match self.st {
                Sk::Value | Sk::ValueOrClose => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b']' if self.st == Sk::ValueOrClose => {
                            self.stack.pop();
                            if self.value_done() {
                                return Ok((i, true));
                            }
                        }
                        b'{' => self.open(true, at)?,
                        b'[' => self.open(false, at)?,
                        b'"' => self.st = Sk::InString,
                        b'-' => {
                            self.num = Num::Minus;
                            self.st = Sk::InNumber;
                        }
                        b'0' => {
                            self.num = Num::Zero;
                            self.st = Sk::InNumber;
                        }
                        b'1'..=b'9' => {
                            self.num = Num::Int;
                            self.st = Sk::InNumber;
                        }
                        b't' | b'f' | b'n' => {
                            self.lit = match b {
                                b't' => b"true",
                                b'f' => b"false",
                                _ => b"null",
                            };
                            self.lit_pos = 1;
                            self.st = Sk::InLiteral;
                        }
                        _ => {
                            return Err(syntax(
                                at,
                                format!("expected a JSON value, found {}", describe(b)),
                            ))
                        }
                    }
                }
                Sk::KeyOrClose | Sk::Key => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b'"' => self.st = Sk::InKey,
                        b'}' if self.st == Sk::KeyOrClose => {
                            self.stack.pop();
                            if self.value_done() {
                                return Ok((i, true));
                            }
                        }
                        _ => {
                            return Err(syntax(
                                at,
                                format!("expected an object key, found {}", describe(b)),
                            ))
                        }
                    }
                }
                Sk::InKey | Sk::InString => {
                    let (n, done) = self.text.feed(&buf[i..], None, at)?;
                    i += n;
                    if done {
                        if self.st == Sk::InKey {
                            self.st = Sk::Colon;
                        } else if self.value_done() {
                            return Ok((i, true));
                        }
                    }
                }
                Sk::Colon => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b':' => self.st = Sk::Value,
                        _ => {
                            return Err(syntax(at, format!("expected ':', found {}", describe(b))))
                        }
                    }
                }
                Sk::InNumber => match self.num.step(b) {
                    NumStep::Take => i += 1,
                    NumStep::End => {
                        if self.value_done() {
                            return Ok((i, true));
                        }
                    }
                    NumStep::Bad => {
                        return Err(syntax(
                            at,
                            format!("invalid number: unexpected {}", describe(b)),
                        ))
                    }
                },
                Sk::InLiteral => {
                    if b != self.lit[self.lit_pos] {
                        return Err(syntax(
                            at,
                            format!("invalid literal: unexpected {}", describe(b)),
                        ));
                    }
                    i += 1;
                    self.lit_pos += 1;
                    if self.lit_pos == self.lit.len() && self.value_done() {
                        return Ok((i, true));
                    }
                }
                Sk::After => {
                    i += 1;
                    let object = self.stack.last().copied().unwrap_or(false);
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b',' => self.st = if object { Sk::Key } else { Sk::Value },
                        b']' if !object => {
                            self.stack.pop();
                            if self.value_done() {
                                return Ok((i, true));
                            }
                        }
                        b'}' if object => {
                            self.stack.pop();
                            if self.value_done() {
                                return Ok((i, true));
                            }
                        }
                        _ => {
                            return Err(syntax(
                                at,
                                format!(
                                    "expected ',' or '{}', found {}",
                                    if object { '}' } else { ']' },
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
}

pub(super) fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", char::from(b))
    } else if b == 0 {
        // What /dev/zero, a sparse or a preallocated file is made of.
        "a NUL byte (0x00)".to_owned()
    } else {
        format!("byte 0x{b:02x}")
    }
}

// ---------------------------------------------------------------------------------------------
// The header

/// The header facts the node scanner needs per value, copied out of [`Header`].
#[derive(Debug, Clone, Copy, Default)]
struct Layout {
    stride: usize,
    f_type: usize,
    f_name: usize,
    f_id: usize,
    f_size: usize,
    /// Number of node types (at most 256).
    types: u16,
    node_count: u64,
}

#[derive(Debug)]
struct Header {
    field_names: Vec<String>,
    stride: usize,
    f_type: usize,
    f_name: usize,
    f_id: usize,
    f_size: usize,
    node_types: Vec<String>,
    node_count: u64,
    object_type: Option<u8>,
}

impl Header {
    fn parse(raw: &[u8], offset: u64) -> Result<Header, SnapshotError> {
        let bad = |message: String| SnapshotError::InvalidHeader { offset, message };
        let value: serde_json::Value =
            serde_json::from_slice(raw).map_err(|err| bad(format!("{err}")))?;
        let meta = value
            .get("meta")
            .and_then(|m| m.as_object())
            .ok_or_else(|| bad("no \"meta\" object".into()))?;
        let field_names: Vec<String> = meta
            .get("node_fields")
            .and_then(|f| f.as_array())
            .and_then(|f| {
                f.iter()
                    .map(|name| name.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| bad("meta.node_fields is not an array of strings".into()))?;
        let field = |name: &str| {
            field_names
                .iter()
                .position(|f| f == name)
                .ok_or_else(|| bad(format!("meta.node_fields has no \"{name}\"")))
        };
        let (f_type, f_name, f_id, f_size) = (
            field("type")?,
            field("name")?,
            field("id")?,
            field("self_size")?,
        );
        let node_types: Vec<String> = meta
            .get("node_types")
            .and_then(|t| t.as_array())
            .and_then(|t| t.get(f_type))
            .and_then(|t| t.as_array())
            .and_then(|t| {
                t.iter()
                    .map(|name| name.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| {
                bad(format!(
                    "meta.node_types[{f_type}] (the \"type\" field) is not an array of strings"
                ))
            })?;
        if node_types.len() > 256 {
            return Err(bad(format!(
                "{} node types (at most 256 supported)",
                node_types.len()
            )));
        }
        let node_count = value
            .get("node_count")
            .and_then(|c| c.as_u64())
            .ok_or_else(|| bad("node_count is missing or not a non-negative integer".into()))?;
        let object_type = node_types
            .iter()
            .position(|t| t == "object")
            .and_then(|i| u8::try_from(i).ok());
        Ok(Header {
            stride: field_names.len(),
            field_names,
            f_type,
            f_name,
            f_id,
            f_size,
            node_types,
            node_count,
            object_type,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The parser

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Top {
    Start,
    KeyOrEnd,
    KeyStart,
    Key,
    Colon,
    Value,
    HeaderOpen,
    Header,
    NodesOpen,
    Nodes,
    StringsOpen,
    Strings,
    Skip,
    CommaOrEnd,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arr {
    FirstOrClose,
    Value,
    InItem,
    After,
}

/// Which strings to keep while streaming the `strings` array.
#[derive(Debug)]
enum Needed {
    /// Before the nodes are known (strings before nodes): keep everything.
    All,
    /// Bit per string index.
    Bits(Vec<u64>),
    /// Sorted unique indices and a cursor (strings arrive in index order).
    Sorted(Vec<u32>, usize),
}

impl Needed {
    fn wants(&mut self, index: u64) -> bool {
        match self {
            Needed::All => index <= u64::from(u32::MAX),
            Needed::Bits(bits) => usize::try_from(index / 64)
                .ok()
                .and_then(|w| bits.get(w))
                .is_some_and(|word| word & (1 << (index % 64)) != 0),
            Needed::Sorted(list, cursor) => {
                while *cursor < list.len() && u64::from(list[*cursor]) < index {
                    *cursor += 1;
                }
                list.get(*cursor).is_some_and(|&v| u64::from(v) == index)
            }
        }
    }
}

/// Decides, node by node, which nodes a [`NodeSummaryParser`] keeps; the others are validated
/// and counted but not stored. Runs on the parsing thread.
pub trait NodeFilter: Send + fmt::Debug {
    /// `true` to keep the node in the summary.
    fn keep(&mut self, id: u32, self_size: u64) -> bool;
}

/// Incremental snapshot parser: [`feed`](Self::feed) chunks split anywhere, then
/// [`finish`](Self::finish). After an error every further call fails.
#[derive(Debug)]
pub struct NodeSummaryParser {
    /// Bytes consumed by earlier `feed` calls.
    offset: u64,
    state: Top,
    failed: Option<String>,
    key: Vec<u8>,
    key_overflow: bool,
    text: StrScan,
    skip: Skipper,
    header_raw: Vec<u8>,
    header: Option<Header>,
    nodes_done: bool,
    strings_done: bool,
    // nodes
    layout: Layout,
    arr: Arr,
    acc: u64,
    digits: u32,
    num_start: u64,
    field: usize,
    values: u64,
    cur_type: u8,
    cur_name: u32,
    cur_name_at: u64,
    cur_id: u32,
    cur_size: u64,
    /// Nodes read so far, kept or not.
    nodes_seen: u64,
    filter: Option<Box<dyn NodeFilter>>,
    ids: Vec<u32>,
    types: Vec<u8>,
    names: Vec<u32>,
    sizes: Vec<u64>,
    /// Largest name index seen, with its node ordinal and byte offset.
    max_name: Option<(u32, u64, u64)>,
    // strings
    needed: Needed,
    string_index: u64,
    keep_current: bool,
    str_buf: Vec<u8>,
    kept_index: Vec<u32>,
    kept_end: Vec<usize>,
    arena: String,
}

impl Default for NodeSummaryParser {
    fn default() -> Self {
        Self::new()
    }
}

impl NodeSummaryParser {
    pub fn new() -> Self {
        NodeSummaryParser {
            offset: 0,
            state: Top::Start,
            failed: None,
            key: Vec::with_capacity(MAX_KEY_BYTES),
            key_overflow: false,
            text: StrScan::default(),
            skip: Skipper::new(),
            header_raw: Vec::new(),
            header: None,
            nodes_done: false,
            strings_done: false,
            layout: Layout::default(),
            arr: Arr::FirstOrClose,
            acc: 0,
            digits: 0,
            num_start: 0,
            field: 0,
            values: 0,
            cur_type: 0,
            cur_name: 0,
            cur_name_at: 0,
            cur_id: 0,
            cur_size: 0,
            nodes_seen: 0,
            filter: None,
            ids: Vec::new(),
            types: Vec::new(),
            names: Vec::new(),
            sizes: Vec::new(),
            max_name: None,
            needed: Needed::All,
            string_index: 0,
            keep_current: false,
            str_buf: Vec::new(),
            kept_index: Vec::new(),
            kept_end: Vec::new(),
            arena: String::new(),
        }
    }

    /// A parser that keeps only the nodes `filter` accepts (node counts are still checked
    /// against the header, and every name index against the strings).
    pub fn with_filter(filter: Box<dyn NodeFilter>) -> Self {
        NodeSummaryParser {
            filter: Some(filter),
            ..Self::new()
        }
    }

    /// Bytes fed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.offset
    }

    /// Consumes the next chunk of the file.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), SnapshotError> {
        if let Some(first) = &self.failed {
            return Err(SnapshotError::AlreadyFailed {
                first: first.clone(),
            });
        }
        let result = self.feed_inner(chunk);
        match result {
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

    /// Ends the input and returns the summary.
    pub fn finish(self) -> Result<NodeSummary, SnapshotError> {
        if let Some(first) = self.failed {
            return Err(SnapshotError::AlreadyFailed { first });
        }
        match self.state {
            Top::Done => {}
            Top::Start => {
                return Err(SnapshotError::NotASnapshot {
                    offset: self.offset,
                    reason: "empty input".into(),
                })
            }
            state => {
                return Err(SnapshotError::Truncated {
                    offset: self.offset,
                    inside: describe_state(state),
                })
            }
        }
        let header = self
            .header
            .expect("validated when the top-level object closed");
        Ok(NodeSummary {
            node_types: header.node_types,
            ids: self.ids,
            types: self.types,
            names: self.names,
            self_sizes: self.sizes,
            strings_count: self.string_index,
            kept_index: self.kept_index,
            kept_end: self.kept_end,
            arena: self.arena,
        })
    }

    fn feed_inner(&mut self, buf: &[u8]) -> Result<(), SnapshotError> {
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
                                reason: format!("expected '{{', found {}", describe(b)),
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
                    let room = !self.key_overflow;
                    let out = if room { Some(&mut self.key) } else { None };
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
                Top::Value => self.start_value(at)?,
                Top::HeaderOpen => {
                    if is_ws(b) {
                        i += 1;
                    } else if b == b'{' {
                        self.skip.start();
                        self.header_raw.clear();
                        self.state = Top::Header;
                    } else {
                        return Err(SnapshotError::InvalidHeader {
                            offset: at,
                            message: format!(
                                "\"snapshot\" is not an object (found {})",
                                describe(b)
                            ),
                        });
                    }
                }
                Top::Header => {
                    let (n, done) = self.skip.feed(&buf[i..], at)?;
                    if self.header_raw.len() + n > MAX_HEADER_BYTES {
                        return Err(SnapshotError::InvalidHeader {
                            offset: at,
                            message: format!(
                                "\"snapshot\" header larger than {MAX_HEADER_BYTES} bytes"
                            ),
                        });
                    }
                    self.header_raw.extend_from_slice(&buf[i..i + n]);
                    i += n;
                    if done {
                        let header = Header::parse(&self.header_raw, base + i as u64)?;
                        self.header_raw = Vec::new();
                        // A filtered parse keeps few nodes: let it grow as they come.
                        let reserve = if self.filter.is_some() {
                            0
                        } else {
                            usize::try_from(header.node_count)
                                .unwrap_or(usize::MAX)
                                .min(INITIAL_NODE_RESERVE)
                        };
                        self.ids.reserve_exact(reserve);
                        self.types.reserve_exact(reserve);
                        self.names.reserve_exact(reserve);
                        self.sizes.reserve_exact(reserve);
                        self.layout = Layout {
                            stride: header.stride,
                            f_type: header.f_type,
                            f_name: header.f_name,
                            f_id: header.f_id,
                            f_size: header.f_size,
                            types: header.node_types.len() as u16,
                            node_count: header.node_count,
                        };
                        self.header = Some(header);
                        self.state = Top::CommaOrEnd;
                    }
                }
                Top::NodesOpen | Top::StringsOpen => {
                    i += 1;
                    if is_ws(b) {
                        continue;
                    }
                    if b != b'[' {
                        return Err(syntax(
                            at,
                            format!(
                                "\"{}\" is not an array (found {})",
                                if self.state == Top::NodesOpen {
                                    "nodes"
                                } else {
                                    "strings"
                                },
                                describe(b)
                            ),
                        ));
                    }
                    self.arr = Arr::FirstOrClose;
                    self.state = if self.state == Top::NodesOpen {
                        Top::Nodes
                    } else {
                        Top::Strings
                    };
                }
                Top::Nodes => {
                    let (n, done) = self.feed_nodes(&buf[i..], at)?;
                    i += n;
                    if done {
                        self.end_nodes(base + i as u64)?;
                        self.state = Top::CommaOrEnd;
                    }
                }
                Top::Strings => {
                    let (n, done) = self.feed_strings(&buf[i..], at)?;
                    i += n;
                    if done {
                        self.strings_done = true;
                        self.str_buf = Vec::new();
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
                                format!("expected ',' or '}}', found {}", describe(b)),
                            ))
                        }
                    }
                }
                Top::Done => {
                    if !is_ws(b) {
                        return Err(syntax(
                            at,
                            format!("unexpected {} after the top-level object", describe(b)),
                        ));
                    }
                    i += 1;
                }
            }
        }
        Ok(())
    }

    /// Dispatches on the key just read; consumes nothing.
    fn start_value(&mut self, at: u64) -> Result<(), SnapshotError> {
        let structure = |message: &str| SnapshotError::Structure {
            offset: at,
            message: message.into(),
        };
        self.state = match (self.key_overflow, self.key.as_slice()) {
            (false, b"snapshot") => {
                if self.header.is_some() {
                    return Err(structure("duplicate \"snapshot\" header"));
                }
                Top::HeaderOpen
            }
            (false, b"nodes") => {
                if self.header.is_none() {
                    return Err(structure("\"nodes\" before the \"snapshot\" header"));
                }
                if self.nodes_done {
                    return Err(structure("duplicate \"nodes\" section"));
                }
                Top::NodesOpen
            }
            (false, b"strings") => {
                if self.strings_done {
                    return Err(structure("duplicate \"strings\" section"));
                }
                Top::StringsOpen
            }
            _ => {
                self.skip.start();
                Top::Skip
            }
        };
        Ok(())
    }

    /// The top-level object closed at `at`: check the sections are all there and consistent.
    fn close_top(&mut self, at: u64) -> Result<(), SnapshotError> {
        if self.header.is_none() {
            return Err(SnapshotError::NotASnapshot {
                offset: at,
                reason: "no \"snapshot\" header".into(),
            });
        }
        if !self.nodes_done || !self.strings_done {
            return Err(SnapshotError::Structure {
                offset: at,
                message: format!(
                    "missing \"{}\" section",
                    if self.nodes_done { "strings" } else { "nodes" }
                ),
            });
        }
        if let Some((name, node, offset)) = self.max_name {
            if u64::from(name) >= self.string_index {
                return Err(SnapshotError::NameOutOfRange {
                    offset,
                    node,
                    name: u64::from(name),
                    strings: self.string_index,
                });
            }
        }
        self.state = Top::Done;
        Ok(())
    }

    /// Scans the `nodes` array body (after `[`); returns the bytes consumed and whether the
    /// closing `]` was one of them.
    fn feed_nodes(&mut self, buf: &[u8], base: u64) -> Result<(usize, bool), SnapshotError> {
        let mut i = 0;
        // Kept in a local so the loop state stays in registers; written back on every exit
        // except errors (the parser is dead then).
        let mut arr = self.arr;
        while i < buf.len() {
            let b = buf[i];
            match arr {
                Arr::FirstOrClose | Arr::Value => match b {
                    b' ' | b'\t' | b'\n' | b'\r' => i += 1,
                    b'0'..=b'9' => {
                        let end = digit_run(buf, i);
                        let run = &buf[i..end];
                        let fast = run.len() <= 19 && (run.len() == 1 || run[0] != b'0');
                        if end < buf.len() && fast {
                            // The common case: the whole number is here, no overflow or
                            // leading zero possible.
                            let value = run
                                .iter()
                                .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0'));
                            self.end_number(buf[end], value, base, i, end)?;
                            arr = Arr::After;
                        } else {
                            self.acc = 0;
                            self.digits = 0;
                            self.num_start = base + i as u64;
                            self.accumulate(run, base + i as u64)?;
                            if end < buf.len() {
                                self.end_number(buf[end], self.acc, base, i, end)?;
                                arr = Arr::After;
                            } else {
                                arr = Arr::InItem;
                            }
                        }
                        i = end;
                    }
                    b']' if arr == Arr::FirstOrClose => {
                        self.arr = arr;
                        return Ok((i + 1, true));
                    }
                    _ => {
                        return Err(syntax(
                            base + i as u64,
                            format!(
                                "expected a non-negative integer in \"nodes\", found {}",
                                describe(b)
                            ),
                        ))
                    }
                },
                Arr::InItem => {
                    // A number continued from the previous chunk.
                    let end = digit_run(buf, i);
                    self.accumulate(&buf[i..end], base + i as u64)?;
                    if end < buf.len() {
                        self.end_number_at(buf[end], self.acc, self.num_start, base + end as u64)?;
                        arr = Arr::After;
                    }
                    i = end;
                }
                Arr::After => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b',' => arr = Arr::Value,
                        b']' => {
                            self.arr = arr;
                            return Ok((i, true));
                        }
                        _ => {
                            return Err(syntax(
                                base + i as u64 - 1,
                                format!("expected ',' or ']' in \"nodes\", found {}", describe(b)),
                            ))
                        }
                    }
                }
            }
        }
        self.arr = arr;
        Ok((i, false))
    }

    /// Adds digits to the number being scanned (`self.acc`), checking leading zeros and
    /// overflow. `at` is the offset of `digits[0]`.
    fn accumulate(&mut self, digits: &[u8], at: u64) -> Result<(), SnapshotError> {
        for (k, &d) in digits.iter().enumerate() {
            if self.acc == 0 && self.digits > 0 {
                return Err(syntax(
                    at + k as u64,
                    "leading zero in a number in \"nodes\"",
                ));
            }
            self.digits += 1;
            self.acc = match self
                .acc
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
            {
                Some(v) => v,
                None => return Err(self.too_large(u64::MAX)),
            };
        }
        Ok(())
    }

    #[inline]
    fn end_number(
        &mut self,
        next: u8,
        value: u64,
        base: u64,
        start: usize,
        end: usize,
    ) -> Result<(), SnapshotError> {
        self.end_number_at(next, value, base + start as u64, base + end as u64)
    }

    /// A number starting at byte `start` ended before `next` (at byte `end`): store it.
    #[inline]
    fn end_number_at(
        &mut self,
        next: u8,
        value: u64,
        start: u64,
        end: u64,
    ) -> Result<(), SnapshotError> {
        if matches!(next, b'.' | b'e' | b'E') {
            return Err(syntax(end, "non-integer number in \"nodes\""));
        }
        self.store_value(value, start)
    }

    fn too_large(&self, limit: u64) -> SnapshotError {
        self.too_large_at(self.num_start, limit)
    }

    fn too_large_at(&self, offset: u64, limit: u64) -> SnapshotError {
        let header = self.header.as_ref().expect("nodes follow the header");
        SnapshotError::NumberTooLarge {
            offset,
            field: header.field_names[self.field].clone(),
            limit,
        }
    }

    /// Stores the number just scanned into its field of the current node.
    #[inline]
    fn store_value(&mut self, value: u64, at: u64) -> Result<(), SnapshotError> {
        let layout = self.layout;
        let f = self.field;
        if f == layout.f_type {
            if value >= u64::from(layout.types) {
                return Err(SnapshotError::TypeOutOfRange {
                    offset: at,
                    node: self.nodes_seen,
                    type_index: value,
                    types: usize::from(layout.types),
                });
            }
            self.cur_type = value as u8;
        } else if f == layout.f_name {
            self.cur_name =
                u32::try_from(value).map_err(|_| self.too_large_at(at, u32::MAX.into()))?;
            self.cur_name_at = at;
        } else if f == layout.f_id {
            self.cur_id =
                u32::try_from(value).map_err(|_| self.too_large_at(at, u32::MAX.into()))?;
        } else if f == layout.f_size {
            self.cur_size = value;
        }
        self.values += 1;
        self.field += 1;
        if self.field == layout.stride {
            self.field = 0;
            self.push_node(at)?;
        }
        Ok(())
    }

    /// Appends the node whose last field was just stored (unless the filter drops it).
    fn push_node(&mut self, at: u64) -> Result<(), SnapshotError> {
        let declared = self.layout.node_count;
        let ordinal = self.nodes_seen;
        if ordinal >= declared {
            return Err(SnapshotError::NodeCountMismatch {
                offset: at,
                declared,
                actual: ordinal + 1,
            });
        }
        self.nodes_seen += 1;
        if self.max_name.is_none_or(|(max, _, _)| self.cur_name > max) {
            self.max_name = Some((self.cur_name, ordinal, self.cur_name_at));
        }
        if let Some(filter) = self.filter.as_mut() {
            if !filter.keep(self.cur_id, self.cur_size) {
                return Ok(());
            }
        }
        let len = self.ids.len();
        if len == self.ids.capacity() {
            // Grow with the input, never past the declared count.
            let room = usize::try_from(declared - ordinal).unwrap_or(usize::MAX);
            let extra = room.min(len.max(INITIAL_NODE_RESERVE));
            self.ids.reserve_exact(extra);
            self.types.reserve_exact(extra);
            self.names.reserve_exact(extra);
            self.sizes.reserve_exact(extra);
        }
        self.ids.push(self.cur_id);
        self.types.push(self.cur_type);
        self.names.push(self.cur_name);
        self.sizes.push(self.cur_size);
        Ok(())
    }

    /// The `nodes` array closed (the `]` ends just before `at`).
    fn end_nodes(&mut self, at: u64) -> Result<(), SnapshotError> {
        let header = self.header.as_ref().expect("nodes follow the header");
        if self.field != 0 {
            return Err(SnapshotError::NodeArrayLength {
                offset: at,
                values: self.values,
                stride: header.stride,
            });
        }
        let actual = self.nodes_seen;
        if actual != header.node_count {
            return Err(SnapshotError::NodeCountMismatch {
                offset: at,
                declared: header.node_count,
                actual,
            });
        }
        self.nodes_done = true;
        if !self.strings_done {
            self.needed = self.needed_strings();
        }
        Ok(())
    }

    /// The string indices used as names of `object` nodes.
    fn needed_strings(&self) -> Needed {
        let Some(object) = self.header.as_ref().and_then(|h| h.object_type) else {
            return Needed::Sorted(Vec::new(), 0);
        };
        let object_names = || {
            self.types
                .iter()
                .zip(&self.names)
                .filter(move |(&t, _)| t == object)
                .map(|(_, &n)| n)
        };
        let Some(max) = object_names().max() else {
            return Needed::Sorted(Vec::new(), 0);
        };
        let words = max as usize / 64 + 1;
        // A bitset unless it would be larger than ~4 bytes per node.
        if words <= self.ids.len() / 2 + 1024 {
            let mut bits = vec![0u64; words];
            for n in object_names() {
                bits[n as usize / 64] |= 1 << (n % 64);
            }
            Needed::Bits(bits)
        } else {
            let mut list: Vec<u32> = object_names().collect();
            list.sort_unstable();
            list.dedup();
            Needed::Sorted(list, 0)
        }
    }

    /// Scans the `strings` array body (after `[`).
    fn feed_strings(&mut self, buf: &[u8], base: u64) -> Result<(usize, bool), SnapshotError> {
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            match self.arr {
                Arr::InItem => {
                    let out = if self.keep_current {
                        Some(&mut self.str_buf)
                    } else {
                        None
                    };
                    let (n, done) = self.text.feed(&buf[i..], out, base + i as u64)?;
                    i += n;
                    if done {
                        if self.keep_current {
                            let text = std::str::from_utf8(&self.str_buf).map_err(|_| {
                                syntax(base + i as u64, "invalid UTF-8 in a string")
                            })?;
                            self.arena.push_str(text);
                            self.kept_index.push(self.string_index as u32);
                            self.kept_end.push(self.arena.len());
                        }
                        self.string_index += 1;
                        self.arr = Arr::After;
                    }
                }
                Arr::FirstOrClose | Arr::Value => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b'"' => {
                            self.keep_current = self.needed.wants(self.string_index);
                            self.str_buf.clear();
                            self.arr = Arr::InItem;
                        }
                        b']' if self.arr == Arr::FirstOrClose => return Ok((i, true)),
                        _ => {
                            return Err(syntax(
                                base + i as u64 - 1,
                                format!("expected a string in \"strings\", found {}", describe(b)),
                            ))
                        }
                    }
                }
                Arr::After => {
                    i += 1;
                    match b {
                        b' ' | b'\t' | b'\n' | b'\r' => {}
                        b',' => self.arr = Arr::Value,
                        b']' => return Ok((i, true)),
                        _ => {
                            return Err(syntax(
                                base + i as u64 - 1,
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
}

fn describe_state(state: Top) -> &'static str {
    match state {
        Top::Start => "nothing",
        Top::KeyOrEnd | Top::KeyStart | Top::Colon | Top::Value | Top::CommaOrEnd => {
            "the top-level object"
        }
        Top::Key => "a top-level key",
        Top::HeaderOpen | Top::Header => "the \"snapshot\" header",
        Top::NodesOpen | Top::Nodes => "the \"nodes\" array",
        Top::StringsOpen | Top::Strings => "the \"strings\" array",
        Top::Skip => "a skipped section",
        Top::Done => "nothing",
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Builds small but valid snapshots for tests.

    /// One node: type name, name, id, self size.
    pub type TestNode<'a> = (&'a str, &'a str, u32, u64);

    pub const NODE20_FIELDS: &[&str] = &[
        "type",
        "name",
        "id",
        "self_size",
        "edge_count",
        "trace_node_id",
        "detachedness",
    ];
    pub const OLD_FIELDS: &[&str] = &[
        "type",
        "name",
        "id",
        "self_size",
        "edge_count",
        "trace_node_id",
    ];
    pub const NODE_TYPES: &[&str] = &[
        "hidden",
        "array",
        "string",
        "object",
        "code",
        "closure",
        "regexp",
        "number",
        "native",
        "synthetic",
        "concatenated string",
        "sliced string",
        "symbol",
        "bigint",
        "object shape",
        "wasm object",
    ];

    /// JSON string literal the way V8 writes it: ASCII only, `\uXXXX` for the rest.
    pub fn v8_quote(text: &str) -> String {
        let mut out = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    /// A snapshot with the given node fields (any order; must include the four we read), nodes
    /// and edges (from node ordinal, to node ordinal). `raw_strings` are extra entries of the
    /// strings array written verbatim (already JSON-encoded); `ascii` selects V8's `\u` style
    /// for names, otherwise names are written as raw UTF-8 (serde_json style).
    pub fn build_snapshot(
        fields: &[&str],
        nodes: &[TestNode],
        edges: &[(usize, usize)],
        raw_strings: &[&str],
        ascii: bool,
    ) -> String {
        let mut strings: Vec<String> = vec!["<dummy>".into()];
        let name_index = |name: &str, strings: &mut Vec<String>| -> usize {
            match strings.iter().position(|s| s == name) {
                Some(i) => i,
                None => {
                    strings.push(name.to_owned());
                    strings.len() - 1
                }
            }
        };
        let type_pos = fields.iter().position(|f| *f == "type").unwrap();
        let mut edge_count = vec![0usize; nodes.len()];
        for &(from, _) in edges {
            edge_count[from] += 1;
        }
        let mut node_rows = Vec::new();
        for (ordinal, &(ty, name, id, size)) in nodes.iter().enumerate() {
            let ty_index = NODE_TYPES.iter().position(|t| *t == ty).unwrap();
            let name = name_index(name, &mut strings);
            let row: Vec<String> = fields
                .iter()
                .map(|f| match *f {
                    "type" => ty_index.to_string(),
                    "name" => name.to_string(),
                    "id" => id.to_string(),
                    "self_size" => size.to_string(),
                    "edge_count" => edge_count[ordinal].to_string(),
                    "detachedness" => "0".into(),
                    _ => "0".into(),
                })
                .collect();
            node_rows.push(row.join(","));
        }
        let prop = name_index("prop", &mut strings);
        let mut sorted_edges = edges.to_vec();
        sorted_edges.sort_by_key(|e| e.0);
        let edge_rows: Vec<String> = sorted_edges
            .iter()
            .map(|&(_, to)| format!("2,{prop},{}", to * fields.len()))
            .collect();
        let node_types: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if i == type_pos {
                    serde_json::to_string(NODE_TYPES).unwrap()
                } else if *f == "name" {
                    "\"string\"".into()
                } else {
                    "\"number\"".into()
                }
            })
            .collect();
        let quote = |s: &String| {
            if ascii {
                v8_quote(s)
            } else {
                serde_json::to_string(s).unwrap()
            }
        };
        let mut string_rows: Vec<String> = strings.iter().map(quote).collect();
        string_rows.extend(raw_strings.iter().map(|s| s.to_string()));
        let mut out = String::new();
        out.push_str("{\"snapshot\":{\"meta\":{\"node_fields\":");
        out.push_str(&serde_json::to_string(fields).unwrap());
        out.push_str(",\"node_types\":[");
        out.push_str(&node_types.join(","));
        out.push_str("],\"edge_fields\":[\"type\",\"name_or_index\",\"to_node\"],");
        out.push_str("\"edge_types\":[[\"context\",\"element\",\"property\",\"internal\",");
        out.push_str("\"hidden\",\"shortcut\",\"weak\"],\"string_or_number\",\"node\"],");
        out.push_str("\"trace_function_info_fields\":[\"function_id\",\"name\",\"script_name\",");
        out.push_str("\"script_id\",\"line\",\"column\"],\"location_fields\":[\"object_index\",");
        out.push_str("\"script_id\",\"line\",\"column\"]},\n");
        out.push_str(&format!(
            "\"node_count\":{},\"edge_count\":{},\"trace_function_count\":0}},\n",
            nodes.len(),
            edges.len()
        ));
        out.push_str("\"nodes\":[");
        out.push_str(&node_rows.join("\n,"));
        out.push_str("],\n\"edges\":[");
        out.push_str(&edge_rows.join("\n,"));
        out.push_str("],\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[],\n");
        out.push_str("\"locations\":[],\n\"strings\":[");
        out.push_str(&string_rows.join("\n,"));
        out.push_str("]}");
        out
    }

    /// Parses a whole text in one feed.
    pub fn parse(text: &[u8]) -> Result<super::NodeSummary, super::SnapshotError> {
        let mut parser = super::NodeSummaryParser::new();
        parser.feed(text)?;
        parser.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    /// Tiny deterministic PRNG (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn parse_chunked(
        text: &[u8],
        sizes: &mut dyn FnMut() -> usize,
    ) -> Result<NodeSummary, SnapshotError> {
        let mut parser = NodeSummaryParser::new();
        let mut pos = 0;
        while pos < text.len() {
            let end = (pos + sizes().max(1)).min(text.len());
            parser.feed(&text[pos..end])?;
            pos = end;
        }
        parser.finish()
    }

    /// Parses whole, byte by byte and in random chunks; all must agree.
    fn parse_all_ways(text: &[u8]) -> NodeSummary {
        let whole = parse(text).unwrap_or_else(|e| panic!("{e}"));
        let bytes = parse_chunked(text, &mut || 1).unwrap();
        assert_eq!(whole, bytes);
        for seed in 1..=8u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let max = [2, 3, 7, 16, 64, 200, 1000, 4096][seed as usize - 1];
            let chunked = parse_chunked(text, &mut || 1 + rng.below(max)).unwrap();
            assert_eq!(whole, chunked, "seed {seed}");
        }
        whole
    }

    fn sample_nodes() -> Vec<TestNode<'static>> {
        vec![
            ("synthetic", "", 1, 0),
            ("synthetic", "(GC roots)", 3, 0),
            ("object", "LeakingClass", 101, 32),
            ("object", "LeakingClass", 103, 32),
            ("array", "", 105, 16),
            ("string", "hello", 107, 24),
            ("closure", "onData", 109, 56),
            ("object", "Object", 111, 3_000_000_000_000),
            ("hidden", "system / Context", 2, 40),
            ("code", "(code)", 4, 120),
        ]
    }

    fn check_against(summary: &NodeSummary, nodes: &[TestNode]) {
        assert_eq!(summary.node_count(), nodes.len());
        for (i, &(ty, name, id, size)) in nodes.iter().enumerate() {
            assert_eq!(summary.ids()[i], id);
            assert_eq!(summary.type_name(i), Some(ty));
            assert_eq!(summary.self_sizes()[i], size);
            if ty == "object" {
                assert_eq!(summary.name_of(i), Some(name), "node {i}");
            }
        }
    }

    /// Only the names of object nodes are kept.
    fn check_only_object_names_kept(summary: &NodeSummary, nodes: &[TestNode]) {
        for (i, &(ty, name, ..)) in nodes.iter().enumerate() {
            if ty != "object" && !nodes.iter().any(|n| n.0 == "object" && n.1 == name) {
                assert_eq!(
                    summary.name_of(i),
                    None,
                    "node {i} ({name}) must not be kept"
                );
            }
        }
    }

    #[test]
    fn parses_node20_layout_all_chunkings() {
        let nodes = sample_nodes();
        let text = build_snapshot(
            NODE20_FIELDS,
            &nodes,
            &[(0, 1), (0, 2), (2, 3), (3, 4)],
            &[],
            true,
        );
        let summary = parse_all_ways(text.as_bytes());
        check_against(&summary, &nodes);
        check_only_object_names_kept(&summary, &nodes);
        assert_eq!(summary.node_types().len(), 16);
        assert_eq!(summary.type_index_of("object"), Some(3));
        assert_eq!(summary.type_indices()[2], 3);
        // "<dummy>", "", "(GC roots)", "LeakingClass", "hello", ... ; only object names kept.
        assert_eq!(summary.kept_strings(), 2);
        assert_eq!(summary.strings_count(), 10);
    }

    #[test]
    fn offsets_come_from_meta() {
        let nodes = sample_nodes();
        let old = build_snapshot(OLD_FIELDS, &nodes, &[(0, 1)], &[], true);
        check_against(&parse_all_ways(old.as_bytes()), &nodes);
        // A shuffled layout with the type column last but one.
        let shuffled = [
            "id",
            "edge_count",
            "self_size",
            "name",
            "type",
            "detachedness",
        ];
        let text = build_snapshot(&shuffled, &nodes, &[(1, 2)], &[], false);
        let summary = parse_all_ways(text.as_bytes());
        check_against(&summary, &nodes);
        check_only_object_names_kept(&summary, &nodes);
        let minimal = build_snapshot(&["self_size", "type", "id", "name"], &nodes, &[], &[], true);
        assert_eq!(parse_all_ways(minimal.as_bytes()), summary);
    }

    #[test]
    fn decodes_escapes_unicode_and_markup() {
        let names = [
            "quote\" backslash\\ slash/",
            "ctl\u{8}\u{c}\n\r\t",
            "caf\u{e9} \u{65e5}\u{672c}\u{8a9e}",
            "emoji \u{1F600}\u{1F4A9}",
            "<script>alert(1)</script>",
            "",
        ];
        let nodes: Vec<TestNode> = names
            .iter()
            .enumerate()
            .map(|(i, n)| ("object", *n, 2 * i as u32 + 1, 8 + i as u64))
            .collect();
        // V8 style (\u escapes, surrogate pairs) and raw UTF-8 (split across chunks when fed
        // byte by byte).
        for ascii in [true, false] {
            let text = build_snapshot(NODE20_FIELDS, &nodes, &[], &[], ascii);
            check_against(&parse_all_ways(text.as_bytes()), &nodes);
        }
    }

    /// Names written by hand: `\/`, upper-case hex, lone and mismatched surrogates.
    #[test]
    fn hand_written_escapes() {
        let cases: &[(&str, &str)] = &[
            (r#""a\/b\u00E9\u00e9""#, "a/b\u{e9}\u{e9}"),
            (r#""\ud83d\ude00""#, "\u{1F600}"),
            (r#""\uD83D\uDE00x""#, "\u{1F600}x"),
            (r#""lone \ud83d end""#, "lone \u{FFFD} end"),
            (r#""lone \ude00""#, "lone \u{FFFD}"),
            (r#""\ud83d""#, "\u{FFFD}"),
            (r#""\ud83d\ud83d\ude00""#, "\u{FFFD}\u{1F600}"),
            (r#""\ud83d\n""#, "\u{FFFD}\n"),
            (r#""\ud83d\u0041""#, "\u{FFFD}A"),
            (r#""\u0000\u001f""#, "\u{0}\u{1f}"),
        ];
        for (raw, expected) in cases {
            // Node 0 named by strings[1] = the raw case.
            let text = build_snapshot(NODE20_FIELDS, &[("object", "x", 1, 1)], &[], &[], true)
                .replace("\"x\"", raw);
            let summary = parse_all_ways(text.as_bytes());
            assert_eq!(summary.name_of(0), Some(*expected), "{raw}");
        }
    }

    #[test]
    fn skips_unknown_and_missing_sections() {
        let nodes = sample_nodes();
        let text = build_snapshot(NODE20_FIELDS, &nodes, &[(0, 1)], &[], true);
        let expected = parse(text.as_bytes()).unwrap();
        // Only snapshot, nodes and strings; extra header keys; unknown sections of every kind.
        let header_end = text.find("\"nodes\"").unwrap();
        let nodes_part = &text[header_end..text.find(",\n\"edges\"").unwrap()];
        let strings_part = &text[text.find("\"strings\"").unwrap()..];
        let header = text[..header_end].replace(
            "\"trace_function_count\":0",
            "\"trace_function_count\":0,\"extra_native_bytes\":12,\"root_index\":0",
        );
        let variants = [
            format!("{header}{nodes_part},{strings_part}"),
            format!(
                "{header}\"future\":{future},{nodes_part},{scalars},\"trace_tree\":{tree},\
                 {strings_part}",
                future = r#"{"a":[true,false,null,-1.5e+3,0,0.25,1E9,"x\"]}"],"b":{},"c":[[]]}"#,
                scalars = r#""n":-0,"t":true,"f":false,"z":null,"s":"\u1234""#,
                tree = "[1,[2,[3,[]]]]",
            ),
            format!(" \n\t{header}{nodes_part} , {strings_part}\n \r\n"),
            // Strings before nodes are kept in full.
            format!(
                "{header}{strings_open},{nodes_part}}}",
                strings_open = &strings_part[..strings_part.len() - 1]
            ),
        ];
        for text in &variants {
            let summary = parse_all_ways(text.as_bytes());
            check_against(&summary, &nodes);
            assert_eq!(summary.ids(), expected.ids());
            assert_eq!(summary.self_sizes(), expected.self_sizes());
        }
    }

    #[test]
    fn digit_run_matches_a_naive_scan() {
        let mut rng = Rng(99);
        let alphabet = b"0123456789,/:\n \x00\x7f\x80\xb9\xff.e";
        for _ in 0..2000 {
            let len = rng.below(40);
            let buf: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            for start in 0..=len {
                let naive = start
                    + buf[start..]
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                assert_eq!(digit_run(&buf, start), naive, "{buf:?} from {start}");
            }
        }
    }

    #[test]
    fn skipped_arrays_mix_fast_and_general_paths() {
        let good = build_snapshot(NODE20_FIELDS, &sample_nodes(), &[(0, 1)], &[], true);
        let with =
            |samples: &str| good.replacen("\"samples\":[]", &format!("\"samples\":{samples}"), 1);
        let expected = parse(good.as_bytes()).unwrap();
        for valid in [
            "[0, 10 ,0.5,1e3,-1,[2,3],{\"a\":[0]},\"s\",true,0,\n7]",
            "[ 0 ]",
            "[1234567890123456789012345678901234567890, 0 , 00.0e-0]"
                .replace("00.0", "0.0")
                .as_str(),
            "[[],[[]],[1,[2,[3]]],{}]",
            "[0\r\n,\t1]",
        ] {
            assert_eq!(parse_all_ways(with(valid).as_bytes()), expected, "{valid}");
        }
        for invalid in [
            "[00]", "[01]", "[1,,2]", "[1 2]", "[0 1]", "[1,]", "[,1]", "[1.]", "[-]", "[1e]",
            "[1e+]", "[.5]", "[+1]", "[1]]", "[1}", "[0x10]", "[1,2",
        ] {
            let text = with(invalid);
            let e = err(text.as_bytes());
            assert!(matches!(e, SnapshotError::Syntax { .. }), "{invalid}: {e}");
        }
    }

    #[test]
    fn empty_snapshot() {
        let text = build_snapshot(NODE20_FIELDS, &[], &[], &[], true);
        let summary = parse_all_ways(text.as_bytes());
        assert_eq!(summary.node_count(), 0);
        assert_eq!(summary.name_of(0), None);
    }

    fn err(text: &[u8]) -> SnapshotError {
        let whole = parse(text).expect_err("must fail");
        // Same verdict (variant) when fed byte by byte.
        let bytes = parse_chunked(text, &mut || 1).expect_err("must fail");
        assert_eq!(
            std::mem::discriminant(&whole),
            std::mem::discriminant(&bytes),
            "{whole} vs {bytes}"
        );
        assert!(whole.to_string().contains("byte"), "{whole}");
        whole
    }

    #[test]
    fn truncated_input_is_an_error_at_every_cut() {
        let nodes = sample_nodes();
        let text = build_snapshot(
            NODE20_FIELDS,
            &nodes,
            &[(0, 1), (2, 3)],
            &["\"\\ud83d\\ude00 tail\""],
            true,
        );
        let bytes = text.as_bytes();
        for cut in 0..bytes.len() {
            let result = parse(&bytes[..cut]);
            match result {
                Err(SnapshotError::Truncated { offset, .. }) => assert_eq!(offset, cut as u64),
                Err(SnapshotError::NotASnapshot { .. }) if cut == 0 => {}
                other => panic!("cut at {cut}: {other:?}"),
            }
        }
        // 30 random cuts in a bigger snapshot, fed in random chunks.
        let many: Vec<TestNode> = (0..2000u32)
            .map(|i| {
                (
                    NODE_TYPES[i as usize % 16],
                    ["A", "B\u{e9}", "C\\\"", "D"][i as usize % 4],
                    2 * i + 1,
                    u64::from(i) * 7,
                )
            })
            .collect();
        let text = build_snapshot(NODE20_FIELDS, &many, &[(0, 1), (5, 9), (3, 7)], &[], false);
        let mut rng = Rng(42);
        for _ in 0..30 {
            let cut = rng.below(text.len());
            let result = parse_chunked(&text.as_bytes()[..cut], &mut || 1 + rng.below(97));
            assert!(
                matches!(
                    result,
                    Err(SnapshotError::Truncated { .. }) | Err(SnapshotError::NotASnapshot { .. })
                ),
                "cut at {cut}: {result:?}"
            );
        }
        assert_eq!(parse(text.as_bytes()).unwrap().node_count(), 2000);
    }

    #[test]
    fn rejects_what_is_not_a_snapshot() {
        for text in [
            &b""[..],
            b"   ",
            b"garbage",
            b"\x00\xff\xfe",
            b"[1,2,3]",
            b"\"snapshot\"",
            b"{}",
            b" { } ",
            b"{\"foo\":{\"bar\":[1,2]},\"baz\":\"qux\"}",
        ] {
            let e = parse(text).expect_err("must fail");
            assert!(
                matches!(e, SnapshotError::NotASnapshot { .. }),
                "{:?}: {e}",
                String::from_utf8_lossy(text)
            );
        }
        assert!(matches!(
            err(b"garbage"),
            SnapshotError::NotASnapshot { offset: 0, .. }
        ));
        assert!(matches!(
            err(b"{}"),
            SnapshotError::NotASnapshot { offset: 1, .. }
        ));
    }

    #[test]
    fn rejects_malformed_json() {
        let good = build_snapshot(
            NODE20_FIELDS,
            &sample_nodes(),
            &[(0, 1)],
            &["\"plain\""],
            true,
        );
        let cases: Vec<(String, &str)> = vec![
            (
                good.replacen("\"nodes\":[", "\"nodes\":[,", 1),
                "leading comma",
            ),
            (good.replacen("\n,", ",,", 1), "double comma"),
            (good.replacen("\"nodes\":[", "\"nodes\":[-", 1), "negative"),
            (
                good.replacen("\"nodes\":[9", "\"nodes\":[1.5,9", 1),
                "float",
            ),
            (
                good.replacen("\"nodes\":[9", "\"nodes\":[09", 1),
                "leading zero",
            ),
            (
                good.replacen("\"edges\":[", "\"edges\":[1,,", 1),
                "skipped array",
            ),
            (
                good.replacen("\"samples\":[]", "\"samples\":[tru]", 1),
                "bad literal",
            ),
            (
                good.replacen("\"samples\":[]", "\"samples\":[1.]", 1),
                "bad number",
            ),
            (
                good.replacen("\"samples\":[]", "\"samples\":{1:2}", 1),
                "bad key",
            ),
            (
                good.replacen("\"samples\":[]", "\"samples\":[}", 1),
                "mismatched close",
            ),
            (
                good.replacen("\"plain\"", "\"bad \\x escape\"", 1),
                "bad escape",
            ),
            (good.replacen("\"plain\"", "\"bad \\u12G4\"", 1), "bad hex"),
            (
                good.replacen("\"plain\"", "\"raw \n newline\"", 1),
                "control char",
            ),
            (good.replacen("\"plain\"", "plain", 1), "unquoted"),
            (
                good.replacen("\"strings\"", "\"strings\" ", 1).replacen(
                    "\"strings\" :",
                    "\"strings\" ;",
                    1,
                ),
                "colon",
            ),
            (format!("{good}x"), "trailing"),
            (format!("{good}}}"), "trailing brace"),
        ];
        for (text, what) in &cases {
            let e = err(text.as_bytes());
            assert!(matches!(e, SnapshotError::Syntax { .. }), "{what}: {e}");
        }
        // Invalid UTF-8: a lone continuation byte, an overlong form, a surrogate, a truncated
        // sequence in a kept name and in a skipped string.
        for bad in [
            &b"\x80"[..],
            b"\xc0\xaf",
            b"\xed\xa0\x80",
            b"\xe6\x97",
            b"\xf5\x80\x80\x80",
        ] {
            for target in ["\"plain\"", "\"LeakingClass\""] {
                let mut text = Vec::new();
                let at = good.find(target).unwrap() + 1;
                text.extend_from_slice(&good.as_bytes()[..at]);
                text.extend_from_slice(bad);
                text.extend_from_slice(&good.as_bytes()[at..]);
                assert!(
                    matches!(err(&text), SnapshotError::Syntax { .. }),
                    "{bad:?}"
                );
            }
        }
    }

    #[test]
    fn rejects_bad_structure_and_header() {
        let good = build_snapshot(NODE20_FIELDS, &sample_nodes(), &[], &[], true);
        let nodes_at = good.find("\"nodes\"").unwrap();
        let header = &good[1..nodes_at];
        let rest = &good[nodes_at..];
        let structure = [
            format!("{{{rest}"),                                    // no header: nodes first
            format!("{{{header}{header}{rest}"),                    // duplicate header
            good.replacen(",\n\"strings\":[", ",\n\"other\":[", 1), // no strings
            good.replacen("\"nodes\":[", "\"nodez\":[", 1),         // no nodes
        ];
        for text in &structure {
            assert!(
                matches!(err(text.as_bytes()), SnapshotError::Structure { .. }),
                "{text}"
            );
        }
        let headers = [
            good.replacen("\"snapshot\":{", "\"snapshot\":[{", 1),
            good.replacen("\"node_fields\"", "\"node_fieldz\"", 1),
            good.replacen("\"self_size\"", "\"selfsize\"", 1),
            good.replacen("\"node_count\":10", "\"node_count\":-10", 1),
            good.replacen("\"node_count\":10", "\"node_count\":10.5", 1),
            good.replacen("\"node_count\":10,", "", 1),
            good.replacen("\"node_types\":[[", "\"node_types\":[[1,", 1),
        ];
        for text in &headers {
            assert!(
                matches!(err(text.as_bytes()), SnapshotError::InvalidHeader { .. }),
                "{text}"
            );
        }
        assert!(matches!(
            err(b"{\"snapshot\":{\"meta\":{}}}"),
            SnapshotError::InvalidHeader { .. }
        ));
    }

    #[test]
    fn rejects_lying_node_counts() {
        let good = build_snapshot(NODE20_FIELDS, &sample_nodes(), &[], &[], true);
        let more = good.replacen("\"node_count\":10", "\"node_count\":11", 1);
        match err(more.as_bytes()) {
            SnapshotError::NodeCountMismatch {
                declared: 11,
                actual: 10,
                ..
            } => {}
            e => panic!("{e}"),
        }
        let fewer = good.replacen("\"node_count\":10", "\"node_count\":9", 1);
        match err(fewer.as_bytes()) {
            SnapshotError::NodeCountMismatch {
                declared: 9,
                actual: 10,
                ..
            } => {}
            e => panic!("{e}"),
        }
        // Not a multiple of the stride.
        let odd = good.replacen("\"nodes\":[", "\"nodes\":[1,", 1);
        match err(odd.as_bytes()) {
            SnapshotError::NodeArrayLength {
                values: 71,
                stride: 7,
                ..
            } => {}
            e => panic!("{e}"),
        }
    }

    #[test]
    fn huge_declared_count_allocates_nothing_big() {
        let good = build_snapshot(NODE20_FIELDS, &sample_nodes(), &[], &[], true);
        let huge = good.replacen("\"node_count\":10", "\"node_count\":4000000000", 1);
        let start = std::time::Instant::now();
        match err(huge.as_bytes()) {
            SnapshotError::NodeCountMismatch {
                declared: 4_000_000_000,
                actual: 10,
                ..
            } => {}
            e => panic!("{e}"),
        }
        assert!(start.elapsed().as_secs() < 5);
        let mut parser = NodeSummaryParser::new();
        let cut = huge.find("\"edges\"").unwrap() - 3;
        parser.feed(&huge.as_bytes()[..cut]).unwrap();
        assert!(parser.ids.capacity() <= INITIAL_NODE_RESERVE);
        assert!(parser.sizes.capacity() <= INITIAL_NODE_RESERVE);
        // An honest count is reserved at most once the input delivers the nodes.
        let honest = parse(good.as_bytes()).unwrap();
        assert!(honest.ids.capacity() <= 10);
    }

    #[test]
    fn rejects_out_of_range_indices_and_numbers() {
        let nodes = [("object", "A", 1, 8), ("string", "b", 3, 16)];
        let good = build_snapshot(NODE20_FIELDS, &nodes, &[], &[], true);
        // strings: "<dummy>", "A", "b", "prop" -> 4 entries.
        assert_eq!(parse(good.as_bytes()).unwrap().strings_count(), 4);
        let name_oob = good.replacen("\"nodes\":[3,1,", "\"nodes\":[3,4,", 1);
        match err(name_oob.as_bytes()) {
            SnapshotError::NameOutOfRange {
                node: 0,
                name: 4,
                strings: 4,
                offset,
            } => assert_eq!(offset as usize, name_oob.find("[3,4,").unwrap() + 3),
            e => panic!("{e}"),
        }
        let type_oob = good.replacen("\"nodes\":[3,1,", "\"nodes\":[16,1,", 1);
        match err(type_oob.as_bytes()) {
            SnapshotError::TypeOutOfRange {
                node: 0,
                type_index: 16,
                types: 16,
                offset,
            } => {
                assert_eq!(offset as usize, type_oob.find("[16,").unwrap() + 1)
            }
            e => panic!("{e}"),
        }
        let type_huge = good.replacen("\"nodes\":[3,1,", "\"nodes\":[300,1,", 1);
        assert!(matches!(
            err(type_huge.as_bytes()),
            SnapshotError::TypeOutOfRange { .. }
        ));
        let id_big = good.replacen("[3,1,1,8,", "[3,1,4294967296,8,", 1);
        match err(id_big.as_bytes()) {
            SnapshotError::NumberTooLarge { field, limit, .. } => {
                assert_eq!((field.as_str(), limit), ("id", u64::from(u32::MAX)))
            }
            e => panic!("{e}"),
        }
        let name_big = good.replacen("[3,1,1,8,", "[3,99999999999,1,8,", 1);
        assert!(matches!(
            err(name_big.as_bytes()),
            SnapshotError::NumberTooLarge { .. }
        ));
        let size_big = good.replacen("[3,1,1,8,", "[3,1,1,18446744073709551616,", 1);
        assert!(matches!(
            err(size_big.as_bytes()),
            SnapshotError::NumberTooLarge { .. }
        ));
        let edge_big = good.replacen("[3,1,1,8,0,", "[3,1,1,8,99999999999999999999999,", 1);
        assert!(matches!(
            err(edge_big.as_bytes()),
            SnapshotError::NumberTooLarge { .. }
        ));
        // Largest values that fit.
        let max = good.replacen("[3,1,1,8,", "[3,1,4294967295,18446744073709551615,", 1);
        let summary = parse_all_ways(max.as_bytes());
        assert_eq!(summary.ids()[0], u32::MAX);
        assert_eq!(summary.self_sizes()[0], u64::MAX);
    }

    #[test]
    fn fails_for_good_after_an_error() {
        let mut parser = NodeSummaryParser::new();
        assert!(parser.feed(b"nope").is_err());
        assert!(matches!(
            parser.feed(b"{"),
            Err(SnapshotError::AlreadyFailed { .. })
        ));
        assert!(matches!(
            parser.finish(),
            Err(SnapshotError::AlreadyFailed { .. })
        ));
    }

    #[test]
    fn random_garbage_never_panics() {
        let good = build_snapshot(
            NODE20_FIELDS,
            &sample_nodes(),
            &[(0, 1)],
            &["\"\\ud83d\""],
            true,
        );
        let mut rng = Rng(7);
        for _ in 0..300 {
            let mut bytes = good.clone().into_bytes();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len());
                bytes[at] = b"{}[],:\"\\0123456789-eE.u \x80\xff"[rng.below(24)];
            }
            let _ = parse(&bytes);
            let _ = parse_chunked(&bytes, &mut || 1 + rng.below(13));
        }
    }

    #[test]
    fn parse_file_reads_in_chunks() {
        let nodes: Vec<TestNode> = (0..120_000u32)
            .map(|i| {
                (
                    ["object", "array", "string"][i as usize % 3],
                    ["Foo", "Bar", "Baz\u{e9}"][i as usize % 3],
                    2 * i + 1,
                    u64::from(i % 100),
                )
            })
            .collect();
        let text = build_snapshot(NODE20_FIELDS, &nodes, &[(0, 1)], &[], true);
        assert!(text.len() > READ_CHUNK, "spans several reads");
        let path = std::env::temp_dir().join(format!(
            "modswap-stream-{}.heapsnapshot",
            std::process::id()
        ));
        std::fs::write(&path, &text).unwrap();
        let from_file = parse_file(&path);
        std::fs::remove_file(&path).unwrap();
        let from_file = from_file.unwrap();
        assert_eq!(from_file, parse(text.as_bytes()).unwrap());
        check_against(&from_file, &nodes);
        assert!(matches!(
            parse_file(Path::new("/nonexistent/x.heapsnapshot")),
            Err(SnapshotError::Io(_))
        ));
    }

    /// By hand, on a snapshot written by Node (`v8.writeHeapSnapshot`):
    /// `MODSWAP_SNAPSHOT=/tmp/x.heapsnapshot cargo test --release real_snapshot -- --ignored
    /// --nocapture`. Prints node count, parse throughput (best of 3) and the top `what`s.
    #[test]
    #[ignore]
    fn real_snapshot() {
        let Ok(path) = std::env::var("MODSWAP_SNAPSHOT") else {
            eprintln!("MODSWAP_SNAPSHOT not set");
            return;
        };
        let bytes = std::fs::metadata(&path).unwrap().len();
        // Best of three (page cache warm after the first).
        let mut elapsed = f64::INFINITY;
        let mut parsed = None;
        for _ in 0..3 {
            let start = std::time::Instant::now();
            let summary = parse_file(Path::new(&path)).unwrap_or_else(|e| panic!("{e}"));
            elapsed = elapsed.min(start.elapsed().as_secs_f64());
            parsed = Some(summary);
        }
        let summary = parsed.unwrap();
        // The header's node_count (checked by the parser too).
        let head = {
            let mut f = File::open(&path).unwrap();
            let mut buf = vec![0u8; 4096];
            let n = f.read(&mut buf).unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        };
        let declared: usize = head
            .split("\"node_count\":")
            .nth(1)
            .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|s| s.parse().ok())
            .unwrap();
        assert_eq!(summary.node_count(), declared);
        let mut counts: std::collections::HashMap<&str, (u64, u64)> = Default::default();
        for node in 0..summary.node_count() {
            let key = match summary.name_of(node) {
                Some(name) if summary.type_name(node) == Some("object") => name,
                _ => summary.type_name(node).unwrap(),
            };
            let entry = counts.entry(key).or_default();
            entry.0 += 1;
            entry.1 += summary.self_sizes()[node];
        }
        let mut top: Vec<_> = counts.into_iter().collect();
        top.sort_by_key(|(_, (count, _))| std::cmp::Reverse(*count));
        println!(
            "{path}: {bytes} bytes, {} nodes, {} strings ({} kept), {:.3} s, {:.1} MB/s",
            summary.node_count(),
            summary.strings_count(),
            summary.kept_strings(),
            elapsed,
            bytes as f64 / 1e6 / elapsed
        );
        for (what, (count, size)) in top.iter().take(15) {
            println!("{count:>10} {size:>12} {what}");
        }
    }
}
