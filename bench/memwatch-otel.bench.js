#!/usr/bin/env node
'use strict';
// memwatch.metrics() overhead: GC-heavy work (memwatch-otel-child.js) in ABBA blocks inside
// each process, with a plain 'stats' listener vs with memwatch.metrics() wired to the SDK's
// PrometheusExporter, never scraped (the per-GC cost) and scraped every 100 ms (100 to 600
// times more often than the usual 10-60 s scrape interval). Each process gives the ratio of its
// two sums; medians over --runs processes per setting, the settings alternating. Also the time
// of one scrape (collect + serialize). Prints a Markdown table.
//
//   node bench/memwatch-otel.bench.js [--runs=7] [--rounds=400]
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { median } = require('./lib/stats');
const cpuNoise = require('./lib/cpu-noise');

const CHILD = path.join(__dirname, 'memwatch-otel-child.js');
const SETTINGS = [
  { name: 'metrics(), no scrape', scrapeMs: 0 },
  { name: 'metrics(), scraped every 100 ms', scrapeMs: 100 },
];

function parseArgs(argv) {
  const options = { runs: 7, rounds: 400 };
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--runs') options.runs = Number(value);
    else if (key === '--rounds') options.rounds = Number(value);
    else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

function runChild(rounds, scrapeMs) {
  const child = spawnSync(process.execPath, [CHILD, String(rounds), String(scrapeMs)], {
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
  });
  if (child.status !== 0) throw new Error(`child failed (${child.status ?? child.signal}): ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const runs = new Map(SETTINGS.map((setting) => [setting.name, []]));
  const before = cpuNoise.snapshot();
  for (let i = 0; i < options.runs; i++) {
    for (const setting of SETTINGS) runs.get(setting.name).push(runChild(options.rounds, setting.scrapeMs));
  }
  const otherCores = cpuNoise.otherCores(before, cpuNoise.snapshot());
  const fmt = (x, digits = 3) => x.toFixed(digits);
  console.log(
    "| setting | throughput vs a plain 'stats' listener: wall (median, range) | CPU time (median, range) | " +
      'scrapes per process | one scrape (median) |',
  );
  console.log('|---|---|---|---|---|');
  for (const setting of SETTINGS) {
    const results = runs.get(setting.name);
    // Throughput ratio: time with the listener / time with metrics() for the same work.
    const ratios = results.map((r) => r.ms.stats / r.ms.otel);
    const cpuRatios = results.map((r) => r.cpuMs.stats / r.cpuMs.otel);
    const cell = (xs) => `${fmt(median(xs))}× (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
    console.log(
      `| ${setting.name} | ${cell(ratios)} | ${cell(cpuRatios)} | ` +
        `${median(results.map((r) => r.scrapes))} | ${fmt(median(results.map((r) => r.scrapeMs)), 2)} ms |`,
    );
  }
  const sample = runs.get(SETTINGS[1].name)[0];
  const all = [...runs.values()].flat();
  const ns = (pick) => median(all.map((r) => r.eventNs[pick])).toFixed(0);
  console.log(`\nemit of one 'stats'/'leak' payload: ${ns('without')} ns without metrics(), ${ns('with')} ns with it (median)`);
  console.log(
    `\n${options.runs} processes per setting, ${options.rounds} rounds each (${sample.blockRounds} per block, ` +
      `8 blocks ABBA); a scrape: ${sample.scrapeBytes} bytes, ${sample.series} modswap series; ` +
      `Node ${process.version}; cores kept busy by other processes: ${otherCores === null ? 'n/a' : fmt(otherCores, 2)}`,
  );
}

main();
