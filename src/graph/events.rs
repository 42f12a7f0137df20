//! The compact event log the JS side sends in one call: a flat `f64` array of opcodes and
//! operands, plus the file names of `Load` and `Requirer` events joined by `'\0'`.
//!
//! `f64` rather than `u32` so timestamps (ms since the epoch) and GC counts travel unchanged.

use super::NodeId;
use std::fmt;

/// Version of the event-log and plan encodings shared with `lib/`. Bump it on any change to
/// opcodes, operands or the plan layout, so a stale addon is refused instead of misread.
pub const PROTOCOL_VERSION: u32 = 3;

/// Opcode of [`Event::Load`]: `LOAD node at` (file from the names list).
pub const OP_LOAD: u32 = 1;
/// Opcode of [`Event::Edge`]: `EDGE parent child`.
pub const OP_EDGE: u32 = 2;
/// Opcode of [`Event::Unedge`]: `UNEDGE parent child`.
pub const OP_UNEDGE: u32 = 3;
/// Opcode of [`Event::Retire`]: `RETIRE node at gc_count`.
pub const OP_RETIRE: u32 = 4;
/// Opcode of [`Event::Collected`]: `COLLECTED node`.
pub const OP_COLLECTED: u32 = 5;
/// Opcode of [`Event::Parent`]: `PARENT child parent` (parent may be `NO_NODE`).
pub const OP_PARENT: u32 = 6;
/// Opcode of [`Event::Requirer`]: `REQUIRER node at` (file from the names list).
pub const OP_REQUIRER: u32 = 7;

/// One change to Node's module bookkeeping, as observed by the JS side.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A module instance was created (or first seen) for `file`.
    Load { node: NodeId, file: String, at: f64 },
    /// `parent.children` gained `child`.
    Edge { parent: NodeId, child: NodeId },
    /// `child` was cut from `parent.children`.
    Unedge { parent: NodeId, child: NodeId },
    /// The instance left `require.cache`.
    Retire {
        node: NodeId,
        at: f64,
        gc_count: f64,
    },
    /// V8 garbage-collected the instance.
    Collected { node: NodeId },
    /// `child.parent` (Node's first requirer) is now `parent`, or nothing when `None`.
    Parent {
        child: NodeId,
        parent: Option<NodeId>,
    },
    /// A `Module` object that requires but is no module of the cache: `createRequire(file)`'s
    /// for a file with no cached module (or any never-loaded `new Module(file)`). It imports
    /// what it requires, and is never a generation of `file`.
    Requirer { node: NodeId, file: String, at: f64 },
}

/// Why an event log could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventError {
    /// An opcode outside the known set, at this index of the array.
    UnknownOpcode { index: usize, opcode: String },
    /// The array ended in the middle of an event.
    Truncated { index: usize },
    /// An operand that should be a node id is not a non-negative integer below 2^32 - 1.
    BadNodeId { index: usize },
    /// More `Load` and `Requirer` events than file names.
    MissingFileName { index: usize },
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::UnknownOpcode { index, opcode } => {
                write!(f, "unknown opcode {opcode} at index {index}")
            }
            EventError::Truncated { index } => write!(f, "event at index {index} is truncated"),
            EventError::BadNodeId { index } => write!(f, "invalid node id at index {index}"),
            EventError::MissingFileName { index } => {
                write!(
                    f,
                    "load or requirer event at index {index} has no file name"
                )
            }
        }
    }
}

impl std::error::Error for EventError {}

/// Decodes the whole log, or nothing: a malformed log is rejected before any event applies.
pub fn decode_events(ops: &[f64], files: &str) -> Result<Vec<Event>, EventError> {
    let mut names = if files.is_empty() {
        "".split_terminator('\0')
    } else {
        files.split_terminator('\0')
    };
    let mut events = Vec::new();
    let mut i = 0;
    while i < ops.len() {
        let start = i;
        let opcode = ops[i];
        let arity = match opcode as u32 {
            _ if opcode.fract() != 0.0 || opcode < 0.0 => 0,
            OP_LOAD | OP_EDGE | OP_UNEDGE | OP_PARENT | OP_REQUIRER => 2,
            OP_RETIRE => 3,
            OP_COLLECTED => 1,
            _ => 0,
        };
        if arity == 0 {
            return Err(EventError::UnknownOpcode {
                index: start,
                opcode: opcode.to_string(),
            });
        }
        let Some(args) = ops.get(i + 1..i + 1 + arity) else {
            return Err(EventError::Truncated { index: start });
        };
        let node = |k: usize| {
            node_id(args[k]).ok_or(EventError::BadNodeId {
                index: start + 1 + k,
            })
        };
        let event = match opcode as u32 {
            OP_LOAD => Event::Load {
                node: node(0)?,
                at: args[1],
                file: next_file_name(&mut names, start)?,
            },
            OP_EDGE => Event::Edge {
                parent: node(0)?,
                child: node(1)?,
            },
            OP_REQUIRER => Event::Requirer {
                node: node(0)?,
                at: args[1],
                file: next_file_name(&mut names, start)?,
            },
            OP_UNEDGE => Event::Unedge {
                parent: node(0)?,
                child: node(1)?,
            },
            OP_RETIRE => Event::Retire {
                node: node(0)?,
                at: args[1],
                gc_count: args[2],
            },
            OP_PARENT => Event::Parent {
                child: node(0)?,
                parent: optional_node_id(args[1])
                    .ok_or(EventError::BadNodeId { index: start + 2 })?,
            },
            _ => Event::Collected { node: node(0)? },
        };
        events.push(event);
        i += 1 + arity;
    }
    Ok(events)
}

/// The file name of the `Load` or `Requirer` event at `index`.
fn next_file_name<'a>(
    names: &mut impl Iterator<Item = &'a str>,
    index: usize,
) -> Result<String, EventError> {
    names
        .next()
        .map(str::to_owned)
        .ok_or(EventError::MissingFileName { index })
}

/// `Some(None)` for `NO_NODE`, `Some(Some(id))` for a valid id, `None` for garbage.
fn optional_node_id(value: f64) -> Option<Option<NodeId>> {
    if value == f64::from(super::NO_NODE) {
        Some(None)
    } else {
        node_id(value).map(Some)
    }
}

fn node_id(value: f64) -> Option<NodeId> {
    let valid = value.fract() == 0.0 && (0.0..f64::from(super::NO_NODE)).contains(&value);
    valid.then_some(value as NodeId)
}
