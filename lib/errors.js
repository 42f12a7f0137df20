'use strict';

/**
 * Error thrown by modswap. `code` is stable (`ERR_MODSWAP_*`); `file` names the module
 * concerned when there is one; `cause` carries the original error.
 */
class ModswapError extends Error {
  constructor(code, message, { cause, file } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ModswapError';
    this.code = code;
    if (file !== undefined) this.file = file;
  }
}

const NATIVE_CODE = /^(ERR_MODSWAP_[A-Z_]+): ([\s\S]*)$/;

/** Turns an error thrown by the native binding into a ModswapError with its stable code. */
function fromNative(error) {
  const match = NATIVE_CODE.exec(error && error.message);
  if (match) return new ModswapError(match[1], match[2], { cause: error });
  return new ModswapError('ERR_MODSWAP_INTERNAL', `native call failed: ${error && error.message}`, {
    cause: error,
  });
}

module.exports = { ModswapError, fromNative };
