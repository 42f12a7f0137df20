'use strict';
// Harness of the ES module tests: each app runs in a child process started with modswap's loader
// hooks (they must be installed before the app's first import), once per hooks API this Node
// has: module.registerHooks (in-thread, Node 22.15+/24+) and module.register (off-thread).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const Module = require('node:module');
const { makeFixture } = require('./helpers');

const ROOT = path.join(__dirname, '..');
const REGISTER = path.join(ROOT, 'register-esm.js');
const INDEX = path.join(ROOT, 'index.js');

const MODES = typeof Module.registerHooks === 'function' ? ['registerHooks', 'register'] : ['register'];

/** Prelude of every app: modswap, a counter of evaluations per module, file writes, the report. */
const PRELUDE = `
import fs from 'node:fs';
import modswap from ${JSON.stringify(INDEX)};
import { installedWith } from ${JSON.stringify(path.join(ROOT, 'lib/esm/register.js'))};
const here = (name) => new URL('./' + name, import.meta.url).pathname;
const write = (name, source) => fs.writeFileSync(here(name), source);
const counts = () => ({ ...globalThis.evaluations });
const report = { hooks: installedWith() };
const failureOf = async (promise) => {
  try { await promise; return null; } catch (error) { return { code: error.code, message: error.message, file: error.file }; }
};
`;

/** Source line that counts an evaluation of module `name`. */
const counted = (name) => `(globalThis.evaluations ??= {})[${JSON.stringify(name)}] = ((globalThis.evaluations ??= {})[${JSON.stringify(name)}] ?? 0) + 1;\n`;

/**
 * Runs `main.mjs` of `fixture` with the hooks, preloaded with `preload` ('--import' or '-r');
 * returns its JSON report.
 */
function runApp(fixture, mode, preload = '--import') {
  const child = spawnSync(process.execPath, [preload, REGISTER, fixture.path('main.mjs')], {
    cwd: fixture.root,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, MODSWAP_ESM_HOOKS: mode, NODE_OPTIONS: '' },
  });
  assert.equal(child.status, 0, `app exited with ${child.status} ${child.signal ?? ''}\n${child.stderr}`);
  const lines = child.stdout.trim().split('\n');
  const report = JSON.parse(lines[lines.length - 1]);
  assert.equal(report.hooks, mode, 'the hooks API asked for');
  return report;
}

/**
 * Runs the app `files()` makes once per hooks API (and per preload flag in `preloads`), each in a
 * fresh fixture, and `check`s its report.
 */
function eachMode(name, files, check, { preloads = ['--import'] } = {}) {
  for (const mode of MODES) {
    for (const preload of preloads) {
      const flag = preload === '--import' ? '' : `, ${preload} preload`;
      test(`${name} (${mode}${flag})`, () => {
        const fixture = makeFixture(files());
        try {
          check(runApp(fixture, mode, preload), fixture);
        } finally {
          fixture.remove();
        }
      });
    }
  }
}

/** An http server answering with `modswap.hot('./handler.mjs')()`; prints "port N pid P". */
const HOT_HANDLER_SERVER = `import http from 'node:http';
import modswap from ${JSON.stringify(INDEX)};
const handler = await modswap.hot('./handler.mjs');
const server = http.createServer((req, res) => res.end(handler()));
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port + ' pid ' + process.pid));
`;

module.exports = { ROOT, REGISTER, INDEX, MODES, PRELUDE, HOT_HANDLER_SERVER, counted, runApp, eachMode };
