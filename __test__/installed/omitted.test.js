'use strict';
// Runs in a fresh project where modswap was installed with `--omit=optional`, so no platform
// package is there (scripts/check-install.mjs): require('modswap') must say what is missing.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

test("require('modswap') without the platform package throws a ModswapError that says why", () => {
  const installed = fs.readdirSync(path.join(process.cwd(), 'node_modules'));
  assert.deepEqual(installed.filter((name) => name.startsWith('modswap-')), []);
  assert.throws(() => require('modswap'), (error) => {
    assert.equal(error.name, 'ModswapError');
    assert.equal(error.code, 'ERR_MODSWAP_NATIVE_MISSING');
    assert.equal(error.platform, process.platform);
    assert.equal(error.arch, process.arch);
    assert.match(error.packageName, new RegExp(`^modswap-${process.platform}-${process.arch}`));
    assert.ok(error.message.includes(`${error.packageName}@`), error.message);
    assert.match(error.message, /not installed/);
    assert.match(error.message, /--omit=optional/);
    assert.match(error.message, /npm run build/);
    if (process.platform === 'linux') assert.match(error.message, /\((glibc|musl)\)/);
    return true;
  });
});
