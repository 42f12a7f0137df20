'use strict';
// A koa app whose middleware is hot: edit middleware.js and the next request runs the new code.
const Koa = require('koa');
const modswap = require('../..');

function createApp() {
  const app = new Koa();
  app.use(modswap.hot('./middleware'));
  return app;
}

module.exports = { createApp };
