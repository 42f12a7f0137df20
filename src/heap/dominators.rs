//! Dominator tree and retained sizes, step for step as DevTools computes them
//! (`calculateDominatorsAndRetainedSizes` in HeapSnapshot.ts): Lengauer–Tarjan with the simple
//! `eval`/`link`, over an iterative DFS of essential edges in file order; then extra DFS passes
//! from orphans (nodes whose retainers are all non-essential), parented to the root; then every
//! node still unvisited is numbered on its own, also parented to the root.
//!
//! The orphan and clique handling is not textbook LT, so results for such nodes depend on the
//! exact visiting order: this module keeps DevTools' order everywhere to get its numbers.
//! Arrays are 1-based (vertex `v` is node ordinal `v - 1`; 0 means "none"), as in DevTools.

use super::bits::{BitVec, SizeColumn};
use super::graph::{HeapGraph, NodeIndex};
use super::retainers::Retainers;

/// The immediate dominators and the DFS order they were computed in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dominators {
    /// Immediate dominator of each node (the root dominates itself).
    pub idom: Vec<NodeIndex>,
    /// Nodes in DFS-number order (the root first).
    pub order: Vec<NodeIndex>,
    /// Nodes only reachable from orphans (DevTools: "N nodes are unreachable from the root").
    pub unreachable_from_root: u32,
    /// Nodes not reachable from the root nor from an orphan ("Still found N unreachable").
    pub unreachable_from_orphans: u32,
}

/// Working arrays of the algorithm, all of length node count + 1.
struct State {
    parent: Vec<u32>,
    ancestor: Vec<u32>,
    vertex: Vec<u32>,
    label: Vec<u32>,
    semi: Vec<u32>,
    /// Next edge to look at per vertex during the DFS; reused as the bucket lists' links.
    next: Vec<u32>,
    /// Vertices numbered so far.
    n: u32,
    /// Path-compression stack, reused across calls.
    stack: Vec<u32>,
}

impl State {
    fn new(len: usize) -> Self {
        State {
            parent: vec![0; len],
            ancestor: vec![0; len],
            vertex: vec![0; len],
            label: vec![0; len],
            semi: vec![0; len],
            next: vec![0; len],
            n: 0,
            stack: Vec::new(),
        }
    }

    #[inline]
    fn number(&mut self, v: u32) {
        self.n += 1;
        self.semi[v as usize] = self.n;
        self.vertex[self.n as usize] = v;
        self.label[v as usize] = v;
    }

    /// Iterative DFS over essential edges from vertex `root`, in edge order.
    fn dfs(&mut self, graph: &HeapGraph, essential: &BitVec, root: u32) {
        self.next[root as usize] = graph.first_edge[root as usize - 1];
        let mut v = root;
        while v != 0 {
            if self.semi[v as usize] == 0 {
                self.number(v);
            }
            let mut v_next = self.parent[v as usize];
            let end = graph.first_edge[v as usize];
            while self.next[v as usize] < end {
                let e = self.next[v as usize];
                if essential.get(e as usize) {
                    let w = graph.edge_to[e as usize] + 1;
                    if self.semi[w as usize] == 0 {
                        self.parent[w as usize] = v;
                        self.next[w as usize] = graph.first_edge[w as usize - 1];
                        v_next = w;
                        break;
                    }
                }
                self.next[v as usize] += 1;
            }
            v = v_next;
        }
    }

    fn compress(&mut self, mut v: u32) {
        self.stack.clear();
        while self.ancestor[self.ancestor[v as usize] as usize] != 0 {
            self.stack.push(v);
            v = self.ancestor[v as usize];
        }
        while let Some(w) = self.stack.pop() {
            let w = w as usize;
            let a = self.ancestor[w] as usize;
            if self.semi[self.label[a] as usize] < self.semi[self.label[w] as usize] {
                self.label[w] = self.label[a];
            }
            self.ancestor[w] = self.ancestor[a];
        }
    }

    #[inline]
    fn eval(&mut self, v: u32) -> u32 {
        if self.ancestor[v as usize] == 0 {
            return v;
        }
        self.compress(v);
        self.label[v as usize]
    }
}

/// Whether every retainer of node `ordinal` is non-essential (DevTools' `hasOnlyWeakRetainers`).
fn has_only_weak_retainers(retainers: &Retainers, essential: &BitVec, ordinal: u32) -> bool {
    retainers
        .range(ordinal)
        .all(|slot| !essential.get(retainers.edge(slot) as usize))
}

/// Computes the immediate dominators.
pub fn dominators(graph: &HeapGraph, retainers: &Retainers, essential: &BitVec) -> Dominators {
    let count = graph.node_count() as u32;
    let mut st = State::new(count as usize + 1);
    let r = graph.root() + 1;
    st.dfs(graph, essential, r);
    let mut out = Dominators::default();
    if st.n < count {
        out.unreachable_from_root = count - st.n;
        for v in 1..=count {
            if st.semi[v as usize] == 0 && has_only_weak_retainers(retainers, essential, v - 1) {
                st.parent[v as usize] = r;
                st.dfs(graph, essential, v);
            }
        }
    }
    if st.n < count {
        out.unreachable_from_orphans = count - st.n;
        for v in 1..=count {
            if st.semi[v as usize] == 0 {
                st.parent[v as usize] = r;
                st.number(v);
            }
        }
    }
    let dom = semidominators(&mut st, retainers, essential, r);
    // Converted in place: at millions of nodes every extra array is megabytes.
    out.idom = to_ordinals(dom, count as usize);
    out.order = to_ordinals(std::mem::take(&mut st.vertex), st.n as usize);
    out
}

/// Drops slot 0 of a 1-based vertex array and turns its first `len` vertices into ordinals.
fn to_ordinals(mut vertices: Vec<u32>, len: usize) -> Vec<u32> {
    vertices.remove(0);
    vertices.truncate(len);
    for v in &mut vertices {
        *v -= 1;
    }
    vertices
}

/// The main loop and final step; returns `dom` (1-based).
fn semidominators(st: &mut State, retainers: &Retainers, essential: &BitVec, r: u32) -> Vec<u32> {
    let len = st.semi.len();
    let mut dom = vec![0u32; len];
    // The DFS is over: `next` becomes the bucket lists' links (each vertex is in at most one
    // bucket at a time), `head` their starts.
    let mut head = vec![0u32; len];
    st.next.fill(0);
    for i in (2..=st.n).rev() {
        let w = st.vertex[i as usize];
        let mut orphan = true;
        for slot in retainers.range(w - 1) {
            if !essential.get(retainers.edge(slot) as usize) {
                continue;
            }
            orphan = false;
            let u = st.eval(retainers.node(slot) + 1);
            if st.semi[u as usize] < st.semi[w as usize] {
                st.semi[w as usize] = st.semi[u as usize];
            }
        }
        if orphan {
            // Orphans have a single virtual predecessor: the root.
            st.semi[w as usize] = st.semi[r as usize];
        }
        let b = st.vertex[st.semi[w as usize] as usize] as usize;
        st.next[w as usize] = head[b];
        head[b] = w;
        let p = st.parent[w as usize];
        st.ancestor[w as usize] = p;
        let mut v = std::mem::take(&mut head[p as usize]);
        while v != 0 {
            let u = st.eval(v);
            dom[v as usize] = if st.semi[u as usize] < st.semi[v as usize] {
                u
            } else {
                p
            };
            v = st.next[v as usize];
        }
    }
    // Unlike the paper, the root dominates itself, and dom[0] = r sends vertices that never
    // got an explicit dominator to the root.
    dom[0] = r;
    dom[r as usize] = r;
    for i in 2..=st.n {
        let w = st.vertex[i as usize] as usize;
        if dom[w] != st.vertex[st.semi[w] as usize] {
            dom[w] = dom[dom[w] as usize];
        }
    }
    dom
}

/// Retained sizes: self sizes summed into the immediate dominator in reverse DFS order.
pub fn retained_sizes(self_sizes: &SizeColumn, doms: &Dominators) -> Vec<u64> {
    let mut retained: Vec<u64> = (0..self_sizes.len()).map(|i| self_sizes.get(i)).collect();
    for &node in doms.order.iter().skip(1).rev() {
        let d = doms.idom[node as usize] as usize;
        retained[d] += retained[node as usize];
    }
    retained
}

/// The dominator tree's children lists (DevTools' `dominatedNodes`), as one CSR: `first`
/// (length node count + 1) and the children, in node order.
pub fn dominated_nodes(idom: &[NodeIndex], root: NodeIndex) -> (Vec<u32>, Vec<NodeIndex>) {
    let n = idom.len();
    let mut first = vec![0u32; n + 1];
    for (i, &d) in idom.iter().enumerate() {
        if i as u32 != root {
            first[d as usize + 1] += 1;
        }
    }
    for i in 0..n {
        first[i + 1] += first[i];
    }
    let mut cursor = first[..n].to_vec();
    let mut children = vec![0u32; n.saturating_sub(1)];
    for (i, &d) in idom.iter().enumerate() {
        if i as u32 != root {
            children[cursor[d as usize] as usize] = i as u32;
            cursor[d as usize] += 1;
        }
    }
    (first, children)
}
