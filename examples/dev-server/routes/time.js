'use strict';
module.exports = (_req, res) => res.end(`${new Date().toISOString()}\n`);
