//! What holds a stale generation, read off its retainer path.
//!
//! The rules are tried in this order; the first that matches wins, so the narrower ones
//! (a single named edge) come before the broader ones (anything under a package or another
//! module). Each names the culprit step (the edge to change) and the object responsible:
//!
//! 1. `last-parent`: an edge naming Node's last-parent record (`node:module_last_parent`,
//!    `kLastModuleParent`, Node >= 22): a module the old generation required remembers it as
//!    its last requirer. Culprit: that edge; holder: the module whose record it is.
//! 2. `first-parent`: an edge naming the first-parent record (`node:module_parent` on Node 20,
//!    `node:module_first_parent` on Node >= 22, i.e. `module.parent`), which modswap re-points;
//!    seeing it means a parent modswap did not know. Culprit and holder as for `last-parent`.
//! 3. `children`: a `Module`'s `children` array whose element is a marked old `Module` (a
//!    second parent modswap does not know). Culprit: the `children` edge; holder: that module.
//! 4. `listener`: an `_events` edge (an EventEmitter's listeners). Culprit: the event's edge
//!    out of `_events` (the event name); holder: the emitter, `on_process` when it is
//!    `process`. The last `_events` on the path counts.
//! 5. `timer`: a `Timeout` or `Immediate` object (else a `TimersList` / `ImmediateList`) on
//!    the path. Culprit: the edge out of the last one (`_onTimeout`, `_onImmediate`, …);
//!    holder: the timer.
//! 6. `package`: a `Module` whose file, or a closure whose script, is under `node_modules`.
//!    Culprit: the edge out of the last node the package owns (its `Module`, that module's
//!    `exports`, its closures and their contexts: `cache` for a package's module-level
//!    `const cache = []`); holder: the last package `Module` on the path, else the last
//!    package closure. An app module after it on the path (rule 7) holds more closely.
//! 7. `captured-exports`: a current (unmarked) `Module` of another file, else a closure whose
//!    script is another file of the app (not `node:` internals): a module that was not
//!    reloaded holds the old value (`const { fn } = require('./x')` at its top level).
//!    Culprit: the last `context` edge after it (the captured variable), else the edge out of
//!    it; holder: that module (the last one on the path), else that closure.
//! 8. `other`: culprit: the last edge (into the held value); holder: its source.

#![deny(missing_docs)]

use crate::heap::analyses::explain::{module_file, HeldIndex};
use crate::heap::analyses::paths::PathStep;
use crate::heap::graph::{EdgeKind, EdgeName, HeapGraph, NodeIndex, NodeKind};

/// The kinds of holders, in rule order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HolderKind {
    /// Node's last-parent record of a module the old generation required (Node >= 22).
    LastParent,
    /// A module's first-parent record (`module.parent`).
    FirstParent,
    /// A `Module`'s `children` array.
    Children,
    /// An EventEmitter listener.
    Listener,
    /// A timer (`setTimeout`, `setInterval`, `setImmediate`).
    Timer,
    /// Something of a package under `node_modules`.
    Package,
    /// A module that was not reloaded (its exports or a closure's context).
    CapturedExports,
    /// None of the above.
    Other,
}

impl HolderKind {
    /// The kind's name in results.
    pub fn name(self) -> &'static str {
        match self {
            HolderKind::LastParent => "last-parent",
            HolderKind::FirstParent => "first-parent",
            HolderKind::Children => "children",
            HolderKind::Listener => "listener",
            HolderKind::Timer => "timer",
            HolderKind::Package => "package",
            HolderKind::CapturedExports => "captured-exports",
            HolderKind::Other => "other",
        }
    }
}

/// What holds a generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    /// Which rule matched.
    pub kind: HolderKind,
    /// Index into the path of the culprit step (its edge is the reference to change).
    pub step: usize,
    /// The object responsible (the emitter, the timer, the module, …); `None` for the root.
    pub node: Option<NodeIndex>,
    /// A listener on `process`.
    pub on_process: bool,
}

/// What the rules need to know about a snapshot's nodes.
pub(crate) struct PathFacts<'g> {
    graph: &'g HeapGraph,
    held: &'g HeldIndex,
}

impl<'g> PathFacts<'g> {
    pub(crate) fn new(graph: &'g HeapGraph, held: &'g HeldIndex) -> Self {
        PathFacts { graph, held }
    }

    fn edge_name(&self, step: &PathStep) -> &'g str {
        match self.graph.edge_name(step.edge) {
            EdgeName::Name(name) => name,
            EdgeName::Index(_) => "",
        }
    }

    fn is_object_named(&self, n: NodeIndex, names: &[&str]) -> bool {
        self.graph.node_kind(n) == NodeKind::Object && names.contains(&self.graph.node_name(n))
    }

    fn is_old_module(&self, n: NodeIndex) -> bool {
        self.held
            .get(n)
            .is_some_and(|m| m.role == crate::heap::analyses::explain::Role::Module)
    }

    /// The script a closure was compiled from (`shared` → `script_or_debug_info`/`script`).
    fn closure_script(&self, n: NodeIndex) -> Option<&'g str> {
        let g = self.graph;
        if g.node_kind(n) != NodeKind::Closure {
            return None;
        }
        let shared = self.internal_target(n, |name| name == "shared")?;
        let script = self.internal_target(shared, |name| name.starts_with("script"))?;
        Some(g.node_name(script)).filter(|name| !name.is_empty())
    }

    fn internal_target(&self, n: NodeIndex, wanted: impl Fn(&str) -> bool) -> Option<NodeIndex> {
        let g = self.graph;
        g.edges(n).find_map(|e| match g.edge_name(e) {
            EdgeName::Name(name) if g.edge_kind(e) == EdgeKind::Internal && wanted(name) => {
                Some(g.edge_target(e))
            }
            _ => None,
        })
    }
}

/// One rule: the holder it finds on a path to a value of the generation of a file.
type Rule = fn(&PathFacts, &str, &[PathStep]) -> Option<Holder>;

/// Classifies the path to a value of the generation of `file`.
pub(crate) fn classify(facts: &PathFacts, file: &str, path: &[PathStep]) -> Holder {
    let rules: [Rule; 7] = [
        last_parent,
        first_parent,
        children,
        listener,
        timer,
        package,
        captured_exports,
    ];
    rules
        .iter()
        .find_map(|rule| rule(facts, file, path))
        .unwrap_or_else(|| {
            let step = path.len().saturating_sub(1);
            holder(HolderKind::Other, step, source(path, step))
        })
}

fn holder(kind: HolderKind, step: usize, node: Option<NodeIndex>) -> Holder {
    Holder {
        kind,
        step,
        node,
        on_process: false,
    }
}

/// The node step `i`'s edge starts from; `None` for the root.
fn source(path: &[PathStep], i: usize) -> Option<NodeIndex> {
    i.checked_sub(1).map(|before| path[before].node)
}

/// The step after `i`, or `i` itself at the end of the path.
fn after(path: &[PathStep], i: usize) -> usize {
    (i + 1).min(path.len().saturating_sub(1))
}

fn parent_record(path: &[PathStep], facts: &PathFacts, names: &[&str]) -> Option<usize> {
    path.iter()
        .rposition(|s| names.iter().any(|n| facts.edge_name(s).contains(n)))
}

fn last_parent(facts: &PathFacts, _: &str, path: &[PathStep]) -> Option<Holder> {
    let i = parent_record(path, facts, &["module_last_parent", "kLastModuleParent"])?;
    Some(holder(HolderKind::LastParent, i, source(path, i)))
}

fn first_parent(facts: &PathFacts, _: &str, path: &[PathStep]) -> Option<Holder> {
    let names = [
        "node:module_parent",
        "module_first_parent",
        "kModuleParent",
        "kFirstModuleParent",
    ];
    let i = parent_record(path, facts, &names)?;
    Some(holder(HolderKind::FirstParent, i, source(path, i)))
}

fn children(facts: &PathFacts, _: &str, path: &[PathStep]) -> Option<Holder> {
    let i = (0..path.len().saturating_sub(1)).rev().find(|&i| {
        let parent = source(path, i);
        facts.edge_name(&path[i]) == "children"
            && parent.is_some_and(|p| facts.is_object_named(p, &["Module"]))
            && facts.is_old_module(path[i + 1].node)
    })?;
    Some(holder(HolderKind::Children, i, source(path, i)))
}

fn listener(facts: &PathFacts, _: &str, path: &[PathStep]) -> Option<Holder> {
    let i = path.iter().rposition(|s| {
        facts.graph.edge_kind(s.edge) == EdgeKind::Property && facts.edge_name(s) == "_events"
    })?;
    let emitter = source(path, i);
    let on_process = emitter.is_some_and(|e| facts.is_object_named(e, &["process"]));
    Some(Holder {
        on_process,
        ..holder(HolderKind::Listener, after(path, i), emitter)
    })
}

fn timer(facts: &PathFacts, _: &str, path: &[PathStep]) -> Option<Holder> {
    let at = |names: &[&str]| {
        path.iter()
            .rposition(|s| facts.is_object_named(s.node, names))
    };
    let i = at(&["Timeout", "Immediate"]).or_else(|| at(&["TimersList", "ImmediateList"]))?;
    Some(holder(
        HolderKind::Timer,
        after(path, i),
        Some(path[i].node),
    ))
}

fn is_package_file(file: &str) -> bool {
    file.contains("/node_modules/") || file.contains("\\node_modules\\")
}

/// Whether node `n` (reached by step `i`) belongs to a package: its Module, the Module's
/// `exports`, its closures and their contexts.
fn package_owned(facts: &PathFacts, path: &[PathStep], i: usize) -> bool {
    let n = path[i].node;
    if module_file(facts.graph, n).is_some_and(|f| is_package_file(&f))
        || facts.closure_script(n).is_some_and(is_package_file)
    {
        return true;
    }
    let Some(owner) = source(path, i) else {
        return false;
    };
    let via = facts.edge_name(&path[i]);
    let owner_is_package_module =
        module_file(facts.graph, owner).is_some_and(|f| is_package_file(&f));
    let owner_is_package_closure = facts.closure_script(owner).is_some_and(is_package_file);
    (via == "exports" && owner_is_package_module) || (via == "context" && owner_is_package_closure)
}

fn package(facts: &PathFacts, file: &str, path: &[PathStep]) -> Option<Holder> {
    let last = (0..path.len())
        .rev()
        .find(|&i| package_owned(facts, path, i))?;
    // An app module reached through the package (its `children`, say) holds it more closely.
    if captured_owner(facts, file, path).is_some_and(|owner| owner > last) {
        return None;
    }
    let nodes = || (0..=last).rev().map(|i| path[i].node);
    let owner = nodes()
        .find(|&n| module_file(facts.graph, n).is_some_and(|f| is_package_file(&f)))
        .or_else(|| nodes().find(|&n| facts.closure_script(n).is_some_and(is_package_file)));
    Some(holder(HolderKind::Package, after(path, last), owner))
}

/// The step of the last current module of another app file on the path, else of the last
/// closure of another app file.
fn captured_owner(facts: &PathFacts, file: &str, path: &[PathStep]) -> Option<usize> {
    let g = facts.graph;
    let app_file = |f: &str| f != file && !is_package_file(f);
    let other_module = |n: NodeIndex| {
        !facts.held.values.contains_key(&n) && module_file(g, n).is_some_and(|f| app_file(&f))
    };
    let app_closure = |n: NodeIndex| {
        facts
            .closure_script(n)
            .is_some_and(|s| app_file(s) && !s.starts_with("node:") && s.contains(['/', '\\']))
    };
    path.iter()
        .rposition(|s| other_module(s.node))
        .or_else(|| path.iter().rposition(|s| app_closure(s.node)))
}

fn captured_exports(facts: &PathFacts, file: &str, path: &[PathStep]) -> Option<Holder> {
    let owner = captured_owner(facts, file, path)?;
    let captured = (owner + 1..path.len())
        .rev()
        .find(|&i| facts.graph.edge_kind(path[i].edge) == EdgeKind::Context);
    let step = captured.unwrap_or_else(|| after(path, owner));
    Some(holder(
        HolderKind::CapturedExports,
        step,
        Some(path[owner].node),
    ))
}
