#!/usr/bin/env node
// Proves installation as users do it: packs the main package and this machine's platform package
// (scripts/pack.mjs), installs both tarballs into a fresh project with no Rust toolchain on PATH,
// and runs __test__/installed/smoke.test.js there under each Node given; then installs the main
// tarball alone with --omit=optional and checks the error require('modswap') throws.
//
//   node scripts/check-install.mjs [--node BIN]... [--target TRIPLE] [--addon FILE] [--keep]
//
// Without --node the Node running this script is used. Exits non-zero when any run fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packRelease } from './pack.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const onWindows = process.platform === 'win32';
const RUST_TOOLS = ['cargo', 'rustc', 'rustup'];

function parseArgs(argv) {
  const options = { nodes: [], keep: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--node') options.nodes.push(path.resolve(value()));
    else if (flag === '--target') options.triple = value();
    else if (flag === '--addon') options.addon = path.resolve(value());
    else if (flag === '--keep') options.keep = true;
    else throw new Error(`unknown option ${argv[i]}`);
  }
  if (options.nodes.length === 0) options.nodes.push(process.execPath);
  return options;
}

function hasExecutable(dir, name) {
  const candidates = onWindows ? [`${name}.exe`, `${name}.cmd`] : [name];
  return candidates.some((file) => fs.existsSync(path.join(dir, file)));
}

/** PATH without any directory that holds a Rust tool, so nothing can build from source. */
function pathWithoutRust(nodeBin) {
  const kept = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir && !RUST_TOOLS.some((tool) => hasExecutable(dir, tool)));
  return [path.dirname(nodeBin), ...kept].join(path.delimiter);
}

function environment(nodeBin) {
  const env = { ...process.env, PATH: pathWithoutRust(nodeBin), npm_config_audit: 'false', npm_config_fund: 'false' };
  for (const name of ['NAPI_RS_NATIVE_LIBRARY_PATH', 'NODE_OPTIONS', 'CARGO', 'RUSTC']) delete env[name];
  if (onWindows) env.Path = env.PATH;
  return env;
}

function run(command, args, { cwd, env, label }) {
  console.log(`\n== ${label}\n$ ${command} ${args.join(' ')}`);
  const windowsScript = onWindows && command === 'npm';
  const result = spawnSync(windowsScript ? 'npm.cmd' : command, args, {
    cwd,
    env,
    stdio: 'inherit',
    shell: windowsScript,
  });
  if (result.error) throw result.error;
  return result.status === 0;
}

/** A new project holding the tarballs installed with `npm install <installArgs>`. */
function freshProject(dir, installArgs, env) {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { name: path.basename(dir), version: '1.0.0', private: true };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  if (!run('npm', ['install', ...installArgs], { cwd: dir, env, label: `npm install in ${dir}` })) {
    throw new Error(`npm install failed in ${dir}`);
  }
}

function copyTest(name, projectDir) {
  fs.copyFileSync(path.join(ROOT, '__test__', 'installed', name), path.join(projectDir, name));
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-install-')));
  const packed = await packRelease({ outDir: path.join(work, 'tarballs'), triple: options.triple, addon: options.addon });
  for (const result of [packed.main, packed.platform]) {
    console.log(`packed ${result.filename}: ${result.entryCount} files, ${result.size} B packed, ${result.unpackedSize} B unpacked`);
  }
  const installEnv = environment(options.nodes[0]);
  const failures = [];

  const full = path.join(work, 'app');
  freshProject(full, [packed.main.tarball, packed.platform.tarball], installEnv);
  copyTest('smoke.test.js', full);
  for (const nodeBin of options.nodes) {
    const ok = run(nodeBin, ['--test', '--test-reporter=spec', 'smoke.test.js'], {
      cwd: full,
      env: environment(nodeBin),
      label: `smoke test with ${nodeBin}`,
    });
    if (!ok) failures.push(`smoke test with ${nodeBin}`);
  }

  const omitted = path.join(work, 'app-omit-optional');
  freshProject(omitted, ['--omit=optional', packed.main.tarball], installEnv);
  copyTest('omitted.test.js', omitted);
  const ok = run(options.nodes[0], ['--test', '--test-reporter=spec', 'omitted.test.js'], {
    cwd: omitted,
    env: environment(options.nodes[0]),
    label: `--omit=optional with ${options.nodes[0]}`,
  });
  if (!ok) failures.push('--omit=optional');

  if (!options.keep) fs.rmSync(work, { recursive: true, force: true });
  if (failures.length > 0) {
    console.error(`\ncheck-install: FAILED: ${failures.join('; ')}`);
    process.exitCode = 1;
  } else {
    console.log(`\ncheck-install: installed from tarballs and passed under ${options.nodes.length} Node version(s)`);
  }
}

main().catch((error) => {
  console.error(`check-install: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});
