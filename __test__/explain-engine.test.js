'use strict';
// The native explain engine on real snapshots of this Node: an old generation of x.js, marked
// by hand as modswap's tracker marks it, held in each of the ways fixtures/explain/stale.js
// sets up. Each test asserts what holds it and the edge to change.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { binding } = require('../lib/native');

const FIXTURE = path.join(__dirname, 'fixtures', 'explain', 'stale.js');
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-explain-')));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes the snapshot of one case; returns its path and the app's directory. */
function snapshotOf(name) {
  execFileSync(process.execPath, [FIXTURE, name, dir]);
  return { file: path.join(dir, `${name}.heapsnapshot`), app: path.join(dir, name) };
}

/** The one stale generation of a case's snapshot: x.js generation 1. */
async function explainCase(name) {
  const { file, app } = snapshotOf(name);
  const result = await binding.explainHeapSnapshot(file);
  assert.equal(result.file, file);
  assert.equal(result.fileBytes, fs.statSync(file).size);
  assert.equal(result.generations.length, 1, JSON.stringify(result.generations, null, 1));
  const [generation] = result.generations;
  assert.equal(generation.file, path.join(app, 'x.js'));
  assert.equal(generation.generation, 1);
  assert.equal(generation.found, true);
  // From a user root (the global), each step is one unit of DevTools' distance.
  assert.ok(generation.distance < 100000000, `distance ${generation.distance}`);
  assert.equal(generation.path.length, generation.distance);
  const last = generation.path[generation.path.length - 1];
  assert.equal(last.node.id, generation.nodeId);
  assert.match(last.node.name, / #1\)$/);
  assert.deepEqual(result.groups.map((group) => [group.kind, group.generations]), [[generation.holder.kind, [0]]]);
  return { result, generation, holder: generation.holder, app };
}

/** The culprit step, checked against the holder's own fields. */
function culprit(generation) {
  const step = generation.path[generation.holder.step];
  assert.equal(step.edge, generation.holder.edge);
  return step;
}

test('a timer callback: the Timeout and its _onTimeout edge', async () => {
  const { generation, holder } = await explainCase('timer');
  assert.equal(holder.kind, 'timer');
  assert.equal(holder.edge, '_onTimeout');
  assert.equal(holder.node.name, 'Timeout');
  assert.equal(culprit(generation).edgeType, 'property');
  assert.equal(generation.role, 'export');
  assert.equal(generation.exportName, 'handler');
  assert.equal(generation.path.at(-1).edge, 'handler', 'the closure captured handler');
});

test('an export captured by a module that was not reloaded: that module and the variable', async () => {
  const { generation, holder, app } = await explainCase('captured');
  assert.equal(holder.kind, 'captured-exports');
  assert.equal(holder.edge, 'handler');
  assert.equal(culprit(generation).edgeType, 'context');
  assert.equal(holder.node.name, `Module(${path.join(app, 'y.js')})`);
  assert.equal(generation.role, 'export');
});

test('a process.on listener: the event on process', async () => {
  const { generation, holder } = await explainCase('listener');
  assert.equal(holder.kind, 'listener');
  assert.equal(holder.edge, 'SIGUSR2');
  assert.equal(holder.node.name, 'process');
  assert.equal(holder.onProcess, true);
  assert.equal(generation.path[holder.step - 1].edge, '_events');
  assert.equal(generation.exportName, 'onSignal');
});

test("a second parent's children array: the hand-made Module that lists the old one", async () => {
  const { generation, holder, app } = await explainCase('children');
  assert.equal(holder.kind, 'children');
  assert.equal(holder.edge, 'children');
  assert.equal(holder.node.name, `Module(${path.join(app, 'stranger.js')})`);
  assert.equal(generation.role, 'module');
  assert.equal(generation.path.at(-1).node.name, `Module(${path.join(app, 'x.js')} #1)`);
  assert.equal(generation.path.at(-1).node.type, 'object');
});

test("a closure in a package's cache: the package's variable that holds it", async () => {
  const { generation, holder, app } = await explainCase('package');
  assert.equal(holder.kind, 'package');
  assert.equal(holder.edge, 'cache');
  assert.equal(culprit(generation).edgeType, 'context');
  assert.equal(holder.node.name, `Module(${path.join(app, 'node_modules', 'cachepkg', 'index.js')})`);
});

test("Node's last-parent record of a dependency (Node >= 22; Node 20 lets the old module go)", async () => {
  if (NODE_MAJOR < 22) {
    const { file } = snapshotOf('last-parent');
    const result = await binding.explainHeapSnapshot(file);
    assert.equal(result.markers, 0);
    assert.deepEqual(result.generations, []);
    return;
  }
  const { generation, holder, app } = await explainCase('last-parent');
  assert.equal(holder.kind, 'last-parent');
  assert.match(holder.edge, /module_last_parent/);
  assert.equal(holder.node.name, `Module(${path.join(app, 'dep.js')})`);
  assert.equal(generation.role, 'module');
});

test('a snapshot arriving in chunks explains the same as the file', async () => {
  const { file } = snapshotOf('timer');
  const fromFile = await binding.explainHeapSnapshot(file);
  const stream = new binding.HeapSnapshotStream('timer (stream)');
  const bytes = fs.readFileSync(file);
  for (let at = 0; at < bytes.length; at += 64 * 1024) stream.write(bytes.subarray(at, at + 64 * 1024));
  const fromStream = await stream.explain();
  assert.equal(fromStream.file, 'timer (stream)');
  assert.equal(fromStream.fileBytes, bytes.length);
  assert.deepEqual(fromStream.generations, fromFile.generations);
  assert.deepEqual(fromStream.groups, fromFile.groups);
  await assert.rejects(stream.explain(), /ERR_MODSWAP_INVALID_ARG: timer \(stream\): already analysed/);
});

test('a snapshot without markers explains nothing; a corrupt one is rejected naming the file', async () => {
  const plain = path.join(dir, 'plain.heapsnapshot');
  execFileSync(process.execPath, ['-e', `require('v8').writeHeapSnapshot(${JSON.stringify(plain)})`]);
  const result = await binding.explainHeapSnapshot(plain);
  assert.equal(result.markers, 0);
  assert.deepEqual(result.generations, []);
  assert.ok(result.nodeCount > 1000);
  for (const phase of ['load', 'explain', 'total']) assert.equal(typeof result.timingsMs[phase], 'number');

  const corrupt = path.join(dir, 'corrupt.heapsnapshot');
  const whole = fs.readFileSync(plain);
  fs.writeFileSync(corrupt, whole.subarray(0, whole.length >> 1));
  await assert.rejects(binding.explainHeapSnapshot(corrupt), (error) => {
    assert.ok(error.message.startsWith(`ERR_MODSWAP_BAD_SNAPSHOT: ${corrupt}: `), error.message);
    return true;
  });
  await assert.rejects(binding.explainHeapSnapshot(path.join(dir, 'missing.heapsnapshot')), /ERR_MODSWAP_NOT_FOUND/);
});
