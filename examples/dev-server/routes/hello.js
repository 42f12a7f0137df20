'use strict';
module.exports = (_req, res) => res.end('hello from version 1\n');
