//! V8 heap snapshots: streaming parsing and analysis.

pub mod stream;

pub use stream::{parse_file, NodeSummary, NodeSummaryParser, SnapshotError};
