'use strict';
// What CommonJS `module.hot` and ES module `import.meta.hot` share when a swap runs their
// handlers: the errors a throwing handler becomes.
const { ModswapError } = require('../errors');

const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/** Runs a module's dispose handlers with `data`, in order; a throw stops the swap (ERR_MODSWAP_DISPOSE_FAILED). */
function runDisposeHandlers(handlers, data, file) {
  for (const handler of handlers) {
    try {
      handler(data);
    } catch (error) {
      throw new ModswapError('ERR_MODSWAP_DISPOSE_FAILED', `A dispose handler of ${file} threw: ${messageOf(error)}`, {
        cause: error,
        file,
      });
    }
  }
}

/** ERR_MODSWAP_ACCEPT_FAILED: the accept handler of `by` for `dependency` threw `error`. */
function acceptFailed(by, dependency, error) {
  return new ModswapError('ERR_MODSWAP_ACCEPT_FAILED', `The accept handler of ${by} for ${dependency} threw: ${messageOf(error)}`, {
    cause: error,
    file: by,
  });
}

/**
 * Tells the self-acceptance error handler of `file` (`accept(errorHandler)` of module.hot,
 * `accept(cb, errorHandler)` of import.meta.hot) that its update failed with `error`, after the
 * rollback: the swap has failed already, so a throw is only a warning.
 */
function reportToSelfErrorHandler(handler, error, file) {
  try {
    handler(error, { moduleId: file });
  } catch (thrown) {
    process.emitWarning(`modswap: the accept error handler of ${file} threw: ${messageOf(thrown)}`, 'ModswapWarning');
  }
}

module.exports = { runDisposeHandlers, acceptFailed, reportToSelfErrorHandler, messageOf };
