'use strict';
// A second parent of config.js: required once, at startup.
module.exports = { config: require('./config') };
