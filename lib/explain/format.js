'use strict';
// An Explanation (lib/explain/index.js) as text, for `modswap why` and the `why` key of
// `modswap run`: one block per group of generations held the same way.
const { formatBytes, formatInt } = require('../heap/format-values');

const plural = (count, one, many = `${one}s`) => `${formatInt(count)} ${count === 1 ? one : many}`;

/** "/app/x.js #3, #4; /app/y.js #2": the generations of a group, by file. */
function generationList(generations) {
  const byFile = new Map();
  for (const { file, generation } of generations) {
    if (!byFile.has(file)) byFile.set(file, []);
    byFile.get(file).push(generation === 0 ? '#?' : `#${generation}`);
  }
  return [...byFile].map(([file, numbers]) => `${file} ${numbers.join(', ')}`).join('; ');
}

const HOLDER_TITLES = {
  timer: 'a timer',
  'process-listener': 'a process listener',
  listener: 'an event listener',
  children: "another Module's children array",
  'first-parent': 'a module that names it as parent',
  'last-parent': "Node's last-parent record",
  package: 'a package under node_modules',
  'captured-exports': 'a module that kept its exports',
  other: 'an object outliving it',
};

function headline(explanation) {
  const count = explanation.generations.length;
  if (count === 0 && explanation.notFound.length === 0) return 'No old CommonJS generation is alive.';
  const parts = [`${plural(count, 'old generation')} still alive`];
  const { snapshot, timingsMs } = explanation;
  if (snapshot) {
    parts.push(
      `snapshot ${formatBytes(snapshot.bytes)}, ${plural(snapshot.nodes, 'node')}` +
        (timingsMs.snapshot > 0 ? `, written in ${(timingsMs.snapshot / 1000).toFixed(2)} s` : '') +
        `, explained in ${(timingsMs.analysis / 1000).toFixed(2)} s`,
    );
  }
  return `${parts[0]}${parts.length > 1 ? ` (${parts.slice(1).join('; ')})` : ''}:`;
}

/**
 * The explanation as lines of text: a headline, then per group the generations, the path of the
 * first, the holder and the fix.
 * @param {import('../../index').Explanation} explanation
 * @returns {string}
 */
function formatExplanation(explanation) {
  const out = [headline(explanation)];
  for (const group of explanation.groups) {
    const first = explanation.generations.find(
      (g) => g.file === group.generations[0].file && g.generation === group.generations[0].generation,
    );
    out.push('');
    out.push(`${generationList(group.generations)}: held by ${HOLDER_TITLES[group.kind] ?? group.kind}`);
    out.push(`  ${group.pathText}`);
    if (first && first.holder.edge !== '') out.push(`  holder: ${first.holder.node || '(GC roots)'} → ${first.holder.edge}`);
    out.push(`  fix: ${group.fix}`);
  }
  if (explanation.notFound.length > 0) {
    out.push('');
    out.push(`${generationList(explanation.notFound)}: collected before the snapshot (stale() lists them until their finalizers run)`);
  }
  if (explanation.pinned > 0) {
    out.push('');
    out.push(
      `${plural(explanation.pinned, 'ES module version')} pinned by Node's ESM loader: never collected, ` +
        'nothing holds them but the loader (what their dispose handlers released is freed)',
    );
  }
  if (explanation.snapshot?.file) out.push('', `snapshot kept: ${explanation.snapshot.file}`);
  return out.join('\n');
}

module.exports = { formatExplanation };
