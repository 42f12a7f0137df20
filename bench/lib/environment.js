'use strict';
// What the numbers were measured on: machine, Node, which addon build and which source state.
// The addon and lib/ can change between runs while modswap is being developed, so the report
// says which build profile the loaded .node file is and whether the sources were committed.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..');
const ADDON_FILE = 'modswap.linux-x64-gnu.node';

function sameBytes(a, b) {
  try {
    return fs.statSync(a).size === fs.statSync(b).size && fs.readFileSync(a).equals(fs.readFileSync(b));
  } catch {
    return false;
  }
}

/** 'release' or 'debug' when the addon is byte-identical to that cargo artifact of `root`, else 'unknown'. */
function addonProfile(root, addon) {
  for (const profile of ['release', 'debug']) {
    const candidates = [
      path.join(root, 'target', 'x86_64-unknown-linux-gnu', profile, 'libmodswap.so'),
      path.join(root, 'target', profile, 'libmodswap.so'),
    ];
    if (candidates.some((candidate) => sameBytes(addon, candidate))) return profile;
  }
  return 'unknown';
}

/** The addon of the checkout at `root` (default: this one; benches take another with --modswap=DIR), or null. */
function addonInfo(root = ROOT) {
  const addon = path.join(root, ADDON_FILE);
  if (!fs.existsSync(addon)) return null;
  const stat = fs.statSync(addon);
  return { file: ADDON_FILE, bytes: stat.size, mtime: stat.mtime.toISOString(), profile: addonProfile(root, addon) };
}

function git(args) {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/**
 * HEAD commit and the files of modswap itself (not bench/) that differ from it; null when the
 * package is not the top of a git checkout (an exported copy inside another repository).
 */
function sourceInfo() {
  try {
    if (fs.realpathSync(git(['rev-parse', '--show-toplevel']).trim()) !== fs.realpathSync(ROOT)) return null;
    // Porcelain lines are "XY path": two status columns, a space, the path.
    const dirty = git(['status', '--porcelain', '--', 'index.js', 'lib', 'src'])
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3));
    return { commit: git(['rev-parse', '--short', 'HEAD']).trim(), dirty };
  } catch {
    return null;
  }
}

function environment() {
  return {
    cpu: os.cpus()[0].model,
    cores: os.cpus().length,
    totalMemGB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
    loadAverage: os.loadavg()[0],
    addon: addonInfo(),
    source: sourceInfo(),
  };
}

module.exports = { environment, addonInfo };
