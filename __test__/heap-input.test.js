'use strict';
// modswap.heap on inputs that are not plain snapshot files (issue E): pipes and FIFOs that never
// end, character devices (/dev/zero, /dev/urandom), and huge files that are bad near their start.
// Each input is read by a child process that reports the rejection and how much its memory grew;
// endless writers stop when the reader has gone (EPIPE) or at a cap that a reader holding the
// whole input would reach, and a guard kills both if neither happens.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const { once } = require('node:events');
const modswap = require('..');

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'modswap.js');
const MiB = 1024 * 1024;
const GUARD_MS = 60_000;
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const posixOnly = { skip: process.platform === 'win32' && 'FIFOs and /dev files are POSIX' };

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-heap-input-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The start of a V8 snapshot declaring `nodeCount` nodes, up to and with its first node row. */
function header(nodeCount) {
  const meta = {
    node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
    node_types: [['hidden', 'array', 'string', 'object', 'code', 'closure', 'synthetic'], 'string', 'number', 'number', 'number', 'number', 'number'],
    edge_fields: ['type', 'name_or_index', 'to_node'],
    edge_types: [['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'], 'string_or_number', 'node'],
  };
  return `{"snapshot":{"meta":${JSON.stringify(meta)},"node_count":${nodeCount},"edge_count":0},\n"nodes":[6,0,1,0,0,0,0`;
}

/**
 * Writes `head`, then `unit` over and over, to `target` (a path, or '-' for stdout) until `cap`
 * bytes are written or the reader has gone; reports { written, ended } on stderr as JSON.
 */
const WRITER = `
const fs = require('node:fs');
const [target, head, unit, repeat, cap] = process.argv.slice(1);
const fd = target === '-' ? 1 : fs.openSync(target, 'w');
const chunk = Buffer.from(unit.repeat(Number(repeat)));
let written = 0;
let ended = 'cap';
const write = (buffer) => {
  for (let at = 0; at < buffer.length; ) {
    const n = fs.writeSync(fd, buffer, at);
    at += n;
    written += n;
  }
};
try {
  write(Buffer.from(head));
  while (written < Number(cap)) write(chunk);
} catch (error) {
  if (error.code !== 'EPIPE') throw error;
  ended = 'EPIPE';
}
fs.writeSync(2, JSON.stringify({ written, ended }) + '\\n');
`;

/**
 * Analyses `source` (a path; 'stream:PATH' for fs.createReadStream) and prints the rejection
 * and the memory grown meanwhile as JSON. Exits early if its RSS passes 1.5 GiB: what a reader
 * that holds an endless input in memory would do.
 */
const READER = `
const fs = require('node:fs');
const modswap = require(${JSON.stringify(ROOT)});
const [source] = process.argv.slice(1);
const rssBefore = process.memoryUsage.rss();
const report = (outcome) => {
  const maxRSS = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ ...outcome, grewBytes: maxRSS - rssBefore }));
};
setInterval(() => {
  if (process.memoryUsage.rss() > 1536 * 1024 * 1024) {
    report({ guard: 'rss above 1.5 GiB' });
    process.exit(3);
  }
}, 20).unref();
const input = source.startsWith('stream:') ? fs.createReadStream(source.slice(7)) : source;
const name = source.startsWith('stream:') ? source.slice(7) : undefined;
modswap.heap.analyze(input, { name }).then(
  (result) => report({ resolved: result.nodeCount }),
  (error) => report({ code: error.code, message: error.message }),
);
`;

/** Waits for `children` to exit, killing them all after GUARD_MS; resolves to whether the guard fired. */
async function exitOrKill(children) {
  let fired = false;
  const guard = setTimeout(() => {
    fired = true;
    for (const child of children) child.kill('SIGKILL');
  }, GUARD_MS);
  await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? once(child, 'exit') : null)));
  clearTimeout(guard);
  return fired;
}

function collect(stream) {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (data) => (text += data));
  return () => text;
}

/** Runs the reader child on `source` and returns its report. */
async function readInChild(source, writer = null) {
  const reader = spawn(process.execPath, ['-e', READER, source], { stdio: ['ignore', 'pipe', 'pipe'] });
  const [out, err] = [collect(reader.stdout), collect(reader.stderr)];
  const fired = await exitOrKill(writer ? [reader, writer] : [reader]);
  assert.equal(fired, false, `no end within ${GUARD_MS} ms`);
  assert.ok(out(), `the reader reported nothing: ${err()}`);
  return JSON.parse(out());
}

/** Feeds a FIFO with `head` and `unit` × `repeat` until `cap` bytes, read by the reader child. */
async function throughFifo(name, head, unit, repeat, cap) {
  const fifo = path.join(dir, name);
  execFileSync('mkfifo', [fifo]);
  const writer = spawn(process.execPath, ['-e', WRITER, fifo, head, unit, String(repeat), String(cap)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const writerOut = collect(writer.stderr);
  const report = await readInChild(fifo, writer);
  report.writer = JSON.parse(writerOut());
  report.fifo = fifo;
  return report;
}

test('a FIFO that keeps sending nodes past snapshot.node_count is rejected at once, not read to its end', posixOnly, async () => {
  const cap = 256 * MiB;
  const report = await throughFifo('too-many-nodes', header(1000), '\n,3,0,3,16,0,0,0', 4096, cap);
  assert.equal(report.code, 'ERR_MODSWAP_BAD_SNAPSHOT', report.message);
  assert.match(report.message, new RegExp(`^${escape(report.fifo)}: nodes array has more than snapshot.node_count = 1000 nodes \\(node 1001 ends at byte \\d+\\)$`));
  // The reader stopped after node 1001: the writer found the pipe closed long before its cap.
  assert.equal(report.writer.ended, 'EPIPE');
  assert.ok(report.writer.written < 8 * MiB, `${report.writer.written} bytes were written before the reader stopped`);
  assert.ok(report.grewBytes < 64 * MiB, `the reader grew by ${report.grewBytes} bytes`);
});

test('a FIFO of valid-looking nodes costs the memory of the nodes, not of the text', posixOnly, async () => {
  // 256 MiB of node rows padded with blanks (1 KiB a row): a reader holding the text needs
  // 256 MiB; the parsed columns of 262,144 nodes are about 5 MB.
  const cap = 256 * MiB;
  const row = `\n,3,0,3,16,0,0,0${' '.repeat(1024 - 16)}`;
  const report = await throughFifo('padded-nodes', header(2_000_000_000), row, 64, cap);
  assert.equal(report.writer.ended, 'cap');
  assert.equal(report.code, 'ERR_MODSWAP_BAD_SNAPSHOT', report.message);
  assert.equal(
    report.message,
    `${report.fifo}: truncated heap snapshot: input ends at byte ${report.writer.written} inside the "nodes" array`,
  );
  assert.ok(report.grewBytes < 64 * MiB, `the reader grew by ${report.grewBytes} bytes for ${report.writer.written} bytes of input`);
});

test('/dev/zero and /dev/urandom as paths are rejected at their first bytes, not read endlessly', posixOnly, async () => {
  const zero = await readInChild('/dev/zero');
  assert.equal(zero.code, 'ERR_MODSWAP_BAD_SNAPSHOT', zero.message);
  assert.equal(zero.message, '/dev/zero: not a V8 heap snapshot at byte 0: expected a JSON object, found a NUL byte (0x00)');
  assert.ok(zero.grewBytes < 64 * MiB, `grew by ${zero.grewBytes} bytes`);
  const random = await readInChild('/dev/urandom');
  assert.equal(random.code, 'ERR_MODSWAP_BAD_SNAPSHOT', random.message ?? random.guard);
  assert.match(random.message, /^\/dev\/urandom: .* at byte \d+/);
  assert.ok(random.grewBytes < 64 * MiB, `grew by ${random.grewBytes} bytes`);
  // The same bytes as a stream give the same message.
  const streamed = await readInChild('stream:/dev/zero');
  assert.equal(streamed.message, zero.message);
});

test('the CLI reads an endless /dev/stdin pipe as it arrives and stops at the first bad node (exit 65)', posixOnly, () => {
  const cap = 256 * MiB;
  const run = spawnSync(
    'sh',
    ['-c', '"$NODE_BIN" -e "$WRITER" - "$HEAD" "$UNIT" 4096 "$CAP" | "$NODE_BIN" "$CLI" heap analyze /dev/stdin'],
    {
      encoding: 'utf8',
      timeout: GUARD_MS,
      env: { ...process.env, NODE_BIN: process.execPath, CLI, WRITER, HEAD: header(1000), UNIT: '\n,3,0,3,16,0,0,0', CAP: String(cap) },
    },
  );
  assert.equal(run.status, 65, run.stderr);
  const [writerLine, ...rest] = run.stderr.split('\n').sort((a, b) => b.startsWith('{') - a.startsWith('{'));
  const writer = JSON.parse(writerLine);
  assert.match(rest.join('\n'), /^modswap: \/dev\/stdin: nodes array has more than snapshot.node_count = 1000 nodes/m);
  assert.equal(writer.ended, 'EPIPE');
  assert.ok(writer.written < 8 * MiB, `${writer.written} bytes were written before the CLI stopped`);
});

/** A 2 GiB sparse file: `prefix`, then a hole (NUL bytes that take no disk). */
function sparseFile(name, prefix) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, prefix);
  fs.truncateSync(file, 2 * 1024 * MiB);
  return file;
}

/** A snapshot start whose nodes array holds `bad` at byte `at`. */
function badNodesAt(at, bad) {
  let text = header(100_000);
  for (let id = 3; text.length < at + 400; id += 2) text += `\n,3,0,${id},16,0,0,0`;
  const bytes = Buffer.from(text);
  assert.ok(text.indexOf('"nodes":[') < at - 10, 'the bad bytes are inside the nodes array');
  bytes.write(bad, at);
  return bytes;
}

test('a 2 GiB file with bad bytes at byte 866 is rejected there, without reading the rest', posixOnly, async () => {
  const file = sparseFile('bad-at-866.heapsnapshot', badNodesAt(866, 'xyz'));
  const report = await readInChild(file);
  assert.equal(report.code, 'ERR_MODSWAP_BAD_SNAPSHOT', report.message ?? report.guard);
  assert.match(report.message, new RegExp(`^${escape(file)}: malformed heap snapshot JSON at byte 866: expected .* in "nodes", found 'x'$`));
  // Mapped pages count in the RSS: reading the 2 GiB would add 2 GiB.
  assert.ok(report.grewBytes < 256 * MiB, `the reader grew by ${report.grewBytes} bytes`);
  // The file path says what the stream path says.
  await assert.rejects(modswap.heap.analyze(fs.createReadStream(file), { name: file }), (error) => {
    assert.equal(error.message, report.message);
    return true;
  });
  const cli = spawnSync(process.execPath, [CLI, 'heap', 'analyze', file], { encoding: 'utf8', timeout: GUARD_MS });
  assert.equal(cli.status, 65, cli.stderr);
  assert.equal(cli.stderr, `modswap: ${report.message}\n`);
});

test('a 2 GiB file that does not start like a snapshot is rejected at byte 0, without reading the rest', posixOnly, async () => {
  const file = sparseFile('garbage.heapsnapshot', Buffer.from('garbage, then nothing'));
  const report = await readInChild(file);
  assert.equal(report.code, 'ERR_MODSWAP_BAD_SNAPSHOT', report.message ?? report.guard);
  assert.equal(report.message, `${file}: not a V8 heap snapshot at byte 0: expected a JSON object, found 'g'`);
  assert.ok(report.grewBytes < 256 * MiB, `the reader grew by ${report.grewBytes} bytes`);
  const cli = spawnSync(process.execPath, [CLI, 'heap', 'analyze', file], { encoding: 'utf8', timeout: GUARD_MS });
  assert.equal(cli.status, 65, cli.stderr);
  assert.match(cli.stderr, /is not a heap snapshot/);
});
