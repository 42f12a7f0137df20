'use strict';
// Loads the compiled addon once and wraps its calls so that every native failure surfaces as a
// ModswapError with a stable code.
const fs = require('node:fs');
const path = require('node:path');
const { ModswapError, fromNative } = require('./errors');

const PACKAGE_ROOT = path.join(__dirname, '..');

// What explains a failure (./platform, package.json, a process report) is loaded only then.
function loadBinding() {
  try {
    return require('../binding.js');
  } catch (error) {
    const sourceCheckout = fs.existsSync(path.join(PACKAGE_ROOT, 'Cargo.toml'));
    throw sourceCheckout ? notBuiltError(error) : require('./platform').missingBindingError(error);
  }
}

/** A checkout of the sources (Cargo.toml beside package.json) whose addon is not built. */
function notBuiltError(cause) {
  const { firstMessage } = require('./platform');
  return new ModswapError(
    'ERR_MODSWAP_NATIVE_MISSING',
    `modswap's native addon could not be loaded from this checkout of its sources ` +
      `(${firstMessage(cause)}). Build it with \`npm run build\` (needs Rust).`,
    { cause },
  );
}

/** Must equal PROTOCOL_VERSION in src/graph/events.rs. */
const PROTOCOL_VERSION = 3;

function checkProtocol(loaded) {
  const found = typeof loaded.protocolVersion === 'function' ? loaded.protocolVersion() : undefined;
  if (found !== PROTOCOL_VERSION) {
    throw new ModswapError(
      'ERR_MODSWAP_NATIVE_MISMATCH',
      `modswap's native addon speaks protocol ${found ?? 'unknown'}, this JavaScript expects ` +
        `${PROTOCOL_VERSION}: the addon is stale. Rebuild it with \`npm run build\`.`,
    );
  }
  return loaded;
}

const binding = checkProtocol(loadBinding());

/** Calls `fn`, rethrowing native errors as ModswapErrors. */
function callNative(fn) {
  try {
    return fn();
  } catch (error) {
    throw fromNative(error);
  }
}

module.exports = { binding, callNative, checkProtocol };
