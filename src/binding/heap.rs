//! `modswap.heap`: snapshot analysis off the main thread (libuv pool), results as plain objects.

use crate::heap::summary::{summarize, AnalysisSummary, ClassRow, NodeRow};
use crate::heap::{HeapAnalysis, HeapGraph};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Result, Task};
use napi_derive::napi;

use super::coded;
use super::graph::guarded;
use std::path::PathBuf;

/// One node of a snapshot.
#[napi(object)]
pub struct HeapNodeRef {
    pub id: u32,
    pub name: String,
    /// V8's node type: `object`, `closure`, `array`, `string`, …
    #[napi(js_name = "type")]
    pub kind: String,
    pub self_size: f64,
    pub retained_size: f64,
}

/// One class of the Summary view.
#[napi(object)]
pub struct ClassAggregateRow {
    pub name: String,
    pub count: f64,
    pub self_size: f64,
    pub retained_size: f64,
}

/// What `modswap.heap.analyze` resolves to.
#[napi(object)]
pub struct HeapAnalysisResult {
    pub file: String,
    pub file_bytes: f64,
    pub node_count: f64,
    pub edge_count: f64,
    pub total_size: f64,
    pub unreachable_nodes: f64,
    pub classes: Vec<ClassAggregateRow>,
    pub dominators: Vec<HeapNodeRef>,
    pub timings_ms: PhaseTimings,
}

/// Milliseconds per phase. Analysis phases run two at a time, so they add up to more than
/// `analysis`.
#[napi(object)]
pub struct PhaseTimings {
    pub read: f64,
    pub parse: f64,
    pub retainers: f64,
    pub essential_edges: f64,
    pub dominators: f64,
    pub retained_sizes: f64,
    pub classes: f64,
    pub aggregates: f64,
    pub analysis: f64,
}

/// Loads and analyses one snapshot file on the libuv pool.
pub struct AnalyzeTask {
    path: PathBuf,
    top: usize,
}

/// The summary plus the file's size, computed off the JS thread.
pub struct AnalyzeOutput {
    summary: AnalysisSummary,
    file_bytes: u64,
}

impl Task for AnalyzeTask {
    type Output = AnalyzeOutput;
    type JsValue = HeapAnalysisResult;

    fn compute(&mut self) -> Result<Self::Output> {
        let what = format!("analyzing {}", self.path.display());
        guarded(&what, || analyze_file(&self.path, self.top))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(to_js(&self.path, output))
    }
}

fn analyze_file(path: &std::path::Path, top: usize) -> Result<AnalyzeOutput> {
    let file_bytes = std::fs::metadata(path)
        .map_err(|e| coded(io_code(&e), format!("{}: {e}", path.display())))?
        .len();
    let graph = HeapGraph::load(path).map_err(|e| {
        coded(
            "ERR_MODSWAP_BAD_SNAPSHOT",
            format!("{}: {e}", path.display()),
        )
    })?;
    let analysis = HeapAnalysis::new(&graph);
    Ok(AnalyzeOutput {
        summary: summarize(&graph, &analysis, top),
        file_bytes,
    })
}

fn io_code(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::NotFound => "ERR_MODSWAP_NOT_FOUND",
        _ => "ERR_MODSWAP_IO",
    }
}

fn node_row(row: &NodeRow) -> HeapNodeRef {
    HeapNodeRef {
        id: row.id,
        name: row.name.clone(),
        kind: row.kind.clone(),
        self_size: row.self_size as f64,
        retained_size: row.retained_size as f64,
    }
}

fn class_row(row: &ClassRow) -> ClassAggregateRow {
    ClassAggregateRow {
        name: row.name.clone(),
        count: row.count as f64,
        self_size: row.self_size as f64,
        retained_size: row.retained_size as f64,
    }
}

fn timings(phases: &[(&'static str, f64)]) -> PhaseTimings {
    let ms = |name: &str| {
        phases
            .iter()
            .find(|(phase, _)| *phase == name)
            .map_or(0.0, |(_, ms)| *ms)
    };
    PhaseTimings {
        read: ms("read"),
        parse: ms("parse"),
        retainers: ms("retainers"),
        essential_edges: ms("essentialEdges"),
        dominators: ms("dominators"),
        retained_sizes: ms("retainedSizes"),
        classes: ms("classes"),
        aggregates: ms("aggregates"),
        analysis: ms("analysis"),
    }
}

fn to_js(path: &std::path::Path, output: AnalyzeOutput) -> HeapAnalysisResult {
    let s = &output.summary;
    HeapAnalysisResult {
        file: path.display().to_string(),
        file_bytes: output.file_bytes as f64,
        node_count: s.node_count as f64,
        edge_count: s.edge_count as f64,
        total_size: s.total_size as f64,
        unreachable_nodes: s.unreachable_nodes as f64,
        classes: s.classes.iter().map(class_row).collect(),
        dominators: s.dominators.iter().map(node_row).collect(),
        timings_ms: timings(&s.timings_ms),
    }
}

/// Analyses the snapshot at `path` off the main thread: totals, class aggregates, the `top`
/// largest retainers. Rejects with `ERR_MODSWAP_BAD_SNAPSHOT` (naming the file, the byte offset
/// and the cause) for anything that is not a well-formed snapshot.
#[napi]
#[cfg_attr(test, allow(dead_code))] // only the generated registration calls it
pub fn analyze_heap_snapshot(path: String, top: u32) -> AsyncTask<AnalyzeTask> {
    AsyncTask::new(AnalyzeTask {
        path: PathBuf::from(path),
        top: top as usize,
    })
}
