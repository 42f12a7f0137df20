#!/usr/bin/env node
// Packs modswap as `npm publish` would ship it, without publishing: the main package with its
// `optionalDependencies` on every platform package (what `napi pre-publish` writes into
// package.json at release time, computed here with the napi CLI's own config reader and naming),
// and the platform package of one target with the binary built for it.
//
//   node scripts/pack.mjs [--out DIR] [--target TRIPLE] [--addon FILE] [--json]
//
// --target defaults to this machine's target (x86_64-unknown-linux-gnu here); --addon to the
// binary `npm run build` leaves in the repository root. Prints each tarball with its packed and
// unpacked size. Nothing in the repository is changed: both packages are staged in --out.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNapiConfig } from '@napi-rs/cli';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function npm(args, cwd) {
  return execFileSync(NPM, args, { cwd, encoding: 'utf8', shell: process.platform === 'win32' });
}

/** `npm pack --json` of a directory: the tarball's name, sizes and files. */
function packDirectory(dir, outDir) {
  const [result] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', outDir], dir));
  return { ...result, tarball: path.join(outDir, result.filename) };
}

/** The files npm would put in the root package, staged with the release's package.json. */
function stageMainPackage(config, stageDir) {
  const [dryRun] = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT));
  for (const { path: file } of dryRun.files) {
    fs.mkdirSync(path.join(stageDir, path.dirname(file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(stageDir, file));
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  manifest.optionalDependencies = releaseOptionalDependencies(config, manifest.version);
  fs.writeFileSync(path.join(stageDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** napi pre-publish's rule: `<packageName>-<platformArchABI>` at the root's version, per target. */
export function releaseOptionalDependencies(config, version) {
  return Object.fromEntries(
    config.targets.map((target) => [`${config.packageName}-${target.platformArchABI}`, version]),
  );
}

/** npm/<platformArchABI> (made by `napi create-npm-dirs`) plus the binary built for it. */
function stagePlatformPackage(config, target, addon, stageDir) {
  const source = path.join(ROOT, 'npm', target.platformArchABI);
  if (!fs.existsSync(path.join(source, 'package.json'))) {
    throw new Error(`${source} is missing: run \`npx napi create-npm-dirs\``);
  }
  const binaryFile = `${config.binaryName}.${target.platformArchABI}.node`;
  const binary = addon ?? path.join(ROOT, binaryFile);
  if (!fs.existsSync(binary)) {
    throw new Error(`${binary} is missing: build it with \`npm run build\` (or pass --addon FILE)`);
  }
  fs.cpSync(source, stageDir, { recursive: true });
  fs.copyFileSync(binary, path.join(stageDir, binaryFile));
}

function hostTriple() {
  return execFileSync('rustc', ['-vV'], { encoding: 'utf8' }).match(/^host: (.+)$/m)[1];
}

/** Packs both packages into `outDir`; returns `{ main, platform }` with npm pack's report of each. */
export async function packRelease({ outDir, triple, addon } = {}) {
  const config = await readNapiConfig(path.join(ROOT, 'package.json'));
  const wanted = triple ?? hostTriple();
  const target = config.targets.find((candidate) => candidate.triple === wanted);
  if (!target) throw new Error(`${wanted} is not in package.json's napi.targets`);
  const out = outDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-pack-'));
  const mainStage = path.join(out, 'stage', 'main');
  const platformStage = path.join(out, 'stage', target.platformArchABI);
  fs.rmSync(path.join(out, 'stage'), { recursive: true, force: true });
  fs.mkdirSync(mainStage, { recursive: true });
  stageMainPackage(config, mainStage);
  stagePlatformPackage(config, target, addon, platformStage);
  return { main: packDirectory(mainStage, out), platform: packDirectory(platformStage, out), target };
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function parseArgs(argv) {
  const options = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--out') options.outDir = path.resolve(value());
    else if (flag === '--target') options.triple = value();
    else if (flag === '--addon') options.addon = path.resolve(value());
    else if (flag === '--json') options.json = true;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const packed = await packRelease(options);
  if (options.json) {
    console.log(JSON.stringify(packed, null, 2));
    return;
  }
  for (const result of [packed.main, packed.platform]) {
    console.log(
      `${result.tarball}: ${result.entryCount} files, packed ${kib(result.size)}, unpacked ${kib(result.unpackedSize)}`,
    );
  }
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`pack: ${error.message}`);
    process.exitCode = 1;
  });
}
