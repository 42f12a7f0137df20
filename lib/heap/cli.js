'use strict';
// The `modswap heap` command line: analyze, diff and leaks over .heapsnapshot files, printing a
// text report (or the engine's JSON with --json) on stdout, a progress bar on stderr when it is a
// terminal, and an HTML report with --html. The engine is `require('modswap').heap`, loaded only
// when a command runs (so --help works without the native addon); tests inject their own.
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { formatAnalysis, formatDiff, formatLeaks } = require('./format-text');
const { renderHtml } = require('./report-html');
const { printable } = require('./format-values');
const { ProgressBar } = require('./progress');

/** Exit codes: distinct per cause so scripts can tell a bad file from a bad build (sysexits). */
const EXIT = { ok: 0, failed: 1, usage: 2, badSnapshot: 65, noInput: 66, unavailable: 69, cantCreate: 73 };

const USAGE = `Usage: modswap heap <command> [options]

Commands:
  analyze FILE                  one snapshot: classes by retained size, largest
                                dominators, leak suspects with retainer paths
  diff BEFORE AFTER             objects allocated and freed between two snapshots,
                                per class
  leaks BASELINE TARGET FINAL   objects allocated between baseline and target that
                                are still alive in final, grouped by retainer path
  profile --pid PID             a running process's allocation sites whose live bytes
                                keep growing (sampling, no snapshot; the process opts
                                in: 'modswap heap profile --help')

Options:
  --json        print the engine's full result as JSON on stdout (no text report)
  --html FILE   also write a self-contained, offline HTML report to FILE
  --top N       rows per list in the text and HTML reports (default 20)
  --path ID     analyze: also print the retainer path of the node with this id
                (repeatable)
  -h, --help    show this help
  --version     print modswap's version

A progress bar is drawn on stderr when stderr is a terminal.
Exit codes: 0 done, 1 failed, 2 bad usage, 65 not a valid heap snapshot,
66 input file missing or unreadable, 69 heap engine not in this build,
73 cannot write the HTML report.
`;

const WHY_USAGE = `Usage: modswap why FILE.heapsnapshot [--json] [--html FILE]

Why is each old generation of a CommonJS module still alive in this snapshot? For each one:
the shortest retainer path from the GC roots to its Module or its exports, what holds it and
the likely fix. The snapshot can come from anywhere (DevTools, v8.writeHeapSnapshot(),
--heapsnapshot-signal, modswap.explain({ keepSnapshot: true })) as long as the process ran
modswap: it marks what old generations leave alive.

For a running app: type why + Enter in the terminal of \`modswap run\`, or call
await require('modswap').explain() in the app.

Options:
  --json        print the explanation as JSON on stdout (no text report)
  --html FILE   also write a self-contained, offline HTML report to FILE
`;

const COMMANDS = {
  analyze: { operands: ['FILE'], key: 'analysis', format: formatAnalysis },
  diff: { operands: ['BEFORE', 'AFTER'], key: 'diff', format: formatDiff },
  leaks: { operands: ['BASELINE', 'TARGET', 'FINAL'], key: 'leaks', format: formatLeaks },
};

const OPTIONS = {
  json: { type: 'boolean' },
  html: { type: 'string' },
  top: { type: 'string' },
  path: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
};

/** An expected failure: its message is printed as is, its exit code returned. */
class CliError extends Error {
  constructor(exitCode, message) {
    super(message);
    this.exitCode = exitCode;
  }
}

const usageError = (message) => new CliError(EXIT.usage, `${message}\nRun 'modswap heap --help' for usage.`);

function parse(argv) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(error.message);
  }
}

function parseTop(text) {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw usageError(`--top expects a positive integer, got '${printable(text)}'`);
  return Number(text);
}

function parsePathIds(values, command) {
  if (values === undefined) return [];
  if (command.name !== 'analyze') throw usageError('--path only applies to analyze');
  return values.map((text) => {
    const id = /^@?\d+$/.test(text) ? Number(text.replace('@', '')) : NaN;
    if (!(id <= 0xffffffff)) throw usageError(`--path expects a node id such as 14727 or @14727, got '${printable(text)}'`);
    return id;
  });
}

/** What the engine is asked for, besides the files: list sizes and retainer paths. */
function engineOptions(command, values, top) {
  const paths = parsePathIds(values.path, command);
  if (command.name === 'analyze') return { top: Math.max(top ?? 20, 50), paths };
  if (command.name === 'leaks') return { top: Math.max(top ?? 20, 100) };
  return {};
}

/** The command and its files, checked for arity; `null` when only help or version was asked. */
function commandOf(positionals) {
  const [word, ...files] = positionals;
  const command = COMMANDS[word];
  if (!command) {
    const known = Object.keys(COMMANDS).join(', ');
    throw usageError(`unknown command '${printable(word)}' (expected one of: ${known})`);
  }
  if (files.length !== command.operands.length) {
    const expected = command.operands.join(' ');
    throw usageError(`${word} expects ${command.operands.length} snapshot file(s) (${expected}), got ${files.length}`);
  }
  return { name: word, ...command, files };
}

const GZIP_MAGIC = [0x1f, 0x8b];
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Fails early, before a long engine run, when a file is missing, unreadable, or plainly not a
 * heap snapshot (a V8 snapshot is a JSON object: its first non-blank byte is `{`).
 */
async function checkSnapshotFile(file) {
  const shown = `'${printable(file)}'`;
  let handle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (error) {
    const why = error.code === 'ENOENT' ? 'no such file' : error.code === 'EACCES' ? 'permission denied' : error.message;
    throw new CliError(EXIT.noInput, `cannot read ${shown}: ${printable(why)}`);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new CliError(EXIT.noInput, `cannot read ${shown}: it is a directory`);
    // A pipe or a terminal (/dev/stdin, <(gunzip -c f.gz)) cannot be peeked at without taking
    // the bytes from the engine: it reads and checks them itself, as the API does.
    if (!stat.isFile()) return;
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
    checkSnapshotStart(buffer.subarray(0, bytesRead), shown);
  } finally {
    await handle.close();
  }
}

function checkSnapshotStart(head, shown) {
  if (head.length === 0) throw new CliError(EXIT.badSnapshot, `${shown} is empty, not a heap snapshot`);
  if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]) {
    throw new CliError(EXIT.badSnapshot, `${shown} is gzip-compressed: decompress it first (gunzip)`);
  }
  if (head[0] === UTF8_BOM[0] && head[1] === UTF8_BOM[1] && head[2] === UTF8_BOM[2]) {
    throw new CliError(
      EXIT.badSnapshot,
      `${shown} starts with a UTF-8 byte order mark, which V8 never writes and the snapshot parser ` +
        'does not accept: remove the first 3 bytes (tail -c +4)',
    );
  }
  const text = head.toString('latin1');
  if (text.trimStart()[0] !== '{' && text.trim() !== '') {
    throw new CliError(EXIT.badSnapshot, `${shown} is not a heap snapshot (a .heapsnapshot file is JSON starting with '{')`);
  }
}

/** The output directory must exist before hours of analysis are spent on a report it can't hold. */
function checkHtmlTarget(file) {
  const directory = path.dirname(path.resolve(file));
  let stat;
  try {
    stat = fs.statSync(directory);
  } catch {
    throw new CliError(EXIT.cantCreate, `cannot write the HTML report '${printable(file)}': no directory '${printable(directory)}'`);
  }
  if (!stat.isDirectory()) {
    throw new CliError(EXIT.cantCreate, `cannot write the HTML report '${printable(file)}': '${printable(directory)}' is not a directory`);
  }
}

/** modswap's heap engine (`require('modswap').heap`), or a clear error when this build has none. */
function loadEngine() {
  let modswap;
  try {
    modswap = require('../../index');
  } catch (error) {
    throw new CliError(EXIT.unavailable, `modswap could not be loaded: ${printable(error.message)}`);
  }
  return modswap.heap;
}

function engineCall(engine, command) {
  const fn = engine && engine[command.name];
  if (typeof fn !== 'function') {
    throw new CliError(
      EXIT.unavailable,
      `'modswap heap ${command.name}' is not available in this build: it has no heap snapshot engine (modswap.heap.${command.name})`,
    );
  }
  return fn.bind(engine);
}

/** Exit code for an error thrown by the engine: a bad snapshot is the input's fault, not ours. */
function engineExitCode(error) {
  const code = error && error.code;
  if (code === 'ERR_MODSWAP_BAD_SNAPSHOT') return EXIT.badSnapshot;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') return EXIT.noInput;
  return EXIT.failed;
}

/** The engine's progress events as the bar shows them: "parse 2/3" when a job has several files. */
function barFeed(progress) {
  return (event) => {
    const label = event.files > 1 ? `${event.phase} ${event.file}/${event.files}` : event.phase;
    progress.update({ ...event, phase: label });
  };
}

async function runCommand(command, options, top, io) {
  const request = engineOptions(command, options, top);
  const call = engineCall(io.engine === undefined ? loadEngine() : io.engine, command);
  for (const file of command.files) await checkSnapshotFile(file);
  if (options.html !== undefined) checkHtmlTarget(options.html);
  const progress = io.stderr.isTTY ? new ProgressBar(io.stderr) : null;
  let result;
  try {
    result = await call(...command.files, progress ? { ...request, onProgress: barFeed(progress) } : request);
  } catch (error) {
    throw new CliError(engineExitCode(error), printable(error && error.message ? error.message : error));
  } finally {
    if (progress) progress.finish();
  }
  io.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : command.format(result, { top }));
  if (options.html !== undefined) writeHtml(options.html, { [command.key]: result }, top, io);
}

function writeHtml(file, report, top, io) {
  try {
    fs.writeFileSync(file, renderHtml(report, { top }));
  } catch (error) {
    throw new CliError(EXIT.cantCreate, `cannot write the HTML report '${printable(file)}': ${printable(error.message)}`);
  }
  io.stderr.write(`HTML report written to ${printable(file)}\n`);
}

function version() {
  return require('../../package.json').version;
}

/** `modswap why FILE.heapsnapshot`: lib/explain on a snapshot taken earlier. */
async function runWhy(rest, io) {
  const { values, positionals } = parse(rest);
  if (values.help) return void io.stdout.write(WHY_USAGE);
  if (positionals.length !== 1) {
    throw new CliError(EXIT.usage, `why expects one snapshot file, got ${positionals.length}\n\n${WHY_USAGE}`);
  }
  const [file] = positionals;
  await checkSnapshotFile(file);
  if (values.html !== undefined) checkHtmlTarget(values.html);
  let explanation;
  try {
    explanation = await require('../explain').explainSnapshot(file);
  } catch (error) {
    throw new CliError(engineExitCode(error), printable(error && error.message ? error.message : error));
  }
  const { formatExplanation } = require('../explain/format');
  io.stdout.write(values.json ? `${JSON.stringify(explanation, null, 2)}\n` : `${formatExplanation(explanation)}\n`);
  if (values.html !== undefined) writeHtml(values.html, { explanation }, undefined, io);
}

async function dispatch(argv, io) {
  if (argv.length === 0) throw usageError('missing command');
  const [group, ...rest] = argv;
  if (group === '-h' || group === '--help') return void io.stdout.write(USAGE);
  if (group === '--version') return void io.stdout.write(`${version()}\n`);
  if (group === 'why') return runWhy(rest, io);
  if (group !== 'heap') throw usageError(`unknown command '${printable(group)}' (modswap has: run, heap, why)`);
  if (rest[0] === 'profile') return require('../memwatch/profile-cli').runProfile(rest.slice(1), io, { CliError, EXIT });
  const { values, positionals } = parse(rest);
  if (values.help) return void io.stdout.write(USAGE);
  if (values.version) return void io.stdout.write(`${version()}\n`);
  if (positionals.length === 0) throw usageError('missing heap command (analyze, diff, leaks or profile)');
  const command = commandOf(positionals);
  await runCommand(command, values, parseTop(values.top), io);
}

/**
 * Runs the `modswap` command line.
 * @param {string[]} argv arguments after the program name, e.g. ['heap', 'analyze', 'a.heapsnapshot']
 * @param {{ stdout?: NodeJS.WritableStream, stderr?: NodeJS.WritableStream & { isTTY?: boolean },
 *   engine?: object }} [io] streams (default: the process's) and the heap engine (an object with
 *   analyze/diff/leaks; default: `require('modswap').heap`, loaded when a command runs)
 * @returns {Promise<number>} the exit code
 */
async function main(argv, io = {}) {
  const streams = { stdout: process.stdout, stderr: process.stderr, ...io };
  try {
    await dispatch(argv, streams);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CliError) {
      streams.stderr.write(`modswap: ${error.message}\n`);
      return error.exitCode;
    }
    // A bug of ours (or a result that breaks the contract): say so, with the stack to report.
    const stack = String(error && error.stack ? error.stack : error);
    streams.stderr.write(`modswap: unexpected error: ${stack.split('\n').map(printable).join('\n')}\n`);
    return EXIT.failed;
  }
}

module.exports = { main, EXIT, USAGE, WHY_USAGE };
