//! V8 heap snapshots: streaming parsing and analysis.
