'use strict';
const hello = require('./hello');
const time = require('./time');

const routes = { '/': hello, '/time': time };

module.exports = (req, res) => {
  const handler = routes[req.url] ?? ((_req, reply) => reply.writeHead(404).end('not found\n'));
  handler(req, res);
};
