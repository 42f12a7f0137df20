//! The plain-data result of one analysis, as `modswap.heap.analyze` returns it: totals, the
//! class aggregates and the nodes that retain the most, largest first.

use super::analysis::HeapAnalysis;
use super::graph::{HeapGraph, NodeIndex, NodeKind};

/// One node, described for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    /// V8's object id (stable across snapshots of one process).
    pub id: u32,
    pub name: String,
    /// V8's node type (`object`, `closure`, `array`, …).
    pub kind: String,
    pub self_size: u64,
    pub retained_size: u64,
}

/// One class of the Summary view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassRow {
    pub name: String,
    pub count: u64,
    pub self_size: u64,
    pub retained_size: u64,
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
    /// Phase name and milliseconds, in the order they ran.
    pub timings_ms: Vec<(&'static str, f64)>,
}

/// Summarises `analysis` of `graph`, keeping the `top` largest retainers.
pub fn summarize(graph: &HeapGraph, analysis: &HeapAnalysis, top: usize) -> AnalysisSummary {
    let mut classes: Vec<ClassRow> = analysis
        .class_aggregates()
        .iter()
        .map(|a| ClassRow {
            name: a.name.clone(),
            count: a.count,
            self_size: a.self_size,
            retained_size: a.retained_size,
        })
        .collect();
    classes.sort_by(|a, b| {
        b.retained_size
            .cmp(&a.retained_size)
            .then_with(|| a.name.cmp(&b.name))
    });
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
        .map(|n| NodeRow {
            id: graph.node_id(n),
            name: graph.node_name(n).to_owned(),
            kind: graph.node_type_name(n).to_owned(),
            self_size: analysis.self_size(n),
            retained_size: analysis.retained_size(n),
        })
        .collect()
}
