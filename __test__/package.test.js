'use strict';
// The distribution: napi targets, the per-platform packages made by the napi CLI, what the main
// tarball holds, and the error a user gets when no binary serves the machine.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { makeFixture } = require('./helpers');
const platform = require('../lib/platform');

const ROOT = path.join(__dirname, '..');
const manifest = require('../package.json');
const napiCli = () => import('@napi-rs/cli');
const packModule = () => import('../scripts/pack.mjs');

const REQUIRED_TARGETS = [
  'x86_64-unknown-linux-gnu',
  'aarch64-unknown-linux-gnu',
  'x86_64-unknown-linux-musl',
  'aarch64-unknown-linux-musl',
  'x86_64-apple-darwin',
  'aarch64-apple-darwin',
  'x86_64-pc-windows-msvc',
];

const onWindows = process.platform === 'win32';

function npmPackFiles() {
  const output = execFileSync(onWindows ? 'npm.cmd' : 'npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    shell: onWindows,
  });
  return JSON.parse(output)[0].files.map((file) => file.path).sort();
}

/** Runs the napi CLI of the dev dependencies (its bin script, so no shell is needed on Windows). */
function napi(args) {
  const cliRoot = path.join(ROOT, 'node_modules', '@napi-rs', 'cli');
  const { bin } = JSON.parse(fs.readFileSync(path.join(cliRoot, 'package.json'), 'utf8'));
  const script = typeof bin === 'string' ? bin : bin.napi;
  return execFileSync(process.execPath, [path.join(cliRoot, script), ...args], { stdio: 'pipe' });
}

function listFiles(dir, base = dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? listFiles(full, base) : [path.relative(base, full)];
  });
}

test('napi.targets covers linux x64/arm64 (glibc and musl), macOS x64/arm64 and Windows x64', () => {
  for (const triple of REQUIRED_TARGETS) assert.ok(manifest.napi.targets.includes(triple), triple);
  assert.equal(manifest.napi.binaryName, 'modswap');
});

test('npm/ holds exactly the packages `napi create-npm-dirs` makes, at the root version', () => {
  // The CLI writes only inside the project it runs in: give it a project of its own.
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-npm-dirs-'));
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(project, 'package.json'));
  napi(['create-npm-dirs', '--cwd', project]);
  const fresh = path.join(project, 'npm');
  const committed = path.join(ROOT, 'npm');
  const expected = listFiles(fresh).sort();
  const tracked = listFiles(committed)
    .filter((file) => !file.endsWith('.node'))
    .sort();
  assert.deepEqual(tracked, expected);
  for (const file of expected) {
    assert.equal(fs.readFileSync(path.join(committed, file), 'utf8'), fs.readFileSync(path.join(fresh, file), 'utf8'), file);
  }
  for (const dir of fs.readdirSync(committed)) {
    const platformManifest = JSON.parse(fs.readFileSync(path.join(committed, dir, 'package.json'), 'utf8'));
    assert.equal(platformManifest.version, manifest.version, dir);
    assert.deepEqual(platformManifest.files, [`modswap.${dir}.node`]);
  }
  fs.rmSync(project, { recursive: true, force: true });
});

test('the released main package depends on every platform package at its own version', async () => {
  const { readNapiConfig } = await napiCli();
  const { releaseOptionalDependencies } = await packModule();
  const config = await readNapiConfig(path.join(ROOT, 'package.json'));
  const dependencies = releaseOptionalDependencies(config, manifest.version);
  const packageNames = fs
    .readdirSync(path.join(ROOT, 'npm'))
    .map((dir) => JSON.parse(fs.readFileSync(path.join(ROOT, 'npm', dir, 'package.json'), 'utf8')).name);
  assert.deepEqual(Object.keys(dependencies).sort(), packageNames.sort());
  assert.ok(Object.values(dependencies).every((version) => version === manifest.version));
  assert.ok(packageNames.includes('modswap-linux-x64-musl'));
});

test('installing the package builds nothing', () => {
  for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) {
    assert.equal(manifest.scripts[script], undefined, `scripts.${script} would run on users' machines`);
  }
  assert.equal(manifest.dependencies, undefined);
  assert.equal(manifest.optionalDependencies, undefined, 'written at release time by napi pre-publish');
});

test('the main tarball holds the JS, the types, the loader and the CLI, and nothing else', () => {
  const shipped = npmPackFiles();
  const lib = listFiles(path.join(ROOT, 'lib')).map((file) => path.posix.join('lib', file.split(path.sep).join('/')));
  const expected = [
    'LICENSE',
    'README.md',
    'package.json',
    'index.js',
    'index.d.ts',
    'memwatch.js',
    'memwatch.d.ts',
    'register.js',
    'register-esm.js',
    'binding.js',
    'bin/modswap.js',
    ...lib,
  ].sort();
  assert.deepEqual(shipped, expected);
  for (const file of shipped) {
    assert.doesNotMatch(file, /\.(node|rs|toml|heapsnapshot)$|^(__test__|bench|fuzz|src|examples|npm|scripts)\//, file);
  }
});

test('every relative require of a shipped file resolves to a shipped file', () => {
  const shipped = new Set(npmPackFiles());
  // binding.js (generated) also tries a binary beside itself for every napi target: a fallback.
  for (const file of [...shipped].filter((name) => name.endsWith('.js') && name !== 'binding.js')) {
    // Comments may quote require() calls of examples: only code counts.
    const source = fs
      .readFileSync(path.join(ROOT, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const [, specifier] of source.matchAll(/require\('(\.{1,2}\/[^']+)'\)/g)) {
      const resolved = require.resolve(path.join(ROOT, path.dirname(file), specifier));
      const relative = path.relative(ROOT, resolved).split(path.sep).join('/');
      assert.ok(shipped.has(relative), `${file} requires ${specifier}, which the tarball leaves out`);
    }
  }
});

test('target triples are named as napi-rs names them', async () => {
  const { parseTriple } = await napiCli();
  const triples = [
    ...manifest.napi.targets,
    'x86_64-unknown-freebsd',
    'aarch64-pc-windows-msvc',
    'armv7-unknown-linux-gnueabihf',
    'aarch64-linux-android',
    'armv7-linux-androideabi',
  ];
  for (const triple of triples) {
    const expected = parseTriple(triple);
    const parsed = platform.parseTargetTriple(triple);
    assert.equal(platform.platformArchAbi(parsed), expected.platformArchABI, triple);
    assert.equal(parsed.platform, expected.platform, triple);
  }
});

test('a platform package left out by --omit=optional: the error names machine, package and the way out', () => {
  const error = platform.missingBindingError(new Error('Cannot find native binding'), {
    host: { platform: 'linux', arch: 'x64', libc: 'glibc' },
    locate: () => null,
  });
  assert.equal(error.code, 'ERR_MODSWAP_NATIVE_MISSING');
  assert.equal(error.name, 'ModswapError');
  assert.equal(error.packageName, 'modswap-linux-x64-gnu');
  assert.deepEqual([error.platform, error.arch, error.libc], ['linux', 'x64', 'glibc']);
  assert.match(error.message, /Linux x64 \(glibc\)/);
  assert.match(error.message, /its package modswap-linux-x64-gnu@0\.1\.0 \(an optional dependency\) is not installed/);
  assert.match(error.message, /--omit=optional/);
  assert.match(error.message, /npm install && npm run build/);
  assert.match(error.message, /NAPI_RS_NATIVE_LIBRARY_PATH=<clone>\/modswap\.linux-x64-gnu\.node/);
});

test('each machine maps to the target napi-rs builds for it', () => {
  const suffix = (host) => platform.platformArchAbi(platform.hostTarget(host));
  assert.equal(suffix({ platform: 'linux', arch: 'x64', libc: 'glibc' }), 'linux-x64-gnu');
  assert.equal(suffix({ platform: 'linux', arch: 'x64', libc: 'musl' }), 'linux-x64-musl');
  assert.equal(suffix({ platform: 'darwin', arch: 'x64', libc: null }), 'darwin-x64');
  assert.equal(suffix({ platform: 'win32', arch: 'x64', libc: null }), 'win32-x64-msvc');
});

test('musl, macOS and Windows machines look for their own packages', () => {
  const cases = [
    [{ platform: 'linux', arch: 'arm64', libc: 'musl' }, 'modswap-linux-arm64-musl', /Linux arm64 \(musl\)/],
    [{ platform: 'darwin', arch: 'arm64', libc: null }, 'modswap-darwin-arm64', /macOS arm64/],
    [{ platform: 'win32', arch: 'x64', libc: null }, 'modswap-win32-x64-msvc', /Windows x64/],
  ];
  for (const [host, packageName, where] of cases) {
    const error = platform.missingBindingError(new Error('x'), { host, locate: () => null });
    assert.equal(error.packageName, packageName);
    assert.match(error.message, where);
    assert.match(error.message, /is not installed/);
  }
});

test('an unsupported platform is told which ones are prebuilt', () => {
  const error = platform.missingBindingError(new Error('Unsupported OS: freebsd'), {
    host: { platform: 'freebsd', arch: 'x64', libc: null },
    locate: () => null,
  });
  assert.equal(error.packageName, 'modswap-freebsd-x64');
  assert.match(error.message, /ships no prebuilt binary for FreeBSD x64 \(it looked for the package modswap-freebsd-x64\)/);
  assert.match(error.message, /Linux x64 \(glibc\), Linux arm64 \(glibc\), Linux x64 \(musl\), Linux arm64 \(musl\), macOS x64, macOS arm64, Windows x64/);
  assert.match(error.message, /npm run build/);
});

test('an installed binary that fails to load is reported with the loader\'s own reason', () => {
  const outer = new Error('Cannot find native binding. npm has a bug …');
  outer.cause = new Error("Cannot find module 'modswap-wasm32-wasi'");
  outer.cause.cause = new Error('/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.99\' not found');
  outer.cause.cause.cause = new Error("Cannot find module './modswap.linux-x64-gnu.node'");
  const error = platform.missingBindingError(outer, {
    host: { platform: 'linux', arch: 'x64', libc: 'glibc' },
    locate: () => '/app/node_modules/modswap-linux-x64-gnu',
  });
  assert.match(error.message, /is installed \(modswap-linux-x64-gnu at \/app\/node_modules\/modswap-linux-x64-gnu\)/);
  assert.match(error.message, /GLIBC_2\.99' not found/);
  assert.equal(error.cause, outer);
});

test('this machine is detected as what Node itself runs on', () => {
  const libc = platform.detectLibc();
  if (process.platform === 'linux') assert.ok(libc === 'glibc' || libc === 'musl');
  else assert.equal(libc, null);
  assert.equal(platform.detectLibc({ platform: 'linux', report: { getReport: () => ({ header: {} }) } }), 'musl');
  assert.equal(
    platform.detectLibc({ platform: 'linux', report: { getReport: () => ({ header: { glibcVersionRuntime: '2.36' } }) } }),
    'glibc',
  );
});

/** This process's environment without the loader's override, which would load a binary anyway. */
function environmentWithoutOverride() {
  const env = { ...process.env };
  delete env.NAPI_RS_NATIVE_LIBRARY_PATH;
  return env;
}

/** The files of the main tarball, copied where no binary and no sources are. */
function installedCopyWithoutBinary() {
  const fixture = makeFixture({});
  const copy = fixture.path('node_modules/modswap');
  for (const file of npmPackFiles()) {
    fs.mkdirSync(path.join(copy, path.dirname(file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(copy, file));
  }
  return { fixture, copy };
}

test("require('modswap') without its platform package throws the ModswapError", () => {
  const { fixture, copy } = installedCopyWithoutBinary();
  const probe = `try { require(${JSON.stringify(copy)}); console.log('loaded') } catch (e) {
    console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, packageName: e.packageName, libc: e.libc })) }`;
  const fakeFreeBsd = fixture.write('freebsd.js', "Object.defineProperty(process, 'platform', { value: 'freebsd' });");
  const env = environmentWithoutOverride();
  const [here, freebsd] = [['-e', probe], ['-r', fakeFreeBsd, '-e', probe]].map((args) => {
    const run = spawnSync(process.execPath, args, { encoding: 'utf8', env });
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout);
  });
  const host = platform.hostTarget({ platform: process.platform, arch: process.arch, libc: platform.detectLibc() });
  assert.equal(here.name, 'ModswapError');
  assert.equal(here.code, 'ERR_MODSWAP_NATIVE_MISSING');
  assert.equal(here.packageName, `modswap-${platform.platformArchAbi(host)}`);
  assert.match(here.message, /is not installed/);
  assert.equal(freebsd.code, 'ERR_MODSWAP_NATIVE_MISSING');
  assert.equal(freebsd.packageName, `modswap-freebsd-${process.arch}`);
  assert.match(freebsd.message, /ships no prebuilt binary for FreeBSD/);
  fixture.remove();
});

test('a checkout of the sources without a build says to build it', () => {
  const { fixture, copy } = installedCopyWithoutBinary();
  fs.writeFileSync(path.join(copy, 'Cargo.toml'), '[package]\n');
  const run = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(copy)})`], {
    encoding: 'utf8',
    env: environmentWithoutOverride(),
  });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /ERR_MODSWAP_NATIVE_MISSING/);
  assert.match(run.stderr, /not be loaded from this checkout of its sources \(Cannot find module '\.\/modswap\.[\w-]+\.node'\)\. Build it with `npm run build`/);
  fixture.remove();
});
