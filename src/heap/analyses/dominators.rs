//! Dominator tree and retained sizes with DevTools' results
//! (`calculateDominatorsAndRetainedSizes` in HeapSnapshot.ts).
//!
//! DevTools runs Lengauer–Tarjan over a DFS of essential edges from the root, then DFS passes
//! from *orphans* (nodes whose retainers are all non-essential) parented to the root, then
//! numbers every node still unvisited on its own, parented to the root. Its result is exactly
//! the dominator tree of the essential-edge graph plus a virtual edge from the root to every
//! orphan, with every node unreachable even then (cycles held only by each other) attached to
//! the root: those last nodes only ever see each other in the main loop, and their semi values
//! are larger than any reachable node's, so they change nothing else. Dominators are unique,
//! so any exact algorithm gives DevTools' numbers; this module uses Semi-NCA on arrays
//! renumbered in DFS preorder (fewer passes and better locality than the simple LT).
//!
//! `reference` (tests only) is DevTools' algorithm transcribed step for step; the tests check
//! both agree on graphs with weak edges, orphans and unreachable cycles.

#![deny(missing_docs)]

use crate::heap::graph::bits::{BitVec, SizeColumn};
use crate::heap::graph::{HeapGraph, NodeIndex};
use crate::heap::progress::{Progress, Ticker};

/// The immediate dominators and the DFS order they were computed in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dominators {
    /// Immediate dominator of each node (the root dominates itself).
    pub idom: Vec<NodeIndex>,
    /// Nodes in DFS preorder (the root first), then the unreachable ones in node order.
    pub order: Vec<NodeIndex>,
    /// Nodes not reachable from the root over essential edges (DevTools: "N nodes are
    /// unreachable from the root").
    pub unreachable_from_root: u32,
    /// Of those, nodes not reachable from an orphan either ("Still found N unreachable").
    pub unreachable_from_orphans: u32,
}

/// The DFS over essential edges: preorder and the tree, in preorder numbers.
struct Preorder {
    /// Node at each preorder position.
    order: Vec<u32>,
    /// Preorder position + 1 of each node (0: not reached).
    num: Vec<u32>,
    /// Reached nodes (the DFS tests this small vector rather than `num`).
    seen: BitVec,
    /// Tree parent of each position (the root's is itself).
    parent: Vec<u32>,
}

impl Preorder {
    #[inline]
    fn visit(&mut self, n: u32, parent: u32) {
        self.num[n as usize] = self.order.len() as u32 + 1;
        self.seen.set(n as usize);
        self.order.push(n);
        self.parent.push(parent);
    }

    /// Iterative DFS from `start` in edge order, as DevTools walks it.
    fn dfs(
        &mut self,
        graph: &HeapGraph,
        essential: &BitVec,
        start: u32,
        parent: u32,
        stack: &mut Vec<(u32, u32, u32)>,
        ticker: &mut Ticker,
    ) {
        let first_edge = &graph.first_edge[..];
        let edge_to = &graph.edge_to[..];
        self.visit(start, parent);
        let s = start as usize;
        stack.push((
            self.order.len() as u32 - 1,
            first_edge[s],
            first_edge[s + 1],
        ));
        while let Some(top) = stack.last_mut() {
            let (p, mut e, end) = *top;
            let mut child = None;
            while e < end {
                let edge = e as usize;
                e += 1;
                if essential.get(edge) {
                    let w = edge_to[edge];
                    if !self.seen.get(w as usize) {
                        child = Some(w);
                        break;
                    }
                }
            }
            top.1 = e;
            match child {
                Some(w) => {
                    self.visit(w, p);
                    ticker.at(self.order.len() as u64);
                    let w = w as usize;
                    stack.push((
                        self.order.len() as u32 - 1,
                        first_edge[w],
                        first_edge[w + 1],
                    ));
                }
                None => {
                    stack.pop();
                }
            }
        }
    }
}

/// Essential in-degree of every node, counted separately for the edges below `half` and the
/// rest (the two halves fill the predecessor lists in parallel later).
fn essential_in_degrees(graph: &HeapGraph, essential: &BitVec, half: usize) -> [Vec<u32>; 2] {
    let n = graph.node_count();
    let (mut low, mut high) = (vec![0u32; n], vec![0u32; n]);
    let to = &graph.edge_to[..];
    rayon::join(
        || count_essential(essential, 0, &to[..half], &mut low),
        || count_essential(essential, half, &to[half..], &mut high),
    );
    [low, high]
}

fn count_essential(essential: &BitVec, first: usize, to: &[u32], out: &mut [u32]) {
    for (i, &t) in to.iter().enumerate() {
        if essential.get(first + i) {
            out[t as usize] += 1;
        }
    }
}

/// DFS from the root, then from each orphan in node order (parent: the root). An orphan is an
/// unreached node without any essential retainer (DevTools' `hasOnlyWeakRetainers`).
fn preorder(
    graph: &HeapGraph,
    essential: &BitVec,
    degrees: &[Vec<u32>; 2],
    pre: &mut Preorder,
    out: &mut Dominators,
    ticker: &mut Ticker,
) {
    let n = graph.node_count();
    let mut stack = Vec::new();
    if out.unreachable_from_root > 0 {
        for v in 0..n as u32 {
            let i = v as usize;
            if !pre.seen.get(i) && degrees[0][i] == 0 && degrees[1][i] == 0 {
                pre.dfs(graph, essential, v, 0, &mut stack, ticker);
            }
        }
    }
    out.unreachable_from_orphans = (n - pre.order.len()) as u32;
}

/// A pointer that two threads write through at disjoint indices.
#[derive(Clone, Copy)]
struct SharedSlots(*mut u32);
// SAFETY: only used by `fill_predecessors`, whose tasks write disjoint slots.
unsafe impl Send for SharedSlots {}
unsafe impl Sync for SharedSlots {}

/// Essential predecessors of every reached node as one CSR in preorder: `first[k]..first[k + 1]`
/// hold the preorder numbers + 1 of position `k`'s retainers (0 for a retainer never
/// reached), in edge order. `cursors` are the in-degrees of the two edge halves; they are
/// used up as the write cursors.
fn predecessors(
    graph: &HeapGraph,
    essential: &BitVec,
    pre: &Preorder,
    cursors: &mut [Vec<u32>; 2],
    half: usize,
) -> (Vec<u32>, Vec<u32>) {
    let reached = pre.order.len();
    let mut first = Vec::with_capacity(reached + 1);
    let mut sum = 0u32;
    first.push(0);
    for &v in &pre.order {
        let v = v as usize;
        let (low, high) = (cursors[0][v], cursors[1][v]);
        cursors[0][v] = sum;
        cursors[1][v] = sum + low;
        sum += low + high;
        first.push(sum);
    }
    let mut slots = vec![0u32; sum as usize];
    let out = SharedSlots(slots.as_mut_ptr());
    let m = graph.edge_count();
    let [low, high] = cursors;
    rayon::join(
        || fill_predecessors(graph, essential, pre, 0..half, low, out, sum),
        || fill_predecessors(graph, essential, pre, half..m, high, out, sum),
    );
    (first, slots)
}

/// Writes the retainers of the edges in `range` at `cursor[target]`.
fn fill_predecessors(
    graph: &HeapGraph,
    essential: &BitVec,
    pre: &Preorder,
    range: std::ops::Range<usize>,
    cursor: &mut [u32],
    out: SharedSlots,
    len: u32,
) {
    if range.is_empty() {
        return;
    }
    let first_edge = &graph.first_edge[..];
    let mut src = graph.edge_source(range.start as u32) as usize;
    let mut src_end = first_edge[src + 1] as usize;
    let mut src_num = pre.num[src];
    for e in range {
        while src_end <= e {
            src += 1;
            src_end = first_edge[src + 1] as usize;
            src_num = pre.num[src];
        }
        if !essential.get(e) {
            continue;
        }
        let to = graph.edge_to[e] as usize;
        if !pre.seen.get(to) {
            continue;
        }
        let slot = cursor[to];
        cursor[to] = slot + 1;
        assert!(slot < len);
        // SAFETY: `slot` is in bounds (checked); each target's slots are split between the two
        // halves by the cursors, so no slot is written twice or by both tasks.
        unsafe { out.0.add(slot as usize).write(src_num) };
    }
}

/// A processed position in the Semi-NCA forest: its ancestor (compressed along the way) and
/// the smallest semi on the path up to it.
#[derive(Debug, Clone, Copy, Default)]
struct Link {
    ancestor: u32,
    best: u32,
}

/// LT's `eval` for Semi-NCA over the forest of positions above `k` (the ones processed so
/// far; `v` is one of them): the smallest semi on the forest path above `v`, with path
/// compression.
#[inline]
fn eval(v: u32, k: u32, forest: &mut [Link], stack: &mut Vec<u32>) -> u32 {
    // Iterative (chains can be as long as the heap is deep).
    let mut x = v;
    while forest[x as usize].ancestor > k {
        stack.push(x);
        x = forest[x as usize].ancestor;
    }
    while let Some(y) = stack.pop() {
        let y = y as usize;
        let a = forest[forest[y].ancestor as usize];
        let link = &mut forest[y];
        link.best = link.best.min(a.best);
        link.ancestor = a.ancestor;
    }
    forest[v as usize].best
}

/// Computes the immediate dominators.
pub fn dominators(graph: &HeapGraph, essential: &BitVec) -> Dominators {
    dominators_beside(graph, essential, None, || (), |()| ()).0
}

/// [`dominators`], running other work on the second thread where the dominator pass leaves
/// it free: `early` next to the DFS (after the in-degree count), then `late` (given `early`'s
/// result) next to the semidominator loop. Reports to `progress` (a phase of twice the node
/// count): each node numbered by the DFS, then each node given its semidominator.
pub fn dominators_beside<A: Send, B: Send>(
    graph: &HeapGraph,
    essential: &BitVec,
    progress: Option<&Progress>,
    early: impl FnOnce() -> A + Send,
    late: impl FnOnce(A) -> B + Send,
) -> (Dominators, B) {
    let n = graph.node_count();
    let m = graph.edge_count();
    let mut out = Dominators::default();
    let mut pre = Preorder {
        order: Vec::with_capacity(n),
        num: vec![0; n],
        seen: BitVec::new(n),
        parent: Vec::with_capacity(n),
    };
    // The in-degrees (for the orphans and the predecessor lists) are counted next to the DFS
    // from the root.
    let half = m / 2;
    let phase_total = 2 * n as u64;
    let mut ticker = Ticker::new(progress, phase_total);
    let ((), (mut degrees, early)) = rayon::join(
        || {
            let mut stack = Vec::new();
            pre.dfs(graph, essential, graph.root(), 0, &mut stack, &mut ticker);
        },
        || (essential_in_degrees(graph, essential, half), early()),
    );
    out.unreachable_from_root = (n - pre.order.len()) as u32;
    preorder(graph, essential, &degrees, &mut pre, &mut out, &mut ticker);
    // The nodes no DFS reached are numbered below, all at once.
    ticker.finish(n as u64);
    let ticker = Ticker::new(progress, phase_total);
    let (first, preds) = predecessors(graph, essential, &pre, &mut degrees, half);
    let reached = pre.order.len();
    let Preorder {
        mut order,
        num,
        seen,
        parent,
    } = pre;
    let (idom, late) = rayon::join(
        || semi_nca(graph, &order, &parent, (first, preds), degrees, num, ticker),
        || late(early),
    );
    // Unreachable nodes hang off the root, numbered last (as in DevTools).
    if reached < n {
        order.extend((0..n as u32).filter(|&v| !seen.get(v as usize)));
    }
    out.idom = idom;
    out.order = order;
    (out, late)
}

/// The immediate dominators from the preorder, the tree and the predecessor CSR `(first,
/// preds)` (by Semi-NCA); the in-degree vectors and `num` are reused for the working arrays.
/// Reports each position's semidominator to `ticker` (the node count in all).
fn semi_nca(
    graph: &HeapGraph,
    order: &[u32],
    parent: &[u32],
    (first, preds): (Vec<u32>, Vec<u32>),
    degrees: [Vec<u32>; 2],
    num: Vec<u32>,
    mut ticker: Ticker,
) -> Vec<NodeIndex> {
    let reached = order.len();
    // Semidominators (as preorder positions), positions from last to first. Semi-NCA only
    // needs the smallest semi on a forest path, so the forest keeps that value itself (not
    // the vertex with it) next to each position's ancestor: one cache line per step.
    let [mut semi, mut idom_pos] = degrees;
    semi.truncate(reached);
    idom_pos.truncate(reached);
    let mut forest: Vec<Link> = vec![Link::default(); reached];
    let mut stack: Vec<u32> = Vec::new();
    for k in (1..reached).rev() {
        ticker.at((reached - k) as u64);
        let (from, to) = (first[k] as usize, first[k + 1] as usize);
        let k32 = k as u32;
        let mut s = k32;
        for &v in &preds[from..to] {
            // 0: a retainer never reached. Positions up to `k` are not in the forest yet; their
            // semi is still themselves.
            if v == 0 {
                continue;
            }
            let x = v - 1;
            let best = if x <= k32 {
                x
            } else {
                eval(x, k32, &mut forest, &mut stack)
            };
            s = s.min(best);
        }
        // An orphan's only (virtual) predecessor is the root.
        let semi_k = if from == to { 0 } else { s };
        semi[k] = semi_k;
        forest[k] = Link {
            ancestor: parent[k],
            best: semi_k,
        };
    }
    drop((first, preds, forest));
    // Semi-NCA: the idom is the nearest ancestor of the parent (in the dominator tree built
    // so far, in preorder) at or above the semidominator.
    if reached > 0 {
        (semi[0], idom_pos[0]) = (0, 0);
    }
    for k in 1..reached {
        let mut d = parent[k];
        while d > semi[k] {
            d = idom_pos[d as usize];
        }
        idom_pos[k] = d;
    }
    drop(semi);
    let root = graph.root();
    let mut idom = num;
    idom.fill(root);
    for (k, &node) in order.iter().enumerate() {
        idom[node as usize] = order[idom_pos[k] as usize];
    }
    ticker.finish(idom.len() as u64);
    idom
}

/// Retained sizes: self sizes summed into the immediate dominator in reverse DFS order.
/// Reports each node summed to `ticker` (the node count in all).
pub fn retained_sizes(self_sizes: &SizeColumn, doms: &Dominators, mut ticker: Ticker) -> Vec<u64> {
    let mut retained: Vec<u64> = (0..self_sizes.len()).map(|i| self_sizes.get(i)).collect();
    for (i, &node) in doms.order.iter().skip(1).rev().enumerate() {
        ticker.at(i as u64);
        let d = doms.idom[node as usize] as usize;
        retained[d] += retained[node as usize];
    }
    ticker.finish(self_sizes.len() as u64);
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

/// DevTools' algorithm, transcribed step for step (tests compare it with [`dominators`]).
#[cfg(test)]
pub(crate) mod reference {
    use crate::heap::analyses::retainers::Retainers;
    use crate::heap::graph::bits::BitVec;
    use crate::heap::graph::HeapGraph;

    /// DevTools' `hasOnlyWeakRetainers`, reading its essential-edge bit vector.
    fn has_only_weak_retainers(retainers: &Retainers, essential: &BitVec, ordinal: u32) -> bool {
        retainers
            .range(ordinal)
            .all(|slot| !essential.get(retainers.edge(slot) as usize))
    }

    /// DevTools' immediate dominators (node ordinals).
    pub fn dominators(graph: &HeapGraph, retainers: &Retainers, essential: &BitVec) -> Vec<u32> {
        let count = graph.node_count() as u32;
        let mut st = State::new(count as usize + 1);
        let r = graph.root() + 1;
        st.dfs(graph, essential, r);
        if st.n < count {
            for v in 1..=count {
                if st.semi[v as usize] == 0 && has_only_weak_retainers(retainers, essential, v - 1)
                {
                    st.parent[v as usize] = r;
                    st.dfs(graph, essential, v);
                }
            }
        }
        if st.n < count {
            for v in 1..=count {
                if st.semi[v as usize] == 0 {
                    st.parent[v as usize] = r;
                    st.number(v);
                }
            }
        }
        let dom = semidominators(&mut st, retainers, essential, r);
        dom[1..].iter().map(|&d| d - 1).collect()
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

    /// The main loop and final step; returns `dom` (1-based).
    fn semidominators(
        st: &mut State,
        retainers: &Retainers,
        essential: &BitVec,
        r: u32,
    ) -> Vec<u32> {
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
                // DevTools looks the edge up in its essential-edge bit vector.
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
}
