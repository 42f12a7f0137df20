'use strict';
// modswap.heap.analyze on real snapshots of a child process with a known heap, and on bad input.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const modswap = require('..');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-heap-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A snapshot of a fresh process holding `count` TrackedThing objects, each owning a 4 KiB Buffer-free array. */
function snapshotWithThings(count) {
  const file = path.join(dir, `things-${count}.heapsnapshot`);
  const script = `
    class TrackedThing { constructor(i) { this.i = i; this.items = new Array(64).fill(i); } }
    globalThis.holder = { things: Array.from({ length: ${count} }, (_, i) => new TrackedThing(i)) };
    require('v8').writeHeapSnapshot(${JSON.stringify(file)});`;
  execFileSync(process.execPath, ['-e', script]);
  return file;
}

test('analyze finds every instance of a class and what the holder retains', async () => {
  const file = snapshotWithThings(2000);
  const result = await modswap.heap.analyze(file, { top: 10 });
  assert.equal(result.file, file);
  assert.equal(result.fileBytes, fs.statSync(file).size);
  const things = result.classes.find((row) => row.name === 'TrackedThing');
  assert.ok(things, 'TrackedThing is a class row');
  assert.equal(things.count, 2000);
  // Each thing retains its own 64-element array: far more than its own few fields.
  assert.ok(things.retainedSize > things.selfSize + 2000 * 64 * 4, `retained ${things.retainedSize}`);
  assert.ok(result.totalSize >= things.retainedSize);
  assert.ok(result.nodeCount > 2000 * 2 && result.edgeCount > result.nodeCount);
  const sorted = result.classes.map((row) => row.retainedSize);
  assert.deepEqual(sorted, [...sorted].sort((a, b) => b - a), 'classes largest first');
  assert.equal(result.dominators.length, 10);
  const holderArray = result.dominators.find((node) => node.name === 'Array' && node.retainedSize >= things.retainedSize);
  assert.ok(holderArray, 'the array holding the things is among the largest retainers');
  for (const phase of ['read', 'parse', 'dominators', 'analysis']) {
    assert.equal(typeof result.timingsMs[phase], 'number', phase);
  }
});

test('a truncated snapshot is rejected with the file, the byte offset and the cause', async () => {
  const whole = fs.readFileSync(snapshotWithThings(10));
  const file = path.join(dir, 'truncated.heapsnapshot');
  fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
  await assert.rejects(modswap.heap.analyze(file), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_BAD_SNAPSHOT');
    assert.equal(error.file, file);
    assert.match(error.message, new RegExp(`^${escape(file)}: .*byte \\d+`));
    return true;
  });
});

test('not a snapshot, a missing file and bad arguments get clear errors', async () => {
  const text = path.join(dir, 'notes.txt');
  fs.writeFileSync(text, 'hello');
  await assert.rejects(modswap.heap.analyze(text), { code: 'ERR_MODSWAP_BAD_SNAPSHOT', file: text });
  const missing = path.join(dir, 'missing.heapsnapshot');
  await assert.rejects(modswap.heap.analyze(missing), { code: 'ERR_MODSWAP_NOT_FOUND', file: missing });
  await assert.rejects(modswap.heap.analyze(42), { code: 'ERR_MODSWAP_INVALID_ARG' });
  await assert.rejects(modswap.heap.analyze(text, { top: -1 }), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
});

test('snapshot() writes a snapshot of this process that analyze() reads', async () => {
  const file = modswap.heap.snapshot(path.join(dir, 'self.heapsnapshot'));
  assert.equal(file, path.join(dir, 'self.heapsnapshot'));
  const result = await modswap.heap.analyze(file, { top: 3 });
  assert.ok(result.classes.some((row) => row.name === 'ModswapError' || row.name === 'Module'));
});

test('the CLI prints a report for a real snapshot, and JSON with --json', () => {
  const file = snapshotWithThings(300);
  const cli = path.join(__dirname, '..', 'bin', 'modswap.js');
  const json = JSON.parse(execFileSync(process.execPath, [cli, 'heap', 'analyze', file, '--json'], { encoding: 'utf8' }));
  assert.equal(json.classes.find((row) => row.name === 'TrackedThing').count, 300);
  const text = execFileSync(process.execPath, [cli, 'heap', 'analyze', file, '--top', '500'], { encoding: 'utf8' });
  assert.match(text, /^Heap snapshot .*things-300\.heapsnapshot$/m);
  assert.match(text, /^  TrackedThing +\[eval\]:2 +300 /m);
});

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Three snapshots of one process with known allocations between them:
 *   baseline: 500 Kept objects;
 *   target:   the Kept ones freed; 1000 Leaked objects (each with a 512-element array) in
 *             app.cache, 300 Transient objects in app.transient;
 *   final:    Transient freed; 200 Late objects allocated.
 */
function threeSnapshots() {
  const files = ['baseline', 'target', 'final'].map((name) => path.join(dir, `three-${name}.heapsnapshot`));
  const script = `
    const v8 = require('v8');
    class Kept { constructor(i) { this.i = i; } }
    class Leaked { constructor(i) { this.i = i; this.payload = new Array(512).fill(i); } }
    class Transient { constructor(i) { this.i = i; } }
    class Late { constructor(i) { this.i = i; } }
    globalThis.app = { cache: [], kept: Array.from({ length: 500 }, (_, i) => new Kept(i)) };
    v8.writeHeapSnapshot(${JSON.stringify(files[0])});
    app.kept = null;
    for (let i = 0; i < 1000; i++) app.cache.push(new Leaked(i));
    app.transient = Array.from({ length: 300 }, (_, i) => new Transient(i));
    v8.writeHeapSnapshot(${JSON.stringify(files[1])});
    app.transient = null;
    app.late = Array.from({ length: 200 }, (_, i) => new Late(i));
    v8.writeHeapSnapshot(${JSON.stringify(files[2])});`;
  execFileSync(process.execPath, ['-e', script]);
  return files;
}

let three;
const threeFiles = () => (three ??= threeSnapshots());
const classNamed = (rows, name) => rows.find((row) => row.name === name);

test('diff counts the objects allocated and freed per class by node id', async () => {
  const [baseline, target] = threeFiles();
  const diff = await modswap.heap.diff(baseline, target);
  assert.equal(diff.before.file, baseline);
  assert.equal(diff.after.file, target);
  const leaked = classNamed(diff.classes, 'Leaked');
  assert.deepEqual([leaked.addedCount, leaked.removedCount, leaked.countDelta], [1000, 0, 1000]);
  const kept = classNamed(diff.classes, 'Kept');
  assert.deepEqual([kept.addedCount, kept.removedCount, kept.countDelta], [0, 500, -500]);
  assert.equal(classNamed(diff.classes, 'Transient').addedCount, 300);
  assert.equal(classNamed(diff.classes, 'Late'), undefined, 'Late does not exist yet');
  // All Leaked objects are new, so their bytes are the class's self size in the target...
  const targetAnalysis = await modswap.heap.analyze(target);
  assert.equal(leaked.addedSize, classNamed(targetAnalysis.classes, 'Leaked').selfSize);
  assert.equal(leaked.sizeDelta, leaked.addedSize);
  // ...and the totals are DevTools' totals of each snapshot.
  assert.equal(diff.after.totalSize, targetAnalysis.totalSize);
  assert.equal(diff.after.nodeCount, targetAnalysis.nodeCount);
  const deltas = diff.classes.map((row) => Math.abs(row.sizeDelta));
  assert.deepEqual(deltas, [...deltas].sort((a, b) => b - a), 'largest size change first');
});

test('leaks reports what was allocated between baseline and target and is still alive', async () => {
  const [baseline, target, final] = threeFiles();
  const leaks = await modswap.heap.leaks(baseline, target, final);
  assert.deepEqual([leaks.baseline.file, leaks.target.file, leaks.final.file], [baseline, target, final]);
  const group = leaks.groups.find((g) => g.className === 'Leaked');
  assert.ok(group, `a Leaked group among ${leaks.groups.map((g) => g.className).join(', ')}`);
  assert.equal(group.count, 1000);
  assert.equal(group.holder, 'Array');
  assert.equal(group.internal, false);
  assert.equal(leaks.groups[0], group, 'the largest group comes first');
  assert.match(group.pathShape, /\.app → Object\.cache → Array\[\] → Leaked$|\.cache → .*Leaked$/);
  const last = group.samplePath[group.samplePath.length - 1];
  assert.equal(last.node.name, 'Leaked');
  assert.ok(group.samplePath.some((step) => step.edge === 'cache'));
  assert.equal(group.examples.length, 5);
  assert.equal(last.node.id, group.examples[0].id, 'the sample path leads to the largest example');
  // Each Leaked object's subtree (its 512-element array) is counted once, under its root.
  assert.ok(group.retainedSize >= 1000 * 512 * 4, `retained ${group.retainedSize}`);
  for (const name of ['Transient', 'Late', 'Kept']) {
    assert.equal(leaks.groups.find((g) => g.className === name), undefined, `${name} is not a leak`);
  }
  assert.ok(leaks.leakedNodes >= 2000, 'objects and their arrays');
  assert.equal(leaks.groupCount >= leaks.groups.length, true);
});

test('analyze gives suspects and the shortest retainer path of any node id', async () => {
  const [, , final] = threeFiles();
  const leaks = await modswap.heap.leaks(...threeFiles(), { top: 1 });
  const leakedId = leaks.groups[0].examples[0].id;
  const result = await modswap.heap.analyze(final, { paths: [leakedId, 0xfffffff0] });
  const [found, missing] = result.paths;
  assert.equal(found.id, leakedId);
  assert.equal(found.found, true);
  const names = found.path.map((step) => step.edge);
  assert.deepEqual(names.slice(-2), ['cache', found.path[found.path.length - 1].edge]);
  assert.equal(found.path[found.path.length - 1].node.id, leakedId);
  assert.ok(found.path.some((step) => step.edge === 'app' && step.edgeType === 'property'));
  assert.deepEqual(missing, { id: 0xfffffff0, found: false, path: [] });
  // `app` holds ~2 MB of Leaked payloads, nearly all in app.cache: a suspect accumulated there.
  const suspect = result.suspects.find((s) => s.path[s.path.length - 1].edge === 'app');
  assert.ok(suspect, JSON.stringify(result.suspects.map((s) => [s.node.name, s.share])));
  assert.ok(suspect.share >= 0.1 && suspect.share <= 1);
  assert.equal(suspect.share, suspect.node.retainedSize / result.totalSize);
  assert.equal(suspect.accumulatedIn.name, 'Array');
  assert.ok(suspect.accumulatedIn.retainedSize >= 1000 * 512 * 4);
  assert.ok(suspect.accumulatedIn.retainedSize >= 0.8 * suspect.node.retainedSize, 'the heavy chain holds 80 % or more');
});

test('onProgress sees each file parsed and analysed, in order', async () => {
  const files = threeFiles();
  const events = [];
  await modswap.heap.leaks(...files, { onProgress: (event) => events.push(`${event.phase} ${event.file}/${event.files}`) });
  const seen = events.filter((event, i) => event !== events[i - 1]);
  assert.equal(seen[seen.length - 1], 'done 3/3');
  const order = [
    'parse 1/3',
    'parse 2/3',
    'parse 3/3',
    'essential edges 3/3',
    'dominators 3/3',
    'retained sizes 3/3',
    'paths 3/3',
    'done 3/3',
  ];
  const indexes = seen.map((event) => order.indexOf(event));
  assert.ok(indexes.every((i) => i >= 0), seen.join(', '));
  assert.deepEqual(indexes, [...indexes].sort((a, b) => a - b), seen.join(', '));
  await assert.rejects(modswap.heap.diff(files[0], files[1], { onProgress: 1 }), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
});

test('a diff or leak search names the file that is bad', async () => {
  const [baseline, target] = threeFiles();
  const missing = path.join(dir, 'gone.heapsnapshot');
  await assert.rejects(modswap.heap.diff(baseline, missing), { code: 'ERR_MODSWAP_NOT_FOUND', file: missing });
  const broken = path.join(dir, 'broken.heapsnapshot');
  fs.writeFileSync(broken, fs.readFileSync(target).subarray(0, 5000));
  await assert.rejects(modswap.heap.leaks(baseline, broken, target), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_BAD_SNAPSHOT');
    assert.equal(error.file, broken);
    return true;
  });
  await assert.rejects(modswap.heap.leaks(baseline, target), { code: 'ERR_MODSWAP_INVALID_ARG' });
});

test('the CLI reports real diffs and leaks as text and as an HTML report', () => {
  const [baseline, target, final] = threeFiles();
  const cli = path.join(__dirname, '..', 'bin', 'modswap.js');
  const diff = execFileSync(process.execPath, [cli, 'heap', 'diff', baseline, target], { encoding: 'utf8' });
  assert.match(diff, /^  Leaked +1,000 +0 +\+1,000 /m);
  assert.match(diff, /^  Kept +0 +500 +-500 /m);
  const html = path.join(dir, 'leaks.html');
  const text = execFileSync(process.execPath, [cli, 'heap', 'leaks', baseline, target, final, '--html', html], {
    encoding: 'utf8',
  });
  assert.match(text, /^  1\. 1,000 × 'Leaked' in Array retaining /m);
  assert.match(text, /shape: .*\.cache → .*Leaked$/m);
  const page = fs.readFileSync(html, 'utf8');
  assert.match(page, /1,000 × Leaked/);
  assert.match(page, /<section id="leaks">/);
  assert.ok(page.includes('.cache → '), 'the path shape is in the page');
});

test('the cache-deletion leak of examples/heap-leak is a suspect: a Module accumulated in its children', async () => {
  const file = path.join(dir, 'heap-leak.heapsnapshot');
  const example = path.join(__dirname, '..', 'examples', 'heap-leak', 'leaky-reload.js');
  execFileSync(process.execPath, [example, '20', file]);
  const first = await modswap.heap.analyze(file);
  // On Node 24+ the global object (or the native context) holding the rest of the heap comes
  // first, as a suspect of its own; the module is the one with an accumulation point.
  const suspect = first.suspects.find((s) => s.node.name === 'Module');
  assert.ok(suspect, JSON.stringify(first.suspects.map((s) => [s.node.name, s.share])));
  assert.equal(suspect.accumulatedIn.name, 'Array');
  // 21 copies of config.js's 20,000 routes: most of the heap.
  assert.ok(suspect.share > 0.5, `share ${suspect.share}`);
  assert.equal(suspect.path[suspect.path.length - 1].node.id, suspect.node.id);
  // The array is the module's `children`.
  const { paths } = await modswap.heap.analyze(file, { paths: [suspect.accumulatedIn.id] });
  const steps = paths[0].path;
  assert.equal(steps[steps.length - 1].edge, 'children');
  assert.equal(steps[steps.length - 2].node.id, suspect.node.id);
});

test('analyze reads a stream of chunks (a file stream, V8\'s own snapshot stream) like a file', async () => {
  const [, target] = threeFiles();
  const fromFile = await modswap.heap.analyze(target);
  const fromStream = await modswap.heap.analyze(fs.createReadStream(target, { highWaterMark: 4096 }), { name: 'target' });
  assert.equal(fromStream.file, 'target');
  assert.equal(fromStream.fileBytes, fromFile.fileBytes);
  for (const key of ['nodeCount', 'edgeCount', 'totalSize', 'classes', 'dominators', 'suspects']) {
    assert.deepEqual(fromStream[key], fromFile[key], key);
  }
  class StreamMarker {}
  const markers = Array.from({ length: 3 }, () => new StreamMarker());
  const self = await modswap.heap.analyze(require('node:v8').getHeapSnapshot());
  assert.equal(self.file, '(stream)');
  assert.equal(self.classes.find((row) => row.name === 'StreamMarker').count, markers.length);
});

test('a broken stream rejects with its own error; a truncated one as a bad snapshot', async () => {
  async function* failing() {
    yield Buffer.from('{"snapshot":');
    throw new Error('source broke');
  }
  await assert.rejects(modswap.heap.analyze(failing()), /source broke/);
  async function* truncated() {
    yield new Uint8Array(Buffer.from('{"snapshot":{"meta":'));
  }
  await assert.rejects(modswap.heap.analyze(truncated(), { name: 'cut' }), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_BAD_SNAPSHOT');
    assert.equal(error.file, 'cut');
    assert.match(error.message, /^cut: .*byte \d+/);
    return true;
  });
  async function* numbers() {
    yield 42;
  }
  await assert.rejects(modswap.heap.analyze(numbers()), { code: 'ERR_MODSWAP_INVALID_ARG' });
});

test('a snapshot with no nodes is a bad snapshot everywhere, not an internal error', async () => {
  const real = JSON.parse(fs.readFileSync(snapshotWithThings(1), 'utf8'));
  const empty = { ...real, nodes: [], edges: [], locations: [] };
  empty.snapshot = { ...real.snapshot, node_count: 0, edge_count: 0 };
  const file = path.join(dir, 'no-nodes.heapsnapshot');
  fs.writeFileSync(file, JSON.stringify(empty));
  const [baseline, target, final] = threeFiles();
  const isBad = (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_BAD_SNAPSHOT', error.message);
    assert.match(error.message, /no nodes \(node_count 0\)/);
    return true;
  };
  await assert.rejects(modswap.heap.analyze(file), isBad);
  await assert.rejects(modswap.heap.analyze(fs.createReadStream(file)), isBad);
  await assert.rejects(modswap.heap.diff(file, target), isBad);
  await assert.rejects(modswap.heap.diff(baseline, file), isBad);
  await assert.rejects(modswap.heap.leaks(file, target, final), isBad);
  await assert.rejects(modswap.heap.leaks(baseline, target, file), isBad);
  const cli = spawnSync(process.execPath, [path.join(__dirname, '..', 'bin', 'modswap.js'), 'heap', 'analyze', file], {
    encoding: 'utf8',
  });
  assert.equal(cli.status, 65, cli.stderr);
  assert.match(cli.stderr, /no nodes/);
  assert.doesNotMatch(cli.stderr, /panicked/);
});

test('the CLI reads a snapshot from a pipe (/dev/stdin) like the API, and refuses a BOM it cannot parse', {
  skip: process.platform === 'win32' && 'no /dev/stdin on Windows',
}, () => {
  const file = snapshotWithThings(3);
  const cli = path.join(__dirname, '..', 'bin', 'modswap.js');
  const fromFile = spawnSync(process.execPath, [cli, 'heap', 'analyze', file, '--json'], { encoding: 'utf8' });
  assert.equal(fromFile.status, 0, fromFile.stderr);
  // A shell pipe, as users write it: /dev/stdin is then a FIFO, which cannot be read at an offset.
  const throughPipe = (producer, flags = '') =>
    spawnSync('sh', ['-c', `${producer} | "$NODE_BIN" "$CLI" heap analyze /dev/stdin ${flags}`], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, SNAPSHOT: file, NODE_BIN: process.execPath, CLI: cli },
    });
  const piped = throughPipe('cat "$SNAPSHOT"', '--json');
  assert.equal(piped.status, 0, piped.stderr);
  assert.doesNotMatch(piped.stderr, /ESPIPE/);
  const [a, b] = [fromFile, piped].map((run) => JSON.parse(run.stdout));
  assert.equal(b.file, '/dev/stdin');
  assert.equal(b.fileBytes, a.fileBytes, 'the bytes that came through the pipe');
  assert.equal(b.nodeCount, a.nodeCount);
  assert.equal(b.totalSize, a.totalSize);
  const garbage = throughPipe('printf hello');
  assert.equal(garbage.status, 65, garbage.stderr);
  assert.match(garbage.stderr, /not a V8 heap snapshot at byte 0/);

  const withBom = path.join(dir, 'bom.heapsnapshot');
  fs.writeFileSync(withBom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fs.readFileSync(file)]));
  const bom = spawnSync(process.execPath, [cli, 'heap', 'analyze', withBom], { encoding: 'utf8' });
  assert.equal(bom.status, 65, bom.stderr);
  assert.match(bom.stderr, /byte order mark/);
});

test('a directory given as a snapshot is an I/O error, as documented, for analyze, diff and leaks', async () => {
  const [baseline, target] = threeFiles();
  const isIo = (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_IO', error.message);
    assert.equal(error.file, dir);
    assert.match(error.message, /directory/i);
    return true;
  };
  await assert.rejects(modswap.heap.analyze(dir), isIo);
  await assert.rejects(modswap.heap.diff(dir, target), isIo);
  await assert.rejects(modswap.heap.leaks(baseline, target, dir), isIo);
});

test('a stream that fails to parse is rejected at once and read no further', { timeout: 60_000 }, async () => {
  // 400 MiB of garbage in 1 MiB chunks: the parser fails on the first byte.
  const chunk = Buffer.alloc(1 << 20, 'x');
  let pulled = 0;
  async function* garbage() {
    for (let i = 0; i < 400; i++) {
      pulled++;
      yield chunk;
    }
  }
  await assert.rejects(modswap.heap.analyze(garbage()), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_BAD_SNAPSHOT');
    assert.match(error.message, /byte 0/);
    return true;
  });
  assert.ok(pulled < 16, `${pulled} MiB of garbage were read after the parser failed`);
  if (process.platform === 'linux') {
    // An endless source: it must end, and the stream must be destroyed.
    const zeros = fs.createReadStream('/dev/zero');
    await assert.rejects(modswap.heap.analyze(zeros), { code: 'ERR_MODSWAP_BAD_SNAPSHOT' });
    assert.equal(zeros.destroyed, true);
  }
});

test("an app's own `class Module` and Node's `Module` are two class rows with their locations", async () => {
  const app = path.join(dir, 'app-module.js');
  const file = path.join(dir, 'modules.heapsnapshot');
  // The app's Module: DevTools keys classes by constructor name AND location (V8 records the
  // constructor's, here line 3, column 14: its parameter list).
  fs.writeFileSync(
    app,
    `'use strict';
class Module {
  constructor(i) {
    this.i = i;
  }
}
globalThis.mine = Array.from({ length: 500 }, (_, i) => new Module(i));
require('v8').writeHeapSnapshot(process.argv[2]);
`,
  );
  execFileSync(process.execPath, [app, file]);
  const result = await modswap.heap.analyze(file);
  const modules = result.classes.filter((row) => row.name === 'Module');
  const describe = JSON.stringify(modules, null, 1);
  const mine = modules.filter((row) => row.script === app);
  assert.equal(mine.length, 1, describe);
  assert.deepEqual([mine[0].count, mine[0].line, mine[0].column], [500, 3, 14], describe);
  // Node's own Module (the main module is one), a row of its own (node:internal/vm/module has
  // another `Module` class).
  const nodes = modules.filter((row) => row.script === 'node:internal/modules/cjs/loader');
  assert.equal(nodes.length, 1, describe);
  assert.ok(nodes[0].count >= 1 && nodes[0].line > 1 && nodes[0].column >= 1, describe);
  assert.notEqual(nodes[0].scriptId, mine[0].scriptId);
  assert.ok(modules.every((row) => Number.isInteger(row.line) && row.script), describe);
  // Classes without a constructor location have none.
  const strings = result.classes.find((row) => row.name === '(string)');
  assert.deepEqual([strings.script, strings.line, strings.scriptId], [undefined, undefined, undefined]);

  const text = execFileSync(process.execPath, [path.join(__dirname, '..', 'bin', 'modswap.js'), 'heap', 'analyze', file, '--top=100000'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const classTable = text.slice(text.indexOf('Classes by retained size'), text.indexOf('Largest dominators'));
  const rows = classTable.split('\n').filter((line) => /^ {2}Module /.test(line));
  assert.equal(rows.length, modules.length, rows.join('\n'));
  assert.ok(rows.some((line) => /\/app-module\.js:3 +500 /.test(line)), rows.join('\n'));
  assert.ok(rows.some((line) => line.includes(` node:internal/modules/cjs/loader:${nodes[0].line} `)), rows.join('\n'));
});
