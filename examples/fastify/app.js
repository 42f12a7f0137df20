'use strict';
// A fastify app whose route handlers are hot: routes are declared once (fastify compiles its
// router at start-up), and each handler is a hot() handle, so editing handlers.js changes what
// the routes answer without registering them again.
const Fastify = require('fastify');
const modswap = require('../..');

function createApp() {
  const app = Fastify();
  const handlers = modswap.hot('./handlers');
  app.get('/', (request, reply) => handlers.hello(request, reply));
  app.get('/slow', (request, reply) => handlers.slow(request, reply));
  return app;
}

module.exports = { createApp };
