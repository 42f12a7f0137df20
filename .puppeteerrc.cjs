// @memlab/core (installed on demand into .bench-tmp/memlab for bench/heap-analyze.bench.js) depends on puppeteer,
// whose install script downloads Chrome and fails the whole `npm install` without network
// access to Google's servers. The heap benchmark never starts a browser: skip the download.
// Puppeteer looks for this file upwards from its install directory.
module.exports = { skipDownload: true };
