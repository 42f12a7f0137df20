'use strict';
// heap.leaks on real snapshots of a service whose event library keeps every id it sent (ids
// built by string concatenation, in a list nothing empties): one group, the ids under
// `EventBus.sentEvents`, with the ids' own leaked parts folded into it rather than listed as
// groups of their own.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const modswap = require('..');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-leak-events-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const SERVICE = path.join(__dirname, 'fixtures', 'leak-events', 'service.js');
const CLI = path.join(__dirname, '..', 'bin', 'modswap.js');
const COUNT = 30_000;
const files = ['baseline', 'target', 'final'].map((phase) => path.join(dir, `${phase}.heapsnapshot`));
const written = JSON.parse(execFileSync(process.execPath, [SERVICE, String(COUNT), dir], { encoding: 'utf8' }));

test('30,000 ids kept by an event library are one group, their leaked parts folded into it', async () => {
  const leaks = await modswap.heap.leaks(...files, { top: 1000 });
  const describe = leaks.groups
    .slice(0, 8)
    .map((g) => `${g.count} (+${g.folded}) × ${g.className} in ${g.holder}: ${g.pathShape}`)
    .join('\n');
  const [top] = leaks.groups;
  assert.equal(top.className, '(concatenated string)', describe);
  assert.equal(top.count, COUNT, describe);
  // Node 26's snapshots reach the global through (system).global_object: `… → global (global*).bus`.
  assert.match(
    top.pathShape,
    /(?:^|→ )global(?: \(global\*\))?\.bus → EventBus\.sentEvents → Array\[\] → \(concatenated string\)$/,
    describe,
  );
  assert.equal(top.holder, 'Array');
  // The prefixes the ids share are reached through them: folded in, one object each.
  assert.ok(written.shared > 0, JSON.stringify(written));
  assert.equal(top.folded, written.shared, `${JSON.stringify(written)}\n${describe}`);
  // Nothing else reached through the list is left as a group of its own.
  const others = leaks.groups.slice(1).filter((g) => g.pathShape.includes('EventBus.sentEvents'));
  assert.deepEqual(others, [], describe);
  const last = top.samplePath[top.samplePath.length - 1].node;
  assert.deepEqual([last.type, last.id], ['concatenated string', top.examples[0].id]);
  // Each id's bytes and its folded parts' bytes are in the group.
  assert.ok(top.retainedSize >= COUNT * last.selfSize, `${top.retainedSize}`);

  const text = execFileSync(process.execPath, [CLI, 'heap', 'leaks', ...files, '--top=1'], { encoding: 'utf8' });
  assert.match(text, /^ {2}1\. 30,000 × '\(concatenated string\)' in Array retaining /m);
  assert.ok(
    text.includes(`     folded in: ${top.folded.toLocaleString('en-US')} objects reached through these (their parts)\n`),
    text,
  );
});
