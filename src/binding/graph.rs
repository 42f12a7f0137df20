use crate::graph::events::PROTOCOL_VERSION;
use crate::graph::{
    decode_events, Boundaries, ClearScope, GenerationInfo, ModuleGraph, StaleInfo, NO_NODE,
};
use napi::bindgen_prelude::{Float64Array, Uint32Array};
use napi::Result;
use napi_derive::napi;

use super::coded;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`, turning a panic into an `ERR_MODSWAP_INTERNAL` error instead of unwinding into V8.
pub(super) fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let cause = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".to_owned());
        Err(coded(
            "ERR_MODSWAP_INTERNAL",
            format!("{what} panicked: {cause}"),
        ))
    })
}

/// Version of the event-log and plan encodings this addon speaks; `lib/native.js` refuses an
/// addon built from other sources.
#[napi]
#[cfg_attr(test, allow(dead_code))] // only the generated registration calls it
pub fn protocol_version() -> u32 {
    PROTOCOL_VERSION
}

/// One row of a file's generation table.
#[napi(object, js_name = "GenerationRecord")]
pub struct BindingGeneration {
    /// 1 for the first load of the file, then 2, 3, …
    pub generation: u32,
    /// Milliseconds since the Unix epoch when the instance was loaded (or first seen).
    pub loaded_at: f64,
    /// `'current'`, `'old'` or `'collected'`.
    pub state: String,
    /// Generations the row stands for: 1, or more for the row folding old collected ones.
    pub count: u32,
}

impl From<GenerationInfo> for BindingGeneration {
    fn from(info: GenerationInfo) -> Self {
        Self {
            generation: info.generation,
            loaded_at: info.loaded_at,
            state: info.state.as_str().to_owned(),
            count: info.count,
        }
    }
}

/// An old generation that is still alive.
#[napi(object, js_name = "StaleRecord")]
pub struct BindingStale {
    /// The instance's id (the JS side's).
    pub node: u32,
    /// Absolute file name.
    pub file: String,
    /// Generation number.
    pub generation: u32,
    /// Milliseconds since the generation left `require.cache`.
    pub age_ms: f64,
    /// Garbage collections since it left `require.cache`.
    pub gcs_survived: f64,
}

impl From<StaleInfo> for BindingStale {
    fn from(info: StaleInfo) -> Self {
        Self {
            node: info.node,
            file: info.file,
            generation: info.generation,
            age_ms: info.age_ms,
            gcs_survived: info.gcs_survived,
        }
    }
}

/// Size counters of a graph.
#[napi(object, js_name = "GraphStats")]
pub struct BindingGraphStats {
    /// Files ever seen.
    pub files: u32,
    /// Module instances not yet garbage-collected.
    pub live_nodes: u32,
    /// Edges between live instances.
    pub edges: u32,
    /// Events that named an unknown instance and were ignored.
    pub ignored_events: u32,
}

/// Importer/importee edges and generations of every module instance of one JS environment.
/// The JS side reports events in batches and applies the plans this returns.
#[napi(js_name = "ModuleGraph")]
pub struct BindingModuleGraph {
    inner: ModuleGraph,
}

impl Default for BindingModuleGraph {
    fn default() -> Self {
        Self::new()
    }
}

#[napi]
impl BindingModuleGraph {
    /// An empty graph.
    #[napi(constructor)]
    pub fn new() -> Self {
        Self {
            inner: ModuleGraph::new(),
        }
    }

    /// Applies a batch of events: a flat array of opcodes and operands, and the file names of
    /// the load events joined by `'\0'`. A malformed batch is rejected whole.
    #[napi]
    pub fn ingest(&mut self, ops: Float64Array, files: String) -> Result<()> {
        guarded("ingest", || {
            let events = decode_events(&ops, &files)
                .map_err(|e| coded("ERR_MODSWAP_BAD_EVENTS", e.to_string()))?;
            self.inner.apply_all(events);
            Ok(())
        })
    }

    /// Plans the removal of `roots`. `scope` is `'single'`, `'descendants'`, `'importers'` or
    /// `'importers+dependencies'`; `main` is the entry module's node id, if known. A reload's
    /// walk up to importers stops at `stop_at` (replaced, importers kept) and does not cross the
    /// `(parent, child)` pairs of `accepted`. Returns
    /// `[n, retire…, m, (parent, child)…, k, (child, newParent)…]` with `0xffffffff` for none.
    #[napi]
    pub fn plan_clear(
        &self,
        roots: Uint32Array,
        scope: String,
        main: Option<u32>,
        stop_at: Option<Uint32Array>,
        accepted: Option<Uint32Array>,
    ) -> Result<Uint32Array> {
        guarded("planClear", || {
            let scope = parse_scope(&scope)?;
            let main = main.filter(|&m| m != NO_NODE);
            let boundaries = Boundaries::from_flat(
                stop_at.as_deref().unwrap_or(&[]),
                accepted.as_deref().unwrap_or(&[]),
            );
            let plan = self
                .inner
                .plan_clear_within(&roots, scope, main, &boundaries);
            Ok(Uint32Array::new(plan.encode()))
        })
    }

    /// The generation table of `file` (an absolute path), oldest first.
    #[napi]
    pub fn generations(&self, file: String) -> Result<Vec<BindingGeneration>> {
        guarded("generations", || {
            Ok(self
                .inner
                .generations(&file)
                .into_iter()
                .map(Into::into)
                .collect())
        })
    }

    /// Old generations still alive; `now` in ms since the epoch, `gc_count` the GCs so far.
    #[napi]
    pub fn stale(&self, now: f64, gc_count: f64) -> Result<Vec<BindingStale>> {
        guarded("stale", || {
            Ok(self
                .inner
                .stale(now, gc_count)
                .into_iter()
                .map(Into::into)
                .collect())
        })
    }

    /// The generation number of each instance of `ids`; 0 for an id the graph does not know
    /// (not ingested yet, a requirer, or collected).
    #[napi]
    pub fn generations_of(&self, ids: Uint32Array) -> Uint32Array {
        let numbers: Vec<u32> = ids
            .iter()
            .map(|&id| self.inner.generation_of(id).unwrap_or(0))
            .collect();
        Uint32Array::new(numbers)
    }

    /// Size counters.
    #[napi]
    pub fn stats(&self) -> BindingGraphStats {
        let stats = self.inner.stats();
        BindingGraphStats {
            files: saturating_u32(stats.files),
            live_nodes: saturating_u32(stats.live_nodes),
            edges: saturating_u32(stats.edges),
            ignored_events: saturating_u32(stats.ignored_events),
        }
    }
}

fn parse_scope(scope: &str) -> Result<ClearScope> {
    match scope {
        "single" => Ok(ClearScope::Single),
        "descendants" => Ok(ClearScope::Descendants),
        "importers" => Ok(ClearScope::Importers {
            include_dependencies: false,
        }),
        "importers+dependencies" => Ok(ClearScope::Importers {
            include_dependencies: true,
        }),
        other => Err(coded(
            "ERR_MODSWAP_INVALID_ARG",
            format!("unknown clear scope {other:?}"),
        )),
    }
}

fn saturating_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
