'use strict';
// Creation sites: the first stack frame outside Node's internals, node_modules and modswap's own
// code, as 'file:line' relative to the working directory ('app/ssr.js:41'). Frames are read as
// V8 CallSite objects, so no stack string is formatted; callers capture only on rare occasions
// (a listener count crossing a power of two, a creation of a type suspected of leaking).
const path = require('node:path');
const { fileURLToPath } = require('node:url');

const OWN_ROOT = path.resolve(__dirname, '..', '..');
const OWN_CODE = [path.join(OWN_ROOT, 'lib') + path.sep, path.join(OWN_ROOT, 'index.js')];
const STACK_LIMIT = 40;

const asFrames = (_error, frames) => frames;

function fileOf(frame) {
  const name = frame.getFileName?.() ?? frame.getScriptNameOrSourceURL?.();
  if (typeof name !== 'string' || name === '') return undefined;
  if (name.startsWith('file://')) {
    try {
      return fileURLToPath(name);
    } catch {
      return name;
    }
  }
  return name;
}

function isUserFile(file) {
  if (file.startsWith('node:') || !path.isAbsolute(file)) return false;
  if (file.includes(`${path.sep}node_modules${path.sep}`)) return false;
  return !OWN_CODE.some((own) => file.startsWith(own));
}

/** 'app/ssr.js:41' for files under the working directory, the absolute path otherwise. */
function label(file, line) {
  const relative = path.relative(process.cwd(), file);
  const shown = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
  return `${shown.split(path.sep).join('/')}:${line}`;
}

/**
 * The creation site of whatever the current call creates, or 'unknown' when every frame is
 * Node's or a dependency's. `above` (a function) hides itself and the frames it called.
 */
function creationSite(above) {
  const { prepareStackTrace, stackTraceLimit } = Error;
  const holder = {};
  try {
    Error.prepareStackTrace = asFrames;
    Error.stackTraceLimit = STACK_LIMIT;
    Error.captureStackTrace(holder, above);
    const frames = holder.stack;
    if (!Array.isArray(frames)) return 'unknown';
    for (const frame of frames) {
      const file = fileOf(frame);
      if (file !== undefined && isUserFile(file)) return label(file, frame.getLineNumber());
    }
    return 'unknown';
  } finally {
    Error.prepareStackTrace = prepareStackTrace;
    Error.stackTraceLimit = stackTraceLimit;
  }
}

module.exports = { creationSite };
