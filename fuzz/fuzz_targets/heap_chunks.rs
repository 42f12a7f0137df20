//! `HeapGraphBuilder` against `HeapGraph::from_bytes`: the input after its first two bytes is
//! pushed in chunks whose sizes those two bytes choose (up to `1 + data[0]` bytes each, drawn
//! from a generator seeded with `data[1]`). Both must accept or both reject, and build the
//! same graph.

#![no_main]

use libfuzzer_sys::fuzz_target;
use modswap::heap::{HeapGraph, HeapGraphBuilder};

fuzz_target!(|data: &[u8]| {
    let [max, seed, ref text @ ..] = *data else {
        return;
    };
    let max = 1 + u64::from(max);
    let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ u64::from(seed);
    let mut builder = HeapGraphBuilder::new();
    let mut rest = text;
    let mut pushed = Ok(());
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = ((1 + state % max) as usize).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        pushed = builder.push(chunk);
        if pushed.is_err() {
            break;
        }
        rest = tail;
    }
    let chunked = pushed.and_then(|()| builder.finish());
    let whole = HeapGraph::from_bytes(text);
    match (&whole, &chunked) {
        (Ok(a), Ok(b)) => assert!(a.same_content(b), "the graphs differ"),
        (Err(_), Err(_)) => {}
        _ => panic!(
            "from_bytes: {:?}, builder: {:?}",
            whole.as_ref().err(),
            chunked.as_ref().err()
        ),
    }
});
