'use strict';
// modswap.explain() and `modswap why`: each case builds a real app in a fixture, reloads a module
// so that its old generation stays alive in a known way, and checks that explain() names the
// generation, the holder's kind and the edge that holds it. Each app runs in a child process
// (a fresh heap, and the Node this suite runs under).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const { makeFixture } = require('./helpers');

const INDEX = path.join(__dirname, '..', 'index.js');
const CLI = path.join(__dirname, '..', 'bin', 'modswap.js');

/** Runs `main.js` of a fixture made of `files`; returns its last stdout line as JSON. */
function runApp(files, { keep } = {}) {
  const fixture = makeFixture(files);
  try {
    const child = spawnSync(process.execPath, ['--expose-gc', fixture.path('main.js')], {
      cwd: fixture.root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    assert.equal(child.status, 0, `app exited with ${child.status} ${child.signal ?? ''}\n${child.stderr}`);
    const lines = child.stdout.trim().split('\n');
    return { report: JSON.parse(lines[lines.length - 1]), fixture };
  } finally {
    if (!keep) fixture.remove();
  }
}

/** main.js: loads `setup` (which makes generation 1 of a.js alive), reloads a.js, explains. */
const MAIN = (setup) => `
const modswap = require(${JSON.stringify(INDEX)});
${setup}
modswap.reload('./a.js');
setImmediate(async () => {
  for (let i = 0; i < 4; i++) { gc(); await new Promise((r) => setImmediate(r)); }
  const x = await modswap.explain();
  console.log(JSON.stringify({
    stale: modswap.stale().map((row) => row.generation),
    generations: x.generations.map((g) => ({ file: g.file, generation: g.generation, held: g.held, kind: g.holder.kind, edge: g.holder.edge, node: g.holder.node, pathText: g.pathText, fix: g.fix })),
    groups: x.groups.length,
    snapshot: x.snapshot,
  }));
});
`;

/** The one generation the report explains, a.js #1. */
function onlyGeneration(report, fixture) {
  assert.deepEqual(report.stale, [1], 'stale() lists generation 1 of a.js');
  assert.equal(report.generations.length, 1, JSON.stringify(report.generations, null, 2));
  const [g] = report.generations;
  assert.equal(g.file, fixture.path('a.js'));
  assert.equal(g.generation, 1);
  assert.match(g.pathText, /a\.js/);
  return g;
}

test('a timer closure that captured module: held by a timer, through _onTimeout', () => {
  const { report, fixture } = runApp(
    {
      'a.js': 'let ticks = 0;\nsetInterval(() => { ticks++; module.exports.ticks = ticks; }, 1e6).unref();\nexports.ticks = 0;\n',
      // Resource tracking would clear the old generation's timer: as with tracking off.
      'main.js': MAIN("modswap.resourcePolicy('off');\nrequire('./a.js');"),
    },
    { keep: true },
  );
  try {
    const g = onlyGeneration(report, fixture);
    assert.equal(g.kind, 'timer');
    assert.match(g.pathText, /_onTimeout/);
    assert.match(g.fix, /clearInterval/);
    assert.equal(report.snapshot.file, null, 'the snapshot is removed');
  } finally {
    fixture.remove();
  }
});

test('an export captured by a module that was not reloaded (the entry): captured-exports', () => {
  const { report, fixture } = runApp(
    {
      'a.js': 'exports.handler = function handler() { return 1; };\n',
      // reload() re-executes a's importers up to the entry, which it never re-executes.
      'main.js': MAIN("const { handler } = require('./a.js');\nglobalThis.callHandler = () => handler();"),
    },
    { keep: true },
  );
  try {
    const g = onlyGeneration(report, fixture);
    assert.equal(g.kind, 'captured-exports');
    assert.equal(g.held, 'export');
    assert.match(g.pathText, /handler/);
  } finally {
    fixture.remove();
  }
});

test('a process.on() listener: held by a process listener', () => {
  const { report, fixture } = runApp(
    {
      'a.js': "process.on('modswap-test-event', function onEvent() { return module.exports; });\nexports.x = 1;\n",
      'main.js': MAIN("modswap.resourcePolicy('off');\nrequire('./a.js');"),
    },
    { keep: true },
  );
  try {
    const g = onlyGeneration(report, fixture);
    assert.equal(g.kind, 'process-listener');
    assert.match(g.pathText, /_events/);
    assert.match(g.pathText, /modswap-test-event/);
    assert.match(g.fix, /process\.off/);
  } finally {
    fixture.remove();
  }
});

test("a second parent's children array built behind modswap's back: children", () => {
  const { report, fixture } = runApp(
    {
      'a.js': 'exports.x = 1;\n',
      'main.js': MAIN(`
const Module = require('node:module');
require('./a.js');
globalThis.byHand = new Module(require('node:path').join(__dirname, 'by-hand.js'));
globalThis.byHand.children.push(require.cache[require.resolve('./a.js')]);
`),
    },
    { keep: true },
  );
  try {
    const g = onlyGeneration(report, fixture);
    assert.equal(g.kind, 'children');
    assert.equal(g.held, 'module');
    assert.match(g.pathText, /children/);
    assert.match(g.pathText, /byHand/);
  } finally {
    fixture.remove();
  }
});

test('a closure kept in the cache of a package under node_modules: package', () => {
  const { report, fixture } = runApp(
    {
      'node_modules/memo-cache/package.json': '{ "name": "memo-cache", "main": "index.js" }\n',
      // A registry that only grows: every generation's callback stays.
      'node_modules/memo-cache/index.js': 'const callbacks = [];\nexports.register = (fn) => callbacks.push(fn);\n',
      'a.js': "require('memo-cache').register(() => module.exports);\nexports.x = 1;\n",
      // The entry requires the package first: Node >= 22's last-parent record names the entry.
      'main.js': MAIN("require('memo-cache');\nrequire('./a.js');"),
    },
    { keep: true },
  );
  try {
    const g = onlyGeneration(report, fixture);
    assert.equal(g.kind, 'package');
    assert.match(g.pathText, /node_modules/);
  } finally {
    fixture.remove();
  }
});

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

test("a package the old generation required first: Node >= 22's last-parent record (Node 20 has none)", () => {
  const { report, fixture } = runApp(
    {
      'node_modules/plain/package.json': '{ "name": "plain", "main": "index.js" }\n',
      'node_modules/plain/index.js': 'exports.value = 1;\n',
      'a.js': "require('plain');\nexports.x = 1;\n",
      'main.js': MAIN("require('./a.js');"),
    },
    { keep: true },
  );
  try {
    if (NODE_MAJOR < 22) {
      assert.deepEqual(report.stale, [], 'Node 20 keeps no last parent: generation 1 is collected');
      return;
    }
    const g = onlyGeneration(report, fixture);
    assert.equal(g.kind, 'last-parent');
    assert.match(g.edge, /last_parent/);
    assert.match(g.node, /node_modules\/plain\/index\.js/);
    assert.match(g.fix, /never reload/);
  } finally {
    fixture.remove();
  }
});

test('nothing stale: explain() takes no snapshot and reports nothing', () => {
  const { report } = runApp({
    'a.js': 'exports.x = 1;\n',
    'main.js': MAIN("require('./a.js');"),
  });
  assert.deepEqual(report.stale, []);
  assert.deepEqual(report.generations, []);
  assert.equal(report.snapshot, null);
});

test('explain(id) explains the generations of that module only; keepSnapshot keeps the file for modswap why', () => {
  const fixture = makeFixture({
    'a.js': "process.on('modswap-a', () => module);\nexports.a = 1;\n",
    'c.js': "process.on('modswap-c', () => module);\nexports.c = 1;\n",
    'main.js': `
const modswap = require(${JSON.stringify(INDEX)});
modswap.resourcePolicy('off');
require('./a.js'); require('./c.js');
modswap.reload('./a.js'); modswap.reload('./c.js');
setImmediate(async () => {
  for (let i = 0; i < 4; i++) { gc(); await new Promise((r) => setImmediate(r)); }
  const onlyA = await modswap.explain('./a.js', { keepSnapshot: true, snapshotDir: __dirname });
  const bad = await modswap.explain(undefined, { keepSnapshot: 'yes' }).catch((e) => e.code);
  console.log(JSON.stringify({ files: onlyA.generations.map((g) => g.file), snapshot: onlyA.snapshot.file, bad }));
});
`,
  });
  try {
    const child = spawnSync(process.execPath, ['--expose-gc', fixture.path('main.js')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.status, 0, child.stderr);
    const report = JSON.parse(child.stdout.trim().split('\n').pop());
    assert.deepEqual(report.files, [fixture.path('a.js')]);
    assert.equal(report.bad, 'ERR_MODSWAP_INVALID_ARG');
    assert.ok(fs.existsSync(report.snapshot), 'the snapshot is kept');
    assert.equal(path.dirname(report.snapshot), fixture.root);
    // The same snapshot, read later by the CLI, from its markers alone.
    const why = spawnSync(process.execPath, [CLI, 'why', report.snapshot], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(why.status, 0, why.stderr);
    assert.match(why.stdout, /2 old generations still alive/);
    assert.match(why.stdout, new RegExp(`${fixture.path('a.js').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} #1`));
    assert.match(why.stdout, /held by a process listener/);
    const json = spawnSync(process.execPath, [CLI, 'why', report.snapshot, '--json', '--html', fixture.path('why.html')], { encoding: 'utf8' });
    assert.equal(json.status, 0, json.stderr);
    const parsed = JSON.parse(json.stdout);
    assert.deepEqual(parsed.generations.map((g) => g.holder.kind).sort(), ['process-listener', 'process-listener']);
    assert.match(fs.readFileSync(fixture.path('why.html'), 'utf8'), /Old generations still alive/);
  } finally {
    fixture.remove();
  }
});

test('modswap why on a file that is not a snapshot fails with the file and exit code 65', () => {
  const fixture = makeFixture({ 'bad.heapsnapshot': 'not json' });
  try {
    const why = spawnSync(process.execPath, [CLI, 'why', fixture.path('bad.heapsnapshot')], { encoding: 'utf8' });
    assert.equal(why.status, 65);
    assert.match(why.stderr, /bad\.heapsnapshot/);
  } finally {
    fixture.remove();
  }
});

test('modswap run: why + Enter prints the explanation of the app\'s old generations', { timeout: 60000 }, async () => {
  const { MODSWAP, get, startRunner, waitFor, waitForLog, ports, stopRunner } = require('./runner-helpers');
  const fixture = makeFixture({
    'server.js': `const http = require('node:http');
const modswap = require(${JSON.stringify(MODSWAP)});
const handler = modswap.hot('./handler');
http.createServer((req, res) => res.end(handler())).listen(0, '127.0.0.1', function () {
  console.log('port ' + this.address().port + ' pid ' + process.pid);
});
`,
    // Every generation files its handler in a global list: the old ones stay.
    'handler.js': "module.exports = () => 'v1';\n(globalThis.handlers ??= []).push(module.exports);\n",
  });
  const { child, output } = startRunner(fixture.root);
  try {
    const { port } = await waitFor('the server to listen', () => ports(output)[0]);
    fixture.write('handler.js', "module.exports = () => 'v2';\n(globalThis.handlers ??= []).push(module.exports);\n");
    await waitFor('v2 to be served', async () => (await get(port)) === 'v2');
    child.stdin.write('why\n');
    await waitForLog(output, /held by [^\n]*\n[^\n]*\.handlers → Array\[0\]/);
    assert.match(output.stderr, /why: taking a heap snapshot/);
    assert.match(output.stderr, /1 old generation still alive/);
    assert.match(output.stderr, new RegExp(`${fixture.path('handler.js').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} #1`));
    assert.equal(ports(output).length, 1, 'no restart');
  } finally {
    await stopRunner(child);
    fixture.remove();
  }
});
