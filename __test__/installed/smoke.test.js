'use strict';
// Runs inside a fresh project where modswap was installed from its npm tarballs, as a user gets it
// (scripts/check-install.mjs sets that up): the main package plus the platform package of this
// machine, no Rust toolchain on PATH. Not part of `npm test` in the repository.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const onWindows = process.platform === 'win32';
const modswap = require('modswap');
const packageRoot = path.dirname(require.resolve('modswap/package.json'));

function run(command, args, options = {}) {
  return spawnSync(onWindows ? `${command}.cmd` : command, args, { encoding: 'utf8', shell: onWindows, ...options });
}

function temporaryDirectory() {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-smoke-')));
}

test('no Rust toolchain is on PATH, and PATH runs this same Node', () => {
  assert.equal(spawnSync('cargo', ['--version']).error?.code, 'ENOENT');
  assert.equal(spawnSync('rustc', ['--version']).error?.code, 'ENOENT');
  assert.equal(spawnSync('node', ['--version'], { encoding: 'utf8', shell: onWindows }).stdout.trim(), process.version);
});

test('the binary is the one of the platform package; the main package carries none', () => {
  const addons = process.report
    .getReport()
    .sharedObjects.filter((file) => /modswap\.[\w-]+\.node$/.test(file))
    .map((file) => fs.realpathSync(file));
  assert.equal(addons.length, 1, addons.join(', '));
  const owner = path.basename(path.dirname(addons[0]));
  assert.match(owner, /^modswap-(linux|darwin|win32)-/);
  assert.equal(path.basename(path.dirname(path.dirname(addons[0]))), 'node_modules');
  assert.deepEqual(fs.readdirSync(packageRoot).filter((name) => name.endsWith('.node')), []);
  for (const absent of ['Cargo.toml', 'src', '__test__', 'bench', 'fuzz']) {
    assert.equal(fs.existsSync(path.join(packageRoot, absent)), false, absent);
  }
});

test('a reload that fails rolls back, and the next good one swaps', () => {
  const dir = temporaryDirectory();
  const file = path.join(dir, 'routes.js');
  fs.writeFileSync(file, 'module.exports = { version: 1 };\n');
  assert.equal(require(file).version, 1);
  fs.writeFileSync(file, 'module.exports = { version: 2 \n');
  assert.throws(() => modswap.reload(file), (error) => {
    assert.equal(error.code, 'ERR_MODSWAP_RELOAD_FAILED');
    assert.equal(error.file, file);
    assert.equal(error.cause.name, 'SyntaxError');
    return true;
  });
  assert.equal(require(file).version, 1, 'the old version keeps serving');
  fs.writeFileSync(file, 'module.exports = { version: 3 };\n');
  assert.equal(modswap.reload(file).version, 3);
  assert.equal(require(file).version, 3);
  assert.deepEqual(
    modswap.generations(file).map((row) => row.generation),
    [1, 2],
  );
  fs.rmSync(dir, { recursive: true, force: true });
});

test("memwatch emits 'stats' after a full GC", async () => {
  const stats = await new Promise((resolve) => {
    modswap.memwatch.once('stats', resolve);
    modswap.memwatch.gc();
  });
  assert.ok(stats.num_full_gc >= 1, JSON.stringify(stats));
  assert.ok(stats.current_base > 1e6, JSON.stringify(stats));
  assert.ok(stats.total_heap_size >= stats.used_heap_size, JSON.stringify(stats));
});

test('heap.analyze and `npx modswap heap analyze` read the same small snapshot', async () => {
  const dir = temporaryDirectory();
  const file = path.join(dir, 'small.heapsnapshot');
  const writer = spawnSync(process.execPath, ['-e', `require('v8').writeHeapSnapshot(${JSON.stringify(file)})`]);
  assert.equal(writer.status, 0, String(writer.stderr));
  const analysis = await modswap.heap.analyze(file);
  assert.ok(analysis.nodeCount > 10000, String(analysis.nodeCount));
  assert.ok(analysis.totalSize > 1e6, String(analysis.totalSize));
  assert.ok(analysis.classes.some((row) => row.name === 'Object' && row.count > 0));

  const cli = run('npx', ['--no-install', 'modswap', 'heap', 'analyze', file, '--json'], { cwd: process.cwd() });
  assert.equal(cli.status, 0, cli.stderr);
  const report = JSON.parse(cli.stdout);
  assert.equal(report.nodeCount, analysis.nodeCount);
  assert.equal(report.totalSize, analysis.totalSize);
  fs.rmSync(dir, { recursive: true, force: true });
});
