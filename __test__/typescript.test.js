'use strict';
// TypeScript sources (lib/typescript.js): where Node strips types, `.mts`/`.ts` ES modules swap
// through the loader hooks and `.cts`/CommonJS `.ts` through the CommonJS engine, with
// import.meta.hot injected and stack positions unmoved; `modswap run app.ts` swaps saved .ts
// files. Where Node cannot load TypeScript (Node 20; Node 22+ started with
// --no-experimental-strip-types, which these tests use to check the refusals on every major),
// hot(), swap() and `modswap run` refuse with ERR_MODSWAP_TYPESCRIPT, unless a loader registered
// a require hook for `.ts`. Every app runs in a child process.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { makeFixture } = require('./helpers');
const { REGISTER, INDEX, MODES, PRELUDE, HOT_HANDLER_SERVER, counted, eachMode } = require('./esm-helpers');
const { get, startRunner, underRunner, waitFor, waitForLog, nthServer, stopRunner, runToEnd } = require('./runner-helpers');

const STRIPS = Boolean(process.features.typescript);
const NO_STRIPPING = `Node ${process.version} does not strip TypeScript types (process.features.typescript is ${process.features.typescript}; Node 22.18+ and 23.6+ do)`;
/** Node flags that turn type stripping off where Node has it: the refusals are tested on every major. */
const STRIPPING_OFF = STRIPS ? ['--no-experimental-strip-types'] : [];

/** Runs `node ...args` in `fixture`; returns the JSON report on the last line of its stdout. */
function runNode(fixture, args, env = {}) {
  const child = spawnSync(process.execPath, args, {
    cwd: fixture.root,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  assert.equal(child.status, 0, `app exited with ${child.status} ${child.signal ?? ''}\n${child.stderr}`);
  const lines = child.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** `eachMode` where Node strips types; one skipped test naming the missing feature elsewhere. */
function eachModeStripping(name, files, check) {
  if (!STRIPS) return test(name, { skip: NO_STRIPPING }, () => {});
  eachMode(name, files, check);
}

/** 1-based line and column of the first `needle` in `source`. */
function positionOf(source, needle) {
  const lines = source.split('\n');
  const index = lines.findIndex((line) => line.includes(needle));
  assert.notEqual(index, -1, `${needle} is in the source`);
  return { line: index + 1, column: lines[index].indexOf(needle) + 1 };
}

/** Line and column of the first stack frame in a file whose name matches `file` (a RegExp source). */
function framePosition(stack, file) {
  const match = new RegExp(`${file}(?:\\?modswap=(\\d+))?:(\\d+):(\\d+)\\)?$`, 'm').exec(stack);
  assert.ok(match, `a frame of ${file} in\n${stack}`);
  return { version: match[1] === undefined ? 0 : Number(match[1]), line: Number(match[2]), column: Number(match[3]) };
}

eachModeStripping(
  'an .mts leaf behind a hot() handle swaps with types in its source',
  () => ({
    'leaf.mts': `${counted('leaf')}interface Greeting { text: string }
const greeting: Greeting = { text: 'one' };
export default function value(): string { return greeting.text; }
`,
    'main.mjs': `${PRELUDE}
const value = await modswap.hot('./leaf.mts');
report.before = value();
write('leaf.mts', ${JSON.stringify(`${counted('leaf')}type Text = string;
const text: Text = 'two';
export default function value(this: void): Text { return text; }
`)});
report.swap = await modswap.swap(here('leaf.mts'));
report.after = value();
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.equal(report.before, 'one');
    assert.deepEqual(report.swap.files, [fixture.path('leaf.mts')]);
    assert.deepEqual(report.swap.evaluated, [fixture.path('leaf.mts')]);
    assert.equal(report.after, 'two');
    assert.deepEqual(report.counts, { leaf: 2 });
  },
);

// The throw sits after a type annotation on its line: stripping must blank types, not remove them.
const SELF_V1 = `${counted('self')}type Label = string;
export const label: Label = 'v1';
globalThis.hotType = typeof import.meta.hot;
import.meta.hot.accept((next: { label: Label }) => { globalThis.latest = next; });
export function fail(): never {
  const why: Label = 'from ' + label; throw new Error(why);
}
`;
const SELF_V2 = `${counted('self')}type Label = string;
interface Unused {
  a: number;
  b: Array<Map<string, number>>;
}
export const label: Label = 'v2';
import.meta.hot.accept((next: { label: Label }) => { globalThis.latest = next; });
export function fail(): never {
  const why: Label = 'from ' + (label as string); throw new Error(why);
}
`;
const SELF_BROKEN = `${counted('self')}export const label: string = 'v3';
const broken: number = ;
`;

eachModeStripping(
  'a .ts module under "type": "module" self-accepts through import.meta.hot; its stack after a swap points at the source line and column; a broken save names its line',
  () => ({
    'package.json': '{ "type": "module" }\n',
    'self.ts': SELF_V1,
    'main.mjs': `${PRELUDE}
import { label } from './self.ts';
report.first = label;
report.hotType = globalThis.hotType;
write('self.ts', ${JSON.stringify(SELF_V2)});
report.swap = await modswap.swap(here('self.ts'));
report.latest = globalThis.latest.label;
try { globalThis.latest.fail(); } catch (error) { report.stack = error.stack; }
write('self.ts', ${JSON.stringify(SELF_BROKEN)});
report.failure = await failureOf(modswap.swap(here('self.ts')));
report.kept = globalThis.latest.label;
report.counts = counts();
console.log(JSON.stringify(report));
`,
  }),
  (report, fixture) => {
    assert.equal(report.first, 'v1');
    assert.equal(report.hotType, 'object', 'import.meta.hot is injected into a .ts module');
    assert.deepEqual(report.swap.evaluated, [fixture.path('self.ts')]);
    assert.equal(report.latest, 'v2');
    const frame = framePosition(report.stack, 'self\\.ts');
    assert.deepEqual(frame, { version: 1, ...positionOf(SELF_V2, 'new Error(why)') });
    assert.equal(report.failure.code, 'ERR_MODSWAP_RELOAD_FAILED');
    assert.equal(report.failure.file, fixture.path('self.ts'));
    assert.match(report.failure.message, new RegExp(`at ${fixture.path('self.ts').replace(/\./g, '\\.')}:${positionOf(SELF_BROKEN, 'const broken').line}\\)`));
    assert.equal(report.kept, 'v2', 'the version before the broken save keeps serving');
    assert.deepEqual(report.counts, { self: 2 });
  },
);

const LEAF_CTS_V1 = `const count: number = 1;
module.exports = { count };
`;
const LEAF_CTS_V2 = `type Count = number;
// one more line, so that a frame of the old version would not match
const count: Count = 2;
module.exports = { count, fail(): never {
  const why: string = 'v' + count; throw new Error(why);
} };
`;
const LEAF_CTS_BROKEN = `const count: number = 3;
const broken: number = ;
module.exports = { count };
`;

/** A CommonJS app: hot() handles on `leaf.cts` and the CommonJS `helper.ts`, one swap of both, then a broken save. */
const CJS_MAIN = `const fs = require('node:fs');
const path = require('node:path');
const modswap = require(${JSON.stringify(INDEX)});
const here = (name) => path.join(__dirname, name);
const report = {};
const leaf = modswap.hot('./leaf.cts');
const helper = modswap.hot('./helper.ts');
report.before = [leaf.count, helper.word];
fs.writeFileSync(here('leaf.cts'), ${JSON.stringify(LEAF_CTS_V2)});
fs.writeFileSync(here('helper.ts'), "const word: string = 'beta';\\nmodule.exports = { word };\\n");
report.swap = modswap.swap([here('leaf.cts'), here('helper.ts')]);
report.after = [leaf.count, helper.word];
try { leaf.fail(); } catch (error) { report.stack = error.stack; }
fs.writeFileSync(here('leaf.cts'), ${JSON.stringify(LEAF_CTS_BROKEN)});
try { modswap.swap(here('leaf.cts')); } catch (error) { report.failure = { code: error.code, message: error.message, location: error.location }; }
report.kept = leaf.count;
console.log(JSON.stringify(report));
`;

test('a .cts module and a CommonJS .ts module swap through the CommonJS engine', { skip: STRIPS ? false : NO_STRIPPING }, () => {
  const fixture = makeFixture({
    'leaf.cts': LEAF_CTS_V1,
    'helper.ts': "const word: string = 'alpha';\nmodule.exports = { word };\n",
    'main.js': CJS_MAIN,
  });
  try {
    const report = runNode(fixture, ['main.js']);
    assert.deepEqual(report.before, [1, 'alpha']);
    assert.deepEqual(report.swap.files, [fixture.path('leaf.cts'), fixture.path('helper.ts')]);
    assert.deepEqual(report.after, [2, 'beta']);
    assert.deepEqual(framePosition(report.stack, 'leaf\\.cts'), { version: 0, ...positionOf(LEAF_CTS_V2, 'new Error(why)') });
    assert.equal(report.failure.code, 'ERR_MODSWAP_RELOAD_FAILED');
    assert.deepEqual(report.failure.location, { file: fixture.path('leaf.cts'), line: positionOf(LEAF_CTS_BROKEN, 'const broken').line });
    assert.equal(report.kept, 2);
  } finally {
    fixture.remove();
  }
});

test('modswap run app.ts swaps a saved .ts file (ES modules, "type": "module")', { skip: STRIPS ? false : NO_STRIPPING, timeout: 60000 }, async () => {
  await underRunner(
    {
      'package.json': '{ "type": "module" }\n',
      'app.ts': HOT_HANDLER_SERVER.replace("'./handler.mjs'", "'./handler.ts'").replace('const handler =', 'const handler: () => string ='),
      'handler.ts': "const text: string = 'one';\nexport default (): string => text;\n",
    },
    'app.ts',
    async ({ fixture, output }) => {
      const { port } = await nthServer(output, 0, 'the app to listen');
      assert.equal(await get(port), 'one');
      fixture.write('handler.ts', "type Text = string;\nconst text: Text = 'two';\nexport default (): Text => text;\n");
      await waitForLog(output, /swapped handler\.ts in/);
      assert.equal(await get(port), 'two');
    },
  );
});

test('modswap run app.cts swaps a saved .cts file (CommonJS)', { skip: STRIPS ? false : NO_STRIPPING, timeout: 60000 }, async () => {
  await underRunner(
    {
      'app.cts': `const http = require('node:http');
  const modswap = require(${JSON.stringify(INDEX)});
  const handler: () => string = modswap.hot('./handler.cts');
  const server = http.createServer((req, res) => res.end(handler()));
  server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port + ' pid ' + process.pid));
  `,
      'handler.cts': "const text: string = 'one';\nmodule.exports = (): string => text;\n",
    },
    'app.cts',
    async ({ fixture, output }) => {
      const { port } = await nthServer(output, 0, 'the app to listen');
      assert.equal(await get(port), 'one');
      fixture.write('handler.cts', "const text: string = 'two';\nmodule.exports = (): string => text;\n");
      await waitForLog(output, /swapped handler\.cts in/);
      assert.equal(await get(port), 'two');
    },
  );
});

/** What an ERR_MODSWAP_TYPESCRIPT message must say: the file, the Node versions that strip, a loader. */
function assertTypeScriptRefusal(failure, file) {
  assert.equal(failure.code, 'ERR_MODSWAP_TYPESCRIPT', failure.message);
  assert.equal(failure.file, file);
  assert.ok(failure.message.includes(`${file}: it is TypeScript`), failure.message);
  assert.match(failure.message, /Node 22\.18\+ and 23\.6\+/);
  assert.match(failure.message, /node --import tsx/);
}

test('without type stripping, hot() of a .cts module and a swap of a CommonJS .ts module are refused with ERR_MODSWAP_TYPESCRIPT', () => {
  const fixture = makeFixture({
    'leaf.cts': LEAF_CTS_V1,
    // Type-free: Node loads it as plain JavaScript, until a save adds a type.
    'plain.ts': "module.exports = { word: 'alpha' };\n",
    'main.js': `const fs = require('node:fs');
const modswap = require(${JSON.stringify(INDEX)});
const report = {};
const failureOf = (fn) => { try { fn(); return null; } catch (error) { return { code: error.code, message: error.message, file: error.file }; } };
report.hot = failureOf(() => modswap.hot('./leaf.cts'));
report.plain = require('./plain.ts').word;
fs.writeFileSync(__dirname + '/plain.ts', "const word: string = 'beta';\\nmodule.exports = { word };\\n");
report.swap = failureOf(() => modswap.swap(__dirname + '/plain.ts'));
report.kept = require('./plain.ts').word;
console.log(JSON.stringify(report));
`,
  });
  try {
    const report = runNode(fixture, [...STRIPPING_OFF, 'main.js']);
    assertTypeScriptRefusal(report.hot, fixture.path('leaf.cts'));
    assert.match(report.hot.message, /^hot\('\.\/leaf\.cts'\) cannot load /);
    assert.equal(report.plain, 'alpha');
    assertTypeScriptRefusal(report.swap, fixture.path('plain.ts'));
    assert.match(report.swap.message, /^Cannot swap /);
    assert.equal(report.kept, 'alpha', 'nothing was swapped');
  } finally {
    fixture.remove();
  }
});

for (const mode of MODES) {
  test(`without type stripping, hot() of an .mts module rejects with ERR_MODSWAP_TYPESCRIPT (${mode})`, () => {
    const fixture = makeFixture({
      'leaf.mts': "export default (): string => 'one';\n",
      'main.mjs': `${PRELUDE}
report.hot = await failureOf(modswap.hot('./leaf.mts').catch((error) => { report.cause = error.cause?.code; throw error; }));
console.log(JSON.stringify(report));
`,
    });
    try {
      const report = runNode(fixture, [...STRIPPING_OFF, '--import', REGISTER, 'main.mjs'], { MODSWAP_ESM_HOOKS: mode });
      assert.equal(report.hooks, mode);
      assertTypeScriptRefusal(report.hot, fixture.path('leaf.mts'));
      assert.equal(report.cause, 'ERR_UNKNOWN_FILE_EXTENSION', "Node's own refusal is the cause");
    } finally {
      fixture.remove();
    }
  });
}

test('without type stripping, modswap run app.ts is refused with ERR_MODSWAP_TYPESCRIPT before the app starts', () => {
  const fixture = makeFixture({ 'app.ts': "console.log('the app ran');\n" });
  try {
    const nodeArgs = STRIPPING_OFF.flatMap((flag) => ['--node-arg', flag]);
    const result = runToEnd(fixture.root, [...nodeArgs, 'app.ts'], { env: { ...process.env, NODE_OPTIONS: '' } });
    assert.equal(result.status, 1, result.stderr);
    assert.ok(result.stderr.includes(`modswap run: [ERR_MODSWAP_TYPESCRIPT] Cannot run ${fixture.path('app.ts')}: it is TypeScript`), result.stderr);
    assert.doesNotMatch(result.stdout, /the app ran/);
  } finally {
    fixture.remove();
  }
});

/** A TypeScript require hook as loaders install one (tsx, ts-node): here, a naive stripper of `: number`. */
const FAKE_LOADER = `const fs = require('node:fs');
function compileTypeScript(module, filename) {
  module._compile(fs.readFileSync(filename, 'utf8').replace(/: number/g, ''), filename);
}
require.extensions['.ts'] = compileTypeScript;
require.extensions['.cts'] = compileTypeScript;
`;

test('without type stripping, a TypeScript loader that hooks require is not got in the way of: hot(), swap() and modswap run work', { timeout: 60000 }, async () => {
  const fixture = makeFixture({
    'loader.js': FAKE_LOADER,
    'leaf.cts': LEAF_CTS_V1,
    'main.js': `const fs = require('node:fs');
const modswap = require(${JSON.stringify(INDEX)});
const leaf = modswap.hot('./leaf.cts');
const report = { before: leaf.count };
fs.writeFileSync(__dirname + '/leaf.cts', 'const count: number = 2;\\nmodule.exports = { count };\\n');
report.swap = modswap.swap(__dirname + '/leaf.cts').files;
report.after = leaf.count;
console.log(JSON.stringify(report));
`,
    'app.cts': `const count: number = 7;
console.log('the app ran with ' + count);
`,
  });
  try {
    const report = runNode(fixture, [...STRIPPING_OFF, '-r', fixture.path('loader.js'), 'main.js']);
    assert.deepEqual(report, { before: 1, swap: [fixture.path('leaf.cts')], after: 2 });
    const nodeArgs = [...STRIPPING_OFF, `--require=${fixture.path('loader.js')}`].flatMap((flag) => ['--node-arg', flag]);
    const { child, output } = startRunner(fixture.root, [...nodeArgs, 'app.cts']);
    try {
      await waitFor(`the app to run; stderr: ${output.stderr}`, () => /the app ran with 7/.test(output.stdout));
    } finally {
      await stopRunner(child);
    }
  } finally {
    fixture.remove();
  }
});

test('the TypeScript loader check follows the flags the app gets', () => {
  const { loadsTypeScript, isTypeScriptFile } = require('../lib/typescript');
  assert.deepEqual(['a.ts', 'a.mts', 'a.cts', 'a.js', 'a.d.ts.map', 'ts'].map(isTypeScriptFile), [true, true, true, false, false, false]);
  assert.equal(loadsTypeScript(['--no-experimental-strip-types']), false, 'stripping turned off, no loader');
  assert.equal(loadsTypeScript(['--no-experimental-strip-types', '--import=tsx']), true, 'a loader is trusted');
  assert.equal(loadsTypeScript(['--no-experimental-strip-types', '-r', 'ts-node/register']), true);
  assert.equal(loadsTypeScript(['--no-experimental-strip-types', '--experimental-strip-types']), true, 'the last flag wins');
  assert.equal(loadsTypeScript(), STRIPS, 'this process: Node strips types, or not');
});

/** A loader as tsx is one: it compiles `compiled.mjs` to one line, with an inline source map (a segment per character). */
const ONE_LINE_COMPILER = `const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function vlq(n) {
  let v = n < 0 ? (-n << 1) | 1 : n << 1;
  let out = '';
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v > 0) digit |= 32;
    out += B64[digit];
  } while (v > 0);
  return out;
}
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!url.endsWith('/compiled.mjs')) return result;
  const lines = String(result.source).split('\\n');
  const segments = [];
  const previous = [0, 0, 0];
  let generated = 0;
  lines.forEach((line, sourceLine) => {
    for (let column = 0; column < line.length; column++) {
      const at = [generated + column, sourceLine, column];
      segments.push(vlq(at[0] - previous[0]) + 'A' + vlq(at[1] - previous[1]) + vlq(at[2] - previous[2]));
      previous.splice(0, 3, ...at);
    }
    generated += line.length + 1;
  });
  const map = { version: 3, sources: [url], names: [], mappings: segments.join(',') };
  const code = lines.join(' ') + '\\n//# sourceMappingURL=data:application/json;base64,' + Buffer.from(JSON.stringify(map)).toString('base64');
  return { ...result, source: code };
}
`;

const COMPILED_SOURCE = `export function fail() {
  const why = 'compiled';
  throw new Error(why);
}
globalThis.hotType = typeof import.meta.hot;
`;

// Registered before modswap's hooks, the compiler is the `nextLoad` modswap's load hook calls:
// the prefix lands in compiled code, where the map must be told of it.
for (const mode of MODES) {
  test(`a module another loader compiled to one line with an inline source map keeps its source positions under the import.meta.hot prefix (${mode})`, () => {
    const fixture = makeFixture({
      'compiler.mjs': ONE_LINE_COMPILER,
      'register-compiler.mjs': "import { register } from 'node:module';\nregister('./compiler.mjs', import.meta.url);\n",
      'compiled.mjs': COMPILED_SOURCE,
      'main.mjs': `${PRELUDE}
const { fail } = await import('./compiled.mjs');
report.hotType = globalThis.hotType;
try { fail(); } catch (error) { report.stack = error.stack; }
console.log(JSON.stringify(report));
`,
    });
    try {
      const args = ['--enable-source-maps', '--import', './register-compiler.mjs', '--import', REGISTER, 'main.mjs'];
      const report = runNode(fixture, args, { MODSWAP_ESM_HOOKS: mode });
      assert.equal(report.hooks, mode);
      assert.equal(report.hotType, 'object', 'import.meta.hot is injected into the compiled module');
      assert.deepEqual(framePosition(report.stack, 'compiled\\.mjs'), { version: 0, ...positionOf(COMPILED_SOURCE, 'new Error(why)') });
    } finally {
      fixture.remove();
    }
  });
}
