'use strict';
// lib/dev/watcher.js on real files: every save style editors use comes out as one batch with
// one change per file, and closing lets the process exit.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { watch } = require('../lib/dev/watcher');
const { ModswapError } = require('../lib/errors');
const { makeFixture } = require('./helpers');
const { inotifyLimitWrap } = require('./runner-helpers');

const BATCH_TIMEOUT_MS = 5000;
/** Longer than any hold-back of the watcher (250 ms for a write never closed). */
const SETTLE_MS = 400;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Watches `fixture.root`, keeping every batch and error it delivers, in order. */
function record(fixture, options = {}) {
  const batches = [];
  const errors = [];
  let wake = () => {};
  const handle = watch(fixture.root, options, (error, changes) => {
    if (error) errors.push(error);
    else batches.push(changes);
    wake();
  });
  const relative = (changes) => changes.map(({ path: p, kind }) => `${kind} ${path.relative(fixture.root, p)}`);
  return {
    handle,
    batches,
    errors,
    /** The next batch as `'kind relative/path'` strings; fails after BATCH_TIMEOUT_MS. */
    async next(what) {
      const seen = batches.length;
      const deadline = Date.now() + BATCH_TIMEOUT_MS;
      while (batches.length === seen) {
        const left = deadline - Date.now();
        if (left <= 0) assert.fail(`no batch within ${BATCH_TIMEOUT_MS} ms after ${what}`);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return relative(batches[seen]);
    },
    /** Waits SETTLE_MS and returns the batches that arrived meanwhile. */
    async quietAfter(count) {
      await sleep(SETTLE_MS);
      return batches.slice(count).map(relative);
    },
    relative,
  };
}

function watchedFixture(files, options) {
  const fixture = makeFixture(files);
  const watcher = record(fixture, options);
  return { fixture, watcher, done: () => (watcher.handle.close(), fixture.remove()) };
}

test('a plain write is one change', async () => {
  const { fixture, watcher, done } = watchedFixture({ 'x.js': '1' });
  fs.writeFileSync(fixture.path('x.js'), '2');
  assert.deepEqual(await watcher.next('writeFileSync'), ['change x.js']);
  assert.deepEqual(await watcher.quietAfter(1), []);
  done();
});

test('a rename-save is one change of the original, and the next rename-save is still seen', async () => {
  const { fixture, watcher, done } = watchedFixture({ 'x.js': '1' });
  const renameSave = (tmp, source) => {
    fs.writeFileSync(fixture.path(tmp), source);
    fs.renameSync(fixture.path(tmp), fixture.path('x.js'));
  };
  const inodeBefore = fs.statSync(fixture.path('x.js')).ino;
  renameSave('x.js.tmp', '2');
  assert.notEqual(fs.statSync(fixture.path('x.js')).ino, inodeBefore, 'the save replaced the inode');
  assert.deepEqual(await watcher.next('the first rename-save'), ['change x.js']);
  assert.deepEqual(await watcher.quietAfter(1), [], 'exactly one batch');
  // write-file-atomic's temp names match no editor pattern: the net effect alone hides them.
  renameSave('x.js.1907361923', '3');
  assert.deepEqual(await watcher.next('the second rename-save'), ['change x.js']);
  assert.deepEqual(await watcher.quietAfter(2), []);
  done();
});

test('truncate then write is one change', async () => {
  const { fixture, watcher, done } = watchedFixture({ 'x.js': 'module.exports = 1;' });
  fs.truncateSync(fixture.path('x.js'), 0);
  fs.appendFileSync(fixture.path('x.js'), 'module.exports = 2;');
  assert.deepEqual(await watcher.next('truncate + append'), ['change x.js']);
  assert.deepEqual(await watcher.quietAfter(1), []);
  done();
});

test('unlink then create is one change', async () => {
  const { fixture, watcher, done } = watchedFixture({ 'x.js': '1' });
  fs.unlinkSync(fixture.path('x.js'));
  fs.writeFileSync(fixture.path('x.js'), '2');
  assert.deepEqual(await watcher.next('unlink + create'), ['change x.js']);
  assert.deepEqual(await watcher.quietAfter(1), []);
  done();
});

test('a deleted file is a remove, a new one an add', async () => {
  const { fixture, watcher, done } = watchedFixture({ 'old.js': '1' });
  fs.unlinkSync(fixture.path('old.js'));
  assert.deepEqual(await watcher.next('unlink'), ['remove old.js']);
  fs.writeFileSync(fixture.path('new.js'), '1');
  assert.deepEqual(await watcher.next('a new file'), ['add new.js']);
  done();
});

test('a save by vim is one change and its probe, swap and backup files never show', async (t) => {
  if (spawnSync('vim', ['--version']).status !== 0) return t.skip('vim is not installed');
  const { fixture, watcher, done } = watchedFixture({ 'x.js': 'module.exports = 1;\n' });
  // -u NONE: no user config; backups on, swap file on, so it writes all it usually writes.
  const vim = spawnSync(
    'vim',
    ['-u', 'NONE', '-N', '-es', '-c', 'set backup writebackup', '-c', 'normal! ggcwexports', '-c', 'wq', 'x.js'],
    { cwd: fixture.root, timeout: BATCH_TIMEOUT_MS },
  );
  assert.equal(vim.status, 0, `vim failed: ${vim.stderr}`);
  assert.match(fs.readFileSync(fixture.path('x.js'), 'utf8'), /^exports/);
  const batches = [await watcher.next('a vim save'), ...(await watcher.quietAfter(1))];
  assert.deepEqual(batches, [['change x.js']]);
  done();
});

test('a burst of 50 writes to 10 files is coalesced, each file once per batch', async () => {
  const files = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}.js`, '0']));
  const { fixture, watcher, done } = watchedFixture(files);
  for (let round = 1; round <= 5; round++) {
    for (const name of Object.keys(files)) fs.writeFileSync(fixture.path(name), String(round));
  }
  await watcher.next('50 writes');
  await watcher.quietAfter(0);
  const batches = watcher.batches.map(watcher.relative);
  assert.ok(batches.length <= 3, `50 writes gave ${batches.length} batches, expected at most 3`);
  for (const batch of batches) assert.equal(new Set(batch).size, batch.length, `a file twice in ${batch}`);
  const changed = new Set(batches.flat());
  assert.deepEqual([...changed].sort(), Object.keys(files).map((name) => `change ${name}`).sort());
  done();
});

test('changes inside node_modules and .git are never reported', async () => {
  const { fixture, watcher, done } = watchedFixture({
    'a.js': '1',
    'node_modules/dep/index.js': '1',
    '.git/HEAD': 'ref: refs/heads/main',
    'lib/node_modules/nested/index.js': '1',
  });
  fs.writeFileSync(fixture.path('node_modules/dep/index.js'), '2');
  fs.mkdirSync(fixture.path('node_modules/new-dep'));
  fs.writeFileSync(fixture.path('node_modules/new-dep/index.js'), '1');
  fs.writeFileSync(fixture.path('.git/index'), 'x');
  fs.writeFileSync(fixture.path('lib/node_modules/nested/index.js'), '2');
  await sleep(50);
  fs.writeFileSync(fixture.path('a.js'), '2'); // the sentinel: everything before it was seen
  assert.deepEqual(await watcher.next('the sentinel write'), ['change a.js']);
  assert.deepEqual(await watcher.quietAfter(1), []);
  assert.equal(watcher.batches.length, 1);
  done();
});

test('a subdirectory created after start is watched', async () => {
  const { fixture, watcher, done } = watchedFixture({ 'a.js': '1' });
  fs.mkdirSync(fixture.path('lib'));
  await sleep(50); // let the directory's own batch (no files: nothing to report) pass
  fs.writeFileSync(fixture.path('lib/b.js'), '1');
  assert.deepEqual(await watcher.next('a file in the new directory'), ['add lib/b.js']);
  fs.writeFileSync(fixture.path('lib/b.js'), '2');
  assert.deepEqual(await watcher.next('a write in the new directory'), ['change lib/b.js']);
  // Created with its files in one go (git checkout, mkdir -p + write): found by the walk.
  fixture.write('deep/er/c.js', '1');
  assert.deepEqual(await watcher.next('a new tree'), ['add deep/er/c.js']);
  done();
});

test('ignore patterns and extensions leave files out', async () => {
  const { fixture, watcher, done } = watchedFixture(
    { 'a.js': '1', 'dist/b.js': '1', 'server.log': '', 'c.md': '', 'd.json': '{}' },
    { ignore: ['dist', '*.log'], extensions: ['js', '.json'] },
  );
  fs.writeFileSync(fixture.path('dist/b.js'), '2');
  fs.appendFileSync(fixture.path('server.log'), 'line\n');
  fs.writeFileSync(fixture.path('c.md'), '# c');
  fs.writeFileSync(fixture.path('d.json'), '{"d":1}');
  fs.writeFileSync(fixture.path('a.js'), '2');
  const batches = [await watcher.next('writes'), ...(await watcher.quietAfter(1))];
  assert.deepEqual(batches.flat().sort(), ['change a.js', 'change d.json']);
  done();
});

test('close() stops delivery', async () => {
  const { fixture, watcher, done } = watchedFixture({ 'x.js': '1' });
  fs.writeFileSync(fixture.path('x.js'), '2');
  assert.deepEqual(await watcher.next('a write'), ['change x.js']);
  fs.writeFileSync(fixture.path('x.js'), '3'); // may already be queued when close() runs
  watcher.handle.close();
  watcher.handle.close();
  fs.writeFileSync(fixture.path('x.js'), '4');
  assert.deepEqual(await watcher.quietAfter(1), []);
  assert.deepEqual(watcher.errors, []);
  fixture.remove();
  done();
});

/**
 * Runs `source` in a child Node process (through the `wrap` command prefix, if any); resolves
 * with its exit code and output, or fails.
 */
function runChild(source, root, wrap = []) {
  return new Promise((resolve, reject) => {
    const argv = [...wrap, process.execPath, '-e', source, root];
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child did not exit within ${BATCH_TIMEOUT_MS * 2} ms; output: ${output}`));
    }, BATCH_TIMEOUT_MS * 2);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const WATCHER_PATH = JSON.stringify(require.resolve('../lib/dev/watcher'));

test('a process whose watcher is closed exits by itself', async () => {
  const fixture = makeFixture({ 'x.js': '1' });
  const source = `
    const fs = require('node:fs');
    const root = process.argv[1];
    const handle = require(${WATCHER_PATH}).watch(root, {}, (error, changes) => {
      if (error) throw error;
      console.log(changes.map((c) => c.kind + ' ' + require('node:path').basename(c.path)).join());
      handle.close();
    });
    fs.writeFileSync(root + '/x.js', '2');`;
  const { code, output } = await runChild(source, fixture.root);
  assert.equal(code, 0, output);
  assert.equal(output.trim(), 'change x.js');
  fixture.remove();
});

test('an unref()ed watcher does not keep the process alive, a ref()ed one does', async () => {
  const fixture = makeFixture({ 'x.js': '1' });
  const unrefed = `require(${WATCHER_PATH}).watch(process.argv[1], { persistent: false }, () => {});`;
  assert.equal((await runChild(unrefed, fixture.root)).code, 0);
  // ref() again after unref(): the process stays until a batch arrives and closes the watcher.
  const refedAgain = `
    const handle = require(${WATCHER_PATH}).watch(process.argv[1], (error, changes) => {
      console.log(changes[0].kind);
      handle.close();
    }).unref().ref();
    setTimeout(() => require('node:fs').writeFileSync(process.argv[1] + '/x.js', '2'), 100).unref();`;
  const { code, output } = await runChild(refedAgain, fixture.root);
  assert.equal(code, 0, output);
  assert.equal(output.trim(), 'change');
  fixture.remove();
});

test('a missing root is ERR_MODSWAP_NOT_FOUND naming the path', () => {
  const fixture = makeFixture({});
  const missing = fixture.path('no-such-dir');
  assert.throws(() => watch(missing, () => {}), (error) => {
    assert.ok(error instanceof ModswapError);
    assert.equal(error.code, 'ERR_MODSWAP_NOT_FOUND');
    assert.equal(error.message, `cannot watch ${missing}: no such directory`);
    return true;
  });
  fixture.remove();
});

test('a file as root is ERR_MODSWAP_WATCH, bad arguments are refused before watching', () => {
  const fixture = makeFixture({ 'x.js': '1' });
  assert.throws(() => watch(fixture.path('x.js'), () => {}), {
    code: 'ERR_MODSWAP_WATCH',
    message: `cannot watch ${fixture.path('x.js')}: not a directory`,
  });
  assert.throws(() => watch(fixture.root, { debounceMs: -1 }, () => {}), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
  assert.throws(() => watch(fixture.root, { ignore: 'dist' }, () => {}), { code: 'ERR_MODSWAP_INVALID_OPTIONS' });
  assert.throws(() => watch(fixture.root, {}), { code: 'ERR_MODSWAP_INVALID_ARG' });
  assert.throws(() => watch([], () => {}), { code: 'ERR_MODSWAP_INVALID_ARG' });
  fixture.remove();
});

test('roots are reported with symlinks resolved, as Node names modules', async () => {
  const fixture = makeFixture({ 'real/x.js': '1' });
  fs.symlinkSync(fixture.path('real'), fixture.path('link'));
  const changes = [];
  const handle = watch(fixture.path('link'), (error, batch) => changes.push(...batch));
  assert.deepEqual(handle.roots, [fixture.path('real')]);
  fs.writeFileSync(fixture.path('link/x.js'), '2');
  const deadline = Date.now() + BATCH_TIMEOUT_MS;
  while (changes.length === 0 && Date.now() < deadline) await sleep(10);
  assert.deepEqual(changes, [{ path: fixture.path('real/x.js'), kind: 'change' }]);
  handle.close();
  fixture.remove();
});

// The OS limits for real: a child in a user namespace whose inotify limits are lowered (the
// machine's own limits are untouched), so watch() meets ENOSPC / EMFILE from the kernel.

/** Runs `source` under lowered inotify `limits`; its last stdout line, parsed as JSON. */
async function underInotifyLimits(t, limits, source, root) {
  const { wrap, skip } = inotifyLimitWrap(limits);
  if (skip) {
    t.skip(skip);
    return undefined;
  }
  const { code, output } = await runChild(source, root, wrap);
  assert.equal(code, 0, output);
  return JSON.parse(output.trim().split('\n').at(-1));
}

const REPORT_ERROR = `const report = (error) => ({ code: error.code, message: error.message, isModswapError: error.name === 'ModswapError' });`;

/** Child source: watch the directory given as argv[1], print { watched } or the error's report. */
const WATCH_ROOT_AND_REPORT = `${REPORT_ERROR}
    try {
      require(${WATCHER_PATH}).watch(process.argv[1], () => {});
      console.log(JSON.stringify({ watched: true }));
    } catch (error) {
      console.log(JSON.stringify(report(error)));
    }`;

test('over the inotify watch limit at start: ERR_MODSWAP_WATCH_LIMIT naming the directory, with the fix', async (t) => {
  const fixture = makeFixture({ 'a/b/c/d/x.js': '1', 'e/f/y.js': '1' }); // 7 directories
  const result = await underInotifyLimits(t, { watches: 3 }, WATCH_ROOT_AND_REPORT, fixture.root);
  if (result === undefined) return fixture.remove();
  assert.equal(result.code, 'ERR_MODSWAP_WATCH_LIMIT', JSON.stringify(result));
  assert.ok(result.isModswapError);
  const [, dir] = /^cannot watch (\S+): /.exec(result.message) ?? [];
  assert.ok(dir && dir.startsWith(fixture.root), `names a directory of the tree: ${result.message}`);
  assert.match(result.message, /the system limit on watched directories is reached/);
  assert.match(result.message, /sysctl fs\.inotify\.max_user_watches=\d+/, 'the fix');
  assert.match(result.message, /, and 3 in this user namespace: user\.max_inotify_watches\)/, 'the limit in force');
  fixture.remove();
});

test('over the inotify instance limit: ERR_MODSWAP_WATCH_LIMIT naming the root, with the fix', async (t) => {
  const fixture = makeFixture({ 'x.js': '1' });
  const result = await underInotifyLimits(t, { instances: 0 }, WATCH_ROOT_AND_REPORT, fixture.root);
  if (result === undefined) return fixture.remove();
  assert.equal(result.code, 'ERR_MODSWAP_WATCH_LIMIT', JSON.stringify(result));
  assert.match(result.message, new RegExp(`^cannot watch ${fixture.root}: the system limit on file watchers per user is reached`));
  assert.match(result.message, /sysctl fs\.inotify\.max_user_instances=\d+/, 'the fix');
  assert.match(result.message, /, and 0 in this user namespace: user\.max_inotify_instances\)/, 'the limit in force');
  fixture.remove();
});

test('new directories over the inotify watch limit: an error in the callback, and watching goes on', async (t) => {
  const fixture = makeFixture({ 'x.js': '1' });
  // Root only (1 watch of 3); then a tree of 4 directories, then a write the watcher must see.
  const source = `${REPORT_ERROR}
    const fs = require('node:fs');
    const root = process.argv[1];
    const errors = [];
    const handle = require(${WATCHER_PATH}).watch(root, { debounceMs: 2 }, (error, changes) => {
      if (error) {
        errors.push(report(error));
        fs.writeFileSync(root + '/x.js', '2');
      } else if (changes.some((c) => c.path === root + '/x.js' && c.kind === 'change')) {
        console.log(JSON.stringify({ errors }));
        handle.close();
      }
    });
    fs.mkdirSync(root + '/deep/a/b/c', { recursive: true });`;
  const result = await underInotifyLimits(t, { watches: 3 }, source, fixture.root);
  if (result === undefined) return fixture.remove();
  assert.ok(result.errors.length >= 1, JSON.stringify(result));
  const [first] = result.errors;
  assert.equal(first.code, 'ERR_MODSWAP_WATCH_LIMIT');
  assert.match(first.message, new RegExp(`^cannot watch ${fixture.root}/deep/a\\S*: the system limit on watched directories is reached`));
  assert.match(first.message, /max_user_watches/);
  fixture.remove();
});
