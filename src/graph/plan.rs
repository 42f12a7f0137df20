//! What to cut when modules leave `require.cache`.

use super::{ModuleGraph, NodeId, NO_NODE};
use rustc_hash::FxHashSet as HashSet;
use std::collections::VecDeque;

/// Which instances a clear removes besides the roots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClearScope {
    /// Only the roots (`clear.single`).
    Single,
    /// The roots and, recursively, the modules they list in `children` (`clear`, `clear.all`,
    /// `clear.match`: clear-module's recursion).
    Descendants,
    /// The roots and, transitively, every module that imports them (`reload`). Importers under
    /// `node_modules` stay unless `include_dependencies`, which also adds the roots' descendants.
    Importers { include_dependencies: bool },
}

/// Where a reload stops walking up to importers (`module.hot` and `modswap.hot()` boundaries).
#[derive(Clone, Debug, Default)]
pub struct Boundaries {
    /// Instances that are replaced themselves but whose importers are not (self-accepting
    /// modules, modules reached through `hot()`).
    pub stop_at: HashSet<NodeId>,
    /// `(parent, child)`: `parent` handles updates of `child` (`module.hot.accept(dep)`): the
    /// walk does not go from `child` to `parent`, which stays and is only cut from `child`.
    pub accepted: HashSet<(NodeId, NodeId)>,
}

impl Boundaries {
    /// Boundaries from the flat encodings of the JS side: node ids, and `(parent, child)` pairs.
    pub fn from_flat(stop_at: &[NodeId], accepted: &[NodeId]) -> Self {
        Self {
            stop_at: stop_at.iter().copied().collect(),
            accepted: accepted
                .chunks_exact(2)
                .map(|pair| (pair[0], pair[1]))
                .collect(),
        }
    }

    fn passes(&self, child: NodeId, importer: NodeId) -> bool {
        !self.stop_at.contains(&child) && !self.accepted.contains(&(importer, child))
    }
}

/// The exact mutations that remove a set of instances from Node's bookkeeping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Instances to delete from `require.cache`, in discovery order.
    pub retire: Vec<NodeId>,
    /// `(parent, child)`: remove `child` from `parent.children`. Covers every parent, current or
    /// old, including parents that are retired in the same plan. Sorted by parent, so each
    /// `children` array is rewritten in one pass.
    pub cuts: Vec<(NodeId, NodeId)>,
    /// `(child, new_parent)`: live children that stay although their `parent` (first requirer)
    /// is retired. `parent` must point at `new_parent` (a current importer that stays) or be
    /// reset when `new_parent` is [`NO_NODE`].
    pub reparent: Vec<(NodeId, NodeId)>,
}

impl Plan {
    /// Flat encoding for the JS side: `[n, retire…, m, (parent, child)…, k, (child, parent)…]`.
    pub fn encode(&self) -> Vec<u32> {
        let mut out =
            Vec::with_capacity(3 + self.retire.len() + 2 * (self.cuts.len() + self.reparent.len()));
        out.push(self.retire.len() as u32);
        out.extend_from_slice(&self.retire);
        out.push(self.cuts.len() as u32);
        out.extend(self.cuts.iter().flat_map(|&(p, c)| [p, c]));
        out.push(self.reparent.len() as u32);
        out.extend(self.reparent.iter().flat_map(|&(c, p)| [c, p]));
        out
    }
}

/// True for native addons, which are never removed (Node cannot load a `.node` file twice).
pub fn is_native_addon(path: &str) -> bool {
    path.ends_with(".node")
}

/// True for files inside a `node_modules` folder.
pub fn is_dependency(path: &str) -> bool {
    path.split(['/', '\\'])
        .any(|segment| segment == "node_modules")
}

impl ModuleGraph {
    /// Plans the removal of `roots` and whatever `scope` adds. `main` (the entry module) is
    /// never added by traversal; as a root it is removed only in the clear-module scopes.
    pub fn plan_clear(&self, roots: &[NodeId], scope: ClearScope, main: Option<NodeId>) -> Plan {
        self.plan_clear_within(roots, scope, main, &Boundaries::default())
    }

    /// [`plan_clear`](Self::plan_clear), with the importer walk of a reload stopping at
    /// `boundaries`.
    pub fn plan_clear_within(
        &self,
        roots: &[NodeId],
        scope: ClearScope,
        main: Option<NodeId>,
        boundaries: &Boundaries,
    ) -> Plan {
        let mut chosen = HashSet::default();
        let mut retire = Vec::new();
        let mut queue = VecDeque::new();
        for &root in roots {
            let main_is_protected = matches!(scope, ClearScope::Importers { .. });
            if Some(root) == main && main_is_protected {
                continue;
            }
            if self.removable(root) && chosen.insert(root) {
                retire.push(root);
                queue.push_back(root);
            }
        }
        let retired_roots = retire.len();
        if let ClearScope::Importers {
            include_dependencies,
        } = scope
        {
            // A current module can still hold an older live version of a root (a package that
            // kept its version of the file through an earlier reload that left `node_modules`
            // importers alone): it imports the file too, so it goes as an importer of the root.
            for index in 0..retired_roots {
                let root = retire[index];
                for holder in self.holders_of_older_versions(root) {
                    if self.follows_importer(holder, include_dependencies)
                        && boundaries.passes(root, holder)
                        && Some(holder) != main
                        && self.removable(holder)
                        && chosen.insert(holder)
                    {
                        retire.push(holder);
                        queue.push_back(holder);
                    }
                }
            }
        }
        while let Some(node) = queue.pop_front() {
            for next in self.neighbours(node, scope, boundaries) {
                if Some(next) != main && self.removable(next) && chosen.insert(next) {
                    retire.push(next);
                    queue.push_back(next);
                }
            }
        }
        if let ClearScope::Importers {
            include_dependencies: true,
        } = scope
        {
            self.add_descendants(&mut retire, retired_roots, &mut chosen, main);
        }
        let cuts = self.cuts_for(&retire);
        let reparent = self.reparent_for(&retire, &chosen);
        Plan {
            retire,
            cuts,
            reparent,
        }
    }

    fn neighbours(&self, node: NodeId, scope: ClearScope, boundaries: &Boundaries) -> Vec<NodeId> {
        match scope {
            ClearScope::Single => Vec::new(),
            ClearScope::Descendants => self.importees_of(node).to_vec(),
            ClearScope::Importers {
                include_dependencies,
            } => self
                .importers_of(node)
                .iter()
                .copied()
                .filter(|&p| self.follows_importer(p, include_dependencies))
                .filter(|&p| boundaries.passes(node, p))
                .collect(),
        }
    }

    /// Whether a reload goes on to `importer`: packages in `node_modules` only when asked.
    fn follows_importer(&self, importer: NodeId, include_dependencies: bool) -> bool {
        include_dependencies || !self.file_of(importer).is_some_and(is_dependency)
    }

    /// Adds the descendants of the roots (the first `roots` entries of `retire`), not those of
    /// the importers found since. A descendant that is already chosen (an importer in a cycle
    /// with a root) is still walked through.
    fn add_descendants(
        &self,
        retire: &mut Vec<NodeId>,
        roots: usize,
        chosen: &mut HashSet<NodeId>,
        main: Option<NodeId>,
    ) {
        let mut visited: HashSet<NodeId> = retire[..roots].iter().copied().collect();
        let mut queue: VecDeque<NodeId> = retire[..roots].iter().copied().collect();
        while let Some(node) = queue.pop_front() {
            for &child in self.importees_of(node) {
                if Some(child) != main && self.removable(child) && visited.insert(child) {
                    if chosen.insert(child) {
                        retire.push(child);
                    }
                    queue.push_back(child);
                }
            }
        }
    }

    /// Requirers are never removed: they are in no cache, and stay usable once the edges to
    /// what a plan retires are cut (their next `require` loads the new version).
    fn removable(&self, node: NodeId) -> bool {
        self.is_current(node)
            && !self.is_requirer(node)
            && !self.file_of(node).is_some_and(is_native_addon)
    }

    fn cuts_for(&self, retire: &[NodeId]) -> Vec<(NodeId, NodeId)> {
        let mut cuts: Vec<_> = retire
            .iter()
            .flat_map(|&node| self.importers_of(node).iter().map(move |&p| (p, node)))
            .collect();
        cuts.sort_by_key(|&(parent, _)| parent);
        cuts
    }

    fn reparent_for(&self, retire: &[NodeId], chosen: &HashSet<NodeId>) -> Vec<(NodeId, NodeId)> {
        // Only a child's first requirer is pinned by its `parent`, and that requirer lists the
        // child in `children`: walking the importees of retired instances finds them all.
        let mut reparent = Vec::new();
        for &node in retire {
            for &child in self.importees_of(node) {
                let pinned_by_retired = self.first_parent_of(child) == Some(node);
                if pinned_by_retired && !chosen.contains(&child) && self.is_live(child) {
                    reparent.push((child, self.surviving_importer(child, chosen)));
                }
            }
        }
        reparent
    }

    fn surviving_importer(&self, child: NodeId, chosen: &HashSet<NodeId>) -> NodeId {
        self.importers_of(child)
            .iter()
            .copied()
            .find(|p| !chosen.contains(p) && self.is_current(*p))
            .unwrap_or(NO_NODE)
    }
}
