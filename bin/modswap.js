#!/usr/bin/env node
'use strict';
// The modswap command: `modswap run app.js` (lib/dev/runner.js) and
// `modswap heap analyze|diff|leaks ...` and `modswap why FILE` (lib/heap/cli.js).
const argv = process.argv.slice(2);

if (argv[0] === 'run') {
  require('../lib/dev/runner')
    .run(argv.slice(1))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error) => {
        // The stable code first, as Node prints its own (`[ERR_MODSWAP_CONFIG] /app/modswap.config.js: …`).
        process.stderr.write(`modswap run: ${error.code ? `[${error.code}] ` : ''}${error.message}\n`);
        process.exitCode = error.code === 'ERR_MODSWAP_INVALID_ARG' ? 2 : 1;
      },
    );
} else {
  const { main } = require('../lib/heap/cli');
  // `modswap heap analyze x | head` closes stdout early: that is the reader's choice, not an error.
  process.stdout.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  main(argv).then((code) => {
    process.exitCode = code;
  });
}
