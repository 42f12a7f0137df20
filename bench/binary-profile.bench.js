#!/usr/bin/env node
'use strict';
// Release profile: binary size vs speed (issue D, "keep the binary small").
//
//   node bench/binary-profile.bench.js [--only=current,opt-s,…] [--skip-build] [--runs=5]
//       [--workloads=analyze,reload,heapdiff] [--heapdiff-objects=200000] [--retries=2]
//
// Builds the addon once per release-profile variant with plain cargo (`--config
// profile.release.…` overrides, never `napi build`), each cold in its own target directory
// under .bench-tmp/binary-profile/<variant>/, and copies the library next to it as
// modswap.linux-x64-gnu.node. Nothing is written into the repository itself: another build may
// be running there. Then, per variant: the .node size, raw and gzip -9 (what the npm tarball
// carries), and its speed in fresh processes that load exactly that file through the loader's
// NAPI_RS_NATIVE_LIBRARY_PATH override. Each child is started with this script as a preload
// (`-r`), which reports at exit which .node files the process has mapped; a child that loaded
// anything but its variant stops the benchmark. Workloads are the existing bench children:
// heap.analyze of the ~97 MB snapshot (heap-analyze-child.js), the router swap and mid-graph
// reload (reload.bench.js --worker) and a HeapDiff (memwatch-heapdiff-child.js). Runs go
// round-robin over the variants; a run during which other processes kept more than
// NOISY_CORES busy is run again (up to --retries times, the quietest kept). Prints markdown
// tables and writes .bench-tmp/binary-profile/results.json (results-partial.json with --only
// or --workloads).
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const { spawnSync, execFileSync } = require('node:child_process');
const { setTimeout: sleep } = require('node:timers/promises');
const { median, percentile } = require('./lib/stats');
const { environment } = require('./lib/environment');
const { header, NOISY_CORES } = require('./lib/report');
const { runChild } = require('./lib/memwatch-bench');
const cpuNoise = require('./lib/cpu-noise');

/** Set in the children's environment: the .node file the child must have loaded. */
const EXPECT_ENV = 'MODSWAP_BINARY_PROFILE_EXPECT';
/** Prefix of the stderr line in which a child reports the addon it loaded. */
const LOADED_TAG = 'binary-profile-loaded: ';

// --- in a child (this file preloaded with -r) --------------------------------------------------

/** Real paths of the .node files mapped into this process (/proc/self/maps: "addr perms offset dev inode path"). */
function mappedAddons() {
  const files = new Set();
  for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const file = line.trim().split(/\s+/).slice(5).join(' ');
    if (file.endsWith('.node')) files.add(file);
  }
  return [...files];
}

/**
 * Reports at exit whether the expected addon, and only it, is mapped and in require.cache. At
 * exit, not now: the child's own script loads modswap after this preload. A mismatch also
 * makes the exit code non-zero, so the parent cannot take the numbers for the variant's.
 */
function reportLoadedAddon(expectedFile) {
  const expected = fs.realpathSync(expectedFile);
  process.on('exit', () => {
    const mapped = mappedAddons();
    const inRequireCache = require.cache[expected] !== undefined;
    const ok = mapped.length === 1 && mapped[0] === expected && inRequireCache;
    process.stderr.write(`${LOADED_TAG}${JSON.stringify({ expected, mapped, inRequireCache, ok })}\n`);
    if (!ok) process.exitCode = 70;
  });
}

// --- variants ----------------------------------------------------------------------------------

/** Cargo.toml's [profile.release] as of this benchmark, spelled out so a later edit there does not move 'current'. */
const BASE_PROFILE = { 'opt-level': '3', lto: 'true', 'codegen-units': '1', strip: '"symbols"' };

/** Each variant changes one thing of BASE_PROFILE (TOML values, as `--config` takes them). */
const VARIANTS = [
  { name: 'current', what: 'opt-level 3, fat LTO, 1 CGU, strip symbols (Cargo.toml)', profile: {} },
  { name: 'strip-none', what: 'strip = "none"', profile: { strip: '"none"' } },
  { name: 'strip-debuginfo', what: 'strip = "debuginfo"', profile: { strip: '"debuginfo"' } },
  { name: 'lto-thin', what: 'lto = "thin" (1 CGU kept)', profile: { lto: '"thin"' } },
  { name: 'lto-off', what: 'lto = false, codegen-units = 16 (cargo defaults)', profile: { lto: 'false', 'codegen-units': '16' } },
  { name: 'opt-2', what: 'opt-level = 2', profile: { 'opt-level': '2' } },
  { name: 'opt-s', what: 'opt-level = "s"', profile: { 'opt-level': '"s"' } },
  { name: 'opt-z', what: 'opt-level = "z"', profile: { 'opt-level': '"z"' } },
];
const BASELINE = 'current';

const WORKLOAD_NAMES = ['analyze', 'reload', 'heapdiff'];

function parseArgs(argv) {
  const options = {
    only: VARIANTS.map((variant) => variant.name),
    skipBuild: false,
    runs: 5,
    workloads: WORKLOAD_NAMES,
    heapdiffObjects: 200000,
    retries: 2,
  };
  for (const arg of argv) {
    const [key, value] = arg.split('=');
    if (key === '--skip-build') options.skipBuild = true;
    else if (key === '--only') options.only = value.split(',');
    else if (key === '--runs') options.runs = Number(value);
    else if (key === '--workloads') options.workloads = value.split(',');
    else if (key === '--heapdiff-objects') options.heapdiffObjects = Number(value);
    else if (key === '--retries') options.retries = Number(value);
    else throw new Error(`unknown option ${arg}`);
  }
  const known = VARIANTS.map((variant) => variant.name);
  const unknown = options.only.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`unknown variant(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const unknownWorkloads = options.workloads.filter((name) => !WORKLOAD_NAMES.includes(name));
  if (unknownWorkloads.length > 0) {
    throw new Error(`unknown workload(s) ${unknownWorkloads.join(', ')}; known: ${WORKLOAD_NAMES.join(', ')}`);
  }
  if (!(options.runs >= 1)) throw new Error('--runs must be at least 1');
  // The ratios need the baseline measured in the same rounds; added for that, it is built only if it is not yet.
  options.addedBaseline = !options.only.includes(BASELINE);
  if (options.addedBaseline) options.only = [BASELINE, ...options.only];
  options.partial = argv.some((arg) => arg.startsWith('--only=') || arg.startsWith('--workloads='));
  return options;
}

// --- building ----------------------------------------------------------------------------------

const ROOT = path.join(__dirname, '..');
const OUT_DIR = path.join(ROOT, '.bench-tmp', 'binary-profile');
/** `napi build --platform` passes --target too: same rustflags scope and artifact as the repo's addon. */
const TRIPLE = 'x86_64-unknown-linux-gnu';
const ADDON_FILE = 'modswap.linux-x64-gnu.node';
const MB = 1 << 20;

const variantDir = (name) => path.join(OUT_DIR, name);
const addonPath = (name) => path.join(variantDir(name), ADDON_FILE);
const buildInfoPath = (name) => path.join(variantDir(name), 'build.json');

function cargoArgs(variant) {
  const profile = { ...BASE_PROFILE, ...variant.profile };
  const config = Object.entries(profile).flatMap(([key, value]) => ['--config', `profile.release.${key}=${value}`]);
  return ['build', '--release', '--lib', '--locked', '--target', TRIPLE, ...config];
}

/** The command as one would type it (single quotes around the TOML strings). */
function shellLine(command, args) {
  return [command, ...args.map((arg) => (/["\s]/.test(arg) ? `'${arg}'` : arg))].join(' ');
}

/** Files under `dir` (relative to ROOT), recursively. */
function filesUnder(dir) {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true })
    .map((name) => path.join(dir, name))
    .filter((file) => fs.statSync(path.join(ROOT, file)).isFile());
}

/**
 * A hash of the files that make up a build (or, for the children, the JS they run): the repo is
 * being edited at the same time, so the report says when two variants were built from different
 * sources or the JS changed under the speed runs.
 */
function fingerprint(files) {
  const hash = crypto.createHash('sha256');
  for (const file of [...files].sort()) {
    hash.update(`${file}\0`);
    hash.update(fs.existsSync(path.join(ROOT, file)) ? fs.readFileSync(path.join(ROOT, file)) : '');
  }
  return hash.digest('hex').slice(0, 12);
}

const rustSources = () => fingerprint(['Cargo.toml', 'Cargo.lock', 'build.rs', '.cargo/config.toml', ...filesUnder('src')]);
const jsSources = () => fingerprint(['index.js', 'binding.js', 'memwatch.js', ...filesUnder('lib')]);

/** Clock ticks per second of the CPU times in /proc/self/stat (cpu-noise's readings are in ticks). */
function clockTicks() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** Builds one variant from scratch (its target directory removed first) and copies the addon. */
function buildVariant(variant) {
  const dir = variantDir(variant.name);
  const targetDir = path.join(dir, 'target');
  fs.rmSync(targetDir, { recursive: true, force: true });
  fs.rmSync(addonPath(variant.name), { force: true });
  fs.mkdirSync(dir, { recursive: true });
  const args = cargoArgs(variant);
  const sources = rustSources();
  const before = cpuNoise.snapshot();
  const start = process.hrtime.bigint();
  const cargo = spawnSync('cargo', args, {
    cwd: ROOT,
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
    encoding: 'utf8',
    maxBuffer: 64 * MB,
  });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const after = cpuNoise.snapshot();
  if (cargo.status !== 0) {
    throw new Error(`cargo build of ${variant.name} failed (${cargo.status ?? cargo.signal}):\n${(cargo.stderr || '').slice(-3000)}`);
  }
  fs.copyFileSync(path.join(targetDir, TRIPLE, 'release', 'libmodswap.so'), addonPath(variant.name));
  const build = {
    variant: variant.name,
    command: shellLine('cargo', args),
    targetDir: path.relative(ROOT, targetDir),
    date: new Date().toISOString(),
    wallMs,
    // cutime/cstime of this process: cargo and rustc, reaped by now; less sensitive to other load than wall time.
    cpuMs: before && after ? ((after.own - before.own) / clockTicks()) * 1000 : null,
    otherCores: cpuNoise.otherCores(before, after),
    rustSources: sources,
    rustSourcesChanged: rustSources() !== sources,
  };
  fs.writeFileSync(buildInfoPath(variant.name), JSON.stringify(build, null, 2) + '\n');
  return build;
}

function readBuild(name) {
  if (!fs.existsSync(addonPath(name)) || !fs.existsSync(buildInfoPath(name))) {
    throw new Error(`variant ${name} is not built (${path.relative(ROOT, addonPath(name))}); run without --skip-build`);
  }
  return JSON.parse(fs.readFileSync(buildInfoPath(name), 'utf8'));
}

function sizeOf(name) {
  const bytes = fs.readFileSync(addonPath(name));
  const repoAddon = path.join(ROOT, ADDON_FILE);
  return {
    bytes: bytes.length,
    // gzip -9 of the file alone: close to what it adds to the npm tarball (a .tgz).
    gzipBytes: zlib.gzipSync(bytes, { level: 9 }).length,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    sameAsRepoAddon: fs.existsSync(repoAddon) && fs.readFileSync(repoAddon).equals(bytes),
  };
}

// --- speed -------------------------------------------------------------------------------------

const SNAPSHOT = path.join(ROOT, '.bench-tmp', 'heap', 'heap-s1-p3.heapsnapshot');

/** The children, with what each one's JSON result contributes. */
const WORKLOADS = {
  analyze: {
    title: 'heap.analyze(heap-s1-p3, 97 MB)',
    args: () => [path.join(__dirname, 'heap-analyze-child.js'), 'modswap', SNAPSHOT],
    sample: (result) => ({ analyzeMs: result.analyzeMs, peakRss: result.peakRss }),
  },
  reload: {
    title: 'router swap + mid-graph reload (reload.bench.js --worker, 200 + 200 reloads)',
    args: () => [path.join(__dirname, 'reload.bench.js'), '--worker', '--only=swap,mid'],
    sample: (result) => ({
      swapMs: result.swap.samples,
      midMs: result.midGraph.samples,
      midReloadMs: result.midGraph.reloadMs,
    }),
  },
  heapdiff: {
    title: 'memwatch HeapDiff (new HeapDiff(), +10 % objects, end())',
    nodeFlags: ['--expose-gc'],
    args: (options) => [path.join(__dirname, 'memwatch-heapdiff-child.js'), 'modswap', String(options.heapdiffObjects), '0.1'],
    sample: (result) => ({ constructorMs: result.constructorMs, endMs: result.endMs, peakRss: result.peakRss }),
  },
};

/** The addon a child reported (its LOADED_TAG line); throws unless it is the variant's. */
function checkLoaded(stderr, expectedFile, what) {
  const line = (stderr || '').split('\n').find((l) => l.startsWith(LOADED_TAG));
  if (!line) throw new Error(`${what}: the child did not report which addon it loaded (preload missing?)\n${stderr}`);
  const loaded = JSON.parse(line.slice(LOADED_TAG.length));
  if (!loaded.ok || loaded.expected !== fs.realpathSync(expectedFile)) {
    throw new Error(
      `${what}: wrong addon loaded: expected ${loaded.expected}, mapped ${JSON.stringify(loaded.mapped)}, ` +
        `in require.cache: ${loaded.inRequireCache}`,
    );
  }
  return loaded.mapped[0];
}

/** One fresh child of `workload` on `variant`, with the other load while it ran. */
function runOnce(workload, name, options) {
  const addon = addonPath(name);
  const args = [...(workload.nodeFlags ?? []), '-r', __filename, ...workload.args(options)];
  const what = `${workload.name} on ${name}`;
  const before = cpuNoise.snapshot();
  const env = { NAPI_RS_NATIVE_LIBRARY_PATH: addon, [EXPECT_ENV]: addon };
  const run = runChild(args, what, { env, timeoutMs: 10 * 60 * 1000 });
  const otherCores = cpuNoise.otherCores(before, cpuNoise.snapshot());
  if (run.error) return { error: run.error, otherCores };
  checkLoaded(run.stderr, addon, what);
  return { ...workload.sample(run.result), otherCores };
}

/**
 * One sample, run again (after a pause) while other processes kept more than NOISY_CORES busy:
 * a build next door inflates every timing on 2 cores. The quietest attempt is kept; the
 * readings of the others stay in the results.
 */
async function measure(workload, name, options, budget) {
  const attempts = [];
  for (;;) {
    const attempt = runOnce(workload, name, options);
    attempts.push(attempt);
    const noisy = attempt.otherCores !== null && attempt.otherCores > NOISY_CORES;
    if (attempt.error || !noisy || attempts.length > options.retries || budget.left <= 0) break;
    budget.left--;
    process.stderr.write(`    ${name}: other load ${attempt.otherCores.toFixed(2)} cores, again in 10 s\n`);
    await sleep(10000);
  }
  const usable = attempts.filter((attempt) => !attempt.error);
  if (usable.length === 0) return { ...attempts[attempts.length - 1], retriedCores: [] };
  const kept = usable.reduce((best, attempt) => ((attempt.otherCores ?? 0) < (best.otherCores ?? 0) ? attempt : best));
  return { ...kept, retriedCores: attempts.filter((attempt) => attempt !== kept).map((attempt) => attempt.otherCores) };
}

/**
 * All runs of one workload, round-robin over the variants, each round starting one variant
 * later so no variant always runs first. One untimed warm-up child first (page cache, the
 * generated app).
 */
async function benchWorkload(workload, names, options, budget) {
  process.stderr.write(`  ${workload.title}...\n`);
  const warmup = runOnce(workload, BASELINE, options);
  if (warmup.error) throw new Error(`warm-up failed: ${warmup.error}`);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let run = 0; run < options.runs; run++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(run + i) % names.length];
      samples[name].push(await measure(workload, name, options, budget));
    }
    process.stderr.write(`    round ${run + 1}/${options.runs} done\n`);
  }
  return samples;
}

// --- summaries ---------------------------------------------------------------------------------

function summarize(workloadName, samples) {
  const ok = samples.filter((sample) => !sample.error);
  const failed = samples.length - ok.length;
  const of = (key) => ok.map((sample) => sample[key]);
  const spread = (values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });
  if (ok.length === 0) return { failed };
  if (workloadName === 'analyze') return { failed, analyzeMs: spread(of('analyzeMs')), peakRss: median(of('peakRss')) };
  if (workloadName === 'heapdiff') {
    return { failed, endMs: spread(of('endMs')), constructorMs: spread(of('constructorMs')), peakRss: median(of('peakRss')) };
  }
  // Reload: p50 over the pooled samples of all processes, as reload.bench.js reports it, and each process's p50.
  const pooled = (key) => ({
    p50: percentile(of(key).flat(), 50),
    processP50s: of(key).map((values) => percentile(values, 50)),
  });
  return { failed, swapMs: pooled('swapMs'), midMs: pooled('midMs'), midReloadMs: pooled('midReloadMs') };
}

/** The number a workload's columns compare: median or pooled p50, in ms. */
const HEADLINE = {
  'analyze': (s) => s.analyzeMs?.median,
  'swap': (s) => s.swapMs?.p50,
  'mid': (s) => s.midMs?.p50,
  'mid-reload': (s) => s.midReloadMs?.p50,
  'heapdiff': (s) => s.endMs?.median,
};
const WORKLOAD_OF = { 'analyze': 'analyze', 'swap': 'reload', 'mid': 'reload', 'mid-reload': 'reload', 'heapdiff': 'heapdiff' };

function headline(variant, key) {
  const summary = variant.summary[WORKLOAD_OF[key]];
  return summary ? HEADLINE[key](summary) : undefined;
}

// --- report ------------------------------------------------------------------------------------

function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  const rule = header.map((cell, i) => (i === 0 ? '---' : '---:'));
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}

const bytes = (n) => n.toLocaleString('en-US');
const ratio = (value, base) => (Number.isFinite(value) && Number.isFinite(base) && base > 0 ? `${(value / base).toFixed(2)}x` : 'n/a');
const seconds = (ms) => `${(ms / 1000).toFixed(ms < 10000 ? 3 : 1)} s`;
const millis = (ms) => (ms < 1 ? `${ms.toFixed(3)} ms` : `${ms.toFixed(2)} ms`);

/** "value (ratio to current)", or n/a when the workload was not run or failed. */
function cell(variant, base, key, format) {
  const value = headline(variant, key);
  if (!Number.isFinite(value)) return 'n/a';
  return `${format(value)} (${ratio(value, headline(base, key))})`;
}

function mainTable(variants, base) {
  const header = [
    'variant',
    '.node bytes',
    'gzip -9 bytes',
    'build wall (CPU)',
    'heap.analyze median',
    'swap p50',
    'mid-graph p50',
    'HeapDiff end() median',
  ];
  const rows = variants.map((v) => [
    v.name,
    `${bytes(v.size.bytes)} (${ratio(v.size.bytes, base.size.bytes)})`,
    `${bytes(v.size.gzipBytes)} (${ratio(v.size.gzipBytes, base.size.gzipBytes)})`,
    `${seconds(v.build.wallMs)} (${v.build.cpuMs === null ? 'n/a' : seconds(v.build.cpuMs)})`,
    cell(v, base, 'analyze', seconds),
    cell(v, base, 'swap', millis),
    cell(v, base, 'mid', millis),
    cell(v, base, 'heapdiff', seconds),
  ]);
  return markdownTable(header, rows);
}

const range = (values, format) => `${format(Math.min(...values))}..${format(Math.max(...values))}`;
/** "median (min..max)" of the processes' own p50s: less swayed than the pooled p50 by one slow process. */
const perProcess = (values) => `${millis(median(values))} (${range(values, millis)})`;

function spreadTable(variants, base) {
  const header = [
    'variant',
    'heap.analyze min..max',
    'swap: p50 per process, median (range)',
    'mid-graph: p50 per process, median (range)',
    'mid: modswap.reload() p50',
    'HeapDiff end() min..max',
  ];
  const rows = variants.map((v) => {
    const { analyze, reload, heapdiff } = v.summary;
    return [
      v.name,
      analyze?.analyzeMs ? range([analyze.analyzeMs.min, analyze.analyzeMs.max], seconds) : 'n/a',
      reload?.swapMs ? perProcess(reload.swapMs.processP50s) : 'n/a',
      reload?.midMs ? perProcess(reload.midMs.processP50s) : 'n/a',
      cell(v, base, 'mid-reload', millis),
      heapdiff?.endMs ? range([heapdiff.endMs.min, heapdiff.endMs.max], seconds) : 'n/a',
    ];
  });
  return markdownTable(header, rows);
}

function noiseLines(results) {
  const cores = (value) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');
  const lines = [`cores kept busy by other processes (threshold ${NOISY_CORES}):`];
  lines.push(`  builds: ${results.variants.map((v) => `${v.name} ${cores(v.build.otherCores)}`).join(', ')}`);
  for (const [name, section] of Object.entries(results.workloads)) {
    const samples = results.variants.flatMap((v) => v.samples[name] ?? []);
    const readings = samples.map((sample) => sample.otherCores).filter(Number.isFinite);
    const retried = samples.flatMap((sample) => sample.retriedCores);
    const noisyKept = readings.filter((c) => c > NOISY_CORES).length;
    lines.push(
      `  ${name}: whole section ${cores(section.otherCores)}, ` +
        `per child median ${cores(median(readings))}, max ${cores(Math.max(...readings))}; ` +
        `${retried.length} run(s) repeated for noise, ${noisyKept} kept above the threshold`,
    );
  }
  const noisyBuilds = results.variants.filter((v) => v.build.otherCores > NOISY_CORES).map((v) => v.name);
  if (noisyBuilds.length > 0) {
    lines.push(`WARNING: other load above ${NOISY_CORES} cores while building ${noisyBuilds.join(', ')}; those build times are inflated`);
  }
  return lines;
}

function notes(results) {
  const lines = [];
  const base = results.variants.find((v) => v.name === BASELINE);
  lines.push(`'${BASELINE}' is ${base.size.sameAsRepoAddon ? '' : 'not '}byte-identical to the repository's ${ADDON_FILE}`);
  const sources = new Set(results.variants.map((v) => v.build.rustSources));
  if (sources.size > 1 || results.variants.some((v) => v.build.rustSourcesChanged)) {
    const list = results.variants.map((v) => `${v.name} ${v.build.rustSources}`).join(', ');
    lines.push(`WARNING: the variants were built from different Rust sources (or sources changed during a build): ${list}`);
  }
  if (results.jsSources.before !== results.jsSources.after) {
    lines.push('WARNING: index.js, binding.js or lib/ changed during the speed runs; later children ran other JS');
  }
  const failed = results.variants.flatMap((v) =>
    Object.entries(v.summary)
      .filter(([, summary]) => summary.failed > 0)
      .map(([workload, summary]) => `${v.name}/${workload} ${summary.failed}`),
  );
  if (failed.length > 0) lines.push(`WARNING: failed runs (left out of the medians): ${failed.join(', ')}`);
  return lines;
}

function report(results) {
  const base = results.variants.find((v) => v.name === BASELINE);
  const out = [
    mainTable(results.variants, base),
    '',
    `Ratios are to '${BASELINE}' (time: > 1 is slower). build = cold cargo build, dependencies included ` +
      `(wall, CPU of cargo and rustc). heap.analyze and HeapDiff: median of ${results.options.runs} processes; ` +
      `swap and mid-graph: p50 over the pooled reloads of ${results.options.runs} processes.`,
    '',
    spreadTable(results.variants, base),
    '',
    'Variants:',
    ...results.variants.map((v) => `  ${v.name.padEnd(16)} ${v.what}: ${v.build.command}`),
    '',
    ...noiseLines(results),
    ...notes(results),
  ];
  return out.join('\n');
}

// --- main --------------------------------------------------------------------------------------

function toolVersion(command) {
  try {
    return execFileSync(command, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/** The ~97 MB snapshot of the heap-analyze bench; generated (scale 1, ~20 s) when missing. */
function ensureSnapshot() {
  if (fs.existsSync(SNAPSHOT)) return;
  process.stderr.write(`  ${path.relative(ROOT, SNAPSHOT)} missing: generating it\n`);
  const gen = spawnSync(process.execPath, [path.join(__dirname, 'gen-heap-snapshots.js'), '--only=s1'], { stdio: 'inherit' });
  if (gen.status !== 0 || !fs.existsSync(SNAPSHOT)) throw new Error('gen-heap-snapshots.js --only=s1 failed');
}

function buildAll(variants, options) {
  return variants.map((variant) => {
    const reuse = options.skipBuild || (variant.name === BASELINE && options.addedBaseline && fs.existsSync(buildInfoPath(BASELINE)));
    if (reuse) return readBuild(variant.name);
    process.stderr.write(`  building ${variant.name} (${variant.what})...\n`);
    const build = buildVariant(variant);
    process.stderr.write(`    ${(build.wallMs / 1000).toFixed(1)} s, other load ${build.otherCores?.toFixed(2)} cores\n`);
    return build;
  });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const machine = environment();
  console.log(header('modswap binary profile benchmark (issue D)', machine, false));
  console.log(`rust:    ${toolVersion('rustc')}, ${toolVersion('cargo')}`);
  console.log(`variants: .bench-tmp/binary-profile/<variant>/${ADDON_FILE} via NAPI_RS_NATIVE_LIBRARY_PATH (not the addon above)`);
  console.log('');
  fs.mkdirSync(OUT_DIR, { recursive: true });

  const variants = VARIANTS.filter((variant) => options.only.includes(variant.name));
  const builds = buildAll(variants, options);
  if (options.workloads.includes('analyze')) ensureSnapshot();

  const results = {
    machine,
    rust: { rustc: toolVersion('rustc'), cargo: toolVersion('cargo') },
    options,
    baseProfile: BASE_PROFILE,
    workloads: {},
    jsSources: { before: jsSources() },
    variants: variants.map((variant, i) => ({
      ...variant,
      build: builds[i],
      size: sizeOf(variant.name),
      samples: {},
      summary: {},
    })),
  };
  const names = variants.map((variant) => variant.name);
  // One repeat per variant and workload on average: a long build next door would otherwise
  // stretch the run by its whole length.
  const budget = { left: names.length * options.workloads.length };
  for (const name of options.workloads) {
    const workload = { name, ...WORKLOADS[name] };
    const before = cpuNoise.snapshot();
    const samples = await benchWorkload(workload, names, options, budget);
    results.workloads[name] = { title: workload.title, otherCores: cpuNoise.otherCores(before, cpuNoise.snapshot()) };
    for (const variant of results.variants) {
      variant.samples[name] = samples[variant.name];
      variant.summary[name] = summarize(name, samples[variant.name]);
    }
  }
  results.jsSources.after = jsSources();

  console.log(report(results));
  const file = path.join(OUT_DIR, options.partial ? 'results-partial.json' : 'results.json');
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nresults written to ${path.relative(process.cwd(), file)}`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else if (process.env[EXPECT_ENV]) {
  reportLoadedAddon(process.env[EXPECT_ENV]);
}
