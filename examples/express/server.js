'use strict';
//   node examples/express/server.js     then edit examples/express/routes.js
//   (run it under `modswap run` for the watcher, or call modswap.swap(files) yourself)
const { createApp } = require('./app');

const port = Number(process.env.PORT ?? 3000);
const server = createApp().listen(port, '127.0.0.1', () => {
  console.log(`express listening on http://127.0.0.1:${server.address().port}`);
});
