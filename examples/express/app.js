'use strict';
// An express app whose routes are hot: edit routes.js and the running server answers with the
// new code, without registering anything again and without dropping a connection.
const express = require('express');
const modswap = require('../..');

function createApp() {
  const app = express();
  // The handle always calls the current routes.js; routes.js is a reload boundary.
  app.use(modswap.hot('./routes'));
  return app;
}

module.exports = { createApp };
