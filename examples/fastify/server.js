'use strict';
//   node examples/fastify/server.js     then edit examples/fastify/handlers.js
const { createApp } = require('./app');

const app = createApp();
app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' }).then((address) => {
  console.log(`fastify listening on ${address}`);
});
