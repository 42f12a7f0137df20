'use strict';
// Loads the compiled addon once and wraps its calls so that every native failure surfaces as a
// ModswapError with a stable code.
const { ModswapError, fromNative } = require('./errors');

function loadBinding() {
  try {
    return require('../binding.js');
  } catch (error) {
    throw new ModswapError(
      'ERR_MODSWAP_NATIVE_MISSING',
      `modswap's native addon could not be loaded (${error.message}). ` +
        'Build it with `npm install` or `npm run build` in the modswap package.',
      { cause: error },
    );
  }
}

/** Must equal PROTOCOL_VERSION in src/graph/events.rs. */
const PROTOCOL_VERSION = 2;

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
