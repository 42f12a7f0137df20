//! `explainHeapSnapshot`: why each stale module generation of a snapshot is still alive, off
//! the main thread (libuv pool). Conversions only; the work is `crate::heap::analyses::explain`.

use crate::heap::analyses::explain::{
    explain, generation_number, ExplainOptions, Explanation, NodeInfo, StaleGeneration, StepInfo,
};
use crate::heap::progress::{Phase, Progress};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Result, Task};
use napi_derive::napi;

use super::graph::guarded;
use super::heap::{progress_of, HeapProgress, Source};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// A node of an explanation's path.
#[napi(object)]
pub struct StaleNodeRef {
    /// V8's snapshot id.
    pub id: u32,
    /// `Module(<filename>)` for `Module` objects, V8's name otherwise; ` #<generation>` after
    /// a value of a stale generation.
    pub name: String,
    /// V8's node type: `object`, `closure`, `array`, …
    #[napi(js_name = "type")]
    pub kind: String,
    /// Bytes, as written in the snapshot.
    pub self_size: f64,
}

/// One step of an explanation's path: the edge from the previous node (from the root for the
/// first step) and the node it leads to.
#[napi(object)]
pub struct StaleStep {
    /// The edge's name (an index as digits for `element` and `hidden` edges).
    pub edge: String,
    /// V8's edge type: `property`, `element`, `context`, `internal`, …
    pub edge_type: String,
    /// The node the edge leads to.
    pub node: StaleNodeRef,
}

/// What holds a stale generation.
#[napi(object)]
pub struct StaleHolder {
    /// `last-parent`, `first-parent`, `children`, `listener`, `timer`, `package`,
    /// `captured-exports` or `other`.
    pub kind: String,
    /// Index into `path` of the culprit step: the reference to change.
    pub step: u32,
    /// That step's edge name.
    pub edge: String,
    /// The object responsible: the emitter, the timer, the module whose `children` or parent
    /// record it is, the package's module or closure, the module that captured the value;
    /// absent for the GC root.
    pub node: Option<StaleNodeRef>,
    /// A listener on `process`.
    pub on_process: bool,
}

/// A stale generation and its shortest retainer path.
#[napi(object)]
pub struct StaleGenerationReport {
    /// The module's file, as its marker names it.
    pub file: String,
    /// The generation number (0 when the marker's text is not a number).
    pub generation: f64,
    /// Which value the path leads to: `module`, `exports` or `export`.
    pub role: String,
    /// The export's property name, for `role: 'export'`.
    pub export_name: Option<String>,
    /// False when only weak edges lead to the generation's values.
    pub found: bool,
    /// DevTools' distance of the value (100000000 and more: reached from system roots only);
    /// absent when not found.
    pub distance: Option<f64>,
    /// The value's snapshot id.
    pub node_id: u32,
    /// The value.
    pub node: StaleNodeRef,
    /// From a GC root to the value; empty when not found.
    pub path: Vec<StaleStep>,
    /// Absent when not found.
    pub holder: Option<StaleHolder>,
}

/// Generations held the same way.
#[napi(object)]
pub struct StaleGroup {
    /// The holder kind the generations share.
    pub kind: String,
    /// The path's edges and node classes, without ids and the held value's own name.
    pub signature: String,
    /// Indices into `generations`.
    pub generations: Vec<u32>,
}

/// Milliseconds spent loading the snapshot, explaining it, and in all.
#[napi(object)]
pub struct ExplainTimings {
    /// Reading and parsing the snapshot (for a stream: waiting for its parser to finish).
    pub load: f64,
    /// Finding the markers, the retainer paths and the holders.
    pub explain: f64,
    /// Both, and freeing the graph.
    pub total: f64,
}

/// What `explainHeapSnapshot` resolves to.
#[napi(object)]
pub struct HeapExplanation {
    /// The file, or the name a stream was given.
    pub file: String,
    /// The snapshot's size in bytes.
    pub file_bytes: f64,
    /// Nodes in the snapshot.
    pub node_count: f64,
    /// Marker objects found (a marker whose value could not be resolved is counted too).
    pub markers: f64,
    /// Stale generations, by file then generation.
    pub generations: Vec<StaleGenerationReport>,
    /// Found generations by holder kind and path signature, largest group first.
    pub groups: Vec<StaleGroup>,
    /// Where the time went.
    pub timings_ms: ExplainTimings,
}

/// Loads one snapshot and explains its stale generations on the libuv pool.
pub struct ExplainTask {
    source: Source,
    progress: Arc<Progress>,
}

impl ExplainTask {
    pub(super) fn new(source: Source, progress: Arc<Progress>) -> Self {
        ExplainTask { source, progress }
    }
}

/// The explanation and what the JS object needs besides, computed off the JS thread.
pub struct ExplainOutput {
    explanation: Explanation,
    file_bytes: u64,
    node_count: usize,
    timings: ExplainTimings,
}

impl Task for ExplainTask {
    type Output = ExplainOutput;
    type JsValue = HeapExplanation;

    fn compute(&mut self) -> Result<Self::Output> {
        let what = format!("explaining {}", self.source.name());
        guarded(&what, || {
            let started = Instant::now();
            let (graph, file_bytes) = self.source.graph(&self.progress)?;
            let load = ms_since(started);
            let explaining = Instant::now();
            self.progress.start(Phase::Paths, 1, 0);
            let explanation = explain(&graph, &ExplainOptions::default());
            let explain_ms = ms_since(explaining);
            let node_count = graph.node_count();
            // Freeing the graph's columns is part of the job's cost.
            drop(graph);
            self.progress.start(Phase::Done, 1, 0);
            Ok(ExplainOutput {
                explanation,
                file_bytes,
                node_count,
                timings: ExplainTimings {
                    load,
                    explain: explain_ms,
                    total: ms_since(started),
                },
            })
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        let e = output.explanation;
        Ok(HeapExplanation {
            file: self.source.name(),
            file_bytes: output.file_bytes as f64,
            node_count: output.node_count as f64,
            markers: e.markers as f64,
            groups: e
                .groups
                .iter()
                .map(|g| StaleGroup {
                    kind: g.kind.name().to_owned(),
                    signature: g.signature.clone(),
                    generations: g.generations.iter().map(|&i| i as u32).collect(),
                })
                .collect(),
            generations: e.generations.into_iter().map(report).collect(),
            timings_ms: output.timings,
        })
    }
}

fn ms_since(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1e3
}

fn node_ref(node: &NodeInfo) -> StaleNodeRef {
    StaleNodeRef {
        id: node.id,
        name: node.name.clone(),
        kind: node.kind.clone(),
        self_size: node.self_size as f64,
    }
}

fn step(step: &StepInfo) -> StaleStep {
    StaleStep {
        edge: step.edge.clone(),
        edge_type: step.edge_type.clone(),
        node: node_ref(&step.node),
    }
}

fn report(g: StaleGeneration) -> StaleGenerationReport {
    let value = g.chosen_value();
    let holder = g.holder.map(|h| StaleHolder {
        kind: h.kind.name().to_owned(),
        step: h.step as u32,
        edge: g
            .steps
            .get(h.step)
            .map_or_else(String::new, |s| s.edge.clone()),
        node: h.node.and_then(|n| {
            let at = g.path.iter().position(|s| s.node == n)?;
            Some(node_ref(&g.steps[at].node))
        }),
        on_process: h.on_process,
    });
    let number = generation_number(&g.generation);
    StaleGenerationReport {
        generation: if number == u64::MAX {
            0.0
        } else {
            number as f64
        },
        role: value.role.name().to_owned(),
        export_name: (!value.export_name.is_empty()).then(|| value.export_name.clone()),
        found: g.found(),
        distance: g.distance.map(f64::from),
        node_id: g.node.id,
        node: node_ref(&g.node),
        path: g.steps.iter().map(step).collect(),
        holder,
        file: g.file,
    }
}

/// Explains why each stale module generation in the snapshot at `path` is still alive: the
/// markers modswap attached to retired generations, the shortest retainer path of each
/// generation's value nearest the GC roots, what holds it, and groups of generations held
/// the same way. Rejects with `ERR_MODSWAP_BAD_SNAPSHOT` (naming the file) for anything that
/// is not a well-formed snapshot, `ERR_MODSWAP_NOT_FOUND` / `ERR_MODSWAP_IO` when it cannot be
/// read.
#[napi]
#[cfg_attr(test, allow(dead_code))] // only the generated registration calls it
pub fn explain_heap_snapshot(
    path: String,
    progress: Option<&HeapProgress>,
) -> AsyncTask<ExplainTask> {
    AsyncTask::new(ExplainTask::new(
        Source::File(PathBuf::from(path)),
        progress_of(progress, 1),
    ))
}
