#!/usr/bin/env node
'use strict';
// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time, and by
// total time of the functions whose name or file matches an optional filter.
//
// Usage: node bench/profile-summary.js <file.cpuprofile> [--top N] [--match REGEX]
const fs = require('node:fs');
const path = require('node:path');

function parseArgs(argv) {
  const options = { file: undefined, top: 25, match: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') options.top = Number(argv[++i]);
    else if (argv[i] === '--match') options.match = new RegExp(argv[++i]);
    else options.file = argv[i];
  }
  if (!options.file) throw new Error('usage: profile-summary.js <file.cpuprofile> [--top N] [--match REGEX]');
  return options;
}

/** Self time per node in ms, from the sample list and its time deltas. */
function selfTimes(profile) {
  const self = new Map();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) || 0) + (profile.timeDeltas[i] || 0) / 1000);
  });
  return self;
}

function label({ callFrame }) {
  const file = callFrame.url ? path.basename(callFrame.url.replace(/^file:\/\//, '')) : '';
  const where = file ? ` ${file}:${callFrame.lineNumber + 1}` : '';
  return `${callFrame.functionName || '(anonymous)'}${where}`;
}

/** Total (self + descendants) ms per node id. */
function totalTimes(profile, self) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const total = new Map();
  const visit = (id) => {
    if (total.has(id)) return total.get(id);
    const node = byId.get(id);
    const sum = (self.get(id) || 0) + (node.children || []).reduce((acc, child) => acc + visit(child), 0);
    total.set(id, sum);
    return sum;
  };
  profile.nodes.forEach((node) => visit(node.id));
  return total;
}

/** Sums `times` per function label; recursive frames count once per stack for totals. */
function byLabel(profile, times, { countOncePerStack }) {
  const sums = new Map();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map();
  profile.nodes.forEach((node) => (node.children || []).forEach((child) => parents.set(child, node.id)));
  for (const node of profile.nodes) {
    const name = label(node);
    if (countOncePerStack) {
      let ancestor = parents.get(node.id);
      let nested = false;
      while (ancestor !== undefined && !nested) {
        nested = label(byId.get(ancestor)) === name;
        ancestor = parents.get(ancestor);
      }
      if (nested) continue;
    }
    sums.set(name, (sums.get(name) || 0) + (times.get(node.id) || 0));
  }
  return [...sums.entries()].sort((a, b) => b[1] - a[1]);
}

function print(title, rows, top) {
  console.log(title);
  for (const [name, ms] of rows.slice(0, top)) console.log(`  ${ms.toFixed(1).padStart(9)} ms  ${name}`);
}

function main() {
  const { file, top, match } = parseArgs(process.argv.slice(2));
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const self = selfTimes(profile);
  const wall = (profile.endTime - profile.startTime) / 1000;
  console.log(`${file}: ${wall.toFixed(0)} ms profiled, ${profile.samples.length} samples`);
  print('self time:', byLabel(profile, self, { countOncePerStack: false }), top);
  const totals = byLabel(profile, totalTimes(profile, self), { countOncePerStack: true });
  print('total time:', match ? totals.filter(([name]) => match.test(name)) : totals, top);
}

main();
