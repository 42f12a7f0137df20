#!/usr/bin/env python3
"""Writes small handmade heap snapshots (a few hundred bytes to a few KB) as fuzz seeds.

Usage: python3 fuzz/scripts/gen_seeds.py fuzz/corpus/heap_snapshot
"""
import json
import os
import sys

NODE20 = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"]
OLD = ["type", "name", "id", "self_size", "edge_count", "trace_node_id"]
NODE_TYPES = ["hidden", "array", "string", "object", "code", "closure", "regexp", "number",
              "native", "synthetic", "concatenated string", "sliced string", "symbol",
              "bigint", "object shape", "wasm object"]
EDGE_TYPES = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"]


def build(nodes, edges, fields=NODE20, locations=(), extra="", strings_extra=(), pretty=True):
    """nodes: (type, name, id, size[, detachedness]); edges: (from, type, name, to)."""
    strings = ["<dummy>"]

    def intern(s):
        if s not in strings:
            strings.append(s)
        return strings.index(s)

    for s in strings_extra:
        intern(s)
    stride = len(fields)
    edges = sorted(edges, key=lambda e: e[0])
    counts = [0] * len(nodes)
    for e in edges:
        counts[e[0]] += 1
    rows = []
    for i, n in enumerate(nodes):
        vals = {"type": NODE_TYPES.index(n[0]), "name": intern(n[1]), "id": n[2],
                "self_size": n[3], "edge_count": counts[i],
                "detachedness": n[4] if len(n) > 4 else 0}
        rows.append(",".join(str(vals.get(f, 0)) for f in fields))
    erows = []
    for (src, ty, name, to) in edges:
        nm = int(name) if ty in ("element", "hidden") else intern(name)
        erows.append(f"{EDGE_TYPES.index(ty)},{nm},{to * stride}")
    lrows = [f"{n * stride},{s},{l},{c}" for (n, s, l, c) in locations]
    types = [NODE_TYPES if f == "type" else ("string" if f == "name" else "number") for f in fields]
    meta = {
        "node_fields": fields, "node_types": types,
        "edge_fields": ["type", "name_or_index", "to_node"],
        "edge_types": [EDGE_TYPES, "string_or_number", "node"],
        "trace_function_info_fields": ["function_id", "name", "script_name", "script_id", "line", "column"],
        "trace_node_fields": ["id", "function_info_index", "count", "size", "children"],
        "sample_fields": ["timestamp_us", "last_assigned_id"],
        "location_fields": ["object_index", "script_id", "line", "column"],
    }
    sep = "\n," if pretty else ","
    out = '{"snapshot":{"meta":' + json.dumps(meta, separators=(",", ":")) + ",\n"
    out += f'"node_count":{len(nodes)},"edge_count":{len(edges)},"trace_function_count":0{extra}}},\n'
    out += '"nodes":[' + sep.join(rows) + "],\n"
    out += '"edges":[' + sep.join(erows) + "],\n"
    out += '"trace_function_infos":[],\n"trace_tree":[],\n"samples":[],\n'
    out += '"locations":[' + sep.join(lrows) + "],\n"
    out += '"strings":[' + sep.join(json.dumps(s) for s in strings) + "]}"
    return out


def node_heap(n_users=3, weakmap=True):
    """Root, GC roots, global with users, arrays, closures, a WeakMap pair, a weak ref."""
    nodes = [("synthetic", "", 1, 0), ("synthetic", "(GC roots)", 3, 0),
             ("synthetic", "(Strong roots)", 5, 0), ("object", "global", 7, 24),
             ("object", "Object", 9, 16)]
    edges = [(0, "element", "1", 1), (0, "shortcut", "2", 3), (1, "element", "1", 2),
             (2, "internal", "global", 3), (3, "property", "__keep", 4)]
    for u in range(n_users):
        base = len(nodes)
        nodes += [("object", "User", 11 + 10 * u, 32), ("string", f"user{u}", 13 + 10 * u, 20),
                  ("array", "", 15 + 10 * u, 40), ("closure", "onLeak", 17 + 10 * u, 28),
                  ("hidden", "system / Context", 19 + 10 * u, 16)]
        edges += [(4, "element", str(u), base), (base, "property", "name", base + 1),
                  (base, "internal", "elements", base + 2), (base + 2, "hidden", "0", base + 1),
                  (base, "property", "cb", base + 3), (base + 3, "context", "ctx", base + 4),
                  (base + 4, "context", "user", base), (base + 1, "weak", "w", base + 3)]
    if weakmap:
        t = len(nodes)
        nodes += [("object", "WeakMap", 1001, 24), ("array", "(table)", 1003, 64),
                  ("object", "Key", 1005, 16), ("object", "Value", 1007, 16)]
        edges += [(3, "property", "wm", t), (t, "internal", "table", t + 1),
                  (t + 1, "internal", "1 / part of key (Key @1005) -> value (Value @1007) pair in WeakMap (table @1003)", t + 3),
                  (t + 2, "internal", "1 / part of key (Key @1005) -> value (Value @1007) pair in WeakMap (table @1003)", t + 3),
                  (3, "property", "k", t + 2)]
    # An orphan only reachable through a weak edge, and an unreachable one.
    o = len(nodes)
    nodes += [("native", "Detached <div>", 2000, 100, 2), ("object", "Lost", 2001, 8)]
    edges += [(3, "weak", "ref", o)]
    return nodes, edges


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    seeds = {}
    n, e = node_heap(3)
    seeds["node20"] = build(n, e, locations=[(3, 1, 2, 3), (5, 4, 10, 1)])
    seeds["node20-compact"] = build(n, e, pretty=False)
    n, e = node_heap(1, weakmap=False)
    seeds["old-6-fields"] = build([x[:4] for x in n], e, fields=OLD)
    seeds["root-index"] = build([("object", "x", 9, 4)] + n, [(a + 1, t, m, b + 1) for (a, t, m, b) in e] + [(0, "weak", "z", 1)],
                                extra=',"root_index":7,"extra_native_bytes":4096')
    seeds["big-sizes"] = build([("synthetic", "", 1, 0), ("object", "Huge", 3, 1 << 40),
                                ("array", "", 5, 4294967295), ("string", "\u00e9\ud83d\ude00\n\"", 7, 12)],
                               [(0, "shortcut", "2", 1), (1, "internal", "a", 2), (2, "hidden", "4", 3),
                                (1, "shortcut", "s", 1)])
    seeds["empty-graph"] = build([("synthetic", "", 1, 0)], [])
    seeds["extra-fields"] = build(n[:6], [x for x in e if x[0] < 6 and x[3] < 6],
                                  fields=["name", "type", "id", "self_size", "edge_count", "extra", "detachedness", "more"])
    for name, text in seeds.items():
        with open(os.path.join(out_dir, f"seed-{name}.heapsnapshot"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
