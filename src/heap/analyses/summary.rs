//! The plain-data result of one analysis, as `modswap.heap.analyze` returns it: totals, the
//! class aggregates and the nodes that retain the most, largest first.

use crate::heap::analyses::analysis::HeapAnalysis;
use crate::heap::analyses::paths::{PathStep, RetainerTree};
use crate::heap::analyses::scripts::ScriptNames;
use crate::heap::analyses::suspects::{find_suspects, SuspectRules};
use crate::heap::graph::{EdgeName, HeapGraph, NodeIndex, NodeKind};

/// One node, described for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    /// V8's object id (stable across snapshots of one process).
    pub id: u32,
    /// The name DevTools shows: the node's name, `Detached <div>` for a detached DOM node.
    pub name: String,
    /// V8's node type (`object`, `closure`, `array`, …).
    pub kind: String,
    pub self_size: u64,
    pub retained_size: u64,
}

/// One step of a retainer path: the edge from the previous step's node (from the root for
/// the first step) and the node it leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    /// The edge's name, or its index as decimal digits for `element` and `hidden` edges.
    pub edge: String,
    /// V8's edge type (`property`, `element`, `context`, `internal`, …).
    pub edge_type: String,
    pub node: NodeRow,
}

/// A node retaining an outsized share of the heap (see [`crate::heap::analyses::suspects`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SuspectRow {
    pub node: NodeRow,
    /// Its retained size over the total size.
    pub share: f64,
    /// Where its memory is spread over many objects, when not the node itself.
    pub accumulated_in: Option<NodeRow>,
    /// Its shortest retainer path from the root (empty when none exists).
    pub path: Vec<StepRow>,
}

/// One class of the Summary view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassRow {
    pub name: String,
    /// Where the class's constructor is defined: DevTools keys the classes of objects with a
    /// location by it, so two classes with one name (Node's `Module` and an app's) are two
    /// rows told apart by their locations.
    pub location: Option<ClassLocation>,
    pub count: u64,
    pub self_size: u64,
    pub retained_size: u64,
}

/// A class constructor's place in its script.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClassLocation {
    /// The script's name (a file path, a URL, `node:internal/…`), when the snapshot links its
    /// id to one (see [`crate::heap::analyses::scripts`]).
    pub script: Option<String>,
    /// V8's script id.
    pub script_id: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// Totals, classes by retained size and the top retainers of one snapshot.
#[derive(Debug, Clone)]
pub struct AnalysisSummary {
    pub node_count: u64,
    pub edge_count: u64,
    /// Bytes retained by the root (DevTools' "Total").
    pub total_size: u64,
    /// Nodes the dominator pass reached only through non-essential edges or not at all.
    pub unreachable_nodes: u64,
    /// Every class, largest retained size first.
    pub classes: Vec<ClassRow>,
    /// The `top` nodes with the largest retained sizes, root and synthetic nodes left out.
    pub dominators: Vec<NodeRow>,
    /// Leak suspects with their retainer paths, largest first.
    pub suspects: Vec<SuspectRow>,
    /// Retainer paths of the nodes asked for by id: `None` when no node has the id, an empty
    /// path when only weak edges (or none) lead to it.
    pub paths: Vec<(u32, Option<Vec<StepRow>>)>,
    /// Phase name and milliseconds, in the order they ran.
    pub timings_ms: Vec<(&'static str, f64)>,
}

/// What to put in a summary besides totals and classes.
#[derive(Debug, Clone, Default)]
pub struct SummaryRequest {
    /// How many of the largest retainers to list.
    pub top: usize,
    /// Node ids whose retainer paths to include.
    pub path_ids: Vec<u32>,
}

/// Summarises `analysis` of `graph`: classes, the largest retainers, suspects and the
/// requested retainer paths.
pub fn summarize(
    graph: &HeapGraph,
    analysis: &HeapAnalysis,
    request: &SummaryRequest,
) -> AnalysisSummary {
    let suspects = find_suspects(graph, analysis, SuspectRules::default());
    let path_nodes: Vec<(u32, Option<NodeIndex>)> = request
        .path_ids
        .iter()
        .map(|&id| (id, graph.find_node_by_id(id)))
        .collect();
    let mut wanted: Vec<NodeIndex> = suspects.iter().map(|s| s.node).collect();
    wanted.extend(path_nodes.iter().filter_map(|&(_, n)| n));
    // The BFS stops once every wanted node is reached; with nothing wanted there is no path
    // to read, so it is not run at all.
    let tree = (!wanted.is_empty()).then(|| RetainerTree::build_until(graph, &wanted));
    let path_of = |n: NodeIndex| {
        tree.as_ref()
            .and_then(|t| t.path_to(graph, n))
            .map(|p| step_rows(graph, analysis, &p))
            .unwrap_or_default()
    };
    let total = analysis.total_size().max(1) as f64;
    let suspects = suspects
        .iter()
        .map(|s| SuspectRow {
            node: node_row(graph, analysis, s.node),
            share: analysis.retained_size(s.node) as f64 / total,
            accumulated_in: s.accumulated_in.map(|a| node_row(graph, analysis, a)),
            path: path_of(s.node),
        })
        .collect();
    let paths = path_nodes
        .iter()
        .map(|&(id, n)| (id, n.map(path_of)))
        .collect();
    let top = request.top;
    let classes = class_rows(graph, analysis);
    let reach = analysis.reachability();
    let load = graph.timings();
    let t = analysis.timings();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    AnalysisSummary {
        node_count: graph.node_count() as u64,
        edge_count: graph.edge_count() as u64,
        total_size: analysis.total_size(),
        unreachable_nodes: u64::from(reach.unreachable_from_root),
        classes,
        dominators: top_retainers(graph, analysis, top),
        suspects,
        paths,
        timings_ms: vec![
            ("read", ms(load.read)),
            ("parse", ms(load.scan + load.strings + load.numbers)),
            ("retainers", ms(t.retainers)),
            ("essentialEdges", ms(t.essential_edges)),
            ("dominators", ms(t.dominators)),
            ("retainedSizes", ms(t.retained)),
            ("classes", ms(t.classes)),
            ("aggregates", ms(t.aggregates)),
            ("analysis", ms(t.total)),
        ],
    }
}

/// Every class with its location, largest retained size first (then by name and location).
pub fn class_rows(graph: &HeapGraph, analysis: &HeapAnalysis) -> Vec<ClassRow> {
    let aggregates = analysis.class_aggregates();
    let scripts = ScriptNames::find(
        graph,
        aggregates
            .iter()
            .filter_map(|a| a.location.map(|l| l.script_id)),
    );
    let mut classes: Vec<ClassRow> = aggregates
        .iter()
        .map(|a| ClassRow {
            name: a.name.clone(),
            location: a.location.map(|l| ClassLocation {
                script: scripts.get(l.script_id).map(str::to_owned),
                script_id: l.script_id,
                line: l.line + 1,
                column: l.column + 1,
            }),
            count: a.count,
            self_size: a.self_size,
            retained_size: a.retained_size,
        })
        .collect();
    classes.sort_by(|a, b| {
        b.retained_size
            .cmp(&a.retained_size)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.location.cmp(&b.location))
    });
    classes
}

/// The `top` nodes with the largest retained sizes, without the root and synthetic nodes (the
/// root's `(GC roots)` and friends, which retain everything by construction).
fn top_retainers(graph: &HeapGraph, analysis: &HeapAnalysis, top: usize) -> Vec<NodeRow> {
    let mut nodes: Vec<NodeIndex> = (0..graph.node_count() as NodeIndex)
        .filter(|&n| n != graph.root() && graph.node_kind(n) != NodeKind::Synthetic)
        .collect();
    let by_retained = |a: &NodeIndex, b: &NodeIndex| {
        analysis
            .retained_size(*b)
            .cmp(&analysis.retained_size(*a))
            .then(a.cmp(b))
    };
    if nodes.len() > top {
        nodes.select_nth_unstable_by(top, by_retained);
        nodes.truncate(top);
    }
    nodes.sort_unstable_by(by_retained);
    nodes
        .into_iter()
        .map(|n| node_row(graph, analysis, n))
        .collect()
}

/// Node `n` described for people.
pub fn node_row(graph: &HeapGraph, analysis: &HeapAnalysis, n: NodeIndex) -> NodeRow {
    NodeRow {
        id: graph.node_id(n),
        name: analysis.node_name(graph, n).into_owned(),
        kind: graph.node_type_name(n).to_owned(),
        self_size: analysis.self_size(n),
        retained_size: analysis.retained_size(n),
    }
}

/// A retainer path described for people.
pub fn step_rows(graph: &HeapGraph, analysis: &HeapAnalysis, path: &[PathStep]) -> Vec<StepRow> {
    path.iter()
        .map(|step| StepRow {
            edge: match graph.edge_name(step.edge) {
                EdgeName::Index(i) => i.to_string(),
                EdgeName::Name(name) => name.to_owned(),
            },
            edge_type: graph
                .edge_types()
                .name(graph.edge_type_index(step.edge))
                .to_owned(),
            node: node_row(graph, analysis, step.node),
        })
        .collect()
}
