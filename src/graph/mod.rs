//! The module graph and generation table behind modswap's CommonJS reloader.
//!
//! Node's own bookkeeping is one-directional: `module.children` is append-only per parent and
//! `module.parent` names only the first requirer. This graph keeps both directions for every
//! module *instance* (a generation of a file), including old generations that are still alive,
//! so a clear can name every reference Node holds to the instances it removes.
//!
//! The JS side owns the `Module` objects and mutates them; it reports what happened as a compact
//! event log ([`events`]) and asks this graph for plans ([`Plan`]) of what to cut. Nothing here
//! touches JS values, so all of it is tested with `cargo test`.

pub mod events;
mod plan;

pub use events::{decode_events, Event, EventError};
pub use plan::{is_dependency, Boundaries, ClearScope, Plan};

use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::VecDeque;

/// Identifier of one module instance (one generation of one file), assigned by the JS side.
pub type NodeId = u32;

/// Marker for "no node" in flat integer encodings.
pub const NO_NODE: NodeId = u32::MAX;

type FileId = u32;

/// Collected generations of a file listed one row each, newest ones; older collected
/// generations are folded into one row with their count, so a file reloaded 60,000 times costs
/// what a file reloaded 100 times does.
pub const COLLECTED_ROWS_KEPT: usize = 100;

/// How far past the next expected id a new id may be before a load is rejected as corrupt.
const MAX_ID_GAP: usize = 1 << 20;

/// Life cycle of a generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenerationState {
    /// The instance `require.cache` holds for its file.
    Current,
    /// Removed from the cache (or replaced by a newer load) but not yet garbage-collected.
    Old,
    /// V8 has garbage-collected the instance.
    Collected,
}

impl GenerationState {
    /// The name used in the public API.
    pub fn as_str(self) -> &'static str {
        match self {
            GenerationState::Current => "current",
            GenerationState::Old => "old",
            GenerationState::Collected => "collected",
        }
    }
}

/// One row of a file's generation table.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerationInfo {
    /// 1 for the first load of the file, then 2, 3, …; for a folded row, the first generation
    /// it stands for.
    pub generation: u32,
    /// Milliseconds since the Unix epoch at which the instance was loaded (or first seen).
    pub loaded_at: f64,
    /// Where the instance is in its life cycle.
    pub state: GenerationState,
    /// How many generations the row stands for: 1, or more for the row that folds the collected
    /// generations older than the [`COLLECTED_ROWS_KEPT`] newest collected ones.
    pub count: u32,
}

impl GenerationInfo {
    fn of(node: &Node) -> Self {
        Self {
            generation: node.generation,
            loaded_at: node.loaded_at,
            state: node.state,
            count: 1,
        }
    }
}

/// An old generation that is still alive.
#[derive(Clone, Debug, PartialEq)]
pub struct StaleInfo {
    /// The instance (its id on the JS side).
    pub node: NodeId,
    /// Absolute file name.
    pub file: String,
    /// Generation number of the stale instance.
    pub generation: u32,
    /// Milliseconds since it was retired.
    pub age_ms: f64,
    /// Garbage collections that ran since it was retired.
    pub gcs_survived: f64,
}

#[derive(Debug)]
struct Node {
    file: FileId,
    generation: u32,
    loaded_at: f64,
    state: GenerationState,
    retired_at: f64,
    gc_count_at_retire: f64,
    /// What Node's `module.parent` names: the first requirer, or `NO_NODE`.
    first_parent: NodeId,
    /// Modules this instance lists in its `children`, in insertion order.
    importees: Vec<NodeId>,
    /// Instances (of any generation) whose `children` list this one.
    importers: Vec<NodeId>,
    /// A requirer (see [`Event::Requirer`]) rather than a module of the cache.
    requirer: bool,
}

impl Node {
    fn new(file: FileId, generation: u32, loaded_at: f64, requirer: bool) -> Self {
        Self {
            file,
            generation,
            loaded_at,
            state: GenerationState::Current,
            retired_at: f64::NAN,
            gc_count_at_retire: f64::NAN,
            first_parent: NO_NODE,
            importees: Vec::new(),
            importers: Vec::new(),
            requirer,
        }
    }
}

#[derive(Debug)]
struct FileEntry {
    path: String,
    /// Loads seen so far: the generation number of the newest instance.
    loads: u32,
    /// Instances not yet collected, oldest first.
    live: Vec<NodeId>,
    /// Rows of the newest collected generations, by generation number.
    recent_collected: VecDeque<GenerationInfo>,
    /// The older collected generations, folded into one row.
    folded_collected: Option<GenerationInfo>,
    current: Option<NodeId>,
    /// Instances that listed an old generation of this file in `children` when that edge was
    /// cut while they stayed current: their code may still use the old version.
    old_version_holders: Vec<NodeId>,
}

/// Counters that show how much the graph holds; used by tests and diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GraphStats {
    /// Files ever seen.
    pub files: usize,
    /// Instances not yet collected.
    pub live_nodes: usize,
    /// Edges between instances not yet collected.
    pub edges: usize,
    /// Events that named an unknown node and were ignored.
    pub ignored_events: usize,
}

/// Importer/importee edges and the generation table of every module instance seen.
///
/// Only instances not yet collected are kept; a collected one leaves a row in its file's table
/// (folded after [`COLLECTED_ROWS_KEPT`]), so memory and the cost of every query follow what is
/// alive, not how many reloads the process has done.
#[derive(Debug, Default)]
pub struct ModuleGraph {
    nodes: FxHashMap<NodeId, Node>,
    /// The highest id loaded so far: the JS side hands out ids in increasing order and never
    /// sends one twice, so a load at or below it is a replay (of a live or collected id).
    highest_loaded: Option<NodeId>,
    files: Vec<FileEntry>,
    file_ids: FxHashMap<String, FileId>,
    edges: FxHashSet<(NodeId, NodeId)>,
    ignored_events: usize,
}

impl ModuleGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a batch of events in order.
    pub fn apply_all(&mut self, events: impl IntoIterator<Item = Event>) {
        for event in events {
            self.apply(event);
        }
    }

    /// Applies one event. Events naming unknown nodes are counted and ignored: the JS side may
    /// have dropped the load of a module whose later edges still arrive.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Load { node, file, at } => self.load(node, &file, at),
            Event::Edge { parent, child } => self.add_edge(parent, child),
            Event::Unedge { parent, child } => self.remove_edge(parent, child),
            Event::Retire { node, at, gc_count } => self.retire(node, at, gc_count),
            Event::Collected { node } => self.collect(node),
            Event::Parent { child, parent } => self.set_parent(child, parent),
            Event::Requirer { node, file, at } => self.add_requirer(node, &file, at),
        }
    }

    /// Whether `node` may be a new instance: ids arrive in increasing order and only once.
    fn admit(&mut self, node: NodeId) -> bool {
        let next = self
            .highest_loaded
            .map_or(0, |highest| highest as usize + 1);
        let replayed = (node as usize) < next;
        // Only rolled-back reloads leave gaps; an id far past the next one is a corrupt log,
        // and accepting it would make every later (valid) id look replayed.
        let too_far = node as usize > next + MAX_ID_GAP;
        if node == NO_NODE || replayed || too_far {
            self.ignored_events += 1;
            return false;
        }
        self.highest_loaded = Some(node);
        true
    }

    fn load(&mut self, node: NodeId, path: &str, at: f64) {
        if !self.admit(node) {
            return;
        }
        let file = self.intern_file(path);
        // A newer load of the same file replaces the current one even when the cache entry was
        // removed by someone else (clear-module, a test runner, user code).
        if let Some(previous) = self.files[file as usize].current {
            self.retire(previous, at, f64::NAN);
        }
        let entry = &mut self.files[file as usize];
        entry.loads += 1;
        entry.live.push(node);
        entry.current = Some(node);
        let generation = entry.loads;
        self.nodes
            .insert(node, Node::new(file, generation, at, false));
    }

    /// A requirer imports like a module but is no generation of its file: never current, never
    /// retired by a plan, and it leaves no row in the file's table.
    fn add_requirer(&mut self, node: NodeId, path: &str, at: f64) {
        if !self.admit(node) {
            return;
        }
        let file = self.intern_file(path);
        self.nodes.insert(node, Node::new(file, 0, at, true));
    }

    fn intern_file(&mut self, path: &str) -> FileId {
        if let Some(&id) = self.file_ids.get(path) {
            return id;
        }
        let id = self.files.len() as FileId;
        self.files.push(FileEntry {
            path: path.to_owned(),
            loads: 0,
            live: Vec::new(),
            recent_collected: VecDeque::new(),
            folded_collected: None,
            current: None,
            old_version_holders: Vec::new(),
        });
        self.file_ids.insert(path.to_owned(), id);
        id
    }

    fn add_edge(&mut self, parent: NodeId, child: NodeId) {
        if !self.is_live(parent) || !self.is_live(child) {
            self.ignored_events += 1;
            return;
        }
        if !self.edges.insert((parent, child)) {
            return;
        }
        if let Some(p) = self.node_mut_checked(parent) {
            p.importees.push(child);
        }
        if let Some(c) = self.node_mut_checked(child) {
            c.importers.push(parent);
        }
    }

    fn remove_edge(&mut self, parent: NodeId, child: NodeId) {
        if !self.edges.remove(&(parent, child)) {
            return;
        }
        if let Some(p) = self.node_mut_checked(parent) {
            remove_value(&mut p.importees, child);
        }
        if let Some(c) = self.node_mut_checked(child) {
            remove_value(&mut c.importers, parent);
        }
        self.remember_old_version_holder(parent, child);
    }

    /// A current instance whose edge to an old generation is cut keeps what it took from it.
    fn remember_old_version_holder(&mut self, parent: NodeId, child: NodeId) {
        let (Some(p), Some(c)) = (self.node(parent), self.node(child)) else {
            return;
        };
        if p.state != GenerationState::Current || c.state != GenerationState::Old {
            return;
        }
        let file = c.file as usize;
        // Holders cleared since are dropped here, so the list stays as short as what is current.
        let mut holders: Vec<NodeId> = self.files[file]
            .old_version_holders
            .iter()
            .copied()
            .filter(|&holder| holder != parent && self.is_current(holder))
            .collect();
        holders.push(parent);
        self.files[file].old_version_holders = holders;
    }

    fn retire(&mut self, node: NodeId, at: f64, gc_count: f64) {
        let Some(entry) = self.node_mut_checked(node) else {
            self.ignored_events += 1;
            return;
        };
        if entry.state != GenerationState::Current || entry.requirer {
            return;
        }
        entry.state = GenerationState::Old;
        entry.retired_at = at;
        entry.gc_count_at_retire = gc_count;
        let file = entry.file as usize;
        if self.files[file].current == Some(node) {
            self.files[file].current = None;
        }
    }

    fn set_parent(&mut self, child: NodeId, parent: Option<NodeId>) {
        let parent = parent.filter(|&p| self.node(p).is_some());
        match self.node_mut_checked(child) {
            Some(node) => node.first_parent = parent.unwrap_or(NO_NODE),
            None => self.ignored_events += 1,
        }
    }

    /// What `module.parent` of `node` names, as far as the graph knows.
    pub fn first_parent_of(&self, node: NodeId) -> Option<NodeId> {
        self.node(node)
            .map(|n| n.first_parent)
            .filter(|&p| p != NO_NODE)
    }

    /// Forgets a collected instance: its edges go (a collected instance references nothing) and
    /// it leaves one row in its file's table.
    fn collect(&mut self, node: NodeId) {
        let Some(entry) = self.nodes.remove(&node) else {
            self.ignored_events += 1;
            return;
        };
        let file = &mut self.files[entry.file as usize];
        // A current instance can only be collected if its cache entry was replaced behind our
        // back; it is gone either way.
        if file.current == Some(node) {
            file.current = None;
        }
        if !entry.requirer {
            remove_value(&mut file.live, node);
            file.record_collected(GenerationInfo {
                state: GenerationState::Collected,
                ..GenerationInfo::of(&entry)
            });
        }
        for child in entry.importees {
            self.edges.remove(&(node, child));
            if let Some(child_node) = self.node_mut_checked(child) {
                remove_value(&mut child_node.importers, node);
            }
        }
        for parent in entry.importers {
            self.edges.remove(&(parent, node));
            if let Some(parent_node) = self.node_mut_checked(parent) {
                remove_value(&mut parent_node.importees, node);
            }
        }
    }

    /// The instance `require.cache` holds for `path`, as far as the graph knows.
    pub fn current(&self, path: &str) -> Option<NodeId> {
        let file = *self.file_ids.get(path)?;
        self.files[file as usize].current
    }

    /// The file an instance not yet collected was loaded from.
    pub fn file_of(&self, node: NodeId) -> Option<&str> {
        self.node(node)
            .map(|n| self.files[n.file as usize].path.as_str())
    }

    /// The state of an instance not yet collected (`None` once collected: the graph keeps only
    /// a row in its file's table).
    pub fn state_of(&self, node: NodeId) -> Option<GenerationState> {
        self.node(node).map(|n| n.state)
    }

    /// Instances that list `node` in their `children`.
    pub fn importers_of(&self, node: NodeId) -> &[NodeId] {
        self.node(node).map_or(&[], |n| &n.importers)
    }

    /// Instances that may still use an older live (old, not yet collected) version of `node`'s
    /// file: importers of those versions, and current instances whose edge to one was cut
    /// while they stayed (a package left on its version by a reload).
    pub fn holders_of_older_versions(&self, node: NodeId) -> Vec<NodeId> {
        let Some(this) = self.node(node) else {
            return Vec::new();
        };
        let file = &self.files[this.file as usize];
        let older: Vec<&Node> = file
            .live
            .iter()
            .filter(|&&other| other != node)
            .filter_map(|&other| self.node(other))
            .filter(|other| other.state == GenerationState::Old)
            .collect();
        if older.is_empty() {
            return Vec::new();
        }
        let mut holders: Vec<NodeId> = older
            .iter()
            .flat_map(|other| other.importers.iter().copied())
            .collect();
        holders.extend(file.old_version_holders.iter().copied());
        holders
    }

    /// Instances `node` lists in its `children`.
    pub fn importees_of(&self, node: NodeId) -> &[NodeId] {
        self.node(node).map_or(&[], |n| &n.importees)
    }

    /// Every generation of `path` by generation number; collected ones older than the newest
    /// [`COLLECTED_ROWS_KEPT`] collected are folded into one row (at its first generation, with
    /// their count). Empty for a file never seen.
    pub fn generations(&self, path: &str) -> Vec<GenerationInfo> {
        let Some(&file) = self.file_ids.get(path) else {
            return Vec::new();
        };
        let file = &self.files[file as usize];
        let mut rows: Vec<GenerationInfo> = file
            .live
            .iter()
            .filter_map(|&id| self.node(id))
            .map(GenerationInfo::of)
            .chain(file.folded_collected.iter().cloned())
            .chain(file.recent_collected.iter().cloned())
            .collect();
        rows.sort_by_key(|row| row.generation);
        rows
    }

    /// Old generations that are still alive, oldest retirement first.
    pub fn stale(&self, now: f64, gc_count: f64) -> Vec<StaleInfo> {
        let mut stale: Vec<(f64, StaleInfo)> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.state == GenerationState::Old)
            .map(|(&node, n)| {
                let survived = if n.gc_count_at_retire.is_nan() {
                    0.0
                } else {
                    (gc_count - n.gc_count_at_retire).max(0.0)
                };
                let info = StaleInfo {
                    node,
                    file: self.files[n.file as usize].path.clone(),
                    generation: n.generation,
                    age_ms: (now - n.retired_at).max(0.0),
                    gcs_survived: survived,
                };
                (n.retired_at, info)
            })
            .collect();
        stale.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.node.cmp(&b.1.node)));
        stale.into_iter().map(|(_, info)| info).collect()
    }

    /// The generation number of instance `id`, or `None` for an id the graph does not know (not
    /// ingested yet, a requirer, or collected).
    pub fn generation_of(&self, id: NodeId) -> Option<u32> {
        self.node(id).filter(|n| !n.requirer).map(|n| n.generation)
    }

    /// Size counters.
    pub fn stats(&self) -> GraphStats {
        GraphStats {
            files: self.files.len(),
            live_nodes: self.nodes.len(),
            edges: self.edges.len(),
            ignored_events: self.ignored_events,
        }
    }

    fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(&id)
    }

    fn node_mut_checked(&mut self, id: NodeId) -> Option<&mut Node> {
        self.nodes.get_mut(&id)
    }

    fn is_live(&self, id: NodeId) -> bool {
        self.nodes.contains_key(&id)
    }

    /// Whether `id` is a requirer (see [`Event::Requirer`]).
    pub fn is_requirer(&self, id: NodeId) -> bool {
        self.node(id).is_some_and(|n| n.requirer)
    }

    fn is_current(&self, id: NodeId) -> bool {
        self.node(id)
            .is_some_and(|n| n.state == GenerationState::Current)
    }
}

impl FileEntry {
    /// Keeps the newest collected rows one by one, folding the oldest into one counted row.
    fn record_collected(&mut self, row: GenerationInfo) {
        let at = self
            .recent_collected
            .partition_point(|kept| kept.generation < row.generation);
        self.recent_collected.insert(at, row);
        if self.recent_collected.len() <= COLLECTED_ROWS_KEPT {
            return;
        }
        let Some(oldest) = self.recent_collected.pop_front() else {
            return;
        };
        match &mut self.folded_collected {
            Some(folded) => {
                folded.count += 1;
                if oldest.generation < folded.generation {
                    folded.generation = oldest.generation;
                    folded.loaded_at = oldest.loaded_at;
                }
            }
            None => self.folded_collected = Some(oldest),
        }
    }
}

fn remove_value(list: &mut Vec<NodeId>, value: NodeId) {
    if let Some(pos) = list.iter().position(|&v| v == value) {
        list.remove(pos);
    }
}

#[cfg(test)]
mod tests;
