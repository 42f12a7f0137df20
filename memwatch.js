'use strict';
// require('modswap/memwatch'): the same emitter as require('modswap').memwatch.
module.exports = require('./lib/memwatch');
