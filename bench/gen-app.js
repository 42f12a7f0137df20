#!/usr/bin/env node
'use strict';
// Generates a synthetic CommonJS app for the reload benchmark:
//
//   shared.js             helpers every module requires
//   modules/m0.js … mN.js each requires ../shared.js and 3 random lower-numbered modules
//   barrel.js             requires every module and re-exports them
//   router.js             requires the barrel, exports the request handler
//   server.js             http server on 127.0.0.1 that resolves the router on every request
//   app.js                entry that only loads the router (startup timing)
//
// The dependency picks come from a seeded PRNG so every run benchmarks the same graph.
//
// With `esm: true` (CLI `--esm`) it writes the same graph as ES modules (`.mjs`, static
// imports); server.mjs then imports the router per request with hot-hook's boundary attribute
// (`import.meta.hot?.boundary`), which plain Node and modswap ignore.
//
// CLI: node bench/gen-app.js [dir] [--modules N] [--seed S] [--esm]
const fs = require('node:fs');
const path = require('node:path');

const DEFAULTS = { modules: 2000, seed: 0x5eed, depsPerModule: 3, esm: false };
const DEFAULT_DIR = path.join(__dirname, '..', '.bench-tmp', 'app');
const DEFAULT_ESM_DIR = path.join(__dirname, '..', '.bench-tmp', 'app-esm');

/** mulberry32: tiny, fast and good enough to pick dependencies deterministically. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct module indexes below `index` (all of them when fewer exist), ascending. */
function pickDependencies(index, count, random) {
  if (index <= count) return Array.from({ length: index }, (_, i) => i);
  const picked = new Set();
  while (picked.size < count) picked.add(Math.floor(random() * index));
  return [...picked].sort((a, b) => a - b);
}

function sharedSource() {
  return `'use strict';
// Shared helpers: every generated module requires this file.
function mix(a, b) {
  return (Math.imul(a ^ 0x9e3779b9, 31) + b) >>> 0;
}
module.exports = { mix, createdAt: Date.now() };
`;
}

function moduleSource(index, deps) {
  const requires = deps.map((dep, k) => `const d${k} = require('./m${dep}.js');`).join('\n');
  const seed = deps.reduce((acc, _, k) => `shared.mix(${acc}, d${k}.seed)`, String(index));
  return `'use strict';
const shared = require('../shared.js');
${requires}
const seed = ${seed};
module.exports = {
  id: ${index},
  seed,
  deps: [${deps.join(', ')}],
  describe(x) {
    return 'm${index}:' + shared.mix(seed, x);
  },
};
`;
}

function barrelSource(count) {
  const lines = [];
  for (let i = 0; i < count; i++) lines.push(`exports.m${i} = require('./modules/m${i}.js');`);
  return `'use strict';\n// Re-exports every module, so loading the router loads the whole app.\n${lines.join('\n')}\n`;
}

function routerSource(count) {
  return `'use strict';
const barrel = require('./barrel.js');
const last = barrel.m${count - 1};
// The request handler; server.js resolves it on every request so a swapped router is picked up.
module.exports = function handle(req, res) {
  res.setHeader('content-type', 'text/plain');
  res.end(last.describe(req.url.length) + '\\n');
};
`;
}

function serverSource() {
  return `'use strict';
const http = require('node:http');
// Load the app before listening, as a real server would: "listening" means ready to serve.
require('./router.js');
const server = http.createServer((req, res) => require('./router.js')(req, res));
server.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  console.log('listening on ' + server.address().port);
});
`;
}

function appSource() {
  return `'use strict';
require('./router.js');
// performance.now() counts from Node's time origin (process start), so this is the load time
// of the whole app including Node's own bootstrap.
if (process.env.MODSWAP_BENCH_REPORT_STARTUP) {
  process.stdout.write(JSON.stringify({ loadedAtMs: performance.now() }) + '\\n');
}
`;
}

// --- the ES module copy ------------------------------------------------------------------------

function esmSharedSource() {
  return `// Shared helpers: every generated module imports this file.
export function mix(a, b) {
  return (Math.imul(a ^ 0x9e3779b9, 31) + b) >>> 0;
}
export const createdAt = Date.now();
`;
}

function esmModuleSource(index, deps) {
  const imports = deps.map((dep, k) => `import * as d${k} from './m${dep}.mjs';`).join('\n');
  const seed = deps.reduce((acc, _, k) => `shared.mix(${acc}, d${k}.seed)`, String(index));
  return `import * as shared from '../shared.mjs';
${imports}
export const id = ${index};
export const seed = ${seed};
export const deps = [${deps.join(', ')}];
export function describe(x) {
  return 'm${index}:' + shared.mix(seed, x);
}
`;
}

function esmBarrelSource(count) {
  const lines = [];
  for (let i = 0; i < count; i++) lines.push(`export * as m${i} from './modules/m${i}.mjs';`);
  return `// Re-exports every module, so loading the router loads the whole app.\n${lines.join('\n')}\n`;
}

function esmRouterSource(count) {
  return `import * as barrel from './barrel.mjs';
const last = barrel.m${count - 1};
// The request handler; server.mjs imports it per request so a swapped router is picked up.
export default function handle(req, res) {
  res.setHeader('content-type', 'text/plain');
  res.end(last.describe(req.url.length) + '\\n');
}
`;
}

function esmServerSource() {
  return `import http from 'node:http';
// hot-hook makes the router a boundary through this import attribute; without hot-hook
// import.meta.hot?.boundary is undefined and this is a plain dynamic import.
const router = () => import('./router.mjs', import.meta.hot?.boundary);
// Load the app before listening, as a real server would: "listening" means ready to serve.
await router();
const server = http.createServer(async (req, res) => (await router()).default(req, res));
server.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  console.log('listening on ' + server.address().port);
});
`;
}

function esmAppSource() {
  return `import './router.mjs';
if (process.env.MODSWAP_BENCH_REPORT_STARTUP) {
  process.stdout.write(JSON.stringify({ loadedAtMs: performance.now() }) + '\\n');
}
`;
}

const SOURCES = {
  cjs: {
    extension: '.js',
    shared: sharedSource,
    module: moduleSource,
    barrel: barrelSource,
    router: routerSource,
    server: serverSource,
    app: appSource,
  },
  esm: {
    extension: '.mjs',
    shared: esmSharedSource,
    module: esmModuleSource,
    barrel: esmBarrelSource,
    router: esmRouterSource,
    server: esmServerSource,
    app: esmAppSource,
  },
};

/** Writes only when the content differs: reruns leave the files (and the page cache) alone. */
function writeIfChanged(file, content) {
  try {
    if (fs.readFileSync(file, 'utf8') === content) return;
  } catch {
    // missing: write it
  }
  fs.writeFileSync(file, content);
}

/** Deletes modules left over from an earlier, larger app. */
function removeExtraModules(modulesDir, count, extension) {
  const pattern = new RegExp(`^m(\\d+)\\${extension}$`);
  for (const name of fs.readdirSync(modulesDir)) {
    const match = pattern.exec(name);
    if (!match || Number(match[1]) >= count) fs.rmSync(path.join(modulesDir, name), { recursive: true, force: true });
  }
}

/**
 * Writes the app into `dir` (rewriting only files whose content changed) and returns the paths the
 * benchmark needs. Options: modules, seed, depsPerModule, esm (ES modules in `.mjs` files;
 * default dir .bench-tmp/app-esm).
 */
function generateApp(dir, options = {}) {
  const { modules, seed, depsPerModule, esm } = { ...DEFAULTS, ...options };
  dir ??= esm ? DEFAULT_ESM_DIR : DEFAULT_DIR;
  const source = SOURCES[esm ? 'esm' : 'cjs'];
  const ext = source.extension;
  const modulesDir = path.join(dir, 'modules');
  fs.mkdirSync(modulesDir, { recursive: true });
  removeExtraModules(modulesDir, modules, ext);
  const random = mulberry32(seed);
  const graph = [];
  for (let i = 0; i < modules; i++) {
    const deps = pickDependencies(i, depsPerModule, random);
    graph.push(deps);
    writeIfChanged(path.join(modulesDir, `m${i}${ext}`), source.module(i, deps));
  }
  const files = {};
  for (const name of ['shared', 'barrel', 'router', 'server', 'app']) files[name] = path.join(dir, `${name}${ext}`);
  writeIfChanged(files.shared, source.shared());
  writeIfChanged(files.barrel, source.barrel(modules));
  writeIfChanged(files.router, source.router(modules));
  writeIfChanged(files.server, source.server());
  writeIfChanged(files.app, source.app());
  return { dir, modulesDir, modules, seed, esm, graph, files, modulePath: (i) => path.join(modulesDir, `m${i}${ext}`) };
}

function parseArgs(argv) {
  const options = {};
  let dir;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--modules') options.modules = Number(argv[++i]);
    else if (arg === '--seed') options.seed = Number(argv[++i]);
    else if (arg === '--esm') options.esm = true;
    else if (!arg.startsWith('--')) dir = path.resolve(arg);
    else throw new Error(`unknown option ${arg}`);
  }
  return { dir, options };
}

if (require.main === module) {
  const { dir, options } = parseArgs(process.argv.slice(2));
  const app = generateApp(dir, options);
  console.log(`generated ${app.modules} modules (seed ${app.seed}) in ${app.dir}`);
}

module.exports = { generateApp, mulberry32, pickDependencies, DEFAULT_DIR, DEFAULT_ESM_DIR };
