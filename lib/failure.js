'use strict';
// What a failed swap reports: the user's file and line where the new code broke, never a frame
// of Node's internals or of modswap itself.
const path = require('node:path');
const { fileURLToPath } = require('node:url');
const { ModswapError } = require('./errors');

/** Frames of modswap's own code (this package's index.js and lib/), never a user's location. */
const OWN_FILES = [path.join(__dirname, path.sep), path.join(__dirname, '..', 'index.js')];

/** `{ file, line, column }` of each stack frame that points into a file on disk. */
function stackFrames(stack) {
  const frames = [];
  for (const line of stack.split('\n')) {
    const match = /^\s+at (?:.*\()?(.+?):(\d+):(\d+)\)?$/.exec(line);
    if (!match) continue;
    const file = match[1].startsWith('file://') ? fileURLToPath(match[1]) : match[1];
    if (path.isAbsolute(file)) frames.push({ file, line: Number(match[2]), column: Number(match[3]) });
  }
  return frames;
}

const isUserFile = (file) => !OWN_FILES.some((own) => file === own || file.startsWith(own));

/**
 * Where the failed evaluation broke, in the user's code: the "file:line" header V8 puts on
 * SyntaxErrors raised while compiling a CommonJS module (Node on TypeScript it cannot parse,
 * as a file: URL), the file Node names in a JSON parse error, else the first stack frame in a user's file (Node's `node:` internals and modswap's own
 * frames skipped: a missing dependency points at the require() that asked for it).
 */
function locate(error) {
  const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : '';
  const header = /^(\/[^\n]*?|[A-Za-z]:\\[^\n]*?|file:\/\/[^\n]*?):(\d+)\n/.exec(stack);
  if (header) return { file: header[1].startsWith('file:') ? fileURLToPath(header[1]) : header[1], line: Number(header[2]) };
  const json = /^(?:SyntaxError: )?((?:\/|[A-Za-z]:\\)[^\n]*?\.json): /.exec(error instanceof Error ? error.message : '');
  if (json) return { file: json[1] };
  return stackFrames(stack).find((frame) => isUserFile(frame.file));
}

function failure(filename, error) {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const where = locate(error);
  const at = where ? ` (at ${where.file}:${where.line}${where.column ? `:${where.column}` : ''})` : '';
  const wrapped = new ModswapError('ERR_MODSWAP_RELOAD_FAILED', `Reloading ${filename} failed: ${reason}${at}`, {
    cause: error,
    file: filename,
  });
  if (where) wrapped.location = where;
  return wrapped;
}

module.exports = { failure, locate };
