'use strict';
// Which prebuilt package serves a machine, named as napi-rs names them (`modswap-linux-x64-gnu`),
// and the error to throw when it is not there. Only used when loading the addon failed, so the
// libc probe (a process report, a few milliseconds) costs nothing on the normal path.
const path = require('node:path');
const manifest = require('../package.json');
const { ModswapError } = require('./errors');

/** napi-rs's names for the parts of a Rust target triple (its `parseTriple`). */
const ARCH_OF_CPU = {
  x86_64: 'x64',
  aarch64: 'arm64',
  i686: 'ia32',
  armv7: 'arm',
  riscv64gc: 'riscv64',
  powerpc64le: 'ppc64',
  s390x: 's390x',
};
const PLATFORM_OF_SYSTEM = { windows: 'win32', ohos: 'openharmony' };
const SUB_SYSTEMS = new Set(['android', 'ohos']);

const PLATFORM_NAMES = { linux: 'Linux', darwin: 'macOS', win32: 'Windows', freebsd: 'FreeBSD' };

/**
 * `{ platform, arch, abi }` of a Rust target triple, as napi-rs derives package names from it:
 * `x86_64-unknown-linux-musl` is linux/x64/musl, `aarch64-apple-darwin` is darwin/arm64 with no
 * abi, `x86_64-pc-windows-msvc` is win32/x64/msvc.
 */
function parseTargetTriple(triple) {
  const parts = (triple.endsWith('eabi') ? `${triple.slice(0, -4)}-eabi` : triple).split('-');
  let [cpu, , system, abi = null] = parts;
  if (parts.length === 2) [cpu, system] = parts;
  if (abi && SUB_SYSTEMS.has(abi)) [system, abi] = [abi, null];
  return { platform: PLATFORM_OF_SYSTEM[system] ?? system, arch: ARCH_OF_CPU[cpu] ?? cpu, abi };
}

/** `linux-x64-gnu`: the suffix of a platform package and of the file name of its binary. */
function platformArchAbi({ platform, arch, abi }) {
  return abi ? `${platform}-${arch}-${abi}` : `${platform}-${arch}`;
}

/** 'glibc' or 'musl' on Linux (what Node itself was linked against), null elsewhere. */
function detectLibc(processObject = process) {
  if (processObject.platform !== 'linux') return null;
  try {
    const report = processObject.report.getReport();
    return report.header.glibcVersionRuntime ? 'glibc' : 'musl';
  } catch {
    return 'glibc';
  }
}

/** The target this machine needs, in napi-rs's terms: linux uses gnu or musl, Windows msvc. */
function hostTarget({ platform, arch, libc }) {
  let abi = null;
  if (platform === 'linux') abi = libc === 'musl' ? 'musl' : 'gnu';
  if (platform === 'win32') abi = 'msvc';
  return { platform, arch, abi };
}

/** "Linux x64 (glibc)", "macOS arm64", "Windows x64". */
function describeTarget({ platform, arch, abi }) {
  const name = PLATFORM_NAMES[platform] ?? platform;
  if (platform !== 'linux') return `${name} ${arch}`;
  return `${name} ${arch} (${abi === 'musl' ? 'musl' : 'glibc'})`;
}

/** The targets listed in package.json's `napi.targets`, parsed. */
function supportedTargets(targets = manifest.napi.targets) {
  return targets.map(parseTargetTriple);
}

/** Where the platform package was found from this package, or null when it is not installed. */
function locatePackage(packageName) {
  try {
    return path.dirname(require.resolve(`${packageName}/package.json`));
  } catch {
    return null;
  }
}

function buildFromSourceAdvice(suffix, repository) {
  const source = repository ?? "modswap's source repository";
  return (
    `To build from source instead (needs Rust and a C toolchain): clone ${source}, run ` +
    '`npm install && npm run build` in the clone, then `npm install <clone>` in your project, ' +
    `or set NAPI_RS_NATIVE_LIBRARY_PATH=<clone>/modswap.${suffix}.node.`
  );
}

/** Why no binary serves this machine: not prebuilt for it, not installed, or installed but unloadable. */
function explainMissing({ target, packageName, supported, installedAt, loadError }) {
  const where = describeTarget(target);
  if (!supported.some((candidate) => platformArchAbi(candidate) === platformArchAbi(target))) {
    const list = supported.map(describeTarget).join(', ');
    return (
      `modswap ships no prebuilt binary for ${where} (it looked for the package ${packageName}).\n` +
      `Prebuilt binaries exist for: ${list}.`
    );
  }
  const wanted = `${packageName}@${manifest.version}`;
  if (installedAt === null) {
    return (
      `modswap has no native binary for ${where}: its package ${wanted} (an optional dependency) is not installed.\n` +
      'npm leaves optional dependencies out under --omit=optional or --no-optional, or when the lock file ' +
      `was written on another platform (npm/cli#4828). Install it with \`npm install ${wanted}\`, or delete ` +
      'node_modules and the lock file and run `npm install` again.'
    );
  }
  return (
    `modswap's native binary for ${where} is installed (${packageName} at ${installedAt}) but could not ` +
    `be loaded: ${firstMessage(loadError)}.`
  );
}

/**
 * The most telling line of the generated loader's errors: a real load failure (a wrong ELF class,
 * a missing GLIBC symbol) over "Cannot find module", and the first attempt over later fallbacks.
 * The loader chains its attempts through `cause`, the last attempt outermost.
 */
function firstMessage(error) {
  const lines = [];
  for (let current = error; current; current = current.cause) {
    lines.unshift(String(current.message ?? current).split('\n')[0]);
  }
  const attempts = lines.filter((line) => !line.startsWith('Cannot find native binding'));
  const failure = attempts.find((line) => !line.startsWith('Cannot find module'));
  return failure ?? attempts[0] ?? lines[0] ?? 'unknown error';
}

/**
 * The ModswapError thrown when no native binary could be loaded: it names the platform and libc,
 * the package looked for and how to build from source. `host` and `targets` are for tests.
 */
function missingBindingError(loadError, { host, targets, locate = locatePackage } = {}) {
  const machine = host ?? { platform: process.platform, arch: process.arch, libc: detectLibc() };
  const target = hostTarget(machine);
  const suffix = platformArchAbi(target);
  const packageName = `${manifest.name}-${suffix}`;
  const installedAt = locate(packageName);
  const repository = manifest.repository?.url?.replace(/^git\+/, '');
  const reason = explainMissing({ target, packageName, supported: supportedTargets(targets), installedAt, loadError });
  const message = `${reason}\n${buildFromSourceAdvice(suffix, repository)}`;
  const error = new ModswapError('ERR_MODSWAP_NATIVE_MISSING', message, { cause: loadError });
  Object.assign(error, { platform: machine.platform, arch: machine.arch, libc: machine.libc, packageName });
  return error;
}

module.exports = {
  parseTargetTriple,
  platformArchAbi,
  detectLibc,
  hostTarget,
  describeTarget,
  supportedTargets,
  missingBindingError,
  firstMessage,
};
