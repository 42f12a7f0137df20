#!/usr/bin/env node
'use strict';
// The modswap command: `modswap heap analyze|diff|leaks ...` (lib/heap/cli.js).
const { main } = require('../lib/heap/cli');

// `modswap heap analyze x | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
