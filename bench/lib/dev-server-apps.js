'use strict';
// The apps of bench/dev-server.bench.js, each a scratch copy under .bench-tmp/dev-server/ that
// every contender runs unchanged. An app knows how to write a new version of its hot file and
// how to recognise that version in a response body.
//
//   express   examples/express (app.use(modswap.hot('./routes'))); routes.js is rewritten
//   app2000   bench/gen-app.js's 2,000-module app with a server that calls modswap.hot('./router.js');
//             router.js (which requires the barrel of all 2,000 modules) is rewritten
//
// Both servers print `app pid <pid> listening` so the bench can read the app process's RSS
// even when a runner sits between it and the bench.
const fs = require('node:fs');
const path = require('node:path');
const { generateApp } = require('../gen-app');

const ROOT = path.join(__dirname, '..', '..');
const EXAMPLE_DIR = path.join(ROOT, 'examples', 'express');

/** Replaces `search` in `text`, `count` times exactly: a changed example must fail loudly here. */
function replaceExactly(text, search, replacement, count, what) {
  const found = text.split(search).length - 1;
  if (found !== count) throw new Error(`${what}: expected ${count} × ${JSON.stringify(search)}, found ${found}`);
  return text.split(search).join(replacement);
}

const PID_LINE = "server.once('listening', () => console.log(`app pid ${process.pid} listening`));";

function prepareExpress(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const read = (name) => fs.readFileSync(path.join(EXAMPLE_DIR, name), 'utf8');
  // The copy sits deeper than examples/express, so '../..' would miss the package.
  const app = replaceExactly(read('app.js'), "require('../..')", `require(${JSON.stringify(ROOT)})`, 1, 'app.js');
  const server = `${read('server.js')}// Added by the dev-server bench: the app's pid, for its RSS.\n${PID_LINE}\n`;
  const routes = read('routes.js');
  fs.writeFileSync(path.join(dir, 'app.js'), app);
  fs.writeFileSync(path.join(dir, 'server.js'), server);
  // 'hello from express v1\n' and 'slow v1\n' carry the version.
  replaceExactly(routes, 'v1\\n', '', 2, 'routes.js');
  const hotFile = path.join(dir, 'routes.js');
  return {
    name: 'express',
    title: 'examples/express (one hot route file)',
    dir,
    hotFile,
    writeVersion: (label) => fs.writeFileSync(hotFile, routes.split('v1\\n').join(`${label}\\n`)),
    showsVersion: (body, label) => body === `hello from express ${label}\n`,
  };
}

function largeAppServerSource() {
  return `'use strict';
// The generated app's server, made hot for the dev-server bench: router.js is a reload boundary,
// so a change to it swaps router.js alone, and the handle always calls the current version.
const http = require('node:http');
const modswap = require(${JSON.stringify(ROOT)});

const handle = modswap.hot('./router.js');
const server = http.createServer((req, res) => handle(req, res));
server.listen(Number(process.env.PORT) || 0, '127.0.0.1', () => {
  console.log('listening on ' + server.address().port);
});
${PID_LINE}
`;
}

function prepareLargeApp(dir, modules) {
  const generated = generateApp(dir, { modules });
  fs.writeFileSync(generated.files.server, largeAppServerSource());
  const router = fs.readFileSync(generated.files.router, 'utf8');
  const responseCall = 'res.end(last.describe(';
  replaceExactly(router, responseCall, '', 1, 'router.js');
  return {
    name: `app${modules}`,
    title: `bench/gen-app.js, ${modules.toLocaleString('en-US')} modules (hot router.js)`,
    dir,
    hotFile: generated.files.router,
    writeVersion: (label) =>
      fs.writeFileSync(generated.files.router, router.split(responseCall).join(`res.end('${label} ' + last.describe(`)),
    showsVersion: (body, label) => body.startsWith(`${label} `),
  };
}

module.exports = { prepareExpress, prepareLargeApp };
