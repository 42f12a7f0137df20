'use strict';
//   node examples/koa/server.js     then edit examples/koa/middleware.js
const { createApp } = require('./app');

const port = Number(process.env.PORT ?? 3000);
const server = createApp().listen(port, '127.0.0.1', () => {
  console.log(`koa listening on http://127.0.0.1:${server.address().port}`);
});
