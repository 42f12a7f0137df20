'use strict';
// ES module swaps: each test runs a real .mjs app in a child process started with modswap's
// loader hooks (they must be installed before the app's first import). The app drives its
// scenario (writes new sources, swaps, calls its hot() handles) and prints one JSON report.
// Every scenario runs with each hooks API this Node has: module.registerHooks (in-thread,
// Node 22.15+/24+) and module.register (off-thread, Node 20.6+).
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { INDEX, PRELUDE, HOT_HANDLER_SERVER, counted, eachMode } = require('./esm-helpers');

eachMode(
  'a leaf change reaches the app through a hot() handle; the new version has its own URL',
  () => ({
    'leaf.mjs': `${counted('leaf')}export const value = 'one';\n`,
    'api.mjs': `${counted('api')}import { value } from './leaf.mjs';\nexport default function api() { return value; }\nexport const url = import.meta.url;\n`,
    'main.mjs': `${PRELUDE}
const api = await modswap.hot('./api.mjs');
report.before = api();
write('leaf.mjs', ${JSON.stringify(`${counted('leaf')}export const value = 'two';\n`)});
report.swap = await modswap.swap(here('leaf.mjs'));
report.after = api();
report.url = api.url;
report.sameHandle = api === await modswap.hot('./api.mjs');
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.equal(report.before, 'one');
    assert.equal(report.after, 'two');
    assert.deepEqual(report.swap.files, [fixture.path('leaf.mjs')]);
    assert.deepEqual(report.swap.evaluated, [fixture.path('leaf.mjs'), fixture.path('api.mjs')]);
    assert.match(report.url, /\/api\.mjs\?modswap=1$/);
    assert.equal(report.sameHandle, true);
    assert.deepEqual(report.counts, { leaf: 2, api: 2 });
  },
);

eachMode(
  'a shared dependency: only the changed path gets new versions, other modules keep their instance',
  () => ({
    'shared.mjs': `${counted('shared')}export const shared = 's1';\n`,
    'leaf.mjs': `${counted('leaf')}export const leaf = 'l1';\n`,
    'a.mjs': `${counted('a')}import { shared } from './shared.mjs';\nimport { leaf } from './leaf.mjs';\nexport const read = () => 'a:' + shared + ':' + leaf;\n`,
    'b.mjs': `${counted('b')}import { shared } from './shared.mjs';\nexport const read = () => 'b:' + shared;\n`,
    'main.mjs': `${PRELUDE}
const a = await modswap.hot('./a.mjs');
const b = await modswap.hot('./b.mjs');
report.start = [a.read(), b.read(), counts()];
write('leaf.mjs', ${JSON.stringify(`${counted('leaf')}export const leaf = 'l2';\n`)});
report.leafSwap = (await modswap.swap(here('leaf.mjs'))).evaluated;
report.afterLeaf = [a.read(), b.read(), counts()];
write('shared.mjs', ${JSON.stringify(`${counted('shared')}export const shared = 's2';\n`)});
report.sharedSwap = (await modswap.swap(here('shared.mjs'))).evaluated;
report.afterShared = [a.read(), b.read(), counts()];
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    const p = (name) => fixture.path(name);
    assert.deepEqual(report.start, ['a:s1:l1', 'b:s1', { shared: 1, leaf: 1, a: 1, b: 1 }]);
    assert.deepEqual(report.leafSwap, [p('leaf.mjs'), p('a.mjs')]);
    // shared and b were not evaluated again: a's new version imports the same shared instance.
    assert.deepEqual(report.afterLeaf, ['a:s1:l2', 'b:s1', { shared: 1, leaf: 2, a: 2, b: 1 }]);
    assert.deepEqual(new Set(report.sharedSwap), new Set([p('shared.mjs'), p('a.mjs'), p('b.mjs')]));
    // leaf was not evaluated again: a's third version imports leaf's second.
    assert.deepEqual(report.afterShared, ['a:s2:l2', 'b:s2', { shared: 2, leaf: 2, a: 3, b: 2 }]);
  },
);

const GOOD_LEAF = (value) => `${counted('leaf')}export const value = ${JSON.stringify(value)};\n`;

eachMode(
  'a failed evaluation keeps the old version and names file and line; the next good save recovers',
  () => ({
    'leaf.mjs': GOOD_LEAF('one'),
    'api.mjs': `${counted('api')}import { value } from './leaf.mjs';\nexport default () => value;\n`,
    // Imports the file again at run time (a boundary too, so main does not import leaf.mjs).
    'probe.mjs': "export const reimport = async () => (await import('./leaf.mjs')).value;\n",
    'main.mjs': `${PRELUDE}
const api = await modswap.hot('./api.mjs');
const probe = await modswap.hot('./probe.mjs');
const failures = {};
const sources = {
  syntax: "export const value = 'x';\\nlet = = 1;\\n",
  throws: "export const value = 'x';\\n\\nthrow new Error('top-level throw');\\n",
  rejects: "export const value = 'x';\\nawait Promise.reject(new Error('top-level await rejected'));\\n",
};
for (const [kind, source] of Object.entries(sources)) {
  write('leaf.mjs', source);
  failures[kind] = await failureOf(modswap.swap(here('leaf.mjs')));
  failures[kind].served = api();
  // The rollback restored the version: an import of the file gets the instance still serving.
  failures[kind].reimported = await probe.reimport();
}
report.failures = failures;
report.counts = counts();
write('leaf.mjs', ${JSON.stringify(GOOD_LEAF('two'))});
report.recovered = (await modswap.swap(here('leaf.mjs'))).evaluated;
report.after = api();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    const leaf = fixture.path('leaf.mjs');
    const { syntax, throws, rejects } = report.failures;
    for (const failure of [syntax, throws, rejects]) {
      assert.equal(failure.code, 'ERR_MODSWAP_RELOAD_FAILED');
      assert.equal(failure.file, leaf);
      assert.equal(failure.served, 'one', 'the old version keeps serving');
      assert.equal(failure.reimported, 'one', 'versions rolled back');
    }
    assert.match(syntax.message, new RegExp(`SyntaxError: .*\\(at ${leaf}:2\\)`));
    assert.match(throws.message, new RegExp(`top-level throw \\(at ${leaf}:3:\\d+\\)`));
    assert.match(rejects.message, new RegExp(`top-level await rejected \\(at ${leaf}:2:\\d+\\)`));
    assert.deepEqual(report.counts, { leaf: 1, api: 1 });
    assert.deepEqual(new Set(report.recovered), new Set([leaf, fixture.path('api.mjs'), fixture.path('probe.mjs')]));
    assert.equal(report.after, 'two');
  },
);

eachMode(
  'a package under node_modules is evaluated once and never versioned',
  () => ({
    'node_modules/pkg/package.json': '{ "name": "pkg", "type": "module", "exports": "./index.js" }',
    'node_modules/pkg/index.js': `${counted('pkg')}export const url = import.meta.url;\nexport const tag = 'pkg';\n`,
    'leaf.mjs': `${counted('leaf')}import { tag } from 'pkg';\nexport const value = tag + 1;\n`,
    'api.mjs': `${counted('api')}import { value } from './leaf.mjs';\nimport { url } from 'pkg';\nexport default () => [value, url];\n`,
    'main.mjs': `${PRELUDE}
const api = await modswap.hot('./api.mjs');
for (const n of [2, 3]) {
  write('leaf.mjs', ${JSON.stringify(`${counted('leaf')}import { tag } from 'pkg';\nexport const value = tag + `)} + n + ';\\n');
  await modswap.swap(here('leaf.mjs'));
}
report.after = api();
// A change of the package itself is not swapped: nothing to evaluate.
report.pkgSwap = await modswap.swap(here('node_modules/pkg/index.js'));
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report) => {
    assert.equal(report.after[0], 'pkg3');
    assert.doesNotMatch(report.after[1], /modswap=/);
    assert.deepEqual(report.pkgSwap.evaluated, []);
    assert.deepEqual(report.counts, { pkg: 1, leaf: 3, api: 3 });
  },
);

eachMode(
  'a cycle below the boundary is swapped once per module and the walk terminates',
  () => ({
    'api.mjs': `${counted('api')}import { read } from './a.mjs';\nexport default read;\n`,
    'a.mjs': `${counted('a')}import { fromB } from './b.mjs';\nexport const name = 'a';\nexport const read = () => 'a>' + fromB();\n`,
    'b.mjs': `${counted('b')}import { name } from './a.mjs';\nexport const fromB = () => 'b1(' + name + ')';\n`,
    'main.mjs': `${PRELUDE}
const api = await modswap.hot('./api.mjs');
report.before = api();
write('b.mjs', ${JSON.stringify(`${counted('b')}import { name } from './a.mjs';\nexport const fromB = () => 'b2(' + name + ')';\n`)});
report.swap = (await modswap.swap(here('b.mjs'))).evaluated;
report.after = api();
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.equal(report.before, 'a>b1(a)');
    assert.equal(report.after, 'a>b2(a)');
    assert.deepEqual(report.swap, [fixture.path('b.mjs'), fixture.path('a.mjs'), fixture.path('api.mjs')]);
    assert.deepEqual(report.counts, { api: 2, a: 2, b: 2 });
  },
);

eachMode(
  'a boundary that takes a hot() handle at its top level is swapped (no wait on itself)',
  () => ({
    'db.mjs': `${counted('db')}export const query = () => 'db1';\n`,
    'routes.mjs': `${counted('routes')}import modswap from ${JSON.stringify(INDEX)};\nconst db = await modswap.hot('./db.mjs');\nexport default () => 'routes1:' + db.query();\n`,
    'main.mjs': `${PRELUDE}
const routes = await modswap.hot('./routes.mjs');
report.before = routes();
write('routes.mjs', ${JSON.stringify(`${counted('routes')}import modswap from ${JSON.stringify(INDEX)};\nconst db = await modswap.hot('./db.mjs');\nexport default () => 'routes2:' + db.query();\n`)});
report.routesSwap = (await modswap.swap(here('routes.mjs'))).evaluated;
write('db.mjs', ${JSON.stringify(`${counted('db')}export const query = () => 'db2';\n`)});
report.dbSwap = (await modswap.swap(here('db.mjs'))).evaluated;
report.after = routes();
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.equal(report.before, 'routes1:db1');
    assert.deepEqual(report.routesSwap, [fixture.path('routes.mjs')]);
    // db.mjs is a boundary of its own (reached through hot()): routes is not evaluated again.
    assert.deepEqual(report.dbSwap, [fixture.path('db.mjs')]);
    assert.equal(report.after, 'routes2:db2');
    assert.deepEqual(report.counts, { db: 2, routes: 2 });
  },
);

eachMode(
  'a CommonJS module an ES module imports: its ES importers get new versions that see the new exports',
  () => ({
    'config.cjs': `${counted('config')}module.exports = { port: 1 };\n`,
    'api.mjs': `${counted('api')}import config from './config.cjs';\nexport default () => config.port;\n`,
    'main.mjs': `${PRELUDE}
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const api = await modswap.hot('./api.mjs');
report.before = api();
write('config.cjs', ${JSON.stringify(`${counted('config')}module.exports = { port: 2 };\n`)});
const swapped = await modswap.swap(here('config.cjs'));
report.files = swapped.files;
report.evaluated = swapped.evaluated;
report.served = api();
report.required = require('./config.cjs').port;
report.imported = (await import('./config.cjs')).default.port;
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.equal(report.before, 1);
    assert.equal(report.served, 2, 'the ES importer serves the new exports, not the ones the loader pinned');
    assert.equal(report.required, 2);
    assert.equal(report.imported, 2, 'a later import() resolves to the current version too');
    assert.deepEqual(report.files, [fixture.path('config.cjs')]);
    assert.deepEqual(report.evaluated.sort(), [fixture.path('api.mjs'), fixture.path('config.cjs')]);
    assert.deepEqual(report.counts, { config: 2, api: 2 }, 'the CommonJS file ran once per version, not again for the loader');
  },
);

eachMode(
  'a change below a CommonJS module an ES module imports reaches the ES importer; a failing ES importer is reported',
  () => ({
    'helper.cjs': `${counted('helper')}module.exports = { port: 1 };\n`,
    'config.cjs': `${counted('config')}module.exports = { port: require('./helper.cjs').port };\n`,
    'api.mjs': `${counted('api')}import config from './config.cjs';\nif (config.port > 2) throw new Error('port ' + config.port + ' is too high');\nexport default () => config.port;\n`,
    'main.mjs': `${PRELUDE}
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const api = await modswap.hot('./api.mjs');
write('helper.cjs', ${JSON.stringify(`${counted('helper')}module.exports = { port: 2 };\n`)});
report.evaluated = (await modswap.swap(here('helper.cjs'))).evaluated.sort();
report.served = api();
write('helper.cjs', ${JSON.stringify(`${counted('helper')}module.exports = { port: 3 };\n`)});
report.failure = await failureOf(modswap.swap(here('helper.cjs')));
report.servedAfterFailure = api();
report.required = require('./config.cjs').port;
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.deepEqual(report.evaluated, ['api.mjs', 'config.cjs', 'helper.cjs'].map((name) => fixture.path(name)));
    assert.equal(report.served, 2);
    assert.equal(report.failure?.code, 'ERR_MODSWAP_RELOAD_FAILED');
    assert.match(report.failure.message, /swapped, but its ES importers kept the previous exports: .*port 3 is too high/);
    assert.equal(report.failure.file, fixture.path('config.cjs'), 'the CommonJS file whose ES importers failed');
    assert.ok(report.failure.message.includes(`(at ${fixture.path('api.mjs')}:3:`), report.failure.message);
    assert.equal(report.servedAfterFailure, 2, 'the ES side rolled back to the version that served');
    assert.equal(report.required, 3, 'the CommonJS side of that swap is committed');
    assert.deepEqual(report.counts, { helper: 3, config: 3, api: 3 });
  },
);

eachMode(
  'an ES module loaded with require() cannot be evaluated again: its swap is refused, naming the requirer',
  () => ({
    'leaf.mjs': `${counted('leaf')}export const value = 1;\n`,
    'route.cjs': `${counted('route')}const { value } = require('./leaf.mjs');\nmodule.exports = () => value;\n`,
    'main.mjs': `${PRELUDE}
const route = modswap.hot('./route.cjs');
write('leaf.mjs', ${JSON.stringify(`${counted('leaf')}export const value = 2;\n`)});
report.failure = await failureOf((async () => modswap.swap(here('leaf.mjs')))());
report.served = route();
write('route.cjs', ${JSON.stringify(`${counted('route')}const { value } = require('./leaf.mjs');\nmodule.exports = () => 'route2:' + value;\n`)});
await modswap.swap(here('route.cjs'));
report.servedAfterRouteSwap = route();
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.equal(report.failure?.code, 'ERR_MODSWAP_ESM');
    assert.ok(report.failure.message.startsWith(`Cannot swap ${fixture.path('leaf.mjs')}: ${fixture.path('route.cjs')} loads it with require()`), report.failure.message);
    assert.equal(report.served, 1);
    assert.equal(report.servedAfterRouteSwap, 'route2:1', 'the requirer swaps; require() keeps the first version of the ES module');
    assert.deepEqual(report.counts, { route: 2, leaf: 1 });
  },
);

eachMode(
  'CommonJS importing an ES module: swapped behind modswap.hot(), refused (naming the importer) through a bare import()',
  () => ({
    'leaf.mjs': `${counted('leaf')}export const value = 1;\n`,
    'other.mjs': `${counted('other')}export const value = 1;\n`,
    'hot-route.cjs': `const modswap = require(${JSON.stringify(INDEX)});\nconst leaf = modswap.hot('./leaf.mjs');\nmodule.exports = async () => (await leaf).value;\n`,
    'bare-route.cjs': `const other = import('./other.mjs');\nmodule.exports = async () => (await other).value;\n`,
    'main.mjs': `${PRELUDE}
const hotRoute = modswap.hot('./hot-route.cjs');
const bareRoute = modswap.hot('./bare-route.cjs');
report.before = [await hotRoute(), await bareRoute()];
write('leaf.mjs', ${JSON.stringify(`${counted('leaf')}export const value = 2;\n`)});
write('other.mjs', ${JSON.stringify(`${counted('other')}export const value = 2;\n`)});
report.swapped = (await modswap.swap(here('leaf.mjs'))).evaluated;
report.failure = await failureOf(modswap.swap(here('other.mjs')));
report.after = [await hotRoute(), await bareRoute()];
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.deepEqual(report.before, [1, 1]);
    assert.deepEqual(report.swapped, [fixture.path('leaf.mjs')]);
    assert.equal(report.failure?.code, 'ERR_MODSWAP_UNACCEPTED');
    assert.match(report.failure.message, new RegExp(`reaches ${fixture.path('bare-route.cjs')}, a CommonJS module that imports it and is no boundary`));
    assert.deepEqual(report.after, [2, 1]);
    assert.deepEqual(report.counts, { leaf: 2, other: 1 });
  },
);

eachMode(
  'a CommonJS module whose ES importer reaches no boundary: the swap is refused before anything runs',
  () => ({
    'config.cjs': `${counted('config')}module.exports = { port: 1 };\n`,
    'main.mjs': `${PRELUDE}
import { createRequire } from 'node:module';
import config from './config.cjs';
const require = createRequire(import.meta.url);
write('config.cjs', ${JSON.stringify(`${counted('config')}module.exports = { port: 2 };\n`)});
try { modswap.swap(here('config.cjs')); report.failure = null; } catch (error) { report.failure = { code: error.code, message: error.message }; }
report.imported = config.port;
report.required = require('./config.cjs').port;
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.equal(report.failure?.code, 'ERR_MODSWAP_UNACCEPTED');
    assert.match(report.failure.message, new RegExp(`${fixture.path('main.mjs')}, which nothing imports`));
    assert.equal(report.imported, 1);
    assert.equal(report.required, 1, 'require.cache still holds the old version');
    assert.deepEqual(report.counts, { config: 1 }, 'refused before anything ran');
  },
);

eachMode(
  'a change that reaches the entry module with no boundary is refused and changes nothing',
  () => ({
    'leaf.mjs': `${counted('leaf')}export const value = 'one';\n`,
    'main.mjs': `${PRELUDE}
import { value } from './leaf.mjs';
write('leaf.mjs', ${JSON.stringify(`${counted('leaf')}export const value = 'two';\n`)});
report.failure = await failureOf(modswap.swap(here('leaf.mjs')));
report.value = value;
report.reimported = (await import('./leaf.mjs')).value;
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.equal(report.failure.code, 'ERR_MODSWAP_UNACCEPTED');
    assert.match(report.failure.message, new RegExp(`${fixture.path('main.mjs')}, which nothing imports`));
    assert.equal(report.reimported, 'one');
    assert.deepEqual(report.counts, { leaf: 1 });
  },
);

test('modswap run app.mjs swaps saved ES modules, keeps the old version on a broken save, restarts for the entry', { timeout: 60000 }, async () => {
  const { get, underRunner, waitFor, waitForLog, nthServer, ports } = require('./runner-helpers');
  const server = HOT_HANDLER_SERVER;
  await underRunner(
    {
      'server.mjs': server,
      'handler.mjs': "import { tag } from './tag.mjs';\nexport default () => tag;\n",
      'tag.mjs': "export const tag = 'v1';\n",
    },
    'server.mjs',
    async ({ fixture, output }) => {
      const first = await nthServer(output, 0, 'the server to listen');
      assert.equal(await get(first.port), 'v1');

      fixture.write('tag.mjs', "export const tag = 'v2';\n");
      await waitFor('v2 to be served', async () => (await get(first.port)) === 'v2');
      await waitForLog(output, /\[modswap\] swapped tag\.mjs \(\+1 importer\) in \d+\.\d ms/);

      fixture.write('tag.mjs', "export const tag = 'v3' +;\n");
      await waitForLog(output, /kept the previous version: \[ERR_MODSWAP_RELOAD_FAILED\] Reloading \S*tag\.mjs failed: SyntaxError/);
      await waitForLog(output, />\s+1 \| export const tag = 'v3' \+;/, 'a code frame of the bad line');
      assert.equal(await get(first.port), 'v2', 'the old version keeps serving');

      fixture.write('tag.mjs', "export const tag = 'v4';\n");
      await waitFor('the next good save', async () => (await get(first.port)) === 'v4');
      assert.equal(ports(output).length, 1, 'no restart so far');

      fixture.write('server.mjs', `${server}// edited\n`);
      const second = await nthServer(output, 1, 'a restart for the entry module');
      assert.notEqual(second.pid, first.pid);
      await waitForLog(output, /restarting: The change of \S*server\.mjs reaches \S*server\.mjs, which nothing imports/);
      assert.equal(await get(second.port), 'v4');
    },
  );
});

test('modswap run app.mjs: a saved CommonJS file that an ES module imports is swapped without a restart', { timeout: 60000 }, async () => {
  const { get, underRunner, waitFor, waitForLog, nthServer, ports } = require('./runner-helpers');
  await underRunner(
    {
      'server.mjs': HOT_HANDLER_SERVER,
      'handler.mjs': "import config from './config.cjs';\nexport default () => config.tag;\n",
      'config.cjs': "module.exports = { tag: require('./names.cjs').first };\n",
      'names.cjs': "exports.first = 'c1';\n",
    },
    'server.mjs',
    async ({ fixture, output }) => {
      const first = await nthServer(output, 0, 'the server to listen');
      assert.equal(await get(first.port), 'c1');

      fixture.write('config.cjs', "module.exports = { tag: require('./names.cjs').first + '+c2' };\n");
      await waitFor('c1+c2 to be served', async () => (await get(first.port)) === 'c1+c2');
      await waitForLog(output, /\[modswap\] swapped config\.cjs \(\+1 importer\) in \d+\.\d ms/);

      fixture.write('names.cjs', "exports.first = 'n3';\n");
      await waitFor('n3+c2 to be served', async () => (await get(first.port)) === 'n3+c2');
      await waitForLog(output, /\[modswap\] swapped names\.cjs \(\+2 importers\) in \d+\.\d ms/);

      fixture.write('config.cjs', "module.exports = { tag: require('./names.cjs').first +;\n");
      await waitForLog(output, /kept the previous version: \[ERR_MODSWAP_RELOAD_FAILED\] Reloading \S*config\.cjs failed: SyntaxError/);
      assert.equal(await get(first.port), 'n3+c2', 'the old version keeps serving');
      assert.equal(ports(output).length, 1, 'no restart');
    },
  );
});
