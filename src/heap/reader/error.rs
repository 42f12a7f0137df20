//! [`SnapshotError`]: why a snapshot could not be read, with the byte offset it is about. One
//! type for every reader, sink and loader in `src/heap`.

// The variants' fields are described by the variants' docs.
#![allow(missing_docs)]

use std::fmt;
use std::io;

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

pub(crate) fn syntax(offset: u64, message: impl Into<String>) -> SnapshotError {
    SnapshotError::Syntax {
        offset,
        message: message.into(),
    }
}
