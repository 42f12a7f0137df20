//! `modswap.heap`: snapshot analysis, diffs and leak searches off the main thread (libuv pool),
//! results as plain objects. Every error names the file it is about.

use crate::heap::analyses::diff::{snapshot_totals, ClassDiff, SnapshotDiffer, SnapshotTotals};
use crate::heap::analyses::leaks::{find_leaks, sample_path, IdSet, LeakReport};
use crate::heap::analyses::paths::RetainerTree;
use crate::heap::analyses::summary::{
    node_row, step_rows, summarize, AnalysisSummary, ClassRow, NodeRow, StepRow, SummaryRequest,
    SuspectRow,
};
use crate::heap::progress::{Phase, Progress};
use crate::heap::reader::background::BackgroundParser;
use crate::heap::HeapGraphBuilder;
use crate::heap::{HeapAnalysis, HeapGraph, SnapshotError};
use napi::bindgen_prelude::{AsyncTask, BufferSlice};
use napi::{Env, Result, Task};
use napi_derive::napi;

use super::coded;
use super::explain::ExplainTask;
use super::graph::guarded;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// A job's progress, polled by the JS thread while the job runs on the libuv pool.
#[napi]
pub struct HeapProgress {
    inner: Arc<Progress>,
}

/// What `HeapProgress.read()` returns.
#[napi(object)]
pub struct HeapProgressEvent {
    /// `waiting`, `parse`, `essential edges`, `dominators`, `retained sizes`, `paths`,
    /// `compare` or `done`.
    pub phase: String,
    /// The file being worked on (1-based) and how many the job has.
    pub file: u32,
    pub files: u32,
    /// Work done and total in the phase (bytes when parsing); 0 when unknown.
    pub done: f64,
    pub total: f64,
}

#[napi]
impl HeapProgress {
    /// A progress handle for a job over `files` snapshot files.
    #[napi(constructor)]
    pub fn new(files: u32) -> Self {
        HeapProgress {
            inner: Arc::new(Progress::new(files)),
        }
    }

    /// The job's current phase and counters.
    #[napi]
    pub fn read(&self) -> HeapProgressEvent {
        let s = self.inner.state();
        HeapProgressEvent {
            phase: s.phase.name().to_owned(),
            file: s.file,
            files: s.files,
            done: s.done as f64,
            total: s.total as f64,
        }
    }
}

pub(super) fn progress_of(handle: Option<&HeapProgress>, files: u32) -> Arc<Progress> {
    handle.map_or_else(|| Arc::new(Progress::new(files)), |h| Arc::clone(&h.inner))
}

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

/// One step of a retainer path.
#[napi(object)]
pub struct RetainerStep {
    /// The edge's name (an index as digits for `element` and `hidden` edges).
    pub edge: String,
    pub edge_type: String,
    pub node: HeapNodeRef,
}

/// A node retaining an outsized share of the heap.
#[napi(object)]
pub struct LeakSuspect {
    pub node: HeapNodeRef,
    pub share: f64,
    pub accumulated_in: Option<HeapNodeRef>,
    pub path: Vec<RetainerStep>,
}

/// The retainer path of a node asked for by id.
#[napi(object)]
pub struct RetainerPath {
    pub id: u32,
    /// `false` when no node has this id.
    pub found: bool,
    /// From a GC root to the node; empty when only weak edges lead to it.
    pub path: Vec<RetainerStep>,
}

/// One class of the Summary view.
#[napi(object)]
pub struct ClassAggregateRow {
    pub name: String,
    /// The constructor's script (path or URL), for classes keyed by their constructor's
    /// location when the snapshot names the script.
    pub script: Option<String>,
    /// V8's id of that script (present with `line`).
    pub script_id: Option<u32>,
    /// 1-based line and column of the constructor, for classes keyed by location.
    pub line: Option<u32>,
    pub column: Option<u32>,
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
    pub suspects: Vec<LeakSuspect>,
    pub paths: Vec<RetainerPath>,
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
    /// Suspects and retainer paths (after the analysis).
    pub report: f64,
}

/// One snapshot of a diff or leak search.
#[napi(object)]
pub struct HeapSnapshotInfo {
    pub file: String,
    pub file_bytes: f64,
    pub node_count: f64,
    pub edge_count: f64,
    pub total_size: f64,
}

/// One class's changes between two snapshots.
#[napi(object)]
pub struct HeapClassDiff {
    pub name: String,
    pub added_count: f64,
    pub removed_count: f64,
    pub count_delta: f64,
    pub added_size: f64,
    pub removed_size: f64,
    pub size_delta: f64,
}

/// What `modswap.heap.diff` resolves to.
#[napi(object)]
pub struct HeapSnapshotDiff {
    pub before: HeapSnapshotInfo,
    pub after: HeapSnapshotInfo,
    pub classes: Vec<HeapClassDiff>,
    pub timings_ms: StepTimings,
}

/// Leak roots with one class and retainer path shape.
#[napi(object)]
pub struct HeapLeakGroup {
    pub class_name: String,
    pub path_shape: String,
    /// What holds the roots (`Map`, `Object (dictionary)`, `EventEmitter listener onData()`, …);
    /// absent without a retainer path.
    pub holder: Option<String>,
    /// Whether V8 allocated the roots itself (compiled code, shapes, feedback, system objects).
    pub internal: bool,
    pub count: f64,
    /// Objects of other groups folded into this one: their paths extend this group's path
    /// through leaked objects (the parts of its leaked strings, fields its objects share).
    pub folded: f64,
    /// The retained size of the `count` objects and of the folded ones.
    pub retained_size: f64,
    /// The largest roots (up to 5).
    pub examples: Vec<HeapNodeRef>,
    /// The retainer path of the largest root.
    pub sample_path: Vec<RetainerStep>,
}

/// What `modswap.heap.leaks` resolves to.
#[napi(object)]
pub struct HeapLeaks {
    pub baseline: HeapSnapshotInfo,
    pub target: HeapSnapshotInfo,
    #[napi(js_name = "final")]
    pub final_snapshot: HeapSnapshotInfo,
    pub leaked_nodes: f64,
    pub leaked_size: f64,
    /// All groups found; `groups` holds the first `top`.
    pub group_count: f64,
    /// How many of all groups are V8's own (they come after the others).
    pub internal_group_count: f64,
    pub groups: Vec<HeapLeakGroup>,
    pub timings_ms: StepTimings,
}

/// Milliseconds for loading the snapshots and for the comparison itself.
#[napi(object)]
pub struct StepTimings {
    pub load: f64,
    pub compare: f64,
}

const EXAMPLES_PER_GROUP: usize = 5;

// --- loading ---------------------------------------------------------------------------------

fn io_code(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::NotFound => "ERR_MODSWAP_NOT_FOUND",
        _ => "ERR_MODSWAP_IO",
    }
}

/// Loads snapshot number `file` of a job, naming the file in every error. Returns the graph
/// and the bytes read (a pipe's size is only known once it is read).
fn load(path: &Path, progress: &Progress, file: u32) -> Result<(HeapGraph, u64)> {
    // Parsing counts bytes; a pipe has no size (total 0 = unknown).
    let size = std::fs::metadata(path).map_or(0, |m| if m.is_file() { m.len() } else { 0 });
    progress.start(Phase::Parse, file, size);
    HeapGraph::load_reporting(path, Some(progress)).map_err(|e| {
        // A file that cannot be read (missing, a directory, no permission) is an I/O error, as
        // documented; only what was read and is wrong makes a bad snapshot.
        let code = match &e {
            SnapshotError::Io(io) => io_code(io),
            _ => "ERR_MODSWAP_BAD_SNAPSHOT",
        };
        coded(code, format!("{}: {e}", path.display()))
    })
}

/// Runs the full analysis of a job's graph, reporting its phases and their progress.
fn analyze(graph: &HeapGraph, progress: &Progress, file: u32) -> HeapAnalysis {
    HeapAnalysis::with_progress(graph, progress, file)
}

fn info(path: &Path, file_bytes: u64, totals: SnapshotTotals) -> HeapSnapshotInfo {
    HeapSnapshotInfo {
        file: path.display().to_string(),
        file_bytes: file_bytes as f64,
        node_count: totals.node_count as f64,
        edge_count: totals.edge_count as f64,
        total_size: totals.total_size as f64,
    }
}

fn ms_since(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1e3
}

// --- conversions -----------------------------------------------------------------------------

fn node_ref(row: &NodeRow) -> HeapNodeRef {
    HeapNodeRef {
        id: row.id,
        name: row.name.clone(),
        kind: row.kind.clone(),
        self_size: row.self_size as f64,
        retained_size: row.retained_size as f64,
    }
}

fn steps(rows: &[StepRow]) -> Vec<RetainerStep> {
    rows.iter()
        .map(|s| RetainerStep {
            edge: s.edge.clone(),
            edge_type: s.edge_type.clone(),
            node: node_ref(&s.node),
        })
        .collect()
}

fn suspect(row: &SuspectRow) -> LeakSuspect {
    LeakSuspect {
        node: node_ref(&row.node),
        share: row.share,
        accumulated_in: row.accumulated_in.as_ref().map(node_ref),
        path: steps(&row.path),
    }
}

fn class_row(row: &ClassRow) -> ClassAggregateRow {
    let location = row.location.as_ref();
    ClassAggregateRow {
        name: row.name.clone(),
        script: location.and_then(|l| l.script.clone()),
        script_id: location.map(|l| l.script_id),
        line: location.map(|l| l.line),
        column: location.map(|l| l.column),
        count: row.count as f64,
        self_size: row.self_size as f64,
        retained_size: row.retained_size as f64,
    }
}

fn class_diff(row: &ClassDiff) -> HeapClassDiff {
    HeapClassDiff {
        name: row.name.clone(),
        added_count: row.added_count as f64,
        removed_count: row.removed_count as f64,
        count_delta: row.count_delta() as f64,
        added_size: row.added_size as f64,
        removed_size: row.removed_size as f64,
        size_delta: row.size_delta() as f64,
    }
}

fn timings(phases: &[(&'static str, f64)], report: f64) -> PhaseTimings {
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
        report,
    }
}

// --- analyze ---------------------------------------------------------------------------------

/// Where an analysis gets its snapshot.
pub(super) enum Source {
    File(PathBuf),
    /// Chunks already handed to a parsing thread; `name` stands for the file in results.
    Stream {
        name: String,
        parser: Option<BackgroundParser<HeapGraphBuilder>>,
        bytes: u64,
    },
}

impl Source {
    pub(super) fn name(&self) -> String {
        match self {
            Source::File(path) => path.display().to_string(),
            Source::Stream { name, .. } => name.clone(),
        }
    }

    /// The graph and the snapshot's size in bytes.
    pub(super) fn graph(&mut self, progress: &Arc<Progress>) -> Result<(HeapGraph, u64)> {
        match self {
            Source::File(path) => load(path, progress, 1),
            Source::Stream {
                name,
                parser,
                bytes,
            } => {
                // Every chunk is written by now: the total is known.
                progress.start(Phase::Parse, 1, *bytes);
                let parser = parser.take().ok_or_else(|| {
                    coded(
                        "ERR_MODSWAP_INVALID_ARG",
                        format!("{name}: already analysed"),
                    )
                })?;
                parser.report_to(Arc::clone(progress));
                let graph = parser
                    .finish()
                    .map_err(|e| coded("ERR_MODSWAP_BAD_SNAPSHOT", format!("{name}: {e}")))?;
                Ok((graph, *bytes))
            }
        }
    }
}

/// Loads and analyses one snapshot on the libuv pool.
pub struct AnalyzeTask {
    source: Source,
    request: SummaryRequest,
    progress: Arc<Progress>,
}

/// The summary plus the file's size, computed off the JS thread.
pub struct AnalyzeOutput {
    summary: AnalysisSummary,
    file_bytes: u64,
    report_ms: f64,
}

impl Task for AnalyzeTask {
    type Output = AnalyzeOutput;
    type JsValue = HeapAnalysisResult;

    fn compute(&mut self) -> Result<Self::Output> {
        let what = format!("analyzing {}", self.source.name());
        guarded(&what, || {
            let (graph, file_bytes) = self.source.graph(&self.progress)?;
            let analysis = analyze(&graph, &self.progress, 1);
            let started = Instant::now();
            self.progress.start(Phase::Paths, 1, 0);
            let summary = summarize(&graph, &analysis, &self.request);
            self.progress.start(Phase::Done, 1, 0);
            Ok(AnalyzeOutput {
                summary,
                file_bytes,
                report_ms: ms_since(started),
            })
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        let s = &output.summary;
        Ok(HeapAnalysisResult {
            file: self.source.name(),
            file_bytes: output.file_bytes as f64,
            node_count: s.node_count as f64,
            edge_count: s.edge_count as f64,
            total_size: s.total_size as f64,
            unreachable_nodes: s.unreachable_nodes as f64,
            classes: s.classes.iter().map(class_row).collect(),
            dominators: s.dominators.iter().map(node_ref).collect(),
            suspects: s.suspects.iter().map(suspect).collect(),
            paths: s
                .paths
                .iter()
                .map(|(id, path)| RetainerPath {
                    id: *id,
                    found: path.is_some(),
                    path: path.as_deref().map(steps).unwrap_or_default(),
                })
                .collect(),
            timings_ms: timings(&s.timings_ms, output.report_ms),
        })
    }
}

/// Analyses the snapshot at `path` off the main thread: totals, class aggregates, the `top`
/// largest retainers, leak suspects and the retainer paths of the nodes with ids `pathIds`.
/// Rejects with `ERR_MODSWAP_BAD_SNAPSHOT` (naming the file, the byte offset and the cause)
/// for anything that is not a well-formed snapshot.
#[napi]
#[cfg_attr(test, allow(dead_code))] // only the generated registration calls it
pub fn analyze_heap_snapshot(
    path: String,
    top: u32,
    path_ids: Vec<u32>,
    progress: Option<&HeapProgress>,
) -> AsyncTask<AnalyzeTask> {
    AsyncTask::new(AnalyzeTask {
        source: Source::File(PathBuf::from(path)),
        request: SummaryRequest {
            top: top as usize,
            path_ids,
        },
        progress: progress_of(progress, 1),
    })
}

/// A snapshot arriving in chunks (a stream), parsed on a thread of its own as the chunks come,
/// then analysed like a file.
#[napi]
pub struct HeapSnapshotStream {
    name: String,
    parser: Option<BackgroundParser<HeapGraphBuilder>>,
    bytes: u64,
}

#[napi]
impl HeapSnapshotStream {
    /// Starts the parsing thread; `name` stands for the file in results and errors.
    #[napi(constructor)]
    pub fn new(name: String) -> Result<Self> {
        let parser = BackgroundParser::spawn(HeapGraphBuilder::new())
            .map_err(|e| coded("ERR_MODSWAP_IO", format!("{name}: {e}")))?;
        Ok(HeapSnapshotStream {
            name,
            parser: Some(parser),
            bytes: 0,
        })
    }

    /// Queues a copy of the next chunk. Returns false once the parser has failed: the source
    /// should stop (its error surfaces when the analysis runs) instead of being read to its end.
    #[napi]
    pub fn write(&mut self, chunk: BufferSlice) -> Result<bool> {
        let parser = self.parser.as_mut().ok_or_else(|| {
            coded(
                "ERR_MODSWAP_INVALID_ARG",
                format!("{}: already analysed", self.name),
            )
        })?;
        parser.feed(&chunk);
        self.bytes += chunk.len() as u64;
        Ok(!parser.stopped())
    }

    /// Drops what was written and ends the parsing thread (the source failed).
    #[napi]
    pub fn abort(&mut self) {
        self.parser = None;
    }

    /// Ends the input and analyses the snapshot off the main thread (see
    /// `analyzeHeapSnapshot`).
    #[napi]
    pub fn analyze(
        &mut self,
        top: u32,
        path_ids: Vec<u32>,
        progress: Option<&HeapProgress>,
    ) -> AsyncTask<AnalyzeTask> {
        AsyncTask::new(AnalyzeTask {
            source: Source::Stream {
                name: self.name.clone(),
                parser: self.parser.take(),
                bytes: self.bytes,
            },
            request: SummaryRequest {
                top: top as usize,
                path_ids,
            },
            progress: progress_of(progress, 1),
        })
    }

    /// Ends the input and explains the snapshot's stale module generations off the main
    /// thread (see `explainHeapSnapshot`).
    #[napi]
    pub fn explain(&mut self, progress: Option<&HeapProgress>) -> AsyncTask<ExplainTask> {
        let source = Source::Stream {
            name: self.name.clone(),
            parser: self.parser.take(),
            bytes: self.bytes,
        };
        AsyncTask::new(ExplainTask::new(source, progress_of(progress, 1)))
    }
}

// --- diff ------------------------------------------------------------------------------------

/// Loads two snapshots and compares them by node id on the libuv pool.
pub struct DiffTask {
    before: PathBuf,
    after: PathBuf,
    progress: Arc<Progress>,
}

impl Task for DiffTask {
    type Output = HeapSnapshotDiff;
    type JsValue = HeapSnapshotDiff;

    fn compute(&mut self) -> Result<Self::Output> {
        let what = format!(
            "comparing {} with {}",
            self.before.display(),
            self.after.display()
        );
        guarded(&what, || self.compare())
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }
}

impl DiffTask {
    /// `after` is read first (its interface definitions name both sides' plain objects), and
    /// each graph is dropped once its entries are taken: one graph in memory at a time.
    fn compare(&self) -> Result<HeapSnapshotDiff> {
        let started = Instant::now();
        let (after, after_bytes) = load(&self.after, &self.progress, 2)?;
        let after_info = info(&self.after, after_bytes, snapshot_totals(&after));
        let mut differ = SnapshotDiffer::new(&after);
        drop(after);
        let (before, before_bytes) = load(&self.before, &self.progress, 1)?;
        let before_info = info(&self.before, before_bytes, snapshot_totals(&before));
        differ.add_before(&before);
        drop(before);
        let load_ms = ms_since(started);
        let started = Instant::now();
        self.progress.start(Phase::Compare, 2, 0);
        let classes = differ.finish();
        self.progress.start(Phase::Done, 2, 0);
        Ok(HeapSnapshotDiff {
            before: before_info,
            after: after_info,
            classes: classes.iter().map(class_diff).collect(),
            timings_ms: StepTimings {
                load: load_ms,
                compare: ms_since(started),
            },
        })
    }
}

/// Compares two snapshots of one process by node id: per class, the objects allocated and
/// freed between them. Rejects like `analyzeHeapSnapshot`, naming the failing file.
#[napi]
#[cfg_attr(test, allow(dead_code))]
pub fn diff_heap_snapshots(
    before: String,
    after: String,
    progress: Option<&HeapProgress>,
) -> AsyncTask<DiffTask> {
    AsyncTask::new(DiffTask {
        before: PathBuf::from(before),
        after: PathBuf::from(after),
        progress: progress_of(progress, 2),
    })
}

// --- leaks -----------------------------------------------------------------------------------

/// The three-snapshot leak search on the libuv pool.
pub struct LeaksTask {
    baseline: PathBuf,
    target: PathBuf,
    final_path: PathBuf,
    top: usize,
    progress: Arc<Progress>,
}

impl Task for LeaksTask {
    type Output = HeapLeaks;
    type JsValue = HeapLeaks;

    fn compute(&mut self) -> Result<Self::Output> {
        let what = format!("searching leaks in {}", self.final_path.display());
        guarded(&what, || self.search())
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }
}

impl LeaksTask {
    /// Baseline and target are only needed for their ids: each graph is dropped as soon as
    /// its ids are read, so at most one graph besides final's is in memory.
    fn search(&self) -> Result<HeapLeaks> {
        let started = Instant::now();
        let (baseline_ids, baseline) = self.ids_of(&self.baseline, 1)?;
        let (target_ids, target) = self.ids_of(&self.target, 2)?;
        let new_ids = target_ids.minus(&baseline_ids);
        drop((baseline_ids, target_ids));
        let (graph, final_bytes) = load(&self.final_path, &self.progress, 3)?;
        let load_ms = ms_since(started);
        let started = Instant::now();
        let analysis = analyze(&graph, &self.progress, 3);
        self.progress.start(Phase::Paths, 3, 0);
        let (report, tree) = find_leaks(&graph, &analysis, &new_ids);
        let groups = self.group_rows(&graph, &analysis, &tree, &report);
        self.progress.start(Phase::Done, 3, 0);
        Ok(HeapLeaks {
            baseline,
            target,
            final_snapshot: info(&self.final_path, final_bytes, snapshot_totals(&graph)),
            leaked_nodes: report.leaked_nodes as f64,
            leaked_size: report.leaked_size as f64,
            group_count: report.groups.len() as f64,
            internal_group_count: report.internal_group_count() as f64,
            groups,
            timings_ms: StepTimings {
                load: load_ms,
                compare: ms_since(started),
            },
        })
    }

    fn ids_of(&self, path: &Path, file: u32) -> Result<(IdSet, HeapSnapshotInfo)> {
        let (graph, bytes) = load(path, &self.progress, file)?;
        Ok((
            IdSet::of(&graph),
            info(path, bytes, snapshot_totals(&graph)),
        ))
    }

    fn group_rows(
        &self,
        graph: &HeapGraph,
        analysis: &HeapAnalysis,
        tree: &RetainerTree,
        report: &LeakReport,
    ) -> Vec<HeapLeakGroup> {
        report
            .groups
            .iter()
            .take(self.top)
            .map(|group| HeapLeakGroup {
                class_name: group.class_name.clone(),
                path_shape: group.path_shape.clone(),
                holder: group.holder.clone(),
                internal: group.internal,
                count: group.roots.len() as f64,
                folded: group.folded as f64,
                retained_size: group.retained_size as f64,
                examples: group
                    .roots
                    .iter()
                    .take(EXAMPLES_PER_GROUP)
                    .map(|&n| node_ref(&node_row(graph, analysis, n)))
                    .collect(),
                sample_path: sample_path(graph, tree, group)
                    .map(|p| steps(&step_rows(graph, analysis, &p)))
                    .unwrap_or_default(),
            })
            .collect()
    }
}

/// Three-snapshot leak search: objects allocated between `baseline` and `target` that are
/// still alive in `final`, grouped by class and retainer path shape: user groups first, then
/// V8's own, each largest first (the first `top` groups are returned). Rejects like `analyzeHeapSnapshot`, naming the file.
#[napi]
#[cfg_attr(test, allow(dead_code))]
pub fn find_heap_leaks(
    baseline: String,
    target: String,
    final_path: String,
    top: u32,
    progress: Option<&HeapProgress>,
) -> AsyncTask<LeaksTask> {
    AsyncTask::new(LeaksTask {
        baseline: PathBuf::from(baseline),
        target: PathBuf::from(target),
        final_path: PathBuf::from(final_path),
        top: top as usize,
        progress: progress_of(progress, 3),
    })
}
