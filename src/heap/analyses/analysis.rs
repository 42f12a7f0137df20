//! The full DevTools analysis of a [`HeapGraph`]: retainers, essential edges, shallow-size
//! reassignment, dominator tree, retained sizes, class names and class aggregates.
//!
//! The essential edges use all threads; the dominator computation (mostly sequential) runs
//! next to class naming, shallow sizes and class counting; retained sizes next to the
//! dominator tree's children lists. The reverse edge index is only built when asked for.

#![deny(missing_docs)]

use crate::heap::analyses::aggregate::{
    class_aggregates, count_classes, ClassAggregate, ClassCounts, TreeInputs,
};
use crate::heap::analyses::classes::{node_classes, ClassNames};
use crate::heap::analyses::dominators::{dominated_nodes, dominators_beside, retained_sizes};
use crate::heap::analyses::essential::{essential_edges_counted, page_owned_counted, WeakMapNames};
use crate::heap::analyses::retainers::Retainers;
use crate::heap::analyses::shallow::shallow_sizes;
use crate::heap::graph::bits::{BitVec, SizeColumn};
use crate::heap::graph::{EdgeIndex, HeapGraph, NodeIndex};
use crate::heap::progress::{Phase, Progress, Ticker};
use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long each analysis phase took (wall time of each phase; some run side by side, so the
/// sum exceeds `total`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AnalysisTimings {
    /// Reverse edge index: zero, it is built on demand (see
    /// [`HeapAnalysis::retainers`]); kept for the callers that print it.
    pub retainers: Duration,
    /// Page-owned flags, WeakMap edge names and the essential-edge bits (class naming runs
    /// next to the first two).
    pub essential_edges: Duration,
    /// Shallow-size reassignment (next to the dominators).
    pub shallow_sizes: Duration,
    /// The dominator tree (DFS and Semi-NCA).
    pub dominators: Duration,
    /// Retained sizes and the dominator tree's children lists.
    pub retained: Duration,
    /// Class names, including plain-object interface inference (next to the page-owned
    /// flags).
    pub classes: Duration,
    /// Class aggregates: counting (next to the dominators) and retained sizes.
    pub aggregates: Duration,
    /// Wall time of the whole analysis.
    pub total: Duration,
}

/// Counts of nodes the dominator pass could not reach normally (see
/// [`Dominators`](crate::heap::analyses::dominators::Dominators)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reachability {
    /// Nodes not reachable from the root over essential edges.
    pub unreachable_from_root: u32,
    /// Of those, nodes not reachable from an orphan either (attached straight to the root).
    pub unreachable_from_orphans: u32,
}

/// Results of analysing a graph. Holds no reference to it: methods that need names take the
/// graph again.
#[derive(Debug, Clone)]
pub struct HeapAnalysis {
    /// Built on the first call of [`HeapAnalysis::retainers`]: no analysis result needs it.
    retainers: OnceLock<Retainers>,
    essential: BitVec,
    page_owned: BitVec,
    self_sizes: SizeColumn,
    idom: Vec<NodeIndex>,
    retained: Vec<u64>,
    dominated_first: Vec<u32>,
    dominated: Vec<NodeIndex>,
    classes: Vec<u32>,
    class_names: ClassNames,
    aggregates: Vec<ClassAggregate>,
    reachability: Reachability,
    total_size: u64,
    timings: AnalysisTimings,
}

impl HeapGraph {
    /// Runs the full analysis ([`HeapAnalysis::new`]).
    pub fn analyze(&self) -> HeapAnalysis {
        HeapAnalysis::new(self)
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let value = f();
    (value, started.elapsed())
}

impl HeapAnalysis {
    /// Runs every phase. The sequential parts run next to independent work: the page-owned
    /// flags next to the WeakMap names and class naming, the dominators' semidominator loop
    /// next to shallow sizes and class counting; the other phases use all threads themselves.
    pub fn new(graph: &HeapGraph) -> HeapAnalysis {
        HeapAnalysis::run(graph, None)
    }

    /// [`HeapAnalysis::new`], reporting to `progress` as the job's file `file`: the phases
    /// [`Phase::Essential`], [`Phase::Dominators`] and [`Phase::Retained`], each with its
    /// total and about a hundred advances.
    pub fn with_progress(graph: &HeapGraph, progress: &Progress, file: u32) -> HeapAnalysis {
        HeapAnalysis::run(graph, Some((progress, file)))
    }

    fn run(graph: &HeapGraph, report: Option<(&Progress, u32)>) -> HeapAnalysis {
        let started = Instant::now();
        let progress = report.map(|(p, _)| p);
        let (n, m) = (graph.node_count() as u64, graph.edge_count() as u64);
        let enter = |phase: Phase, total: u64| {
            if let Some((p, file)) = report {
                p.start(phase, file, total);
            }
        };
        let mut t = AnalysisTimings::default();
        enter(Phase::Essential, n + m);
        let ((page_owned, essential, ((classes, names), t_classes)), t_ess) =
            timed(|| essential_phase(graph, progress));
        t.essential_edges = t_ess;
        enter(Phase::Dominators, 2 * n);
        let ((doms, side), t_dom) = timed(|| {
            dominators_beside(
                graph,
                &essential,
                progress,
                || (),
                |()| class_side(graph, classes, names),
            )
        });
        t.dominators = t_dom;
        (t.classes, t.shallow_sizes) = (t_classes, side.t_shallow);
        // Retained sizes, then the class aggregates' walk: a node count each.
        enter(Phase::Retained, 2 * n);
        let ((retained, (dominated_first, dominated)), t_retained) = timed(|| {
            rayon::join(
                || retained_sizes(&side.self_sizes, &doms, Ticker::new(progress, 2 * n)),
                || dominated_nodes(&doms.idom, graph.root()),
            )
        });
        t.retained = t_retained;
        let tree = TreeInputs {
            root: graph.root(),
            self_sizes: &side.self_sizes,
            retained: &retained,
            dominated_first: &dominated_first,
            dominated: &dominated,
        };
        let ticker = Ticker::new(progress, 2 * n);
        let (aggregates, t_agg) = timed(|| class_aggregates(side.counts, &tree, ticker));
        t.aggregates = side.t_counts + t_agg;
        t.total = started.elapsed();
        HeapAnalysis {
            total_size: retained[graph.root() as usize] + graph.extra_native_bytes(),
            reachability: Reachability {
                unreachable_from_root: doms.unreachable_from_root,
                unreachable_from_orphans: doms.unreachable_from_orphans,
            },
            idom: doms.idom,
            retainers: OnceLock::new(),
            essential,
            page_owned,
            self_sizes: side.self_sizes,
            retained,
            dominated_first,
            dominated,
            classes: side.classes,
            class_names: side.names,
            aggregates,
            timings: t,
        }
    }

    /// Retained size of node `n`: the bytes freed if it were collected.
    #[inline]
    pub fn retained_size(&self, n: NodeIndex) -> u64 {
        self.retained[n as usize]
    }

    /// All retained sizes, by node ordinal.
    pub fn retained_sizes(&self) -> &[u64] {
        &self.retained
    }

    /// Immediate dominator of node `n` (the root is its own).
    #[inline]
    pub fn dominator(&self, n: NodeIndex) -> NodeIndex {
        self.idom[n as usize]
    }

    /// Nodes immediately dominated by `n` (its children in the dominator tree).
    pub fn dominated(&self, n: NodeIndex) -> &[NodeIndex] {
        let from = self.dominated_first[n as usize] as usize;
        let to = self.dominated_first[n as usize + 1] as usize;
        &self.dominated[from..to]
    }

    /// Node `n`'s self size after DevTools' shallow-size reassignment (what DevTools shows).
    #[inline]
    pub fn self_size(&self, n: NodeIndex) -> u64 {
        self.self_sizes.get(n as usize)
    }

    /// The reverse edge index of `graph` (the graph this analysis was made from), built on the
    /// first call.
    pub fn retainers(&self, graph: &HeapGraph) -> &Retainers {
        self.retainers
            .get_or_init(|| Retainers::build(graph, &self.essential))
    }

    /// Whether edge `e` counts for dominators.
    #[inline]
    pub fn is_essential(&self, e: EdgeIndex) -> bool {
        self.essential.get(e as usize)
    }

    /// Whether node `n` is page-owned (reachable from the user globals without weak edges).
    pub fn is_page_owned(&self, n: NodeIndex) -> bool {
        self.page_owned.get(n as usize)
    }

    /// Node `n`'s class id.
    pub fn class_of(&self, n: NodeIndex) -> u32 {
        self.classes[n as usize]
    }

    /// Node `n`'s name as DevTools shows it in lists and retainer paths: its own name, with a
    /// `Detached ` prefix for a detached DOM node (DevTools renames those while propagating
    /// the DOM state).
    pub fn node_name<'a>(&self, graph: &'a HeapGraph, n: NodeIndex) -> Cow<'a, str> {
        self.class_names.node_name(graph, n)
    }

    /// Whether native node `n` is a detached DOM node (see [`HeapAnalysis::node_name`]).
    pub fn is_detached(&self, n: NodeIndex) -> bool {
        self.class_names.is_detached(n)
    }

    /// Node `n`'s class name (`Foo`, `{a, b}`, `(system)`, ...).
    pub fn class_name<'a>(&'a self, graph: &'a HeapGraph, n: NodeIndex) -> &'a str {
        self.class_names.name(graph, self.classes[n as usize])
    }

    /// The class aggregates, in DevTools' order. Two entries can share a key when a node's
    /// own name equals a name DevTools adds (an object named `RegExp` next to `regexp` nodes);
    /// DevTools' keyed view keeps only the later one.
    pub fn class_aggregates(&self) -> &[ClassAggregate] {
        &self.aggregates
    }

    /// DevTools' total size: the root's retained size plus `extra_native_bytes`.
    pub fn total_size(&self) -> u64 {
        self.total_size
    }

    /// Nodes the dominator pass could not reach from the root.
    pub fn reachability(&self) -> Reachability {
        self.reachability
    }

    /// How long each phase took.
    pub fn timings(&self) -> AnalysisTimings {
        self.timings
    }

    /// Heap bytes held by the results.
    pub fn heap_bytes(&self) -> usize {
        self.retainers.get().map_or(0, Retainers::heap_bytes)
            + self.essential.heap_bytes()
            + self.page_owned.heap_bytes()
            + self.self_sizes.heap_bytes()
            + (self.idom.capacity() + self.dominated_first.capacity() + self.dominated.capacity())
                * 4
            + self.retained.capacity() * 8
            + self.classes.capacity() * 4
    }
}

/// What runs next to the semidominator loop.
struct ClassSide {
    classes: Vec<u32>,
    names: ClassNames,
    self_sizes: SizeColumn,
    counts: ClassCounts,
    t_shallow: Duration,
    t_counts: Duration,
}

/// Shallow sizes, then the class counts (which need them and the classes).
fn class_side(graph: &HeapGraph, classes: Vec<u32>, names: ClassNames) -> ClassSide {
    let (self_sizes, t_shallow) = timed(|| shallow_sizes(graph));
    let (counts, t_counts) = timed(|| count_classes(graph, &classes, &names, &self_sizes));
    ClassSide {
        classes,
        names,
        self_sizes,
        counts,
        t_shallow,
        t_counts,
    }
}

/// Node classes (and the time they took).
type Classes = ((Vec<u32>, ClassNames), Duration);

/// Page-owned flags next to the WeakMap edge names and the class names, then the
/// essential-edge bits (reporting nodes walked and edges classified to `progress`).
fn essential_phase(graph: &HeapGraph, progress: Option<&Progress>) -> (BitVec, BitVec, Classes) {
    let total = (graph.node_count() + graph.edge_count()) as u64;
    let (owned, (weakmaps, classes)) = rayon::join(
        || page_owned_counted(graph, progress, total),
        || (WeakMapNames::find(graph), timed(|| node_classes(graph))),
    );
    let essential = essential_edges_counted(graph, &owned, &weakmaps, progress);
    (owned, essential, classes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::analyses::dominators::dominators_beside;
    use crate::heap::testsnap::Snap;

    /// A global holding a chain of `len` objects, each with a string.
    fn chain(len: usize) -> HeapGraph {
        let (mut s, global) = Snap::with_global();
        let mut prev = global;
        for i in 0..len {
            let next = s.node("object", "Link", 24);
            s.edge(prev, "property", "next", next);
            let text = s.node("string", &format!("s{i}"), 16);
            s.edge(next, "property", "text", text);
            prev = next;
        }
        s.load()
    }

    #[test]
    fn each_analysis_phase_reports_exactly_its_total() {
        let graph = chain(5000);
        let (n, m) = (graph.node_count() as u64, graph.edge_count() as u64);
        let progress = Progress::new(3);
        let plain = HeapAnalysis::new(&graph);
        let counted = HeapAnalysis::with_progress(&graph, &progress, 3);
        let s = progress.state();
        assert_eq!(
            (s.phase, s.file, s.done, s.total),
            (Phase::Retained, 3, 2 * n, 2 * n)
        );
        assert_eq!(counted.retained_sizes(), plain.retained_sizes());

        // The earlier phases, one at a time.
        let essential = Progress::new(1);
        let (owned, _, _) = essential_phase(&graph, Some(&essential));
        assert_eq!(essential.state().done, n + m);
        let bits = essential_edges_counted(&graph, &owned, &WeakMapNames::find(&graph), None);
        let doms = Progress::new(1);
        let (tree, ()) = dominators_beside(&graph, &bits, Some(&doms), || (), |()| ());
        assert_eq!(doms.state().done, 2 * n);
        assert_eq!(
            tree.idom,
            (0..n as u32)
                .map(|v| plain.dominator(v))
                .collect::<Vec<_>>()
        );
    }
}
