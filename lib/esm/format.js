'use strict';
// Whether a file is an ES module by Node's rules for files: `.mjs`/`.mts`, or `.js`/`.ts` under
// a package.json with `"type": "module"` (the nearest one decides).
const fs = require('node:fs');
const path = require('node:path');

const typeOfDirectory = new Map();

function packageType(directory) {
  if (typeOfDirectory.has(directory)) return typeOfDirectory.get(directory);
  let type;
  try {
    type = JSON.parse(fs.readFileSync(path.join(directory, 'package.json'), 'utf8')).type === 'module' ? 'module' : 'commonjs';
  } catch (error) {
    const parent = path.dirname(directory);
    type = error.code === 'ENOENT' && parent !== directory ? packageType(parent) : 'commonjs';
  }
  typeOfDirectory.set(directory, type);
  return type;
}

function isEsmFile(filename) {
  const extension = path.extname(filename);
  if (extension === '.mjs' || extension === '.mts') return true;
  if (extension === '.js' || extension === '.ts') return packageType(path.dirname(filename)) === 'module';
  return false;
}

module.exports = { isEsmFile };
