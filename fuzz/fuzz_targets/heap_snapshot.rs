//! Arbitrary bytes into `HeapGraph::from_bytes`; whatever loads goes through the whole
//! analysis, and a few results are read so nothing is optimised away.

#![no_main]

use libfuzzer_sys::fuzz_target;
use modswap::heap::HeapGraph;

fuzz_target!(|data: &[u8]| {
    let Ok(graph) = HeapGraph::from_bytes(data) else {
        return;
    };
    let analysis = graph.analyze();
    let mut sum = analysis.total_size();
    for aggregate in analysis.class_aggregates() {
        sum = sum.wrapping_add(aggregate.retained_size);
    }
    for n in 0..graph.node_count() as u32 {
        sum = sum.wrapping_add(analysis.retained_size(n));
        sum = sum.wrapping_add(u64::from(analysis.dominator(n)));
        let _ = analysis.class_name(&graph, n);
    }
    std::hint::black_box(sum);
});
