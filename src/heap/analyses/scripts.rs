//! Script names for the script ids of the `locations` rows. The rows name scripts by V8's id
//! alone; the names are in the graph: a function's `shared` edge leads to its
//! `SharedFunctionInfo`, whose `script` edge (`script_or_debug_info` in some V8 versions, then
//! through the `DebugInfo`) leads to the `Script`, whose `name` edge leads to the name
//! string. Functions carry their own location, so each function with a location links its
//! script id to a name.

#![deny(missing_docs)]

use crate::heap::graph::{EdgeName, HeapGraph, NodeIndex, NodeKind};
use rustc_hash::FxHashMap;

/// The names of some script ids of one snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptNames {
    names: FxHashMap<u32, String>,
}

impl ScriptNames {
    /// The names of the `wanted` script ids that some function of `graph` links to a name (one
    /// pass over the locations, stopping once every id is named).
    pub fn find(graph: &HeapGraph, wanted: impl IntoIterator<Item = u32>) -> ScriptNames {
        let mut pending: FxHashMap<u32, ()> = wanted.into_iter().map(|id| (id, ())).collect();
        let mut names = FxHashMap::default();
        for location in graph.locations() {
            if pending.is_empty() {
                break;
            }
            let id = location.script_id;
            if !pending.contains_key(&id) || graph.node_kind(location.node) != NodeKind::Closure {
                continue;
            }
            if let Some(name) = script_name(graph, location.node) {
                names.insert(id, name);
                pending.remove(&id);
            }
        }
        ScriptNames { names }
    }

    /// The name of script `id`, when found.
    pub fn get(&self, id: u32) -> Option<&str> {
        self.names.get(&id).map(String::as_str)
    }
}

/// The target of `n`'s first edge named one of `names`.
fn target_named(graph: &HeapGraph, n: NodeIndex, names: &[&str]) -> Option<NodeIndex> {
    graph
        .edges(n)
        .find(|&e| matches!(graph.edge_name(e), EdgeName::Name(t) if names.contains(&t)))
        .map(|e| graph.edge_target(e))
}

/// The name of the script function `closure` was defined in; `None` for functions without a
/// script (builtins) or a script without a name (`eval`).
fn script_name(graph: &HeapGraph, closure: NodeIndex) -> Option<String> {
    let shared = target_named(graph, closure, &["shared"])?;
    let mut script = target_named(graph, shared, &["script", "script_or_debug_info"])?;
    if graph.node_name(script).contains("DebugInfo") {
        script = target_named(graph, script, &["script"])?;
    }
    let name = target_named(graph, script, &["name"])?;
    let is_string = matches!(
        graph.node_kind(name),
        NodeKind::String | NodeKind::ConsString | NodeKind::SlicedString
    );
    let text = graph.node_name(name);
    (is_string && !text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::testsnap::Snap;

    /// A function defined in script `id` named `name` (or without a name edge when `None`).
    fn function(s: &mut Snap, global: usize, id: u64, name: Option<&str>) -> usize {
        let f = s.node("closure", "f", 32);
        s.edge(global, "property", "f", f);
        let shared = s.node("code", "system / SharedFunctionInfo", 40);
        s.edge(f, "internal", "shared", shared);
        let script = s.node("code", "system / Script", 40);
        s.edge(shared, "internal", "script", script);
        if let Some(name) = name {
            let text = s.node("string", name, 24);
            s.edge(script, "internal", "name", text);
        }
        s.locations.push((f, id, 0, 0));
        f
    }

    #[test]
    fn script_ids_are_named_through_functions() {
        let (mut s, global) = Snap::with_global();
        function(&mut s, global, 7, Some("/app/server.js"));
        function(&mut s, global, 9, None);
        function(&mut s, global, 9, Some("node:internal/modules/cjs/loader"));
        function(&mut s, global, 11, Some("/app/unwanted.js"));
        let graph = s.load();
        let names = ScriptNames::find(&graph, [7, 9, 12]);
        assert_eq!(names.get(7), Some("/app/server.js"));
        // The first function of script 9 has no name edge; the second names it.
        assert_eq!(names.get(9), Some("node:internal/modules/cjs/loader"));
        assert_eq!(names.get(11), None, "not asked for");
        assert_eq!(names.get(12), None, "no function in it");
    }
}
