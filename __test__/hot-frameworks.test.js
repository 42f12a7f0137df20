'use strict';
// The express, koa and fastify examples: a saved edit of the hot module changes what the running
// server answers, without registering again; a request in flight finishes on its version.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const modswap = require('..');

const ROOT = path.join(__dirname, '..');
const SCRATCH = path.join(ROOT, '.test-tmp');

/** A copy of examples/<name> two levels below the package root, as the original is. */
function copyExample(name) {
  fs.mkdirSync(SCRATCH, { recursive: true });
  const dir = fs.mkdtempSync(path.join(SCRATCH, `${name}-`));
  fs.cpSync(path.join(ROOT, 'examples', name), dir, { recursive: true });
  return dir;
}

function get(port, route) {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: route, timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${route} timed out`)));
    request.on('error', reject);
  });
}

const FRAMEWORKS = [
  { name: 'express', hotFile: 'routes.js', listen: (app) => listenNode(app.listen(0, '127.0.0.1')) },
  { name: 'koa', hotFile: 'middleware.js', listen: (app) => listenNode(app.listen(0, '127.0.0.1')) },
  {
    name: 'fastify',
    hotFile: 'handlers.js',
    listen: async (app) => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { port: app.server.address().port, close: () => app.close() };
    },
  },
];

function listenNode(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () =>
      resolve({
        port: server.address().port,
        close: () => new Promise((done) => server.close(done)),
      }),
    );
  });
}

for (const framework of FRAMEWORKS) {
  test(`${framework.name}: a swap of ${framework.hotFile} changes the answers of the running server`, async () => {
    const dir = copyExample(framework.name);
    const { createApp } = require(path.join(dir, 'app.js'));
    const server = await framework.listen(createApp());
    try {
      assert.deepEqual(await get(server.port, '/'), { status: 200, body: `hello from ${framework.name} v1\n` });
      const inFlight = get(server.port, '/slow?ms=300');
      await new Promise((resolve) => setTimeout(resolve, 50));

      const hotFile = path.join(dir, framework.hotFile);
      fs.writeFileSync(hotFile, fs.readFileSync(hotFile, 'utf8').replaceAll('v1', 'v2'));
      const result = modswap.swap(hotFile);
      assert.deepEqual(result.evaluated, [hotFile], 'only the hot module is evaluated: it is the boundary');

      assert.deepEqual(await get(server.port, '/'), { status: 200, body: `hello from ${framework.name} v2\n` });
      assert.deepEqual(await inFlight, { status: 200, body: 'slow v1\n' }, 'the request in flight kept its version');
      assert.deepEqual(await get(server.port, '/slow?ms=1'), { status: 200, body: 'slow v2\n' });
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
