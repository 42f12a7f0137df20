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

const binding = loadBinding();

/** Calls `fn`, rethrowing native errors as ModswapErrors. */
function callNative(fn) {
  try {
    return fn();
  } catch (error) {
    throw fromNative(error);
  }
}

module.exports = { binding, callNative };
