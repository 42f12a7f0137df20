//! V8 heap snapshots: streaming parsing and analysis.

pub mod background;
pub mod stream;

pub use background::{BackgroundParser, ChunkParser};
pub use stream::{parse_file, NodeSummary, NodeSummaryParser, SnapshotError};
